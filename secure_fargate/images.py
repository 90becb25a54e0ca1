"""Where a container image comes from: one small class per kind of image behind one interface.

Every kind answers the same three questions: how firmly is it pinned (``pin``, judged by the pack's SF.IMAGE
predicate), what ``ecs.ContainerImage`` it becomes, and what the execution role needs to pull it
(``grant_pull``, always scoped to the image's repository). Build them with the ``ImageSource.from_*``
factories; each kind holds only the fields it needs, so an invalid combination cannot be expressed.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager

from ._tokens import AWS, is_unresolved
from .pack.containers import ImagePin, image_pin, tag_or_digest_pin
from .pack.guardduty import PULL_ACTIONS


class ImageSource(abc.ABC):
    """A container image reference the library can check for pinning before it becomes a ContainerImage.

    Use ``ImageSource.from_ecr(repository, "sha256:...")`` for this account's ECR (the execution role's pull is
    scoped to that repository), ``ImageSource.from_pull_through_cache(...)`` for an official public image
    cached in the private registry, or ``ImageSource.from_registry("public.ecr.aws/...@sha256:...")`` for any
    other registry.
    """

    #: What the user gave: a full image reference, or only the tag/digest for images in this account's ECR.
    reference: str

    @staticmethod
    def from_registry(reference: str, *, repository_credentials: secretsmanager.ISecret | None = None) -> ImageSource:
        """An image pulled by its full reference (``registry/name@sha256:<64 hex>`` or ``registry/name:tag``).

        Args:
            reference: the image reference; ``:latest`` and untagged references are refused (SF.IMAGE).
            repository_credentials: for a private registry other than ECR, the Secrets Manager secret holding
                ``{"username": ..., "password": ...}`` (the container's ``RepositoryCredentials``). The execution
                role may read exactly that secret (and decrypt with its KMS key, through Secrets Manager only);
                it must be known by its full ARN. Default: none (a public or ECR image).
        """
        return RegistryImage(reference, repository_credentials)

    @staticmethod
    def from_ecr(repository: ecr.IRepository, tag_or_digest: str) -> ImageSource:
        """An image of an ECR repository of this stack or account; the pull is scoped to ``repository``.

        Args:
            repository: the ECR repository (e.g. ``SecureRepository(...).repository``).
            tag_or_digest: ``sha256:<64 hex>`` (preferred) or a fixed tag; ``latest`` is refused (SF.IMAGE).
        """
        return EcrImage(repository, tag_or_digest)

    @staticmethod
    def from_asset(
        directory: str, *, build_args: Mapping[str, str] | None = None, file: str | None = None
    ) -> ImageSource:
        """A Docker image built from ``directory`` and published by ``cdk deploy`` to the bootstrap's ECR
        repository; its tag is the content hash of the build context, so it is pinned by construction.

        Args:
            directory: the build context (holds the Dockerfile).
            build_args: Docker build arguments. Default: none.
            file: the Dockerfile's path relative to ``directory``. Default ``Dockerfile``.
        """
        return AssetImage(directory, dict(build_args or {}), file)

    @staticmethod
    def from_pull_through_cache(prefix: str, upstream_repository: str, tag_or_digest: str) -> ImageSource:
        """An upstream public image (``public.ecr.aws/<upstream_repository>``) pulled through this account's
        private registry via the ECR pull-through cache rule with ``prefix``.

        Args:
            prefix: the cache rule's repository prefix (``PullThroughCache.prefix``).
            upstream_repository: the repository path on ``public.ecr.aws`` (e.g. ``nginx/nginx-unprivileged``).
            tag_or_digest: ``sha256:<64 hex>`` (preferred) or a fixed tag; ``latest`` is refused (SF.IMAGE).
        """
        return PullThroughCacheImage(prefix, upstream_repository, tag_or_digest)

    @property
    def in_private_registry(self) -> bool:
        """True for this account's ECR: pulling then needs ``ecr:GetAuthorizationToken`` (Resource ``*``)."""
        return False

    def pin(self) -> ImagePin | None:
        """How the image is pinned; None when the reference is an unresolved token (not guessed)."""
        if is_unresolved(self.reference):
            return None
        return tag_or_digest_pin(self.reference) if self.in_private_registry else image_pin(self.reference)

    @abc.abstractmethod
    def to_container_image(self) -> ecs.ContainerImage:
        """The ``ecs.ContainerImage`` this source becomes in the task definition."""

    def grant_pull(self, role: iam.IRole) -> None:  # noqa: B027  # most kinds need nothing beyond ContainerImage
        """Pull permissions beyond what the ``ContainerImage`` grants by itself (scoped to the repository)."""

    def ecr_location(self) -> tuple[str, str] | None:
        """(account, region) of the ECR registry the image is pulled from (tokens when they are the stack's own,
        or known only at deploy time), or None when the image is not in ECR (another registry, or unknown)."""
        return None


#: A private ECR image URI: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:tag|@digest].
_PRIVATE_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<cn>\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?:[:@].*)?$"
)


def grant_repository_pull(role: iam.IRole, repository_arn: str, *extra_actions: str) -> None:
    """The pull of one ECR repository (``PULL_ACTIONS`` plus ``extra_actions`` on that repository only), and the
    token call, which has no resource-level permission and so is granted on ``*``."""
    actions = [*PULL_ACTIONS, *extra_actions]
    role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[repository_arn]))
    role.add_to_principal_policy(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))


@dataclass(frozen=True)
class RegistryImage(ImageSource):
    """An image pulled by its full reference. A private ECR URI gets the exact, repository-scoped pull on the
    execution role (CDK's ``ContainerImage.from_registry`` grants none, and the task could not start)."""

    reference: str
    repository_credentials: secretsmanager.ISecret | None = None

    @property
    def _ecr(self) -> re.Match[str] | None:
        return None if is_unresolved(self.reference) else _PRIVATE_ECR.match(self.reference)

    @property
    def in_private_registry(self) -> bool:
        return self._ecr is not None

    def pin(self) -> ImagePin | None:
        return None if is_unresolved(self.reference) else image_pin(self.reference)

    def to_container_image(self) -> ecs.ContainerImage:
        # CDK grants the execution role secretsmanager:GetSecretValue/DescribeSecret on this secret (and kms:Decrypt
        # on its key via Secrets Manager) when the container binds the image.
        return ecs.ContainerImage.from_registry(self.reference, credentials=self.repository_credentials)

    def ecr_location(self) -> tuple[str, str] | None:
        match = self._ecr
        return None if match is None else (match["account"], match["region"])

    def grant_pull(self, role: iam.IRole) -> None:
        match = self._ecr
        if match is None:
            return
        partition = "aws-cn" if match["cn"] else "aws"
        arn = f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"
        grant_repository_pull(role, arn)


@dataclass(frozen=True)
class AssetImage(ImageSource):
    """A Docker image asset: CDK builds and publishes it, and grants the execution role its repository's pull."""

    directory: str
    build_args: Mapping[str, str] = field(default_factory=dict)
    file: str | None = None

    @property
    def reference(self) -> str:  # type: ignore[override]
        return f"asset:{self.directory}"

    @property
    def in_private_registry(self) -> bool:
        return True

    def pin(self) -> ImagePin | None:
        return ImagePin.DIGEST  # the asset's tag is the content hash of its build context: immutable

    def to_container_image(self) -> ecs.ContainerImage:
        return ecs.ContainerImage.from_asset(self.directory, build_args=dict(self.build_args) or None, file=self.file)

    def ecr_location(self) -> tuple[str, str] | None:
        return (AWS.ACCOUNT_ID, AWS.REGION)  # the bootstrap's asset repository, where the stack deploys


@dataclass(frozen=True)
class EcrImage(ImageSource):
    """An image of an ECR repository; ``ContainerImage.from_ecr_repository`` grants the scoped pull."""

    repository: ecr.IRepository
    reference: str

    @property
    def in_private_registry(self) -> bool:
        return True

    def to_container_image(self) -> ecs.ContainerImage:
        return ecs.ContainerImage.from_ecr_repository(self.repository, self.reference)

    def ecr_location(self) -> tuple[str, str] | None:
        # The ARN, when literal, is the truth: from_repository_attributes keeps the stack's env whatever ARN it got.
        arn = self.repository.repository_arn
        parts = arn.split(":") if not is_unresolved(arn) else []
        if len(parts) >= 6 and parts[2] == "ecr":
            return (parts[4], parts[3])
        return (self.repository.env.account, self.repository.env.region)


@dataclass(frozen=True)
class PullThroughCacheImage(ImageSource):
    """An official public image cached in this account's registry by an ECR pull-through cache rule."""

    cache_prefix: str
    upstream_repository: str
    reference: str

    @property
    def in_private_registry(self) -> bool:
        return True

    @property
    def repository_arn(self) -> str:
        """The cached repository (created on first pull): the one resource the pull is granted on."""
        return (
            f"arn:{AWS.PARTITION}:ecr:{AWS.REGION}:{AWS.ACCOUNT_ID}:repository/"
            f"{self.cache_prefix}/{self.upstream_repository}"
        )

    def to_container_image(self) -> ecs.ContainerImage:
        separator = "@" if self.reference.startswith("sha256:") else ":"
        registry = f"{AWS.ACCOUNT_ID}.dkr.ecr.{AWS.REGION}.{AWS.URL_SUFFIX}"
        return ecs.ContainerImage.from_registry(
            f"{registry}/{self.cache_prefix}/{self.upstream_repository}{separator}{self.reference}"
        )

    def ecr_location(self) -> tuple[str, str] | None:
        return (AWS.ACCOUNT_ID, AWS.REGION)

    def grant_pull(self, role: iam.IRole) -> None:
        """The cached repository's pull, its creation on first pull and the upstream import; the token call
        (``ecr:GetAuthorizationToken``) has no resource-level permission."""
        grant_repository_pull(role, self.repository_arn, "ecr:CreateRepository", "ecr:BatchImportUpstreamImage")
