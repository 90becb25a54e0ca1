"""Issue 22 items 1 and 2 (pack side): the baseline (``secure-fargate baseline``, ``check --baseline``) and expiring
acknowledgements in Metadata, with today's date pinned (``pack.clock``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secure_fargate.pack import Template, clock, evaluate
from secure_fargate.pack import baseline as baselines
from secure_fargate.pack.cli import main
from tests.controls.casebook import baseline as compliant
from tests.controls.casebook import c0

TODAY = "2027-01-10"
REASON = "vendor image writes to /opt, RISK-12"


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.pinned(TODAY) as day:
        yield day


def legacy_body(*, user: str = "0", same_role: bool = True) -> dict[str, Any]:
    """The compliant baseline with what a legacy stack brings: a root user (ECS.20, acknowledgeable) and the
    execution role as task role (SF.ROLES, an invariant); the task carries its CDK path."""
    body = compliant()
    c0(body)["User"] = user
    task = body["Resources"]["Task"]
    task["Metadata"] = {"aws:cdk:path": "Legacy/Service/TaskDef/Resource"}
    if same_role:
        task["Properties"]["TaskRoleArn"] = {"Fn::GetAtt": ["ExecRole", "Arn"]}
    return body


def write(directory: Path, body: dict[str, Any], name: str = "Legacy.template.json") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def record(tmp_path: Path, body: dict[str, Any], *extra: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / ".secure-fargate-baseline.json"
    assert main(["baseline", str(write(tmp_path / "cdk.out", body)), "-o", str(out), *extra]) == 0
    return out


def entries(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["findings"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------ recording


def test_baseline_records_open_findings_by_a_stable_fingerprint(tmp_path: Path) -> None:
    # GIVEN a legacy stack with two findings WHEN its baseline is recorded
    found = entries(record(tmp_path, legacy_body(), "--owner", "team-payments"))
    # THEN each entry names control, stack (no directory), CDK path, container, item, and the owner
    by_control = {e["control"]: e for e in found}
    assert set(by_control) == {"ECS.20", "SF.ROLES"}
    assert by_control["ECS.20"] | {"message": None} == {
        "control": "ECS.20", "stack": "Legacy", "resource": "Legacy/Service/TaskDef/Resource", "container": "app",
        "item": None, "owner": "team-payments", "message": None,
    }  # fmt: skip


def test_invariant_entries_get_an_expiry_and_acknowledgeable_ones_none_unless_asked(tmp_path: Path) -> None:
    found = {e["control"]: e for e in entries(record(tmp_path, legacy_body()))}
    assert found["SF.ROLES"]["expires"] == "2027-04-10"  # INVARIANT_DAYS (90) after today
    assert "expires" not in found["ECS.20"]
    given = {e["control"]: e for e in entries(record(tmp_path / "fresh", legacy_body(), "--expires", "2027-02-28"))}
    assert given["SF.ROLES"]["expires"] == given["ECS.20"]["expires"] == "2027-02-28"


def test_fingerprint_ignores_messages_line_numbers_and_directories(tmp_path: Path) -> None:
    # GIVEN a baseline recorded from one directory
    out = record(tmp_path, legacy_body())
    # WHEN the same stack is checked from another directory, pretty-printed differently, messages reworded
    moved = tmp_path / "elsewhere" / "Legacy.template.json"
    moved.parent.mkdir()
    moved.write_text(json.dumps(legacy_body(user="root"), indent=7), encoding="utf-8")
    # THEN every finding is baselined: nothing fails
    assert main(["check", str(moved), "--baseline", str(out)]) == 0


def test_logical_id_stands_in_when_there_is_no_cdk_path(tmp_path: Path) -> None:
    body = legacy_body()
    del body["Resources"]["Task"]["Metadata"]
    assert {e["resource"] for e in entries(record(tmp_path, body))} == {"Task"}


# ------------------------------------------------------------------------------------------------ checking


def test_check_with_baseline_fails_only_on_new_findings(tmp_path: Path, capsys: Any) -> None:
    out = record(tmp_path, legacy_body())
    template = tmp_path / "cdk.out" / "Legacy.template.json"
    capsys.readouterr()
    # WHEN nothing changed THEN the run passes and lists the baselined findings as such
    assert main(["check", str(template), "--baseline", str(out)]) == 0
    report = capsys.readouterr().out
    assert report.count("[baselined:") == 2 and "0 finding(s), 0 acknowledged, 2 baselined" in report
    # WHEN a new finding appears (a second container as root) THEN it fails, and only it is open
    body = legacy_body()
    second = dict(c0(body), Name="worker")
    body["Resources"]["Task"]["Properties"]["ContainerDefinitions"].append(second)
    write(tmp_path / "cdk.out", body)
    assert main(["check", str(template), "--baseline", str(out), "--format", "json"]) == 1
    open_findings = [f for f in json.loads(capsys.readouterr().out) if not f["baselined"] and not f["acknowledged"]]
    assert {(f["control"], f["container"]) for f in open_findings} == {("ECS.20", "worker")}


def test_a_fixed_finding_is_reported_so_the_file_shrinks(tmp_path: Path, capsys: Any) -> None:
    out = record(tmp_path, legacy_body())
    template = write(tmp_path / "cdk.out", legacy_body(user="1000:1000"))
    capsys.readouterr()
    assert main(["check", str(template), "--baseline", str(out)]) == 0
    report = capsys.readouterr().out
    assert "baseline: Legacy: ECS.20 Legacy/Service/TaskDef/Resource container app is fixed: delete it" in report
    # AND re-recording drops it, keeping the other entry's owner and expiry
    assert main(["baseline", str(template), "-o", str(out)]) == 0
    assert [e["control"] for e in entries(out)] == ["SF.ROLES"]


def test_rerecording_keeps_owner_and_expiry(tmp_path: Path) -> None:
    out = record(tmp_path, legacy_body(), "--owner", "team-a", "--expires", "2027-03-01")
    template = tmp_path / "cdk.out" / "Legacy.template.json"
    assert main(["baseline", str(template), "-o", str(out), "--owner", "team-b"]) == 0
    assert {(e["owner"], e["expires"]) for e in entries(out)} == {("team-a", "2027-03-01")}


def test_more_findings_than_the_entry_counts_are_new(tmp_path: Path) -> None:
    # GIVEN one execution-role finding baselined (no container, no item: a fingerprint several findings share)
    body = legacy_body(user="1000:1000", same_role=False)
    statements = body["Resources"]["ExecPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements.append({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    out = record(tmp_path, body)
    assert [e.get("count", 1) for e in entries(out)] == [1]
    # WHEN a second wildcard appears on the same role THEN it is new and fails
    statements.append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    template = write(tmp_path / "cdk.out", body)
    assert main(["check", str(template), "--baseline", str(out)]) == 1


def test_expired_baseline_entry_fails_naming_it_and_a_near_expiry_warns(tmp_path: Path, capsys: Any) -> None:
    out = record(tmp_path, legacy_body(same_role=False), "--owner", "team-a", "--expires", "2027-01-31")
    template = str(tmp_path / "cdk.out" / "Legacy.template.json")
    capsys.readouterr()
    assert main(["check", template, "--baseline", str(out)]) == 0
    assert "warning: " in capsys.readouterr().out  # 21 days left
    with clock.pinned("2027-02-01"):
        assert main(["check", template, "--baseline", str(out)]) == 1
    report = capsys.readouterr().out
    assert "baseline entry Legacy: ECS.20" in report and "(owner team-a) expired on 2027-01-31" in report


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({"control": "SF.ROLES", "stack": "Legacy", "resource": "Task"}, "findings[0].expires"),
        ({"control": "ECS.20", "stack": "Legacy", "resource": "Task", "expires": "31/03/2027"}, "findings[0].expires"),
        ({"control": "ECS.20", "stack": "Legacy", "resource": "Task", "expires": "2027-02-30"}, "findings[0].expires"),
        ({"control": "ECS.20", "stack": "Legacy"}, "findings[0].resource"),
        ({"control": "ECS.20", "stack": "Legacy", "resource": "Task", "count": 0}, "findings[0].count"),
    ],
    ids=["invariant-without-expiry", "day-first-date", "no-such-day", "no-resource", "zero-count"],
)
def test_a_malformed_baseline_is_exit_2_naming_the_property(
    tmp_path: Path, capsys: Any, entry: dict[str, Any], named: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "findings": [entry]}), encoding="utf-8")
    template = write(tmp_path, compliant())
    assert main(["check", str(template), "--baseline", str(bad)]) == 2
    assert named in capsys.readouterr().err


def test_an_unreadable_baseline_or_bad_expires_option_is_exit_2(tmp_path: Path, capsys: Any) -> None:
    template = str(write(tmp_path, compliant()))
    assert main(["check", template, "--baseline", str(tmp_path / "missing.json")]) == 2
    assert "--baseline" in capsys.readouterr().err
    assert main(["baseline", template, "-o", str(tmp_path / "b.json"), "--expires", "next year"]) == 2
    assert "--expires" in capsys.readouterr().err


def test_json_report_keeps_its_shape_and_notes_go_to_stderr(tmp_path: Path, capsys: Any) -> None:
    out = record(tmp_path, legacy_body())
    template = write(tmp_path / "cdk.out", legacy_body(user="1000:1000"))
    capsys.readouterr()
    assert main(["check", str(template), "--baseline", str(out), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert isinstance(json.loads(captured.out), list)
    assert "is fixed: delete it" in captured.err


def test_fingerprint_helpers() -> None:
    assert baselines.stack_name("cdk.out/assembly-Prod/Prod-Api.template.json") == "Prod-Api"
    assert baselines.stack_name("Api.nested.template.json") == "Api.nested"
    assert baselines.stack_name("my-stack") == "my-stack"  # the hook's stack name


# ------------------------------------------------------------------------------- expiring acknowledgements


def _acknowledged_root(expires: Any) -> dict[str, Any]:
    body = compliant()
    c0(body)["User"] = "0"
    entry = {"control": "ECS.20", "reason": REASON, "container": "app", "expires": expires}
    body["Resources"]["Task"]["Metadata"] = {"secure-fargate": {"acknowledgements": [entry]}}
    return body


def _ecs20(body: dict[str, Any]) -> Any:
    (finding,) = [f for f in evaluate(Template(body)) if f.control == "ECS.20"]
    return finding


def test_acknowledgement_holds_until_its_last_day_then_reopens_naming_it() -> None:
    body = _acknowledged_root("2027-03-31")
    assert _ecs20(body).acknowledged == REASON and _ecs20(body).warning is None
    with clock.pinned("2027-03-31"):
        finding = _ecs20(body)
        assert finding.acknowledged == REASON and "expires on 2027-03-31 (in 0 day(s))" in str(finding.warning)
    with clock.pinned("2027-04-01"):
        finding = _ecs20(body)
        assert finding.acknowledged is None and finding.fails()
        assert f"acknowledgement {REASON!r} expired on 2027-03-31" in finding.message


def test_acknowledgement_warns_within_30_days() -> None:
    with clock.pinned("2027-03-01"):
        assert _ecs20(_acknowledged_root("2027-03-31")).warning
    with clock.pinned("2027-02-28"):
        assert _ecs20(_acknowledged_root("2027-03-31")).warning is None


@pytest.mark.parametrize("expires", ["2027-3-31", "tomorrow", 20270331, "2027-02-30"])
def test_malformed_expiry_in_metadata_acknowledges_nothing_and_says_why(expires: Any) -> None:
    finding = _ecs20(_acknowledged_root(expires))
    assert finding.acknowledged is None and "ignored: its expires" in finding.message


def test_check_prints_a_warning_line_for_an_acknowledgement_about_to_expire(tmp_path: Path, capsys: Any) -> None:
    template = write(tmp_path, _acknowledged_root("2027-01-20"))
    assert main(["check", str(template)]) == 0
    assert "warning: " in capsys.readouterr().out


def test_clock_parses_only_iso_dates() -> None:
    assert clock.parse_date("2027-03-31").isoformat() == "2027-03-31"
    for bad in ("2027-3-31", "20270331", "2027-03-31T00:00", "", None):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            clock.parse_date(bad)


def test_sarif_suppresses_baselined_findings_as_the_baselines(tmp_path: Path, capsys: Any) -> None:
    out = record(tmp_path, legacy_body(same_role=False), "--owner", "team-a")
    template = str(tmp_path / "cdk.out" / "Legacy.template.json")
    capsys.readouterr()
    assert main(["check", template, "--baseline", str(out), "--format", "sarif"]) == 0
    (result,) = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert result["suppressions"][0]["justification"] == "baseline: owner team-a"
