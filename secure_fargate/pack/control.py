"""How a control is declared: once, beside its rule function, with everything the pack derives from it.

A control is a rule function decorated with its declaration::

    @container_control(
        "ECS.5",
        title="Containers have a read-only root filesystem",
        severity=HIGH, severity_reason="a writable root lets an intruder persist tools",
        standards=(FSBP,), rationale="...", remediation="...", source="CON316; Security Hub ECS.5",
        failing={...}, passing={...},          # minimal templates: the docs' snippets and the first test cases
    )
    def check_readonly_root(container): ...

Everything else is derived from the declaration and tested for drift: the catalogue (``catalog.CONTROLS``), the
acknowledgement scopes (``scope``), the "to accept" text (``Control.fix``), SARIF rules and their ``helpUri``,
``secure-fargate controls`` (text and JSON), and the generated reference pages ``docs/controls/<ID>.md``.

A rule function returns :class:`Violation` values (the one result type). Resource controls take
``(logical_id, resource, template)``; container controls take one container definition and return a message,
None, or ``(item, message)`` pairs, and the pack runs them over every container of every branch.

Nothing here imports the rule modules; a platform team declares its own controls with the same decorators
(``secure-fargate check --external-controls my_controls.py``, ``SecureFargateChecks(extra_controls=[...])``).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple, TypeVar

JSON = Any

#: Where the generated reference page of each control is published (``Control.help_uri``).
DOCS_PATH = "docs/controls"


class Severity(str, Enum):
    """Security Hub's severity labels, highest first."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFORMATIONAL = "INFORMATIONAL"

    @property
    def rank(self) -> int:
        """Higher is more severe (INFORMATIONAL 0 ... CRITICAL 4)."""
        return len(Severity) - 1 - list(Severity).index(self)

    @classmethod
    def parse(cls, text: str | Severity) -> Severity:
        """A severity from its label in any case; ValueError naming the labels otherwise."""
        if isinstance(text, Severity):
            return text
        try:
            return cls(str(text).strip().upper())
        except ValueError:
            raise ValueError(f"{text!r} is not a severity; use one of {', '.join(s.value for s in cls)}") from None


CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFORMATIONAL,
)


class Scope(str, Enum):
    """What one finding of a control is about, and so what its acknowledgement must name."""

    RESOURCE = "resource"  # the resource: an acknowledgement names no container
    CONTAINER = "container"  # one container: the acknowledgement names it
    VARIABLE = "variable"  # one environment variable of one container: both are named


#: The standards a control can belong to, with what each is. ``DEFAULT_STANDARDS`` run unless told otherwise.
STANDARDS: dict[str, str] = {
    "fsbp": "AWS Foundational Security Best Practices (Security Hub ECS.*/ECR.* controls)",
    "tagging": "AWS Resource Tagging Standard (Security Hub ECS.13-15)",
    "secure-fargate": "secure_fargate's own controls for the CON316 hardening Security Hub does not cover",
}
FSBP, TAGGING, SECURE_FARGATE = "fsbp", "tagging", "secure-fargate"
DEFAULT_STANDARDS: tuple[str, ...] = (FSBP, SECURE_FARGATE)
#: Findings at or above this severity fail ``check``, the plugin and the hook unless told otherwise.
DEFAULT_FAIL_ON = LOW

TASK = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"
CLUSTER = "AWS::ECS::Cluster"
TASK_SET = "AWS::ECS::TaskSet"
REPOSITORY = "AWS::ECR::Repository"


class ControlError(Exception):
    """A rule raised instead of judging (a bug in a control, most likely a team's own): named, never a traceback."""

    def __init__(self, control: str, where: str, error: BaseException) -> None:
        super().__init__(f"control {control} failed on {where}: {type(error).__name__}: {error}")
        self.control = control


class Violation(NamedTuple):
    """What a rule found: the message, and the container and item (variable, path, volume) it is about."""

    container: str | None
    message: str
    item: str | None = None


ResourceCheck = Callable[[str, Mapping[str, JSON], Any], Sequence[Violation]]
#: A container check returns a message, None, or (item, message) pairs (one per variable, mount path, ...).
ContainerCheck = Callable[[Mapping[str, JSON]], "str | list[tuple[str | None, str]] | None"]


@dataclass(frozen=True)
class Control:
    """One control: what it requires and why, how severe, whom it binds, and the function that judges."""

    id: str
    title: str
    #: The resource types the control reads; it runs once per resource of the first type.
    resource_types: tuple[str, ...]
    check: ResourceCheck
    rationale: str
    severity: Severity
    #: One line: why this severity (Security Hub's own label where AWS defines the control).
    severity_reason: str
    scope: Scope = Scope.RESOURCE
    standards: tuple[str, ...] = (SECURE_FARGATE,)
    #: False for the invariants the library exists for: no acknowledgement silences them.
    acknowledgeable: bool = True
    #: Exactly what the rule requires: the values that pass and fail, how spellings and intrinsics are read.
    requirement: str = ""
    #: What to change to comply, without the "how to accept" part (``fix`` adds it).
    remediation: str = ""
    #: Where the control comes from: the CON316 practice and/or the Security Hub control.
    source: str = ""
    #: Minimal templates (``Resources`` mappings): one the control fails, one it passes. Docs and tests use them.
    failing: Mapping[str, JSON] = field(default_factory=dict, compare=False, repr=False)
    passing: Mapping[str, JSON] = field(default_factory=dict, compare=False, repr=False)
    #: The rule module (``containers``, ``iam``, ...): its family of tests and fixtures.
    family: str = ""
    #: The types the control runs over when it judges more than one (a launcher control runs over every kind of
    #: launcher); empty: the first of ``resource_types``. A type ending in ``*`` is a prefix (``Custom::*``).
    runs_on: tuple[str, ...] = ()
    #: True for a control of Linux containers (read-only root, Linux users, capabilities): a task definition whose
    #: every OS family is ``WINDOWS_SERVER_*`` is judged by the Windows controls (ECS.21) instead.
    linux_only: bool = False

    @property
    def resource_type(self) -> str:
        """The type the control runs over (the first of ``resource_types``)."""
        return self.resource_types[0]

    @property
    def subject_types(self) -> tuple[str, ...]:
        """Every type the control runs over (``runs_on``, or the first of ``resource_types``)."""
        return self.runs_on or self.resource_types[:1]

    @property
    def security_hub(self) -> bool:
        """True for AWS Security Hub's own control IDs (the FSBP and tagging standards)."""
        return any(s in (FSBP, TAGGING) for s in self.standards)

    @property
    def docs_page(self) -> str:
        """The generated reference page, relative to the repository root."""
        return f"{DOCS_PATH}/{self.id}.md"

    @property
    def fix(self) -> str:
        """The remediation and, derived from ``acknowledgeable`` and ``scope``, how to accept a finding."""
        return f"{self.remediation}; {self.acceptance}" if self.remediation else self.acceptance

    @property
    def acceptance(self) -> str:
        """How to accept a finding of this control (or that it cannot be accepted)."""
        if not self.acknowledgeable:
            return "an invariant: it cannot be acknowledged"
        subject = {
            Scope.RESOURCE: "",
            Scope.CONTAINER: ", container=...",
            Scope.VARIABLE: ", container=..., variable=...",
        }[self.scope]
        return f"to accept: acknowledge(scope, {self.id!r}, reason{subject})"

    def fails_at(self, fail_on: Severity) -> bool:
        """True when an open finding of this control fails a run whose threshold is ``fail_on``."""
        return self.severity.rank >= fail_on.rank


def _declare(
    control_id: str,
    *,
    resource_types: Sequence[str],
    scope: Scope,
    check: ResourceCheck,
    function: Callable[..., Any],
    **fields: Any,
) -> Control:
    family = function.__module__.rsplit(".", 1)[-1]
    problems = _declaration_problems(control_id, resource_types, fields)
    if problems:
        raise ValueError(f"control {control_id!r} ({function.__module__}.{function.__name__}): " + "; ".join(problems))
    fields["severity"] = Severity.parse(fields["severity"])
    fields["standards"] = tuple(fields.get("standards", (SECURE_FARGATE,)))
    fields["runs_on"] = tuple(fields.get("runs_on", ()))
    return Control(
        id=control_id, resource_types=tuple(resource_types), scope=Scope(scope), check=check, family=family, **fields
    )


#: Declaration fields a control must give (the rest have defaults).
_REQUIRED = ("title", "severity", "severity_reason", "rationale", "remediation")


def _declaration_problems(control_id: object, resource_types: Any, fields: Mapping[str, Any]) -> list[str]:
    """What is wrong with a declaration (a team's own controls go through this too): never a later crash."""
    problems = []
    if not isinstance(control_id, str) or not control_id.strip():
        problems.append("the ID must be a non-empty string")
    if isinstance(resource_types, str) or not resource_types or not all(isinstance(t, str) for t in resource_types):
        problems.append("resource_types must be a non-empty list of CloudFormation types")
    missing = [name for name in _REQUIRED if not fields.get(name)]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    try:
        Severity.parse(fields.get("severity", ""))
    except ValueError as error:
        problems.append(str(error))
    standards = fields.get("standards", (SECURE_FARGATE,))
    if isinstance(standards, str) or not set(standards) <= set(STANDARDS):
        problems.append(f"standards must be a list of {', '.join(STANDARDS)}")
    runs_on = fields.get("runs_on", ())
    if isinstance(runs_on, str) or not all(isinstance(t, str) for t in runs_on):
        problems.append("runs_on must be a list of CloudFormation types")
    unknown = sorted(set(fields) - {f.name for f in dataclasses.fields(Control)})
    if unknown:
        problems.append(f"unknown field(s) {unknown}")
    return problems


F = TypeVar("F", bound=Callable[..., Any])

#: The attribute a declared rule function carries its control on.
ATTRIBUTE = "__secure_fargate_control__"


def resource_control(
    control_id: str, *, resource_types: Sequence[str], scope: Scope = Scope.RESOURCE, **fields: Any
) -> Callable[[F], F]:
    """Declare the control judged by the decorated ``(logical_id, resource, template)`` function.

    Args:
        control_id: the control ID (Security Hub's where AWS defines the control, ``SF.*`` or your own prefix).
        resource_types: the CloudFormation types it reads; it runs over each resource of the first.
        scope: what a finding is about (``Scope``); a per-container rule written at resource level says so here.
        **fields: the rest of :class:`Control` (title, rationale, severity, severity_reason, standards,
            acknowledgeable, remediation, source, failing, passing).
    """

    def decorate(function: F) -> F:
        setattr(
            function,
            ATTRIBUTE,
            _declare(
                control_id, resource_types=resource_types, scope=scope, check=function, function=function, **fields
            ),
        )
        return function

    return decorate


def container_control(control_id: str, *, scope: Scope = Scope.CONTAINER, **fields: Any) -> Callable[[F], F]:
    """Declare the control judged by the decorated one-container function, over every container of every
    ``AWS::ECS::TaskDefinition`` (every branch of an ``Fn::If``). Arguments as :func:`resource_control`."""

    def decorate(function: F) -> F:
        setattr(
            function,
            ATTRIBUTE,
            _declare(
                control_id,
                resource_types=(TASK,),
                scope=scope,
                check=per_container(function),
                function=function,
                **fields,
            ),
        )
        return function

    return decorate


def per_container(check: ContainerCheck) -> ResourceCheck:
    """Lift a container check to a task-definition check that reports each violating container."""

    def run(logical_id: str, task: Mapping[str, JSON], template: Any) -> list[Violation]:
        from .containers import container_name  # late: the rule modules import this module
        from .tasks import task_containers

        found: list[Violation] = []
        for container in task_containers(logical_id, task, template):
            result = check(container)
            name = container_name(container)
            if isinstance(result, list):
                found.extend(Violation(name, message, item) for item, message in result)
            elif result:
                found.append(Violation(name, result))
        return found

    run.__doc__ = check.__doc__
    run.__name__ = getattr(check, "__name__", "check")
    return run


def declared(namespace: ModuleType | Iterable[Any]) -> list[Control]:
    """The controls declared by the functions of a module (or in an iterable of functions/controls)."""
    values: Iterable[Any] = vars(namespace).values() if isinstance(namespace, ModuleType) else namespace  # type: ignore[arg-type]
    found: list[Control] = []
    for value in values:
        control = value if isinstance(value, Control) else getattr(value, ATTRIBUTE, None)
        if isinstance(control, Control) and control not in found:
            found.append(control)
    return found


def load_external(path: str | Path) -> list[Control]:
    """The controls a platform team declares in a Python file or package directory (``--external-controls``).

    The module is imported under a private name (so it cannot shadow a module of the pack); every function
    decorated with :func:`resource_control` or :func:`container_control` in it, or in the package's modules,
    is a control. Raises ValueError naming the path when nothing can be loaded or nothing is declared.
    """
    path = Path(path)
    target = path / "__init__.py" if path.is_dir() else path
    if not target.is_file():
        raise ValueError(f"{path}: no such Python file or package directory")
    name = f"secure_fargate_external_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(
        name, target, submodule_search_locations=[str(path)] if path.is_dir() else None
    )
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: not an importable Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        modules = [module] + (_submodules(module, path) if path.is_dir() else [])
    except (Exception, SystemExit) as error:  # the team's code, even sys.exit(): report, never pass silently
        sys.modules.pop(name, None)
        raise ValueError(f"{path}: cannot be imported ({type(error).__name__}: {error})") from None
    controls = [c for m in modules for c in declared(m)]
    if not controls:
        raise ValueError(f"{path}: declares no control (decorate rules with resource_control/container_control)")
    return list(dict.fromkeys(controls))


def _submodules(package: ModuleType, path: Path) -> list[ModuleType]:
    found = []
    for file in sorted(path.glob("*.py")):
        if file.name != "__init__.py":
            found.append(importlib.import_module(f"{package.__name__}.{file.stem}"))
    return found
