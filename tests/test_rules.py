"""Each guardrail control on raw templates: a compliant baseline, and a mutation that violates each control."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from secure_fargate.pack import CONTROLS, Template, evaluate
from secure_fargate.pack.containers import ImagePin, image_pin, is_root_user, is_secret_looking_name
from tests.controls_2026_cases import NEW_VIOLATIONS

DIGEST = "public.ecr.aws/example/app@sha256:" + "c" * 64


def baseline() -> dict[str, Any]:
    container = {
        "Name": "app",
        "Image": DIGEST,
        "Memory": 256,
        "MemoryReservation": 128,
        "User": "1000:1000",
        "ReadonlyRootFilesystem": True,
        "Privileged": False,
        "LinuxParameters": {"Capabilities": {"Drop": ["ALL"]}, "InitProcessEnabled": True},
        "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": {"Ref": "Logs"}}},
        "Environment": [{"Name": "APP_ENV", "Value": "prod"}],
        "Secrets": [{"Name": "DB_PASSWORD", "ValueFrom": {"Ref": "Secret"}}],
    }
    return {
        "Resources": {
            "Cluster": {
                "Type": "AWS::ECS::Cluster",
                "Properties": {
                    "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
                    "Tags": [{"Key": "team", "Value": "payments"}],
                },
            },
            "Repository": {
                "Type": "AWS::ECR::Repository",
                "Properties": {
                    "ImageScanningConfiguration": {"ScanOnPush": True},
                    "ImageTagMutability": "IMMUTABLE",
                    "LifecyclePolicy": {"LifecyclePolicyText": '{"rules": []}'},
                    "EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": {"Fn::GetAtt": ["Key", "Arn"]}},
                },
            },
            "TaskRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "ExecRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "ExecPolicy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": [{"Ref": "ExecRole"}],
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                            {
                                "Effect": "Allow",
                                "Action": ["secretsmanager:GetSecretValue"],
                                "Resource": {"Ref": "Secret"},
                            },
                        ]
                    },
                },
            },
            "Task": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Cpu": "256",
                    "Memory": "512",
                    "NetworkMode": "awsvpc",
                    "RequiresCompatibilities": ["FARGATE"],
                    "TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
                    "ExecutionRoleArn": {"Fn::GetAtt": ["ExecRole", "Arn"]},
                    "RuntimePlatform": {"OperatingSystemFamily": "LINUX"},
                    "ContainerDefinitions": [container],
                    "Tags": [{"Key": "team", "Value": "payments"}],
                },
            },
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "svc"}},
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "LaunchType": "FARGATE",
                    "TaskDefinition": {"Ref": "Task"},
                    "PlatformVersion": "LATEST",
                    "Tags": [{"Key": "team", "Value": "payments"}],
                    "NetworkConfiguration": {
                        "AwsvpcConfiguration": {
                            "AssignPublicIp": "DISABLED",
                            "SecurityGroups": [{"Fn::GetAtt": ["Sg", "GroupId"]}],
                        }
                    },
                },
            },
        }
    }


def c0(t: dict[str, Any]) -> dict[str, Any]:
    return t["Resources"]["Task"]["Properties"]["ContainerDefinitions"][0]  # type: ignore[no-any-return]


def task(t: dict[str, Any]) -> dict[str, Any]:
    return t["Resources"]["Task"]["Properties"]  # type: ignore[no-any-return]


def svc(t: dict[str, Any]) -> dict[str, Any]:
    return t["Resources"]["Service"]["Properties"]  # type: ignore[no-any-return]


Mutation = Callable[[dict[str, Any]], None]

VIOLATIONS: list[tuple[str, str, Mutation]] = [
    (
        "ECS.2",
        "public-ip",
        lambda t: svc(t)["NetworkConfiguration"]["AwsvpcConfiguration"].update(AssignPublicIp="ENABLED"),
    ),
    ("ECS.3", "host-pid", lambda t: task(t).update(PidMode="host")),
    ("ECS.4", "privileged", lambda t: c0(t).update(Privileged=True)),
    ("ECS.5", "readonly-absent", lambda t: c0(t).pop("ReadonlyRootFilesystem")),
    ("ECS.5", "readonly-false", lambda t: c0(t).update(ReadonlyRootFilesystem=False)),
    ("ECS.8", "secret-env", lambda t: c0(t)["Environment"].append({"Name": "AWS_SECRET_ACCESS_KEY", "Value": "x"})),
    ("ECS.9", "no-logs", lambda t: c0(t).pop("LogConfiguration")),
    ("ECS.10", "old-platform", lambda t: svc(t).update(PlatformVersion="1.3.0")),
    ("ECS.12", "no-insights", lambda t: t["Resources"]["Cluster"].pop("Properties")),
    (
        "ECS.12",
        "insights-disabled",
        lambda t: t["Resources"]["Cluster"]["Properties"]["ClusterSettings"][0].update(Value="disabled"),
    ),
    ("ECS.17", "host-network", lambda t: task(t).update(NetworkMode="host")),
    ("ECS.20", "user-absent", lambda t: c0(t).pop("User")),
    ("ECS.20", "user-root", lambda t: c0(t).update(User="root")),
    ("ECS.20", "user-uid0-group", lambda t: c0(t).update(User="0:1000")),
    ("SF.CAPABILITIES", "no-drop", lambda t: c0(t)["LinuxParameters"].pop("Capabilities")),
    ("SF.CAPABILITIES", "add-net-admin", lambda t: c0(t)["LinuxParameters"]["Capabilities"].update(Add=["NET_ADMIN"])),
    ("SF.PTRACE", "app-adds-ptrace", lambda t: c0(t)["LinuxParameters"]["Capabilities"].update(Add=["SYS_PTRACE"])),
    (
        "SF.PTRACE",
        "essential-agent",
        lambda t: (
            c0(t).update(DockerLabels={"secure-fargate.security-agent": "true"}, Essential=True),
            c0(t)["LinuxParameters"]["Capabilities"].update(Add=["SYS_PTRACE"]),
        ),
    ),
    ("SF.MEMORY", "no-hard-limit", lambda t: c0(t).pop("Memory")),
    ("SF.MEMORY", "reservation-above", lambda t: c0(t).update(MemoryReservation=1024)),
    ("SF.MEMORY", "over-task", lambda t: c0(t).update(Memory=1024, MemoryReservation=None)),
    ("SF.TASK_SIZE", "bad-pair", lambda t: task(t).update(Cpu="256", Memory="4096")),
    ("SF.TASK_SIZE", "bad-pair-units", lambda t: task(t).update(Cpu="1 vCPU", Memory="1 GB")),
    ("SF.IMAGE", "latest", lambda t: c0(t).update(Image="nginx:latest")),
    ("SF.IMAGE", "untagged", lambda t: c0(t).update(Image="nginx")),
    (
        "SF.IMAGE",
        "ecr-untagged",
        lambda t: c0(t).update(Image={"Fn::Join": ["", [{"Ref": "AWS::AccountId"}, ".dkr.ecr.x/repo"]]}),
    ),
    (
        "SF.IMAGE",
        "ecr-latest",
        lambda t: c0(t).update(Image={"Fn::Join": ["", [{"Ref": "AWS::AccountId"}, ":latest"]]}),
    ),
    ("SF.ROLES", "no-task-role", lambda t: task(t).pop("TaskRoleArn")),
    ("SF.ROLES", "same-role", lambda t: task(t).update(TaskRoleArn={"Fn::GetAtt": ["ExecRole", "Arn"]})),
    (
        "SF.EXECUTION_ROLE",
        "wildcard-resource",
        lambda t: t["Resources"]["ExecPolicy"]["Properties"]["PolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "*"}
        ),
    ),
    (
        "SF.EXECUTION_ROLE",
        "wildcard-action",
        lambda t: t["Resources"]["ExecPolicy"]["Properties"]["PolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Action": "s3:*", "Resource": {"Ref": "Bucket"}}
        ),
    ),
    (
        "SF.SECRETS",
        "task-role-reads",
        lambda t: t["Resources"].update(
            TaskPolicy={
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": [{"Ref": "TaskRole"}],
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Allow", "Action": "secretsmanager:Get*", "Resource": {"Ref": "Secret"}}
                        ]
                    },
                },
            }
        ),
    ),
    (
        "SF.TASK_ROLE",
        "admin",
        lambda t: t["Resources"]["TaskRole"]["Properties"].update(
            ManagedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]
        ),
    ),
    (
        "SF.INGRESS",
        "inline-open",
        lambda t: t["Resources"]["Sg"]["Properties"].update(
            SecurityGroupIngress=[{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080}]
        ),
    ),
    (
        "SF.INGRESS",
        "separate-open-v6",
        lambda t: t["Resources"].update(
            Open={
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]},
                    "CidrIpv6": "::/0",
                    "IpProtocol": "tcp",
                    "FromPort": 1,
                    "ToPort": 2,
                },
            }
        ),
    ),
    ("ECS.5", "if-branch-false", lambda t: c0(t).update(ReadonlyRootFilesystem={"Fn::If": ["Cond", True, False]})),
    *NEW_VIOLATIONS,
    ("SF.EXEC", "exec-enabled", lambda t: svc(t).update(EnableExecuteCommand=True)),
    (
        "SF.MOUNTS",
        "writable-usr",
        lambda t: c0(t).update(MountPoints=[{"SourceVolume": "v", "ContainerPath": "/usr/local/bin"}]),
    ),
    (
        "SF.AGENT",
        "forged-agent",
        lambda t: c0(t).update(DockerLabels={"secure-fargate.security-agent": "true"}),
    ),
    ("SF.VOLUMES", "host-path", lambda t: task(t).update(Volumes=[{"Name": "h", "Host": {"SourcePath": "/var"}}])),
]


def controls_found(body: dict[str, Any]) -> set[str]:
    return {f.control for f in evaluate(Template(body)) if not f.acknowledged}


def test_baseline_is_compliant_with_every_control() -> None:
    assert controls_found(baseline()) == set()


@pytest.mark.parametrize(("control", "case", "mutate"), VIOLATIONS, ids=[f"{c}-{n}" for c, n, _ in VIOLATIONS])
def test_each_control_flags_its_violation(control: str, case: str, mutate: Mutation) -> None:
    body = copy.deepcopy(baseline())
    mutate(body)
    assert control in controls_found(body)


def test_every_control_has_a_violation_case() -> None:
    assert {c.id for c in CONTROLS} <= {v[0] for v in VIOLATIONS}


def test_labelled_non_essential_agent_may_add_sys_ptrace() -> None:
    body = baseline()
    c0(body).update(DockerLabels={"secure-fargate.security-agent": "true"}, Essential=False)
    c0(body)["LinuxParameters"]["Capabilities"]["Add"] = ["SYS_PTRACE"]
    assert controls_found(body) == set()


def test_container_findings_name_the_container() -> None:
    body = baseline()
    c0(body).update(Privileged=True)
    (finding,) = [f for f in evaluate(Template(body, name="t.json")) if f.control == "ECS.4"]
    assert (finding.template, finding.resource, finding.container) == ("t.json", "Task", "app")


@pytest.mark.parametrize(
    "value",
    [
        {"Ref": "ReadOnlyParam"},
        {"Fn::If": ["Cond", True, {"Ref": "Param"}]},
        {"Fn::FindInMap": ["M", "a", "b"]},
    ],
)
def test_unresolvable_values_are_never_guessed_to_be_violations(value: Any) -> None:
    body = baseline()
    c0(body)["ReadonlyRootFilesystem"] = value
    c0(body)["User"] = value
    task(body)["Cpu"] = value
    assert controls_found(body) == set()


@pytest.mark.parametrize("tail", [":1.27-alpine", "@sha256:" + "f" * 64, {"Ref": "Tag"}, "-suffix"])
def test_ecr_join_images_pinned_or_unknown_pass(tail: Any) -> None:
    body = baseline()
    c0(body)["Image"] = {"Fn::Join": ["", [{"Ref": "AWS::AccountId"}, ".dkr.ecr.", {"Ref": "Repo"}, tail]]}
    assert controls_found(body) == set()


def test_if_with_literal_branches_that_all_comply_passes() -> None:
    body = baseline()
    c0(body)["User"] = {"Fn::If": ["Cond", "1000", "app"]}
    assert controls_found(body) == set()


def test_acknowledgement_in_metadata_with_reason_is_honoured_and_without_reason_is_not() -> None:
    body = baseline()
    c0(body)["ReadonlyRootFilesystem"] = False
    c0(body)["Memory"] = None
    body["Resources"]["Task"]["Metadata"] = {
        "secure-fargate": {
            "acknowledgements": [
                {"control": "ECS.5", "reason": "vendor image writes to /opt, RISK-12", "container": "app"},
                {"control": "SF.MEMORY", "reason": "", "container": "app"},
            ]
        }
    }
    found = {f.control: f for f in evaluate(Template(body))}
    assert found["ECS.5"].acknowledged == "vendor image writes to /opt, RISK-12"
    assert found["SF.MEMORY"].acknowledged is None


@pytest.mark.parametrize(
    ("user", "root"),
    [
        (None, True),
        ("", True),
        ("root", True),
        ("Root", True),
        ("0", True),
        ("00", True),
        ("0:0", True),
        (" 0 ", True),
        ("root:app", True),
        ("1000", False),
        ("1000:1000", False),
        ("app", False),
        ("101:0", False),
        ("nobody", False),
    ],
)
def test_is_root_user(user: str | None, root: bool) -> None:
    assert is_root_user(user) is root


@pytest.mark.parametrize(
    ("image", "pin"),
    [
        ("nginx", ImagePin.UNTAGGED),
        ("nginx:latest", ImagePin.LATEST),
        ("localhost:5000/app", ImagePin.UNTAGGED),
        ("localhost:5000/app:1.0", ImagePin.TAG),
        ("nginx:1.27", ImagePin.TAG),
        ("nginx@sha256:" + "0" * 64, ImagePin.DIGEST),
        ("nginx:1.27@sha256:" + "0" * 64, ImagePin.DIGEST),
        ("nginx@sha256:short", ImagePin.TAG),
    ],
)
def test_image_pin(image: str, pin: ImagePin) -> None:
    assert image_pin(image) is pin


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("password", True),
        ("API_KEY", True),
        ("apiKey", True),
        ("PRIVATE_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("GITHUB_TOKEN", True),
        ("CREDENTIALS", True),
        ("ECS_ENGINE_AUTH_DATA", True),
        ("client-secret", True),
        ("DB_PASSWORD_FILE", False),
        ("TOKENIZER_MODEL", False),
        ("APP_ENV", False),
        ("LOG_LEVEL", False),
        ("PWD", False),
        ("SECRETARY_NAME", False),
    ],
)
def test_is_secret_looking_name(name: str, secret: bool) -> None:
    assert is_secret_looking_name(name) is secret
