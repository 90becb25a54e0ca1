"""SF.EXECUTION_ROLE, SF.SECRETS, SF.TASK_ROLE and SF.INGRESS on raw templates (one, or a set of several):
compliant and non-compliant cases, each asserting the exact set of failing resources."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from secure_fargate.pack import Template, TemplateSet, evaluate, evaluate_set
from secure_fargate.pack.iam import (
    action_matches,
    effective_statements,
    role_of,
    service_wide_action,
    whole_service_resource,
)
from secure_fargate.pack.ingress import is_public_cidr
from tests.controls.casebook import baseline

IAM_CONTROLS = ("SF.EXECUTION_ROLE", "SF.SECRETS", "SF.TASK_ROLE", "SF.INGRESS")


def failing(findings: Any, control: str) -> set[tuple[str, str]]:
    """(template, resource) of every unacknowledged finding of ``control``."""
    return {(f.template, f.resource) for f in findings if f.control == control and not f.acknowledged}


def one(body: dict[str, Any], control: str) -> set[str]:
    return {resource for _, resource in failing(evaluate(Template(body, name="app")), control)}


def policy(role: Any, *statements: dict[str, Any], kind: str = "AWS::IAM::Policy") -> dict[str, Any]:
    key = "RoleName" if kind == "AWS::IAM::RolePolicy" else "Roles"
    return {
        "Type": kind,
        "Properties": {key: role if key == "RoleName" else [role], "PolicyDocument": {"Statement": list(statements)}},
    }


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def with_resources(**resources: Any) -> dict[str, Any]:
    body = copy.deepcopy(baseline())
    body["Resources"].update(resources)
    return body


TASK_REF = {"Ref": "TaskRole"}
EXEC_REF = {"Ref": "ExecRole"}


def test_baseline_passes_every_iam_and_ingress_control() -> None:
    assert all(one(baseline(), c) == set() for c in IAM_CONTROLS)


# --- action and resource matching ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("secretsmanager:*SecretValue", "secretsmanager:GetSecretValue", True),
        ("secretsmanager:*SecretValue", "secretsmanager:BatchGetSecretValue", True),
        ("SECRETSMANAGER:getsecretvalue", "secretsmanager:GetSecretValue", True),
        ("ssm:GetParam?ter", "ssm:GetParameter", True),
        ("ssm:Get*", "ssm:GetParametersByPath", True),
        ("*", "kms:Decrypt", True),
        ("s*:Get*", "ssm:GetParameter", True),
        ("ssm:GetParameter", "ssm:GetParameters", False),
        ("secretsmanager:Describe*", "secretsmanager:GetSecretValue", False),
    ],
)
def test_action_matching_is_iams(pattern: str, action: str, matches: bool) -> None:
    assert action_matches(pattern, action) is matches


@pytest.mark.parametrize(
    ("resource", "whole"),
    [
        ("*", True),
        ("arn:aws:secretsmanager:*:*:secret:*", True),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:*", True),
        ("arn:aws:ssm:eu-west-1:123456789012:parameter/*", True),
        ("arn:aws:s3:::*", True),
        ("arn:*:*:*:*:*", True),
        ("arn:aws:logs:eu-west-1:123456789012:log-group:*", True),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-??????", False),
        ("arn:aws:s3:::my-bucket/envs/app.env", False),
        ("arn:aws:s3:::my-bucket/*", False),
        ("arn:aws:ssm:eu-west-1:123456789012:parameter/app/*", False),
        ("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/app:*", False),
    ],
)
def test_whole_service_resource(resource: str, whole: bool) -> None:
    assert whole_service_resource(resource) is whole


@pytest.mark.parametrize(
    ("action", "wide"),
    [("*", True), ("s3:*", True), ("*:GetObject", True), ("s3:GetObject*", False), ("s3:List*", False)],
)
def test_service_wide_action(action: str, wide: bool) -> None:
    assert service_wide_action(action) is wide


# --- SF.EXECUTION_ROLE --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:*:*:secret:*"),
        allow(["logs:CreateLogStream"], "*"),
        allow("s3:*", {"Fn::GetAtt": ["Bucket", "Arn"]}),
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::x/y"},
    ],
    ids=["every-secret", "logs-on-star", "service-wide-action", "not-action", "not-resource"],
)
def test_execution_role_refuses(statement: dict[str, Any]) -> None:
    assert one(with_resources(Extra=policy(EXEC_REF, statement)), "SF.EXECUTION_ROLE") == {"Task"}


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/PowerUserAccess"]]},
    ],
)
def test_execution_role_refuses_broad_managed_policies(arn: Any) -> None:
    body = with_resources()
    body["Resources"]["ExecRole"]["Properties"]["ManagedPolicyArns"] = [arn]
    assert one(body, "SF.EXECUTION_ROLE") == {"Task"}


def test_execution_role_may_carry_aws_standard_execution_policy() -> None:
    # GIVEN AWS's standard execution policy (ECR pulls and log writes on '*'), as aws_ecs_patterns apps attach it
    body = with_resources()
    arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    body["Resources"]["ExecRole"]["Properties"]["ManagedPolicyArns"] = [arn]
    # THEN SF.EXECUTION_ROLE accepts it (README "Decisions": used by the ECS agent, never by the application)
    assert one(body, "SF.EXECUTION_ROLE") == set()
    # AND the same wildcards written inline are still refused: the exception is AWS's published policy only
    statement = allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], ["*"])
    assert one(with_resources(Extra=policy(EXEC_REF, statement)), "SF.EXECUTION_ROLE") == {"Task"}


def test_execution_role_may_read_one_object_with_cdks_wildcard_actions() -> None:
    object_arn = {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/envs/app.env"]]}
    statement = allow(["s3:GetObject*", "s3:GetBucket*", "s3:List*"], [{"Fn::GetAtt": ["Bucket", "Arn"]}, object_arn])
    assert one(with_resources(Extra=policy(EXEC_REF, statement)), "SF.EXECUTION_ROLE") == set()


def test_only_the_task_whose_execution_role_is_widened_fails() -> None:
    body = with_resources(Extra=policy({"Ref": "OtherExec"}, allow("ssm:GetParameters", "*")))
    other = copy.deepcopy(body["Resources"]["Task"])
    other["Properties"]["ExecutionRoleArn"] = {"Fn::GetAtt": ["OtherExec", "Arn"]}
    body["Resources"].update(OtherTask=other, OtherExec={"Type": "AWS::IAM::Role", "Properties": {}})
    assert one(body, "SF.EXECUTION_ROLE") == {"OtherTask"}


# --- SF.SECRETS -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        "secretsmanager:GetSecretValue",
        "secretsmanager:BatchGetSecretValue",
        "secretsmanager:*SecretValue",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "ssm:GetParameterHistory",
        "ssm:Get*",
        "*",
        "kms:Decrypt",
    ],
)
def test_task_role_reading_secrets_fails(action: str) -> None:
    assert one(with_resources(Extra=policy(TASK_REF, allow(action))), "SF.SECRETS") == {"Task"}


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (
            "AWS::IAM::Policy",
            {
                "Fn::Select": [
                    1,
                    {
                        "Fn::Split": [
                            "/",
                            {"Fn::Select": [5, {"Fn::Split": [":", {"Fn::GetAtt": ["TaskRole", "Arn"]}]}]},
                        ]
                    },
                ]
            },
        ),
        ("AWS::IAM::ManagedPolicy", TASK_REF),
        ("AWS::IAM::RolePolicy", TASK_REF),
        ("AWS::IAM::Policy", "app-task"),
        ("AWS::IAM::Policy", {"Fn::Sub": "app-task"}),
    ],
    ids=["cdk-name-from-arn", "managed-policy-roles", "role-policy", "name-literal", "name-sub"],
)
def test_every_way_of_naming_the_task_role_is_followed(kind: str, role: Any) -> None:
    body = with_resources(Extra=policy(role, allow("secretsmanager:GetSecretValue"), kind=kind))
    body["Resources"]["TaskRole"]["Properties"]["RoleName"] = "app-task"
    assert one(body, "SF.SECRETS") == {"Task"}


def test_customer_managed_policy_in_managed_policy_arns_is_resolved() -> None:
    body = with_resources(
        Mp={
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": {"Statement": [allow("ssm:GetParameters")]}},
        }
    )
    body["Resources"]["TaskRole"]["Properties"]["ManagedPolicyArns"] = [{"Ref": "Mp"}]
    assert one(body, "SF.SECRETS") == {"Task"}


def test_inline_policy_with_not_action_reads_secrets() -> None:
    body = with_resources()
    body["Resources"]["TaskRole"]["Properties"]["Policies"] = [
        {
            "PolicyName": "p",
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]},
        }
    ]
    assert one(body, "SF.SECRETS") == {"Task"}


@pytest.mark.parametrize(
    ("arn", "reads"),
    [
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", True),
        ("arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess", True),
        ("arn:aws:iam::aws:policy/SecretsManagerReadWrite", True),
        ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", False),
        ("arn:aws:iam::aws:policy/AmazonS3FullAccess", False),
    ],
)
def test_aws_managed_policies_that_read_secrets(arn: str, reads: bool) -> None:
    body = with_resources()
    body["Resources"]["TaskRole"]["Properties"]["ManagedPolicyArns"] = [arn]
    assert one(body, "SF.SECRETS") == ({"Task"} if reads else set())


def test_kms_decrypt_on_a_data_key_passes_and_on_the_secrets_key_fails() -> None:
    secret = {"Type": "AWS::SecretsManager::Secret", "Properties": {"KmsKeyId": {"Fn::GetAtt": ["SecretKey", "Arn"]}}}
    keys = {name: {"Type": "AWS::KMS::Key", "Properties": {}} for name in ("SecretKey", "DataKey")}
    data_key = {"Fn::GetAtt": ["DataKey", "Arn"]}
    body = with_resources(Secret=secret, Extra=policy(TASK_REF, allow("kms:Decrypt", data_key)), **keys)
    assert one(body, "SF.SECRETS") == set()
    body["Resources"]["Extra"] = policy(TASK_REF, allow("kms:Decrypt", {"Ref": "SecretKey"}))
    assert one(body, "SF.SECRETS") == {"Task"}


def test_unconditional_deny_on_everything_removes_the_read() -> None:
    deny = {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"}
    body = with_resources(Extra=policy(TASK_REF, allow("secretsmanager:GetSecretValue"), deny))
    assert one(body, "SF.SECRETS") == set()


def test_unknown_action_is_not_guessed() -> None:
    body = with_resources(Extra=policy(TASK_REF, allow({"Ref": "ActionParam"})))
    assert one(body, "SF.SECRETS") == set()


# --- SF.TASK_ROLE ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        allow("*"),
        allow("*:*", "arn:aws:s3:::bucket"),
        {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
        allow("sts:AssumeRole", {"Fn::GetAtt": ["ExecRole", "Arn"]}),
        allow("iam:PassRole", {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "AWS::AccountId"}, ":role/", EXEC_REF]]}),
        allow("iam:PassRole", "arn:aws:iam::123456789012:role/*"),
        allow("iam:PassRole", "*"),
        allow("sts:*", "*"),
    ],
    ids=[
        "star",
        "star-colon-star",
        "not-action",
        "assume-exec",
        "pass-exec-join",
        "pass-role-wildcard",
        "pass-any",
        "sts-star",
    ],
)
def test_task_role_refuses(statement: dict[str, Any]) -> None:
    assert one(with_resources(Extra=policy(TASK_REF, statement)), "SF.TASK_ROLE") == {"Task"}


def test_task_role_refuses_broad_managed_policy() -> None:
    body = with_resources()
    body["Resources"]["TaskRole"]["Properties"]["ManagedPolicyArns"] = [
        "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"
    ]
    assert one(body, "SF.TASK_ROLE") == {"Task"}


@pytest.mark.parametrize(
    "statement",
    [
        allow(["s3:GetObject*", "s3:PutObject"], {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}),
        allow("dynamodb:*", {"Fn::GetAtt": ["Table", "Arn"]}),
        allow("sts:AssumeRole", "arn:aws:iam::123456789012:role/partner-reader"),
        allow(["ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel"], "*"),
    ],
    ids=["cdk-grant", "one-table", "assume-named-other-role", "ecs-exec"],
)
def test_task_role_scoped_grants_pass(statement: dict[str, Any]) -> None:
    assert one(with_resources(Extra=policy(TASK_REF, statement)), "SF.TASK_ROLE") == set()


# --- SF.INGRESS ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "public"),
    [
        ("0.0.0.0/0", True),
        ("0.0.0.0/1", True),
        ("128.0.0.0/1", True),
        ("8.8.8.0/24", True),
        ("8.8.8.8/32", True),
        ("::/0", True),
        ("2600::/16", True),
        ("::ffff:0:0/96", True),
        ("10.0.0.0/8", False),
        ("172.16.0.0/12", False),
        ("172.15.0.0/16", True),
        ("192.168.1.0/24", False),
        ("100.64.0.0/10", False),
        ("169.254.0.0/16", False),
        ("fd00::/8", False),
        ("fe80::/10", False),
        ("not-a-cidr", None),
        ("10.0.0.0/33", None),
    ],
)
def test_is_public_cidr(cidr: str, public: bool | None) -> None:
    assert is_public_cidr(cidr) is public


def ingress(cidr: Any, group: Any = None, key: str = "CidrIp") -> dict[str, Any]:
    return {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {"GroupId": group or {"Fn::GetAtt": ["Sg", "GroupId"]}, key: cidr, "IpProtocol": "tcp"},
    }


@pytest.mark.parametrize(
    "rules",
    [
        {"A": ingress("0.0.0.0/1"), "B": ingress("128.0.0.0/1")},
        {"A": ingress("8.8.8.0/24", {"Ref": "Sg"})},
        {"A": ingress("2600::/16", key="CidrIpv6")},
        {"A": ingress({"Fn::If": ["Open", "0.0.0.0/0", "10.0.0.0/8"]})},
        {"A": ingress({"Fn::Join": ["", ["0.0.0.0", "/0"]]})},
        {"A": ingress(["0.0.0.0/0"])},
    ],
    ids=["two-halves", "slash-24-by-ref", "ipv6", "if-branch", "join-literal", "cidr-list"],
)
def test_public_ingress_fails(rules: dict[str, Any]) -> None:
    assert one(with_resources(**rules), "SF.INGRESS") == {"Service"}


@pytest.mark.parametrize(
    "rules",
    [
        {"A": ingress("10.0.0.0/16")},
        {"A": ingress({"Ref": "CidrParam"})},
        {"A": ingress("garbage")},
        {"A": ingress(12)},
        {"A": ingress("0.0.0.0/0", {"Fn::GetAtt": ["OtherSg", "GroupId"]})},
        {
            "A": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {"GroupId": {"Ref": "Sg"}, "SourcePrefixListId": "pl-1"},
            }
        },
    ],
    ids=["private", "unknown", "malformed", "number", "other-group", "prefix-list"],
)
def test_private_unknown_or_unrelated_ingress_passes(rules: dict[str, Any]) -> None:
    assert one(with_resources(**rules), "SF.INGRESS") == set()


def test_inline_public_rule_fails() -> None:
    body = with_resources()
    body["Resources"]["Sg"]["Properties"]["SecurityGroupIngress"] = [{"CidrIp": "64.0.0.0/2", "IpProtocol": "-1"}]
    assert one(body, "SF.INGRESS") == {"Service"}


# --- template sets -------------------------------------------------------------------------------------------

EXPORT = "Net:ExportsOutputFnGetAttSgGroupId"


def network_stack(open_cidr: str | None = None) -> dict[str, Any]:
    group: dict[str, Any] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "shared"}}
    if open_cidr:
        group["Properties"]["SecurityGroupIngress"] = [{"CidrIp": open_cidr, "IpProtocol": "tcp"}]
    return {
        "Resources": {"Sg": group},
        "Outputs": {"Out": {"Value": {"Fn::GetAtt": ["Sg", "GroupId"]}, "Export": {"Name": EXPORT}}},
    }


def test_ingress_in_another_stack_on_the_imported_service_group_fails_on_the_service() -> None:
    app = baseline()
    app["Outputs"] = {"Out": {"Value": {"Fn::GetAtt": ["Sg", "GroupId"]}, "Export": {"Name": "App:Sg"}}}
    other = {"Resources": {"Open": ingress("0.0.0.0/0", {"Fn::ImportValue": "App:Sg"})}}
    findings = evaluate_set([Template(app, name="app"), Template(other, name="other")])
    assert failing(findings, "SF.INGRESS") == {("app", "Service")}


def test_open_group_attached_from_another_stack_fails_and_a_closed_one_passes() -> None:
    app = baseline()
    app["Resources"]["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"].append(
        {"Fn::ImportValue": EXPORT}
    )
    opened = evaluate_set([Template(app, name="app"), Template(network_stack("1.0.0.0/8"), name="net")])
    closed = evaluate_set([Template(copy.deepcopy(app), name="app"), Template(network_stack(), name="net")])
    assert (failing(opened, "SF.INGRESS"), failing(closed, "SF.INGRESS")) == ({("app", "Service")}, set())


def test_policy_in_another_stack_on_the_imported_task_role_fails_on_the_task() -> None:
    app = baseline()
    app["Outputs"] = {"Out": {"Value": {"Fn::GetAtt": ["TaskRole", "Arn"]}, "Export": {"Name": "App:TaskRoleArn"}}}
    name = {
        "Fn::Select": [
            1,
            {"Fn::Split": ["/", {"Fn::Select": [5, {"Fn::Split": [":", {"Fn::ImportValue": "App:TaskRoleArn"}]}]}]},
        ]
    }
    other = {"Resources": {"Read": policy(name, allow("ssm:GetParametersByPath"))}}
    findings = evaluate_set([Template(app, name="app"), Template(other, name="other")])
    assert failing(findings, "SF.SECRETS") == {("app", "Task")}


def test_task_role_from_another_stack_carries_that_stacks_policies() -> None:
    roles = {
        "Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {}}, "P": policy({"Ref": "Role"}, allow("*"))},
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}, "Export": {"Name": "Roles:Arn"}}},
    }
    app = baseline()
    app["Resources"]["Task"]["Properties"]["TaskRoleArn"] = {"Fn::ImportValue": "Roles:Arn"}
    findings = evaluate_set([Template(app, name="app"), Template(roles, name="roles")])
    assert failing(findings, "SF.TASK_ROLE") == {("app", "Task")}


def test_effective_statements_gather_every_source() -> None:
    body = with_resources(
        A=policy(TASK_REF, allow("s3:GetObject", "arn:aws:s3:::b/k")),
        B=policy(TASK_REF, allow("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q"), kind="AWS::IAM::RolePolicy"),
        C={
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": {"Statement": [allow("sns:Publish", "t")]}},
        },
    )
    role = body["Resources"]["TaskRole"]["Properties"]
    role["ManagedPolicyArns"] = [{"Ref": "C"}, "arn:aws:iam::aws:policy/AdministratorAccess"]
    role["Policies"] = [{"PolicyName": "i", "PolicyDocument": {"Statement": allow("logs:PutLogEvents", "lg")}}]
    template = Template(body)
    task_role = role_of(template, TASK_REF, TemplateSet([template]))
    assert task_role is not None
    actions = {a for s in effective_statements(task_role, TemplateSet([template])) for a in s.actions}
    assert actions == {"s3:GetObject", "sqs:SendMessage", "sns:Publish", "logs:PutLogEvents", "*"}


def test_import_loops_do_not_hang() -> None:
    a = {"Resources": {}, "Outputs": {"O": {"Value": {"Fn::ImportValue": "b"}, "Export": {"Name": "a"}}}}
    b = {"Resources": {}, "Outputs": {"O": {"Value": {"Fn::ImportValue": "a"}, "Export": {"Name": "b"}}}}
    template_set = TemplateSet([Template(a), Template(b)])
    assert template_set.render(template_set.templates[0], {"Fn::ImportValue": "a"}) is None


# ------------------------------------------------------------------------- roles that trust the task role


def _trusting_template(trusted: str) -> dict[str, Any]:
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": trusted}}]}
    read = {"Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    ecs_trust = {
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}
        ]
    }
    return {
        "Resources": {
            "TaskRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": ecs_trust}},
            "ExecRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": ecs_trust}},
            "Reader": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": trust,
                    "Policies": [{"PolicyName": "read", "PolicyDocument": read}],
                },
            },
            "Task": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
                    "ExecutionRoleArn": {"Fn::GetAtt": ["ExecRole", "Arn"]},
                    "ContainerDefinitions": [],
                },
            },
        }
    }


@pytest.mark.parametrize(
    ("trusted", "failing"),
    [({"Fn::GetAtt": ["TaskRole", "Arn"]}, {"Task"}), ({"Fn::GetAtt": ["ExecRole", "Arn"]}, set())],
    ids=["trusts-the-task-role", "trusts-another-role"],
)
def test_secret_read_by_a_role_that_trusts_the_task_role(trusted: Any, failing: set[str]) -> None:
    from secure_fargate.pack import Template as PackTemplate
    from secure_fargate.pack import evaluate_set

    found = {f.resource for f in evaluate_set([PackTemplate(_trusting_template(trusted))]) if f.control == "SF.SECRETS"}
    assert found == failing
