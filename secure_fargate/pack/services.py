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
    objects,
    objects_at,
    possible_values,
    properties,
    referenced_logical_id,
    shallow_branches,
    shallow_values,
    values_at,
)
from .control import CLUSTER, FSBP, HIGH, MEDIUM, SERVICE, Violation, resource_control
from .template_set import TemplateSet, alternatives, is_literal, template_set_of

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
    problem = exec_problem(_exec_enabled(service))
    if not problem:
        return []
    _, outside = exec_clusters(template, service)
    if outside:  # reported here, never silently passed: SF.EXEC_LOGGING cannot see these clusters
        problem += (
            f"; its cluster {', '.join(dict.fromkeys(outside))} is not in the templates judged, so its session "
            "logging (SF.EXEC_LOGGING) is judged where that cluster's template is, or by scan"
        )
    return [Violation(None, problem)]


# ------------------------------------------------------------------------------------ Service Connect TLS


def _service_connect_tls_problems(config: Mapping[str, JSON]) -> list[str]:
    """The client-server entries (``Services``) of one enabled Service Connect configuration that serve without
    TLS (no ``Tls.IssuerCertificateAuthority.AwsPcaAuthorityArn`` in some branch); [] for a client-only one."""
    enabled = possible_values(config.get("Enabled"))
    if isinstance(enabled, _Unknown) or not any(may_be_true(v) for v in enabled):
        return []
    found: list[str] = []
    for entry in items(config.get("Services")):
        if not isinstance(entry, dict):
            continue
        authorities = values_at(entry, "Tls", "IssuerCertificateAuthority", "AwsPcaAuthorityArn")
        if not isinstance(authorities, _Unknown) and any(a is ABSENT or a in (None, "") for a in authorities):
            name = literal_value(entry.get("PortName"))
            found.append(name if isinstance(name, str) else "?")
    return found


@resource_control(
    "SF.SERVICE_CONNECT_TLS",
    resource_types=(SERVICE,),
    title="Service Connect services serve over TLS",
    requirement="an enabled `ServiceConnectConfiguration` whose `Services` (client-server endpoints) each have "
    "`Tls.IssuerCertificateAuthority.AwsPcaAuthorityArn`; client-only Service Connect (no `Services`) and a "
    "disabled one pass",
    severity=MEDIUM,
    severity_reason="traffic between tasks in the VPC is readable and forgeable by whoever reaches the network path",
    rationale="Service Connect proxies carry service-to-service traffic in plain text unless TLS is configured; with "
    "TLS, ECS issues certificates from an AWS Private CA and the proxies encrypt and authenticate the server. A "
    "client-only service serves nothing: its outgoing calls are encrypted when the server it calls has TLS, which "
    "this control judges on that server.",
    remediation="give each ServiceConnectService a Tls block (a Private CA, the ECS infrastructure role for TLS, a "
    "KMS key): SecureFargateService(service_connect_tls=ServiceConnectTls(certificate_authority=...))",
    source="CON316: encrypt data in transit; AWS ECS developer guide, Service Connect TLS",
    failing=ex.service(
        ServiceConnectConfiguration={"Enabled": True, "Namespace": "internal", "Services": [{"PortName": "api"}]}
    ),
    passing=ex.service(
        ServiceConnectConfiguration={
            "Enabled": True,
            "Namespace": "internal",
            "Services": [
                {
                    "PortName": "api",
                    "Tls": {
                        "IssuerCertificateAuthority": {
                            "AwsPcaAuthorityArn": "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/1"
                        },
                        "RoleArn": {"Fn::GetAtt": ["TlsRole", "Arn"]},
                    },
                }
            ],
        }
    ),
)
def check_service_connect_tls(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """SF.SERVICE_CONNECT_TLS: every branch of an enabled Service Connect configuration with client-server
    entries gives each entry a TLS issuer; what deploy time alone knows is not guessed."""
    names: list[str] = []
    for config in objects(properties(service).get("ServiceConnectConfiguration")):
        names += [n for n in _service_connect_tls_problems(config) if n not in names]
    if not names:
        return []
    return [Violation(None, f"Service Connect serves {', '.join(names)} without TLS (Services[].Tls)")]


# ------------------------------------------------------------------------------------ ECS Exec session logging


def exec_logging_problem(cluster: Mapping[str, JSON]) -> str | None:
    """SF.EXEC_LOGGING on one cluster: None when every branch of its ExecuteCommandConfiguration has a KmsKeyId
    and logs sessions (DEFAULT: to the task's awslogs group; OVERRIDE: to a CloudWatch log group and/or an S3
    bucket, each with its encryption flag true), else what is missing."""
    configurations = values_at(properties(cluster), "Configuration", "ExecuteCommandConfiguration")
    if not isinstance(configurations, _Unknown) and ABSENT in configurations:
        return "has no ExecuteCommandConfiguration (sessions are neither logged nor encrypted with a KMS key)"
    for config in objects_at(properties(cluster), "Configuration", "ExecuteCommandConfiguration"):
        problem = _session_logging_problem(config)
        if problem:
            return problem
    return None


def _absent(values: list[JSON] | _Unknown) -> bool:
    return not isinstance(values, _Unknown) and any(v is ABSENT or v in (None, "") for v in values)


def _session_logging_problem(config: Mapping[str, JSON]) -> str | None:
    if _absent(values_at(config, "KmsKeyId")):
        return "ExecuteCommandConfiguration has no KmsKeyId (sessions are not encrypted with a customer key)"
    modes = values_at(config, "Logging")
    modes = [] if isinstance(modes, _Unknown) else [("DEFAULT" if m is ABSENT else str(m).upper()) for m in modes]
    if "NONE" in modes:
        return "ExecuteCommandConfiguration.Logging is NONE (sessions are not logged)"
    if "OVERRIDE" not in modes:
        return None
    if _absent(values_at(config, "LogConfiguration")):
        return "Logging OVERRIDE without a LogConfiguration (sessions are logged nowhere)"
    for destination in objects_at(config, "LogConfiguration"):
        problem = _destination_problem(destination)
        if problem:
            return problem
    return None


#: The session-log destinations of ``Logging: OVERRIDE``: (name key, encryption flag key, what it is).
_EXEC_DESTINATIONS = (
    ("CloudWatchLogGroupName", "CloudWatchEncryptionEnabled", "CloudWatch log group"),
    ("S3BucketName", "S3EncryptionEnabled", "S3 bucket"),
)


def _destination_problem(destination: Mapping[str, JSON]) -> str | None:
    """One branch of an OVERRIDE ``LogConfiguration``: at least one destination, each with its encryption on."""
    named = 0
    for name_key, flag_key, kind in _EXEC_DESTINATIONS:
        names = values_at(destination, name_key)
        if not isinstance(names, _Unknown) and all(n is ABSENT or n in (None, "") for n in names):
            continue
        named += 1 if not _absent(names) else 0
        flags = values_at(destination, flag_key)
        if not isinstance(flags, _Unknown) and any(not may_be_true(f) for f in flags):
            return f"Exec sessions are logged to a {kind} without {flag_key}: true"
    if named == 0:
        return "Logging OVERRIDE without a destination in some branch (no log group or bucket named)"
    return None


def exec_clusters(template: Template, service: Mapping[str, JSON]) -> tuple[list[str], list[str]]:
    """The service's cluster through every branch: (problems of the clusters the template set holds, how each
    cluster it does not hold is named). An absent ``Cluster`` is the account's ``default`` cluster."""
    found_set = template_set_of(template)
    problems: list[str] = []
    outside: list[str] = []
    for value in alternatives(properties(service).get("Cluster")) or [None]:
        rendered = found_set.render(template, value) if value is not None else "default"
        key = found_set.resource_key(template, value) if value is not None else None
        keys = [key] if key is not None else _clusters_named(found_set, rendered)
        clusters = [(k, c) for k in keys if (c := found_set.resource(k)) is not None and c.get("Type") == CLUSTER]
        if not clusters:
            outside.append(rendered or "<deploy-time>")
        for found_key, cluster in clusters:
            problem = exec_logging_problem(cluster)
            if problem:
                problems.append(f"its cluster {found_set.describe(found_key)} {problem}")
    return problems, outside


def _clusters_named(found_set: TemplateSet, rendered: str | None) -> list[tuple[int, str]]:
    """The clusters of the set a literal name or ARN designates (by their literal ``ClusterName``): a service
    may name a cluster of the same app by its name instead of a ``Ref``."""
    if rendered is None or not is_literal(rendered):
        return []
    found: list[tuple[int, str]] = []
    for index, logical_id, cluster in found_set.of_type(CLUSTER):
        names = possible_values(properties(cluster).get("ClusterName"))
        for name in [] if isinstance(names, _Unknown) else names:  # any branch's name may be the one named
            if isinstance(name, str) and name and (rendered == name or rendered.endswith(f":cluster/{name}")):
                found.append((index, logical_id))
                break
    return found


def _exec_enabled(service: Mapping[str, JSON]) -> bool:
    options = possible_values(properties(service).get("EnableExecuteCommand"))
    return not isinstance(options, _Unknown) and any(may_be_true(v) for v in options)


@resource_control(
    "SF.EXEC_LOGGING",
    resource_types=(SERVICE, CLUSTER),
    title="ECS Exec sessions are logged and encrypted",
    requirement="a service with `EnableExecuteCommand: true` runs on a cluster (of the templates judged) whose "
    "`Configuration.ExecuteCommandConfiguration` has a `KmsKeyId` and `Logging` DEFAULT (the task's awslogs group) "
    "or OVERRIDE to a CloudWatch log group (`CloudWatchEncryptionEnabled: true`) and/or an S3 bucket "
    "(`S3EncryptionEnabled: true`); `Logging: NONE` fails. A cluster outside the templates (imported ARN, the "
    "default cluster) is not judged here: SF.EXEC's finding names it, and `scan` judges it",
    severity=HIGH,
    severity_reason="an interactive shell in production whose commands leave no trail",
    acknowledgeable=False,
    rationale="ECS Exec is an interactive shell in running tasks. Allowed at all only as an acknowledged exception "
    "(SF.EXEC), it must leave a trail: each session's commands and output logged to an encrypted destination, "
    "the session channel encrypted with a customer-managed key. The trail is the condition of the exception, so "
    "this control is an invariant; turn Exec off instead.",
    remediation="SecureCluster(execute_command_logging=True) (a KMS key and an encrypted log group), or turn ECS Exec "
    "off",
    source="CON316: know what runs, keep a trail; AWS ECS developer guide, ECS Exec logging",
    failing={**ex.service(EnableExecuteCommand=True, Cluster={"Ref": "Cluster"}), **ex.cluster()},
    passing={
        **ex.service(EnableExecuteCommand=True, Cluster={"Ref": "Cluster"}),
        **ex.cluster(
            Configuration={
                "ExecuteCommandConfiguration": {
                    "KmsKeyId": {"Ref": "ExecKey"},
                    "Logging": "OVERRIDE",
                    "LogConfiguration": {
                        "CloudWatchLogGroupName": {"Ref": "ExecLogs"},
                        "CloudWatchEncryptionEnabled": True,
                    },
                }
            }
        ),
    },
)
def check_exec_logging(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """SF.EXEC_LOGGING: a service with ECS Exec on runs on a cluster that logs and encrypts the sessions."""
    if not _exec_enabled(service):
        return []
    problems, _ = exec_clusters(template, service)
    return [Violation(None, f"enables ECS Exec but {p}") for p in problems]
