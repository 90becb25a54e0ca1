"""Standards, fail-on and a team's own controls, set the same way in the CDK plugin (arguments or cdk.json
context), the CloudFormation hook construct and the hook handler as ``secure-fargate check`` takes them."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Template

from examples.controls.owner_label import check_owner_label
from secure_fargate import SecureFargateChecks, SecureFargateError, SecureFargateHook
from secure_fargate.pack import hook_handler
from tests.conftest import reported_controls


def _synth(app: cdk.App) -> set[str]:
    """The controls that failed the synth ({} when it passed)."""
    try:
        app.synth()
    except Exception as error:  # CDK's ValidationFailed, raised through jsii
        return reported_controls(error)
    return set()


def _app(context: dict[str, Any] | None = None) -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App(context=context or {})
    stack = cdk.Stack(app, "Raw")
    # An untagged cluster with Container Insights (only the tagging standard's ECS.14 fails it) and a repository
    # with mutable tags (ECR.2, MEDIUM) but everything else Security Hub asks for.
    ecs.CfnCluster(stack, "Cluster", cluster_settings=[{"name": "containerInsights", "value": "enhanced"}])
    ecr.CfnRepository(
        stack,
        "Repo",
        image_tag_mutability="MUTABLE",
        image_scanning_configuration={"scanOnPush": True},
        lifecycle_policy={"lifecyclePolicyText": '{"rules": []}'},
        encryption_configuration={"encryptionType": "KMS", "kmsKey": "arn:aws:kms:eu-west-1:123456789012:key/k"},
    )
    return app, stack


def test_plugin_defaults_leave_tags_off_and_fail_on_every_severity() -> None:
    app, _ = _app()
    SecureFargateChecks.register(app)
    assert _synth(app) == {"ECR.2"}


def test_cdk_json_context_chooses_standards_and_threshold() -> None:
    app, _ = _app({"secure-fargate:standards": "all", "secure-fargate:fail-on": "LOW"})
    SecureFargateChecks.register(app)
    assert _synth(app) == {"ECR.2", "ECS.14"}
    app, _ = _app({"secure-fargate:standards": ["fsbp"], "secure-fargate:fail-on": "HIGH"})
    SecureFargateChecks.register(app)
    assert _synth(app) == set()  # ECR.2 is MEDIUM: reported, below the threshold


def test_plugin_arguments_and_a_teams_own_control() -> None:
    app, stack = _app()
    ecs.CfnTaskDefinition(
        stack,
        "Task",
        requires_compatibilities=["FARGATE"],
        network_mode="awsvpc",
        cpu="256",
        memory="512",
        container_definitions=[
            {
                "name": "app",
                "image": "nginx@sha256:" + "0" * 64,
                "memory": 256,
                "user": "1000",
                "readonlyRootFilesystem": True,
                "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
            }
        ],
        runtime_platform={"operatingSystemFamily": "LINUX"},
    )
    plugin = SecureFargateChecks(standards=["fsbp"], fail_on="HIGH", extra_controls=[check_owner_label])
    cdk.Validations.of(app).add_plugins(plugin)
    assert "ACME.OWNER_LABEL" in plugin.rule_ids and "SF.ROLES" not in plugin.rule_ids
    assert _synth(app) == set()  # ACME.OWNER_LABEL is LOW, below HIGH


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"standards": ["pci"]}, "standards"),
        ({"fail_on": "SEVERE"}, "fail_on"),
        ({"extra_controls": [print]}, "extra_controls"),
        ({"extra_controls": "x"}, "extra_controls"),
    ],
)
def test_plugin_refuses_bad_settings_naming_the_property(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(SecureFargateError, match=named):
        SecureFargateChecks(**kwargs)


def test_hook_construct_passes_its_settings_to_the_function() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Hook")
    SecureFargateHook(stack, "Default")
    SecureFargateHook(stack, "Strict", alias="Acme::Guard::Strict", standards=["all"], fail_on="high")
    functions = Template.from_stack(stack).find_resources("AWS::Lambda::Function")
    environments = [f["Properties"].get("Environment") for f in functions.values()]
    assert None in environments
    strict = {"SECURE_FARGATE_FAIL_ON": "HIGH", "SECURE_FARGATE_STANDARDS": "fsbp,secure-fargate,tagging"}
    assert {"Variables": strict} in environments


@pytest.mark.parametrize(("kwargs", "named"), [({"standards": ["pci"]}, "standards"), ({"fail_on": "x"}, "fail_on")])
def test_hook_construct_refuses_bad_settings(kwargs: dict[str, Any], named: str) -> None:
    stack = cdk.Stack(cdk.App(), "Hook")
    with pytest.raises(SecureFargateError, match=named):
        SecureFargateHook(stack, "Hook", **kwargs)


def test_hook_handler_reads_the_same_settings() -> None:
    controls, fail_on = hook_handler.settings({"SECURE_FARGATE_STANDARDS": "tagging", "SECURE_FARGATE_FAIL_ON": "low"})
    assert [c.id for c in controls] == ["ECS.13", "ECS.14", "ECS.15"] and fail_on.value == "LOW"
    with pytest.raises(ValueError, match="SECURE_FARGATE_FAIL_ON"):
        hook_handler.settings({"SECURE_FARGATE_FAIL_ON": "loud"})
