"""Launcher controls: every way a template starts a task, judged with the controls a service gets.

A *launcher* starts tasks of a task definition it may not own, and can override how they run: an EventBridge rule's
ECS target (``AWS::Events::Rule`` ``Targets[].EcsParameters``, overrides in ``Input``), an EventBridge Scheduler
schedule (``AWS::Scheduler::Schedule`` ``Target.EcsParameters``, ``Target.Input``), an EventBridge pipe
(``AWS::Pipes::Pipe`` ``TargetParameters.EcsTaskParameters``), a Step Functions ``ecs:runTask`` state
(``arn:aws:states:::ecs:runTask``, ``.sync``, ``.waitForTaskToken`` and the SDK integration
``aws-sdk:ecs:runTask``, in an inline ``Definition``, a ``DefinitionString`` built with ``Fn::Join``/``Fn::Sub`` or
``DefinitionSubstitutions``, nested in ``Parallel``/``Map`` states), and, live, a task started by ``RunTask``
outside any service (``secure-fargate scan`` writes it as a :data:`RUN_TASK` resource in ``RunTask``'s request
shape). Task sets (``AWS::ECS::TaskSet``) are judged for their network and platform too.

Every launcher is read into :class:`Launch` values, in ``RunTask``'s vocabulary, so each control reads one shape.
Overrides written as ``Input`` JSON (camelCase, as EventBridge passes them to ``RunTask``) are parsed and read in
CloudFormation's PascalCase. What only deploy time knows (a JSONPath ``.$`` parameter, a parameter's value) is
never a violation; a definition the pack cannot read (``DefinitionS3Location``, a string that is not JSON) is
reported by SF.LAUNCH_UNJUDGED rather than passed.

Also here: task definitions outside the template set (SF.EXTERNAL_TASK_DEFINITION), custom resources and state
machines that call ECS write APIs (SF.ECS_WRITE_CALLS), and task definitions our constructs made that something
moved off Fargate (SF.OFF_FARGATE).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice, product

from . import examples as ex
from . import iam
from ._template import (
    JSON,
    Template,
    _Unknown,
    items,
    may_be_true,
    objects,
    objects_at,
    possible_values,
    properties,
    values_at,
)
from .containers import command_problems, environment_problems
from .control import HIGH, LOW, MEDIUM, SERVICE, TASK, TASK_SET, Violation, resource_control
from .ingress import group_findings
from .services import LATEST_PLATFORM_VERSIONS, LATEST_WINDOWS_PLATFORM_VERSIONS, exec_problem
from .template_set import TemplateSet, alternatives, is_literal, template_set_of

Found = list[Violation]

RULE = "AWS::Events::Rule"
SCHEDULE = "AWS::Scheduler::Schedule"
PIPE = "AWS::Pipes::Pipe"
STATE_MACHINE = "AWS::StepFunctions::StateMachine"
#: A task started by ``RunTask`` outside any service, as ``secure-fargate scan`` rebuilds it: its properties are
#: ``RunTask``'s request (``TaskDefinition``, ``NetworkConfiguration``, ``Overrides``, ``PlatformVersion``,
#: ``EnableExecuteCommand``, ``LaunchType``) in CloudFormation's spelling. No CloudFormation type has this shape.
RUN_TASK = "SecureFargate::ECS::RunTask"
#: ``SecureOneOffTask``'s custom resource: its runner calls ``RunTask`` with these properties (``Cluster``,
#: ``TaskDefinition``, ``Subnets``, ``SecurityGroups``, ``AssignPublicIp``, ``PlatformVersion``,
#: ``CapacityProviderStrategy``), so it is judged as a launcher, and its ``RunTask`` is not an SF.ECS_WRITE_CALLS
#: finding (any other ECS write its runner's role may make still is).
ONE_OFF = "Custom::SecureOneOffTask"
#: CDK's ``AwsCustomResource``: a ``runTask`` call in its Create/Update/Delete is judged as a launch (its parameters,
#: camelCase as the SDK takes them, read in PascalCase); its other ECS write calls are SF.ECS_WRITE_CALLS findings.
AWS_CUSTOM = "Custom::AWS"
#: Every kind of launcher.
LAUNCHER_TYPES: tuple[str, ...] = (RULE, SCHEDULE, PIPE, STATE_MACHINE, RUN_TASK, ONE_OFF, AWS_CUSTOM)
CUSTOM_RESOURCE_TYPES: tuple[str, ...] = ("AWS::CloudFormation::CustomResource", "Custom::*")

#: ECS calls that start tasks or change what runs: a custom resource or state machine making them changes ECS
#: outside the template's view.
ECS_WRITE_ACTIONS: tuple[str, ...] = (
    "RunTask",
    "StartTask",
    "CreateService",
    "UpdateService",
    "RegisterTaskDefinition",
    "CreateTaskSet",
    "UpdateTaskSet",
    "UpdateServicePrimaryTaskSet",
    "ExecuteCommand",
)
_WRITE_ACTIONS = {a.lower(): a for a in ECS_WRITE_ACTIONS}
#: A Step Functions task state that starts an ECS task (optimised or SDK integration, any pattern suffix).
_RUN_TASK_RESOURCE = re.compile(r":states:::(?:aws-sdk:)?ecs:(?:runTask|startTask)(?:\.[A-Za-z]+)?$", re.IGNORECASE)
_SDK_ECS_RESOURCE = re.compile(r":states:::aws-sdk:ecs:([A-Za-z]+)(?:\.[A-Za-z]+)?$", re.IGNORECASE)
#: Where the constructs record on a task definition that they made it (``Metadata: {"secure-fargate": {...}}``).
CONSTRUCT_KEYS = ("construct", "agent")
_NETWORK_BLOCKS = ("AwsVpcConfiguration", "AwsvpcConfiguration")
#: Most DefinitionSubstitutions combinations judged (each Fn::If in a substitution doubles them).
_MAX_DEFINITIONS = 16


@dataclass(frozen=True)
class Launch:
    """One way a resource starts tasks, in ``RunTask``'s vocabulary (raw template values, or values already rendered
    to strings for a definition read from a ``DefinitionString`` or an ``Input``)."""

    where: str
    parameters: Mapping[str, JSON]
    #: The task override (``ContainerOverrides``, ``TaskRoleArn``, ``ExecutionRoleArn``) objects it may apply.
    overrides: tuple[Mapping[str, JSON], ...] = ()

    def value(self, key: str) -> JSON:
        return self.parameters.get(key)

    @property
    def task_definition(self) -> JSON:
        return self.parameters.get("TaskDefinition", self.parameters.get("TaskDefinitionArn"))

    def networks(self) -> list[Mapping[str, JSON]]:
        """Every awsvpc configuration the launch may use (both spellings, every branch)."""
        return [n for block in _NETWORK_BLOCKS for n in objects_at(self.parameters, "NetworkConfiguration", block)]


@dataclass(frozen=True)
class Reading:
    """What the pack read from one resource: its launches, and what it could not read (why)."""

    launches: tuple[Launch, ...] = ()
    unreadable: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------- reading launchers
def _pascal(value: JSON) -> JSON:
    """An API-shaped (camelCase) JSON value with CloudFormation's PascalCase keys."""
    if isinstance(value, dict):
        return {str(k)[:1].upper() + str(k)[1:]: _pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value


def _rendered(template: Template, value: JSON) -> list[str]:
    """Every string ``value`` renders to (each branch of an Fn::If; deploy-time parts as placeholders)."""
    template_set = template_set_of(template)
    found = [template_set.render(template, alt) for alt in alternatives(value)]
    return [f for f in found if f is not None]


def _input_overrides(template: Template, value: JSON, where: str) -> tuple[list[Mapping[str, JSON]], list[str]]:
    """The task overrides an EventBridge ``Input`` JSON carries (``containerOverrides``, ``taskRoleArn``...)."""
    found: list[Mapping[str, JSON]] = []
    problems: list[str] = []
    for text in _rendered(template, value):
        try:
            body = json.loads(text, strict=False)
        except (ValueError, RecursionError):
            if "override" in text.lower() or "rolearn" in text.lower():
                problems.append(f"{where}: its Input is not JSON, so the overrides in it cannot be judged")
            continue
        if isinstance(body, dict):
            found.append(_pascal(body))
    return found, problems


def _ecs_launch(template: Template, where: str, ecs: Mapping[str, JSON], input_value: JSON) -> Reading:
    overrides, problems = _input_overrides(template, input_value, where)
    overrides += list(objects(ecs.get("Overrides")))
    return Reading((Launch(where, ecs, tuple(overrides)),), tuple(problems))


def _distinct(launches: list[Launch]) -> list[Launch]:
    """``launches`` without repeats (launches hold template values, which are not hashable)."""
    found: list[Launch] = []
    for launch in launches:
        if launch not in found:
            found.append(launch)
    return found


def _rule_launches(logical_id: str, rule: Mapping[str, JSON], template: Template) -> Reading:
    launches: list[Launch] = []
    problems: list[str] = []
    for index, target in enumerate(items(properties(rule).get("Targets"))):
        if not isinstance(target, dict):
            continue
        name = target.get("Id") if isinstance(target.get("Id"), str) else str(index)
        inputs = [target.get("Input"), *[t.get("InputTemplate") for t in objects(target.get("InputTransformer"))]]
        for ecs in objects(target.get("EcsParameters")):
            for value in inputs:
                reading = _ecs_launch(template, f"target {name}", ecs, value)
                launches += reading.launches
                problems += reading.unreadable
    return Reading(tuple(_distinct(launches)), tuple(dict.fromkeys(problems)))


def _schedule_launches(logical_id: str, schedule: Mapping[str, JSON], template: Template) -> Reading:
    launches: list[Launch] = []
    problems: list[str] = []
    for target in objects(properties(schedule).get("Target")):
        for ecs in objects(target.get("EcsParameters")):
            reading = _ecs_launch(template, "target", ecs, target.get("Input"))
            launches += reading.launches
            problems += reading.unreadable
    return Reading(tuple(launches), tuple(problems))


def _pipe_launches(logical_id: str, pipe: Mapping[str, JSON], template: Template) -> Reading:
    launches = [
        Launch("target", ecs, tuple(objects(ecs.get("Overrides"))))
        for ecs in objects_at(properties(pipe), "TargetParameters", "EcsTaskParameters")
    ]
    return Reading(tuple(launches))


def _run_task_launches(logical_id: str, task: Mapping[str, JSON], template: Template) -> Reading:
    props = properties(task)
    return Reading((Launch("RunTask", props, tuple(objects(props.get("Overrides")))),))


def _one_off_launches(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Reading:
    props = properties(resource)
    network = {k: props[k] for k in ("Subnets", "SecurityGroups", "AssignPublicIp") if k in props}
    parameters: dict[str, JSON] = {
        "TaskDefinition": props.get("TaskDefinition"),
        "NetworkConfiguration": {"AwsVpcConfiguration": network},
        "CapacityProviderStrategy": [_pascal(item) for item in items(props.get("CapacityProviderStrategy"))],
    }
    parameters.update({k: props[k] for k in ("PlatformVersion", "LaunchType") if k in props})
    return Reading((Launch("one-off run", parameters),))


def _substituted(texts: list[str], template: Template, substitutions: JSON) -> list[str]:
    """The definition texts with ``${Name}`` replaced by each combination of DefinitionSubstitutions' values."""
    table = [(name, _rendered(template, value)) for m in objects(substitutions) for name, value in m.items()]
    table = [(name, values) for name, values in table if values]
    if not table:
        return texts
    result: list[str] = []
    for text in texts:
        for combo in islice(product(*(values for _, values in table)), _MAX_DEFINITIONS):
            done = text
            for (name, _), value in zip(table, combo, strict=True):
                done = done.replace("${" + name + "}", value)
            result.append(done)
    return result


def definitions(logical_id: str, machine: Mapping[str, JSON], template: Template) -> tuple[list[JSON], list[str]]:
    """A state machine's possible definitions (objects, intrinsics inside an inline ``Definition`` kept for the
    walker) and why any could not be read."""
    props = properties(machine)
    found: list[JSON] = list(objects(props.get("Definition")))
    problems: list[str] = []
    texts = _rendered(template, props.get("DefinitionString"))
    texts = _substituted(texts, template, props.get("DefinitionSubstitutions"))
    if props.get("DefinitionString") is not None and not texts:
        problems.append("its DefinitionString cannot be evaluated from the template, so its ECS tasks are not judged")
    for text in texts:
        try:
            found.append(json.loads(text, strict=False))
        except (ValueError, RecursionError):
            problems.append("its DefinitionString is not JSON (after substitutions), so its ECS tasks are not judged")
    if props.get("DefinitionS3Location") is not None:
        problems.append("its definition is read from S3 (DefinitionS3Location) at deploy time: the ECS tasks it "
                        "runs cannot be judged from the template")
    return found, list(dict.fromkeys(problems))


def states(definition: JSON, depth: int = 0) -> Iterator[tuple[str, Mapping[str, JSON]]]:
    """Every state of a definition: top level, ``Parallel`` branches and ``Map`` iterators (each Fn::If branch)."""
    if depth > 20:
        return
    for table in objects_at(definition, "States"):
        for name, value in table.items():
            for state in objects(value):
                yield str(name), state
                for branch in items(state.get("Branches")):
                    yield from states(branch, depth + 1)
                for key in ("Iterator", "ItemProcessor"):
                    for inner in objects(state.get(key)):
                        yield from states(inner, depth + 1)


def _state_resources(template: Template, state: Mapping[str, JSON]) -> list[str]:
    return _rendered(template, state.get("Resource"))


def _machine_launches(logical_id: str, machine: Mapping[str, JSON], template: Template) -> Reading:
    docs, problems = definitions(logical_id, machine, template)
    launches: list[Launch] = []
    for doc in docs:
        for name, state in states(doc):
            if not any(_RUN_TASK_RESOURCE.search(r) for r in _state_resources(template, state)):
                continue
            for key in ("Parameters", "Arguments"):  # JSONPath and JSONata states
                for parameters in objects(state.get(key)):
                    launch = Launch(f"state {name}", parameters, tuple(objects(parameters.get("Overrides"))))
                    if launch not in launches:
                        launches.append(launch)
    return Reading(tuple(launches), tuple(problems))


def _aws_custom_launches(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Reading:
    launches = [
        Launch(f"{key} call", parameters, tuple(objects(parameters.get("Overrides"))))
        for key, name, parameters in sdk_calls(template, resource)
        if name in ("RunTask", "StartTask")
    ]
    return Reading(tuple(_distinct(launches)))


_READERS = {
    RULE.lower(): _rule_launches,
    SCHEDULE.lower(): _schedule_launches,
    PIPE.lower(): _pipe_launches,
    STATE_MACHINE.lower(): _machine_launches,
    RUN_TASK.lower(): _run_task_launches,
    ONE_OFF.lower(): _one_off_launches,
    AWS_CUSTOM.lower(): _aws_custom_launches,
}


def read(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Reading:
    """The launches of a launcher resource (none for any other type), read once per template."""
    reader = _READERS.get(str(resource.get("Type", "")).strip().lower())
    if reader is None:
        return Reading()
    return template.memo(("launches", logical_id), lambda: reader(logical_id, resource, template))  # type: ignore[no-any-return]


def _task_set_launch(task_set: Mapping[str, JSON]) -> Launch:
    return Launch("task set", properties(task_set))


def _launches(logical_id: str, resource: Mapping[str, JSON], template: Template) -> tuple[Launch, ...]:
    if str(resource.get("Type", "")).strip().lower() == TASK_SET.lower():
        return (_task_set_launch(resource),)
    return read(logical_id, resource, template).launches


# ------------------------------------------------------------------------------------------------- predicates
def _may(values: list[JSON] | _Unknown, test: object) -> list[JSON]:
    return [] if isinstance(values, _Unknown) else [v for v in values if test(v)]  # type: ignore[operator]


def assigns_public_ip(launch: Launch) -> bool:
    """True when any branch of the launch's awsvpc configuration assigns a public IP."""
    for network in launch.networks():
        if _may(values_at(network, "AssignPublicIp"), lambda v: str(v).strip().upper() == "ENABLED"):
            return True
    return False


def old_platform(launch: Launch, windows: bool = False) -> str | None:
    """The pinned platform version, when it is not the latest (Windows Fargate's own numbering for Windows tasks)."""
    latest = LATEST_PLATFORM_VERSIONS | (LATEST_WINDOWS_PLATFORM_VERSIONS if windows else frozenset())
    old = _may(possible_values(launch.value("PlatformVersion")), lambda v: v is not None and str(v) not in latest)
    return str(old[0]) if old else None


def enables_exec(launch: Launch) -> bool:
    return bool(_may(possible_values(launch.value("EnableExecuteCommand")), may_be_true))


def _without_groups(launch: Launch) -> bool:
    for network in launch.networks():
        values = possible_values(network.get("SecurityGroups"))
        if isinstance(values, list) and any(v is None or v == [] for v in values):
            return True
    return False


def _group_findings(template: Template, launch: Launch) -> Iterator[str]:
    for network in launch.networks():
        for alternative in alternatives(network.get("SecurityGroups")):
            for group in alternative if isinstance(alternative, list) else [alternative]:
                for value in alternatives(group):
                    yield from group_findings(template, value)


def _task_definition_key(template: Template, value: JSON) -> tuple[TemplateSet, tuple[int, str] | None, str | None]:
    """(set, the task definition resource ``value`` designates or None, how it renders)."""
    template_set = template_set_of(template)
    rendered = template_set.render(template, value)
    key = template_set.resource_key(template, value) if rendered is not None else None
    resource = template_set.resource(key) if key is not None else None
    if resource is None or str(resource.get("Type", "")).strip().lower() != TASK.lower():
        key = None
    return template_set, key, rendered


def launched_tasks(template: Template, launch: Launch) -> list[tuple[Template, Mapping[str, JSON]]]:
    """The task definitions of the template set the launch may start (each branch)."""
    found: list[tuple[Template, Mapping[str, JSON]]] = []
    for value in alternatives(launch.task_definition):
        template_set, key, _ = _task_definition_key(template, value)
        if key is not None:
            found.append((template_set.templates[key[0]], template_set.resource(key) or {}))
    return found


def _runs_windows(template: Template, launch: Launch) -> bool:
    tasks = launched_tasks(template, launch)
    if not tasks:
        return False
    for _, task in tasks:
        families = values_at(properties(task), "RuntimePlatform", "OperatingSystemFamily")
        if isinstance(families, _Unknown) or not all(str(f).startswith("WINDOWS_SERVER") for f in families):
            return False
    return True


def _override_where(launch: Launch, container: Mapping[str, JSON]) -> str:
    names = _may(possible_values(container.get("Name")), lambda v: isinstance(v, str))
    return f"{launch.where}, container {names[0] if names else '(unnamed)'}"


def override_problems(launch: Launch) -> Iterator[str]:
    """Secret-looking values in container overrides (ECS.8's predicates) and role overrides."""
    for override in launch.overrides:
        for container in items(override.get("ContainerOverrides")):
            if not isinstance(container, dict):
                continue
            where = _override_where(launch, container)
            for _, problem in environment_problems(container):
                yield f"{where}: environment override: {problem}"
            for _, problem in command_problems(container):
                yield f"{where}: command override: {problem}"
        for key, what in (("TaskRoleArn", "task role"), ("ExecutionRoleArn", "execution role")):
            values = possible_values(override.get(key))
            if isinstance(values, _Unknown) or any(v is not None for v in values):  # a deploy-time role is a role
                yield (
                    f"{launch.where}: overrides the {what} ({key}): its tasks run with a role the task definition "
                    "does not name, so what was reviewed is not what runs"
                )


def _execution_roles(template: Template, launch: Launch, override: Mapping[str, JSON]) -> list[iam.Role]:
    """The execution roles the launch's tasks run with: the override's, else the task definition's."""
    if override.get("ExecutionRoleArn") is not None:
        values = alternatives(override.get("ExecutionRoleArn"))
        return [r for r in (iam.role_of(template, v) for v in values) if r is not None]
    roles: list[iam.Role] = []
    for task_template, task in launched_tasks(template, launch):
        for _, execution in iam.role_pairs(task_template, task):
            if execution is not None:
                roles.append(execution)
    return roles


def role_swap_problems(template: Template, launch: Launch) -> Iterator[str]:
    """SF.LAUNCH_ROLES: an override whose task role is the execution role (however spelled)."""
    for override in launch.overrides:
        task_values = alternatives(override.get("TaskRoleArn"))
        if not task_values:
            continue
        executions = _execution_roles(template, launch, override)
        for value in task_values:
            role = iam.role_of(template, value)
            if role is not None and any(role.same_as(e) for e in executions):
                yield f"{launch.where}: overrides the task role with the execution role ({role.label})"
                break


# ------------------------------------------------------------------------------------------------ the controls
_LAUNCHER_EXAMPLE_TARGET = {"Id": "job", "Arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
                            "RoleArn": "arn:aws:iam::123456789012:role/events"}


def _rule(**ecs: JSON) -> dict[str, JSON]:
    """``Resources``: the example task and an EventBridge rule whose ECS target runs it (``ecs`` added)."""
    parameters: dict[str, JSON] = {
        "TaskDefinitionArn": {"Ref": "Task"},
        "LaunchType": "FARGATE",
        "NetworkConfiguration": {"AwsVpcConfiguration": {"Subnets": ["subnet-1"], "SecurityGroups": ["sg-1"],
                                                         "AssignPublicIp": "DISABLED"}},
    }
    parameters.update(ecs)
    target = {**_LAUNCHER_EXAMPLE_TARGET, "EcsParameters": parameters}
    rule = {"Type": RULE, "Properties": {"ScheduleExpression": "rate(1 hour)", "Targets": [target]}}
    return {**ex.task(), "Rule": rule}


def _rule_with_input(overrides: dict[str, JSON]) -> dict[str, JSON]:
    body = _rule()
    body["Rule"]["Properties"]["Targets"][0]["Input"] = json.dumps(overrides)
    return body


@resource_control(
    "SF.LAUNCH_PUBLIC_IP",
    resource_types=LAUNCHER_TYPES,
    runs_on=LAUNCHER_TYPES,
    title="Launchers do not assign public IP addresses",
    requirement="no EventBridge rule or schedule, pipe, Step Functions `ecs:runTask` state, `SecureOneOffTask` run, "
    "`AwsCustomResource` `runTask` call or live `RunTask` task sets `AssignPublicIp: ENABLED` (either spelling of "
    "the awsvpc block, any branch)",
    severity=HIGH,
    severity_reason="as Security Hub's ECS.2 for services (High): each task's ENI is reachable from the internet",
    rationale="A launcher chooses the network of the tasks it starts: a public IP puts each task on the internet "
    "whatever the task definition's hardening.",
    remediation="AssignPublicIp: DISABLED and private subnets with a NAT gateway or VPC endpoints",
    source="CON316: private subnets, one ENI per task; Security Hub ECS.2/ECS.16 for services and task sets",
    failing=_rule(NetworkConfiguration={"AwsVpcConfiguration": {"Subnets": ["subnet-1"], "SecurityGroups": ["sg-1"],
                                                                "AssignPublicIp": "ENABLED"}}),
    passing=_rule(),
)
def check_launch_public_ip(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """SF.LAUNCH_PUBLIC_IP: no launch of the resource assigns a public IP."""
    return [
        Violation(None, f"{launch.where}: assigns public IP addresses to the tasks it starts (AssignPublicIp: ENABLED)")
        for launch in _launches(logical_id, resource, template)
        if assigns_public_ip(launch)
    ]


@resource_control(
    "SF.LAUNCH_NETWORK",
    resource_types=(*LAUNCHER_TYPES, TASK_SET, "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"),
    runs_on=(*LAUNCHER_TYPES, TASK_SET),
    title="Launchers and task sets use security groups that admit no public range",
    requirement="the security groups a launcher or task set gives its tasks admit no public range (as SF.INGRESS "
    "reads them: inline, separate ingress resources, other stacks of the set); an awsvpc configuration naming no "
    "group fails too (the tasks get the VPC's default group)",
    severity=HIGH,
    severity_reason="the tasks are reachable from the internet around the load balancer, as with SF.INGRESS",
    rationale="A launcher chooses the security groups of the tasks it starts, whatever the service's own group "
    "admits.",
    remediation="give the launcher the task's own security group (the service's, or one created for the job) that "
    "admits only the load balancer's group or private ranges",
    source="CON316: one security group per task; SF.INGRESS for services",
    failing={
        **_rule(NetworkConfiguration={"AwsVpcConfiguration": {"Subnets": ["subnet-1"],
                                                              "SecurityGroups": [{"Fn::GetAtt": ["Sg", "GroupId"]}]}}),
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "job", "SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}},
    },
    passing={
        **_rule(NetworkConfiguration={"AwsVpcConfiguration": {"Subnets": ["subnet-1"],
                                                              "SecurityGroups": [{"Fn::GetAtt": ["Sg", "GroupId"]}]}}),
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "job", "SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "10.0.0.0/16"}]}},
    },
)
def check_launch_network(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """SF.LAUNCH_NETWORK: the launch's security groups admit no public range, and it names at least one."""
    messages: dict[str, None] = {}
    for launch in _launches(logical_id, resource, template):
        if _without_groups(launch):
            messages[f"{launch.where}: names no SecurityGroups: its tasks get the VPC's default security group"] = None
        messages.update(dict.fromkeys(f"{launch.where}: {m}" for m in _group_findings(template, launch)))
    return [Violation(None, m) for m in messages]


@resource_control(
    "SF.LAUNCH_PLATFORM",
    resource_types=(*LAUNCHER_TYPES, TASK_SET),
    runs_on=(*LAUNCHER_TYPES, TASK_SET),
    title="Launchers and task sets run the latest Fargate platform",
    requirement="`PlatformVersion` absent, `LATEST` or `1.4.0` (`1.0.0` too when every task definition it starts "
    "is Windows)",
    severity=MEDIUM,
    severity_reason="as Security Hub's ECS.10 for services (Medium): an old platform misses kernel and runtime patches",
    rationale="A launcher's PlatformVersion overrides the platform its tasks run on.",
    remediation="PlatformVersion: LATEST (or remove it)",
    source="Security Hub ECS.10 (services only)",
    failing=_rule(PlatformVersion="1.3.0"),
    passing=_rule(PlatformVersion="LATEST"),
)
def check_launch_platform(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """SF.LAUNCH_PLATFORM: no launch pins an old Fargate platform version."""
    found: Found = []
    for launch in _launches(logical_id, resource, template):
        old = old_platform(launch, _runs_windows(template, launch))
        if old:
            found.append(Violation(None, f"{launch.where}: pins Fargate platform version {old!r}; use LATEST"))
    return found


@resource_control(
    "SF.LAUNCH_EXEC",
    resource_types=LAUNCHER_TYPES,
    runs_on=LAUNCHER_TYPES,
    title="Launchers do not turn ECS Exec on unless acknowledged",
    requirement="no launcher sets `EnableExecuteCommand` true (`true`, `\"true\"`, `1`) unless acknowledged",
    severity=MEDIUM,
    severity_reason="as SF.EXEC: a shell in running tasks for every holder of ecs:ExecuteCommand; IAM still gates it",
    rationale="ECS Exec opens a shell in the tasks a launcher starts, bypassing the image's entry point.",
    remediation="EnableExecuteCommand: false (or remove it)",
    source="CON316: know what runs; SF.EXEC for services",
    failing=_rule(EnableExecuteCommand=True),
    passing=_rule(EnableExecuteCommand=False),
)
def check_launch_exec(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """SF.LAUNCH_EXEC: no launch enables ECS Exec."""
    found: Found = []
    for launch in read(logical_id, resource, template).launches:
        problem = exec_problem(enables_exec(launch))
        if problem:
            found.append(Violation(None, f"{launch.where}: {problem}"))
    return found


@resource_control(
    "SF.LAUNCH_OVERRIDES",
    resource_types=LAUNCHER_TYPES,
    runs_on=LAUNCHER_TYPES,
    title="Launchers override no role and pass no secret in container overrides",
    requirement="no launcher overrides `TaskRoleArn` or `ExecutionRoleArn`, and no container override carries a "
    "secret-looking environment value or command argument (ECS.8's predicates; overrides in `Overrides` or in an "
    "EventBridge `Input` JSON)",
    severity=HIGH,
    severity_reason="a secret in an override is readable by anyone who can describe the task; a role override runs "
    "the task with an identity nobody reviewed",
    rationale="A launcher can change what a hardened task definition runs with: a plain-text secret in its "
    "environment or command, or another role.",
    remediation="inject secrets through the task definition's Secrets; run the task definition with its own roles "
    "(a job that needs another role gets its own task definition)",
    source="CON316: secrets from a secret store; a task role per task; Security Hub ECS.8 (task definitions only)",
    failing=_rule_with_input(
        {"containerOverrides": [{"name": "app", "environment": [{"name": "DB_PASSWORD", "value": "hunter22"}]}]}
    ),
    passing=_rule_with_input(
        {"containerOverrides": [{"name": "app", "environment": [{"name": "MIGRATION", "value": "0042"}]}]}
    ),
)
def check_launch_overrides(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """SF.LAUNCH_OVERRIDES: no secret in container overrides, no role override."""
    messages: dict[str, None] = {}
    for launch in read(logical_id, resource, template).launches:
        messages.update(dict.fromkeys(override_problems(launch)))
    return [Violation(None, m) for m in messages]


@resource_control(
    "SF.LAUNCH_ROLES",
    resource_types=(*LAUNCHER_TYPES, TASK, "AWS::IAM::Role"),
    runs_on=LAUNCHER_TYPES,
    title="Launchers never run a task with the execution role as its task role",
    requirement="a launcher's `TaskRoleArn` override never designates the execution role the tasks run with (the "
    "override's `ExecutionRoleArn`, else the task definition's), however spelled",
    severity=HIGH,
    severity_reason="the application would hold the execution role's image and secret access (SF.ROLES)",
    acknowledgeable=False,
    rationale="SF.ROLES keeps the application away from the execution role's rights; a launcher override must not "
    "undo it.",
    remediation="remove the TaskRoleArn override, or give it a role of its own",
    source="CON316: a task role separate from the execution role; SF.ROLES",
    failing=_rule_with_input({"taskRoleArn": "arn:aws:iam::123456789012:role/exec"})
    | {"Task": {"Type": TASK, "Properties": {**ex.task()["Task"]["Properties"],
                                             "ExecutionRoleArn": "arn:aws:iam::123456789012:role/exec"}}},
    passing=_rule_with_input({"taskRoleArn": "arn:aws:iam::123456789012:role/job"})
    | {"Task": {"Type": TASK, "Properties": {**ex.task()["Task"]["Properties"],
                                             "ExecutionRoleArn": "arn:aws:iam::123456789012:role/exec"}}},
)
def check_launch_roles(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """SF.LAUNCH_ROLES: no task-role override designates the execution role."""
    messages: dict[str, None] = {}
    for launch in read(logical_id, resource, template).launches:
        messages.update(dict.fromkeys(role_swap_problems(template, launch)))
    return [Violation(None, m) for m in messages]


@resource_control(
    "SF.LAUNCH_UNJUDGED",
    resource_types=(RULE, STATE_MACHINE),
    runs_on=(RULE, STATE_MACHINE),
    title="Every launcher can be judged from the template",
    requirement="a state machine's definition is in the template (`Definition` or a `DefinitionString` that "
    "evaluates to JSON), not `DefinitionS3Location`; an EventBridge `Input` carrying overrides is JSON",
    severity=LOW,
    severity_reason="nothing is known to be weak; the ECS tasks it starts are simply not judged",
    rationale="A definition read from S3 at deploy time can start tasks with any network, role and override: "
    "the pack reports that it could not judge it rather than passing it.",
    remediation="put the definition in the template (DefinitionBody/Definition), or acknowledge with where it is "
    "reviewed",
    source="STYLE: cannot judge is reported, never silently passed",
    failing={"Machine": {"Type": STATE_MACHINE, "Properties": {
        "RoleArn": "arn:aws:iam::123456789012:role/sfn",
        "DefinitionS3Location": {"Bucket": "definitions", "Key": "job.asl.json"}}}},
    passing={"Machine": {"Type": STATE_MACHINE, "Properties": {
        "RoleArn": "arn:aws:iam::123456789012:role/sfn",
        "Definition": {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}}}},
)
def check_launch_unjudged(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """SF.LAUNCH_UNJUDGED: what the pack could not read of a launcher, said rather than passed."""
    return [Violation(None, problem) for problem in read(logical_id, resource, template).unreadable]


# ------------------------------------------------------------------------------- task definitions and ECS calls
def _service_task_definitions(resource: Mapping[str, JSON]) -> list[JSON]:
    value = properties(resource).get("TaskDefinition")
    return [] if value is None else alternatives(value)


def _task_definition_values(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Iterator[
    tuple[str, JSON]
]:
    kind = str(resource.get("Type", "")).strip().lower()
    if kind in (SERVICE.lower(), TASK_SET.lower()):
        for value in _service_task_definitions(resource):
            yield "TaskDefinition", value
        return
    for launch in read(logical_id, resource, template).launches:
        if launch.task_definition is None:
            dynamic = [k for k in ("TaskDefinition.$", "TaskDefinitionArn.$") if k in launch.parameters]
            if dynamic:  # a JSONPath: whoever starts the execution chooses
                yield launch.where, {"Fn::Sub": f"(chosen at run time by {dynamic[0]})"}
            continue
        for value in alternatives(launch.task_definition):
            yield launch.where, value


def _imported(value: JSON) -> bool:
    """An ``Fn::ImportValue`` the set does not resolve: another stack's export, judged where that stack is (the
    hook sees one template at a time; ``check`` over the whole cdk.out resolves it)."""
    return isinstance(value, dict) and list(value) == ["Fn::ImportValue"]


def _shown(rendered: str | None) -> str:
    if rendered is None:
        return "(unreadable)"
    if is_literal(rendered):
        return repr(rendered)
    return "a value known only at deploy time (a parameter, an import from outside the set or another resource)"


@resource_control(
    "SF.EXTERNAL_TASK_DEFINITION",
    resource_types=(SERVICE, TASK_SET, *LAUNCHER_TYPES, TASK),
    runs_on=(SERVICE, TASK_SET, *LAUNCHER_TYPES),
    title="Services, task sets and launchers run task definitions of the template set",
    requirement="`TaskDefinition`/`TaskDefinitionArn` designates an `AWS::ECS::TaskDefinition` of the templates "
    "judged together (by `Ref`, or an `Fn::ImportValue` of another stack's export: one the set does not hold is "
    "judged in its own stack); a literal ARN or family, a parameter or another resource's attribute fails; a "
    "service without one (EXTERNAL deployment controller) passes",
    severity=MEDIUM,
    severity_reason="nothing is known to be weak, but no control judged what runs",
    rationale="A service re-pointed at a task definition outside the template runs something the pack never saw: "
    "every container, role and volume control is silently skipped.",
    remediation="reference the task definition resource (SecureTaskDefinition), or judge its template in the same "
    "check; acknowledge with where the external definition is reviewed",
    source="CON316: know what runs",
    failing=ex.service(TaskDefinition="arn:aws:ecs:eu-west-1:123456789012:task-definition/other:7"),
    passing=ex.service(TaskDefinition={"Ref": "Task"}),
)
def check_external_task_definition(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """SF.EXTERNAL_TASK_DEFINITION: what runs is a task definition of the set."""
    found: dict[str, None] = {}
    for where, value in _task_definition_values(logical_id, resource, template):
        _, key, rendered = _task_definition_key(template, value)
        if key is None and not _imported(value):
            found[f"{where}: runs task definition {_shown(rendered)}, which is not in the templates judged: "
                  "no control judged it"] = None
    return [Violation(None, m) for m in found]


def sdk_calls(template: Template, resource: Mapping[str, JSON]) -> Iterator[tuple[str, str, Mapping[str, JSON]]]:
    """The ECS write calls an ``AwsCustomResource`` (``Custom::AWS``) makes: (``Create``/``Update``/``Delete``,
    the call's API name, its parameters in CloudFormation's PascalCase)."""
    props = properties(resource)
    for key in ("Create", "Update", "Delete"):
        for text in _rendered(template, props.get(key)):
            try:
                body = json.loads(text, strict=False)
            except (ValueError, RecursionError):
                continue
            if not isinstance(body, dict) or str(body.get("service", "")).lower().removeprefix("@aws-sdk/client-") != (
                "ecs"
            ):
                continue
            name = _WRITE_ACTIONS.get(str(body.get("action", "")).lower().removesuffix("command"))
            parameters = body.get("parameters")
            if name:
                yield key, name, _pascal(parameters) if isinstance(parameters, dict) else {}


def _custom_calls(template: Template, resource: Mapping[str, JSON]) -> set[str]:
    """The ECS write calls of an ``AwsCustomResource`` but RunTask/StartTask (launches, judged as such) and an
    UpdateService that only redeploys."""
    return {
        name
        for _, name, parameters in sdk_calls(template, resource)
        if name not in ("RunTask", "StartTask") and not _only_redeploys(name, [parameters])
    }


def _provider_calls(template: Template, resource: Mapping[str, JSON]) -> set[str]:
    """The ECS write calls a custom resource's provider function may make (its role's effective permissions)."""
    template_set = template_set_of(template)
    calls: set[str] = set()
    for token in alternatives(properties(resource).get("ServiceToken")):
        key = template_set.resource_key(template, token)
        function = template_set.resource(key) if key else None
        if function is None or str(function.get("Type")) != "AWS::Lambda::Function":
            continue
        function_template = template_set.templates[key[0]]  # type: ignore[index]
        for role_value in alternatives(properties(function).get("Role")):
            role = iam.role_of(function_template, role_value, template_set)
            if role is None:
                continue
            perms = iam.permissions(role, template_set)
            calls.update(a for a in ECS_WRITE_ACTIONS if perms.allowing(f"ecs:{a}"))
    return calls


#: ``UpdateService`` parameters that redeploy or rescale a service without changing what it runs (the library's
#: own redeploy after a secret rotation sends exactly ``Cluster``, ``Service``, ``ForceNewDeployment``).
REDEPLOY_PARAMETERS = frozenset({"cluster", "service", "forcenewdeployment", "desiredcount"})


def _only_redeploys(name: str, parameter_sets: list[Mapping[str, JSON]]) -> bool:
    """True for an ``UpdateService`` every form of whose parameters only redeploys or rescales (keys compared
    without case or a JSONPath ``.$``, so the SDK's camelCase and Step Functions' PascalCase read alike)."""
    if name != "UpdateService" or not parameter_sets:
        return False
    return all({str(k).lower().removesuffix(".$") for k in p} <= REDEPLOY_PARAMETERS for p in parameter_sets)


def _machine_calls(logical_id: str, machine: Mapping[str, JSON], template: Template) -> set[str]:
    calls: set[str] = set()
    for doc in definitions(logical_id, machine, template)[0]:
        for _, state in states(doc):
            for resource in _state_resources(template, state):
                match = _SDK_ECS_RESOURCE.search(resource)
                name = _WRITE_ACTIONS.get(match.group(1).lower()) if match else None
                parameters = [p for key in ("Parameters", "Arguments") for p in objects(state.get(key))]
                if name and name not in ("RunTask", "StartTask") and not _only_redeploys(name, parameters):
                    calls.add(name)  # RunTask and StartTask are launches: judged as such
    return calls


@resource_control(
    "SF.ECS_WRITE_CALLS",
    resource_types=(*CUSTOM_RESOURCE_TYPES, STATE_MACHINE, "AWS::Lambda::Function", "AWS::IAM::Role"),
    runs_on=(*CUSTOM_RESOURCE_TYPES, STATE_MACHINE),
    title="No custom resource or state machine calls ECS write APIs",
    requirement="no `AwsCustomResource` (`Custom::AWS`) whose Create/Update/Delete calls an ECS write API "
    "(RunTask, UpdateService, RegisterTaskDefinition, ...), no custom resource whose provider function's role may "
    "call one, no state machine `aws-sdk:ecs:` state calling one; RunTask is judged as a launch instead; an "
    "UpdateService that only redeploys or rescales (`Cluster`, `Service`, `ForceNewDeployment`, `DesiredCount`) "
    "passes",
    severity=HIGH,
    severity_reason="it changes what runs outside the template: every control can be bypassed at deploy time",
    rationale="A custom resource calling ecs:UpdateService can re-point a hardened service at any task definition, "
    "or RunTask one, where neither the template nor the hook sees it.",
    remediation="declare the ECS change as a resource (a service, SecureOneOffTask for a task run at deploy); "
    "acknowledge a reviewed call with its reason",
    source="CON316: know what runs",
    failing={"Call": {"Type": "Custom::AWS", "Properties": {
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:provider",
        "Create": json.dumps({"service": "ECS", "action": "updateService",
                              "parameters": {"service": "api", "taskDefinition": "other:7"}})}}},
    passing={"Call": {"Type": "Custom::AWS", "Properties": {
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:provider",
        "Create": json.dumps({"service": "ECS", "action": "describeServices", "parameters": {"services": ["api"]}})}}},
)
def check_ecs_write_calls(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """SF.ECS_WRITE_CALLS: custom resources and state machines make no ECS write call."""
    kind = str(resource.get("Type", "")).strip().lower()
    if kind == STATE_MACHINE.lower():
        calls, how = _machine_calls(logical_id, resource, template), "a state calls"
    elif kind == AWS_CUSTOM.lower():
        calls, how = _custom_calls(template, resource), "calls"
    else:
        calls, how = _provider_calls(template, resource), "its provider function's role may call"
        if kind == ONE_OFF.lower():
            calls.discard("RunTask")  # the one-off run itself, judged as a launcher
    if not calls:
        return []
    listed = ", ".join(f"ecs:{c}" for c in sorted(calls))
    return [Violation(None, f"{how} {listed}: it changes what runs outside the template")]


def construct_made(task: Mapping[str, JSON]) -> bool:
    """True when the constructs recorded on the task definition that they made it."""
    meta = task.get("Metadata")
    block = meta.get("secure-fargate") if isinstance(meta, dict) else None
    return isinstance(block, dict) and any(key in block for key in CONSTRUCT_KEYS)


def _not_fargate(values: list[JSON] | _Unknown) -> list[JSON]:
    return _may(values, lambda v: v is not None and str(v).strip().upper() not in ("FARGATE", "FARGATE_SPOT"))


def _launch_type_problems(template: Template, logical_id: str) -> Iterator[str]:
    """The services, task sets and launchers of the set that run task ``logical_id`` off Fargate."""
    template_set = template_set_of(template)
    here = template_set.index(template)
    kinds = (SERVICE, TASK_SET, *LAUNCHER_TYPES)
    for index, rid, resource in template_set.of_type(*kinds):
        owner = template_set.templates[index]
        kind = str(resource.get("Type", "")).strip().lower()
        launches = (
            [Launch(rid, properties(resource))] if kind in (SERVICE.lower(), TASK_SET.lower())
            else list(read(rid, resource, owner).launches)
        )
        for launch in launches:
            keys = [_task_definition_key(owner, v)[1] for v in alternatives(launch.task_definition)]
            if (here, logical_id) not in keys:
                continue
            bad = _not_fargate(possible_values(launch.value("LaunchType")))
            for strategy in items(launch.value("CapacityProviderStrategy")):
                bad += _not_fargate(values_at(strategy, "CapacityProvider"))
            if bad:
                yield f"{template_set.describe((index, rid))} ({launch.where}) runs it with {bad[0]!r}"


@resource_control(
    "SF.OFF_FARGATE",
    resource_types=(TASK, SERVICE, TASK_SET, *LAUNCHER_TYPES),
    title="Task definitions our constructs made stay on Fargate",
    requirement="a task definition recorded as construct-made (`Metadata` `secure-fargate` `construct` or `agent`) "
    "keeps `FARGATE` in `RequiresCompatibilities` (every branch), and no service, task set or launcher of the set "
    "runs it with another launch type or capacity provider",
    severity=HIGH,
    severity_reason="the construct's guarantees assume Fargate's isolation; on EC2 the task shares a host",
    rationale="The constructs harden for Fargate (no host, one ENI, the platform's isolation); an override that "
    "moves the task to EC2 runs it on a shared host with none of those guarantees.",
    remediation="run it with LaunchType FARGATE (or a FARGATE/FARGATE_SPOT capacity provider); an EC2 workload gets "
    "a task definition of its own",
    source="CON316: Fargate isolation",
    failing={"Task": {**ex.task(RequiresCompatibilities=["EC2"])["Task"],
                      "Metadata": {"secure-fargate": {"construct": "SecureTaskDefinition"}}}},
    passing={"Task": {**ex.task()["Task"], "Metadata": {"secure-fargate": {"construct": "SecureTaskDefinition"}}}},
)
def check_off_fargate(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.OFF_FARGATE: a construct-made task definition is not moved off Fargate."""
    if not construct_made(task):
        return []
    found: Found = []
    for option in _may(possible_values(properties(task).get("RequiresCompatibilities")), lambda v: True):
        if not (isinstance(option, list) and "FARGATE" in option):
            found.append(Violation(None, f"RequiresCompatibilities is {option!r}: the construct made it for FARGATE"))
            break
    found += [Violation(None, m) for m in dict.fromkeys(_launch_type_problems(template, logical_id))]
    return found
