"""The guardrail pack: control IDs wired to their rule functions, with title, severity and rationale.

This module only wires; the logic of each control lives in ``containers``, ``tasks``, ``services`` or ``iam``.
Security Hub IDs are used where AWS defines the control; ``SF.*`` IDs are ours, for the CON316 controls that
Security Hub does not cover.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import containers, iam, ingress, services, tasks
from ._template import JSON, Template

Found = list[tuple[str | None, str]]
ResourceCheck = Callable[[str, Mapping[str, JSON], Template], Found]
ContainerCheck = Callable[[Mapping[str, JSON]], "str | None"]

TASK = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"
CLUSTER = "AWS::ECS::Cluster"


def per_container(check: ContainerCheck) -> ResourceCheck:
    """Lift a container-level check to a task-definition check that reports each violating container."""

    def run(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
        found: Found = []
        for container in tasks.containers(task):
            message = check(container)
            if message:
                name = container.get("Name")
                found.append((name if isinstance(name, str) else None, message))
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
        "ECS.1",
        "Host network mode only with an unprivileged, non-root container",
        TASK,
        tasks.check_host_network_root,
        "With host networking a root container can reach the host's network stack.",
        security_hub=True,
    ),
    Control(
        "ECS.2",
        "Services do not assign public IP addresses",
        SERVICE,
        services.check_public_ip,
        "A public IP puts each task's ENI directly on the internet; CON316: private subnets, one ENI per task.",
        security_hub=True,
    ),
    Control(
        "ECS.3",
        "Tasks do not share the host's process namespace",
        TASK,
        tasks.check_host_pid,
        "pidMode host exposes every process on the host to the container.",
        security_hub=True,
        acknowledgeable=False,
    ),
    Control(
        "ECS.4",
        "Containers do not run privileged",
        TASK,
        per_container(containers.check_privileged),
        "A privileged container has every capability and device of the host; Fargate rejects it at deploy.",
        security_hub=True,
        acknowledgeable=False,
    ),
    Control(
        "ECS.5",
        "Containers have a read-only root filesystem",
        TASK,
        per_container(containers.check_readonly_root),
        "A writable root lets an intruder drop tools and persist; writable paths should be explicit volumes.",
        security_hub=True,
    ),
    Control(
        "ECS.8",
        "No secret-looking plain environment variables",
        TASK,
        per_container(containers.check_environment),
        "Environment values are visible in the task definition and to ecs:DescribeTaskDefinition callers.",
        security_hub=True,
    ),
    Control(
        "ECS.9",
        "Containers have a log configuration",
        TASK,
        per_container(containers.check_logging),
        "Without logs there is no trail of what ran.",
        security_hub=True,
    ),
    Control(
        "ECS.10",
        "Fargate services run the latest platform version",
        SERVICE,
        services.check_platform_version,
        "Platform versions carry kernel and runtime patches; 1.4.0 adds the task-ENI model.",
        security_hub=True,
    ),
    Control(
        "ECS.12",
        "Clusters have Container Insights enabled",
        CLUSTER,
        services.check_container_insights,
        "Insight into what runs is the base of detection and response.",
        security_hub=True,
    ),
    Control(
        "ECS.17",
        "Tasks do not use the host network mode",
        TASK,
        tasks.check_host_network,
        "Host networking removes the per-task ENI and security group isolation.",
        security_hub=True,
        acknowledgeable=False,
    ),
    Control(
        "ECS.20",
        "Containers run as a non-root user",
        TASK,
        per_container(containers.check_user),
        "A root process that escapes the application owns the container; absent User means the image's "
        "default, usually root.",
        security_hub=True,
    ),
    Control(
        "SF.CAPABILITIES",
        "Containers drop ALL capabilities and add none but SYS_PTRACE",
        TASK,
        per_container(containers.check_capabilities),
        "Least privilege for the kernel: Fargate allows adding only SYS_PTRACE, which security agents need.",
        acknowledgeable=False,
    ),
    Control(
        "SF.PTRACE",
        "Only the security-agent sidecar adds SYS_PTRACE",
        TASK,
        per_container(containers.check_ptrace),
        "SYS_PTRACE lets a process read and alter other processes' memory: only the agent that watches them needs it.",
        acknowledgeable=False,
    ),
    Control(
        "SF.MEMORY",
        "Containers have a hard memory limit that fits the task",
        TASK,
        _all(per_container(containers.check_memory), tasks.check_memory_budget),
        "A hard limit stops one container from starving the others (and the agents) of memory.",
    ),
    Control(
        "SF.TASK_SIZE",
        "Fargate task CPU/memory is a supported combination",
        TASK,
        tasks.check_task_size,
        "An unsupported pair fails only at deploy time, in RegisterTaskDefinition.",
        acknowledgeable=False,
    ),
    Control(
        "SF.IMAGE",
        "Images are pinned (a digest; never :latest or untagged)",
        TASK,
        per_container(containers.check_image),
        "Know what you run: a mutable tag can change under a running service.",
    ),
    Control(
        "SF.ROLES",
        "Tasks have a task role separate from the execution role",
        TASK,
        tasks.check_roles,
        "The execution role pulls images and reads secrets; the application must not inherit that.",
        acknowledgeable=False,
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
)

CONTROLS_BY_ID: dict[str, Control] = {c.id: c for c in CONTROLS}
