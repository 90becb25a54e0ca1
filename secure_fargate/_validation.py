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

from . import defaults
from ._tokens import is_unresolved
from .pack.clock import expiry_problem
from .pack.containers import (
    AGENT_LABEL,
    ALLOWED_ADDED_CAPABILITIES,
    ImagePin,
    capability_problems,
    command_secret_problem,
    is_root_user,
    memory_problems,
    ptrace_problem,
    secret_value_problem,
    secret_variable_problem,
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
    if not isinstance(getattr(image, "reference", ""), str):
        return [("image.reference", image.reference, "an image reference (str), e.g. 'registry/name@sha256:<64 hex>'")]
    if image.pin() in (ImagePin.LATEST, ImagePin.UNTAGGED):
        allowed = "an image pinned by digest (name@sha256:<64 hex>) or a fixed tag; ':latest' and untagged are refused"
        return [("image", image.reference, allowed)]
    return _repository_credential_issues(image)


def _repository_credential_issues(image: Any) -> list[Issue]:
    """Private-registry credentials: a Secrets Manager secret known by its full ARN (the execution role's read is
    then on exactly that secret, not on a ``name-??????`` pattern), for a registry that is not ECR (ECR pulls use
    the execution role itself)."""
    secret = getattr(image, "repository_credentials", None)
    if secret is None:
        return []
    prop = "image.repository_credentials"
    if not hasattr(secret, "secret_arn") or not callable(getattr(secret, "grant_read", None)):
        return [(prop, secret, "a secretsmanager.ISecret holding the registry's username and password")]
    issues: list[Issue] = []
    if secret.secret_full_arn is None:
        allowed = (
            "a secret with its full ARN (created in the app, or secretsmanager.Secret.from_secret_complete_arn): "
            "a secret imported by name is granted as 'name-??????', a wildcard"
        )
        issues.append((prop, secret.secret_arn, allowed))
    elif not is_unresolved(secret.secret_full_arn) and any(c in secret.secret_full_arn for c in "*?"):
        allowed = "a secret's full ARN without wildcards: the execution role may read exactly that secret"
        issues.append((prop, secret.secret_full_arn, allowed))
    if image.in_private_registry:
        issues.append(
            (prop, image.reference, "credentials for a registry other than ECR (ECR uses the execution role)")
        )
    return issues


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
    """ECS.8 through the pack's ``secret_variable_problem`` (a secret-looking name whose value may be a secret:
    numbers, booleans, durations and short flags are not); secret values are never echoed. A ``NotSecret``
    value is a declared exception for its name (with a real reason), never for credentials in the value."""
    allowed = "non-secret values only: pass it in secrets={...: ecs.Secret.from_secrets_manager(secret, field)}"
    issues: list[Issue] = []
    for name, value in options.environment.items():
        if not isinstance(value, str) and not _declared_not_secret(value):
            # ECS takes text only; CDK would fail with a jsii serialization trace instead.
            issues.append((f"environment[{name!r}]", value, "a str (e.g. str(8080)) or NotSecret(value, reason)"))
        elif _declared_not_secret(value):
            problem = reason_problem(value.reason)
            if problem:
                issues.append((f"environment[{name!r}].reason", value.reason, problem))
        elif secret_variable_problem(name, None if is_unresolved(value) else [value]):
            issues.append((f"environment[{name!r}]", "<redacted>", allowed + ", or declare NotSecret(value, reason)"))
        carried = secret_value_problem(value.value if _declared_not_secret(value) else value)
        if carried:
            issues.append((f"environment[{name!r}]", "<redacted>", f"a value without credentials (it {carried})"))
    return issues


def check_secrets(options: Any, agent: bool) -> list[Issue]:
    """Each injected secret is an ``ecs.Secret`` (a class-level check: no jsii round trip); an
    ``sm.Secret``/``ISecret`` given directly would otherwise fail deep in CDK with a serialization trace."""
    allowed = "an ecs.Secret: ecs.Secret.from_secrets_manager(secret, field) or ecs.Secret.from_ssm_parameter(param)"
    return [
        (f"secrets[{name!r}]", value, allowed)
        for name, value in options.secrets.items()
        if not callable(getattr(type(value), "from_secrets_manager", None))
    ]


#: Container fields that take a list: a bare string would be split into characters (``command="run"`` would
#: become ``["r", "u", "n"]`` in the task definition without any error).
_SEQUENCE_FIELDS = (
    "writable_paths",
    "add_capabilities",
    "command",
    "entry_point",
    "port_mappings",
    "environment_files",
    "mount_points",
)


def check_sequences(options: Any, agent: bool) -> list[Issue]:
    return [
        (prop, getattr(options, prop), f"a list, e.g. [{getattr(options, prop)!r}], not a single string")
        for prop in _SEQUENCE_FIELDS
        if isinstance(getattr(options, prop), str)
    ]


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


def _port_problem(port: object, run_as_root: object) -> str | None:
    if not isinstance(port, int) or isinstance(port, bool) or not (1 <= port <= 65535):
        return "1-65535"
    if port < 1024 and run_as_root is None:
        return (
            "1024 or above (a non-root process with all capabilities dropped cannot bind below 1024; "
            "listen on 8080 and let the load balancer map 80/443)"
        )
    return None


def check_port(options: Any, agent: bool) -> list[Issue]:
    port = options.container_port
    if port is None or not _known(port):
        return []
    problem = _port_problem(port, options.run_as_root)
    return [("container_port", port, problem)] if problem else []


def _mapping_problem(mapping: object, run_as_root: object) -> str | None:
    port = getattr(mapping, "container_port", None)
    if not _known(port):
        return None
    problem = _port_problem(port, run_as_root)
    if problem:
        return problem
    host = getattr(mapping, "host_port", None)
    if host is not None and _known(host) and host != port:
        return "host_port omitted or equal to container_port (awsvpc networking)"
    return None


def check_port_mappings(options: Any, agent: bool) -> list[Issue]:
    """Named or unnamed mappings: valid non-root ports, no duplicate port/protocol or name."""
    issues: list[Issue] = []
    seen: set[tuple[object, str]] = set()
    names: set[str] = set()
    for i, mapping in enumerate(options.port_mappings):
        prop = f"port_mappings[{i}]"
        if not hasattr(mapping, "container_port"):
            issues.append((prop, mapping, "an ecs.PortMapping"))
            continue
        problem = _mapping_problem(mapping, options.run_as_root)
        key = (mapping.container_port, str(mapping.protocol or "tcp").lower())
        name = mapping.name
        if problem:
            issues.append((f"{prop}.container_port", mapping.container_port, problem))
        elif key in seen or (name is not None and name in names):
            issues.append((prop, (mapping.container_port, name), "no duplicate port/protocol or name"))
        seen.add(key)
        if name is not None:
            names.add(name)
    return issues


def port_mappings(options: Any) -> list[Any]:
    """The container's mappings as the task gets them: ``container_port`` (unless mapped already) first."""
    mapped = [m.container_port for m in options.port_mappings]
    shorthand = options.container_port
    extra = [{"container_port": shorthand}] if shorthand is not None and shorthand not in mapped else []
    return [*extra, *options.port_mappings]


def check_environment_files(options: Any, agent: bool) -> list[Issue]:
    allowed = "ecs.EnvironmentFile.from_bucket(bucket, key) or ecs.EnvironmentFile.from_asset(path)"
    return [
        (f"environment_files[{i}]", f, allowed)
        for i, f in enumerate(options.environment_files)
        if not callable(getattr(f, "bind", None))
    ]


def _seconds(duration: object) -> float | None:
    to_seconds = getattr(duration, "to_seconds", None)
    return to_seconds() if callable(to_seconds) else None


def check_logging(options: Any, agent: bool) -> list[Issue]:
    """A container's own log driver is an ``ecs.LogDriver``; what it renders is judged once bound
    (``SecureTaskDefinition``: ECS.9, SF.LOG_MODE, ECS.8 on its options)."""
    driver = getattr(options, "logging", None)
    if driver is None or callable(getattr(driver, "bind", None)):
        return []
    return [("logging", driver, "an ecs.LogDriver, e.g. ecs.LogDrivers.aws_logs(..., mode=...), or None")]


def check_stop_timeout(options: Any, agent: bool) -> list[Issue]:
    """Fargate allows at most 120 seconds between SIGTERM and SIGKILL."""
    if options.stop_timeout is None:
        return []
    seconds = _seconds(options.stop_timeout)
    limit = defaults.MAX_STOP_TIMEOUT_SECONDS
    if seconds is None or (_known(seconds) and not (0 <= seconds <= limit)):
        return [("stop_timeout", options.stop_timeout, f"a Duration of 0-{limit} seconds (Fargate's maximum)")]
    return []


def check_docker_labels(options: Any, agent: bool) -> list[Issue]:
    """SF.PTRACE/SF.AGENT: the reserved agent label marks the declared security agent only."""
    labels = options.docker_labels
    if not isinstance(labels, Mapping) or not all(isinstance(k, str) for k in labels):
        return [("docker_labels", labels, "a mapping of str to str")]
    if AGENT_LABEL in labels and not agent:
        allowed = f"labels other than {AGENT_LABEL!r} (reserved for security_agent=SecurityAgent(...))"
        return [(f"docker_labels[{AGENT_LABEL!r}]", labels[AGENT_LABEL], allowed)]
    return []


def check_mount_points(options: Any, agent: bool) -> list[Issue]:
    """SF.MOUNTS through the pack's ``system_path_problem``: mounts are absolute; a writable one never lands on a
    system path."""
    issues: list[Issue] = []
    declared = getattr(options, "writable_system_paths", None)
    declared = declared if isinstance(declared, Mapping) else {}
    for i, mount in enumerate(options.mount_points):
        path = getattr(mount, "container_path", None)
        if not isinstance(path, str) or not path.startswith("/"):
            issues.append((f"mount_points[{i}].container_path", path, "an absolute path such as /scratch"))
            continue
        opted_out = path in declared  # the per-path opt-out (writable_system_paths), checked there
        problem = None if getattr(mount, "read_only", False) or opted_out else system_path_problem(path)
        if problem:
            allowed = (
                f"read_only=True, a path outside the system paths, or the path in writable_system_paths with an "
                f"OptOut ({problem})"
            )
            issues.append((f"mount_points[{i}].container_path", path, allowed))
    return issues


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


def _system_path_issue(raw: object, opt_out: object, taken: Sequence[str]) -> str | None:
    """Why ``raw: opt_out`` is not a valid per-path SF.MOUNTS opt-out, or None."""
    if not isinstance(raw, str) or not raw.startswith("/"):
        return "absolute paths such as /etc/datadog-agent"
    path = posixpath.normpath(raw)
    if path == "/":
        return "a directory below /: a writable / is writable_root_filesystem=OptOut(...), not a path"
    if path != raw.rstrip("/") or "//" in raw or raw.endswith("/"):
        return "a normalized absolute path (no '..', '.', '//' or trailing '/')"
    if system_path_problem(path) is None:
        return "a path under a system directory (/etc, /usr, /lib*, ...: SF.MOUNTS); others go in writable_paths"
    for other in taken:
        if path == other or path.startswith(other + "/") or other.startswith(path + "/"):
            return f"paths that do not overlap (it overlaps {other})"
    reason = getattr(opt_out, "reason", None) if type(opt_out).__name__ == "OptOut" else None
    problem = reason_problem(reason)
    if problem:
        return f"{{path: OptOut('<why this path must be writable>')}} with {problem}"
    expiry = expiry_problem(getattr(opt_out, "expires", None))
    return f"an OptOut whose expires is a date: {expiry}" if expiry else None


def check_writable_system_paths(options: Any, agent: bool) -> list[Issue]:
    """SF.MOUNTS's per-path opt-out: each path lies under a system directory (else it belongs in
    ``writable_paths``), is normalized, overlaps no other writable path, and carries a reasoned ``OptOut``."""
    paths = options.writable_system_paths
    if not isinstance(paths, Mapping):
        return [("writable_system_paths", paths, "a mapping {path: OptOut(reason)}")]
    issues: list[Issue] = []
    taken = [posixpath.normpath(p) for p in options.writable_paths if isinstance(p, str)]
    for raw, opt_out in paths.items():
        problem = _system_path_issue(raw, opt_out, taken)
        if problem:
            issues.append((f"writable_system_paths[{raw!r}]", opt_out if isinstance(raw, str) else raw, problem))
        else:
            taken.append(raw)
    return issues


ContainerCheck = Callable[[Any, bool], list[Issue]]


def _str_mapping_problem(values: object, value_ok: Callable[[object], bool]) -> bool:
    return not isinstance(values, Mapping) or not all(isinstance(k, str) and value_ok(v) for k, v in values.items())


def check_value_types(options: Any, agent: bool) -> list[Issue]:
    """Bad types that would otherwise surface as a raw jsii trace from ``add_container``: environment values,
    secrets, label values, and a command given as one string (it would become one argument per character)."""
    issues: list[Issue] = []
    if _str_mapping_problem(options.environment, lambda v: isinstance(v, str) or _declared_not_secret(v)):
        issues.append(("environment", "<redacted>", "a mapping of str to str (or NotSecret(value, reason))"))
    if _str_mapping_problem(options.secrets, lambda v: hasattr(v, "arn") and hasattr(v, "grant_read")):
        issues.append(
            ("secrets", "<redacted>", "a mapping of str to ecs.Secret (ecs.Secret.from_secrets_manager(...))")
        )
    if isinstance(options.docker_labels, Mapping) and not all(
        isinstance(v, str) for v in options.docker_labels.values()
    ):
        issues.append(("docker_labels", options.docker_labels, "a mapping of str to str"))
    for prop in ("command", "entry_point"):
        args = getattr(options, prop)
        if args is not None and (isinstance(args, str) or not all(isinstance(a, str) for a in args)):
            issues.append((prop, "<redacted>", "a list of str, one argument each (['sh', '-c', '...'])"))
    return issues


def check_traffic_rules(rules: Sequence[tuple[str, object, object]]) -> list[Issue]:
    """Each (where, peer, port) of ``ingress``/``egress``: a CDK ``ec2.IPeer`` and a TCP port number."""
    issues: list[Issue] = []
    for where, peer, port in rules:
        if not hasattr(peer, "to_ingress_rule_config"):
            issues.append((f"{where}.peer", peer, "an ec2.IPeer (ec2.Peer.ipv4('10.0.0.0/8'), a security group, ...)"))
        number = isinstance(port, int | float) and not isinstance(port, bool)
        if not number or (_known(port) and not 1 <= port <= 65535):  # type: ignore[operator]
            issues.append((f"{where}.port", port, "a TCP port number, 1-65535"))
    return issues


def check_task_types(cpu: object, memory_mib: object) -> list[Issue]:
    """``cpu`` and ``memory_limit_mib`` are int (a str would reach jsii as a raw type error); a deploy-time
    number token (a float in Python) is not guessed."""
    return [
        (prop, value, "an int (e.g. 256, 512)")
        for prop, value in (("cpu", cpu), ("memory_limit_mib", memory_mib))
        if (not isinstance(value, int) or isinstance(value, bool)) and _known(value)
    ]


#: Every check on one container's options, in the order problems are listed.
CONTAINER_CHECKS: tuple[ContainerCheck, ...] = (
    check_name,
    check_image,
    check_privileged,
    check_capabilities,
    check_user,
    check_memory,
    check_environment,
    check_secrets,
    check_command,
    check_port,
    check_port_mappings,
    check_writable_paths,
    check_writable_system_paths,
    check_environment_files,
    check_stop_timeout,
    check_logging,
    check_docker_labels,
    check_mount_points,
    check_value_types,
)


def container_issues(options: Any, agent: bool = False) -> list[Issue]:
    """All problems of one container's options (``agent``: the task's declared security agent). A string
    where a list belongs is reported alone: judging its characters one by one would only add noise."""
    return check_sequences(options, agent) or [issue for check in CONTAINER_CHECKS for issue in check(options, agent)]


# ------------------------------------------------------------------------------------------------- the task


def check_unique_names(names: Sequence[str]) -> list[Issue]:
    return [
        ("container.name", n, "unique container names within the task")
        for n in sorted({n for n in names if names.count(n) > 1})
    ]


def check_task_size(cpu: object, memory_mib: object) -> list[Issue]:
    """SF.TASK_SIZE through the pack's ``task_size_problem``."""
    if not isinstance(cpu, int) or not isinstance(memory_mib, int) or not (_known(cpu) and _known(memory_mib)):
        return []  # a wrong type is check_task_types' to report; a token is not guessed
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
    """None leaves the count to autoscaling (DesiredCount omitted)."""
    if desired_count is None or not _known(desired_count):
        return []
    if not isinstance(desired_count, int) or isinstance(desired_count, bool) or desired_count < 0:
        return [("desired_count", desired_count, "0 or more, or None (autoscaling sets it)")]
    return []


def check_healthy_percent(minimum: object, maximum: object) -> list[Issue]:
    """Deployment bounds: 0 <= min <= 100 <= max, min < max (else a deployment can never progress)."""
    issues: list[Issue] = []
    if not isinstance(minimum, int) or not (0 <= minimum <= 100):
        issues.append(("min_healthy_percent", minimum, "0-100"))
    if not isinstance(maximum, int) or maximum < 100:
        issues.append(("max_healthy_percent", maximum, "100 or more"))
    elif isinstance(minimum, int) and minimum >= maximum:
        issues.append(("min_healthy_percent/max_healthy_percent", (minimum, maximum), "min below max"))
    return issues


def check_health_check_grace_period(grace: object) -> list[Issue]:
    if grace is None:
        return []
    seconds = _seconds(grace)
    if seconds is None or (_known(seconds) and seconds < 0):
        return [("health_check_grace_period", grace, "a Duration of 0 seconds or more")]
    return []


def _strategy_issue(i: int, strategy: object) -> Issue | None:
    provider = getattr(strategy, "capacity_provider", None)
    allowed = set(defaults.FARGATE_CAPACITY_PROVIDERS)
    if provider not in allowed:
        return (f"capacity_provider_strategies[{i}].capacity_provider", provider, f"one of {sorted(allowed)}")
    weight, base = getattr(strategy, "weight", None), getattr(strategy, "base", None)
    if weight is not None and (not isinstance(weight, int) or not 0 <= weight <= 1000):
        return (f"capacity_provider_strategies[{i}].weight", weight, "0-1000")
    if base is not None and (not isinstance(base, int) or not 0 <= base <= 100000):
        return (f"capacity_provider_strategies[{i}].base", base, "0-100000")
    return None


def check_capacity_providers(strategies: Sequence[object], enabled: Sequence[str] | None) -> list[Issue]:
    """FARGATE/FARGATE_SPOT only, one base at most, some weight; ``enabled``: the cluster's providers when known."""
    issues = [issue for i, s in enumerate(strategies) if (issue := _strategy_issue(i, s)) is not None]
    if issues or not strategies:
        return issues
    if sum(1 for s in strategies if getattr(s, "base", None)) > 1:
        issues.append(("capacity_provider_strategies", "base", "a base on one provider at most"))
    if not any(getattr(s, "weight", None) for s in strategies):
        issues.append(("capacity_provider_strategies", "weight", "a weight above 0 on at least one provider"))
    missing = sorted({getattr(s, "capacity_provider", "") for s in strategies} - set(enabled or ()))
    if enabled is not None and missing:
        allowed = (
            "providers the cluster has enabled: ecs.Cluster(..., enable_fargate_capacity_providers=True) or "
            "cluster.enable_fargate_capacity_providers() before the service"
        )
        issues.append(("capacity_provider_strategies", missing, allowed))
    return issues


def check_ephemeral_storage(gib: object) -> list[Issue]:
    low, high = defaults.EPHEMERAL_STORAGE_GIB_RANGE
    if gib is None or not _known(gib):
        return []
    if not isinstance(gib, int) or isinstance(gib, bool) or not (low <= gib <= high):
        return [("ephemeral_storage_gib", gib, f"{low}-{high} GiB (Fargate's range; unset gives 20 GiB)")]
    return []


def check_runtime_platform(platform: object) -> list[Issue]:
    """Linux only (the hardening assumes Linux; ECS.21 judges Windows users); ARM64 or X86_64 CPUs."""
    if platform is None:
        return []
    if not hasattr(platform, "operating_system_family"):
        return [("runtime_platform", platform, "an ecs.RuntimePlatform")]
    family = platform.operating_system_family
    if family is not None and family.is_windows():
        allowed = "operating_system_family LINUX (or unset: LINUX is written); cpu_architecture ARM64 or X86_64"
        return [("runtime_platform.operating_system_family", "WINDOWS", allowed)]
    return []


def _efs_issues(prop: str, efs: Any) -> list[Issue]:
    issues: list[Issue] = []
    if efs.transit_encryption != "ENABLED":
        issues.append((f"{prop}.transit_encryption", efs.transit_encryption, "'ENABLED' (ECS.18)"))
    iam = efs.authorization_config.iam if efs.authorization_config is not None else None
    if iam != "ENABLED":
        allowed = "authorization_config=ecs.AuthorizationConfig(iam='ENABLED'): the task role's grant decides access"
        issues.append((f"{prop}.authorization_config.iam", iam, allowed))
    return issues


def _volume_issues(i: int, volume: Any, seen: set[str]) -> list[Issue]:
    prop = f"volumes[{i}]"
    if not hasattr(volume, "efs_volume_configuration") or not isinstance(volume.name, str):
        return [(prop, volume, "an ecs.Volume with a name")]
    if volume.name in seen:
        return [(f"{prop}.name", volume.name, "unique volume names")]
    seen.add(volume.name)
    if volume.host is not None:
        return [
            (
                f"{prop}.host",
                volume.host.source_path,
                "no host volumes: Fargate tasks have no host to share (SF.VOLUMES)",
            )
        ]
    if volume.docker_volume_configuration is not None:
        return [(f"{prop}.docker_volume_configuration", volume.name, "none: Docker volumes do not exist on Fargate")]
    if volume.efs_volume_configuration is not None:
        return _efs_issues(f"{prop}.efs_volume_configuration", volume.efs_volume_configuration)
    return []


def check_volumes(volumes: Sequence[object]) -> list[Issue]:
    """Task volumes: bind mounts (scratch on the task's storage) and EFS with TLS and IAM authorization."""
    seen: set[str] = set()
    return [issue for i, v in enumerate(volumes) for issue in _volume_issues(i, v, seen)]


def check_mount_sources(mounts: Sequence[tuple[str, object]], volume_names: Sequence[str]) -> list[Issue]:
    """Each mount point names a volume of the task (``volumes``)."""
    return [
        (
            f"{prop}.source_volume",
            getattr(mount, "source_volume", None),
            f"one of the task's volumes {sorted(volume_names)}",
        )
        for prop, mount in mounts
        if getattr(mount, "source_volume", None) not in volume_names
    ]


def check_tags(tags: object) -> list[Issue]:
    """Tags are text, and ``aws:`` keys are AWS's own (CloudFormation refuses them at deploy)."""
    if not isinstance(tags, Mapping):
        return [("tags", tags, "a mapping of str to str, e.g. {'team': 'payments'}")]
    issues: list[Issue] = []
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, str):
            issues.append((f"tags[{key!r}]", value, "str keys and str values"))
        elif key.lower().startswith("aws:"):
            issues.append((f"tags[{key!r}]", value, "a key without the reserved 'aws:' prefix"))
    return issues


def check_service_connect(props: object, port_names: Sequence[str], cluster_namespace: bool) -> list[Issue]:
    """Service Connect names a port mapping of the task, in a namespace given here or the cluster's default
    (CDK would raise a plain error, or none until deploy)."""
    if props is None:
        return []
    issues: list[Issue] = []
    if getattr(props, "namespace", None) is None and not cluster_namespace:
        allowed = "a namespace: ServiceConnectProps(namespace=...) or the cluster's default_cloud_map_namespace"
        issues.append(("service_connect_configuration.namespace", None, allowed))
    for i, service in enumerate(getattr(props, "services", None) or ()):
        name = getattr(service, "port_mapping_name", None)
        if name not in port_names:
            allowed = (
                f"the name of a port mapping of the task {sorted(port_names)}: "
                "ContainerOptions(port_mappings=[ecs.PortMapping(container_port=..., name=...)])"
            )
            issues.append((f"service_connect_configuration.services[{i}].port_mapping_name", name, allowed))
    return issues


#: A Private CA ARN: arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>.
_PRIVATE_CA_ARN = re.compile(r"^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority/[A-Za-z0-9-]+$")


def check_service_connect_tls(tls: object, props: object) -> list[Issue]:
    """``service_connect_tls`` needs Service Connect with at least one client-server entry, and a Private CA (an
    ``acmpca.ICertificateAuthority`` or its ARN, checked when literal)."""
    if tls is None:
        return []
    issues: list[Issue] = []
    if props is None or not getattr(props, "services", None):
        allowed = "service_connect_configuration with services (client-server entries) to serve over TLS"
        issues.append(("service_connect_tls", "<no Service Connect services>", allowed))
    authority = getattr(tls, "certificate_authority", None)
    if isinstance(authority, str):
        if not is_unresolved(authority) and not _PRIVATE_CA_ARN.match(authority):
            allowed = "an AWS Private CA ARN (arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>)"
            issues.append(("service_connect_tls.certificate_authority", authority, allowed))
    elif not hasattr(authority, "certificate_authority_arn"):  # an acmpca.ICertificateAuthority
        allowed = "an acmpca.ICertificateAuthority or a Private CA ARN"
        issues.append(("service_connect_tls.certificate_authority", authority, allowed))
    for name, attribute, kind in (("kms_key", "key_arn", "a kms.IKey"), ("role", "role_arn", "an iam.IRole")):
        value = getattr(tls, name, None)
        if value is not None and not hasattr(value, attribute):
            issues.append((f"service_connect_tls.{name}", value, f"{kind}, or None for a new one"))
    return issues


def check_port_names(names: Sequence[str]) -> list[Issue]:
    """Service Connect finds a port mapping by name: names are unique within the task."""
    return [
        ("port_mappings.name", n, "port mapping names unique within the task")
        for n in sorted({n for n in names if names.count(n) > 1})
    ]


#: The pack predicates each check relies on, as (module, name): tests/test_architecture.py replaces each with a
#: spy and proves the check really calls it.
_HERE = __name__
VALIDATOR_PREDICATES: Mapping[Callable[..., list[Issue]], tuple[tuple[str, str], ...]] = {
    check_image: (("secure_fargate.images", "image_pin"),),
    check_capabilities: ((_HERE, "capability_problems"), (_HERE, "ptrace_problem")),
    check_user: ((_HERE, "is_root_user"),),
    check_memory: ((_HERE, "memory_problems"),),
    check_environment: ((_HERE, "secret_variable_problem"), (_HERE, "secret_value_problem")),
    check_command: ((_HERE, "command_secret_problem"),),
    check_writable_paths: ((_HERE, "system_path_problem"),),
    check_writable_system_paths: ((_HERE, "system_path_problem"),),
    check_task_size: ((_HERE, "task_size_problem"),),
    check_memory_budget: ((_HERE, "memory_budget_problem"),),
    check_mount_points: ((_HERE, "system_path_problem"),),
}
