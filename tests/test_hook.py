"""SecureFargateHook: what it synthesizes, what its function carries, and that cdk-nag, cfn-lint and the pack pass.

One synth of the example app (examples/hook/app.py) with cdk-nag AwsSolutions + NIST 800-53 R5 and the pack's
own plugin, per module.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from examples.hook.app import build
from secure_fargate import SecureFargateError
from secure_fargate.hook import HANDLER, SecureFargateHook, stage_pack_code
from tests.conftest import only
from tests.helpers import answer, cfn_lint, cli_verdict

HOOK = "AWS::CloudFormation::LambdaHook"


@pytest.fixture(scope="module")
def hook_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    outdir = tmp_path_factory.mktemp("hook-out")
    app = cdk.App(outdir=str(outdir))
    build(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
    app.synth()  # raises on any unacknowledged cdk-nag or secure-fargate finding
    return outdir, json.loads((outdir / "SecureFargateHook.template.json").read_text())


@pytest.fixture(scope="module")
def hook_template(hook_app: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return hook_app[1]


def test_hook_stack_passes_cdk_nag_and_the_pack(hook_app: tuple[Path, dict[str, Any]]) -> None:
    report = hook_app[0] / "validation-report.json"
    violations = json.loads(report.read_text())["pluginReports"] if report.exists() else []
    assert [v for p in violations for v in p["violations"]] == []


@pytest.mark.slow
def test_hook_template_passes_cfn_lint(hook_template: dict[str, Any]) -> None:
    assert cfn_lint(hook_template) == []


def test_hook_targets_whole_templates_and_fails_by_default(hook_template: dict[str, Any]) -> None:
    hook = only(hook_template, HOOK)
    assert hook["FailureMode"] == "FAIL"
    assert hook["HookStatus"] == "ENABLED"
    assert hook["TargetOperations"] == ["STACK", "CHANGE_SET"]


def test_function_runs_the_packaged_handler_on_python_312(hook_template: dict[str, Any]) -> None:
    function = only(hook_template, "AWS::Lambda::Function")
    assert (function["Runtime"], function["Handler"]) == ("python3.12", HANDLER)
    assert function["Timeout"] < 30  # Hooks wait up to 30 s for the answer


def test_execution_role_is_trusted_by_hooks_and_may_only_invoke_the_function(hook_template: dict[str, Any]) -> None:
    hook = only(hook_template, HOOK)
    role_id = hook["ExecutionRole"]["Fn::GetAtt"][0]
    trust = hook_template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "hooks.cloudformation.amazonaws.com"}]
    policies = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in hook_template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
    ]
    assert policies == [[{"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": hook["LambdaFunction"]}]]


def test_function_role_writes_only_its_log_group_and_reads_only_exporting_templates(
    hook_template: dict[str, Any],
) -> None:
    function = only(hook_template, "AWS::Lambda::Function")
    role_id = function["Role"]["Fn::GetAtt"][0]
    role = hook_template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    (policy,) = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in hook_template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
    ]
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    stacks = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":cloudformation:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":stack/*",
            ],
        ]
    }
    assert policy == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
        # issue 21: read-only, the templates of the stacks a judged stack imports from
        {"Action": "cloudformation:ListExports", "Effect": "Allow", "Resource": "*"},
        {"Action": "cloudformation:GetTemplate", "Effect": "Allow", "Resource": stacks},
    ]
    log_group = hook_template["Resources"][log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == 365
    assert "KmsKeyId" in log_group


def test_warn_mode_is_selectable() -> None:
    stack = cdk.Stack(cdk.App(), "Warn")
    SecureFargateHook(stack, "Hook", failure_mode="WARN")
    Template.from_stack(stack).has_resource_properties(HOOK, {"FailureMode": "WARN"})


@pytest.mark.parametrize(
    ("kwargs", "prop"),
    [
        ({"failure_mode": "IGNORE"}, "failure_mode"),
        ({"alias": "AWS::My::Hook"}, "alias"),
        ({"alias": "only-one-part"}, "alias"),
        ({"target_operations": ["STACK", "RESOURCE"]}, "target_operations"),
        ({"target_operations": []}, "target_operations"),
    ],
)
def test_bad_hook_input_is_refused_naming_the_property(kwargs: dict[str, Any], prop: str) -> None:
    with pytest.raises(SecureFargateError, match=prop):
        SecureFargateHook(cdk.Stack(cdk.App(), "Bad"), "Hook", **kwargs)


# ----------------------------------------------------------------------------------------- the packaged code
def asset_dir(hook_app: tuple[Path, dict[str, Any]]) -> Path:
    outdir, template = hook_app
    key = only(template, "AWS::Lambda::Function")["Code"]["S3Key"]
    return outdir / f"asset.{key.removesuffix('.zip')}"


def test_function_code_is_the_pack_and_nothing_of_the_constructs(hook_app: tuple[Path, dict[str, Any]]) -> None:
    root = asset_dir(hook_app)
    ours = sorted(str(p.relative_to(root)) for p in (root / "secure_fargate").rglob("*") if p.is_file())
    pack = sorted(f"secure_fargate/pack/{p.name}" for p in (Path("secure_fargate") / "pack").glob("*.py"))
    assert ours == sorted(["secure_fargate/__init__.py", *pack])
    imports = re.compile(r"^\s*(from|import)\s+(aws_cdk|constructs|jsii)\b", re.MULTILINE)
    assert [name for name in ours if imports.search((root / name).read_text())] == []


ISOLATED = textwrap.dedent(
    """
    import json, sys
    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("aws_cdk", "constructs", "jsii"):
                raise ImportError(f"{name} must not be imported by the hook function")
    sys.meta_path.insert(0, Refuse())
    sys.path.insert(0, sys.argv[1])
    from secure_fargate.pack.hook_handler import handle
    request, body = json.loads(sys.argv[2]), sys.argv[3]
    response = handle(request, lambda url: json.dumps({"template": body}).encode())
    import yaml
    print(json.dumps({"response": response, "yaml": yaml.__file__, "modules": sorted(sys.modules)}))
    """
)


def isolated_answer(template_text: str) -> dict[str, Any]:
    """The packaged handler's answer, run with only the staged directory on the path (-I -S: no site-packages,
    so aws_cdk is not there; a finder refuses it anyway and the test checks it was never imported)."""
    from tests.helpers import stack_request

    staged = stage_pack_code()
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", ISOLATED, staged, json.dumps(stack_request()), template_text],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(run.stdout)
    assert result["yaml"].startswith(staged)
    assert not any(m.split(".")[0] in ("aws_cdk", "constructs", "jsii") for m in result["modules"])
    return result["response"]  # type: ignore[no-any-return]


def test_packaged_code_runs_alone_with_aws_cdk_unimportable() -> None:
    from tests.controls.casebook import baseline

    assert isolated_answer(json.dumps(baseline()))["hookStatus"] == "SUCCESS"


def test_packaged_code_judges_a_yaml_template_with_the_bundled_yaml() -> None:
    yaml = pytest.importorskip("yaml")
    from tests.controls.casebook import baseline, c0

    body = baseline()
    c0(body)["User"] = "0"
    response = isolated_answer(yaml.dump(body))
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "NonCompliant")
    assert "ECS.20 Task[app]" in response["message"]


# ------------------------------------------------------------------------- same verdict on the reference template
def test_hook_verdict_equals_the_cli_on_the_reference_template(
    reference_template: dict[str, Any], tmp_path: Path
) -> None:
    code, findings = cli_verdict(reference_template, tmp_path)
    response = answer(reference_template)
    assert (code, response["hookStatus"]) == (0, "SUCCESS")
    for f in findings:  # the reference acknowledges what it accepts: the hook lists each with its reason
        assert f"{f['control']} {f['resource']}" in response["message"]
