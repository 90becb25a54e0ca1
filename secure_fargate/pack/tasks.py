"""Task-definition-level controls: Fargate task sizes, namespaces, network mode and roles."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ._template import JSON, UNKNOWN, Template, _Unknown, as_list, possible_values, properties, referenced_logical_id
from .containers import container_memory

# Fargate's supported task sizes: CPU units -> allowed task memory (MiB). From the "Task CPU and memory"
# table of the Amazon ECS developer guide (Linux). aws-cdk validated this once and reverted it; without a
# check, a wrong pair fails only at deploy time in RegisterTaskDefinition.
FARGATE_TASK_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}


def task_size_problem(cpu: int, memory_mib: int) -> str | None:
    """None when (cpu, memory) is a supported Fargate task size, else what is allowed."""
    if cpu not in FARGATE_TASK_SIZES:
        return f"cpu {cpu} is not a Fargate task size; allowed: {sorted(FARGATE_TASK_SIZES)}"
    allowed = FARGATE_TASK_SIZES[cpu]
    if memory_mib not in allowed:
        return (
            f"memory {memory_mib} MiB is not supported with cpu {cpu}; allowed MiB for cpu {cpu}: "
            f"{allowed[0]}-{allowed[-1]}"
            + (f" in steps of {allowed[1] - allowed[0]}" if len(allowed) > 3 else f" ({allowed})")
        )
    return None


def memory_budget_problem(task_memory_mib: int, container_limits_mib: list[int]) -> str | None:
    """None when the containers' hard memory limits fit in the task's memory, else the overrun."""
    used = sum(container_limits_mib)
    if used > task_memory_mib:
        return f"container hard memory limits add up to {used} MiB, above the task's {task_memory_mib} MiB"
    return None


_VCPU = re.compile(r"^\s*([0-9.]+)\s*vcpu\s*$", re.IGNORECASE)
_GB = re.compile(r"^\s*([0-9.]+)\s*gb\s*$", re.IGNORECASE)


def _parse_units(value: JSON, unit: re.Pattern[str], factor: int) -> int | None:
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    if value.strip().isdigit():
        return int(value)
    match = unit.match(value)
    return int(float(match.group(1)) * factor) if match else None


# ------------------------------------------------------------------------------------- template checks


def containers(task: Mapping[str, JSON]) -> Iterator[Mapping[str, JSON]]:
    """The literal container definitions of a task definition resource."""
    for item in as_list(properties(task).get("ContainerDefinitions")):
        if isinstance(item, dict):
            yield item


def is_fargate(task: Mapping[str, JSON]) -> bool:
    compat = possible_values(properties(task).get("RequiresCompatibilities"))
    return not isinstance(compat, _Unknown) and any(isinstance(v, list) and "FARGATE" in v for v in compat)


def _single(value: JSON) -> JSON | _Unknown:
    options = possible_values(value)
    if isinstance(options, _Unknown) or len(options) != 1:
        return UNKNOWN
    return options[0]


def check_task_size(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[tuple[str | None, str]]:
    """SF.TASK_SIZE: a Fargate task's CPU/memory must be a supported combination."""
    if not is_fargate(task):
        return []
    cpu_raw, mem_raw = _single(properties(task).get("Cpu")), _single(properties(task).get("Memory"))
    if isinstance(cpu_raw, _Unknown) or isinstance(mem_raw, _Unknown):
        return []
    if cpu_raw is None or mem_raw is None:
        return [(None, "a Fargate task definition needs task-level Cpu and Memory")]
    cpu, memory = _parse_units(cpu_raw, _VCPU, 1024), _parse_units(mem_raw, _GB, 1024)
    if cpu is None or memory is None:
        return []
    problem = task_size_problem(cpu, memory)
    return [(None, problem)] if problem else []


def check_memory_budget(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[tuple[str | None, str]]:
    """SF.MEMORY (task part): the containers' hard limits must fit in the task's memory."""
    task_memory = _single(properties(task).get("Memory"))
    if isinstance(task_memory, _Unknown) or task_memory is None:
        return []
    total_mib = _parse_units(task_memory, _GB, 1024)
    limits = [container_memory(c) for c in containers(task)]
    if total_mib is None or any(isinstance(m, _Unknown) or m is None for m in limits):
        return []
    problem = memory_budget_problem(total_mib, [m for m in limits if isinstance(m, int)])
    return [(None, problem)] if problem else []


def _network_mode(task: Mapping[str, JSON]) -> JSON | _Unknown:
    return _single(properties(task).get("NetworkMode"))


def check_host_network(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[tuple[str | None, str]]:
    """ECS.17: the task must not use the host network mode."""
    return [(None, "uses NetworkMode host")] if _network_mode(task) == "host" else []


def check_host_pid(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[tuple[str | None, str]]:
    """ECS.3: the task must not share the host's process namespace."""
    return [(None, "uses PidMode host")] if _single(properties(task).get("PidMode")) == "host" else []


def check_roles(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[tuple[str | None, str]]:
    """SF.ROLES: a task role exists and differs from the execution role."""
    props = properties(task)
    task_role, execution_role = props.get("TaskRoleArn"), props.get("ExecutionRoleArn")
    if task_role is None:
        return [(None, "has no TaskRoleArn: the application would have no identity separate from the execution role")]
    if execution_role is not None and task_role == execution_role:
        return [(None, "TaskRoleArn is the same as ExecutionRoleArn; use a separate task role")]
    return []


def role_ids(task: Mapping[str, JSON]) -> tuple[str | None, str | None]:
    """Logical IDs of (task role, execution role) when they are roles of this template."""
    props = properties(task)
    return referenced_logical_id(props.get("TaskRoleArn")), referenced_logical_id(props.get("ExecutionRoleArn"))
