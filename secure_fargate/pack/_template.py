"""A read-only view of a CloudFormation template, and the intrinsic-function evaluation every rule shares.

Rules never guess: a value that depends on deploy time (a parameter, a resource attribute, a pseudo parameter
such as ``AWS::Region``, an import) is *unknown*, and an unknown value is never a violation. Everything that is
fully known from the template text is a literal and is judged: ``Fn::Sub`` without variables or with literal
variable maps, ``Fn::Join``/``Fn::Select``/``Fn::Split``/``Fn::Base64`` over literals, nested; an ``Fn::If``
has the possible values of *every* known branch (an attacker cannot hide ``"0"`` as a user behind a condition
that is always true), and an unknown branch only adds nothing.

Evaluation is bounded: recursion stops at ``MAX_DEPTH`` (the loader refuses deeper templates, so a loaded
template is always evaluated completely) and the set of possible values of one expression at
``MAX_VALUES``. Beyond it the rest are not judged, and the evaluation says so (:func:`note_bound`): the engine
turns that into an SF.UNJUDGED finding on the resource being judged, so a violation hidden after 256 compliant
values is reported as "cannot judge", never passed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from ipaddress import ip_network
from itertools import islice, product
from typing import Any

JSON = Any

#: What ``{"Ref": "AWS::NoValue"}`` (and an absent key) resolves to.
ABSENT: None = None

#: Deepest nesting evaluated (and accepted by the loader). CloudFormation templates rarely nest beyond 20.
MAX_DEPTH = 100
#: Most possible values kept for one expression (Fn::If inside Fn::Sub/Join multiplies them).
MAX_VALUES = 256
#: Most items the combinations of one list, object or Fn::Sub may hold together (bounds time and memory).
MAX_ELEMENTS = 1 << 20


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

#: In :func:`partial_strings`, what stands for the part of a string known only at deploy time.
UNKNOWN_PART = "\ufffc"
#: On while :func:`partial_strings` evaluates: a deploy-time part becomes ``UNKNOWN_PART`` instead of unknowing
#: the whole value.
_PARTIAL: ContextVar[bool] = ContextVar("secure_fargate_partial", default=False)


def is_intrinsic(value: JSON) -> bool:
    """True for ``{"Ref": ...}`` and ``{"Fn::...": ...}`` (and ``Condition``) objects."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key,) = value.keys()
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::") or key == "Condition")


#: While the engine runs one control over one resource: the bounds evaluation hit (see :func:`watching_bounds`).
_BOUNDS: ContextVar[list[str] | None] = ContextVar("secure_fargate_bounds", default=None)


def note_bound(what: str) -> None:
    """Record that an evaluation dropped values at a bound (``what`` says which), so the run reports that it could
    not judge every value instead of passing what it did not see. Every bound of the evaluation calls this."""
    hits = _BOUNDS.get()
    if hits is not None and what not in hits:
        hits.append(what)


@contextmanager
def watching_bounds() -> Iterator[list[str]]:
    """Collect, while the block runs, the bounds any evaluation hit (each described once)."""
    hits: list[str] = []
    token = _BOUNDS.set(hits)
    try:
        yield hits
    finally:
        _BOUNDS.reset(token)


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
            if len(result) >= MAX_VALUES:
                note_bound(f"an expression has more than {MAX_VALUES} possible values")
                break
            seen.add(key)
            result.append(value)
    return result


def _combine(options: list[list[JSON]]) -> list[list[JSON]]:
    """Every combination of one value per position (bounded); [] when a position has no known value.

    Built lazily (``itertools.product``): each kept combination costs one pass over the positions, so a list of
    many literal items is linear, not quadratic, in its length; a long list keeps fewer combinations (at most
    ``MAX_ELEMENTS`` items in all, at least one combination), so memory stays bounded.
    """
    limit = max(1, min(MAX_VALUES, MAX_ELEMENTS // max(1, len(options))))
    combos = [list(combo) for combo in islice(product(*options), limit + 1)]
    if len(combos) > limit:
        note_bound(f"a list, object or Fn::Sub has more than {limit} combinations of possible values")
    return combos[:limit]


def _eval(value: JSON, depth: int) -> list[JSON]:
    """Possible literal values of ``value`` ([] = unknown)."""
    if depth > MAX_DEPTH:
        return []
    if is_intrinsic(value):
        ((key, argument),) = value.items()
        handler = _INTRINSICS.get(key)
        found = _unique(handler(argument, depth + 1)) if handler else []
        return found if found or not _PARTIAL.get() else [UNKNOWN_PART]
    if isinstance(value, dict):
        keys = list(value)
        combos = _combine([_eval(value[k], depth + 1) for k in keys])
        return [{k: v for k, v in zip(keys, combo, strict=True) if v is not ABSENT} for combo in combos]
    if isinstance(value, list):
        combos = _combine([_eval(item, depth + 1) for item in value])
        return [[v for v in combo if v is not ABSENT] for combo in combos]
    return [value]


#: The template whose ``Mappings``, ``Parameters`` and template set resolve ``Fn::FindInMap``, a ``Ref`` to a
#: parameter with ``AllowedValues`` and ``Fn::ImportValue`` while the engine judges it (see :func:`evaluating`).
_SCOPE: ContextVar[Template | None] = ContextVar("secure_fargate_scope", default=None)


@contextmanager
def evaluating(template: Template) -> Iterator[None]:
    """Evaluate intrinsics in the scope of ``template``: its mappings, its parameters' allowed values and the
    exports of the set it is judged with are then literals too.

    Args:
        template: the template whose resources the rules are about to judge.
    """
    token = _SCOPE.set(template)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def judged_template() -> Template | None:
    """The template the engine is judging (see :func:`evaluating`), for rules that read beside it (its cloud
    assembly's asset files, its own resources); None outside a judgement."""
    return _SCOPE.get()


def _section(name: str) -> Mapping[str, JSON]:
    """A top-level mapping (``Mappings``, ``Parameters``) of the template in scope; {} outside a scope."""
    template = _SCOPE.get()
    found = template.body.get(name) if template is not None else None
    return found if isinstance(found, dict) else {}


#: Parameter types whose ``AllowedValues`` close the set of values a ``Ref`` can take.
_CLOSED_PARAMETER_TYPES = frozenset({"String", "Number"})


def _ref(argument: JSON, depth: int) -> list[JSON]:
    """``AWS::NoValue`` is ABSENT; a String/Number parameter with ``AllowedValues`` has those values (as the
    strings ``Ref`` gives); a parameter's ``Default`` is what deploys when nobody passes a value, so it is one
    possible value (a list for ``CommaDelimitedList``/``List<...>``); anything else is known only at deploy time.
    An SSM parameter type's default names a parameter, not its value: not judged."""
    if argument == "AWS::NoValue":
        return [ABSENT]
    parameter = _section("Parameters").get(argument) if isinstance(argument, str) else None
    if not isinstance(parameter, dict):
        return []
    passed = _linked("parent_parameter", depth, argument)
    if passed is not None:
        return passed  # a nested stack's parameter: what its parent passes (each candidate of it)
    kind = str(parameter.get("Type", ""))
    allowed = parameter.get("AllowedValues")
    closed = isinstance(allowed, list) and allowed and all(isinstance(v, (str, int, float)) for v in allowed)
    if kind in _CLOSED_PARAMETER_TYPES and closed:
        return [_text(v) for v in allowed]  # type: ignore[union-attr]
    return _default(kind, parameter.get("Default"))


def _text(value: JSON) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _default(kind: str, default: JSON) -> list[JSON]:
    if not isinstance(default, (str, int, float)) or kind.startswith("AWS::SSM::Parameter::"):
        return []
    if kind == "CommaDelimitedList" or kind.startswith("List<"):
        return [[item.strip() for item in _text(default).split(",")]]
    return [_text(default)]


def _linked(method: str, depth: int, *arguments: Any) -> list[JSON] | None:
    """A value another template of the set gives (a nested stack's parameter from its parent, a nested stack's
    output to its parent), evaluated in that template; None when there is no such link."""
    template = _SCOPE.get()
    template_set = template.context.get("set") if template is not None else None
    look_up = getattr(template_set, method, None)
    found = look_up(template, *arguments) if look_up is not None else None
    if found is None:
        return None
    other, value = found
    token = _SCOPE.set(other)
    try:
        return _eval(value, depth + 1)  # the depth carries on: links that loop end at MAX_DEPTH
    finally:
        _SCOPE.reset(token)


def _get_att(argument: JSON, depth: int) -> list[JSON]:
    """``Fn::GetAtt [<nested stack>, Outputs.<Name>]``: the nested template's output value; any other attribute
    is known only at deploy time."""
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    if not (isinstance(argument, list) and len(argument) == 2 and all(isinstance(a, str) for a in argument)):
        return []
    return _linked("nested_output", depth, argument[0], argument[1]) or []


def _keys(mapping: JSON, key: JSON, depth: int) -> list[str]:
    """The keys of ``mapping`` that ``key`` can select: its known values, or every key when it is unknown."""
    if not isinstance(mapping, dict):
        return []
    known = _strings(key, depth)
    return [k for k in known if k in mapping] if known else list(mapping)


def _find_in_map(argument: JSON, depth: int) -> list[JSON]:
    """``Fn::FindInMap`` over the template's ``Mappings``; an unknown key (``AWS::Region``) selects every entry,
    as ``Fn::If`` has every branch; a ``DefaultValue`` is one more possible value."""
    if not isinstance(argument, list) or len(argument) not in (3, 4):
        return []
    found: list[JSON] = []
    mappings = _section("Mappings")
    for name in _strings(argument[0], depth):
        top = mappings.get(name)
        for first in _keys(top, argument[1], depth):
            second = top[first]  # type: ignore[index]
            for key in _keys(second, argument[2], depth):
                found.extend(_eval(second[key], depth))
    default = argument[3] if len(argument) == 4 else None
    if isinstance(default, dict) and "DefaultValue" in default:
        found.extend(_eval(default["DefaultValue"], depth))
    return found


def _import_value(argument: JSON, depth: int) -> list[JSON]:
    """``Fn::ImportValue`` of an export of the template set: every exported value of that name (one name exported
    in two regions gives two candidates, whatever the files' order), each evaluated in its own template."""
    template = _SCOPE.get()
    template_set = template.context.get("set") if template is not None else None
    exports_of = getattr(template_set, "exports_of", None)
    found = exports_of(template, argument) if exports_of is not None else []
    values: list[JSON] = []
    for exporter, value in found:
        token = _SCOPE.set(exporter)
        try:
            values.extend(_eval(value, depth))
        finally:
            _SCOPE.reset(token)
    return values


#: Fn::Cidr's bounds: at most 256 blocks of 1 to 128 subnet bits.
_MAX_CIDR_COUNT = 256


def cidr_blocks(block: str, count: JSON, bits: JSON) -> list[str] | None:
    """What ``Fn::Cidr [block, count, bits]`` returns: the first ``count`` subnets of ``block`` with ``bits``
    subnet bits (mask ``/32 - bits`` for IPv4, ``/128 - bits`` for IPv6); None when CloudFormation would fail.

    Args:
        block: the CIDR to split.
        count: how many subnets (1-256).
        bits: the subnet bits of each.
    """
    number, subnet_bits = _index(count), _index(bits)
    try:
        network = ip_network(block.strip(), strict=False)
    except ValueError:
        return None
    if number is None or subnet_bits is None or not 1 <= number <= _MAX_CIDR_COUNT:
        return None
    prefix = network.max_prefixlen - subnet_bits
    if not network.prefixlen <= prefix <= network.max_prefixlen:
        return None
    return [str(net) for net in islice(network.subnets(new_prefix=prefix), number)]


def _cidr(argument: JSON, depth: int) -> list[JSON]:
    if not isinstance(argument, list) or len(argument) != 3:
        return []
    result: list[JSON] = []
    for block in _strings(argument[0], depth):
        for count in _eval(argument[1], depth):
            for bits in _eval(argument[2], depth):
                blocks = cidr_blocks(block, count, bits)
                if blocks is not None:
                    result.append(blocks)
    return result


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
    for position in _positions(argument[0], depth):
        for items in _eval(argument[1], depth):
            if isinstance(items, list):
                result.extend(items[position : position + 1] if position is not None else items)
    return result


def _positions(index: JSON, depth: int) -> list[int | None]:
    """The indexes an ``Fn::Select`` index can be; ``[None]`` (every item: each is a candidate, as each branch
    of an ``Fn::If`` is) when the index is known only at deploy time."""
    indexes = [_index(i) for i in _eval(index, depth) if i is not UNKNOWN_PART]
    known: list[int | None] = [i for i in indexes if i is not None]
    return known if indexes else [None]


def _index(value: JSON) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value):
        return int(value)
    return None


def select_index(value: JSON) -> int | None:
    """An ``Fn::Select`` index as CloudFormation reads it: a non-negative integer or ASCII digit string
    (at most 9 digits); None otherwise.

    Args:
        value: the index, evaluated or rendered.
    """
    return _index(value)


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
    pieces: list[list[str]] = []
    position = 0
    for match in _SUB_VARIABLE.finditer(text):
        name = match.group(1)
        if name.startswith("!"):
            choices = ["${" + name[1:] + "}"]
        elif name.strip() in variables:
            choices = _strings(variables[name.strip()], depth)
        else:
            choices = _ref(name.strip(), depth) if "." not in name else []
            choices = [c for c in choices if isinstance(c, str)]
            if not choices and _PARTIAL.get():
                choices = [UNKNOWN_PART]  # a pseudo parameter, a resource or a parameter: known at deploy time
        if not choices:
            return []
        pieces += [[text[position : match.start()]], choices]
        position = match.end()
    pieces.append([text[position:]])
    return ["".join(combo) for combo in _combine(pieces)]


_INTRINSICS: dict[str, Callable[[JSON, int], list[JSON]]] = {
    "Ref": _ref,
    "Fn::If": _if,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::Sub": _sub,
    "Fn::Base64": _base64,
    "Fn::FindInMap": _find_in_map,
    "Fn::ImportValue": _import_value,
    "Fn::Cidr": _cidr,
    "Fn::GetAtt": _get_att,
}


def possible_values(value: JSON) -> list[JSON] | _Unknown:
    """The literal values ``value`` can take at deploy time, or UNKNOWN when none is known.

    A literal has one possible value; ``Ref: AWS::NoValue`` is ABSENT (None); intrinsics over literals are
    evaluated; an ``Fn::If`` has the values of every known branch.
    """
    values = _eval(value, 0)
    return values if values else UNKNOWN


def partial_strings(value: JSON) -> list[str]:
    """The strings ``value`` can be with every deploy-time part written ``UNKNOWN_PART``: ``Join(":", ["0",
    Ref P])`` is ``"0:\ufffc"``, so a rule judges each literal part (the uid ``0``, the tag ``latest`` at the end
    of an image) and says "cannot judge" about the rest. [] when nothing of it is a string."""
    token = _PARTIAL.set(True)
    try:
        return [v for v in _eval(value, 0) if isinstance(v, str)]
    finally:
        _PARTIAL.reset(token)


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


def shallow_branches(value: JSON) -> list[JSON]:
    """The branches of ``Fn::If`` (nested) at the top of ``value``, unevaluated; ``value`` itself when it is not an
    ``Fn::If``; ``AWS::NoValue`` branches dropped. For rules that read the shape of an intrinsic in each branch
    (an image built by ``Fn::Join``) rather than its value."""
    if isinstance(value, dict) and len(value) == 1 and "Fn::If" in value:
        branches = value["Fn::If"]
        if isinstance(branches, list) and len(branches) == 3:
            return [b for branch in branches[1:] for b in shallow_branches(branch)]
        return []
    return [] if value == {"Ref": "AWS::NoValue"} else [value]


def _shallow_select(argument: JSON, depth: int) -> list[JSON]:
    if not isinstance(argument, list) or len(argument) != 2:
        return []
    result: list[JSON] = []
    for position in _positions(argument[0], depth):
        for items in shallow_values(argument[1], depth):
            if isinstance(items, list):
                for item in items[position : position + 1] if position is not None else items:
                    result.extend(shallow_values(item, depth))
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


def values_at(value: JSON, *path: str) -> list[JSON] | _Unknown:
    """The possible literal values at ``path`` below ``value``, through every branch of every ``Fn::If`` on the
    way: an absent key (or ``AWS::NoValue``) at any level gives ABSENT; a branch known only at deploy time adds
    nothing; UNKNOWN when no branch is known. The one way rules read nested properties.

    Args:
        value: an object (a resource's ``Properties``, a container definition, ...) or an intrinsic giving one.
        path: the keys to follow, e.g. ``("NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp")``.
    """
    current: list[JSON] = [value]
    for key in path:
        following: list[JSON] = []
        for node in current:
            for option in [ABSENT] if node is ABSENT else shallow_values(node):
                if option is ABSENT:
                    following.append(ABSENT)
                elif isinstance(option, dict) and not is_intrinsic(option):
                    following.append(option.get(key))
        current = following
    found: list[JSON] = []
    for node in current:
        options = [ABSENT] if node is ABSENT else _eval(node, 0)
        found.extend(options)
    found = _unique(found)
    return found if found else UNKNOWN


def objects_at(value: JSON, *path: str) -> list[Mapping[str, JSON]]:
    """The objects found at ``path`` below ``value`` through every branch of every ``Fn::If`` on the way (their
    contents unevaluated, for rules that walk further); absent or deploy-time levels give none."""
    current: list[Mapping[str, JSON]] = objects(value)
    for key in path:
        current = [found for node in current for found in objects(node.get(key))]
    return current


def is_true(value: JSON) -> bool:
    """CloudFormation's boolean true: ``true`` or the string ``"true"`` (any case)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def may_be_true(value: JSON) -> bool:
    """For a property that is a violation when true (``Privileged``, ``EnableExecuteCommand``): ``is_true``, or
    ``1``/``"1"``, which a lenient reader coerces to true. Refusing them costs nothing: CloudFormation's own
    spelling of true is ``true``."""
    if is_true(value):
        return True
    return not isinstance(value, bool) and (value == 1 or (isinstance(value, str) and value.strip() == "1"))


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
                # Indexed case-insensitively: CloudFormation refuses a mis-cased type, and if it ever took one, the
                # resource would still be judged.
                self._by_type.setdefault(str(resource.get("Type", "")).strip().lower(), []).append(logical_id)

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
            for logical_id in self._by_type.get(resource_type.lower(), []):
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
