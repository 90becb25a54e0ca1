"""IAM controls on the two task roles and on the roles ECS deploys with, judged on each role's *effective*
permissions.

:func:`permissions` gathers, once, every statement that reaches a role from anywhere in the template set:
the role's inline ``Policies``; ``AWS::IAM::Policy`` and ``AWS::IAM::ManagedPolicy`` resources whose ``Roles``
name it (by ``Ref``, ``Fn::GetAtt``, a literal name or ARN, an import, or the name CDK derives from an imported
ARN); ``AWS::IAM::RolePolicy`` (``RoleName``); and its ``ManagedPolicyArns`` (customer managed policies of the set
resolved to their statements, AWS-managed ones judged by ``managed_policies``). Every IAM control reads it.

How statements are read, as IAM reads them: actions match case-insensitively with ``*`` and ``?`` anywhere
(``secretsmanager:*SecretValue``); ``NotAction``/``NotResource`` statements allow everything they do not list, so
they are broad. ``Condition`` blocks are ignored on ``Allow`` (a condition narrows, it does not make a statement
safe to reason about statically); a ``Deny`` removes an action only when it has no condition and applies to
``Resource: "*"``. Permission boundaries, SCPs and resource policies are outside the template's view.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from . import examples as ex
from . import managed_policies
from ._template import JSON, Template, evaluating, possible_values, properties
from .control import HIGH, MEDIUM, SERVICE, TASK, Violation, resource_control
from .template_set import (
    ResourceKey,
    TemplateSet,
    alternatives,
    is_literal,
    items_of,
    placeholder,
    rendered_resource,
    template_set_of,
)

Found = list[Violation]

#: ECR's token call has no resource-level permission: the one wildcard resource an execution role needs.
WILDCARD_RESOURCE_ACTIONS: frozenset[str] = frozenset({"ecr:getauthorizationtoken"})

#: Every API call that returns a secret's value: Secrets Manager values, SSM parameters (``SecureString`` ones
#: included: ``WithDecryption`` needs only the key's use, which the default ``aws/ssm`` key grants to the
#: account), and ``kms:Decrypt`` (see :data:`KMS_DECRYPT`).
SECRET_READ_ACTIONS: tuple[str, ...] = (
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
)
#: The Parameter Store reads among them: a task role may hold them under named paths (SF.PARAMETERS).
SSM_READ_ACTIONS: tuple[str, ...] = tuple(a for a in SECRET_READ_ACTIONS if a.startswith("ssm:"))
_PARAMETER_ARN = re.compile(r"arn:[^:]*:ssm:[^:]*:[^:]*:parameter(.*)", re.DOTALL)
#: A named path: literal segments (no wildcard, no placeholder), optionally ending in ``/*``.
_NAMED_PATH = re.compile(r"/?[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*(?:/\*)?")
#: ``kms:Decrypt`` reads a secret when it may use a secret's key. A key is a secret's key when an
#: ``AWS::SecretsManager::Secret`` of the template set names it in ``KmsKeyId``; a ``Resource`` that covers every
#: key (``*``, ``arn:aws:kms:*:*:key/*``, ``NotResource``) counts too: it covers whatever key encrypts the secrets,
#: including keys outside the set and the account's default ``aws/secretsmanager`` key.
KMS_DECRYPT = "kms:Decrypt"
#: Calls that let the task role act as (or hand out) another role.
ROLE_HOPPING_ACTIONS: tuple[str, ...] = ("sts:AssumeRole", "iam:PassRole")
#: IAM writes that escalate whoever holds them, on any role or user (its own, the CDK bootstrap roles, ...):
#: attach or write a policy, change a trust policy or boundary, mint keys, or hand a role to a service.
IAM_ESCALATION_ACTIONS: tuple[str, ...] = (
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:CreateAccessKey",
    "iam:UpdateLoginProfile",
    "iam:PassRole",
)
#: The one service that should assume a task or execution role.
ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"

_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
_ROLE_ARN = re.compile(r"arn:[^:]*:iam::[^:]*:role/(?:.*/)?([^/]+)", re.DOTALL)
_POLICY_ARN = re.compile(r"arn:[^:]*:iam::[^:]*:policy/(?:.*/)?([^/]+)", re.DOTALL)


@dataclass(frozen=True)
class Statement:
    """One IAM policy statement reaching a role, with its values rendered (None: unknown at synth)."""

    allow: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str | None, ...]
    not_resource: bool
    conditional: bool
    #: Where it comes from, e.g. ``Stack.template.json: AppPolicy`` or ``AWS managed policy ReadOnlyAccess``.
    source: str
    #: False when the statement exists, or reads as it does, in some branches only (an ``Fn::If`` on the way, or a
    #: policy resource guarded by a ``Condition``): it then grants in the worst case but never denies for certain.
    certain: bool = True

    def grants(self, action: str) -> bool:
        """True when this statement's action part covers ``action`` (whatever its effect)."""
        matched = any(action_matches(pattern, action) for pattern in self.actions)
        return not matched if self.not_action else matched

    @property
    def broad(self) -> bool:
        """``NotAction``/``NotResource`` statements allow everything they do not list."""
        return self.not_action or self.not_resource


@dataclass(frozen=True)
class Role:
    """A role as the set knows it: every name it answers to (lower-cased, rendered) and a label for messages."""

    names: frozenset[str]
    label: str

    def same_as(self, other: Role) -> bool:
        return bool(self.names & other.names)


@dataclass(frozen=True)
class Permissions:
    """A role's effective permissions: its statements, and the AWS-managed policies attached to it."""

    statements: tuple[Statement, ...]
    aws_managed: tuple[str, ...]

    def allowing(self, action: str) -> list[Statement]:
        """The Allow statements that grant ``action``, unless an unconditional ``Deny`` on ``*`` removes it."""
        denied = any(
            not s.allow
            and s.certain
            and not s.conditional
            and not s.not_resource
            and "*" in s.resources
            and s.grants(action)
            for s in self.statements
        )
        return [] if denied else [s for s in self.statements if s.allow and s.grants(action)]


@lru_cache(maxsize=4096)
def _action_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), re.IGNORECASE | re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """IAM's action matching: case-insensitive, ``*`` any run of characters, ``?`` one, anywhere."""
    return _action_regex(pattern).fullmatch(action) is not None


def _wildcard_only(text: str) -> bool:
    return "*" in text and set(text) <= {"*", "?"}


def all_actions(pattern: str) -> bool:
    """True for action patterns that cover every action of every service (``*``, ``*:*``)."""
    service, _, action = pattern.partition(":")
    return _wildcard_only(pattern) or (_wildcard_only(service) and _wildcard_only(action))


def service_wide_action(pattern: str) -> bool:
    """True for ``*``, ``svc:*``, ``*:Get*`` and the like: no literal service, or every action of one service.
    ``s3:GetObject*`` (what CDK's grants write) is not."""
    service, colon, action = pattern.partition(":")
    if not colon:
        return "*" in pattern
    return "*" in service or "?" in service or _wildcard_only(action)


def whole_service_resource(resource: str) -> bool:
    """True for resource patterns over every resource of a service (or of a resource type): ``*``,
    ``arn:aws:secretsmanager:*:*:secret:*``, ``arn:aws:ssm:eu-west-1:123:parameter/*``, ``arn:aws:s3:::*``.
    One named resource (with or without a wildcard suffix, e.g. ``<bucket ARN>/*`` or ``secret:db-??????``)
    is not."""
    if _wildcard_only(resource):
        return True
    parts = resource.split(":", 5)
    if parts[0] != "arn":
        return False
    if len(parts) < 6:
        return any(_wildcard_only(p) for p in parts[1:])
    service, tail = parts[2], parts[5]
    if _wildcard_only(service) or _wildcard_only(tail):
        return True
    if service != "s3" and _names_no_resource(tail):
        return True
    segments = re.split(r"[/:]", tail)
    named = segments if service == "s3" or len(segments) == 1 else segments[1:]
    return all(_wildcard_only(s) or s == "" for s in named)


#: What may stand before the first wildcard of a pattern that still names no resource: at most a resource type
#: (``secret``, ``secret:``, ``parameter/``, ``key/``, or a prefix of one: ``s``).
_TYPE_ONLY = re.compile(r"[A-Za-z0-9_.\-]*[/:]?")


def _names_no_resource(tail: str) -> bool:
    """True when an ARN's resource part matches whatever the resource's name is: its literal text before the
    first wildcard is a resource type at most (``secret*``, ``secret:*-??????``, ``parameter*``), so the pattern
    covers every secret or parameter however it is spelled."""
    cut = next((i for i, ch in enumerate(tail) if ch in "*?"), None)
    return cut is not None and _TYPE_ONLY.fullmatch(tail[:cut]) is not None


# --- who is the role -----------------------------------------------------------------------------------


def role_name(rendered: str) -> str | None:
    """The name a rendered role reference designates: a role ARN's last path part, a ``Ref`` placeholder, or a
    plain name; None for anything else (another ARN, a list...). Lower-cased: IAM role names are unique
    case-insensitively."""
    match = _ROLE_ARN.fullmatch(rendered)
    if match:
        return match.group(1).lower()
    if ":" in rendered or "/" in rendered or not rendered:
        return None
    return rendered.lower()


def _roles_by_name(template_set: TemplateSet) -> dict[str, Role]:
    cache = template_set.cache.get("roles")
    if cache is not None:
        return cache
    roles: dict[str, Role] = {}
    for index, logical_id, resource in template_set.of_type("AWS::IAM::Role"):
        names = {placeholder("ref", str(index), logical_id).lower()}
        given = template_set.render(template_set.templates[index], properties(resource).get("RoleName"))
        if given is not None:
            names.add(given.lower())
        role = Role(frozenset(names), template_set.describe((index, logical_id)))
        roles.update(dict.fromkeys(names, role))
    template_set.cache["roles"] = roles
    return roles


def role_of(template: Template, value: JSON, template_set: TemplateSet | None = None) -> Role | None:
    """The role that ``value`` (a role ARN or name in ``template``) designates, or None when unknown."""
    template_set = template_set or template_set_of(template)
    rendered = template_set.render(template, value)
    name = role_name(rendered) if rendered is not None else None
    if name is None:
        return None
    known = _roles_by_name(template_set).get(name)
    return known or Role(frozenset({name}), name if is_literal(name) else str(rendered))


def task_roles(template: Template, task: Mapping[str, JSON]) -> tuple[Role | None, Role | None]:
    """(task role, execution role) of a task definition, wherever in the set they are defined (the first
    branch of each; :func:`role_pairs` gives every branch)."""
    return role_pairs(template, task)[0]


def role_pairs(template: Template, task: Mapping[str, JSON]) -> list[tuple[Role | None, Role | None]]:
    """Every (task role, execution role) a task definition may deploy with: each branch of an ``Fn::If`` over
    either ARN (None where the role is absent or unknown)."""
    props = properties(task)
    pairs: list[tuple[Role | None, Role | None]] = []
    for task_value in alternatives(props.get("TaskRoleArn")) or [None]:
        for execution_value in alternatives(props.get("ExecutionRoleArn")) or [None]:
            pair = (role_of(template, task_value), role_of(template, execution_value))
            if pair not in pairs:
                pairs.append(pair)
    return pairs


# --- what the role may do ------------------------------------------------------------------------------


def _statements(
    template_set: TemplateSet, index: int, document: JSON, source: str, certain: bool = True
) -> Iterator[Statement]:
    template = template_set.templates[index]
    for doc in alternatives(document):
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        for option in alternatives(statements):  # a list, or a single statement object
            slots = option if isinstance(option, list) else [option]
            sure = certain and not _branches(document) and not _branches(statements)
            for slot in slots:
                for statement in items_of([slot]):
                    if isinstance(statement, dict):
                        yield _statement(template_set, template, statement, source, sure and not _branches(slot))


def _branches(value: JSON) -> bool:
    """True when ``value`` holds an ``Fn::If`` (or an ``Fn::Select`` over one) anywhere: it reads as it does in
    some branches only."""
    return '"Fn::If"' in json.dumps(value, default=str) if isinstance(value, (dict, list)) else False


def _rendered(template_set: TemplateSet, template: Template, value: JSON) -> tuple[str | None, ...]:
    """A statement's Action/Resource (a string, an intrinsic, or a list of them, through Fn::If) rendered."""
    values = [v for alt in alternatives(value) for v in (alt if isinstance(alt, list) else [alt])]
    return tuple(text for item in values for v in alternatives(item) for text in _texts(template_set, template, v))


def _texts(template_set: TemplateSet, template: Template, value: JSON) -> list[str | None]:
    """Every literal an ARN or action can be (the walker's values in its template's scope: mappings with a
    deploy-time key, a parameter's allowed or default values), else its rendering with placeholders."""
    with evaluating(template):
        known = possible_values(value)
    if isinstance(known, list) and known and all(isinstance(k, str) for k in known):
        return list(known)
    return [template_set.render(template, value)]


def _statement(
    template_set: TemplateSet, template: Template, statement: Mapping[str, JSON], source: str, certain: bool = True
) -> Statement:
    not_action = "NotAction" in statement
    not_resource = "NotResource" in statement
    actions = _rendered(template_set, template, statement.get("NotAction" if not_action else "Action"))
    return Statement(
        allow=template_set.render(template, statement.get("Effect")) != "Deny",
        actions=tuple(a for a in actions if a is not None),
        not_action=not_action,
        resources=_rendered(template_set, template, statement.get("NotResource" if not_resource else "Resource")),
        not_resource=not_resource,
        conditional="Condition" in statement,
        source=source,
        certain=certain and not _branches(statement),
    )


def _attachments(template_set: TemplateSet) -> dict[str, list[tuple[int, str, JSON]]]:
    """Role name -> the policy documents attached to it by a policy resource (any template of the set)."""
    cache = template_set.cache.get("attachments")
    if cache is not None:
        return cache
    attached: dict[str, list[tuple[int, str, JSON]]] = {}
    for index, logical_id, resource in template_set.of_type(*_POLICY_TYPES, "AWS::IAM::RolePolicy"):
        props = properties(resource)
        targets = items_of(props.get("Roles")) + alternatives(props.get("RoleName"))
        for target in targets:
            role = role_of(template_set.templates[index], target, template_set)
            for name in role.names if role else ():
                attached.setdefault(name, []).append((index, logical_id, props.get("PolicyDocument")))
    template_set.cache["attachments"] = attached
    return attached


def _managed_policy_by_name(template_set: TemplateSet, name: str) -> ResourceKey | None:
    for index, logical_id, resource in template_set.of_type("AWS::IAM::ManagedPolicy"):
        given = template_set.render(template_set.templates[index], properties(resource).get("ManagedPolicyName"))
        if given is not None and given.lower() == name.lower():
            return index, logical_id
    return None


def _role_resources(template_set: TemplateSet, role: Role) -> Iterator[ResourceKey]:
    """The role resources of the set ``role`` is (indexed once per set: linear in the number of roles)."""
    if "roles_by_ref" not in template_set.cache:
        template_set.cache["roles_by_ref"] = {
            placeholder("ref", str(index), logical_id).lower(): (index, logical_id)
            for index, logical_id, _ in template_set.of_type("AWS::IAM::Role")
        }
    by_ref: dict[str, ResourceKey] = template_set.cache["roles_by_ref"]
    yield from sorted({by_ref[name] for name in role.names if name in by_ref})


def _managed_arns(template_set: TemplateSet, key: ResourceKey) -> Iterator[tuple[str | None, ResourceKey | None]]:
    """(AWS-managed policy name, customer managed policy of the set) for each of a role's ManagedPolicyArns."""
    index, logical_id = key
    template = template_set.templates[index]
    for value in items_of(properties(template.resources[logical_id]).get("ManagedPolicyArns")):
        policy = template_set.resource_key(template, value)
        rendered = template_set.render(template, value) or ""
        aws_name = managed_policies.aws_managed_name(rendered)
        customer = _POLICY_ARN.fullmatch(rendered)
        if policy is None and aws_name is None and customer is not None:
            policy = _managed_policy_by_name(template_set, customer.group(1))
        yield aws_name, policy


def _own_statements(template_set: TemplateSet, key: ResourceKey) -> Iterator[Statement | str]:
    """A role resource's inline policies and managed policies (AWS-managed ones also as their name)."""
    for policy in items_of(properties(template_set.resource(key) or {}).get("Policies")):
        if isinstance(policy, dict):
            yield from _statements(template_set, key[0], policy.get("PolicyDocument"), template_set.describe(key))
    for aws_name, policy_key in _managed_arns(template_set, key):
        if aws_name is not None:
            yield aws_name
            model = {"Statement": managed_policies.MODELS.get(aws_name, [])}
            yield from _statements(template_set, key[0], model, managed_policies.model_source(aws_name))
        if policy_key is not None:
            policy = template_set.resource(policy_key) or {}
            document = properties(policy).get("PolicyDocument")
            certain = policy.get("Condition") is None
            yield from _statements(template_set, policy_key[0], document, template_set.describe(policy_key), certain)


def _attached_statements(template_set: TemplateSet, role: Role) -> Iterator[Statement]:
    seen: set[tuple[int, str]] = set()
    for name in sorted(role.names):
        for index, logical_id, document in _attachments(template_set).get(name, []):
            if (index, logical_id) not in seen:
                seen.add((index, logical_id))
                guarded = (template_set.resource((index, logical_id)) or {}).get("Condition") is not None
                describe = template_set.describe((index, logical_id))
                yield from _statements(template_set, index, document, describe, not guarded)


_T = TypeVar("_T")


def _memo(template_set: TemplateSet, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    """``compute()`` once per set and ``key``: many task definitions share one role, and a role's permissions
    (and what a control finds in them) are the same for each, so judging stays linear in the template's size."""
    cache: dict[tuple[object, ...], Any] = template_set.cache.setdefault("iam_memo", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]  # type: ignore[no-any-return]


def permissions(role: Role, template_set: TemplateSet) -> Permissions:
    """Every statement reaching ``role`` from every source in ``template_set``, and its AWS-managed policies."""
    return _memo(template_set, ("permissions", role.names), lambda: _permissions(role, template_set))


def _permissions(role: Role, template_set: TemplateSet) -> Permissions:
    statements: list[Statement] = []
    aws_managed: list[str] = []
    for key in _role_resources(template_set, role):
        for item in _own_statements(template_set, key):
            if isinstance(item, str):
                aws_managed.append(item)
            else:
                statements.append(item)
    statements.extend(_attached_statements(template_set, role))
    return Permissions(tuple(statements), tuple(aws_managed))


def effective_statements(role: Role, template_set: TemplateSet) -> list[Statement]:
    """Every statement that reaches ``role`` (see :func:`permissions`)."""
    return list(permissions(role, template_set).statements)


# --- the controls ----------------------------------------------------------------------------------------


def _broad_managed(role: Role, perms: Permissions) -> Found:
    broad = sorted({name for name in perms.aws_managed if managed_policies.is_broad(name)})
    return [Violation(None, f"role {role.label} has the broad AWS managed policy {name}") for name in broad]


def _execution_statement_problems(statement: Statement) -> Iterator[str]:
    if statement.broad:
        kind = "NotAction" if statement.not_action else "NotResource"
        yield f"a {kind} statement, which allows everything it does not list ({statement.source})"
        return
    wild = sorted(a for a in statement.actions if service_wide_action(a))
    if wild:
        yield f"wildcard action(s) {wild} ({statement.source})"
    # An action known only at deploy time (a parameter without values) is never guessed to be one that matters.
    beyond = sorted(a for a in statement.actions if is_literal(a) and a.lower() not in WILDCARD_RESOURCE_ACTIONS)
    everything = sorted({r for r in statement.resources if r is not None and whole_service_resource(r)})
    if beyond and everything:
        yield f"{beyond} on every resource of the service ({everything}) ({statement.source})"


@resource_control(
    "SF.EXECUTION_ROLE",
    resource_types=(TASK,),
    title="The execution role reaches named resources only (a wildcard resource only for ecr:GetAuthorizationToken)",
    requirement="execution role reaches named resources only: no resource pattern over a whole service (`*`, "
    "`arn:...:secret:*`) except for `ecr:GetAuthorizationToken`, no service-wide action (`s3:*`), no "
    "`NotAction`/`NotResource`, no broad AWS managed policy, no trust policy admitting anyone but ECS tasks (`*`, "
    "an account, a role); a pattern whose literal text before its first wildcard is at most a resource type "
    "(`secret*`, `secret:*-??????`, `parameter*`) covers every resource; CDK's grants on one resource "
    "(`s3:GetObject*` on one object, `secret:db-??????`) pass, and so does AWS's standard "
    "`AmazonECSTaskExecutionRolePolicy` (image pulls and log writes only, used by the ECS agent, never by the "
    "application)",
    severity=HIGH,
    severity_reason="a wildcard lets every task of the role read every secret or image of the account",
    acknowledgeable=False,
    rationale="The execution role pulls the image, reads the injected secrets and writes logs: it should reach "
    "exactly those, not every secret of the account (arn:...:secret:*).",
    remediation="grant the execution role per resource (CDK's grants: secret.grant_read, repository.grant_pull, "
    "bucket.grant_read(role, key)); no service-wide action, no NotAction, no broad AWS managed policy",
    source="CON316: a task role separate from the execution role; least privilege",
    failing=ex.roles_task(execution=({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},)),
    passing=ex.roles_task(
        execution=(
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
            },
        )
    ),
)
def check_execution_role_scope(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.EXECUTION_ROLE: the execution role reaches named resources only: no wildcard over a whole service's
    resources (``*``, ``arn:...:secret:*``) but for ``ecr:GetAuthorizationToken``, no service-wide action
    (``s3:*``), no ``NotAction``/``NotResource``, no broad AWS managed policy. CDK's grants scoped to one resource
    (``s3:GetObject*`` on one object) pass."""
    found: Found = []
    for execution_role in dict.fromkeys(pair[1] for pair in role_pairs(template, task)):
        found += _execution_role_scope(template, execution_role)
    return found


def _execution_role_scope(template: Template, execution_role: Role | None) -> Found:
    if execution_role is None:
        return []
    template_set = template_set_of(template)
    return list(
        _memo(
            template_set,
            ("execution_scope", execution_role.names, execution_role.label),
            lambda: (
                _execution_role_findings(execution_role, permissions(execution_role, template_set))
                + [Violation(None, m) for m in trust_problems(execution_role, template_set, "execution")]
            ),
        )
    )


def _execution_role_findings(execution_role: Role, perms: Permissions) -> Found:
    found = _broad_managed(execution_role, perms)
    messages: dict[str, None] = {}
    accepted = {managed_policies.model_source(name) for name in managed_policies.ACCEPTED_ON_EXECUTION_ROLE}
    for statement in perms.statements:
        if statement.allow and statement.source not in accepted:
            messages.update(dict.fromkeys(_execution_statement_problems(statement)))
    return found + [Violation(None, f"execution role {execution_role.label} allows {m}") for m in messages]


def _key_identity(rendered: str) -> object:
    return rendered_resource(rendered) or rendered


def _secret_keys(template_set: TemplateSet) -> set[object]:
    """The KMS keys (resource of the set, or rendered ID/ARN) that encrypt a secret of the set."""
    keys: set[object] = set()
    for index, _, resource in template_set.of_type("AWS::SecretsManager::Secret"):
        rendered = template_set.render(template_set.templates[index], properties(resource).get("KmsKeyId"))
        if rendered is not None:
            keys.add(_key_identity(rendered))
    return keys


def _decrypts_secret_key(template_set: TemplateSet, statement: Statement) -> bool:
    if statement.not_resource:
        return True
    keys = _secret_keys(template_set)
    return any(r is not None and (whole_service_resource(r) or _key_identity(r) in keys) for r in statement.resources)


def named_parameter_path(resource: str | None) -> str | None:
    """The path (``/checkout/flags/*``) when ``resource`` names SSM parameters under literal path segments; None for
    ``*``, ``parameter/*``, a wildcard or deploy-time value inside the path, or anything that is not a parameter."""
    match = _PARAMETER_ARN.fullmatch(resource) if resource else None
    path = match.group(1) if match else ""
    if not _NAMED_PATH.fullmatch(path):
        return None
    return path if path.startswith("/") else "/" + path


def _under(name: str, path: str) -> bool:
    """True when the parameter ``name`` lies at or under ``path`` (``GetParametersByPath`` on a path reads the
    whole tree below it, so a path without ``/*`` covers its children too)."""
    base = path[:-2] if path.endswith("/*") else path
    name = name if name.startswith("/") else "/" + name
    return name == base or name.startswith(base.rstrip("/") + "/")


def injected_parameters(template_set: TemplateSet) -> frozenset[str]:
    """The SSM parameters the set's task definitions inject as secrets (``Secrets[].ValueFrom``, by name or ARN):
    they stay secrets, whatever path a task role may read. ValueFroms known only at deploy time are not seen."""
    cached = template_set.cache.get("injected_parameters")
    if cached is None:
        names: set[str] = set()
        for index, _, task in template_set.of_type(TASK):
            template = template_set.templates[index]
            for container in items_of(properties(task).get("ContainerDefinitions")):
                for secret in items_of(container.get("Secrets") if isinstance(container, dict) else None):
                    value = template_set.render(template, secret.get("ValueFrom")) if isinstance(secret, dict) else None
                    names.update(_parameter_name(value))
        cached = template_set.cache["injected_parameters"] = frozenset(names)
    return cached  # type: ignore[no-any-return]


def _parameter_name(value: str | None) -> list[str]:
    if not value or not is_literal(value) or (value.startswith("arn:") and ":secretsmanager:" in value):
        return []
    match = _PARAMETER_ARN.fullmatch(value)
    name = match.group(1) if match else value
    return [name if name.startswith("/") else "/" + name]


def _parameter_paths(statement: Statement, template_set: TemplateSet) -> list[str] | None:
    """The named paths an Allow statement reads parameters under, when every resource is one that covers no
    injected secret; None otherwise (a secret read: SF.SECRETS)."""
    if statement.not_resource or statement.not_action or not statement.resources:
        return None
    paths = [named_parameter_path(r) for r in statement.resources]
    if any(p is None for p in paths):
        return None
    injected = injected_parameters(template_set)
    if any(_under(name, path) for path in paths if path for name in injected):
        return None
    return [p for p in paths if p]


def _parameter_reads(perms: Permissions, template_set: TemplateSet) -> dict[str, set[str]]:
    """Named parameter path -> the sources granting an SSM read under it (the reads SF.PARAMETERS judges)."""
    reads: dict[str, set[str]] = {}
    for action in SSM_READ_ACTIONS:
        for statement in perms.allowing(action):
            for path in _parameter_paths(statement, template_set) or []:
                reads.setdefault(path, set()).add(statement.source)
    return reads


def _secret_reads(perms: Permissions, template_set: TemplateSet) -> dict[str, set[str]]:
    """Secret-reading action -> the sources that grant it (SSM reads under named paths that hold no injected
    secret are not secret reads: SF.PARAMETERS judges them)."""
    reads: dict[str, set[str]] = {}
    for action in SECRET_READ_ACTIONS:
        for statement in perms.allowing(action):
            if action in SSM_READ_ACTIONS and _parameter_paths(statement, template_set) is not None:
                continue
            reads.setdefault(action, set()).add(statement.source)
    for statement in perms.allowing(KMS_DECRYPT):
        if _decrypts_secret_key(template_set, statement):
            reads.setdefault(KMS_DECRYPT, set()).add(statement.source)
    return reads


def _principals_trusted(template_set: TemplateSet, index: int, document: JSON) -> Iterator[JSON]:
    """The ``Principal.AWS`` values of a trust policy's Allow statements (``"*"`` for ``Principal: "*"``)."""
    for doc in alternatives(document):
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        for statement in items_of(statements if isinstance(statements, list) else [statements]):
            # Every branch of an Fn::If counts: an Effect or a Principal behind a condition still trusts.
            if not isinstance(statement, dict) or "Allow" not in alternatives(statement.get("Effect")):
                continue
            for principal in alternatives(statement.get("Principal")):
                trusted = principal.get("AWS") if isinstance(principal, dict) else principal
                yield from items_of(trusted if isinstance(trusted, list) else [trusted])


def assumable_roles(role: Role, template_set: TemplateSet) -> list[tuple[Role, str]]:
    """Roles of the set that ``role`` can assume, one ``sts:AssumeRole`` away, with how: a trust policy that names
    ``role`` itself (within one account that trust alone is enough), or one that admits an account (``:root``, an
    account ID) or ``*`` while ``role``'s own policies allow ``sts:AssumeRole`` on it (any account's root errs
    towards yes: the pack cannot always tell this account's ID). What they may do, ``role`` may do. ``scan`` builds
    the same candidates from the account's live roles (``scan.trusted_task_roles``)."""
    found: list[tuple[Role, str]] = []
    by_name = _roles_by_name(template_set)
    for index, logical_id, resource in template_set.of_type("AWS::IAM::Role"):
        candidate = by_name.get(placeholder("ref", str(index), logical_id).lower())
        if candidate is None or candidate.same_as(role) or any(candidate == f for f, _ in found):
            continue
        how = _trust_hop(role, candidate, template_set, index, properties(resource).get("AssumeRolePolicyDocument"))
        if how is not None:
            found.append((candidate, how))
    return found


def _trust_hop(role: Role, candidate: Role, template_set: TemplateSet, index: int, document: JSON) -> str | None:
    template = template_set.templates[index]
    admits_account = False
    for value in _principals_trusted(template_set, index, document):
        trusted = role_of(template, value, template_set)
        if trusted is not None and trusted.same_as(role):
            return "which trusts it"
        rendered = template_set.render(template, value)
        admits_account = admits_account or (rendered is not None and admits_an_account(rendered))
    if admits_account and _may_assume(role, candidate, template_set):
        return "which trusts its account, and which it may sts:AssumeRole"
    return None


#: ``*``, an account ID, an account's root ARN (``${AWS::AccountId}`` renders to a placeholder without ``:``).
_ACCOUNT = r"([0-9]{12}|\x00pseudo\x1fAccountId\x00)"
_ACCOUNT_PRINCIPAL = re.compile(rf"\*|{_ACCOUNT}|arn:[^:]+:iam::{_ACCOUNT}:root", re.IGNORECASE)


def admits_an_account(principal: str) -> bool:
    """True for a trust principal that admits every identity of an account an identity policy lets in: ``*``, an
    account ID, an account's ``:root`` ARN (``${AWS::AccountId}`` included)."""
    return _ACCOUNT_PRINCIPAL.fullmatch(principal.strip()) is not None


def assumable_among(role_resources: Mapping[str, JSON], role_arn: str, candidate_arns: Iterable[str]) -> set[str]:
    """For ``scan``: the roles of ``candidate_arns`` that the role ``role_arn`` may ``sts:AssumeRole`` into, its
    resources (the role and its policies, as ``scan.role_resources`` builds them) being ``role_resources``; the same
    reading of its policies as :func:`assumable_roles` (so a live hop is the template's hop). Its policies are read
    once, whatever the number of candidates."""
    template = Template({"Resources": dict(role_resources)}, name="role")
    template_set = TemplateSet([template])
    with evaluating(template):
        role = role_of(template, role_arn, template_set)
        if role is None or not permissions(role, template_set).allowing("sts:AssumeRole"):
            return set()
        found: set[str] = set()
        for arn in candidate_arns:
            candidate = role_of(template, arn, template_set)
            if candidate is not None and _may_assume(role, candidate, template_set):
                found.add(arn)
        return found


def _may_assume(role: Role, candidate: Role, template_set: TemplateSet) -> bool:
    """True when ``role``'s policies allow ``sts:AssumeRole`` on a resource that may designate ``candidate``."""
    for statement in permissions(role, template_set).allowing("sts:AssumeRole"):
        if statement.not_resource or any(_covers_role(r, candidate) for r in statement.resources):
            return True
    return False


def _reads_with_assumable(role: Role, template_set: TemplateSet) -> dict[str, set[str]]:
    """Secret reads of ``role`` and of every role it can assume (one hop), sources labelled."""
    reads = _secret_reads(permissions(role, template_set), template_set)
    for other, how in assumable_roles(role, template_set):
        for action, sources in _secret_reads(permissions(other, template_set), template_set).items():
            reads.setdefault(action, set()).update(f"{s} via role {other.label}, {how}" for s in sources)
    return reads


@resource_control(
    "SF.SECRETS",
    resource_types=(TASK,),
    title="The task role cannot read secrets",
    requirement="the task role cannot read a secret, itself or through a role of the set it can assume (one hop: a "
    "trust policy that names it, or that admits its account or `*` while its policies allow `sts:AssumeRole` on that "
    "role): `secretsmanager:GetSecretValue`/`BatchGetSecretValue`, "
    "`ssm:GetParameter`/`GetParameters`/`GetParametersByPath`/`GetParameterHistory`, `kms:Decrypt` on a "
    "secret's key or on every key, by any pattern that matches them (`secretsmanager:*SecretValue`, "
    "`ssm:Get*`, `NotAction`)",
    severity=HIGH,
    severity_reason="an intruder in the application reads the secrets with the application's own credentials",
    acknowledgeable=False,
    rationale="Secrets are injected at start by the execution role; the application's own identity needs no read.",
    remediation="inject the secret with ecs.Secret.from_secrets_manager / from_ssm_parameter (granted to the "
    "execution role) and remove secretsmanager:/ssm: reads and kms:Decrypt on the secrets' keys from the task role",
    source="CON316: secrets from Secrets Manager, injected by the execution role",
    failing=ex.roles_task(
        task_statements=(
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
            },
        )
    ),
    passing=ex.roles_task(
        task_statements=({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::uploads/*"},)
    ),
)
def check_task_role_secrets(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.SECRETS: the task role (the application's identity) cannot read secrets or parameters, itself or
    through a role that trusts it; injection at start goes through the execution role."""
    return _each_task_role(template, task, _task_role_secrets)


def _each_task_role(
    template: Template, task: Mapping[str, JSON], judge: Callable[[Role, Role | None, TemplateSet], Found]
) -> Found:
    """``judge`` over every task role the task definition may deploy with (each branch), with its execution role;
    a missing task role, or one that is the execution role, is SF.ROLES' finding and is not judged here."""
    template_set = template_set_of(template)
    found: Found = []
    for task_role, execution_role in role_pairs(template, task):
        if task_role is not None and not (execution_role is not None and task_role.same_as(execution_role)):
            found += judge(task_role, execution_role, template_set)
    return found


def _task_role_secrets(task_role: Role, execution_role: Role | None, template_set: TemplateSet) -> Found:
    reads = _memo(
        template_set,
        ("secret_reads", task_role.names),
        lambda: _reads_with_assumable(task_role, template_set),
    )
    if not reads:
        return []
    sources = sorted({s for found in reads.values() for s in found})
    message = f"task role {task_role.label} may call {sorted(reads)} (granted by {sources}); use the execution role"
    return [Violation(None, message)]


@resource_control(
    "SF.PARAMETERS",
    resource_types=(TASK,),
    title="The task role reads Parameter Store only under named, acknowledged paths",
    requirement="a task role that may call `ssm:GetParameter`/`GetParameters`/`GetParametersByPath`/"
    "`GetParameterHistory` does so only on named paths (`arn:...:parameter/checkout/flags/*`: literal segments, at "
    "most a final `/*`), none covering a parameter a task of the set injects as a secret, and the task definition "
    "acknowledges the control with the reason; `*`, `parameter/*`, wildcards inside the path and injected secrets' "
    "paths are secret reads (SF.SECRETS)",
    severity=MEDIUM,
    severity_reason="plain configuration read at run time; an intruder reads what the application reads",
    rationale="Feature flags and run-time configuration read from Parameter Store are not secrets, but the read "
    "should be narrow and deliberate: SecureString parameters (under the default aws/ssm key, readable by whoever may "
    "call GetParameter) belong in Secrets injected by the execution role.",
    remediation="grant ssm:GetParameter*/GetParametersByPath on the configuration's path only (keep SecureString "
    "parameters outside it) and acknowledge SF.PARAMETERS on the task definition with the reason",
    source="CON316: secrets from Secrets Manager, injected by the execution role; least privilege",
    failing=ex.roles_task(
        task_statements=(
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParametersByPath", "ssm:GetParameter"],
                "Resource": "arn:aws:ssm:eu-west-1:123456789012:parameter/checkout/flags/*",
            },
        )
    ),
    passing=ex.roles_task(
        task_statements=({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::uploads/*"},)
    ),
)
def check_task_role_parameters(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.PARAMETERS: Parameter Store reads of the task role under named paths, to be acknowledged with a reason
    (every other SSM read is a secret read, SF.SECRETS)."""
    return _each_task_role(template, task, _task_role_parameters)


def _task_role_parameters(task_role: Role, execution_role: Role | None, template_set: TemplateSet) -> Found:
    reads = _memo(
        template_set,
        ("parameter_reads", task_role.names),
        lambda: _parameter_reads(permissions(task_role, template_set), template_set),
    )
    if not reads:
        return []
    sources = sorted({s for found in reads.values() for s in found})
    message = f"task role {task_role.label} may read Parameter Store under {sorted(reads)} (granted by {sources})"
    return [Violation(None, message)]


def _covers_role(resource: str | None, role: Role) -> bool:
    """True when an IAM resource pattern may designate ``role`` (any account: the pattern errs towards yes)."""
    if resource is None:
        return False
    if _wildcard_only(resource):
        return True
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not action_matches(parts[2], "iam"):
        return False
    for name in role.names:
        if action_matches(parts[5], f"role/{name}"):
            return True
        if not is_literal(name) and "*" in parts[5] and parts[5].lower().startswith("role/"):
            return True  # a generated name: a wildcard may cover it
    return False


def _role_hops(perms: Permissions, execution_role: Role | None) -> Iterator[str]:
    for action in ROLE_HOPPING_ACTIONS:
        for statement in perms.allowing(action):
            known = [r for r in statement.resources if r is not None]
            targets = [r for r in known if _wildcard_only(r) or (execution_role and _covers_role(r, execution_role))]
            if targets or statement.not_resource:
                yield f"{action} on {targets or 'NotResource'} ({statement.source})"


def _task_statement_problems(statement: Statement) -> Iterator[str]:
    if statement.broad:
        kind = "NotAction" if statement.not_action else "NotResource"
        yield f"a {kind} statement, which allows everything it does not list ({statement.source})"
    elif any(all_actions(a) for a in statement.actions):
        yield f"every action ('*') ({statement.source})"


@resource_control(
    "SF.TASK_ROLE",
    resource_types=(TASK,),
    title="The task role has no '*' action, no broad managed policy, and cannot assume or pass the execution role",
    requirement="the task role has no `*` action, no `NotAction`/`NotResource` statement, no broad AWS managed "
    "policy, no `sts:AssumeRole`/`iam:PassRole` on the execution role or `*`, no IAM write that escalates "
    "(`iam:Attach*`, `iam:Put*`, `iam:Update*`, `iam:PassRole`, policy versions, access keys) on any resource, "
    "and no trust policy admitting anyone but ECS tasks (`*`, an account, a role) (acknowledgeable)",
    severity=HIGH,
    severity_reason="the task role is what an intruder in the application holds",
    rationale="The task role is what an intruder in the application gets: least privilege, and no way to the "
    "execution role's image and secret access.",
    remediation="grant the task role named actions on named resources (CDK's grants); drop AdministratorAccess-style "
    "managed policies, NotAction statements and sts:AssumeRole / iam:PassRole on the execution role or '*'",
    source="CON316: a task role separate from the execution role; least privilege",
    failing=ex.roles_task(task_statements=({"Effect": "Allow", "Action": "*", "Resource": "*"},)),
    passing=ex.roles_task(
        task_statements=({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::uploads/*"},)
    ),
)
def check_task_role(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.TASK_ROLE: the application's role has no ``*`` action, no ``NotAction``/``NotResource`` statement, no
    broad AWS managed policy, and cannot assume or pass the execution role (or any role, via ``*``)."""
    return _each_task_role(template, task, _task_role_problems)


def _task_role_problems(task_role: Role, execution_role: Role | None, template_set: TemplateSet) -> Found:
    key = ("task_role", task_role.names, task_role.label, execution_role.names if execution_role else None)
    return list(
        _memo(
            template_set,
            key,
            lambda: (
                _task_role_findings(task_role, execution_role, permissions(task_role, template_set))
                + [Violation(None, m) for m in trust_problems(task_role, template_set, "task")]
            ),
        )
    )


def _iam_writes(perms: Permissions) -> Iterator[str]:
    """The IAM writes a role may make, per statement (on any resource: its own role is escalation too)."""
    by_statement: dict[Statement, list[str]] = {}
    for action in IAM_ESCALATION_ACTIONS:
        for statement in perms.allowing(action):
            by_statement.setdefault(statement, []).append(action)
    for statement, actions in by_statement.items():
        yield f"IAM writes {actions} that escalate privileges ({statement.source})"


def _trusted_principals(document: JSON) -> Iterator[str]:
    """What a trust policy's Allow statements admit besides AWS services: ``*``, accounts, roles, users."""
    for doc in alternatives(document):
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        for statement in items_of(statements if isinstance(statements, list) else [statements]):
            if not isinstance(statement, dict) or "Allow" not in alternatives(statement.get("Effect")):
                continue
            for principal in alternatives(statement.get("Principal")):
                if principal == "*":
                    yield "*"
                for value in items_of(_as_items(principal.get("AWS") if isinstance(principal, dict) else None)):
                    yield value if isinstance(value, str) else "an AWS principal known at deploy time"


def _as_items(value: JSON) -> JSON:
    return value if isinstance(value, list) or value is None else [value]


def trust_problems(role: Role, template_set: TemplateSet, kind: str) -> Iterator[str]:
    """Principals other than ECS tasks that a task or execution role of the set trusts."""
    for key in _role_resources(template_set, role):
        resource = template_set.resource(key) or {}
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        for principal in dict.fromkeys(_trusted_principals(properties(resource).get("AssumeRolePolicyDocument"))):
            who = "anyone ('*')" if principal == "*" else repr(principal)
            yield f"{kind} role {role.label} may be assumed by {who}, not only by {ECS_TASKS_PRINCIPAL}"


def _task_role_findings(task_role: Role, execution_role: Role | None, perms: Permissions) -> Found:
    messages: dict[str, None] = {}
    for statement in perms.statements:
        if statement.allow:
            messages.update(dict.fromkeys(_task_statement_problems(statement)))
    messages.update(dict.fromkeys(_role_hops(perms, execution_role)))
    messages.update(dict.fromkeys(_iam_writes(perms)))
    found = _broad_managed(task_role, perms)
    return found + [Violation(None, f"task role {task_role.label} allows {m}") for m in messages]


# --- the role ECS invokes deployment lifecycle hooks with ---------------------------------------------------

#: The principal ECS itself acts as (deployments: lifecycle hooks, load balancer switches), not its tasks.
ECS_PRINCIPAL = "ecs.amazonaws.com"
INVOKE_ACTION = "lambda:InvokeFunction"
#: ``ecs.amazonaws.com`` as trust policies spell it: literal, in China (``.com.cn``), or ``ecs.${AWS::URLSuffix}``.
_ECS_SERVICE = re.compile(r"ecs\.(amazonaws\.com(\.cn)?|" + re.escape(placeholder("pseudo", "urlsuffix")) + ")")
_FUNCTION_ARN = re.compile(r"arn:[^:]*:lambda:[^:]*:[^:]*:function:([^:]*)", re.DOTALL)


def _hook_roles(template_set: TemplateSet) -> dict[str, list[str]]:
    """Role name -> the services whose ``DeploymentConfiguration.LifecycleHooks[].RoleArn`` name it (any branch)."""
    cache = template_set.cache.get("hook_roles")
    if cache is not None:
        return cache
    found: dict[str, list[str]] = {}
    for index, logical_id, resource in template_set.of_type(SERVICE):
        template = template_set.templates[index]
        for config in alternatives(properties(resource).get("DeploymentConfiguration")):
            hooks = config.get("LifecycleHooks") if isinstance(config, dict) else None
            for hook in items_of(hooks):
                for value in alternatives(hook.get("RoleArn")) if isinstance(hook, dict) else ():
                    role = role_of(template, value, template_set)
                    for name in role.names if role else ():
                        found.setdefault(name, []).append(template_set.describe((index, logical_id)))
    template_set.cache["hook_roles"] = found
    return found


def _trusts_ecs(template_set: TemplateSet, template: Template, role: Mapping[str, JSON]) -> bool:
    """True when the role's trust policy admits ECS itself (``ecs.amazonaws.com``) in some branch."""
    for doc in alternatives(properties(role).get("AssumeRolePolicyDocument")):
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        for statement in items_of(statements if isinstance(statements, list) else [statements]):
            if not isinstance(statement, dict):
                continue
            for principal in alternatives(statement.get("Principal")):
                services = principal.get("Service") if isinstance(principal, dict) else None
                for value in items_of(_as_items(services)):
                    text = template_set.render(template, value)
                    if text is not None and _ECS_SERVICE.fullmatch(text.lower()):
                        return True
    return False


def any_function(resource: str | None) -> bool:
    """True for a Resource that covers every Lambda function (or whatever function is named): ``*``,
    ``arn:aws:lambda:*:*:function:*``, ``...:function*``, a function name that starts with a wildcard
    (``function:*-hook``). One named function, its versions (``function:name:*``) or a named prefix
    (``function:deploy-hooks-*``) is not; an ARN known only at deploy time (None) cannot be judged."""
    if resource is None:
        return False
    if whole_service_resource(resource):
        return True
    match = _FUNCTION_ARN.match(resource)
    return bool(match) and (match.group(1)[:1] in ("*", "?") or match.group(1) == "")  # type: ignore[union-attr]


@resource_control(
    "SF.DEPLOY_HOOK_INVOKE",
    resource_types=("AWS::IAM::Role", SERVICE, *_POLICY_TYPES, "AWS::IAM::RolePolicy"),
    title="The role ECS invokes deployment lifecycle hooks with may invoke only named functions",
    requirement="a role that is the `RoleArn` of a service's `DeploymentConfiguration.LifecycleHooks` (any stack of "
    "the set, any branch), or that trusts `ecs.amazonaws.com`, is allowed `lambda:InvokeFunction` (also through "
    "`lambda:*`, `lambda:Invoke*`, `*`, `NotAction`) on no resource that covers every function: `*`, "
    "`arn:aws:lambda:*:*:function:*`, `function:*`, `function*`, a function name that starts with a wildcard, or "
    "`NotResource`. Named functions, their versions (`function:name:*`) and a named prefix "
    "(`function:deploy-hooks-*`) pass; an ARN known only at deploy time is not judged (not acknowledgeable)",
    severity=MEDIUM,
    severity_reason="whoever may point a service's hook at a function (ecs:UpdateService and iam:PassRole) makes "
    "ECS invoke any function of the account as this role, functions they cannot invoke themselves",
    acknowledgeable=False,
    rationale="ECS invokes a lifecycle hook's function with the role named beside it. AWS's example policy for that "
    "role allows lambda:InvokeFunction on function:*, which turns ECS into a deputy that calls any function in the "
    "account for whoever can update the service. The hooks are fixed at deploy time, so their ARNs are known: "
    "nothing needs the wildcard (hence no acknowledgement).",
    remediation="grant the role lambda:InvokeFunction on the hook functions' ARNs only: "
    "ecs.DeploymentLifecycleLambdaTarget(function, id, lifecycle_stages=[...]) without role= does exactly that "
    "(function.grant_invoke(role)); SecureFargateService(lifecycle_hooks=[...]) uses it",
    source="Least privilege for service roles; ECS deployment lifecycle hooks (2025)",
    failing={
        **ex.service(
            DeploymentConfiguration={
                "Strategy": "BLUE_GREEN",
                "LifecycleHooks": [
                    {
                        "HookTargetArn": {"Fn::GetAtt": ["Hook", "Arn"]},
                        "RoleArn": {"Fn::GetAtt": ["HookRole", "Arn"]},
                        "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                    }
                ],
            }
        ),
        **ex.service_role(
            "HookRole",
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:*:*:function:*"},
        ),
    },
    passing=ex.service_role(
        "HookRole", {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": ["Hook", "Arn"]}}
    ),
)
def check_deploy_hook_invoke(logical_id: str, role: Mapping[str, JSON], template: Template) -> Found:
    """SF.DEPLOY_HOOK_INVOKE: a lifecycle-hook role may invoke named functions only, never ``function:*``."""
    template_set = template_set_of(template)
    found = role_of(template, {"Ref": logical_id}, template_set)
    if found is None:
        return []
    services = sorted({s for name in found.names for s in _hook_roles(template_set).get(name, [])})
    if not services and not _trusts_ecs(template_set, template, role):
        return []
    why = f"the lifecycle hook role of {', '.join(services)}" if services else f"trusted by {ECS_PRINCIPAL}"
    violations: list[Violation] = []
    for statement in permissions(found, template_set).allowing(INVOKE_ACTION):
        wide = [r for r in statement.resources if any_function(r)]
        if statement.not_resource or wide:
            what = "NotResource" if statement.not_resource else ", ".join(str(r) for r in wide)
            message = (
                f"role {found.label} ({why}) may invoke any Lambda function: {INVOKE_ACTION} on {what} "
                f"({statement.source})"
            )
            violations.append(Violation(None, message))
    return list(dict.fromkeys(violations))
