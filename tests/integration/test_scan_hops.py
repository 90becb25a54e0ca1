"""``check`` and ``scan`` agree on a role one ``sts:AssumeRole`` away (issue 21, class 5).

In a template the pack follows a task role into every role of the set whose trust policy names it (within one
account that trust alone lets the task role assume it) and judges what that role allows (``iam.assumable_roles``).
Live, ``scan`` reads every role of the account with ``ListRoles`` (paginated, bounded), keeps those whose trust
policy names a task role, and builds them as role resources, so the same rule judges them. The same setup, as a
template through ``check`` and registered in a moto server on loopback through ``scan``, gives the same controls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from secure_fargate.pack import Template, evaluate_set
from secure_fargate.pack.scan import (
    MAX_LISTED_ROLES,
    READ_ONLY_ACTIONS,
    Scanner,
    scan_account,
    trusted_task_roles,
    trusts_an_account,
)
from tests.integration import test_scan
from tests.integration.test_scan import REGION, TAGS, TRUST, _roles, _task, container, session

#: The moto server fixture of ``test_scan`` (module-scoped: this module gets a server of its own).
moto_url = test_scan.moto_url

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-AbCdEf"
READ = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET}
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def _document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _trusting(arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}],
    }


@dataclass(frozen=True)
class Hops:
    hopping_task: str  # its task role is trusted by a role that reads a secret
    near_miss_task: str  # a role reading a secret exists, but trusts only ECS tasks; another trusts a different role
    account_hop_task: str  # a reader trusts the account, and the task role may sts:AssumeRole on it
    account_near_task: str  # near miss: the task role may sts:AssumeRole, but on another role
    forged_agent_task: str  # the record says no agent, a container acts as one
    declared_agent_task: str  # near miss: the record names the agent container


AGENT_LABELS = {"secure-fargate.security-agent": "true"}


def _agent(name: str) -> dict[str, Any]:
    capabilities = {"capabilities": {"add": ["SYS_PTRACE"], "drop": ["ALL"]}, "initProcessEnabled": True}
    return container(name=name, essential=False, dockerLabels=AGENT_LABELS, linuxParameters=capabilities,
                     portMappings=None, memory=64, memoryReservation=32)  # fmt: skip


def _agent_task(ecs: Any, family: str, roles: tuple[str, str], record: str) -> str:
    return str(
        ecs.register_task_definition(
            family=family, taskRoleArn=roles[0], executionRoleArn=roles[1], networkMode="awsvpc", pidMode="task",
            requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            runtimePlatform={"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
            tags=[*TAGS, {"key": "secure-fargate:agent", "value": record}],
            containerDefinitions=[container(), _agent("sidecar")],
        )["taskDefinition"]["taskDefinitionArn"]
    )  # fmt: skip


@pytest.fixture(scope="module")
def hops(moto_url: str) -> Hops:
    ecs, iam = session().client("ecs"), session().client("iam")
    hopping_roles = _roles(iam, "hop", task_reads_secrets=False)
    near_roles = _roles(iam, "near", task_reads_secrets=False)
    reader = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(_trusting(hopping_roles[0])))
    iam.put_role_policy(
        RoleName="reader", PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [READ]})
    )
    assert reader["Role"]["Arn"].endswith(":role/reader")
    # Near misses: a reader nobody but ECS tasks may assume, and a reader trusting another task's execution role.
    for name, trust in (("ecs-reader", TRUST), ("exec-reader", _trusting(near_roles[1]))):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(
            RoleName=name, PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [READ]})
        )
    agent_roles = _roles(iam, "agent", task_reads_secrets=False)
    account_roles = _roles(iam, "acct", task_reads_secrets=False)
    account_near_roles = _roles(iam, "acctnear", task_reads_secrets=False)
    iam.create_role(RoleName="acct-reader", AssumeRolePolicyDocument=json.dumps(_trusting(ROOT)))
    iam.put_role_policy(RoleName="acct-reader", PolicyName="read", PolicyDocument=_document([READ]))
    for prefix, target in (("acct", "acct-reader"), ("acctnear", "acct-other")):
        assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/{target}"}
        iam.put_role_policy(RoleName=f"{prefix}-task", PolicyName="assume", PolicyDocument=_document([assume]))
    return Hops(
        hopping_task=_task(ecs, "hop", hopping_roles, container()),
        near_miss_task=_task(ecs, "near", near_roles, container()),
        account_hop_task=_task(ecs, "acct", account_roles, container()),
        account_near_task=_task(ecs, "acctnear", account_near_roles, container()),
        forged_agent_task=_agent_task(ecs, "forged", agent_roles, ":none"),
        declared_agent_task=_agent_task(ecs, "declared", agent_roles, "sidecar"),
    )


@pytest.fixture(scope="module")
def scanned(hops: Hops) -> tuple[list[Any], int, list[str]]:
    return scan_account(session(), [REGION])


def _live(findings: list[Any], arn: str) -> set[str]:
    return {f.control for f in findings if f.resource == arn and not f.acknowledged}


def test_scan_judges_a_secret_read_one_assume_role_away(hops: Hops, scanned: Any) -> None:
    findings, _, warnings = scanned
    assert not warnings
    secrets = [f for f in findings if f.resource == hops.hopping_task and f.control == "SF.SECRETS"]
    assert secrets and "role/reader, which trusts it" in secrets[0].message


def test_scan_follows_a_role_that_trusts_the_account_where_the_task_role_may_assume_it(
    hops: Hops, scanned: Any
) -> None:
    secrets = [f for f in scanned[0] if f.resource == hops.account_hop_task and f.control == "SF.SECRETS"]
    assert (
        secrets and "role/acct-reader, which trusts its account, and which it may sts:AssumeRole" in secrets[0].message
    )
    assert "SF.SECRETS" not in _live(scanned[0], hops.account_near_task)


def test_scan_does_not_follow_roles_that_do_not_trust_the_task_role(hops: Hops, scanned: Any) -> None:
    assert "SF.SECRETS" not in _live(scanned[0], hops.near_miss_task)


def test_list_roles_is_the_only_read_added_and_stays_read_only() -> None:
    assert "ListRoles" in READ_ONLY_ACTIONS["iam"] and MAX_LISTED_ROLES >= 1000


def test_a_scan_without_list_roles_says_the_hop_was_not_judged(hops: Hops) -> None:
    scanner = Scanner(session())

    def refused() -> tuple[dict[str, set[str]], list[str]]:
        raise PermissionError("AccessDenied")

    scanner._trusting = lambda arns: refused()  # type: ignore[method-assign]
    scanner.scan([REGION])
    assert any("roles that trust a task role: not read" in w for w in scanner.warnings)


# ---------------------------------------------------------------------------------------------- the same as a template
def _template_role(name: str, trust: dict[str, Any], statements: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"RoleName": name, "AssumeRolePolicyDocument": trust}
    if statements:
        props["Policies"] = [{"PolicyName": "read", "PolicyDocument": {"Statement": statements}}]
    return {"Type": "AWS::IAM::Role", "Properties": props}


def _cfn(definition: dict[str, Any]) -> dict[str, Any]:
    """A container definition as a template spells it (the API's, capitalised as CloudFormation does)."""
    from secure_fargate.pack.scan import to_cfn

    return to_cfn(definition)  # type: ignore[no-any-return]


def _template_task(family: str, prefix: str) -> dict[str, Any]:
    definition = container()
    cfn_container = {
        "Name": definition["name"],
        "Image": definition["image"],
        "Memory": definition["memory"],
        "MemoryReservation": definition["memoryReservation"],
        "User": definition["user"],
        "ReadonlyRootFilesystem": True,
        "Privileged": False,
        "Essential": True,
        "LinuxParameters": {"Capabilities": {"Drop": ["ALL"]}, "InitProcessEnabled": True},
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": {"awslogs-group": "/app", "awslogs-region": REGION, "mode": "non-blocking"},
        },
        "PortMappings": [{"ContainerPort": 8080, "Protocol": "tcp"}],
    }
    return {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {
            "Family": family,
            "TaskRoleArn": {"Fn::GetAtt": [f"{prefix}TaskRole", "Arn"]},
            "ExecutionRoleArn": {"Fn::GetAtt": [f"{prefix}ExecRole", "Arn"]},
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "Cpu": "256",
            "Memory": "512",
            "RuntimePlatform": {"OperatingSystemFamily": "LINUX", "CpuArchitecture": "X86_64"},
            "Tags": [{"Key": t["key"], "Value": t["value"]} for t in TAGS],
            "ContainerDefinitions": [cfn_container],
        },
    }


def _template_agent_task(family: str, record: str) -> dict[str, Any]:
    task = _template_task(family, "Agent")
    task["Properties"]["PidMode"] = "task"
    task["Properties"]["Tags"].append({"Key": "secure-fargate:agent", "Value": record})
    task["Properties"]["ContainerDefinitions"].append(_cfn(_agent("sidecar")))
    return task


def _template() -> dict[str, Any]:
    pull = [{"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]
    resources: dict[str, Any] = {}
    for prefix, name in (("Hop", "hop"), ("Near", "near")):
        resources[f"{prefix}TaskRole"] = _template_role(f"{name}-task", TRUST)
        resources[f"{prefix}ExecRole"] = _template_role(f"{name}-exec", TRUST, pull)
        resources[f"{prefix}Task"] = _template_task(name, prefix)
    hop_task_arn = {"Fn::GetAtt": ["HopTaskRole", "Arn"]}
    resources["Reader"] = _template_role("reader", _trusting(hop_task_arn), [READ])  # type: ignore[arg-type]
    resources["EcsReader"] = _template_role("ecs-reader", TRUST, [READ])
    near_exec = {"Fn::GetAtt": ["NearExecRole", "Arn"]}
    resources["ExecReader"] = _template_role("exec-reader", _trusting(near_exec), [READ])  # type: ignore[arg-type]
    for prefix, name, target in (("Acct", "acct", "acct-reader"), ("Acctnear", "acctnear", "acct-other")):
        assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/{target}"}
        resources[f"{prefix}TaskRole"] = _template_role(f"{name}-task", TRUST, [assume])
        resources[f"{prefix}ExecRole"] = _template_role(f"{name}-exec", TRUST, pull)
        resources[f"{prefix}Task"] = _template_task(name, prefix)
    root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    resources["AcctReader"] = _template_role("acct-reader", _trusting(root), [READ])  # type: ignore[arg-type]
    resources["AgentTaskRole"] = _template_role("agent-task", TRUST)
    resources["AgentExecRole"] = _template_role("agent-exec", TRUST, pull)
    resources["ForgedTask"] = _template_agent_task("forged", ":none")
    resources["DeclaredTask"] = _template_agent_task("declared", "sidecar")
    return {"Resources": resources}


def test_check_and_scan_give_the_same_controls_for_the_same_setup(hops: Hops, scanned: Any) -> None:
    checked = [f for f in evaluate_set([Template(_template(), "app")]) if not f.acknowledged]
    live = {"Hop": hops.hopping_task, "Near": hops.near_miss_task, "Acct": hops.account_hop_task,
            "Acctnear": hops.account_near_task, "Forged": hops.forged_agent_task,
            "Declared": hops.declared_agent_task}  # fmt: skip
    on_check = {task: {f.control for f in checked if f.resource == f"{task}Task"} for task in live}
    on_scan = {task: _live(scanned[0], arn) for task, arn in live.items()}
    assert on_check == on_scan
    assert "SF.SECRETS" in on_check["Hop"] and "SF.SECRETS" not in on_check["Near"]
    assert "SF.SECRETS" in on_check["Acct"] and "SF.SECRETS" not in on_check["Acctnear"]
    assert {"SF.AGENT", "SF.PTRACE"} <= on_check["Forged"] and not {"SF.AGENT", "SF.PTRACE"} & on_check["Declared"]


@pytest.mark.parametrize(
    ("principal", "admits"),
    [
        pytest.param("arn:aws:iam::123456789012:root", True, id="root"),
        pytest.param("123456789012", True, id="account-id"),
        pytest.param("*", True, id="anyone"),
        pytest.param("arn:aws:iam::123456789012:role/root", False, id="a-role-named-root"),
        pytest.param("arn:aws:iam::123456789012:user/admin", False, id="a-user"),
    ],
)
def test_trusts_an_account_reads_what_admits_every_identity_of_an_account(principal: str, admits: bool) -> None:
    document = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}
    assert trusts_an_account(document) is admits


@pytest.mark.parametrize(
    ("principal", "named"),
    [
        pytest.param("arn:aws:iam::123456789012:role/hop-task", True, id="the-task-role"),
        pytest.param(["arn:aws:iam::123456789012:role/HOP-TASK"], True, id="listed-other-case"),
        pytest.param("arn:aws:iam::123456789012:role/hop-task-2", False, id="a-longer-name"),
        pytest.param("arn:aws:iam::123456789012:root", False, id="the-account"),
    ],
)
def test_trusted_task_roles_matches_the_task_role_only(principal: Any, named: bool) -> None:
    task = "arn:aws:iam::123456789012:role/hop-task"
    document = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}
    assert (trusted_task_roles(document, {task}) == {task}) is named
    denied = {"Statement": [{**document["Statement"][0], "Effect": "Deny"}]}
    assert trusted_task_roles(denied, {task}) == set()
