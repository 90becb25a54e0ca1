"""Deploy proof: the real CDK CLI deploys the reference stack to moto (server mode, loopback only), then the
resources are read back through the AWS APIs with boto3.

What moto does not model is listed in docs/testing.md "Verified by deployment"; nothing here talks to a non-loopback
address (CDK telemetry, notices and version checks are off; every AWS endpoint is the local moto server).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration._cli import ACCOUNT, REGION, cdk, client, synthesize

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SECRET_NAME = "reference/app"
STACK = "SecureFargateReference"
TASK, ROLE, SG = "AWS::ECS::TaskDefinition", "AWS::IAM::Role", "AWS::EC2::SecurityGroup"


@pytest.fixture(scope="module")
def deployed(
    moto_url: str, aws_env: dict[str, str], bootstrapped: None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    # GIVEN an account with an existing secret (moto does not create AWS::SecretsManager::Secret from a
    # template, so the stack brings it by name: the `existing_secret_name` context a user would use too)
    secret_arn = client("secretsmanager", moto_url).create_secret(
        Name=SECRET_NAME, SecretString=json.dumps({"username": "app", "password": "not-a-real-one"})
    )["ARN"]
    outdir = tmp_path_factory.mktemp("cdk.out")
    # WHEN the environment is bootstrapped (once per session: `bootstrapped`) and the reference stack deployed
    # through the real CLI
    app = synthesize(outdir, {"existing_secret_name": SECRET_NAME, "desired_count": "2"})
    cdk(aws_env, outdir, "deploy", STACK, "--app", app, "--require-approval", "never")
    stack = client("cloudformation", moto_url).describe_stacks(StackName=STACK)["Stacks"][0]
    # Resource types moto's CloudFormation does not model (AWS::EC2::SecurityGroupEgress) come back without IDs.
    resources = [
        r
        for r in client("cloudformation", moto_url).describe_stack_resources(StackName=STACK)["StackResources"]
        if "LogicalResourceId" in r
    ]
    return {
        "secret_arn": secret_arn,
        "stack": stack,
        "outdir": outdir,
        "physical": {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in resources},
        "types": {r["LogicalResourceId"]: r["ResourceType"] for r in resources},
    }


def _of_type(deployed: dict[str, Any], resource_type: str) -> list[str]:
    return [deployed["physical"][k] for k, t in deployed["types"].items() if t == resource_type]


@pytest.fixture(scope="module")
def task_definition(deployed: dict[str, Any], moto_url: str) -> dict[str, Any]:
    (arn,) = _of_type(deployed, "AWS::ECS::TaskDefinition")
    return client("ecs", moto_url).describe_task_definition(taskDefinition=arn)["taskDefinition"]  # type: ignore[no-any-return]


def test_stack_is_created(deployed: dict[str, Any]) -> None:
    assert deployed["stack"]["StackStatus"] == "CREATE_COMPLETE"


def test_containers_are_hardened_as_deployed(task_definition: dict[str, Any], deployed: dict[str, Any]) -> None:
    (app,) = task_definition["containerDefinitions"]
    assert app["readonlyRootFilesystem"] is True
    assert app["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
    assert app["user"] == "101:101"
    assert app["memory"] == 384 and app["memoryReservation"] == 256  # 128 MiB left for the GuardDuty agent
    assert app["privileged"] is False
    (secret,) = app["secrets"]
    assert secret["name"] == "DB_PASSWORD"
    # from_secret_name_v2 renders a partial ARN (name without the random suffix) plus the JSON field
    assert secret["valueFrom"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SECRET_NAME}:password")
    assert {m["containerPath"] for m in app["mountPoints"]} == {"/tmp"}
    assert app["logConfiguration"]["logDriver"] == "awslogs"


def _logical(deployed: dict[str, Any], prefix: str, resource_type: str) -> str:
    (found,) = [k for k, t in deployed["types"].items() if k.startswith(prefix) and t == resource_type]
    return found


def _deployed_template(moto_url: str) -> dict[str, Any]:
    body = client("cloudformation", moto_url).get_template(StackName=STACK)["TemplateBody"]
    return json.loads(body) if isinstance(body, str) else body  # type: ignore[no-any-return]


def test_task_definition_links_two_distinct_roles(deployed: dict[str, Any], moto_url: str) -> None:
    # moto's ECS does not store TaskRoleArn/ExecutionRoleArn/Cpu on a task definition created by CloudFormation,
    # so the links are read from the template CloudFormation holds, and the roles themselves from IAM below.
    task = _deployed_template(moto_url)["Resources"][_logical(deployed, "AppTaskDefinition", TASK)]["Properties"]
    assert task["TaskRoleArn"] == {"Fn::GetAtt": [_logical(deployed, "AppTaskRole", ROLE), "Arn"]}
    assert task["ExecutionRoleArn"] == {"Fn::GetAtt": [_logical(deployed, "AppExecutionRole", ROLE), "Arn"]}


def _role_statements(iam: Any, role_name: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        found = document["Statement"]
        statements.extend(found if isinstance(found, list) else [found])
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    return statements


def test_execution_role_reads_exactly_the_injected_secret_and_task_role_cannot(
    deployed: dict[str, Any], moto_url: str
) -> None:
    iam = client("iam", moto_url)
    execution = _role_statements(iam, deployed["physical"][_logical(deployed, "AppExecutionRole", ROLE)])
    reads = [s for s in execution if "secretsmanager:GetSecretValue" in s["Action"]]
    assert len(reads) == 1
    assert reads[0]["Resource"] == f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SECRET_NAME}-??????"
    for statement in execution:  # the one wildcard: ecr:GetAuthorizationToken has no resource-level permission
        assert statement["Resource"] != "*" or statement["Action"] == "ecr:GetAuthorizationToken", statement
    task_role = deployed["physical"][_logical(deployed, "AppTaskRole", ROLE)]
    assert _role_statements(iam, task_role) == [], "the task role starts with no permission at all"
    trust = iam.get_role(RoleName=task_role)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def test_security_group_admits_only_the_load_balancer(deployed: dict[str, Any], moto_url: str) -> None:
    ec2 = client("ec2", moto_url)
    service_sg = deployed["physical"][_logical(deployed, "AppSecurityGroup", SG)]
    alb_sg = deployed["physical"][_logical(deployed, "IngressLoadBalancerSecurityGroup", SG)]
    (group,) = ec2.describe_security_groups(GroupIds=[service_sg])["SecurityGroups"]
    assert group["IpPermissions"], "the load balancer's ingress rule was deployed"
    for permission in group["IpPermissions"]:
        assert permission["IpRanges"] == [] and permission.get("Ipv6Ranges", []) == []
        assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [alb_sg]
        assert permission["FromPort"] == permission["ToPort"] == 8080
    # Egress is not checked here: moto ignores a security group's inline SecurityGroupEgress (docs/testing.md).


def test_log_group_has_finite_retention(deployed: dict[str, Any], moto_url: str) -> None:
    name = deployed["physical"][_logical(deployed, "AppLogs", "AWS::Logs::LogGroup")]
    (group,) = client("logs", moto_url).describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert group["retentionInDays"] == 365


def test_service_is_deployed_with_private_networking(deployed: dict[str, Any], moto_url: str) -> None:
    (cluster,) = _of_type(deployed, "AWS::ECS::Cluster")
    (service_arn,) = _of_type(deployed, "AWS::ECS::Service")
    (service,) = client("ecs", moto_url).describe_services(cluster=cluster, services=[service_arn])["services"]
    assert service["desiredCount"] == 2
    # moto keeps only cluster, task definition and desired count of a service created by CloudFormation, so the
    # network configuration is read from the template CloudFormation holds.
    (logical,) = [k for k, t in deployed["types"].items() if t == "AWS::ECS::Service"]
    network = _deployed_template(moto_url)["Resources"][logical]["Properties"]["NetworkConfiguration"]
    assert network["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    subnets = [deployed["physical"][s["Ref"]] for s in network["AwsvpcConfiguration"]["Subnets"]]
    described = client("ec2", moto_url).describe_subnets(SubnetIds=subnets)["Subnets"]
    assert len(described) == 2 and all(not s["MapPublicIpOnLaunch"] for s in described)


def test_second_deploy_updates_in_place(deployed: dict[str, Any], aws_env: dict[str, str], moto_url: str) -> None:
    (task_before,) = _of_type(deployed, "AWS::ECS::TaskDefinition")
    # moto cannot execute a change set on an existing stack, so the update goes through UpdateStack directly.
    # moto 5.2.5 fails UpdateStack on a parameter passed as UsePreviousValue (KeyError 'BootstrapVersion'), so
    # the SSM parameter name of BootstrapVersion is passed explicitly: the same value, sent as a value.
    outdir = deployed["outdir"] / "update"
    app = synthesize(outdir, {"existing_secret_name": SECRET_NAME, "desired_count": "1"})
    cdk(
        aws_env,
        outdir,
        "deploy",
        STACK,
        "--app",
        app,
        "--require-approval",
        "never",
        "--method",
        "direct",
        "--parameters",
        "BootstrapVersion=/cdk-bootstrap/hnb659fds/version",
    )
    cfn = client("cloudformation", moto_url)
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert stack["StackId"] == deployed["stack"]["StackId"]
    resources = {
        r["LogicalResourceId"]: r
        for r in cfn.describe_stack_resources(StackName=STACK)["StackResources"]
        if "LogicalResourceId" in r
    }
    (cluster,) = _of_type(deployed, "AWS::ECS::Cluster")
    service_arn = next(
        r.get("PhysicalResourceId") for r in resources.values() if r["ResourceType"] == "AWS::ECS::Service"
    )
    (service,) = client("ecs", moto_url).describe_services(cluster=cluster, services=[service_arn])["services"]
    assert service["desiredCount"] == 1
    # the log group and the task definition were not replaced
    log_group = deployed["physical"][_logical(deployed, "AppLogs", "AWS::Logs::LogGroup")]
    assert log_group in {r.get("PhysicalResourceId") for r in resources.values()}
    assert task_before in {r.get("PhysicalResourceId") for r in resources.values()}


def test_rotation_redeploy_rule_and_state_machine_are_deployed(deployed: dict[str, Any], moto_url: str) -> None:
    rules = client("events", moto_url).list_rules()["Rules"]
    patterns = [json.loads(r["EventPattern"]) for r in rules if "EventPattern" in r]
    (pattern,) = [p for p in patterns if p.get("source") == ["aws.secretsmanager"]]
    assert pattern["detail"]["eventName"] == ["RotationSucceeded"]
    (matcher,) = pattern["detail"]["additionalEventData"]["SecretId"]
    assert matcher == {"prefix": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SECRET_NAME}-"}
    (machine_arn,) = _of_type(deployed, "AWS::StepFunctions::StateMachine")
    definition = json.loads(
        client("stepfunctions", moto_url).describe_state_machine(stateMachineArn=machine_arn)["definition"]
    )
    (state,) = definition["States"].values()
    assert state["Resource"] == "arn:aws:states:::aws-sdk:ecs:updateService"
    assert state["Parameters"]["ForceNewDeployment"] is True
