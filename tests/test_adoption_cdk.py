"""Issue 22 items 1, 2 and 6 through the constructs: the plugin's baseline (cdk.json context and
``SecureFargateChecks(baseline=...)``), expiring ``OptOut``s and acknowledgements (annotations, reopened findings),
and Parameter Store reads under a named path (SF.PARAMETERS), with today's date pinned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from secure_fargate import OptOut, SecureFargateChecks, SecureFargateError, SecureFargateService, acknowledge
from secure_fargate.pack import clock
from secure_fargate.pack.cli import main
from secure_fargate.plugin import BASELINE_CONTEXT
from tests.conftest import DIGEST_IMAGE, app_container, base_stack, reported_controls

REASON = "the vendor image binds port 80 as root until v3 ships"


def _synth_fails_with(stack: cdk.Stack) -> set[str]:
    with pytest.raises(Exception) as raised:
        Template.from_stack(stack)
    return reported_controls(raised.value)


def _task_metadata(stack: cdk.Stack) -> dict[str, Any]:
    tasks = Template.from_stack(stack).find_resources("AWS::ECS::TaskDefinition")
    (task,) = tasks.values()
    return task["Metadata"]["secure-fargate"]  # type: ignore[no-any-return]


def _root_service(expires: str | None, name: str = "Test") -> cdk.Stack:
    _, stack, cluster, _ = base_stack(name)
    container = app_container(user="0", run_as_root=OptOut(REASON, expires=expires))
    SecureFargateService(stack, "Svc", cluster=cluster, container=container)
    return stack


@pytest.fixture(autouse=True)
def _today() -> Any:
    """Every test runs on a fixed day unless it pins another."""
    with clock.pinned("2027-01-10") as day:
        yield day


# ------------------------------------------------------------------------------------------ expiring opt-outs


def test_opt_out_with_expiry_holds_until_its_last_day() -> None:
    # GIVEN today 2027-01-10 WHEN run_as_root opts out until 2027-03-31 THEN the synth passes, the
    # acknowledgement carries the date, and the warning names it
    with clock.pinned("2027-01-10"):
        stack = _root_service("2027-03-31")
        entries = _task_metadata(stack)["acknowledgements"]
        assert {"control": "ECS.20", "container": "app", "expires": "2027-03-31"}.items() <= entries[0].items()
        warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("until 2027-03-31"))
        assert warnings


def test_opt_out_warns_within_30_days() -> None:
    with clock.pinned("2027-03-10"):
        stack = _root_service("2027-03-31")
        Template.from_stack(stack)  # still holds
        found = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("expires on 2027-03-31"))
        assert found


def test_expired_opt_out_reopens_the_finding_naming_it() -> None:
    with clock.pinned("2027-04-01"):
        stack = _root_service("2027-03-31")
        with pytest.raises(Exception) as raised:
            Template.from_stack(stack)
    assert reported_controls(raised.value) == {"ECS.20"}
    assert "acknowledgement 'opt-out app.run_as_root: " in str(raised.value)
    assert "expired on 2027-03-31" in str(raised.value)


@pytest.mark.parametrize("expires", ["31/03/2027", "2027-3-31", "soon"])
def test_malformed_opt_out_expiry_is_refused_naming_the_property(expires: str) -> None:
    with pytest.raises(SecureFargateError, match=r"container\.run_as_root\.expires"):
        _root_service(expires)


def test_acknowledge_takes_an_expiry_and_refuses_a_malformed_one() -> None:
    _, stack, cluster, _ = base_stack()
    svc = SecureFargateService(stack, "Svc", cluster=cluster, container=app_container())
    with pytest.raises(SecureFargateError, match=r"expires='2027-13-01'"):
        acknowledge(svc, "SF.EXEC", "game day on the 12th, RISK-7", expires="2027-13-01")
    acknowledge(svc.service, "ECS.2", "public IPs for the migration window", expires="2027-02-01")
    service = next(iter(Template.from_stack(stack).find_resources("AWS::ECS::Service").values()))
    assert service["Metadata"]["secure-fargate"]["acknowledgements"][0]["expires"] == "2027-02-01"


def test_invariants_stay_unacknowledgeable_even_with_an_expiry() -> None:
    _, stack, cluster, _ = base_stack()
    svc = SecureFargateService(stack, "Svc", cluster=cluster, container=app_container())
    with pytest.raises(SecureFargateError, match=r"control=.*invariant"):
        acknowledge(svc, "SF.SECRETS", "only until the migration ends", expires="2027-02-01")


# ------------------------------------------------------------------------------------------------ baseline


def _app_with_legacy(outdir: Path, context: dict[str, Any] | None = None) -> cdk.App:
    """One secure service and, in a second stack, a legacy task definition the way aws_ecs's defaults write it."""
    app = cdk.App(outdir=str(outdir), context=context or {})
    stack = cdk.Stack(app, "Secure")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
    SecureFargateService(stack, "Svc", cluster=cluster, container=app_container())
    legacy = cdk.Stack(app, "Legacy")
    task = ecs.FargateTaskDefinition(legacy, "TaskDef")
    task.add_container("web", image=ecs.ContainerImage.from_registry(DIGEST_IMAGE), memory_limit_mib=256)
    return app


def test_plugin_fails_only_on_findings_outside_the_baseline(tmp_path: Path) -> None:
    # GIVEN an app whose legacy stack fails the pack
    with pytest.raises(Exception, match="ValidationFailed"):
        _app_with_legacy(tmp_path / "first").synth()
    # WHEN its findings are recorded as the baseline (from the cloud assembly CDK wrote)
    baseline = tmp_path / ".secure-fargate-baseline.json"
    assert main(["baseline", str(tmp_path / "first"), "-o", str(baseline)]) == 0
    assert {e["stack"] for e in json.loads(baseline.read_text())["findings"]} == {"Legacy"}
    # THEN the same app synthesizes with the baseline named in cdk.json context
    _app_with_legacy(tmp_path / "second", {BASELINE_CONTEXT: str(baseline)}).synth()


def test_plugin_rejects_a_malformed_baseline_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"version": 1, "findings": [{"control": "SF.ROLES", "stack": "S", "resource": "T"}]}))
    with pytest.raises(SecureFargateError, match=r"baseline=.*findings\[0\]\.expires"):
        SecureFargateChecks(baseline=str(bad))
    with pytest.raises(SecureFargateError, match=r"baseline=.*cannot read"):
        SecureFargateChecks(baseline=str(tmp_path / "missing.json"))


# ---------------------------------------------------------------------------------- Parameter Store reads


def _service_reading(resource_name: str) -> tuple[cdk.Stack, SecureFargateService]:
    _, stack, cluster, _ = base_stack()
    svc = SecureFargateService(stack, "Svc", cluster=cluster, container=app_container())
    arn = stack.format_arn(service="ssm", resource="parameter", resource_name=resource_name)
    svc.task_role.add_to_principal_policy(
        iam.PolicyStatement(actions=["ssm:GetParameter", "ssm:GetParametersByPath"], resources=[arn])
    )
    return stack, svc


def test_parameter_path_read_needs_a_reasoned_acknowledgement() -> None:
    stack, _ = _service_reading("checkout/flags/*")
    assert _synth_fails_with(stack) == {"SF.PARAMETERS"}  # not a secret read: no SF.SECRETS


def test_parameter_path_read_acknowledged_passes() -> None:
    stack, svc = _service_reading("checkout/flags/*")
    acknowledge(svc, "SF.PARAMETERS", "feature flags under /checkout/flags, read at run time", expires="2099-01-01")
    Template.from_stack(stack)


@pytest.mark.parametrize("resource_name", ["*", "checkout/*/flags"])
def test_every_parameter_or_a_wildcard_path_stays_a_secret_read(resource_name: str) -> None:
    stack, svc = _service_reading(resource_name)
    acknowledge(svc, "SF.PARAMETERS", "feature flags under /checkout/flags, read at run time")
    assert "SF.SECRETS" in _synth_fails_with(stack)
