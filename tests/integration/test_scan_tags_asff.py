"""Issue 24 on a moto server (loopback only, an account of this module's own): ``secure-fargate:ack:<ID>`` resource
tags acknowledge live findings in ``scan`` (task definitions, services, clusters, ECR repositories), invariants and
bad tags do not; and ``scan --format asff`` writes findings BatchImportFindings accepts, updated in place on a
second import rather than duplicated.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from secure_fargate.pack import cli
from secure_fargate.pack.engine import Finding
from secure_fargate.pack.scan import scan_account
from tests.helpers import asff_problems
from tests.integration._cli import REGION, aws_environment, moto_server

pytestmark = pytest.mark.slow

DIGEST = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/app@sha256:" + "a" * 64
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip
REASON = "vendor image writes to /var/cache: replacement planned in Q3 RISK-9"
TEAM = {"key": "team", "value": "payments"}


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's own account: scan reads the whole region."""
    with moto_server() as url, pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            patch.delenv(key)
        for key, value in aws_environment(url, tmp_path_factory).items():
            if key.startswith(("AWS_", "HTTP", "NO_PROXY")):
                patch.setenv(key, value)
        yield url


def session() -> Any:
    return boto3.session.Session(region_name=REGION)


@dataclass(frozen=True)
class Tagged:
    acknowledged_task: str  # ECS.5 on app acknowledged by tag; ECS.4 (privileged, an invariant) tagged too
    expired_task: str
    blank_task: str
    plain_task: str  # the same weaknesses, no acknowledgement tag
    service: str
    cluster: str
    repository: str


def _container(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "app", "image": DIGEST, "memory": 256, "memoryReservation": 128, "user": "1000:1000",
        "readonlyRootFilesystem": False, "privileged": False, "essential": True,
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/app", "awslogs-region": REGION}},
    }  # fmt: skip
    return {**values, **overrides}


def _task(ecs: Any, iam: Any, family: str, tags: list[dict[str, str]], **overrides: Any) -> str:
    roles = [
        iam.create_role(RoleName=f"{family}-{kind}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        for kind in ("task", "exec")
    ]
    return str(
        ecs.register_task_definition(
            family=family, taskRoleArn=roles[0], executionRoleArn=roles[1], networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"], cpu="256", memory="512", tags=[TEAM, *tags],
            runtimePlatform={"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
            containerDefinitions=[_container(**overrides)],
        )["taskDefinition"]["taskDefinitionArn"]
    )  # fmt: skip


def _ack(key: str, value: str = REASON) -> dict[str, str]:
    return {"key": f"secure-fargate:ack:{key}", "value": value}


@pytest.fixture(scope="module")
def tagged(moto_url: str) -> Tagged:
    ecs, ec2, iam, ecr = (session().client(s) for s in ("ecs", "ec2", "iam", "ecr"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="svc", Description="svc", VpcId=vpc)["GroupId"]
    # ECS.12 (Container Insights) failing on the cluster, acknowledged by its tag
    cluster = ecs.create_cluster(clusterName="prod", tags=[TEAM, _ack("ECS.12")])["cluster"]["clusterArn"]
    acknowledged = _task(ecs, iam, "acked", [_ack("ECS.5:app"), _ack("ECS.4:app")], privileged=True)
    expired = _task(ecs, iam, "expired", [_ack("ECS.5:app", f"{REASON} expires=2020-01-31")])
    blank = _task(
        ecs,
        iam,
        "blank",
        [_ack("ECS.5:app", "\u200b \u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164 \u2800")],
    )
    plain = _task(ecs, iam, "plain", [])
    service = ecs.create_service(
        cluster=cluster, serviceName="web", taskDefinition=plain, desiredCount=1, launchType="FARGATE",
        platformVersion="LATEST", tags=[TEAM, _ack("ECS.2")], propagateTags="SERVICE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group],
                                                      "assignPublicIp": "ENABLED"}},
    )["service"]["serviceArn"]  # fmt: skip
    repository = ecr.create_repository(
        repositoryName="web", imageScanningConfiguration={"scanOnPush": False},
        tags=[{"Key": "secure-fargate:ack:ECR.1", "Value": REASON}],
    )["repository"]["repositoryArn"]  # fmt: skip
    return Tagged(acknowledged, expired, blank, plain, service, cluster, repository)


@pytest.fixture(scope="module")
def scanned(tagged: Tagged) -> tuple[list[Finding], int, list[str]]:
    return scan_account(session(), [REGION])


def _on(findings: list[Finding], arn: str, control: str) -> list[Finding]:
    return [f for f in findings if f.resource == arn and f.control == control]


def test_a_tagged_task_definitions_acknowledgeable_finding_is_acknowledged(tagged: Tagged, scanned: Any) -> None:
    findings, _, _ = scanned
    (finding,) = _on(findings, tagged.acknowledged_task, "ECS.5")
    assert (finding.container, finding.acknowledged) == ("app", REASON)
    # the same weakness without the tag stays open: the tag, not the scan, made the difference
    assert _on(findings, tagged.plain_task, "ECS.5")[0].is_open


def test_an_invariants_tag_is_ignored_with_a_warning(tagged: Tagged, scanned: Any) -> None:
    findings, code, warnings = scanned
    (privileged,) = _on(findings, tagged.acknowledged_task, "ECS.4")
    assert privileged.is_open and not privileged.acknowledgeable
    assert f"{tagged.acknowledged_task}: tag secure-fargate:ack:ECS.4:app: ignored: ECS.4 is an invariant" in "\n".join(
        warnings
    )
    assert code == 1


def test_a_blank_unicode_padded_reason_is_refused(tagged: Tagged, scanned: Any) -> None:
    findings, _, warnings = scanned
    assert _on(findings, tagged.blank_task, "ECS.5")[0].is_open
    assert any(
        w.startswith(f"{tagged.blank_task}: tag secure-fargate:ack:ECS.5:app: ignored: reason") for w in warnings
    )


def test_an_expired_tag_is_refused_and_named(tagged: Tagged, scanned: Any) -> None:
    findings, _, warnings = scanned
    (finding,) = _on(findings, tagged.expired_task, "ECS.5")
    assert finding.is_open and "expired on 2020-01-31" in finding.message
    assert f"{tagged.expired_task}: tag secure-fargate:ack:ECS.5:app: expired on 2020-01-31" in "\n".join(warnings)


def test_service_cluster_and_repository_tags_acknowledge_too(tagged: Tagged, scanned: Any) -> None:
    """ECS tags come with DescribeServices/DescribeClusters include=TAGS; ECR's with ListTagsForResource."""
    findings, _, _ = scanned
    for arn, control in ((tagged.service, "ECS.2"), (tagged.cluster, "ECS.12"), (tagged.repository, "ECR.1")):
        found = _on(findings, arn, control)
        assert found and all(f.acknowledged == REASON for f in found), (arn, control, found)


def test_no_tag_acknowledgements_turns_them_off(tagged: Tagged) -> None:
    findings, _, warnings = scan_account(session(), [REGION], tag_acknowledgements=False)
    assert _on(findings, tagged.acknowledged_task, "ECS.5")[0].is_open
    assert _on(findings, tagged.repository, "ECR.1")[0].is_open
    assert not [w for w in warnings if "secure-fargate:ack:" in w]


def test_asff_output_imports_into_security_hub_and_updates_in_place(
    tagged: Tagged, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # WHEN scan writes ASFF
    out = tmp_path / "findings.json"
    code = cli.main(["scan", "--format", "asff", "-o", str(out)])
    findings = json.loads(out.read_text())
    # THEN it is what BatchImportFindings takes, with acknowledged findings suppressed and open ones new
    assert code == 1 and findings
    assert asff_problems(findings[:100]) == []
    by_subject = {(f["Resources"][0]["Id"], f["GeneratorId"]): f for f in findings}
    assert by_subject[(tagged.acknowledged_task, "ECS.5")]["Workflow"]["Status"] == "SUPPRESSED"
    assert by_subject[(tagged.acknowledged_task, "ECS.4")]["Workflow"]["Status"] == "NEW"
    assert by_subject[(tagged.repository, "ECR.1")]["Resources"][0]["Type"] == "AwsEcrRepository"
    # AND importing two runs' findings (this one, then a second scan's) leaves one Security Hub finding per subject
    hub = session().client("securityhub")
    for run in range(2):
        if run:
            cli.main(["scan", "--format", "asff", "-o", str(out)])
        again = json.loads(out.read_text())
        for start in range(0, len(again), 100):
            answer = hub.batch_import_findings(Findings=again[start : start + 100])
            assert answer["FailedCount"] == 0, answer["FailedFindings"]
    stored = [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]
    assert sorted(f["Id"] for f in stored) == sorted(f["Id"] for f in findings)
    capsys.readouterr()
