#!/usr/bin/env python3
"""Two services on one load balancer (default route + path rule), one autoscaled: the second stack of the deploy
proof (tests/integration/test_deploy_routed.py). No escape hatch.

    cdk deploy SecureFargateRouted --app "python3 -m examples.day2.routed"
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from secure_fargate import ContainerOptions, ImageSource, SecureFargateService, SecureLoadBalancer

#: nginx built to run unprivileged (listens on 8080), pinned by digest (not pulled by the emulator).
IMAGE = "public.ecr.aws/nginx/nginx-unprivileged@sha256:" + "5" * 64
STACK = "SecureFargateRouted"


class RoutedStack(cdk.Stack):
    """``web`` takes the listener's default route; ``api`` gets ``/api/*`` and scales on CPU and requests."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC),
                ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            ],
        )
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENHANCED)
        cdk.Tags.of(cluster).add("team", "platform")  # Security Hub ECS.14: clusters are tagged
        self.web = SecureFargateService(self, "Web", cluster=cluster, container=self._container("web"))
        self.api = SecureFargateService(
            self,
            "Api",
            cluster=cluster,
            desired_count=None,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            container=self._container("api"),
        )
        ingress = SecureLoadBalancer(self, "Ingress", vpc=vpc, deletion_protection=False)
        ingress.attach(self.web)
        api_targets = ingress.attach(
            self.api, priority=10, conditions=[elbv2.ListenerCondition.path_patterns(["/api/*"])]
        )
        scaling = self.api.service.auto_scale_task_count(min_capacity=1, max_capacity=4)
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
        scaling.scale_on_request_count("Requests", requests_per_target=200, target_group=api_targets)

    @staticmethod
    def _container(name: str) -> ContainerOptions:
        return ContainerOptions(
            name=name,
            image=ImageSource.from_registry(IMAGE),
            memory_limit_mib=256,
            container_port=8080,
            user="101:101",
            writable_paths=["/tmp"],
        )


if __name__ == "__main__":
    app = cdk.App()
    RoutedStack(app, STACK)
    app.synth()
