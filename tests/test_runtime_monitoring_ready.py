"""Issue 14 on the constructs: the reference stack satisfies the 2026 controls by default, is ready for GuardDuty
Runtime Monitoring, locks its VPC endpoints down, and gives the same pack verdicts with and without the
recommended CDK feature flags."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Annotations, Match, Template

from reference import ReferenceStack
from secure_fargate import SecureFargateService
from secure_fargate.cluster import RuntimeMonitoring, SecureCluster
from secure_fargate.network import SecureNetwork
from secure_fargate.pack import Template as PackTemplate
from secure_fargate.pack import evaluate
from secure_fargate.registry import SecureRepository
from tests.conftest import app_container, base_stack, only, resources_of

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT, REGION, FOREIGN = "111111111111", "eu-west-1", "999999999999"


def recommended_context() -> dict[str, Any]:
    """The feature flags of this repository's cdk.json (every flag a new ``cdk init`` app writes)."""
    return json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def flagged_reference_template() -> dict[str, Any]:
    app = cdk.App(context=recommended_context())
    return Template.from_stack(ReferenceStack(app, "SecureFargateReference")).to_json()  # type: ignore[no-any-return]


def verdicts(template: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    return {(f.control, f.resource, f.container) for f in evaluate(PackTemplate(template)) if not f.acknowledged}


# --------------------------------------------------------------------------------------- feature flags


def test_cdk_json_sets_every_currently_recommended_flag() -> None:
    context = recommended_context()
    assert len(context) >= 89
    assert context["@aws-cdk/aws-elasticloadbalancingv2:usePostQuantumTlsPolicy"] is True


def test_same_pack_verdicts_with_recommended_flags_and_with_none(
    reference_template: dict[str, Any], flagged_reference_template: dict[str, Any]
) -> None:
    assert verdicts(reference_template) == verdicts(flagged_reference_template) == set()


# ------------------------------------------------------------------------------------ defaults comply


@pytest.mark.parametrize("name", ["reference_template", "flagged_reference_template"])
def test_every_task_definition_says_linux(name: str, request: pytest.FixtureRequest) -> None:
    template = request.getfixturevalue(name)
    for task in resources_of(template, "AWS::ECS::TaskDefinition").values():
        assert task["Properties"]["RuntimePlatform"]["OperatingSystemFamily"] == "LINUX"


def test_service_cluster_and_task_definition_are_tagged_and_tasks_inherit(reference_template: dict[str, Any]) -> None:
    for resource_type in ("AWS::ECS::Service", "AWS::ECS::Cluster", "AWS::ECS::TaskDefinition"):
        assert {"Key": "managed-by", "Value": "secure-fargate"} in only(reference_template, resource_type)["Tags"]
    assert only(reference_template, "AWS::ECS::Service")["PropagateTags"] == "SERVICE"


def test_callers_tags_reach_everything_the_service_creates() -> None:
    _, stack, cluster, _ = base_stack("Tagged")
    SecureFargateService(stack, "S", cluster=cluster, container=app_container(), tags={"team": "payments"})
    template = Template.from_stack(stack)
    for resource_type in ("AWS::ECS::Service", "AWS::ECS::TaskDefinition", "AWS::IAM::Role", "AWS::Logs::LogGroup"):
        template.has_resource_properties(
            resource_type, {"Tags": Match.array_with([{"Key": "team", "Value": "payments"}])}
        )


def test_task_role_trust_has_confused_deputy_conditions_and_execution_role_none(
    reference_template: dict[str, Any],
) -> None:
    roles = resources_of(reference_template, "AWS::IAM::Role")
    (task_role,) = [r for k, r in roles.items() if k.startswith("AppTaskRole")]
    (execution_role,) = [r for k, r in roles.items() if k.startswith("AppExecutionRole")]
    (statement,) = task_role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {
            "aws:SourceArn": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":ecs:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                        ":*",
                    ],
                ]
            }
        },
    }
    (statement,) = execution_role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert "Condition" not in statement


def test_cluster_encrypts_ephemeral_storage_with_its_own_key(reference_template: dict[str, Any]) -> None:
    configuration = only(reference_template, "AWS::ECS::Cluster")["Configuration"]["ManagedStorageConfiguration"]
    key_id = configuration["FargateEphemeralStorageKmsKeyId"]["Ref"]
    key = reference_template["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    fargate = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "fargate.amazonaws.com"}]
    assert sorted(a for s in fargate for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])) == [
        "kms:CreateGrant",
        "kms:GenerateDataKeyWithoutPlaintext",
    ]
    for statement in fargate:
        assert statement["Condition"]["StringEquals"]["kms:EncryptionContext:aws:ecs:clusterAccount"] == [
            {"Ref": "AWS::AccountId"}
        ]


def test_named_cluster_pins_the_key_policy_to_the_cluster() -> None:
    _, stack, _, _ = base_stack("Named")
    SecureCluster(stack, "C", vpc=ec2.Vpc(stack, "V2", max_azs=1), cluster_name="payments")
    Template.from_stack(stack).has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Condition": Match.object_like(
                                    {
                                        "StringEquals": Match.object_like(
                                            {"kms:EncryptionContext:aws:ecs:clusterName": ["payments"]}
                                        )
                                    }
                                )
                            }
                        )
                    ]
                )
            }
        },
    )


@pytest.mark.parametrize(
    ("monitoring", "tag"),
    [
        (RuntimeMonitoring.MANAGED, "true"),
        (RuntimeMonitoring.EXCLUDED, "false"),
        (RuntimeMonitoring.ACCOUNT_SETTING, None),
    ],
)
def test_cluster_guardduty_managed_tag(monitoring: RuntimeMonitoring, tag: str | None) -> None:
    _, stack, _, _ = base_stack("Monitoring")
    SecureCluster(stack, "C", vpc=ec2.Vpc(stack, "V2", max_azs=1), runtime_monitoring=monitoring)
    (cluster,) = [
        r["Properties"]
        for k, r in Template.from_stack(stack).to_json()["Resources"].items()
        if r["Type"] == "AWS::ECS::Cluster" and k.startswith("CCluster")
    ]
    found = [t["Value"] for t in cluster["Tags"] if t["Key"] == "GuardDutyManaged"]
    assert found == ([tag] if tag else [])


def test_secure_repository_passes_the_ecr_controls() -> None:
    _, stack, _, _ = base_stack("Registry")
    SecureRepository(stack, "Repo")
    findings = evaluate(PackTemplate(Template.from_stack(stack).to_json()))
    assert {f.control for f in findings if f.control.startswith("ECR.")} == set()
    assert only(Template.from_stack(stack).to_json(), "AWS::ECR::Repository")["ImageTagMutability"] == "IMMUTABLE"


def test_listener_uses_the_post_quantum_restricted_tls_policy() -> None:
    app = cdk.App()
    stack = ReferenceStack(app, "Tls", certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/x")
    Template.from_stack(stack).has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"},
    )


# ------------------------------------------------------------------------------------ GuardDuty pull


def statements_of_execution_role(template: dict[str, Any]) -> list[dict[str, Any]]:
    (role_id,) = [k for k in resources_of(template, "AWS::IAM::Role") if k.startswith("AppExecutionRole")]
    return [
        s
        for policy in resources_of(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def resolve(value: Any, template: dict[str, Any]) -> Any:
    """A policy value with pseudo parameters, Fn::Join and Fn::FindInMap resolved for ACCOUNT/REGION."""
    pseudo = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::URLSuffix": "amazonaws.com",
    }
    if isinstance(value, list):
        return [resolve(v, template) for v in value]
    if not isinstance(value, dict):
        return value
    if list(value) == ["Ref"] and value["Ref"] in pseudo:
        return pseudo[value["Ref"]]
    if list(value) == ["Fn::Join"]:
        separator, parts = value["Fn::Join"]
        return separator.join(str(resolve(p, template)) for p in parts)
    if list(value) == ["Fn::FindInMap"]:
        name, first, second = (resolve(v, template) for v in value["Fn::FindInMap"])
        return template["Mappings"][name][first][second]
    return {k: resolve(v, template) for k, v in value.items()}


def allows(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    """A small policy matcher: an Allow statement (no Deny in these policies) whose action and resource match."""

    def listed(value: Any) -> list[str]:
        return value if isinstance(value, list) else [value]

    return any(
        s["Effect"] == "Allow"
        and any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in listed(s["Action"]))
        and any(fnmatch.fnmatchcase(resource, r) for r in listed(s["Resource"]))
        for s in statements
    )


GUARDDUTY_REPO = f"arn:aws:ecr:{REGION}:694911143906:repository/aws-guardduty-agent-fargate"
OWN_REPO = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/ecr-public/nginx/nginx-unprivileged"
FOREIGN_REPO = f"arn:aws:ecr:{REGION}:{FOREIGN}:repository/exfil"


def test_execution_role_pulls_its_image_and_the_guardduty_agent_and_nothing_else(
    reference_template: dict[str, Any],
) -> None:
    statements = resolve(statements_of_execution_role(reference_template), reference_template)
    assert allows(statements, "ecr:BatchGetImage", GUARDDUTY_REPO)
    assert allows(statements, "ecr:BatchGetImage", OWN_REPO)
    assert not allows(statements, "ecr:BatchGetImage", FOREIGN_REPO)
    assert not allows(statements, "ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/other")
    ecr_resources = {
        r
        for s in statements
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
        if ":ecr:" in r
    }
    assert ecr_resources == {GUARDDUTY_REPO, OWN_REPO}


def test_guardduty_mapping_is_environment_agnostic(reference_template: dict[str, Any]) -> None:
    mapping = reference_template["Mappings"]["SecureFargateGuardDutyAgent"]
    assert len(mapping) == 33 and mapping["us-east-1"] == {"account": "593207742271"}


def test_concrete_region_gets_the_literal_repository_and_an_unknown_region_a_warning() -> None:
    app = cdk.App()
    known = cdk.Stack(app, "Known", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    unknown = cdk.Stack(app, "Unknown", env=cdk.Environment(account=ACCOUNT, region="xx-nowhere-1"))
    for stack in (known, unknown):
        vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
        cluster = SecureCluster(stack, "Cluster", vpc=vpc).cluster
        SecureFargateService(stack, "S", cluster=cluster, container=app_container())
    Template.from_stack(known).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Resource": "arn:aws:ecr:us-east-1:593207742271:repository/aws-guardduty-agent-fargate"}
                        )
                    ]
                )
            }
        },
    )
    Annotations.from_stack(unknown).has_warning("/Unknown/S", Match.string_like_regexp("no Fargate agent repository"))


def test_missing_agent_headroom_warns() -> None:
    _, stack, cluster, _ = base_stack("Headroom")
    SecureFargateService(stack, "S", cluster=cluster, container=app_container(memory_limit_mib=448))
    Annotations.from_stack(stack).has_warning("/Headroom/S", Match.string_like_regexp("GuardDuty Runtime Monitoring"))


# ----------------------------------------------------------------------------------- endpoint policies


def endpoint_statements(template: dict[str, Any], service: str) -> list[dict[str, Any]]:
    (endpoint,) = [
        e["Properties"]
        for e in resources_of(template, "AWS::EC2::VPCEndpoint").values()
        if json.dumps(e["Properties"]["ServiceName"]).endswith(f'{service}"]]}}')
        or service in json.dumps(e["Properties"]["ServiceName"])
    ]
    return resolve(endpoint["PolicyDocument"]["Statement"], template)  # type: ignore[no-any-return]


@pytest.mark.parametrize("service", ["ecr.api", "ecr.dkr"])
def test_ecr_endpoints_pull_only_from_this_account_and_guardduty(
    service: str, reference_template: dict[str, Any]
) -> None:
    statements = endpoint_statements(reference_template, service)
    assert allows(statements, "ecr:BatchGetImage", OWN_REPO)
    assert allows(statements, "ecr:GetDownloadUrlForLayer", GUARDDUTY_REPO)
    assert allows(statements, "ecr:GetAuthorizationToken", "*")
    # a compromised task can neither pull from nor push to a foreign registry through the endpoint
    assert not allows(statements, "ecr:BatchGetImage", FOREIGN_REPO)
    assert not allows(statements, "ecr:PutImage", FOREIGN_REPO)
    assert not allows(statements, "ecr:InitiateLayerUpload", OWN_REPO)


def test_s3_gateway_allows_ecrs_layer_bucket_only(reference_template: dict[str, Any]) -> None:
    statements = endpoint_statements(reference_template, ".s3")
    assert allows(statements, "s3:GetObject", f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/sha256/abc")
    assert not allows(statements, "s3:GetObject", "arn:aws:s3:::attacker-bucket/loot")
    assert not allows(statements, "s3:PutObject", f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/x")


@pytest.mark.parametrize(
    ("service", "mine", "foreign"),
    [
        ("logs", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app:*", f"arn:aws:logs:{REGION}:{FOREIGN}:log-group:x:*"),
        (
            "secretsmanager",
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-AbCdEf",
            f"arn:aws:secretsmanager:{REGION}:{FOREIGN}:secret:db-AbCdEf",
        ),
    ],
)
def test_logs_and_secrets_endpoints_reach_this_accounts_resources_only(
    service: str, mine: str, foreign: str, reference_template: dict[str, Any]
) -> None:
    statements = endpoint_statements(reference_template, service)
    action = "logs:PutLogEvents" if service == "logs" else "secretsmanager:GetSecretValue"
    assert allows(statements, action, mine) and not allows(statements, action, foreign)


def test_organization_id_conditions_every_endpoint_statement() -> None:
    _, stack, _, _ = base_stack("Org")
    SecureNetwork(stack, "Net", organization_id="o-abc123def4")
    for endpoint in resources_of(Template.from_stack(stack).to_json(), "AWS::EC2::VPCEndpoint").values():
        for statement in endpoint["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}
