"""GuardDuty Runtime Monitoring on Fargate: where its agent sidecar comes from and how much memory it takes.

GuardDuty injects its agent into every task of a monitored cluster and pulls the image with the task's
*execution role* from a GuardDuty-owned ECR repository of the region. The table is the GuardDuty user guide's
"ECR repository for GuardDuty agent on AWS Fargate (Amazon ECS only)" (33 regions, checked 2026). A region
missing from it has no Fargate agent repository: there the mapping look-up fails at deploy time (documented in
docs/runtime-protection.md).

``SF.EXECUTION_ROLE`` accepts exactly these repositories beyond the service's own images:
``is_guardduty_agent_repository`` recognises their ARNs, literal or built by ``SecureFargateService``'s
``Fn::FindInMap`` over ``MAPPING_NAME``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._template import JSON

REPOSITORY_NAME = "aws-guardduty-agent-fargate"

#: Region -> the GuardDuty account that owns ``aws-guardduty-agent-fargate`` there.
AGENT_REGISTRY_ACCOUNTS: Mapping[str, str] = {
    "us-east-1": "593207742271",
    "us-east-2": "307168627858",
    "us-west-1": "684579721401",
    "us-west-2": "733349766148",
    "af-south-1": "197869348890",
    "ap-east-1": "258348409381",
    "ap-east-2": "259886477082",
    "ap-northeast-1": "533107202818",
    "ap-northeast-2": "914738172881",
    "ap-northeast-3": "273192626886",
    "ap-south-1": "251508486986",
    "ap-south-2": "950823858135",
    "ap-southeast-1": "174946120834",
    "ap-southeast-2": "005257825471",
    "ap-southeast-3": "510637619217",
    "ap-southeast-4": "251357961535",
    "ap-southeast-5": "156041399949",
    "ap-southeast-7": "054037130133",
    "ca-central-1": "354763396469",
    "ca-west-1": "339712888787",
    "eu-central-1": "323658145986",
    "eu-central-2": "529164026651",
    "eu-north-1": "591436053604",
    "eu-south-1": "266869475730",
    "eu-south-2": "919611009337",
    "eu-west-1": "694911143906",
    "eu-west-2": "892757235363",
    "eu-west-3": "665651866788",
    "il-central-1": "870907303882",
    "me-central-1": "000014521398",
    "me-south-1": "536382113932",
    "mx-central-1": "311141559934",
    "sa-east-1": "758426053663",
}

#: Name of the CloudFormation mapping (region -> {"account": ...}) the constructs add to a stack.
MAPPING_NAME = "SecureFargateGuardDutyAgent"
MAPPING_KEY = "account"

#: The pull actions an image pull needs on its repository (GuardDuty documents these for the execution role,
#: plus the unscoped token call); secure_fargate.images grants exactly these for every kind of image.
PULL_ACTIONS: tuple[str, ...] = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")

_LITERAL_ARN = re.compile(r"^arn:aws:ecr:([a-z0-9-]+):([0-9]{12}):repository/" + REPOSITORY_NAME + "$")


def agent_repository_arn(region: str) -> str | None:
    """The literal ARN of the agent repository of ``region`` (commercial partition), None outside the table."""
    account = AGENT_REGISTRY_ACCOUNTS.get(region)
    return f"arn:aws:ecr:{region}:{account}:repository/{REPOSITORY_NAME}" if account else None


def _is_mapping_lookup(value: JSON) -> bool:
    if not isinstance(value, dict) or list(value) != ["Fn::FindInMap"]:
        return False
    args = value["Fn::FindInMap"]
    return (
        isinstance(args, list)
        and len(args) == 3
        and args[0] == MAPPING_NAME
        and args[1] == {"Ref": "AWS::Region"}
        and args[2] == MAPPING_KEY
    )


def is_guardduty_agent_repository(resource: JSON) -> bool:
    """True when an IAM ``Resource`` value is exactly the GuardDuty Fargate agent repository: a literal ARN from
    the table, or ``arn:<partition>:ecr:<region>:<FindInMap account>:repository/aws-guardduty-agent-fargate``
    joined from ``AWS::Partition``, ``AWS::Region`` and the mapping."""
    if isinstance(resource, str):
        match = _LITERAL_ARN.match(resource)
        return bool(match) and AGENT_REGISTRY_ACCOUNTS.get(match.group(1)) == match.group(2)  # type: ignore[union-attr]
    if not isinstance(resource, dict) or list(resource) != ["Fn::Join"]:
        return False
    args = resource["Fn::Join"]
    if not isinstance(args, list) or len(args) != 2 or args[0] != "" or not isinstance(args[1], list):
        return False
    expected = [
        "arn:",
        {"Ref": "AWS::Partition"},
        ":ecr:",
        {"Ref": "AWS::Region"},
        ":",
        "MAPPING",
        f":repository/{REPOSITORY_NAME}",
    ]
    parts = args[1]
    return (
        len(parts) == len(expected)
        and all(p == e for p, e in zip(parts, expected, strict=True) if e != "MAPPING")
        and _is_mapping_lookup(parts[5])
    )


def agent_memory_mib(task_cpu: int, task_memory_mib: int) -> int:
    """The GuardDuty agent sidecar's maximum memory for a Fargate task size (GuardDuty user guide, "CPU and
    memory limits"): 128 MiB up to 4 vCPU; 8 vCPU: 256 MiB up to 28 GB, 512 MiB above; 16 vCPU: 1 GiB."""
    if task_cpu >= 16384:
        return 1024
    if task_cpu >= 8192:
        return 256 if task_memory_mib <= 28 * 1024 else 512
    return 128


def headroom_problem(task_cpu: int, task_memory_mib: int, container_limits_mib: list[int]) -> str | None:
    """None when the containers' hard limits leave room for the GuardDuty agent, else the shortfall."""
    agent = agent_memory_mib(task_cpu, task_memory_mib)
    used = sum(container_limits_mib)
    if used + agent > task_memory_mib:
        return (
            f"container hard memory limits use {used} of {task_memory_mib} MiB; GuardDuty Runtime Monitoring's "
            f"agent sidecar needs up to {agent} MiB more"
        )
    return None
