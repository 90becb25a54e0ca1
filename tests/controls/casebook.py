"""The control cases as data: a compliant baseline template, and per family (rule module) the patches that make
one control fail or keep it passing (``cases/<family>.json``). Each declaration's own failing and passing example
is a case too. Helper module, not a test module: the per-family test modules and the branch test import it.

A case is ``{"control", "name", "expect": "fail"|"pass", "patch": [[op, path, value?], ...]}`` where ``op`` is
``set``, ``remove`` or ``append`` and ``path`` is ``/``-separated from the template root (digits index lists).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from secure_fargate.pack import CONTROLS, CONTROLS_BY_ID, Template, evaluate

CASES = Path(__file__).parent / "cases"
NO_VALUE = {"Ref": "AWS::NoValue"}
CONDITION = "SecureFargateCaseCondition"


@dataclass(frozen=True)
class Case:
    control: str
    name: str
    expect: str
    patch: list[list[Any]] = field(default_factory=list, compare=False)
    #: A whole template instead of a patch of the baseline (the declarations' examples).
    template: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        return f"{self.control}-{self.name}"

    def body(self) -> dict[str, Any]:
        """The case's template: the example, or the baseline with the patch applied."""
        if self.template is not None:
            return copy.deepcopy(self.template)
        body = baseline()
        for op in self.patch:
            apply(body, op)
        return body

    def touched(self) -> list[list[str | int]]:
        """The paths the case changes (for an example: the failing resources' properties, one level deep)."""
        if self.template is not None:
            return [["Resources", rid] for rid in self.template["Resources"]] + [
                ["Resources", rid, "Properties", key]
                for rid, resource in self.template["Resources"].items()
                for key in (resource.get("Properties") or {})
            ]
        return [_path(op[1]) for op in self.patch]


@cache
def _baseline() -> str:
    return (CASES / "baseline.json").read_text(encoding="utf-8")


def baseline() -> dict[str, Any]:
    """A fresh copy of the compliant baseline template (every control passes it)."""
    return json.loads(_baseline())  # type: ignore[no-any-return]


def c0(body: dict[str, Any]) -> dict[str, Any]:
    """The baseline task's first container."""
    return body["Resources"]["Task"]["Properties"]["ContainerDefinitions"][0]  # type: ignore[no-any-return]


def task(body: dict[str, Any]) -> dict[str, Any]:
    return body["Resources"]["Task"]["Properties"]  # type: ignore[no-any-return]


def svc(body: dict[str, Any]) -> dict[str, Any]:
    return body["Resources"]["Service"]["Properties"]  # type: ignore[no-any-return]


def _path(text: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in text.split("/")]


def _parent(body: Any, path: list[str | int]) -> Any:
    node = body
    for key in path[:-1]:
        node = node[key]
    return node


def apply(body: dict[str, Any], op: list[Any]) -> None:
    """Apply one patch operation to ``body`` in place."""
    path = _path(op[1])
    parent = _parent(body, path)
    if op[0] == "set":
        parent[path[-1]] = copy.deepcopy(op[2])
    elif op[0] == "remove":
        del parent[path[-1]]
    elif op[0] == "append":
        parent[path[-1]].append(copy.deepcopy(op[2]))
    else:
        raise ValueError(f"unknown patch operation {op[0]!r}")


def family_cases(family: str) -> list[Case]:
    """The data cases of ``family`` and the declared examples of its controls."""
    path = CASES / f"{family}.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"cases": []}
    cases = [Case(c["control"], c["name"], c["expect"], c.get("patch", [])) for c in data["cases"]]
    for control in CONTROLS:
        if control.family == family:
            cases.append(Case(control.id, "declared-failing", "fail", template={"Resources": control.failing}))
            cases.append(Case(control.id, "declared-passing", "pass", template={"Resources": control.passing}))
    return cases


def all_cases() -> list[Case]:
    return [case for family in sorted({c.family for c in CONTROLS}) for case in family_cases(family)]


def open_controls(body: dict[str, Any]) -> set[str]:
    """The controls (every standard's) with an open finding on ``body``."""
    return {f.control for f in evaluate(Template(body), CONTROLS) if not f.acknowledged}


def check_case(case: Case) -> None:
    """The case's expectation holds: its control fires on a failing case and not on a passing one."""
    assert case.control in CONTROLS_BY_ID, f"{case.id}: no such control"
    found = open_controls(case.body())
    if case.expect == "fail":
        assert case.control in found, f"{case.id}: expected {case.control} to fire, got {sorted(found)}"
    else:
        assert case.control not in found, f"{case.id}: {case.control} fired on a passing case"


# ---------------------------------------------------------------------------------------------- branch variants


def _get(body: Any, path: list[str | int]) -> Any:
    node = body
    for key in path:
        node = node[key]
    return node


def _wrappable(body: dict[str, Any], path: list[str | int]) -> list[list[str | int]]:
    """Every node from the first key under ``Properties`` down to ``path`` (each list and value on the way),
    stopping at an intrinsic: its arguments are not values CloudFormation deploys."""
    if len(path) < 4 or path[0] != "Resources" or path[2] != "Properties":
        return []
    nodes: list[list[str | int]] = []
    for end in range(4, len(path) + 1):
        nodes.append(path[:end])
        try:
            node = _get(body, path[:end])
        except (KeyError, IndexError, TypeError):
            break
        if _is_intrinsic(node):
            break
    return nodes


def _is_intrinsic(node: Any) -> bool:
    key = next(iter(node)) if isinstance(node, dict) and len(node) == 1 else ""
    return key == "Ref" or str(key).startswith("Fn::")


def branch_variants(case: Case) -> Iterator[tuple[str, dict[str, Any]]]:
    """The case's failing template with each touched list and value moved into an ``Fn::If`` (beside
    ``AWS::NoValue`` and beside the baseline's compliant value, in both branch orders), and with each touched
    resource guarded by a ``Condition``."""
    body = case.body()
    paths: list[list[str | int]] = []
    for touched in case.touched():
        for node in _wrappable(body, touched) or [touched[:2]]:
            if node not in paths:
                paths.append(node)
    for path in paths:
        yield from _wrapped(body, path)
    for rid in dict.fromkeys(str(p[1]) for p in case.touched() if len(p) > 1 and p[0] == "Resources"):
        guarded = _with_condition(copy.deepcopy(body))
        if isinstance(guarded["Resources"].get(rid), dict):
            guarded["Resources"][rid]["Condition"] = CONDITION
            yield f"Condition on {rid}", guarded


def _wrapped(body: dict[str, Any], path: list[str | int]) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        value = _get(body, path)
    except (KeyError, IndexError, TypeError):
        return  # a removed key: its parent is wrapped instead
    if len(path) < 4:
        return
    alternatives: list[Any] = [NO_VALUE]
    try:
        compliant = _get(baseline(), path)
        if compliant != value:
            alternatives.append(compliant)
    except (KeyError, IndexError, TypeError):
        pass
    shown = "/".join(str(p) for p in path)
    for other in alternatives:
        for first, second, order in ((value, other, "then"), (other, value, "else")):
            variant = _with_condition(copy.deepcopy(body))
            _parent(variant, path)[path[-1]] = {"Fn::If": [CONDITION, copy.deepcopy(first), copy.deepcopy(second)]}
            kind = "NoValue" if other is NO_VALUE else "compliant"
            yield f"Fn::If({order} branch, beside {kind}) at {shown}", variant


def _with_condition(body: dict[str, Any]) -> dict[str, Any]:
    body.setdefault("Parameters", {})["Env"] = {"Type": "String"}
    body.setdefault("Conditions", {})[CONDITION] = {"Fn::Equals": [{"Ref": "Env"}, "prod"]}
    return body
