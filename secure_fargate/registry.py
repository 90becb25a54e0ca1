"""Private registry: an ECR repository with immutable tags, scan on push, KMS encryption, a lifecycle rule and
retention on stack deletion; and an ECR pull-through cache rule that brings official public images
(``public.ecr.aws``, no credentials needed) into the private registry, so tasks without internet pull them
through the VPC endpoints."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms
from constructs import Construct

from . import defaults
from .keys import encryption_key


class SecureRepository(Construct):
    """``repository``: immutable tags, scan on push, KMS-encrypted, lifecycle-managed, retained.

    Args:
        scope: the parent construct.
        construct_id: the construct's ID.
        repository_name: the repository name. Default: generated.
        key: KMS key for image layers. Default: a new key with rotation.
        max_image_count: images kept by the lifecycle rule. Default 50 (untagged ones expire after 14 days).
        removal_policy: what happens to the repository and key on stack deletion. Default RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository_name: str | None = None,
        key: kms.IKey | None = None,
        max_image_count: int = defaults.MAX_IMAGE_COUNT,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
    ) -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``)."""
        super().__init__(scope, construct_id)
        self.key = key or encryption_key(
            self, "Key", description=f"{self.node.path}: image layers", removal_policy=removal_policy
        )
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=repository_name,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            image_scan_on_push=True,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=self.key,
            removal_policy=removal_policy,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    description="expire untagged images",
                    tag_status=ecr.TagStatus.UNTAGGED,
                    max_image_age=defaults.UNTAGGED_EXPIRY,
                    rule_priority=1,
                ),
                ecr.LifecycleRule(
                    description=f"keep the last {max_image_count} images",
                    tag_status=ecr.TagStatus.ANY,
                    max_image_count=max_image_count,
                    rule_priority=2,
                ),
            ],
        )


class PullThroughCache(Construct):
    """An ECR pull-through cache rule for ``public.ecr.aws`` under ``prefix`` (e.g. ``ecr-public``).

    Args:
        scope: the parent construct.
        construct_id: the construct's ID.
        prefix: the repository prefix of cached images. Default ``ecr-public``.
    """

    UPSTREAM = "public.ecr.aws"

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str = "ecr-public") -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``)."""
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self.rule = ecr.CfnPullThroughCacheRule(
            self, "Rule", ecr_repository_prefix=prefix, upstream_registry_url=self.UPSTREAM
        )
