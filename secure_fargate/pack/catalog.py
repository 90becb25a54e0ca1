"""The guardrail pack: control IDs wired to their rule functions, with title, severity and rationale.

This module only wires; the logic of each control lives in ``containers``, ``tasks``, ``services`` or ``iam``.
Security Hub IDs are used where AWS defines the control; ``SF.*`` IDs are ours, for the CON316 controls that
Security Hub does not cover.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from . import containers, ecr, iam, ingress, runtime, services, storage, tags, tasks, tasksets
from ._template import JSON, Template

#: What a check returns: (container, message) or (container, message, item) per violation.
Found = Sequence[tuple[Any, ...]]
ResourceCheck = Callable[[str, Mapping[str, JSON], Template], Found]
#: A container check returns a message, None, or (item, message) pairs (one per variable, mount path, ...).
ContainerCheck = Callable[[Mapping[str, JSON]], "str | list[tuple[str | None, str]] | None"]

TASK = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"
CLUSTER = "AWS::ECS::Cluster"
TASK_SET = "AWS::ECS::TaskSet"
REPOSITORY = "AWS::ECR::Repository"


def _containers(logical_id: str, task: Mapping[str, JSON], template: Template | None) -> list[Mapping[str, JSON]]:
    """The task's containers, resolved once per template (every container control walks them)."""
    if template is None:
        return list(tasks.containers(task))
    return template.memo(("containers", logical_id), lambda: list(tasks.containers(task)))  # type: ignore[no-any-return]


def per_container(check: ContainerCheck) -> ResourceCheck:
    """Lift a container-level check to a task-definition check that reports each violating container."""

    def run(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
        found: list[tuple[str | None, str, str | None]] = []
        for container in _containers(logical_id, task, template):
            result = check(container)
            name = containers.container_name(container)
            if isinstance(result, list):
                found.extend((name, message, item) for item, message in result)
            elif result:
                found.append((name, result, None))
        return found

    run.__doc__ = check.__doc__
    return run


def _all(*checks: ResourceCheck) -> ResourceCheck:
    def run(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
        return [item for check in checks for item in check(logical_id, resource, template)]

    return run


@dataclass(frozen=True)
class Control:
    """One control: what it requires, why, and the pure function that judges a resource."""

    id: str
    title: str
    resource_type: str
    check: ResourceCheck
    rationale: str
    security_hub: bool = False
    severity: str = "error"
    #: False for the invariants the library exists for: no acknowledgement silences them.
    acknowledgeable: bool = True
    #: What to change to comply (shown as the plugin's suggested fix).
    fix: str = ""


CONTROLS: tuple[Control, ...] = (
    Control(
        "ECS.2",
        "Services do not assign public IP addresses",
        SERVICE,
        services.check_public_ip,
        "A public IP puts each task's ENI directly on the internet; CON316: private subnets, one ENI per task.",
        security_hub=True,
        fix="AssignPublicIp: DISABLED and private subnets with a NAT gateway or VPC endpoints (SecureFargateService "
        "never assigns one); to accept: acknowledge(scope, 'ECS.2', reason)",
    ),
    Control(
        "ECS.3",
        "Tasks do not share the host's process namespace",
        TASK,
        tasks.check_host_pid,
        "pidMode host exposes every process on the host to the container.",
        security_hub=True,
        acknowledgeable=False,
        fix="remove PidMode: host (use PidMode: task for a security agent that must see the task's processes)",
    ),
    Control(
        "ECS.4",
        "Containers do not run privileged",
        TASK,
        per_container(containers.check_privileged),
        "A privileged container has every capability and device of the host; Fargate rejects it at deploy.",
        security_hub=True,
        acknowledgeable=False,
        fix="remove Privileged or set it false; add the one capability needed (only SYS_PTRACE on Fargate) instead",
    ),
    Control(
        "ECS.5",
        "Containers have a read-only root filesystem",
        TASK,
        per_container(containers.check_readonly_root),
        "A writable root lets an intruder drop tools and persist; writable paths should be explicit volumes.",
        security_hub=True,
        fix="ReadonlyRootFilesystem: true and mount writable paths as task volumes (ContainerOptions.writable_paths); "
        "to accept: acknowledge(scope, 'ECS.5', reason, container=...)",
    ),
    Control(
        "ECS.8",
        "No secret in plain environment variables or on the command line",
        TASK,
        per_container(containers.check_environment),
        "Environment values and command lines are visible in the task definition to every ecs:DescribeTaskDefinition "
        "caller, and in logs; secret names are judged by name (DB_PASS, STRIPE_KEY, ...) and values by shape "
        "(scheme://user:pass@, AKIA..., PEM keys, tokens).",
        security_hub=True,
        fix="move the value to Secrets (ValueFrom a Secrets Manager secret or SSM parameter: "
        "ContainerOptions.secrets); "
        "for a name that only looks secret: acknowledge(scope, 'ECS.8', reason, container=..., variable=...)",
    ),
    Control(
        "ECS.9",
        "Containers ship logs: a real log driver with its destination",
        TASK,
        per_container(containers.check_logging),
        "Without logs there is no trail of what ran: LogDriver none, host-only drivers (json-file, journald) and a "
        "driver without its destination (awslogs without awslogs-group) keep none.",
        security_hub=True,
        fix="LogConfiguration with LogDriver awslogs and an awslogs-group option (SecureFargateService creates the "
        "log group); to accept: acknowledge(scope, 'ECS.9', reason, container=...)",
    ),
    Control(
        "ECS.10",
        "Fargate services run the latest platform version",
        SERVICE,
        services.check_platform_version,
        "Platform versions carry kernel and runtime patches; 1.4.0 adds the task-ENI model.",
        security_hub=True,
        fix="PlatformVersion: LATEST (or remove it); to accept: acknowledge(scope, 'ECS.10', reason)",
    ),
    Control(
        "ECS.12",
        "Clusters have Container Insights enabled",
        CLUSTER,
        services.check_container_insights,
        "Insight into what runs is the base of detection and response.",
        security_hub=True,
        fix="ClusterSettings: [{Name: containerInsights, Value: enhanced}] (SecureCluster enables it); to accept: "
        "acknowledge(scope, 'ECS.12', reason)",
    ),
    Control(
        "ECS.17",
        "Tasks do not use the host network mode",
        TASK,
        tasks.check_host_network,
        "Host networking removes the per-task ENI and security group isolation.",
        security_hub=True,
        acknowledgeable=False,
        fix="NetworkMode: awsvpc (one ENI and security group per task)",
    ),
    Control(
        "ECS.20",
        "Containers run as a non-root user",
        TASK,
        per_container(containers.check_user),
        "A root process that escapes the application owns the container; absent User means the image's "
        "default, usually root.",
        security_hub=True,
        fix="User: a non-root uid such as 1000:1000 (ContainerOptions.user); to accept: acknowledge(scope, 'ECS.20', "
        "reason, container=...)",
    ),
    Control(
        "SF.CAPABILITIES",
        "Containers drop ALL capabilities and add none but SYS_PTRACE",
        TASK,
        per_container(containers.check_capabilities),
        "Least privilege for the kernel: Fargate allows adding only SYS_PTRACE, which security agents need.",
        acknowledgeable=False,
        fix="LinuxParameters.Capabilities: {Drop: [ALL]} with Add at most [SYS_PTRACE] (SecureFargateService "
        "drops ALL)",
    ),
    Control(
        "SF.PTRACE",
        "Only the security-agent sidecar adds SYS_PTRACE",
        TASK,
        _all(per_container(containers.check_ptrace), tasks.check_declared_agent),
        "SYS_PTRACE lets a process read and alter other processes' memory: only the agent that watches them needs it.",
        acknowledgeable=False,
        fix="remove SYS_PTRACE from Capabilities.Add; only the security-agent sidecar (SecurityAgent: labelled, "
        "Essential: false, no PortMappings) may add it",
    ),
    Control(
        "SF.MEMORY",
        "Containers have a hard memory limit that fits the task",
        TASK,
        _all(per_container(containers.check_memory), tasks.check_memory_budget),
        "A hard limit stops one container from starving the others (and the agents) of memory.",
        fix="Memory (hard limit, MiB) >= MemoryReservation on every container, summing to at most the task Memory "
        "(ContainerOptions.memory_limit_mib); to accept: acknowledge(scope, 'SF.MEMORY', reason, container=...)",
    ),
    Control(
        "SF.TASK_SIZE",
        "Fargate task CPU/memory is a supported combination",
        TASK,
        tasks.check_task_size,
        "An unsupported pair fails only at deploy time, in RegisterTaskDefinition.",
        acknowledgeable=False,
        fix="a supported Cpu/Memory pair, e.g. Cpu 256 with Memory 512, 1024 or 2048 (SecureFargateService cpu/"
        "memory_limit_mib)",
    ),
    Control(
        "SF.IMAGE",
        "Images are pinned (a digest; never :latest or untagged)",
        TASK,
        per_container(containers.check_image),
        "Know what you run: a mutable tag can change under a running service.",
        fix="Image pinned by digest (repo@sha256:...), e.g. ImageSource.from_ecr(repo, digest=...); to accept: "
        "acknowledge(scope, 'SF.IMAGE', reason, container=...)",
    ),
    Control(
        "SF.ROLES",
        "Tasks have a task role separate from the execution role",
        TASK,
        tasks.check_roles,
        "The execution role pulls images and reads secrets; the application must not inherit that.",
        acknowledgeable=False,
        fix="TaskRoleArn: a role of its own, different from ExecutionRoleArn (SecureFargateService creates both)",
    ),
    Control(
        "SF.EXECUTION_ROLE",
        "The execution role reaches named resources only (a wildcard resource only for ecr:GetAuthorizationToken)",
        TASK,
        iam.check_execution_role_scope,
        "The execution role pulls the image, reads the injected secrets and writes logs: it should reach exactly "
        "those, not every secret of the account (arn:...:secret:*).",
        acknowledgeable=False,
        fix="grant the execution role per resource (CDK's grants: secret.grant_read, repository.grant_pull, "
        "bucket.grant_read(role, key)); no service-wide action, no NotAction, no broad AWS managed policy",
    ),
    Control(
        "SF.SECRETS",
        "The task role cannot read secrets",
        TASK,
        iam.check_task_role_secrets,
        "Secrets are injected at start by the execution role; the application's own identity needs no read.",
        acknowledgeable=False,
        fix="inject the secret with ecs.Secret.from_secrets_manager / from_ssm_parameter (granted to the execution "
        "role) and remove secretsmanager:/ssm: reads and kms:Decrypt on the secrets' keys from the task role",
    ),
    Control(
        "SF.TASK_ROLE",
        "The task role has no '*' action, no broad managed policy, and cannot assume or pass the execution role",
        TASK,
        iam.check_task_role,
        "The task role is what an intruder in the application gets: least privilege, and no way to the execution "
        "role's image and secret access.",
        fix="grant the task role named actions on named resources (CDK's grants); drop AdministratorAccess-style "
        "managed policies, NotAction statements and sts:AssumeRole / iam:PassRole on the execution role or '*'",
    ),
    Control(
        "SF.INGRESS",
        "Service security groups admit no public address range",
        SERVICE,
        ingress.check_public_ingress,
        "Tasks should be reached only through the load balancer's security group (or private ranges).",
        fix="allow ingress from the load balancer's security group (service.connections.allow_from(alb, port)) or a "
        "private CIDR; remove rules from public ranges, in this stack and in others",
    ),
    # ---- issue 14: the rest of Security Hub's 2026 ECS/ECR set (ECS.1 was retired in March 2026: its cases
    # are reported under ECS.4 privileged, ECS.17 host network, ECS.20 Linux root and ECS.21 Windows admin).
    Control(
        "ECS.13",
        "Services are tagged",
        SERVICE,
        tags.check_service_tags,
        "Tags identify owner and purpose: inventory, cost and attribute-based access control.",
        security_hub=True,
        fix="tag the service (SecureFargateService(tags={...}) or Tags.of(scope).add(key, value))",
    ),
    Control(
        "ECS.14",
        "Clusters are tagged",
        CLUSTER,
        tags.check_cluster_tags,
        "Tags identify owner and purpose: inventory, cost and attribute-based access control.",
        security_hub=True,
        fix="tag the cluster (SecureCluster(tags={...}) or Tags.of(scope).add(key, value))",
    ),
    Control(
        "ECS.15",
        "Task definitions are tagged",
        TASK,
        tags.check_task_definition_tags,
        "Tags identify owner and purpose: inventory, cost and attribute-based access control.",
        security_hub=True,
        fix="tag the task definition (SecureFargateService(tags={...}) or Tags.of(scope).add(key, value))",
    ),
    Control(
        "ECS.16",
        "Task sets do not assign public IP addresses",
        TASK_SET,
        tasksets.check_task_set_public_ip,
        "A public IP makes each task of the set reachable from the internet, bypassing the load balancer.",
        security_hub=True,
        fix="set NetworkConfiguration.AwsVpcConfiguration.AssignPublicIp: DISABLED and run in private subnets",
    ),
    Control(
        "ECS.18",
        "EFS volumes use in-transit encryption",
        TASK,
        storage.check_efs_transit_encryption,
        "Without TLS, file data crosses the network to the EFS mount target in clear text.",
        security_hub=True,
        fix="set EFSVolumeConfiguration.TransitEncryption: ENABLED (ecs.EfsVolumeConfiguration(transit_encryption="
        "'ENABLED'))",
    ),
    Control(
        "SF.EFS_IAM",
        "EFS volumes mount with IAM authorization",
        TASK,
        storage.check_efs_iam,
        "Without IAM authorization the file system cannot tell this task from any other client that reaches its "
        "mount targets; with it, the file system policy decides per task role.",
        fix="set EFSVolumeConfiguration.AuthorizationConfig.IAM: ENABLED (ecs.EfsVolumeConfiguration("
        "authorization_config=ecs.AuthorizationConfig(iam='ENABLED'), transit_encryption='ENABLED')); to accept: "
        "acknowledge(scope, 'SF.EFS_IAM', reason)",
    ),
    Control(
        "ECS.21",
        "Windows containers run as a non-administrator user",
        TASK,
        runtime.check_windows_user,
        "An administrator process that escapes the application owns the container; Security Hub also applies "
        "this to task definitions without an OS family.",
        security_hub=True,
        fix="set RuntimePlatform.OperatingSystemFamily: LINUX for Linux tasks; give Windows containers a User "
        "other than ContainerAdministrator",
    ),
    Control(
        "ECR.1",
        "Private repositories scan images",
        REPOSITORY,
        ecr.check_scanning,
        "Scanning finds known vulnerabilities in images before and while they run.",
        security_hub=True,
        fix="set ImageScanningConfiguration.ScanOnPush: true (SecureRepository does) or registry scanning",
    ),
    Control(
        "ECR.2",
        "Private repositories have immutable tags",
        REPOSITORY,
        ecr.check_tag_immutability,
        "A mutable tag can be moved to another image under a running service.",
        security_hub=True,
        fix="set ImageTagMutability: IMMUTABLE (SecureRepository does)",
    ),
    Control(
        "ECR.3",
        "Repositories have a lifecycle policy",
        REPOSITORY,
        ecr.check_lifecycle_policy,
        "Old images pile up and stay pullable; a lifecycle policy expires them.",
        security_hub=True,
        fix="add a lifecycle policy (SecureRepository keeps the last 50 images, untagged ones 14 days)",
    ),
    Control(
        "ECR.5",
        "Repositories are encrypted with a customer-managed KMS key",
        REPOSITORY,
        ecr.check_customer_managed_key,
        "A customer-managed key puts decryption under your key policy and audit; it cannot be added later.",
        security_hub=True,
        fix="create the repository with EncryptionType KMS and your key (SecureRepository does); the setting "
        "cannot change on an existing repository",
    ),
    Control(
        "SF.FAULT_INJECTION",
        "Fault injection is not enabled",
        TASK,
        runtime.check_fault_injection,
        "EnableFaultInjection lets requests to the task's fault endpoint disrupt its network and processes.",
        severity="warning",
        fix="remove EnableFaultInjection outside chaos tests, or acknowledge it with the experiment's reason",
    ),
    Control(
        "SF.EBS_ENCRYPTION",
        "ECS-managed EBS volumes are encrypted",
        SERVICE,
        storage.check_ebs_encryption,
        "A volume ECS creates per task holds application data at rest.",
        fix="set ManagedEBSVolume.Encrypted: true (with KmsKeyId for a customer-managed key)",
    ),
    Control(
        "SF.VERSION_CONSISTENCY",
        "Image digests are resolved at deployment (VersionConsistency)",
        TASK,
        runtime.check_version_consistency,
        "With digest resolution off, tasks started later run whatever the tag points to by then.",
        fix="remove VersionConsistency: disabled (CDK asset images, tagged by content hash, are exempt)",
    ),
    Control(
        "SF.EXEC",
        "ECS Exec is off unless acknowledged",
        SERVICE,
        services.check_exec,
        "ECS Exec opens a shell in running tasks to anyone allowed ecs:ExecuteCommand, bypassing the image's entry "
        "point; it is a deliberate, reasoned exception.",
        fix="EnableExecuteCommand: false (SecureFargateService leaves it off); to accept: "
        "acknowledge(scope, 'SF.EXEC', reason) on the service",
    ),
    Control(
        "SF.MOUNTS",
        "No writable mount over a system path",
        TASK,
        per_container(containers.check_mounts),
        "A read-write volume over /usr, /etc, /lib*, ... lets one container replace binaries or configuration that "
        "the read-only root filesystem was protecting.",
        fix="mount writable task volumes on application paths (/tmp, /var/cache/app: ContainerOptions.writable_paths) "
        "or set ReadOnly: true; to accept: acknowledge(scope, 'SF.MOUNTS', reason, container=...)",
    ),
    Control(
        "SF.AGENT",
        "At most one security agent per task, and it is a real sidecar",
        TASK,
        _all(tasks.check_agents, tasks.check_declared_agent),
        "The agent label earns SYS_PTRACE; a labelled container that is essential or serves ports is an application "
        "wearing the agent's badge.",
        acknowledgeable=False,
        fix="label only the security-agent sidecar (SecurityAgent), with Essential: false and no PortMappings; remove "
        "the label from every other container",
    ),
    Control(
        "SF.VOLUMES",
        "No host-path volumes on Fargate",
        TASK,
        tasks.check_volumes,
        "Fargate has no host to share: a Host.SourcePath volume is rejected at deploy, and on EC2 it exposes the "
        "host's files.",
        acknowledgeable=False,
        fix="Volumes: [{Name: scratch}] (task ephemeral storage: ContainerOptions.writable_paths) or an EFS volume",
    ),
)

CONTROLS_BY_ID: dict[str, Control] = {c.id: c for c in CONTROLS}

#: The tag controls and the resource kind each judges (for ``with_required_tag_keys``).
TAG_CONTROLS: dict[str, str] = {"ECS.13": "service", "ECS.14": "cluster", "ECS.15": "task definition"}


def with_required_tag_keys(
    required_tag_keys: Sequence[str] = (), controls: Sequence[Control] = CONTROLS
) -> tuple[Control, ...]:
    """``controls`` with ECS.13/14/15 requiring every key of ``required_tag_keys`` (Security Hub's optional
    ``requiredTagKeys`` parameter). Raises ValueError beyond Security Hub's limits (6 keys, no ``aws:``)."""
    problem = tags.required_tag_keys_problem(required_tag_keys)
    if problem:
        raise ValueError(f"required_tag_keys: {problem}")
    if not required_tag_keys:
        return tuple(controls)
    return tuple(
        replace(c, check=tags.tag_check(required_tag_keys, kind=TAG_CONTROLS[c.id])) if c.id in TAG_CONTROLS else c
        for c in controls
    )
