"""A read-only view of a CloudFormation template, and the intrinsic-function handling every rule shares.

Rules never guess: a value hidden behind an intrinsic function that cannot be resolved is *unknown*, and an
unknown value is never a violation. The one exception to "unknown" is an ``Fn::If`` whose branches are all
literal: its possible values are the branches, and a rule judges each of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = Any

#: What ``{"Ref": "AWS::NoValue"}`` (and an absent key) resolves to.
ABSENT: None = None


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
    return key == "Ref" or key.startswith("Fn::") or key == "Condition"


def _has_intrinsic(value: JSON) -> bool:
    if is_intrinsic(value):
        return True
    if isinstance(value, dict):
        return any(_has_intrinsic(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_intrinsic(v) for v in value)
    return False


def possible_values(value: JSON) -> list[JSON] | _Unknown:
    """The literal values ``value`` can take at deploy time, or UNKNOWN.

    A literal (containing no intrinsic) has one possible value. ``Ref: AWS::NoValue`` is ABSENT. An ``Fn::If``
    has the union of its branches' possible values, provided every branch is known.
    """
    if isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}:
        return [ABSENT]
    if isinstance(value, dict) and len(value) == 1 and "Fn::If" in value:
        branches = value["Fn::If"]
        if not isinstance(branches, list) or len(branches) != 3:
            return UNKNOWN
        result: list[JSON] = []
        for branch in branches[1:]:
            options = possible_values(branch)
            if isinstance(options, _Unknown):
                return UNKNOWN
            result.extend(options)
        return result
    if _has_intrinsic(value):
        return UNKNOWN
    return [value]


def literal_value(value: JSON) -> JSON | _Unknown:
    """The one literal ``value`` stands for, or UNKNOWN when it depends on deploy time or has several."""
    options = possible_values(value)
    if isinstance(options, _Unknown) or len(options) != 1:
        return UNKNOWN
    return options[0]


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

    def policy_statements_of_role(self, role_id: str) -> Iterator[Mapping[str, JSON]]:
        """Every IAM statement attached to ``role_id``: inline policies and AWS::IAM::Policy resources."""
        role = self.resource(role_id)
        if role is None:
            return
        for policy in _list(properties(role).get("Policies")):
            if isinstance(policy, dict):
                yield from _statements(policy.get("PolicyDocument"))
        for _, policy in self.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = _list(properties(policy).get("Roles"))
            if any(referenced_logical_id(r) == role_id for r in roles):
                yield from _statements(properties(policy).get("PolicyDocument"))


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
