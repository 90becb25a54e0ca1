"""GuardDuty Runtime Monitoring for the constructs: the execution role's pull of the GuardDuty agent image.

The region -> repository table lives in the pack (``secure_fargate.pack.guardduty``, from the GuardDuty user
guide). An environment-agnostic stack gets it as one ``CfnMapping`` (``Fn::FindInMap`` on ``AWS::Region``);
a stack with a concrete region gets the literal ARN. A concrete region outside the table gets no grant and a
warning; an environment-agnostic stack deployed to a region outside the table fails at deploy time with
CloudFormation's "mapping key not found" (docs/runtime-protection.md "GuardDuty Runtime Monitoring").
"""

from __future__ import annotations

from aws_cdk import Annotations, CfnMapping, Stack, Token
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from ._tokens import AWS
from .images import grant_repository_pull
from .pack.guardduty import (
    AGENT_REGISTRY_ACCOUNTS,
    MAPPING_KEY,
    MAPPING_NAME,
    REPOSITORY_NAME,
)
from .pack.guardduty import agent_repository_arn as literal_agent_repository_arn


def agent_repository_arn(scope: IConstruct) -> str | None:
    """The GuardDuty Fargate agent repository of ``scope``'s stack region (a token when the stack is
    environment-agnostic), or None when the region is known and has no agent repository."""
    stack = Stack.of(scope)
    if not Token.is_unresolved(stack.region):
        # Every region of the table is in the commercial partition: the literal ARN, as the pack knows it.
        return literal_agent_repository_arn(stack.region)
    mapping = stack.node.try_find_child(MAPPING_NAME)
    if not isinstance(mapping, CfnMapping):
        mapping = CfnMapping(
            stack,
            MAPPING_NAME,
            mapping={region: {MAPPING_KEY: account} for region, account in sorted(AGENT_REGISTRY_ACCOUNTS.items())},
        )
    account_token = mapping.find_in_map(AWS.REGION, MAPPING_KEY)
    return f"arn:{AWS.PARTITION}:ecr:{AWS.REGION}:{account_token}:repository/{REPOSITORY_NAME}"


def grant_agent_pull(role: iam.IRole, scope: IConstruct) -> bool:
    """Let ``role`` (a task execution role) pull exactly the GuardDuty agent image of the stack's region.

    Returns False (and warns on ``scope``) when the stack's concrete region has no agent repository."""
    arn = agent_repository_arn(scope)
    if arn is None:
        Annotations.of(scope).add_warning_v2(
            "secure-fargate:guardduty-region",
            f"GuardDuty has no Fargate agent repository in {Stack.of(scope).region}: no pull permission added",
        )
        return False
    grant_repository_pull(role, arn)
    return True
