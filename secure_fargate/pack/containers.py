"""Container-level controls: the value predicates the constructs use, and the checks over a container definition.

Each control's logic lives here exactly once. ``SecureFargateService`` calls the predicates on its inputs
(``is_root_user``, ``image_pin``, ``is_secret_looking_name``, ``capability_problems``, ``memory_problems``);
the guardrail pack calls the ``check_*`` functions on each container definition of a template (synthesized
by our constructs or by anything else).

A ``check_*`` function takes one CloudFormation ``ContainerDefinitions`` item and returns a message when the
container violates the control, or None (compliant, or unknown because of an unresolvable intrinsic).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum

from . import _secret_places as places
from . import examples as ex
from ._template import (
    ABSENT,
    JSON,
    UNKNOWN,
    UNKNOWN_PART,
    _Unknown,
    is_intrinsic,
    is_true,
    items,
    literal_value,
    may_be_true,
    partial_strings,
    possible_values,
    shallow_branches,
    shallow_values,
)
from .control import FSBP, HIGH, LOW, MEDIUM, Scope, container_control

# --------------------------------------------------------------------------------------------- predicates


#: A uid as Go's ``strconv.Atoi`` reads it (runc parses ``user`` with it): ASCII digits with an optional sign.
_ATOI = re.compile(r"[+-]?[0-9]+")


def is_root_user(user: str | None) -> bool:
    """True when ``user`` runs the process as root, judged the way runc parses ``uid[:gid]``.

    Root is: absent or empty (the image default, usually root), ``root`` in any case, or a uid that Go's
    ``strconv.Atoi`` reads as 0 (``0``, ``00``, ``+0``, ``-0``, ``0:0``). runc does not trim whitespace (``" 0"``
    would be a user *name* that does not exist, and the container fails to start); we trim anyway, so a runtime
    that does trim cannot run such a value as root. A name the image's ``/etc/passwd`` maps to uid 0 (other
    than ``root``) cannot be seen in a template.
    """
    if user is None:
        return True
    name = str(user).strip().split(":", 1)[0].strip()
    if name == "" or name.lower() == "root":
        return True
    return bool(_ATOI.fullmatch(name)) and name.lstrip("+-").strip("0") == ""  # any length: no int()


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


# Name segments that mark an environment variable as holding a secret value. Matched on whole segments of the
# name split at "_", "-", "." and camelCase boundaries, so DB_PASSWORD and apiKey match but TOKENIZER_MODEL does
# not. Security Hub ECS.8 looks for AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and ECS_ENGINE_AUTH_DATA; we are
# stricter.
_SECRET_SEGMENTS: tuple[tuple[str, ...], ...] = (
    ("PASSWORD",),
    ("PASSWD",),
    ("PASSPHRASE",),
    ("SECRET",),
    ("TOKEN",),
    ("APIKEY",),
    ("PRIVATEKEY",),
    ("CREDENTIAL",),
    ("CREDENTIALS",),
    ("AUTH", "DATA"),
    # Keys that are secrets by kind: their short values are not taken for flags (``API_KEY=abc123``).
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("PRIVATE", "KEY"),
    ("SIGNING", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("MASTER", "KEY"),
)
#: Secret only as the last segment: DB_PASS, DB_PWD, STRIPE_KEY (but PASS_THROUGH, KEY_ID are not).
_SECRET_LAST_SEGMENTS = frozenset({"PASS", "PWD", "KEY", "PASSWORD", "PASSWD"})
#: ``<X>_KEY`` names that are identifiers, not keys to anything.
_NON_SECRET_KEY_KINDS = frozenset(
    {"PUBLIC", "SORT", "PARTITION", "HASH", "RANGE", "PRIMARY", "FOREIGN", "CACHE", "ROUTING", "OBJECT", "S3", "BUCKET",
     "SITE", "PUBLISHABLE"}
)  # fmt: skip
#: Names that are secrets by definition (Security Hub ECS.8's list, and the AWS session token).
_SECRET_NAMES = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ECS_ENGINE_AUTH_DATA"})
#: Names that look secret but are not: the shell's working directories.
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD"})
# A variable that names or points to a secret (Docker's *_FILE convention, an ARN, a URL, a lifetime) holds no
# secret itself; its value is still scanned for embedded credentials.
_REFERENCE_SUFFIXES = frozenset(
    {
        "FILE", "PATH", "DIR", "URL", "URI", "ARN", "NAME", "ID", "TTL", "SECONDS", "MINUTES", "HOURS", "MS",
        "TIMEOUT", "EXPIRY", "LENGTH", "SIZE", "COUNT", "HEADER", "ENDPOINT", "HOST", "PORT", "REGION", "VERSION",
        "TYPE", "ALGORITHM", "ENABLED",
    }
)  # fmt: skip
_SPLIT = re.compile(r"[_\-.]+|(?<=[a-z0-9])(?=[A-Z])")


def _segments(name: str) -> list[str]:
    return [s.upper() for s in _SPLIT.split(name) if s]


#: Words that mark a secret even glued to a prefix in one segment (PGPASSWORD, MYSQLPASSWD, DBPASSPHRASE).
_SECRET_SUFFIX_WORDS: tuple[str, ...] = ("PASSWORD", "PASSWD", "PASSPHRASE")


def _has_secret_segment(segments: list[str]) -> bool:
    if any(s.endswith(_SECRET_SUFFIX_WORDS) for s in segments):
        return True
    for pattern in _SECRET_SEGMENTS:
        width = len(pattern)
        if any(tuple(segments[i : i + width]) == pattern for i in range(len(segments) - width + 1)):
            return True
    return False


def is_secret_looking_name(name: str) -> bool:
    """True when an environment variable (or command-line option) name suggests it carries a secret value.

    Secret: PASSWORD, SECRET, TOKEN, CREDENTIALS, ... anywhere in the name; PASS, PWD and KEY as its last segment
    (``DB_PASS``, ``DB_PWD``, ``STRIPE_KEY``; not ``PUBLIC_KEY`` or ``SORT_KEY``). Not secret: names ending in a
    reference suffix (``_URL``, ``_URI``, ``_ARN``, ``_NAME``, ``_ID``, ``_TTL``, ``_SECONDS``, ``_FILE``,
    ``_PATH``, ...), such as ``OAUTH_TOKEN_URL``, ``TOKEN_TTL_SECONDS``, ``SECRET_NAME``, ``DB_SECRET_ARN``,
    ``API_KEY_ID``; their values are scanned by ``secret_value_problem`` instead. ``AWS_ACCESS_KEY_ID`` is secret
    (Security Hub ECS.8 names it).
    """
    segments = _segments(str(name))
    if str(name).upper() in _SECRET_NAMES:
        return True
    if not segments or str(name).upper() in _NOT_SECRET_NAMES or segments[-1] in _REFERENCE_SUFFIXES:
        return False
    if _has_secret_segment(segments):
        return True
    last = segments[-1]
    if last not in _SECRET_LAST_SEGMENTS:
        return False
    return not (last == "KEY" and len(segments) > 1 and segments[-2] in _NON_SECRET_KEY_KINDS)


# --- judging the value of a secret-looking variable: numbers, booleans, durations and flags are not secrets ---

#: Names whose marker is a password (DB_PASSWORD, PGPASSWORD, DB_PASS, DB_PWD): a number of 4+ digits there may be a
#: PIN or a numeric password, so only short numbers (rounds, ages) pass.
_PASSWORD_SEGMENTS = ("PASSWORD", "PASSWD", "PASSPHRASE")
_NUMBER_VALUE = re.compile(r"[+-]?([0-9]{1,12})(?:\.[0-9]{1,6})?")
_BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "enable", "disable"})
_DURATION = re.compile(
    r"(?:[0-9]+(?:\.[0-9]+)?\s*(?:ns|us|µs|ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?))+"
    r"|P(?=[0-9T])(?:[0-9]+[YMWD])*(?:T(?:[0-9]+(?:\.[0-9]+)?[HMS])+)?",
    re.IGNORECASE,
)
_SIZE = re.compile(r"[0-9]+(?:\.[0-9]+)?\s*(?:[KMGT]i?B?|bytes?)", re.IGNORECASE)
#: Keys made to be published: Stripe publishable keys (``pk_live_...``, ``pk_test_...``).
_PUBLIC_KEY_VALUE = re.compile(r"pk_(?:live|test)_[A-Za-z0-9]{8,}")
#: A short flag or identifier (``new-checkout``, ``checkout.v2``): the value of a ``*_KEY`` that names a thing.
_FLAG = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_.:/][A-Za-z0-9]+)*")
_FLAG_MAX_LENGTH = 32


def _is_password_name(segments: list[str]) -> bool:
    return any(s.endswith(_PASSWORD_SEGMENTS) for s in segments) or segments[-1] in ("PASS", "PWD")


def _is_key_name_only(name: str, segments: list[str]) -> bool:
    """True when a trailing ``KEY`` is the name's only secret marker (``FEATURE_FLAG_KEY``, not ``SECRET_KEY``)."""
    return str(name).upper() not in _SECRET_NAMES and not _has_secret_segment(segments) and segments[-1] == "KEY"


def looks_random(value: str) -> bool:
    """A long literal mixing letters and digits, as generated keys and tokens do."""
    text = value.strip()
    return len(text) >= 24 or (len(text) >= 16 and any(c.isdigit() for c in text) and any(c.isalpha() for c in text))


def _plain_text(text: str, password: bool, key_only: bool) -> bool:
    number = _NUMBER_VALUE.fullmatch(text)
    if number:
        return not password or len(number.group(1)) < 4
    if text.lower() in _BOOLEAN_WORDS or _DURATION.fullmatch(text) or _SIZE.fullmatch(text):
        return True
    if _PUBLIC_KEY_VALUE.fullmatch(text):
        return True
    return key_only and len(text) <= _FLAG_MAX_LENGTH and bool(_FLAG.fullmatch(text)) and not looks_random(text)


def is_plain_value(name: str, value: object) -> bool:
    """True when ``value`` cannot be the secret ``name`` suggests: empty; a number (under a password name, one
    of at most 3 digits); a boolean; a duration (``30s``, ``1h30m``, ``PT15M``); a size (``512Mi``); a Stripe
    publishable key (``pk_live_...``); and, for a name whose only marker is a trailing ``KEY``
    (``FEATURE_FLAG_KEY``), a short flag or identifier (``new-checkout``, at most 32 characters, not random-looking).
    """
    segments = _segments(str(name)) or [""]
    password = _is_password_name(segments)
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return _plain_text(str(abs(int(value))), password, False)
    if not isinstance(value, str):
        return False
    return _plain_text(value.strip(), password, _is_key_name_only(name, segments)) or not value.strip()


def secret_variable_problem(name: str, values: list[object] | None) -> str | None:
    """ECS.8 for one plain variable: None unless ``name`` looks secret and a value it may take could be that
    secret (``values`` None: known only at deploy time, judged as a possible secret); the value-shape detectors
    (``secret_value_problem``) run separately, whatever the name."""
    if not is_secret_looking_name(name):
        return None
    if values is None:
        return f"plain environment variable {name} looks secret and its value is known only at deploy time"
    if all(is_plain_value(name, v) for v in values):
        return None
    return (
        f"plain environment variable {name} looks secret and its value is not a number, boolean, duration, size or "
        "short flag"
    )


#: Shapes of credentials in a value (never echoed: a finding names the variable or argument only).
#: Every shape runs in linear time, whatever the value (a hostile template must not stall the hook or CI): each
#: starts at a fixed literal (``://``, ``-----BEGIN``, a token prefix at a word boundary), ends with a bounded
#: count (``{32}``, not ``{32,}``: the first 32 characters decide, the rest adds nothing) and takes its runs
#: possessively (``*+``, ``++``) where what follows the run cannot be part of it. ``bench/hostile_bench.py``
#: measures it on 1 MB templates built to make a backtracking pattern quadratic.
_SECRET_VALUE_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "credentials in a URL (scheme://user:password@host)",
        re.compile(r"(?<=[A-Za-z0-9+.\-])://[^/\s:@]*+:[^/\s@]++@"),
    ),
    ("an AWS access key ID", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("a private key (PEM)", re.compile(r"-----BEGIN (?:[A-Z0-9]++ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22})")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10}")),
    ("a Slack webhook", re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9]++/B[A-Za-z0-9]++/[A-Za-z0-9]")),
    ("a Stripe key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("an npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}")),
    ("an OpenAI-style key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{32}")),
    ("a JSON web token", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}+\.eyJ[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8}")),
    ("an HTTP authorization credential", re.compile(r"(?i)\b(?:bearer|basic)\s++[A-Za-z0-9._~+/=\-]{16}")),
)


def secret_value_problem(value: object) -> str | None:
    """What kind of credential ``value`` carries (never the value itself), or None.

    Recognises credentials embedded in a URL (``scheme://user:pass@host``) and well-known key shapes: AWS access
    key IDs (AKIA/ASIA...), PEM private keys, GitHub/GitLab/Slack/Stripe/Google/npm tokens, JSON web tokens and
    bearer/basic authorization values.
    """
    if not isinstance(value, str):
        return None
    for kind, shape in _SECRET_VALUE_SHAPES:
        if shape.search(value):
            return f"holds {kind}"
    return None


_OPTION = re.compile(r"-{1,2}([A-Za-z][A-Za-z0-9_.\-]*)(?:=(.*))?", re.DOTALL)
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.+)", re.DOTALL)


def _is_literal_secret(value: str | None) -> bool:
    """A non-empty value that is not read from the environment at run time (``$VAR``, ``${VAR}``)."""
    return bool(value) and not str(value).startswith("$")


def _token_problem(token: str, following: str | None) -> str | None:
    """The problem with one command-line token (and the token after it, for ``--password value``)."""
    found = secret_value_problem(token)
    if found:
        return found
    option = _OPTION.fullmatch(token)
    if option and is_secret_looking_name(option.group(1)):
        value = option.group(2) if option.group(2) is not None else following
        if _is_literal_secret(value):
            return f"passes a literal value to the secret-looking option --{option.group(1)}"
    assignment = _ASSIGNMENT.fullmatch(token)
    if assignment and is_secret_looking_name(assignment.group(1)) and _is_literal_secret(assignment.group(2)):
        return f"assigns a literal value to the secret-looking variable {assignment.group(1)}"
    return None


def _tokens(arg: str) -> list[str]:
    """One argument as a shell would split it (``sh -c "app --password=x"``), or on whitespace."""
    try:
        return shlex.split(arg) if len(arg) < 100_000 else arg.split()
    except ValueError:
        return arg.split()


def command_secret_problem(args: Sequence[str | None]) -> str | None:
    """What secret a command line (``Command`` or ``EntryPoint``) carries, naming the argument position only.

    Flags ``--password=...``/``--token value`` (any option whose name looks secret, unless its value comes from
    the environment: ``$DB_PASSWORD``), ``DB_PASSWORD=...`` assignments and credential-shaped values, also
    inside a shell string (``sh -c "..."``). ``None`` items are unknown (deploy-time) arguments.
    """
    for index, arg in enumerate(args):
        if not isinstance(arg, str):
            continue
        tokens = _tokens(arg)
        following = args[index + 1] if index + 1 < len(args) else None
        for position, token in enumerate(tokens):
            after = tokens[position + 1] if position + 1 < len(tokens) else following
            problem = _token_problem(token, after if isinstance(after, str) else None)
            if problem:
                return f"argument {index} {problem}"
    return None


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


#: Trees of the system's binaries, libraries and configuration: no writable mount at or below them (nor "/").
SYSTEM_PATHS: tuple[str, ...] = ("/bin", "/sbin", "/etc", "/boot", "/proc", "/sys", "/dev")
#: Under ``/usr``, path segments that name code or configuration (``bin``, ``cgi-bin``, ``lib64``, ``conf.d``,
#: ``python3.12``, ``site-packages``, ...): a writable mount through one of them fails.
_CODE_SEGMENT = re.compile(
    r"(.*bin|lib.*|include|etc|conf.*|modules|python.*|perl.*|ruby.*|site-packages|dist-packages|node_modules)",
    re.IGNORECASE,
)
#: How deep below ``/usr`` a data directory lies: ``/usr/<share|local>/<package>/<data>``. The levels above
#: (``/usr/local``, ``/usr/local/apache2``) hold a package's ``bin``/``lib``/``conf`` and fail.
_USR_DATA_DEPTH = 3


def _normalized_path(path: str) -> str:
    """``path`` as the kernel resolves it lexically: absolute, no ``.``/``..``/duplicate or trailing slashes."""
    normal = posixpath.normpath("/" + path.strip())
    return "/" + normal.lstrip("/")


def _is_system_path(normal: str) -> bool:
    parts = [p for p in normal.split("/") if p]
    if not parts or parts[0].startswith("lib") or any(normal == p or normal.startswith(p + "/") for p in SYSTEM_PATHS):
        return True
    if parts[0] != "usr":
        return False
    below = parts[1:]
    return len(below) < _USR_DATA_DEPTH or any(_CODE_SEGMENT.fullmatch(p) for p in below)


def system_path_problem(path: str) -> str | None:
    """SF.MOUNTS: None unless a writable mount at ``path`` covers the system's binaries, libraries or
    configuration: ``/``, ``/bin``, ``/sbin``, ``/lib*``, ``/etc``, ``/boot``, ``/proc``, ``/sys``, ``/dev`` and
    below; ``/usr`` and its first two levels (``/usr/local``, ``/usr/local/apache2``: they hold ``bin``, ``lib``,
    ``conf``); and any path under ``/usr`` through a code or configuration directory (``bin``, ``cgi-bin``,
    ``lib*``, ``libexec``, ``include``, ``etc``, ``conf*``, ``modules``, ``python*``, ``perl*``, ``ruby*``,
    ``site-packages``, ``node_modules``). Data directories below that pass: httpd's ``/usr/local/apache2/htdocs``,
    nginx's ``/usr/share/nginx/html``. Judged after normalising ``//``, ``.`` and ``..``."""
    normal = _normalized_path(str(path))
    if _is_system_path(normal):
        return f"a writable mount over the system path {normal} can replace the system's binaries or configuration"
    return None


#: Log drivers that ship logs off the task, with the option naming their destination (None: none needed).
LOG_DRIVER_DESTINATIONS: dict[str, str | None] = {
    "awslogs": "awslogs-group",
    "awsfirelens": None,  # the destination lives in the FireLens router's configuration
    "splunk": "splunk-url",
    "fluentd": "fluentd-address",
    "gelf": "gelf-address",
    "syslog": "syslog-address",
}


def log_configuration_problem(driver: str, option_names: Iterable[str]) -> str | None:
    """ECS.9: None when ``driver`` ships logs somewhere (with its destination option), else what is wrong.

    ``none`` discards logs; ``json-file``, ``journald`` and ``local`` keep them on the host only (and Fargate
    rejects them); an unknown driver is refused. awslogs needs ``awslogs-group``, splunk ``splunk-url``, fluentd
    ``fluentd-address``, gelf ``gelf-address``, syslog ``syslog-address``; awsfirelens takes its destination from
    the log router.
    """
    if driver not in LOG_DRIVER_DESTINATIONS:
        return f"log driver {driver!r} does not ship logs anywhere; use one of {sorted(LOG_DRIVER_DESTINATIONS)}"
    needed = LOG_DRIVER_DESTINATIONS[driver]
    if needed is not None and needed not in set(option_names):
        return f"log driver {driver} has no destination (option {needed})"
    return None


def forged_agent_problem(essential: bool, has_port_mappings: bool) -> str | None:
    """SF.AGENT: a container labelled as the security agent must be non-essential and serve no port."""
    if essential or has_port_mappings:
        return (
            f"is labelled {AGENT_LABEL}=true but is "
            + ("essential" if essential else "serving ports")
            + ": a security agent is a non-essential sidecar with no port mappings"
        )
    return None


def agent_count_problem(count: int) -> str | None:
    """SF.AGENT: at most one security agent per task."""
    return f"declares {count} security agents ({AGENT_LABEL}=true); a task has at most one" if count > 1 else None


# ------------------------------------------------------------------------------------- template checks
#
# Container checks judge every possible value of a property (every known branch of an Fn::If, every literal an
# intrinsic evaluates to); a value known only at deploy time is never a violation.

Items = list[tuple[str | None, str]]


def _values(container: Mapping[str, JSON], key: str) -> list[JSON] | _Unknown:
    return possible_values(container.get(key))


def container_name(container: Mapping[str, JSON]) -> str | None:
    """The container's name when it is known (a literal, or an intrinsic over literals)."""
    name = literal_value(container.get("Name"))
    return name if isinstance(name, str) else None


@container_control(
    "ECS.4",
    title="Containers do not run privileged",
    requirement="no privileged container",
    severity=HIGH,
    severity_reason="Security Hub rates ECS.4 High: a privileged container owns the host's devices and capabilities",
    standards=(FSBP,),
    acknowledgeable=False,
    rationale="A privileged container has every capability and device of the host; Fargate rejects it at deploy.",
    remediation="remove Privileged or set it false; add the one capability needed (only SYS_PTRACE on Fargate) instead",
    source="CON316: drop Linux capabilities; Security Hub ECS.4",
    failing=ex.task(ex.container(Privileged=True)),
    passing=ex.task(ex.container(Privileged=False)),
)
def check_privileged(container: Mapping[str, JSON]) -> str | None:
    """ECS.4: the container must not run privileged."""
    values = _values(container, "Privileged")
    if not isinstance(values, _Unknown) and any(may_be_true(v) for v in values):
        return "runs privileged (Privileged: true)"
    return None


@container_control(
    "ECS.5",
    linux_only=True,
    title="Containers have a read-only root filesystem",
    requirement="`ReadonlyRootFilesystem: true` (absent fails)",
    severity=HIGH,
    severity_reason="Security Hub rates ECS.5 High: a writable root lets an intruder drop tools and persist",
    standards=(FSBP,),
    rationale="A writable root lets an intruder drop tools and persist; writable paths should be explicit volumes.",
    remediation="ReadonlyRootFilesystem: true and mount writable paths as task volumes "
    "(ContainerOptions.writable_paths)",
    source="CON316: read-only root filesystems with separate writable volumes; Security Hub ECS.5",
    failing=ex.task(ex.container(ReadonlyRootFilesystem=False)),
    passing=ex.task(ex.container(ReadonlyRootFilesystem=True)),
)
def check_readonly_root(container: Mapping[str, JSON]) -> str | None:
    """ECS.5: ReadonlyRootFilesystem must be true; absent counts as false."""
    values = _values(container, "ReadonlyRootFilesystem")
    if not isinstance(values, _Unknown) and any(not is_true(v) for v in values):
        return "root filesystem is writable (ReadonlyRootFilesystem is absent or false)"
    return None


def _strings(value: JSON) -> list[str]:
    values = possible_values(value)
    return [] if isinstance(values, _Unknown) else [v for v in values if isinstance(v, str)]


def _variable_problem(name: str, values: list[JSON] | None) -> str | None:
    for value in values or []:
        problem = secret_value_problem(value)
        if problem:
            return f"plain environment variable {name} {problem}; inject it from Secrets Manager (Secrets)"
    problem = secret_variable_problem(name, values)
    return f"{problem}; inject it from Secrets Manager (Secrets)" if problem else None


def environment_problems(container: Mapping[str, JSON]) -> Items:
    """ECS.8 per variable: (variable name, message) for each credential-carrying variable, and each secret-looking
    one whose value may be a secret (known only at deploy time, or not a number, boolean, duration or flag)."""
    found: Items = []
    for variable in items(container.get("Environment")):
        if not isinstance(variable, dict):
            continue
        possible = possible_values(variable.get("Value"))
        values = None if isinstance(possible, _Unknown) else list(possible)
        for name in _strings(variable.get("Name")):
            problem = _variable_problem(name, values)
            if problem and (name, problem) not in found:
                found.append((name, problem))
    return found


def _arguments(value: JSON) -> list[list[str | None]]:
    """Each possible argument list of Command/EntryPoint; an argument with several values gives one list each."""
    result: list[list[str | None]] = []
    for option in shallow_values(value):
        if not isinstance(option, list):
            continue
        variants: list[list[str | None]] = [[]]
        for arg in option:
            values: list[str | None] = list(_strings(arg)) or [None]
            # Every branch of an argument, in place (so "--password" still precedes its value), bounded.
            variants = [[*v, value] for v in variants for value in values][:MAX_ARGUMENT_VARIANTS]
        result.extend(variants)
    return result


#: Most argument lists judged for one Command/EntryPoint (each Fn::If argument doubles them).
MAX_ARGUMENT_VARIANTS = 64


def command_problems(container: Mapping[str, JSON]) -> Items:
    """ECS.8 on the command line: (``Command``/``EntryPoint``, message) when either carries a secret."""
    found: Items = []
    for key in ("EntryPoint", "Command"):
        for args in _arguments(container.get(key)):
            problem = command_secret_problem(args)
            if problem:
                found.append((key, f"{key} {problem}; inject it from Secrets Manager (Secrets) instead"))
                break
    return found


@container_control(
    "ECS.8",
    scope=Scope.VARIABLE,
    title="No secret in plain environment variables or on the command line",
    requirement="no secret in plain `Environment` (by name: `*PASSWORD*` (also glued, `PGPASSWORD`), `*SECRET*`, "
    "`*TOKEN*`, `*_PASS`, `*_PWD`, `*_KEY`; by value: `scheme://user:pass@`, `AKIA…`/`ASIA…`, PEM private "
    "keys, GitHub/GitLab/Slack/Stripe/Google/npm tokens, JWTs, bearer/basic credentials) nor on the "
    "`Command`/`EntryPoint` (`--password=…`, `DB_PASSWORD=…`, also inside `sh -c`); nor a "
    "`{{resolve:secretsmanager:…}}`/`{{resolve:ssm-secure:…}}` dynamic reference in any field, a secret-looking "
    "log option or docker label with a value (or a credential-shaped one), a secret in an environment "
    "file that is an asset of the cloud assembly, a `Secrets` entry read from an `AWS::SSM::Parameter` the "
    "template itself declares (a plain String); one finding per variable or place, values never echoed",
    severity=HIGH,
    severity_reason="Security Hub rates ECS.8 High: a plaintext credential is readable by every "
    "DescribeTaskDefinition caller",
    standards=(FSBP,),
    rationale="Environment values and command lines are visible in the task definition to every "
    "ecs:DescribeTaskDefinition caller, and in logs; secret names are judged by name (DB_PASS, STRIPE_KEY, ...) and "
    "values by shape (scheme://user:pass@, AKIA..., PEM keys, tokens).",
    remediation="move the value to Secrets (ValueFrom a Secrets Manager secret or SSM parameter: "
    "ContainerOptions.secrets)",
    source="CON316: secrets from Secrets Manager, not environment variables; Security Hub ECS.8",
    failing=ex.task(ex.container(Environment=[{"Name": "DB_PASSWORD", "Value": "hunter2-prod"}])),
    passing=ex.task(
        ex.container(
            Secrets=[{"Name": "DB_PASSWORD", "ValueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"}]
        )
    ),
)
def check_environment(container: Mapping[str, JSON]) -> Items:
    """ECS.8: no secret in plain environment variables (by name or by value), on the command line, in a dynamic
    reference, a log option, a docker label, an environment file asset or a template-made SSM parameter."""
    return (
        environment_problems(container)
        + command_problems(container)
        + places.dynamic_reference_problems(container)
        + places.option_problems(container, is_secret_looking_name, secret_value_problem)
        + places.environment_file_problems(container, _variable_problem)
        + places.plain_parameter_problems(container)
    )


def _log_problem(config: JSON) -> str | None:
    if not isinstance(config, dict):
        return "has no LogConfiguration"
    drivers = _strings(config.get("LogDriver"))
    if not drivers and config.get("LogDriver") is None:
        return "has no log driver (LogConfiguration.LogDriver)"
    options = [ABSENT] if config.get("Options") is None else shallow_values(config.get("Options"))
    if "awsfirelens" in drivers and _discarding_output([o for o in options if isinstance(o, dict)]):
        return "routes its logs through FireLens to an output that discards them (Name null/counter)"
    for option in options:  # every branch of the options; an unknown branch is not guessed
        if option is not ABSENT and (not isinstance(option, dict) or is_intrinsic(option)):
            continue
        names = [k for k, v in (option or {}).items() if not _may_not_be_set(v)]
        for driver in drivers:
            problem = log_configuration_problem(driver, names)
            if problem:
                return problem
    return None


def _may_not_be_set(value: JSON) -> bool:
    """True when an option value may be absent or empty in some branch (``AWS::NoValue``, ``""``)."""
    return any(v is ABSENT or v == "" for v in shallow_values(value)) or value is None or value == ""


#: Fluent Bit outputs that keep nothing: ``null`` discards records, ``counter`` only counts them.
_DISCARDING_OUTPUTS = frozenset({"null", "counter"})


def _discarding_output(options: list[Mapping[str, JSON]]) -> bool:
    """True when an ``awsfirelens`` option set may name a discarding Fluent Bit output (``Name: null``)."""
    return any(
        name.strip().lower() in _DISCARDING_OUTPUTS
        for option in options
        for key, value in option.items()
        if key.lower() == "name"
        for name in _strings(value)
    )


@container_control(
    "ECS.9",
    title="Containers ship logs: a real log driver with its destination",
    requirement="every container ships its logs: a real driver with its destination (`awslogs` + `awslogs-group`, "
    "`splunk` + `splunk-url`, `fluentd` + `fluentd-address`, `gelf` + `gelf-address`, `syslog` + "
    "`syslog-address`, or `awsfirelens`); `none`, `json-file`, `journald`, `local` and unknown drivers "
    "fail, and so does `awsfirelens` whose output `Name` is `null` or `counter` (Fluent Bit discards the records)",
    severity=HIGH,
    severity_reason="Security Hub rates ECS.9 High: without logs there is no trail for detection or response",
    standards=(FSBP,),
    rationale="Without logs there is no trail of what ran: LogDriver none, host-only drivers (json-file, journald) "
    "and a driver without its destination (awslogs without awslogs-group) keep none.",
    remediation="LogConfiguration with LogDriver awslogs and an awslogs-group option (SecureFargateService creates "
    "the log group)",
    source="Security Hub ECS.9",
    failing=ex.task(ex.container(LogConfiguration={"LogDriver": "json-file"})),
    passing=ex.task(
        ex.container(LogConfiguration={"LogDriver": "awslogs", "Options": {"awslogs-group": {"Ref": "Logs"}}})
    ),
)
def check_logging(container: Mapping[str, JSON]) -> str | None:
    """ECS.9: every container has a log configuration with a real driver and its destination."""
    for config in shallow_values(container.get("LogConfiguration")):
        problem = _log_problem(config)
        if problem:
            return problem
    return None


#: The awslogs delivery modes Docker accepts (the option and its values are case-sensitive).
AWSLOGS_MODES = frozenset({"blocking", "non-blocking"})


def log_mode_problem(options: Mapping[str, JSON] | None) -> str | None:
    """SF.LOG_MODE for one branch of an awslogs ``Options`` object: None when ``mode`` is set to ``blocking`` or
    ``non-blocking`` in every branch (or known only at deploy time), else what is wrong."""
    modes = [ABSENT] if options is None else shallow_values(options.get("mode", ABSENT))
    if any(m is ABSENT or m in (None, "") for m in modes):
        return "awslogs without an explicit mode option (the default changed to non-blocking in June 2025)"
    for mode in modes:
        values = possible_values(mode)
        bad = [] if isinstance(values, _Unknown) else [v for v in values if v not in AWSLOGS_MODES]
        if bad:
            return f"awslogs mode {bad[0]!r} is not blocking or non-blocking (the option is case-sensitive)"
    return None


@container_control(
    "SF.LOG_MODE",
    title="awslogs delivery mode is explicit",
    requirement="every `awslogs` log configuration sets the `mode` option to `blocking` or `non-blocking` (with "
    "`max-buffer-size` when non-blocking, recommended); other drivers are out of scope",
    severity=LOW,
    severity_reason="logs may be dropped (non-blocking) or the application stall (blocking) without anyone having "
    "chosen which",
    rationale="The awslogs default changed from blocking to non-blocking on 25 June 2025: a container whose mode is "
    "unset silently drops log lines when its buffer fills, and one deployed before the change behaves differently "
    "from one deployed after. Choosing the mode is choosing between losing evidence and stalling the application.",
    remediation="LogConfiguration.Options mode: non-blocking with max-buffer-size (SecureFargateService's default), "
    "or blocking",
    source="AWS ECS developer guide, awslogs mode (default changed 25 June 2025); Prowler "
    "ecs_task_definitions_logging_block_mode",
    failing=ex.task(
        ex.container(LogConfiguration={"LogDriver": "awslogs", "Options": {"awslogs-group": {"Ref": "Logs"}}})
    ),
    passing=ex.task(
        ex.container(
            LogConfiguration={
                "LogDriver": "awslogs",
                "Options": {"awslogs-group": {"Ref": "Logs"}, "mode": "non-blocking", "max-buffer-size": "25m"},
            }
        )
    ),
)
def check_log_mode(container: Mapping[str, JSON]) -> str | None:
    """SF.LOG_MODE: an awslogs log configuration names its delivery mode, in every branch."""
    for config in shallow_values(container.get("LogConfiguration")):
        if not isinstance(config, dict) or "awslogs" not in _strings(config.get("LogDriver")):
            continue
        for options in [None] if config.get("Options") is None else shallow_values(config.get("Options")):
            if options is not ABSENT and (not isinstance(options, dict) or is_intrinsic(options)):
                continue  # deploy-time options: not guessed
            problem = log_mode_problem(None if options is ABSENT else options)
            if problem:
                return problem
    return None


@container_control(
    "ECS.20",
    linux_only=True,
    title="Containers run as a non-root user",
    requirement="non-root `User` (absent, `root` in any case, uid 0 as runc reads it — `0`, `00`, `+0`, `-0` — fail)",
    severity=MEDIUM,
    severity_reason="Security Hub rates ECS.20 Medium: root in the container is not root on Fargate's host, but "
    "owns the container",
    standards=(FSBP,),
    rationale="A root process that escapes the application owns the container; absent User means the image's "
    "default, usually root.",
    remediation="User: a non-root uid such as 1000:1000 (ContainerOptions.user)",
    source="CON316: never run as root; Security Hub ECS.20",
    failing=ex.task(ex.container(User="0")),
    passing=ex.task(ex.container(User="1000:1000")),
)
def check_user(container: Mapping[str, JSON]) -> str | None:
    """ECS.20: the container must name a non-root User; absent counts as root."""
    values = _values(container, "User")
    if isinstance(values, _Unknown):
        values = []
    roots = [v for v in values if is_root_user(None if v is None else str(v))]
    if roots:
        shown = "absent" if roots[0] is None else repr(roots[0])
        return f"runs as root (User is {shown}); set a non-root user such as 1000:1000"
    for partial in partial_strings(container.get("User")):
        uid = partial.split(":", 1)[0]
        if UNKNOWN_PART in partial and UNKNOWN_PART not in uid and is_root_user(uid):
            shown = partial.replace(UNKNOWN_PART, "<deploy-time>")
            return f"runs as root (User is {shown!r}: the uid is literal, only the group is known at deploy time)"
    return None


def _name_lists(value: JSON, absent: list[str]) -> list[list[str]] | None:
    """Possible lists of capability names (``absent`` when the key is missing); None when unknown."""
    if value is None:
        return [absent]
    options = [absent if v is None else v for v in _eval_values(value)]  # Ref AWS::NoValue: the key is absent
    # A single name where a list belongs is judged as a one-name list, not skipped.
    return [[str(c) for c in (o if isinstance(o, list) else [o])] for o in options] or None


def _added_names(value: JSON) -> list[str]:
    """Every name any item of ``Add`` can be, as one list (each item judged on its own, so a long list of
    ``Fn::If`` items cannot push a branch beyond the evaluation bound); a single name counts as a list of one."""
    names: list[str] = []
    for option in shallow_values(value):
        for item in option if isinstance(option, list) else [option]:
            names.extend(str(v) for v in _eval_values(item) if v is not None)
    return names


def _eval_values(value: JSON) -> list[JSON]:
    values = possible_values(value)
    return [] if isinstance(values, _Unknown) else values


def capability_sets(container: Mapping[str, JSON]) -> list[tuple[list[str], list[str]]]:
    """Every possible (Add, Drop) pair of the container; an unknown side is judged harmless (add nothing,
    drop ALL), so the other side is still judged."""
    pairs: list[tuple[list[str], list[str]]] = []
    for linux in shallow_values(container.get("LinuxParameters")):
        if linux is not None and not isinstance(linux, dict):
            continue
        for caps in shallow_values(linux.get("Capabilities") if linux else None):
            if caps is not None and not isinstance(caps, dict):
                continue
            adds = [_added_names(caps.get("Add") if caps else None)]
            drops = _name_lists(caps.get("Drop") if caps else None, []) or [["ALL"]]
            pairs.extend((add, drop) for add in adds for drop in drops)
    return pairs


def added_capabilities(container: Mapping[str, JSON]) -> list[str]:
    """Every capability a container definition may add (upper case, without CAP_), [] when unknown."""
    return sorted({capability_name(c) for add, _ in capability_sets(container) for c in add})


@container_control(
    "SF.CAPABILITIES",
    linux_only=True,
    title="Containers drop ALL capabilities and add none but SYS_PTRACE",
    requirement="`Drop` contains `ALL`; `Add` only `SYS_PTRACE`",
    severity=HIGH,
    severity_reason="every kept capability is kernel attack surface an intruder inherits",
    acknowledgeable=False,
    rationale="Least privilege for the kernel: Fargate allows adding only SYS_PTRACE, which security agents need.",
    remediation="LinuxParameters.Capabilities: {Drop: [ALL]} with Add at most [SYS_PTRACE] (SecureFargateService "
    "drops ALL)",
    source="CON316: drop Linux capabilities",
    failing=ex.task(ex.container(LinuxParameters={"Capabilities": {"Add": ["NET_ADMIN"]}})),
    passing=ex.task(ex.container(LinuxParameters={"Capabilities": {"Drop": ["ALL"]}})),
)
def check_capabilities(container: Mapping[str, JSON]) -> str | None:
    """SF.CAPABILITIES: drop ALL; add nothing but SYS_PTRACE."""
    for add, drop in capability_sets(container):
        problems = capability_problems(add, drop)
        if problems:
            return "; ".join(problems)
    return None


def is_agent_labelled(container: Mapping[str, JSON]) -> bool:
    """True when any possible DockerLabels marks the container as the security agent (what may *claim* the
    agent's place: counted and checked by SF.AGENT)."""
    return any(str(v).lower() == "true" for v in _agent_label_values(container))


def is_certainly_agent_labelled(container: Mapping[str, JSON]) -> bool:
    """True when every possible DockerLabels marks the container as the security agent (what *earns*
    SYS_PTRACE: a label true in one branch only leaves an application able to ptrace in the other)."""
    values = _agent_label_values(container)
    return bool(values) and all(str(v).lower() == "true" for v in values)


def _agent_label_values(container: Mapping[str, JSON]) -> list[JSON]:
    """The agent label's possible values over every branch of DockerLabels (ABSENT where a branch lacks it)."""
    found: list[JSON] = []
    for labels in shallow_values(container.get("DockerLabels")) or [ABSENT]:
        if labels is ABSENT or (isinstance(labels, dict) and not is_intrinsic(labels)):
            value = labels.get(AGENT_LABEL) if isinstance(labels, dict) else None
            found += [ABSENT] if value is None else (_eval_values(value) or [ABSENT])
    return found


def is_essential(container: Mapping[str, JSON]) -> bool:
    """True unless every possible ``Essential`` is false (absent means essential)."""
    values = _eval_values(container.get("Essential"))
    return not values or any(v is None or may_be_true(v) for v in values)


def has_port_mappings(container: Mapping[str, JSON]) -> bool:
    """True when the container may map a port (an unknown PortMappings counts as mapping one)."""
    value = container.get("PortMappings")
    return value is not None and (bool(items(value)) or not shallow_values(value))


def is_security_agent(container: Mapping[str, JSON]) -> bool:
    """True for the task's security agent in a raw template: labelled in every branch, non-essential, no port
    mappings."""
    return is_certainly_agent_labelled(container) and not is_essential(container) and not has_port_mappings(container)


def check_forged_agent(container: Mapping[str, JSON]) -> str | None:
    """SF.AGENT (container part): a labelled agent must be non-essential with no port mappings."""
    if not is_agent_labelled(container):
        return None
    return forged_agent_problem(is_essential(container), has_port_mappings(container))


def ptrace_problem(added: Iterable[str], is_agent: bool) -> str | None:
    """None unless a container that is not the task's security agent adds SYS_PTRACE."""
    if "SYS_PTRACE" in {capability_name(c) for c in added} and not is_agent:
        return (
            f"adds SYS_PTRACE but is not the task's security agent (docker label {AGENT_LABEL}=true, "
            "Essential false, no port mappings): an application able to ptrace can read other processes' memory"
        )
    return None


def check_ptrace(container: Mapping[str, JSON]) -> str | None:
    """SF.PTRACE: only the security-agent sidecar (labelled, non-essential, no ports) may add SYS_PTRACE."""
    return ptrace_problem(added_capabilities(container), is_security_agent(container))


def to_int(value: JSON) -> int | None:
    """An integer property as CloudFormation reads it (a number or a digit string); None when malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,12}\s*", value):
        return int(value)
    return None


def _int_options(value: JSON) -> list[int | None] | _Unknown:
    """Possible integer values (None = absent); UNKNOWN when unknown or malformed."""
    options = possible_values(value)
    if isinstance(options, _Unknown):
        return UNKNOWN
    result: list[int | None] = []
    for option in options:
        number = to_int(option)
        if option is not None and number is None:
            return UNKNOWN
        result.append(number)
    return result


def largest_memory(container: Mapping[str, JSON]) -> int | _Unknown | None:
    """The largest value the container's hard limit may take, ignoring branches where it is absent (None when it
    is absent in every branch)."""
    options = _int_options(container.get("Memory"))
    if isinstance(options, _Unknown):
        return UNKNOWN
    return max([o for o in options if o is not None], default=None)


def check_memory(container: Mapping[str, JSON], task_limit_mib: int | _Unknown | None = None) -> str | None:
    """SF.MEMORY: a hard memory limit, not below the reservation. ``task_limit_mib``: the task's memory when the
    container is the task's only one (UNKNOWN when known only at deploy time); it is then the container's hard
    limit, and ``Memory`` may be absent."""
    memories = _int_options(container.get("Memory"))
    reservations = _int_options(container.get("MemoryReservation"))
    if isinstance(memories, _Unknown) or isinstance(reservations, _Unknown):
        return None
    if task_limit_mib is not None and None in memories:
        if isinstance(task_limit_mib, _Unknown):
            return None  # bounded by a task memory known only at deploy time
        memories = [task_limit_mib if m is None else m for m in memories]
    for memory in memories:
        for reservation in reservations:
            problems = memory_problems(memory, reservation)
            if problems:
                return "; ".join(problems)
    return None


def _literal_tails(image: JSON) -> list[str]:
    """The literal ends of an image built at deploy time: the last part of an ``Fn::Join`` (with its delimiter;
    every branch of an ``Fn::If`` there) or the text after the last variable of an ``Fn::Sub``. ECR images render
    as Join(["", [account, ".dkr.ecr.", region, ..., "/", repo, ":" + tag]]) or Sub("${Repo.RepositoryUri}:tag")."""
    if not isinstance(image, dict) or len(image) != 1:
        return []
    ((key, argument),) = image.items()
    if key == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        parts = argument[1]
        if isinstance(parts, list) and len(parts) > 1:
            return [argument[0] + tail for branch in shallow_branches(parts[-1]) for tail in _strings(branch)]
    text = argument[0] if key == "Fn::Sub" and isinstance(argument, list) and argument else argument
    if key == "Fn::Sub" and isinstance(text, str) and "${" in text:
        return [text.rsplit("}", 1)[-1]]
    return []


def _join_tail_pin(image: JSON) -> ImagePin | None:
    """The weakest pin among the image's literal tails that hold a "/", ":" or "@" (None when no tail decides:
    a deploy-time value)."""
    pins = [image_pin("x" + tail) for tail in _literal_tails(image) if any(mark in tail for mark in "/:@")]
    weak = [p for p in pins if p in (ImagePin.LATEST, ImagePin.UNTAGGED)]
    return weak[0] if weak else (pins[0] if pins else None)


@container_control(
    "SF.IMAGE",
    title="Images are pinned (a digest; never :latest or untagged)",
    requirement="no `:latest`, no untagged image",
    severity=MEDIUM,
    severity_reason="a moving tag changes what runs without a deployment, but needs a registry write to exploit",
    rationale="Know what you run: a mutable tag can change under a running service.",
    remediation="Image pinned by digest (repo@sha256:...), e.g. ImageSource.from_ecr(repo, digest=...)",
    source="CON316: know and pin your images",
    failing=ex.task(ex.container(Image="nginx:latest")),
    passing=ex.task(ex.container(Image="nginx@sha256:" + "0" * 64)),
)
def check_image(container: Mapping[str, JSON]) -> str | None:
    """SF.IMAGE: the image must be pinned (a tag other than latest, or better a digest)."""
    for branch in shallow_branches(container.get("Image")):
        for candidate in _strings(branch):
            pin = image_pin(candidate)
            if pin in (ImagePin.LATEST, ImagePin.UNTAGGED):
                return f"image {candidate} is {pin.value}; pin a digest (@sha256:...)"
        pin_of_tail = None if _strings(branch) else _join_tail_pin(branch)
        if pin_of_tail in (ImagePin.LATEST, ImagePin.UNTAGGED):
            return f"image (ECR) is {pin_of_tail.value}; pin a digest (@sha256:...)"  # type: ignore[union-attr]
        for partial in partial_strings(branch):
            partial_pin = _partial_pin(partial)
            if partial_pin in (ImagePin.LATEST, ImagePin.UNTAGGED):
                shown = partial.replace(UNKNOWN_PART, "<deploy-time>")
                return f"image {shown} is {partial_pin.value} (its literal tail decides); pin a digest (@sha256:...)"  # type: ignore[union-attr]
    return None


def _partial_pin(image: str) -> ImagePin | None:
    """The pin of an image with deploy-time parts (``UNKNOWN_PART``) when its literal tail decides it: the last
    path segment wholly literal, or a literal ``:tag`` after the last deploy-time part; None otherwise."""
    if UNKNOWN_PART not in image:
        return None  # wholly literal: judged above
    tail = image.rsplit("/", 1)[-1]
    if "@" in tail:
        return None
    if UNKNOWN_PART not in tail:
        return image_pin(image)
    after = tail.rsplit(UNKNOWN_PART, 1)[1]
    return image_pin("x:" + after.rsplit(":", 1)[1]) if ":" in after else None


@container_control(
    "SF.MOUNTS",
    title="No writable mount over a system path",
    requirement="no read-write mount (`ReadOnly` absent or false) over the system's binaries, libraries or "
    "configuration: `/`, `/bin`, `/sbin`, `/lib*`, `/etc`, `/boot`, `/proc`, `/sys`, `/dev` or below; `/usr` and its "
    "first two levels (`/usr/local`, `/usr/local/apache2`); any path under `/usr` through a code or configuration "
    "directory (`*bin`, `lib*`, `libexec`, `include`, `etc`, `conf*`, `modules`, `python*`, `perl*`, `ruby*`, "
    "`site-packages`, `node_modules`). Data directories deeper under `/usr` pass (httpd's "
    "`/usr/local/apache2/htdocs`, nginx's `/usr/share/nginx/html`). Paths normalised (`//`, `.`, `..`); one "
    "finding per path",
    severity=MEDIUM,
    severity_reason="it re-opens what the read-only root closes, for one path at a time",
    rationale="A read-write volume over /usr/bin, /etc, /lib*, ... lets one container replace binaries, libraries "
    "or configuration that the read-only root filesystem was protecting. A web server's document root under /usr "
    "holds content, not code the system runs: it passes.",
    remediation="mount writable task volumes on application paths (/tmp, /var/cache/app: "
    "ContainerOptions.writable_paths) or set ReadOnly: true",
    source="CON316: read-only root filesystems with separate writable volumes",
    failing=ex.task(
        ex.container(MountPoints=[{"SourceVolume": "scratch", "ContainerPath": "/etc", "ReadOnly": False}]),
        Volumes=[{"Name": "scratch"}],
    ),
    passing=ex.task(
        ex.container(MountPoints=[{"SourceVolume": "scratch", "ContainerPath": "/tmp", "ReadOnly": False}]),
        Volumes=[{"Name": "scratch"}],
    ),
)
def check_mounts(container: Mapping[str, JSON]) -> Items:
    """SF.MOUNTS: (container path, message) for each read-write mount over a system path."""
    found: Items = []
    for mount in items(container.get("MountPoints")):
        if not isinstance(mount, dict):
            continue
        read_only = possible_values(mount.get("ReadOnly"))
        if isinstance(read_only, _Unknown) or all(is_true(v) for v in read_only):
            continue
        for path in _strings(mount.get("ContainerPath")):
            problem = system_path_problem(path)
            if problem and not any(item == path for item, _ in found):
                found.append((path, problem))
    return found
