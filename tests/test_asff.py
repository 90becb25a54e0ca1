"""``scan --format asff`` (issue 24): findings Security Hub's BatchImportFindings accepts (validated against the
service model and the documented limits), with stable IDs, the right resource types, and acknowledged findings
SUPPRESSED rather than dropped."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from secure_fargate.pack import asff
from secure_fargate.pack.catalog import CONTROLS_BY_ID
from secure_fargate.pack.engine import Finding
from secure_fargate.pack.scan import render
from tests.helpers import asff_problems

NOW = datetime(2026, 12, 3, 23, 50, 1, 123000, tzinfo=timezone.utc)
TASK = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"
SERVICE = "arn:aws:ecs:eu-west-1:123456789012:service/prod/web"
REPO = "arn:aws:ecr:eu-west-1:123456789012:repository/web"


def _finding(control: str = "ECS.5", resource: str = TASK, **fields: object) -> Finding:
    base = Finding(control, "live:eu-west-1", resource, "app", "container app: root filesystem is writable",
                   CONTROLS_BY_ID[control].severity.value if control in CONTROLS_BY_ID else "LOW")  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def test_the_findings_are_importable() -> None:
    findings = [
        _finding(),
        _finding("ECS.2", SERVICE, container=None, message="public IP"),
        _finding("ECR.1", REPO, container=None, message="no scan on push"),
        _finding("SF.EGRESS", "sg-0123456789abcdef0", container=None, message="egress to 0.0.0.0/0"),
        _finding(
            "ECS.8", TASK, item="DB_PASSWORD", message="secret in plain text", acknowledged="rotated weekly, RISK-7"
        ),
    ]
    report = asff.report(findings, NOW)
    assert asff_problems(report) == []


def test_the_required_fields_and_their_values() -> None:
    # GIVEN one open ECS.5 finding on a task definition revision
    (found,) = asff.report([_finding()], NOW)
    # THEN every field the brief names carries what the finding says
    assert found["SchemaVersion"] == "2018-10-08"
    assert found["ProductArn"] == "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"
    assert (found["GeneratorId"], found["AwsAccountId"]) == ("ECS.5", "123456789012")
    assert found["Types"] == [
        "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"
    ]
    assert found["CreatedAt"] == found["UpdatedAt"] == "2026-12-03T23:50:01.123Z"
    assert found["Severity"]["Label"] == "HIGH"
    assert found["Title"] == "ECS.5 Containers have a read-only root filesystem"
    assert found["Description"] == f"{TASK} (container app): container app: root filesystem is writable"
    assert found["Remediation"]["Recommendation"]["Url"].endswith("/docs/controls/ECS.5.md")
    assert "secure-fargate:ack:ECS.5:<container>" in found["Remediation"]["Recommendation"]["Text"]
    assert found["Resources"] == [{"Type": "AwsEcsTaskDefinition", "Id": TASK, "Partition": "aws",
                                   "Region": "eu-west-1"}]  # fmt: skip
    assert (found["Compliance"], found["Workflow"], found["RecordState"]) == (
        {"Status": "FAILED"},
        {"Status": "NEW"},
        "ACTIVE",
    )
    assert found["ProductFields"]["secure-fargate/Container"] == "app"


def test_an_invariant_says_it_cannot_be_accepted() -> None:
    (found,) = asff.report([_finding("ECS.4", acknowledgeable=False)], NOW)
    assert "an invariant: it cannot be acknowledged" in found["Remediation"]["Recommendation"]["Text"]
    assert found["ProductFields"]["secure-fargate/Acknowledgeable"] == "false"


@pytest.mark.parametrize("cover", [{"acknowledged": "vendor image, RISK-9"}, {"baselined": "owner: team-a"}])
def test_an_acknowledged_or_baselined_finding_is_suppressed_not_dropped(cover: dict[str, str]) -> None:
    (found,) = asff.report([_finding(**cover)], NOW)  # type: ignore[arg-type]
    assert found["Workflow"] == {"Status": "SUPPRESSED"}
    assert found["Compliance"] == {"Status": "FAILED"}
    assert set(cover.values()) <= set(found["ProductFields"].values())


def test_the_id_is_stable_across_runs_messages_and_acknowledgement() -> None:
    first = asff.report([_finding()], NOW)[0]["Id"]
    later = asff.report([_finding(message="other words", acknowledged="accepted later, RISK-9")],
                        datetime(2027, 1, 1, tzinfo=timezone.utc))[0]["Id"]  # fmt: skip
    assert first == later
    assert len(first) <= 512


@pytest.mark.parametrize(
    "change",
    [{"container": "sidecar"}, {"item": "TOKEN"}, {"resource": TASK[:-1] + "8"}, {"control": "ECS.9"},
     {"template": "live:us-east-1", "resource": "sg-0123456789abcdef0"}],
)  # fmt: skip
def test_distinct_subjects_get_distinct_ids(change: dict[str, str]) -> None:
    findings = [_finding(), _finding(**change)]  # type: ignore[arg-type]
    ids = [f["Id"] for f in asff.report(findings, NOW)]
    assert len(set(ids)) == 2


@pytest.mark.parametrize(
    ("resource", "kind"),
    [
        (TASK, "AwsEcsTaskDefinition"),
        (SERVICE, "AwsEcsService"),
        ("arn:aws:ecs:eu-west-1:123456789012:cluster/prod", "AwsEcsCluster"),
        ("arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef", "AwsEcsTask"),
        ("arn:aws:ecs:eu-west-1:123456789012:task-set/prod/web/ecs-svc/123", "Other"),
        (REPO, "AwsEcrRepository"),
        ("arn:aws:iam::123456789012:role/app-task", "AwsIamRole"),
        ("sg-0123456789abcdef0", "AwsEc2SecurityGroup"),
        ("registry-scanning:eu-west-1:123456789012", "Other"),
    ],
)
def test_resource_types(resource: str, kind: str) -> None:
    assert asff.resource_type(resource) == kind


def test_the_account_of_an_arnless_resource_comes_from_the_scan() -> None:
    """A security group ID names no account: it takes the account the scan's ARNs name, in its template's Region."""
    findings = [_finding(), _finding("SF.EGRESS", "sg-0123456789abcdef0", container=None)]
    group = asff.report(findings, NOW)[1]
    assert (group["AwsAccountId"], group["Resources"][0]["Region"]) == ("123456789012", "eu-west-1")
    registry = asff.report([_finding("ECR.1", "registry-scanning:eu-west-1:210987654321", container=None)], NOW)[0]
    assert registry["AwsAccountId"] == "210987654321"


def test_no_account_at_all_is_an_error_not_a_made_up_one() -> None:
    with pytest.raises(asff.AsffError, match="no account to attribute the findings to"):
        asff.report([_finding("SF.EGRESS", "sg-0123456789abcdef0", container=None)], NOW)


def test_long_messages_are_clipped_to_the_limits() -> None:
    (found,) = asff.report([_finding(message="x" * 5000, acknowledged="y" * 5000)], NOW)
    assert len(found["Description"]) == 1024 and found["Description"].endswith("\u2026")
    assert asff_problems([found]) == []


def test_a_team_control_is_titled_by_its_id() -> None:
    (found,) = asff.report([_finding("ACME.1", severity="MEDIUM")], NOW)
    assert found["Title"].startswith("ACME.1") and found["Types"][0].endswith("/secure-fargate")
    assert asff_problems([found]) == []


def test_china_partition_arns_keep_their_partition() -> None:
    arn = "arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:7"
    (found,) = asff.report([_finding(resource=arn, template="live:cn-north-1")], NOW)
    assert found["ProductArn"] == "arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default"


def test_scan_renders_asff_as_a_json_list() -> None:
    text = render([_finding()], "asff")
    body = json.loads(text)
    assert isinstance(body, list) and body[0]["GeneratorId"] == "ECS.5"
    assert json.loads(render([], "asff")) == []


def test_the_validator_refuses_what_security_hub_refuses() -> None:
    """The shape check itself can fail: a finding without a Title, a local timestamp, a bad type, a blank value."""
    (found,) = asff.report([_finding()], NOW)
    broken = {k: v for k, v in found.items() if k != "Title"}
    broken.update(CreatedAt="2026-12-03 23:50", Types=["Config/Fargate/ECS/5"], Description=" ")
    problems = "\n".join(asff_problems([broken]))
    for expected in ("Title", "CreatedAt", "Types", "Description blank"):
        assert expected in problems
