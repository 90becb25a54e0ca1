"""Container-level controls: the value predicates the constructs use, and the checks over a container definition.

Each control's logic lives here exactly once. ``SecureFargateService`` calls the predicates on its inputs
(``is_root_user``, ``image_pin``, ``is_secret_looking_name``, ``capability_problems``, ``memory_problems``);
the guardrail pack calls the ``check_*`` functions on each container definition of a template (synthesized
by our constructs or by anything else).

A ``check_*`` function takes one CloudFormation ``ContainerDefinitions`` item and returns a message when the
container violates the control, or None (compliant, or unknown because of an unresolvable intrinsic).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum

from ._template import JSON, UNKNOWN, _Unknown, as_list, possible_values

# --------------------------------------------------------------------------------------------- predicates


def is_root_user(user: str | None) -> bool:
    """True when ``user`` runs the process as root: absent/empty (the image default, usually root),
    ``root`` in any case, or uid 0 in any spelling (``0``, ``00``, ``0:0``, ``root:1000``)."""
    if user is None:
        return True
    name = str(user).strip().split(":", 1)[0].strip()
    if name == "" or name.lower() == "root":
        return True
    return name.isdigit() and int(name) == 0


class ImagePin(Enum):
    """How firmly an image reference is pinned."""

    DIGEST = "digest"  # immutable: accepted silently
    TAG = "tag"  # mutable fixed tag: accepted with a warning recommending a digest
    LATEST = "latest"  # refused
    UNTAGGED = "untagged"  # refused (means :latest)


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_pin(image: str) -> ImagePin:
    """Classify an image reference such as ``repo/name@sha256:<64 hex>``, ``repo/name:1.2.3`` or ``nginx``."""
    if _DIGEST.search(image):
        return ImagePin.DIGEST
    last_segment = image.rsplit("/", 1)[-1]
    if ":" not in last_segment:
        return ImagePin.UNTAGGED
    tag = last_segment.rsplit(":", 1)[1]
    if tag == "":
        return ImagePin.UNTAGGED
    if tag.lower() == "latest":
        return ImagePin.LATEST
    return ImagePin.TAG


def tag_or_digest_pin(tag_or_digest: str) -> ImagePin:
    """Classify the tag/digest part alone (as given to ``ContainerImage.from_ecr_repository``)."""
    if tag_or_digest.startswith("sha256:"):
        return image_pin("x@" + tag_or_digest)
    return image_pin("x:" + tag_or_digest)


# Name segments that mark an environment variable as holding a secret value. Matched on whole
# segments of the name split at "_", "-", "." and camelCase boundaries, so DB_PASSWORD and apiKey match but
# TOKENIZER_MODEL does not. Security Hub ECS.8 looks for AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
# ECS_ENGINE_AUTH_DATA; we are stricter.
_SECRET_SEGMENTS: tuple[tuple[str, ...], ...] = (
    ("PASSWORD",),
    ("PASSWD",),
    ("PASSPHRASE",),
    ("SECRET",),
    ("TOKEN",),
    ("API", "KEY"),
    ("APIKEY",),
    ("PRIVATE", "KEY"),
    ("PRIVATEKEY",),
    ("CREDENTIAL",),
    ("CREDENTIALS",),
    ("ACCESS", "KEY"),
    ("AUTH", "DATA"),
)
# A variable that names where a secret lives (Docker's *_FILE convention) holds no secret itself.
_REFERENCE_SUFFIXES = ("FILE", "PATH", "DIR")
_SPLIT = re.compile(r"[_\-.]+|(?<=[a-z0-9])(?=[A-Z])")


def _segments(name: str) -> list[str]:
    return [s.upper() for s in _SPLIT.split(name) if s]


def is_secret_looking_name(name: str) -> bool:
    """True when an environment variable name suggests it carries a secret value."""
    segments = _segments(name)
    if not segments or segments[-1] in _REFERENCE_SUFFIXES:
        return False
    for pattern in _SECRET_SEGMENTS:
        width = len(pattern)
        if any(tuple(segments[i : i + width]) == pattern for i in range(len(segments) - width + 1)):
            return True
    return False


#: The only Linux capability Fargate lets a task add (platform 1.4.0+); it serves security agents.
ALLOWED_ADDED_CAPABILITIES: frozenset[str] = frozenset({"SYS_PTRACE"})

#: Docker label that marks the task's security-agent sidecar: the one container that may add SYS_PTRACE.
AGENT_LABEL = "secure-fargate.security-agent"


def capability_name(name: str) -> str:
    """A capability as the pack compares it: upper case, without the ``CAP_`` prefix."""
    upper = str(name).upper()
    return upper[4:] if upper.startswith("CAP_") else upper


def capability_problems(add: Iterable[str], drop: Iterable[str]) -> list[str]:
    """Problems with a container's capability set: ALL must be dropped; only SYS_PTRACE may be added."""
    problems = []
    if "ALL" not in {capability_name(c) for c in drop}:
        problems.append('"ALL" is not dropped (drop: ["ALL"] is required)')
    extra = sorted({capability_name(c) for c in add} - ALLOWED_ADDED_CAPABILITIES)
    if extra:
        problems.append(f"adds {extra}; only SYS_PTRACE may be added")
    return problems


def memory_problems(memory_limit_mib: int | None, reservation_mib: int | None) -> list[str]:
    """Problems with one container's memory settings: a hard limit must exist and bound the reservation."""
    if memory_limit_mib is None:
        return ["has no hard memory limit (Memory)"]
    problems = []
    if memory_limit_mib < 6:
        problems.append(f"hard memory limit {memory_limit_mib} MiB is below the 6 MiB Docker minimum")
    if reservation_mib is not None and reservation_mib > memory_limit_mib:
        problems.append(f"memory reservation {reservation_mib} MiB is above the hard limit {memory_limit_mib} MiB")
    return problems


# ------------------------------------------------------------------------------------- template checks


def _values(container: Mapping[str, JSON], key: str) -> list[JSON] | _Unknown:
    return possible_values(container.get(key))


def _name(container: Mapping[str, JSON]) -> str | None:
    name = container.get("Name")
    return name if isinstance(name, str) else None


def check_privileged(container: Mapping[str, JSON]) -> str | None:
    """ECS.4: the container must not run privileged."""
    values = _values(container, "Privileged")
    if values is not UNKNOWN and any(v is True or str(v).lower() == "true" for v in values):  # type: ignore[union-attr]
        return "runs privileged (Privileged: true)"
    return None


def check_readonly_root(container: Mapping[str, JSON]) -> str | None:
    """ECS.5: ReadonlyRootFilesystem must be true; absent counts as false."""
    values = _values(container, "ReadonlyRootFilesystem")
    if values is UNKNOWN:
        return None
    if any(not (v is True or str(v).lower() == "true") for v in values):  # type: ignore[union-attr]
        return "root filesystem is writable (ReadonlyRootFilesystem is absent or false)"
    return None


def check_environment(container: Mapping[str, JSON]) -> str | None:
    """ECS.8: no secret-looking plain environment variable."""
    names = []
    for item in as_list(container.get("Environment")):
        if isinstance(item, dict) and isinstance(item.get("Name"), str) and is_secret_looking_name(item["Name"]):
            names.append(item["Name"])
    if names:
        return f"plain environment variable(s) {sorted(names)} look secret; inject them from Secrets Manager (Secrets)"
    return None


def check_logging(container: Mapping[str, JSON]) -> str | None:
    """ECS.9: every container must have a log configuration."""
    values = _values(container, "LogConfiguration")
    if values is not UNKNOWN and any(not isinstance(v, dict) or not v.get("LogDriver") for v in values):  # type: ignore[union-attr]
        return "has no LogConfiguration"
    return None


def check_user(container: Mapping[str, JSON]) -> str | None:
    """ECS.20: the container must name a non-root User; absent counts as root."""
    values = _values(container, "User")
    if values is UNKNOWN:
        return None
    roots = [v for v in values if is_root_user(None if v is None else str(v))]  # type: ignore[union-attr]
    if roots:
        shown = "absent" if roots[0] is None else repr(roots[0])
        return f"runs as root (User is {shown}); set a non-root user such as 1000:1000"
    return None


def _capabilities(container: Mapping[str, JSON]) -> tuple[Sequence[str], Sequence[str]] | _Unknown:
    linux = possible_values(container.get("LinuxParameters"))
    if linux is UNKNOWN or len(linux) != 1:  # type: ignore[arg-type]
        return UNKNOWN if linux is UNKNOWN else ([], [])
    params = linux[0]  # type: ignore[index]
    caps = params.get("Capabilities") if isinstance(params, dict) else None
    if caps is None:
        return ([], [])
    if not isinstance(caps, dict):
        return UNKNOWN
    add, drop = caps.get("Add", []), caps.get("Drop", [])
    if possible_values(add) is UNKNOWN or possible_values(drop) is UNKNOWN:
        return UNKNOWN
    return (as_list(add), as_list(drop))


def added_capabilities(container: Mapping[str, JSON]) -> list[str]:
    """The capabilities a container definition adds (upper case, without CAP_), [] when unknown."""
    caps = _capabilities(container)
    return [] if isinstance(caps, _Unknown) else sorted({capability_name(c) for c in caps[0]})


def check_capabilities(container: Mapping[str, JSON]) -> str | None:
    """SF.CAPABILITIES: drop ALL; add nothing but SYS_PTRACE."""
    caps = _capabilities(container)
    if isinstance(caps, _Unknown):
        return None
    problems = capability_problems(caps[0], caps[1])
    return "; ".join(problems) if problems else None


def is_security_agent(container: Mapping[str, JSON]) -> bool:
    """True for a container labelled as the task's security agent (and not essential to the task)."""
    labels = container.get("DockerLabels")
    marked = isinstance(labels, dict) and str(labels.get(AGENT_LABEL, "")).lower() == "true"
    return marked and container.get("Essential") is False


def ptrace_problem(added: Iterable[str], is_agent: bool) -> str | None:
    """None unless a container that is not the task's security agent adds SYS_PTRACE."""
    if "SYS_PTRACE" in {capability_name(c) for c in added} and not is_agent:
        return (
            f"adds SYS_PTRACE but is not the task's security agent (docker label {AGENT_LABEL}=true and "
            "Essential false): an application able to ptrace can read other processes' memory"
        )
    return None


def check_ptrace(container: Mapping[str, JSON]) -> str | None:
    """SF.PTRACE: only the security-agent sidecar (labelled, non-essential) may add SYS_PTRACE."""
    return ptrace_problem(added_capabilities(container), is_security_agent(container))


def _int_or_none(value: JSON) -> int | _Unknown | None:
    options = possible_values(value)
    if isinstance(options, _Unknown) or len(options) != 1:
        return UNKNOWN
    if options[0] is None:
        return None
    try:
        return int(options[0])
    except (TypeError, ValueError):
        return UNKNOWN


def container_memory(container: Mapping[str, JSON]) -> int | _Unknown | None:
    """The container's hard memory limit in MiB (None when absent)."""
    return _int_or_none(container.get("Memory"))


def check_memory(container: Mapping[str, JSON]) -> str | None:
    """SF.MEMORY: a hard memory limit, not below the reservation."""
    memory = container_memory(container)
    reservation = _int_or_none(container.get("MemoryReservation"))
    if isinstance(memory, _Unknown) or isinstance(reservation, _Unknown):
        return None
    problems = memory_problems(memory, reservation)
    return "; ".join(problems) if problems else None


def check_image(container: Mapping[str, JSON]) -> str | None:
    """SF.IMAGE: the image must be pinned (a tag other than latest, or better a digest)."""
    image = container.get("Image")
    if isinstance(image, str):
        pin = image_pin(image)
    elif isinstance(image, dict) and "Fn::Join" in image:
        # ECR images render as Join(["", [account, ".dkr.ecr.", region, ..., "/", repo, ":" + tag]]). Only a
        # literal tail that holds a "/", ":" or "@" decides the pin; anything else is a deploy-time value.
        parts = image["Fn::Join"][1] if isinstance(image["Fn::Join"], list) and len(image["Fn::Join"]) == 2 else None
        tail = parts[-1] if isinstance(parts, list) and parts else None
        if not isinstance(tail, str) or not any(mark in tail for mark in "/:@"):
            return None
        pin = image_pin("x" + tail)
    else:
        return None
    if pin in (ImagePin.LATEST, ImagePin.UNTAGGED):
        return f"image {image if isinstance(image, str) else '(ECR)'} is {pin.value}; pin a digest (@sha256:...)"
    return None
