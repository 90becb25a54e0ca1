"""The task plan: every container of the task (the agent included) and what each needs, decided before any
resource is created, so construction never depends on statement order."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import defaults
from ._validation import Issue, check_mount_sources, check_port_names, check_unique_names, container_issues
from ._validation import port_mappings as mappings_of
from .opt_outs import Level, given, reason_issues
from .options import ContainerOptions, LogRouter, SecurityAgent
from .pack.containers import AGENT_LABEL


@dataclass(frozen=True)
class ContainerPlan:
    """One container as the task will run it.

    Args:
        options: the container's options (for the agent: as ``SecurityAgent.container_options()`` gives them).
        prop: where it was given (``container``, ``sidecars[0]``, ``security_agent``), for error messages.
        agent: True for the task's declared security agent.
        router: True for the task's FireLens log router.
        exec_paths: ECS Exec's writable paths when Exec is enabled, else empty.
    """

    options: ContainerOptions
    prop: str
    agent: bool
    exec_paths: tuple[str, ...] = ()
    router: bool = False

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def readonly_root(self) -> bool:
        return defaults.READONLY_ROOT_FILESYSTEM if self.options.writable_root_filesystem is None else False

    @property
    def writable_paths(self) -> tuple[str, ...]:
        """The declared writable paths (system paths with their opt-out included), plus ECS Exec's when Exec is on
        and the root is read-only."""
        # A system path already mounted from a declared volume (shared with an init container that copies the
        # image's files in) keeps that mount; the others get a fresh volume.
        mounted = {getattr(m, "container_path", None) for m in self.options.mount_points}
        system = [p for p in self.options.writable_system_paths if p not in mounted]
        declared = (*self.options.writable_paths, *system)
        extra = [p for p in self.exec_paths if p not in declared] if self.readonly_root else []
        return (*declared, *extra)

    def volumes(self) -> list[tuple[str, str]]:
        """(task volume name, container path) for each writable path."""
        return [(f"{self.name}-{re.sub(r'[^A-Za-z0-9]+', '-', p).strip('-')}", p) for p in self.writable_paths]

    @property
    def docker_labels(self) -> dict[str, str] | None:
        labels = {**self.options.docker_labels, **({AGENT_LABEL: "true"} if self.agent else {})}
        return labels or None

    @property
    def port_mappings(self) -> list[Any]:
        """``container_port`` (unless a mapping has it) and ``port_mappings``, as dicts or ``ecs.PortMapping``."""
        return mappings_of(self.options)

    @property
    def main_port(self) -> int | float | None:
        """The port load balancers route to: ``container_port``, else the first mapping's."""
        if self.options.container_port is not None:
            return self.options.container_port
        return self.options.port_mappings[0].container_port if self.options.port_mappings else None


@dataclass(frozen=True)
class TaskPlan:
    """All containers of the task, the application's first."""

    containers: tuple[ContainerPlan, ...]

    @property
    def agent(self) -> ContainerPlan | None:
        return next((c for c in self.containers if c.agent), None)

    @property
    def router(self) -> ContainerPlan | None:
        return next((c for c in self.containers if c.router), None)

    @property
    def shares_pid_namespace(self) -> bool:
        """The agent must see the application's processes: one PID namespace for the task (Fargate 1.4.0+)."""
        return self.agent is not None


Entry = tuple[str, object, str]


def _entries(
    container: object, sidecars: Sequence[object], security_agent: object | None, log_router: object | None
) -> tuple[list[Entry], list[Issue]]:
    """(where given, options, role) for each container; role is "", "agent" or "router"."""
    entries: list[Entry] = [("container", container, "")]
    issues: list[Issue] = []
    if isinstance(sidecars, (ContainerOptions, str)):
        issues.append(("sidecars", sidecars, "a list of ContainerOptions, e.g. [ContainerOptions(...)]"))
        sidecars = ()
    entries += [(f"sidecars[{i}]", s, "") for i, s in enumerate(sidecars)]
    if isinstance(security_agent, SecurityAgent):
        entries.append(("security_agent", security_agent.container_options(), "agent"))
    elif security_agent is not None:
        issues.append(("security_agent", security_agent, "a secure_fargate.SecurityAgent"))
    if isinstance(log_router, LogRouter):
        entries.append(("log_router", log_router.container_options(), "router"))
    elif log_router is not None:
        issues.append(("log_router", log_router, "a secure_fargate.LogRouter"))
    return entries, issues


def _task_issues(plans: Sequence[ContainerPlan], volume_names: Sequence[str]) -> list[Issue]:
    """Problems across containers: names, port mapping names, mount sources, volume name clashes."""
    issues = check_unique_names([p.name for p in plans])
    issues += check_port_names(
        [n for p in plans for m in p.options.port_mappings if isinstance(n := getattr(m, "name", None), str)]
    )
    mounts = [(f"{p.prop}.mount_points[{i}]", m) for p in plans for i, m in enumerate(p.options.mount_points)]
    issues += check_mount_sources(mounts, volume_names)
    generated = {name for p in plans for name, _ in p.volumes()}
    issues += [
        ("volumes.name", n, "a name other than the generated writable-path volumes")
        for n in volume_names
        if n in generated
    ]
    return issues


def plan_task(
    container: object,
    sidecars: Sequence[object],
    security_agent: object | None,
    *,
    exec_enabled: bool,
    judged: Callable[[ContainerOptions], ContainerOptions] = lambda options: options,
    log_router: object | None = None,
    volume_names: Sequence[str] = (),
) -> tuple[TaskPlan, list[Issue]]:
    """The plan and every problem of the containers' inputs (properties prefixed with where they were given).

    ``judged`` gives the view of a container's options that is judged (the construct resolves CDK tokens whose
    value is a literal); the plan keeps the options as given."""
    entries, issues = _entries(container, sidecars, security_agent, log_router)
    exec_paths = defaults.EXEC_WRITABLE_PATHS if exec_enabled else ()
    plans: list[ContainerPlan] = []
    for prop, options, role in entries:
        if not isinstance(options, ContainerOptions):
            issues.append((prop, options, "a secure_fargate.ContainerOptions"))
            continue
        agent = role == "agent"
        found = container_issues(judged(options), agent)
        issues += [(f"{prop}.{p}", value, allowed) for p, value, allowed in found]
        issues += reason_issues(prop, given(options, Level.CONTAINER))
        plans.append(ContainerPlan(options, prop, agent, exec_paths, router=role == "router"))
    issues += _task_issues(plans, volume_names)
    return TaskPlan(tuple(plans)), issues
