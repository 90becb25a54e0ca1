"""Recipe: the Datadog Agent as a sidecar, with a read-only root filesystem and Datadog's own non-root uid.

Sources (checked, not guessed):

- User: ``100`` (``dd-agent``, primary group ``root``). Datadog's Dockerfile (DataDog/datadog-agent,
  ``Dockerfiles/agent/Dockerfile``) creates ``dd-agent`` "to prepare for running without root" and fails the build
  unless its uid is 100, because non-root users set that number in their security context.
- Writable paths: Datadog's guide "Running the Datadog Agent with a Read-Only Root Filesystem"
  (docs.datadoghq.com/containers/guide/readonly-root-filesystem) lists ``/etc/datadog-agent``,
  ``/opt/datadog-agent/run``, ``/var/run/datadog`` and optionally ``/var/log/datadog``, and an init container that
  copies the image's default configuration into the ``/etc/datadog-agent`` volume first. The Dockerfile also
  declares ``/var/run/s6`` and ``/var/log/datadog`` as volumes (s6-overlay with ``S6_READ_ONLY_ROOT=1``).
- ``/etc/datadog-agent`` lies under ``/etc``: it is a per-path opt-out (``writable_system_paths``), the root
  filesystem stays read-only.
- ``ECS_FARGATE=true`` turns on the Fargate integration (docs.datadoghq.com/integrations/ecs_fargate).
"""

from __future__ import annotations

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from secure_fargate import ContainerOptions, ImageSource, OptOut, SecureFargateService

#: Datadog's agent image on ECR Public, pinned by digest (replace with the digest you have vetted).
AGENT_IMAGE = "public.ecr.aws/datadog/agent@sha256:" + "d" * 64
#: Datadog's documented non-root uid (dd-agent; its primary group is root, which owns the agent's files).
AGENT_USER = "100"
#: The task volume the init container fills with the image's default configuration.
CONFIG_VOLUME = "datadog-config"


def datadog_service(
    scope: Construct, construct_id: str, *, cluster: ecs.ICluster, app: ContainerOptions, api_key: sm.ISecret
) -> SecureFargateService:
    """``app`` plus the Datadog Agent (metrics, APM on localhost:8126, DogStatsD on localhost:8125/udp)."""
    config_reason = (
        "the Datadog Agent writes its generated configuration to /etc/datadog-agent (Datadog's read-only root "
        "filesystem guide); a task volume filled by the datadog-init container, not a writable root"
    )
    agent = ContainerOptions(
        name="datadog-agent",
        image=ImageSource.from_registry(AGENT_IMAGE),
        memory_limit_mib=256,
        user=AGENT_USER,
        essential=False,  # a crashed agent does not stop the application
        environment={"ECS_FARGATE": "true", "DD_SITE": "datadoghq.eu", "DD_APM_ENABLED": "true"},
        secrets={"DD_API_KEY": ecs.Secret.from_secrets_manager(api_key)},
        writable_paths=["/opt/datadog-agent/run", "/var/run/datadog", "/var/run/s6", "/var/log/datadog", "/tmp"],
        writable_system_paths={"/etc/datadog-agent": OptOut(config_reason)},
        mount_points=[
            ecs.MountPoint(container_path="/etc/datadog-agent", source_volume=CONFIG_VOLUME, read_only=False)
        ],
    )
    init = ContainerOptions(
        name="datadog-init",
        image=ImageSource.from_registry(AGENT_IMAGE),
        memory_limit_mib=64,
        user=AGENT_USER,
        essential=False,  # runs once, before the agent
        entry_point=["/bin/sh", "-c"],
        command=["cp -a /etc/datadog-agent/. /datadog-config/"],
        mount_points=[ecs.MountPoint(container_path="/datadog-config", source_volume=CONFIG_VOLUME, read_only=False)],
    )
    service = SecureFargateService(
        scope,
        construct_id,
        cluster=cluster,
        cpu=512,
        memory_limit_mib=1024,
        volumes=[ecs.Volume(name=CONFIG_VOLUME)],
        container=app,
        sidecars=[init, agent],
    )
    service.containers["datadog-agent"].add_container_dependencies(
        ecs.ContainerDependency(
            container=service.containers["datadog-init"], condition=ecs.ContainerDependencyCondition.SUCCESS
        )
    )
    return service
