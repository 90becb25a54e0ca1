"""``SecureLoadBalancer``: the TLS entry point in front of SecureFargateServices.

HTTPS with a given ACM certificate and a TLS 1.2+ policy, HTTP redirected to HTTPS, invalid header fields
dropped, deletion protection, an AWS WAF web ACL with AWS managed rules, and access logs to an encrypted,
TLS-only, versioned and retained bucket. Targets are admitted on their container port from the load
balancer's security group only.

Without a certificate (neither ``certificate`` nor ``certificate_arn``) it serves plain HTTP so that a stack
still synthesizes and deploys anywhere; that choice leaves a warning and acknowledges the two TLS findings with
the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from ipaddress import ip_network

import jsii
from aws_cdk import (
    Acknowledgment,
    Annotations,
    ArnFormat,
    CfnCondition,
    CfnMapping,
    Fn,
    Names,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
    region_info,
)
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, IValidation

from . import defaults
from ._deployment import ClosedTestPorts, anywhere, ingress_rules
from ._tokens import AWS, is_unresolved
from .errors import Problem, Problems
from .keys import encryption_key
from .pack.ingress import is_public_cidr
from .service import SecureFargateService

#: A regional AWS WAF web ACL ARN (CloudFront's global ones are not for load balancers).
_WEB_ACL_ARN = re.compile(
    r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[A-Za-z0-9-]{1,128}$"
)
_SOURCE_KEYS = ("cidr_ip", "cidr_ipv6")


def web_acl_rule_issues(rules: Sequence[object]) -> list[tuple[str, object, str]]:
    """The caller's rules come after the managed groups (priorities 0..n-1): unique priorities and names."""
    issues: list[tuple[str, object, str]] = []
    if isinstance(rules, (str, wafv2.CfnWebACL.RuleProperty)):
        return [("web_acl_rules", rules, "a list of wafv2.CfnWebACL.RuleProperty")]
    taken = {i: g for i, g in enumerate(defaults.WAF_MANAGED_RULE_GROUPS)}
    names = set(defaults.WAF_MANAGED_RULE_GROUPS)
    for i, rule in enumerate(rules):
        if not isinstance(rule, wafv2.CfnWebACL.RuleProperty):
            issues.append((f"web_acl_rules[{i}]", rule, "a wafv2.CfnWebACL.RuleProperty"))
            continue
        priority = rule.priority
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 0:
            issues.append((f"web_acl_rules[{i}].priority", priority, "an int >= 0"))
        elif priority in taken:
            allowed = f"a priority not taken ({sorted(taken)} are taken; {len(defaults.WAF_MANAGED_RULE_GROUPS)}+ free)"
            issues.append((f"web_acl_rules[{i}].priority", f"{priority} (also {taken[priority]})", allowed))
        else:
            taken[priority] = rule.name
        if rule.name in names:
            issues.append((f"web_acl_rules[{i}].name", rule.name, "a name unique in the web ACL"))
        names.add(rule.name)
    return issues


def peer_problem(peer: object) -> tuple[str | None, ec2.IPeer | None]:
    """An internal load balancer's peer: a security group, prefix list or non-public CIDR (a CIDR string becomes
    ``ec2.Peer.ipv4``/``ipv6``); (what is wrong, None) for anywhere, a public range or a malformed CIDR."""
    allowed = "a security group, ec2.Peer.prefix_list(...) or a private CIDR; public ranges and 0.0.0.0/0 are refused"
    if isinstance(peer, str):
        if is_unresolved(peer):
            return None, ec2.Peer.ipv4(peer)
        try:
            network = ip_network(peer.strip(), strict=False)
        except ValueError:
            return f"a CIDR ({allowed})", None
        peer = ec2.Peer.ipv4(str(network)) if network.version == 4 else ec2.Peer.ipv6(str(network))
    config = getattr(peer, "to_ingress_rule_config", None)
    if not callable(config):
        return allowed, None
    rendered = config()
    for key in _SOURCE_KEYS:
        cidr = getattr(rendered, key, None)
        if isinstance(cidr, str) and not is_unresolved(cidr) and is_public_cidr(cidr) is not False:
            return f"{allowed} (an internal load balancer: {cidr} reaches beyond private networks)", None
    return None, peer  # type: ignore[return-value]


_PRIVATE_ONLY = (
    "private ranges, security groups or prefix lists (ingress_peers): an internal load balancer is for the network "
    "behind it"
)


@jsii.implements(IValidation)
class PrivateIngress:
    """At synth: an internal load balancer's security groups admit no public range (as ``ingress_peers`` refuses
    one), however the rule was added later: ``connections.allow_from``, a group added to the load balancer, or a
    ``CfnSecurityGroupIngress`` in any stack. The VPC's own CIDR (the default peer) is the VPC, whatever its range."""

    def __init__(self, path: str, connections: ec2.Connections, vpc_cidr: str) -> None:
        self._path = path
        self._connections = connections
        self._vpc_cidr = vpc_cidr

    def validate(self) -> list[str]:
        found: list[str] = []
        for group in self._connections.security_groups:
            for rule in ingress_rules(group):
                cidr = rule.get("cidrip") or rule.get("cidripv6")
                if (
                    isinstance(cidr, str)
                    and cidr != self._vpc_cidr
                    and not is_unresolved(cidr)
                    and is_public_cidr(cidr)
                ):
                    found.append(str(Problem(self._path, "ingress rule", cidr, _PRIVATE_ONLY)))
        return found


class SecureLoadBalancer(Construct):
    """An ALB, internet-facing in the VPC's public subnets or internal in its private ones; ``attach(service)``
    routes to a service (the first as the listener's default, further ones by priority and conditions).

    Args:
        scope: the parent construct.
        construct_id: the construct's ID.
        vpc: the VPC (its public subnets hold an internet-facing load balancer, its private ones an internal one).
        certificate_arn: ACM certificate ARN for HTTPS (TLS 1.2+ policy, HTTP redirected). Default: none, which
            serves plain HTTP with a warning so a stack deploys without a domain.
        certificate: the certificate as an ``acm.ICertificate`` (e.g. ``acm.Certificate(...)``), instead of
            ``certificate_arn``. Default: none.
        internet_facing: False for an internal ALB in the private subnets (with egress, else isolated), reachable
            from the VPC's CIDR only (or ``ingress_peers``). Default True.
        ingress_peers: for an internal ALB, who may reach its listener ports instead of the whole VPC CIDR: security
            groups or other ``ec2.IPeer`` s, or CIDR strings. Public ranges (``0.0.0.0/0``, ``::/0``, any range
            outside the private, shared and link-local blocks) are refused: an internal load balancer is for the
            network behind it; a public block your network uses internally goes in an ``ec2.Peer.prefix_list``.
            Default: the VPC's CIDR.
        deletion_protection: protect the load balancer from deletion. Default True.
        web_acl: put an AWS WAF web ACL (AWS managed rules, logged) in front. Default True.
        web_acl_arn: associate this existing regional web ACL (e.g. the organisation's central one,
            ``arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>``) instead of creating one; its rules and
            logging are its owner's. Default: none (the load balancer's own web ACL).
        web_acl_rules: further ``wafv2.CfnWebACL.RuleProperty`` s for the load balancer's own web ACL, after the
            AWS managed rule groups (priorities 0 and 1); their priorities and names must not collide with those or
            each other. Default: none.
        waf_log_retention: retention of the WAF log group. Default one year.
        key: KMS key for the WAF logs. Default: a new key with rotation.
        removal_policy: what happens to the log bucket, key and log group on stack deletion. Default RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        certificate_arn: str | None = None,
        deletion_protection: bool = True,
        certificate: acm.ICertificate | None = None,
        internet_facing: bool = True,
        web_acl: bool = True,
        web_acl_arn: str | None = None,
        web_acl_rules: Sequence[wafv2.CfnWebACL.RuleProperty] = (),
        ingress_peers: Sequence[ec2.IPeer | str] = (),
        waf_log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
    ) -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``)."""
        super().__init__(scope, construct_id)
        self._check_inputs(certificate, certificate_arn, internet_facing)
        self._check_web_acl(web_acl, web_acl_arn, web_acl_rules)
        peers = self._check_peers(internet_facing, ingress_peers)
        self._web_acl_rules = list(web_acl_rules)
        self._default_route_taken = False
        self._attached: set[str] = set()
        self._key = key
        self._removal_policy = removal_policy
        self._vpc = vpc
        #: The test listeners of blue/green, linear and canary services, by port (see ``attach``).
        self.test_listeners: dict[int, elbv2.ApplicationListener] = {}
        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            # ALB access logs support only SSE-S3 (not SSE-KMS): see docs/platform.md "cdk-nag acknowledgements".
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=defaults.ACCESS_LOG_EXPIRY, noncurrent_version_expiration=defaults.ACCESS_LOG_EXPIRY
                )
            ],
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=internet_facing,
            vpc_subnets=self._subnets(vpc, internet_facing),
            drop_invalid_header_fields=True,
            deletion_protection=deletion_protection,
        )
        self._log_access(prefix="alb")
        if certificate_arn and certificate is None:
            certificate = acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
        self._certificate = certificate
        if certificate is not None:
            self.listener = self.load_balancer.add_listener(
                "Https", port=443, certificates=[certificate], ssl_policy=defaults.SSL_POLICY, open=internet_facing
            )
            redirect = self.load_balancer.add_redirect(source_port=80, target_port=443, open=internet_facing)
            #: The port-80 listener that redirects to HTTPS (None without a certificate).
            self.redirect_listener: elbv2.ApplicationListener | None = redirect
            Validations.of(redirect).acknowledge(
                Acknowledgment(
                    id="NIST.800.53.R5::NIST.800.53.R5-ELBv2ACMCertificateRequired",
                    reason="Port 80 only answers with a permanent redirect to HTTPS on 443; it serves no content.",
                )
            )
        else:
            self.listener = self.load_balancer.add_listener("Http", port=80, open=internet_facing)
            self.redirect_listener = None
            reason = (
                "no certificate given (certificate or certificate_arn): plain HTTP so the stack deploys without a "
                "domain; give a certificate for production"
            )
            Annotations.of(self).add_warning_v2("secure-fargate:no-certificate", f"Serving plain HTTP: {reason}")
            for rule in ("NIST.800.53.R5-ALBHttpToHttpsRedirection", "NIST.800.53.R5-ELBv2ACMCertificateRequired"):
                Validations.of(self).acknowledge(Acknowledgment(id=f"NIST.800.53.R5::{rule}", reason=reason))
        if not internet_facing:
            self._admit(peers or [ec2.Peer.ipv4(vpc.vpc_cidr_block)], "the VPC" if not peers else None)
            self.node.add_validation(PrivateIngress(self.node.path, self.load_balancer.connections, vpc.vpc_cidr_block))
        else:
            Validations.of(self.load_balancer).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-EC23",
                    reason="An internet-facing load balancer must accept its listener ports from anywhere; the tasks "
                    "behind it admit only this load balancer's security group.",
                )
            )
        Validations.of(self.access_log_bucket).acknowledge(
            *(
                Acknowledgment(id=rule, reason=reason)
                for rule, reason in {
                    "AwsSolutions::AwsSolutions-S1": "This bucket is the access-log destination; logging its own "
                    "access would need another bucket, and that one another. It is private, TLS-only and versioned.",
                    "NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled": "This bucket is the access-log "
                    "destination; logging its own access would need another bucket, and that one another.",
                    "NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled": "Regional operational evidence; "
                    "cross-region copies belong to the organisation's central log archive, not to this construct.",
                    "NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS": "ALB access-log delivery supports only "
                    "SSE-S3 (AES-256) on the destination bucket, not SSE-KMS.",
                }.items()
            )
        )
        self.web_acl = self._web_acl(waf_log_retention) if web_acl and web_acl_arn is None else None
        #: The ARN of the web ACL in front of the load balancer (its own or the given one; None without WAF).
        self.web_acl_arn = web_acl_arn if web_acl_arn is not None else (self.web_acl.attr_arn if self.web_acl else None)
        if web_acl_arn is not None:
            wafv2.CfnWebACLAssociation(
                self, "WebAclAssociation", resource_arn=self.load_balancer.load_balancer_arn, web_acl_arn=web_acl_arn
            )

    def _check_inputs(
        self, certificate: acm.ICertificate | None, certificate_arn: str | None, internet_facing: object
    ) -> None:
        problems = Problems(self.node.path)
        if certificate is not None and certificate_arn:
            problems.add("certificate/certificate_arn", ("<certificate>", certificate_arn), "one of them, not both")
        if isinstance(certificate, str):
            allowed = "an acm.ICertificate (acm.Certificate.from_certificate_arn(...)), or the ARN as certificate_arn"
            problems.add("certificate", certificate, allowed)
        if certificate_arn is not None and not (
            isinstance(certificate_arn, str) and (is_unresolved(certificate_arn) or certificate_arn.startswith("arn:"))
        ):
            problems.add("certificate_arn", certificate_arn, "an ACM certificate ARN (arn:aws:acm:<region>:...)")
        if not isinstance(internet_facing, bool):
            problems.add("internet_facing", internet_facing, "True or False")
        problems.raise_if_any()

    @staticmethod
    def _subnets(vpc: ec2.IVpc, internet_facing: bool) -> ec2.SubnetSelection:
        if internet_facing:
            return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
        private = ec2.SubnetType.PRIVATE_WITH_EGRESS if vpc.private_subnets else ec2.SubnetType.PRIVATE_ISOLATED
        return ec2.SubnetSelection(subnet_type=private)

    def _admit(self, peers: Sequence[ec2.IPeer], name: str | None) -> None:
        """An internal load balancer answers ``peers`` only (the VPC's CIDR unless narrowed), on its listener port
        and, with a certificate, the redirecting port 80."""
        for peer in peers:
            shown = name or (peer.unique_id if not is_unresolved(peer.unique_id) else "a named peer")
            for port in sorted({self.listener.port, 80}):
                self.load_balancer.connections.allow_from(peer, ec2.Port.tcp(port), f"from {shown} only")

    def _check_web_acl(self, web_acl: object, web_acl_arn: object, rules: Sequence[object]) -> None:
        problems = Problems(self.node.path)
        if web_acl_arn is not None:
            if not isinstance(web_acl_arn, str) or not (is_unresolved(web_acl_arn) or _WEB_ACL_ARN.match(web_acl_arn)):
                allowed = (
                    "a regional AWS WAF web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)"
                )
                problems.add("web_acl_arn", web_acl_arn, allowed)
            if web_acl is False:
                problems.add("web_acl/web_acl_arn", (web_acl, web_acl_arn), "web_acl_arn, or web_acl=False, not both")
            if rules:
                allowed = "no web_acl_rules: the given web ACL's rules belong to its owner"
                problems.add("web_acl_rules", [getattr(r, "name", r) for r in rules], allowed)
        elif rules and web_acl is False:
            problems.add("web_acl_rules", [getattr(r, "name", r) for r in rules], "web_acl=True (its own web ACL)")
        for prop, value, allowed in web_acl_rule_issues(rules):
            problems.add(prop, value, allowed)
        problems.raise_if_any()

    def _check_peers(self, internet_facing: object, peers: Sequence[object]) -> list[ec2.IPeer]:
        problems = Problems(self.node.path)
        if isinstance(peers, str):
            problems.add("ingress_peers", peers, f"a list, e.g. [{peers!r}]")
            problems.raise_if_any()
        if peers and internet_facing is not False:
            problems.add("ingress_peers", list(map(str, peers)), "internet_facing=False (an internal load balancer)")
        found: list[ec2.IPeer] = []
        for i, peer in enumerate(peers):
            problem, resolved = peer_problem(peer)
            if problem:
                problems.add(f"ingress_peers[{i}]", str(peer), problem)
            elif resolved is not None:
                found.append(resolved)
        problems.raise_if_any()
        return found

    def _log_access(self, prefix: str) -> None:
        """Access logs to the bucket. CDK's ``log_access_logs`` needs a concrete region (it looks up the regional
        ELB account at synth); this works in environment-agnostic stacks: the ELB account comes from a mapping
        (regions launched before August 2022), the log-delivery service principal serves the newer ones."""
        stack = Stack.of(self)
        # Two jsii calls for the whole table: reading each RegionInfo's facts was three round trips per region
        # (about 115 per synth). Same regions, order and values: regionMap walks RegionInfo.regions, keeping facts set.
        partitions = region_info.RegionInfo.region_map(region_info.FactName.PARTITION)
        elb_accounts = region_info.RegionInfo.region_map(region_info.FactName.ELBV2_ACCOUNT)
        accounts = {name: elb_accounts.get(name) or "none" for name, part in partitions.items() if part == "aws"}
        mapping = CfnMapping(self, "ElbLogDeliveryAccounts", mapping={k: {"account": v} for k, v in accounts.items()})
        elb_account = mapping.find_in_map(AWS.REGION, "account")
        legacy = CfnCondition(
            self, "RegionHasElbAccount", expression=Fn.condition_not(Fn.condition_equals(elb_account, "none"))
        )
        # In a region with no ELB account, the statement names this account instead: no extra access.
        writer = Token.as_string(
            Fn.condition_if(
                legacy.logical_id,
                f"arn:{AWS.PARTITION}:iam::{elb_account}:root",
                f"arn:{AWS.PARTITION}:iam::{AWS.ACCOUNT_ID}:root",
            )
        )
        objects = self.access_log_bucket.arn_for_objects(f"{prefix}/AWSLogs/{stack.account}/*")
        for principal in (
            iam.ArnPrincipal(writer),
            iam.ServicePrincipal("logdelivery.elasticloadbalancing.amazonaws.com"),
        ):
            self.access_log_bucket.add_to_resource_policy(
                iam.PolicyStatement(actions=["s3:PutObject"], principals=[principal], resources=[objects])
            )
        self.load_balancer.set_attribute("access_logs.s3.enabled", "true")
        self.load_balancer.set_attribute("access_logs.s3.bucket", self.access_log_bucket.bucket_name)
        self.load_balancer.set_attribute("access_logs.s3.prefix", prefix)
        policy = self.access_log_bucket.policy
        if policy is not None:
            self.load_balancer.node.add_dependency(policy)

    def _web_acl(self, log_retention: logs.RetentionDays) -> wafv2.CfnWebACL:
        managed = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=index,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                    cloud_watch_metrics_enabled=True, metric_name=group, sampled_requests_enabled=True
                ),
            )
            for index, group in enumerate(defaults.WAF_MANAGED_RULE_GROUPS)
        ]
        rules = [*managed, *self._web_acl_rules]
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=Stack.of(self).stack_name + "WebAcl",
                sampled_requests_enabled=True,
            ),
        )
        wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=self.load_balancer.load_balancer_arn, web_acl_arn=acl.attr_arn
        )
        # WAF logs: the log group's name must start with aws-waf-logs-; encrypted, finite retention.
        self.waf_key = self._key or encryption_key(
            self,
            "WafLogKey",
            description=f"{self.node.path}: WAF logs",
            for_logs=True,
            removal_policy=self._removal_policy,
        )
        name = f"aws-waf-logs-{Names.unique_id(self)}"[:512]
        self.waf_log_group = logs.LogGroup(
            self,
            "WafLogs",
            log_group_name=name,
            retention=log_retention,
            encryption_key=self.waf_key,
            removal_policy=self._removal_policy,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[
                Stack.of(self).format_arn(
                    service="logs", resource="log-group", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
                )
            ],
        )
        logging.node.add_dependency(self.waf_log_group)
        return acl

    def attach(
        self,
        service: SecureFargateService,
        *,
        health_check_path: str = "/",
        priority: int | None = None,
        conditions: Sequence[elbv2.ListenerCondition] | None = None,
        test_port: int | None = None,
        test_traffic_from: Sequence[ec2.IPeer] = (),
    ) -> elbv2.ApplicationTargetGroup:
        """Route the listener to ``service``'s main container; its SG then admits this ALB on that port only.

        The first service attached without ``priority``/``conditions`` is the listener's default; every further one
        needs them (e.g. ``[elbv2.ListenerCondition.path_patterns(["/api/*"])]``): a second default would replace
        the first and orphan its service, so it raises SecureFargateError, as does attaching a service twice.

        Args:
            service: the service to route to (its main container's ``container_port``).
            health_check_path: the target group's health check path. Default ``/``.
            priority: the listener rule's priority, for every service after the first.
            conditions: the listener rule's conditions, with ``priority``.
            test_port: for a BLUE_GREEN, LINEAR or CANARY service: the port of the test listener ECS sends test
                traffic through to the new revision (HTTPS with the production listener's certificate and TLS
                policy; HTTP only when production is HTTP). Default 8443 (8080 for HTTP).
            test_traffic_from: who may reach the test listener (e.g. the lifecycle hook's security group, your CI's
                CIDR). The test listener admits nobody else, and never anyone (``0.0.0.0/0``, ``::/0``): the
                revision behind it has not passed its checks yet. Default: nobody.

        A BLUE_GREEN, LINEAR or CANARY service gets two target groups (blue, and ECS's alternate green one, both
        with the same health check and port), a production rule and a test rule forwarding to both (ECS shifts
        their weights), and ECS's infrastructure role that switches them; the returned group is the blue one.

        Returns:
            the target group (e.g. for ``scale_on_request_count``).
        """
        self._check_attach(service, priority, conditions)
        self._check_test_traffic(service, test_port, test_traffic_from)
        service.attached_to.append(self.node.path)
        if service.deployment.shifts_traffic:
            return self._attach_shifting(service, health_check_path, priority, conditions, test_port, test_traffic_from)
        port = service.container_port
        target_group = self.listener.add_targets(
            service.node.id,
            port=port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[service.service],
            priority=priority,
            conditions=list(conditions) if conditions else None,
            health_check=elbv2.HealthCheck(path=health_check_path, interval=defaults.HEALTH_CHECK_INTERVAL),
            deregistration_delay=defaults.DEREGISTRATION_DELAY,
        )
        self._attached.add(service.node.path)
        self._default_route_taken = self._default_route_taken or priority is None
        return target_group

    def _check_attach(self, service: SecureFargateService, priority: int | None, conditions: object) -> None:
        problems = Problems(self.node.path)
        if service.container_port is None:
            problems.add("service.container.container_port", None, "a container port to route to")
        if (priority is None) != (conditions is None):
            problems.add("priority/conditions", (priority, conditions), "both (a routed rule) or neither (the default)")
        elif priority is None and self._default_route_taken:
            allowed = "priority and conditions: the default route is taken by the first service attached"
            problems.add("priority/conditions", (priority, conditions), allowed)
        if service.node.path in self._attached:
            problems.add("service", service.node.path, "a service not attached to this load balancer yet")
        problems.raise_if_any()

    # ----------------------------------------------------------------------- blue/green, linear and canary

    def _check_test_traffic(self, service: SecureFargateService, port: object, peers: Sequence[ec2.IPeer]) -> None:
        problems = Problems(self.node.path)
        if not service.deployment.shifts_traffic and (port is not None or peers):
            allowed = "none: only a BLUE_GREEN, LINEAR or CANARY service has a test listener"
            problems.add("test_port/test_traffic_from", (port, [str(p) for p in peers]), allowed)
        if port is not None and (
            not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535 or port in (80, 443)
        ):
            problems.add("test_port", port, "a port 1-65535 other than the production ports 80 and 443")
        if service.deployment.shifts_traffic and service.attached_to:
            allowed = "one load balancer: ECS shifts a BLUE_GREEN, LINEAR or CANARY service's traffic through one"
            problems.add("service", f"{service.node.path} (attached to {service.attached_to[0]})", allowed)
        allowed = (
            "named peers (ec2.IPeer: a security group, a CIDR narrower than anywhere): test traffic reaches a "
            "revision that has not passed its checks"
        )
        cidrs: list[tuple[int, str | None]] = []
        for i, peer in enumerate(peers):
            config = getattr(peer, "to_ingress_rule_config", None)
            if not callable(config):
                problems.add(f"test_traffic_from[{i}]", str(peer), allowed)
                continue
            rendered = config()
            cidrs += [(i, getattr(rendered, key, None)) for key in _SOURCE_KEYS]
        wide = anywhere(c for _, c in cidrs)
        for i, cidr in cidrs:
            if cidr in wide:
                problems.add(f"test_traffic_from[{i}]", cidr, allowed)
        problems.raise_if_any()

    def _test_listener(self, port: int | None, peers: Sequence[ec2.IPeer]) -> elbv2.ApplicationListener:
        """The test listener on ``port``: as hardened as the production one, closed but to ``peers``."""
        https = self._certificate is not None
        port = port or (defaults.TEST_LISTENER_PORT if https else defaults.TEST_LISTENER_PORT_HTTP)
        listener = self.test_listeners.get(port)
        if not self.test_listeners:
            connections = self.load_balancer.connections
            self.node.add_validation(ClosedTestPorts(self.node.path, connections, self.test_listeners))
        if listener is None:
            listener = self.load_balancer.add_listener(
                f"Test{port}",
                port=port,
                protocol=elbv2.ApplicationProtocol.HTTPS if https else elbv2.ApplicationProtocol.HTTP,
                certificates=[self._certificate] if self._certificate is not None else None,
                ssl_policy=defaults.SSL_POLICY if https else None,
                open=False,
                default_action=elbv2.ListenerAction.fixed_response(404),
            )
            self.test_listeners[port] = listener
        for peer in peers:
            self.load_balancer.connections.allow_from(peer, ec2.Port.tcp(port), "test traffic (deployments)")
        return listener

    def _attach_shifting(
        self,
        service: SecureFargateService,
        health_check_path: str,
        priority: int | None,
        conditions: Sequence[elbv2.ListenerCondition] | None,
        test_port: int | None,
        test_traffic_from: Sequence[ec2.IPeer],
    ) -> elbv2.ApplicationTargetGroup:
        """Blue and green target groups, production and test rules over both, wired to ECS's alternate target."""
        name = service.node.id
        blue, green = (
            elbv2.ApplicationTargetGroup(
                self,
                f"{name}{colour}",
                vpc=self._vpc,
                port=service.container_port,
                protocol=elbv2.ApplicationProtocol.HTTP,
                target_type=elbv2.TargetType.IP,
                health_check=elbv2.HealthCheck(path=health_check_path, interval=defaults.HEALTH_CHECK_INTERVAL),
                deregistration_delay=defaults.DEREGISTRATION_DELAY,
            )
            for colour in ("Blue", "Green")
        )
        if priority is None:
            # The listener's default answers 404; the catch-all production rule carries the service, because ECS
            # shifts traffic by rewriting a rule's weights, never a listener's default action.
            self.listener.add_action(f"{name}Default", action=elbv2.ListenerAction.fixed_response(404))
        rules = [
            elbv2.ApplicationListenerRule(
                self,
                f"{name}{kind}Rule",
                listener=listener,
                priority=priority if priority is not None else defaults.CATCH_ALL_PRIORITY,
                conditions=list(conditions) if conditions else [elbv2.ListenerCondition.path_patterns(["/*"])],
                action=elbv2.ListenerAction.weighted_forward(
                    [
                        elbv2.WeightedTargetGroup(target_group=blue, weight=100),
                        elbv2.WeightedTargetGroup(target_group=green, weight=0),
                    ]
                ),
            )
            for kind, listener in (
                ("Production", self.listener),
                ("Test", self._test_listener(test_port, test_traffic_from)),
            )
        ]
        production, test = rules
        service.attach_blue_green(blue, green, production, test)
        self._attached.add(service.node.path)
        self._default_route_taken = self._default_route_taken or priority is None
        return blue
