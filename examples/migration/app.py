#!/usr/bin/env python3
"""Migration proof (README "Migrating from ApplicationLoadBalancedFargateService"): one stack, two phases.

``-c migration_phase=before`` (default) is an app as a team has it today: ``aws_ecs_patterns``'
``ApplicationLoadBalancedFargateService``. ``-c migration_phase=after`` is the same stack migrated to
``SecureFargateService`` + ``SecureLoadBalancer``, deployed as an update: the load balancer, its listener and the
log group keep their logical IDs (``keep_logical_id``), so CloudFormation updates them in place instead of
replacing the ALB (a new DNS name) and orphaning the retained log group. tests/integration/test_migration.py
deploys both phases to moto and reads the physical IDs back.

    cdk deploy --app "python3 -m examples.migration.app"                             # before
    cdk deploy --app "python3 -m examples.migration.app" -c migration_phase=after    # the migration
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from constructs import Construct

from secure_fargate import ContainerOptions, ImageSource, SecureFargateService, SecureLoadBalancer, keep_logical_id

STACK = "SecureFargateMigration"
IMAGE = "public.ecr.aws/nginx/nginx-unprivileged@sha256:" + "5" * 64

#: The logical IDs of the resources to keep, read from the ``before`` template (``cdk synth`` it and look up the
#: ``AWS::ElasticLoadBalancingV2::LoadBalancer``, ``...::Listener`` and ``AWS::Logs::LogGroup``; README
#: "Migrating"). tests/integration/test_migration.py checks they are the ones the ``before`` app produces.
KEEP = {
    "load_balancer": "WebLB720665E7",
    "listener": "WebLBPublicListenerB3D72A27",
    "log_group": "WebTaskDefwebLogGroup034DCD19",
}


def _network(stack: cdk.Stack, *, insights: bool) -> ecs.Cluster:
    """The VPC and cluster both phases share (same construct IDs: same logical IDs, nothing replaced)."""
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    return ecs.Cluster(
        stack,
        "Cluster",
        vpc=vpc,
        container_insights_v2=ecs.ContainerInsights.ENABLED if insights else None,
    )


class BeforeStack(cdk.Stack):
    """Today: an ``aws_ecs_patterns`` service (root, writable root, no hard limit, no Container Insights)."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        cluster = _network(self, insights=False)
        self.web = ecs_patterns.ApplicationLoadBalancedFargateService(
            self,
            "Web",
            cluster=cluster,
            desired_count=1,
            task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
                container_name="web", image=ecs.ContainerImage.from_registry(IMAGE), container_port=8080
            ),
        )


class AfterStack(cdk.Stack):
    """Migrated: the same VPC and cluster; the service, its roles and target group are new; the load balancer,
    the listener and the log group are the old ones, updated in place."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        cluster = _network(self, insights=True)  # ECS.12: Container Insights, an in-place cluster update
        cdk.Tags.of(cluster).add("team", "web")  # ECS.14
        self.web = SecureFargateService(
            self,
            "Web",
            cluster=cluster,
            desired_count=1,
            container=ContainerOptions(
                name="web",
                image=ImageSource.from_registry(IMAGE),
                memory_limit_mib=384,
                user="101:101",  # nginx-unprivileged's uid: the default 1000:1000 would replace the image's USER
                container_port=8080,
                writable_paths=["/tmp"],
            ),
        )
        # deletion_protection stays off here only so the proof stack can be deleted; keep the default in production
        self.ingress = SecureLoadBalancer(self, "Ingress", vpc=cluster.vpc, deletion_protection=False)
        self.ingress.attach(self.web)
        keep_logical_id(self.ingress.load_balancer, KEEP["load_balancer"])
        keep_logical_id(self.ingress.listener, KEEP["listener"])
        keep_logical_id(self.web.log_group, KEEP["log_group"])


def build(app: cdk.App) -> cdk.Stack:
    phase = app.node.try_get_context("migration_phase") or "before"
    stack_class = {"before": BeforeStack, "after": AfterStack}[phase]
    return stack_class(app, STACK)


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
