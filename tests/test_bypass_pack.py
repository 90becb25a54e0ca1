"""Issue 12 routes an attacker would try against the pack, as hostile templates.

Each route of classes 2 (constants in intrinsics), 3 (user spellings), 4 (Fn::If over containers), 5 (the
engine's acknowledgement rules) and 8 (uncovered weakenings) must be reported unacknowledged; class 9 routes
(names that only look secret) must NOT be refused; class 11 routes must make the CLI exit 2 with one line (or
0/1 for well-formed input), never a traceback.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_fargate.pack import Template, evaluate
from secure_fargate.pack.cli import main
from tests.controls.casebook import baseline, c0, svc, task

Route = Callable[[dict[str, Any]], None]
LABEL = {"secure-fargate.security-agent": "true"}
REASON = "accepted by the platform team, RISK-12"


def _ack(resource: str, *entries: dict[str, Any]) -> Route:
    def apply(t: dict[str, Any]) -> None:
        t["Resources"][resource]["Metadata"] = {"secure-fargate": {"acknowledgements": list(entries)}}

    return apply


def _then(*routes: Route) -> Route:
    def apply(t: dict[str, Any]) -> None:
        for route in routes:
            route(t)

    return apply


def _add_container(**overrides: Any) -> Route:
    def apply(t: dict[str, Any]) -> None:
        task(t)["ContainerDefinitions"].append({**copy.deepcopy(c0(t)), **overrides})

    return apply


ROUTES: list[tuple[str, str, Route]] = [
    # class 2: constants hidden in intrinsics
    ("ECS.20", "user-sub-0", lambda t: c0(t).update(User={"Fn::Sub": "0"})),
    ("ECS.20", "user-sub-var-map", lambda t: c0(t).update(User={"Fn::Sub": ["${U}", {"U": "root"}]})),
    ("ECS.20", "user-join-select", lambda t: c0(t).update(User={"Fn::Join": [":", [{"Fn::Select": [0, ["0"]]}, "0"]]})),
    ("ECS.20", "user-if-always", lambda t: c0(t).update(User={"Fn::If": ["Always", "0", {"Ref": "P"}]})),
    ("SF.IMAGE", "image-sub-latest", lambda t: c0(t).update(Image={"Fn::Sub": "nginx:latest"})),
    (
        "ECS.8",
        "env-name-sub",
        lambda t: c0(t)["Environment"].append({"Name": {"Fn::Sub": "DB_PASSWORD"}, "Value": "x"}),
    ),
    (
        "ECS.2",
        "public-ip-sub",
        lambda t: svc(t)["NetworkConfiguration"]["AwsvpcConfiguration"].update(AssignPublicIp={"Fn::Sub": "ENABLED"}),
    ),
    (
        "ECS.4",
        "privileged-split",
        lambda t: c0(t).update(Privileged={"Fn::Select": [1, {"Fn::Split": [",", "x,true"]}]}),
    ),
    (
        "SF.CAPABILITIES",
        "cap-add-behind-unknown-sibling",
        lambda t: c0(t)["LinuxParameters"].update(
            InitProcessEnabled={"Ref": "P"}, Capabilities={"Drop": ["ALL"], "Add": [{"Fn::Sub": "NET_ADMIN"}]}
        ),
    ),
    # class 3: user spellings runc reads as root
    ("ECS.20", "user-plus-0", lambda t: c0(t).update(User="+0")),
    ("ECS.20", "user-minus-0", lambda t: c0(t).update(User="-0:1000")),
    ("ECS.20", "user-ROOT", lambda t: c0(t).update(User="ROOT")),
    # class 4: Fn::If over the container list or one container
    (
        "ECS.4",
        "if-over-definitions",
        lambda t: task(t).update(
            ContainerDefinitions={"Fn::If": ["C", [c0(t)], [{**copy.deepcopy(c0(t)), "Privileged": True}]]}
        ),
    ),
    (
        "ECS.20",
        "if-over-one-container",
        lambda t: task(t).update(
            ContainerDefinitions=[{"Fn::If": ["C", c0(t), {**copy.deepcopy(c0(t)), "User": "0"}]}]
        ),
    ),
    # class 5: acknowledgements that must not silence
    (
        "ECS.4",
        "ack-invariant",
        _then(lambda t: c0(t).update(Privileged=True), _ack("Task", {"control": "ECS.4", "reason": REASON})),
    ),
    (
        "SF.CAPABILITIES",
        "ack-invariant-container",
        _then(
            lambda t: c0(t)["LinuxParameters"]["Capabilities"].update(Add=["NET_ADMIN"]),
            _ack("Task", {"control": "SF.CAPABILITIES", "reason": REASON, "container": "app"}),
        ),
    ),
    (
        "ECS.20",
        "ack-one-char-reason",
        _then(lambda t: c0(t).update(User="0"), _ack("Task", {"control": "ECS.20", "reason": "x", "container": "app"})),
    ),
    (
        "ECS.20",
        "ack-zero-width-reason",
        _then(
            lambda t: c0(t).update(User="0"),
            _ack("Task", {"control": "ECS.20", "reason": "\u200b" * 10, "container": "app"}),
        ),
    ),
    (
        "ECS.20",
        "ack-repeated-char",
        _then(
            lambda t: c0(t).update(User="0"),
            _ack("Task", {"control": "ECS.20", "reason": "xxxxxxxxxxxx", "container": "app"}),
        ),
    ),
    (
        "ECS.20",
        "ack-other-container-covers-late-root",
        _then(
            _add_container(Name="late", User="0"),
            _ack("Task", {"control": "ECS.20", "reason": REASON, "container": "app"}),
        ),
    ),
    (
        "ECS.8",
        "blanket-ecs8-hides-db-password",
        _then(
            lambda t: c0(t)["Environment"].append({"Name": "DB_PASSWORD", "Value": "hunter2"}),
            _ack(
                "Task",
                {"control": "ECS.8", "reason": REASON},
                {"control": "ECS.8", "reason": REASON, "container": "app"},
            ),
        ),
    ),
    # class 8: weakenings no control covered
    ("SF.EXEC", "exec-by-override", lambda t: svc(t).update(EnableExecuteCommand="true")),
    ("ECS.8", "password-on-command-line", lambda t: c0(t).update(Command=["app", "--password=hunter2"])),
    ("ECS.8", "db-pass", lambda t: c0(t)["Environment"].append({"Name": "DB_PASS", "Value": "x"})),
    ("ECS.8", "db-pwd", lambda t: c0(t)["Environment"].append({"Name": "DB_PWD", "Value": "x"})),
    (
        "ECS.8",
        "stripe-key",  # a random-looking literal: a short word under *_KEY would be a flag (FEATURE_FLAG_KEY)
        lambda t: c0(t)["Environment"].append({"Name": "STRIPE_KEY", "Value": "Xk9d83jf93kdl3kD"}),
    ),
    (
        "ECS.8",
        "credentials-in-url",
        lambda t: c0(t)["Environment"].append({"Name": "DATABASE_URL", "Value": "postgres://u:p4ss@db/app"}),
    ),
    (
        "SF.MOUNTS",
        "rw-mount-usr-local-bin",
        lambda t: c0(t).update(
            MountPoints=[{"SourceVolume": "v", "ContainerPath": "/usr/local/bin", "ReadOnly": False}]
        ),
    ),
    (
        "SF.MOUNTS",
        "rw-mount-dotdot",
        lambda t: c0(t).update(MountPoints=[{"SourceVolume": "v", "ContainerPath": "/tmp/../etc"}]),
    ),
    (
        "SF.AGENT",
        "forged-agent-label",
        _add_container(Name="sidecar", DockerLabels=LABEL, PortMappings=[{"ContainerPort": 9000}], Essential=False),
    ),
    (
        "SF.PTRACE",
        "forged-agent-ptrace",
        _then(
            lambda t: c0(t).update(DockerLabels=LABEL, Essential=False, PortMappings=[{"ContainerPort": 8080}]),
            lambda t: c0(t)["LinuxParameters"]["Capabilities"].update(Add=["SYS_PTRACE"]),
        ),
    ),
    ("ECS.9", "log-driver-none", lambda t: c0(t).update(LogConfiguration={"LogDriver": "none"})),
    (
        "SF.VOLUMES",
        "host-path-volume",
        lambda t: task(t).update(Volumes=[{"Name": "docker", "Host": {"SourcePath": "/var/run"}}]),
    ),
]


def unacknowledged(body: dict[str, Any]) -> set[str]:
    return {f.control for f in evaluate(Template(body)) if not f.acknowledged}


@pytest.mark.parametrize(("control", "route", "apply"), ROUTES, ids=[f"{c}-{r}" for c, r, _ in ROUTES])
def test_route_is_reported_unacknowledged(control: str, route: str, apply: Route) -> None:
    body = copy.deepcopy(baseline())
    apply(body)
    assert control in unacknowledged(body)


# class 9: names that only look secret are not refused (their values carry no credentials)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OAUTH_TOKEN_URL", "https://idp.example.com/oauth2/token"),
        ("TOKEN_TTL_SECONDS", "300"),
        ("SECRET_NAME", "prod/db"),
        ("DB_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf"),
        ("PASSWORD_FILE", "/run/secrets/db"),
    ],
)
def test_reference_variables_are_not_refused(name: str, value: str) -> None:
    body = copy.deepcopy(baseline())
    c0(body)["Environment"].append({"Name": name, "Value": value})
    assert "ECS.8" not in unacknowledged(body)


# class 11: the CLI contract on hostile input


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _deep_json(depth: int) -> str:
    return '{"Resources": {"X": {"Type": "T", "Properties": {"A": ' + "[" * depth + "]" * depth + "}}}}"


def _with(mutate: Route) -> str:
    body = copy.deepcopy(baseline())
    mutate(body)
    return json.dumps(body)


CLI_ROUTES: list[tuple[str, str, int]] = [
    ("deep-350.json", _deep_json(350), 2),
    ("deep-100000.json", _deep_json(100_000), 2),
    ("inf-memory.json", _with(lambda t: c0(t).update(Memory=1.0)).replace('"Memory": 1.0', '"Memory": 1e999'), 2),
    ("nan.json", '{"Resources": {"X": {"Type": "T", "Properties": {"A": NaN}}}}', 2),
    ("no-type.json", '{"Resources": {"X": {"Properties": {}}}}', 2),
    ("empty.json", '{"Resources": {}}', 0),
    ("task-memory.json", _with(lambda t: task(t).update(Memory="1.2.3 GB")), 0),
    ("cpu-dot.json", _with(lambda t: task(t).update(Cpu=". vCPU")), 0),
    (
        "cidr-list.json",
        _with(lambda t: t["Resources"]["Sg"]["Properties"].update(SecurityGroupIngress=[{"CidrIp": ["0.0.0.0/0"]}])),
        1,  # CloudFormation would refuse the list; the pack judges each element (SF.INGRESS), without a traceback
    ),
    ("date-key.yaml", "Resources:\n  2024-01-01:\n    Type: AWS::S3::Bucket\n", 0),
    ("int-key.yaml", "Resources:\n  12:\n    Type: AWS::S3::Bucket\n", 0),
    ("complex-key.yaml", "Resources:\n  ? [a, b]\n  : {Type: AWS::S3::Bucket}\n", 2),
    ("recursive.yaml", "Resources:\n  R: &r\n    Type: T\n    Properties: {A: *r}\n", 2),
]


@pytest.mark.parametrize(("name", "text", "code"), CLI_ROUTES, ids=[r[0] for r in CLI_ROUTES])
@pytest.mark.parametrize("output_format", ["text", "json", "sarif"])
def test_cli_contract_on_hostile_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, code: int, output_format: str
) -> None:
    path = _write(tmp_path, name, text)
    assert main(["check", "--format", output_format, str(path)]) == code
    err = capsys.readouterr().err
    if code == 2:
        assert err.count("\n") == 1 and name in err
    assert "Traceback" not in err


def test_yaml_alias_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines.append("Resources: {X: {Type: AWS::S3::Bucket, Properties: {Tags: *i}}}")
    path = _write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    assert len(path.read_bytes()) < 700
    assert main(["check", str(path)]) == 2
    assert "expands to more than" in capsys.readouterr().err


def test_control_characters_are_escaped_in_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "evil\x1b[2K\r\u202eOK\x00"
    body = copy.deepcopy(baseline())
    c0(body).update(Name=hostile, User="0")
    path = _write(tmp_path, "ctrl.json", json.dumps(body))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert not any(ch in out for ch in "\x1b\r\u202e\x00")
    assert "evil\\x1b[2K\\x0d\\u202eOK\\x00" in out


def test_output_into_a_missing_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "ok.json", json.dumps(baseline()))
    assert main(["check", "-o", str(tmp_path / "missing" / "out.txt"), str(path)]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_cdk_out_with_an_empty_stack_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    _write(out, "Empty.template.json", '{"Resources": {}}')
    assert main(["check", str(out)]) == 0


def test_oversized_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)  # sparse: costs no disk
    assert main(["check", str(path)]) == 2
    assert "larger than 50 MB" in capsys.readouterr().err


def test_sarif_uris_are_relative_to_the_scanned_root_and_percent_encoded(tmp_path: Path) -> None:
    out = tmp_path / "cdk out"
    (out / "stage #1").mkdir(parents=True)
    body = copy.deepcopy(baseline())
    c0(body)["User"] = "0"
    _write(out / "stage #1", "App ü.template.json", json.dumps(body))
    report = tmp_path / "r.sarif"
    assert main(["check", "--format", "sarif", "-o", str(report), str(out)]) == 1
    (run,) = json.loads(report.read_text())["runs"]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "stage%20%231/App%20%C3%BC.template.json"
    assert run["originalUriBaseIds"][location["uriBaseId"]]["uri"].endswith("/cdk%20out/")


def test_scan_text_output_escapes_like_check() -> None:
    """A live resource's name reaches the scan report as it does a template's: escaped, one line per finding."""
    from secure_fargate.pack import Finding
    from secure_fargate.pack.scan import render

    forged = Finding(
        "ECS.20", "live:eu-west-1", "arn:aws:ecs:task-definition/app\x1b[2K\rOK", "app", "runs as root", "error"
    )
    text = render([forged], "text")
    assert "\x1b" not in text and "\r" not in text and "\\x1b" in text
    assert text.count("\n") == 1  # the finding and the count line
