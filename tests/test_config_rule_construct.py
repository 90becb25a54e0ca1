"""SecureFargateConfigRule (one account and ``for_organization``) and SecureFargateConfigMemberRole (issue 24): what
they synthesize, the exact IAM of each role, the triggers and exclusions, every bad input refused by name, and that
cdk-nag (AwsSolutions, NIST 800-53 R5) and the pack itself pass on the three stacks.

One synth of the three stacks per module.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_config as config
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from secure_fargate import (
    SecureFargateChecks,
    SecureFargateConfigMemberRole,
    SecureFargateConfigRule,
    SecureFargateError,
)
from secure_fargate.config_rule import HANDLER, ORGANIZATION_TRIGGER_TYPES, RESOURCE_TYPES
from secure_fargate.pack import cli
from secure_fargate.pack.config_rule import MEMBER_ROLE_VARIABLE, REQUIRED_ACTIONS, SESSION_NAME
from tests.conftest import only, resources_of

ORG = "o-abcdef0123"
ADMIN = "210987654321"
EXCLUDED = ["111122223333", "012345678901"]  # a leading zero survives: account IDs are strings


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    outdir = tmp_path_factory.mktemp("config-rule-out")
    app = cdk.App(outdir=str(outdir))
    SecureFargateConfigRule(cdk.Stack(app, "Single"), "Rule")
    org_rule = SecureFargateConfigRule.for_organization(
        cdk.Stack(app, "Organization"), "Rule", organization_id=ORG, excluded_accounts=EXCLUDED, fail_on="HIGH"
    )
    org_rule.deploy_member_roles(["r-abcd"])  # under cdk-nag and the pack too
    SecureFargateConfigMemberRole(cdk.Stack(app, "Member"), "Member", admin_account_id=ADMIN, organization_id=ORG)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app), SecureFargateChecks())
    app.synth()  # raises on any unacknowledged cdk-nag or secure-fargate finding
    names = ("Single", "Organization", "Member")
    return outdir, {n: json.loads((outdir / f"{n}.template.json").read_text()) for n in names}


@pytest.fixture(scope="module")
def single(synth: tuple[Path, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    return synth[1]["Single"]


@pytest.fixture(scope="module")
def organization(synth: tuple[Path, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    return synth[1]["Organization"]


@pytest.fixture(scope="module")
def member(synth: tuple[Path, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    return synth[1]["Member"]


def _arn(tail: str, account: Any = None) -> dict[str, Any]:
    account = {"Ref": "AWS::AccountId"} if account is None else account
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", account, tail]]}


ROLES = _arn(":role/*")
POLICIES = [_arn(":policy/*"), {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/*"]]}]


def _statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    (policy,) = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
    ]
    return policy  # type: ignore[no-any-return]


def _function_role(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    role_id = only(template, "AWS::Lambda::Function")["Role"]["Fn::GetAtt"][0]
    return role_id, template["Resources"][role_id]["Properties"]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def _reads(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statements granting REQUIRED_ACTIONS, as the construct scopes them."""
    iam_roles = sorted(a for a in REQUIRED_ACTIONS if a.startswith("iam:") and "Policy" not in a[4:7] and a not in (
        "iam:GetPolicy", "iam:GetPolicyVersion"))  # fmt: skip
    iam_policies = sorted(a for a in REQUIRED_ACTIONS if a in ("iam:GetPolicy", "iam:GetPolicyVersion"))
    other = sorted(a for a in REQUIRED_ACTIONS if not a.startswith("iam:"))
    found = [{"Action": other, "Effect": "Allow", "Resource": "*"}] if other else []
    found.append({"Action": iam_policies, "Effect": "Allow", "Resource": POLICIES})
    found.append({"Action": iam_roles, "Effect": "Allow", "Resource": ROLES})
    return found


# ------------------------------------------------------------------------------------------------ the stacks pass
def test_the_stacks_pass_cdk_nag_and_the_pack(synth: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    report = synth[0] / "validation-report.json"
    violations = json.loads(report.read_text())["pluginReports"] if report.exists() else []
    assert [v for p in violations for v in p["violations"]] == []


def test_check_passes_on_the_synthesized_templates_with_every_standard(
    synth: tuple[Path, dict[str, dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """No false positive from the pack's own IAM controls on these roles (``Resource: *`` for Config's actions)."""
    files = [str(synth[0] / f"{n}.template.json") for n in ("Single", "Organization", "Member")]
    code = cli.main(["check", *files, "--standard", "all", "--format", "json"])
    assert (code, json.loads(capsys.readouterr().out)) == (0, [])


# ------------------------------------------------------------------------------------------------ one account
def test_the_function_runs_the_packaged_config_handler(single: dict[str, Any]) -> None:
    function = only(single, "AWS::Lambda::Function")
    assert (function["Runtime"], function["Handler"]) == ("python3.12", HANDLER)
    assert (function["ReservedConcurrentExecutions"], function["MemorySize"], function["Timeout"]) == (10, 512, 300)
    assert "Environment" not in function  # the defaults: fsbp + secure-fargate, fail on LOW; no member role


def test_the_log_group_is_its_own_encrypted_and_kept_a_year(single: dict[str, Any]) -> None:
    function = only(single, "AWS::Lambda::Function")
    log_group = single["Resources"][function["LoggingConfig"]["LogGroup"]["Ref"]]
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert "KmsKeyId" in log_group["Properties"]
    assert log_group["DeletionPolicy"] == "Retain"


def test_the_function_role_has_exactly_the_handlers_actions(single: dict[str, Any]) -> None:
    # GIVEN the function's role
    role_id, role = _function_role(single)
    function = only(single, "AWS::Lambda::Function")
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    # THEN no managed policy (neither Lambda's basic role nor CustomRule's AWSConfigRulesExecutionRole) ...
    assert "ManagedPolicyArns" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    # ... and exactly: write its log group; REQUIRED_ACTIONS, IAM reads scoped to this account (and AWS's policies)
    logs = {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]}}  # fmt: skip
    assert _statements(single, role_id) == [logs, *_reads(single)]
    assert _actions(_statements(single, role_id)) == {*REQUIRED_ACTIONS, "logs:CreateLogStream", "logs:PutLogEvents"}


def test_the_rule_is_change_triggered_on_the_five_types_and_daily(single: dict[str, Any]) -> None:
    rule = only(single, "AWS::Config::ConfigRule")
    function_id = only_id(single, "AWS::Lambda::Function")
    assert rule["Scope"] == {"ComplianceResourceTypes": list(RESOURCE_TYPES)}
    assert rule["Source"]["Owner"] == "CUSTOM_LAMBDA"
    assert rule["Source"]["SourceIdentifier"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert sorted(d["MessageType"] for d in rule["Source"]["SourceDetails"]) == sorted(ORGANIZATION_TRIGGER_TYPES)
    assert rule["MaximumExecutionFrequency"] == "TwentyFour_Hours"


def test_only_config_of_this_account_may_invoke(single: dict[str, Any]) -> None:
    permission = only(single, "AWS::Lambda::Permission")
    assert permission["Principal"] == "config.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert permission["FunctionName"] == {"Fn::GetAtt": [only_id(single, "AWS::Lambda::Function"), "Arn"]}


def only_id(template: dict[str, Any], resource_type: str) -> str:
    (found,) = resources_of(template, resource_type)
    return str(found)


def test_settings_reach_the_function_as_the_hook_names_them() -> None:
    stack = cdk.Stack(cdk.App(), "Settings")
    SecureFargateConfigRule(stack, "Rule", standards=["all"], fail_on="critical",
                            maximum_execution_frequency=config.MaximumExecutionFrequency.SIX_HOURS)  # fmt: skip
    template = cdk.assertions.Template.from_stack(stack).to_json()
    environment = only(template, "AWS::Lambda::Function")["Environment"]["Variables"]
    assert environment == {
        "SECURE_FARGATE_STANDARDS": "fsbp,secure-fargate,tagging",
        "SECURE_FARGATE_FAIL_ON": "CRITICAL",
    }
    assert only(template, "AWS::Config::ConfigRule")["MaximumExecutionFrequency"] == "Six_Hours"


# ------------------------------------------------------------------------------------------------ organisation
def test_the_organization_rule(organization: dict[str, Any]) -> None:
    assert resources_of(organization, "AWS::Config::ConfigRule") == {}  # the organisation rule replaces it
    rule = only(organization, "AWS::Config::OrganizationConfigRule")
    metadata = rule["OrganizationCustomRuleMetadata"]
    assert rule["OrganizationConfigRuleName"] == "secure-fargate"
    assert rule["ExcludedAccounts"] == EXCLUDED
    assert metadata["LambdaFunctionArn"] == {"Fn::GetAtt": [only_id(organization, "AWS::Lambda::Function"), "Arn"]}
    assert metadata["OrganizationConfigRuleTriggerTypes"] == list(ORGANIZATION_TRIGGER_TYPES)
    assert metadata["ResourceTypesScope"] == list(RESOURCE_TYPES)
    assert metadata["MaximumExecutionFrequency"] == "TwentyFour_Hours"


def test_the_organization_rule_waits_for_the_invoke_permission(organization: dict[str, Any]) -> None:
    (rule_id,) = resources_of(organization, "AWS::Config::OrganizationConfigRule")
    (permission_id,) = resources_of(organization, "AWS::Lambda::Permission")
    assert permission_id in organization["Resources"][rule_id]["DependsOn"]
    permission = only(organization, "AWS::Lambda::Permission")
    assert permission["Principal"] == "config.amazonaws.com" and "SourceAccount" not in permission


def test_the_organization_function_assumes_member_roles_of_the_organization_only(organization: dict[str, Any]) -> None:
    role_id, role = _function_role(organization)
    assert role["RoleName"] == "secure-fargate-config-rule"  # member roles trust it by name
    statements = _statements(organization, role_id)
    assume = [s for s in statements if s["Action"] == "sts:AssumeRole"]
    assert assume == [{
        "Action": "sts:AssumeRole", "Effect": "Allow",
        "Condition": {"StringEquals": {"aws:ResourceOrgID": ORG}},
        "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                       ":iam::*:role/secure-fargate-config-member"]]},
    }]  # fmt: skip
    assert _actions(statements) == {*REQUIRED_ACTIONS, "logs:CreateLogStream", "logs:PutLogEvents", "sts:AssumeRole"}
    environment = only(organization, "AWS::Lambda::Function")["Environment"]["Variables"]
    assert environment == {MEMBER_ROLE_VARIABLE: "secure-fargate-config-member", "SECURE_FARGATE_FAIL_ON": "HIGH"}


def test_the_member_role_trusts_only_the_function_role_from_the_organization(member: dict[str, Any]) -> None:
    role = only(member, "AWS::IAM::Role")
    assert role["RoleName"] == "secure-fargate-config-member"
    assert role["MaxSessionDuration"] == 3600
    assert role["AssumeRolePolicyDocument"]["Statement"] == [{
        "Action": "sts:AssumeRole", "Effect": "Allow",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "sts:RoleSessionName": SESSION_NAME}},
        "Principal": {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                                f":iam::{ADMIN}:role/secure-fargate-config-rule"]]}},
    }]  # fmt: skip
    assert "ManagedPolicyArns" not in role


def test_the_member_role_has_exactly_the_handlers_actions(member: dict[str, Any]) -> None:
    (role_id,) = resources_of(member, "AWS::IAM::Role")
    statements = _statements(member, role_id)
    assert statements == _reads(member)
    assert _actions(statements) == set(REQUIRED_ACTIONS)
    assert "config:PutEvaluations" in _actions(statements)
    assert not any(
        a.startswith(("iam:Put", "iam:Create", "iam:Attach", "iam:Update", "sts:")) for a in _actions(statements)
    )


def test_custom_names_flow_to_both_sides() -> None:
    app = cdk.App()
    rule = SecureFargateConfigRule.for_organization(cdk.Stack(app, "A"), "Rule", organization_id=ORG,
                                                    member_role_name="sf-member", function_role_name="sf-function",
                                                    config_rule_name="fargate-guardrails")  # fmt: skip
    member_role = SecureFargateConfigMemberRole(cdk.Stack(app, "M"), "M", admin_account_id=ADMIN, organization_id=ORG,
                                                role_name="sf-member", function_role_name="sf-function")  # fmt: skip
    org = cdk.assertions.Template.from_stack(cdk.Stack.of(rule)).to_json()
    mem = cdk.assertions.Template.from_stack(cdk.Stack.of(member_role)).to_json()
    assert only(org, "AWS::Config::OrganizationConfigRule")["OrganizationConfigRuleName"] == "fargate-guardrails"
    assert "ExcludedAccounts" not in only(org, "AWS::Config::OrganizationConfigRule")
    assert only(org, "AWS::Lambda::Function")["Environment"]["Variables"] == {MEMBER_ROLE_VARIABLE: "sf-member"}
    assert only(mem, "AWS::IAM::Role")["RoleName"] == "sf-member"
    assert "role/sf-function" in json.dumps(only(mem, "AWS::IAM::Role")["AssumeRolePolicyDocument"])
    assert (rule.rule, rule.member_role_name) == (None, "sf-member") and rule.organization_rule is not None


def test_periodic_runs_can_be_turned_off_for_cost() -> None:
    app = cdk.App()
    single = SecureFargateConfigRule(cdk.Stack(app, "S"), "Rule", periodic=False)
    org = SecureFargateConfigRule.for_organization(cdk.Stack(app, "O"), "Rule", organization_id=ORG, periodic=False)
    rule = only(cdk.assertions.Template.from_stack(cdk.Stack.of(single)).to_json(), "AWS::Config::ConfigRule")
    assert "MaximumExecutionFrequency" not in rule
    assert [d["MessageType"] for d in rule["Source"]["SourceDetails"]] == [
        "ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification"]  # fmt: skip
    metadata = only(cdk.assertions.Template.from_stack(cdk.Stack.of(org)).to_json(),
                    "AWS::Config::OrganizationConfigRule")["OrganizationCustomRuleMetadata"]  # fmt: skip
    assert "MaximumExecutionFrequency" not in metadata
    assert metadata["OrganizationConfigRuleTriggerTypes"] == [
        "ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification"]  # fmt: skip


def test_an_excluded_account_from_a_parameter_is_taken_at_deploy_time() -> None:
    stack = cdk.Stack(cdk.App(), "Param")
    accounts = cdk.CfnParameter(stack, "Excluded", type="CommaDelimitedList").value_as_list
    SecureFargateConfigRule.for_organization(stack, "Rule", organization_id=ORG, excluded_accounts=accounts)
    template = cdk.assertions.Template.from_stack(stack).to_json()
    assert only(template, "AWS::Config::OrganizationConfigRule")["ExcludedAccounts"] == {"Ref": "Excluded"}


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("kwargs", "prop", "allowed"),
    [
        ({"excluded_accounts": ["12345"]}, "excluded_accounts", "12-digit AWS account IDs"),
        ({"excluded_accounts": [111122223333]}, "excluded_accounts", "12-digit AWS account IDs"),
        ({"excluded_accounts": ["1111-2222-3333"]}, "excluded_accounts", "12-digit AWS account IDs"),
        ({"excluded_accounts": [" 111122223333"]}, "excluded_accounts", "12-digit AWS account IDs"),
        (
            {"excluded_accounts": ["\uff11" * 12]},
            "excluded_accounts",
            "12-digit AWS account IDs",
        ),  # full-width
        ({"excluded_accounts": "111122223333"}, "excluded_accounts", "a list of 12-digit account IDs"),
        ({"excluded_accounts": ["111122223333", "111122223333"]}, "excluded_accounts", "each account once"),
        ({"excluded_accounts": [f"{n:012d}" for n in range(1001)]}, "excluded_accounts", "at most 1000"),
        ({"organization_id": "org-1234567890"}, "organization_id", "an organisation ID"),
        ({"organization_id": "o-ABCDEF0123"}, "organization_id", "an organisation ID"),
        ({"member_role_name": "bad name!"}, "member_role_name", "an IAM role name"),
        ({"member_role_name": "x" * 65}, "member_role_name", "an IAM role name"),
        ({"function_role_name": ""}, "function_role_name", "an IAM role name"),
        ({"config_rule_name": "has space"}, "config_rule_name", "1-64 letters"),
        ({"standards": "fsbp"}, "standards", "a list of standards"),
        ({"standards": ["nist"]}, "standards", "unknown standard"),
        ({"fail_on": "SEVERE"}, "fail_on", "not a severity"),
        ({"reserved_concurrency": 0}, "reserved_concurrency", "an integer from 1 to 1000"),
        ({"reserved_concurrency": True}, "reserved_concurrency", "an integer from 1 to 1000"),
        ({"memory_size": 64}, "memory_size", "an integer from 128 to 10240"),
        ({"timeout": cdk.Duration.minutes(16)}, "timeout", "a Duration from 1 second to 15 minutes"),
    ],
)
def test_bad_organization_input_is_refused_naming_path_property_value_and_allowed(
    kwargs: dict[str, Any], prop: str, allowed: str
) -> None:
    arguments: dict[str, Any] = {"organization_id": ORG, **kwargs}
    with pytest.raises(SecureFargateError) as raised:
        SecureFargateConfigRule.for_organization(cdk.Stack(cdk.App(), "Bad"), "Rule", **arguments)
    (problem,) = [p for p in raised.value.problems if p.prop == prop]
    assert problem.path == "Bad/Rule"
    assert allowed in problem.allowed
    assert f"Bad/Rule: {prop}=" in str(raised.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SecureFargateError) as raised:
        SecureFargateConfigRule.for_organization(cdk.Stack(cdk.App(), "Bad"), "Rule", organization_id="nope",
                                                 excluded_accounts=["1"], fail_on="SEVERE", memory_size=1)  # fmt: skip
    assert {p.prop for p in raised.value.problems} == {"organization_id", "excluded_accounts", "fail_on", "memory_size"}


def test_excluded_accounts_without_an_organization_are_refused() -> None:
    with pytest.raises(SecureFargateError, match=re.escape("Bad/Rule: excluded_accounts=['111122223333']")):
        SecureFargateConfigRule(cdk.Stack(cdk.App(), "Bad"), "Rule", excluded_accounts=["111122223333"])


@pytest.mark.parametrize(
    ("kwargs", "prop"),
    [
        ({"admin_account_id": "21098765432"}, "admin_account_id"),
        ({"admin_account_id": 210987654321}, "admin_account_id"),
        ({"organization_id": "o-"}, "organization_id"),
        ({"role_name": "a/b"}, "member_role_name"),
    ],
)
def test_bad_member_input_is_refused(kwargs: dict[str, Any], prop: str) -> None:
    arguments: dict[str, Any] = {"admin_account_id": ADMIN, "organization_id": ORG, **kwargs}
    with pytest.raises(SecureFargateError) as raised:
        SecureFargateConfigMemberRole(cdk.Stack(cdk.App(), "Bad"), "Member", **arguments)
    assert [p.prop for p in raised.value.problems] == [prop]
    assert raised.value.problems[0].path == "Bad/Member"


# ------------------------------------------------------------------------------------------------ packaged code
def test_the_function_code_carries_the_config_handler_and_tag_acknowledgements(
    synth: tuple[Path, dict[str, dict[str, Any]]], single: dict[str, Any]
) -> None:
    key = only(single, "AWS::Lambda::Function")["Code"]["S3Key"]
    root = synth[0] / f"asset.{key.removesuffix('.zip')}"
    for module in ("config_rule.py", "tag_acks.py", "engine.py"):
        assert (root / "secure_fargate" / "pack" / module).is_file()
    imports = re.compile(r"^\s*(from|import)\s+(aws_cdk|constructs|jsii)\b", re.MULTILINE)
    assert [p.name for p in (root / "secure_fargate").rglob("*.py") if imports.search(p.read_text())] == []


# ------------------------------------------------------------------------------------------------ StackSet
@pytest.fixture(scope="module")
def stack_set() -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "WithMembers")
    rule = SecureFargateConfigRule.for_organization(stack, "Rule", organization_id=ORG)
    rule.deploy_member_roles(["r-abcd", "ou-abcd-12345678"], region="eu-west-1")
    template = cdk.assertions.Template.from_stack(stack).to_json()
    return only(template, "AWS::CloudFormation::StackSet")


def test_member_roles_deploy_by_a_service_managed_stack_set(stack_set: dict[str, Any]) -> None:
    assert (stack_set["PermissionModel"], stack_set["CallAs"]) == ("SERVICE_MANAGED", "DELEGATED_ADMIN")
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert stack_set["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert stack_set["StackInstancesGroup"] == [{
        "DeploymentTargets": {"OrganizationalUnitIds": ["r-abcd", "ou-abcd-12345678"]},
        "Regions": ["eu-west-1"],  # one Region: IAM is global
    }]  # fmt: skip
    assert stack_set["Parameters"] == [
        {"ParameterKey": "AdminAccountId", "ParameterValue": {"Ref": "AWS::AccountId"}},
        {"ParameterKey": "OrganizationId", "ParameterValue": ORG},
    ]


def test_the_stack_sets_template_is_the_member_role(stack_set: dict[str, Any], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    body = json.loads(stack_set["TemplateBody"])
    assert set(body["Parameters"]) == {"AdminAccountId", "OrganizationId"}
    assert "Rules" not in body  # no bootstrap-version rule: member accounts need no CDK bootstrap
    assert sorted(r["Type"] for r in body["Resources"].values()) == ["AWS::IAM::Policy", "AWS::IAM::Role"]
    role = only(body, "AWS::IAM::Role")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    admin = ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AdminAccountId"}, ":role/secure-fargate-config-rule"]
    assert trust["Principal"] == {"AWS": {"Fn::Join": ["", admin]}}
    assert trust["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"},
                                                   "sts:RoleSessionName": SESSION_NAME}}  # fmt: skip
    assert _actions(only(body, "AWS::IAM::Policy")["PolicyDocument"]["Statement"]) == set(REQUIRED_ACTIONS)
    # the pack passes on what the StackSet deploys
    path = tmp_path / "member.template.json"
    path.write_text(json.dumps(body))
    assert cli.main(["check", str(path), "--standard", "all"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("targets", "kwargs", "prop"),
    [
        ([], {}, "organizational_unit_ids"),
        ("r-abcd", {}, "organizational_unit_ids"),
        (["123456789012"], {}, "organizational_unit_ids"),
        (["ou-abcd"], {}, "organizational_unit_ids"),
        (["r-abcd"], {"call_as": "ADMIN"}, "call_as"),
    ],
)
def test_bad_stack_set_input_is_refused(targets: Any, kwargs: dict[str, Any], prop: str) -> None:
    rule = SecureFargateConfigRule.for_organization(cdk.Stack(cdk.App(), "Bad"), "Rule", organization_id=ORG)
    with pytest.raises(SecureFargateError) as raised:
        rule.deploy_member_roles(targets, **kwargs)
    assert [(p.path, p.prop) for p in raised.value.problems] == [("Bad/Rule", prop)]


def test_a_single_account_rule_has_no_member_roles() -> None:
    rule = SecureFargateConfigRule(cdk.Stack(cdk.App(), "Bad"), "Rule")
    with pytest.raises(SecureFargateError, match="a rule made by for_organization"):
        rule.deploy_member_roles(["r-abcd"])
