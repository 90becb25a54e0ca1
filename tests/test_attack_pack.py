"""Hostile templates against the guardrail pack: the CLI (`check`), the hook handler and the shared evaluator.

One test per attempt. Each asserts the guaranteed behaviour (README "Guardrail pack", "Acknowledgements",
"Threat model and limits", "Enforcement"): the finding is reported, the acknowledgement is refused, bad input
exits 2 with one line naming the file, the hook answers FAILED with a clear message. Routes the pack cannot
close with a small local change are marked ``xfail(strict=True, reason="gap: ...")``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_fargate.pack import Template, iam
from secure_fargate.pack._template import MAX_ELEMENTS, possible_values
from secure_fargate.pack.cli import main
from secure_fargate.pack.engine import evaluate_set
from secure_fargate.pack.hook_handler import MESSAGE_LIMIT, handle
from tests.controls.casebook import baseline, c0, svc, task

Mutation = Callable[[dict[str, Any]], None]
REASON = "vendor image writes to /opt; tracked in RISK-12"


def _body(mutate: Mutation) -> dict[str, Any]:
    body = copy.deepcopy(baseline())
    mutate(body)
    return body


def open_controls(body: dict[str, Any], *others: dict[str, Any]) -> set[str]:
    """Controls with an unacknowledged finding when ``body`` (and ``others``, as other stacks) are judged."""
    templates = [Template(body, "main")] + [Template(o, f"other{i}") for i, o in enumerate(others)]
    return {f.control for f in evaluate_set(templates) if not f.acknowledged}


def _mappings(**maps: Any) -> Mutation:
    return lambda t: t.update(Mappings=maps)


def _then(*steps: Mutation) -> Mutation:
    def apply(t: dict[str, Any]) -> None:
        for step in steps:
            step(t)

    return apply


def _ingress(cidr: Any) -> Mutation:
    rule = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": cidr}
    return lambda t: t["Resources"]["Sg"]["Properties"].update(SecurityGroupIngress=[rule])


def _adds(*names: Any) -> Mutation:
    return lambda t: c0(t)["LinuxParameters"]["Capabilities"].update(Add=list(names) if len(names) != 1 else names[0])


# --------------------------------------------------------------------- spellings and intrinsics: reported

REPORTED: list[tuple[str, str, Mutation]] = [
    ("ECS.20", "user-integer-0", lambda t: c0(t).update(User=0)),
    ("ECS.20", "user-space-0", lambda t: c0(t).update(User=" 0")),
    ("ECS.20", "user-0-colon-0", lambda t: c0(t).update(User="0:0")),
    (
        "ECS.20",
        "user-find-in-map",
        _then(
            _mappings(Users={"prod": {"uid": "0"}}),
            lambda t: c0(t).update(User={"Fn::FindInMap": ["Users", "prod", "uid"]}),
        ),
    ),
    (
        "ECS.20",
        "user-find-in-map-by-region",
        _then(
            _mappings(Users={"us-east-1": {"uid": "1000"}, "eu-west-1": {"uid": "0"}}),
            lambda t: c0(t).update(User={"Fn::FindInMap": ["Users", {"Ref": "AWS::Region"}, "uid"]}),
        ),
    ),
    (
        "ECS.20",
        "user-find-in-map-default-value",
        _then(
            _mappings(Users={"prod": {"uid": "1000"}}),
            lambda t: c0(t).update(User={"Fn::FindInMap": ["Users", "test", "uid", {"DefaultValue": "0"}]}),
        ),
    ),
    (
        "ECS.20",
        "user-parameter-whose-only-allowed-value-is-0",
        _then(
            lambda t: t.update(Parameters={"Uid": {"Type": "String", "AllowedValues": ["0"], "Default": "0"}}),
            lambda t: c0(t).update(User={"Ref": "Uid"}),
        ),
    ),
    (
        "ECS.20",
        "user-sub-variable-if",
        lambda t: c0(t).update(User={"Fn::Sub": ["${U}", {"U": {"Fn::If": ["C", "1000", "0"]}}]}),
    ),
    ("ECS.4", "privileged-1", lambda t: c0(t).update(Privileged=1)),
    ("ECS.4", "privileged-string-1", lambda t: c0(t).update(Privileged="1")),
    ("ECS.4", "privileged-TRUE", lambda t: c0(t).update(Privileged="TRUE")),
    ("ECS.4", "privileged-padded-true", lambda t: c0(t).update(Privileged=" True ")),
    (
        "ECS.4",
        "privileged-find-in-map",
        _then(
            _mappings(Flags={"a": {"b": True}}),
            lambda t: c0(t).update(Privileged={"Fn::FindInMap": ["Flags", "a", "b"]}),
        ),
    ),
    ("ECS.5", "readonly-no-value", lambda t: c0(t).update(ReadonlyRootFilesystem={"Ref": "AWS::NoValue"})),
    (
        "ECS.5",
        "readonly-if-no-value",
        lambda t: c0(t).update(ReadonlyRootFilesystem={"Fn::If": ["C", True, {"Ref": "AWS::NoValue"}]}),
    ),
    ("ECS.5", "readonly-1", lambda t: c0(t).update(ReadonlyRootFilesystem=1)),
    ("ECS.17", "network-mode-HOST", lambda t: task(t).update(NetworkMode="HOST")),
    ("ECS.17", "network-mode-if", lambda t: task(t).update(NetworkMode={"Fn::If": ["C", "awsvpc", "host"]})),
    ("ECS.3", "pid-mode-Host", lambda t: task(t).update(PidMode="Host")),
    ("ECS.3", "pid-mode-if", lambda t: task(t).update(PidMode={"Fn::If": ["C", "task", "host"]})),
    (
        "ECS.2",
        "public-ip-lowercase",
        lambda t: svc(t)["NetworkConfiguration"]["AwsvpcConfiguration"].update(AssignPublicIp="enabled"),
    ),
    ("SF.EXEC", "exec-1", lambda t: svc(t).update(EnableExecuteCommand=1)),
    ("SF.FAULT_INJECTION", "fault-injection-TRUE", lambda t: task(t).update(EnableFaultInjection="TRUE")),
    ("SF.CAPABILITIES", "cap-add-scalar", _adds("SYS_ADMIN")),
    ("SF.CAPABILITIES", "cap-add-lowercase", _adds(["sys_admin"])),
    (
        "SF.CAPABILITIES",
        "cap-add-first-of-many-if-items",
        _adds([{"Fn::If": [f"C{i}", "SYS_PTRACE", "SYS_ADMIN" if i == 0 else "SYS_PTRACE"]} for i in range(40)]),
    ),
    (
        "SF.CAPABILITIES",
        "cap-add-last-of-many-if-items",
        _adds([{"Fn::If": [f"C{i}", "SYS_PTRACE", "SYS_ADMIN" if i == 39 else "SYS_PTRACE"]} for i in range(40)]),
    ),
    ("SF.INGRESS", "ingress-fn-cidr", _ingress({"Fn::Select": [0, {"Fn::Cidr": ["0.0.0.0/0", 1, 32]}]})),
    ("SF.INGRESS", "ingress-fn-cidr-ipv6-public", _ingress({"Fn::Select": [1, {"Fn::Cidr": ["8.8.0.0/16", 2, 8]}]})),
    (
        "SF.INGRESS",
        "ingress-find-in-map",
        _then(_mappings(Net={"any": {"cidr": "0.0.0.0/0"}}), _ingress({"Fn::FindInMap": ["Net", "any", "cidr"]})),
    ),
    ("ECS.8", "env-name-lowercase", lambda t: c0(t)["Environment"].append({"Name": "db_password", "Value": "x"})),
    (
        "ECS.4",
        "container-behind-if-with-no-value",
        lambda t: task(t).update(
            ContainerDefinitions=[
                c0(t),
                {"Fn::If": ["C", {**copy.deepcopy(c0(t)), "Name": "b", "Privileged": True}, {"Ref": "AWS::NoValue"}]},
            ]
        ),
    ),
    (
        "ECS.4",
        "type-spelled-in-lower-case",
        _then(
            lambda t: c0(t).update(Privileged=True),
            lambda t: t["Resources"]["Task"].update(Type="aws::ecs::taskdefinition"),
        ),
    ),
    (
        "ECS.4",
        "custom-macro-transform-judged-as-written",
        _then(lambda t: t.update(Transform="SomeMacro"), lambda t: c0(t).update(Privileged=True)),
    ),
    (
        "ECS.20",
        "serverless-transform-with-ecs-resources",
        _then(lambda t: t.update(Transform="AWS::Serverless-2016-10-31"), lambda t: c0(t).update(User="root")),
    ),
]


@pytest.mark.parametrize(("control", "route", "mutate"), REPORTED, ids=[f"{c}-{r}" for c, r, _ in REPORTED])
def test_hostile_spelling_or_intrinsic_is_reported(control: str, route: str, mutate: Mutation) -> None:
    assert control in open_controls(_body(mutate))


def test_import_of_a_literal_export_of_another_stack_is_judged() -> None:
    exporter = {"Resources": {}, "Outputs": {"U": {"Value": "0", "Export": {"Name": "app-user"}}}}
    body = _body(lambda t: c0(t).update(User={"Fn::ImportValue": "app-user"}))
    assert "ECS.20" in open_controls(body, exporter)


def test_import_chain_across_three_stacks_is_judged() -> None:
    first = {"Resources": {}, "Outputs": {"P": {"Value": "true", "Export": {"Name": "flag"}}}}
    second = {"Resources": {}, "Outputs": {"P": {"Value": {"Fn::ImportValue": "flag"}, "Export": {"Name": "relay"}}}}
    body = _body(lambda t: c0(t).update(Privileged={"Fn::ImportValue": "relay"}))
    assert "ECS.4" in open_controls(body, first, second)


def test_import_with_a_sub_name_of_an_export_with_mapping_is_judged_in_the_exporter() -> None:
    exporter = {
        "Mappings": {"M": {"k": {"v": "0"}}},
        "Resources": {},
        "Outputs": {"U": {"Value": {"Fn::FindInMap": ["M", "k", "v"]}, "Export": {"Name": "team-user"}}},
    }
    body = _body(lambda t: c0(t).update(User={"Fn::ImportValue": {"Fn::Sub": "team-user"}}))
    assert "ECS.20" in open_controls(body, exporter)


def test_import_loop_between_stacks_ends_without_a_finding_or_an_error() -> None:
    a = {"Resources": {}, "Outputs": {"A": {"Value": {"Fn::ImportValue": "b"}, "Export": {"Name": "a"}}}}
    b = {"Resources": {}, "Outputs": {"B": {"Value": {"Fn::ImportValue": "a"}, "Export": {"Name": "b"}}}}
    body = _body(lambda t: c0(t).update(User={"Fn::ImportValue": "a"}))
    assert "ECS.20" not in open_controls(body, a, b)


def test_deploy_time_availability_zone_is_not_guessed() -> None:
    body = _body(lambda t: c0(t).update(User={"Fn::Select": [0, {"Fn::GetAZs": ""}]}))
    assert "ECS.20" not in open_controls(body)


def test_parameter_default_is_judged() -> None:
    # Issue 21 class 1 reverses the old rule: the default is what deploys when nobody passes a value.
    body = _body(
        _then(
            lambda t: t.update(Parameters={"Uid": {"Type": "String", "Default": "0"}}),
            lambda t: c0(t).update(User={"Ref": "Uid"}),
        )
    )
    assert "ECS.20" in open_controls(body)


def test_parameter_without_default_or_allowed_values_is_not_guessed() -> None:
    body = _body(
        _then(
            lambda t: t.update(Parameters={"Uid": {"Type": "String"}}),
            lambda t: c0(t).update(User={"Ref": "Uid"}),
        )
    )
    assert "ECS.20" not in open_controls(body)


def test_root_user_hidden_in_combination_257_is_reported() -> None:
    """Beyond MAX_VALUES (256) combinations the rest are not judged: SF.UNJUDGED says so instead of a pass."""
    pieces = [{"Fn::If": [f"C{i}", "x", ""]} for i in range(9)] + ["0"]
    assert "SF.UNJUDGED" in open_controls(_body(lambda t: c0(t).update(User={"Fn::Join": ["", pieces]})))


def test_for_each_expanded_task_definitions_are_judged(tmp_path: Path) -> None:
    fragment = {"Task${Name}": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"PidMode": "host"}}}
    body = {"Transform": "AWS::LanguageExtensions", "Resources": {"Fn::ForEach::Tasks": ["Name", ["A", "B"], fragment]}}
    path = tmp_path / "foreach.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert main(["check", str(path)]) == 1


# ---------------------------------------------------------------------- acknowledgements that must not silence


def _ack(resource: str, *entries: Any, key: str = "secure-fargate") -> Mutation:
    return lambda t: t["Resources"][resource].update(Metadata={key: {"acknowledgements": list(entries)}})


WRITABLE_ROOT: Mutation = lambda t: c0(t).update(ReadonlyRootFilesystem=False)  # noqa: E731

REFUSED: list[tuple[str, str, Mutation]] = [
    ("ECS.5", "control-lower-case", _ack("Task", {"control": "ecs.5", "reason": REASON, "container": "app"})),
    ("ECS.5", "control-trailing-space", _ack("Task", {"control": "ECS.5 ", "reason": REASON, "container": "app"})),
    (
        "ECS.5",
        "control-as-intrinsic",
        _ack("Task", {"control": {"Fn::Sub": "ECS.5"}, "reason": REASON, "container": "app"}),
    ),
    ("ECS.5", "container-star", _ack("Task", {"control": "ECS.5", "reason": REASON, "container": "*"})),
    ("ECS.5", "container-as-list", _ack("Task", {"control": "ECS.5", "reason": REASON, "container": ["app"]})),
    ("ECS.5", "container-case", _ack("Task", {"control": "ECS.5", "reason": REASON, "container": "APP"})),
    ("ECS.5", "no-container-for-container-control", _ack("Task", {"control": "ECS.5", "reason": REASON})),
    ("ECS.5", "reason-as-list", _ack("Task", {"control": "ECS.5", "reason": [REASON], "container": "app"})),
    ("ECS.5", "reason-as-number", _ack("Task", {"control": "ECS.5", "reason": 12345678901234, "container": "app"})),
    ("ECS.5", "reason-dashes", _ack("Task", {"control": "ECS.5", "reason": "-- -- -- -- -- --", "container": "app"})),
    (
        "ECS.5",
        "on-the-service-not-the-task",
        _ack("Service", {"control": "ECS.5", "reason": REASON, "container": "app"}),
    ),
    (
        "ECS.5",
        "flat-dotted-metadata-key",
        _ack("Task", {"control": "ECS.5", "reason": REASON, "container": "app"}, key="secure-fargate.acknowledgements"),
    ),
    (
        "ECS.5",
        "acknowledgements-as-object",
        lambda t: t["Resources"]["Task"].update(
            Metadata={
                "secure-fargate": {"acknowledgements": {"control": "ECS.5", "reason": REASON, "container": "app"}}
            }
        ),
    ),
]


@pytest.mark.parametrize(("control", "route", "ack"), REFUSED, ids=[f"{c}-{r}" for c, r, _ in REFUSED])
def test_hostile_acknowledgement_is_refused(control: str, route: str, ack: Mutation) -> None:
    assert control in open_controls(_body(_then(WRITABLE_ROOT, ack)))


def test_acknowledging_an_invariant_in_metadata_is_refused() -> None:
    body = _body(
        _then(lambda t: task(t).update(NetworkMode="host"), _ack("Task", {"control": "ECS.17", "reason": REASON}))
    )
    assert "ECS.17" in open_controls(body)


def test_ecs8_acknowledgement_of_another_variable_is_refused() -> None:
    body = _body(
        _then(
            lambda t: c0(t)["Environment"].append({"Name": "DB_PASSWORD", "Value": "hunter2"}),
            _ack("Task", {"control": "ECS.8", "reason": REASON, "container": "app", "variable": "API_TOKEN"}),
        )
    )
    assert "ECS.8" in open_controls(body)


def test_well_formed_acknowledgement_is_honoured() -> None:
    body = _body(_then(WRITABLE_ROOT, _ack("Task", {"control": "ECS.5", "reason": REASON, "container": "app"})))
    assert "ECS.5" not in open_controls(body)


# ------------------------------------------------------------------------------------------- the CLI contract


def _run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: str | bytes, *args: str
) -> tuple[int, str, str]:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")
    code = main(["check", *args, str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _assert_refused(code: int, err: str, name: str) -> None:
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and name in err


def test_duplicate_json_key_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = json.dumps(baseline()).replace('"User": "1000:1000"', '"User": "0", "User": "1000:1000"')
    code, _, err = _run(tmp_path, capsys, "dup.json", text)
    _assert_refused(code, err, "dup.json")
    assert "'User'" in err


TASK_YAML = "Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n"


def test_duplicate_yaml_key_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = TASK_YAML + "      PidMode: host\n      PidMode: task\n"
    code, _, err = _run(tmp_path, capsys, "dup.yaml", text)
    _assert_refused(code, err, "dup.yaml")


def test_yaml_merge_key_is_expanded_and_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        "Base: &b\n  Privileged: true\n  User: '0'\nResources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n"
        "    Properties:\n      ContainerDefinitions:\n        - <<: *b\n          Name: app\n          User: '1000'\n"
    )
    code, out, _ = _run(tmp_path, capsys, "merge.yaml", text)
    assert code == 1 and "ECS.4" in out and "ECS.20" not in out


def test_yaml_octal_user_00_is_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = TASK_YAML + "      ContainerDefinitions:\n        - {Name: app, User: 00}\n"
    code, out, _ = _run(tmp_path, capsys, "octal.yaml", text)
    assert code == 1 and "ECS.20" in out


def test_yaml_python_tag_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(tmp_path, capsys, "tag.yaml", "Resources: !!python/object/apply:os.system [id]\n")
    _assert_refused(code, err, "tag.yaml")


def test_yaml_binary_type_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(tmp_path, capsys, "bin.yaml", "Resources:\n  T:\n    Type: !!binary QVdTOjpFQ1M=\n")
    _assert_refused(code, err, "bin.yaml")


def test_binary_junk_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(tmp_path, capsys, "junk.json", bytes(range(256)) * 4)
    _assert_refused(code, err, "junk.json")


def test_utf16_template_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(tmp_path, capsys, "utf16.json", json.dumps(baseline()).encode("utf-16"))
    _assert_refused(code, err, "utf16.json")


def test_bom_and_crlf_template_is_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = _body(lambda t: c0(t).update(Privileged=True))
    text = "\ufeff" + json.dumps(body, indent=1).replace("\n", "\r\n")
    code, out, _ = _run(tmp_path, capsys, "bom.json", text)
    assert code == 1 and "ECS.4" in out


def _hostile_names() -> str:
    body = _body(lambda t: c0(t).update(Privileged=True, Name="a\ud800\x00\u202eb"))
    return json.dumps(body)  # ensure_ascii: the lone surrogate and NUL travel as \u escapes


@pytest.mark.parametrize("output_format", ["text", "json", "sarif"])
def test_lone_surrogate_and_nul_in_names_keep_every_format_well_formed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output_format: str
) -> None:
    code, out, _ = _run(tmp_path, capsys, "names.json", _hostile_names(), "--format", output_format)
    assert code == 1
    if output_format == "text":
        assert "\\ud800" in out and "\\x00" in out and "\\u202e" in out
    else:
        json.loads(out)


def test_join_of_300000_literal_parts_is_judged_linearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was quadratic (80 s for 1.5 MB), and the 300,000-digit uid crashed the check (exit 2); now judged."""
    body = _body(lambda t: c0(t).update(User={"Fn::Join": ["", ["0"] * 300_000]}))
    code, out, _ = _run(tmp_path, capsys, "join.json", json.dumps(body))
    assert code == 1 and "ECS.20" in out  # Go's Atoi reads 300,000 zeros as 0 (Python's int() refused them)


def test_select_with_a_5000_digit_index_is_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exporter = {
        "Resources": {},
        "Outputs": {"O": {"Value": "x", "Export": {"Name": {"Fn::Select": ["1" * 5000, ["a"]]}}}},
    }
    code, _, _ = _run(tmp_path, capsys, "select.json", json.dumps({**baseline(), "Outputs": exporter["Outputs"]}))
    assert code == 0


def test_sub_with_20000_variables_behind_fn_if_is_evaluated() -> None:
    """Was quadratic in the text length (23 s for 80 KB); pieces are now joined once per combination."""
    values = possible_values({"Fn::Sub": ["${A}" * 20_000, {"A": {"Fn::If": ["C", "a", "b"]}}]})
    assert isinstance(values, list) and values[0] == "a" * 20_000


def test_long_list_of_fn_if_items_keeps_combinations_bounded() -> None:
    values = possible_values([{"Fn::If": ["C", "a", "b"]}] * 200_000)
    assert isinstance(values, list) and len(values) >= 1 and len(values) * 200_000 <= MAX_ELEMENTS + 200_000


# -------------------------------------------------------------------------------------------------- the hook

URL = "https://bucket.s3.amazonaws.com/payload"


def _event(**data: Any) -> dict[str, Any]:
    return {
        "clientRequestToken": "tok",
        "actionInvocationPoint": "CREATE_PRE_PROVISION",
        "requestData": {"targetType": "STACK", "targetLogicalId": "Stack", "payload": URL, **data},
    }


def _hook(template_text: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
    return handle(event or _event(), lambda url: json.dumps({"template": template_text}).encode())


def test_hook_target_type_of_the_wrong_json_type_fails_with_a_clear_message() -> None:
    response = _hook("{}", _event(targetType=["STACK"]))
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InternalFailure"
    assert "targetType" in response["message"]


def test_hook_yaml_text_with_a_lone_surrogate_cannot_be_read_clearly() -> None:
    response = _hook('Resources: {T: {Type: AWS::S3::Bucket, Properties: {A: "\ud800"}}}')
    assert response["hookStatus"] == "FAILED" and response["errorCode"] == "InternalFailure"
    assert response["message"].startswith("secure-fargate: cannot read the template")


def test_hook_refuses_a_duplicate_key_template_as_check_does() -> None:
    text = json.dumps(baseline()).replace('"User": "1000:1000"', '"User": "0", "User": "1000:1000"')
    response = _hook(text)
    assert response["hookStatus"] == "FAILED" and "duplicate key 'User'" in response["message"]


def test_hook_judges_mapped_values_as_check_does() -> None:
    body = _body(
        _then(
            _mappings(Users={"prod": {"uid": "0"}}),
            lambda t: c0(t).update(User={"Fn::FindInMap": ["Users", "prod", "uid"]}),
        )
    )
    response = _hook(json.dumps(body))
    assert response["errorCode"] == "NonCompliant" and "ECS.20 Task[app]" in response["message"]


def test_hook_request_that_is_a_list_fails_cleanly() -> None:
    response = handle([_event()], lambda url: b"{}")
    assert response["hookStatus"] == "FAILED" and "not a JSON object" in response["message"]


def test_hook_message_with_thousands_of_hostile_findings_stays_within_the_limit() -> None:
    containers = [{"Name": "\u202e" * 50 + str(i), "Privileged": True} for i in range(3000)]
    body = {
        "Resources": {"T": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": containers}}}
    }
    response = _hook(json.dumps(body))
    assert response["hookStatus"] == "FAILED" and len(response["message"]) <= MESSAGE_LIMIT
    assert "more" in response["message"]


def test_many_tasks_sharing_one_execution_role_with_as_many_policies_are_each_judged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Was quadratic (tasks x policies: 20 s for 2 MB, hours for 50 MB); a role's permissions are now computed
    once per set and every task still gets its finding.

    The proof is the memo's count, not a timing: two permission sets (the task role and the execution role)
    whatever the number of tasks, each computed once, where per-task computing would hold or compute one per task.
    100 tasks prove that as
    1,000 did; the findings themselves are tasks x policies x 2 (two million at 1,000, about 20 s of building
    findings, not of computing permissions)."""
    body = baseline()
    resources = body["Resources"]
    policy = resources["ExecPolicy"]
    broad = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    policy["Properties"]["PolicyDocument"]["Statement"].append(broad)
    tasks = 100
    for i in range(tasks):
        resources[f"Task{i}"] = copy.deepcopy(resources["Task"])
        resources[f"ExecPolicy{i}"] = copy.deepcopy(policy)
    computed: list[object] = []
    compute = iam._permissions

    def counted(role: Any, found_in: Any) -> Any:
        computed.append(role)
        return compute(role, found_in)

    monkeypatch.setattr(iam, "_permissions", counted)
    template = Template(body, "main")
    findings = [f for f in evaluate_set([template]) if f.control == "SF.EXECUTION_ROLE"]
    assert {f.resource for f in findings} == {"Task", *(f"Task{i}" for i in range(tasks))}
    assert len(computed) == 2  # once per role, not once per task
    memo = template.context["set"].cache["iam_memo"]
    assert sum(1 for key in memo if key[0] == "permissions") == 2  # the task role and the execution role, once each
