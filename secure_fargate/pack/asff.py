"""AWS Security Finding Format (ASFF) output of ``secure-fargate scan`` (``--format asff``), for teams without the
AWS Config rule: ``aws securityhub batch-import-findings --findings file://findings.json`` (at most 100 a call).

One ASFF finding per finding, FAILED, for a live resource named by its ARN. The ``Id`` is derived from what the
finding is about (Region, resource, control, container, item), never from its message or the time, so importing the
next run's findings updates the same Security Hub findings instead of adding copies. Acknowledged or baselined
findings are ``Workflow.Status: SUPPRESSED`` (with the reason in ``ProductFields``); open ones ``NEW``.

``check`` has no ASFF output: a template's resources have no account, Region or ARN before they are deployed, and a
Security Hub finding needs all three.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from ._version import __version__
from .catalog import CONTROLS_BY_ID
from .control import FSBP, TAGGING, Control
from .engine import Finding
from .sarif import DOCS_BASE_URI
from .tag_acks import live_acceptance

SCHEMA_VERSION = "2018-10-08"
#: ``Types`` (namespace/category/classifier) by standard: Security Hub's own standards, then ours.
TYPES = {
    FSBP: "Software and Configuration Checks/Industry and Regulatory Standards/"
    "AWS-Foundational-Security-Best-Practices",
    TAGGING: "Software and Configuration Checks/AWS Security Best Practices/AWS Resource Tagging Standard",
}
DEFAULT_TYPE = "Software and Configuration Checks/AWS Security Best Practices/secure-fargate"
#: ASFF resource types by the ARN's service and resource kind; anything else is ``Other``.
RESOURCE_TYPES = {
    ("ecs", "task-definition"): "AwsEcsTaskDefinition",
    ("ecs", "service"): "AwsEcsService",
    ("ecs", "cluster"): "AwsEcsCluster",
    ("ecs", "task"): "AwsEcsTask",
    ("ecr", "repository"): "AwsEcrRepository",
    ("iam", "role"): "AwsIamRole",
    ("iam", "policy"): "AwsIamPolicy",
}
#: Length limits of the AwsSecurityFinding fields written here (Security Hub API reference).
LIMITS = {"Title": 256, "Description": 1024, "Text": 512, "ProductFieldValue": 2048, "Id": 512}


class AsffError(ValueError):
    """Findings that cannot be written as ASFF (no account to attribute them to)."""


def _arn_parts(resource: str) -> tuple[str, str, str, str, str] | None:
    """(partition, service, region, account, resource kind) of an ARN, or None."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    kind = parts[5].split("/", 1)[0]
    return parts[1], parts[2], parts[3], parts[4], kind


def resource_type(resource: str) -> str:
    """The ASFF resource type of a scanned resource's name (an ARN, or a security group ID)."""
    if resource.startswith("sg-"):
        return "AwsEc2SecurityGroup"
    parts = _arn_parts(resource)
    return RESOURCE_TYPES.get((parts[1], parts[4]), "Other") if parts else "Other"


def _region(finding: Finding) -> str:
    """The Region of a finding: its ARN's, else the ``live:<region>`` template's."""
    parts = _arn_parts(finding.resource)
    if parts and parts[2]:
        return parts[2]
    return finding.template.split(":", 1)[1] if finding.template.startswith("live:") else ""


def _account(finding: Finding) -> str | None:
    parts = _arn_parts(finding.resource)
    if parts and len(parts[3]) == 12 and parts[3].isdigit():
        return parts[3]
    tail = finding.resource.rsplit(":", 1)[-1]  # registry-scanning:<region>:<registry ID = account>
    return tail if finding.resource.startswith("registry-scanning:") and len(tail) == 12 and tail.isdigit() else None


def finding_id(finding: Finding, region: str) -> str:
    """A stable ``Id``: what the finding is about, hashed (a message or a date never changes it)."""
    subject = json.dumps([region, finding.resource, finding.control, finding.container, finding.item])
    return f"secure-fargate/{finding.control}/{hashlib.sha256(subject.encode()).hexdigest()[:40]}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _timestamp(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _product_fields(finding: Finding) -> dict[str, str]:
    fields = {
        "ProviderName": "secure-fargate",
        "ProviderVersion": __version__,
        "secure-fargate/ControlId": finding.control,
        "secure-fargate/Acknowledgeable": str(finding.acknowledgeable).lower(),
        "secure-fargate/Container": finding.container,
        "secure-fargate/Item": finding.item,
        "secure-fargate/Acknowledged": finding.acknowledged,
        "secure-fargate/Baselined": finding.baselined,
        "secure-fargate/Expires": finding.expires,
        "secure-fargate/Warning": finding.warning,
    }
    return {k: _clip(v, LIMITS["ProductFieldValue"]) for k, v in fields.items() if v and v.strip()}


def to_asff(finding: Finding, account: str, now: datetime, control: Control | None = None) -> dict[str, Any]:
    """One finding in ASFF. ``account`` is used when the resource's ARN names none (a security group ID)."""
    control = control or CONTROLS_BY_ID.get(finding.control)
    region = _region(finding)
    parts = _arn_parts(finding.resource)
    partition = parts[0] if parts else "aws"
    account = _account(finding) or account
    title = control.title if control else finding.control
    subject = f" (container {finding.container})" if finding.container else ""
    recommendation = (
        "; ".join(filter(None, (control.remediation, live_acceptance(control))))
        if control
        else "see the control's reference page"
    )
    stamp = _timestamp(now)
    standards = control.standards if control else ()
    resource: dict[str, Any] = {"Type": resource_type(finding.resource), "Id": finding.resource,
                                "Partition": partition, "Region": region}  # fmt: skip
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(finding, region),
        "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default",
        "GeneratorId": finding.control,
        "AwsAccountId": account,
        "Region": region,
        "Types": [next((TYPES[s] for s in standards if s in TYPES), DEFAULT_TYPE)],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": {"Label": finding.severity, "Original": finding.severity},
        "Title": _clip(f"{finding.control} {title}", LIMITS["Title"]),
        "Description": _clip(f"{finding.resource}{subject}: {finding.message}", LIMITS["Description"]),
        "Remediation": {
            "Recommendation": {
                "Text": _clip(recommendation, LIMITS["Text"]),
                "Url": DOCS_BASE_URI + quote(f"{finding.control}.md"),
            }
        },
        "ProductFields": _product_fields(finding),
        "Resources": [resource],
        "Compliance": {"Status": "FAILED"},
        "Workflow": {"Status": "NEW" if finding.is_open else "SUPPRESSED"},
        "RecordState": "ACTIVE",
    }


def report(
    findings: Sequence[Finding], now: datetime | None = None, controls: Mapping[str, Control] | None = None
) -> list[dict[str, Any]]:
    """The findings of one scan as a BatchImportFindings ``Findings`` list.

    Args:
        findings: the scan's findings (resources named by ARN; ``live:<region>`` templates).
        now: ``CreatedAt``/``UpdatedAt`` (default: now, UTC).
        controls: control ID -> control, for titles and remediation (default: the pack's; a team's own control
            not in it is titled by its ID).

    Raises:
        AsffError: a finding whose account cannot be told (no finding of the scan names an account by ARN).
    """
    now = now or datetime.now(timezone.utc)
    known = {**CONTROLS_BY_ID, **(controls or {})}
    accounts = Counter(a for a in map(_account, findings) if a)
    default = accounts.most_common(1)[0][0] if accounts else None
    if default is None and findings:
        raise AsffError(f"no account to attribute the findings to (resources: {findings[0].resource}, ...)")
    return [to_asff(f, default or "", now, known.get(f.control)) for f in findings]
