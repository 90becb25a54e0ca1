#!/usr/bin/env python3
"""Deployments example: ECS native blue/green and canary deployments behind one internal load balancer, with
rollback alarms and a lifecycle hook that checks the new revision through the test listener before production
traffic reaches it. No escape hatch: ``SecureLoadBalancer.attach`` builds the second target group, the test
listener and the rules ECS switches.

    cdk synth --app "python3 examples/deployments/app.py"      (from the repository root)
    cdk deploy --app "python3 examples/deployments/app.py"

Environment-agnostic, so it synthesizes offline; ``tests/integration/test_deploy_deployments.py`` deploys it to moto.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_fargate import (
    ContainerOptions,
    ImageSource,
    SecureCluster,
    SecureFargateService,
    SecureLoadBalancer,
)

STACK = "SecureFargateDeployments"
#: nginx built to run unprivileged (listens on 8080), pinned by digest (replace with your own image).
IMAGE = ImageSource.from_registry("public.ecr.aws/nginx/nginx-unprivileged@sha256:" + "5" * 64)
#: The test listener's port (HTTP here, as production: the example has no domain; give a certificate in production).
TEST_PORT = 8080

#: The lifecycle hook: ECS calls it after test traffic reaches the new revision; it asks the test listener for the
#: health path and answers SUCCEEDED (go on) or FAILED (ECS rolls back). No dependency beyond the standard library.
HOOK_CODE = """
import os, urllib.request

def handler(event, context):
    try:
        with urllib.request.urlopen(os.environ["TEST_URL"], timeout=5) as response:
            healthy = response.status == 200
    except OSError:
        healthy = False
    return {"hookStatus": "SUCCEEDED" if healthy else "FAILED"}
"""


class DeploymentsStack(cdk.Stack):
    """``web`` deploys blue/green (default route), ``api`` canary (``/api/*``); both roll back on alarm."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        vpc = ec2.Vpc(self, "Vpc", max_azs=2, nat_gateways=1)
        cluster = SecureCluster(self, "Cluster", vpc=vpc).cluster
        cdk.Tags.of(cluster).add("team", "deployments")
        self.ingress = SecureLoadBalancer(self, "Ingress", vpc=vpc, internet_facing=False, deletion_protection=False)
        self.hook = self._hook(vpc)

        # Blue/green: the new revision gets test traffic, the hook checks it, then all production traffic moves at
        # once; the old revision stays up 10 minutes (bake time) so a rollback is a switch back, not a redeploy.
        self.web = SecureFargateService(
            self,
            "Web",
            cluster=cluster,
            container=self._container("web"),
            deployment_strategy=ecs.DeploymentStrategy.BLUE_GREEN,
            bake_time=cdk.Duration.minutes(10),
            deployment_alarms=ecs.DeploymentAlarmConfig(alarm_names=[f"{STACK}-web-5xx"]),
            lifecycle_hooks=[
                ecs.DeploymentLifecycleLambdaTarget(
                    self.hook,
                    "CheckTestTraffic",
                    lifecycle_stages=[ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT],
                )
            ],
        )
        # Canary: 10 % of production traffic for 5 minutes, then the rest.
        self.api = SecureFargateService(
            self,
            "Api",
            cluster=cluster,
            container=self._container("api"),
            deployment_strategy=ecs.DeploymentStrategy.CANARY,
            canary_configuration=ecs.TrafficShiftConfig(step_percent=10, step_bake_time=cdk.Duration.minutes(5)),
            bake_time=cdk.Duration.minutes(5),
            deployment_alarms=ecs.DeploymentAlarmConfig(alarm_names=[f"{STACK}-api-5xx"]),
        )
        hook_peer = [self.hook.connections.security_groups[0]]
        alb_group = self.ingress.load_balancer.connections.security_groups[0]
        hook_peer[0].add_egress_rule(
            ec2.Peer.security_group_id(alb_group.security_group_id), ec2.Port.tcp(TEST_PORT), "test listener only"
        )
        web_targets = self.ingress.attach(self.web, test_port=TEST_PORT, test_traffic_from=hook_peer)
        api_targets = self.ingress.attach(
            self.api,
            priority=10,
            conditions=[elbv2.ListenerCondition.path_patterns(["/api/*"])],
            test_port=TEST_PORT,
        )
        self._alarm("web", web_targets)
        self._alarm("api", api_targets)
        self.hook.add_environment(
            "TEST_URL", f"http://{self.ingress.load_balancer.load_balancer_dns_name}:{TEST_PORT}/"
        )

    def _hook(self, vpc: ec2.IVpc) -> lambda_.Function:
        """The hook function, in the VPC so the test listener can admit its security group and nothing else."""
        return lambda_.Function(
            self,
            "TestTrafficHook",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="index.handler",
            code=lambda_.Code.from_inline(HOOK_CODE),
            timeout=cdk.Duration.seconds(30),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            allow_all_outbound=False,
            log_group=logs.LogGroup(self, "TestTrafficHookLogs", retention=logs.RetentionDays.ONE_YEAR),
        )

    def _alarm(self, name: str, targets: elbv2.ApplicationTargetGroup) -> None:
        """The alarm ECS watches during a deployment and its bake time: 5xx answers of the service's targets."""
        cloudwatch.Alarm(
            self,
            f"{name.title()}Errors",
            alarm_name=f"{STACK}-{name}-5xx",
            metric=targets.metrics.http_code_target(
                elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=cdk.Duration.minutes(1)
            ),
            threshold=5,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    @staticmethod
    def _container(name: str) -> ContainerOptions:
        return ContainerOptions(
            name=name, image=IMAGE, memory_limit_mib=256, container_port=8080, user="101:101", writable_paths=["/tmp"]
        )


def build(app: cdk.App) -> DeploymentsStack:
    return DeploymentsStack(app, STACK)


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
