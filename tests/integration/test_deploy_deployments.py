"""Deploy proof for the deployments example (examples/deployments/app.py): a blue/green and a canary service behind
one internal load balancer, with rollback alarms and a lifecycle hook, deployed to moto by the real CDK CLI and
read back.

What moto does and does not model here (docs/deployments.md, "What the deploy test proves"):

- moto's CloudFormation creates an ECS service from ``Cluster``, ``TaskDefinition`` and ``DesiredCount`` only: it
  records neither ``DeploymentConfiguration`` (strategy, bake time, alarms, hooks, circuit breaker) nor
  ``LoadBalancers`` (the alternate target group), and it never deploys a second revision (no traffic shift, bake
  time, hook call or rollback). What moto records is asserted; the rest is read from the template CloudFormation
  holds.
- moto's CloudFormation skips ``AWS::CloudWatch::Alarm`` and ``AWS::EC2::SecurityGroupEgress``: the alarms are read
  from the template; the test listener's ingress (a ``SecurityGroupIngress``) is read from EC2.
- moto's ELBv2 keeps listeners, rules (weighted forwards included) and target groups; it routes nothing.
- moto cannot run the hook function (no Docker); the function, its role and the hook role's single-function
  permission are read from Lambda and IAM.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import cfn_lint
from tests.integration._cli import cdk, client, synthesize

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STACK = "SecureFargateDeployments"


@pytest.fixture(scope="module")
def deployed(
    moto_url: str, aws_env: dict[str, str], bootstrapped: None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = synthesize(outdir, {}, module="examples.deployments.app")
    cdk(aws_env, outdir, "deploy", STACK, "--app", app, "--require-approval", "never")
    cfn = client("cloudformation", moto_url)
    resources = [r for r in cfn.describe_stack_resources(StackName=STACK)["StackResources"] if "LogicalResourceId" in r]
    body = cfn.get_template(StackName=STACK)["TemplateBody"]
    return {
        "stack": cfn.describe_stacks(StackName=STACK)["Stacks"][0],
        "physical": {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in resources},
        "types": {r["LogicalResourceId"]: r["ResourceType"] for r in resources},
        "template": json.loads(body) if isinstance(body, str) else body,
        "assembly": app,
    }


def _logical(deployed: dict[str, Any], prefix: str, resource_type: str) -> str:
    (found,) = [k for k, t in deployed["types"].items() if k.startswith(prefix) and t == resource_type]
    return found


def _service(deployed: dict[str, Any], moto_url: str, name: str) -> dict[str, Any]:
    cluster = deployed["physical"][_logical(deployed, "Cluster", "AWS::ECS::Cluster")]
    arn = deployed["physical"][_logical(deployed, f"{name}Service", "AWS::ECS::Service")]
    (service,) = client("ecs", moto_url).describe_services(cluster=cluster, services=[arn])["services"]
    return service  # type: ignore[no-any-return]


def _properties(deployed: dict[str, Any], prefix: str, resource_type: str) -> dict[str, Any]:
    return deployed["template"]["Resources"][_logical(deployed, prefix, resource_type)]["Properties"]  # type: ignore[no-any-return]


def test_stack_is_created(deployed: dict[str, Any]) -> None:
    assert deployed["stack"]["StackStatus"] == "CREATE_COMPLETE"


def test_moto_runs_both_services_in_one_cluster_with_their_task_definitions(
    deployed: dict[str, Any], moto_url: str
) -> None:
    web, api = _service(deployed, moto_url, "Web"), _service(deployed, moto_url, "Api")
    assert web["clusterArn"] == api["clusterArn"]
    for service, name in ((web, "Web"), (api, "Api")):
        assert service["status"] == "ACTIVE" and service["desiredCount"] == 2
        definition = deployed["physical"][_logical(deployed, f"{name}TaskDefinition", "AWS::ECS::TaskDefinition")]
        assert service["taskDefinition"] == definition
        assert service["deploymentController"] == {"type": "ECS"}, "ECS's own controller: its strategies apply"
        (deployment,) = service["deployments"]  # moto starts no task: the rollout stays IN_PROGRESS
        assert deployment["status"] == "PRIMARY" and deployment["taskDefinition"] == definition
    # moto's CloudFormation creates a service from Cluster, TaskDefinition and DesiredCount only (its
    # Service.create_from_cloudformation_json): DeploymentConfiguration and LoadBalancers are not recorded, so
    # they are read from the template CloudFormation holds (the tests below).
    assert "deploymentConfiguration" not in web and web.get("loadBalancers", []) == []


def test_blue_green_service_keeps_circuit_breaker_alarms_and_bake_time(deployed: dict[str, Any]) -> None:
    template = _properties(deployed, "WebService", "AWS::ECS::Service")["DeploymentConfiguration"]
    assert template["Strategy"] == "BLUE_GREEN" and template["BakeTimeInMinutes"] == 10
    assert template["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert template["Alarms"] == {"AlarmNames": [f"{STACK}-web-5xx"], "Enable": True, "Rollback": True}
    (hook,) = template["LifecycleHooks"]
    assert hook["LifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    function = _logical(deployed, "TestTrafficHook", "AWS::Lambda::Function")
    assert hook["HookTargetArn"] == {"Fn::GetAtt": [function, "Arn"]}


def test_canary_service_shifts_ten_percent_for_five_minutes(deployed: dict[str, Any]) -> None:
    template = _properties(deployed, "ApiService", "AWS::ECS::Service")["DeploymentConfiguration"]
    assert template["Strategy"] == "CANARY"
    assert template["CanaryConfiguration"] == {"CanaryPercent": 10, "CanaryBakeTimeInMinutes": 5}
    assert template["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert "LifecycleHooks" not in template


def test_rollback_alarms_exist_under_the_names_the_services_watch(deployed: dict[str, Any]) -> None:
    # moto's CloudFormation does not model AWS::CloudWatch::Alarm (it skips it with a warning): the alarms are read
    # from the deployed template, by the names the services' DeploymentConfiguration watches.
    alarms = [
        r["Properties"] for r in deployed["template"]["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    assert sorted(a["AlarmName"] for a in alarms) == sorted([f"{STACK}-web-5xx", f"{STACK}-api-5xx"])
    assert {a["MetricName"] for a in alarms} == {"HTTPCode_Target_5XX_Count"}


def test_each_service_has_blue_and_green_target_groups_behind_weighted_rules(
    deployed: dict[str, Any], moto_url: str
) -> None:
    elb = client("elbv2", moto_url)
    balancer = deployed["physical"][
        _logical(deployed, "IngressLoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer")
    ]
    listeners = {
        listener["Port"]: listener for listener in elb.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
    }
    assert sorted(listeners) == [80, 8080], "production on 80 (no certificate in the example), test on 8080"
    for name in ("Web", "Api"):
        blue = deployed["physical"][
            _logical(deployed, f"Ingress{name}Blue", "AWS::ElasticLoadBalancingV2::TargetGroup")
        ]
        green = deployed["physical"][
            _logical(deployed, f"Ingress{name}Green", "AWS::ElasticLoadBalancingV2::TargetGroup")
        ]
        for port in (80, 8080):
            rules = elb.describe_rules(ListenerArn=listeners[port]["ListenerArn"])["Rules"]
            forwards = [
                {(g["TargetGroupArn"], g.get("Weight")) for g in action["ForwardConfig"]["TargetGroups"]}
                for rule in rules
                if not rule["IsDefault"]
                for action in rule["Actions"]
                if action.get("ForwardConfig")
            ]
            assert {(blue, 100), (green, 0)} in forwards, (name, port, forwards)


def test_test_listener_admits_only_the_hook(deployed: dict[str, Any], moto_url: str) -> None:
    ec2 = client("ec2", moto_url)
    group = deployed["physical"][_logical(deployed, "IngressLoadBalancerSecurityGroup", "AWS::EC2::SecurityGroup")]
    hook_group = deployed["physical"][_logical(deployed, "TestTrafficHookSecurityGroup", "AWS::EC2::SecurityGroup")]
    (found,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    on_test_port = [p for p in found["IpPermissions"] if p.get("FromPort") == 8080]
    assert on_test_port, found["IpPermissions"]
    for permission in on_test_port:
        assert permission.get("IpRanges", []) == [] and permission.get("Ipv6Ranges", []) == []
        assert {g["GroupId"] for g in permission["UserIdGroupPairs"]} == {hook_group}


def test_hook_role_may_invoke_exactly_the_hook_function(deployed: dict[str, Any], moto_url: str) -> None:
    iam = client("iam", moto_url)
    function = deployed["physical"][_logical(deployed, "TestTrafficHook", "AWS::Lambda::Function")]
    arn = client("lambda", moto_url).get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    role = deployed["physical"][_logical(deployed, "WebServiceCheckTestTrafficRole", "AWS::IAM::Role")]
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "ecs.amazonaws.com"}]
    documents = [
        iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    statements = [s for d in documents for s in (json.loads(d) if isinstance(d, str) else d)["Statement"]]
    assert statements == [{"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": [arn, f"{arn}:*"]}]


def test_check_on_the_cloud_assembly_is_clean(deployed: dict[str, Any]) -> None:
    from secure_fargate.pack.cli import main

    assert main(["check", deployed["assembly"]]) == 0


def test_the_deployed_template_passes_cfn_lint(deployed: dict[str, Any]) -> None:
    """The template CloudFormation holds has no cfn-lint error: the schema check CDK's built-in validation
    (cdk.json: validateAgainstDefaultRules) gives `cdk synth`, which the test kernel leaves off for speed."""
    assert [p for p in cfn_lint(deployed["template"]) if p.startswith("E")] == []
