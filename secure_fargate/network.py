"""``SecureNetwork``: a VPC whose task subnets reach ECR, S3, CloudWatch Logs and Secrets Manager without a NAT.

From Fargate platform 1.4.0 on, image pulls, secret retrieval and log delivery go through the task's ENI, so
the task subnets need a path to those services: interface endpoints (ECR api + dkr, Logs, Secrets Manager)
and the S3 gateway endpoint (image layers). The endpoints' security group admits HTTPS only from the
services that are explicitly allowed. VPC flow logs go to a KMS-encrypted log group with finite retention.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Aws, RemovalPolicy, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import defaults
from .acknowledgements import IAM_POLICY_ACKNOWLEDGEMENT
from .guardduty import agent_repository_arn
from .keys import encryption_key
from .pack.guardduty import PULL_ACTIONS
from .service import SecureFargateService

#: Interface endpoints a Fargate task needs to start without internet access.
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
}


def _here(service: str, resource: str) -> str:
    """An ARN pattern of ``service`` in this stack's account and region."""
    return f"arn:{Aws.PARTITION}:{service}:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"


class SecureNetwork(Construct):
    """VPC (public subnets for load balancers only, private task subnets), endpoints, flow logs.

    ``nat_gateways=0`` (the default) gives isolated task subnets that reach AWS only through the endpoints;
    with NAT gateways the task subnets also reach the internet (e.g. for third-party APIs).

    Args:
        scope: the parent construct.
        construct_id: the construct's ID.
        max_azs: availability zones to span. Default 2.
        nat_gateways: NAT gateways; 0 (default) keeps task subnets isolated (VPC endpoints only).
        ip_addresses: the VPC's address plan. Default: CDK's (10.0.0.0/16).
        flow_log_retention: retention of the flow-log group. Default one year.
        key: KMS key for the flow logs. Default: a new key with rotation.
        removal_policy: what happens to the key and log group on stack deletion. Default RETAIN.
        organization_id: an AWS Organizations ID (``o-...``); the endpoint policies then also require the
            calling principal to belong to it (``aws:PrincipalOrgID``). Default: none (this account's resources
            only).

    The endpoints carry policies (docs/platform.md): ECR api/dkr allow image pulls from this
    account's repositories (pull-through cache included) and the region's GuardDuty agent repository only, so
    a compromised task cannot push to or pull from a foreign registry through them; the S3 gateway allows
    ECR's layer bucket of the region (``add_s3_read`` adds more); Logs and Secrets Manager allow this
    account's log groups and secrets only.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        max_azs: int = defaults.MAX_AZS,
        nat_gateways: int = 0,
        ip_addresses: ec2.IIpAddresses | None = None,
        flow_log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        organization_id: str | None = None,
    ) -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``)."""
        super().__init__(scope, construct_id)
        self.organization_id = organization_id
        self.task_subnet_type = (
            ec2.SubnetType.PRIVATE_WITH_EGRESS if nat_gateways > 0 else ec2.SubnetType.PRIVATE_ISOLATED
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=max_azs,
            nat_gateways=nat_gateways,
            ip_addresses=ip_addresses,
            restrict_default_security_group=False,  # docs/platform.md: no resource uses it; closing it needs a Lambda
            subnet_configuration=[
                # Public subnets host only internet-facing load balancers (and NAT gateways): no public IPs.
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24, map_public_ip_on_launch=False
                ),
                ec2.SubnetConfiguration(name="tasks", subnet_type=self.task_subnet_type, cidr_mask=22),
            ],
        )
        self.key = key or encryption_key(
            self, "Key", description=f"{self.node.path}: VPC flow logs", for_logs=True, removal_policy=removal_policy
        )
        self.flow_log_group = logs.LogGroup(
            self, "FlowLogs", retention=flow_log_retention, encryption_key=self.key, removal_policy=removal_policy
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        Validations.of(self.vpc).acknowledge(
            Acknowledgment(
                id="NIST.800.53.R5::NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
                reason="No resource uses the default security group (each has its own). Closing it takes a "
                "Lambda-backed custom resource, more attack surface (runtime, role) than it removes.",
            )
        )
        for subnet in self.vpc.public_subnets:
            Validations.of(subnet).acknowledge(
                Acknowledgment(
                    id="NIST.800.53.R5::NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
                    reason="Public subnets host only the internet-facing load balancer (and NAT gateways); task "
                    "subnets have no route to the internet gateway.",
                )
            )
        Validations.of(self).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)
        task_subnets = ec2.SubnetSelection(subnet_type=self.task_subnet_type)
        self.task_subnets = task_subnets
        self.s3_endpoint = self.vpc.add_gateway_endpoint(
            "S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[task_subnets]
        )
        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            allow_all_outbound=False,
            description=f"{self.node.path}: interface endpoints, HTTPS from allowed services only",
        )
        self.endpoints = {
            name: self.vpc.add_interface_endpoint(
                name,
                service=service,
                subnets=task_subnets,
                private_dns_enabled=True,
                open=False,
                security_groups=[self.endpoint_security_group],
            )
            for name, service in INTERFACE_ENDPOINTS.items()
        }
        self._restrict_endpoints()

    def allow_service(self, service: SecureFargateService) -> None:
        """Let ``service`` reach the endpoints (HTTPS) and nothing else it was not already allowed."""
        self.endpoint_security_group.add_ingress_rule(
            service.security_group, ec2.Port.tcp(443), f"HTTPS from {service.node.path}"
        )

    def add_s3_read(self, *object_arns: str) -> None:
        """Let the task subnets read these S3 objects (ARN patterns) through the gateway endpoint."""
        self.s3_endpoint.add_to_policy(self._statement(["s3:GetObject"], list(object_arns)))

    # ------------------------------------------------------------------------------- endpoint policies

    def _statement(self, actions: list[str], resources: list[str]) -> iam.PolicyStatement:
        conditions = {"StringEquals": {"aws:PrincipalOrgID": self.organization_id}} if self.organization_id else None
        return iam.PolicyStatement(
            principals=[iam.AnyPrincipal()], actions=actions, resources=resources, conditions=conditions
        )

    def _restrict_endpoints(self) -> None:
        """Endpoint policies: each endpoint reaches only the resources the tasks need (see the class doc)."""
        repositories = [_here("ecr", "repository/*")]
        guardduty = agent_repository_arn(self)
        for name in ("EcrApi", "EcrDocker"):
            endpoint = self.endpoints[name]
            # The token call has no resource-level permission; the token only opens the caller's own registry.
            endpoint.add_to_policy(self._statement(["ecr:GetAuthorizationToken"], ["*"]))
            endpoint.add_to_policy(
                self._statement([*PULL_ACTIONS, "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"], repositories)
            )
            if guardduty is not None:
                endpoint.add_to_policy(self._statement(list(PULL_ACTIONS), [guardduty]))
        self.endpoints["Logs"].add_to_policy(self._statement(["logs:*"], [_here("logs", "*")]))
        self.endpoints["SecretsManager"].add_to_policy(
            self._statement(["secretsmanager:*"], [_here("secretsmanager", "secret:*")])
        )
        # ECR serves image layers from this bucket (ECR user guide, "Amazon S3 gateway endpoint").
        self.add_s3_read(f"arn:{Aws.PARTITION}:s3:::prod-{Aws.REGION}-starport-layer-bucket/*")
