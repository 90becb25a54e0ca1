"""Task-set controls: Security Hub ECS.16, task sets do not assign public IP addresses."""

from __future__ import annotations

from collections.abc import Mapping

from . import examples as ex
from ._template import JSON, Template, _Unknown
from .control import FSBP, HIGH, TASK_SET, Violation, resource_control
from .services import assign_public_ip

Found = list[Violation]


@resource_control(
    "ECS.16",
    resource_types=(TASK_SET,),
    title="Task sets do not assign public IP addresses",
    requirement="task sets: `AssignPublicIp` not `ENABLED`",
    severity=HIGH,
    severity_reason="Security Hub rates ECS.16 High: each task of the set is reachable from the internet",
    standards=(FSBP,),
    rationale="A public IP makes each task of the set reachable from the internet, bypassing the load balancer.",
    remediation="set NetworkConfiguration.AwsVpcConfiguration.AssignPublicIp: DISABLED and run in private subnets",
    source="Security Hub ECS.16",
    failing=ex.task_set(NetworkConfiguration={"AwsVpcConfiguration": {"AssignPublicIp": "ENABLED", "Subnets": ["s"]}}),
    passing=ex.task_set(NetworkConfiguration={"AwsVpcConfiguration": {"AssignPublicIp": "DISABLED", "Subnets": ["s"]}}),
)
def check_task_set_public_ip(logical_id: str, task_set: Mapping[str, JSON], template: Template) -> Found:
    """ECS.16 (``ecs-taskset-assign-public-ip-disabled``, no parameters): fails when ``AssignPublicIp`` is
    ``ENABLED``. CloudFormation spells the block ``AwsVpcConfiguration`` on task sets (``Awsvpc`` on services);
    both spellings are read."""
    options = assign_public_ip(task_set)
    if not isinstance(options, _Unknown) and any(str(v).upper() == "ENABLED" for v in options):
        return [Violation(None, "the task set assigns public IP addresses (AssignPublicIp: ENABLED)")]
    return []
