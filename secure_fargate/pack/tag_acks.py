"""Acknowledgements written as resource tags, for what runs (``scan``, the AWS Config rule): the live counterpart of
``secure_fargate.acknowledge`` in a template.

A tag on a live resource (task definition, service, cluster, task set, ECR repository)::

    secure-fargate:ack:<CONTROL-ID>                         = <reason>[ expires=YYYY-MM-DD]
    secure-fargate:ack:<CONTROL-ID>:<container>             = ...   (a per-container control: that container)
    secure-fargate:ack:<CONTROL-ID>:<container>:<variable>  = ...   (a per-variable control, e.g. ECS.8)

becomes the same acknowledgement entry the engine honours in a template's ``Metadata`` (``engine.METADATA_KEY``),
so matching, expiry and the ``acknowledgeable=False`` of invariants are the engine's, unchanged. The expiry is a
suffix of the value (one tag is one acknowledgement: a reason and its expiry cannot be changed apart) in characters
every AWS tag value accepts.

Refused, each with a warning line (and then acknowledging nothing): a reason that fails the pack's reason rule
(``reasons.reason_problem``: blank, padded with invisible or repeated characters, too short), an unknown control, an
invariant (no acknowledgement silences one), a malformed expiry. An expired tag is warned about and written with its
expiry, so the reopened finding names it, as an expired template acknowledgement does.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import clock
from .catalog import CONTROLS_BY_ID
from .control import Control, Scope
from .engine import METADATA_KEY
from .reasons import reason_problem

#: The prefix of an acknowledgement tag's key.
TAG_PREFIX = "secure-fargate:ack:"
#: The optional expiry at the end of a tag's value: `` expires=YYYY-MM-DD``.
_EXPIRES = re.compile(r"\s+expires=(?P<date>\S*)\s*$")


def tag_pairs(tags: Any) -> Iterator[tuple[str, str]]:
    """(key, value) of a resource's tags: CloudFormation's ``[{Key, Value}]``, ECS's ``[{key, value}]`` or a map."""
    if isinstance(tags, Mapping):
        yield from ((str(k), v) for k, v in tags.items() if isinstance(v, str))
        return
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, Mapping):
            key, value = tag.get("Key", tag.get("key")), tag.get("Value", tag.get("value"))
            if isinstance(key, str) and isinstance(value, str):
                yield key, value


def split_value(value: str) -> tuple[str, str | None]:
    """(reason, expiry text or None) of a tag value."""
    match = _EXPIRES.search(value)
    if not match:
        return value.strip(), None
    return value[: match.start()].strip(), match.group("date")


def tag_key(control: Control) -> str:
    """The key of a tag that acknowledges ``control`` (with its container/variable placeholders)."""
    shape = {Scope.RESOURCE: "", Scope.CONTAINER: ":<container>", Scope.VARIABLE: ":<container>:<variable>"}
    return f"{TAG_PREFIX}{control.id}{shape[control.scope]}"


def live_acceptance(control: Control) -> str:
    """How to accept a finding of ``control`` on a live resource (or that it cannot be accepted)."""
    if not control.acknowledgeable:
        return "an invariant: it cannot be acknowledged"
    return f"to accept: tag the resource {tag_key(control)} = <reason>[ expires=YYYY-MM-DD]"


def _subject(control: Control, rest: list[str]) -> tuple[dict[str, str], str | None]:
    """The entry's container/variable from the key's tail, or a problem naming what the control's scope needs."""
    need = {Scope.RESOURCE: 0, Scope.CONTAINER: 1, Scope.VARIABLE: 2}[control.scope]
    if len(rest) != need or not all(rest):
        return {}, f"{control.id} is a {control.scope.value}-level control: key {tag_key(control)}"
    return dict(zip(("container", "variable"), rest, strict=False)), None


def entry_from_tag(key: str, value: str, today: datetime.date | None = None) -> tuple[dict[str, str] | None, str]:
    """(the Metadata entry, None) for an acknowledgement tag, or (None, why it is refused); an expired tag gives both
    its entry and a warning."""
    control_id, *rest = key[len(TAG_PREFIX) :].split(":")
    control = CONTROLS_BY_ID.get(control_id)
    if control is None:
        return None, f"no control {control_id!r} in the pack"
    if not control.acknowledgeable:
        return None, f"{control.id} is an invariant: no acknowledgement silences it"
    subject, problem = _subject(control, rest)
    if problem:
        return None, problem
    reason, expires = split_value(value)
    problem = reason_problem(reason)
    if problem:
        return None, f"reason {reason!r}: {problem}"
    if "expires=" in reason:  # two expiries: a reader would believe the first, the rule the last
        return None, f"reason {reason!r}: one expires=YYYY-MM-DD, at the end of the value"
    entry = {"control": control.id, "reason": reason, **subject}
    if expires is None:
        return entry, ""
    problem = clock.expiry_problem(expires)
    if problem:
        return None, f"expires {problem}"
    entry["expires"] = clock.expiry_text(expires) or expires
    if clock.is_expired(expires, today):
        return entry, f"expired on {entry['expires']}: the finding is open again"
    return entry, ""


def apply_tag_acknowledgements(resources: dict[str, Any], today: datetime.date | None = None) -> list[str]:
    """Turn every resource's ``secure-fargate:ack:*`` tags into acknowledgement entries in its Metadata (after any
    already there, e.g. from an acknowledgement file); return one warning line per refused or expired tag.

    Args:
        resources: logical ID (the ARN, live) -> CloudFormation-form resource; modified in place.
        today: the date expiry is judged against for the warnings. Default ``clock.today()``; the engine judges
            the written entries by ``clock.today()``.
    """
    warnings: list[str] = []
    for name, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Properties"), dict):
            continue
        entries = []
        for key, value in tag_pairs(resource["Properties"].get("Tags")):
            if not key.startswith(TAG_PREFIX):
                continue
            entry, warning = entry_from_tag(key, value, today)
            if warning:
                warnings.append(f"{name}: tag {key}: {'ignored: ' if entry is None else ''}{warning}")
            if entry is not None:
                entries.append(entry)
        if entries:
            _append(resource, entries)
    return warnings


def _append(resource: dict[str, Any], entries: list[dict[str, str]]) -> None:
    meta = _mapping(resource.get("Metadata"))
    block = _mapping(meta.get(METADATA_KEY))
    existing = block.get("acknowledgements")
    existing = existing if isinstance(existing, list) else []
    resource["Metadata"] = {**meta, METADATA_KEY: {**block, "acknowledgements": [*existing, *entries]}}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
