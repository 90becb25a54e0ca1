"""Violation cases of issue 14's controls (Security Hub 2026 ECS/ECR set and the new SF controls), as
mutations of ``tests/test_rules.py``'s compliant baseline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Mutation = Callable[[dict[str, Any]], None]


def res(t: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return t["Resources"][logical_id]["Properties"]  # type: ignore[no-any-return]


def c0(t: dict[str, Any]) -> dict[str, Any]:
    return res(t, "Task")["ContainerDefinitions"][0]  # type: ignore[no-any-return]


def task_set(assign_public_ip: str) -> dict[str, Any]:
    return {
        "Type": "AWS::ECS::TaskSet",
        "Properties": {
            "Cluster": {"Ref": "Cluster"},
            "Service": {"Ref": "Service"},
            "TaskDefinition": {"Ref": "Task"},
            "NetworkConfiguration": {"AwsVpcConfiguration": {"AssignPublicIp": assign_public_ip, "Subnets": ["s"]}},
        },
    }


def efs_volume(**config: Any) -> dict[str, Any]:
    return {"Name": "shared", "EFSVolumeConfiguration": {"FilesystemId": {"Ref": "Fs"}, **config}}


def ebs_volume(**config: Any) -> dict[str, Any]:
    return {"Name": "data", "ManagedEBSVolume": {"RoleArn": {"Fn::GetAtt": ["EbsRole", "Arn"]}, **config}}


NEW_VIOLATIONS: list[tuple[str, str, Mutation]] = [
    ("ECS.13", "service-untagged", lambda t: res(t, "Service").pop("Tags")),
    ("ECS.13", "service-system-tags-only", lambda t: res(t, "Service").update(Tags=[{"Key": "aws:x", "Value": "y"}])),
    ("ECS.14", "cluster-untagged", lambda t: res(t, "Cluster").pop("Tags")),
    ("ECS.15", "task-untagged", lambda t: res(t, "Task").update(Tags=[])),
    ("ECS.16", "task-set-public-ip", lambda t: t["Resources"].update(TaskSet=task_set("ENABLED"))),
    ("ECS.18", "efs-no-transit", lambda t: res(t, "Task").update(Volumes=[efs_volume()])),
    (
        "ECS.18",
        "efs-transit-disabled",
        lambda t: res(t, "Task").update(Volumes=[efs_volume(TransitEncryption="DISABLED")]),
    ),
    (
        "SF.EFS_IAM",
        "efs-no-iam-authorization",
        lambda t: res(t, "Task").update(Volumes=[efs_volume(TransitEncryption="ENABLED")]),
    ),
    (
        "ECS.21",
        "unset-os-no-user",
        lambda t: (res(t, "Task").pop("RuntimePlatform"), c0(t).pop("User")),
    ),
    (
        "ECS.21",
        "windows-admin",
        lambda t: (
            res(t, "Task").update(RuntimePlatform={"OperatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}),
            c0(t).update(User="ContainerAdministrator"),
        ),
    ),
    ("ECR.1", "no-scan", lambda t: res(t, "Repository").pop("ImageScanningConfiguration")),
    ("ECR.2", "mutable", lambda t: res(t, "Repository").update(ImageTagMutability="MUTABLE")),
    ("ECR.2", "absent-mutability", lambda t: res(t, "Repository").pop("ImageTagMutability")),
    ("ECR.3", "no-lifecycle", lambda t: res(t, "Repository").pop("LifecyclePolicy")),
    ("ECR.5", "aes256", lambda t: res(t, "Repository").pop("EncryptionConfiguration")),
    (
        "ECR.5",
        "aws-managed-key",
        lambda t: res(t, "Repository").update(EncryptionConfiguration={"EncryptionType": "KMS"}),
    ),
    ("SF.FAULT_INJECTION", "enabled", lambda t: res(t, "Task").update(EnableFaultInjection=True)),
    ("SF.EBS_ENCRYPTION", "unencrypted", lambda t: res(t, "Service").update(VolumeConfigurations=[ebs_volume()])),
    (
        "SF.EBS_ENCRYPTION",
        "encrypted-false",
        lambda t: res(t, "Service").update(VolumeConfigurations=[ebs_volume(Encrypted=False)]),
    ),
    ("SF.VERSION_CONSISTENCY", "disabled", lambda t: c0(t).update(VersionConsistency="disabled")),
]
