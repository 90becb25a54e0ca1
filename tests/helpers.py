"""Helpers several test modules share (a test module never imports another test module): template
normalisation and cfn-lint for the snapshot and lint tests, and hook requests shaped as the Hooks user guide shows
them, with the CLI's verdict to compare against."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secure_fargate.pack import cli
from secure_fargate.pack.hook_handler import handle

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}(?=\.(zip|json|tar)\b)")


def normalize(template: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True)))
    body.get("Resources", {}).pop("CDKMetadata", None)
    body.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    for resource in body.get("Resources", {}).values():
        metadata = resource.get("Metadata", {})
        metadata.pop("aws:cdk:path", None)
        if not metadata:
            resource.pop("Metadata", None)
    return body


#: cfn-lint checks not applied, each with its reason.
#: W3005 (a DependsOn already implied by a Ref): CDK makes an ECS service depend on the listener construct that
#: forwards to its target group, and the target group is a child of that listener; a state machine depends on its
#: role. The ordering is harmless, and the alternatives are worse: rewriting DependsOn drops dependencies (the
#: listener rule a routed service needs, or ones a user adds), and moving target groups out of the listener
#: would replace them in every deployed stack.
IGNORED_CFN_LINT_CHECKS = ["W3005"]


def cfn_lint(template: dict[str, Any]) -> list[str]:
    """cfn-lint's problems with ``template`` (``W``arnings and ``E``rrors), each once per session: the session's
    reference template is linted by two modules, and a lint of it costs seconds."""
    return list(_cfn_lint(json.dumps(template)))


@functools.lru_cache(maxsize=32)
def _cfn_lint(text: str) -> tuple[str, ...]:
    from cfnlint.api import ManualArgs, lint

    config = ManualArgs(regions=["us-east-1"], ignore_checks=IGNORED_CFN_LINT_CHECKS)
    return tuple(f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in lint(text, config=config))


URL = "https://hooks-payload.s3.us-west-2.amazonaws.com/payload.json?X-Amz-Signature=abc"
TOKEN = "f8da6d11-b23f-48f4-814c-0fb6a667f50e"


def stack_request(*, target: str = "STACK", point: str = "UPDATE_PRE_PROVISION", **data: Any) -> dict[str, Any]:
    """A request as in the guide's "Example Lambda Hook stack change input"."""
    request_data = {"targetName": target, "targetType": target, "targetLogicalId": "my-stack", "payload": URL}
    request_data.update(data)
    return {
        "clientRequestToken": TOKEN,
        "awsAccountId": "123456789012",
        "stackId": "arn:aws:cloudformation:us-west-2:123456789012:stack/my-stack/1a2345b6-0000-00a0-a123-00abc0abc000",
        "changeSetId": None,
        "hookTypeName": "SecureFargate::Guardrails::Hook",
        "hookTypeVersion": "00000001",
        "hookModel": {"LambdaFunction": "arn:aws:lambda:us-west-2:123456789012:function:hook"},
        "actionInvocationPoint": point,
        "requestData": request_data,
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


def serving(template: Any, previous: Any = "") -> Callable[[str], bytes]:
    """A fetch that serves the guide's payload object ``{template, previousTemplate}`` for URL only."""
    text = template if isinstance(template, str) else json.dumps(template)

    def fetch(url: str) -> bytes:
        assert url == URL
        return json.dumps({"template": text, "previousTemplate": previous}).encode()

    return fetch


def answer(template: Any, **request: Any) -> dict[str, Any]:
    return handle(stack_request(**request), serving(template))


def cli_verdict(body: dict[str, Any], tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    template, report = tmp_path / "t.template.json", tmp_path / "report.json"
    template.write_text(json.dumps(body))
    code = cli.main(["check", str(template), "--format", "json", "-o", str(report)])
    return code, json.loads(report.read_text())
