"""The pack's engine: run every control over a template and collect findings.

Acknowledgements written into a resource's ``Metadata`` (``secure-fargate: {acknowledgements: [{control,
reason}]}``, which ``secure_fargate.acknowledge`` adds) turn a finding into an acknowledged one; a reason is
mandatory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ._template import Template
from .catalog import CONTROLS, Control

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
    #: The sub-subject of the finding, e.g. the environment variable of an ECS.8 finding.
    item: str | None = None
    #: False when the control is an invariant that no acknowledgement silences.
    acknowledgeable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
