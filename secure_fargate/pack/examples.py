"""Builders for the minimal templates a control declares as its failing and passing examples.

They keep each declaration short and readable; the generated docs print the templates they return, and the
control tests judge them (the failing one must fire the control, the passing one must not).
"""

from __future__ import annotations

from typing import Any

from .control import CLUSTER, REPOSITORY, SERVICE, TASK, TASK_SET

JSON = Any

#: An image pinned by digest, so examples are about what they show and nothing else.
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + "0" * 64


def container(**fields: JSON) -> dict[str, JSON]:
    """A container definition named ``app`` with ``fields``."""
    return {"Name": "app", "Image": IMAGE, **fields}


def task(*containers: dict[str, JSON], **properties: JSON) -> dict[str, JSON]:
    """``Resources`` with one Fargate task definition ``Task`` holding ``containers`` (default: one ``app``)."""
    body: dict[str, JSON] = {
        "RequiresCompatibilities": ["FARGATE"],
        "NetworkMode": "awsvpc",
        "Cpu": "256",
        "Memory": "512",
        "ContainerDefinitions": list(containers) or [container()],
    }
    body.update(properties)
    return {"Task": {"Type": TASK, "Properties": body}}


def efs_volume(**configuration: JSON) -> dict[str, JSON]:
    """A task volume ``shared`` on EFS file system ``fs-1`` with ``configuration`` added."""
    return {"Name": "shared", "EFSVolumeConfiguration": {"FilesystemId": "fs-1", **configuration}}


def service(**properties: JSON) -> dict[str, JSON]:
    """``Resources`` with a Fargate service ``Service`` running ``Task`` (``properties`` added)."""
    body: dict[str, JSON] = {"LaunchType": "FARGATE", "TaskDefinition": {"Ref": "Task"}}
    body.update(properties)
    return {**task(), "Service": {"Type": SERVICE, "Properties": body}}


def awsvpc(**configuration: JSON) -> dict[str, JSON]:
    """A service's ``NetworkConfiguration`` with ``configuration`` in its ``AwsvpcConfiguration``."""
    return {"AwsvpcConfiguration": {"Subnets": [{"Ref": "PrivateSubnet"}], **configuration}}


def cluster(**properties: JSON) -> dict[str, JSON]:
    """``Resources`` with one cluster ``Cluster``."""
    return {"Cluster": {"Type": CLUSTER, "Properties": properties}}


def task_set(**properties: JSON) -> dict[str, JSON]:
    """``Resources`` with one task set ``TaskSet`` of ``Task``."""
    body: dict[str, JSON] = {"Cluster": "prod", "Service": "api", "TaskDefinition": {"Ref": "Task"}}
    body.update(properties)
    return {**task(), "TaskSet": {"Type": TASK_SET, "Properties": body}}


def repository(**properties: JSON) -> dict[str, JSON]:
    """``Resources`` with one ECR repository ``Repository``."""
    return {"Repository": {"Type": REPOSITORY, "Properties": properties}}


def role(logical_id: str, *statements: dict[str, JSON]) -> dict[str, JSON]:
    """``Resources`` with an IAM role assumable by ECS tasks and, if given, an inline policy of ``statements``."""
    properties: dict[str, JSON] = {
        "AssumeRolePolicyDocument": {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ]
        }
    }
    if statements:
        properties["Policies"] = [{"PolicyName": "p", "PolicyDocument": {"Statement": list(statements)}}]
    return {logical_id: {"Type": "AWS::IAM::Role", "Properties": properties}}


def service_role(logical_id: str, *statements: dict[str, JSON]) -> dict[str, JSON]:
    """``Resources`` with an IAM role assumable by ECS itself (``ecs.amazonaws.com``: deployments' lifecycle hooks
    and load balancer switches) and, if given, an inline policy of ``statements``."""
    body = role(logical_id, *statements)
    trust = body[logical_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    trust["Principal"] = {"Service": "ecs.amazonaws.com"}
    return body


def roles_task(
    task_statements: tuple[dict[str, JSON], ...] = (), execution: tuple[dict[str, JSON], ...] = ()
) -> dict[str, JSON]:
    """``Resources``: a task definition with a task role and an execution role carrying these statements."""
    return {
        **task(
            TaskRoleArn={"Fn::GetAtt": ["TaskRole", "Arn"]}, ExecutionRoleArn={"Fn::GetAtt": ["ExecutionRole", "Arn"]}
        ),
        **role("TaskRole", *task_statements),
        **role("ExecutionRole", *execution),
    }
