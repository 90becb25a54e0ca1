"""The guardrail pack's catalogue: every control declared in the rule modules, in one ordered tuple.

Nothing is declared here. Each control is declared once, beside its rule function (``control.resource_control``
/ ``control.container_control`` in ``containers``, ``tasks``, ``services``, ``ingress``, ``iam``, ``storage``,
``runtime``, ``tags``, ``tasksets``, ``launchers``, ``ecr``); this module collects them and selects by standard and
severity.
Security Hub IDs are used where AWS defines the control; ``SF.*`` IDs are ours, for the CON316 controls that
Security Hub does not cover.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from . import containers, ecr, iam, ingress, launchers, runtime, services, storage, tags, tasks, tasksets
from .control import (
    DEFAULT_STANDARDS,
    STANDARDS,
    TAGGING,
    Control,
    Severity,
    declared,
)

#: The rule modules, each a family of controls (and of test fixtures: ``tests/controls/cases/<family>.json``).
FAMILIES = (containers, tasks, services, ingress, tasksets, launchers, storage, runtime, iam, ecr, tags)


def _order(control: Control) -> tuple[int, str, int, str]:
    """Security Hub's ECS, then ECR, then our SF controls; numbers in numeric order."""
    prefix, _, rest = control.id.partition(".")
    rank = {"ECS": 0, "ECR": 1, "SF": 2}.get(prefix, 3)
    number = int(rest) if re.fullmatch(r"[0-9]+", rest) else 0
    return rank, prefix, number, rest


def collect(modules: Iterable[object] = FAMILIES) -> tuple[Control, ...]:
    """Every control declared in ``modules``, ordered; ValueError when two declarations share an ID."""
    found = [c for m in modules for c in declared(m)]  # type: ignore[arg-type]
    ids = [c.id for c in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"control IDs declared twice: {duplicates}")
    return tuple(sorted(found, key=_order))


#: Every control of the pack, whatever its standard.
CONTROLS: tuple[Control, ...] = collect()
CONTROLS_BY_ID: dict[str, Control] = {c.id: c for c in CONTROLS}


def controls_in(
    standards: Iterable[str] = DEFAULT_STANDARDS, controls: Sequence[Control] = CONTROLS
) -> tuple[Control, ...]:
    """The controls of ``controls`` that belong to any of ``standards`` (``all`` selects every standard)."""
    chosen = parse_standards(standards)
    return tuple(c for c in controls if chosen.intersection(c.standards))


def parse_standards(standards: Iterable[str] | str) -> set[str]:
    """Standard names from a list or a comma-separated text (``all`` = every standard); ValueError naming the
    known standards otherwise."""
    names = [s.strip().lower() for s in (standards.split(",") if isinstance(standards, str) else standards)]
    names = [n for n in names if n]
    if "all" in names:
        return set(STANDARDS)
    unknown = [n for n in names if n not in STANDARDS]
    if unknown or not names:
        raise ValueError(
            f"unknown standard(s) {unknown or names}; use a comma-separated list of {', '.join(STANDARDS)} or 'all'"
        )
    return set(names)


def parse_fail_on(text: str | Severity) -> Severity:
    """A ``fail_on`` threshold from its label; ValueError naming the labels otherwise."""
    return text if isinstance(text, Severity) else Severity.parse(text)


def with_required_tag_keys(
    required_tag_keys: Sequence[str] = (), controls: Sequence[Control] = CONTROLS
) -> tuple[Control, ...]:
    """``controls`` with the tagging controls requiring every key of ``required_tag_keys`` (Security Hub's optional
    ``requiredTagKeys`` parameter). Raises ValueError beyond Security Hub's limits (6 keys, no ``aws:``)."""
    problem = tags.required_tag_keys_problem(required_tag_keys)
    if problem:
        raise ValueError(f"required_tag_keys: {problem}")
    if not required_tag_keys:
        return tuple(controls)
    return tuple(
        replace(c, check=tags.tag_check(required_tag_keys, kind=tags.KIND_BY_TYPE[c.resource_type]))
        if TAGGING in c.standards and c.resource_type in tags.KIND_BY_TYPE
        else c
        for c in controls
    )


def selection(
    standards: Iterable[str] | str = DEFAULT_STANDARDS,
    required_tag_keys: Sequence[str] = (),
    extra: Sequence[Control] = (),
) -> tuple[Control, ...]:
    """What one run judges: the controls of ``standards`` (tag keys applied; giving tag keys turns the ``tagging``
    standard on) plus a team's ``extra`` controls.

    Raises ValueError for an unknown standard, bad tag keys, or an extra control whose ID the pack already has.
    """
    clash = sorted({c.id for c in extra} & set(CONTROLS_BY_ID))
    if clash:
        raise ValueError(f"external controls reuse the pack's control IDs {clash}; choose IDs of your own")
    ids = [c.id for c in extra]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"external controls declared twice: {twice}")
    chosen = parse_standards(standards)
    if required_tag_keys:  # asking for tag keys asks for the tag controls
        chosen.add(TAGGING)
    return with_required_tag_keys(required_tag_keys, controls_in(chosen)) + tuple(extra)
