"""Service- and cluster-level controls: public IPs, platform version, Container Insights (ingress: ``ingress``)."""

from __future__ import annotations

from collections.abc import Mapping

from . import examples as ex
from ._template import (
    ABSENT,
    JSON,
    UNKNOWN,
    Template,
    _Unknown,
    items,
    literal_value,
    may_be_true,
    possible_values,
    properties,
    referenced_logical_id,
    shallow_branches,
    shallow_values,
    values_at,
)
from .control import CLUSTER, FSBP, HIGH, MEDIUM, SERVICE, Violation, resource_control

Found = list[Violation]
CAPACITY_PROVIDER_ASSOCIATIONS = "AWS::ECS::ClusterCapacityProviderAssociations"

#: Platform versions Security Hub ECS.10 accepts for Linux Fargate tasks.
LATEST_PLATFORM_VERSIONS: frozenset[str] = frozenset({"LATEST", "1.4.0"})
#: The latest platform version of Windows Fargate tasks (Windows has its own numbering), for launchers.
LATEST_WINDOWS_PLATFORM_VERSIONS: frozenset[str] = frozenset({"LATEST", "1.0.0"})


def assign_public_ip(resource: Mapping[str, JSON]) -> list[JSON] | _Unknown:
    """Every value a service's or task set's ``AssignPublicIp`` may take, through every branch (task sets spell
    the block ``AwsVpcConfiguration``, services ``AwsvpcConfiguration``: both are read)."""
    found: list[JSON] = []
    for block in ("AwsvpcConfiguration", "AwsVpcConfiguration"):
        values = values_at(properties(resource), "NetworkConfiguration", block, "AssignPublicIp")
        found += [] if isinstance(values, _Unknown) else values
    return found or UNKNOWN


@resource_control(
    "ECS.2",
    resource_types=(SERVICE,),
    title="Services do not assign public IP addresses",
    requirement="services do not assign public IPs",
    severity=HIGH,
    severity_reason="Security Hub rates ECS.2 High: each task's ENI is reachable from the internet",
    standards=(FSBP,),
    rationale="A public IP puts each task's ENI directly on the internet; CON316: private subnets, one ENI per task.",
    remediation="AssignPublicIp: DISABLED and private subnets with a NAT gateway or VPC endpoints "
    "(SecureFargateService never assigns one)",
    source="CON316: one security group and ENI per task, in private subnets; Security Hub ECS.2",
    failing=ex.service(NetworkConfiguration=ex.awsvpc(AssignPublicIp="ENABLED")),
    passing=ex.service(NetworkConfiguration=ex.awsvpc(AssignPublicIp="DISABLED")),
)
def check_public_ip(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """ECS.2: the service must not assign public IPs to its tasks."""
    options = assign_public_ip(service)
    if not isinstance(options, _Unknown) and any(str(v).upper() == "ENABLED" for v in options):
        return [Violation(None, "assigns public IP addresses to its tasks (AssignPublicIp: ENABLED)")]
    return []


#: The capacity providers that run tasks on Fargate.
FARGATE_PROVIDERS: frozenset[str] = frozenset({"FARGATE", "FARGATE_SPOT"})


def runs_on_fargate(service: Mapping[str, JSON], template: Template | None) -> bool:
    """True when a service (or task set) may run its tasks on Fargate, in any branch: ``LaunchType: FARGATE``, a
    ``FARGATE``/``FARGATE_SPOT`` capacity provider, or, with neither (both absent), its cluster's default capacity
    provider strategy (the Cluster's ``DefaultCapacityProviderStrategy`` or an
    ``AWS::ECS::ClusterCapacityProviderAssociations`` of it), which ECS then uses. A default strategy of EC2
    capacity providers, or no default at all (ECS then launches on EC2), is not Fargate."""
    props = properties(service)
    launch_types = possible_values(props.get("LaunchType"))
    if not isinstance(launch_types, _Unknown) and "FARGATE" in launch_types:
        return True
    if _fargate_strategy(props.get("CapacityProviderStrategy")):
        return True
    strategies = shallow_values(props.get("CapacityProviderStrategy"))
    no_launch_type = not isinstance(launch_types, _Unknown) and ABSENT in launch_types
    no_strategy = any(s is ABSENT or s == [] for s in strategies)
    if template is None or not (no_launch_type and no_strategy):
        return False
    return any(_fargate_strategy(s) for s in cluster_default_strategies(props.get("Cluster"), template))


def _fargate_strategy(strategy: JSON) -> bool:
    for item in items(strategy):
        providers = values_at(item, "CapacityProvider")
        if not isinstance(providers, _Unknown) and FARGATE_PROVIDERS & set(map(str, providers)):
            return True
    return False


def cluster_default_strategies(cluster: JSON, template: Template) -> list[JSON]:
    """The default capacity provider strategies of the cluster ``cluster`` names (every branch): the cluster's own
    ``DefaultCapacityProviderStrategy`` and each ``ClusterCapacityProviderAssociations`` of it. [] when the cluster
    is not a resource of ``template`` (the default cluster, another stack's: known only at deploy time)."""
    found: list[JSON] = []
    for option in shallow_branches(cluster) if cluster is not None else []:
        logical_id = referenced_logical_id(option)
        resource = template.resource(logical_id)
        if resource is None or str(resource.get("Type", "")).strip().lower() != CLUSTER.lower():
            continue
        found.append(properties(resource).get("DefaultCapacityProviderStrategy"))
        for _, association in template.of_type(CAPACITY_PROVIDER_ASSOCIATIONS):
            names = [referenced_logical_id(b) for b in shallow_branches(properties(association).get("Cluster"))]
            if logical_id in names:
                found.append(properties(association).get("DefaultCapacityProviderStrategy"))
    return found


@resource_control(
    "ECS.10",
    resource_types=(SERVICE, CLUSTER, CAPACITY_PROVIDER_ASSOCIATIONS),
    title="Fargate services run the latest platform version",
    requirement="Fargate services on `LATEST` or `1.4.0` (absent = LATEST); a service with neither `LaunchType` "
    "nor `CapacityProviderStrategy` runs on its cluster's default capacity provider strategy, and is judged when "
    "that holds FARGATE or FARGATE_SPOT",
    severity=MEDIUM,
    severity_reason="Security Hub rates ECS.10 Medium: an old platform misses kernel and runtime patches",
    standards=(FSBP,),
    rationale="Platform versions carry kernel and runtime patches; 1.4.0 adds the task-ENI model.",
    remediation="PlatformVersion: LATEST (or remove it)",
    source="Security Hub ECS.10",
    failing=ex.service(PlatformVersion="1.3.0"),
    passing=ex.service(PlatformVersion="LATEST"),
)
def check_platform_version(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """ECS.10: a Fargate service runs the latest platform version (absent means LATEST)."""
    if not runs_on_fargate(service, template):
        return []
    options = possible_values(properties(service).get("PlatformVersion"))
    if isinstance(options, _Unknown):
        return []
    old = [v for v in options if v is not None and str(v) not in LATEST_PLATFORM_VERSIONS]
    if old:
        return [Violation(None, f"pins Fargate platform version {old[0]!r}; use LATEST (or 1.4.0)")]
    return []


@resource_control(
    "ECS.12",
    resource_types=(CLUSTER,),
    title="Clusters have Container Insights enabled",
    requirement="cluster `containerInsights` enabled or enhanced",
    severity=MEDIUM,
    severity_reason="Security Hub rates ECS.12 Medium: less to detect and respond with, no direct exposure",
    standards=(FSBP,),
    rationale="Insight into what runs is the base of detection and response.",
    remediation="ClusterSettings: [{Name: containerInsights, Value: enhanced}] (SecureCluster enables it)",
    source="Security Hub ECS.12",
    failing=ex.cluster(ClusterSettings=[{"Name": "containerInsights", "Value": "disabled"}]),
    passing=ex.cluster(ClusterSettings=[{"Name": "containerInsights", "Value": "enhanced"}]),
)
def check_container_insights(logical_id: str, cluster: Mapping[str, JSON], template: Template) -> Found:
    """ECS.12: the cluster has Container Insights enabled (or enhanced)."""
    for settings in shallow_values(properties(cluster).get("ClusterSettings")) or [ABSENT]:
        if not _insights_on(settings):
            return [Violation(None, "Container Insights is not enabled (ClusterSettings containerInsights)")]
    return []


def _insights_on(settings: JSON) -> bool:
    """True when one possible ``ClusterSettings`` list enables Container Insights in every branch of its item (or
    may, at deploy time)."""
    for setting in settings if isinstance(settings, list) else []:
        alternatives = shallow_values(setting)
        if alternatives and all(_enables_insights(candidate) for candidate in alternatives):
            return True
    return False


def _enables_insights(setting: JSON) -> bool:
    if not isinstance(setting, dict) or literal_value(setting.get("Name")) != "containerInsights":
        return False
    options = possible_values(setting.get("Value"))
    return isinstance(options, _Unknown) or all(v in ("enabled", "enhanced") for v in options)


def exec_problem(enabled: bool) -> str | None:
    """SF.EXEC: None unless ECS Exec is enabled (a shell into running tasks, which needs an acknowledgement)."""
    if enabled:
        return (
            "enables ECS Exec (EnableExecuteCommand: true): anyone allowed ecs:ExecuteCommand gets a shell in the tasks"
        )
    return None


@resource_control(
    "SF.EXEC",
    resource_types=(SERVICE,),
    title="ECS Exec is off unless acknowledged",
    requirement="`EnableExecuteCommand` is not true unless acknowledged",
    severity=MEDIUM,
    severity_reason="a shell in running tasks for every holder of ecs:ExecuteCommand; IAM still gates it",
    rationale="ECS Exec opens a shell in running tasks to anyone allowed ecs:ExecuteCommand, bypassing the image's "
    "entry point; it is a deliberate, reasoned exception.",
    remediation="EnableExecuteCommand: false (SecureFargateService leaves it off)",
    source="CON316: know what runs; least privilege",
    failing=ex.service(EnableExecuteCommand=True),
    passing=ex.service(EnableExecuteCommand=False),
)
def check_exec(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """SF.EXEC: ECS Exec is off unless acknowledged (every possible value of EnableExecuteCommand)."""
    options = possible_values(properties(service).get("EnableExecuteCommand"))
    problem = exec_problem(not isinstance(options, _Unknown) and any(may_be_true(v) for v in options))
    return [Violation(None, problem)] if problem else []
