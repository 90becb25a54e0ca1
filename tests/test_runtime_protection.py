"""Runtime protection (issue 5): the security-agent sidecar and rotation-aware secrets."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as sm
from aws_cdk.assertions import Template

from reference import ReferenceStack
from secure_fargate import (
    ImageSource,
    OptOut,
    RotationRedeploy,
    SecureFargateError,
    SecureFargateService,
    enable_rotation,
)
from secure_fargate.pack import Template as RulesTemplate
from secure_fargate.pack import evaluate
from tests.conftest import DIGEST_IMAGE, app_container, base_stack, only, resources_of, security_agent, service_template

AGENT_IMAGE = "public.ecr.aws/example/agent@sha256:" + "d" * 64


@pytest.fixture(scope="module")
def agent_template() -> dict[str, Any]:
    _, stack, cluster, secret = base_stack("Agent")
    SecureFargateService(
        stack,
        "Svc",
        cluster=cluster,
        cpu=256,
        memory_limit_mib=512,
        container=app_container(memory_limit_mib=384, secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret)}),
        security_agent=security_agent(
            image=ImageSource.from_registry(AGENT_IMAGE), memory_limit_mib=96, writable_paths=["/var/run/agent"]
        ),
    )
    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


def agent(template: dict[str, Any]) -> dict[str, Any]:
    (found,) = [
        c for c in only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"] if c["Name"] == "security-agent"
    ]
    return found  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------- sidecar
def test_task_shares_its_pid_namespace_with_the_agent(agent_template: dict[str, Any]) -> None:
    task = only(agent_template, "AWS::ECS::TaskDefinition")
    assert task["PidMode"] == "task"
    assert task["RuntimePlatform"]["OperatingSystemFamily"] == "LINUX"


def test_agent_container_is_hardened_non_essential_and_may_ptrace(agent_template: dict[str, Any]) -> None:
    sidecar = agent(agent_template)
    assert sidecar["Essential"] is False
    assert sidecar["ReadonlyRootFilesystem"] is True
    assert sidecar["User"] == "1000:1000"
    assert sidecar["Memory"] == 96
    assert sidecar["LinuxParameters"]["Capabilities"] == {"Add": ["SYS_PTRACE"], "Drop": ["ALL"]}
    assert sidecar["DockerLabels"] == {"secure-fargate.security-agent": "true"}
    assert sidecar["LogConfiguration"]["Options"]["awslogs-stream-prefix"] == "security-agent"
    assert sidecar["MountPoints"] == [
        {"ContainerPath": "/var/run/agent", "ReadOnly": False, "SourceVolume": "security-agent-var-run-agent"}
    ]


def test_the_declared_agent_is_recorded_as_a_tag_scan_can_read(agent_template: dict[str, Any]) -> None:
    """SF.AGENT/SF.PTRACE read the record from the task definition's tags, which a live task definition keeps
    (scan); the Metadata copy lets check see a removed or changed tag."""
    task_resource = next(r for r in agent_template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition")
    assert {"Key": "secure-fargate:agent", "Value": "security-agent"} in task_resource["Properties"]["Tags"]
    assert task_resource["Metadata"]["secure-fargate"]["agent"] == "security-agent"


def test_application_container_does_not_get_ptrace(agent_template: dict[str, Any]) -> None:
    (app,) = [c for c in only(agent_template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"] if c["Name"] == "app"]
    assert app["LinuxParameters"]["Capabilities"] == {"Drop": ["ALL"]}


def test_guardrail_pack_accepts_the_agent(agent_template: dict[str, Any]) -> None:
    assert [f for f in evaluate(RulesTemplate(agent_template)) if not f.acknowledged] == []


def test_agent_memory_counts_in_the_task_budget() -> None:
    _, stack, cluster, _ = base_stack()
    with pytest.raises(SecureFargateError, match=r"memory_limit_mib \(sum\)=544"):
        SecureFargateService(
            stack,
            "Svc",
            cluster=cluster,
            container=app_container(memory_limit_mib=448),
            security_agent=security_agent(image=ImageSource.from_registry(AGENT_IMAGE), memory_limit_mib=96),
        )


@pytest.mark.parametrize(
    ("agent_kwargs", "prop"),
    [
        ({"user": "root"}, "security_agent.user"),
        ({"image": ImageSource.from_registry("example/agent:latest")}, "security_agent.image"),
        ({"run_as_root": OptOut("x")}, "security_agent.run_as_root"),
    ],
)
def test_agent_is_checked_like_every_container(agent_kwargs: dict[str, Any], prop: str) -> None:
    _, stack, cluster, _ = base_stack()
    values: dict[str, Any] = {"image": ImageSource.from_registry(AGENT_IMAGE), **agent_kwargs}
    with pytest.raises(SecureFargateError, match=rf"{prop.replace('.', chr(92) + '.')}="):
        SecureFargateService(
            stack, "Svc", cluster=cluster, container=app_container(), security_agent=security_agent(**values)
        )


def test_agent_may_run_as_root_only_with_a_reason() -> None:
    template = service_template(
        security_agent=security_agent(
            image=ImageSource.from_registry(AGENT_IMAGE),
            user="0",
            run_as_root=OptOut("the vendor agent reads /proc of every uid"),
        ),
    )
    assert agent(template)["User"] == "0"


def test_sys_ptrace_refused_on_any_other_container() -> None:
    _, stack, cluster, _ = base_stack()
    with pytest.raises(SecureFargateError, match=r"sidecars\[0\]\.add_capabilities=.*only the security agent"):
        SecureFargateService(
            stack,
            "Svc",
            cluster=cluster,
            container=app_container(memory_limit_mib=128),
            sidecars=[app_container(name="proxy", memory_limit_mib=64, add_capabilities=["SYS_PTRACE"])],
        )


def test_pack_flags_a_non_agent_container_that_adds_ptrace_raw() -> None:
    _, stack, _, _ = base_stack()
    task = ecs.FargateTaskDefinition(stack, "Raw", cpu=256, memory_limit_mib=512)
    linux = ecs.LinuxParameters(stack, "Linux")
    linux.drop_capabilities(ecs.Capability.ALL)
    linux.add_capabilities(ecs.Capability.SYS_PTRACE)
    task.add_container(
        "app",
        image=ecs.ContainerImage.from_registry(DIGEST_IMAGE),
        memory_limit_mib=256,
        linux_parameters=linux,
        user="1000",
        readonly_root_filesystem=True,
        logging=ecs.LogDrivers.aws_logs(stream_prefix="app"),
    )
    found = {f.control for f in evaluate(RulesTemplate(Template.from_stack(stack).to_json()))}
    assert "SF.PTRACE" in found


# -------------------------------------------------------------------------------------------- rotation
def test_rotation_schedule_with_a_supplied_function() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Rot")
    secret = sm.Secret(stack, "Secret")
    function = lambda_.Function.from_function_arn(stack, "Fn", "arn:aws:lambda:eu-west-1:123456789012:function:rotate")
    enable_rotation(secret, rotation_lambda=function, every=Duration.days(7))
    schedule = only(Template.from_stack(stack).to_json(), "AWS::SecretsManager::RotationSchedule")
    assert schedule["RotationRules"] == {"ScheduleExpression": "rate(7 days)"}
    assert schedule["RotationLambdaARN"] == "arn:aws:lambda:eu-west-1:123456789012:function:rotate"


def test_hosted_rotation_for_database_secrets() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Rot")
    secret = sm.Secret(stack, "Secret")
    enable_rotation(secret, hosted_rotation=sm.HostedRotation.postgre_sql_single_user())
    template = Template.from_stack(stack).to_json()
    assert only(template, "AWS::SecretsManager::RotationSchedule")["HostedRotationLambda"]["RotationType"] == (
        "PostgreSQLSingleUser"
    )


def test_rotation_needs_exactly_one_mechanism() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Rot")
    with pytest.raises(SecureFargateError, match="hosted_rotation/rotation_lambda"):
        enable_rotation(sm.Secret(stack, "Secret"))


@pytest.fixture(scope="module")
def redeploy_template() -> dict[str, Any]:
    _, stack, cluster, secret = base_stack("Redeploy")
    other = sm.Secret(stack, "Other")
    service = SecureFargateService(
        stack,
        "Svc",
        cluster=cluster,
        container=app_container(secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret)}),
    )
    RotationRedeploy(stack, "Redeploy", service=service, secrets=[secret])
    del other
    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


def test_event_rule_matches_the_rotated_secret_only(redeploy_template: dict[str, Any]) -> None:
    (rule,) = resources_of(redeploy_template, "AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.secretsmanager"]
    assert pattern["detail"]["eventName"] == ["RotationSucceeded"]
    secret_id = pattern["detail"]["additionalEventData"]["SecretId"]
    assert secret_id == [{"Ref": next(k for k in redeploy_template["Resources"] if k.startswith("SecretA"))}]
    assert rule["Properties"]["State"] == "ENABLED"


def test_imported_secret_is_matched_by_its_arn_prefix() -> None:
    from secure_fargate.secrets import rotation_event_pattern

    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    secret = sm.Secret.from_secret_name_v2(stack, "Imported", "prod/app")
    pattern = rotation_event_pattern(secret)
    (matcher,) = pattern.detail["additionalEventData"]["SecretId"]  # type: ignore[index]
    resolved = stack.resolve(matcher)["prefix"]["Fn::Join"][1]
    assert resolved[-1] == ":secretsmanager:eu-west-1:123456789012:secret:prod/app-"


def test_redeploy_role_may_update_that_one_service_and_nothing_else(redeploy_template: dict[str, Any]) -> None:
    ((_, machine),) = resources_of(redeploy_template, "AWS::StepFunctions::StateMachine").items()
    role_id = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    policies = [
        p["Properties"]
        for p in resources_of(redeploy_template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    service_id = next(iter(resources_of(redeploy_template, "AWS::ECS::Service")))
    assert statements == [{"Action": "ecs:UpdateService", "Effect": "Allow", "Resource": {"Ref": service_id}}]
    role = redeploy_template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert ":states:::aws-sdk:ecs:updateService" in definition and "ForceNewDeployment" in definition


def test_event_rule_targets_the_state_machine_with_a_start_only_role(redeploy_template: dict[str, Any]) -> None:
    (rule,) = resources_of(redeploy_template, "AWS::Events::Rule").values()
    (target,) = rule["Properties"]["Targets"]
    machine_id = next(iter(resources_of(redeploy_template, "AWS::StepFunctions::StateMachine")))
    assert target["Arn"] == {"Ref": machine_id}
    events_role = target["RoleArn"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in resources_of(redeploy_template, "AWS::IAM::Policy").values()
        if {"Ref": events_role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert statements == [{"Action": "states:StartExecution", "Effect": "Allow", "Resource": {"Ref": machine_id}}]


def test_reference_stack_redeploys_on_rotation_and_takes_the_agent_by_context() -> None:
    app = cdk.App()
    stack = ReferenceStack(app, "SecureFargateReference", security_agent_image=AGENT_IMAGE)
    template = Template.from_stack(stack).to_json()
    assert len(resources_of(template, "AWS::Events::Rule")) == 1
    assert only(template, "AWS::ECS::TaskDefinition")["PidMode"] == "task"
    assert [f for f in evaluate(RulesTemplate(template)) if not f.acknowledged] == []
