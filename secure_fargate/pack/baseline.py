"""The baseline: today's open findings, recorded so that an app can adopt the pack one service at a time.

``secure-fargate baseline cdk.out -o .secure-fargate-baseline.json`` writes every open finding as an entry keyed by a
stable fingerprint; ``check --baseline FILE`` and the CDK plugin (``secure-fargate:baseline`` in cdk.json) then
fail only on findings the baseline does not hold, list the baselined ones as such, and name every entry that no
longer matches a finding (fixed: delete it, so the file only shrinks).

The fingerprint is what stays put while an app is edited: the control, the stack (the template's file name
without directory and ``.template.json``), the resource (its CDK construct path from ``Metadata``
``aws:cdk:path`` when the template has one, else its logical ID), the container and the item (variable, mount
path). Never a line number or a message: rewording a message or moving a resource in the file changes nothing.
When several findings share one fingerprint (two wildcard statements on one execution role), the entry records
their ``count``; a further one is new and fails.

Entries may carry ``owner`` and ``expires`` (``YYYY-MM-DD``, the last day the entry holds; from the next day its
findings fail again, and within ``clock.WARN_DAYS`` days every run warns). Invariants (controls no
acknowledgement silences) may be baselined, because a platform team must be able to adopt an app whose legacy
stacks break them, but only with an ``expires`` (``baseline`` sets one, ``--invariant-days`` after today, unless
``--expires`` is given): the baseline is a debt with a due date, never a waiver (docs/guardrail-pack.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from . import clock
from .catalog import CONTROLS_BY_ID
from .engine import Finding

#: Where ``baseline`` writes and the docs point: at the app's root, beside cdk.json.
DEFAULT_FILE = ".secure-fargate-baseline.json"
VERSION = 1
#: How long ``baseline`` lets a recorded invariant finding stand when no ``--expires`` is given.
INVARIANT_DAYS = 90

Fingerprint = tuple[str, str, str, str | None, str | None]
_FIELDS = ("control", "stack", "resource", "container", "item")
_TEMPLATE_SUFFIX = re.compile(r"(\.template)?\.(json|ya?ml|template)$", re.IGNORECASE)


def stack_name(template_name: str) -> str:
    """The stack a template name stands for: the file name without directory and ``.template.json``."""
    base = re.split(r"[\\/]", template_name)[-1]
    return _TEMPLATE_SUFFIX.sub("", base) or base


def fingerprint(finding: Finding) -> Fingerprint:
    """The stable key of a finding (see the module docstring)."""
    return (finding.control, stack_name(finding.template), finding.path or finding.resource, finding.container,
            finding.item)  # fmt: skip


def invariant(control: str) -> bool:
    """True for a pack control that no acknowledgement silences (external controls never are)."""
    found = CONTROLS_BY_ID.get(control)
    return found is not None and not found.acknowledgeable


@dataclass(frozen=True)
class Entry:
    """One baselined fingerprint, how many findings it holds, and who owns it until when."""

    control: str
    stack: str
    resource: str
    container: str | None = None
    item: str | None = None
    count: int = 1
    owner: str | None = None
    expires: str | None = None
    #: What the finding said when it was recorded (for the reader; never matched).
    message: str | None = None

    @property
    def fingerprint(self) -> Fingerprint:
        return (self.control, self.stack, self.resource, self.container, self.item)

    @property
    def label(self) -> str:
        where = self.resource + (f" container {self.container}" if self.container else "")
        where += f" [{self.item}]" if self.item else ""
        return f"{self.stack}: {self.control} {where}"

    @property
    def description(self) -> str:
        """How a baselined finding is shown: the owner and the expiry."""
        parts = [f"owner {self.owner}" if self.owner else "", f"expires {self.expires}" if self.expires else ""]
        return ", ".join(p for p in parts if p) or "recorded"

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {k: getattr(self, k) for k in _FIELDS}
        for key in ("count", "owner", "expires", "message"):
            value = getattr(self, key)
            if value is not None and not (key == "count" and value == 1):
                record[key] = value
        return record


@dataclass(frozen=True)
class Baseline:
    """The entries of a baseline file, by fingerprint."""

    entries: tuple[Entry, ...] = ()
    source: str = DEFAULT_FILE

    def by_fingerprint(self) -> dict[Fingerprint, Entry]:
        return {e.fingerprint: e for e in self.entries}

    def to_json(self) -> str:
        body = {"version": VERSION, "findings": [e.to_dict() for e in self.entries]}
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------------- reading


def _text(record: Mapping[str, Any], key: str, where: str, problems: list[str], required: bool = False) -> Any:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}.{key}: {value!r} is not allowed: a non-empty string")
        return None
    return value


def _entry(record: object, where: str, problems: list[str]) -> Entry | None:
    if not isinstance(record, dict):
        problems.append(f"{where}: {record!r} is not allowed: an object with control, stack and resource")
        return None
    found = len(problems)
    values = {k: _text(record, k, where, problems, required=k in ("control", "stack", "resource")) for k in _FIELDS}
    owner, message = _text(record, "owner", where, problems), _text(record, "message", where, problems)
    count = record.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        problems.append(f"{where}.count: {count!r} is not allowed: a whole number of findings, at least 1")
    expires = record.get("expires")
    problem = clock.expiry_problem(expires)
    if problem:
        problems.append(f"{where}.expires: {problem}")
    elif expires is None and isinstance(values["control"], str) and invariant(values["control"]):
        problems.append(
            f"{where}.expires: None is not allowed: {values['control']} is an invariant; a baselined invariant "
            "finding needs the last day it may stand (YYYY-MM-DD)"
        )
    if len(problems) > found:
        return None
    return Entry(**values, count=count, owner=owner, expires=clock.expiry_text(expires), message=message)


def parse(text: str, source: str = DEFAULT_FILE) -> Baseline:
    """A baseline from its JSON text; ValueError naming the file and every bad property otherwise."""
    try:
        body = json.loads(text)
    except ValueError as error:
        raise ValueError(f"{source}: not a baseline file (invalid JSON: {error})") from None
    if not isinstance(body, dict) or not isinstance(body.get("findings"), list):
        raise ValueError(f'{source}: findings: not a baseline file (expected {{"version": 1, "findings": [...]}})')
    if body.get("version", VERSION) != VERSION:
        raise ValueError(f"{source}: version: {body.get('version')!r} is not allowed: {VERSION}")
    problems: list[str] = []
    entries = [_entry(r, f"findings[{i}]", problems) for i, r in enumerate(body["findings"])]
    seen: set[Fingerprint] = set()
    for index, entry in enumerate(entries):
        if entry is not None and entry.fingerprint in seen:
            problems.append(f"findings[{index}]: the same finding is listed twice (use count)")
        if entry is not None:
            seen.add(entry.fingerprint)
    if problems:
        raise ValueError(f"{source}: " + "; ".join(problems))
    return Baseline(tuple(e for e in entries if e is not None), source)


def load(path: str | Path) -> Baseline:
    """The baseline in ``path``; ValueError naming the file when it cannot be read or is malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{path}: cannot read the baseline: {error.strerror or error}") from None
    return parse(text, str(path))


# --------------------------------------------------------------------------------------------------- writing


def record(
    findings: Iterable[Finding],
    previous: Baseline | None = None,
    *,
    owner: str | None = None,
    expires: date | str | None = None,
    invariant_days: int = INVARIANT_DAYS,
) -> Baseline:
    """A baseline of every open finding (acknowledged ones need no entry). An entry already in ``previous``
    keeps its owner and expiry; new entries get ``owner`` and ``expires``, and an invariant's entry without one
    gets ``invariant_days`` after today."""
    kept = previous.by_fingerprint() if previous else {}
    counts: dict[Fingerprint, int] = {}
    first: dict[Fingerprint, Finding] = {}
    for finding in findings:
        if finding.acknowledged:
            continue
        key = fingerprint(finding)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, finding)
    entries = []
    for key, finding in first.items():
        old = kept.get(key)
        due = old.expires if old else clock.expiry_text(expires)
        if due is None and invariant(finding.control):
            due = (clock.today() + timedelta(days=invariant_days)).isoformat()
        entries.append(
            Entry(*key, count=counts[key], owner=old.owner if old else owner, expires=due, message=finding.message)
        )
    return Baseline(tuple(entries), previous.source if previous else DEFAULT_FILE)


# --------------------------------------------------------------------------------------------------- applying


def apply(findings: Sequence[Finding], baseline: Baseline) -> list[Finding]:
    """``findings`` with those the baseline holds marked ``baselined`` (at most ``count`` per entry, in order);
    an expired entry's findings stay open, their message naming the entry."""
    entries = baseline.by_fingerprint()
    used: dict[Fingerprint, int] = {}
    result = []
    for finding in findings:
        entry = entries.get(fingerprint(finding)) if not finding.acknowledged else None
        if entry is None:
            result.append(finding)
            continue
        used[entry.fingerprint] = used.get(entry.fingerprint, 0) + 1
        result.append(_covered(finding, entry, used[entry.fingerprint]))
    return result


def _covered(finding: Finding, entry: Entry, nth: int) -> Finding:
    if nth > entry.count:
        more = f"{finding.message} (new: the baseline holds {entry.count} such finding(s) here)"
        return replace(finding, message=more)
    what = f"baseline entry {entry.label}" + (f" (owner {entry.owner})" if entry.owner else "")
    if entry.expires and clock.is_expired(entry.expires):
        return replace(finding, message=f"{finding.message} ({what} expired on {entry.expires})", expires=entry.expires)
    return replace(
        finding,
        baselined=entry.description,
        expires=entry.expires,
        warning=finding.warning or clock.expiry_warning(entry.expires, what),
    )


def gone(findings: Iterable[Finding], baseline: Baseline) -> list[Entry]:
    """Entries that match no finding any more (fixed, or the resource is gone): delete them."""
    present = {fingerprint(f) for f in findings if not f.acknowledged}
    return [e for e in baseline.entries if e.fingerprint not in present]


def gone_lines(entries: Iterable[Entry], source: str) -> list[str]:
    """One line per gone entry, telling to shrink the file."""
    return [f"baseline: {e.label} is fixed: delete it from {source}" for e in entries]
