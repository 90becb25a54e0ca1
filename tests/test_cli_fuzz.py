"""CLI fuzzing (issue 12, class 11): whatever the file holds, `secure-fargate check` exits 0, 1 or 2, prints at
most one error line and never a traceback. In process, so hypothesis can run many cases quickly; a few cases in a
subprocess prove the console entry point behaves the same."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secure_fargate.pack.cli import main

pytestmark = pytest.mark.slow

HOSTILE = st.sampled_from(
    [
        "\x1b[31m",
        "\r",
        "\x00",
        "\u202e",
        "\u200b",
        "0",
        "+0",
        "root",
        "ENABLED",
        "nginx:latest",
        "${AWS::Region}",
        "${!x}",
        "1e999",
        "1.2.3 GB",
        ". vCPU",
        "-----BEGIN PRIVATE KEY-----",
        "postgres://u:p@h",
        "/usr",
        "none",
        "true",
    ]
)
INTRINSIC_KEYS = st.sampled_from(
    ["Ref", "Fn::If", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Base64", "Fn::GetAtt", "Condition"]
)
PROPERTY_KEYS = st.sampled_from(
    [
        "User",
        "Image",
        "Privileged",
        "Memory",
        "MemoryReservation",
        "Cpu",
        "Environment",
        "Command",
        "EntryPoint",
        "LinuxParameters",
        "Capabilities",
        "Add",
        "Drop",
        "MountPoints",
        "ContainerPath",
        "ReadOnly",
        "LogConfiguration",
        "LogDriver",
        "Options",
        "DockerLabels",
        "Volumes",
        "Host",
        "SourcePath",
        "Name",
        "Value",
        "EnableExecuteCommand",
        "NetworkConfiguration",
        "SecurityGroupIngress",
        "CidrIp",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    HOSTILE,
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(PROPERTY_KEYS, st.text(max_size=8)), children, max_size=4),
        st.builds(lambda k, v: {k: v}, INTRINSIC_KEYS, children),
    ),
    max_leaves=30,
)
TYPES = st.sampled_from(
    [
        "AWS::ECS::TaskDefinition",
        "AWS::ECS::Service",
        "AWS::ECS::Cluster",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
    ]
)


def _container() -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(PROPERTY_KEYS, VALUES, max_size=8)


RESOURCE = st.fixed_dictionaries(
    {"Type": TYPES},
    optional={
        "Properties": st.one_of(
            st.fixed_dictionaries({"ContainerDefinitions": st.lists(_container(), max_size=3)}, optional={}),
            st.dictionaries(PROPERTY_KEYS, VALUES, max_size=6),
        ),
        "Metadata": VALUES,
    },
)
TEMPLATES = st.one_of(
    st.fixed_dictionaries({"Resources": st.dictionaries(st.text(min_size=1, max_size=10), RESOURCE, max_size=4)}),
    VALUES,
)


def _run(path: Path, capsys: pytest.CaptureFixture[str], output_format: str) -> None:
    try:
        code = main(["check", "--format", output_format, str(path)])
    except SystemExit as exit_:  # argparse only
        code = exit_.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    assert err.count("\n") <= 1


FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(body=TEMPLATES, output_format=st.sampled_from(["text", "json", "sarif"]))
def test_random_json_templates_keep_the_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: Any, output_format: str
) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    _run(path, capsys, output_format)


@FUZZ
@given(
    text=st.lists(st.sampled_from([*"ab:-[]{}&*!?|>'\"\n #.0", "  ", "\t", "!Ref ", "!If ", "&x ", "*x"])).map("".join)
)
def test_random_yaml_text_keeps_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n" + text, encoding="utf-8")
    _run(path, capsys, "text")


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_keep_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(data)
    _run(path, capsys, "json")


@pytest.mark.parametrize(
    "text",
    [
        '{"Resources": {"X": {"Type": "T", "Properties": {"A": ' + "[" * 5000 + "]" * 5000 + "}}}}",
        "Resources:\n" + "".join(f"{' ' * i}a{i}:\n" for i in range(300)),
        '{"Resources": {"T": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Memory": 1e999}}}}',
    ],
)
def test_console_entry_point_exits_2_without_traceback(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "t.json"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "secure_fargate", "check", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
