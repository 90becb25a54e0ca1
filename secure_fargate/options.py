"""Small frozen value types the constructs take: images, containers, opt-outs, network rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs

from . import defaults
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

    @staticmethod
    def from_registry(reference: str) -> ImageSource:
        return ImageSource(reference=reference)

    @staticmethod
    def from_ecr(repository: ecr.IRepository, tag_or_digest: str) -> ImageSource:
        return ImageSource(reference=tag_or_digest, repository=repository)

    def pin(self) -> ImagePin | None:
        """How the image is pinned; None when the reference is an unresolved token (not guessed)."""
        if Token.is_unresolved(self.reference):
            return None
        return tag_or_digest_pin(self.reference) if self.repository is not None else image_pin(self.reference)

    def to_container_image(self) -> ecs.ContainerImage:
        if self.repository is not None:
            return ecs.ContainerImage.from_ecr_repository(self.repository, self.reference)
        return ecs.ContainerImage.from_registry(self.reference)


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
class TrafficRule:
    """Allow traffic between the service's security group and ``peer`` on a TCP port."""

    peer: ec2.IPeer
    port: int
    description: str = ""
