"""Templates judged together: the stacks of one cdk.out, the files of one CLI call, the plugin's templates.

A rule that follows a reference (a policy's ``Roles``, an ingress rule's ``GroupId``, a task's role ARN) must
follow it wherever CDK puts it: a ``Ref``/``Fn::GetAtt`` in the same template, an ``Fn::ImportValue`` of another
template's ``Export``, or the role *name* CDK derives from an imported ARN
(``Fn::Select [1, Fn::Split ["/", Fn::Select [5, Fn::Split [":", <arn>]]]]``, which
``iam.Role.from_role_arn(...)`` renders). :meth:`TemplateSet.render` evaluates a value to one string in which
what only deploy time knows stays a *placeholder* naming its source (a resource's ``Ref``, an attribute, a
pseudo parameter, a parameter); string intrinsics (``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::Sub``,
``Fn::ImportValue``) are evaluated over those placeholders, so two spellings of one reference render alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePath
from typing import Any

from ._template import JSON, Template, cidr_blocks, note_bound, possible_values, properties, select_index

#: Placeholders are wrapped in NUL and their fields separated by US: neither occurs in a template's strings
#: used as names, and neither is a separator CloudFormation templates split on.
_OPEN, _SEP = "\x00", "\x1f"
_PLACEHOLDER = re.compile(r"\x00([^\x00]*)\x00")
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")
#: Pseudo parameters whose value differs per stack (so their placeholder names the template).
_PER_STACK = frozenset({"AWS::StackName", "AWS::StackId"})
#: Bound on reference chains (ImportValue -> Export -> ImportValue ...): a template cannot make rendering loop.
_MAX_DEPTH = 32

#: A resource of the set: (index of its template in the set, logical ID).
ResourceKey = tuple[int, str]


def placeholder(*fields: str) -> str:
    """A deploy-time value, e.g. ``placeholder("ref", "0", "TaskRole")``."""
    return _OPEN + _SEP.join(fields) + _OPEN


def rendered_resource(rendered: str) -> ResourceKey | None:
    """The resource a rendered value is exactly the ``Ref`` or an attribute of; None otherwise."""
    match = _PLACEHOLDER.fullmatch(rendered)
    fields = match.group(1).split(_SEP) if match else []
    if len(fields) >= 3 and fields[0] in ("ref", "att") and fields[1].isdigit():
        return int(fields[1]), fields[2]
    return None


def is_literal(rendered: str) -> bool:
    """True when a rendered string holds no placeholder: its value is fully known."""
    return _OPEN not in rendered


class TemplateSet:
    """The templates of one cloud assembly (or one CLI call), judged together.

    Args:
        templates: the templates. Each is linked to this set (``template.context["set"]``), so a rule that
            receives one template reaches the others through :func:`template_set_of`.
    """

    def __init__(self, templates: Iterable[Template]) -> None:
        self.templates: tuple[Template, ...] = tuple(templates)
        self._index = {id(t): i for i, t in enumerate(self.templates)}
        #: Indexes rules build once per set (roles by name, policy attachments...).
        self.cache: dict[str, Any] = {}
        for template in self.templates:
            template.context["set"] = self
        #: Export name -> every (template index, value) exporting it: two stacks of one app may export one name
        #: in two regions (or accounts), and which one an import reads is not decided by file order.
        self._exports: dict[str, list[tuple[int, JSON]]] = {}
        for i, template in enumerate(self.templates):
            self._collect_exports(i, template)
        #: Nested stack links: child template index -> (parent index, the parent's AWS::CloudFormation::Stack).
        self._parents: dict[int, tuple[int, str]] = {}
        #: (parent index, stack logical ID) -> child template index.
        self._children: dict[tuple[int, str], int] = {}
        self._link_nested()

    def _link_nested(self) -> None:
        """Link each ``AWS::CloudFormation::Stack`` to its template in the set, by the file CDK names in the
        resource's ``aws:asset:path`` metadata (``<Parent><Nested>.nested.template.json``)."""
        by_file = {PurePath(t.name).name: i for i, t in enumerate(self.templates)}
        for index, logical_id, resource in self.of_type("AWS::CloudFormation::Stack"):
            metadata = resource.get("Metadata")
            path = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
            child = by_file.get(PurePath(path).name) if isinstance(path, str) else None
            if child is not None and child != index and child not in self._parents:
                self._parents[child] = (index, logical_id)
                self._children[(index, logical_id)] = child

    def parent_parameter(self, template: Template, name: str) -> tuple[Template, JSON] | None:
        """What the parent stack passes to parameter ``name`` of a nested ``template``: (parent, value)."""
        link = self._parents.get(self._index.get(id(template), -1))
        if link is None:
            return None
        parent = self.templates[link[0]]
        stack = parent.resource(link[1]) or {}
        passed = properties(stack).get("Parameters")
        return (parent, passed[name]) if isinstance(passed, dict) and name in passed else None

    def nested_output(self, template: Template, logical_id: str, attribute: str) -> tuple[Template, JSON] | None:
        """The value of ``Fn::GetAtt [<nested stack>, Outputs.<Name>]`` in ``template``: (child, output value)."""
        if not attribute.startswith("Outputs."):
            return None
        child = self._children.get((self._index.get(id(template), -1), logical_id))
        outputs = self.templates[child].body.get("Outputs") if child is not None else None
        output = outputs.get(attribute[len("Outputs.") :]) if isinstance(outputs, dict) else None
        if child is None or not isinstance(output, dict) or "Value" not in output:
            return None
        return self.templates[child], output["Value"]

    def _collect_exports(self, index: int, template: Template) -> None:
        outputs = template.body.get("Outputs")
        for output in outputs.values() if isinstance(outputs, dict) else []:
            export = output.get("Export") if isinstance(output, dict) else None
            if isinstance(export, dict) and "Value" in output:
                name = self.render(template, export.get("Name"))
                if name is not None:
                    self._exports.setdefault(name, []).append((index, output["Value"]))

    def index(self, template: Template) -> int:
        """The position of ``template`` in the set (placeholders name templates by it)."""
        return self._index[id(template)]

    def resource(self, key: ResourceKey) -> Mapping[str, JSON] | None:
        index, logical_id = key
        return self.templates[index].resource(logical_id)

    def of_type(self, *types: str) -> Iterator[tuple[int, str, Mapping[str, JSON]]]:
        """Every resource of ``types`` in every template: (template index, logical ID, resource)."""
        for index, template in enumerate(self.templates):
            for logical_id, resource in template.of_type(*types):
                yield index, logical_id, resource

    def render(self, template: Template, value: JSON, depth: int = 0) -> str | None:
        """``value`` (in ``template``) as one string with placeholders, or None when it is not one string.

        None for: lists and objects that are not string intrinsics, ``Fn::If`` (see :func:`alternatives`),
        unresolvable imports, malformed intrinsics.
        """
        if depth > _MAX_DEPTH:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        if not isinstance(value, dict) or len(value) != 1:
            return None
        ((key, argument),) = value.items()
        handler = _RENDERERS.get(key)
        return getattr(self, handler)(template, argument, depth + 1) if handler else None

    def render_list(self, template: Template, value: JSON, depth: int) -> list[str] | None:
        """A list-valued intrinsic (a literal list, ``Fn::Split``) as rendered strings."""
        if isinstance(value, list):
            items = [self.render(template, item, depth) for item in value]
            return None if any(i is None for i in items) else [str(i) for i in items]
        if isinstance(value, dict) and list(value) == ["Fn::Cidr"]:
            return self._cidr(template, value["Fn::Cidr"], depth + 1)
        if isinstance(value, dict) and list(value) == ["Fn::Split"]:
            argument = value["Fn::Split"]
            if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str) and argument[0]:
                whole = self.render(template, argument[1], depth + 1)
                return None if whole is None else whole.split(argument[0])
        return None

    def exports_of(self, template: Template, name: JSON) -> list[tuple[Template, JSON]]:
        """Every template exporting the name ``name`` renders to (in ``template``), with the exported value: each
        is a candidate of the import, as each branch of an ``Fn::If`` is."""
        rendered = self.render(template, name)
        found = self._exports.get(rendered, []) if rendered is not None else []
        return [(self.templates[index], value) for index, value in found]

    def resource_key(self, template: Template, value: JSON) -> ResourceKey | None:
        """The resource of the set that ``value`` designates (by Ref, GetAtt, or an import of either)."""
        rendered = self.render(template, value)
        return rendered_resource(rendered) if rendered is not None else None

    def describe(self, key: ResourceKey) -> str:
        """``LogicalId`` when the set has one template, else ``template: LogicalId`` (for messages)."""
        index, logical_id = key
        if len(self.templates) == 1:
            return logical_id
        return f"{PurePath(self.templates[index].name).name}: {logical_id}"

    # --- the string intrinsics -------------------------------------------------------------------------

    def _ref(self, template: Template, name: JSON, depth: int) -> str | None:
        if not isinstance(name, str):
            return None
        if name.startswith("AWS::"):
            if name == "AWS::NoValue":
                return None
            extra = (str(self.index(template)),) if name in _PER_STACK else ()
            return placeholder("pseudo", name[5:], *extra)
        if name not in template.resources:
            passed = self.parent_parameter(template, name)
            if passed is not None:
                return self.render(passed[0], passed[1], depth + 1)
        kind = "ref" if name in template.resources else "param"
        return placeholder(kind, str(self.index(template)), name)

    def _get_att(self, template: Template, argument: JSON, depth: int) -> str | None:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2 and all(isinstance(a, str) for a in argument)):
            return None
        logical_id, attribute = argument
        output = self.nested_output(template, logical_id, attribute)
        if output is not None:
            return self.render(output[0], output[1], depth + 1)
        resource = template.resource(logical_id)
        if resource is not None and resource.get("Type") == "AWS::IAM::Role" and attribute == "Arn":
            return self._role_arn(template, logical_id, resource, depth)
        return placeholder("att", str(self.index(template)), logical_id, attribute)

    def _role_arn(self, template: Template, logical_id: str, role: Mapping[str, JSON], depth: int) -> str:
        """A role's ARN spelled out, so that CDK's Select/Split over it yields the role's name."""
        name = self.render(template, properties(role).get("RoleName"), depth)
        if name is None:
            name = placeholder("ref", str(self.index(template)), logical_id)
        account = placeholder("pseudo", "AccountId")
        return f"arn:{placeholder('pseudo', 'Partition')}:iam::{account}:role/{name}"

    def _join(self, template: Template, argument: JSON, depth: int) -> str | None:
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
            return None
        parts = self.render_list(template, argument[1], depth)
        return None if parts is None else argument[0].join(parts)

    def _select(self, template: Template, argument: JSON, depth: int) -> str | None:
        if not (isinstance(argument, list) and len(argument) == 2):
            return None
        index = self.render(template, argument[0], depth)
        items = self.render_list(template, argument[1], depth)
        position = select_index(index)
        if position is None or items is None or position >= len(items):
            return None
        return items[position]

    def _sub(self, template: Template, argument: JSON, depth: int) -> str | None:
        text, variables = (argument, {}) if isinstance(argument, str) else _sub_parts(argument)
        if text is None:
            return None
        failed = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal failed
            name = match.group(1).strip()
            if name in variables:
                rendered = self.render(template, variables[name], depth)
            elif "." in name and not name.startswith("AWS::"):
                rendered = self._get_att(template, name.split(".", 1), depth)
            else:
                rendered = self._ref(template, name, depth)
            failed = failed or rendered is None
            return rendered or ""

        result = _SUB_VARIABLE.sub(substitute, text).replace("${!", "${")
        return None if failed else result

    def _cidr(self, template: Template, argument: JSON, depth: int) -> list[str] | None:
        if not (isinstance(argument, list) and len(argument) == 3):
            return None
        block, count, bits = (self.render(template, a, depth) for a in argument)
        if block is None or not is_literal(block):
            return None
        return cidr_blocks(block, count, bits)

    def _find_in_map(self, template: Template, argument: JSON, depth: int) -> str | None:
        """``Fn::FindInMap`` with keys known from the template text (an unknown key renders to None)."""
        if not (isinstance(argument, list) and len(argument) in (3, 4)):
            return None
        value: JSON = template.body.get("Mappings")
        for key in argument[:3]:
            rendered = self.render(template, key, depth)
            if not isinstance(value, dict) or rendered is None or rendered not in value:
                return None
            value = value[rendered]
        return self.render(template, value, depth)

    def _import(self, template: Template, argument: JSON, depth: int) -> str | None:
        name = self.render(template, argument, depth)
        found = self._exports.get(name, []) if name is not None else []
        rendered = {self.render(self.templates[index], value, depth) for index, value in found}
        # One string or none: exporters that disagree (one name in two regions) leave the import unknown here, in
        # whatever order the files come; the walker (possible_values) still judges each exported value.
        return rendered.pop() if len(rendered) == 1 else None


def _sub_parts(argument: JSON) -> tuple[str | None, Mapping[str, JSON]]:
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        variables = argument[1] if isinstance(argument[1], dict) else {}
        return argument[0], variables
    return None, {}


#: The string intrinsics :meth:`TemplateSet.render` evaluates, to the method that does it.
_RENDERERS: dict[str, str] = {
    "Ref": "_ref",
    "Fn::GetAtt": "_get_att",
    "Fn::Join": "_join",
    "Fn::Select": "_select",
    "Fn::Sub": "_sub",
    "Fn::ImportValue": "_import",
    "Fn::FindInMap": "_find_in_map",
}


#: Most alternatives one value is lifted into (an ``Fn::If`` inside a ``Join``/``Sub``/``Select`` doubles them).
MAX_ALTERNATIVES = 64
#: Intrinsics whose arguments are values the template gives literally (an ``Fn::If`` inside them is lifted out).
_LIFTED = ("Fn::Join", "Fn::Sub", "Fn::Select", "Fn::Split", "Fn::Base64")


def alternatives(value: JSON) -> list[JSON]:
    """Every value ``value`` can take, one per branch: an ``Fn::If`` at the top gives each branch, an ``Fn::If``
    inside an ``Fn::Join``/``Fn::Sub``/``Fn::Select``/``Fn::Split`` argument is lifted out (one copy of the
    intrinsic per branch, so ``render`` sees literals), an ``Fn::Select`` with a literal index over literal
    candidates gives the selected item, and ``AWS::NoValue`` gives nothing. At most ``MAX_ALTERNATIVES``: beyond
    it the rest are not judged, and the run reports that (``note_bound``, SF.UNJUDGED) instead of passing them."""
    return _bounded(_alternatives(value, 0))


def _bounded(found: list[JSON]) -> list[JSON]:
    if len(found) > MAX_ALTERNATIVES:
        note_bound(f"a value has more than {MAX_ALTERNATIVES} alternatives (Fn::If branches lifted out)")
    return found[:MAX_ALTERNATIVES]


def _alternatives(value: JSON, depth: int) -> list[JSON]:
    if depth > 32:
        return [value]
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Fn::If":
            if isinstance(argument, list) and len(argument) == 3:
                return _bounded([v for branch in argument[1:] for v in _alternatives(branch, depth + 1)])
            return []
        if key in _LIFTED:
            lifted = _lift(value, depth)
            if lifted is not None:
                return lifted
        if key == "Fn::Select":
            selected = _select(argument, depth)
            if selected is not None:
                return selected
    if value == {"Ref": "AWS::NoValue"}:
        return []
    return [value]


def _lift(value: JSON, depth: int) -> list[JSON] | None:
    """One copy of ``value`` per branch of the first ``Fn::If`` nested in its arguments (outside other
    intrinsics' own arguments), recursively; None when there is none."""
    path = _first_if(next(iter(value.values())), [])
    if path is None:
        return None
    branches = _at(value, [next(iter(value)), *path])["Fn::If"]
    if not isinstance(branches, list) or len(branches) != 3:
        return None
    found: list[JSON] = []
    for branch in branches[1:]:
        copy = _replaced(value, [next(iter(value)), *path], branch)
        found.extend(_alternatives(copy, depth + 1))
        if len(found) > MAX_ALTERNATIVES:
            break
    return _bounded(found)


def _first_if(node: JSON, path: list[Any]) -> list[Any] | None:
    if isinstance(node, dict):
        if len(node) == 1 and "Fn::If" in node:
            return path
        if len(node) == 1 and next(iter(node)) in ("Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::FindInMap"):
            return None
        for key, child in node.items():
            found = _first_if(child, [*path, key])
            if found is not None:
                return found
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found = _first_if(child, [*path, index])
            if found is not None:
                return found
    return None


def _at(node: JSON, path: list[Any]) -> JSON:
    for key in path:
        node = node[key]
    return node


def _replaced(node: JSON, path: list[Any], new: JSON) -> JSON:
    """A copy of ``node`` with the value at ``path`` replaced by ``new`` (``AWS::NoValue`` in a list drops it)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (_replaced(v, rest, new) if k == head else v) for k, v in node.items()}
    items = list(node)
    replaced = _replaced(items[head], rest, new)
    if not rest and replaced == {"Ref": "AWS::NoValue"}:
        return items[:head] + items[head + 1 :]
    items[head] = replaced
    return items


def _select(argument: JSON, depth: int) -> list[JSON] | None:
    """``Fn::Select [index, candidates]`` with a literal index over a literal list (through ``Fn::If``): the
    selected item of each candidate list, itself resolved; None when the index or the list is not literal."""
    if not isinstance(argument, list) or len(argument) != 2:
        return None
    index = argument[0]
    position = int(index) if isinstance(index, int) or (isinstance(index, str) and index.isdigit()) else None
    if position is None or isinstance(index, bool):
        return None
    found: list[JSON] = []
    for candidates in _alternatives(argument[1], depth + 1):
        if not isinstance(candidates, list):
            return None
        if position < len(candidates):
            found.extend(_alternatives(candidates[position], depth + 1))
    return found


#: Most items read from one ``Fn::Split`` list (security groups per ENI: 5; managed policies per role: 20).
MAX_SPLIT_ITEMS = 64


def items_of(value: JSON) -> list[JSON]:
    """The items of a list-valued property, through ``Fn::If`` over the list and over each item; an ``Fn::Split``
    list gives ``Fn::Select`` of each position, which :meth:`TemplateSet.render` evaluates (an index beyond the
    list renders to None, as an unknown item does), so groups and policy ARNs joined into a string are judged."""
    found: list[JSON] = []
    for options in alternatives(value):
        if isinstance(options, dict) and list(options) == ["Fn::Split"]:
            _note_long_split(options)
            found.extend({"Fn::Select": [i, options]} for i in range(MAX_SPLIT_ITEMS))
            continue
        for option in options if isinstance(options, list) else []:
            found.extend(alternatives(option))
    return found


def _note_long_split(split: JSON) -> None:
    """A known ``Fn::Split`` list longer than ``MAX_SPLIT_ITEMS``: the items beyond are not judged (SF.UNJUDGED)."""
    lists = possible_values(split)
    if isinstance(lists, list) and any(isinstance(v, list) and len(v) > MAX_SPLIT_ITEMS for v in lists):
        note_bound(f"an Fn::Split list has more than {MAX_SPLIT_ITEMS} items")


def template_set_of(template: Template) -> TemplateSet:
    """The set ``template`` is judged with; a set of its own when it is judged alone."""
    found = template.context.get("set")
    return found if isinstance(found, TemplateSet) else TemplateSet([template])
