"""Service- and cluster-level controls: public IPs, platform version, Container Insights (ingress: ``ingress``)."""

from __future__ import annotations

from collections.abc import Mapping

from ._template import (
    JSON,
    Template,
    _Unknown,
    as_list,
    items,
    literal_value,
    may_be_true,
    possible_values,
    properties,
)

Found = list[tuple[str | None, str]]

#: Platform versions Security Hub ECS.10 accepts for Linux Fargate tasks.
LATEST_PLATFORM_VERSIONS: frozenset[str] = frozenset({"LATEST", "1.4.0"})


def _awsvpc(service: Mapping[str, JSON]) -> Mapping[str, JSON]:
    network = properties(service).get("NetworkConfiguration")
    config = network.get("AwsvpcConfiguration") if isinstance(network, dict) else None
    return config if isinstance(config, dict) else {}


def check_public_ip(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """ECS.2: the service must not assign public IPs to its tasks."""
    options = possible_values(_awsvpc(service).get("AssignPublicIp"))
    if not isinstance(options, _Unknown) and any(str(v).upper() == "ENABLED" for v in options):
        return [(None, "assigns public IP addresses to its tasks (AssignPublicIp: ENABLED)")]
    return []


def _runs_on_fargate(service: Mapping[str, JSON]) -> bool:
    props = properties(service)
    if literal_value(props.get("LaunchType")) == "FARGATE":
        return True
    strategy = items(props.get("CapacityProviderStrategy"))
    providers = [literal_value(s.get("CapacityProvider")) for s in strategy if isinstance(s, dict)]
    return any(p in ("FARGATE", "FARGATE_SPOT") for p in providers)


def check_platform_version(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """ECS.10: a Fargate service runs the latest platform version (absent means LATEST)."""
    if not _runs_on_fargate(service):
        return []
    options = possible_values(properties(service).get("PlatformVersion"))
    if isinstance(options, _Unknown):
        return []
    old = [v for v in options if v is not None and str(v) not in LATEST_PLATFORM_VERSIONS]
    if old:
        return [(None, f"pins Fargate platform version {old[0]!r}; use LATEST (or 1.4.0)")]
    return []


def check_container_insights(logical_id: str, cluster: Mapping[str, JSON], template: Template) -> Found:
    """ECS.12: the cluster has Container Insights enabled (or enhanced)."""
    for setting in as_list(properties(cluster).get("ClusterSettings")):
        if isinstance(setting, dict) and setting.get("Name") == "containerInsights":
            options = possible_values(setting.get("Value"))
            if isinstance(options, _Unknown) or all(v in ("enabled", "enhanced") for v in options):
                return []
    return [(None, "Container Insights is not enabled (ClusterSettings containerInsights)")]


def exec_problem(enabled: bool) -> str | None:
    """SF.EXEC: None unless ECS Exec is enabled (a shell into running tasks, which needs an acknowledgement)."""
    if enabled:
        return (
            "enables ECS Exec (EnableExecuteCommand: true): anyone allowed ecs:ExecuteCommand gets a shell in the tasks"
        )
    return None


def check_exec(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """SF.EXEC: ECS Exec is off unless acknowledged (every possible value of EnableExecuteCommand)."""
    options = possible_values(properties(service).get("EnableExecuteCommand"))
    problem = exec_problem(not isinstance(options, _Unknown) and any(may_be_true(v) for v in options))
    return [(None, problem)] if problem else []
