"""Customer-managed KMS keys: rotation on, retained, and usable by the AWS service that encrypts with them."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from . import defaults
from ._tokens import AWS


def encryption_key(
    scope: Construct,
    construct_id: str,
    *,
    description: str,
    for_logs: bool = False,
    removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
) -> kms.Key:
    """A KMS key with yearly rotation. ``for_logs`` lets CloudWatch Logs of this account and region use it,
    limited by the encryption context to log groups of this account (CloudWatch Logs needs a key policy)."""
    key = kms.Key(scope, construct_id, description=description, enable_key_rotation=True, removal_policy=removal_policy)
    if for_logs:
        region = Stack.of(scope).region
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogs",
                principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{AWS.PARTITION}:logs:{region}:{AWS.ACCOUNT_ID}:*"
                    }
                },
            )
        )
    return key
