"""Targeted assertions: one per security property of SecureFargateService's defaults (issue 2, items 1-9)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Annotations, Match, Template

from secure_fargate import ImageSource, OptOut, SecureCluster, SecureFargateService, TrafficRule
from tests.conftest import DIGEST_IMAGE, app_container, base_stack, only, resources_of, security_agent


@pytest.fixture(scope="module", params=["minimal", "reference"])
def template(request: pytest.FixtureRequest) -> dict[str, Any]:
    return request.getfixturevalue(f"{request.param}_template")  # type: ignore[no-any-return]


def containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    return only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]  # type: ignore[no-any-return]


def service_sg_id(template: dict[str, Any]) -> str:
    service = only(template, "AWS::ECS::Service")
    (group,) = service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]
    return group["Fn::GetAtt"][0]  # type: ignore[no-any-return]


# 1. Per-service security group
def test_service_has_its_own_security_group_with_https_egress_only(template: dict[str, Any]) -> None:
    group = template["Resources"][service_sg_id(template)]["Properties"]
    assert "SecurityGroupIngress" not in group
    (egress,) = group["SecurityGroupEgress"]
    assert (egress["CidrIp"], egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == (
        "0.0.0.0/0",
        "tcp",
        443,
        443,
    )


def test_reference_service_admits_only_the_load_balancer_on_the_container_port(
    reference_template: dict[str, Any],
) -> None:
    sg = service_sg_id(reference_template)
    rules = [
        r["Properties"]
        for r in resources_of(reference_template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [sg, "GroupId"]}
    ]
    assert len(rules) == 1
    assert rules[0]["FromPort"] == rules[0]["ToPort"] == 8080
    assert rules[0]["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith("IngressLoadBalancerSecurityGroup")


def test_allow_ingress_and_egress_methods_add_exact_rules() -> None:
    _, stack, cluster, _ = base_stack()
    service = SecureFargateService(
        stack,
        "S",
        cluster=cluster,
        container=app_container(container_port=8080),
        ingress=[TrafficRule(ec2.Peer.ipv4("10.0.0.0/16"), 8080, "from the VPC")],
        egress=[TrafficRule(ec2.Peer.ipv4("10.0.0.0/16"), 443, "endpoints")],
    )
    service.allow_egress_to(ec2.Peer.ipv4("10.1.0.0/16"), 5432, "database")
    group = Template.from_stack(stack).to_json()["Resources"][
        stack.get_logical_id(service.security_group.node.default_child)
    ]["Properties"]
    assert group["SecurityGroupIngress"] == [
        {"CidrIp": "10.0.0.0/16", "Description": "from the VPC", "FromPort": 8080, "IpProtocol": "tcp", "ToPort": 8080}
    ]
    assert {(e["CidrIp"], e["FromPort"]) for e in group["SecurityGroupEgress"]} == {
        ("10.0.0.0/16", 443),
        ("10.1.0.0/16", 5432),
    }


# 2. Task role separate from the execution role; secrets only on the execution role
def test_task_role_differs_from_execution_role_and_has_no_policy(template: dict[str, Any]) -> None:
    task = only(template, "AWS::ECS::TaskDefinition")
    task_role, exec_role = task["TaskRoleArn"]["Fn::GetAtt"][0], task["ExecutionRoleArn"]["Fn::GetAtt"][0]
    assert task_role != exec_role
    for policy in resources_of(template, "AWS::IAM::Policy").values():
        assert {"Ref": task_role} not in policy["Properties"]["Roles"]
    assert "Policies" not in template["Resources"][task_role]["Properties"]
    assert "ManagedPolicyArns" not in template["Resources"][task_role]["Properties"]


def test_execution_role_is_scoped_to_its_log_group_and_secret(template: dict[str, Any]) -> None:
    task = only(template, "AWS::ECS::TaskDefinition")
    exec_role = task["ExecutionRoleArn"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in resources_of(template, "AWS::IAM::Policy").values()
        if {"Ref": exec_role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert statements, "the execution role needs its grants"
    for statement in statements:  # the one wildcard: ecr:GetAuthorizationToken has no resource-level permission
        assert statement["Resource"] != "*" or statement["Action"] == "ecr:GetAuthorizationToken", statement
    secret_reads = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    assert len(secret_reads) == 1 and "Ref" in secret_reads[0]["Resource"]


# 3. Secrets Manager injection
def test_secret_is_injected_from_secrets_manager_not_environment(template: dict[str, Any]) -> None:
    (app,) = containers(template)
    assert [s["Name"] for s in app["Secrets"]] == ["DB_PASSWORD"]
    assert app["Secrets"][0]["ValueFrom"]["Fn::Join"][1][1] == ":password::"
    assert all(e["Name"] != "DB_PASSWORD" for e in app.get("Environment", []))


def test_secret_with_json_field_and_version_is_supported() -> None:
    _, stack, cluster, secret = base_stack()
    SecureFargateService(
        stack,
        "S",
        cluster=cluster,
        container=app_container(
            secrets={
                "API_TOKEN": ecs.Secret.from_secrets_manager_version(
                    secret, ecs.SecretVersionInfo(version_stage="AWSCURRENT"), "token"
                )
            }
        ),
    )
    (app,) = containers(Template.from_stack(stack).to_json())
    assert app["Secrets"][0]["ValueFrom"]["Fn::Join"][1][1] == ":token:AWSCURRENT:"


# 4. Capabilities
def test_every_container_drops_all_capabilities(template: dict[str, Any]) -> None:
    for container in containers(template):
        assert container["LinuxParameters"]["Capabilities"] == {"Drop": ["ALL"]}
        assert container["Privileged"] is False


def test_sys_ptrace_is_the_one_capability_that_can_be_added_and_only_by_the_agent() -> None:
    from secure_fargate import SecureFargateError

    _, stack, cluster, _ = base_stack()
    SecureFargateService(
        stack,
        "S",
        cluster=cluster,
        container=app_container(),
        security_agent=security_agent(image=ImageSource.from_registry(DIGEST_IMAGE)),
    )
    agent = next(c for c in containers(Template.from_stack(stack).to_json()) if c["Name"] == "security-agent")
    assert agent["LinuxParameters"]["Capabilities"] == {"Add": ["SYS_PTRACE"], "Drop": ["ALL"]}
    with pytest.raises(SecureFargateError, match=r"container\.add_capabilities=.*only the security agent"):
        SecureFargateService(stack, "S2", cluster=cluster, container=app_container(add_capabilities=["SYS_PTRACE"]))


# 5. Read-only root filesystem with declared writable volumes
def test_root_filesystem_is_read_only_and_writable_paths_are_volumes(reference_template: dict[str, Any]) -> None:
    (app,) = containers(reference_template)
    assert app["ReadonlyRootFilesystem"] is True
    assert app["MountPoints"] == [{"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "app-tmp"}]
    assert only(reference_template, "AWS::ECS::TaskDefinition")["Volumes"] == [{"Name": "app-tmp"}]


# 6. Non-root user
def test_containers_run_as_a_non_root_user(template: dict[str, Any]) -> None:
    for container in containers(template):
        assert container["User"] not in (None, "", "root", "0", "0:0")


def test_default_user_is_1000(minimal_template: dict[str, Any]) -> None:
    (app,) = containers(minimal_template)
    assert app["User"] == "1000:1000"


# 7. Hard memory limits and task size
def test_every_container_has_a_hard_memory_limit_within_the_task(template: dict[str, Any]) -> None:
    task = only(template, "AWS::ECS::TaskDefinition")
    limits = [c["Memory"] for c in containers(template)]
    assert all(isinstance(m, int) and m > 0 for m in limits)
    assert sum(limits) <= int(task["Memory"])
    for container in containers(template):
        assert container.get("MemoryReservation", 0) <= container["Memory"]
    assert (task["Cpu"], task["Memory"]) == ("256", "512")


# 8. Service settings
def test_service_is_private_latest_with_rollback_and_no_exec(template: dict[str, Any]) -> None:
    service = only(template, "AWS::ECS::Service")
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    assert service["PlatformVersion"] == "LATEST"
    assert service["LaunchType"] == "FARGATE"
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert service["EnableExecuteCommand"] is False
    subnets = service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    for subnet in subnets:
        props = template["Resources"][subnet["Ref"]]["Properties"]
        assert props["MapPublicIpOnLaunch"] is False


def test_init_process_and_logs_with_finite_retention(template: dict[str, Any]) -> None:
    for container in containers(template):
        assert container["LinuxParameters"]["InitProcessEnabled"] is True
        assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    task = only(template, "AWS::ECS::TaskDefinition")
    group_ref = task["ContainerDefinitions"][0]["LogConfiguration"]["Options"]["awslogs-group"]["Ref"]
    log_group = template["Resources"][group_ref]
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["DeletionPolicy"] == "Retain"


def test_log_group_can_be_encrypted_with_a_kms_key() -> None:
    from aws_cdk import aws_kms as kms

    _, stack, cluster, _ = base_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    SecureFargateService(stack, "S", cluster=cluster, container=app_container(), log_encryption_key=key)
    Template.from_stack(stack).has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": Match.any_value()})


# 9. Image pinning
def test_digest_image_gives_no_warning(minimal_stack: cdk.Stack) -> None:
    Annotations.from_stack(minimal_stack).has_no_warning("*", Match.string_like_regexp(".*pin a digest.*"))


def test_tagged_image_is_accepted_with_a_warning_recommending_a_digest() -> None:
    _, stack, cluster, _ = base_stack()
    SecureFargateService(
        stack, "S", cluster=cluster, container=app_container(image=ImageSource.from_registry("example/app:1.2.3"))
    )
    Annotations.from_stack(stack).has_warning(
        "/Test/S/TaskDefinition/app", Match.string_like_regexp(".*pin a digest.*")
    )


# Opt-outs leave a warning carrying the reason
def test_opt_outs_leave_warnings_with_their_reasons() -> None:
    _, stack, cluster, _ = base_stack()
    # ECS Exec needs a cluster that logs the sessions (SF.EXEC_LOGGING)
    logged = SecureCluster(stack, "Logged", vpc=cluster.vpc, execute_command_logging=True)
    SecureFargateService(
        stack,
        "S",
        cluster=logged.cluster,
        enable_execute_command=OptOut("break-glass debugging for INC-1234"),
        container=app_container(
            user="0",
            run_as_root=OptOut("legacy image needs root until v2"),
            writable_root_filesystem=OptOut("vendor agent writes under /opt"),
        ),
    )
    annotations = Annotations.from_stack(stack)
    for reason in (
        "break-glass debugging for INC-1234",
        "legacy image needs root until v2",
        "vendor agent writes under /opt",
    ):
        annotations.has_warning("*", Match.string_like_regexp(f".*{reason}.*"))
    (app,) = containers(Template.from_stack(stack).to_json())
    assert app["ReadonlyRootFilesystem"] is False and app["User"] == "0"


def test_exec_with_read_only_root_mounts_the_agent_paths() -> None:
    _, stack, cluster, _ = base_stack()
    logged = SecureCluster(stack, "Logged", vpc=cluster.vpc, execute_command_logging=True)
    SecureFargateService(
        stack,
        "S",
        cluster=logged.cluster,
        container=app_container(),
        enable_execute_command=OptOut("break-glass debugging for INC-1234"),
    )
    (app,) = containers(Template.from_stack(stack).to_json())
    assert app["ReadonlyRootFilesystem"] is True
    assert {m["ContainerPath"] for m in app["MountPoints"]} == {
        "/managed-agents",
        "/var/lib/amazon/ssm",
        "/var/log/amazon/ssm",
    }
