"""The control model: each control declared once, and every derived copy (acknowledgement scopes, the "to
accept" text, SARIF rules, ``secure-fargate controls``, the generated reference pages) agrees with it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from secure_fargate.pack import CONTROLS, CONTROLS_BY_ID, Template, cli, control_docs, sarif
from secure_fargate.pack.catalog import FAMILIES, controls_in, parse_standards, selection
from secure_fargate.pack.control import (
    DEFAULT_STANDARDS,
    STANDARDS,
    ControlError,
    Scope,
    Severity,
    load_external,
)
from secure_fargate.pack.engine import evaluate
from tests.controls.casebook import baseline, c0

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "secure_fargate" / "pack"
EXAMPLE_CONTROL = ROOT / "examples" / "controls" / "owner_label.py"


@pytest.mark.parametrize("control", CONTROLS, ids=[c.id for c in CONTROLS])
def test_every_declaration_is_complete(control) -> None:  # type: ignore[no-untyped-def]
    assert control.title and control.rationale and control.requirement and control.remediation and control.source
    assert isinstance(control.severity, Severity) and control.severity_reason
    assert control.standards and set(control.standards) <= set(STANDARDS)
    assert control.failing and control.passing
    assert control.family in {m.__name__.rsplit(".", 1)[-1] for m in FAMILIES}
    assert control.docs_page == f"docs/controls/{control.id}.md"


def test_no_control_is_declared_outside_the_rule_modules() -> None:
    """The catalogue collects; it declares nothing (the IDs live once, in the declarations)."""
    source = (PACK / "catalog.py").read_text()
    assert not any(f'"{c.id}"' in source for c in CONTROLS)


#: Modules that name controls as a relation, not a list: the opt-out table says which control each opt-out
#: acknowledges (checked against the declarations below).
RELATIONS = {"opt_outs"}


def test_no_hand_kept_list_of_control_ids_outside_the_declarations() -> None:
    declared_in = {c.family for c in CONTROLS}
    for path in [*PACK.glob("*.py"), *(ROOT / "secure_fargate").glob("*.py")]:
        if path.stem in declared_in or path.stem in RELATIONS:
            continue
        literals = {
            node.value
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        listed = sorted(literals & set(CONTROLS_BY_ID))
        assert len(listed) <= 1, f"{path.name} names control IDs {listed}: derive them from the declarations"


def test_each_opt_out_acknowledges_a_declared_control_of_its_level() -> None:
    from secure_fargate.opt_outs import OPT_OUTS, Level

    for rule in OPT_OUTS.values():
        control = CONTROLS_BY_ID[rule.control] if rule.control else None
        assert control is not None and control.acknowledgeable, rule.prop
        assert (control.scope is Scope.CONTAINER) is (rule.level is Level.CONTAINER), rule.prop


def test_rules_read_templates_through_the_walker_only() -> None:
    """No rule module calls as_list (which hides an Fn::If's list)."""
    for control in CONTROLS:
        source = (PACK / f"{control.family}.py").read_text()
        assert "as_list(" not in source, control.family


@pytest.mark.parametrize("control", CONTROLS, ids=[c.id for c in CONTROLS])
def test_the_accept_text_is_derived_from_scope_and_acknowledgeability(control) -> None:  # type: ignore[no-untyped-def]
    if not control.acknowledgeable:
        assert "cannot be acknowledged" in control.fix and "acknowledge(" not in control.fix
    else:
        assert f"acknowledge(scope, {control.id!r}, reason" in control.fix
        assert ("container=" in control.fix) is (control.scope is not Scope.RESOURCE)
        assert ("variable=" in control.fix) is (control.scope is Scope.VARIABLE)


def test_acknowledgement_scopes_are_the_declared_ones() -> None:
    from secure_fargate.acknowledgements import CONTAINER_CONTROLS, VARIABLE_CONTROLS

    assert {c.id for c in CONTROLS if c.scope is not Scope.RESOURCE} == CONTAINER_CONTROLS
    assert {c.id for c in CONTROLS if c.scope is Scope.VARIABLE} == VARIABLE_CONTROLS == {"ECS.8"}
    assert "SF.MEMORY" in CONTAINER_CONTROLS  # the drift the hand-kept list had


def test_a_container_controls_task_wide_finding_cannot_be_acknowledged_by_a_resource_entry() -> None:
    body = baseline()
    c0(body)["Memory"] = 4096  # over the task's 512 MiB: SF.MEMORY's budget finding names no container
    body["Resources"]["Task"]["Metadata"] = {
        "secure-fargate": {"acknowledgements": [{"control": "SF.MEMORY", "reason": "sized by the platform team"}]}
    }
    (finding,) = [f for f in evaluate(Template(body)) if f.control == "SF.MEMORY" and f.container is None]
    assert finding.acknowledged is None and finding.acknowledgeable is False


# ---- standards and severities


def test_default_standards_leave_the_tag_controls_off() -> None:
    assert {c.id for c in controls_in()} == {c.id for c in CONTROLS} - {"ECS.13", "ECS.14", "ECS.15"}
    assert {c.id for c in controls_in(["tagging"])} == {"ECS.13", "ECS.14", "ECS.15"}
    assert controls_in(["all"]) == CONTROLS
    assert DEFAULT_STANDARDS == ("fsbp", "secure-fargate")


def test_unknown_standard_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="fsbp, tagging, secure-fargate"):
        parse_standards("fsbp,pci")


def test_external_controls_cannot_reuse_a_pack_id() -> None:
    clash = load_external(EXAMPLE_CONTROL)[0].__class__
    fake = clash(**{**load_external(EXAMPLE_CONTROL)[0].__dict__, "id": "ECS.5"})
    with pytest.raises(ValueError, match="reuse the pack's control IDs"):
        selection(extra=[fake])


def _untagged_mutable_template(tmp_path: Path) -> Path:
    body = baseline()
    body["Resources"]["Service"]["Properties"].pop("Tags")  # ECS.13 (LOW, tagging)
    body["Resources"]["Repository"]["Properties"]["ImageTagMutability"] = "MUTABLE"  # ECR.2 (MEDIUM)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(body, indent=1))
    return path


def test_check_runs_tag_controls_only_with_the_tagging_standard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _untagged_mutable_template(tmp_path)
    assert cli.main(["check", str(path), "--format", "json"]) == 1
    assert {f["control"] for f in json.loads(capsys.readouterr().out)} == {"ECR.2"}
    assert cli.main(["check", str(path), "--format", "json", "--standard", "tagging"]) == 1
    assert {f["control"] for f in json.loads(capsys.readouterr().out)} == {"ECS.13"}
    assert cli.main(["check", str(path), "--format", "json", "--standard", "all"]) == 1
    assert {f["control"] for f in json.loads(capsys.readouterr().out)} == {"ECS.13", "ECR.2"}


def test_fail_on_sets_the_threshold_and_keeps_reporting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _untagged_mutable_template(tmp_path)
    assert cli.main(["check", str(path), "--fail-on", "HIGH"]) == 0  # ECR.2 is MEDIUM
    assert "ECR.2" in capsys.readouterr().out
    assert cli.main(["check", str(path), "--fail-on", "medium"]) == 1


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--fail-on", "SEVERE", "--fail-on"),
        ("--standard", "pci", "--standard"),
        ("--external-controls", "nope.py", "nope.py"),
    ],
)
def test_bad_run_options_exit_2_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, named: str
) -> None:
    path = _untagged_mutable_template(tmp_path)
    assert cli.main(["check", str(path), option, value]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err


# ---- extensible


def test_an_external_control_runs_beside_the_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(baseline()))
    assert cli.main(["check", str(path)]) == 0
    capsys.readouterr()
    assert cli.main(["check", str(path), "--external-controls", str(EXAMPLE_CONTROL), "--format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    rules = (
        [r["id"] for r in log["runs"][0]["rules"]]
        if "rules" in log["runs"][0]
        else [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    )
    assert "ACME.OWNER_LABEL" in rules and "ECS.13" not in rules  # only the controls that ran
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["ACME.OWNER_LABEL"]


def test_an_external_control_gets_the_same_derived_behaviour() -> None:
    (control,) = load_external(EXAMPLE_CONTROL)
    assert control.scope is Scope.CONTAINER and "container=..." in control.fix
    assert control_docs.render_page(control).startswith("<!-- Generated")
    body = {"Resources": control.failing}
    assert [f.control for f in evaluate(Template(body), [control])] == ["ACME.OWNER_LABEL"]
    assert evaluate(Template({"Resources": control.passing}), [control]) == []


def test_a_file_without_controls_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n")
    with pytest.raises(ValueError, match="declares no control"):
        load_external(empty)
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(ValueError, match=r"cannot be imported .*boom"):
        load_external(broken)


def test_an_external_rule_returning_something_else_is_named() -> None:
    from secure_fargate.pack.control import resource_control

    @resource_control(
        "ACME.BAD",
        resource_types=("AWS::ECS::TaskDefinition",),
        title="t",
        rationale="r",
        severity=Severity.LOW,
        severity_reason="r",
        remediation="x",
        source="s",
        failing={},
        passing={},
    )
    def bad(logical_id, resource, template):  # type: ignore[no-untyped-def]
        return ["not a violation"]

    with pytest.raises(ControlError, match=r"ACME\.BAD"):
        evaluate(Template(baseline()), [bad.__secure_fargate_control__])


# ---- derived outputs


def test_sarif_rules_are_derived_and_point_at_the_docs() -> None:
    log = sarif.report([], controls=controls_in())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in controls_in()]
    for rule in rules:
        control = CONTROLS_BY_ID[rule["id"]]
        assert rule["helpUri"].endswith(f"docs/controls/{control.id}.md")
        assert rule["help"]["text"] == control.fix
        assert (ROOT / control.docs_page).exists()
        assert float(rule["properties"]["security-severity"]) > 0


def test_sarif_points_at_the_line_that_declares_the_resource_json_and_yaml(tmp_path: Path) -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    json_file = tmp_path / "t.template.json"
    json_file.write_text(json.dumps(body, indent=1))
    yaml_file = tmp_path / "t.yaml"
    yaml_file.write_text(
        "Outputs:\n  Task:\n    Value: x\nResources:\n  Repo:\n    Type: AWS::ECR::Repository\n"
        "  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n"
        "      - {Name: app, Image: nginx@sha256:" + "0" * 64 + ", Privileged: true}\n"
    )
    for path, expected in ((json_file, _json_line(json_file)), (yaml_file, 7)):
        located = [(path, tmp_path)]
        findings = [f for f in evaluate(Template(json.loads(json.dumps(body)), name=str(path))) if f.control == "ECS.4"]
        log = sarif.report(findings, locations=sarif.artifact_locations(located), lines=sarif.file_lines(located))
        region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] == expected > 1


def _json_line(path: Path) -> int:
    lines = path.read_text().splitlines()
    resources = next(i for i, line in enumerate(lines) if line.strip().startswith('"Resources"'))
    return next(i for i, line in enumerate(lines) if i > resources and line.strip().startswith('"Task"')) + 1


def test_controls_command_carries_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["controls", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in records] == [c.id for c in CONTROLS]
    for record in records:
        control = CONTROLS_BY_ID[record["id"]]
        assert record["severity"] == control.severity.value and record["scope"] == control.scope.value
        assert record["standards"] == list(control.standards) and record["fix"] == control.fix
        assert record["docs"] == control.docs_page and record["failing_example"] == control.failing
    assert cli.main(["controls", "--standard", "tagging"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ["ECS.13", "ECS.14", "ECS.15"]


def test_generated_control_pages_match_the_declarations() -> None:
    """Drift test: regenerate with `make docs-controls` (python -m secure_fargate.pack.control_docs docs/controls)."""
    directory = ROOT / "docs" / "controls"
    expected = control_docs.pages()
    assert sorted(p.name for p in directory.glob("*.md")) == sorted(expected)
    for name, text in expected.items():
        assert (directory / name).read_text(encoding="utf-8") == text, f"docs/controls/{name} is stale"
