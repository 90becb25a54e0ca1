"""IAM controls on the two task roles: a narrowly scoped execution role, and no secret read on the task role."""

from __future__ import annotations

from collections.abc import Mapping

from ._template import JSON, Template, as_list
from .tasks import role_ids

Found = list[tuple[str | None, str]]

#: ECR's token call has no resource-level permission: the one wildcard resource an execution role needs.
WILDCARD_RESOURCE_ACTIONS: frozenset[str] = frozenset({"ecr:GetAuthorizationToken"})
SECRET_READ_ACTIONS: frozenset[str] = frozenset(
    {"secretsmanager:GetSecretValue", "ssm:GetParameters", "ssm:GetParameter"}
)


def _allows(statement: Mapping[str, JSON]) -> list[str]:
    if statement.get("Effect") != "Allow":
        return []
    return [a for a in as_list(statement.get("Action")) if isinstance(a, str)]


def _grants(action_pattern: str, action: str) -> bool:
    pattern = action_pattern.lower()
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return action.lower().startswith(pattern[:-1])
    return pattern == action.lower()


def check_execution_role_scope(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.EXECUTION_ROLE: the execution role has no wildcard action and no wildcard resource, except the one
    ecr:GetAuthorizationToken needs."""
    _, execution_role = role_ids(task)
    if execution_role is None:
        return []
    found: Found = []
    for statement in template.policy_statements_of_role(execution_role):
        actions = _allows(statement)
        wild_actions = [a for a in actions if "*" in a]
        if wild_actions:
            found.append((None, f"execution role {execution_role} allows wildcard action(s) {sorted(wild_actions)}"))
        resources = as_list(statement.get("Resource"))
        if "*" in resources:
            beyond = sorted(set(actions) - WILDCARD_RESOURCE_ACTIONS)
            if beyond:
                found.append((None, f"execution role {execution_role} allows {beyond} on Resource '*'"))
    return found


def check_task_role_secrets(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.SECRETS: the task role (the application's identity) cannot read secrets or parameters; injection
    at start goes through the execution role."""
    task_role, execution_role = role_ids(task)
    if task_role is None or task_role == execution_role:
        return []
    for statement in template.policy_statements_of_role(task_role):
        for pattern in _allows(statement):
            granted = sorted(a for a in SECRET_READ_ACTIONS if _grants(pattern, a))
            if granted:
                message = f"task role {task_role} may call {granted} (via {pattern!r}); use the execution role"
                return [(None, message)]
    return []
