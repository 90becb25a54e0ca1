#!/usr/bin/env python3
"""Day-2 example: a production service using every aws_ecs option the constructs take, with no escape hatch.

Two services behind one internal load balancer: ``api`` (Graviton, Spot, autoscaled, EFS, a shared scratch
volume, environment files, a FireLens log router, Service Connect) and ``web`` (Cloud Map, Service Connect
client). No escape hatch (no L1 child, no property override): every option is a keyword of the constructs.

    cdk synth --app "python examples/day2/app.py"
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_efs as efs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from secure_fargate import (
    ContainerOptions,
    ImageSource,
    LogRouter,
    SecureCluster,
    SecureFargateService,
    SecureLoadBalancer,
    SecureRepository,
)

HERE = Path(__file__).resolve().parent
APP_DIGEST = "sha256:" + "1" * 64
#: aws-for-fluent-bit from ECR Public, pinned by digest (replace with the digest you have vetted).
FLUENT_BIT = "public.ecr.aws/aws-observability/aws-for-fluent-bit@sha256:" + "2" * 64
SHIPPER = "public.ecr.aws/example/log-shipper@sha256:" + "3" * 64
WEB = "public.ecr.aws/example/web@sha256:" + "4" * 64
#: A private CA for Service Connect TLS (ECS issues and rotates the proxies' certificates from it).
PRIVATE_CA_ARN = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555"


class DayTwoStack(cdk.Stack):
    """The example stack; ``api``, ``web``, ``ingress`` and ``scaling`` are exposed for the tests."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        vpc = ec2.Vpc(self, "Vpc", max_azs=2, nat_gateways=1)
        cluster = SecureCluster(self, "Cluster", vpc=vpc, tags={"team": "payments"}).cluster
        cluster.enable_fargate_capacity_providers()  # FARGATE and FARGATE_SPOT for capacity_provider_strategies
        namespace = servicediscovery.PrivateDnsNamespace(self, "Namespace", name="day2.internal", vpc=vpc)
        self.api = self._api(cluster, namespace)
        self.web = self._web(cluster, namespace)
        self.api.allow_egress_to(self.file_system.connections.security_groups[0], 2049, "EFS (NFS over TLS)")
        self.file_system.connections.allow_default_port_from(self.api.security_group, "api tasks")
        self._route_and_scale(vpc)

    def _api(self, cluster: ecs.Cluster, namespace: servicediscovery.INamespace) -> SecureFargateService:
        vpc = cluster.vpc
        repository = SecureRepository(self, "Repository")
        config = s3.Bucket(
            self,
            "Config",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=True,
        )
        self.file_system = efs.FileSystem(self, "Data", vpc=vpc, encrypted=True)
        access_point = self.file_system.add_access_point(
            "AppAccess",
            path="/app",
            posix_user=efs.PosixUser(uid="1000", gid="1000"),
            create_acl=efs.Acl(owner_uid="1000", owner_gid="1000", permissions="750"),
        )
        data = ecs.Volume(
            name="data",
            efs_volume_configuration=ecs.EfsVolumeConfiguration(
                file_system_id=self.file_system.file_system_id,
                transit_encryption="ENABLED",
                authorization_config=ecs.AuthorizationConfig(
                    access_point_id=access_point.access_point_id, iam="ENABLED"
                ),
            ),
        )
        api = SecureFargateService(
            self,
            "Api",
            cluster=cluster,
            cpu=1024,
            memory_limit_mib=2048,
            desired_count=None,  # autoscaling owns the count
            min_healthy_percent=50,
            max_healthy_percent=200,
            health_check_grace_period=cdk.Duration.seconds(60),
            capacity_provider_strategies=[
                ecs.CapacityProviderStrategy(capacity_provider="FARGATE", base=1, weight=1),
                ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=3),
            ],
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_ecs_managed_tags=True,
            runtime_platform=ecs.RuntimePlatform(cpu_architecture=ecs.CpuArchitecture.ARM64),
            ephemeral_storage_gib=50,
            volumes=[ecs.Volume(name="scratch"), data],
            service_connect_configuration=ecs.ServiceConnectProps(
                namespace=namespace.namespace_arn,
                services=[
                    ecs.ServiceConnectService(
                        port_mapping_name="api",
                        dns_name="api",
                        port=8080,
                        tls=ecs.ServiceConnectTlsConfiguration(aws_pca_authority_arn=PRIVATE_CA_ARN),
                    )
                ],
            ),
            container=ContainerOptions(
                name="app",
                image=ImageSource.from_ecr(repository.repository, APP_DIGEST),
                memory_limit_mib=1024,
                port_mappings=[
                    # jsii class property: mypy sees a function, the runtime an AppProtocol
                    ecs.PortMapping(container_port=8080, name="api", app_protocol=ecs.AppProtocol.http),  # type: ignore[arg-type]
                ],
                environment_files=[
                    ecs.EnvironmentFile.from_bucket(config, "api/app.env"),
                    ecs.EnvironmentFile.from_asset(str(HERE / "config" / "app.env")),
                ],
                stop_timeout=cdk.Duration.seconds(60),
                docker_labels={"team": "payments", "service": "api"},
                writable_paths=["/tmp"],
                mount_points=[
                    ecs.MountPoint(container_path="/scratch", source_volume="scratch", read_only=False),
                    ecs.MountPoint(container_path="/data", source_volume="data", read_only=False),
                ],
            ),
            sidecars=[
                ContainerOptions(
                    name="shipper",
                    image=ImageSource.from_registry(SHIPPER),
                    memory_limit_mib=128,
                    essential=False,
                    mount_points=[ecs.MountPoint(container_path="/scratch", source_volume="scratch", read_only=True)],
                )
            ],
            log_router=LogRouter.from_image(ImageSource.from_registry(FLUENT_BIT), essential=True),
        )
        self.file_system.grant_read_write(api.task_role)
        return api

    def _web(self, cluster: ecs.Cluster, namespace: servicediscovery.PrivateDnsNamespace) -> SecureFargateService:
        return SecureFargateService(
            self,
            "Web",
            cluster=cluster,
            cloud_map_options=ecs.CloudMapOptions(name="web", cloud_map_namespace=namespace),
            service_connect_configuration=ecs.ServiceConnectProps(namespace=namespace.namespace_arn),
            propagate_tags=ecs.PropagatedTagSource.TASK_DEFINITION,
            container=ContainerOptions(
                name="web", image=ImageSource.from_registry(WEB), memory_limit_mib=256, container_port=8080
            ),
        )

    def _route_and_scale(self, vpc: ec2.IVpc) -> None:
        certificate = acm.Certificate(
            self, "Certificate", domain_name="day2.example.com", validation=acm.CertificateValidation.from_dns()
        )
        self.ingress = SecureLoadBalancer(self, "Ingress", vpc=vpc, internet_facing=False, certificate=certificate)
        self.ingress.attach(self.web)
        api_targets = self.ingress.attach(
            self.api, priority=10, conditions=[elbv2.ListenerCondition.path_patterns(["/api/*"])]
        )
        self.scaling = self.api.service.auto_scale_task_count(min_capacity=2, max_capacity=20)
        self.scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
        self.scaling.scale_on_memory_utilization("Memory", target_utilization_percent=75)
        self.scaling.scale_on_request_count("Requests", requests_per_target=500, target_group=api_targets)


def build(app: cdk.App) -> DayTwoStack:
    return DayTwoStack(app, "SecureFargateDayTwo")


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
