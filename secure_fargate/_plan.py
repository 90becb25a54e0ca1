"""The task plan: every container of the task (the agent included) and what each needs, decided before any
resource is created, so construction never depends on statement order."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import defaults
from ._validation import Issue, check_unique_names, container_issues
from .opt_outs import Level, given, reason_issues
from .options import ContainerOptions, SecurityAgent
from .pack.containers import AGENT_LABEL


@dataclass(frozen=True)
class ContainerPlan:
    """One container as the task will run it.

    Args:
        options: the container's options (for the agent: as ``SecurityAgent.container_options()`` gives them).
        prop: where it was given (``container``, ``sidecars[0]``, ``security_agent``), for error messages.
        agent: True for the task's declared security agent.
        exec_paths: ECS Exec's writable paths when Exec is enabled, else empty.
    """

    options: ContainerOptions
    prop: str
    agent: bool
    exec_paths: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def readonly_root(self) -> bool:
        return defaults.READONLY_ROOT_FILESYSTEM if self.options.writable_root_filesystem is None else False

    @property
    def writable_paths(self) -> tuple[str, ...]:
        """The declared writable paths, plus ECS Exec's when Exec is on and the root is read-only."""
        extra = [p for p in self.exec_paths if p not in self.options.writable_paths] if self.readonly_root else []
        return (*self.options.writable_paths, *extra)

    def volumes(self) -> list[tuple[str, str]]:
        """(task volume name, container path) for each writable path."""
        return [(f"{self.name}-{re.sub(r'[^A-Za-z0-9]+', '-', p).strip('-')}", p) for p in self.writable_paths]

    @property
    def docker_labels(self) -> dict[str, str] | None:
        return {AGENT_LABEL: "true"} if self.agent else None


@dataclass(frozen=True)
class TaskPlan:
    """All containers of the task, the application's first."""

    containers: tuple[ContainerPlan, ...]

    @property
    def agent(self) -> ContainerPlan | None:
        return next((c for c in self.containers if c.agent), None)

    @property
    def shares_pid_namespace(self) -> bool:
        """The agent must see the application's processes: one PID namespace for the task (Fargate 1.4.0+)."""
        return self.agent is not None


def _entries(
    container: object, sidecars: Sequence[object], security_agent: object | None
) -> tuple[list[tuple[str, object, bool]], list[Issue]]:
    entries: list[tuple[str, object, bool]] = [("container", container, False)]
    entries += [(f"sidecars[{i}]", s, False) for i, s in enumerate(sidecars)]
    issues: list[Issue] = []
    if isinstance(security_agent, SecurityAgent):
        entries.append(("security_agent", security_agent.container_options(), True))
    elif security_agent is not None:
        issues.append(("security_agent", security_agent, "a secure_fargate.SecurityAgent"))
    return entries, issues


def plan_task(
    container: object,
    sidecars: Sequence[object],
    security_agent: object | None,
    *,
    exec_enabled: bool,
    judged: Callable[[ContainerOptions], ContainerOptions] = lambda options: options,
) -> tuple[TaskPlan, list[Issue]]:
    """The plan and every problem of the containers' inputs (properties prefixed with where they were given).

    ``judged`` gives the view of a container's options that is judged (the construct resolves CDK tokens whose
    value is a literal); the plan keeps the options as given."""
    entries, issues = _entries(container, sidecars, security_agent)
    exec_paths = defaults.EXEC_WRITABLE_PATHS if exec_enabled else ()
    plans: list[ContainerPlan] = []
    for prop, options, agent in entries:
        if not isinstance(options, ContainerOptions):
            issues.append((prop, options, "a secure_fargate.ContainerOptions"))
            continue
        found = container_issues(judged(options), agent)
        issues += [(f"{prop}.{p}", value, allowed) for p, value, allowed in found]
        issues += reason_issues(prop, given(options, Level.CONTAINER))
        plans.append(ContainerPlan(options, prop, agent, exec_paths))
    issues += check_unique_names([p.name for p in plans])
    return TaskPlan(tuple(plans)), issues
