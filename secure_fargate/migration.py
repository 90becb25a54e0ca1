"""Moving a deployed stack onto the library without replacing what must stay: ``keep_logical_id``.

CloudFormation matches resources between two templates by logical ID. A construct of this library builds its
resources under new construct paths, so an ``aws_ecs_patterns`` stack migrated as is would get new logical IDs for
its load balancer (replaced: a new DNS name, a new ARN), its listener, and its log group (retained by its
deletion policy, so orphaned, while a new one is created). ``keep_logical_id`` gives the new construct's resource
the old logical ID: CloudFormation then updates it in place, as long as no property that requires replacement
changed (docs/migration.md, proved by tests/integration/test_migration.py).
"""

from __future__ import annotations

import re

import jsii
from aws_cdk import CfnElement, CfnResource, Stack
from constructs import IConstruct, IValidation

from .errors import Problems

#: CloudFormation logical IDs: alphanumeric, at most 255 characters.
_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")


def keep_logical_id(construct: IConstruct, logical_id: str) -> None:
    """Give the CloudFormation resource of ``construct`` the logical ID its predecessor had in the deployed stack.

    Args:
        construct: an L2 construct with one CloudFormation resource as its default child (``load_balancer``,
            ``listener``, ``log_group`` of the library's constructs), or a ``CfnResource``.
        logical_id: the logical ID the resource had in the previous template (``cdk synth`` it first); letters
            and digits only. Two resources of one stack may not end up with the same ID (checked at synth).

    Raises:
        SecureFargateError: naming ``construct`` or ``logical_id`` when either is unusable.
    """
    problems = Problems(construct.node.path)
    resource = construct if CfnResource.is_cfn_resource(construct) else construct.node.default_child
    if not CfnResource.is_cfn_resource(resource):
        problems.add("construct", construct.node.path, "a construct whose default child is one CloudFormation resource")
    if not (isinstance(logical_id, str) and _LOGICAL_ID.match(logical_id)):
        problems.add("logical_id", logical_id, "the previous template's logical ID: 1-255 letters and digits")
    problems.raise_if_any()
    assert isinstance(resource, CfnResource)
    resource.override_logical_id(logical_id)
    resource.node.add_validation(_UniqueLogicalId(resource, logical_id))


@jsii.implements(IValidation)
class _UniqueLogicalId:
    """At synth: no other element of the stack has the kept logical ID (a JSON template would silently keep only
    one of them)."""

    def __init__(self, resource: CfnResource, logical_id: str) -> None:
        self._resource = resource
        self._logical_id = logical_id

    def validate(self) -> list[str]:
        stack = Stack.of(self._resource)
        own = self._resource.node.path
        clashes = [
            element.node.path
            for element in stack.node.find_all()
            if isinstance(element, CfnElement)
            and element.node.path != own
            and stack.resolve(element.logical_id) == self._logical_id
        ]
        return [f"keep_logical_id({self._logical_id!r}) clashes with {path}" for path in clashes]
