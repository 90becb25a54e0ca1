"""Helpers several test modules share (a test module never imports another test module): template
normalisation and cfn-lint for the snapshot and lint tests, and hook requests shaped as the Hooks user guide shows
them, with the CLI's verdict to compare against."""

from __future__ import annotations

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
    from cfnlint.api import ManualArgs, lint

    config = ManualArgs(regions=["us-east-1"], ignore_checks=IGNORED_CFN_LINT_CHECKS)
    matches = lint(json.dumps(template), config=config)
    return [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches]


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


#: ASFF constraints the Security Hub API reference gives beyond the service model botocore validates (types,
#: required members): non-blank strings, lengths, timestamp and Types shapes, the ProductArn of a custom integration.
_ASFF_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})")
_ASFF_TYPE_NAMESPACES = ("Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
                         "Sensitive Data Identifications")  # fmt: skip
_ASFF_LIMITS = {"Id": 512, "GeneratorId": 512, "Title": 256, "Description": 1024}


def asff_problems(findings: list[dict[str, Any]]) -> list[str]:
    """What Security Hub would refuse in a BatchImportFindings ``Findings`` list: the service model (botocore's own
    parameter validation of the request), then the documented patterns and limits. Empty when importable."""
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    report = ParamValidator().validate({"Findings": findings}, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    if not 1 <= len(findings) <= 100:
        problems.append(f"{len(findings)} findings: BatchImportFindings takes 1 to 100 per call")
    for index, finding in enumerate(findings):
        problems += [f"{index}: {p}" for p in _asff_finding_problems(finding)]
    return problems


def _asff_finding_problems(finding: dict[str, Any]) -> list[str]:
    problems = [f"{key} blank" for key, value in _asff_strings(finding) if not value.strip()]
    problems += [f"{k} longer than {n}" for k, n in _ASFF_LIMITS.items() if len(str(finding.get(k, ""))) > n]
    if len(finding["Remediation"]["Recommendation"]["Text"]) > 512:
        problems.append("Remediation.Recommendation.Text longer than 512")
    if not re.fullmatch(r"\d{12}", finding["AwsAccountId"]):
        problems.append(f"AwsAccountId {finding['AwsAccountId']!r}")
    account, region = finding["AwsAccountId"], finding["Resources"][0].get("Region")
    if finding["ProductArn"] != f"arn:aws:securityhub:{region}:{account}:product/{account}/default":
        problems.append(f"ProductArn {finding['ProductArn']!r}")
    problems += [f"{k} {finding[k]!r}" for k in ("CreatedAt", "UpdatedAt") if not _ASFF_TIMESTAMP.fullmatch(finding[k])]
    problems += [
        f"Types {kind!r}: namespace/category/classifier"
        for kind in finding["Types"]
        if len(kind.split("/")) > 3 or not kind.startswith(_ASFF_TYPE_NAMESPACES)
    ]
    if finding["Severity"].get("Label") not in ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"):
        problems.append(f"Severity.Label {finding['Severity']!r}")
    if len(finding.get("ProductFields", {})) > 50:
        problems.append("more than 50 ProductFields")
    problems += [f"ProductFields key {k!r} longer than 128" for k in finding.get("ProductFields", {}) if len(k) > 128]
    if not 1 <= len(finding["Resources"]) <= 32:
        problems.append("Resources: 1 to 32")
    return problems


def _asff_strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _asff_strings(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _asff_strings(v, f"{path}[{i}]")]
    return [(path, value)] if isinstance(value, str) else []
