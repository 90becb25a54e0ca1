"""Attacks on the rebuilt control model (branch-awareness, derived acknowledgements, run settings, SARIF).

Each route is a template (a patch of ``tests/controls/cases/baseline.json``) or a CLI call. A route that gets
through (a bypass, a false positive, a crash or an unclear error) is a real failing assertion marked
``xfail(strict=True)`` with the reason; a route that is already handled is a plain passing test. Pure template
attacks: no aws_cdk needed.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_fargate.pack import CONTROLS, Template
from secure_fargate.pack.catalog import selection
from secure_fargate.pack.control import Severity
from secure_fargate.pack.engine import evaluate, evaluate_set
from secure_fargate.pack.hook_handler import settings

ROOT = Path(__file__).resolve().parent.parent
BASELINE = json.loads((ROOT / "tests/controls/cases/baseline.json").read_text())
NV = {"Ref": "AWS::NoValue"}
SECRET_READ = {
    "Effect": "Allow",
    "Action": "secretsmanager:GetSecretValue",
    "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
}
DENY_SECRETS = {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
DIGEST = "@sha256:" + "0" * 64
Mutate = Callable[[dict[str, Any]], Any]


def IF(yes: Any, no: Any) -> dict[str, Any]:
    return {"Fn::If": ["C", yes, no]}


def base() -> dict[str, Any]:
    body = copy.deepcopy(BASELINE)
    body["Conditions"] = {"C": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}
    body["Parameters"] = {
        "Env": {"Type": "String"},
        "AnyAction": {"Type": "String"},
        "OpenCidr": {"Type": "String", "AllowedValues": ["0.0.0.0/0"]},
        "ReadSecret": {"Type": "String", "AllowedValues": ["secretsmanager:GetSecretValue"]},
    }
    body["Mappings"] = {
        "M": {"eu-west-1": {"cidr": "0.0.0.0/0", "action": "secretsmanager:GetSecretValue", "user": "root"}}
    }
    return body


def props(body: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return body["Resources"][logical_id]["Properties"]  # type: ignore[no-any-return]


def app(body: dict[str, Any]) -> dict[str, Any]:
    return props(body, "Task")["ContainerDefinitions"][0]  # type: ignore[no-any-return]


def open_controls(body: dict[str, Any], controls: Any = CONTROLS) -> set[str]:
    return {f.control for f in evaluate_set([Template(body)], controls) if not f.acknowledged}


def patched(mutate: Mutate) -> dict[str, Any]:
    body = base()
    mutate(body)
    return body


def test_the_baseline_is_clean() -> None:
    assert open_controls(base()) == set()


# --- IAM: the statements reaching a role ---------------------------------------------------------------


def task_policy(*statements: Any, condition: str | None = None, document: Any = None) -> Mutate:
    def mutate(body: dict[str, Any]) -> None:
        policy: dict[str, Any] = {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "task",
                "Roles": [{"Ref": "TaskRole"}],
                "PolicyDocument": document if document is not None else {"Statement": list(statements)},
            },
        }
        if condition:
            policy["Condition"] = condition
        body["Resources"]["TaskPolicy"] = policy

    return mutate


def secret_read(**fields: Any) -> dict[str, Any]:
    return {**SECRET_READ, **fields}


def _task_policy_roles(roles: Any) -> Mutate:
    def mutate(body: dict[str, Any]) -> None:
        task_policy(SECRET_READ)(body)
        props(body, "TaskRole")["RoleName"] = "app-task"
        props(body, "TaskPolicy")["Roles"] = roles

    return mutate


def _inline(policies: Any) -> Mutate:
    return lambda body: props(body, "TaskRole").__setitem__("Policies", policies)


def _conditional_deny_policy(body: dict[str, Any]) -> None:
    task_policy(SECRET_READ)(body)
    body["Resources"]["DenyAll"] = {
        "Type": "AWS::IAM::Policy",
        "Condition": "C",
        "Properties": {
            "PolicyName": "deny",
            "Roles": [{"Ref": "TaskRole"}],
            "PolicyDocument": {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]},
        },
    }


def _task_role_arn(value: Any) -> Mutate:
    def mutate(body: dict[str, Any]) -> None:
        task_policy(SECRET_READ)(body)
        props(body, "Task")["TaskRoleArn"] = value

    return mutate


TASK_ROLE_ARN = {"Fn::GetAtt": ["TaskRole", "Arn"]}
EXEC_ROLE_ARN = {"Fn::GetAtt": ["ExecRole", "Arn"]}

IAM_BYPASSES: dict[str, tuple[Mutate, str]] = {
    # A Deny that exists in one branch only removes the Allow in every branch.
    "deny-statement-behind-if": (
        task_policy(SECRET_READ, IF(DENY_SECRETS, NV)),
        None,
    ),
    "deny-resource-star-behind-if": (
        task_policy(SECRET_READ, {**DENY_SECRETS, "Resource": IF("*", "arn:aws:s3:::other")}),
        None,
    ),
    "deny-in-condition-guarded-policy": (
        _conditional_deny_policy,
        None,
    ),
    # Action spellings the walker evaluates but TemplateSet.render does not.
    "action-join-over-if": (
        task_policy(secret_read(Action={"Fn::Join": ["", [IF("secretsmanager:GetSecretValue", "s3:GetObject")]]})),
        None,
    ),
    "action-sub-variable-if": (
        task_policy(
            secret_read(Action={"Fn::Sub": ["secretsmanager:${A}", {"A": IF("GetSecretValue", "ListSecrets")}]})
        ),
        None,
    ),
    "action-findinmap-region": (
        task_policy(secret_read(Action={"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "action"]})),
        None,
    ),
    "action-select-over-if-lists": (
        task_policy(secret_read(Action={"Fn::Select": [0, IF(["secretsmanager:GetSecretValue"], ["s3:GetObject"])]})),
        None,
    ),
    "action-ref-parameter-allowed-values": (
        task_policy(secret_read(Action={"Ref": "ReadSecret"})),
        None,
    ),
    "policy-document-select": (
        task_policy(document={"Fn::Select": [0, [{"Statement": [SECRET_READ]}]]}),
        None,
    ),
    "statement-list-select": (
        task_policy(document={"Statement": {"Fn::Select": [0, [[SECRET_READ]]]}}),
        None,
    ),
    "statement-item-select": (
        task_policy({"Fn::Select": [0, [SECRET_READ]]}),
        None,
    ),
    "roles-fn-split-of-literal-names": (
        _task_policy_roles({"Fn::Split": [",", "app-task,other"]}),
        None,  # issue 21: handled
    ),
    "roles-item-select-over-if": (
        _task_policy_roles([{"Fn::Select": [0, IF([{"Ref": "TaskRole"}], [{"Ref": "ExecRole"}])]}]),
        None,
    ),
    "task-role-arn-select-over-if": (
        _task_role_arn({"Fn::Select": [0, IF([TASK_ROLE_ARN], [TASK_ROLE_ARN])]}),
        None,
    ),
    "kms-decrypt-resource-join-if-star": (
        task_policy(
            secret_read(Action="kms:Decrypt", Resource={"Fn::Join": ["", [IF("*", "arn:aws:kms:eu-west-1:1:key/k")]]})
        ),
        None,
    ),
}


#: IAM routes already handled (SF.SECRETS must fire).
IAM_HANDLED: dict[str, Mutate] = {
    "plain-policy-resource": task_policy(SECRET_READ),
    "inline-policy-behind-if": _inline([IF({"PolicyName": "p", "PolicyDocument": {"Statement": [SECRET_READ]}}, NV)]),
    "inline-document-behind-if": _inline(
        [{"PolicyName": "p", "PolicyDocument": IF({"Statement": [SECRET_READ]}, {"Statement": []})}]
    ),
    "inline-statement-object-behind-if": _inline(
        [{"PolicyName": "p", "PolicyDocument": {"Statement": IF(SECRET_READ, NV)}}]
    ),
    "statement-behind-if-beside-compliant": task_policy(
        IF(SECRET_READ, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    ),
    "action-list-behind-if": task_policy(secret_read(Action=IF(["s3:GetObject", "secretsmanager:GetSecretValue"], NV))),
    "effect-behind-if-on-unrelated-statement": task_policy(
        SECRET_READ, {"Effect": IF("Deny", "Allow"), "Action": "s3:GetObject", "Resource": "*"}
    ),
    "policy-guarded-by-condition": task_policy(SECRET_READ, condition="C"),
    "action-mixed-case": task_policy(secret_read(Action="SecretsManager:getsecretvalue")),
    "action-question-mark": task_policy(secret_read(Action="secretsmanager:GetSecret?alue")),
    "kms-decrypt-star-behind-if": task_policy(
        secret_read(Action="kms:Decrypt", Resource=IF("*", "arn:aws:kms:eu-west-1:1:key/k"))
    ),
    "kms-decrypt-star-select": task_policy(secret_read(Action="kms:Decrypt", Resource={"Fn::Select": [0, ["*"]]})),
    "notaction-behind-if": task_policy({"Effect": "Allow", "NotAction": IF("s3:*", NV), "Resource": "*"}),
    "roles-item-select-literal": _task_policy_roles([{"Fn::Select": [0, ["app-task"]]}]),
}


def _mark(reason: str | None) -> Any:
    return () if reason is None else pytest.mark.xfail(strict=True, reason=reason)


def _params(table: dict[str, tuple[Any, ...]]) -> list[Any]:
    return [pytest.param(*row[:-1], marks=_mark(row[-1]), id=name) for name, row in sorted(table.items())]


@pytest.mark.parametrize("mutate", _params({n: (m, r) for n, (m, r) in IAM_BYPASSES.items()}))
def test_iam_bypass_is_found(mutate: Mutate) -> None:
    assert "SF.SECRETS" in open_controls(patched(mutate))


@pytest.mark.parametrize("mutate", [pytest.param(m, id=n) for n, m in sorted(IAM_HANDLED.items())])
def test_iam_route_already_handled(mutate: Mutate) -> None:
    assert "SF.SECRETS" in open_controls(patched(mutate))


# --- every other family: (mutation, control that must fire, xfail reason or None) ---------------------------


def _set(path: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Mutate:
    def mutate(body: dict[str, Any]) -> None:
        target = path(body)
        target[key] = value(body) if callable(value) else value

    return mutate


def _all(*mutations: Mutate) -> Mutate:
    def mutate(body: dict[str, Any]) -> None:
        for m in mutations:
            m(body)

    return mutate


def _log_options(body: dict[str, Any]) -> dict[str, Any]:
    return app(body)["LogConfiguration"]["Options"]  # type: ignore[no-any-return]


def _caps(body: dict[str, Any]) -> dict[str, Any]:
    return app(body)["LinuxParameters"]["Capabilities"]  # type: ignore[no-any-return]


def _awsvpc(body: dict[str, Any]) -> dict[str, Any]:
    return props(body, "Service")["NetworkConfiguration"]["AwsvpcConfiguration"]  # type: ignore[no-any-return]


def _ingress(rule: dict[str, Any]) -> Mutate:
    full = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, **rule}
    return lambda body: props(body, "Sg").__setitem__("SecurityGroupIngress", [full])


def _exec_statement(index: int, key: str, value: Any) -> Mutate:
    return lambda body: props(body, "ExecPolicy")["PolicyDocument"]["Statement"][index].__setitem__(key, value)


def _registry_scanning(rules: Any, condition: str | None = None, frequency: str = "CONTINUOUS_SCAN") -> Mutate:
    def mutate(body: dict[str, Any]) -> None:
        props(body, "Repository")["ImageScanningConfiguration"]["ScanOnPush"] = False
        resource: dict[str, Any] = {
            "Type": "AWS::ECR::RegistryScanningConfiguration",
            "Properties": {"ScanType": "ENHANCED" if frequency != "MANUAL" else "BASIC", "Rules": rules},
        }
        if condition:
            resource["Condition"] = condition
        body["Resources"]["RegistryScanning"] = resource

    return mutate


def _scan_rule(frequency: str = "CONTINUOUS_SCAN") -> list[dict[str, Any]]:
    return [{"ScanFrequency": frequency, "RepositoryFilters": [{"Filter": "*", "FilterType": "WILDCARD"}]}]


def _agent_sidecar(labels: Any) -> Mutate:
    def mutate(body: dict[str, Any]) -> None:
        container = app(body)
        container["Essential"] = False
        container["DockerLabels"] = labels
        container["LinuxParameters"]["Capabilities"]["Add"] = ["SYS_PTRACE"]

    return mutate


def _second_container(body: dict[str, Any]) -> None:
    props(body, "Task")["ContainerDefinitions"].append(dict(app(body), Name="sidecar", Memory=64))


def _task_memory_budget(task_memory: Any) -> Mutate:
    def mutate(body: dict[str, Any]) -> None:
        props(body, "Task")["Memory"] = task_memory
        app(body)["Memory"] = 900

    return mutate


def _cluster_default_fargate(body: dict[str, Any]) -> None:
    service = props(body, "Service")
    del service["LaunchType"]
    service["Cluster"] = {"Ref": "Cluster"}
    service["PlatformVersion"] = "1.3.0"
    props(body, "Cluster")["DefaultCapacityProviderStrategy"] = [{"CapacityProvider": "FARGATE", "Weight": 1}]


SG_ID = {"Fn::GetAtt": ["Sg", "GroupId"]}
REPO_URI = {"Fn::GetAtt": ["Repository", "RepositoryUri"]}

ROUTES: dict[str, tuple[Mutate, str, str | None]] = {
    # ECS.9: the destination option of the log driver
    "ecs9-awslogs-group-novalue": (
        _set(_log_options, "awslogs-group", NV),
        "ECS.9",
        None,
    ),
    "ecs9-awslogs-group-if-novalue": (
        _set(_log_options, "awslogs-group", IF({"Ref": "Logs"}, NV)),
        "ECS.9",
        None,
    ),
    "ecs9-options-object-behind-if": (
        _set(
            lambda b: app(b)["LogConfiguration"],
            "Options",
            IF({"awslogs-group": {"Ref": "Logs"}}, {"awslogs-region": "eu-west-1"}),
        ),
        "ECS.9",
        None,
    ),
    "ecs9-options-object-behind-if-reversed": (
        _set(
            lambda b: app(b)["LogConfiguration"],
            "Options",
            IF({"awslogs-region": "eu-west-1"}, {"awslogs-group": {"Ref": "Logs"}}),
        ),
        "ECS.9",
        None,
    ),
    "ecs9-driver-behind-if": (
        _set(lambda b: app(b)["LogConfiguration"], "LogDriver", IF("awslogs", "none")),
        "ECS.9",
        None,
    ),
    "ecs9-driver-select": (
        _set(lambda b: app(b)["LogConfiguration"], "LogDriver", {"Fn::Select": [1, ["awslogs", "json-file"]]}),
        "ECS.9",
        None,
    ),
    # SF.IMAGE: a mutable tag on an ECR image URI (deploy-time repository, literal tag)
    "image-sub-repository-uri-latest": (
        _set(app, "Image", {"Fn::Sub": "${Repository.RepositoryUri}:latest"}),
        "SF.IMAGE",
        None,
    ),
    "image-join-colon-delimiter-latest": (
        _set(app, "Image", {"Fn::Join": [":", [REPO_URI, "latest"]]}),
        "SF.IMAGE",
        None,
    ),
    "image-join-tail-behind-if": (
        _set(app, "Image", {"Fn::Join": ["", [REPO_URI, IF(":latest", DIGEST)]]}),
        "SF.IMAGE",
        None,
    ),
    "image-join-literal-latest-tail": (_set(app, "Image", {"Fn::Join": ["", [REPO_URI, ":latest"]]}), "SF.IMAGE", None),
    "image-behind-if": (_set(app, "Image", IF("nginx:latest", "nginx" + DIGEST)), "SF.IMAGE", None),
    "image-select": (_set(app, "Image", {"Fn::Select": [0, ["nginx", "x"]]}), "SF.IMAGE", None),
    # ECS.8
    "ecs8-command-password-value-behind-if": (
        _set(app, "Command", ["--password", IF("hunter2hunter2", "s3cr3tvalue!")]),
        "ECS.8",
        None,
    ),
    "ecs8-command-password-join-if": (
        _set(app, "Command", [{"Fn::Join": ["", ["--password=", IF("hunter2hunter2", "s3cr3tvalue!")]]}]),
        "ECS.8",
        None,
    ),
    "ecs8-env-name-select": (
        _set(app, "Environment", [{"Name": {"Fn::Select": [0, ["DB_PASSWORD", "X"]]}, "Value": "hunter2hunter2"}]),
        "ECS.8",
        None,
    ),
    "ecs8-env-item-behind-if": (
        _set(
            app, "Environment", [IF({"Name": "APP_ENV", "Value": "prod"}, {"Name": "DB_PASSWORD", "Value": "x1y2z3w4"})]
        ),
        "ECS.8",
        None,
    ),
    # SF.PTRACE: the agent label earns SYS_PTRACE
    "ptrace-agent-label-behind-if": (
        _agent_sidecar(IF({"secure-fargate.security-agent": "true"}, {})),
        "SF.PTRACE",
        None,
    ),
    "ptrace-agent-label-value-behind-if": (
        _agent_sidecar({"secure-fargate.security-agent": IF("true", "false")}),
        "SF.PTRACE",
        None,
    ),
    "ptrace-agent-label-false": (_agent_sidecar({"secure-fargate.security-agent": "false"}), "SF.PTRACE", None),
    # SF.MEMORY, task part
    "memory-budget-task-memory-behind-if": (
        _task_memory_budget(IF("512", "1024")),
        "SF.MEMORY",
        None,
    ),
    "memory-budget-literal": (_task_memory_budget("512"), "SF.MEMORY", None),
    # beside a second container (the only container of a task may omit its limit: the task memory is its limit)
    "memory-container-behind-if-novalue": (
        _all(_set(app, "Memory", IF(256, NV)), _second_container),
        "SF.MEMORY",
        None,
    ),
    "memory-container-select": (_set(app, "Memory", {"Fn::Select": [0, [2, 256]]}), "SF.MEMORY", None),
    # other container controls, handled
    "ecs20-user-behind-if": (_set(app, "User", IF("1000", "root")), "ECS.20", None),
    "ecs20-user-if-novalue": (_set(app, "User", IF("1000", NV)), "ECS.20", None),
    "ecs20-user-findinmap-region": (
        _set(app, "User", {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "user"]}),
        "ECS.20",
        None,
    ),
    "ecs5-behind-if": (_set(app, "ReadonlyRootFilesystem", IF(True, False)), "ECS.5", None),
    "ecs4-behind-if-novalue": (_set(app, "Privileged", IF(NV, "true")), "ECS.4", None),
    "caps-linux-parameters-if-novalue": (
        _set(app, "LinuxParameters", lambda b: IF(app(b)["LinuxParameters"], NV)),
        "SF.CAPABILITIES",
        None,
    ),
    "caps-object-behind-if": (
        _set(
            lambda b: app(b)["LinuxParameters"],
            "Capabilities",
            IF({"Drop": ["ALL"]}, {"Drop": ["ALL"], "Add": ["NET_ADMIN"]}),
        ),
        "SF.CAPABILITIES",
        None,
    ),
    "caps-add-select": (
        _set(_caps, "Add", [{"Fn::Select": [0, ["NET_ADMIN", "SYS_PTRACE"]]}]),
        "SF.CAPABILITIES",
        None,
    ),
    "caps-add-split": (_set(_caps, "Add", {"Fn::Split": [",", "NET_ADMIN,SYS_PTRACE"]}), "SF.CAPABILITIES", None),
    "caps-drop-behind-if": (_set(_caps, "Drop", IF(["ALL"], ["NET_RAW"])), "SF.CAPABILITIES", None),
    "mounts-path-behind-if": (
        _set(app, "MountPoints", [{"SourceVolume": "v", "ContainerPath": IF("/tmp", "/etc"), "ReadOnly": False}]),
        "SF.MOUNTS",
        None,
    ),
    "mounts-readonly-if-novalue": (
        _set(app, "MountPoints", [{"SourceVolume": "v", "ContainerPath": "/etc", "ReadOnly": IF(True, NV)}]),
        "SF.MOUNTS",
        None,
    ),
    # SF.INGRESS: CIDRs read by TemplateSet.render, not the walker
    "ingress-cidr-behind-if": (_ingress({"CidrIp": IF("0.0.0.0/0", "10.0.0.0/8")}), "SF.INGRESS", None),
    "ingress-cidr-select": (_ingress({"CidrIp": {"Fn::Select": [0, ["0.0.0.0/0"]]}}), "SF.INGRESS", None),
    "ingress-cidr-fn-cidr": (
        _ingress({"CidrIp": {"Fn::Select": [0, {"Fn::Cidr": ["0.0.0.0/0", 1, 32]}]}}),
        "SF.INGRESS",
        None,
    ),
    "ingress-cidr-join-over-if": (
        _ingress({"CidrIp": {"Fn::Join": ["", [IF("0.0.0.0/0", "10.0.0.0/8")]]}}),
        "SF.INGRESS",
        None,  # issue 21: handled
    ),
    "ingress-cidr-sub-variable-if": (
        _ingress({"CidrIp": {"Fn::Sub": ["${X}/0", {"X": IF("0.0.0.0", "10.0.0.0")}]}}),
        "SF.INGRESS",
        None,  # issue 21: handled
    ),
    "ingress-cidr-findinmap-region": (
        _ingress({"CidrIp": {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "cidr"]}}),
        "SF.INGRESS",
        None,  # issue 21: handled
    ),
    "ingress-cidr-ref-allowed-values": (
        _ingress({"CidrIp": {"Ref": "OpenCidr"}}),
        "SF.INGRESS",
        None,  # issue 21: handled
    ),
    "ingress-cidr-select-over-if-lists": (
        _ingress({"CidrIp": {"Fn::Select": [0, IF(["0.0.0.0/0"], ["10.0.0.0/8"])]}}),
        "SF.INGRESS",
        None,  # issue 21: handled
    ),
    "ingress-separate-rule-groupid-select-over-if": (
        lambda b: b["Resources"].__setitem__(
            "OpenRule",
            {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIp": "0.0.0.0/0",
                    "GroupId": {"Fn::Select": [0, IF([SG_ID], [SG_ID])]},
                },
            },
        ),
        "SF.INGRESS",
        None,
    ),
    "ingress-service-groups-select-over-if": (
        _all(
            _ingress({"CidrIp": "0.0.0.0/0"}),
            _set(_awsvpc, "SecurityGroups", [{"Fn::Select": [0, IF([SG_ID], [SG_ID])]}]),
        ),
        "SF.INGRESS",
        None,
    ),
    "ingress-network-configuration-behind-if": (
        _all(
            _ingress({"CidrIp": "0.0.0.0/0"}),
            _set(
                lambda b: props(b, "Service"),
                "NetworkConfiguration",
                lambda b: IF(
                    {"AwsvpcConfiguration": {"SecurityGroups": [{"Ref": "Other"}]}},
                    props(b, "Service")["NetworkConfiguration"],
                ),
            ),
        ),
        "SF.INGRESS",
        None,
    ),
    # SF.EXECUTION_ROLE / SF.ROLES
    "execution-resource-join-over-if-star": (
        _exec_statement(1, "Resource", {"Fn::Join": ["", [IF("*", {"Ref": "Secret"})]]}),
        "SF.EXECUTION_ROLE",
        None,
    ),
    "execution-resource-behind-if-star": (
        _exec_statement(1, "Resource", IF("*", {"Ref": "Secret"})),
        "SF.EXECUTION_ROLE",
        None,
    ),
    "roles-task-role-select-over-if-same-as-execution": (
        _set(lambda b: props(b, "Task"), "TaskRoleArn", {"Fn::Select": [0, IF([EXEC_ROLE_ARN], [TASK_ROLE_ARN])]}),
        "SF.ROLES",
        None,
    ),
    "roles-task-role-behind-if-same-as-execution": (
        _set(lambda b: props(b, "Task"), "TaskRoleArn", IF(TASK_ROLE_ARN, EXEC_ROLE_ARN)),
        "SF.ROLES",
        None,
    ),
    # ECR.1: registry scanning that may not exist or does not scan
    "ecr1-registry-rules-behind-if-novalue": (
        _registry_scanning(IF(_scan_rule(), NV)),
        "ECR.1",
        None,
    ),
    "ecr1-registry-scanning-guarded-by-condition": (
        _registry_scanning(_scan_rule(), condition="C"),
        "ECR.1",
        None,
    ),
    "ecr1-registry-scanning-manual": (
        _registry_scanning(_scan_rule("MANUAL"), frequency="MANUAL"),
        "ECR.1",
        None,
    ),
    "ecr2-behind-if": (
        _set(lambda b: props(b, "Repository"), "ImageTagMutability", IF("IMMUTABLE", "MUTABLE")),
        "ECR.2",
        None,
    ),
    "ecr5-encryption-if-novalue": (
        _set(
            lambda b: props(b, "Repository"),
            "EncryptionConfiguration",
            lambda b: IF(props(b, "Repository")["EncryptionConfiguration"], NV),
        ),
        "ECR.5",
        None,
    ),
    # services
    "ecs10-cluster-default-capacity-provider-fargate": (
        _cluster_default_fargate,
        "ECS.10",
        None,
    ),
    "ecs10-launch-type-behind-if": (
        _all(
            _set(lambda b: props(b, "Service"), "LaunchType", IF("FARGATE", "EC2")),
            _set(lambda b: props(b, "Service"), "PlatformVersion", "1.3.0"),
        ),
        "ECS.10",
        None,
    ),
    "ecs2-network-configuration-behind-if": (
        _set(
            lambda b: props(b, "Service"),
            "NetworkConfiguration",
            IF({"AwsvpcConfiguration": {"AssignPublicIp": "ENABLED", "SecurityGroups": [SG_ID]}}, NV),
        ),
        "ECS.2",
        None,
    ),
    "ecs2-select": (_set(_awsvpc, "AssignPublicIp", {"Fn::Select": [1, ["DISABLED", "ENABLED"]]}), "ECS.2", None),
    "exec-behind-if": (_set(lambda b: props(b, "Service"), "EnableExecuteCommand", IF(NV, True)), "SF.EXEC", None),
    "ecs16-task-set-network-behind-if": (
        lambda b: b["Resources"].__setitem__(
            "TaskSet",
            {
                "Type": "AWS::ECS::TaskSet",
                "Properties": {
                    "Cluster": "c",
                    "Service": "s",
                    "TaskDefinition": {"Ref": "Task"},
                    "NetworkConfiguration": IF(
                        {"AwsVpcConfiguration": {"AssignPublicIp": "ENABLED", "Subnets": ["s"]}}, NV
                    ),
                },
            },
        ),
        "ECS.16",
        None,
    ),
}


@pytest.mark.parametrize(("mutate", "control"), _params({n: (m, c, r) for n, (m, c, r) in ROUTES.items()}))
def test_route_is_found(mutate: Mutate, control: str) -> None:
    assert control in open_controls(patched(mutate))


@pytest.mark.parametrize(
    "tags",
    [IF([{"Key": "team", "Value": "x"}], NV), [IF({"Key": "team", "Value": "x"}, NV)]],
    ids=["tags-list-if-novalue", "tags-item-if-novalue"],
)
def test_tags_behind_if_are_judged(tags: Any) -> None:
    body = base()
    props(body, "Service")["Tags"] = tags
    assert "ECS.13" in open_controls(body, selection("tagging"))


# --- false positives: a value known only at deploy time must never be a finding -----------------------------


def test_execution_role_deploy_time_action_is_no_finding() -> None:
    body = base()
    props(body, "ExecPolicy")["PolicyDocument"]["Statement"][0]["Action"] = {"Ref": "AnyAction"}
    findings = [f for f in evaluate_set([Template(body)], CONTROLS) if f.control == "SF.EXECUTION_ROLE"]
    assert findings == [], [f.message for f in findings]


def test_deploy_time_values_are_no_findings() -> None:
    body = base()
    container = app(body)
    container["User"] = IF("1000", {"Ref": "AnyAction"})
    container["ReadonlyRootFilesystem"] = {"Ref": "AnyAction"}
    container["Privileged"] = {"Ref": "AnyAction"}
    _awsvpc(body)["AssignPublicIp"] = {"Ref": "AnyAction"}
    props(body, "Service")["PlatformVersion"] = {"Ref": "AnyAction"}
    assert open_controls(body) == set()


# --- acknowledgements (derived scopes) ---------------------------------------------------------------------


def _acknowledged(body: dict[str, Any], *entries: dict[str, Any]) -> list[Any]:
    body["Resources"]["Task"]["Metadata"] = {"secure-fargate": {"acknowledgements": list(entries)}}
    return [f for f in evaluate_set([Template(body)], CONTROLS) if f.control == "SF.MEMORY"]


REASON = "the batch job needs it until Q3, ticket OPS-1234"


def test_task_wide_memory_finding_is_not_acknowledged_by_a_resource_entry() -> None:
    body = patched(_task_memory_budget("512"))
    findings = _acknowledged(
        body, {"control": "SF.MEMORY", "reason": REASON}, {"control": "SF.MEMORY", "reason": REASON, "container": ""}
    )
    assert findings and all(f.container is None and not f.acknowledged and not f.acknowledgeable for f in findings)


def test_container_memory_finding_is_acknowledged_only_for_its_container() -> None:
    body = base()
    _second_container(body)  # beside another container, a missing hard limit is a finding
    del app(body)["Memory"]
    assert not [
        f for f in _acknowledged(copy.deepcopy(body), {"control": "SF.MEMORY", "reason": REASON}) if f.acknowledged
    ]
    findings = _acknowledged(body, {"control": "SF.MEMORY", "reason": REASON, "container": "app"})
    assert findings and all(f.acknowledged for f in findings if f.container == "app")


def test_an_invariant_is_never_acknowledged() -> None:
    body = base()
    app(body)["Privileged"] = True
    body["Resources"]["Task"]["Metadata"] = {
        "secure-fargate": {"acknowledgements": [{"control": "ECS.4", "reason": REASON, "container": "app"}]}
    }
    assert "ECS.4" in open_controls(body)


# --- run settings: CLI, hook environment --------------------------------------------------------------------


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "secure_fargate.pack.cli", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def failing_template(tmp_path: Path) -> Path:
    body = base()
    app(body)["Privileged"] = True
    path = tmp_path / "bad.template.json"
    path.write_text(json.dumps(body, indent=1))
    return path


def test_external_controls_that_exit_do_not_pass_the_run(tmp_path: Path, failing_template: Path) -> None:
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(0)\n")
    result = _cli(tmp_path, "check", str(failing_template), "--external-controls", "exits.py")
    assert result.returncode == 2 and "--external-controls" in result.stderr


def _bad_external(tmp_path: Path, resource_types: str, severity: str, returns: str = "[]") -> None:
    (tmp_path / "bad_control.py").write_text(
        "from secure_fargate.pack.control import resource_control, HIGH\n"
        f"@resource_control('ACME.BAD', resource_types={resource_types}, title='t', severity={severity}, "
        "severity_reason='r', rationale='r')\n"
        f"def check(logical_id, resource, template):\n    return {returns}\n"
    )


def test_sarif_never_crashes_on_a_malformed_external_declaration(tmp_path: Path, failing_template: Path) -> None:
    _bad_external(tmp_path, '("AWS::ECS::TaskDefinition",)', '"high"')
    result = _cli(
        tmp_path, "check", str(failing_template), "--external-controls", "bad_control.py", "--format", "sarif"
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 2 and "--external-controls" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("resource_types", "severity", "returns"),
    [
        pytest.param('("AWS::ECS::TaskDefinition",)', '"high"', '[("app", "m")]', id="severity-as-text-with-finding"),
        pytest.param("()", "HIGH", "[]", id="no-resource-types"),
    ],
)
def test_malformed_external_declaration_names_the_option(
    tmp_path: Path, failing_template: Path, resource_types: str, severity: str, returns: str
) -> None:
    _bad_external(tmp_path, resource_types, severity, returns)
    result = _cli(tmp_path, "check", str(failing_template), "--external-controls", "bad_control.py")
    assert result.returncode == 2 and "--external-controls" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--fail-on", "bogus"], "--fail-on"),
        (["--standard", ",,"], "--standard"),
        (["--standard", "fsbp,nope"], "--standard"),
        (["--required-tag-keys", "aws:x"], "--required-tag-keys"),
        (["--external-controls", "/nonexistent/controls.py"], "--external-controls"),
    ],
)
def test_bad_options_exit_2_naming_the_option(
    tmp_path: Path, failing_template: Path, args: list[str], option: str
) -> None:
    result = _cli(tmp_path, "check", str(failing_template), *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and option in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"), [("SECURE_FARGATE_STANDARDS", "nope"), ("SECURE_FARGATE_FAIL_ON", "loud")]
)
def test_hook_environment_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=variable):
        settings({variable: value})


def test_hook_environment_selects_like_the_cli() -> None:
    controls, fail_on = settings({"SECURE_FARGATE_STANDARDS": "tagging", "SECURE_FARGATE_FAIL_ON": "high"})
    assert {c.id for c in controls} == {c.id for c in selection("tagging")} and fail_on.value == "HIGH"


# --- SARIF startLine ------------------------------------------------------------------------------------------


def _start_line(tmp_path: Path, name: str, text: str) -> int:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = _cli(tmp_path, "check", name, "--format", "sarif")
    assert result.returncode == 1, result.stderr
    (found,) = json.loads(result.stdout)["runs"][0]["results"]
    return int(found["locations"][0]["physicalLocation"]["region"]["startLine"])


def _failing_body() -> dict[str, Any]:
    body = base()
    app(body)["Privileged"] = True
    return body


def test_sarif_start_line_json_variants(tmp_path: Path) -> None:
    text = json.dumps(_failing_body(), indent=1)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.strip().startswith('"Task": {'))
    assert _start_line(tmp_path, "a.template.json", text) == line
    assert _start_line(tmp_path, "bom.template.json", "\ufeff" + text) == line
    assert _start_line(tmp_path, "crlf.template.json", text.replace("\n", "\r\n")) == line
    assert _start_line(tmp_path, "lead.template.json", "\n\n" + text) == line + 2


def test_sarif_start_line_yaml(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    text = "# a comment\n" + yaml.safe_dump(_failing_body(), sort_keys=False)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row == "  Task:")
    assert _start_line(tmp_path, "t.yaml", text) == line


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([], 1),
        (["--fail-on", "high"], 0),
        (["--standard", "tagging"], 1),
        (["--standard", "tagging", "--fail-on", "high"], 0),
    ],
)
def test_external_controls_always_run_and_follow_fail_on(tmp_path: Path, args: list[str], code: int) -> None:
    (tmp_path / "clean.template.json").write_text(json.dumps(BASELINE))
    owner = str(ROOT / "examples/controls/owner_label.py")
    result = _cli(tmp_path, "check", "clean.template.json", "--external-controls", owner, *args)
    assert result.returncode == code and "ACME.OWNER_LABEL" in result.stdout


def test_language_extensions_foreach_is_expanded_not_skipped(tmp_path: Path) -> None:
    body = base()
    task = body["Resources"].pop("Task")
    task["Properties"]["ContainerDefinitions"][0]["Privileged"] = True
    body["Transform"] = "AWS::LanguageExtensions"
    body["Resources"]["Fn::ForEach::Tasks"] = ["Name", ["A"], {"Task${Name}": task}]
    props(body, "Service")["TaskDefinition"] = {"Ref": "TaskA"}
    (tmp_path / "foreach.template.json").write_text(json.dumps(body))
    result = _cli(tmp_path, "check", "foreach.template.json")
    # issue 21: Fn::ForEach over a literal collection is expanded, and the expanded task judged (ECS.4)
    assert result.returncode == 1 and "ECS.4" in result.stdout and "TaskA" in result.stdout


# --- SecureFargateChecks (needs aws_cdk; one jsii start) -------------------------------------------------------


def test_plugin_fail_on_error_suggests_only_valid_labels() -> None:
    pytest.importorskip("aws_cdk")
    from secure_fargate.plugin import SecureFargateChecks

    with pytest.raises(Exception, match="fail_on") as refused:
        SecureFargateChecks(fail_on="loud")
    allowed = str(refused.value).split("is not allowed: ", 1)[1].split(" (", 1)[0]  # "CRITICAL, ... or INFO"
    for label in re.split(r", | or ", allowed):
        Severity.parse(label)  # every label the message suggests must be accepted


def test_plugin_refuses_a_malformed_extra_control() -> None:
    pytest.importorskip("aws_cdk")
    from secure_fargate.pack.control import resource_control
    from secure_fargate.plugin import SecureFargateChecks

    # A malformed declaration is refused where it is written (the decorator), naming what is missing.
    with pytest.raises(ValueError, match=r"ACME\.BAD.*missing remediation"):

        @resource_control(
            "ACME.BAD",
            resource_types=("AWS::ECS::TaskDefinition",),
            title="t",
            severity="high",
            severity_reason="r",
            rationale="r",
        )
        def bad(logical_id: str, resource: Any, template: Any) -> list[Any]:
            return []

    with pytest.raises(Exception, match="extra_controls"):
        SecureFargateChecks(extra_controls=[print])


# --- the evaluation bound: the 257th possible value is never judged ------------------------------------------


def _if_tree(values: list[Any]) -> Any:
    if len(values) == 1:
        return values[0]
    middle = len(values) // 2
    return IF(_if_tree(values[:middle]), _if_tree(values[middle:]))


def _user_findinmap_two_unknown_keys(body: dict[str, Any]) -> None:
    users = {f"r{i}": {f"a{j}": str(1000 + 20 * i + j) for j in range(20)} for i in range(20)}
    users["r19"]["a19"] = "0"  # 400 candidates (within CloudFormation's mapping quotas); root is the last
    body["Mappings"]["Users"] = users
    app(body)["User"] = {"Fn::FindInMap": ["Users", {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}]}


def _privileged_sub_combinations(body: dict[str, Any]) -> None:
    first = _if_tree([str(i) for i in range(1, 17)] + ["t"])
    second = _if_tree([str(i) for i in range(1, 17)] + ["rue"])
    app(body)["Privileged"] = {"Fn::Sub": ["${A}${B}", {"A": first, "B": second}]}


@pytest.mark.parametrize(
    ("mutate", "control"),
    [
        pytest.param(
            _set(app, "User", _if_tree([str(1000 + i) for i in range(300)] + ["0"])), "ECS.20", id="user-if-tree-301"
        ),
        pytest.param(_user_findinmap_two_unknown_keys, "ECS.20", id="user-findinmap-region-account-400"),
        pytest.param(_privileged_sub_combinations, "ECS.4", id="privileged-sub-289-combinations"),
    ],
)
def test_a_violation_beyond_the_evaluation_bound_is_reported_as_unjudged(mutate: Mutate, control: str) -> None:
    """Beyond _template.MAX_VALUES the rest are not judged: the control that could not judge them is named in an
    SF.UNJUDGED finding (HIGH, not acknowledgeable) instead of the resource passing."""
    findings = [f for f in evaluate(Template(patched(mutate)), CONTROLS) if f.control == "SF.UNJUDGED"]
    assert findings and all(not f.acknowledgeable and f.severity == "HIGH" for f in findings)
    assert any(f.message.startswith(f"{control} cannot judge every value") for f in findings)


def test_a_violation_within_the_bound_is_found() -> None:
    body = patched(_set(app, "User", _if_tree([str(1000 + i) for i in range(200)] + ["0"])))
    assert "ECS.20" in open_controls(body)
    assert "SF.UNJUDGED" not in open_controls(body)


def test_exactly_the_bound_is_judged_without_an_unjudged_finding() -> None:
    """Near miss: 256 possible users (8 two-way Fn::If in a Join) are all judged; none is root, nothing fails."""
    pieces = [IF("1", "2") for _ in range(8)]
    found = open_controls(patched(_set(app, "User", {"Fn::Join": ["", pieces]})))
    assert not {"SF.UNJUDGED", "ECS.20"} & found


# --- acknowledge(): the subject must fit the control's derived scope ---------------------------------------------


def test_a_container_entry_does_not_acknowledge_a_resource_scope_finding() -> None:
    body = patched(task_policy({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    body["Resources"]["Task"]["Metadata"] = {
        "secure-fargate": {"acknowledgements": [{"control": "SF.TASK_ROLE", "reason": REASON, "container": "app"}]}
    }
    assert "SF.TASK_ROLE" in open_controls(body)


@pytest.mark.parametrize(
    ("control", "subject"),
    [
        pytest.param("SF.TASK_ROLE", {"container": "app"}, id="container-for-a-resource-scope-control"),
        pytest.param("SF.MEMORY", {"container": "app", "variable": "X"}, id="variable-for-a-container-scope-control"),
    ],
)
def test_acknowledge_refuses_a_subject_outside_the_scope(control: str, subject: dict[str, str]) -> None:
    cdk = pytest.importorskip("aws_cdk")
    from aws_cdk import aws_ecs as ecs

    from secure_fargate import acknowledge

    stack = cdk.Stack(cdk.App(), "S")
    task_definition = ecs.FargateTaskDefinition(stack, "T")
    task_definition.add_container("app", image=ecs.ContainerImage.from_registry("nginx" + DIGEST))
    with pytest.raises(Exception, match=r"container|variable"):
        acknowledge(task_definition, control, REASON, **subject)


# --- SF.SECRETS one hop: a role of the set whose trust policy names the task role ---------------------------------


def _trusting_reader(principal: Any, effect: Any = "Allow") -> Mutate:
    def mutate(body: dict[str, Any]) -> None:
        body["Resources"]["Reader"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [{"Effect": effect, "Principal": principal, "Action": "sts:AssumeRole"}]
                },
                "Policies": [{"PolicyName": "r", "PolicyDocument": {"Statement": [SECRET_READ]}}],
            },
        }

    return mutate


TRUST_ROUTES: dict[str, tuple[Mutate, str | None]] = {
    "trust-plain": (_trusting_reader({"AWS": TASK_ROLE_ARN}), None),
    "trust-aws-value-behind-if": (_trusting_reader({"AWS": IF(TASK_ROLE_ARN, "arn:aws:iam::1:role/x")}), None),
    "trust-aws-list-item-if-novalue": (_trusting_reader({"AWS": [IF(TASK_ROLE_ARN, NV)]}), None),
    "trust-principal-object-behind-if": (
        _trusting_reader(IF({"AWS": TASK_ROLE_ARN}, {"Service": "ecs-tasks.amazonaws.com"})),
        None,  # issue 21: handled
    ),
    "trust-effect-behind-if": (
        _trusting_reader({"AWS": TASK_ROLE_ARN}, effect=IF("Allow", "Deny")),
        None,  # issue 21: handled
    ),
}


@pytest.mark.parametrize("mutate", _params(TRUST_ROUTES))
def test_one_hop_trust_is_followed(mutate: Mutate) -> None:
    assert "SF.SECRETS" in open_controls(patched(mutate))
