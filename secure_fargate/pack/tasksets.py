"""Task-set controls: Security Hub ECS.16, task sets do not assign public IP addresses."""

from __future__ import annotations

from collections.abc import Mapping

from ._template import JSON, Template, _Unknown, possible_values, properties

Found = list[tuple[str | None, str]]


def check_task_set_public_ip(logical_id: str, task_set: Mapping[str, JSON], template: Template) -> Found:
    """ECS.16 (``ecs-taskset-assign-public-ip-disabled``, no parameters): fails when ``AssignPublicIp`` is
    ``ENABLED``. CloudFormation spells the block ``AwsVpcConfiguration`` on task sets (``Awsvpc`` on services);
    both spellings are read."""
    network = properties(task_set).get("NetworkConfiguration")
    network = network if isinstance(network, dict) else {}
    for key in ("AwsVpcConfiguration", "AwsvpcConfiguration"):
        config = network.get(key)
        if not isinstance(config, dict):
            continue
        options = possible_values(config.get("AssignPublicIp"))
        if not isinstance(options, _Unknown) and "ENABLED" in options:
            return [(None, "the task set assigns public IP addresses (AssignPublicIp: ENABLED)")]
    return []
