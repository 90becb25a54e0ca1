"""ECS native deployments of a ``SecureFargateService``: the strategy (rolling, blue/green, linear, canary), its bake
times, alarms and lifecycle hooks, validated before CDK sees them (CDK's own checks raise a jsii trace naming no
property), and the pieces ``SecureLoadBalancer`` wires for the traffic-shifting strategies."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from constructs import IValidation

from . import defaults
from ._tokens import is_unresolved
from .errors import Problem

Issue = tuple[str, Any, str]

#: The strategies that run two revisions side by side and shift traffic between them through a load balancer.
TRAFFIC_SHIFTING = (ecs.DeploymentStrategy.BLUE_GREEN, ecs.DeploymentStrategy.LINEAR, ecs.DeploymentStrategy.CANARY)
_STRATEGIES = "one of ecs.DeploymentStrategy.ROLLING, BLUE_GREEN, LINEAR, CANARY"


@dataclass(frozen=True)
class DeploymentOptions:
    """How a service deploys, named as aws_ecs names it; passed to ``ecs.FargateService`` after validation."""

    deployment_strategy: Any = defaults.DEPLOYMENT_STRATEGY
    bake_time: Any = None
    linear_configuration: Any = None
    canary_configuration: Any = None
    deployment_alarms: Any = None
    lifecycle_hooks: tuple[Any, ...] = ()

    @property
    def shifts_traffic(self) -> bool:
        """True for BLUE_GREEN, LINEAR and CANARY: a second target group and a test listener are needed."""
        return self.deployment_strategy in TRAFFIC_SHIFTING

    def issues(self) -> list[Issue]:
        """Every problem of the deployment options (collected, raised once with the service's others)."""
        strategy = self.deployment_strategy
        if not isinstance(strategy, ecs.DeploymentStrategy):
            return [("deployment_strategy", strategy, _STRATEGIES)]
        return [
            *_bake_time_issues("bake_time", self.bake_time, strategy),
            *_shift_issues("linear_configuration", self.linear_configuration, strategy, ecs.DeploymentStrategy.LINEAR),
            *_shift_issues("canary_configuration", self.canary_configuration, strategy, ecs.DeploymentStrategy.CANARY),
            *_alarm_issues(self.deployment_alarms),
            *_hook_issues(self.lifecycle_hooks, strategy),
        ]

    def service_props(self) -> dict[str, Any]:
        """The ``ecs.FargateService`` keyword arguments; ROLLING writes nothing (the template stays as before)."""
        props: dict[str, Any] = {"deployment_alarms": self.deployment_alarms}
        if self.deployment_strategy is ecs.DeploymentStrategy.ROLLING:
            return props
        return {
            **props,
            "deployment_strategy": self.deployment_strategy,
            "bake_time": self.bake_time,
            "linear_configuration": self.linear_configuration,
            "canary_configuration": self.canary_configuration,
        }


def _minutes_issue(prop: str, value: object) -> Issue | None:
    """A bake time is a Duration of whole minutes from 0 to 24 hours (ECS's bounds)."""
    allowed = f"a Duration of whole minutes from 0 to {defaults.MAX_BAKE_TIME_MINUTES} (24 hours)"
    if not isinstance(value, Duration):
        return (prop, value, allowed)
    if value.is_unresolved():
        return None
    minutes = value.to_minutes(integral=False)
    if not float(minutes).is_integer() or not 0 <= minutes <= defaults.MAX_BAKE_TIME_MINUTES:
        return (prop, value.to_human_string(), allowed)
    return None


def _bake_time_issues(prop: str, value: object, strategy: ecs.DeploymentStrategy) -> list[Issue]:
    if value is None:
        return []
    if strategy is ecs.DeploymentStrategy.ROLLING:
        shown = value.to_human_string() if isinstance(value, Duration) else value
        return [(prop, shown, "none with ROLLING (ECS bakes the new revision in BLUE_GREEN, LINEAR and CANARY)")]
    issue = _minutes_issue(prop, value)
    return [issue] if issue else []


def _shift_issues(
    prop: str, value: object, strategy: ecs.DeploymentStrategy, needs: ecs.DeploymentStrategy
) -> list[Issue]:
    """A linear or canary configuration: only with its own strategy, a step percent ECS accepts, a bake time."""
    if value is None:
        return []
    if strategy is not needs:
        return [(prop, f"<{type(value).__name__}>", f"none unless deployment_strategy is {needs.name}")]
    if not isinstance(value, ecs.TrafficShiftConfig):
        return [(prop, value, "an ecs.TrafficShiftConfig(step_percent=..., step_bake_time=...)")]
    low, high = (
        defaults.LINEAR_STEP_PERCENT_RANGE
        if needs is ecs.DeploymentStrategy.LINEAR
        else defaults.CANARY_STEP_PERCENT_RANGE
    )
    issues: list[Issue] = []
    percent = value.step_percent
    if percent is not None and not is_unresolved(percent) and not _in_tenths(percent, low, high):
        issues.append((f"{prop}.step_percent", percent, f"{low} to {high} in steps of 0.1"))
    if value.step_bake_time is not None:
        issue = _minutes_issue(f"{prop}.step_bake_time", value.step_bake_time)
        issues += [issue] if issue else []
    return issues


def _in_tenths(percent: object, low: float, high: float) -> bool:
    """ECS's percent rule: a number from ``low`` to ``high`` that is a multiple of 0.1."""
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not math.isfinite(percent):
        return False
    return low <= percent <= high and abs(percent * 10 - round(percent * 10)) < 1e-9


def _alarm_issues(alarms: object) -> list[Issue]:
    """Deployment alarms roll back: an alarm that only fails the deployment leaves the bad revision running."""
    if alarms is None:
        return []
    if not isinstance(alarms, ecs.DeploymentAlarmConfig):
        return [("deployment_alarms", alarms, "an ecs.DeploymentAlarmConfig(alarm_names=[...])")]
    issues: list[Issue] = []
    names = alarms.alarm_names
    if not names or not all(isinstance(n, str) and n for n in names):
        issues.append(("deployment_alarms.alarm_names", names, "one or more CloudWatch alarm names"))
    if alarms.behavior is ecs.AlarmBehavior.FAIL_ON_ALARM:
        allowed = (
            "ROLLBACK_ON_ALARM (the default): a deployment that sets off an alarm returns to the last good revision"
        )
        issues.append(("deployment_alarms.behavior", "FAIL_ON_ALARM", allowed))
    return issues


def _hook_issues(hooks: Sequence[object], strategy: ecs.DeploymentStrategy) -> list[Issue]:
    issues: list[Issue] = []
    if hooks and strategy is ecs.DeploymentStrategy.ROLLING:
        allowed = "none with ROLLING: give deployment_strategy BLUE_GREEN, LINEAR or CANARY to run lifecycle hooks"
        issues.append(("lifecycle_hooks", f"<{len(hooks)} hook(s)>", allowed))
    for i, hook in enumerate(hooks):
        if not callable(getattr(hook, "bind", None)):
            allowed = "an ecs.DeploymentLifecycleLambdaTarget(function, id, lifecycle_stages=[...])"
            issues.append((f"lifecycle_hooks[{i}]", hook, allowed))
    return issues


@jsii.implements(IValidation)
class NeedsLoadBalancer:
    """At synth: a service whose strategy shifts traffic was attached to a ``SecureLoadBalancer`` (which builds the
    second target group, the test listener and the rules ECS switches); without one, ECS has nothing to shift."""

    def __init__(self, path: str, options: DeploymentOptions, attached: list[str]) -> None:
        self._path = path
        self._options = options
        self._attached = attached

    def validate(self) -> list[str]:
        if not self._options.shifts_traffic or self._attached:
            return []
        strategy = self._options.deployment_strategy.name
        allowed = "ROLLING, or attach the service to a SecureLoadBalancer (load_balancer.attach(service))"
        return [str(Problem(self._path, "deployment_strategy", strategy, f"{allowed}: {strategy} shifts traffic"))]


_CLOSED = "named peers only (attach(test_traffic_from=...)): test traffic reaches a revision not yet checked"
#: Addresses that mean "anyone" in a security group rule.
ANYWHERE = ("0.0.0.0/0", "::/0")


@jsii.implements(IValidation)
class ClosedTestPorts:
    """At synth: no rule of the load balancer's security group admits anyone on a test listener's port, however it
    was added (``attach(test_traffic_from=...)`` refuses it at once; this catches ``connections.allow_from`` or a
    rule added to the security group after). Reads the rules CDK renders inline, where CIDR rules go."""

    def __init__(self, path: str, security_group: ec2.ISecurityGroup, ports: Mapping[int, object]) -> None:
        self._path = path
        self._security_group = security_group
        self._ports = ports

    def validate(self) -> list[str]:
        resource = self._security_group.node.default_child
        if not isinstance(resource, ec2.CfnSecurityGroup):
            return []
        rules = Stack.of(resource).resolve(resource.security_group_ingress) or []
        found: list[str] = []
        for rule in rules if isinstance(rules, list) else []:
            field = {k.lower(): v for k, v in rule.items()} if isinstance(rule, dict) else {}
            if (field.get("cidrip") or field.get("cidripv6")) not in ANYWHERE:
                continue
            low, high = field.get("fromport"), field.get("toport")
            for port in self._ports:
                covered = isinstance(low, int) and isinstance(high, int) and low <= port <= high
                if covered or str(field.get("ipprotocol")) == "-1":
                    found.append(str(Problem(self._path, f"test listener port {port}", "open to anyone", _CLOSED)))
        return found
