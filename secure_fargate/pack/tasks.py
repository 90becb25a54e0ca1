"""Task-definition-level controls: Fargate task sizes, namespaces, network mode and roles."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from . import examples as ex
from . import iam
from ._template import (
    ABSENT,
    JSON,
    UNKNOWN,
    Template,
    _Unknown,
    is_intrinsic,
    items,
    literal_value,
    objects,
    possible_values,
    properties,
    referenced_logical_id,
    shallow_values,
)
from .containers import (
    added_capabilities,
    agent_count_problem,
    check_forged_agent,
    check_memory,
    check_ptrace,
    container_name,
    is_agent_labelled,
    largest_memory,
    to_int,
)
from .control import FSBP, HIGH, LOW, MEDIUM, TASK, Scope, Violation, per_container, resource_control

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


_NUMBER = r"([0-9]{1,9}(?:\.[0-9]{1,6})?)"
_VCPU = re.compile(rf"^\s*{_NUMBER}\s*vcpu\s*$", re.IGNORECASE)
_GB = re.compile(rf"^\s*{_NUMBER}\s*gb\s*$", re.IGNORECASE)


def _parse_units(value: JSON, unit: re.Pattern[str], factor: int) -> int | None:
    """CPU units or MiB from ``1024``, ``"1024"`` or ``"1 vCPU"``/``"2 GB"``; None when malformed."""
    number = to_int(value)
    if number is not None or not isinstance(value, str):
        return number
    match = unit.match(value)
    return int(float(match.group(1)) * factor) if match else None


def parse_cpu(value: JSON) -> int | None:
    """Task CPU units from a CloudFormation ``Cpu`` (``256``, ``"256"``, ``"0.25 vCPU"``); None when malformed."""
    return _parse_units(value, _VCPU, 1024)


def parse_memory(value: JSON) -> int | None:
    """Task memory in MiB from a CloudFormation ``Memory`` (``512``, ``"512"``, ``"0.5 GB"``); None when malformed."""
    return _parse_units(value, _GB, 1024)


# ------------------------------------------------------------------------------------- template checks


def container_slots(task: Mapping[str, JSON]) -> list[list[list[Mapping[str, JSON]]]]:
    """The task's possible container lists (one per branch of an ``Fn::If`` over ``ContainerDefinitions``);
    each list holds slots, and each slot the alternatives an ``Fn::If`` over one container gives."""
    variants: list[list[list[Mapping[str, JSON]]]] = []
    for option in shallow_values(properties(task).get("ContainerDefinitions")):
        if not isinstance(option, list):
            continue
        slots: list[list[Mapping[str, JSON]]] = [
            [c for c in shallow_values(item) if isinstance(c, dict) and not is_intrinsic(c)] for item in option
        ]
        variants.append([slot for slot in slots if slot])
    return variants


def containers(task: Mapping[str, JSON]) -> Iterator[Mapping[str, JSON]]:
    """Every container definition the task may hold: every branch of an ``Fn::If`` over the whole list or over
    one container (each distinct definition once)."""
    seen: set[int] = set()
    for variant in container_slots(task):
        for slot in variant:
            for container in slot:
                if id(container) not in seen:
                    seen.add(id(container))
                    yield container


def task_containers(logical_id: str, task: Mapping[str, JSON], template: Template | None) -> list[Mapping[str, JSON]]:
    """The task's containers (:func:`containers`), resolved once per template: every container control walks them."""
    if template is None:
        return list(containers(task))
    return template.memo(("containers", logical_id), lambda: list(containers(task)))  # type: ignore[no-any-return]


def is_fargate(task: Mapping[str, JSON]) -> bool:
    compat = possible_values(properties(task).get("RequiresCompatibilities"))
    return not isinstance(compat, _Unknown) and any(isinstance(v, list) and "FARGATE" in v for v in compat)


def is_fargate_only(task: Mapping[str, JSON]) -> bool:
    """True when the task can run on Fargate only: every possible ``RequiresCompatibilities`` is ``[FARGATE]``.
    Such a task runs Linux unless its ``RuntimePlatform`` names a Windows family, and its containers reach no
    instance role (there is no instance)."""
    compat = possible_values(properties(task).get("RequiresCompatibilities"))
    return (
        not isinstance(compat, _Unknown)
        and bool(compat)
        and all(isinstance(v, list) and v and all(str(c).strip().upper() == "FARGATE" for c in v) for v in compat)
    )


def _size_values(task: Mapping[str, JSON], key: str) -> list[JSON] | _Unknown:
    return possible_values(properties(task).get(key))


def _task_size_problem(cpu_raw: JSON, mem_raw: JSON) -> str | None:
    if cpu_raw is None or mem_raw is None:
        return "a Fargate task definition needs task-level Cpu and Memory"
    cpu, memory = parse_cpu(cpu_raw), parse_memory(mem_raw)
    # A malformed size ("1.2.3 GB", ". vCPU") is never clean: ECS refuses it at deploy time, and a checker that
    # cannot read it cannot say the pair is supported.
    if cpu is None:
        return f'Cpu {str(cpu_raw)[:40]!r} is not a task size; write CPU units ("512") or vCPU ("0.5 vCPU")'
    if memory is None:
        return f'Memory {str(mem_raw)[:40]!r} is not a task size; write MiB ("1024") or GB ("1 GB")'
    return task_size_problem(cpu, memory)


@resource_control(
    "SF.TASK_SIZE",
    resource_types=(TASK,),
    title="Fargate task CPU/memory is a supported combination",
    requirement="Fargate task CPU/memory is a supported pair; a size that is not a number of CPU units/MiB or a "
    '"N vCPU"/"N GB" string ("1.2.3 GB", ". vCPU") fails too',
    severity=LOW,
    severity_reason="not a weakness but a deployment that fails: found at synth instead of in RegisterTaskDefinition",
    acknowledgeable=False,
    rationale="An unsupported pair fails only at deploy time, in RegisterTaskDefinition.",
    remediation="a supported Cpu/Memory pair, e.g. Cpu 256 with Memory 512, 1024 or 2048 (SecureFargateService "
    "cpu/memory_limit_mib)",
    source="CON316: hard resource limits; the Amazon ECS task size table",
    failing=ex.task(Cpu="256", Memory="4096"),
    passing=ex.task(Cpu="256", Memory="512"),
)
def check_task_size(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.TASK_SIZE: a Fargate task's CPU/memory must be a supported combination (every possible pair)."""
    if not is_fargate(task):
        return []
    cpus, memories = _size_values(task, "Cpu"), _size_values(task, "Memory")
    if isinstance(cpus, _Unknown) or isinstance(memories, _Unknown):
        return []
    for cpu_raw in cpus:
        for mem_raw in memories:
            problem = _task_size_problem(cpu_raw, mem_raw)
            if problem:
                return [Violation(None, problem)]
    return []


def _largest_limits(variant: list[list[Mapping[str, JSON]]]) -> list[int] | None:
    """The largest hard limit each slot may take (an absent limit adds nothing to the sum); None when one is
    unknown."""
    limits: list[int] = []
    for slot in variant:
        options = [largest_memory(c) for c in slot]
        if any(isinstance(m, _Unknown) for m in options):
            return None
        limits.append(max([m for m in options if isinstance(m, int)], default=0))
    return limits


def check_memory_budget(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.MEMORY (task part): the containers' hard limits must fit in the task's memory."""
    memories = possible_values(properties(task).get("Memory"))
    sizes = [] if isinstance(memories, _Unknown) else [parse_memory(m) for m in memories if m is not None]
    known = [s for s in sizes if s is not None]
    if not known:
        return []
    total_mib = min(known)  # the smallest memory any branch deploys with is the budget
    for variant in container_slots(task):
        limits = _largest_limits(variant)
        problem = memory_budget_problem(total_mib, limits) if limits is not None else None
        if problem:
            return [Violation(None, problem)]
    return []


def _may_be_host(value: JSON) -> bool:
    """True when any possible value of a mode property is ``host`` (any case, surrounding spaces ignored)."""
    options = possible_values(value)
    return not isinstance(options, _Unknown) and any(str(v).strip().lower() == "host" for v in options)


@resource_control(
    "ECS.17",
    resource_types=(TASK,),
    title="Tasks do not use the host network mode",
    requirement="no `NetworkMode: host`",
    severity=MEDIUM,
    severity_reason="Security Hub rates ECS.17 Medium: the task loses its own ENI and security group",
    standards=(FSBP,),
    acknowledgeable=False,
    rationale="Host networking removes the per-task ENI and security group isolation.",
    remediation="NetworkMode: awsvpc (one ENI and security group per task)",
    source="CON316: one security group and ENI per task; Security Hub ECS.17",
    failing=ex.task(NetworkMode="host"),
    passing=ex.task(NetworkMode="awsvpc"),
)
def check_host_network(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """ECS.17: the task must not use the host network mode (in any branch of an ``Fn::If``)."""
    return [Violation(None, "uses NetworkMode host")] if _may_be_host(properties(task).get("NetworkMode")) else []


@resource_control(
    "ECS.3",
    resource_types=(TASK,),
    title="Tasks do not share the host's process namespace",
    requirement="no `PidMode: host`",
    severity=HIGH,
    severity_reason="Security Hub rates ECS.3 High: every process of the host becomes visible to the container",
    standards=(FSBP,),
    acknowledgeable=False,
    rationale="pidMode host exposes every process on the host to the container.",
    remediation="remove PidMode: host (use PidMode: task for a security agent that must see the task's processes)",
    source="Security Hub ECS.3",
    failing=ex.task(PidMode="host"),
    passing=ex.task(PidMode="task"),
)
def check_host_pid(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """ECS.3: the task must not share the host's process namespace (in any branch of an ``Fn::If``)."""
    return [Violation(None, "uses PidMode host")] if _may_be_host(properties(task).get("PidMode")) else []


@resource_control(
    "SF.ROLES",
    resource_types=(TASK,),
    title="The task role is never the execution role",
    requirement="the task role, when there is one, differs from the execution role (however either is spelled); a "
    "Fargate-only task without a task role passes (its containers get no AWS credentials at all); a task that may "
    "run on EC2 needs a task role (without one, its containers may reach the instance's role)",
    severity=HIGH,
    severity_reason="the application would hold the execution role's image and secret access",
    acknowledgeable=False,
    rationale="The execution role pulls images and reads secrets; the application must not inherit that. A task "
    "with no task role on Fargate has no credentials at all, which is stricter still; on EC2 its containers fall back "
    "to the instance profile.",
    remediation="TaskRoleArn: a role of its own, different from ExecutionRoleArn (SecureFargateService creates both), "
    "or no TaskRoleArn on a Fargate-only task that needs no AWS access",
    source="CON316: a task role separate from the execution role",
    failing=ex.task(
        TaskRoleArn={"Fn::GetAtt": ["ExecutionRole", "Arn"]}, ExecutionRoleArn={"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    ),
    passing=ex.task(
        TaskRoleArn={"Fn::GetAtt": ["TaskRole", "Arn"]}, ExecutionRoleArn={"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    ),
)
def check_roles(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.ROLES: the task role is never the execution role; no task role only on a Fargate-only task."""
    props = properties(task)
    task_role, execution_role = props.get("TaskRoleArn"), props.get("ExecutionRoleArn")
    values = possible_values(task_role)
    if task_role is None or (isinstance(values, list) and ABSENT in values):  # absent, or Ref AWS::NoValue
        if not is_fargate_only(task):
            message = "has no TaskRoleArn and may run on EC2, where its containers could use the instance's role"
            return [Violation(None, message)]
        if task_role is None:
            return []  # no credentials at all on Fargate: stricter than a separate role
    if execution_role is not None and task_role == execution_role:
        return [Violation(None, "TaskRoleArn is the same as ExecutionRoleArn; use a separate task role")]
    # The same role however spelled (GetAtt, Ref, Fn::Sub, a literal ARN), in any branch of an Fn::If.
    for task_role, execution_role in iam.role_pairs(template, task):
        if task_role is not None and execution_role is not None and task_role.same_as(execution_role):
            message = "TaskRoleArn designates the same role as ExecutionRoleArn; use a separate task role"
            return [Violation(None, message)]
    return []


def role_ids(task: Mapping[str, JSON]) -> tuple[str | None, str | None]:
    """Logical IDs of (task role, execution role) when they are roles of this template."""
    props = properties(task)
    return referenced_logical_id(props.get("TaskRoleArn")), referenced_logical_id(props.get("ExecutionRoleArn"))


def check_agents(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.AGENT: at most one container labelled as the security agent per task, and a labelled container is a
    real sidecar (non-essential, no port mappings): a forged label must not earn SYS_PTRACE."""
    found: list[Violation] = []
    for variant in container_slots(task):
        problem = agent_count_problem(sum(1 for slot in variant if any(is_agent_labelled(c) for c in slot)))
        if problem and Violation(None, problem) not in found:
            found.append(Violation(None, problem))
    for container in containers(task):
        forged = check_forged_agent(container)
        if forged:
            found.append(Violation(container_name(container), forged))
    return found


#: The record, on the task definition, of which container the library declared as the security agent, so that an
#: override labelling another container as the agent does not earn it SYS_PTRACE. It is a tag, so that ``check``
#: (the template's ``Tags``) and ``scan`` (the live task definition's tags) read the same record with the same rule;
#: the construct also writes it into ``Metadata: {"secure-fargate": {"agent": "<name>"}}``, which a template keeps
#: and a live task definition does not, so that in a template a removed or changed tag is a finding.
AGENT_TAG = "secure-fargate:agent"
#: The tag's value when the library declared no agent (":" is not allowed in a container name).
NO_AGENT = ":none"
DECLARED_AGENT_KEY = "agent"


def agent_tag_value(container: str) -> str:
    """The agent record's tag value for the declared agent container (``""``: none declared)."""
    return container or NO_AGENT


def declared_agents(task: Mapping[str, JSON]) -> set[str] | None:
    """The agent containers the record (the ``AGENT_TAG`` tag) may name, every branch (``""`` = none declared);
    None when the task carries no record (it was not made by the library, or the value is known only at deploy)."""
    found: set[str] = set()
    for tag in items(properties(task).get("Tags")):
        if not isinstance(tag, dict) or literal_value(tag.get("Key")) != AGENT_TAG:
            continue
        values = possible_values(tag.get("Value"))
        if not isinstance(values, _Unknown):
            found.update("" if v == NO_AGENT else str(v) for v in values if v is not ABSENT)
    return found or None


def _metadata_agent(task: Mapping[str, JSON]) -> str | None:
    meta = task.get("Metadata")
    block = meta.get("secure-fargate") if isinstance(meta, dict) else None
    name = block.get(DECLARED_AGENT_KEY) if isinstance(block, dict) else None
    return name if isinstance(name, str) else None


def check_declared_agent(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.AGENT / SF.PTRACE (declared part): where the library declared the task's agent (the ``AGENT_TAG`` record),
    no other container may wear the agent label or add SYS_PTRACE, however its other properties look; and the tag
    must say what the construct's ``Metadata`` says (in a template: a removed or changed tag is a finding)."""
    declared = declared_agents(task)
    recorded = _metadata_agent(task)
    found: list[Violation] = []
    if recorded is not None and declared != {recorded}:
        found.append(
            Violation(
                None,
                f"the agent record tag {AGENT_TAG} is {_shown(declared)}, but the construct declared "
                f"{agent_tag_value(recorded)!r} (Metadata secure-fargate.agent): the tag was removed or changed",
            )
        )
        declared = (declared or set()) | {recorded}
    return found + ([] if declared is None else _impostors(task, declared))


def _impostors(task: Mapping[str, JSON], declared: set[str]) -> list[Violation]:
    """Containers acting as the agent (label or SYS_PTRACE) that the record does not name in every branch."""
    found: list[Violation] = []
    for container in containers(task):
        name = container_name(container)
        acts = is_agent_labelled(container) or "SYS_PTRACE" in added_capabilities(container)
        if acts and declared != {name}:  # the worst branch: any record that names another container (or none)
            others = sorted(d for d in declared if d != name)
            which = f"the task's declared agent is {others[0]!r}" if others[0] else "the task declares no agent"
            found.append(Violation(name, f"acts as the security agent (label or SYS_PTRACE), but {which}"))
    return found


def _shown(declared: set[str] | None) -> str:
    if declared is None:
        return "absent"
    return " or ".join(repr(agent_tag_value(d)) for d in sorted(declared))


def host_volume_problem(source_path: object) -> str | None:
    """SF.VOLUMES: None unless a volume binds a host path (``Host.SourcePath``), which Fargate has no host for."""
    if source_path is None or source_path == "":
        return None
    return "binds a host path (Host.SourcePath); on Fargate use a task volume (Host without SourcePath) or EFS"


def _binds_host_path(volume: Mapping[str, JSON]) -> bool:
    for host in objects(volume.get("Host")):
        source = host.get("SourcePath")
        values = shallow_values(source)
        # A SourcePath known only at deploy time is still a host path.
        if source is not None and (not values or any(host_volume_problem(v) for v in values)):
            return True
    return False


@resource_control(
    "SF.VOLUMES",
    resource_types=(TASK,),
    title="No host-path volumes",
    requirement="no host-path volume (`Host.SourcePath`) on any task definition, whatever it runs on (a task moved "
    "off Fargate by a launcher or a launch type included)",
    severity=HIGH,
    severity_reason="on EC2 a host path exposes the host's files; on Fargate the deployment fails",
    acknowledgeable=False,
    rationale="Fargate has no host to share: a Host.SourcePath volume is rejected at deploy, and on EC2 it exposes "
    "the host's files; a task definition's launch type can be changed by whatever runs it, so every task definition "
    "is judged.",
    remediation="Volumes: [{Name: scratch}] (task ephemeral storage: ContainerOptions.writable_paths) or an EFS volume",
    source="CON316: separate writable volumes; FARGATE-NOTES: what Fargate rejects",
    failing=ex.task(Volumes=[{"Name": "host", "Host": {"SourcePath": "/var/run"}}]),
    passing=ex.task(Volumes=[{"Name": "scratch"}]),
)
def check_volumes(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.VOLUMES: (None, message, volume name) for each host-path volume of any task definition (an EC2 task
    definition too: a launcher or service chooses where it runs, and a host path is the host's files there)."""
    found: list[Violation] = []
    for volume in items(properties(task).get("Volumes")):
        if isinstance(volume, dict) and _binds_host_path(volume):
            name = literal_value(volume.get("Name"))
            shown = name if isinstance(name, str) else None
            found.append(Violation(None, f"volume {shown or '(unnamed)'} {host_volume_problem('host')}", shown))
    return found


# ------------------------------------------------------------------------------------- composed controls


@resource_control(
    "SF.PTRACE",
    linux_only=True,
    resource_types=(TASK,),
    scope=Scope.CONTAINER,
    title="Only the security-agent sidecar adds SYS_PTRACE",
    requirement="only the security-agent sidecar (docker label `secure-fargate.security-agent=true`, `Essential: "
    "false`, no `PortMappings`) adds `SYS_PTRACE`",
    severity=HIGH,
    severity_reason="ptrace reads and alters other processes' memory, secrets included",
    acknowledgeable=False,
    rationale="SYS_PTRACE lets a process read and alter other processes' memory: only the agent that watches them "
    "needs it.",
    remediation="remove SYS_PTRACE from Capabilities.Add; only the security-agent sidecar (SecurityAgent: labelled, "
    "Essential: false, no PortMappings) may add it",
    source="CON316: a security-agent sidecar; dropped Linux capabilities",
    failing=ex.task(ex.container(LinuxParameters={"Capabilities": {"Drop": ["ALL"], "Add": ["SYS_PTRACE"]}})),
    passing=ex.task(ex.container(LinuxParameters={"Capabilities": {"Drop": ["ALL"]}})),
)
def check_ptrace_rules(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.PTRACE: no container but the security agent adds SYS_PTRACE (by its properties, and against the agent
    the library declared)."""
    return [*per_container(check_ptrace)(logical_id, task, template), *check_declared_agent(logical_id, task, template)]


@resource_control(
    "SF.MEMORY",
    resource_types=(TASK,),
    scope=Scope.CONTAINER,
    title="Containers have a hard memory limit that fits the task",
    requirement="every container has a hard `Memory` ≥ its reservation, and the sum fits the task; the only container "
    "of a task may omit `Memory` (the task's `Memory` is then its hard limit, and bounds its reservation)",
    severity=MEDIUM,
    severity_reason="one container can starve the others, and the security agent, of memory",
    rationale="A hard limit stops one container from starving the others (and the agents) of memory.",
    remediation="Memory (hard limit, MiB) >= MemoryReservation on every container, summing to at most the task "
    "Memory (ContainerOptions.memory_limit_mib)",
    source="CON316: hard resource limits",
    failing=ex.task(ex.container(MemoryReservation=256), ex.container(Name="sidecar", Memory=128)),
    passing=ex.task(ex.container(Memory=384, MemoryReservation=256), ex.container(Name="sidecar", Memory=128)),
)
def check_memory_rules(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.MEMORY: every container has a hard limit (the task's memory is the only container's), and the limits fit
    the task's memory."""
    limit = _task_memory_mib(task) if _single_container(task) else None

    def container_memory_problem(container: Mapping[str, JSON]) -> str | None:
        return check_memory(container, limit)

    found = per_container(container_memory_problem)(logical_id, task, template)
    return [*found, *check_memory_budget(logical_id, task, template)]


def _task_memory_mib(task: Mapping[str, JSON]) -> int | _Unknown | None:
    """The task's memory in MiB (UNKNOWN when set but not known before deployment; None when absent)."""
    raw = properties(task).get("Memory")
    options = possible_values(raw)
    if raw is None or (isinstance(options, list) and ABSENT in options):
        return None
    parsed = [] if isinstance(options, _Unknown) else [parse_memory(v) for v in options]
    known = [v for v in parsed if v is not None]
    return min(known) if known and len(known) == len(parsed) else UNKNOWN  # the smallest branch bounds it


def _single_container(task: Mapping[str, JSON]) -> bool:
    """True when every possible container list of the task holds exactly one container."""
    variants = container_slots(task)
    return bool(variants) and all(len(variant) == 1 for variant in variants)


@resource_control(
    "SF.AGENT",
    resource_types=(TASK,),
    scope=Scope.CONTAINER,
    title="At most one security agent per task, and it is a real sidecar",
    requirement="at most one container per task carries the agent label, and it is non-essential with no port mappings",
    severity=HIGH,
    severity_reason="the agent label earns SYS_PTRACE: a forged one hands it to the application",
    acknowledgeable=False,
    rationale="The agent label earns SYS_PTRACE; a labelled container that is essential or serves ports is an "
    "application wearing the agent's badge.",
    remediation="label only the security-agent sidecar (SecurityAgent), with Essential: false and no PortMappings; "
    "remove the label from every other container",
    source="CON316: a security-agent sidecar",
    failing=ex.task(ex.container(DockerLabels={"secure-fargate.security-agent": "true"}, Essential=True)),
    passing=ex.task(
        ex.container(),
        ex.container(Name="agent", DockerLabels={"secure-fargate.security-agent": "true"}, Essential=False),
    ),
)
def check_agent_rules(logical_id: str, task: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.AGENT: one real security-agent sidecar at most, and no container posing as the declared agent."""
    return [*check_agents(logical_id, task, template), *check_declared_agent(logical_id, task, template)]


#: Where the engine records, per resource, what the controls could not judge (see :func:`check_unjudged`).
UNJUDGED_KEY = "unjudged"


@resource_control(
    "SF.UNJUDGED",
    resource_types=(TASK,),
    title="Every value the pack judges stays within its evaluation bounds",
    requirement="no expression a control reads has more than 256 possible values (an `Fn::If` inside a `Join`, "
    "`Sub`, list or mapping multiplies them), and no IAM or ingress value more than 64 lifted `Fn::If` "
    "alternatives; beyond a bound the rest cannot be judged, so the resource being judged fails",
    severity=HIGH,
    severity_reason="what the pack did not see may be any violation (a root user, a privileged container)",
    acknowledgeable=False,
    rationale="Evaluation is bounded so that a hostile template cannot exhaust time or memory; a violation "
    "placed after the bound would otherwise pass unseen. The pack reports that it cannot judge instead.",
    remediation="write fewer combinations: give the value as a parameter with AllowedValues, or one Fn::If per "
    "whole value instead of one per part",
    source="STYLE: cannot judge is reported, never silently passed",
    failing=ex.task(ex.container(User={"Fn::Join": ["", [{"Fn::If": [f"C{i}", "1", "2"]} for i in range(9)]]})),
    passing=ex.task(ex.container(User={"Fn::Join": ["", [{"Fn::If": [f"C{i}", "1", "2"]} for i in range(8)]]})),
)
def check_unjudged(logical_id: str, resource: Mapping[str, JSON], template: Template) -> list[Violation]:
    """SF.UNJUDGED: what the other controls could not judge of this resource. The engine runs every other control
    first, watching the evaluation's bounds (``_template.watching_bounds``), records each hit under
    ``UNJUDGED_KEY`` in the template's context, and then runs this rule over the resources it recorded."""
    recorded = template.context.get(UNJUDGED_KEY, {})
    return [Violation(None, message) for message in recorded.get(logical_id, ())]
