"""Recipe: Fluent Bit (aws-for-fluent-bit) as the FireLens log router, non-root, with a read-only root.

Sources (checked, not guessed):

- User: ``1000:1000`` (the library's default for ``LogRouter``). FireLens long needed its router to run as root
  (aws/aws-for-fluent-bit#713, aws/containers-roadmap#2122: the router creates a unix socket in a directory the
  ECS agent owns); the ECS agent's "FireLens non-root user mode" (aws/amazon-ecs-agent#4598, released with #4697)
  now gives that directory to the router container's ``user``. aws-for-fluent-bit documents no uid of its own
  (its image has no ``USER``), so any non-root uid works; we keep 1000:1000. **Not verified here**: that the
  Fargate platform version you run includes that agent feature; if the router cannot create its socket, that is
  the cause, and the fix is a platform update, not root.
- Writable paths: only ``/tmp``. The init process writes to ``/init``, or to ``/tmp/init`` when ``/init`` is not
  writable; a volume over ``/init`` would hide its scripts (aws/aws-for-fluent-bit#824, #928).
"""

from __future__ import annotations

from aws_cdk import aws_ecs as ecs
from constructs import Construct

from secure_fargate import ContainerOptions, ImageSource, LogRouter, SecureFargateService

FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit@sha256:" + "f" * 64


def fluent_bit_service(
    scope: Construct, construct_id: str, *, cluster: ecs.ICluster, app: ContainerOptions
) -> SecureFargateService:
    """``app`` logging through a hardened Fluent Bit router into the service's log group."""
    return SecureFargateService(
        scope,
        construct_id,
        cluster=cluster,
        container=app,
        log_router=LogRouter.from_image(ImageSource.from_registry(FLUENT_BIT_IMAGE), essential=True),
    )
