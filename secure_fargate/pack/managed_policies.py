"""What the pack knows of AWS-managed IAM policies: which are broad, and the statements that matter here.

A role's ``ManagedPolicyArns`` may name an AWS-managed policy (``arn:<partition>:iam::aws:policy/<path><name>``),
whose document is not in the template. The pack judges the ones below by a model of their statements (the
statements these controls look at, copied from the policy's default version) and calls *broad* every policy in
:data:`BROAD` and every ``*FullAccess`` policy. An AWS-managed policy the pack does not know is never guessed to
be a violation.

Sources (AWS Managed Policy Reference Guide, https://docs.aws.amazon.com/aws-managed-policy/latest/reference/
<Name>.html, default versions as published in 2025-2026; cross-checked against the zoph-io/MAMIP history):
- AdministratorAccess: ``Allow * on *``.
- PowerUserAccess (v12): ``Allow NotAction [iam:*, organizations:*, account:*] on *`` (+ a few iam/account reads).
- IAMFullAccess: ``iam:*`` and ``organizations:List*``/``Describe*`` on ``*``.
- SecretsManagerReadWrite (v5): ``secretsmanager:*`` on ``*`` (+ CloudFormation, Lambda, RDS, KMS reads).
- ReadOnlyAccess: ``ssm:Get*``/``Describe*``/``List*`` and ``s3:Get*``/``List*`` on ``*``: it reads every SSM
  parameter (``SecureString`` under the default ``aws/ssm`` key too) and every object. Its Secrets Manager part is
  ``secretsmanager:Describe*``/``List*``/``GetResourcePolicy`` only: no ``GetSecretValue``.
- AmazonSSMReadOnlyAccess: ``ssm:Describe*``, ``ssm:Get*``, ``ssm:List*`` on ``*`` (reads every parameter).
- AmazonSSMManagedInstanceCore (v2): ``ssm:GetParameter``/``GetParameters`` among others, on ``*``.
- AWSSecretsManagerClientReadOnlyAccess: ``secretsmanager:GetSecretValue``/``DescribeSecret`` on
  ``arn:aws:secretsmanager:*:*:secret:*`` and ``kms:Decrypt`` on ``arn:aws:kms:*:*:key/*``.
- AmazonECSTaskExecutionRolePolicy (v1): ECR pull and ``logs:CreateLogStream``/``PutLogEvents`` on ``*``: every
  repository and log group of the account. SF.EXECUTION_ROLE accepts it on an execution role (see
  :data:`ACCEPTED_ON_EXECUTION_ROLE`); CDK's grants, scoped to the repository and log group, remain narrower.
"""

from __future__ import annotations

import re

from ._template import JSON

_ALL = "*"

#: Name -> the policy's statements (as in a policy document) that the IAM controls judge.
MODELS: dict[str, list[dict[str, JSON]]] = {
    "AdministratorAccess": [{"Effect": "Allow", "Action": "*", "Resource": _ALL}],
    "PowerUserAccess": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": _ALL},
        {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:ListRoles"], "Resource": _ALL},
    ],
    "IAMFullAccess": [{"Effect": "Allow", "Action": ["iam:*", "organizations:List*"], "Resource": _ALL}],
    "SecretsManagerReadWrite": [
        {"Effect": "Allow", "Action": ["secretsmanager:*", "kms:DescribeKey", "kms:ListKeys"], "Resource": _ALL}
    ],
    "ReadOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "ssm:Describe*",
                "ssm:Get*",
                "ssm:List*",
                "s3:Get*",
                "s3:List*",
                "secretsmanager:Describe*",
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:List*",
            ],
            "Resource": _ALL,
        }
    ],
    "AmazonSSMReadOnlyAccess": [
        {"Effect": "Allow", "Action": ["ssm:Describe*", "ssm:Get*", "ssm:List*"], "Resource": _ALL}
    ],
    "AmazonSSMManagedInstanceCore": [
        {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetDocument"], "Resource": _ALL}
    ],
    "AWSSecretsManagerClientReadOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": "arn:aws:secretsmanager:*:*:secret:*",
        },
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:*:key/*"},
    ],
    "AmazonECSTaskExecutionRolePolicy": [
        {
            "Effect": "Allow",
            "Action": [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": _ALL,
        }
    ],
}

#: AWS-managed policies SF.EXECUTION_ROLE accepts on an execution role, with the reason.
#: AmazonECSTaskExecutionRolePolicy is AWS's documented standard execution policy: its wildcards reach image pulls
#: and log writes only (no secret, no parameter, no decrypt), and the execution role's credentials are used by the
#: ECS agent, never handed to the application. Refusing it as an invariant failed every ``aws_ecs_patterns`` app
#: with no way to adopt the pack.
ACCEPTED_ON_EXECUTION_ROLE: dict[str, str] = {
    "AmazonECSTaskExecutionRolePolicy": "AWS's standard execution policy: image pulls and log writes only, used by "
    "the ECS agent and never by the application",
}


def model_source(name: str) -> str:
    """How findings name the statements of the AWS-managed policy ``name``."""
    return f"AWS managed policy {name}"


#: AWS-managed policies too broad for either task role, whatever else the role has. Plus every ``*FullAccess``.
BROAD: frozenset[str] = frozenset(
    {
        "AdministratorAccess",
        "PowerUserAccess",
        "IAMFullAccess",
        "SecretsManagerReadWrite",
        "ReadOnlyAccess",
        "AmazonSSMReadOnlyAccess",
        "AmazonSSMManagedInstanceCore",
    }
)

#: ``arn:<partition>:iam::aws:policy/<optional path/><name>``: the ARN shape of an AWS-managed policy.
_AWS_MANAGED_ARN = re.compile(r"arn:[^:]*:iam::aws:policy/(?:[^:]*/)?([^/:]+)")


def aws_managed_name(arn: str) -> str | None:
    """The policy name when ``arn`` (a rendered ARN, possibly with placeholders for the partition) is an
    AWS-managed policy's ARN; None otherwise."""
    match = _AWS_MANAGED_ARN.fullmatch(arn)
    return match.group(1) if match else None


def is_broad(name: str) -> bool:
    """True for the AWS-managed policies no task role or execution role should carry."""
    return name in BROAD or name.endswith("FullAccess")
