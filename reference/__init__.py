"""The reference stack: private network with VPC endpoints, hardened cluster, a KMS-encrypted Secrets Manager
secret, and a SecureFargateService behind a TLS load balancer with WAF.

Platform teams deploy it as a starting point (``cdk deploy``) and read it as an example of composing the
constructs. Env-agnostic, so it synthesizes offline and deterministically.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, CfnOutput, RemovalPolicy, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from secure_fargate import (
    ContainerOptions,
    ImageSource,
    PullThroughCache,
    RotationRedeploy,
    SecureCluster,
    SecureFargateService,
    SecureLoadBalancer,
    SecureNetwork,
    SecurityAgent,
    TrafficRule,
    enable_rotation,
    encryption_key,
)

#: nginx built to run unprivileged (uid 101, listens on 8080), from ECR Public through the pull-through cache:
#: a stand-in application that works with a read-only root, /tmp writable and every capability dropped.
#: A tag, so synth warns; production passes a digest (context ``image_tag``).
UPSTREAM_REPOSITORY = "nginx/nginx-unprivileged"
UPSTREAM_TAG = "1.27-alpine"


class ReferenceStack(Stack):
    """SecureNetwork + SecureCluster + secret + SecureFargateService + SecureLoadBalancer."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: str | None = None,
        image_tag: str = UPSTREAM_TAG,
        existing_secret_name: str | None = None,
        desired_count: int = 2,
        nat_gateways: int = 0,
        certificate_arn: str | None = None,
        s3_prefix_list_id: str | None = None,
        security_agent_image: str | None = None,
        rotation_lambda_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.network = SecureNetwork(self, "Network", nat_gateways=nat_gateways)
        vpc = self.network.vpc
        self.cluster = SecureCluster(self, "Cluster", vpc=vpc).cluster
        if existing_secret_name:
            # Bring your own secret (created, encrypted and rotated outside this stack).
            self.secret: secretsmanager.ISecret = secretsmanager.Secret.from_secret_name_v2(
                self, "AppSecret", existing_secret_name
            )
        else:
            self.secret_key = encryption_key(self, "SecretKey", description="Reference application secret")
            self.secret = secretsmanager.Secret(
                self,
                "AppSecret",
                description="Database credentials of the reference application",
                encryption_key=self.secret_key,
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template='{"username":"app"}',
                    generate_string_key="password",
                    exclude_punctuation=True,
                ),
                removal_policy=RemovalPolicy.RETAIN,
            )
            if rotation_lambda_arn:
                from aws_cdk import aws_lambda as lambda_  # only when used: a large module to import

                enable_rotation(
                    self.secret,
                    rotation_lambda=lambda_.Function.from_function_arn(self, "RotationFunction", rotation_lambda_arn),
                )
            else:
                reason = (
                    "Rotation is opt-in (context rotation_lambda_arn): the reference application has no database "
                    "to rotate against. Rotations done elsewhere still redeploy the service (RotationRedeploy)."
                )
                Validations.of(self.secret).acknowledge(
                    Acknowledgment(id="AwsSolutions::AwsSolutions-SMG4", reason=reason),
                    Acknowledgment(id="NIST.800.53.R5::NIST.800.53.R5-SecretsManagerRotationEnabled", reason=reason),
                )
        if image:
            source = ImageSource.from_registry(image)
        else:
            cache = PullThroughCache(self, "PublicImages")
            source = ImageSource.from_pull_through_cache(cache.prefix, UPSTREAM_REPOSITORY, image_tag)
        # Egress: HTTPS to the interface endpoints, and to S3 (image layers) through its prefix list when known.
        s3_peer = ec2.Peer.prefix_list(s3_prefix_list_id) if s3_prefix_list_id else ec2.Peer.any_ipv4()
        self.log_key = encryption_key(self, "LogKey", description="Reference application logs", for_logs=True)
        self.app = SecureFargateService(
            self,
            "App",
            cluster=self.cluster,
            desired_count=desired_count,
            log_encryption_key=self.log_key,
            vpc_subnets=self.network.task_subnets,
            egress=[
                TrafficRule(self.network.endpoint_security_group, 443, "HTTPS to the VPC interface endpoints"),
                TrafficRule(s3_peer, 443, "HTTPS to S3 (image layers) via the gateway endpoint route"),
            ],
            security_agent=(
                SecurityAgent.from_image(ImageSource.from_registry(security_agent_image), memory_limit_mib=64)
                if security_agent_image
                else None
            ),
            container=ContainerOptions(
                name="app",
                image=source,
                memory_limit_mib=384,  # leaves the GuardDuty agent its 128 MiB of the task's 512
                memory_reservation_mib=256,
                container_port=8080,
                user="101:101",
                writable_paths=["/tmp"],
                environment={"APP_ENV": "reference"},
                secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(self.secret, "password")},
            ),
        )
        self.network.allow_service(self.app)
        self.redeploy = RotationRedeploy(self, "RedeployOnRotation", service=self.app, secrets=[self.secret])
        self.ingress = SecureLoadBalancer(self, "Ingress", vpc=vpc, certificate_arn=certificate_arn)
        self.ingress.attach(self.app)
        CfnOutput(self, "LoadBalancerDns", value=self.ingress.load_balancer.load_balancer_dns_name)
