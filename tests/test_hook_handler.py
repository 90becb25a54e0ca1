"""The CloudFormation hook's handler on request documents shaped as the Hooks user guide shows them.

GIVEN a stack (or change set) request whose presigned payload holds a template, WHEN the handler answers,
THEN it follows the guide's response contract and its verdict is the CLI's on the same template.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_fargate.pack.hook_handler import MESSAGE_LIMIT, MalformedRequest, fetch_payload, handle
from tests.controls.casebook import Case, all_cases, baseline, c0
from tests.helpers import TOKEN, answer, cli_verdict, serving, stack_request


def test_compliant_template_succeeds_and_echoes_the_token() -> None:
    response = answer(baseline())
    assert response["hookStatus"] == "SUCCESS"
    assert response["clientRequestToken"] == TOKEN
    assert "errorCode" not in response


def test_non_compliant_template_fails_as_non_compliant_naming_control_and_resource() -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    response = answer(body)
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "NonCompliant")
    assert "ECS.4 Task[app]" in response["message"]


def test_acknowledged_finding_passes_and_the_message_shows_the_reason() -> None:
    body = baseline()
    c0(body)["ReadonlyRootFilesystem"] = False
    reason = "legacy image writes to /var/cache, tracked in RISK-7"
    body["Resources"]["Task"]["Metadata"] = {
        "secure-fargate": {"acknowledgements": [{"control": "ECS.5", "reason": reason, "container": "app"}]}
    }
    response = answer(body)
    assert response["hookStatus"] == "SUCCESS"
    assert f"ECS.5 Task[app]: acknowledged: {reason}" in response["message"]


def test_change_set_requests_are_judged_on_their_template() -> None:
    body = baseline()
    c0(body)["User"] = "root"
    assert answer(body, target="CHANGE_SET")["errorCode"] == "NonCompliant"


def test_yaml_templates_are_read_like_the_cli_reads_them() -> None:
    yaml = pytest.importorskip("yaml")
    body = baseline()
    c0(body)["Image"] = "nginx:latest"
    assert "SF.IMAGE" in answer(yaml.safe_dump(body))["message"]


def test_deletion_succeeds_without_downloading_anything() -> None:
    def no_fetch(url: str) -> bytes:
        raise AssertionError("fetched on delete")

    response = handle(stack_request(point="DELETE_PRE_PROVISION"), no_fetch)
    assert response["hookStatus"] == "SUCCESS"


def test_guide_spelling_clientRequesttoken_is_echoed() -> None:
    request = stack_request()
    request["clientRequesttoken"] = request.pop("clientRequestToken")
    assert handle(request, serving(baseline()))["clientRequestToken"] == TOKEN


def _raise(error: Exception) -> Callable[[str], bytes]:
    def fetch(url: str) -> bytes:
        raise error

    return fetch


MALFORMED: list[tuple[str, Any, Callable[[str], bytes], str]] = [
    ("not-an-object", ["a", "list"], serving(baseline()), "not a JSON object"),
    ("no-token", {**stack_request(), "clientRequestToken": None}, serving(baseline()), "clientRequestToken"),
    ("no-request-data", {**stack_request(), "requestData": "x"}, serving(baseline()), "requestData"),
    ("resource-target", stack_request(target="AWS::ECS::TaskDefinition"), serving(baseline()), "targetType"),
    ("no-payload", stack_request(payload=None), serving(baseline()), "requestData.payload"),
    ("payload-not-json", stack_request(), lambda url: b"<html>", "payload is not JSON"),
    ("payload-not-object", stack_request(), lambda url: b"[1]", "not a JSON object with a template"),
    ("template-not-cfn", stack_request(), serving({"Foo": 1}), "not a CloudFormation template"),
    ("template-not-text", stack_request(), lambda url: b'{"template": 5}', "payload.template is not a string"),
    ("download-fails", stack_request(), _raise(OSError("connection reset")), "connection reset"),
    ("handler-bug", stack_request(), _raise(KeyError("boom")), "KeyError"),
]


@pytest.mark.parametrize(("case", "request_doc", "fetch", "says"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_requests_fail_as_internal_failure_with_a_clear_message(
    case: str, request_doc: Any, fetch: Callable[[str], bytes], says: str
) -> None:
    response = handle(request_doc, fetch)
    assert (response["hookStatus"], response["errorCode"]) == ("FAILED", "InternalFailure")
    assert says in response["message"]


def test_message_stays_within_cloudformations_limit_and_counts_what_it_cut() -> None:
    body = baseline()
    task = body["Resources"]["Task"]["Properties"]
    task["ContainerDefinitions"] = [dict(c0(body), Name=f"c{i:03d}", User="root") for i in range(200)]
    message = answer(body)["message"]
    assert len(message) <= MESSAGE_LIMIT
    assert message.endswith("more")


@pytest.mark.parametrize("url", ["http://bucket.s3.amazonaws.com/x", "https://evil.example.com/x.amazonaws.com"])
def test_payload_is_fetched_only_over_https_from_aws(url: str) -> None:
    with pytest.raises(MalformedRequest, match="payload"):
        fetch_payload(url)


# ------------------------------------------------------------------------------------- same verdict as the CLI
def assert_same_verdict(body: dict[str, Any], tmp_path: Path) -> None:
    code, findings = cli_verdict(body, tmp_path)
    response = answer(body)
    assert response["hookStatus"] == ("SUCCESS" if code == 0 else "FAILED")
    for f in findings:
        where = f["resource"] + (f"[{f['container']}]" if f["container"] else "")
        where += f"({f['item']})" if f["item"] else ""
        if not f["acknowledged"]:
            assert f"{f['control']} {where}: {f['message']}" in response["message"]


CASES = [Case("baseline", "compliant", "pass"), *all_cases()]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hook_verdict_equals_the_cli_verdict_on_each_rule_case(case: Case, tmp_path: Path) -> None:
    assert_same_verdict(case.body(), tmp_path)
