"""Synth-time self-audit: run the guardrail pack over the CloudFormation a construct renders.

Props are checked in the constructor; this validation catches what changes afterwards (a container added
straight to ``task_definition``, a grant on ``task_role``) with the very same rule functions the CLI uses.

Every jsii call is a round trip to the Node.js kernel, so rendering is batched: the resource types the rules
read are picked by Python class (no call), and all values are resolved in one call.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import CfnResource, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct, IValidation

from .rules import METADATA_KEY, Template, evaluate

#: The L1 classes whose resources the pack's rules read (task definitions, services, roles, policies, SGs).
AUDITED_TYPES: tuple[type[CfnResource], ...] = (
    ecs.CfnTaskDefinition,
    ecs.CfnService,
    iam.CfnRole,
    iam.CfnPolicy,
    ec2.CfnSecurityGroup,
    ec2.CfnSecurityGroupIngress,
)


def render(scope: Construct) -> dict[str, Any]:
    """A template holding the resolved CloudFormation of the audited resources under ``scope``."""
    stack = Stack.of(scope)
    resources = [c for c in scope.node.find_all() if isinstance(c, AUDITED_TYPES)]
    # Resolve the L1 properties first (they hold lazy values), then render them to CloudFormation names.
    raw = stack.resolve([r._cfn_properties for r in resources])
    rendered = stack.resolve(
        [[stack.get_logical_id(r), r._render_properties(props)] for r, props in zip(resources, raw, strict=True)]
    )
    body: dict[str, Any] = {}
    for resource, (logical_id, properties) in zip(resources, rendered, strict=True):
        resource_type = resource.CFN_RESOURCE_TYPE_NAME  # type: ignore[attr-defined]  # on every L1 class
        entry: dict[str, Any] = {"Type": resource_type, "Properties": properties}
        metadata = resource.get_metadata(METADATA_KEY)
        if metadata:
            entry["Metadata"] = {METADATA_KEY: metadata}
        body[logical_id] = entry
    return {"Resources": body}


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
