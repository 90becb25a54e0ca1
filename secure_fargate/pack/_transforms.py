"""Templates CloudFormation rewrites before it deploys them: what the pack expands, and what it refuses.

``AWS::LanguageExtensions`` is expanded: each ``Fn::ForEach::<Loop>`` over a literal collection becomes the
resources (or properties, or outputs) it stands for, so they are judged like any other. Every other transform is
refused with one line (the CLI exits 2): a top-level ``Transform`` naming a macro or ``AWS::Serverless-2016-10-31``,
and ``Fn::Transform`` anywhere (``AWS::Include`` too). What a macro returns is known only when CloudFormation runs
it; judging the text before it would pass what the macro adds. Judge the processed template instead
(``aws cloudformation get-template --template-stage Processed``).
"""

from __future__ import annotations

import re
from typing import Any

#: The one transform the pack evaluates itself.
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
_FOR_EACH = "Fn::ForEach::"
#: Most items one template may expand to (a loop over a loop multiplies): beyond it the template is refused.
MAX_EXPANDED = 100_000


class TransformRefused(ValueError):
    """A template whose deployed form the pack cannot know from its text; the message says why."""


def expand(body: Any) -> Any:
    """``body`` with ``Fn::ForEach`` expanded; TransformRefused for any other transform, a ``Fn::ForEach``
    without ``AWS::LanguageExtensions``, or a loop over a collection known only at deploy time."""
    if not isinstance(body, dict):
        return body
    transforms = _declared(body.get("Transform"))
    others = [t for t in transforms if t != LANGUAGE_EXTENSIONS]
    if others:
        raise TransformRefused(
            f"declares the transform {others[0][:80]!r}: CloudFormation rewrites the template before deploying it, "
            "so this text is not what deploys; check the processed template "
            "(aws cloudformation get-template --template-stage Processed)"
        )
    budget = [MAX_EXPANDED]
    return _walk(body, LANGUAGE_EXTENSIONS in transforms, "", budget)


def _declared(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    # A transform with parameters is {"Name": ..., "Parameters": ...}; any non-string name is refused as unknown.
    return [str(v.get("Name")) if isinstance(v, dict) else str(v) for v in values]


def _walk(value: Any, extensions: bool, where: str, budget: list[int]) -> Any:
    if isinstance(value, list):
        return [_walk(item, extensions, where, budget) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key == "Fn::Transform":
            name = item.get("Name") if isinstance(item, dict) else item
            raise TransformRefused(
                f"Fn::Transform {str(name)[:80]!r} at {where or '/'}: a macro (AWS::Include too) rewrites this part "
                "at deploy time, so it cannot be judged; inline what it includes, or check the processed template"
            )
        if isinstance(key, str) and key.startswith(_FOR_EACH):
            if not extensions:
                raise TransformRefused(
                    f"{key[:80]} at {where or '/'} needs Transform: {LANGUAGE_EXTENSIONS} (CloudFormation refuses it)"
                )
            for name, expanded in _loop(key, item, where, budget).items():
                if name in result or name in value:
                    raise TransformRefused(f"{key[:80]} at {where or '/'} expands to {name[:80]!r} twice")
                result[name] = _walk(expanded, extensions, f"{where}/{name}", budget)
            continue
        result[key] = _walk(item, extensions, f"{where}/{key}", budget)
    return result


def _loop(key: str, argument: Any, where: str, budget: list[int]) -> dict[str, Any]:
    """``Fn::ForEach::Name: [Identifier, Collection, {OutputKey: OutputValue}]`` expanded (keys substituted)."""
    shape = (
        isinstance(argument, list)
        and len(argument) == 3
        and isinstance(argument[0], str)
        and isinstance(argument[2], dict)
    )
    if not shape:
        raise TransformRefused(f"{key[:80]} at {where or '/'} is not [identifier, collection, {{key: value}}]")
    identifier, collection, fragment = argument
    if not isinstance(collection, list) or not all(isinstance(v, (str, int, float)) for v in collection):
        raise TransformRefused(
            f"{key[:80]} at {where or '/'} loops over a collection known only at deploy time (a parameter or an "
            "intrinsic); what it creates cannot be judged: loop over a literal list, or check the processed template"
        )
    result: dict[str, Any] = {}
    for raw in collection:
        text = str(raw).lower() if isinstance(raw, bool) else str(raw)
        budget[0] -= len(fragment)
        if budget[0] < 0:
            raise TransformRefused(f"{key[:80]} expands to more than {MAX_EXPANDED} items; refused")
        for out_key, out_value in fragment.items():
            result[_substitute_key(out_key, identifier, text)] = _substitute(out_value, identifier, text)
    return result


def _substitute_key(key: str, identifier: str, value: str) -> str:
    """``${Id}`` becomes the value, ``&{Id}`` the value's alphanumeric characters (as CloudFormation does)."""
    alphanumeric = re.sub(r"[^A-Za-z0-9]", "", value)
    return key.replace("${" + identifier + "}", value).replace("&{" + identifier + "}", alphanumeric)


def _substitute(value: Any, identifier: str, text: str) -> Any:
    """``{"Ref": Id}`` becomes the item; ``${Id}`` inside ``Fn::Sub`` strings and keys of nested loops too."""
    if isinstance(value, list):
        return [_substitute(v, identifier, text) for v in value]
    if not isinstance(value, dict):
        return value
    if value == {"Ref": identifier}:
        return text
    if len(value) == 1 and "Fn::Sub" in value:
        return {"Fn::Sub": _substitute_sub(value["Fn::Sub"], identifier, text)}
    return {_substitute_key(k, identifier, text): _substitute(v, identifier, text) for k, v in value.items()}


def _substitute_sub(argument: Any, identifier: str, text: str) -> Any:
    if isinstance(argument, str):
        return argument.replace("${" + identifier + "}", text)
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        variables = argument[1]
        if isinstance(variables, dict) and identifier in variables:
            return [argument[0], _substitute(variables, identifier, text)]
        return [argument[0].replace("${" + identifier + "}", text), _substitute(variables, identifier, text)]
    return _substitute(argument, identifier, text)
