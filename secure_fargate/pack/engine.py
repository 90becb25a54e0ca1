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
from .template_set import TemplateSet

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


def evaluate(
    template: Template, controls: Iterable[Control] = CONTROLS, template_set: TemplateSet | None = None
) -> list[Finding]:
    """Every finding (acknowledged or not) of ``controls`` over ``template``.

    Args:
        template: the template whose resources are judged.
        controls: the controls to run. Default: every control of the pack.
        template_set: the templates ``template`` is judged with (its cdk.out), so that rules follow references
            across stacks. Default: the set ``template`` was last put in, or ``template`` alone.
    """
    if template_set is not None:
        template.context["set"] = template_set
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


def evaluate_set(templates: Iterable[Template], controls: Iterable[Control] = CONTROLS) -> list[Finding]:
    """Every finding of ``controls`` over ``templates`` judged together as one set (one cloud assembly).

    A policy in one stack that widens a role of another, an ingress rule that opens another stack's security
    group, a group attached from another stack: each is found on the resource it weakens (the task definition or
    service), whichever template declares it. The CLI calls this with the templates of one ``check`` call; the
    CDK plugin with the template paths CDK gives it.

    Args:
        templates: the templates of one cloud assembly (stacks and nested stacks).
        controls: the controls to run. Default: every control of the pack.
    """
    controls = list(controls)
    template_set = TemplateSet(templates)
    return [f for t in template_set.templates for f in evaluate(t, controls, template_set)]
