"""Small CloudFormation-level adjustments shared by the constructs."""

from __future__ import annotations

from aws_cdk import CfnResource, Stack
from constructs import IConstruct


def depend_only_on(resource: IConstruct, *targets: IConstruct) -> None:
    """Set the ``DependsOn`` of ``resource``'s L1 to exactly ``targets``' L1s.

    CDK adds dependencies on resources that are already referenced, which cfn-lint reports (W3005); this keeps
    only the orderings that matter and that no reference expresses.
    """
    stack = Stack.of(resource)
    cfn: CfnResource = resource.node.default_child  # type: ignore[assignment]
    cfn.add_override("DependsOn", [stack.get_logical_id(t.node.default_child) for t in targets])  # type: ignore[arg-type]
