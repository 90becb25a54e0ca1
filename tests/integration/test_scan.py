"""``secure-fargate scan`` against a moto server on loopback: a hardened service and an insecure one, registered
with boto3 as any other tool would; the insecure one is reported with its controls, the hardened one is clean.

Nothing talks to a non-loopback address: every endpoint is the local moto server (AWS_ENDPOINT_URL), the
credentials are dummies, and proxies point at a closed loopback port.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from secure_fargate.pack import cli
from secure_fargate.pack.scan import READ_ONLY_ACTIONS, ScanError, Scanner, scan_account

pytestmark = pytest.mark.slow

REGION, OTHER_REGION = "us-east-1", "eu-west-1"
DIGEST = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LOOPBACK_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "localhost,127.0.0.1",
}


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    empty = tmp_path_factory.mktemp("aws")
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            patch.delenv(key)
        for key, value in {**LOOPBACK_ENV, "AWS_ENDPOINT_URL": url}.items():
            patch.setenv(key, value)
        patch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
        yield url
    server.stop()


def session(region: str = REGION) -> Any:
    return boto3.session.Session(region_name=region)


@dataclass(frozen=True)
class Account:
    cluster: str
    other_cluster: str
    hardened_service: str
    hardened_task: str
    insecure_service: str
    insecure_task: str
    insecure_family: str


def container(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "app",
        "image": DIGEST,
        "memory": 256,
        "memoryReservation": 128,
        "user": "1000:1000",
        "readonlyRootFilesystem": True,
        "privileged": False,
        "essential": True,
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/app", "awslogs-region": REGION, "mode": "non-blocking"},  # SF.LOG_MODE
        },
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


#: Security Hub ECS.13/14/15: services, clusters and task definitions carry at least one tag.
TAGS = [{"key": "team", "value": "payments"}]


def _role(iam: Any, name: str) -> str:
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])


def _roles(iam: Any, prefix: str, *, task_reads_secrets: bool) -> tuple[str, str]:
    task, execution = _role(iam, f"{prefix}-task"), _role(iam, f"{prefix}-exec")
    pull = {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [pull]})
    iam.put_role_policy(RoleName=f"{prefix}-exec", PolicyName="pull", PolicyDocument=document)
    if task_reads_secrets:  # an attached managed policy: the scanner must follow it
        read = {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}
        policy = iam.create_policy(
            PolicyName=f"{prefix}-read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [read]})
        )
        iam.attach_role_policy(RoleName=f"{prefix}-task", PolicyArn=policy["Policy"]["Arn"])
    return task, execution


def _service(ecs: Any, cluster: str, name: str, task: str, subnet: str, group: str) -> str:
    return str(
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=task,
            desiredCount=1,
            launchType="FARGATE",
            platformVersion="LATEST",
            tags=TAGS,
            propagateTags="SERVICE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}
            },
        )["service"]["serviceArn"]
    )


def _task(ecs: Any, family: str, roles: tuple[str, str], definition: dict[str, Any]) -> str:
    return str(
        ecs.register_task_definition(
            family=family,
            taskRoleArn=roles[0],
            executionRoleArn=roles[1],
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            runtimePlatform={"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
            tags=TAGS,
            containerDefinitions=[definition],
        )["taskDefinition"]["taskDefinitionArn"]
    )


@pytest.fixture(scope="module")
def account(moto_url: str) -> Account:
    ecs, ec2, iam = (session().client(s) for s in ("ecs", "ec2", "iam"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    closed = ec2.create_security_group(GroupName="closed", Description="no ingress", VpcId=vpc)["GroupId"]
    open_group = ec2.create_security_group(GroupName="open", Description="open", VpcId=vpc)["GroupId"]
    # Hardened egress: EC2's default allow-all rule replaced by HTTPS only (SF.EGRESS, issue 21).
    everything = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.revoke_security_group_egress(GroupId=closed, IpPermissions=everything)
    https = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.authorize_security_group_egress(GroupId=closed, IpPermissions=https)
    ec2.authorize_security_group_ingress(
        GroupId=open_group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    insights = [{"name": "containerInsights", "value": "enabled"}]
    cluster = ecs.create_cluster(clusterName="prod", settings=insights, tags=TAGS)["cluster"]["clusterArn"]
    other = ecs.create_cluster(clusterName="other", settings=insights, tags=TAGS)["cluster"]["clusterArn"]
    hardened_task = _task(ecs, "hardened", _roles(iam, "hardened", task_reads_secrets=False), container())
    insecure = container(user=None, readonlyRootFilesystem=None, image="nginx:latest")
    insecure_task = _task(ecs, "insecure", _roles(iam, "insecure", task_reads_secrets=True), insecure)
    _service(ecs, other, "elsewhere", insecure_task, subnet, closed)
    return Account(
        cluster=cluster,
        other_cluster=other,
        hardened_service=_service(ecs, cluster, "hardened", hardened_task, subnet, closed),
        hardened_task=hardened_task,
        insecure_service=_service(ecs, cluster, "insecure", insecure_task, subnet, open_group),
        insecure_task=insecure_task,
        insecure_family=insecure_task.rsplit(":", 1)[0],
    )


def controls_on(findings: list[Any], arn: str) -> set[str]:
    return {f.control for f in findings if f.resource == arn and not f.acknowledged}


@pytest.fixture(scope="module")
def scanned(account: Account) -> tuple[list[Any], int, list[str]]:
    return scan_account(session(), [REGION], clusters=["prod"])


def test_insecure_service_is_reported_with_its_controls(account: Account, scanned: Any) -> None:
    findings, code, _ = scanned
    assert {"ECS.5", "ECS.20", "SF.IMAGE", "SF.SECRETS"} <= controls_on(findings, account.insecure_task)
    assert "SF.INGRESS" in controls_on(findings, account.insecure_service)
    assert code == 1


def test_hardened_service_its_task_definition_and_cluster_are_clean(account: Account, scanned: Any) -> None:
    findings, _, warnings = scanned
    for arn in (account.hardened_service, account.hardened_task, account.cluster):
        assert controls_on(findings, arn) == set(), arn
    assert warnings == []


def test_cluster_filter_leaves_other_clusters_out(account: Account, scanned: Any) -> None:
    findings, _, _ = scanned
    assert not [f for f in findings if "/other/" in f.resource or f.resource == account.other_cluster]


def test_acknowledgements_file_accepts_a_finding_by_family_arn(account: Account, tmp_path: Path) -> None:
    acks = tmp_path / "ack.yaml"
    reason = "vendor image writes to /var/cache; replaced in Q3 (RISK-9)"
    acks.write_text(
        json.dumps(
            {
                "acknowledgements": [
                    {"arn": account.insecure_family, "control": "ECS.5", "reason": reason, "container": "app"}
                ]
            }
        )
    )
    report = tmp_path / "report.json"
    code = cli.main(
        ["scan", "--cluster", "prod", "--acknowledgements", str(acks), "--format", "json", "-o", str(report)]
    )
    found = [
        f for f in json.loads(report.read_text()) if f["control"] == "ECS.5" and f["resource"] == account.insecure_task
    ]
    assert [f["acknowledged"] for f in found] == [reason]
    assert code == 1  # the other findings remain


def test_acknowledgement_without_a_real_reason_is_a_usage_error(account: Account, tmp_path: Path) -> None:
    acks = tmp_path / "ack.json"
    acks.write_text(json.dumps([{"arn": account.insecure_task, "control": "ECS.5", "reason": "xxxxxxxxxxxx"}]))
    assert cli.main(["scan", "--acknowledgements", str(acks)]) == 2


def test_sarif_report_and_exit_code_as_check(account: Account, tmp_path: Path) -> None:
    report = tmp_path / "scan.sarif"
    assert cli.main(["scan", "--regions", REGION, "--cluster", "prod", "--format", "sarif", "-o", str(report)]) == 1
    results = json.loads(report.read_text())["runs"][0]["results"]
    assert {"ECS.20", "SF.IMAGE"} <= {r["ruleId"] for r in results}


def test_clean_selection_exits_zero(account: Account, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scan", "--regions", f"{REGION},{OTHER_REGION}", "--cluster", "nothing-here"]) == 0
    assert "0 finding(s)" in capsys.readouterr().out


def test_the_scanner_refuses_any_call_that_is_not_a_read(moto_url: str) -> None:
    ecs = Scanner(session()).client("ecs", REGION)
    with pytest.raises(ScanError, match="CreateCluster"):
        ecs.create_cluster(clusterName="written")


def test_docs_list_exactly_the_actions_the_scanner_may_call() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "enforcement.md").read_text(encoding="utf-8")
    section = page.split("<!-- scan-iam-actions -->")[1]
    listed = set(json.loads(section.split("```json")[1].split("```")[0])["Statement"][0]["Action"])
    assert listed == {f"{service}:{action}" for service, actions in READ_ONLY_ACTIONS.items() for action in actions}
