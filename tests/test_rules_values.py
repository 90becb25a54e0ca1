"""Issue 12, pack side: literal evaluation of intrinsics, users as runc reads them, Fn::If over containers,
acknowledgement matching, the secret heuristics and the new controls — each with the exact failing resources."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from secure_fargate.pack import CONTROLS, Template, evaluate
from secure_fargate.pack._template import UNKNOWN, literal_value, possible_values
from secure_fargate.pack.containers import (
    command_secret_problem,
    is_root_user,
    is_secret_looking_name,
    log_configuration_problem,
    secret_value_problem,
    system_path_problem,
)
from tests.controls.casebook import baseline, c0, svc, task


def failing(body: dict[str, Any], control: str) -> set[tuple[str, str | None, str | None]]:
    """(resource, container, item) of every unacknowledged finding of ``control``."""
    return {
        (f.resource, f.container, f.item)
        for f in evaluate(Template(body))
        if f.control == control and not f.acknowledged
    }


def fresh() -> dict[str, Any]:
    return copy.deepcopy(baseline())


# ----------------------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Fn::Sub": "0"}, ["0"]),
        ({"Fn::Sub": ["${U}:${G}", {"U": "0", "G": "1000"}]}, ["0:1000"]),
        ({"Fn::Sub": "${!Literal}"}, ["${Literal}"]),
        ({"Fn::Join": ["", ["nginx", ":", "latest"]]}, ["nginx:latest"]),
        ({"Fn::Select": [1, ["a", "0"]]}, ["0"]),
        ({"Fn::Select": ["0", {"Fn::Split": [",", "0,1"]}]}, ["0"]),
        ({"Fn::Join": ["", [{"Fn::Sub": "EN"}, {"Fn::Select": [0, ["ABLED"]]}]]}, ["ENABLED"]),
        ({"Fn::If": ["C", "0", "1000"]}, ["0", "1000"]),
        ({"Fn::If": ["C", "0", {"Ref": "Param"}]}, ["0"]),
        ({"Fn::Base64": "hi"}, ["aGk="]),
        ({"Ref": "AWS::NoValue"}, [None]),
    ],
)
def test_intrinsics_over_literals_are_literals(value: Any, expected: list[Any]) -> None:
    assert possible_values(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"Fn::Sub": "${AWS::Region}"},
        {"Fn::Sub": "${Param}"},
        {"Fn::Sub": ["${X}", {"X": {"Ref": "Param"}}]},
        {"Fn::Join": ["", [{"Ref": "AWS::AccountId"}, "x"]]},
        {"Fn::GetAtt": ["R", "Arn"]},
        {"Fn::ImportValue": "Shared"},
    ],
)
def test_deploy_time_values_are_unknown(value: Any) -> None:
    assert possible_values(value) is UNKNOWN


def test_literal_value_is_unknown_when_several() -> None:
    assert literal_value({"Fn::If": ["C", "a", "b"]}) is UNKNOWN
    assert literal_value({"Fn::Sub": "a"}) == "a"


def test_evaluation_depth_is_bounded() -> None:
    value: Any = "0"
    for _ in range(400):
        value = {"Fn::Join": ["", [value]]}
    assert possible_values(value) is UNKNOWN


# ------------------------------------------------------------------------------------------------ users


@pytest.mark.parametrize("user", ["+0", "-0", "+00:1000", "ROOT", " 0", ":1000"])
def test_runc_root_spellings(user: str) -> None:
    assert is_root_user(user)


@pytest.mark.parametrize("user", ["1000", "+1000", "0x0", "\u0660", "app:0"])
def test_runc_non_root_spellings(user: str) -> None:
    assert not is_root_user(user)


@pytest.mark.parametrize(
    ("key", "value", "control"),
    [
        ("User", {"Fn::Sub": "0"}, "ECS.20"),
        ("User", "+0", "ECS.20"),
        ("Image", {"Fn::Join": ["", ["nginx", ":latest"]]}, "SF.IMAGE"),
        ("Privileged", {"Fn::Sub": "true"}, "ECS.4"),
        ("ReadonlyRootFilesystem", {"Fn::Sub": "false"}, "ECS.5"),
        ("Memory", {"Fn::Sub": "4"}, "SF.MEMORY"),
    ],
)
def test_container_values_are_judged_through_intrinsics(key: str, value: Any, control: str) -> None:
    body = fresh()
    c0(body)[key] = value
    assert failing(body, control) == {("Task", "app", None)}


def test_public_ip_through_sub_is_flagged() -> None:
    body = fresh()
    svc(body)["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] = {"Fn::Sub": "ENABLED"}
    assert failing(body, "ECS.2") == {("Service", None, None)}


# --------------------------------------------------------------------------------------- Fn::If containers


def test_if_over_whole_container_definitions_judges_every_branch() -> None:
    body = fresh()
    good = c0(body)
    bad = {**copy.deepcopy(good), "Name": "evil", "User": "0"}
    task(body)["ContainerDefinitions"] = {"Fn::If": ["C", [good], [bad]]}
    assert failing(body, "ECS.20") == {("Task", "evil", None)}


def test_if_over_one_container_judges_both() -> None:
    body = fresh()
    good = c0(body)
    bad = {**copy.deepcopy(good), "Name": "evil", "Privileged": True}
    task(body)["ContainerDefinitions"] = [{"Fn::If": ["C", good, bad]}]
    assert failing(body, "ECS.4") == {("Task", "evil", None)}


# -------------------------------------------------------------------------------------- acknowledgements


def _ack(body: dict[str, Any], *entries: dict[str, Any]) -> None:
    body["Resources"]["Task"]["Metadata"] = {"secure-fargate": {"acknowledgements": list(entries)}}


REASON = "vendor image, tracked in RISK-12"


def test_invariant_is_reported_even_with_metadata() -> None:
    body = fresh()
    c0(body)["Privileged"] = True
    _ack(body, {"control": "ECS.4", "reason": REASON, "container": "app"}, {"control": "ECS.4", "reason": REASON})
    (finding,) = [f for f in evaluate(Template(body)) if f.control == "ECS.4"]
    assert finding.acknowledged is None and finding.acknowledgeable is False


def test_container_acknowledgement_covers_only_that_container() -> None:
    body = fresh()
    c0(body)["User"] = "0"
    second = {**copy.deepcopy(c0(body)), "Name": "late"}
    task(body)["ContainerDefinitions"].append(second)
    _ack(body, {"control": "ECS.20", "reason": REASON, "container": "app"})
    assert failing(body, "ECS.20") == {("Task", "late", None)}


def test_resource_level_entry_does_not_cover_container_findings() -> None:
    body = fresh()
    c0(body)["User"] = "0"
    _ack(body, {"control": "ECS.20", "reason": REASON})
    assert failing(body, "ECS.20") == {("Task", "app", None)}


def test_ecs8_is_acknowledged_per_variable() -> None:
    body = fresh()
    c0(body)["Environment"] += [{"Name": "TOKEN_TTL", "Value": "300"}, {"Name": "DB_PASSWORD", "Value": "x"}]
    _ack(body, {"control": "ECS.8", "reason": REASON, "container": "app", "variable": "TOKEN_TTL"})
    assert failing(body, "ECS.8") == {("Task", "app", "DB_PASSWORD")}


@pytest.mark.parametrize("reason", ["x", "xxxxxxxxxx", "\u200b" * 12, " \t\n" * 5, "\x00" * 11])
def test_reasons_that_say_nothing_are_ignored(reason: str) -> None:
    body = fresh()
    c0(body)["User"] = "0"
    _ack(body, {"control": "ECS.20", "reason": reason, "container": "app"})
    assert failing(body, "ECS.20") == {("Task", "app", None)}


def test_every_control_has_a_fix_and_the_invariants_match_the_contract() -> None:
    assert all(c.fix for c in CONTROLS)
    invariants = {c.id for c in CONTROLS if not c.acknowledgeable}
    expected = {"ECS.3", "ECS.4", "ECS.17", "SF.CAPABILITIES", "SF.PTRACE", "SF.SECRETS", "SF.ROLES"}
    expected |= {"SF.EXECUTION_ROLE", "SF.TASK_SIZE", "SF.AGENT", "SF.VOLUMES", "SF.LAUNCH_ROLES", "SF.UNJUDGED"}
    expected |= {"SF.DEPLOY_HOOK_INVOKE"}
    assert invariants == expected


# --------------------------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("name", ["DB_PASS", "DB_PWD", "STRIPE_KEY", "AWS_ACCESS_KEY_ID", "smtpPass"])
def test_secret_names(name: str) -> None:
    assert is_secret_looking_name(name)


@pytest.mark.parametrize(
    "name", ["OAUTH_TOKEN_URL", "TOKEN_TTL_SECONDS", "SECRET_NAME", "DB_SECRET_ARN", "API_KEY_ID", "PUBLIC_KEY", "PWD"]
)
def test_reference_names_are_not_secrets(name: str) -> None:
    assert not is_secret_looking_name(name)


@pytest.mark.parametrize(
    "value",
    [
        "postgres://app:hunter2@db:5432/app",
        "redis://:hunter2@cache:6379",
        "AKIA" + "ABCDEFGHIJKLMNOP",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
        "ghp_" + "a" * 36,
        "xoxb-1234567890-abcdef",
    ],
)
def test_secret_values(value: str) -> None:
    problem = secret_value_problem(value)
    assert problem and value not in problem


@pytest.mark.parametrize("value", ["https://example.com/path", "postgres://db:5432/app", "300", "AKIA"])
def test_plain_values(value: str) -> None:
    assert secret_value_problem(value) is None


@pytest.mark.parametrize(
    "args",
    [
        ["app", "--password=hunter2"],
        ["app", "--api-key", "abc123"],
        ["sh", "-c", "app --token=abc123"],
        ["env", "DB_PASSWORD=hunter2", "app"],
        ["app", "--db", "postgres://u:hunter2@db/app"],
    ],
)
def test_command_line_secrets(args: list[str]) -> None:
    problem = command_secret_problem(args)
    assert problem and "hunter2" not in problem and "abc123" not in problem


@pytest.mark.parametrize(
    "args", [["app", "--password-file=/run/secrets/db"], ["sh", "-c", "app --password=$DB_PASSWORD"], ["app", "-v"]]
)
def test_command_lines_without_secrets(args: list[str]) -> None:
    assert command_secret_problem(args) is None


def test_ecs8_reports_one_finding_per_variable_without_the_value() -> None:
    body = fresh()
    c0(body)["Environment"] += [
        {"Name": "DB_PASS", "Value": "hunter2"},
        {"Name": "DATABASE_URL", "Value": "postgres://app:hunter2@db/app"},
        {"Name": "OAUTH_TOKEN_URL", "Value": "https://idp/token"},
    ]
    found = [f for f in evaluate(Template(body)) if f.control == "ECS.8"]
    assert {f.item for f in found} == {"DB_PASS", "DATABASE_URL"}
    assert all("hunter2" not in f.message for f in found)


def test_ecs8_flags_command_and_entry_point() -> None:
    body = fresh()
    c0(body)["Command"] = ["--password=hunter2"]
    c0(body)["EntryPoint"] = {"Fn::Sub": "x"}  # not a list: ignored
    assert failing(body, "ECS.8") == {("Task", "app", "Command")}


# -------------------------------------------------------------------------------------------- new checks


def test_exec_enabled_is_flagged_and_acknowledgeable() -> None:
    body = fresh()
    svc(body)["EnableExecuteCommand"] = {"Fn::Sub": "true"}
    assert failing(body, "SF.EXEC") == {("Service", None, None)}
    body["Resources"]["Service"]["Metadata"] = {
        "secure-fargate": {"acknowledgements": [{"control": "SF.EXEC", "reason": REASON}]}
    }
    assert failing(body, "SF.EXEC") == set()


@pytest.mark.parametrize("path", ["/", "/usr/local/bin", "//etc/", "/opt/../lib64", "/lib", "/dev/shm", "/./sbin"])
def test_system_paths(path: str) -> None:
    assert system_path_problem(path)


@pytest.mark.parametrize(
    "path",
    [
        "/tmp",
        "/var/cache/app",
        "/usrx",
        "/opt/etc",
        "/managed-agents",
        "/usr/share/nginx/html",
        "/usr/local/apache2/htdocs",
    ],
)
def test_application_paths(path: str) -> None:
    assert system_path_problem(path) is None


def test_library_is_a_lib_prefix_and_flagged() -> None:
    # /lib* covers /lib, /lib64, /lib32, /libx32: every top-level directory starting with "lib".
    assert system_path_problem("/library")


def test_writable_mount_over_system_path_names_the_path() -> None:
    body = fresh()
    c0(body)["MountPoints"] = [
        {"SourceVolume": "v", "ContainerPath": "/usr/local/bin"},
        {"SourceVolume": "v", "ContainerPath": "/etc", "ReadOnly": True},
        {"SourceVolume": "v", "ContainerPath": "/tmp"},
    ]
    assert failing(body, "SF.MOUNTS") == {("Task", "app", "/usr/local/bin")}


def test_two_agents_and_a_forged_agent_are_flagged() -> None:
    body = fresh()
    label = {"secure-fargate.security-agent": "true"}
    agent = {**copy.deepcopy(c0(body)), "Name": "agent", "Essential": False, "DockerLabels": label}
    forged = {**copy.deepcopy(c0(body)), "Name": "forged", "DockerLabels": label}
    forged["PortMappings"] = [{"ContainerPort": 8080}]
    task(body)["ContainerDefinitions"] += [agent, forged]
    assert failing(body, "SF.AGENT") == {("Task", None, None), ("Task", "forged", None)}


def test_forged_agent_cannot_add_ptrace() -> None:
    body = fresh()
    c0(body).update(DockerLabels={"secure-fargate.security-agent": "true"}, Essential=False)
    c0(body)["PortMappings"] = [{"ContainerPort": 8080}]
    c0(body)["LinuxParameters"]["Capabilities"]["Add"] = ["SYS_PTRACE"]
    assert failing(body, "SF.PTRACE") == {("Task", "app", None)}


@pytest.mark.parametrize(
    ("config", "bad"),
    [
        ({"LogDriver": "none"}, True),
        ({"LogDriver": "awslogs", "Options": {"awslogs-region": "eu-west-1"}}, True),
        ({"LogDriver": "json-file"}, True),
        ({"LogDriver": "awsfirelens"}, False),
        ({"LogDriver": "splunk", "Options": {"splunk-url": "https://splunk:8088"}}, False),
        ({"LogDriver": {"Fn::Sub": "none"}}, True),
    ],
)
def test_log_configuration(config: dict[str, Any], bad: bool) -> None:
    body = fresh()
    c0(body)["LogConfiguration"] = config
    assert failing(body, "ECS.9") == ({("Task", "app", None)} if bad else set())


def test_log_configuration_problem_predicate() -> None:
    assert log_configuration_problem("awslogs", ["awslogs-group"]) is None
    assert log_configuration_problem("none", [])


def test_host_path_volume_on_fargate_is_flagged_by_name() -> None:
    body = fresh()
    task(body)["Volumes"] = [{"Name": "host", "Host": {"SourcePath": "/var/run"}}, {"Name": "scratch", "Host": {}}]
    assert failing(body, "SF.VOLUMES") == {("Task", None, "host")}


def test_host_path_volume_off_fargate_is_judged_too() -> None:
    """Issue 20: a host bind mount is a finding on any task definition (an EC2 one exposes the host's files)."""
    body = fresh()
    task(body).pop("RequiresCompatibilities")
    svc(body)["LaunchType"] = "EC2"
    task(body)["Volumes"] = [{"Name": "host", "Host": {"SourcePath": "/var/run"}}]
    assert failing(body, "SF.VOLUMES") == {("Task", None, "host")}


# ------------------------------------------------------------------------- the library's declared agent record


def _agent_task(declared: str | None, *, tag: bool = True, metadata: bool = True) -> dict[str, Any]:
    """A task whose only container is an agent; the record written as the construct writes it (a tag and Metadata),
    or only the tag (what a live task definition carries), or only the Metadata (the tag removed)."""
    agent = {
        "Name": "agent",
        "Essential": False,
        "DockerLabels": {"secure-fargate.security-agent": "true"},
        "LinuxParameters": {"Capabilities": {"Add": ["SYS_PTRACE"], "Drop": ["ALL"]}},
    }
    task: dict[str, Any] = {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [agent]}}
    if declared is not None and metadata:
        task["Metadata"] = {"secure-fargate": {"agent": declared}}
    if declared is not None and tag:
        task["Properties"]["Tags"] = [{"Key": "secure-fargate:agent", "Value": declared or ":none"}]
    return {"Resources": {"Task": task}}


@pytest.mark.parametrize(("declared", "flagged"), [(None, False), ("agent", False), ("other", True), ("", True)])
def test_declared_agent_record_decides_who_may_act_as_the_agent(declared: str | None, flagged: bool) -> None:
    from secure_fargate.pack import Template as PackTemplate
    from secure_fargate.pack import evaluate as pack_evaluate

    for body in (_agent_task(declared), _agent_task(declared, metadata=False)):  # a template, a live definition
        found = {(f.control, f.container) for f in pack_evaluate(PackTemplate(body))}
        assert (("SF.PTRACE", "agent") in found) is flagged
        assert (("SF.AGENT", "agent") in found) is flagged


@pytest.mark.parametrize("tag", ["removed", "changed"])
def test_an_agent_record_tag_removed_or_changed_in_a_template_is_a_finding(tag: str) -> None:
    from secure_fargate.pack import Template as PackTemplate
    from secure_fargate.pack import evaluate as pack_evaluate

    body = _agent_task("", tag=False)
    if tag == "changed":
        body["Resources"]["Task"]["Properties"]["Tags"] = [{"Key": "secure-fargate:agent", "Value": "agent"}]
    found = [f for f in pack_evaluate(PackTemplate(body)) if f.control == "SF.AGENT" and f.container is None]
    assert found and "secure-fargate:agent" in found[0].message and "removed or changed" in found[0].message
