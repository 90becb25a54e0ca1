"""Builders for templates of the Security Hub 2026 ECS/ECR controls' tests (task sets, EFS and EBS volumes), used
on the compliant baseline of ``tests/controls/casebook.py``."""

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
