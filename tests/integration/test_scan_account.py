"""``secure-fargate scan`` sees the whole account (issue 20): task definitions no service runs, task sets of an
EXTERNAL-controller service, tasks started by ``RunTask`` (their overrides, roles and public IP), ECR repositories
and the registry's scanning configuration; anything unreadable is a warning, never an abort.

On a moto server on loopback, as ``test_scan.py``. Where moto 5.2.5 cannot model a shape (README, "What the
emulator does not check"):

- it cannot start an awsvpc task: ``RunTask`` fails with ``AttributeError: 'NetworkInterface' object has no
  attribute 'private_dns_name'`` (its ECS model reads an ENI attribute its EC2 model never sets). The fixture
  patches that one attribute (:func:`_moto_can_start_awsvpc_tasks`), in this process, where the server runs;
- it ignores ``assignPublicIp``: the test gives the task's ENI a public address with an Elastic IP association,
  which is what ``assignPublicIp: ENABLED`` amounts to for the scanner (``DescribeNetworkInterfaces`` shows
  ``Association.PublicIp``);
- ``ListTaskDefinitionFamilies`` ignores ``status`` (a family whose revisions are all inactive is still listed),
  so the test does not deregister.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from secure_fargate.pack import cli
from secure_fargate.pack.scan import scan_account
from tests.integration import test_scan
from tests.integration.test_scan import REGION, TAGS, _roles, _task, container, session

#: The moto server fixture of ``test_scan`` (module-scoped: this module gets a server of its own).
moto_url = test_scan.moto_url

pytestmark = pytest.mark.slow

INSIGHTS = [{"name": "containerInsights", "value": "enabled"}]
LIFECYCLE = json.dumps(
    {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                                 "countNumber": 50}, "action": {"type": "expire"}}]}
)  # fmt: skip
PUBLIC_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Sid": "everyone", "Effect": "Allow", "Principal": "*",
                                             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}
)  # fmt: skip


@dataclass(frozen=True)
class Whole:
    cluster: str
    external_service: str
    task_set: str
    standalone_task_definition: str
    job_task_definition: str
    job_task: str
    open_repository: str
    hardened_repository: str
    windows_task_definition: str
    windows_admin_task_definition: str


def _network(subnet: str, group: str, public: str = "DISABLED") -> dict[str, Any]:
    return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": public}}


def _give_public_ip(ec2: Any, ecs: Any, cluster: str, task_arn: str) -> None:
    """What AWS does for assignPublicIp ENABLED, which moto ignores: a public address on the task's ENI."""
    task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=details["networkInterfaceId"])


def _windows(ecs: Any, family: str, roles: tuple[str, str], user: str | None) -> str:
    """A Windows task definition: no read-only root and no Linux parameters (Windows supports neither)."""
    definition = container(readonlyRootFilesystem=None, linuxParameters=None, user=user)
    return str(
        ecs.register_task_definition(
            family=family, taskRoleArn=roles[0], executionRoleArn=roles[1], networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"], cpu="1024", memory="2048", tags=TAGS,
            runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE", "cpuArchitecture": "X86_64"},
            containerDefinitions=[definition],
        )["taskDefinition"]["taskDefinitionArn"]
    )  # fmt: skip


def _repositories(ecr: Any, kms: Any) -> tuple[str, str]:
    open_repo = ecr.create_repository(repositoryName="open")["repository"]["repositoryArn"]
    ecr.set_repository_policy(repositoryName="open", policyText=PUBLIC_POLICY)
    key = kms.create_key(Description="images")["KeyMetadata"]["Arn"]
    hardened = ecr.create_repository(
        repositoryName="hardened",
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key},
    )["repository"]["repositoryArn"]
    ecr.put_lifecycle_policy(repositoryName="hardened", lifecyclePolicyText=LIFECYCLE)
    return open_repo, hardened


@pytest.fixture(scope="module")
def _moto_can_start_awsvpc_tasks() -> Any:
    """Patch moto: its ECS ``RunTask`` reads ``NetworkInterface.private_dns_name``, which moto 5.2.5's EC2 model
    does not define; give it the name EC2 would (``ip-10-1-1-5.ec2.internal``)."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    def private_dns_name(eni: Any) -> str:
        return f"ip-{str(eni.private_ip_address).replace('.', '-')}.ec2.internal"

    with pytest.MonkeyPatch.context() as patch:
        if not hasattr(NetworkInterface, "private_dns_name"):
            patch.setattr(NetworkInterface, "private_dns_name", property(private_dns_name), raising=False)
        yield


@pytest.fixture(scope="module")
def whole(moto_url: str, _moto_can_start_awsvpc_tasks: Any) -> Whole:
    ecs, ec2, iam, ecr, kms = (session().client(s) for s in ("ecs", "ec2", "iam", "ecr", "kms"))
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    closed = ec2.create_security_group(GroupName="jobs", Description="no ingress", VpcId=vpc)["GroupId"]
    wide = ec2.create_security_group(GroupName="wide", Description="open", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=wide,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    cluster = ecs.create_cluster(clusterName="jobs", settings=INSIGHTS, tags=TAGS)["cluster"]["clusterArn"]
    roles = _roles(iam, "job", task_reads_secrets=False)
    job = _task(ecs, "job", roles, container())
    standalone = _task(ecs, "standalone", _roles(iam, "standalone", task_reads_secrets=False), container(user=None))
    # An EXTERNAL deployment controller service has no taskDefinition; its task set carries one.
    external = ecs.create_service(
        cluster=cluster, serviceName="blue-green", desiredCount=1, deploymentController={"type": "EXTERNAL"},
        tags=TAGS,
    )["service"]["serviceArn"]  # fmt: skip
    task_set = ecs.create_task_set(
        cluster=cluster, service=external, taskDefinition=job, launchType="FARGATE", platformVersion="1.3.0",
        networkConfiguration=_network(subnet, wide, "ENABLED"),
    )["taskSet"]["taskSetArn"]  # fmt: skip
    overrides = {
        "containerOverrides": [{"name": "app", "environment": [{"name": "DB_PASSWORD", "value": "hunter22"}]}],
        "taskRoleArn": roles[1],  # the execution role as task role
    }
    job_task = ecs.run_task(
        cluster=cluster, taskDefinition=job, launchType="FARGATE", overrides=overrides, startedBy="cron",
        networkConfiguration=_network(subnet, closed, "ENABLED"),
    )["tasks"][0]["taskArn"]  # fmt: skip
    _give_public_ip(ec2, ecs, cluster, job_task)
    open_repo, hardened_repo = _repositories(ecr, kms)
    windows = _windows(ecs, "windows", roles, "ContainerUser")
    windows_admin = _windows(ecs, "windows-admin", roles, None)
    return Whole(
        cluster, external, task_set, standalone, job, job_task, open_repo, hardened_repo, windows, windows_admin
    )


@pytest.fixture(scope="module")
def everything(whole: Whole) -> tuple[list[Any], int, list[str]]:
    return scan_account(session(), [REGION])


def open_controls(findings: list[Any], arn: str) -> set[str]:
    return {f.control for f in findings if f.resource == arn and not f.acknowledged}


def test_a_task_definition_no_service_runs_is_judged(whole: Whole, everything: Any) -> None:
    findings, _, _ = everything
    assert "ECS.20" in open_controls(findings, whole.standalone_task_definition)


def test_the_task_set_of_an_external_service_is_judged_and_does_not_abort(whole: Whole, everything: Any) -> None:
    findings, code, warnings = everything
    assert {"ECS.16", "SF.LAUNCH_NETWORK", "SF.LAUNCH_PLATFORM"} <= open_controls(findings, whole.task_set)
    assert "SF.EXTERNAL_TASK_DEFINITION" not in open_controls(findings, whole.external_service)
    assert code == 1
    assert not [w for w in warnings if "blue-green" in w]


def test_a_task_started_by_run_task_is_judged_with_its_overrides_roles_and_public_ip(
    whole: Whole, everything: Any
) -> None:
    findings, _, _ = everything
    assert {"SF.LAUNCH_PUBLIC_IP", "SF.LAUNCH_OVERRIDES", "SF.LAUNCH_ROLES"} <= open_controls(findings, whole.job_task)
    assert "SF.EXTERNAL_TASK_DEFINITION" not in open_controls(findings, whole.job_task)  # its revision was read
    assert open_controls(findings, whole.job_task_definition) == set()  # the definition itself is hardened


def test_ecr_repositories_and_the_registry_are_judged(whole: Whole, everything: Any) -> None:
    findings, _, _ = everything
    expected = {"ECR.1", "ECR.2", "ECR.3", "ECR.5", "SF.ECR_PUBLIC_POLICY"}
    assert expected <= open_controls(findings, whole.open_repository)
    assert open_controls(findings, whole.hardened_repository) == set()


def test_windows_tasks_are_judged_by_windows_rules_only(whole: Whole, everything: Any) -> None:
    """No read-only root, Linux user or capability finding on a Windows task (it supports none of them); ECS.21
    judges its user."""
    findings, _, _ = everything
    assert open_controls(findings, whole.windows_task_definition) == set()
    assert open_controls(findings, whole.windows_admin_task_definition) == {"ECS.21"}


def test_a_cluster_filter_narrows_the_scan_to_what_the_cluster_runs(whole: Whole) -> None:
    findings, _, _ = scan_account(session(), [REGION], clusters=["jobs"])
    resources = {f.resource for f in findings}
    assert whole.task_set in resources and whole.job_task in resources
    assert whole.standalone_task_definition not in resources and whole.open_repository not in resources


def test_an_unreadable_resource_is_a_warning_and_the_rest_is_judged(whole: Whole) -> None:
    from botocore.exceptions import ClientError

    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeRepositories")

    denied = session()
    denied.events.register("before-call.ecr.DescribeRepositories", deny)
    findings, code, warnings = scan_account(denied, [REGION])
    assert any("ECR repositories: not read (AccessDeniedException)" in w for w in warnings)
    assert "ECS.16" in open_controls(findings, whole.task_set) and code == 1


def test_the_cli_reports_warnings_and_exits_with_checks_code(whole: Whole, tmp_path: Path) -> None:
    report = tmp_path / "scan.json"
    assert cli.main(["scan", "--regions", REGION, "--format", "json", "-o", str(report)]) == 1
    assert whole.job_task in {f["resource"] for f in json.loads(report.read_text())}


def test_credentials_nothing_can_use_stop_the_scan(whole: Whole) -> None:
    """An expired token is not a warning: every read would fail, and a clean report made of warnings would lie."""
    from botocore.exceptions import ClientError

    def expired(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ExpiredTokenException", "Message": "expired"}}, "ListClusters")

    stale = session()
    stale.events.register("before-call.ecs.ListClusters", expired)
    with pytest.raises(ClientError, match="ExpiredTokenException"):
        scan_account(stale, [REGION])
