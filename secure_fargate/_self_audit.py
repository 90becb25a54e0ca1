"""Synth-time self-audit: run the guardrail pack over the CloudFormation a construct renders.

Props are checked in the constructor; this validation catches what changes afterwards (a container added
straight to ``task_definition``, a grant on ``task_role``) with the very same rule functions the CLI uses.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import CfnResource, Stack
from constructs import Construct, IValidation

from .rules import METADATA_KEY, Template, evaluate


def render(scope: Construct) -> dict[str, Any]:
    """A template holding the resolved CloudFormation of every resource under ``scope``."""
    stack = Stack.of(scope)
    resources: dict[str, Any] = {}
    for child in scope.node.find_all():
        if not CfnResource.is_cfn_resource(child):
            continue
        resource: CfnResource = child  # type: ignore[assignment]
        # Resolve the L1 properties first (they hold lazy values), then render them to CloudFormation names.
        properties = resource._render_properties(stack.resolve(resource._cfn_properties))
        rendered: dict[str, Any] = {"Type": resource.cfn_resource_type, "Properties": stack.resolve(properties)}
        metadata = resource.get_metadata(METADATA_KEY)
        if metadata:
            rendered["Metadata"] = {METADATA_KEY: metadata}
        resources[stack.resolve(stack.get_logical_id(resource))] = rendered
    return {"Resources": resources}


@jsii.implements(IValidation)
class SelfAudit:
    def __init__(self, scope: Construct) -> None:
        self._scope = scope

    def validate(self) -> list[str]:
        findings = evaluate(Template(render(self._scope), name=self._scope.node.path))
        return [
            f"[{f.control}] {f.resource}" + (f" container {f.container}" if f.container else "") + f": {f.message}"
            for f in findings
            if not f.acknowledged
        ]
