"""``SecureFargateConfigRule``: the pack's verdict as an AWS Config custom rule, in one account or a whole
organisation; ``SecureFargateConfigMemberRole``: the role it assumes in each member account.

The function carries only the pack (staged as the hook's is, ``hook.stage_pack_code``) and runs
``secure_fargate.pack.config_rule.handler`` on each configuration item of the five recorded types, and on a
schedule. Its role may do exactly what the handler needs (``pack.config_rule.REQUIRED_ACTIONS``), IAM reads scoped
to the account's roles and policies, plus writing its own log group. docs/organisation.md walks the rollout.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    App,
    CfnParameter,
    DefaultStackSynthesizer,
    Duration,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_cloudformation as cfn
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IValidation

from . import defaults
from .acknowledgements import IAM_POLICY_ACKNOWLEDGEMENT
from .errors import Problem, Problems
from .hook import pack_function, pack_logs, run_settings
from .pack.config_rule import MEMBER_ROLE_VARIABLE, REQUIRED_ACTIONS, SESSION_NAME
from .pack.control import DEFAULT_FAIL_ON, DEFAULT_STANDARDS

#: The handler, inside the packaged ``secure_fargate/pack``.
HANDLER = "secure_fargate.pack.config_rule.handler"
#: The configuration item types the rule judges (the types AWS Config records for ECS and ECR that the pack reads).
RESOURCE_TYPES: tuple[str, ...] = (
    "AWS::ECS::TaskDefinition",
    "AWS::ECS::Service",
    "AWS::ECS::Cluster",
    "AWS::ECS::TaskSet",
    "AWS::ECR::Repository",
)
_CDK_RESOURCE_TYPES = (
    config.ResourceType.ECS_TASK_DEFINITION,
    config.ResourceType.ECS_SERVICE,
    config.ResourceType.ECS_CLUSTER,
    config.ResourceType.ECS_TASK_SET,
    config.ResourceType.ECR_REPOSITORY,
)
#: What triggers an organisation rule: every change (oversized items by reference) and the periodic run.
ORGANIZATION_TRIGGER_TYPES: tuple[str, ...] = (
    "ConfigurationItemChangeNotification",
    "OversizedConfigurationItemChangeNotification",
    "ScheduledNotification",
)
#: AWS Config's spelling of each periodic frequency (``MaximumExecutionFrequency``).
FREQUENCIES = {
    config.MaximumExecutionFrequency.ONE_HOUR: "One_Hour",
    config.MaximumExecutionFrequency.THREE_HOURS: "Three_Hours",
    config.MaximumExecutionFrequency.SIX_HOURS: "Six_Hours",
    config.MaximumExecutionFrequency.TWELVE_HOURS: "Twelve_Hours",
    config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS: "TwentyFour_Hours",
}
#: Once a day: every change is judged when it happens; the periodic run catches what a change notification cannot
#: (a role's policy edited, an acknowledgement expiring) at a rule evaluation per resource per run (cost:
#: docs/organisation.md).
DEFAULT_FREQUENCY = config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS
#: Memory and time per invocation: a change judges one item in well under a second; a periodic run judges every
#: recorded item of the account (docs/organisation.md, "Sizing": about 900 items per CPU-second).
MEMORY_MIB = 512
TIMEOUT = Duration.minutes(5)
#: Config invokes the function asynchronously; throttled invocations wait in Lambda's queue (up to 6 hours) rather
#: than fail, so a small reservation caps cost and blast radius without losing evaluations.
DEFAULT_RESERVED_CONCURRENCY = 10
#: The names an organisation rollout uses in every account (the member role trusts the function role by name).
DEFAULT_FUNCTION_ROLE_NAME = "secure-fargate-config-rule"
DEFAULT_MEMBER_ROLE_NAME = "secure-fargate-config-member"
DEFAULT_ORGANIZATION_RULE_NAME = "secure-fargate"
_ACCOUNT = re.compile(r"[0-9]{12}")
_ORGANIZATION = re.compile(r"o-[a-z0-9]{10,32}")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_ORGANIZATIONAL_UNIT = re.compile(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32}")
_RULE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # OrganizationConfigRuleName: 1-64 of \S, kept to a safe set
#: AWS Config allows at most this many excluded accounts on an organisation rule.
MAX_EXCLUDED_ACCOUNTS = 1000


def _resolved(value: object) -> bool:
    return not (isinstance(value, str) and Token.is_unresolved(value))


def read_statements(
    account: str, partition: str, actions: Iterable[str] = REQUIRED_ACTIONS
) -> list[iam.PolicyStatement]:
    """``actions`` as policy statements, each action on the narrowest resource IAM allows: role reads on the
    account's roles, policy reads on the account's and AWS's managed policies; actions without resource-level
    permissions (Config's) on ``*``."""
    roles = f"arn:{partition}:iam::{account}:role/*"
    policies = [f"arn:{partition}:iam::{account}:policy/*", f"arn:{partition}:iam::aws:policy/*"]
    scoped: dict[str, list[str]] = {}
    for action in sorted(set(actions)):
        if action in ("iam:GetPolicy", "iam:GetPolicyVersion"):
            scoped.setdefault("policies", []).append(action)
        elif action.startswith("iam:"):
            scoped.setdefault("roles", []).append(action)
        else:
            scoped.setdefault("*", []).append(action)
    resources = {"roles": [roles], "policies": policies, "*": ["*"]}
    return [iam.PolicyStatement(actions=acts, resources=resources[key]) for key, acts in scoped.items()]


class SecureFargateConfigRule(Construct):
    """An AWS Config custom rule whose Lambda function gives ``secure-fargate check``'s verdict on every ECS and ECR
    configuration item (on each change, and periodically).

    One account: ``SecureFargateConfigRule(stack, "Rule")``. An organisation, from its delegated administrator
    account: ``SecureFargateConfigRule.for_organization(stack, "Rule", organization_id=..., excluded_accounts=...)``
    together with ``SecureFargateConfigMemberRole`` in every member account (``deploy_member_roles(...)`` adds the
    service-managed StackSet that deploys it).

    Exposes ``function``, ``function_role``, ``log_group``, ``log_key``, and ``rule`` (the ``CustomRule``) or
    ``organization_rule`` (the ``CfnOrganizationConfigRule``) and ``invoke_permission``, whichever applies (the
    rule that does not is None).

    Args:
        standards: the standards whose controls the rule runs (``fsbp``, ``tagging``, ``secure-fargate`` or
            ``all``), as ``secure-fargate check --standard``. Default ``fsbp`` and ``secure-fargate``.
        fail_on: the lowest severity of an open finding that makes a resource NON_COMPLIANT, as ``check
            --fail-on``. Default LOW (every finding).
        periodic: whether the rule also runs on a schedule (what changes without an ECS or ECR item changing: a
            role's policies, a security group's rules, an acknowledgement's expiry). Default True; each run
            evaluates every recorded item, the bulk of the rule's cost (docs/organisation.md, "Cost").
        maximum_execution_frequency: how often the periodic evaluation runs. Default every 24 hours.
        reserved_concurrency: the function's reserved concurrent executions (1-1000). Default 10.
        memory_size: the function's memory in MiB (128-10240). Default 512.
        timeout: the function's timeout (at most 15 minutes). Default 5 minutes.
        log_retention: how long the function's logs are kept. Default one year.
        removal_policy: what happens to the log group and its key on stack deletion. Default RETAIN.
        config_rule_name: the rule's name. Default: generated by CloudFormation (one account) or
            ``secure-fargate`` (an organisation).
        organization_id: (``for_organization``) the organisation's ID, ``o-...``.
        excluded_accounts: (``for_organization``) 12-digit account IDs the organisation rule is not deployed to.
        member_role_name: (``for_organization``) the role the function assumes in member accounts. Default
            ``secure-fargate-config-member``.
        function_role_name: (``for_organization``) the function role's name, which member roles trust. Default
            ``secure-fargate-config-rule``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        standards: Sequence[str] = DEFAULT_STANDARDS,
        fail_on: str = DEFAULT_FAIL_ON.value,
        periodic: bool = True,
        maximum_execution_frequency: config.MaximumExecutionFrequency = DEFAULT_FREQUENCY,
        reserved_concurrency: int = DEFAULT_RESERVED_CONCURRENCY,
        memory_size: int = MEMORY_MIB,
        timeout: Duration = TIMEOUT,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        config_rule_name: str | None = None,
        organization_id: str | None = None,
        excluded_accounts: Sequence[str] = (),
        member_role_name: str = DEFAULT_MEMBER_ROLE_NAME,
        function_role_name: str = DEFAULT_FUNCTION_ROLE_NAME,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        environment = run_settings(problems, standards, fail_on)
        self._validate(problems, reserved_concurrency, memory_size, timeout, config_rule_name)
        organization = organization_id is not None
        if organization:
            _validate_organization(problems, organization_id, excluded_accounts, member_role_name, function_role_name)
        elif excluded_accounts:
            problems.add("excluded_accounts", list(excluded_accounts), "only with for_organization(...)")
        problems.raise_if_any()
        self.organization_id = organization_id
        self.member_role_name = member_role_name if organization else None
        self.function_role_name = function_role_name
        self._create_logs(log_retention, removal_policy)
        self._create_role(function_role_name if organization else None)
        if organization:
            environment[MEMBER_ROLE_VARIABLE] = member_role_name
            self._grant_member_roles()
        self._create_function(environment, reserved_concurrency, memory_size, timeout)
        self.rule: config.CustomRule | None = None
        self.organization_rule: config.CfnOrganizationConfigRule | None = None
        frequency = maximum_execution_frequency if periodic else None
        if organization:
            self._create_organization_rule(config_rule_name, frequency, excluded_accounts)
        else:
            self._create_rule(config_rule_name, frequency)
        self._acknowledge_nag()

    @classmethod
    def for_organization(
        cls,
        scope: Construct,
        construct_id: str,
        *,
        organization_id: str,
        excluded_accounts: Sequence[str] = (),
        member_role_name: str = DEFAULT_MEMBER_ROLE_NAME,
        function_role_name: str = DEFAULT_FUNCTION_ROLE_NAME,
        config_rule_name: str = DEFAULT_ORGANIZATION_RULE_NAME,
        standards: Sequence[str] = DEFAULT_STANDARDS,
        fail_on: str = DEFAULT_FAIL_ON.value,
        periodic: bool = True,
        maximum_execution_frequency: config.MaximumExecutionFrequency = DEFAULT_FREQUENCY,
        reserved_concurrency: int = DEFAULT_RESERVED_CONCURRENCY,
        memory_size: int = MEMORY_MIB,
        timeout: Duration = TIMEOUT,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
    ) -> SecureFargateConfigRule:
        """The rule for every account of an organisation (an ``AWS::Config::OrganizationConfigRule``), deployed
        in the delegated administrator account; its function judges each member account through that account's
        ``SecureFargateConfigMemberRole``. Arguments as the class docstring's ``Args:``."""
        return cls(
            scope,
            construct_id,
            organization_id=organization_id,
            excluded_accounts=excluded_accounts,
            member_role_name=member_role_name,
            function_role_name=function_role_name,
            config_rule_name=config_rule_name,
            standards=standards,
            fail_on=fail_on,
            periodic=periodic,
            maximum_execution_frequency=maximum_execution_frequency,
            reserved_concurrency=reserved_concurrency,
            memory_size=memory_size,
            timeout=timeout,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )

    @staticmethod
    def _validate(problems: Problems, concurrency: int, memory: int, timeout: Duration, rule_name: str | None) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 1000:
            problems.add("reserved_concurrency", concurrency, "an integer from 1 to 1000")
        if isinstance(memory, bool) or not isinstance(memory, int) or not 128 <= memory <= 10240:
            problems.add("memory_size", memory, "an integer from 128 to 10240 (MiB)")
        if not isinstance(timeout, Duration) or (
            _resolved(timeout.to_string()) and not 1 <= timeout.to_seconds() <= 900
        ):
            problems.add("timeout", timeout, "a Duration from 1 second to 15 minutes")
        if rule_name is not None and _resolved(rule_name) and not _RULE_NAME.fullmatch(str(rule_name)):
            problems.add("config_rule_name", rule_name, "1-64 letters, digits, '-' or '_'")

    def _create_logs(self, retention: logs.RetentionDays, removal_policy: RemovalPolicy) -> None:
        self.log_key, self.log_group = pack_logs(
            self, description="secure-fargate Config rule function logs", retention=retention,
            removal_policy=removal_policy,
        )  # fmt: skip

    def _create_role(self, role_name: str | None) -> None:
        # Its own role: CDK's default would attach AWSLambdaBasicExecutionRole (logs on every group), and
        # CustomRule would attach AWSConfigRulesExecutionRole (config:Put*, Get*, List*, ... on everything).
        stack = Stack.of(self)
        self.function_role = iam.Role(
            self,
            "FunctionRole",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="secure-fargate Config rule: reads task roles, records evaluations, writes its own logs",
        )
        self.log_group.grant_write(self.function_role)
        for statement in read_statements(stack.account, stack.partition):
            self.function_role.add_to_policy(statement)

    def _grant_member_roles(self) -> None:
        """sts:AssumeRole on the member role of accounts of this organisation only (aws:ResourceOrgID)."""
        partition = Stack.of(self).partition
        self.function_role.add_to_policy(
            iam.PolicyStatement(
                actions=["sts:AssumeRole"],
                resources=[f"arn:{partition}:iam::*:role/{self.member_role_name}"],
                conditions={"StringEquals": {"aws:ResourceOrgID": self.organization_id}},
            )
        )

    def _create_function(self, environment: dict[str, str], concurrency: int, memory: int, timeout: Duration) -> None:
        self.function = pack_function(
            self,
            handler=HANDLER,
            role=self.function_role,
            log_group=self.log_group,
            timeout=timeout,
            memory_size=memory,
            reserved_concurrent_executions=concurrency,
            description="secure-fargate guardrail pack: the check verdict on each ECS/ECR configuration item",
            environment=environment,
        )

    def _create_rule(self, name: str | None, frequency: config.MaximumExecutionFrequency | None) -> None:
        # CustomRule attaches AWSConfigRulesExecutionRole to the role of the function it is given. It is given the
        # same function, imported (no role), so the role keeps exactly the actions the handler needs; CustomRule
        # still adds the config.amazonaws.com invoke permission (this account only) to the real function.
        target = lambda_.Function.from_function_attributes(
            self, "RuleTarget", function_arn=self.function.function_arn, same_environment=True
        )
        self.rule = config.CustomRule(
            self,
            "Rule",
            lambda_function=target,
            configuration_changes=True,
            periodic=frequency is not None,
            maximum_execution_frequency=frequency,
            rule_scope=config.RuleScope.from_resources(list(_CDK_RESOURCE_TYPES)),
            config_rule_name=name,
            description="secure-fargate: the guardrail pack's verdict (secure-fargate check) on ECS and ECR",
        )
        self.rule.node.add_dependency(self.function)

    def _create_organization_rule(
        self, name: str | None, frequency: config.MaximumExecutionFrequency | None, excluded: Sequence[str]
    ) -> None:
        # Config in each member account invokes the function. Lambda's resource policy cannot name an organisation
        # for a service principal (PrincipalOrgID applies to IAM principals, and there is no SourceOrgID
        # parameter), so the permission names the service; the organisation boundary is enforced where the
        # function acts: it may assume member roles only in this organisation (aws:ResourceOrgID), and member roles
        # trust only this function role from this organisation (aws:PrincipalOrgID).
        self.invoke_permission = lambda_.CfnPermission(
            self,
            "ConfigInvoke",
            action="lambda:InvokeFunction",
            function_name=self.function.function_arn,
            principal="config.amazonaws.com",
        )
        self.organization_rule = config.CfnOrganizationConfigRule(
            self,
            "OrganizationRule",
            organization_config_rule_name=name or DEFAULT_ORGANIZATION_RULE_NAME,
            excluded_accounts=list(excluded) or None,
            organization_custom_rule_metadata=config.CfnOrganizationConfigRule.OrganizationCustomRuleMetadataProperty(
                lambda_function_arn=self.function.function_arn,
                organization_config_rule_trigger_types=[
                    t for t in ORGANIZATION_TRIGGER_TYPES if frequency is not None or t != "ScheduledNotification"
                ],
                resource_types_scope=list(RESOURCE_TYPES),
                maximum_execution_frequency=FREQUENCIES[frequency] if frequency is not None else None,
                description="secure-fargate: the guardrail pack's verdict (secure-fargate check) on ECS and ECR",
            ),
        )
        self.organization_rule.node.add_dependency(self.invoke_permission)
        self.organization_rule.node.add_dependency(self.function)

    def deploy_member_roles(
        self, organizational_unit_ids: Sequence[str], *, region: str | None = None, call_as: str = "DELEGATED_ADMIN"
    ) -> cfn.CfnStackSet:
        """Deploy ``SecureFargateConfigMemberRole`` to every account of ``organizational_unit_ids`` (and accounts
        that join them later) with a service-managed StackSet, from this stack's account.

        Args:
            organizational_unit_ids: the root (``r-...``) or organisational units (``ou-...``) to deploy to. A
                service-managed StackSet never deploys to the management account: deploy the member stack there
                yourself, or exclude it from the rule.
            region: the one Region the StackSet deploys the role in (IAM is global: a second Region would fail on
                the role's name). Default this stack's Region.
            call_as: ``DELEGATED_ADMIN`` (default: this stack is in the delegated administrator account) or
                ``SELF`` (the management account).

        Returns:
            The ``CfnStackSet``; its template is the member stack, taking the administrator account and the
            organisation as parameters.
        """
        problems = Problems(self.node.path)
        if self.organization_id is None:
            problems.add("deploy_member_roles", "one account", "a rule made by for_organization(...)")
        if isinstance(organizational_unit_ids, str) or not organizational_unit_ids:
            problems.add("organizational_unit_ids", organizational_unit_ids, "a non-empty list of r-... or ou-... IDs")
        else:
            bad = [o for o in organizational_unit_ids if not isinstance(o, str) or (
                _resolved(o) and not _ORGANIZATIONAL_UNIT.fullmatch(o))]  # fmt: skip
            if bad:
                problems.add("organizational_unit_ids", bad, "root IDs r-... or organisational unit IDs ou-...-...")
        if call_as not in ("DELEGATED_ADMIN", "SELF"):
            problems.add("call_as", call_as, "DELEGATED_ADMIN or SELF")
        problems.raise_if_any()
        stack = Stack.of(self)
        body = member_role_template(role_name=str(self.member_role_name), function_role_name=self.function_role_name)
        return cfn.CfnStackSet(
            self,
            "MemberRoles",
            stack_set_name=f"{self.member_role_name}",
            description="secure-fargate: the role the organisation Config rule assumes in each member account",
            permission_model="SERVICE_MANAGED",
            call_as=call_as,
            auto_deployment=cfn.CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution={"Active": True},
            operation_preferences=cfn.CfnStackSet.OperationPreferencesProperty(
                failure_tolerance_percentage=10, max_concurrent_percentage=25, region_concurrency_type="PARALLEL"
            ),
            template_body=json.dumps(body, sort_keys=True),
            parameters=[
                cfn.CfnStackSet.ParameterProperty(parameter_key="AdminAccountId", parameter_value=stack.account),
                cfn.CfnStackSet.ParameterProperty(
                    parameter_key="OrganizationId", parameter_value=str(self.organization_id)
                ),
            ],
            stack_instances_group=[
                cfn.CfnStackSet.StackInstancesProperty(
                    deployment_targets=cfn.CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=list(organizational_unit_ids)
                    ),
                    regions=[region or stack.region],
                )
            ],
        )

    def _acknowledge_nag(self) -> None:
        reasons = dict(_NAG_REASONS)
        if self.member_role_name:
            member = (
                f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/{self.member_role_name}]"
            )
            reasons[member] = (
                "The member role of every account of the organisation, known only as accounts join; "
                "aws:ResourceOrgID limits it to roles of this organisation."
            )
        for rule, reason in reasons.items():
            Validations.of(self).acknowledge(Acknowledgment(id=rule, reason=reason))
        Validations.of(self).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)


def _validate_organization(
    problems: Problems, organization_id: object, excluded: Sequence[str], member_role: str, function_role: str
) -> None:
    if not isinstance(organization_id, str) or (
        _resolved(organization_id) and not _ORGANIZATION.fullmatch(organization_id)
    ):
        problems.add("organization_id", organization_id, "an organisation ID: o- and 10-32 lowercase letters/digits")
    _validate_accounts(problems, "excluded_accounts", excluded)
    for prop, name in (("member_role_name", member_role), ("function_role_name", function_role)):
        if not isinstance(name, str) or (_resolved(name) and not _ROLE_NAME.fullmatch(name)):
            problems.add(prop, name, "an IAM role name: 1-64 of letters, digits and +=,.@_-")


def _validate_accounts(problems: Problems, prop: str, accounts: Sequence[str]) -> None:
    if isinstance(accounts, str):
        problems.add(prop, accounts, "a list of 12-digit account IDs, e.g. ['111122223333']")
        return
    if Token.is_unresolved(list(accounts)):  # a list parameter (CommaDelimitedList): CloudFormation checks it
        return
    bad = [a for a in accounts if not isinstance(a, str) or (_resolved(a) and not _ACCOUNT.fullmatch(a))]
    if bad:
        problems.add(prop, bad, "12-digit AWS account IDs as strings (a leading zero is kept only in a string)")
    twice = sorted({a for a in accounts if isinstance(a, str) and list(accounts).count(a) > 1})
    if twice:
        problems.add(prop, twice, "each account once")
    if len(accounts) > MAX_EXCLUDED_ACCOUNTS:
        problems.add(prop, f"{len(accounts)} accounts", f"at most {MAX_EXCLUDED_ACCOUNTS} (AWS Config's limit)")


def member_role_template(
    *, role_name: str = DEFAULT_MEMBER_ROLE_NAME, function_role_name: str = DEFAULT_FUNCTION_ROLE_NAME
) -> dict[str, Any]:
    """The member stack's template, with the administrator account and the organisation as parameters
    (``AdminAccountId``, ``OrganizationId``): what a StackSet deploys, built in an app of its own."""
    outdir = tempfile.mkdtemp(prefix="secure-fargate-member-")
    atexit.register(shutil.rmtree, outdir, True)
    app = App(outdir=outdir)
    stack = Stack(
        app,
        "SecureFargateConfigMember",
        synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
        analytics_reporting=False,
        description="secure-fargate: the role the organisation Config rule assumes in this account",
    )
    admin = CfnParameter(stack, "AdminAccountId", allowed_pattern=_ACCOUNT.pattern,
                         description="the delegated administrator account that runs the rule's function")  # fmt: skip
    organization = CfnParameter(stack, "OrganizationId", allowed_pattern=_ORGANIZATION.pattern,
                                description="the organisation whose principals may assume the role")  # fmt: skip
    SecureFargateConfigMemberRole(
        stack,
        "Member",
        admin_account_id=admin.value_as_string,
        organization_id=organization.value_as_string,
        role_name=role_name,
        function_role_name=function_role_name,
    )
    template: dict[str, Any] = app.synth().get_stack_by_name(stack.stack_name).template
    return template


class SecureFargateConfigMemberRole(Construct):
    """The role an organisation's ``SecureFargateConfigRule`` function assumes in a member account: the handler's
    read-only actions and ``config:PutEvaluations``, trusted only by that function role, from that organisation,
    with the handler's session name. Deploy its stack to every member account with a service-managed StackSet
    (docs/organisation.md). Exposes ``role``.

    Args:
        admin_account_id: the delegated administrator account that runs the function (12 digits).
        organization_id: the organisation's ID (``o-...``); the role trusts no principal outside it.
        role_name: the role's name, as the rule's ``member_role_name``. Default ``secure-fargate-config-member``.
        function_role_name: the function role's name, as the rule's ``function_role_name``. Default
            ``secure-fargate-config-rule``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        admin_account_id: str,
        organization_id: str,
        role_name: str = DEFAULT_MEMBER_ROLE_NAME,
        function_role_name: str = DEFAULT_FUNCTION_ROLE_NAME,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        if not isinstance(admin_account_id, str) or (
            _resolved(admin_account_id) and not _ACCOUNT.fullmatch(admin_account_id)
        ):
            problems.add("admin_account_id", admin_account_id, "a 12-digit AWS account ID as a string")
        _validate_organization(problems, organization_id, (), role_name, function_role_name)
        problems.raise_if_any()
        stack = Stack.of(self)
        function_role = f"arn:{stack.partition}:iam::{admin_account_id}:role/{function_role_name}"
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.ArnPrincipal(function_role).with_conditions(
                {"StringEquals": {"aws:PrincipalOrgID": organization_id, "sts:RoleSessionName": SESSION_NAME}}
            ),
            description="secure-fargate Config rule: read ECS task roles and record evaluations for the org rule",
            max_session_duration=Duration.hours(1),
        )
        for statement in read_statements(stack.account, stack.partition):
            self.role.add_to_policy(statement)
        self.node.add_validation(_OnlyFunctionRoleTrust(self.node.path, self.role))
        for rule, reason in _MEMBER_NAG_REASONS.items():
            Validations.of(self).acknowledge(Acknowledgment(id=rule, reason=reason))
        Validations.of(self).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)


@jsii.implements(IValidation)
class _OnlyFunctionRoleTrust:
    """At synth: the member role's trust is still its one statement (the function role, from the organisation,
    with the handler's session name), however a statement was added after (``role.assume_role_policy
    .add_statements``, ``grant_assume_role``): a wider trust would let another principal read and record
    evaluations in every member account."""

    def __init__(self, path: str, role: iam.Role) -> None:
        self._path = path
        self._role = role

    def validate(self) -> list[str]:
        document = self._role.assume_role_policy
        statements = Stack.of(self._role).resolve(document.to_json()).get("Statement") if document else None
        if isinstance(statements, list) and len(statements) == 1:
            return []
        extra = [s for s in statements or [] if isinstance(s, dict)][1:]
        allowed = "the function role only (its one statement): add no trust to the member role"
        return [str(Problem(self._path, "role.assume_role_policy", extra, allowed))]


_CONFIG_STAR = (
    "Read-only and recording actions without resource-level permissions (AWS Config's PutEvaluations, "
    "GetResourceConfigHistory and ListDiscoveredResources; ecs:DescribeTaskDefinition; ec2:DescribeSecurityGroups; "
    "ecr:GetRegistryScanningConfiguration), and kms:DescribeKey on whichever key a repository names: '*' is the "
    "resource IAM accepts for them."
)
_ROLE_READS = (
    "The roles a task definition names are known only when Config records it: the read-only role actions are "
    "scoped to this account's roles, and policy reads to its own and AWS managed policies."
)
_MEMBER_NAG_REASONS = {
    "AwsSolutions::AwsSolutions-IAM5[Resource::*]": _CONFIG_STAR,
    "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]": _ROLE_READS,
    "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:policy/*]": _ROLE_READS,
    "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::aws:policy/*]": _ROLE_READS,
}
_NAG_REASONS = {
    **_MEMBER_NAG_REASONS,
    "NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC": "The function calls AWS APIs only (Config, IAM, STS); a "
    "VPC would add subnets and endpoints to reach the same public endpoints, with no data of the account on the "
    "path.",
    "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ": "AWS Config re-evaluates every resource on the rule's periodic "
    "run, which is the retry for an invocation that failed: a dead-letter queue would hold events nothing reads.",
    "AwsSolutions::AwsSolutions-L1": "The handler is tested on the Python 3.12 runtime, and the pack is pure "
    "standard-library Python; moving to a newer runtime is a one-line change, made with its tests.",
}
