"""``SecureNetwork``: a VPC whose task subnets reach ECR, S3, CloudWatch Logs and Secrets Manager without a NAT.

From Fargate platform 1.4.0 on, image pulls, secret retrieval and log delivery go through the task's ENI, so
the task subnets need a path to those services: interface endpoints (ECR api + dkr, Logs, Secrets Manager)
and the S3 gateway endpoint (image layers). The endpoints' security group admits HTTPS only from the
services that are explicitly allowed. VPC flow logs go to a KMS-encrypted log group with finite retention.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import jsii
from aws_cdk import Acknowledgment, Annotations, RemovalPolicy, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IValidation

from . import defaults
from ._tokens import AWS, is_unresolved
from .acknowledgements import IAM_POLICY_ACKNOWLEDGEMENT
from .errors import Problems
from .guardduty import agent_repository_arn
from .images import ImageSource
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


#: ECR's registry permissions are per account; 12 digits (or a token, known at deploy time).
_ACCOUNT = re.compile(r"^\d{12}$")
#: AWS Organizations IDs: "o-" and 10 to 32 lower-case letters or digits.
_ORGANIZATION = re.compile(r"^o-[a-z0-9]{10,32}$")


def _here(service: str, resource: str, account: str = AWS.ACCOUNT_ID) -> str:
    """An ARN pattern of ``service`` in this stack's region and ``account`` (default: this stack's)."""
    return f"arn:{AWS.PARTITION}:{service}:{AWS.REGION}:{account}:{resource}"


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
        image_accounts: 12-digit IDs of further accounts (e.g. a central build account) whose ECR repositories
            in this region the tasks may pull from; the ECR endpoints' policies admit pulls (only pulls) from
            them. The repositories' own policies must still let this account pull. Default: none.
        image_organization_id: an AWS Organizations ID (``o-...``) whose accounts' ECR repositories in this
            region the tasks may pull from (``aws:ResourceOrgID`` on the pull statement). Default: none.

    The endpoints carry policies (docs/platform.md): ECR api/dkr allow image pulls from this
    account's repositories (pull-through cache included), from ``image_accounts`` and ``image_organization_id``,
    and from the region's GuardDuty agent repository only, so a compromised task cannot push to or pull from
    another registry through them; the S3 gateway allows ECR's layer bucket of the region (``add_s3_read`` adds
    more); Logs and Secrets Manager allow this account's log groups and secrets only. ``allow_service`` refuses
    (``SecureFargateError``) a service whose ECR image lies outside these policies, instead of a task that
    cannot start.

    Attributes (extend them rather than fork):
        vpc: the ``ec2.Vpc``.
        task_subnets: the ``ec2.SubnetSelection`` of the task subnets.
        endpoint_security_group: the interface endpoints' security group (HTTPS from allowed services).
        endpoints: the interface endpoints by name (``EcrApi``, ``EcrDocker``, ``Logs``, ``SecretsManager``);
            each is an ``ec2.InterfaceVpcEndpoint`` whose policy takes more statements with
            ``add_to_policy(iam.PolicyStatement(principals=[iam.AnyPrincipal()], ...))``.
        ecr_endpoints: the two ECR endpoints (``EcrApi``, ``EcrDocker``), whose policies decide which
            repositories the tasks can pull from.
        s3_endpoint: the S3 gateway endpoint (``add_s3_read`` or ``add_to_policy``).
        flow_log_group, key: the flow-log group and its KMS key.
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
        image_accounts: Sequence[str] = (),
        image_organization_id: str | None = None,
    ) -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``)."""
        super().__init__(scope, construct_id)
        self._check_image_sources(image_accounts, image_organization_id)
        self.organization_id = organization_id
        #: The accounts whose ECR repositories the tasks may pull from, besides this one (``image_accounts``).
        self.image_accounts: tuple[str, ...] = tuple(image_accounts)
        #: The organisation whose accounts' ECR repositories the tasks may pull from (``image_organization_id``).
        self.image_organization_id = image_organization_id
        self.nat_gateways = nat_gateways
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
        self.ecr_endpoints = [self.endpoints["EcrApi"], self.endpoints["EcrDocker"]]
        self._restrict_endpoints()
        self.node.add_validation(_ImagesWithinEndpoints(self))

    def _check_image_sources(self, accounts: object, organization_id: object) -> None:
        problems = Problems(self.node.path)
        if isinstance(accounts, str) or not isinstance(accounts, Sequence):
            problems.add("image_accounts", accounts, "a list of 12-digit AWS account IDs, e.g. ['111122223333']")
        else:
            for i, account in enumerate(accounts):
                if not (isinstance(account, str) and (is_unresolved(account) or _ACCOUNT.match(account))):
                    problems.add(f"image_accounts[{i}]", account, "a 12-digit AWS account ID such as 111122223333")
        if organization_id is not None and not (
            isinstance(organization_id, str)
            and (is_unresolved(organization_id) or _ORGANIZATION.match(organization_id))
        ):
            problems.add("image_organization_id", organization_id, "an AWS Organizations ID such as o-a1b2c3d4e5")
        problems.raise_if_any()

    def allow_service(self, service: SecureFargateService) -> None:
        """Let ``service`` reach the endpoints (HTTPS) and nothing else it was not already allowed.

        Raises:
            SecureFargateError: when an image of the service lies in an ECR registry the endpoint policies do not
                admit (another account not in ``image_accounts`` and no ``image_organization_id``, or, without
                NAT, another region): its tasks could not pull it.
        """
        self._check_images(service)
        self.endpoint_security_group.add_ingress_rule(
            service.security_group, ec2.Port.tcp(443), f"HTTPS from {service.node.path}"
        )

    def _check_images(self, service: SecureFargateService) -> None:
        problems = Problems(self.node.path)
        for prop, image, problem in self.image_problems(service):
            problems.add(f"allow_service({service.node.path}).{prop}", image.reference, problem)
        problems.raise_if_any()
        if self.nat_gateways == 0:
            for plan in service.plan.containers:
                if plan.options.image.ecr_location() is None:
                    Annotations.of(self).add_warning_v2(
                        "secure-fargate:image-outside-endpoints",
                        f"image {plan.options.image.reference!r} is not in ECR: isolated task subnets cannot reach "
                        "its registry (use a pull-through cache, ECR, or nat_gateways)",
                    )

    def image_problems(self, service: SecureFargateService) -> list[tuple[str, ImageSource, str]]:
        """(where, image, why) for each ECR image of ``service`` that the endpoint policies would refuse."""
        found = []
        for plan in service.plan.containers:
            problem = self._image_problem(plan.options.image)
            if problem:
                found.append((f"{plan.prop}.image", plan.options.image, problem))
        return found

    def _image_problem(self, image: ImageSource) -> str | None:
        """Why the endpoints would refuse this image's pull, or None (also None when it cannot be known)."""
        location = image.ecr_location()
        if location is None:
            return None
        account, region = location
        stack = Stack.of(self)
        if not (is_unresolved(region) or is_unresolved(stack.region)) and region != stack.region:
            if self.nat_gateways == 0:
                return f"an ECR repository of this region ({stack.region}): isolated task subnets reach only it"
            return None
        if is_unresolved(account) or account == stack.account or account in self.image_accounts:
            return None
        if self.image_organization_id is not None:
            return None  # membership is known only to AWS Organizations: admitted by aws:ResourceOrgID
        allowed = [a for a in (stack.account, *self.image_accounts) if not is_unresolved(a)]
        return (
            f"an ECR repository of this account{' (' + ', '.join(allowed) + ')' if allowed else ''}, of "
            "SecureNetwork(image_accounts=[...]) or of SecureNetwork(image_organization_id=...): the endpoint "
            f"policies refuse pulls from account {account}"
        )

    def services_in_vpc(self) -> list[SecureFargateService]:
        """Every ``SecureFargateService`` of the app whose cluster runs in this network's VPC."""
        vpc = self.vpc.node.path
        return [
            c
            for c in self.node.root.node.find_all()
            if isinstance(c, SecureFargateService) and c.service.cluster.vpc.node.path == vpc
        ]

    def add_s3_read(self, *object_arns: str) -> None:
        """Let the task subnets read these S3 objects (ARN patterns) through the gateway endpoint."""
        self.s3_endpoint.add_to_policy(self._statement(["s3:GetObject"], list(object_arns)))

    # ------------------------------------------------------------------------------- endpoint policies

    @functools.cached_property
    def _anyone(self) -> iam.AnyPrincipal:
        """One principal object for every endpoint policy statement (each new one is a jsii round trip)."""
        return iam.AnyPrincipal()

    def _statement(
        self, actions: list[str], resources: list[str], resource_org: str | None = None
    ) -> iam.PolicyStatement:
        equals = {"aws:PrincipalOrgID": self.organization_id} if self.organization_id else {}
        if resource_org:
            equals["aws:ResourceOrgID"] = resource_org
        return iam.PolicyStatement(
            principals=[self._anyone],
            actions=actions,
            resources=resources,
            conditions={"StringEquals": equals} if equals else None,
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
            # Other accounts' repositories: pulls only (no cache import, no repository creation, no push).
            if self.image_accounts:
                others = [_here("ecr", "repository/*", account) for account in self.image_accounts]
                endpoint.add_to_policy(self._statement(list(PULL_ACTIONS), others))
            if self.image_organization_id:
                endpoint.add_to_policy(
                    self._statement(
                        list(PULL_ACTIONS), [_here("ecr", "repository/*", "*")], resource_org=self.image_organization_id
                    )
                )
        self.endpoints["Logs"].add_to_policy(self._statement(["logs:*"], [_here("logs", "*")]))
        self.endpoints["SecretsManager"].add_to_policy(
            self._statement(["secretsmanager:*"], [_here("secretsmanager", "secret:*")])
        )
        # ECR serves image layers from this bucket (ECR user guide, "Amazon S3 gateway endpoint").
        self.add_s3_read(f"arn:{AWS.PARTITION}:s3:::prod-{AWS.REGION}-starport-layer-bucket/*")


@jsii.implements(IValidation)
class _ImagesWithinEndpoints:
    """At synth: every SecureFargateService in the network's VPC pulls only what the ECR endpoints admit, however
    it was let in (``allow_service`` checks at once; this catches a service admitted by a rule added straight to
    ``endpoint_security_group``, or built after)."""

    def __init__(self, network: SecureNetwork) -> None:
        self._network = network

    def validate(self) -> list[str]:
        return [
            f"{service.node.path}: {prop}={image.reference!r} is not allowed: {problem}"
            for service in self._network.services_in_vpc()
            for prop, image, problem in self._network.image_problems(service)
        ]
