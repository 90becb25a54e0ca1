"""The guardrail pack end to end: as a CDK validation plugin and as the `secure-fargate check` CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as patterns
from aws_cdk import aws_secretsmanager as sm

from reference import ReferenceStack
from secure_fargate import SecureFargateChecks, acknowledge
from secure_fargate.pack import evaluate, load_template
from secure_fargate.pack.cli import main

EXPECTED_ON_PATTERNS = {"ECS.5", "ECS.12", "ECS.20", "SF.CAPABILITIES"}


def patterns_app(outdir: Path, *, with_plugin: bool, acknowledged: bool = False) -> cdk.App:
    """An aws_ecs_patterns ALB Fargate service with a Secrets Manager secret, as a new user would write it."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Patterns")
    secret = sm.Secret(stack, "Secret")
    service = patterns.ApplicationLoadBalancedFargateService(
        stack,
        "Web",
        task_image_options=patterns.ApplicationLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_registry("nginx:1.27"),
            secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret)},
        ),
    )
    if acknowledged:
        acknowledge(
            service.task_definition, "ECS.5", "nginx writes its cache, reviewed in capacity plan CAP-7", container="web"
        )
    if with_plugin:
        cdk.Validations.of(app).add_plugins(SecureFargateChecks())
    return app


@pytest.fixture(scope="module")
def patterns_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("patterns")
    patterns_app(outdir, with_plugin=False).synth()
    return outdir / "Patterns.template.json"


@pytest.fixture(scope="module")
def reference_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("reference")
    app = cdk.App(outdir=str(outdir))
    ReferenceStack(app, "SecureFargateReference")
    cdk.Validations.of(app).add_plugins(SecureFargateChecks())
    app.synth()  # raises if the plugin reports any finding
    return outdir


def test_ecs_patterns_stack_is_reported_for_the_talks_controls(patterns_template: Path) -> None:
    found = {f.control for f in evaluate(load_template(patterns_template))}
    assert found >= EXPECTED_ON_PATTERNS
    # its one container has no hard limit, but the task's memory is its limit (issue 22: no false positive)
    assert "SF.MEMORY" not in found


def test_reference_stack_has_no_finding(reference_out: Path) -> None:
    assert evaluate(load_template(reference_out / "SecureFargateReference.template.json")) == []


def test_plugin_fails_synth_naming_construct_paths_and_controls(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="ValidationFailed"):
        patterns_app(tmp_path, with_plugin=True).synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (plugin,) = [r for r in report["pluginReports"] if r["pluginName"] == "secure-fargate"]
    rules = {v["ruleName"] for v in plugin["violations"]}
    assert rules >= EXPECTED_ON_PATTERNS
    paths = {c["constructPath"] for v in plugin["violations"] for c in v["violatingConstructs"]}
    assert "Patterns/Web/TaskDef/Resource" in paths


def test_acknowledged_finding_is_not_a_violation_and_shows_with_its_reason(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="ValidationFailed"):
        patterns_app(tmp_path, with_plugin=True, acknowledged=True).synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (plugin,) = [r for r in report["pluginReports"] if r["pluginName"] == "secure-fargate"]
    assert "ECS.5" not in {v["ruleName"] for v in plugin["violations"]}
    assert "capacity plan CAP-7" in json.dumps(plugin)
    # the same acknowledgement travels in the template for the CLI
    acked = [f for f in evaluate(load_template(tmp_path / "Patterns.template.json")) if f.acknowledged]
    assert {f.control for f in acked} == {"ECS.5"}


def test_acknowledge_requires_a_reason_and_a_known_control() -> None:
    from secure_fargate import SecureFargateError

    app = cdk.App()
    stack = cdk.Stack(app, "S")
    with pytest.raises(SecureFargateError, match="reason="):
        acknowledge(stack, "ECS.5", "")
    with pytest.raises(SecureFargateError, match=r"control='ECS\.99'"):
        acknowledge(stack, "ECS.99", "a perfectly good reason")


# ----------------------------------------------------------------------------------------------------- CLI


def test_cli_exit_codes(patterns_template: Path, reference_out: Path, tmp_path: Path, capsys: Any) -> None:
    assert main(["check", str(reference_out)]) == 0
    assert main(["check", str(patterns_template)]) == 1
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["check", str(broken)]) == 2
    assert main(["check", str(tmp_path / "missing.json")]) == 2
    notcfn = tmp_path / "list.json"
    notcfn.write_text("[1, 2]")
    assert main(["check", str(notcfn)]) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "missing.json" in err and "list.json" in err
    assert "Traceback" not in err


def test_cli_json_format(patterns_template: Path, capsys: Any) -> None:
    assert main(["check", "--format", "json", str(patterns_template)]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert {f["control"] for f in findings} >= EXPECTED_ON_PATTERNS
    for finding in findings:
        assert {"control", "template", "resource", "container", "message"} <= finding.keys()
    assert any(f["container"] == "web" for f in findings)


def test_cli_sarif_format(patterns_template: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    assert main(["check", "--format", "sarif", "-o", str(out), str(patterns_template)]) == 1
    log = json.loads(out.read_text())
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("Patterns.template.json")
    assert {r["ruleId"] for r in run["results"]} >= EXPECTED_ON_PATTERNS


def test_cli_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as raised:
        main(["check"])
    assert raised.value.code == 2


def test_console_script_and_module_do_not_import_aws_cdk(patterns_template: Path) -> None:
    code = (
        "import sys, secure_fargate.pack.cli as c; rc = c.main(['check', '--format', 'json', sys.argv[1]]);"
        "assert 'aws_cdk' not in sys.modules and 'jsii' not in sys.modules, 'aws_cdk imported'; sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(patterns_template)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stderr
    module = subprocess.run(
        [sys.executable, "-m", "secure_fargate", "check", str(patterns_template)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert module.returncode == 1 and "ECS.5" in module.stdout
    script = Path(sys.executable).parent / "secure-fargate"
    if script.exists():  # installed by `make` (pip install -e .)
        assert (
            subprocess.run([str(script), "check", str(patterns_template)], capture_output=True, check=False).returncode
            == 1
        )


def test_yaml_template_with_short_form_intrinsics(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n"
        "      TaskRoleArn: !GetAtt TaskRole.Arn\n      ContainerDefinitions:\n"
        "        - Name: app\n          Image: nginx:latest\n          User: !Ref UserParam\n"
    )
    found = {f.control for f in evaluate(load_template(template))}
    assert "SF.IMAGE" in found and "ECS.20" not in found


def test_each_suggested_fix_says_once_how_to_accept_the_finding() -> None:
    # GIVEN every control, as the plugin reports it
    from secure_fargate.pack import CONTROLS
    from secure_fargate.plugin import _violation

    for control in CONTROLS:
        fix = _violation(control, []).fix
        # THEN an acknowledgeable control names acknowledge() once, an invariant says it cannot be acknowledged
        if control.acknowledgeable:
            assert fix.count("acknowledge(") == 1, (control.id, fix)
        else:
            assert "cannot be acknowledged" in fix, (control.id, fix)
