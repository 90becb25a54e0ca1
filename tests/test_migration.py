"""Issue 22 item 7, synth side: the migrated app keeps the patterns app's load balancer, listener and log group
(same logical IDs, no replacing property changed); without ``keep_logical_id`` it would not; bad input."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from examples.migration.app import KEEP, AfterStack, BeforeStack
from secure_fargate import SecureFargateError, keep_logical_id
from secure_fargate import migration as migration_module


def _synth(stack_class: type[cdk.Stack]) -> dict[str, Any]:
    app = cdk.App()
    stack_class(app, "M")
    return app.synth().get_stack_by_name("M").template["Resources"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    return {"before": _synth(BeforeStack), "after": _synth(AfterStack)}


def test_kept_ids_are_the_patterns_apps_and_survive_in_the_migrated_app(templates: dict[str, Any]) -> None:
    for logical in KEEP.values():
        assert templates["after"][logical]["Type"] == templates["before"][logical]["Type"]


def test_the_vpc_and_cluster_are_kept_by_construct_id(templates: dict[str, Any]) -> None:
    shared = [k for k, r in templates["before"].items() if r["Type"] in ("AWS::EC2::VPC", "AWS::ECS::Cluster")]
    assert len(shared) == 2 and all(k in templates["after"] for k in shared)


def test_the_kept_log_group_is_retained_and_gets_a_finite_retention(templates: dict[str, Any]) -> None:
    group = templates["after"][KEEP["log_group"]]
    assert group["DeletionPolicy"] == "Retain" and group["Properties"]["RetentionInDays"] == 365
    assert "LogGroupName" not in group["Properties"]  # a name would replace it


def test_followed_literally_the_old_guide_replaces_the_alb_and_orphans_the_log_group(
    monkeypatch: pytest.MonkeyPatch, templates: dict[str, Any]
) -> None:
    # GIVEN the migrated app without keep_logical_id (the guide before this change)
    import examples.migration.app as example

    monkeypatch.setattr(example, "keep_logical_id", lambda construct, logical_id: None)
    literal = _synth(AfterStack)
    # THEN every kept ID is gone: CloudFormation deletes the ALB and listener (a new ALB, a new DNS name) and
    # leaves the retained log group behind, unmanaged, while a new one is created
    assert not set(KEEP.values()) & set(literal)
    assert templates["before"][KEEP["log_group"]]["DeletionPolicy"] == "Retain"


def test_keep_logical_id_refuses_a_bad_id() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    group = logs.LogGroup(stack, "G")
    with pytest.raises(SecureFargateError, match=r"S/G: logical_id='Web-LB' is not allowed"):
        keep_logical_id(group, "Web-LB")


def test_keep_logical_id_refuses_a_construct_without_one_resource() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    with pytest.raises(SecureFargateError, match=r"S: construct='S' is not allowed"):
        keep_logical_id(stack, "Web")


def test_a_kept_id_that_clashes_fails_the_synth() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    logs.LogGroup(stack, "Old", log_group_name="old")
    clash = stack.resolve(stack.get_logical_id(stack.node.find_child("Old").node.default_child))  # type: ignore[arg-type]
    keep_logical_id(logs.LogGroup(stack, "New"), clash)
    with pytest.raises(Exception, match=r"clashes with S/Old/Resource"):
        app.synth()


def test_keep_logical_id_is_public() -> None:
    assert migration_module.keep_logical_id is keep_logical_id


def test_with_a_certificate_the_redirect_listener_can_be_kept_too() -> None:
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_elasticloadbalancingv2 as elbv2

    from secure_fargate import SecureLoadBalancer

    app = cdk.App()
    stack = cdk.Stack(app, "S")
    ingress = SecureLoadBalancer(
        stack,
        "Ingress",
        vpc=ec2.Vpc(stack, "Vpc", max_azs=2),
        certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-example",
    )
    assert ingress.redirect_listener is not None
    ingress.listener.add_action("Default", action=elbv2.ListenerAction.fixed_response(404))
    keep_logical_id(ingress.redirect_listener, "WebLBPublicRedirectListener")
    resources = Template.from_stack(stack).to_json()["Resources"]
    assert resources["WebLBPublicRedirectListener"]["Properties"]["Port"] == 80
