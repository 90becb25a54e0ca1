"""Task-definition runtime controls beyond Linux users: Windows administrators (Security Hub ECS.21), fault
injection (SF.FAULT_INJECTION) and image digest resolution (SF.VERSION_CONSISTENCY)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from . import examples as ex
from ._template import JSON, Template, _Unknown, may_be_true, possible_values, properties, values_at
from .containers import container_name
from .control import FSBP, MEDIUM, TASK, Scope, Violation, resource_control
from .tasks import containers, is_fargate_only

Found = list[Violation]

#: Windows' built-in administrator inside a container (Windows user names are case-insensitive).
WINDOWS_ADMINISTRATOR = "containeradministrator"


def operating_system_families(task: Mapping[str, JSON]) -> list[JSON] | _Unknown:
    """Every value the task definition's ``RuntimePlatform.OperatingSystemFamily`` may take (None when unset)."""
    return values_at(properties(task), "RuntimePlatform", "OperatingSystemFamily")


def may_run_windows(task: Mapping[str, JSON]) -> bool:
    """True when the task may run as Windows: a ``WINDOWS_SERVER_*`` family in any branch, or none at all on a task
    that may run on EC2. A Fargate-only task without an OS family is Linux (Fargate runs Windows only when
    ``RuntimePlatform`` names a Windows family), so ECS.20 judges its users, not this control."""
    families = operating_system_families(task)
    if isinstance(families, _Unknown):
        return False
    unset_is_linux = is_fargate_only(task)
    return any((f is None and not unset_is_linux) or str(f).startswith("WINDOWS_SERVER") for f in families)


def runs_windows_only(task: Mapping[str, JSON]) -> bool:
    """True when every value the task's OS family may take is a ``WINDOWS_SERVER_*`` family: Linux-only controls
    (``Control.linux_only``) do not judge it (unset, unknown or any Linux branch: judged as Linux)."""
    families = operating_system_families(task)
    if isinstance(families, _Unknown):
        return False
    return bool(families) and all(f is not None and str(f).startswith("WINDOWS_SERVER") for f in families)


@resource_control(
    "ECS.21",
    resource_types=(TASK,),
    scope=Scope.CONTAINER,
    title="Windows containers run as a non-administrator user",
    requirement="OS family `WINDOWS_SERVER_*`, or unset on a task that may run on EC2: every container has a `User` "
    "other than `ContainerAdministrator` (any case). A Fargate-only task without an OS family runs Linux and is out "
    "of scope (ECS.20 judges its users); Security Hub itself may still list it, so say `LINUX` to agree with it",
    severity=MEDIUM,
    severity_reason="Security Hub rates ECS.21 Medium: the Windows counterpart of ECS.20",
    standards=(FSBP,),
    rationale="An administrator process that escapes the application owns the container. Security Hub also applies "
    "this to task definitions without an OS family; on Fargate those are Linux, where the finding would only "
    "repeat ECS.20's, so the pack judges them as Linux.",
    remediation="set RuntimePlatform.OperatingSystemFamily: LINUX for Linux tasks; give Windows containers a User "
    "other than ContainerAdministrator",
    source="Security Hub ECS.21",
    failing=ex.task(
        ex.container(User="ContainerAdministrator"),
        RuntimePlatform={"OperatingSystemFamily": "WINDOWS_SERVER_2022_CORE"},
    ),
    passing=ex.task(
        ex.container(User="ContainerUser"), RuntimePlatform={"OperatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}
    ),
)
def check_windows_user(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """ECS.21 (``ecs-task-definition-windows-user-non-admin``, no parameters): evaluated when the OS family is
    a ``WINDOWS_SERVER_*`` family, or unset on a task that may run on EC2; fails for a container whose ``User`` is
    absent or the default administrator ``containeradministrator``. Fargate-only tasks without a family are Linux."""
    if not may_run_windows(task):
        return []
    found: Found = []
    for container in containers(task):
        users = possible_values(container.get("User"))
        if isinstance(users, _Unknown):
            continue
        if any(u is None or str(u).strip() == "" for u in users):
            message = "no User: a Windows container (or one of unset OS family) runs as the default administrator"
            found.append(Violation(container_name(container), message))
        elif any(str(u).strip().lower() == WINDOWS_ADMINISTRATOR for u in users):
            admin = next(u for u in users if str(u).strip().lower() == WINDOWS_ADMINISTRATOR)
            found.append(Violation(container_name(container), f"runs as the Windows administrator {admin!r}"))
    return found


@resource_control(
    "SF.FAULT_INJECTION",
    resource_types=(TASK,),
    title="Fault injection is not enabled",
    requirement="no `EnableFaultInjection: true` (acknowledge it for a game day)",
    severity=MEDIUM,
    severity_reason="requests to the task's fault endpoint can disrupt it: availability, not confidentiality",
    rationale="EnableFaultInjection lets requests to the task's fault endpoint disrupt its network and processes.",
    remediation="remove EnableFaultInjection outside chaos tests, or acknowledge it with the experiment's reason",
    source="AWS ECS developer guide: fault injection with Amazon ECS and AWS FIS",
    failing=ex.task(EnableFaultInjection=True),
    passing=ex.task(EnableFaultInjection=False),
)
def check_fault_injection(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.FAULT_INJECTION: ``EnableFaultInjection`` lets whoever holds the task's fault-injection endpoint stall,
    drop or blackhole its traffic and stress its processes: a test feature, acknowledged where it is wanted."""
    options = possible_values(properties(task).get("EnableFaultInjection"))
    if not isinstance(options, _Unknown) and any(may_be_true(v) for v in options):
        return [Violation(None, "EnableFaultInjection is true")]
    return []


#: The repository CDK's bootstrap stack creates for container image assets (``cdk-<qualifier>-container-assets-
#: <account>-<region>``): images there are tagged with the hash of their content, so their tag cannot move.
ASSET_REPOSITORY = re.compile(r"/cdk-[a-z0-9]+-container-assets-")


def _strings(value: JSON) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def is_asset_image(image: JSON) -> bool:
    """True when ``image`` (a string or an intrinsic building one) names CDK's container-asset repository."""
    return any(ASSET_REPOSITORY.search(s) for s in _strings(image))


@resource_control(
    "SF.VERSION_CONSISTENCY",
    resource_types=(TASK,),
    scope=Scope.CONTAINER,
    title="Image digests are resolved at deployment (VersionConsistency)",
    requirement="no `VersionConsistency: disabled`, except for CDK asset images (repository "
    "`cdk-<qualifier>-container-assets-...`, tagged by content hash)",
    severity=MEDIUM,
    severity_reason="tasks started later may run another image than the one deployed",
    rationale="With digest resolution off, tasks started later run whatever the tag points to by then.",
    remediation="remove VersionConsistency: disabled (CDK asset images, tagged by content hash, are exempt)",
    source="CON316: know and pin your images",
    failing=ex.task(ex.container(Image="nginx:1.27", VersionConsistency="disabled")),
    passing=ex.task(ex.container(Image="nginx:1.27")),
)
def check_version_consistency(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.VERSION_CONSISTENCY: ``VersionConsistency: disabled`` stops ECS resolving the image tag to a digest at
    deployment, so tasks started later (scale-out, replacement) can run whatever the tag points to by then.
    Accepted only for CDK asset images, whose tag is their content hash."""
    found: Found = []
    for container in containers(task):
        settings = possible_values(container.get("VersionConsistency"))
        disabled = not isinstance(settings, _Unknown) and "disabled" in settings
        if disabled and not is_asset_image(container.get("Image")):
            message = "VersionConsistency is disabled for an image that is not a CDK asset"
            found.append(Violation(container_name(container), message))
    return found
