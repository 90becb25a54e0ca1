"""The pack's engine: run every control over a template and collect findings.

Acknowledgements written into a resource's ``Metadata`` (which ``secure_fargate.acknowledge`` adds) turn a
finding into an acknowledged one::

    Metadata: {"secure-fargate": {"acknowledgements": [
        {"control": "ECS.20", "reason": "...", "container": "agent"},                      # one container
        {"control": "ECS.8", "reason": "...", "container": "app", "variable": "TOKEN_TTL"},  # one variable
        {"control": "ECS.12", "reason": "..."}]}}                                           # the resource

Matching is exact: a finding about a container is acknowledged only by an entry naming that container (an
ECS.8 finding only by one naming its container and variable), a resource-level finding only by an entry
naming no container. Controls that are invariants (``Control.acknowledgeable`` False) are never acknowledged:
their findings are reported, marked ``acknowledgeable=False``. An entry whose reason fails the reason rule
(``reasons.reason_problem``) is ignored.

An entry may carry ``"expires": "YYYY-MM-DD"`` (the last day it holds, ``clock``): from the day after, the finding is
open again and its message names the expired acknowledgement; within ``clock.WARN_DAYS`` days before, the finding
carries a ``warning``. An entry whose ``expires`` is not such a date acknowledges nothing, and the finding says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from . import clock
from ._template import Template, evaluating, watching_bounds
from .catalog import CONTROLS_BY_ID, controls_in
from .control import DEFAULT_FAIL_ON, Control, ControlError, Scope, Severity, Violation
from .reasons import reason_problem
from .runtime import runs_windows_only
from .tasks import UNJUDGED_KEY
from .template_set import TemplateSet

METADATA_KEY = "secure-fargate"
UNJUDGED_ID = "SF.UNJUDGED"


@dataclass(frozen=True)
class Finding:
    """One control violated by one resource (and container, for container-level controls)."""

    control: str
    template: str
    resource: str
    container: str | None
    message: str
    severity: str
    acknowledged: str | None = None  # the reason, when acknowledged
    #: The sub-subject of the finding, e.g. the environment variable of an ECS.8 finding.
    item: str | None = None
    #: False when the control is an invariant that no acknowledgement silences.
    acknowledgeable: bool = True
    #: The resource's CDK construct path (``Metadata`` ``aws:cdk:path``), when the template carries it.
    path: str | None = None
    #: The last day the acknowledgement or baseline entry covering this finding holds (``YYYY-MM-DD``).
    expires: str | None = None
    #: A warning about what covers this finding (it expires within ``clock.WARN_DAYS`` days).
    warning: str | None = None
    #: Set when a baseline entry covers this finding: what the entry says (owner, expiry).
    baselined: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_open(self) -> bool:
        """Neither acknowledged nor baselined."""
        return not self.acknowledged and not self.baselined

    def fails(self, fail_on: Severity = DEFAULT_FAIL_ON) -> bool:
        """True when this finding is open (not acknowledged, not baselined) and at least as severe as ``fail_on``."""
        return self.is_open and Severity(self.severity).rank >= fail_on.rank


def acknowledgement_entries(resource: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The valid acknowledgement entries of a resource's Metadata: a control and a reason that says why."""
    meta = resource.get("Metadata")
    block = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    entries = block.get("acknowledgements") if isinstance(block, dict) else None
    return [
        entry
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
        and isinstance(entry.get("control"), str)
        and reason_problem(entry.get("reason")) is None
    ]


def acknowledgements(resource: Mapping[str, Any]) -> dict[str, str]:
    """Control ID -> reason of the valid, unexpired resource-level entries (those naming no container)."""
    return {
        str(e["control"]): str(e["reason"]).strip()
        for e in acknowledgement_entries(resource)
        if e.get("container") is None
        and clock.expiry_problem(e.get("expires")) is None
        and not (e.get("expires") is not None and clock.is_expired(e["expires"]))
    }


def cdk_path(resource: Mapping[str, Any]) -> str | None:
    """The construct path CDK writes into a resource's Metadata (``aws:cdk:path``), when present."""
    meta = resource.get("Metadata")
    path = meta.get("aws:cdk:path") if isinstance(meta, dict) else None
    return path if isinstance(path, str) and path else None


def _matches(entry: Mapping[str, Any], control: Control, container: str | None, item: str | None) -> bool:
    if entry.get("control") != control.id or entry.get("container") != container:
        return False
    if container is None:
        return entry.get("variable") is None and entry.get("item") is None
    if control.scope is Scope.VARIABLE:
        return entry.get("variable") == item
    return entry.get("item") in (None, item)


def finding_acknowledgeable(control: Control, container: str | None) -> bool:
    """Whether a finding can be acknowledged: never for an invariant; for a per-container (or per-variable)
    control only when the finding names its container (a task-wide finding of such a control, like SF.MEMORY's
    budget, has no subject an acknowledgement could name)."""
    return control.acknowledgeable and (control.scope is Scope.RESOURCE or container is not None)


@dataclass(frozen=True)
class Coverage:
    """What an acknowledgement does to one finding: the reason when it holds, else a note on why it does not."""

    reason: str | None = None
    #: Appended to the finding's message when the entry has expired or its expiry is malformed.
    note: str | None = None
    expires: str | None = None
    warning: str | None = None


def acknowledgement_for(
    entries: Sequence[Mapping[str, Any]], control: Control, container: str | None, item: str | None
) -> str | None:
    """The reason of the entry acknowledging this finding, or None (always None for an invariant control, and
    None once the entry has expired)."""
    return coverage(entries, control, container, item).reason


def coverage(
    entries: Sequence[Mapping[str, Any]], control: Control, container: str | None, item: str | None
) -> Coverage:
    """How the acknowledgement entries of a resource cover this finding (see :class:`Coverage`)."""
    if not finding_acknowledgeable(control, container):
        return Coverage()
    for entry in entries:
        if _matches(entry, control, container, item):
            return _entry_coverage(entry)
    return Coverage()


def _entry_coverage(entry: Mapping[str, Any]) -> Coverage:
    reason = str(entry["reason"]).strip()
    expires = entry.get("expires")
    problem = clock.expiry_problem(expires)
    if problem:
        return Coverage(note=f"acknowledgement {reason!r} ignored: its expires {problem}")
    if expires is None:
        return Coverage(reason)
    text = clock.expiry_text(expires)
    what = f"acknowledgement {reason!r}"
    if clock.is_expired(expires):
        return Coverage(note=f"{what} expired on {text}", expires=text)
    return Coverage(reason, expires=text, warning=clock.expiry_warning(expires, what))


def _run(control: Control, logical_id: str, resource: Mapping[str, Any], template: Template) -> list[Any]:
    """The rule's results, or a ControlError naming the control and resource when the rule raises."""
    try:
        return list(control.check(logical_id, resource, template))
    except Exception as error:
        raise ControlError(control.id, f"{template.name} {logical_id}", error) from error


def _violation(found: Any, control: Control) -> Violation:
    """A rule's result, checked: every rule returns :class:`Violation` values (an external rule that returns a
    plain (container, message[, item]) tuple is taken as one)."""
    if isinstance(found, Violation):
        return found
    if isinstance(found, tuple) and len(found) in (2, 3) and isinstance(found[1], str):
        return Violation(*found)
    raise ControlError(control.id, "its result", TypeError(f"a {type(found).__name__}, not a Violation"))


def evaluate(
    template: Template, controls: Iterable[Control] | None = None, template_set: TemplateSet | None = None
) -> list[Finding]:
    """Every finding (acknowledged or not) of ``controls`` over ``template``.

    Args:
        template: the template whose resources are judged.
        controls: the controls to run. Default: the default standards' (``control.DEFAULT_STANDARDS``).
        template_set: the templates ``template`` is judged with (its cdk.out), so that rules follow references
            across stacks. Default: the set ``template`` was last put in, or ``template`` alone.
    """
    if template_set is not None:
        template.context["set"] = template_set
    with evaluating(template):
        return _findings(template, controls_in() if controls is None else controls)


def subjects(template: Template, types: Iterable[str]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The resources of ``template`` a control runs over: of each type, and of each prefix (``Custom::*``)."""
    types = tuple(types)
    yield from template.of_type(*(t for t in types if not t.endswith("*")))
    prefixes = tuple(t[:-1].lower() for t in types if t.endswith("*"))
    if prefixes:
        for logical_id, resource in template.resources.items():
            if isinstance(resource, dict) and str(resource.get("Type", "")).strip().lower().startswith(prefixes):
                yield logical_id, resource


#: The control that reports what the others could not judge (evaluation bounds hit): run last, whatever the
#: selection, because the control that could not judge was selected.
UNJUDGED = CONTROLS_BY_ID[UNJUDGED_ID]


def _findings(template: Template, controls: Iterable[Control]) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, str, str | None, str | None, str]] = set()
    unjudged: dict[str, dict[str, None]] = {}
    template.context[UNJUDGED_KEY] = unjudged
    for control in controls:
        if control.id == UNJUDGED.id:
            continue
        for logical_id, resource in subjects(template, control.subject_types):
            if control.linux_only and runs_windows_only(resource):
                continue  # Windows tasks are judged by Windows rules only
            with watching_bounds() as hits:
                results = _run(control, logical_id, resource, template)
            for hit in hits:
                unjudged.setdefault(logical_id, {})[
                    f"{control.id} cannot judge every value: {hit}, and only those within the bound were judged"
                ] = None
            findings.extend(_judged(template, control, logical_id, resource, results, seen))
    for logical_id in unjudged:
        resource = template.resources[logical_id]
        findings.extend(
            _judged(template, UNJUDGED, logical_id, resource, _run(UNJUDGED, logical_id, resource, template), seen)
        )
    return findings


def _judged(
    template: Template,
    control: Control,
    logical_id: str,
    resource: Mapping[str, Any],
    results: list[Any],
    seen: set[tuple[str, str, str | None, str | None, str]],
) -> Iterator[Finding]:
    """The findings of one control's ``results`` on one resource, each once, with its acknowledgement applied."""
    entries = acknowledgement_entries(resource)
    for raw in results:
        container, message, item = _violation(raw, control)
        key = (control.id, logical_id, container, item, message)
        if key in seen:
            continue
        seen.add(key)
        covered = coverage(entries, control, container, item)
        yield Finding(
            control.id,
            template.name,
            logical_id,
            container,
            f"{message} ({covered.note})" if covered.note else message,
            control.severity.value,
            covered.reason,
            item,
            finding_acknowledgeable(control, container),
            path=cdk_path(resource),
            expires=covered.expires,
            warning=covered.warning,
        )


def evaluate_set(templates: Iterable[Template], controls: Iterable[Control] | None = None) -> list[Finding]:
    """Every finding of ``controls`` over ``templates`` judged together as one set (one cloud assembly).

    A policy in one stack that widens a role of another, an ingress rule that opens another stack's security
    group, a group attached from another stack: each is found on the resource it weakens (the task definition or
    service), whichever template declares it. The CLI calls this with the templates of one ``check`` call; the
    CDK plugin with the template paths CDK gives it.

    Args:
        templates: the templates of one cloud assembly (stacks and nested stacks).
        controls: the controls to run. Default: the default standards' (``control.DEFAULT_STANDARDS``).
    """
    controls = list(controls_in() if controls is None else controls)
    template_set = TemplateSet(templates)
    return [f for t in template_set.templates for f in evaluate(t, controls, template_set)]
