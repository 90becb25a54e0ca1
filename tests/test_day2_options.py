"""Day-2 options one behaviour at a time (the example app covers them together: tests/test_day2.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Template

from secure_fargate import (
    ImageSource,
    LogRouter,
    SecureFargateError,
    SecureFargateService,
    SecureLoadBalancer,
)
from tests.conftest import DIGEST_IMAGE, app_container, base_stack, only, service_template


def test_desired_count_none_omits_desired_count() -> None:
    assert "DesiredCount" not in only(service_template(desired_count=None), "AWS::ECS::Service")


def test_capacity_providers_accepted_once_the_cluster_enables_them() -> None:
    _, stack, cluster, _ = base_stack()
    cluster.enable_fargate_capacity_providers()
    SecureFargateService(
        stack,
        "S",
        cluster=cluster,
        container=app_container(),
        capacity_provider_strategies=[ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)],
    )
    service = only(Template.from_stack(stack).to_json(), "AWS::ECS::Service")
    assert service["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]


def test_container_port_and_a_named_mapping_of_the_same_port_merge() -> None:
    template = service_template(
        container=app_container(container_port=8080, port_mappings=[ecs.PortMapping(container_port=8080, name="api")])
    )
    (container,) = only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    assert container["PortMappings"] == [{"ContainerPort": 8080, "Name": "api", "Protocol": "tcp"}]


def test_user_log_options_go_to_the_router_and_grant_the_task_role_nothing() -> None:
    options = {"Name": "firehose", "region": "eu-west-1", "delivery_stream": "app-logs"}
    router = LogRouter.from_image(ImageSource.from_registry(DIGEST_IMAGE), memory_limit_mib=64)
    template = service_template(log_router=LogRouter(router.container, log_options=options))
    app = next(c for c in only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"] if c["Name"] == "app")
    assert app["LogConfiguration"] == {"LogDriver": "awsfirelens", "Options": options}
    policies = [
        v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Policy" and k.startswith("STaskRole")
    ]
    assert policies == [], "the destination's permission is the user's grant to make, not a wildcard of ours"


def test_non_essential_router_is_the_users_choice() -> None:
    router = LogRouter.from_image(ImageSource.from_registry(DIGEST_IMAGE), memory_limit_mib=64, essential=False)
    template = service_template(log_router=router)
    found = next(
        c for c in only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"] if c["Name"] == "log-router"
    )
    assert found["Essential"] is False


# ------------------------------------------------------------------------------------- the load balancer


@pytest.fixture
def routed() -> dict[str, Any]:
    _, stack, cluster, _ = base_stack()
    web = SecureFargateService(stack, "Web", cluster=cluster, container=app_container(container_port=8080))
    api = SecureFargateService(stack, "Api", cluster=cluster, container=app_container(container_port=8081))
    ingress = SecureLoadBalancer(stack, "Ingress", vpc=cluster.vpc)
    ingress.attach(web)
    return {"stack": stack, "web": web, "api": api, "ingress": ingress}


def test_second_default_attach_raises_instead_of_orphaning_the_first(routed: dict[str, Any]) -> None:
    with pytest.raises(SecureFargateError, match=r"priority/conditions=.*default route is taken"):
        routed["ingress"].attach(routed["api"])


def test_attaching_a_service_twice_raises(routed: dict[str, Any]) -> None:
    with pytest.raises(SecureFargateError, match=r"service='Test/Web'.*not attached"):
        routed["ingress"].attach(
            routed["web"], priority=5, conditions=[elbv2.ListenerCondition.path_patterns(["/again/*"])]
        )


def test_routed_second_service_is_accepted(routed: dict[str, Any]) -> None:
    routed["ingress"].attach(routed["api"], priority=10, conditions=[elbv2.ListenerCondition.path_patterns(["/api/*"])])
    rules = [
        v
        for v in Template.from_stack(routed["stack"]).to_json()["Resources"].values()
        if v["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
    ]
    assert len(rules) == 1 and rules[0]["Properties"]["Priority"] == 10


def test_certificate_and_certificate_arn_together_raise() -> None:
    _, stack, cluster, _ = base_stack()
    certificate = acm.Certificate(stack, "Cert", domain_name="example.com")
    with pytest.raises(SecureFargateError, match=r"certificate/certificate_arn"):
        SecureLoadBalancer(
            stack, "Ingress", vpc=cluster.vpc, certificate=certificate, certificate_arn="arn:aws:acm:x:1:certificate/y"
        )


def test_no_certificate_warning_names_the_parameters_not_a_context_key() -> None:
    from aws_cdk.assertions import Annotations, Match

    _, stack, cluster, _ = base_stack()
    service = SecureFargateService(stack, "S", cluster=cluster, container=app_container(container_port=8080))
    SecureLoadBalancer(stack, "Ingress", vpc=cluster.vpc).attach(service)
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("plain HTTP"))
    (text,) = [str(w.entry.data) for w in warnings]
    assert "certificate or certificate_arn" in text and "context" not in text
