"""Platform baseline (issue 4): network, cluster, registry, ingress, keys; cdk-nag and cfn-lint on the reference."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from reference import ReferenceStack
from secure_fargate.cluster import SecureCluster
from secure_fargate.network import SecureNetwork
from secure_fargate.pack.guardduty import is_guardduty_agent_repository
from secure_fargate.registry import SecureRepository
from tests.conftest import only, resources_of
from tests.helpers import cfn_lint

CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def tls_template() -> dict[str, Any]:
    app = cdk.App()
    stack = ReferenceStack(
        app, "SecureFargateReference", certificate_arn=CERT, nat_gateways=1, s3_prefix_list_id="pl-63a5400a"
    )
    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


def of_type(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in resources_of(template, resource_type).values()]


# ---------------------------------------------------------------------------------------------- network
def test_task_subnets_have_no_nat_and_reach_aws_through_endpoints(reference_template: dict[str, Any]) -> None:
    assert resources_of(reference_template, "AWS::EC2::NatGateway") == {}
    services = {json.dumps(e["ServiceName"]) for e in of_type(reference_template, "AWS::EC2::VPCEndpoint")}
    for service in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", ".s3"):
        assert any(service in s for s in services), service
    for endpoint in of_type(reference_template, "AWS::EC2::VPCEndpoint"):
        if endpoint.get("VpcEndpointType") == "Interface":
            assert endpoint["PrivateDnsEnabled"] is True


def test_endpoint_security_group_admits_https_from_the_service_only(reference_template: dict[str, Any]) -> None:
    (group_id,) = [
        k for k in resources_of(reference_template, "AWS::EC2::SecurityGroup") if "EndpointSecurityGroup" in k
    ]
    rules = [
        r
        for r in of_type(reference_template, "AWS::EC2::SecurityGroupIngress")
        if r["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    assert [(r["FromPort"], r["SourceSecurityGroupId"]["Fn::GetAtt"][0][:16]) for r in rules] == [
        (443, "AppSecurityGroup")
    ]
    assert "SecurityGroupIngress" not in reference_template["Resources"][group_id]["Properties"]


def test_service_egress_is_narrowed_to_endpoints_and_s3(tls_template: dict[str, Any]) -> None:
    (group_id,) = [k for k in resources_of(tls_template, "AWS::EC2::SecurityGroup") if k.startswith("AppSecurityGroup")]
    # Rules to a security group or a prefix list are separate resources; CloudFormation removes the default
    # allow-all egress rule when the first one is added, and no inline allow-all remains.
    assert "SecurityGroupEgress" not in tls_template["Resources"][group_id]["Properties"]
    rules = [
        r
        for r in of_type(tls_template, "AWS::EC2::SecurityGroupEgress")
        if r["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    peers = sorted(
        (
            r.get("DestinationPrefixListId") or r["DestinationSecurityGroupId"]["Fn::GetAtt"][0][:28],
            r["IpProtocol"],
            r["FromPort"],
            r["ToPort"],
        )
        for r in rules
    )
    assert peers == [("NetworkEndpointSecurityGroup", "tcp", 443, 443), ("pl-63a5400a", "tcp", 443, 443)]


def test_flow_logs_go_to_an_encrypted_log_group_with_retention(reference_template: dict[str, Any]) -> None:
    (flow_log,) = of_type(reference_template, "AWS::EC2::FlowLog")
    assert flow_log["TrafficType"] == "ALL"
    group = reference_template["Resources"][flow_log["LogGroupName"]["Ref"]]["Properties"]
    assert group["RetentionInDays"] == 365 and "KmsKeyId" in group


def test_public_subnets_assign_no_public_ips(reference_template: dict[str, Any]) -> None:
    for subnet in of_type(reference_template, "AWS::EC2::Subnet"):
        assert subnet["MapPublicIpOnLaunch"] is False


def test_nat_stays_an_option(tls_template: dict[str, Any]) -> None:
    assert len(resources_of(tls_template, "AWS::EC2::NatGateway")) == 1


# ---------------------------------------------------------------------------------------------- cluster
def test_cluster_has_enhanced_container_insights(reference_template: dict[str, Any]) -> None:
    assert only(reference_template, "AWS::ECS::Cluster")["ClusterSettings"] == [
        {"Name": "containerInsights", "Value": "enhanced"}
    ]


def test_exec_logging_is_encrypted() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    network = SecureNetwork(stack, "Net")
    SecureCluster(stack, "Cluster", vpc=network.vpc, execute_command_logging=True)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        {
            "Configuration": {
                "ExecuteCommandConfiguration": {
                    "KmsKeyId": Match.any_value(),
                    "Logging": "OVERRIDE",
                    "LogConfiguration": {
                        "CloudWatchEncryptionEnabled": True,
                        "CloudWatchLogGroupName": Match.any_value(),
                    },
                }
            }
        },
    )
    keys = template.find_resources("AWS::KMS::Key")
    assert keys and all(k["Properties"]["EnableKeyRotation"] is True for k in keys.values())


# --------------------------------------------------------------------------------------------- registry
def test_private_repository_is_immutable_scanned_encrypted_lifecycled_and_retained() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    SecureRepository(stack, "Repo")
    template = Template.from_stack(stack)
    template.has_resource(
        "AWS::ECR::Repository",
        {
            "DeletionPolicy": "Retain",
            "Properties": {
                "ImageTagMutability": "IMMUTABLE",
                "ImageScanningConfiguration": {"ScanOnPush": True},
                "EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": Match.any_value()},
                "LifecyclePolicy": {"LifecyclePolicyText": Match.string_like_regexp(".*untagged.*")},
            },
        },
    )


def test_private_repository_image_scopes_the_execution_role_pull_to_that_repository() -> None:
    from secure_fargate import ImageSource, SecureFargateService
    from tests.conftest import app_container, base_stack

    _, stack, cluster, _ = base_stack()
    repository = SecureRepository(stack, "Repo").repository
    SecureFargateService(
        stack,
        "Svc",
        cluster=cluster,
        container=app_container(image=ImageSource.from_ecr(repository, "sha256:" + "e" * 64)),
    )
    template = Template.from_stack(stack).to_json()
    repo_id = next(iter(resources_of(template, "AWS::ECR::Repository")))
    statements = [s for p in of_type(template, "AWS::IAM::Policy") for s in p["PolicyDocument"]["Statement"]]
    # besides the GuardDuty agent repository every execution role may pull (issue 14)
    (pull,) = [
        s for s in statements if "ecr:BatchGetImage" in s["Action"] and not is_guardduty_agent_repository(s["Resource"])
    ]
    assert pull["Resource"] == {"Fn::GetAtt": [repo_id, "Arn"]}
    image = json.dumps(only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"][0]["Image"])
    assert "@sha256:" + "e" * 64 in image


def test_pull_through_cache_image_and_scoped_execution_role(reference_template: dict[str, Any]) -> None:
    (rule,) = of_type(reference_template, "AWS::ECR::PullThroughCacheRule")
    assert rule == {"EcrRepositoryPrefix": "ecr-public", "UpstreamRegistryUrl": "public.ecr.aws"}
    image = only(reference_template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"][0]["Image"]
    assert ".dkr.ecr." in json.dumps(image)
    assert image["Fn::Join"][1][-1] == "/ecr-public/nginx/nginx-unprivileged:1.27-alpine"
    statements = [s for p in of_type(reference_template, "AWS::IAM::Policy") for s in p["PolicyDocument"]["Statement"]]
    (pull,) = [s for s in statements if "ecr:BatchImportUpstreamImage" in s["Action"]]
    assert "repository/ecr-public/nginx/nginx-unprivileged" in json.dumps(pull["Resource"])


# ---------------------------------------------------------------------------------------------- ingress
def test_https_listener_with_tls12_policy_and_redirect(tls_template: dict[str, Any]) -> None:
    listeners = of_type(tls_template, "AWS::ElasticLoadBalancingV2::Listener")
    (https,) = [x for x in listeners if x["Port"] == 443]
    assert https["Protocol"] == "HTTPS" and https["Certificates"] == [{"CertificateArn": CERT}]
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2")
    (http,) = [x for x in listeners if x["Port"] == 80]
    assert http["DefaultActions"][0]["Type"] == "redirect"
    assert http["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"


def test_load_balancer_drops_invalid_headers_logs_access_and_is_protected(reference_template: dict[str, Any]) -> None:
    attributes = {
        a["Key"]: a["Value"]
        for a in only(reference_template, "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancerAttributes"]
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == "true"


def test_access_log_writer_mapping_is_every_commercial_region_with_its_elb_account(
    reference_template: dict[str, Any],
) -> None:
    """The ELB account table (read in two jsii calls) holds what each region's own facts say: the oracle here
    reads them one region at a time, as the construct used to. A region missing from the table would fail the
    deploy there (FindInMap); a wrong account would hand the log bucket to someone else."""
    (name,) = [k for k in reference_template["Mappings"] if "ElbLogDeliveryAccounts" in k]
    table = reference_template["Mappings"][name]
    expected = {
        r.name: {"account": r.elbv2_account or "none"}
        for r in cdk.region_info.RegionInfo.regions
        if r.partition == "aws"
    }
    assert list(table.items()) == list(expected.items())  # same regions, values and order
    assert table["us-east-1"] == {"account": "127311923021"} and table["eu-west-1"] == {"account": "156460612806"}
    assert not [r for r in table if r.startswith(("cn-", "us-gov-", "us-iso"))]  # other partitions: not this table
    assert "none" in {v["account"] for v in table.values()}  # newer regions: the log-delivery principal serves them
    (condition,) = reference_template["Conditions"].values()
    lookup = {"Fn::FindInMap": [name, {"Ref": "AWS::Region"}, "account"]}
    assert condition == {"Fn::Not": [{"Fn::Equals": [lookup, "none"]}]}


def test_access_log_bucket_is_encrypted_tls_only_private_and_retained(reference_template: dict[str, Any]) -> None:
    ((_, bucket),) = resources_of(reference_template, "AWS::S3::Bucket").items()
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (policy,) = of_type(reference_template, "AWS::S3::BucketPolicy")
    deny = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_web_acl_with_managed_rules_and_logging(reference_template: dict[str, Any]) -> None:
    (acl,) = of_type(reference_template, "AWS::WAFv2::WebACL")
    groups = [r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"]]
    assert "AWSManagedRulesCommonRuleSet" in groups
    assert len(of_type(reference_template, "AWS::WAFv2::WebACLAssociation")) == 1
    (logging,) = of_type(reference_template, "AWS::WAFv2::LoggingConfiguration")
    assert "aws-waf-logs-" in json.dumps(logging["LogDestinationConfigs"])


def test_service_admits_only_the_load_balancer_on_the_container_port(tls_template: dict[str, Any]) -> None:
    (group_id,) = [k for k in resources_of(tls_template, "AWS::EC2::SecurityGroup") if k.startswith("AppSecurityGroup")]
    rules = [
        r
        for r in of_type(tls_template, "AWS::EC2::SecurityGroupIngress")
        if r["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    assert [(r["FromPort"], r["SourceSecurityGroupId"]["Fn::GetAtt"][0][:31]) for r in rules] == [
        (8080, "IngressLoadBalancerSecurityGrou")
    ]


def test_second_service_is_routed_by_conditions_and_attach_checks_its_inputs() -> None:
    from aws_cdk import aws_elasticloadbalancingv2 as elbv2

    from secure_fargate import SecureFargateError, SecureFargateService, SecureLoadBalancer
    from tests.conftest import app_container, base_stack

    _, stack, cluster, _ = base_stack()
    ingress = SecureLoadBalancer(stack, "Ingress", vpc=cluster.vpc)
    web = SecureFargateService(stack, "Web", cluster=cluster, container=app_container(container_port=8080))
    api = SecureFargateService(stack, "Api", cluster=cluster, container=app_container(container_port=9090))
    worker = SecureFargateService(stack, "Worker", cluster=cluster, container=app_container())
    ingress.attach(web)
    ingress.attach(api, priority=10, conditions=[elbv2.ListenerCondition.path_patterns(["/api/*"])])
    with pytest.raises(SecureFargateError, match=r"priority/conditions="):
        ingress.attach(api, priority=20)
    with pytest.raises(SecureFargateError, match=r"service\.container\.container_port=None"):
        ingress.attach(worker)
    template = Template.from_stack(stack).to_json()
    (rule,) = of_type(template, "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert rule["Priority"] == 10 and rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/api/*"]


# ------------------------------------------------------------------------------------------------- keys
@pytest.mark.parametrize("name", ["reference_template", "tls_template"])
def test_every_log_group_and_secret_uses_a_rotating_customer_managed_key(
    name: str, request: pytest.FixtureRequest
) -> None:
    template = request.getfixturevalue(name)
    for group in of_type(template, "AWS::Logs::LogGroup"):
        assert "KmsKeyId" in group and isinstance(group["RetentionInDays"], int)
    for secret in of_type(template, "AWS::SecretsManager::Secret"):
        assert "KmsKeyId" in secret
    for key in of_type(template, "AWS::KMS::Key"):
        assert key["EnableKeyRotation"] is True


# ----------------------------------------------------------------------------------- cdk-nag and cfn-lint
def nag_findings(tmp_path: Any, **kwargs: Any) -> list[str]:
    app = cdk.App(outdir=str(tmp_path))
    ReferenceStack(app, "SecureFargateReference", **kwargs)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
    try:
        app.synth()
    except Exception as error:  # the report below says what failed
        report = json.loads((tmp_path / "validation-report.json").read_text())
        found = [
            f"{v['ruleName']} {[c['constructPath'] for c in v.get('violatingConstructs', [])]}"
            for p in report["pluginReports"]
            for v in p["violations"]
        ]
        return found or [str(error)[:2000]]
    return []


@pytest.mark.parametrize("kwargs", [{}, {"certificate_arn": CERT, "nat_gateways": 1}], ids=["plain", "tls-nat"])
def test_reference_stack_has_no_unacknowledged_cdk_nag_finding(kwargs: dict[str, Any], tmp_path: Any) -> None:
    assert nag_findings(tmp_path, **kwargs) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["reference_template", "tls_template"])
def test_cfn_lint_reports_no_error_and_no_warning(name: str, request: pytest.FixtureRequest) -> None:
    assert cfn_lint(request.getfixturevalue(name)) == []


@pytest.mark.slow
def test_cfn_lint_helper_still_reports_errors_and_warnings_template_after_template() -> None:
    """GIVEN the helper's one rule set per process, WHEN two faulty templates are linted one after the other, THEN
    each gets its own error and warning (and W3005, ignored with its reason, is not reported): a clean verdict above
    is cfn-lint's, not a rule set that lost its rules or its configuration."""
    queue = {"Type": "AWS::SQS::Queue", "DependsOn": "Bucket", "Properties": {"QueueName": {"Ref": "Bucket"}}}
    first = {
        "Parameters": {"Unused": {"Type": "String"}},
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"Nope": 1}}, "Queue": queue},
    }
    second = {
        "Parameters": {"Spare": {"Type": "String"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"Bogus": True}}},
    }
    assert [p.split(" ")[0] for p in sorted(cfn_lint(first))] == ["E3002", "W2001"]
    assert [p.split(" ")[0] for p in sorted(cfn_lint(second))] == ["E3002", "W2001"]
    assert any("'Bogus' was unexpected" in p for p in cfn_lint(second))
