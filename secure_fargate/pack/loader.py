"""Reading CloudFormation templates: JSON, or YAML with the short-form intrinsics, within fixed bounds.

Anything outside the bounds is refused with a ``TemplateError`` (the CLI exits 2 with one line), never a
traceback: files above ``MAX_FILE_BYTES``, nesting deeper than ``MAX_DEPTH`` (so every rule evaluates a loaded
template completely, within Python's recursion limit), numbers that are not finite (``1e999``), YAML whose
aliases expand beyond ``MAX_YAML_NODES`` nodes (an alias bomb is refused before it is built), mapping keys that
are not strings, and resources without a ``Type``. ``Fn::ForEach`` is expanded and every other transform (a macro,
``AWS::Serverless``, ``Fn::Transform``/``AWS::Include``) refused: see ``_transforms``. A template with
``Resources: {}`` is fine: CDK writes those.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ._template import MAX_DEPTH, Template
from ._transforms import TransformRefused, expand

#: Largest template file read (CloudFormation's own limit is 1 MB; cdk.out templates stay far below this).
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Most YAML nodes a document may expand to (aliases counted each time they are used).
MAX_YAML_NODES = 5_000_000


class TemplateError(Exception):
    """A template file that cannot be read or is not a CloudFormation template."""


class _Refused(Exception):
    """A bound exceeded while parsing; carries the reason."""


def load_template(path: str | Path) -> Template:
    """Parse a JSON (or YAML, when PyYAML is installed) CloudFormation template file.

    Args:
        path: the template file. Refused (``TemplateError``) when unreadable, larger than ``MAX_FILE_BYTES``,
            malformed, nested deeper than ``MAX_DEPTH``, or not a CloudFormation template.
    """
    path = Path(path)
    return parse_template(_read(path), str(path))


def parse_template(text: str, name: str) -> Template:
    """Parse a template body given as text (JSON, or YAML when PyYAML is installed), named ``name`` in findings.

    ``load_template`` reads a file and calls this; the CloudFormation hook calls it on the template text of its
    request, so both judge exactly the same parsed template, within the same bounds.

    Args:
        text: the template body.
        name: the template's name in findings and error messages (a path, or the hook's stack name).
    """
    if len(text) > MAX_FILE_BYTES:
        raise TemplateError(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; not read")
    try:
        body = _parse(text)
        _validate_tree(body)
        body = expand(body)
    except (_Refused, TransformRefused) as refused:
        raise TemplateError(f"{name}: {refused}") from None
    if _is_empty_cdk_stack(body, name):
        body = {**body, "Resources": {}}
    _validate_template(body, name)
    return Template(body, name=name)


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TemplateError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; not read")
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise TemplateError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise TemplateError(f"{path}: cannot read: not UTF-8 ({error.reason} at byte {error.start})") from None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number {text[:40]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a valid JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique: a duplicate key is refused, since which one CloudFormation keeps is
    not what the pack may guess (``"User": "0", "User": "1000"``)."""
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Refused(f"duplicate key {_duplicate([key for key, _ in pairs])[:80]!r} in one mapping")
    return mapping


def _duplicate(keys: list[str]) -> str:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return ""  # pragma: no cover - only called when there is a duplicate


def _parse(text: str) -> Any:
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as json_error:
        return _parse_yaml(text, json_error)
    except ValueError as error:  # e.g. an integer beyond Python's digit limit
        raise _Refused(f"invalid number ({str(error)[:80]})") from None


def _parse_yaml(text: str, json_error: json.JSONDecodeError) -> Any:
    try:
        loader = _cfn_yaml_loader()(text)  # cfn-lint depends on PyYAML; plain JSON templates need nothing
    except ImportError:
        raise _Refused(f"not valid JSON ({json_error.msg} at line {json_error.lineno}); YAML needs PyYAML") from None
    except UnicodeError:  # a lone surrogate in text handed over as a string (the hook's payload), not a file
        raise _Refused("not valid JSON or YAML (a character that is not Unicode text)") from None
    try:
        node = loader.get_single_node()
        if node is not None:
            _expanded_size(node, 0, {})
        return loader.construct_document(node) if node is not None else None
    except _Refused:
        raise
    except RecursionError:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels") from None
    except Exception:
        raise _Refused(f"not valid JSON or YAML ({json_error.msg} at line {json_error.lineno})") from None
    finally:
        loader.dispose()


def _expanded_size(node: Any, depth: int, sizes: dict[int, int]) -> int:
    """Nodes ``node`` stands for once every alias is expanded; refuses above the bounds (and recursive
    anchors, which never end)."""
    if depth > MAX_DEPTH:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels (or a recursive YAML alias)")
    known = sizes.get(id(node))
    if known is not None:
        return known
    size = 1
    if isinstance(node.value, list):
        for child in node.value:
            pair = child if isinstance(child, tuple) else (child,)
            size += sum(_expanded_size(part, depth + 1, sizes) for part in pair)
            if size > MAX_YAML_NODES:
                raise _Refused(f"YAML expands to more than {MAX_YAML_NODES} nodes (aliases); refused")
    sizes[id(node)] = size
    return size


def _validate_tree(body: Any) -> None:
    """Depth and number bounds over the whole document, level by level (no recursion, one pass)."""
    level = [body]
    for _ in range(MAX_DEPTH + 1):
        below: list[Any] = []
        for value in level:
            kind = type(value)
            if kind is dict:
                below.extend(value.values())
            elif kind is list:
                below.extend(value)
            elif kind is float and not math.isfinite(value):
                raise _Refused("a number is out of range")
        if not below:
            return
        level = below
    raise _Refused(f"nested deeper than {MAX_DEPTH} levels")


#: The sections of a CloudFormation template besides ``Resources``.
_SECTIONS = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Conditions",
        "Description",
        "Mappings",
        "Metadata",
        "Outputs",
        "Parameters",
        "Rules",
        "Transform",
    }
)


def _is_empty_cdk_stack(body: Any, name: str) -> bool:
    """A CDK stack with no resources: CDK still writes its template (the bootstrap-version parameter and rule, or
    nothing at all), and the CDK CLI does not deploy it, so there is nothing to judge. Only a CDK stack template
    (``*.template.json``) holding nothing but template sections qualifies: any other document without ``Resources``
    is still refused as not a template."""
    cdk_stack = name.endswith(".template.json") and isinstance(body, dict)
    return cdk_stack and "Resources" not in body and body.keys() <= _SECTIONS


def _validate_template(body: Any, path: str) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources mapping)")
    for logical_id, resource in body["Resources"].items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str) or not resource["Type"]:
            raise TemplateError(f"{path}: resource {logical_id[:80]!r} has no Type")


#: The YAML merge key's tag (``<<``): merged keys may be overridden, the mapping's own keys may not repeat.
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _cfn_yaml_loader() -> Any:
    """A safe YAML loader that reads short-form intrinsics (!Ref, !GetAtt, !If, ...) as their long form, keeps
    keys and dates as the strings CloudFormation sees, and uses libyaml when available."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
            own = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.tag != _MERGE_TAG]
            if len(set(own)) != len(own):
                raise _Refused(f"duplicate key {_duplicate(own)[:80]!r} in one mapping")
            self.flatten_mapping(node)
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _Refused("a mapping key is not a string")
                mapping[str(key_node.value)] = self.construct_object(value_node, deep=deep)
            return mapping

    def construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        key = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    Loader.add_multi_constructor("!", construct)
    return Loader


#: The loader, for readers that need its node marks (``regions``: the line each resource is declared on).
cfn_yaml_loader = _cfn_yaml_loader
