"""Reading CloudFormation templates: JSON, or YAML with the short-form intrinsics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._template import Template


class TemplateError(Exception):
    """A template file that cannot be read or is not a CloudFormation template."""


def load_template(path: str | Path) -> Template:
    """Parse a JSON (or YAML, when PyYAML is installed) CloudFormation template file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(f"{path}: cannot read: {error.strerror if isinstance(error, OSError) else error}") from None
    return parse_template(text, str(path))


def parse_template(text: str, name: str) -> Template:
    """Parse a template body given as text (JSON, or YAML when PyYAML is installed), named ``name`` in findings.

    ``load_template`` reads a file and calls this; the CloudFormation hook calls it on the template text of its
    request, so both judge exactly the same parsed template.
    """
    path = name
    body: Any
    try:
        body = json.loads(text)
    except json.JSONDecodeError as json_error:
        try:
            import yaml  # cfn-lint depends on PyYAML; plain JSON templates need nothing

            body = yaml.load(text, Loader=_cfn_yaml_loader())
        except Exception:
            raise TemplateError(
                f"{path}: not valid JSON or YAML ({json_error.msg} at line {json_error.lineno})"
            ) from None
    if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources mapping)")
    return Template(body, name=str(path))


def _cfn_yaml_loader() -> Any:
    """A YAML loader that reads short-form intrinsics (!Ref, !GetAtt, !If, ...) as their long form."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

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
