"""Input validation of SecureFargateService: small pure functions, one per concern.

Each returns the problems it finds as ``(property, value, allowed)`` issues; the construct prefixes the
property (``container``, ``sidecars[0]``, ...), collects them all and raises once. The security judgement of
each check is the guardrail pack's predicate (``VALIDATOR_PREDICATES`` lists which), so the construct and the
pack cannot disagree. No function here creates a CDK object: they run without a jsii round trip.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._tokens import is_unresolved
from .pack.containers import (
    ALLOWED_ADDED_CAPABILITIES,
    ImagePin,
    capability_problems,
    command_secret_problem,
    is_root_user,
    is_secret_looking_name,
    memory_problems,
    ptrace_problem,
    secret_value_problem,
    system_path_problem,
)
from .pack.reasons import reason_problem
from .pack.tasks import memory_budget_problem, task_size_problem

#: One problem: the property (relative to the container or service), the value received, what is allowed.
Issue = tuple[str, Any, str]

_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_PTRACE_HINT = "only the security agent (security_agent=SecurityAgent(...)) may add SYS_PTRACE (SF.PTRACE)"


def _known(value: object) -> bool:
    return not is_unresolved(value)


# ------------------------------------------------------------------------------------------ one container


def check_name(options: Any, agent: bool) -> list[Issue]:
    if not _CONTAINER_NAME.match(options.name if isinstance(options.name, str) else ""):
        return [("name", options.name, "1-255 letters, digits, '-' or '_'")]
    return []


def check_image(options: Any, agent: bool) -> list[Issue]:
    """SF.IMAGE through ``ImageSource.pin`` (the pack's ``image_pin``): digest or fixed tag only."""
    image = options.image
    if not callable(getattr(image, "pin", None)) or not callable(getattr(image, "to_container_image", None)):
        return [("image", image, "an ImageSource (ImageSource.from_ecr, from_pull_through_cache or from_registry)")]
    if image.pin() in (ImagePin.LATEST, ImagePin.UNTAGGED):
        allowed = "an image pinned by digest (name@sha256:<64 hex>) or a fixed tag; ':latest' and untagged are refused"
        return [("image", image.reference, allowed)]
    return []


def check_privileged(options: Any, agent: bool) -> list[Issue]:
    """ECS.4: no opt-out exists."""
    if options.privileged:
        return [("privileged", True, "False: privileged containers are never allowed (ECS.4)")]
    return []


def check_capabilities(options: Any, agent: bool) -> list[Issue]:
    """SF.CAPABILITIES (the pack's ``capability_problems``) and SF.PTRACE (``ptrace_problem``)."""
    caps = [str(c) for c in options.add_capabilities]
    issues: list[Issue] = [
        ("add_capabilities", caps, f"{sorted(ALLOWED_ADDED_CAPABILITIES)} or nothing ({problem})")
        for problem in capability_problems(caps, ["ALL"])
    ]
    if ptrace_problem(caps, agent):
        issues.append(("add_capabilities", caps, f"nothing: {_PTRACE_HINT}"))
    return issues


def check_user(options: Any, agent: bool) -> list[Issue]:
    """ECS.20 through the pack's ``is_root_user``; ``run_as_root`` opts out."""
    if _known(options.user) and options.run_as_root is None and is_root_user(options.user):
        return [("user", options.user, "a non-root uid[:gid] such as 1000:1000 (or run_as_root=OptOut(reason))")]
    return []


def check_memory(options: Any, agent: bool) -> list[Issue]:
    """SF.MEMORY (one container) through the pack's ``memory_problems``."""
    memory, reservation = options.memory_limit_mib, options.memory_reservation_mib
    if not isinstance(memory, int) or isinstance(memory, bool):
        return [("memory_limit_mib", memory, "an int number of MiB (a hard limit is required)")]
    if not _known(memory) or (reservation is not None and not _known(reservation)):
        return []
    allowed = "a hard limit >= 6 and >= memory_reservation_mib"
    return [("memory_limit_mib", memory, f"{allowed} ({problem})") for problem in memory_problems(memory, reservation)]


def _declared_not_secret(value: object) -> bool:
    return type(value).__name__ == "NotSecret"


def check_environment(options: Any, agent: bool) -> list[Issue]:
    """ECS.8 through the pack's ``is_secret_looking_name``; secret values are never echoed. A ``NotSecret``
    value is a declared exception for its name (with a real reason), never for credentials in the value."""
    allowed = "non-secret values only: pass it in secrets={...: ecs.Secret.from_secrets_manager(secret, field)}"
    issues: list[Issue] = []
    for name, value in options.environment.items():
        if _declared_not_secret(value):
            problem = reason_problem(value.reason)
            if problem:
                issues.append((f"environment[{name!r}].reason", value.reason, problem))
        elif is_secret_looking_name(name):
            issues.append((f"environment[{name!r}]", "<redacted>", allowed + ", or declare NotSecret(value, reason)"))
        carried = secret_value_problem(value.value if _declared_not_secret(value) else value)
        if carried:
            issues.append((f"environment[{name!r}]", "<redacted>", f"a value without credentials (it {carried})"))
    return issues


def check_command(options: Any, agent: bool) -> list[Issue]:
    """ECS.8 on the command line through the pack's ``command_secret_problem``: a secret passed as an argument
    is visible to every DescribeTaskDefinition caller; the argument's position is named, never its value."""
    issues: list[Issue] = []
    for prop in ("command", "entry_point"):
        args = getattr(options, prop) or ()
        problem = command_secret_problem([a if isinstance(a, str) and _known(a) else None for a in args])
        if problem:
            issues.append((prop, "<redacted>", f"no secret on the command line ({problem}); use secrets={{...}}"))
    return issues


def check_port(options: Any, agent: bool) -> list[Issue]:
    port = options.container_port
    if port is None or not _known(port):
        return []
    if not isinstance(port, int) or not (1 <= port <= 65535):
        return [("container_port", port, "1-65535")]
    if port < 1024 and options.run_as_root is None:
        allowed = (
            "1024 or above (a non-root process with all capabilities dropped cannot bind below 1024; "
            "listen on 8080 and let the load balancer map 80/443)"
        )
        return [("container_port", port, allowed)]
    return []


def _path_issue(raw: object, seen: Sequence[str]) -> str | None:
    if not isinstance(raw, str) or not raw.startswith("/"):
        return "absolute paths such as /tmp"
    system = system_path_problem(raw)
    if system:
        return f"a path outside the system directories (SF.MOUNTS: {system})"
    path = posixpath.normpath(raw)
    if path == "/" or path != raw.rstrip("/") or "//" in raw:
        return "a normalized absolute path below / (no '..', '.', '//' or trailing '/')"
    for other in seen:
        if path == other or path.startswith(other + "/") or other.startswith(path + "/"):
            return f"paths that do not overlap (it overlaps {other})"
    return None


def check_writable_paths(options: Any, agent: bool) -> list[Issue]:
    """ECS.5's escape valve: each writable path is a normalized, non-overlapping absolute path."""
    issues: list[Issue] = []
    seen: list[str] = []
    for raw in options.writable_paths:
        problem = _path_issue(raw, seen)
        if problem:
            issues.append(("writable_paths", raw, problem))
        else:
            seen.append(posixpath.normpath(raw))
    return issues


ContainerCheck = Callable[[Any, bool], list[Issue]]

#: Every check on one container's options, in the order problems are listed.
CONTAINER_CHECKS: tuple[ContainerCheck, ...] = (
    check_name,
    check_image,
    check_privileged,
    check_capabilities,
    check_user,
    check_memory,
    check_environment,
    check_command,
    check_port,
    check_writable_paths,
)


def container_issues(options: Any, agent: bool = False) -> list[Issue]:
    """All problems of one container's options (``agent``: the task's declared security agent)."""
    return [issue for check in CONTAINER_CHECKS for issue in check(options, agent)]


# ------------------------------------------------------------------------------------------------- the task


def check_unique_names(names: Sequence[str]) -> list[Issue]:
    return [
        ("container.name", n, "unique container names within the task")
        for n in sorted({n for n in names if names.count(n) > 1})
    ]


def check_task_size(cpu: object, memory_mib: object) -> list[Issue]:
    """SF.TASK_SIZE through the pack's ``task_size_problem``."""
    if not isinstance(cpu, int) or not isinstance(memory_mib, int) or not (_known(cpu) and _known(memory_mib)):
        return []
    problem = task_size_problem(cpu, memory_mib)
    return [("cpu/memory_limit_mib", (cpu, memory_mib), f"a supported Fargate task size: {problem}")] if problem else []


def check_memory_budget(memory_mib: object, limits: Sequence[object]) -> list[Issue]:
    """SF.MEMORY (the task) through the pack's ``memory_budget_problem``."""
    if not isinstance(memory_mib, int) or not _known(memory_mib):
        return []
    if not all(isinstance(m, int) and not isinstance(m, bool) and _known(m) for m in limits):
        return []
    known: list[int] = [m for m in limits if isinstance(m, int)]
    if memory_budget_problem(memory_mib, known):
        allowed = f"container hard limits that fit in the task's memory_limit_mib={memory_mib}"
        return [("container memory_limit_mib (sum)", sum(known), allowed)]
    return []


def check_desired_count(desired_count: object) -> list[Issue]:
    if isinstance(desired_count, int) and _known(desired_count) and desired_count < 0:
        return [("desired_count", desired_count, "0 or more")]
    return []


#: The pack predicates each check relies on, as (module, name): tests/test_architecture.py replaces each with a
#: spy and proves the check really calls it.
_HERE = __name__
VALIDATOR_PREDICATES: Mapping[Callable[..., list[Issue]], tuple[tuple[str, str], ...]] = {
    check_image: (("secure_fargate.images", "image_pin"),),
    check_capabilities: ((_HERE, "capability_problems"), (_HERE, "ptrace_problem")),
    check_user: ((_HERE, "is_root_user"),),
    check_memory: ((_HERE, "memory_problems"),),
    check_environment: ((_HERE, "is_secret_looking_name"), (_HERE, "secret_value_problem")),
    check_command: ((_HERE, "command_secret_problem"),),
    check_writable_paths: ((_HERE, "system_path_problem"),),
    check_task_size: ((_HERE, "task_size_problem"),),
    check_memory_budget: ((_HERE, "memory_budget_problem"),),
}
