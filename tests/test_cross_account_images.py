"""Issue 22 item 5: images from a central build account or the organisation, through SecureNetwork's endpoints.

The ECR endpoints' policies admit pulls (only pulls) from ``image_accounts`` and, by ``aws:ResourceOrgID``, from
the accounts of ``image_organization_id``; ``allow_service`` refuses a service whose ECR image lies outside them,
at synth, instead of tasks that cannot start; the endpoints are public attributes a team adds statements to.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match

from secure_fargate import ContainerOptions, ImageSource, SecureCluster, SecureFargateError, SecureFargateService
from secure_fargate.network import SecureNetwork
from tests.test_runtime_monitoring_ready import allows, endpoint_statements, resolve

ACCOUNT, REGION = "111111111111", "eu-west-1"  # the helpers of test_runtime_monitoring_ready resolve to these
BUILD, STRANGER, ORG = "222222222222", "999999999999", "o-a1b2c3d4e5"
DIGEST = "sha256:" + "0" * 64


def _uri(account: str, region: str = REGION) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/team/api@{DIGEST}"


def _repo(account: str) -> str:
    return f"arn:aws:ecr:{REGION}:{account}:repository/team/api"


def _setup(name: str = "S", **network: Any) -> tuple[cdk.App, cdk.Stack, SecureNetwork, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, name, env=cdk.Environment(account=ACCOUNT, region=REGION))
    net = SecureNetwork(stack, "Net", **network)
    cluster = SecureCluster(stack, "Cluster", vpc=net.vpc, tags={"team": "tests"}).cluster
    return app, stack, net, cluster


def _service(stack: cdk.Stack, cluster: Any, net: SecureNetwork, image: ImageSource, name: str = "Api") -> Any:
    return SecureFargateService(
        stack,
        name,
        cluster=cluster,
        vpc_subnets=net.task_subnets,
        container=ContainerOptions(name="app", image=image, memory_limit_mib=256, container_port=8080),
    )


@pytest.fixture(scope="module")
def central() -> dict[str, Any]:
    """GIVEN a network admitting the build account and the organisation, and services pulling from both."""
    app, stack, net, cluster = _setup(image_accounts=[BUILD], image_organization_id=ORG)
    net.allow_service(_service(stack, cluster, net, ImageSource.from_registry(_uri(BUILD))))
    repository = ecr.Repository.from_repository_arn(stack, "OrgRepo", _repo(STRANGER))
    net.allow_service(_service(stack, cluster, net, ImageSource.from_ecr(repository, DIGEST), "Org"))
    net.endpoints["EcrDocker"].add_to_policy(  # a platform team's own statement, on the documented attribute
        iam.PolicyStatement(
            principals=[iam.AnyPrincipal()], actions=["ecr:BatchGetImage"], resources=[_repo("333333333333")]
        )
    )
    # WHEN the app is synthesized (the guardrail pack runs here: a finding would fail it)
    template = app.synth().get_stack_by_name("S").template
    return {"template": template, "network": net}


@pytest.mark.parametrize("service", ["ecr.api", "ecr.dkr"])
def test_endpoints_admit_pulls_from_the_build_account(central: dict[str, Any], service: str) -> None:
    statements = endpoint_statements(central["template"], service)
    for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"):
        assert allows(statements, action, _repo(BUILD))


@pytest.mark.parametrize("service", ["ecr.api", "ecr.dkr"])
def test_build_account_gets_pulls_only_no_push_no_cache_import(central: dict[str, Any], service: str) -> None:
    statements = endpoint_statements(central["template"], service)
    for action in ("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:CreateRepository", "ecr:BatchImportUpstreamImage"):
        assert not allows(statements, action, _repo(BUILD))


@pytest.mark.parametrize("service", ["ecr.api", "ecr.dkr"])
def test_organisation_pulls_are_conditioned_on_the_repositorys_organisation(
    central: dict[str, Any], service: str
) -> None:
    statements = endpoint_statements(central["template"], service)
    (org,) = [s for s in statements if "Condition" in s]
    assert org["Condition"] == {"StringEquals": {"aws:ResourceOrgID": ORG}}
    assert org["Resource"] == f"arn:aws:ecr:{REGION}:*:repository/*"
    assert sorted(org["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    # every other statement is unconditioned: the organisation admits nothing beyond its own repositories
    unconditioned = [s for s in statements if "Condition" not in s]
    assert not allows(unconditioned, "ecr:BatchGetImage", _repo(STRANGER))


def test_documented_endpoint_attribute_takes_a_teams_statement(central: dict[str, Any]) -> None:
    assert allows(endpoint_statements(central["template"], "ecr.dkr"), "ecr:BatchGetImage", _repo("333333333333"))
    unconditioned = [s for s in endpoint_statements(central["template"], "ecr.api") if "Condition" not in s]
    assert not allows(unconditioned, "ecr:BatchGetImage", _repo("333333333333"))
    net = central["network"]
    assert net.ecr_endpoints == [net.endpoints["EcrApi"], net.endpoints["EcrDocker"]]


def test_execution_role_pulls_the_cross_account_repository(central: dict[str, Any]) -> None:
    template = central["template"]
    policies = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    statements = [s for p in policies for s in resolve(p["PolicyDocument"]["Statement"], template)]
    assert allows(statements, "ecr:BatchGetImage", _repo(BUILD))


# ------------------------------------------------------------------------- refused at synth, not at run time
@pytest.mark.parametrize(
    "image",
    [
        pytest.param(lambda stack: ImageSource.from_registry(_uri(STRANGER)), id="registry-uri"),
        pytest.param(
            lambda stack: ImageSource.from_ecr(ecr.Repository.from_repository_arn(stack, "R", _repo(STRANGER)), DIGEST),
            id="from_repository_arn",
        ),
        pytest.param(
            lambda stack: ImageSource.from_ecr(
                ecr.Repository.from_repository_attributes(
                    stack, "R", repository_arn=_repo(STRANGER), repository_name="team/api"
                ),
                DIGEST,
            ),
            id="from_repository_attributes",
        ),
    ],
)
def test_image_of_another_account_is_refused_when_allowing_the_service(image: Any) -> None:
    _, stack, net, cluster = _setup(image_accounts=[BUILD])
    service = _service(stack, cluster, net, image(stack))
    with pytest.raises(SecureFargateError, match=rf"allow_service\(S/Api\)\.container\.image=.*account {STRANGER}"):
        net.allow_service(service)


def test_a_service_let_in_around_allow_service_still_fails_the_synth() -> None:
    # GIVEN a service admitted by a rule added straight to the endpoints' security group (no allow_service)
    app, stack, net, cluster = _setup("Around", image_accounts=[BUILD])
    service = _service(stack, cluster, net, ImageSource.from_registry(_uri(STRANGER)))
    net.endpoint_security_group.add_ingress_rule(service.security_group, ec2.Port.tcp(443), "around")
    # WHEN the app is synthesized THEN the network's validation names the service, the container and the account
    with pytest.raises(Exception, match=rf"Around/Api: container\.image=.*account {STRANGER}"):
        app.synth()


def test_image_of_another_region_is_refused_in_isolated_subnets() -> None:
    _, stack, net, cluster = _setup(image_accounts=[BUILD])
    service = _service(stack, cluster, net, ImageSource.from_registry(_uri(BUILD, "us-east-1")))
    with pytest.raises(SecureFargateError, match=r"container\.image=.*an ECR repository of this region \(eu-west-1\)"):
        net.allow_service(service)


def test_image_of_another_region_is_accepted_through_a_nat_gateway() -> None:
    _, stack, net, cluster = _setup(image_accounts=[BUILD], nat_gateways=1)
    net.allow_service(_service(stack, cluster, net, ImageSource.from_registry(_uri(BUILD, "us-east-1"))))


def test_every_refused_container_is_named_at_once() -> None:
    _, stack, net, cluster = _setup()
    stranger = ImageSource.from_registry(_uri(STRANGER))
    service = SecureFargateService(
        stack,
        "Api",
        cluster=cluster,
        vpc_subnets=net.task_subnets,
        container=ContainerOptions(name="app", image=stranger, memory_limit_mib=128),
        sidecars=[ContainerOptions(name="side", image=stranger, memory_limit_mib=128)],
    )
    with pytest.raises(SecureFargateError, match=r"(?s)container\.image=.*sidecars\[0\]\.image="):
        net.allow_service(service)


def test_this_accounts_repositories_need_no_listing() -> None:
    _, stack, net, cluster = _setup()
    own = ecr.Repository.from_repository_name(stack, "Own", "team/api")  # account: the stack's (a token)
    net.allow_service(_service(stack, cluster, net, ImageSource.from_ecr(own, DIGEST)))
    net.allow_service(_service(stack, cluster, net, ImageSource.from_registry(_uri(ACCOUNT)), "Literal"))


def test_image_outside_ecr_warns_in_isolated_subnets() -> None:
    _, stack, net, cluster = _setup("Public")
    net.allow_service(_service(stack, cluster, net, ImageSource.from_registry(f"public.ecr.aws/team/api@{DIGEST}")))
    Annotations.from_stack(stack).has_warning("/Public/Net", Match.string_like_regexp("is not in ECR"))


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "prop"),
    [
        ({"image_accounts": BUILD}, r"image_accounts="),
        ({"image_accounts": ["1234"]}, r"image_accounts\[0\]="),
        ({"image_accounts": [222222222222]}, r"image_accounts\[0\]="),
        ({"image_organization_id": "r-abcd"}, r"image_organization_id="),
        ({"image_organization_id": "O-A1B2C3D4E5"}, r"image_organization_id="),
    ],
)
def test_bad_image_sources_name_the_property(kwargs: dict[str, Any], prop: str) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Bad")
    with pytest.raises(SecureFargateError, match=rf"Bad/Net: {prop}"):
        SecureNetwork(stack, "Net", **kwargs)
