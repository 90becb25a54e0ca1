"""The reference stack: VPC, hardened cluster, a Secrets Manager secret, and a SecureFargateService behind an ALB.

Platform teams deploy it as a starting point (``cdk deploy``) and read it as an example of composing the
constructs. Env-agnostic, so it synthesizes offline and deterministically.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .options import ContainerOptions, ImageSource
from .service import SecureFargateService

#: nginx built to run unprivileged (uid 101, listens on 8080): a stand-in application that works with a
#: read-only root, /tmp writable and every capability dropped. Production should pass a digest.
DEFAULT_IMAGE = "nginxinc/nginx-unprivileged:1.27-alpine"


class ReferenceStack(Stack):
    """A VPC (2 AZs), a cluster with Container Insights, a secret, and the hardened service behind an ALB."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: str = DEFAULT_IMAGE,
        existing_secret_name: str | None = None,
        desired_count: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
            ],
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=self.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        if existing_secret_name:
            # Bring your own secret (created and rotated outside this stack).
            self.secret: secretsmanager.ISecret = secretsmanager.Secret.from_secret_name_v2(
                self, "AppSecret", existing_secret_name
            )
        else:
            self.secret = secretsmanager.Secret(
                self,
                "AppSecret",
                description="Database credentials of the reference application",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template='{"username":"app"}',
                    generate_string_key="password",
                    exclude_punctuation=True,
                ),
                removal_policy=RemovalPolicy.RETAIN,
            )
        self.app = SecureFargateService(
            self,
            "App",
            cluster=self.cluster,
            desired_count=desired_count,
            container=ContainerOptions(
                name="app",
                image=ImageSource.from_registry(image),
                memory_limit_mib=448,
                memory_reservation_mib=256,
                container_port=8080,
                user="101:101",
                writable_paths=["/tmp"],
                environment={"APP_ENV": "reference"},
                secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(self.secret, "password")},
            ),
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(self, "LoadBalancer", vpc=self.vpc, internet_facing=True)
        listener = self.load_balancer.add_listener("Http", port=80, open=True)
        listener.add_targets(
            "App",
            port=8080,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.app.service],
            health_check=elbv2.HealthCheck(path="/", interval=Duration.seconds(30)),
            deregistration_delay=Duration.seconds(30),
        )
        CfnOutput(self, "LoadBalancerDns", value=self.load_balancer.load_balancer_dns_name)
