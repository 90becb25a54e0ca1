"""ECS native deployments on SecureFargateService (deployment_strategy, bake time, alarms, lifecycle hooks) and their
wiring through SecureLoadBalancer.attach: one synthesized stack per scenario, one behaviour per test."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from secure_fargate import SecureFargateError, SecureFargateService, SecureLoadBalancer
from secure_fargate.pack import CONTROLS, evaluate
from secure_fargate.pack import Template as PackTemplate
from tests.conftest import app_container, base_stack, reported_controls, resources_of

ALARM = "web-5xx"
TEST_CIDR = "10.20.0.0/24"


def _hook(stack: cdk.Stack, name: str = "Hook") -> lambda_.Function:
    return lambda_.Function(
        stack,
        name,
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {'hookStatus': 'SUCCEEDED'}\n"),
    )


def _stage() -> list[ecs.DeploymentLifecycleStage]:
    return [ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT]


@pytest.fixture(scope="module")
def shifting() -> dict[str, Any]:
    """A blue/green service (default route, hook, alarms, bake time) and a canary one (routed) on an HTTPS ALB."""
    _, stack, cluster, _ = base_stack()
    hook = _hook(stack)
    web = SecureFargateService(
        stack,
        "Web",
        cluster=cluster,
        container=app_container(container_port=8080),
        deployment_strategy=ecs.DeploymentStrategy.BLUE_GREEN,
        bake_time=cdk.Duration.minutes(10),
        deployment_alarms=ecs.DeploymentAlarmConfig(alarm_names=[ALARM]),
        lifecycle_hooks=[ecs.DeploymentLifecycleLambdaTarget(hook, "Check", lifecycle_stages=_stage())],
    )
    api = SecureFargateService(
        stack,
        "Api",
        cluster=cluster,
        container=app_container(container_port=8081),
        deployment_strategy=ecs.DeploymentStrategy.CANARY,
        canary_configuration=ecs.TrafficShiftConfig(step_percent=5, step_bake_time=cdk.Duration.minutes(15)),
    )
    linear = SecureFargateService(
        stack,
        "Lin",
        cluster=cluster,
        container=app_container(container_port=8082),
        deployment_strategy=ecs.DeploymentStrategy.LINEAR,
        linear_configuration=ecs.TrafficShiftConfig(step_percent=10, step_bake_time=cdk.Duration.minutes(5)),
        deployment_alarms=ecs.DeploymentAlarmConfig(alarm_names=["lin-5xx"]),
    )
    certificate = acm.Certificate(stack, "Cert", domain_name="example.com")
    ingress = SecureLoadBalancer(stack, "Ingress", vpc=cluster.vpc, certificate=certificate)
    blue = ingress.attach(web, test_traffic_from=[ec2.Peer.ipv4(TEST_CIDR)])
    ingress.attach(api, priority=10, conditions=[elbv2.ListenerCondition.path_patterns(["/api/*"])])
    ingress.attach(linear, priority=20, conditions=[elbv2.ListenerCondition.path_patterns(["/lin/*"])])
    template = Template.from_stack(stack).to_json()
    return {"template": template, "stack": stack, "blue": blue, "web": web}


def _one(template: dict[str, Any], resource_type: str, prefix: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, v["Properties"]) for k, v in resources_of(template, resource_type).items() if k.startswith(prefix)]
    return found


def _service(template: dict[str, Any], name: str) -> dict[str, Any]:
    return _one(template, "AWS::ECS::Service", f"{name}Service")[1]


def _listener(template: dict[str, Any], port: int) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, v["Properties"])
        for k, v in resources_of(template, "AWS::ElasticLoadBalancingV2::Listener").items()
        if v["Properties"]["Port"] == port
    ]
    return found


# ------------------------------------------------------------------------------------------ the service


def test_blue_green_writes_strategy_bake_time_and_rollback_alarms(shifting: dict[str, Any]) -> None:
    configuration = _service(shifting["template"], "Web")["DeploymentConfiguration"]
    assert configuration["Strategy"] == "BLUE_GREEN"
    assert configuration["BakeTimeInMinutes"] == 10
    assert configuration["Alarms"] == {"AlarmNames": [ALARM], "Enable": True, "Rollback": True}


@pytest.mark.parametrize("name", ["Web", "Api", "Lin"])
def test_circuit_breaker_with_rollback_stays_on_whatever_the_strategy(shifting: dict[str, Any], name: str) -> None:
    configuration = _service(shifting["template"], name)["DeploymentConfiguration"]
    assert configuration["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert _service(shifting["template"], name)["DeploymentController"] == {"Type": "ECS"}


def test_canary_configuration_is_written_as_given(shifting: dict[str, Any]) -> None:
    configuration = _service(shifting["template"], "Api")["DeploymentConfiguration"]
    assert configuration["Strategy"] == "CANARY"
    assert configuration["CanaryConfiguration"] == {"CanaryPercent": 5, "CanaryBakeTimeInMinutes": 15}


def test_linear_configuration_is_written_as_given(shifting: dict[str, Any]) -> None:
    configuration = _service(shifting["template"], "Lin")["DeploymentConfiguration"]
    assert configuration["Strategy"] == "LINEAR"
    assert configuration["LinearConfiguration"] == {"StepPercent": 10, "StepBakeTimeInMinutes": 5}
    assert "CanaryConfiguration" not in configuration and "BakeTimeInMinutes" not in configuration


def test_hook_role_is_assumed_by_ecs_and_may_invoke_exactly_the_hook(shifting: dict[str, Any]) -> None:
    template = shifting["template"]
    (hook,) = _service(template, "Web")["DeploymentConfiguration"]["LifecycleHooks"]
    function = hook["HookTargetArn"]["Fn::GetAtt"][0]
    role = hook["RoleArn"]["Fn::GetAtt"][0]
    assert hook["LifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    trust = template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "ecs.amazonaws.com"}]
    policies = [
        p for p in resources_of(template, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    arn = {"Fn::GetAtt": [function, "Arn"]}
    assert statements == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": [arn, {"Fn::Join": ["", [arn, ":*"]]}]}
    ]


def test_no_warning_about_alarms_when_given_and_one_when_missing(shifting: dict[str, Any]) -> None:
    from aws_cdk.assertions import Annotations, Match

    found = Annotations.from_stack(shifting["stack"]).find_warning(
        "*", Match.string_like_regexp("without deployment_alarms")
    )
    assert [w.id for w in found] == ["/Test/Api"]


# ------------------------------------------------------------------------------------- the load balancer


def test_alternate_target_names_green_and_both_rules(shifting: dict[str, Any]) -> None:
    template = shifting["template"]
    (balancer,) = _service(template, "Web")["LoadBalancers"]
    advanced = balancer["AdvancedConfiguration"]
    green, _ = _one(template, "AWS::ElasticLoadBalancingV2::TargetGroup", "IngressWebGreen")
    production, _ = _one(template, "AWS::ElasticLoadBalancingV2::ListenerRule", "IngressWebProductionRule")
    test, _ = _one(template, "AWS::ElasticLoadBalancingV2::ListenerRule", "IngressWebTestRule")
    blue, _ = _one(template, "AWS::ElasticLoadBalancingV2::TargetGroup", "IngressWebBlue")
    assert balancer["TargetGroupArn"] == {"Ref": blue}
    assert advanced["AlternateTargetGroupArn"] == {"Ref": green}
    assert advanced["ProductionListenerRule"] == {"Ref": production}
    assert advanced["TestListenerRule"] == {"Ref": test}
    role = advanced["RoleArn"]["Fn::GetAtt"][0]
    managed = template["Resources"][role]["Properties"]["ManagedPolicyArns"]
    assert "AmazonECSInfrastructureRolePolicyForLoadBalancers" in str(managed)


def test_blue_and_green_are_alike(shifting: dict[str, Any]) -> None:
    _, blue = _one(shifting["template"], "AWS::ElasticLoadBalancingV2::TargetGroup", "IngressWebBlue")
    _, green = _one(shifting["template"], "AWS::ElasticLoadBalancingV2::TargetGroup", "IngressWebGreen")
    assert blue == green
    assert blue["Port"] == 8080 and blue["TargetType"] == "ip" and blue["HealthCheckPath"] == "/"


def test_production_and_test_rules_forward_to_blue_and_green_with_the_same_match(shifting: dict[str, Any]) -> None:
    template = shifting["template"]
    _, production = _one(template, "AWS::ElasticLoadBalancingV2::ListenerRule", "IngressWebProductionRule")
    _, test = _one(template, "AWS::ElasticLoadBalancingV2::ListenerRule", "IngressWebTestRule")
    https, _ = _listener(template, 443)
    test_listener, _ = _listener(template, 8443)
    assert production["ListenerArn"] == {"Ref": https} and test["ListenerArn"] == {"Ref": test_listener}
    assert production["Actions"] == test["Actions"]
    weights = [g["Weight"] for g in production["Actions"][0]["ForwardConfig"]["TargetGroups"]]
    assert weights == [100, 0]
    assert production["Priority"] == 50000 and production["Conditions"] == test["Conditions"]
    _, routed = _one(template, "AWS::ElasticLoadBalancingV2::ListenerRule", "IngressApiTestRule")
    assert routed["Priority"] == 10


def test_default_route_of_a_shifting_service_is_a_rule_and_the_listener_answers_404(shifting: dict[str, Any]) -> None:
    _, https = _listener(shifting["template"], 443)
    assert https["DefaultActions"] == [{"FixedResponseConfig": {"StatusCode": "404"}, "Type": "fixed-response"}]


def test_test_listener_is_as_hardened_as_production(shifting: dict[str, Any]) -> None:
    _, production = _listener(shifting["template"], 443)
    _, test = _listener(shifting["template"], 8443)
    assert test["Protocol"] == "HTTPS"
    assert test["SslPolicy"] == production["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    assert test["Certificates"] == production["Certificates"]


def test_test_port_admits_only_the_named_peer(shifting: dict[str, Any]) -> None:
    _, group = _one(shifting["template"], "AWS::EC2::SecurityGroup", "IngressLoadBalancerSecurityGroup")
    on_test = [r for r in group["SecurityGroupIngress"] if r["FromPort"] <= 8443 <= r["ToPort"]]
    assert [r.get("CidrIp") for r in on_test] == [TEST_CIDR]
    standalone = resources_of(shifting["template"], "AWS::EC2::SecurityGroupIngress").values()
    assert not [r for r in standalone if r["Properties"].get("FromPort") == 8443]


def test_the_pack_finds_nothing_on_blue_green_canary_and_the_hook_function(shifting: dict[str, Any]) -> None:
    findings = [f for f in evaluate(PackTemplate(shifting["template"]), CONTROLS) if not f.acknowledged]
    assert findings == []


# ------------------------------------------------------------------------------------------ rolling stays


def test_rolling_writes_no_strategy_and_attach_builds_one_target_group() -> None:
    _, stack, cluster, _ = base_stack()
    service = SecureFargateService(stack, "S", cluster=cluster, container=app_container(container_port=8080))
    SecureLoadBalancer(stack, "Ingress", vpc=cluster.vpc).attach(service)
    template = Template.from_stack(stack).to_json()
    configuration = _service(template, "S")["DeploymentConfiguration"]
    assert not {"Strategy", "BakeTimeInMinutes", "LifecycleHooks", "LinearConfiguration", "CanaryConfiguration"} & set(
        configuration
    )
    assert configuration["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert len(resources_of(template, "AWS::ElasticLoadBalancingV2::TargetGroup")) == 1
    assert len(resources_of(template, "AWS::ElasticLoadBalancingV2::Listener")) == 1


# --------------------------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def scene() -> dict[str, Any]:
    _, stack, cluster, _ = base_stack()
    return {"stack": stack, "cluster": cluster, "count": [0]}


def _build(scene: dict[str, Any], **kwargs: Any) -> SecureFargateService:
    scene["count"][0] += 1
    kwargs.setdefault("container", app_container(container_port=8080))
    return SecureFargateService(scene["stack"], f"S{scene['count'][0]}", cluster=scene["cluster"], **kwargs)


LINEAR = ecs.DeploymentStrategy.LINEAR
CANARY = ecs.DeploymentStrategy.CANARY
BLUE_GREEN = ecs.DeploymentStrategy.BLUE_GREEN


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deployment_strategy": "BLUE_GREEN"}, r"deployment_strategy='BLUE_GREEN' is not allowed: one of ecs\."),
        (
            {"deployment_strategy": CANARY, "canary_configuration": ecs.TrafficShiftConfig(step_percent=150)},
            r"canary_configuration.step_percent=150 is not allowed: 0.1 to 100.0 in steps of 0.1",
        ),
        (
            {"deployment_strategy": CANARY, "canary_configuration": ecs.TrafficShiftConfig(step_percent=0)},
            r"canary_configuration.step_percent=0 is not allowed",
        ),
        (
            {"deployment_strategy": LINEAR, "linear_configuration": ecs.TrafficShiftConfig(step_percent=2)},
            r"linear_configuration.step_percent=2 is not allowed: 3.0 to 100.0",
        ),
        (
            {"deployment_strategy": LINEAR, "linear_configuration": ecs.TrafficShiftConfig(step_percent=10.05)},
            r"linear_configuration.step_percent=10.05 is not allowed",
        ),
        (
            {
                "deployment_strategy": LINEAR,
                "linear_configuration": ecs.TrafficShiftConfig(step_bake_time=cdk.Duration.hours(25)),
            },
            r"linear_configuration.step_bake_time='1 day 1 hour' is not allowed: a Duration of whole minutes",
        ),
        (
            {"deployment_strategy": CANARY, "linear_configuration": ecs.TrafficShiftConfig(step_percent=10)},
            r"linear_configuration=.* is not allowed: none unless deployment_strategy is LINEAR",
        ),
        (
            {"deployment_strategy": BLUE_GREEN, "bake_time": cdk.Duration.hours(25)},
            r"bake_time='1 day 1 hour' is not allowed: a Duration of whole minutes from 0 to 1440",
        ),
        (
            {"deployment_strategy": BLUE_GREEN, "bake_time": cdk.Duration.seconds(90)},
            r"bake_time='1 minute 30 seconds' is not allowed: a Duration of whole minutes",
        ),
        ({"bake_time": cdk.Duration.minutes(5)}, r"bake_time='5 minutes' is not allowed: none with ROLLING"),
        (
            {
                "deployment_strategy": BLUE_GREEN,
                "deployment_alarms": ecs.DeploymentAlarmConfig(
                    alarm_names=["a"], behavior=ecs.AlarmBehavior.FAIL_ON_ALARM
                ),
            },
            r"deployment_alarms.behavior='FAIL_ON_ALARM' is not allowed: ROLLBACK_ON_ALARM",
        ),
        (
            {"deployment_strategy": BLUE_GREEN, "deployment_alarms": ecs.DeploymentAlarmConfig(alarm_names=[])},
            r"deployment_alarms.alarm_names=\[\] is not allowed: one or more CloudWatch alarm names",
        ),
    ],
    ids=lambda v: "" if isinstance(v, str) else None,
)
def test_bad_deployment_input_names_path_property_value_and_what_is_allowed(
    scene: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(SecureFargateError, match=r"Test/S\d+: " + message):
        _build(scene, **kwargs)


def test_lifecycle_hook_on_rolling_is_refused(scene: dict[str, Any]) -> None:
    hook = _hook(scene["stack"], "RollingHook")
    target = ecs.DeploymentLifecycleLambdaTarget(hook, "Check", lifecycle_stages=_stage())
    with pytest.raises(SecureFargateError, match=r"lifecycle_hooks='<1 hook\(s\)>' is not allowed: none with ROLLING"):
        _build(scene, lifecycle_hooks=[target])


def test_a_shifting_service_on_a_second_load_balancer_is_refused(scene: dict[str, Any]) -> None:
    service = _build(scene, deployment_strategy=CANARY)
    SecureLoadBalancer(scene["stack"], "FirstIngress", vpc=scene["cluster"].vpc).attach(service)
    second = SecureLoadBalancer(scene["stack"], "SecondIngress", vpc=scene["cluster"].vpc)
    with pytest.raises(SecureFargateError, match=r"SecondIngress: service=.*attached to Test/FirstIngress.* one load"):
        second.attach(service)


def test_test_traffic_from_anywhere_is_refused(scene: dict[str, Any]) -> None:
    service = _build(scene, deployment_strategy=BLUE_GREEN)
    ingress = SecureLoadBalancer(scene["stack"], "AnyIngress", vpc=scene["cluster"].vpc)
    with pytest.raises(
        SecureFargateError, match=r"AnyIngress: test_traffic_from\[0\]='0.0.0.0/0' is not allowed: named"
    ):
        ingress.attach(service, test_traffic_from=[ec2.Peer.any_ipv4()])


def test_test_port_on_a_production_port_is_refused(scene: dict[str, Any]) -> None:
    service = _build(scene, deployment_strategy=BLUE_GREEN)
    ingress = SecureLoadBalancer(scene["stack"], "PortIngress", vpc=scene["cluster"].vpc)
    with pytest.raises(SecureFargateError, match=r"test_port=443 is not allowed"):
        ingress.attach(service, test_port=443)


def test_test_listener_options_on_a_rolling_service_are_refused(scene: dict[str, Any]) -> None:
    service = _build(scene)
    ingress = SecureLoadBalancer(scene["stack"], "RollingIngress", vpc=scene["cluster"].vpc)
    with pytest.raises(SecureFargateError, match=r"test_port/test_traffic_from=.* only a BLUE_GREEN, LINEAR or CANARY"):
        ingress.attach(service, test_port=9000)


def test_linear_without_a_load_balancer_fails_at_synth_naming_the_service() -> None:
    app, stack, cluster, _ = base_stack()
    SecureFargateService(stack, "Lonely", cluster=cluster, container=app_container(), deployment_strategy=LINEAR)
    with pytest.raises(
        Exception, match=r"Test/Lonely: deployment_strategy='LINEAR' is not allowed: ROLLING, or attach"
    ):
        app.synth()


# ------------------------------------------------------------------------------------------- the attacker


def test_own_hook_role_allowed_function_star_fails_the_pack_at_synth() -> None:
    # GIVEN a hook with a role of the user's own that follows AWS's example policy (function:*)
    app, stack, cluster, _ = base_stack()
    role = iam.Role(stack, "HookRole", assumed_by=iam.ServicePrincipal("ecs.amazonaws.com"))
    role.add_to_policy(
        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=["arn:aws:lambda:*:*:function:*"])
    )
    target = ecs.DeploymentLifecycleLambdaTarget(_hook(stack), "Check", role=role, lifecycle_stages=_stage())
    service = SecureFargateService(
        stack,
        "Web",
        cluster=cluster,
        container=app_container(container_port=8080),
        deployment_strategy=BLUE_GREEN,
        lifecycle_hooks=[target],
    )
    SecureLoadBalancer(stack, "Ingress", vpc=cluster.vpc).attach(service)
    # WHEN the app synthesizes THEN the pack reports the hook role, and no acknowledgement can silence it
    with pytest.raises(Exception) as raised:
        app.synth()
    assert "SF.DEPLOY_HOOK_INVOKE" in reported_controls(raised.value)


def test_hook_role_in_another_stack_is_judged_where_it_is_defined() -> None:
    # GIVEN a role that trusts an account (not ECS) and may invoke function:*, exported by one stack, and a service
    # in a second stack that names the imported role as its lifecycle hook role
    from secure_fargate.pack.template_set import TemplateSet

    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "123456789012"}}]}
    invoke = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:*:*:function:*"}
    roles = {
        "Resources": {
            "HookRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": trust,
                    "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [invoke]}}],
                },
            }
        },
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["HookRole", "Arn"]}, "Export": {"Name": "hook-role-arn"}}},
    }
    hooks = [
        {"HookTargetArn": "arn:aws:lambda:eu-west-1:123456789012:function:check", "LifecycleStages": ["PRE_SCALE_UP"]}
    ]
    hooks[0]["RoleArn"] = {"Fn::ImportValue": "hook-role-arn"}
    service = {
        "Resources": {
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {"DeploymentConfiguration": {"Strategy": "BLUE_GREEN", "LifecycleHooks": hooks}},
            }
        }
    }
    template_set = TemplateSet([PackTemplate(roles), PackTemplate(service)])
    # WHEN the roles' template is judged with the other in the set THEN the hook role fails, naming the service
    found = [
        f for f in evaluate(template_set.templates[0], CONTROLS, template_set) if f.control == "SF.DEPLOY_HOOK_INVOKE"
    ]
    assert len(found) == 1 and "lifecycle hook role of" in found[0].message
    # AND judged alone, the role trusts no ECS and is named by no hook: nothing to say (no false positive)
    alone = [f for f in evaluate(PackTemplate(roles), CONTROLS) if f.control == "SF.DEPLOY_HOOK_INVOKE"]
    assert alone == []


def test_opening_the_test_port_to_anyone_afterwards_fails_at_synth() -> None:
    # GIVEN a blue/green service whose test listener a later call opens to the internet (the escape hatch)
    app, stack, cluster, _ = base_stack()
    service = SecureFargateService(
        stack, "Web", cluster=cluster, container=app_container(container_port=8080), deployment_strategy=BLUE_GREEN
    )
    ingress = SecureLoadBalancer(stack, "Ingress", vpc=cluster.vpc)
    ingress.attach(service)
    ingress.load_balancer.connections.allow_from(ec2.Peer.any_ipv4(), ec2.Port.tcp_range(8000, 8100))
    # WHEN the app synthesizes THEN the load balancer names the test port it opened
    with pytest.raises(
        Exception, match=r"Test/Ingress: test listener port 8080='open to anyone' is not allowed: named"
    ):
        app.synth()
