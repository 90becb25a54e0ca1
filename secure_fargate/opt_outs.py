"""The opt-out table: every default that may be weakened, the control it weakens, and what the audit shows.

One entry drives everything about an opt-out: the reason check (``OptOut.reason``), the default used when no
opt-out is given, the warning annotation, and the acknowledgement of the control on the resource that carries
the weakened setting. Anything not in this table cannot be weakened (privileged, capabilities beyond
SYS_PTRACE, secrets on the task role): those are the invariants the library exists for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from aws_cdk import Annotations
from constructs import IConstruct

from .acknowledgements import acknowledge
from .errors import reason_problem
from .options import OptOut
from .pack import clock


class Level(Enum):
    """Where an opt-out is given: a ``SecureFargateService`` keyword or a ``ContainerOptions`` field."""

    SERVICE = "service"
    CONTAINER = "container"


@dataclass(frozen=True)
class OptOutRule:
    """One weakenable default.

    Args:
        prop: the keyword (service) or field (container) that takes the ``OptOut``.
        level: where it is given.
        control: the pack control the opt-out acknowledges; None when no control judges the setting.
        weakens: what the opt-out does, for the warning annotation.
    """

    prop: str
    level: Level
    control: str | None
    weakens: str


OPT_OUTS: dict[str, OptOutRule] = {
    rule.prop: rule
    for rule in (
        OptOutRule("assign_public_ip", Level.SERVICE, "ECS.2", "tasks get public IPs in public subnets"),
        OptOutRule("enable_execute_command", Level.SERVICE, "SF.EXEC", "ECS Exec (an interactive shell) is enabled"),
        OptOutRule("run_as_root", Level.CONTAINER, "ECS.20", "the container may run as root"),
        OptOutRule("writable_root_filesystem", Level.CONTAINER, "ECS.5", "the root filesystem is writable"),
    )
}


def given(holder: object, level: Level) -> dict[str, object]:
    """The opt-outs set on ``holder`` (service keywords as a dict, or a ContainerOptions), by property."""
    found: dict[str, object] = {}
    for prop, rule in OPT_OUTS.items():
        if rule.level is level:
            value = holder.get(prop) if isinstance(holder, dict) else getattr(holder, prop, None)
            if value is not None:
                found[prop] = value
    return found


def reason_issues(prefix: str, opt_outs: Mapping[str, object]) -> list[tuple[str, object, str]]:
    """Each opt-out must be an ``OptOut`` with a real reason and, if any, a valid expiry: (property, value,
    allowed) per problem."""
    issues = []
    for prop, opt_out in opt_outs.items():
        name = f"{prefix}.{prop}" if prefix else prop
        problem = reason_problem(opt_out.reason if isinstance(opt_out, OptOut) else None)
        if problem and not isinstance(opt_out, OptOut):
            problem = f"OptOut('<why>'), not {type(opt_out).__name__}, with {problem}"
        if problem:
            issues.append((name, opt_out, problem))
        if isinstance(opt_out, OptOut) and clock.expiry_problem(opt_out.expires):
            issues.append((f"{name}.expires", opt_out.expires, str(clock.expiry_problem(opt_out.expires))))
    return issues


def record(scope: IConstruct, label: str, prop: str, opt_out: OptOut, container: str | None = None) -> None:
    """Leave the warning and the acknowledgement an opt-out owes the audit, on ``scope`` (for a container-level
    opt-out: on the task definition, for that container only)."""
    rule = OPT_OUTS[prop]
    reason = opt_out.reason.strip()
    control = f" ({rule.control})" if rule.control else ""
    until = f" (until {clock.expiry_text(opt_out.expires)})" if opt_out.expires else ""
    Annotations.of(scope).add_warning_v2(
        f"secure-fargate:{label}", f"{label}: {rule.weakens}{control}{until}: {reason}"
    )
    if rule.control:
        acknowledge(scope, rule.control, f"opt-out {label}: {reason}", container=container, expires=opt_out.expires)
    else:
        expiry_annotation(scope, opt_out.expires, f"opt-out {label}")


def expiry_annotation(scope: IConstruct, expires: str | None, what: str) -> None:
    """A warning on ``scope`` when ``expires`` is within ``clock.WARN_DAYS`` days or past."""
    warning = clock.expiry_warning(expires, what)
    if warning:
        Annotations.of(scope).add_warning_v2("secure-fargate:expiry", warning)


#: The per-path opt-out: ``ContainerOptions.writable_system_paths={path: OptOut(reason)}`` acknowledges this
#: control for one container and one path (the finding's item), never for the container as a whole. Kept out of
#: ``OPT_OUTS``: its value is a mapping of opt-outs, not one.
PATH_OPT_OUT = OptOutRule(
    "writable_system_paths", Level.CONTAINER, "SF.MOUNTS", "is writable (a task volume) under the read-only root"
)


def record_path(scope: IConstruct, container: str, path: str, opt_out: OptOut) -> None:
    """Leave the warning and the per-path acknowledgement one writable system path owes the audit, on ``scope``
    (the task definition), for that container and that path only."""
    rule = PATH_OPT_OUT
    label = f"{container}.{rule.prop}[{path}]"
    reason = opt_out.reason.strip()
    Annotations.of(scope).add_warning_v2(
        f"secure-fargate:{rule.prop}", f"{label}: {path} {rule.weakens} ({rule.control}): {reason}"
    )
    acknowledge(
        scope,
        str(rule.control),
        f"opt-out {label}: {reason}",
        container=container,
        item=path,
        expires=opt_out.expires,
    )
