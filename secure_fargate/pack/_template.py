"""A read-only view of a CloudFormation template, and the intrinsic-function evaluation every rule shares.

Rules never guess: a value that depends on deploy time (a parameter, a resource attribute, a pseudo parameter
such as ``AWS::Region``, an import) is *unknown*, and an unknown value is never a violation. Everything that is
fully known from the template text is a literal and is judged: ``Fn::Sub`` without variables or with literal
variable maps, ``Fn::Join``/``Fn::Select``/``Fn::Split``/``Fn::Base64`` over literals, nested; an ``Fn::If``
has the possible values of *every* known branch (an attacker cannot hide ``"0"`` as a user behind a condition
that is always true), and an unknown branch only adds nothing.

Evaluation is bounded: recursion stops at ``MAX_DEPTH`` (the loader refuses deeper templates, so a loaded
template is always evaluated completely) and the set of possible values of one expression at
``MAX_VALUES`` (beyond it, the first ``MAX_VALUES`` are judged).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = Any

#: What ``{"Ref": "AWS::NoValue"}`` (and an absent key) resolves to.
ABSENT: None = None

#: Deepest nesting evaluated (and accepted by the loader). CloudFormation templates rarely nest beyond 20.
MAX_DEPTH = 100
#: Most possible values kept for one expression (Fn::If inside Fn::Sub/Join multiplies them).
MAX_VALUES = 256


class _Unknown:
    """Marker for a value that depends on deploy-time information."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def is_intrinsic(value: JSON) -> bool:
    """True for ``{"Ref": ...}`` and ``{"Fn::...": ...}`` (and ``Condition``) objects."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key,) = value.keys()
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::") or key == "Condition")


def _unique(values: list[JSON]) -> list[JSON]:
    """``values`` without duplicates (compared as canonical JSON), at most MAX_VALUES of them."""
    seen: set[str] = set()
    result: list[JSON] = []
    for value in values:
        try:
            key = json.dumps(value, sort_keys=True, default=repr)
        except (TypeError, ValueError, RecursionError):
            key = repr(value)
        if key not in seen:
            seen.add(key)
            result.append(value)
            if len(result) >= MAX_VALUES:
                break
    return result


def _combine(options: list[list[JSON]]) -> list[list[JSON]]:
    """Every combination of one value per position (bounded); [] when a position has no known value."""
    combos: list[list[JSON]] = [[]]
    for choices in options:
        if not choices:
            return []
        combos = [[*combo, choice] for combo in combos for choice in choices][:MAX_VALUES]
    return combos


def _eval(value: JSON, depth: int) -> list[JSON]:
    """Possible literal values of ``value`` ([] = unknown)."""
    if depth > MAX_DEPTH:
        return []
    if is_intrinsic(value):
        ((key, argument),) = value.items()
        handler = _INTRINSICS.get(key)
        return _unique(handler(argument, depth + 1)) if handler else []
    if isinstance(value, dict):
        keys = list(value)
        combos = _combine([_eval(value[k], depth + 1) for k in keys])
        return [{k: v for k, v in zip(keys, combo, strict=True) if v is not ABSENT} for combo in combos]
    if isinstance(value, list):
        combos = _combine([_eval(item, depth + 1) for item in value])
        return [[v for v in combo if v is not ABSENT] for combo in combos]
    return [value]


def _ref(argument: JSON, depth: int) -> list[JSON]:
    return [ABSENT] if argument == "AWS::NoValue" else []


def _if(argument: JSON, depth: int) -> list[JSON]:
    if not isinstance(argument, list) or len(argument) != 3:
        return []
    return _eval(argument[1], depth) + _eval(argument[2], depth)


def _strings(value: JSON, depth: int) -> list[str]:
    """The possible values of ``value`` when every one is a string (CloudFormation needs strings here)."""
    values = _eval(value, depth)
    return values if values and all(isinstance(v, str) for v in values) else []


def _join(argument: JSON, depth: int) -> list[JSON]:
    if not isinstance(argument, list) or len(argument) != 2 or not isinstance(argument[0], str):
        return []
    delimiter = argument[0]
    return [delimiter.join(parts) for parts in _string_lists(argument[1], depth)]


def _string_lists(value: JSON, depth: int) -> list[list[str]]:
    """Possible values of a list whose items are all strings."""
    return [v for v in _eval(value, depth) if isinstance(v, list) and all(isinstance(i, str) for i in v)]


def _select(argument: JSON, depth: int) -> list[JSON]:
    if not isinstance(argument, list) or len(argument) != 2:
        return []
    result: list[JSON] = []
    for index in _eval(argument[0], depth):
        position = _index(index)
        for items in _eval(argument[1], depth):
            if position is not None and isinstance(items, list) and position < len(items):
                result.append(items[position])
    return result


def _index(value: JSON) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value):
        return int(value)
    return None


def _split(argument: JSON, depth: int) -> list[JSON]:
    if not isinstance(argument, list) or len(argument) != 2 or not isinstance(argument[0], str) or not argument[0]:
        return []
    return [text.split(argument[0]) for text in _strings(argument[1], depth)]


def _base64(argument: JSON, depth: int) -> list[JSON]:
    try:
        return [base64.b64encode(text.encode("utf-8")).decode("ascii") for text in _strings(argument, depth)]
    except (UnicodeEncodeError, binascii.Error):
        return []


#: ``${Name}``, ``${Name.Attr}`` or the escape ``${!Literal}``.
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _sub(argument: JSON, depth: int) -> list[JSON]:
    if isinstance(argument, str):
        text, variables = argument, {}
    elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        text, variables = argument[0], argument[1]
        if not isinstance(variables, dict):
            return []
    else:
        return []
    texts = [""]
    position = 0
    for match in _SUB_VARIABLE.finditer(text):
        name = match.group(1)
        if name.startswith("!"):
            choices = ["${" + name[1:] + "}"]
        elif name.strip() in variables:
            choices = _strings(variables[name.strip()], depth)
        else:
            return []  # a pseudo parameter, a resource or a parameter: known only at deploy time
        if not choices:
            return []
        literal = text[position : match.start()]
        texts = [t + literal + c for t in texts for c in choices][:MAX_VALUES]
        position = match.end()
    return [t + text[position:] for t in texts]


_INTRINSICS: dict[str, Callable[[JSON, int], list[JSON]]] = {
    "Ref": _ref,
    "Fn::If": _if,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::Sub": _sub,
    "Fn::Base64": _base64,
}


def possible_values(value: JSON) -> list[JSON] | _Unknown:
    """The literal values ``value`` can take at deploy time, or UNKNOWN when none is known.

    A literal has one possible value; ``Ref: AWS::NoValue`` is ABSENT (None); intrinsics over literals are
    evaluated; an ``Fn::If`` has the values of every known branch.
    """
    values = _eval(value, 0)
    return values if values else UNKNOWN


def literal_value(value: JSON) -> JSON | _Unknown:
    """The one literal value of ``value`` (an intrinsic over literals included), or UNKNOWN (none or several)."""
    values = _eval(value, 0)
    return values[0] if len(values) == 1 else UNKNOWN


def shallow_values(value: JSON, depth: int = 0) -> list[JSON]:
    """The possible values of ``value`` resolved at the top only: an ``Fn::If`` gives each branch (itself
    resolved at the top), ``Fn::Select`` the selected item; the values may still hold intrinsics inside.

    Used to walk lists and objects (containers, environment, mounts, volumes) without multiplying their
    combinations. [] when unknown.
    """
    if depth > MAX_DEPTH:
        return []
    if isinstance(value, dict) and len(value) == 1 and "Fn::If" in value:
        branches = value["Fn::If"]
        if not isinstance(branches, list) or len(branches) != 3:
            return []
        return shallow_values(branches[1], depth + 1) + shallow_values(branches[2], depth + 1)
    if isinstance(value, dict) and len(value) == 1 and "Fn::Select" in value:
        return _shallow_select(value["Fn::Select"], depth + 1)
    if is_intrinsic(value):
        return _eval(value, depth)
    return [value]


def _shallow_select(argument: JSON, depth: int) -> list[JSON]:
    if not isinstance(argument, list) or len(argument) != 2:
        return []
    result: list[JSON] = []
    for index in _eval(argument[0], depth):
        position = _index(index)
        for items in shallow_values(argument[1], depth):
            if position is not None and isinstance(items, list) and position < len(items):
                result.extend(shallow_values(items[position], depth))
    return result


def items(value: JSON) -> list[JSON]:
    """Every item a list-valued property can hold: the items of each possible list, each item resolved at the
    top (an ``Fn::If`` item gives both branches; ``AWS::NoValue`` items are dropped)."""
    found: list[JSON] = []
    for option in shallow_values(value):
        if isinstance(option, list):
            for item in option:
                found.extend(v for v in shallow_values(item) if v is not ABSENT)
    return found


def objects(value: JSON) -> list[Mapping[str, JSON]]:
    """The possible objects ``value`` resolves to at the top (branches of an ``Fn::If`` included)."""
    return [v for v in shallow_values(value) if isinstance(v, dict) and not is_intrinsic(v)]


def is_true(value: JSON) -> bool:
    """CloudFormation's boolean true: ``true`` or the string ``"true"`` (any case)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def referenced_logical_id(value: JSON) -> str | None:
    """The logical ID behind ``{"Ref": X}`` or ``{"Fn::GetAtt": [X, ...]}``; None otherwise."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    if "Ref" in value and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::"):
        return str(value["Ref"])
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        if isinstance(target, list) and target and isinstance(target[0], str):
            return target[0]
        if isinstance(target, str):
            return target.split(".", 1)[0]
    return None


@dataclass(frozen=True)
class Template:
    """A parsed CloudFormation template with the cross-resource look-ups rules need."""

    body: Mapping[str, JSON]
    name: str = "template"
    _by_type: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: Links to what the template is judged with: ``"set"`` -> its ``template_set.TemplateSet``.
    context: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for logical_id, resource in self.resources.items():
            if isinstance(resource, dict):
                self._by_type.setdefault(str(resource.get("Type", "")), []).append(logical_id)

    @property
    def resources(self) -> Mapping[str, JSON]:
        resources = self.body.get("Resources")
        return resources if isinstance(resources, dict) else {}

    def resource(self, logical_id: str | None) -> Mapping[str, JSON] | None:
        if logical_id is None:
            return None
        found = self.resources.get(logical_id)
        return found if isinstance(found, dict) else None

    def of_type(self, *types: str) -> Iterator[tuple[str, Mapping[str, JSON]]]:
        for resource_type in types:
            for logical_id in self._by_type.get(resource_type, []):
                yield logical_id, self.resources[logical_id]

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per template and ``key``: look-ups several controls share."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def policy_statements_of_role(self, role_id: str) -> Iterator[Mapping[str, JSON]]:
        """Every IAM statement attached to ``role_id``: inline policies and AWS::IAM::Policy resources."""
        role = self.resource(role_id)
        if role is None:
            return
        for policy in _list(properties(role).get("Policies")):
            if isinstance(policy, dict):
                yield from _statements(policy.get("PolicyDocument"))
        for policy in self._policies_by_role().get(role_id, []):
            yield from _statements(properties(policy).get("PolicyDocument"))

    def _policies_by_role(self) -> dict[str, list[Mapping[str, JSON]]]:
        """Role logical ID -> the policy resources attached to it, indexed once (linear, not per task)."""
        if "policies_by_role" not in self._cache:
            index: dict[str, list[Mapping[str, JSON]]] = {}
            for _, policy in self.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                roles = {referenced_logical_id(r) for r in _list(properties(policy).get("Roles"))}
                for role in roles - {None}:
                    index.setdefault(str(role), []).append(policy)
            self._cache["policies_by_role"] = index
        return self._cache["policies_by_role"]  # type: ignore[no-any-return]


def properties(resource: Mapping[str, JSON]) -> Mapping[str, JSON]:
    props = resource.get("Properties")
    return props if isinstance(props, dict) else {}


def _list(value: JSON) -> list[JSON]:
    return value if isinstance(value, list) else []


def _statements(document: JSON) -> Iterator[Mapping[str, JSON]]:
    if not isinstance(document, dict):
        return
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    for statement in _list(statements):
        if isinstance(statement, dict):
            yield statement


def as_list(value: JSON) -> list[JSON]:
    """A literal list, a single literal as a one-item list, or [] for anything else."""
    if isinstance(value, list):
        return value
    if value is None or is_intrinsic(value):
        return []
    return [value]
