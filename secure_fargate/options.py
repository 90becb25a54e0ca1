"""Small frozen value types the constructs take: containers, the security agent, opt-outs, network rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_acmpca as acmpca
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from . import defaults
from .images import ImageSource


@dataclass(frozen=True)
class OptOut:
    """An explicit, reasoned weakening of a default.

    The reason becomes a warning annotation and an acknowledgement of the matching guardrail control (see
    ``secure_fargate.opt_outs.OPT_OUTS``), so audits show who weakened what and why.

    Args:
        reason: why the default is weakened; at least 10 characters, shown in annotations and audit reports.
        expires: the last day the opt-out holds, ``"YYYY-MM-DD"`` (or a ``datetime.date``). From the next day the
            finding it acknowledged is open again (the pack's message names this opt-out); from 30 days before,
            synth leaves a warning. Default: none (the opt-out holds until removed).
    """

    reason: str
    expires: str | None = None


@dataclass(frozen=True)
class NotSecret:
    """A plain environment value whose name looks secret but is not (a TTL, a URL, a secret's *name*).

    The variable stays a plain environment variable; the declaration acknowledges ECS.8 for that one variable
    of that one container, with the reason, so audits show it. The value is still scanned: embedded
    credentials or key material are refused whatever the declaration says.

    Args:
        value: the plain value.
        reason: why this is not a secret; at least 10 visible characters.
    """

    value: str
    reason: str


@dataclass(frozen=True)
class ContainerOptions:
    """One container of a secure task. Every field has the secure default; weakening one needs an OptOut.

    Args:
        name: container name, unique in the task (1-255 letters, digits, ``-``, ``_``).
        image: where the image comes from (``ImageSource.from_*``); ``:latest``/untagged refused (SF.IMAGE).
        memory_limit_mib: hard memory limit in MiB, required; the container is killed above it (SF.MEMORY). The
            hard limits of all containers must fit in the task's memory.
        memory_reservation_mib: soft limit in MiB, at most the hard limit. Default: none.
        cpu: CPU units reserved for the container. Default: none (shares the task's CPU).
        container_port: TCP port the process listens on, 1024-65535 (a non-root process with every capability
            dropped cannot bind lower; ports below 1024 need ``run_as_root``); the port load balancers route to.
            The shorthand for one unnamed mapping: when ``port_mappings`` maps the same port, that mapping is used
            (so it can carry a name). Default: none.
        port_mappings: further ``ecs.PortMapping``s, e.g. named ones for Service Connect
            (``ecs.PortMapping(container_port=8080, name="api", app_protocol=ecs.AppProtocol.http)``); same port
            rules as ``container_port``; no duplicate port/protocol or name; ``host_port`` only equal to the
            container port (awsvpc). Default: none.
        environment: plain, non-secret configuration; secret-looking names are refused (ECS.8) unless the value
            is declared ``NotSecret(value, reason)``; values carrying credentials are always refused. Default: none.
        secrets: injected at start from Secrets Manager or SSM by the execution role
            (``ecs.Secret.from_secrets_manager(secret, field)``); never granted to the task role (SF.SECRETS).
        environment_files: ``ecs.EnvironmentFile.from_bucket(bucket, key)`` or ``.from_asset(path)``: S3 files of
            plain configuration; the execution role gets exactly ``s3:GetObject`` on each object and
            ``s3:GetBucketLocation`` on its bucket (SF.EXECUTION_ROLE). Not for secrets (use ``secrets``). Default:
            none.
        writable_paths: absolute paths that must stay writable under the read-only root; each becomes a task
            volume mounted read-write (ECS.5). Paths under system directories are refused here (SF.MOUNTS): see
            ``writable_system_paths``. Default: none.
        writable_system_paths: ``{path: OptOut(reason)}`` for paths under system directories (``/etc``, ``/usr``,
            ``/lib*``... as SF.MOUNTS judges them) that a vendor image must write to, e.g.
            ``{"/etc/datadog-agent": OptOut("the agent writes its generated config here")}``. Each becomes a
            read-write task volume like ``writable_paths`` and acknowledges SF.MOUNTS for that container and that
            path only, with a warning; the root stays read-only (never turn ECS.5 off for one directory). The
            volume starts empty (unless the image declares that path as a ``VOLUME``): an image that ships files
            there needs them copied in, so a path that ``mount_points`` already mounts read-write (a task volume
            an init container fills) keeps that mount and gets no second volume (``examples/sidecars/``).
            Default: none.
        user: ``uid[:gid]`` or a user name the container runs as. Default ``1000:1000``, which **replaces the
            image's own ``USER``**: give the uid the image expects (its Dockerfile's ``USER``; e.g. 101 for
            ``nginx-unprivileged``), or the process may not read its files. Root in any spelling is refused
            unless ``run_as_root`` opts out (ECS.20).
        add_capabilities: Linux capabilities to add after dropping ALL; only ``SYS_PTRACE``, and only on the
            security agent (SF.CAPABILITIES, SF.PTRACE). Default: none.
        privileged: present only to be refused with a clear message (ECS.4). Default False.
        essential: whether the task stops when this container stops. Default True.
        command: the command (Docker ``CMD``). Default: the image's.
        entry_point: the entry point (Docker ``ENTRYPOINT``). Default: the image's.
        health_check: a container health check. Default: none.
        stop_timeout: how long ECS waits after SIGTERM before SIGKILL, at most 120 seconds on Fargate. Default:
            ECS's (30 seconds).
        docker_labels: Docker labels; the reserved ``secure-fargate.security-agent`` label is refused (only the
            declared ``security_agent`` carries it, SF.PTRACE). Default: none.
        mount_points: ``ecs.MountPoint``s onto the task's ``volumes`` (by ``source_volume``); read-write mounts
            over system paths (``/``, ``/bin``, ``/etc``, ``/usr``, ``/lib*``, ...) are refused (SF.MOUNTS). Share a
            scratch volume by mounting it read-write in one container and ``read_only=True`` in the others.
            Default: none.
        logging: this container's log driver (``ecs.LogDrivers.aws_logs(...)``, ``.firelens(...)``, ``.splunk(...)``
            ...), instead of the task's default (awslogs into the task's log group with ``mode`` non-blocking and a
            25 MiB buffer, or FireLens when the task has a ``LogRouter``). Secrets go in the driver's secret options
            (``secret_token``, ``secret_options``), never its plain ``options``; an awslogs driver must name its
            ``mode`` (SF.LOG_MODE); drivers that keep logs on the host only are refused (ECS.9). Default: none.
        writable_root_filesystem: ``OptOut(reason)`` to leave the root filesystem writable (weakens ECS.5).
        run_as_root: ``OptOut(reason)`` to allow a root ``user`` or ports below 1024 (weakens ECS.20).
    """

    name: str
    image: ImageSource
    memory_limit_mib: int
    memory_reservation_mib: int | None = None
    cpu: int | None = None
    container_port: int | None = None
    environment: Mapping[str, str | NotSecret] = field(default_factory=dict)
    secrets: Mapping[str, ecs.Secret] = field(default_factory=dict)
    writable_paths: Sequence[str] = ()
    writable_system_paths: Mapping[str, OptOut] = field(default_factory=dict)
    user: str = defaults.USER
    add_capabilities: Sequence[str] = ()
    privileged: bool = False
    essential: bool = True
    command: Sequence[str] | None = None
    entry_point: Sequence[str] | None = None
    health_check: ecs.HealthCheck | None = None
    port_mappings: Sequence[ecs.PortMapping] = ()
    environment_files: Sequence[ecs.EnvironmentFile] = ()
    stop_timeout: Duration | None = None
    docker_labels: Mapping[str, str] = field(default_factory=dict)
    mount_points: Sequence[ecs.MountPoint] = ()
    logging: ecs.LogDriver | None = None
    writable_root_filesystem: OptOut | None = None
    run_as_root: OptOut | None = None


def plain_environment(environment: Mapping[str, str | NotSecret]) -> dict[str, str]:
    """The environment as the container receives it: ``NotSecret`` declarations unwrapped to their values."""
    return {name: value.value if isinstance(value, NotSecret) else value for name, value in environment.items()}


@dataclass(frozen=True)
class SecurityAgent:
    """A runtime-security agent running as a sidecar: Fargate has no host to install one on (CON316).

    The task then shares one PID namespace (``pidMode: task``) so the agent sees the application's processes.
    The agent is an ordinary ``ContainerOptions``, checked and hardened like every container (read-only root,
    non-root unless ``run_as_root`` says why, a hard memory limit counted in the task's budget, its own log
    stream); the library makes it non-essential (a crashed agent does not stop the application) and lets it,
    and only it, add SYS_PTRACE.

    Args:
        container: the agent's container; ``essential`` is forced to False.
        ptrace: add ``SYS_PTRACE`` (what most agents need to watch processes). Default True.
    """

    container: ContainerOptions
    ptrace: bool = True

    @staticmethod
    def from_image(
        image: ImageSource, *, memory_limit_mib: int = defaults.AGENT_MEMORY_MIB, name: str = defaults.AGENT_NAME
    ) -> SecurityAgent:
        """The common case: an agent image with the default name and memory.

        Args:
            image: the agent's image (pinned, as every image).
            memory_limit_mib: the agent's hard memory limit. Default 128.
            name: the agent's container name. Default ``security-agent``.
        """
        return SecurityAgent(ContainerOptions(name=name, image=image, memory_limit_mib=memory_limit_mib))

    def container_options(self) -> ContainerOptions:
        """The agent's container as the task runs it: non-essential, SYS_PTRACE added when ``ptrace``."""
        added = tuple(self.container.add_capabilities) + (("SYS_PTRACE",) if self.ptrace else ())
        return dataclasses.replace(self.container, essential=False, add_capabilities=tuple(dict.fromkeys(added)))


@dataclass(frozen=True)
class LogRouter:
    """A FireLens log router (Fluent Bit) as a hardened sidecar; the task's other containers log through it.

    The router is an ordinary ``ContainerOptions``: read-only root (with ``/tmp`` writable, where the
    aws-for-fluent-bit init process writes when ``/init`` is not writable), non-root (``1000:1000``, FireLens
    non-root mode), a hard memory limit counted in the task's budget, and its own ``awslogs`` stream in the
    service's log group. ``essential`` is the user's choice (``True``: a dead router stops the task rather than
    losing logs). Every other container switches to the ``awsfirelens`` log driver with ``log_options`` and
    starts after the router.

    Args:
        container: the router's container (e.g. ``public.ecr.aws/aws-observability/aws-for-fluent-bit`` pinned
            by digest); without ``writable_paths`` it gets ``/tmp``.
        firelens_config: the FireLens configuration. Default: Fluent Bit, no custom config file.
        log_options: the ``awsfirelens`` options of the other containers (the Fluent Bit output). Default: the
            ``cloudwatch_logs`` output into the service's log group (``firelens/`` streams); the task role then
            gets ``logs:CreateLogStream``/``logs:PutLogEvents`` on that log group only.
    """

    container: ContainerOptions
    firelens_config: ecs.FirelensConfig | None = None
    log_options: Mapping[str, str] | None = None

    @staticmethod
    def from_image(
        image: ImageSource,
        *,
        memory_limit_mib: int = defaults.LOG_ROUTER_MEMORY_MIB,
        essential: bool = True,
        name: str = defaults.LOG_ROUTER_NAME,
    ) -> LogRouter:
        """The common case: a Fluent Bit image with the default name, memory and writable ``/tmp``.

        Args:
            image: the router's image (pinned, as every image).
            memory_limit_mib: the router's hard memory limit. Default 128.
            essential: whether the task stops when the router stops. Default True.
            name: the router's container name. Default ``log-router``.
        """
        return LogRouter(
            ContainerOptions(name=name, image=image, memory_limit_mib=memory_limit_mib, essential=essential)
        )

    def container_options(self) -> ContainerOptions:
        """The router's container as the task runs it: ``/tmp`` writable unless other paths were given."""
        paths = tuple(self.container.writable_paths) or defaults.LOG_ROUTER_WRITABLE_PATHS
        return dataclasses.replace(self.container, writable_paths=paths)


@dataclass(frozen=True)
class TrafficRule:
    """Allow traffic between the service's security group and ``peer`` on a TCP port.

    Args:
        peer: the other side (a security group, ``ec2.Peer.prefix_list(...)``, a private CIDR).
        port: the TCP port.
        description: shown on the security group rule. Default: generated.
    """

    peer: ec2.IPeer
    port: int
    description: str = ""


@dataclass(frozen=True)
class ServiceConnectTls:
    """TLS for the service's Service Connect endpoints (SF.SERVICE_CONNECT_TLS): ECS issues each proxy a certificate
    from an AWS Private CA and encrypts service-to-service traffic.

    Args:
        certificate_authority: the AWS Private CA, as an ``acmpca.ICertificateAuthority`` or its ARN
            (``arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>``); AWS recommends a
            short-lived-certificate CA for Service Connect.
        kms_key: the KMS key ECS encrypts the issued private keys with. Default: a new key with rotation.
        role: the ECS infrastructure role for Service Connect TLS. Default: a new role assumed by
            ``ecs.amazonaws.com`` with AWS's managed policy
            ``AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity``, allowed to use
            ``kms_key`` and nothing else of it.
    """

    certificate_authority: acmpca.ICertificateAuthority | str
    kms_key: kms.IKey | None = None
    role: iam.IRole | None = None
