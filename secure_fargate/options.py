"""Small frozen value types the constructs take: images, containers, opt-outs, network rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Aws
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam

from . import defaults
from ._tokens import is_unresolved
from .rules.containers import ImagePin, image_pin, tag_or_digest_pin


@dataclass(frozen=True)
class OptOut:
    """An explicit, reasoned weakening of a default. The reason becomes a warning annotation and an
    acknowledgement of the matching guardrail control, so audits show who weakened what and why."""

    reason: str


@dataclass(frozen=True)
class ImageSource:
    """A container image reference the library can check for pinning before it becomes a ContainerImage.

    Use ``ImageSource.from_registry("public.ecr.aws/nginx/nginx@sha256:...")`` or
    ``ImageSource.from_ecr(repository, "sha256:...")`` (the execution role's pull is then scoped to that repository).
    """

    reference: str
    repository: ecr.IRepository | None = None
    #: For pull-through cache images: the cache rule's prefix and the upstream repository path.
    cache_prefix: str | None = None
    upstream_repository: str | None = None

    @staticmethod
    def from_registry(reference: str) -> ImageSource:
        return ImageSource(reference=reference)

    @staticmethod
    def from_ecr(repository: ecr.IRepository, tag_or_digest: str) -> ImageSource:
        return ImageSource(reference=tag_or_digest, repository=repository)

    @staticmethod
    def from_pull_through_cache(prefix: str, upstream_repository: str, tag_or_digest: str) -> ImageSource:
        """An upstream public image (``public.ecr.aws/<upstream_repository>``) pulled through this account's
        private registry via the ECR pull-through cache rule with ``prefix``."""
        return ImageSource(reference=tag_or_digest, cache_prefix=prefix, upstream_repository=upstream_repository)

    @property
    def in_private_registry(self) -> bool:
        """True for this account's ECR (a repository or the pull-through cache): ``reference`` is then only the
        tag or digest, and pulling needs ``ecr:GetAuthorizationToken``."""
        return self.repository is not None or self.cache_prefix is not None

    def pin(self) -> ImagePin | None:
        """How the image is pinned; None when the reference is an unresolved token (not guessed)."""
        if is_unresolved(self.reference):
            return None
        if self.in_private_registry:
            return tag_or_digest_pin(self.reference)
        return image_pin(self.reference)

    def to_container_image(self) -> ecs.ContainerImage:
        if self.repository is not None:
            return ecs.ContainerImage.from_ecr_repository(self.repository, self.reference)
        if self.cache_prefix is not None:
            separator = "@" if self.reference.startswith("sha256:") else ":"
            registry = f"{Aws.ACCOUNT_ID}.dkr.ecr.{Aws.REGION}.{Aws.URL_SUFFIX}"
            return ecs.ContainerImage.from_registry(
                f"{registry}/{self.cache_prefix}/{self.upstream_repository}{separator}{self.reference}"
            )
        return ecs.ContainerImage.from_registry(self.reference)

    def grant_pull(self, role: iam.IRole) -> None:
        """Pull permissions beyond what ``ContainerImage`` grants by itself: for a pull-through cache image, the
        cached repository (created on first pull) and the import of the upstream image. Scoped to the
        cached repository; ``ecr:GetAuthorizationToken`` has no resource-level permission."""
        if self.cache_prefix is None:
            return
        repository = (
            f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:{Aws.ACCOUNT_ID}:repository/"
            f"{self.cache_prefix}/{self.upstream_repository}"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "ecr:CreateRepository",
                    "ecr:BatchImportUpstreamImage",
                ],
                resources=[repository],
            )
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))


@dataclass(frozen=True)
class ContainerOptions:
    """One container of a secure task. Every field has the secure default; weakening one needs an OptOut."""

    name: str
    image: ImageSource
    #: Hard limit: the container is killed above it. Required (SF.MEMORY).
    memory_limit_mib: int
    #: Soft limit; must not exceed the hard limit. Default: none.
    memory_reservation_mib: int | None = None
    cpu: int | None = None
    #: Port the process listens on; >= 1024 because a non-root process without capabilities cannot bind lower.
    container_port: int | None = None
    #: Plain, non-secret configuration. Secret-looking names are refused (ECS.8): use ``secrets``.
    environment: Mapping[str, str] = field(default_factory=dict)
    #: Injected at start from Secrets Manager by the execution role (``ecs.Secret.from_secrets_manager``).
    secrets: Mapping[str, ecs.Secret] = field(default_factory=dict)
    #: Absolute paths that must stay writable; each becomes a task volume mounted read-write.
    writable_paths: Sequence[str] = ()
    #: uid[:gid] or user name. Default 1000:1000; root refused unless ``run_as_root`` opts out.
    user: str = defaults.USER
    #: Only "SYS_PTRACE" is allowed (the one capability Fargate lets you add).
    add_capabilities: Sequence[str] = ()
    #: Present only to be refused with a clear message: Fargate and this library never run privileged.
    privileged: bool = False
    essential: bool = True
    command: Sequence[str] | None = None
    entry_point: Sequence[str] | None = None
    health_check: ecs.HealthCheck | None = None
    #: Opt-outs (each needs a reason).
    writable_root_filesystem: OptOut | None = None
    run_as_root: OptOut | None = None


@dataclass(frozen=True)
class SecurityAgent:
    """A runtime-security agent running as a sidecar: Fargate has no host to install one on (CON316).

    The task then shares one PID namespace (``pidMode: task``) so the agent sees the application's processes.
    It is hardened like every container (read-only root, non-root unless ``run_as_root`` says why, a hard
    memory limit counted in the task's budget, its own log stream), is not essential (a crashed agent does not
    stop the application), and is the only container allowed to add SYS_PTRACE (``ptrace=True``).
    """

    image: ImageSource
    memory_limit_mib: int = 128
    name: str = "security-agent"
    cpu: int | None = None
    ptrace: bool = True
    user: str = defaults.USER
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, ecs.Secret] = field(default_factory=dict)
    writable_paths: Sequence[str] = ()
    command: Sequence[str] | None = None
    run_as_root: OptOut | None = None
    writable_root_filesystem: OptOut | None = None

    def container_options(self) -> ContainerOptions:
        return ContainerOptions(
            name=self.name,
            image=self.image,
            memory_limit_mib=self.memory_limit_mib,
            cpu=self.cpu,
            user=self.user,
            environment=self.environment,
            secrets=self.secrets,
            writable_paths=self.writable_paths,
            command=self.command,
            essential=False,
            add_capabilities=("SYS_PTRACE",) if self.ptrace else (),
            run_as_root=self.run_as_root,
            writable_root_filesystem=self.writable_root_filesystem,
        )


@dataclass(frozen=True)
class TrafficRule:
    """Allow traffic between the service's security group and ``peer`` on a TCP port."""

    peer: ec2.IPeer
    port: int
    description: str = ""
