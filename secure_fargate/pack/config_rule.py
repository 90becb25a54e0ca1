"""The AWS Config custom rule's handler: ``check``'s verdict on each ECS/ECR configuration item Config records.

(Contract skeleton; the handler body follows in the next commits on branch ``config``.)
"""

from __future__ import annotations

from typing import Any

from .hook_handler import FAIL_ON_VARIABLE, STANDARDS_VARIABLE

#: When set, and an event's ``accountId`` is not the function's own account, the handler assumes
#: ``arn:aws:iam::<accountId>:role/<name>`` for every read and for PutEvaluations in that account.
MEMBER_ROLE_VARIABLE = "SECURE_FARGATE_MEMBER_ROLE_NAME"
#: The session name of the member-role assumption (visible in the member account's CloudTrail).
SESSION_NAME = "secure-fargate-config"

#: Every IAM action the function needs in the account it judges (the member role grants these; in a
#: single account, the function's own role).
REQUIRED_ACTIONS: tuple[str, ...] = (
    "config:PutEvaluations",
    "config:GetResourceConfigHistory",
    "config:BatchGetResourceConfig",
    "config:ListDiscoveredResources",
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)

__all__ = ["FAIL_ON_VARIABLE", "MEMBER_ROLE_VARIABLE", "REQUIRED_ACTIONS", "SESSION_NAME", "STANDARDS_VARIABLE", "handler"]


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """The Lambda entry point (``secure_fargate.pack.config_rule.handler``)."""
    raise NotImplementedError("contract skeleton: implemented on branch config")
