"""Build one benchmark app and synthesize it: ``python bench/stacks.py KIND N OUTDIR``.

KIND: empty (the floor: jsii start-up plus an empty app), patterns (aws_ecs_patterns
ApplicationLoadBalancedFargateService), ours (SecureFargateService behind an ALB), reference (our ReferenceStack),
twin (the reference stack's resources written by hand around an aws_ecs_patterns service: the same resource types in
the same numbers, N ignored). N services share one VPC and cluster; each gets its own load balancer and secret, as a
new user would write it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the reference stack lives beside app.py

import aws_cdk as cdk

IMAGE = "public.ecr.aws/example/app@sha256:" + "a" * 64


def build(kind: str, count: int, outdir: str) -> None:
    """Each case imports only what its app uses, as a user's app would: an aws_ecs_patterns app never imports
    secure_fargate, and the import of our package and of the aws_cdk modules it needs is part of our cost."""
    app = cdk.App(outdir=outdir)
    if kind == "reference":
        from reference import ReferenceStack

        ReferenceStack(app, "SecureFargateReference")
    elif kind == "twin":
        _patterns_twin(cdk.Stack(app, "BenchTwin"))
    elif kind != "empty":
        from aws_cdk import aws_ec2 as ec2
        from aws_cdk import aws_ecs as ecs
        from aws_cdk import aws_secretsmanager as sm

        stack = cdk.Stack(app, f"Bench{kind.title()}{count}")
        vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
        cluster = ecs.Cluster(stack, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        cdk.Tags.of(cluster).add("team", "bench")  # ECS.14: the pack SecureFargateService registers judges the app
        for i in range(count):
            secret = sm.Secret(stack, f"Secret{i}")
            (_patterns_service if kind == "patterns" else _our_service)(stack, i, vpc, cluster, secret)
    app.synth()


def _patterns_service(stack: Any, i: int, vpc: Any, cluster: Any, secret: Any) -> None:
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_ecs_patterns as patterns

    patterns.ApplicationLoadBalancedFargateService(
        stack,
        f"Web{i}",
        cluster=cluster,
        task_image_options=patterns.ApplicationLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_registry(IMAGE),
            container_port=8080,
            secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret, "password")},
        ),
    )


def _our_service(stack: Any, i: int, vpc: Any, cluster: Any, secret: Any) -> None:
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_elasticloadbalancingv2 as elbv2

    from secure_fargate import ContainerOptions, ImageSource, SecureFargateService

    service = SecureFargateService(
        stack,
        f"Web{i}",
        cluster=cluster,
        container=ContainerOptions(
            name="web",
            image=ImageSource.from_registry(IMAGE),
            memory_limit_mib=512,
            container_port=8080,
            secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret, "password")},
        ),
    )
    alb = elbv2.ApplicationLoadBalancer(stack, f"Lb{i}", vpc=vpc, internet_facing=True)
    alb.add_listener("Http", port=80).add_targets("Web", port=8080, targets=[service.service])


def _patterns_twin(stack: Any) -> None:
    """The reference stack without our constructs: what a team writes around ``aws_ecs_patterns`` to get the same
    network, keys, logs, registry cache, load balancer logging, WAF and redeploy on rotation. Only plain aws_cdk L2s
    and L1s, so the comparison with ``reference`` isolates what our constructs and the pack cost.
    ``tests/test_bench.py`` holds the two templates to the same resource types and counts."""
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_ecr as ecr
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_ecs_patterns as patterns
    from aws_cdk import aws_events as events
    from aws_cdk import aws_events_targets as targets
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_secretsmanager as sm
    from aws_cdk import aws_stepfunctions as sfn
    from aws_cdk import aws_wafv2 as wafv2

    def key(name: str) -> Any:
        return kms.Key(stack, name, enable_key_rotation=True)

    def log_group(name: str, encryption_key: Any, **kwargs: Any) -> Any:
        return logs.LogGroup(
            stack, name, encryption_key=encryption_key, retention=logs.RetentionDays.ONE_YEAR, **kwargs
        )

    network_key = key("NetworkKey")
    key_for_logs = iam.ServicePrincipal("logs.amazonaws.com")
    network_key.grant_encrypt_decrypt(key_for_logs)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC),
            ec2.SubnetConfiguration(name="tasks", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ],
        flow_logs={
            "FlowLog": ec2.FlowLogOptions(
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(log_group("FlowLogs", network_key))
            )
        },
    )
    vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
    endpoint_group = ec2.SecurityGroup(stack, "EndpointSecurityGroup", vpc=vpc, allow_all_outbound=False)
    for name, service in (
        ("EcrApi", ec2.InterfaceVpcEndpointAwsService.ECR),
        ("EcrDocker", ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER),
        ("Logs", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS),
        ("SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER),
    ):
        vpc.add_interface_endpoint(name, service=service, security_groups=[endpoint_group], open=False)
    cluster = ecs.Cluster(
        stack,
        "Cluster",
        vpc=vpc,
        container_insights_v2=ecs.ContainerInsights.ENABLED,
        managed_storage_configuration=ecs.ManagedStorageConfiguration(
            fargate_ephemeral_storage_kms_key=key("EphemeralStorageKey")
        ),
    )
    secret = sm.Secret(
        stack,
        "AppSecret",
        encryption_key=key("SecretKey"),
        generate_secret_string=sm.SecretStringGenerator(
            secret_string_template='{"username":"app"}', generate_string_key="password", exclude_punctuation=True
        ),
    )
    ecr.CfnPullThroughCacheRule(
        stack, "PublicImages", ecr_repository_prefix="ecr-public", upstream_registry_url="public.ecr.aws"
    )
    log_key = key("LogKey")
    log_key.grant_encrypt_decrypt(key_for_logs)
    app_group = ec2.SecurityGroup(stack, "AppSecurityGroup", vpc=vpc, allow_all_outbound=False)
    app_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to S3 (image layers)")
    web = patterns.ApplicationLoadBalancedFargateService(
        stack,
        "App",
        cluster=cluster,
        security_groups=[app_group],
        task_subnets=ec2.SubnetSelection(subnet_group_name="tasks"),
        desired_count=2,
        memory_limit_mib=512,
        task_image_options=patterns.ApplicationLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_registry(IMAGE),
            container_port=8080,
            environment={"APP_ENV": "reference"},
            secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret, "password")},
            log_driver=ecs.LogDrivers.aws_logs(stream_prefix="app", log_group=log_group("AppLogs", log_key)),
        ),
    )
    web.service.connections.allow_to(endpoint_group, ec2.Port.tcp(443), "HTTPS to the VPC interface endpoints")
    access_logs = s3.Bucket(
        stack,
        "AccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
    )
    # log_access_logs needs a region (its ELB account); an env-agnostic stack grants the log delivery service
    web.load_balancer.set_attribute("access_logs.s3.enabled", "true")
    web.load_balancer.set_attribute("access_logs.s3.bucket", access_logs.bucket_name)
    access_logs.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject"],
            principals=[iam.ServicePrincipal("logdelivery.elasticloadbalancing.amazonaws.com")],
            resources=[access_logs.arn_for_objects("AWSLogs/*")],
        )
    )
    redeploy = sfn.CustomState(
        stack,
        "Redeploy",
        state_json={
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:ecs:updateService",
            "Parameters": {
                "Cluster": cluster.cluster_arn,
                "Service": web.service.service_name,
                "ForceNewDeployment": True,
            },
        },
    )
    machine = sfn.StateMachine(stack, "StateMachine", definition_body=sfn.DefinitionBody.from_chainable(redeploy))
    machine.add_to_role_policy(iam.PolicyStatement(actions=["ecs:UpdateService"], resources=[web.service.service_arn]))
    events.Rule(
        stack,
        "Rotated",
        event_pattern=events.EventPattern(
            source=["aws.secretsmanager"], detail={"eventName": ["RotationSucceeded"], "additionalEventData": {
                "SecretId": [secret.secret_arn]}},
        ),
        targets=[targets.SfnStateMachine(machine)],
    )
    acl = wafv2.CfnWebACL(
        stack,
        "WebAcl",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        scope="REGIONAL",
        visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name="web-acl", sampled_requests_enabled=True
        ),
        rules=[
            wafv2.CfnWebACL.RuleProperty(
                name="common",
                priority=0,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name="AWSManagedRulesCommonRuleSet"
                    )
                ),
                visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                    cloud_watch_metrics_enabled=True, metric_name="common", sampled_requests_enabled=True
                ),
            )
        ],
    )
    wafv2.CfnWebACLAssociation(
        stack, "WebAclAssociation", resource_arn=web.load_balancer.load_balancer_arn, web_acl_arn=acl.attr_arn
    )
    waf_logs = log_group("WafLogs", key("WafLogKey"), log_group_name="aws-waf-logs-bench-twin")
    wafv2.CfnLoggingConfiguration(
        stack, "WafLogging", resource_arn=acl.attr_arn, log_destination_configs=[waf_logs.log_group_arn]
    )


if __name__ == "__main__":
    build(sys.argv[1], int(sys.argv[2]), sys.argv[3])
