"""Where each resource is declared in a template file: the line SARIF's ``region.startLine`` points at.

Only what SARIF output needs, computed on demand from the file's text: for JSON, a token scan that follows
object nesting (a logical ID is a key of the top-level ``Resources`` object, wherever the same text appears
elsewhere); for YAML, PyYAML's node marks. A file that cannot be read this way gives no lines (SARIF then
points at line 1, as before).
"""

from __future__ import annotations

import json
import re
from typing import Any

#: JSON tokens that matter for nesting and keys: strings (escapes included), brackets, commas, colons, newlines.
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\],:\n]')


def resource_lines(text: str) -> dict[str, int]:
    """Logical ID -> the 1-based line where its key is declared under ``Resources``; {} when unknown."""
    if text.lstrip().startswith("{"):
        return _json_lines(text)
    return _yaml_lines(text)


def _json_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    line = 1
    stack: list[str] = []  # "{" or "["
    top_key: str | None = None
    expecting_key = False
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
        elif token in "{[":
            stack.append(token)
            expecting_key = token == "{"
        elif token in "}]":
            stack = stack[:-1]
            expecting_key = False
        elif token == ",":
            expecting_key = bool(stack) and stack[-1] == "{"
        elif token == ":":
            expecting_key = False
        elif expecting_key:
            key = _decode(token)
            if len(stack) == 1:
                top_key = key
            elif len(stack) == 2 and top_key == "Resources" and key is not None:
                lines.setdefault(key, line)
    return lines


def _decode(token: str) -> str | None:
    try:
        value = json.loads(token)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _yaml_lines(text: str) -> dict[str, int]:
    try:
        from .loader import cfn_yaml_loader

        loader = cfn_yaml_loader()(text)
        try:
            root: Any = loader.get_single_node()
        finally:
            loader.dispose()
    except Exception:  # not YAML after all, or no PyYAML: no lines, never an error in a report
        return {}
    resources = _child(root, "Resources")
    if resources is None or not hasattr(resources, "value") or not isinstance(resources.value, list):
        return {}
    return {
        str(key.value): key.start_mark.line + 1
        for key, _ in resources.value
        if isinstance(getattr(key, "value", None), str)
    }


def _child(node: Any, name: str) -> Any:
    if node is None or not isinstance(getattr(node, "value", None), list):
        return None
    for pair in node.value:
        if isinstance(pair, tuple) and getattr(pair[0], "value", None) == name:
            return pair[1]
    return None
