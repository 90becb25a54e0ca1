"""Rules on raw templates beyond the per-family cases (tests/controls/): predicates, unknowns, acknowledgements."""

from __future__ import annotations

from typing import Any

import pytest

from secure_fargate.pack import CONTROLS, Template, evaluate
from secure_fargate.pack.containers import ImagePin, image_pin, is_root_user, is_secret_looking_name
from tests.controls.casebook import all_cases, baseline, c0, task


def controls_found(body: dict[str, Any]) -> set[str]:
    return {f.control for f in evaluate(Template(body), CONTROLS) if not f.acknowledged}


def test_baseline_is_compliant_with_every_control() -> None:
    assert controls_found(baseline()) == set()


def test_every_control_has_a_failing_and_a_passing_case() -> None:
    cases = all_cases()
    assert {c.id for c in CONTROLS} == {c.control for c in cases if c.expect == "fail"}
    assert {c.id for c in CONTROLS} == {c.control for c in cases if c.expect == "pass"}


def test_labelled_non_essential_agent_may_add_sys_ptrace() -> None:
    body = baseline()
    c0(body).update(DockerLabels={"secure-fargate.security-agent": "true"}, Essential=False)
    c0(body)["LinuxParameters"]["Capabilities"]["Add"] = ["SYS_PTRACE"]
    assert controls_found(body) == set()


def test_container_findings_name_the_container() -> None:
    body = baseline()
    c0(body).update(Privileged=True)
    (finding,) = [f for f in evaluate(Template(body, name="t.json")) if f.control == "ECS.4"]
    assert (finding.template, finding.resource, finding.container) == ("t.json", "Task", "app")


@pytest.mark.parametrize(
    "value",
    [
        {"Ref": "ReadOnlyParam"},
        {"Fn::If": ["Cond", True, {"Ref": "Param"}]},
        {"Fn::FindInMap": ["M", "a", "b"]},
    ],
)
def test_unresolvable_values_are_never_guessed_to_be_violations(value: Any) -> None:
    body = baseline()
    c0(body)["ReadonlyRootFilesystem"] = value
    c0(body)["User"] = value
    task(body)["Cpu"] = value
    assert controls_found(body) == set()


@pytest.mark.parametrize("tail", [":1.27-alpine", "@sha256:" + "f" * 64, {"Ref": "Tag"}, "-suffix"])
def test_ecr_join_images_pinned_or_unknown_pass(tail: Any) -> None:
    body = baseline()
    c0(body)["Image"] = {"Fn::Join": ["", [{"Ref": "AWS::AccountId"}, ".dkr.ecr.", {"Ref": "Repo"}, tail]]}
    assert controls_found(body) == set()


def test_if_with_literal_branches_that_all_comply_passes() -> None:
    body = baseline()
    c0(body)["User"] = {"Fn::If": ["Cond", "1000", "app"]}
    assert controls_found(body) == set()


def test_acknowledgement_in_metadata_with_reason_is_honoured_and_without_reason_is_not() -> None:
    body = baseline()
    c0(body)["ReadonlyRootFilesystem"] = False
    c0(body)["Memory"] = 64  # below its reservation (128)
    body["Resources"]["Task"]["Metadata"] = {
        "secure-fargate": {
            "acknowledgements": [
                {"control": "ECS.5", "reason": "vendor image writes to /opt, RISK-12", "container": "app"},
                {"control": "SF.MEMORY", "reason": "", "container": "app"},
            ]
        }
    }
    found = {f.control: f for f in evaluate(Template(body))}
    assert found["ECS.5"].acknowledged == "vendor image writes to /opt, RISK-12"
    assert found["SF.MEMORY"].acknowledged is None


@pytest.mark.parametrize(
    ("user", "root"),
    [
        (None, True),
        ("", True),
        ("root", True),
        ("Root", True),
        ("0", True),
        ("00", True),
        ("0:0", True),
        (" 0 ", True),
        ("root:app", True),
        ("1000", False),
        ("1000:1000", False),
        ("app", False),
        ("101:0", False),
        ("nobody", False),
    ],
)
def test_is_root_user(user: str | None, root: bool) -> None:
    assert is_root_user(user) is root


@pytest.mark.parametrize(
    ("image", "pin"),
    [
        ("nginx", ImagePin.UNTAGGED),
        ("nginx:latest", ImagePin.LATEST),
        ("localhost:5000/app", ImagePin.UNTAGGED),
        ("localhost:5000/app:1.0", ImagePin.TAG),
        ("nginx:1.27", ImagePin.TAG),
        ("nginx@sha256:" + "0" * 64, ImagePin.DIGEST),
        ("nginx:1.27@sha256:" + "0" * 64, ImagePin.DIGEST),
        ("nginx@sha256:short", ImagePin.TAG),
    ],
)
def test_image_pin(image: str, pin: ImagePin) -> None:
    assert image_pin(image) is pin


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("password", True),
        ("API_KEY", True),
        ("apiKey", True),
        ("PRIVATE_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("GITHUB_TOKEN", True),
        ("CREDENTIALS", True),
        ("ECS_ENGINE_AUTH_DATA", True),
        ("client-secret", True),
        ("DB_PASSWORD_FILE", False),
        ("TOKENIZER_MODEL", False),
        ("APP_ENV", False),
        ("LOG_LEVEL", False),
        ("PWD", False),
        ("SECRETARY_NAME", False),
    ],
)
def test_is_secret_looking_name(name: str, secret: bool) -> None:
    assert is_secret_looking_name(name) is secret
