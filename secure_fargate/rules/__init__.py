"""The guardrail pack's engine: run every control over a template and collect findings.

Pure Python with no aws_cdk import, so the CLI stays fast on big templates. Acknowledgements written into a
resource's ``Metadata`` (``secure-fargate: {acknowledgements: [{control, reason}]}``, which
``secure_fargate.acknowledge`` adds) turn a finding into an acknowledged one; a reason is mandatory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ._template import Template
from .catalog import CONTROLS, CONTROLS_BY_ID, Control

__all__ = [
    "CONTROLS",
    "CONTROLS_BY_ID",
    "METADATA_KEY",
    "Control",
    "Finding",
    "Template",
    "TemplateError",
    "evaluate",
    "load_template",
]

METADATA_KEY = "secure-fargate"


@dataclass(frozen=True)
class Finding:
    """One control violated by one resource (and container, for container-level controls)."""

    control: str
    template: str
    resource: str
    container: str | None
    message: str
    severity: str
    acknowledged: str | None = None  # the reason, when acknowledged

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class TemplateError(Exception):
    """A template file that cannot be read or is not a CloudFormation template."""


def acknowledgements(resource: Mapping[str, Any]) -> dict[str, str]:
    """Control ID -> reason, from the resource's Metadata; entries without a reason are ignored."""
    meta = resource.get("Metadata")
    block = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    entries = block.get("acknowledgements") if isinstance(block, dict) else None
    result: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("reason"), str) and entry["reason"].strip():
            result[str(entry.get("control"))] = entry["reason"].strip()
    return result


def evaluate(template: Template, controls: Iterable[Control] = CONTROLS) -> list[Finding]:
    """Every finding (acknowledged or not) of ``controls`` over ``template``."""
    findings: list[Finding] = []
    for control in controls:
        for logical_id, resource in template.of_type(control.resource_type):
            acked = acknowledgements(resource)
            for container, message in control.check(logical_id, resource, template):
                findings.append(
                    Finding(
                        control.id,
                        template.name,
                        logical_id,
                        container,
                        message,
                        control.severity,
                        acked.get(control.id),
                    )
                )
    return findings


def load_template(path: str | Path) -> Template:
    """Parse a JSON (or YAML, when PyYAML is installed) CloudFormation template file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(f"{path}: cannot read: {error.strerror if isinstance(error, OSError) else error}") from None
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
