"""The launcher family's controls (``secure_fargate/pack/launchers.py``): every way a template starts a task.

Pass and fail cases are data (``cases/launchers.json``) plus each declaration's failing and passing example; every
case is also run through the CDK plugin, ``secure-fargate check`` and the hook handler, which must give one
verdict."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.controls.casebook import Case, check_case, family_cases
from tests.helpers import answer, cli_verdict

FAMILY = "launchers"


def test_case(case: Case) -> None:
    check_case(case)


CASES = family_cases(FAMILY)


@pytest.fixture(scope="module")
def plugin() -> Any:
    from secure_fargate.plugin import SecureFargateChecks  # late: the only part of this module that starts jsii

    return SecureFargateChecks()


@pytest.mark.parametrize("launcher", CASES, ids=[c.id for c in CASES])
def test_the_plugin_check_and_the_hook_give_one_verdict(launcher: Case, tmp_path: Path, plugin: Any) -> None:
    """GIVEN a launcher case WHEN the CDK plugin, ``check`` and the hook judge it THEN all three fire its control on
    a failing case (and none on a passing one), and the plugin and the hook refuse exactly when ``check`` exits 1."""
    body = launcher.body()
    code, report = cli_verdict(body, tmp_path)
    reply = answer(body)
    synth = plugin.validate(SimpleNamespace(template_paths=[str(tmp_path / "t.template.json")]))
    in_check = any(f["control"] == launcher.control and not f["acknowledged"] for f in report)
    in_hook = launcher.control in reply.get("message", "")
    in_plugin = any(v.rule_name == launcher.control for v in synth.violations or [])
    assert in_check is in_hook is in_plugin is (launcher.expect == "fail")
    assert reply["hookStatus"] == ("FAILED" if code == 1 else "SUCCESS")
    assert synth.success is (code == 0)


def test_a_launcher_control_is_acknowledged_on_the_construct_that_holds_the_launcher() -> None:
    """GIVEN a SecureScheduledTask whose schedule turns ECS Exec on (an escape hatch) WHEN SF.LAUNCH_EXEC is
    acknowledged on the construct with a reason THEN the schedule carries the acknowledgement and the synth
    passes (acknowledge() finds the launcher types a control runs over, not only its first resource type)."""
    import aws_cdk as cdk
    from aws_cdk import aws_scheduler as scheduler

    from secure_fargate import SecureScheduledTask, SecureTaskDefinition, acknowledge
    from tests.conftest import app_container, base_stack

    app, stack, cluster, _ = base_stack("Ack")
    task = SecureTaskDefinition(stack, "T", container=app_container())
    job = SecureScheduledTask(
        stack,
        "Job",
        cluster=cluster,
        task_definition=task,
        schedule=scheduler.ScheduleExpression.rate(cdk.Duration.hours(1)),
    )
    job.schedule.node.default_child.add_property_override("Target.EcsParameters.EnableExecuteCommand", True)  # type: ignore[union-attr]
    reason = "break-glass shell for the nightly job during the Q3 data migration (OPS-1234)"
    acknowledge(job, "SF.LAUNCH_EXEC", reason)
    app.synth()  # the plugin refuses an open finding; acknowledged, it passes
    body = cdk.assertions.Template.from_stack(stack).find_resources("AWS::Scheduler::Schedule")
    (schedule,) = body.values()
    assert schedule["Metadata"]["secure-fargate"]["acknowledgements"] == [
        {"control": "SF.LAUNCH_EXEC", "reason": reason}
    ]
