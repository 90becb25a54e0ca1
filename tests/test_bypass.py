"""Integrity (issue 12): routes an attacker or a hurried user takes around the guarantee with ordinary CDK calls.

The guarantee: a SecureFargateService cannot be weakened without an explicit, reasoned opt-out, and the pack
flags insecure Fargate wherever it is declared. Each test builds one route and asserts the synth fails naming
the control (the plugin the construct registers, or the constructor's SecureFargateError), or that the
acknowledgement API refuses the shortcut. Pack-level routes over raw templates: tests/test_bypass_pack.py;
IAM and ingress routes: tests/test_bypass_iam.py.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from secure_fargate import (
    ContainerOptions,
    ImageSource,
    NotSecret,
    OptOut,
    SecureFargateError,
    SecureFargateService,
    acknowledge,
)
from tests.conftest import DIGEST_IMAGE, app_container, base_stack, reported_controls, security_agent


def synth_fails_with(stack: cdk.Stack) -> set[str]:
    """The controls the registered pack reports when ``stack`` is synthesized (it must fail)."""
    with pytest.raises(Exception) as raised:
        Template.from_stack(stack)
    return reported_controls(raised.value)


def service(stack: cdk.Stack, cluster: ecs.ICluster, **kwargs: Any) -> SecureFargateService:
    kwargs.setdefault("container", app_container(container_port=8080))
    return SecureFargateService(stack, "Svc", cluster=cluster, **kwargs)


def override(svc: SecureFargateService, resource: str, path: str, value: Any) -> None:
    target = svc.service if resource == "service" else svc.task_definition
    cfn: cdk.CfnResource = target.node.default_child  # type: ignore[assignment]
    cfn.add_property_override(path, value)


# ------------------------------------------------------------------ class 2: constants hidden in intrinsics


@pytest.mark.parametrize(
    ("options", "prop"),
    [
        ({"user": cdk.Fn.sub("0")}, r"container\.user"),
        ({"user": cdk.Fn.join("", ["ro", "ot"])}, r"container\.user"),
        ({"image": ImageSource.from_registry(cdk.Fn.sub("example/app:latest"))}, r"container\.image"),
        ({"container_port": cdk.Token.as_number(cdk.Fn.select(0, ["80"]))}, r"container\.container_port"),
    ],
    ids=["user-sub-0", "user-join-root", "image-sub-latest", "port-select-80"],
)
def test_literal_behind_an_intrinsic_is_judged_by_the_construct(options: dict[str, Any], prop: str) -> None:
    _, stack, cluster, _ = base_stack()
    with pytest.raises(SecureFargateError, match=prop):
        service(stack, cluster, container=app_container(**options))


def test_deploy_time_value_is_not_guessed() -> None:
    _, stack, cluster, _ = base_stack()
    user = cdk.CfnParameter(stack, "User", type="String").value_as_string
    cpu = cdk.CfnParameter(stack, "Cpu", type="Number").value_as_number  # a float token in Python
    service(stack, cluster, container=app_container(user=user), cpu=cpu)  # unknown until deploy: not refused


@pytest.mark.parametrize(
    ("resource", "path", "value", "control"),
    [
        ("service", "NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp", {"Fn::Sub": "ENABLED"}, "ECS.2"),
        ("task", "ContainerDefinitions.0.User", {"Fn::Sub": "0"}, "ECS.20"),
        ("task", "ContainerDefinitions.0.User", "+0", "ECS.20"),
        ("task", "ContainerDefinitions.0.ReadonlyRootFilesystem", False, "ECS.5"),
        ("task", "ContainerDefinitions.0.Privileged", True, "ECS.4"),
        ("task", "ContainerDefinitions.0.Image", {"Fn::Join": ["", ["example/app", ":latest"]]}, "SF.IMAGE"),
        ("task", "ContainerDefinitions.0.LinuxParameters.Capabilities.Add", ["NET_ADMIN"], "SF.CAPABILITIES"),
        ("task", "PidMode", "host", "ECS.3"),
        ("service", "EnableExecuteCommand", True, "SF.EXEC"),
    ],
    ids=[
        "public-ip-sub",
        "user-sub",
        "user-plus-0",
        "writable-root",
        "privileged",
        "latest-join",
        "cap",
        "pid",
        "exec",
    ],
)
def test_property_override_is_judged_at_synth(resource: str, path: str, value: Any, control: str) -> None:
    _, stack, cluster, _ = base_stack()
    override(service(stack, cluster), resource, path, value)
    assert control in synth_fails_with(stack)


def test_whole_container_list_behind_fn_if_is_judged() -> None:
    _, stack, cluster, _ = base_stack()
    svc = service(stack, cluster)
    cdk.CfnCondition(stack, "Prod", expression=cdk.Fn.condition_equals("a", "b"))
    root = {"Name": "evil", "Image": DIGEST_IMAGE, "Memory": 64, "User": "0", "Essential": True}
    override(svc, "task", "ContainerDefinitions", {"Fn::If": ["Prod", [root], [root]]})
    assert "ECS.20" in synth_fails_with(stack)


# ------------------------------------------------------------------------------- class 5: acknowledgements


@pytest.mark.parametrize("control", ["ECS.4", "SF.CAPABILITIES", "SF.SECRETS", "SF.PTRACE", "SF.ROLES"])
def test_invariants_cannot_be_acknowledged(control: str) -> None:
    _, stack, cluster, _ = base_stack()
    svc = service(stack, cluster)
    with pytest.raises(SecureFargateError, match=r"control=.*invariant"):
        acknowledge(svc, control, "we really need this for the migration", container="app")


@pytest.mark.parametrize(
    "reason",
    ["xxxxxxxxxx", "\u200b" * 10, "x", "          ", "a\u200b" * 4, "\x1b[2K" * 3],
    ids=["repeated", "zero-width", "one-char", "blank", "four-visible", "escapes"],
)
def test_reason_must_say_something(reason: str) -> None:
    _, stack, cluster, _ = base_stack()
    svc = service(stack, cluster)
    with pytest.raises(SecureFargateError, match="reason="):
        acknowledge(svc.task_definition, "ECS.5", reason, container="app")
    with pytest.raises(SecureFargateError, match="writable_root_filesystem"):
        SecureFargateService(
            stack, "Other", cluster=cluster, container=app_container(writable_root_filesystem=OptOut(reason))
        )


def test_container_level_acknowledgement_names_an_existing_container() -> None:
    _, stack, cluster, _ = base_stack()
    svc = service(stack, cluster)
    with pytest.raises(SecureFargateError, match=r"container=None"):
        acknowledge(svc.task_definition, "ECS.5", "vendor image writes to /opt; RISK-12")
    with pytest.raises(SecureFargateError, match=r"container='later'"):
        acknowledge(svc.task_definition, "ECS.5", "vendor image writes to /opt; RISK-12", container="later")


def test_acknowledgement_on_a_scope_without_the_resource_type_is_refused() -> None:
    _, _, cluster, _ = base_stack()
    with pytest.raises(SecureFargateError, match=r"scope=.*AWS::ECS::Service"):
        acknowledge(cluster, "ECS.2", "public tasks for the partner network test")


def test_agent_root_opt_out_does_not_cover_a_root_container_added_later() -> None:
    _, stack, cluster, _ = base_stack()
    svc = service(
        stack,
        cluster,
        security_agent=security_agent(
            image=ImageSource.from_registry(DIGEST_IMAGE), user="0", run_as_root=OptOut("vendor agent reads /proc")
        ),
    )
    svc.task_definition.add_container(
        "late",
        image=ecs.ContainerImage.from_registry(DIGEST_IMAGE),
        memory_limit_mib=64,
        user="0",
        readonly_root_filesystem=True,
        linux_parameters=None,
        logging=ecs.LogDrivers.aws_logs(stream_prefix="late"),
    )
    assert "ECS.20" in synth_fails_with(stack)


def test_not_secret_covers_only_its_variable_and_container() -> None:
    _, stack, cluster, _ = base_stack()
    svc = service(
        stack,
        cluster,
        container=app_container(environment={"API_KEY_HEADER": NotSecret("X-Api-Key", "a header name, not a key")}),
    )
    svc.task_definition.add_container(
        "late",
        image=ecs.ContainerImage.from_registry(DIGEST_IMAGE),
        memory_limit_mib=64,
        user="1000",
        readonly_root_filesystem=True,
        environment={"DB_PASSWORD": "hunter2hunter2"},
        logging=ecs.LogDrivers.aws_logs(stream_prefix="late"),
    )
    assert "ECS.8" in synth_fails_with(stack)


def test_not_secret_needs_a_reason() -> None:
    _, stack, cluster, _ = base_stack()
    with pytest.raises(SecureFargateError, match=r"environment\['API_KEY_HEADER'\]\.reason"):
        service(stack, cluster, container=app_container(environment={"API_KEY_HEADER": NotSecret("X", "short")}))


def test_cdk_level_acknowledgement_does_not_pass_the_synth() -> None:
    """CDK prints "Acknowledge with 'secure-fargate::…'" for suppressible rules; ours are not suppressible."""
    _, stack, cluster, _ = base_stack()
    svc = service(stack, cluster)
    override(svc, "task", "ContainerDefinitions.0.ReadonlyRootFilesystem", False)
    cdk.Validations.of(stack).acknowledge(cdk.Acknowledgment(id="secure-fargate::ECS.5", reason="looks fine to me"))
    assert "ECS.5" in synth_fails_with(stack)


# ----------------------------------------------------------------------------------------- class 7: coverage


def test_other_stack_of_the_app_is_judged() -> None:
    app, stack, cluster, _ = base_stack()
    service(stack, cluster)
    other = cdk.Stack(app, "Legacy")
    task = ecs.FargateTaskDefinition(other, "Task")
    task.add_container("web", image=ecs.ContainerImage.from_registry(DIGEST_IMAGE), privileged=True)
    with pytest.raises(Exception) as raised:
        app.synth()
    assert "ECS.4" in reported_controls(raised.value)


def test_nested_stack_is_judged() -> None:
    _, stack, cluster, _ = base_stack()
    service(stack, cluster)
    nested = cdk.NestedStack(stack, "Nested")
    task = ecs.FargateTaskDefinition(nested, "Task")
    task.add_container("web", image=ecs.ContainerImage.from_registry(DIGEST_IMAGE), privileged=True)
    assert "ECS.4" in synth_fails_with(stack)


def test_secret_read_granted_to_the_task_role_later_is_judged() -> None:
    _, stack, cluster, secret = base_stack()
    svc = service(stack, cluster)
    secret.grant_read(svc.task_role)
    assert "SF.SECRETS" in synth_fails_with(stack)


def test_admin_policy_on_the_task_role_is_judged() -> None:
    _, stack, cluster, _ = base_stack()
    svc = service(stack, cluster)
    svc.task_role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess"))
    assert "SF.TASK_ROLE" in synth_fails_with(stack)


def test_open_ingress_added_later_is_judged() -> None:
    _, stack, cluster, _ = base_stack()
    svc = service(stack, cluster)
    svc.security_group.add_ingress_rule(ec2.Peer.ipv4("0.0.0.0/1"), ec2.Port.tcp(8080))
    svc.security_group.add_ingress_rule(ec2.Peer.ipv4("128.0.0.0/1"), ec2.Port.tcp(8080))
    assert "SF.INGRESS" in synth_fails_with(stack)


# --------------------------------------------------------------------------------------------- class 10: images


def test_private_ecr_uri_from_registry_gets_the_scoped_pull() -> None:
    _, stack, cluster, _ = base_stack()
    uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:" + "c" * 64
    svc = service(stack, cluster, container=app_container(image=ImageSource.from_registry(uri)))
    statements = [
        s
        for r in Template.from_stack(stack).to_json()["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    pull = [s for s in statements if "ecr:BatchGetImage" in s["Action"]]
    assert pull and pull[0]["Resource"] == "arn:aws:ecr:eu-west-1:123456789012:repository/team/api"
    assert any(s["Action"] == "ecr:GetAuthorizationToken" and s["Resource"] == "*" for s in statements)
    assert svc.plan.containers[0].options.image.in_private_registry


def test_asset_image_is_pinned_by_its_content_hash(tmp_path: Any) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    _, stack, cluster, _ = base_stack()
    service(stack, cluster, container=app_container(image=ImageSource.from_asset(str(tmp_path))))
    template = Template.from_stack(stack).to_json()
    (task,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    image = task["Properties"]["ContainerDefinitions"][0]["Image"]
    assert "cdk-hnb659fds-container-assets" in str(image)
    warnings = [
        m for m in cdk.assertions.Annotations.from_stack(stack).find_warning("*", cdk.assertions.Match.any_value())
    ]
    assert not [w for w in warnings if "image tag" in str(w)]


def test_latest_in_private_ecr_uri_is_still_refused() -> None:
    _, stack, cluster, _ = base_stack()
    uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:latest"
    with pytest.raises(SecureFargateError, match=r"container\.image"):
        service(stack, cluster, container=app_container(image=ImageSource.from_registry(uri)))


def test_container_options_stay_as_given_while_judged_literally() -> None:
    _, stack, cluster, _ = base_stack()
    user = cdk.Fn.sub("1000")
    svc = service(stack, cluster, container=app_container(user=user))
    assert svc.plan.containers[0].options.user == user
    assert isinstance(svc.plan.containers[0].options, ContainerOptions)
