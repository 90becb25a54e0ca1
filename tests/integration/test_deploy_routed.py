"""Deploy proof, second stack: two services on one load balancer (default route + path rule), one autoscaled,
deployed to moto by the real CDK CLI and read back (examples/day2/routed.py).

Shares the session's moto server and bootstrap (conftest.py) with test_deploy.py; loopback only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration._cli import cdk, client, synthesize

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STACK = "SecureFargateRouted"


@pytest.fixture(scope="module")
def routed(
    moto_url: str, aws_env: dict[str, str], bootstrapped: None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = synthesize(outdir, {}, module="examples.day2.routed")  # what `--app "python3 -m examples.day2.routed"` runs
    cdk(aws_env, outdir, "deploy", STACK, "--app", app, "--require-approval", "never")
    cfn = client("cloudformation", moto_url)
    resources = [r for r in cfn.describe_stack_resources(StackName=STACK)["StackResources"] if "LogicalResourceId" in r]
    body = cfn.get_template(StackName=STACK)["TemplateBody"]
    return {
        "stack": cfn.describe_stacks(StackName=STACK)["Stacks"][0],
        "physical": {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in resources},
        "types": {r["LogicalResourceId"]: r["ResourceType"] for r in resources},
        "template": json.loads(body) if isinstance(body, str) else body,
    }


def _logical(routed: dict[str, Any], prefix: str, resource_type: str) -> str:
    (found,) = [k for k, t in routed["types"].items() if k.startswith(prefix) and t == resource_type]
    return found


def _services(routed: dict[str, Any], moto_url: str) -> dict[str, dict[str, Any]]:
    cluster = routed["physical"][_logical(routed, "Cluster", "AWS::ECS::Cluster")]
    found = {}
    for name in ("Web", "Api"):
        arn = routed["physical"][_logical(routed, f"{name}Service", "AWS::ECS::Service")]
        (found[name],) = client("ecs", moto_url).describe_services(cluster=cluster, services=[arn])["services"]
    return found


def test_stack_is_created(routed: dict[str, Any]) -> None:
    assert routed["stack"]["StackStatus"] == "CREATE_COMPLETE"


def test_both_services_run_in_one_cluster(routed: dict[str, Any], moto_url: str) -> None:
    services = _services(routed, moto_url)
    assert services["Web"]["desiredCount"] == 2
    assert services["Web"]["clusterArn"] == services["Api"]["clusterArn"]


def test_autoscaled_service_has_no_desired_count_in_its_template(routed: dict[str, Any]) -> None:
    resources = routed["template"]["Resources"]
    assert "DesiredCount" not in resources[_logical(routed, "ApiService", "AWS::ECS::Service")]["Properties"]
    assert resources[_logical(routed, "WebService", "AWS::ECS::Service")]["Properties"]["DesiredCount"] == 2


def test_listener_routes_default_to_web_and_api_path_to_api(routed: dict[str, Any], moto_url: str) -> None:
    elb = client("elbv2", moto_url)
    # moto's backends are per process: the reference stack's load balancer may be there too
    arn = routed["physical"][_logical(routed, "IngressLoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer")]
    (listener,) = elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]
    groups = {g["TargetGroupArn"]: g["TargetGroupName"] for g in elb.describe_target_groups()["TargetGroups"]}
    rules = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    (default,) = [r for r in rules if r["IsDefault"]]
    (routed_rule,) = [r for r in rules if not r["IsDefault"]]
    web_group = routed["physical"][
        _logical(routed, "IngressLoadBalancerHttpWebGroup", "AWS::ElasticLoadBalancingV2::TargetGroup")
    ]
    api_group = routed["physical"][
        _logical(routed, "IngressLoadBalancerHttpApiGroup", "AWS::ElasticLoadBalancingV2::TargetGroup")
    ]
    assert default["Actions"][0]["TargetGroupArn"] == web_group
    assert routed_rule["Priority"] == "10"
    assert routed_rule["Actions"][0]["TargetGroupArn"] == api_group
    (condition,) = routed_rule["Conditions"]
    assert condition["Field"] == "path-pattern"
    assert (condition.get("Values") or condition["PathPatternConfig"]["Values"]) == ["/api/*"]
    assert {web_group, api_group} <= set(groups)


def test_autoscaling_target_and_policies_are_in_the_deployed_stack(routed: dict[str, Any]) -> None:
    # moto 5.2.5's CloudFormation does not model AWS::ApplicationAutoScaling::* (docs/testing.md):
    # the stack accepts them and CloudFormation holds them, so they are read from the deployed template.
    resources = routed["template"]["Resources"]
    (target,) = [r["Properties"] for r in resources.values() if r["Type"].endswith("::ScalableTarget")]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    service = _logical(routed, "ApiService", "AWS::ECS::Service")
    assert {"Fn::GetAtt": [service, "Name"]} in target["ResourceId"]["Fn::Join"][1]
    policies = [r["Properties"] for r in resources.values() if r["Type"].endswith("::ScalingPolicy")]
    metrics = sorted(
        p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]
        for p in policies
    )
    assert metrics == ["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]
