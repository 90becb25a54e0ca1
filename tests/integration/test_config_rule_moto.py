"""The AWS Config rule's handler against moto on loopback: the roles, task definitions and security groups it
reads are IAM's, ECS's and EC2's (moto's), the member role is assumed through STS, and the evaluations go to
Config's PutEvaluations.

moto's gaps, and where each path is tested instead: moto's PutEvaluations accepts only ``TestMode`` (it records
nothing and raises NotImplementedError otherwise), so the events here carry Config's test token ``TESTMODE`` and
the evaluations are read from the request as botocore sends it; moto's GetResourceConfigHistory and
ListDiscoveredResources know no ECS or ECR types, so oversized items and periodic runs are tested with the same
reader API answered from the template (tests/test_config_rule.py) and with botocore's Stubber on the real Config
client (test_the_config_reads_are_the_documented_calls below).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from secure_fargate.pack import config_rule as cr
from secure_fargate.pack.scan import SERVICE_FIELDS, TASK_DEFINITION_FIELDS, properties, scan_account
from tests.helpers import change_event, config_spelling
from tests.integration._cli import moto_server

REGION, ACCOUNT = "us-east-1", "123456789012"
DIGEST = "public.ecr.aws/example/app@sha256:" + "c" * 64
TRUST = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}
TAGS = [{"key": "team", "value": "payments"}]
MEMBER_ROLE = "SecureFargateConfigMember"


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    empty = tmp_path_factory.mktemp("aws")
    with moto_server() as url, pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            patch.delenv(key)
        for key, value in {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(empty / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty / "credentials"),
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
            "NO_PROXY": "localhost,127.0.0.1",
        }.items():
            patch.setenv(key, value)
        yield url


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
            "options": {"awslogs-group": "/app", "awslogs-region": REGION, "mode": "non-blocking"},
        },
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
    }
    values.update(overrides)
    return values


@dataclass(frozen=True)
class Account:
    cluster: str
    narrow_task: str
    wide_task: str
    closed_service: str
    public_service: str
    roles: dict[str, str]


def _role(iam: Any, name: str, statement: dict[str, Any]) -> str:
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=document)
    return arn


def _task(ecs: Any, family: str, task_role: str, execution_role: str) -> str:
    return str(
        ecs.register_task_definition(
            family=family,
            taskRoleArn=task_role,
            executionRoleArn=execution_role,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            runtimePlatform={"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
            tags=TAGS,
            containerDefinitions=[container()],
        )["taskDefinition"]["taskDefinitionArn"]
    )


@pytest.fixture(scope="module")
def account(moto_url: str) -> Account:
    session = boto3.session.Session(region_name=REGION)
    ecs, ec2, iam = (session.client(s) for s in ("ecs", "ec2", "iam"))
    pull = {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    roles = {
        "exec": _role(iam, "exec", pull),
        "narrow": _role(iam, "narrow", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
        "wide": _role(iam, "wide", {"Effect": "Allow", "Action": "*", "Resource": "*"}),
    }
    iam.create_role(RoleName=MEMBER_ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="svc", Description="service", VpcId=vpc)["GroupId"]
    everything = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=everything)
    https = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=https)
    insights = [{"name": "containerInsights", "value": "enabled"}]
    cluster = ecs.create_cluster(clusterName="prod", settings=insights, tags=TAGS)["cluster"]["clusterArn"]
    narrow = _task(ecs, "narrow", roles["narrow"], roles["exec"])

    def service(name: str, public: str) -> str:
        network = {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": public}
        return str(
            ecs.create_service(
                cluster=cluster, serviceName=name, taskDefinition=narrow, desiredCount=1, launchType="FARGATE",
                platformVersion="LATEST", tags=TAGS, propagateTags="SERVICE",
                networkConfiguration={"awsvpcConfiguration": network},
            )["service"]["serviceArn"]
        )  # fmt: skip

    return Account(
        cluster=cluster,
        narrow_task=narrow,
        wide_task=_task(ecs, "wide", roles["wide"], roles["exec"]),
        closed_service=service("closed", "DISABLED"),
        public_service=service("public", "ENABLED"),
        roles=roles,
    )


# ------------------------------------------------------------------- Config items of the live resources
def _item(resource_type: str, arn: str, configuration: dict[str, Any], tags: list[Any]) -> dict[str, Any]:
    return {
        "version": "1.3",
        "accountId": ACCOUNT,
        "configurationItemCaptureTime": "2026-12-01T10:00:00.000Z",
        "configurationItemStatus": "OK",
        "configurationStateId": "1764583200000",
        "ARN": arn,
        "resourceType": resource_type,
        "resourceId": arn,
        "resourceName": arn.rsplit("/", 1)[-1],
        "awsRegion": REGION,
        "tags": {t["key"]: t["value"] for t in tags},
        "relationships": [],
        "configuration": configuration,
    }


def task_definition_item(arn: str) -> dict[str, Any]:
    """The item Config records for a revision: its CloudFormation-like properties in Config's spelling."""
    answer = boto3.client("ecs").describe_task_definition(taskDefinition=arn, include=["TAGS"])
    definition = answer["taskDefinition"]
    configuration = config_spelling(properties(definition, TASK_DEFINITION_FIELDS))
    configuration.update(TaskDefinitionArn=arn, Status=definition["status"], Revision=definition["revision"])
    return _item("AWS::ECS::TaskDefinition", arn, configuration, answer.get("tags") or [])


def service_item(cluster: str, arn: str) -> dict[str, Any]:
    found = boto3.client("ecs").describe_services(cluster=cluster, services=[arn], include=["TAGS"])["services"][0]
    configuration = config_spelling({k: v for k, v in properties(found, SERVICE_FIELDS).items() if k != "Tags"})
    configuration.update(Cluster=found["clusterArn"], TaskDefinition=found["taskDefinition"], ServiceArn=arn)
    return _item("AWS::ECS::Service", arn, configuration, found.get("tags") or [])


# ------------------------------------------------------------------------------- watching what is called
class Calls:
    """Every AWS operation the handler's readers send, and the PutEvaluations requests as sent."""

    def __init__(self) -> None:
        self.operations: set[str] = set()
        self.put: list[dict[str, Any]] = []
        self.readers: list[cr.AwsReader] = []

    def record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.operations.add(f"{model.service_model.service_name}:{model.name}")
        if model.name == "PutEvaluations":
            self.put.append(params)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    watched = Calls()

    class Watched(cr.AwsReader):
        def __post_init__(self) -> None:
            self.session.events.register("before-parameter-build", watched.record)
            watched.readers.append(self)
            super().__post_init__()

    monkeypatch.setattr(cr, "AwsReader", Watched)
    return watched


def context(account: str = ACCOUNT) -> Any:
    return SimpleNamespace(invoked_function_arn=f"arn:aws:lambda:{REGION}:{account}:function:secure-fargate-config")


def put_evaluations(calls: Calls) -> list[dict[str, Any]]:
    assert calls.put, "nothing was put"
    assert all(request["TestMode"] and request["ResultToken"] == "TESTMODE" for request in calls.put)
    return [e for request in calls.put for e in request["Evaluations"]]


def failing(evaluation: dict[str, Any]) -> set[str]:
    head = evaluation["Annotation"].split(" | ")[0]
    return set(head.split("fails ", 1)[1].split(", ")) if "fails " in head else set()


# ------------------------------------------------------------------------------------------------ tests
def test_the_task_role_is_read_from_iam_and_its_policy_judged(account: Account, calls: Calls) -> None:
    for arn in (account.narrow_task, account.wide_task):
        cr.handler(change_event(task_definition_item(arn), token="TESTMODE"), context())
    narrow, wide = put_evaluations(calls)
    assert (narrow["ComplianceResourceId"], narrow["ComplianceType"]) == (account.narrow_task, "COMPLIANT")
    assert narrow["Annotation"] == "revision narrow:1: passes secure-fargate"
    assert (wide["ComplianceResourceId"], wide["ComplianceType"]) == (account.wide_task, "NON_COMPLIANT")
    assert {"iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy"} <= calls.operations


def test_the_config_verdict_is_scans_on_the_same_account(account: Account, calls: Calls) -> None:
    """Config and scan read one account and judge one model: the same controls fail on each resource."""
    findings, _, _ = scan_account(boto3.session.Session(region_name=REGION), [REGION])
    group = boto3.client("ecs").describe_services(cluster=account.cluster, services=[account.public_service])
    group_id = group["services"][0]["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"][0]
    subjects = {
        account.wide_task: {account.wide_task, account.roles["wide"], account.roles["exec"]},
        account.narrow_task: {account.narrow_task, account.roles["narrow"], account.roles["exec"]},
        account.public_service: {account.public_service, group_id},
        account.closed_service: {account.closed_service, group_id},
    }
    items = [task_definition_item(account.wide_task), task_definition_item(account.narrow_task)]
    items += [service_item(account.cluster, arn) for arn in (account.public_service, account.closed_service)]
    for item in items:
        cr.handler(change_event(item, token="TESTMODE"), context())
    for evaluation in put_evaluations(calls):
        arn = evaluation["ComplianceResourceId"]
        scanned = {f.control for f in findings if f.resource in subjects[arn] and not f.acknowledged}
        assert failing(evaluation) == scanned, arn
    assert failing(put_evaluations(calls)[2]) >= {"ECS.2"}


def test_a_service_reads_its_task_definition_and_security_groups(account: Account, calls: Calls) -> None:
    cr.handler(change_event(service_item(account.cluster, account.public_service), token="TESTMODE"), context())
    evaluation = put_evaluations(calls)[0]
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "ECS.2" in failing(evaluation)
    assert {"ecs:DescribeTaskDefinition", "ec2:DescribeSecurityGroups"} <= calls.operations


def test_a_deleted_item_is_put_as_not_applicable(account: Account, calls: Calls) -> None:
    item = {**task_definition_item(account.wide_task), "configurationItemStatus": "ResourceDeleted"}
    item["configuration"] = None
    summary = cr.handler(change_event(item, token="TESTMODE"), context())
    assert summary["evaluations"] == {"COMPLIANT": 0, "NON_COMPLIANT": 0, "NOT_APPLICABLE": 1}
    assert put_evaluations(calls)[0]["ComplianceType"] == "NOT_APPLICABLE"
    assert not any(op.startswith("iam:") for op in calls.operations)  # nothing read for a deleted item


def test_an_organisation_rule_assumes_the_member_role(
    account: Account, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The function runs in the delegated administrator account; the item is a member account's."""
    monkeypatch.setenv(cr.MEMBER_ROLE_VARIABLE, MEMBER_ROLE)
    cr.handler(change_event(task_definition_item(account.wide_task), token="TESTMODE"), context("210987654321"))
    identity = calls.readers[-1].session.client("sts").get_caller_identity()["Arn"]
    assert identity == f"arn:aws:sts::{ACCOUNT}:assumed-role/{MEMBER_ROLE}/{cr.SESSION_NAME}"
    assert put_evaluations(calls)[0]["ComplianceType"] == "NON_COMPLIANT"


def test_an_item_of_the_functions_own_account_assumes_nothing(
    account: Account, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cr.MEMBER_ROLE_VARIABLE, MEMBER_ROLE)
    cr.handler(change_event(task_definition_item(account.narrow_task), token="TESTMODE"), context())
    identity = calls.readers[-1].session.client("sts").get_caller_identity()["Arn"]
    assert "assumed-role" not in identity


def test_every_call_the_handler_makes_is_a_required_action(account: Account, calls: Calls) -> None:
    """REQUIRED_ACTIONS is what the member role grants: a call outside it would fail in a real account."""
    items = [task_definition_item(account.wide_task), service_item(account.cluster, account.public_service)]
    for item in items:
        cr.handler(change_event(item, token="TESTMODE"), context())
    assert calls.operations
    assert calls.operations <= set(cr.REQUIRED_ACTIONS), calls.operations - set(cr.REQUIRED_ACTIONS)


def test_the_config_reads_are_the_documented_calls(moto_url: str) -> None:
    """Oversized items and periodic runs, on the real Config client with botocore's Stubber: the requests are
    checked against Config's API model (moto knows no ECS items)."""
    reader = cr.AwsReader(boto3.session.Session(region_name=REGION))
    stub = Stubber(reader.config)
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/app:3"
    history = {"configurationItems": [{"resourceType": "AWS::ECS::TaskDefinition", "resourceId": arn, "arn": arn,
                                       "configuration": "{}", "tags": {"team": "a"}}]}  # fmt: skip
    stub.add_response(
        "list_discovered_resources",
        {"resourceIdentifiers": [{"resourceType": "AWS::ECS::TaskDefinition", "resourceId": arn}]},
        {"resourceType": "AWS::ECS::TaskDefinition"},
    )
    stub.add_response(
        "get_resource_config_history",
        history,
        {"resourceType": "AWS::ECS::TaskDefinition", "resourceId": arn, "limit": 1},
    )
    with stub:
        found = list(reader.items("AWS::ECS::TaskDefinition"))
    assert [i["arn"] for i in found] == [arn]
    assert found[0]["tags"] == {"team": "a"}
    stub.assert_no_pending_responses()


def test_a_periodic_page_reads_its_context_ahead_and_judging_reads_nothing_more(account: Account) -> None:
    """A periodic run prefetches each page's context concurrently (task definitions, security groups, roles):
    judging the page afterwards makes no AWS call, and gives what judging without the prefetch gives."""
    from concurrent.futures import ThreadPoolExecutor

    from secure_fargate.pack import CONTROLS
    from secure_fargate.pack.control import Severity

    items = [task_definition_item(account.wide_task), task_definition_item(account.narrow_task)]
    items += [service_item(account.cluster, arn) for arn in (account.public_service, account.closed_service)]
    calls: list[str] = []
    session = boto3.session.Session(region_name=REGION)
    session.events.register("before-parameter-build", lambda model, **_: calls.append(model.name))
    reader = cr.AwsReader(session)
    with ThreadPoolExecutor(max_workers=cr.READ_WORKERS) as pool:
        reader.prefetch(items, pool)
    read_ahead = len(calls)
    judged = [cr.Judge(CONTROLS, Severity.LOW, reader).evaluate(item) for item in items]
    assert read_ahead > 0 and len(calls) == read_ahead, calls[read_ahead:]
    fresh = cr.AwsReader(boto3.session.Session(region_name=REGION))
    assert judged == [cr.Judge(CONTROLS, Severity.LOW, fresh).evaluate(item) for item in items]
    assert [e.compliance for e in judged] == ["NON_COMPLIANT", "COMPLIANT", "NON_COMPLIANT", "COMPLIANT"]
