"""Shared fixtures: one jsii kernel per test process, each stack synthesized once per session."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
# CDK's built-in CloudFormation schema validation (aws-cdk-lib's CloudFormationValidatePlugin) off in the test
# kernel: it costs about 2 s per process to load its schemas and a quarter of every synth, and the tests already run
# cfn-lint on every template the project ships (tests/test_platform.py, the examples' tests) while `make synth` keeps it
# on, as an error, for the reference app (cdk.json: @aws-cdk/core:validateAgainstDefaultRules). Read by the jsii
# kernel's Node.js process, so it is set before aws_cdk is first imported.
os.environ.setdefault("CDK_VALIDATION", "false")

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as sm
from aws_cdk.assertions import Template

from reference import ReferenceStack
from secure_fargate import ContainerOptions, ImageSource, SecureFargateService, SecurityAgent

DIGEST_IMAGE = "public.ecr.aws/example/app@sha256:" + "a" * 64


def base_stack(name: str = "Test") -> tuple[cdk.App, cdk.Stack, ecs.Cluster, sm.Secret]:
    """An app with a stack, a VPC with private subnets, a cluster and a secret: what every service needs."""
    app = cdk.App()
    stack = cdk.Stack(app, name)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
    cdk.Tags.of(cluster).add("team", "tests")  # Security Hub ECS.14: clusters are tagged
    secret = sm.Secret(stack, "Secret")
    return app, stack, cluster, secret


def app_container(**overrides: Any) -> ContainerOptions:
    values: dict[str, Any] = {"name": "app", "image": ImageSource.from_registry(DIGEST_IMAGE), "memory_limit_mib": 256}
    values.update(overrides)
    return ContainerOptions(**values)


def security_agent(*, ptrace: bool = True, **overrides: Any) -> SecurityAgent:
    """A SecurityAgent composed of ContainerOptions (name security-agent, 128 MiB unless overridden)."""
    values: dict[str, Any] = {"name": "security-agent", "memory_limit_mib": 128}
    values.update(overrides)
    return SecurityAgent(ContainerOptions(**values), ptrace=ptrace)


def service_template(**kwargs: Any) -> dict[str, Any]:
    """The template of one SecureFargateService ("S", with the app container unless given) in a fresh stack."""
    _, stack, cluster, _ = base_stack()
    kwargs.setdefault("container", app_container())
    SecureFargateService(stack, "S", cluster=cluster, **kwargs)
    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def reference_stack() -> ReferenceStack:
    app = cdk.App()
    return ReferenceStack(app, "SecureFargateReference")


@pytest.fixture(scope="session")
def reference_template(reference_stack: ReferenceStack) -> dict[str, Any]:
    return Template.from_stack(reference_stack).to_json()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def minimal_stack() -> cdk.Stack:
    _, stack, cluster, secret = base_stack("Minimal")
    SecureFargateService(
        stack,
        "Service",
        cluster=cluster,
        container=app_container(
            container_port=8080, secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret, "password")}
        ),
    )
    return stack


@pytest.fixture(scope="session")
def minimal_template(minimal_stack: cdk.Stack) -> dict[str, Any]:
    return Template.from_stack(minimal_stack).to_json()  # type: ignore[no-any-return]


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources_of(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))["Properties"]  # type: ignore[no-any-return]


def reported_controls(error: BaseException) -> set[str]:
    """The control IDs of the secure-fargate plugin's report behind a CDK ``ValidationFailed`` error."""
    message = str(error)
    assert "ValidationFailed" in message, message
    path = message.split("can be found in: ", 1)[1].split()[0]
    report = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        v["ruleName"] for r in report["pluginReports"] if r["pluginName"] == "secure-fargate" for v in r["violations"]
    }


@pytest.fixture
def write_template(tmp_path: Any) -> Callable[[dict[str, Any], str], str]:
    def write(body: dict[str, Any], name: str = "t.template.json") -> str:
        path = tmp_path / name
        path.write_text(json.dumps(body))
        return str(path)

    return write


#: Slow tests in modules owned by the control-model work (tests of rules), marked here instead of in place so the
#: two lines of work do not collide. A name listed here that its module no longer has is an error (see below).
SLOW_ELSEWHERE = {
    "test_attack_pack.py": {
        "test_join_of_300000_literal_parts_is_judged_linearly",
        "test_long_list_of_fn_if_items_keeps_combinations_bounded",
    },
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark SLOW_ELSEWHERE's tests `slow`; refuse a listed name its module no longer defines (a rename would
    otherwise move a slow test into `make test-fast` unnoticed)."""
    for module, names in SLOW_ELSEWHERE.items():
        source = (Path(__file__).parent / module).read_text(encoding="utf-8")
        missing = sorted(n for n in names if f"def {n}(" not in source)
        if missing:
            raise pytest.UsageError(f"tests/conftest.py SLOW_ELSEWHERE: {module} has no {missing}")
    for item in items:
        name = item.originalname if isinstance(item, pytest.Function) else item.name
        if name in SLOW_ELSEWHERE.get(item.path.name, ()):
            item.add_marker(pytest.mark.slow)
