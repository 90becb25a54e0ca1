"""Issue 21 ("Integrity, round three"): the routes found in the third attacker's pass, one test each, by class.

Every route must be reported (or refused with exit 2 and one line); every near miss beside it must pass, since a
false positive costs as much trust as a miss. Classes: 1 partly known values, 2 links across templates, 3 what
cannot be judged, 4 secrets beyond Environment, 5 IAM by what a policy allows, 6 acknowledgement reasons,
7 network egress, 8 hostile input.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_fargate.pack import Template, evaluate_set
from secure_fargate.pack.cli import main
from secure_fargate.pack.containers import _SECRET_VALUE_SHAPES, secret_value_problem
from tests.controls.casebook import baseline, c0, task

Mutation = Callable[[dict[str, Any]], None]


def _body(mutate: Mutation) -> dict[str, Any]:
    body = copy.deepcopy(baseline())
    mutate(body)
    return body


def open_controls(body: dict[str, Any], *others: dict[str, Any]) -> set[str]:
    templates = [Template(body, "main")] + [Template(o, f"other{i}") for i, o in enumerate(others)]
    return {f.control for f in evaluate_set(templates) if not f.acknowledged}


def _write(tmp_path: Path, name: str, body: dict[str, Any] | str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ class 8: hostile input


@pytest.mark.parametrize(("kind", "pattern"), _SECRET_VALUE_SHAPES, ids=[k for k, _ in _SECRET_VALUE_SHAPES])
def test_secret_value_shapes_have_no_open_ended_run_that_can_backtrack(kind: str, pattern: Any) -> None:
    # Linear time by construction (bench/hostile_bench.py measures it): no "{n,}" or "+"/"*" that may give back.
    text = pattern.pattern
    for greedy in ("}", "+", "*"):
        for position in [i for i, ch in enumerate(text) if ch == greedy]:
            if greedy == "}" and "," not in text[text.rfind("{", 0, position) : position]:
                continue  # a bounded count {n}
            if text[position - 1] == "\\":
                continue  # an escaped character
            following = text[position + 1 : position + 2]
            assert following in ("+", "?") or greedy != "}", f"{kind}: open-ended count at {position} in {text}"


@pytest.mark.parametrize(
    "value",
    [
        "postgres://app:hunter2@db.internal:5432/app",
        "AKIAIOSFODNN7EXAMPLE",
        "-----BEGIN RSA PRIVATE KEY-----",
        "ghp_" + "a" * 36,
        "glpat-" + "a" * 20,
        "xoxb-" + "1" * 10,
        "sk-" + "a" * 32,
        "sk_live_" + "a" * 16,
        "eyJhbGciOiJI.eyJzdWIiOiIx.abcdefgh",
        "Bearer abcdefghijklmnop",
        "https://hooks.slack.com/services/T000/B000/XXXX",
    ],
)
def test_linear_secret_shapes_still_recognise_secrets(value: str) -> None:
    assert secret_value_problem(value)


@pytest.mark.parametrize("value", ["https://example.com/a:b", "sk-short", "eyJhbGciOiJI", "bearer of news", "a" * 5000])
def test_linear_secret_shapes_near_misses_pass(value: str) -> None:
    assert secret_value_problem(value) is None


def test_check_dir_reads_a_privileged_yaml_template(tmp_path: Path) -> None:
    # GIVEN a directory holding a CDK template and a hand-written YAML template with a privileged container
    _write(tmp_path, "App.template.json", baseline())
    legacy = "Resources:\n  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n"
    legacy += "        - Name: app\n          Image: nginx\n          Privileged: true\n"
    _write(tmp_path, "legacy.yaml", legacy)
    # THEN check DIR judges it
    assert main(["check", str(tmp_path)]) == 1


def test_check_dir_refuses_a_yaml_template_that_does_not_parse(tmp_path: Path, capsys: Any) -> None:
    _write(tmp_path, "App.template.json", baseline())
    _write(tmp_path, "legacy.yml", "Resources:\n  Task: [unclosed\n")
    assert main(["check", str(tmp_path)]) == 2
    assert "legacy.yml" in capsys.readouterr().err


def test_check_dir_near_miss_skips_yaml_that_is_not_a_template_and_asset_contents(tmp_path: Path) -> None:
    _write(tmp_path, "App.template.json", baseline())
    _write(tmp_path, "docker-compose.yml", "services:\n  app:\n    image: nginx\n    privileged: true\n")
    _write(tmp_path, "asset.abc123/template.yaml", "Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n")
    _write(tmp_path, "manifest.json", {"version": "36.0.0", "artifacts": {}})
    _write(tmp_path, "tree.json", {"tree": {"id": "App", "children": {"Resources": {}}}})
    assert main(["check", str(tmp_path)]) == 0


@pytest.mark.parametrize(("memory", "cpu"), [("1.2.3 GB", "256"), ("512", ". vCPU"), ("lots", "256")])
def test_malformed_task_size_is_a_finding(memory: str, cpu: str) -> None:
    body = _body(lambda t: task(t).update(Memory=memory, Cpu=cpu))
    assert "SF.TASK_SIZE" in open_controls(body)


# ---------------------------------------------------------------------- class 3: what cannot be judged


@pytest.mark.parametrize(
    ("name", "mutate", "says"),
    [
        ("macro", lambda t: t.update(Transform="AcmeMacro"), "transform 'AcmeMacro'"),
        ("serverless", lambda t: t.update(Transform=["AWS::Serverless-2016-10-31"]), "AWS::Serverless"),
        (
            "include",
            lambda t: c0(t).update({"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/x"}}}),
            "AWS::Include",
        ),
        (
            "for-each-over-parameter",
            lambda t: t.update(
                Transform="AWS::LanguageExtensions",
                Parameters={"Names": {"Type": "CommaDelimitedList"}},
                Resources={
                    **t["Resources"],
                    "Fn::ForEach::Tasks": ["N", {"Ref": "Names"}, {"T${N}": {"Type": "AWS::SNS::Topic"}}],
                },
            ),
            "known only at deploy time",
        ),
        (
            "for-each-without-extensions",
            lambda t: t["Resources"].update({"Fn::ForEach::X": ["N", ["a"], {"T${N}": {"Type": "AWS::SNS::Topic"}}]}),
            "needs Transform: AWS::LanguageExtensions",
        ),
    ],
)
def test_macros_and_unexpandable_loops_exit_2_with_one_clear_line(
    tmp_path: Path, capsys: Any, name: str, mutate: Mutation, says: str
) -> None:
    path = _write(tmp_path, f"{name}.json", _body(mutate))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and "has no Type" not in err


def test_for_each_is_expanded_and_each_resource_judged(tmp_path: Path) -> None:
    body = _body(lambda t: t.update(Transform="AWS::LanguageExtensions"))
    fragment = {"Task&{Name}": copy.deepcopy(body["Resources"]["Task"])}
    fragment["Task&{Name}"]["Properties"]["ContainerDefinitions"][0]["User"] = {"Ref": "Name"}
    body["Resources"]["Fn::ForEach::Tasks"] = ["Name", ["1000", "0"], fragment]
    path = _write(tmp_path, "foreach.json", body)
    assert main(["check", str(path), "--format", "json", "-o", str(tmp_path / "out.json")]) == 1
    findings = json.loads((tmp_path / "out.json").read_text())
    assert {(f["resource"], f["control"]) for f in findings if f["control"] == "ECS.20"} == {("Task0", "ECS.20")}


def test_for_each_near_miss_compliant_loop_passes(tmp_path: Path) -> None:
    body = _body(lambda t: t.update(Transform="AWS::LanguageExtensions"))
    fragment = {"Task${Name}": copy.deepcopy(body["Resources"]["Task"])}
    body["Resources"]["Fn::ForEach::Tasks"] = ["Name", ["A", "B"], fragment]
    assert main(["check", str(_write(tmp_path, "foreach.json", body))]) == 0


# ---------------------------------------------------------------------- class 1: partly known values

PARAMS = {"Gid": {"Type": "String"}, "Idx": {"Type": "String"}, "Tag": {"Type": "String"}}


def _with_params(mutate: Mutation, **extra: Any) -> Mutation:
    def apply(t: dict[str, Any]) -> None:
        t["Parameters"] = {**PARAMS, **extra}
        mutate(t)

    return apply


REPORTED: list[tuple[str, str, Mutation]] = [
    (
        "ECS.20",
        "user-join-literal-0-and-parameter",
        lambda t: c0(t).update(User={"Fn::Join": [":", ["0", {"Ref": "Gid"}]]}),
    ),
    ("ECS.20", "user-sub-literal-0-and-pseudo", lambda t: c0(t).update(User={"Fn::Sub": "0:${AWS::AccountId}"})),
    (
        "ECS.20",
        "user-select-unknown-index-over-literals",
        lambda t: c0(t).update(User={"Fn::Select": [{"Ref": "Idx"}, ["1000", "0"]]}),
    ),
    (
        "ECS.20",
        "user-parameter-default",
        lambda t: t["Parameters"].update(U={"Type": "String", "Default": "root"}) or c0(t).update(User={"Ref": "U"}),
    ),
    (
        "ECS.20",
        "user-sub-parameter-default",
        lambda t: (
            t["Parameters"].update(U={"Type": "Number", "Default": 0}) or c0(t).update(User={"Fn::Sub": "${U}:1000"})
        ),
    ),
    (
        "SF.IMAGE",
        "image-sub-ecr-latest",
        lambda t: c0(t).update(Image={"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/app:latest"}),
    ),
    (
        "SF.IMAGE",
        "image-sub-uri-latest",
        lambda t: c0(t).update(Image={"Fn::Sub": "${Repository.RepositoryUri}:latest"}),
    ),
    ("SF.IMAGE", "image-registry-parameter-untagged", lambda t: c0(t).update(Image={"Fn::Sub": "${Tag}/app"})),
    (
        "SF.IMAGE",
        "image-tag-parameter-default-latest",
        lambda t: (
            t["Parameters"].update(T={"Type": "String", "Default": "latest"})
            or c0(t).update(Image={"Fn::Sub": "nginx:${T}"})
        ),
    ),
    (
        "ECS.4",
        "privileged-parameter-default",
        lambda t: (
            t["Parameters"].update(P={"Type": "String", "Default": "true"}) or c0(t).update(Privileged={"Ref": "P"})
        ),
    ),
    (
        "SF.INGRESS",
        "ingress-cidr-parameter-default",
        lambda t: (
            t["Parameters"].update(C={"Type": "String", "Default": "0.0.0.0/0"})
            or t["Resources"]["Sg"]["Properties"].update(
                SecurityGroupIngress=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": {"Ref": "C"}}]
            )
        ),
    ),
    (
        "SF.INGRESS",
        "ingress-cidr-select-unknown-index",
        lambda t: t["Resources"]["Sg"]["Properties"].update(
            SecurityGroupIngress=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIp": {"Fn::Select": [{"Ref": "Idx"}, ["10.0.0.0/8", "0.0.0.0/0"]]},
                }
            ]
        ),
    ),
]

PASSING: list[tuple[str, str, Mutation]] = [
    (
        "ECS.20",
        "user-join-literal-1000-and-parameter",
        lambda t: c0(t).update(User={"Fn::Join": [":", ["1000", {"Ref": "Gid"}]]}),
    ),
    ("ECS.20", "user-wholly-parameter", lambda t: c0(t).update(User={"Ref": "Gid"})),
    ("ECS.20", "user-parameter-prefix", lambda t: c0(t).update(User={"Fn::Sub": "${Gid}0"})),
    (
        "ECS.20",
        "user-select-unknown-index-all-nonroot",
        lambda t: c0(t).update(User={"Fn::Select": [{"Ref": "Idx"}, ["1000", "1001"]]}),
    ),
    (
        "ECS.20",
        "user-parameter-default-nonroot",
        lambda t: t["Parameters"].update(U={"Type": "String", "Default": "1000"}) or c0(t).update(User={"Ref": "U"}),
    ),
    (
        "ECS.20",
        "user-ssm-parameter-default-is-a-name",
        lambda t: (
            t["Parameters"].update(U={"Type": "AWS::SSM::Parameter::Value<String>", "Default": "root"})
            or c0(t).update(User={"Ref": "U"})
        ),
    ),
    (
        "SF.IMAGE",
        "image-sub-tag-parameter",
        lambda t: c0(t).update(Image={"Fn::Sub": "${Repository.RepositoryUri}:${Tag}"}),
    ),
    (
        "SF.IMAGE",
        "image-sub-digest",
        lambda t: c0(t).update(Image={"Fn::Sub": "${Repository.RepositoryUri}@sha256:" + "a" * 64}),
    ),
    ("SF.IMAGE", "image-wholly-parameter", lambda t: c0(t).update(Image={"Ref": "Tag"})),
    ("SF.IMAGE", "image-parameter-suffix", lambda t: c0(t).update(Image={"Fn::Sub": "nginx${Tag}"})),
    (
        "SF.IMAGE",
        "image-sub-fixed-tag",
        lambda t: c0(t).update(Image={"Fn::Sub": "${Repository.RepositoryUri}:1.27.0"}),
    ),
    (
        "SF.INGRESS",
        "ingress-cidr-select-unknown-index-private",
        lambda t: t["Resources"]["Sg"]["Properties"].update(
            SecurityGroupIngress=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIp": {"Fn::Select": [{"Ref": "Idx"}, ["10.0.0.0/8", "192.168.0.0/16"]]},
                }
            ]
        ),
    ),
]


@pytest.mark.parametrize(("control", "route", "mutate"), REPORTED, ids=[f"{c}-{r}" for c, r, _ in REPORTED])
def test_partly_known_value_is_judged(control: str, route: str, mutate: Mutation) -> None:
    assert control in open_controls(_body(_with_params(mutate)))


@pytest.mark.parametrize(("control", "route", "mutate"), PASSING, ids=[f"{c}-{r}" for c, r, _ in PASSING])
def test_partly_known_near_miss_passes(control: str, route: str, mutate: Mutation) -> None:
    assert control not in open_controls(_body(_with_params(mutate)))


OPEN_443 = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]


def _service_groups(groups: Any) -> Mutation:
    def apply(t: dict[str, Any]) -> None:
        t["Resources"]["Sg"]["Properties"]["SecurityGroupIngress"] = OPEN_443
        config = t["Resources"]["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        config["SecurityGroups"] = groups

    return apply


def test_security_groups_in_a_split_list_are_judged() -> None:
    joined = {"Fn::Join": [",", [{"Fn::GetAtt": ["Sg", "GroupId"]}, "sg-0123456789abcdef0"]]}
    assert "SF.INGRESS" in open_controls(_body(_service_groups({"Fn::Split": [",", joined]})))


def test_managed_policy_arns_in_a_split_list_are_judged() -> None:
    arns = {"Fn::Split": [",", "arn:aws:iam::aws:policy/ReadOnlyAccess,arn:aws:iam::aws:policy/AdministratorAccess"]}
    body = _body(lambda t: t["Resources"]["TaskRole"]["Properties"].update(ManagedPolicyArns=arns))
    assert "SF.TASK_ROLE" in open_controls(body)


def test_managed_policy_arns_split_near_miss_passes() -> None:
    arns = {"Fn::Split": [",", {"Fn::Join": [",", ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"]]}]}
    body = _body(lambda t: t["Resources"]["TaskRole"]["Properties"].update(ManagedPolicyArns=arns))
    assert "SF.TASK_ROLE" not in open_controls(body)


# ---------------------------------------------------------------------- class 4: secrets beyond Environment

SECRET_REF = "{{resolve:secretsmanager:prod/db:SecretString:password}}"
FIRELENS = {"LogDriver": "awsfirelens", "Options": {"Name": "datadog", "Host": "http-intake.logs.datadoghq.com"}}


def _log_options(**options: Any) -> Mutation:
    return lambda t: c0(t).update(LogConfiguration={"LogDriver": "awsfirelens", "Options": options})


SECRETS_REPORTED: list[tuple[str, str, Mutation]] = [
    (
        "ECS.8",
        "dynamic-reference-in-environment",
        lambda t: c0(t)["Environment"].append({"Name": "DB", "Value": SECRET_REF}),
    ),
    ("ECS.8", "dynamic-reference-in-command", lambda t: c0(t).update(Command=["app", "--db", SECRET_REF])),
    (
        "ECS.8",
        "dynamic-reference-ssm-secure-in-sub",
        lambda t: c0(t).update(EntryPoint=[{"Fn::Sub": "app --key={{resolve:ssm-secure:/app/key:1}}"}]),
    ),
    ("ECS.8", "dynamic-reference-in-label", lambda t: c0(t).update(DockerLabels={"db": SECRET_REF})),
    (
        "ECS.8",
        "datadog-apikey-in-firelens-options",
        _log_options(Name="datadog", apikey="0123456789abcdef0123456789abcdef"),
    ),
    (
        "ECS.8",
        "splunk-token-in-log-options",
        lambda t: c0(t).update(
            LogConfiguration={
                "LogDriver": "splunk",
                "Options": {
                    "splunk-url": "https://splunk:8088",
                    "splunk-token": "00000000-1111-2222-3333-444444444444",
                },
            }
        ),
    ),
    (
        "ECS.8",
        "credential-shaped-log-option",
        _log_options(Name="http", Header="Authorization Bearer abcdefghijklmnopqrstu"),
    ),
    ("ECS.8", "secret-looking-label", lambda t: c0(t).update(DockerLabels={"com.example.api-key": "k-123456"})),
    ("ECS.8", "credential-shaped-label", lambda t: c0(t).update(DockerLabels={"note": "AKIAIOSFODNN7EXAMPLE"})),
    (
        "ECS.8",
        "secret-from-template-made-ssm-parameter",
        lambda t: (
            t["Resources"].update(
                DbPass={"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "hunter2-prod"}}
            )
            or c0(t).update(Secrets=[{"Name": "DB_PASSWORD", "ValueFrom": {"Ref": "DbPass"}}])
        ),
    ),
    (
        "ECS.8",
        "secret-from-template-made-ssm-parameter-arn-sub",
        lambda t: (
            t["Resources"].update(
                DbPass={"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "hunter2-prod"}}
            )
            or c0(t).update(
                Secrets=[
                    {
                        "Name": "DB_PASSWORD",
                        "ValueFrom": {
                            "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${DbPass}"
                        },
                    }
                ]
            )
        ),
    ),
    ("ECS.9", "firelens-null-output", _log_options(Name="null")),
    ("ECS.9", "firelens-counter-output", _log_options(Name="Counter")),
]

SECRETS_PASSING: list[tuple[str, str, Mutation]] = [
    (
        "ECS.8",
        "dynamic-reference-ssm-plain",
        lambda t: c0(t)["Environment"].append({"Name": "STAGE", "Value": "{{resolve:ssm:/app/stage}}"}),
    ),
    (
        "ECS.8",
        "firelens-datadog-apikey-from-secret-options",
        lambda t: c0(t).update(
            LogConfiguration={
                **FIRELENS,
                "SecretOptions": [{"Name": "apikey", "ValueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:dd"}],
            }
        ),
    ),
    (
        "ECS.8",
        "log-options-that-name-no-secret",
        _log_options(Name="cloudwatch_logs", region="eu-west-1", log_group_name="/app", auto_create_group="true"),
    ),
    (
        "ECS.8",
        "splunk-url-only",
        lambda t: c0(t).update(
            LogConfiguration={
                "LogDriver": "splunk",
                "Options": {"splunk-url": "https://splunk:8088", "splunk-token-file": "/run/token"},
            }
        ),
    ),
    (
        "ECS.8",
        "labels-that-name-no-secret",
        lambda t: c0(t).update(
            DockerLabels={
                "com.datadoghq.tags.env": "prod",
                "secure-fargate.security-agent": "false",
                "org.opencontainers.image.revision": "abc123",
            }
        ),
    ),
    (
        "ECS.8",
        "secret-from-secrets-manager",
        lambda t: c0(t).update(Secrets=[{"Name": "DB_PASSWORD", "ValueFrom": {"Ref": "Secret"}}]),
    ),
    (
        "ECS.8",
        "label-deploy-time-value-non-secret-key",
        lambda t: c0(t).update(DockerLabels={"build-id": {"Ref": "Gid"}, "api-key": ""}),
    ),
    ("ECS.9", "firelens-datadog-output", lambda t: c0(t).update(LogConfiguration=FIRELENS)),
    ("ECS.9", "firelens-without-options", lambda t: c0(t).update(LogConfiguration={"LogDriver": "awsfirelens"})),
]


@pytest.mark.parametrize(
    ("control", "route", "mutate"), SECRETS_REPORTED, ids=[f"{c}-{r}" for c, r, _ in SECRETS_REPORTED]
)
def test_secret_beyond_environment_is_reported(control: str, route: str, mutate: Mutation) -> None:
    assert control in open_controls(_body(_with_params(mutate)))


@pytest.mark.parametrize(
    ("control", "route", "mutate"), SECRETS_PASSING, ids=[f"{c}-{r}" for c, r, _ in SECRETS_PASSING]
)
def test_secret_beyond_environment_near_miss_passes(control: str, route: str, mutate: Mutation) -> None:
    assert control not in open_controls(_body(_with_params(mutate)))


def _env_file_app(tmp_path: Path, content: str) -> Path:
    digest = "ab" * 32
    body = baseline()
    c0(body)["EnvironmentFiles"] = [
        {
            "Type": "s3",
            "Value": {
                "Fn::Join": [
                    "",
                    ["arn:aws:s3:::", {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}"}, f"/{digest}.env"],
                ]
            },
        }
    ]
    out = tmp_path / "cdk.out"
    _write(out, "App.template.json", body)
    _write(out, f"asset.{digest}.env", content)
    return out


def test_secret_in_an_environment_file_asset_is_reported(tmp_path: Path) -> None:
    out = _env_file_app(tmp_path, "# app settings\nSTAGE=prod\nDB_PASSWORD=hunter2-prod\n")
    assert main(["check", str(out)]) == 1


def test_environment_file_asset_near_miss_passes(tmp_path: Path) -> None:
    out = _env_file_app(tmp_path, "STAGE=prod\nDB_PASSWORD_FILE=/run/secrets/db\nLOG_LEVEL=info\n")
    assert main(["check", str(out)]) == 0


# ---------------------------------------------------------------------- class 6: acknowledgement reasons

WRITABLE_ROOT: Mutation = lambda t: c0(t).update(ReadonlyRootFilesystem=False)  # noqa: E731


def _ack(reason: str, **subject: Any) -> Mutation:
    def apply(t: dict[str, Any]) -> None:
        WRITABLE_ROOT(t)
        entry = {"control": "ECS.5", "reason": reason, **subject}
        t["Resources"]["Task"]["Metadata"] = {"secure-fargate": {"acknowledgements": [entry]}}

    return apply


@pytest.mark.parametrize(
    "reason",
    [
        "\u2800" * 12,  # blank Braille pattern
        "\u3164" * 12,  # Hangul filler
        "\u115f\u1160" * 6,  # Hangul choseong/jungseong fillers
        "\uffa0" * 12,  # half-width Hangul filler
        "a" + "\u0301" * 12,  # one letter and combining marks
        "ok" + "\u0300\u0301\u0302" * 5 + "\u2800" * 10,
        "\u3000" * 12,  # ideographic space (NFKC: a space)
        "ab\u200b" * 3 + "\u2800" * 8,
    ],
)
def test_blank_or_marks_only_reason_does_not_acknowledge(reason: str) -> None:
    assert "ECS.5" in open_controls(_body(_ack(reason, container="app")))


@pytest.mark.parametrize(
    "reason",
    ["vendor image writes /opt; RISK-12", "ベンダーのイメージが/optに書き込む RISK-12", "café déjà vu RISK-12"],
)
def test_reason_near_miss_real_text_acknowledges(reason: str) -> None:
    assert "ECS.5" not in open_controls(_body(_ack(reason, container="app")))


@pytest.mark.parametrize(
    "name",
    [{"Ref": "Gid"}, {"Fn::Sub": "${AWS::StackName}-app"}, {"Fn::Join": ["-", [{"Ref": "AWS::Region"}, "app"]]}],
)
def test_resource_level_acknowledgement_does_not_cover_a_computed_container_name(name: Any) -> None:
    def mutate(t: dict[str, Any]) -> None:
        _ack("vendor image writes /opt; RISK-12")(t)
        c0(t)["Name"] = name

    assert "ECS.5" in open_controls(_body(_with_params(mutate)))


# ---------------------------------------------------------------------- class 5: IAM by what a policy allows


def _exec_statement(action: str, resource: Any) -> Mutation:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return lambda t: t["Resources"]["ExecPolicy"]["Properties"]["PolicyDocument"]["Statement"].append(statement)


def _task_statement(action: Any, resource: Any = "*") -> Mutation:
    def apply(t: dict[str, Any]) -> None:
        t["Resources"]["TaskPolicy"] = {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "Roles": [{"Ref": "TaskRole"}],
                "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]},
            },
        }

    return apply


def _trust(role: str, principal: Any) -> Mutation:
    def apply(t: dict[str, Any]) -> None:
        statements = [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"},
        ]
        t["Resources"][role]["Properties"]["AssumeRolePolicyDocument"] = {"Statement": statements}

    return apply


SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:"
IAM_REPORTED: list[tuple[str, str, Mutation]] = [
    ("SF.EXECUTION_ROLE", "secret-star-glued", _exec_statement("secretsmanager:GetSecretValue", SECRET_ARN[:-1] + "*")),
    (
        "SF.EXECUTION_ROLE",
        "secret-any-name-any-suffix",
        _exec_statement("secretsmanager:GetSecretValue", SECRET_ARN + "*-??????"),
    ),
    (
        "SF.EXECUTION_ROLE",
        "parameter-star-glued",
        _exec_statement("ssm:GetParameters", "arn:aws:ssm:eu-west-1:1:parameter*"),
    ),
    (
        "SF.TASK_ROLE",
        "attach-role-policy",
        _task_statement("iam:AttachRolePolicy", {"Fn::GetAtt": ["TaskRole", "Arn"]}),
    ),
    ("SF.TASK_ROLE", "put-star", _task_statement("iam:Put*")),
    ("SF.TASK_ROLE", "update-assume-role-policy", _task_statement(["s3:GetObject", "iam:UpdateAssumeRolePolicy"])),
    (
        "SF.TASK_ROLE",
        "pass-role-any-named",
        _task_statement("iam:PassRole", "arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role"),
    ),
    ("SF.TASK_ROLE", "trust-star", _trust("TaskRole", "*")),
    ("SF.TASK_ROLE", "trust-other-account", _trust("TaskRole", {"AWS": "arn:aws:iam::210987654321:root"})),
    ("SF.EXECUTION_ROLE", "execution-trust-aws-star", _trust("ExecRole", {"AWS": ["*"]})),
]
IAM_PASSING: list[tuple[str, str, Mutation]] = [
    (
        "SF.EXECUTION_ROLE",
        "secret-one-name",
        _exec_statement("secretsmanager:GetSecretValue", SECRET_ARN + "db-??????"),
    ),
    (
        "SF.EXECUTION_ROLE",
        "parameter-path",
        _exec_statement("ssm:GetParameters", "arn:aws:ssm:eu-west-1:1:parameter/app/*"),
    ),
    (
        "SF.EXECUTION_ROLE",
        "log-group-streams",
        _exec_statement("logs:PutLogEvents", "arn:aws:logs:eu-west-1:1:log-group:/ecs/app:*"),
    ),
    ("SF.TASK_ROLE", "iam-reads", _task_statement(["iam:GetRole", "iam:ListRoles", "iam:SimulatePrincipalPolicy"])),
    ("SF.TASK_ROLE", "sts-identity", _task_statement("sts:GetCallerIdentity")),
    ("SF.TASK_ROLE", "trust-ecs-tasks-only", _trust("TaskRole", {"Service": "ecs-tasks.amazonaws.com"})),
]


@pytest.mark.parametrize(("control", "route", "mutate"), IAM_REPORTED, ids=[f"{c}-{r}" for c, r, _ in IAM_REPORTED])
def test_iam_by_what_it_allows_is_reported(control: str, route: str, mutate: Mutation) -> None:
    assert control in open_controls(_body(mutate))


@pytest.mark.parametrize(("control", "route", "mutate"), IAM_PASSING, ids=[f"{c}-{r}" for c, r, _ in IAM_PASSING])
def test_iam_near_miss_passes(control: str, route: str, mutate: Mutation) -> None:
    assert control not in open_controls(_body(mutate))


# ---------------------------------------------------------------------- class 2: links across templates

NESTED_FILE = "ParentNested1234ABCD.nested.template.json"


def _stack(parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://s3.example/nested.json", "Parameters": parameters},
        "Metadata": {"aws:asset:path": NESTED_FILE, "aws:asset:property": "TemplateURL"},
    }


def _findings(*named: tuple[str, dict[str, Any]]) -> set[tuple[str, str]]:
    templates = [Template(body, name) for name, body in named]
    return {(Path(f.template).name, f.control) for f in evaluate_set(templates) if not f.acknowledged}


def test_nested_stack_parameter_carrying_a_risky_value_is_judged_in_the_child() -> None:
    child = _body(
        lambda t: t.update(Parameters={"AppUser": {"Type": "String"}}) or c0(t).update(User={"Ref": "AppUser"})
    )
    parent = {"Resources": {"Nested": _stack({"AppUser": "0"})}}
    assert (NESTED_FILE, "ECS.20") in _findings(("Parent.template.json", parent), (NESTED_FILE, child))


def test_nested_stack_parameter_near_miss_passes() -> None:
    child = _body(
        lambda t: t.update(Parameters={"AppUser": {"Type": "String"}}) or c0(t).update(User={"Ref": "AppUser"})
    )
    parent = {"Resources": {"Nested": _stack({"AppUser": "1000:1000"})}}
    assert (NESTED_FILE, "ECS.20") not in _findings(("Parent.template.json", parent), (NESTED_FILE, child))


def test_parent_widening_a_nested_services_security_group_is_found() -> None:
    # GIVEN the parent owns the group, passes it to the nested service, and opens it to the internet
    def child_mutate(t: dict[str, Any]) -> None:
        t["Parameters"] = {"GroupId": {"Type": "String"}}
        del t["Resources"]["Sg"]
        config = t["Resources"]["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        config["SecurityGroups"] = [{"Ref": "GroupId"}]

    parent = {
        "Resources": {
            "Sg": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "svc", "SecurityGroupEgress": []},
            },
            "Open": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]},
                    "IpProtocol": "tcp",
                    "FromPort": 8080,
                    "ToPort": 8080,
                    "CidrIp": "0.0.0.0/0",
                },
            },
            "Nested": _stack({"GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]}}),
        }
    }
    assert (NESTED_FILE, "SF.INGRESS") in _findings(
        ("Parent.template.json", parent), (NESTED_FILE, _body(child_mutate))
    )


def test_nested_stack_output_widening_a_role_is_found() -> None:
    # GIVEN the nested stack outputs the task role's ARN and the parent attaches AdministratorAccess to it
    child = _body(lambda t: t.update(Outputs={"TaskRoleArn": {"Value": {"Fn::GetAtt": ["TaskRole", "Arn"]}}}))
    role_name = {
        "Fn::Select": [
            1,
            {
                "Fn::Split": [
                    "/",
                    {"Fn::Select": [5, {"Fn::Split": [":", {"Fn::GetAtt": ["Nested", "Outputs.TaskRoleArn"]}]}]},
                ]
            },
        ]
    }
    parent = {
        "Resources": {
            "Nested": _stack({}),
            "Widen": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": [role_name],
                    "PolicyName": "w",
                    "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                },
            },
        }
    }
    assert (NESTED_FILE, "SF.TASK_ROLE") in _findings(("Parent.template.json", parent), (NESTED_FILE, child))


def _exporter(value: str) -> dict[str, Any]:
    return {"Resources": {}, "Outputs": {"U": {"Value": value, "Export": {"Name": "app-user"}}}}


@pytest.mark.parametrize("order", ["safe-first", "risky-first"])
def test_one_export_name_in_two_regions_does_not_depend_on_file_order(order: str) -> None:
    body = _body(lambda t: c0(t).update(User={"Fn::ImportValue": "app-user"}))
    exporters = [("eu.template.json", _exporter("1000")), ("us.template.json", _exporter("0"))]
    if order == "risky-first":
        exporters.reverse()
    assert ("main", "ECS.20") in _findings(("main", body), *exporters)


# The hook judges a stack with the stacks it imports from (read-only CloudFormation calls, faked here).


def _hook(body: dict[str, Any], exporters: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    from secure_fargate.pack.hook_handler import handle
    from tests.helpers import stack_request

    def fetch(url: str) -> bytes:
        return json.dumps({"template": json.dumps(body)}).encode()

    def read(names: list[str]) -> list[tuple[str, str]]:
        return [(name, json.dumps(t)) for name, t in (exporters or {}).items()]

    return handle(stack_request(), fetch, read if exporters is not None else None)


def _role_exporter() -> dict[str, Any]:
    body = baseline()
    body["Outputs"] = {"Role": {"Value": {"Ref": "TaskRole"}, "Export": {"Name": "app-task-role"}}}
    return body


WIDENING_STACK = {
    "Resources": {
        "Widen": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "w",
                "Roles": [{"Fn::ImportValue": "app-task-role"}],
                "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
            },
        }
    }
}


def test_hook_judges_a_stack_that_widens_an_exported_role_with_the_exporter() -> None:
    response = _hook(WIDENING_STACK, {"app": _role_exporter()})
    assert response["hookStatus"] == "FAILED" and "SF.TASK_ROLE" in response["message"]


def test_hook_near_miss_a_stack_importing_without_widening_passes() -> None:
    harmless = copy.deepcopy(WIDENING_STACK)
    statement = harmless["Resources"]["Widen"]["Properties"]["PolicyDocument"]["Statement"][0]
    statement.update(Action="s3:GetObject", Resource="arn:aws:s3:::uploads/*")
    assert _hook(harmless, {"app": _role_exporter()})["hookStatus"] == "SUCCESS"


def test_hook_does_not_blame_this_stack_for_the_exporters_own_findings() -> None:
    exporter = _role_exporter()
    c0(exporter).update(User="0")  # the exporter's own finding: judged when it deploys, not here
    harmless = {
        "Resources": {
            "T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::ImportValue": "app-task-role"}}}
        }
    }
    assert _hook(harmless, {"app": exporter})["hookStatus"] == "SUCCESS"


def test_hook_says_when_it_could_not_read_the_exporters() -> None:
    from secure_fargate.pack.hook_handler import handle
    from tests.helpers import stack_request

    def fetch(url: str) -> bytes:
        return json.dumps({"template": json.dumps(WIDENING_STACK)}).encode()

    def denied(names: list[str]) -> list[tuple[str, str]]:
        raise PermissionError("AccessDenied")

    response = handle(stack_request(), fetch, denied)
    assert "judged alone" in response["message"]


# check and scan share one model of AWS-managed policies (scan names them by ARN, as a template does).

ECS_TRUST = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}
ROLE_ARN = "arn:aws:iam::123456789012:role/app-task"


def _check_side(policy_arn: str) -> dict[str, Any]:
    def mutate(t: dict[str, Any]) -> None:
        t["Resources"]["TaskRole"]["Properties"].update(RoleName="app-task", ManagedPolicyArns=[policy_arn])

    return _body(mutate)


def _scan_side(policy_arn: str, live_document: dict[str, Any]) -> dict[str, Any]:
    from secure_fargate.pack.scan import role_resources

    role = {"Arn": ROLE_ARN, "RoleName": "app-task", "Path": "/", "AssumeRolePolicyDocument": ECS_TRUST}

    def mutate(t: dict[str, Any]) -> None:
        del t["Resources"]["TaskRole"]
        t["Resources"].update(role_resources(role, [], [(policy_arn, live_document)]))
        task(t)["TaskRoleArn"] = ROLE_ARN

    return _body(mutate)


@pytest.mark.parametrize(
    ("name", "live"),
    [
        ("AmazonEC2ContainerRegistryReadOnly", {"Action": ["ecr:BatchGetImage", "ecr:GetAuthorizationToken"]}),
        ("AmazonSSMFullAccess", {"Action": ["ssm:*"]}),
        ("AmazonS3FullAccess", {"Action": ["s3:*"]}),
        ("AWSXRayDaemonWriteAccess", {"Action": ["xray:PutTraceSegments"]}),
    ],
)
def test_check_and_scan_judge_an_aws_managed_policy_alike(name: str, live: dict[str, Any]) -> None:
    arn = f"arn:aws:iam::aws:policy/{name}"
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", **live}]}
    iam_controls = {"SF.TASK_ROLE", "SF.SECRETS", "SF.EXECUTION_ROLE"}
    assert open_controls(_check_side(arn)) & iam_controls == open_controls(_scan_side(arn, document)) & iam_controls
