"""Issue 14's catalogue: Security Hub's 2026 ECS/ECR set and the new SF controls, judged on raw templates.

GIVEN the compliant baseline of ``test_rules`` WHEN one property changes THEN exactly the expected resources are
reported (compliant and non-compliant cases per control); the control list itself is pinned.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from secure_fargate.pack import CONTROLS, Template, evaluate
from secure_fargate.pack.catalog import with_required_tag_keys
from secure_fargate.pack.cli import main
from secure_fargate.pack.guardduty import (
    AGENT_REGISTRY_ACCOUNTS,
    agent_memory_mib,
    agent_repository_arn,
    headroom_problem,
    is_guardduty_agent_repository,
)
from tests.controls.casebook import baseline
from tests.controls_2026_cases import c0, efs_volume, res, task_set

#: Security Hub's 2026 ECS and ECR controls this pack implements, then ours. Pinned like cdk-nag pins its packs.
EXPECTED_CONTROLS = [
    "ECS.2", "ECS.3", "ECS.4", "ECS.5", "ECS.8", "ECS.9", "ECS.10", "ECS.12", "ECS.13", "ECS.14", "ECS.15",
    "ECS.16", "ECS.17", "ECS.18", "ECS.20", "ECS.21", "ECR.1", "ECR.2", "ECR.3", "ECR.5",
    "SF.AGENT", "SF.CAPABILITIES", "SF.DEPLOY_HOOK_INVOKE", "SF.EBS_ENCRYPTION", "SF.ECR_PUBLIC_POLICY",
    "SF.ECS_WRITE_CALLS", "SF.EFS_IAM",
    "SF.EGRESS",
    "SF.EXEC", "SF.EXECUTION_ROLE", "SF.EXTERNAL_TASK_DEFINITION", "SF.FAULT_INJECTION", "SF.IMAGE", "SF.INGRESS",
    "SF.LAUNCH_EXEC", "SF.LAUNCH_NETWORK", "SF.LAUNCH_OVERRIDES", "SF.LAUNCH_PLATFORM", "SF.LAUNCH_PUBLIC_IP",
    "SF.LAUNCH_ROLES", "SF.LAUNCH_UNJUDGED", "SF.MEMORY", "SF.MOUNTS", "SF.OFF_FARGATE", "SF.PARAMETERS", "SF.PTRACE",
    "SF.ROLES",
    "SF.SECRETS", "SF.TASK_ROLE", "SF.TASK_SIZE", "SF.UNJUDGED", "SF.VERSION_CONSISTENCY", "SF.VOLUMES",
]  # fmt: skip
#: The Security Hub 2026 additions and the SF controls added with them: each has an opt-out.
CONTROLS_2026 = [
    "ECS.13", "ECS.14", "ECS.15", "ECS.16", "ECS.18", "ECS.21", "ECR.1", "ECR.2", "ECR.3", "ECR.5",
    "SF.EFS_IAM", "SF.FAULT_INJECTION", "SF.EBS_ENCRYPTION", "SF.VERSION_CONSISTENCY",
]  # fmt: skip


def found(body: dict[str, Any], control: str, controls: Any = CONTROLS) -> set[tuple[str, str | None]]:
    """(resource, container) of every unacknowledged finding of ``control``."""
    return {(f.resource, f.container) for f in evaluate(Template(body), controls) if f.control == control}


def test_control_list_is_pinned() -> None:
    assert [c.id for c in CONTROLS] == EXPECTED_CONTROLS


def test_retired_ecs_1_is_gone_and_its_cases_are_reported_by_ecs_17_and_ecs_20() -> None:
    # GIVEN the former ECS.1 violation: host network, root user, no privilege setting
    body = baseline()
    res(body, "Task").update(NetworkMode="host")
    c0(body).pop("User")
    c0(body).pop("Privileged")
    reported = {f.control for f in evaluate(Template(body))}
    assert "ECS.1" not in reported
    assert {"ECS.17", "ECS.20"} <= reported


def test_every_new_control_has_a_fix_and_is_acknowledgeable() -> None:
    new = [c for c in CONTROLS if c.id in CONTROLS_2026]
    assert all(c.fix and c.acknowledgeable for c in new)


# ------------------------------------------------------------------------------------------------- tags


def test_tag_controls_report_exactly_the_untagged_resources() -> None:
    body = baseline()
    res(body, "Service").pop("Tags")
    res(body, "Cluster").update(Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "s"}])
    assert (found(body, "ECS.13"), found(body, "ECS.14"), found(body, "ECS.15")) == (
        {("Service", None)},
        {("Cluster", None)},
        set(),
    )


def test_required_tag_keys_are_case_sensitive_and_all_required() -> None:
    controls = with_required_tag_keys(["team", "CostCenter"])
    body = baseline()
    res(body, "Task")["Tags"] = [{"Key": "team", "Value": "a"}, {"Key": "CostCenter", "Value": "1"}]
    res(body, "Service")["Tags"] = [{"Key": "team", "Value": "a"}, {"Key": "costcenter", "Value": "1"}]
    assert found(body, "ECS.15", controls) == set()
    assert found(body, "ECS.13", controls) == {("Service", None)}
    assert found(body, "ECS.14", controls) == {("Cluster", None)}


@pytest.mark.parametrize("keys", [["a", "b", "c", "d", "e", "f", "g"], ["aws:owner"], [""]])
def test_required_tag_keys_beyond_security_hubs_limits_are_refused(keys: list[str]) -> None:
    with pytest.raises(ValueError, match="required_tag_keys"):
        with_required_tag_keys(keys)


def test_tags_behind_an_intrinsic_are_not_guessed() -> None:
    body = baseline()
    res(body, "Service")["Tags"] = {"Ref": "TagsParam"}
    assert found(body, "ECS.13") == set()


# ---------------------------------------------------------------------------------------- ECS.16, 18, 21


def test_task_set_without_public_ip_passes_and_with_one_is_reported() -> None:
    body = baseline()
    body["Resources"].update(Private=task_set("DISABLED"), Public=task_set("ENABLED"))
    assert found(body, "ECS.16") == {("Public", None)}


def test_efs_volume_with_transit_encryption_passes() -> None:
    body = baseline()
    res(body, "Task")["Volumes"] = [efs_volume(TransitEncryption="ENABLED"), {"Name": "scratch"}]
    assert found(body, "ECS.18") == set()


def test_explicit_linux_takes_a_task_out_of_ecs_21() -> None:
    body = baseline()
    c0(body).pop("User")
    assert found(body, "ECS.21") == set()
    res(body, "Task").pop("RuntimePlatform")
    assert found(body, "ECS.21") == set()  # Fargate-only without an OS family: Linux (ECS.20 reports the user)
    assert found(body, "ECS.20") == {("Task", "app")}
    res(body, "Task")["RequiresCompatibilities"] = ["EC2", "FARGATE"]  # may run on a Windows instance
    assert found(body, "ECS.21") == {("Task", "app")}


@pytest.mark.parametrize(("user", "reported"), [("containeradministrator", True), ("ContainerUser", False)])
def test_windows_container_user(user: str, reported: bool) -> None:
    body = baseline()
    res(body, "Task")["RuntimePlatform"] = {"OperatingSystemFamily": "WINDOWS_SERVER_2019_FULL"}
    c0(body)["User"] = user
    assert found(body, "ECS.21") == ({("Task", "app")} if reported else set())


# ------------------------------------------------------------------------------------------------- ECR


def test_registry_scanning_rule_covering_the_repository_satisfies_ecr_1() -> None:
    body = baseline()
    res(body, "Repository").pop("ImageScanningConfiguration")
    res(body, "Repository")["RepositoryName"] = "team/app"
    body["Resources"]["Scanning"] = {
        "Type": "AWS::ECR::RegistryScanningConfiguration",
        "Properties": {
            "ScanType": "ENHANCED",
            "Rules": [
                {
                    "ScanFrequency": "CONTINUOUS_SCAN",
                    "RepositoryFilters": [{"Filter": "team/*", "FilterType": "WILDCARD"}],
                }
            ],
        },
    }
    assert found(body, "ECR.1") == set()
    res(body, "Repository")["RepositoryName"] = "other/app"
    assert found(body, "ECR.1") == {("Repository", None)}


def test_aws_managed_ecr_key_alias_fails_ecr_5() -> None:
    body = baseline()
    res(body, "Repository")["EncryptionConfiguration"] = {"EncryptionType": "KMS", "KmsKey": "alias/aws/ecr"}
    assert found(body, "ECR.5") == {("Repository", None)}


# ------------------------------------------------------------------------------------------ SF controls


def test_cdk_asset_image_may_disable_version_consistency() -> None:
    body = baseline()
    c0(body)["VersionConsistency"] = "disabled"
    c0(body)["Image"] = {
        "Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/"
        "cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}:" + "a" * 64
    }
    assert found(body, "SF.VERSION_CONSISTENCY") == set()


def test_look_alike_asset_repository_of_another_registry_is_not_exempt() -> None:
    body = baseline()
    c0(body)["VersionConsistency"] = "disabled"
    c0(body)["Image"] = "public.ecr.aws/cdk-assets/app:1.0"
    assert found(body, "SF.VERSION_CONSISTENCY") == {("Task", "app")}


def test_encrypted_managed_ebs_volume_passes() -> None:
    body = baseline()
    res(body, "Service")["VolumeConfigurations"] = [
        {"Name": "data", "ManagedEBSVolume": {"RoleArn": "arn:aws:iam::1:role/r", "Encrypted": True}}
    ]
    assert found(body, "SF.EBS_ENCRYPTION") == set()


def test_fault_injection_can_be_acknowledged() -> None:
    body = copy.deepcopy(baseline())
    res(body, "Task")["EnableFaultInjection"] = True
    body["Resources"]["Task"]["Metadata"] = {
        "secure-fargate": {"acknowledgements": [{"control": "SF.FAULT_INJECTION", "reason": "game day, RISK-7"}]}
    }
    (finding,) = [f for f in evaluate(Template(body)) if f.control == "SF.FAULT_INJECTION"]
    assert finding.acknowledged == "game day, RISK-7"


# ------------------------------------------------------------------------------------------- GuardDuty


def test_guardduty_table_matches_the_user_guide_rows_we_spot_check() -> None:
    assert len(AGENT_REGISTRY_ACCOUNTS) == 33
    assert agent_repository_arn("us-east-1") == (
        "arn:aws:ecr:us-east-1:593207742271:repository/aws-guardduty-agent-fargate"
    )
    assert agent_repository_arn("eu-central-1") == (
        "arn:aws:ecr:eu-central-1:323658145986:repository/aws-guardduty-agent-fargate"
    )
    assert agent_repository_arn("xx-nowhere-1") is None


MAPPED = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":ecr:",
            {"Ref": "AWS::Region"},
            ":",
            {"Fn::FindInMap": ["SecureFargateGuardDutyAgent", {"Ref": "AWS::Region"}, "account"]},
            ":repository/aws-guardduty-agent-fargate",
        ],
    ]
}


@pytest.mark.parametrize(
    ("resource", "accepted"),
    [
        ("arn:aws:ecr:us-east-1:593207742271:repository/aws-guardduty-agent-fargate", True),
        (MAPPED, True),
        # the right name in someone else's account, another region's account, or another repository
        ("arn:aws:ecr:us-east-1:111122223333:repository/aws-guardduty-agent-fargate", False),
        ("arn:aws:ecr:us-east-1:307168627858:repository/aws-guardduty-agent-fargate", False),
        ("arn:aws:ecr:us-east-1:593207742271:repository/aws-guardduty-agent-fargate-evil", False),
        ("arn:aws:ecr:us-east-1:593207742271:repository/*", False),
        (json.loads(json.dumps(MAPPED).replace("SecureFargateGuardDutyAgent", "Other")), False),
        (json.loads(json.dumps(MAPPED).replace("aws-guardduty-agent-fargate", "x")), False),
    ],
)
def test_guardduty_repository_allow_list(resource: Any, accepted: bool) -> None:
    assert is_guardduty_agent_repository(resource) is accepted


@pytest.mark.parametrize(
    ("cpu", "memory", "agent"),
    [(256, 512, 128), (4096, 30720, 128), (8192, 16384, 256), (8192, 32768, 512), (16384, 32768, 1024)],
)
def test_guardduty_agent_memory(cpu: int, memory: int, agent: int) -> None:
    assert agent_memory_mib(cpu, memory) == agent


def test_headroom_problem_names_the_shortfall() -> None:
    assert headroom_problem(256, 512, [384]) is None
    assert "128 MiB" in (headroom_problem(256, 512, [448]) or "")


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_controls_json_lists_every_control(capsys: Any) -> None:
    assert main(["controls", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in listed] == EXPECTED_CONTROLS
    assert set(listed[0]) >= {
        "id", "title", "resource_type", "severity", "security_hub", "acknowledgeable", "rationale", "fix",
        "severity_reason", "scope", "standards", "remediation", "source", "docs", "help_uri",
    }  # fmt: skip


def test_cli_controls_text_has_one_line_per_control(capsys: Any) -> None:
    assert main(["controls"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == EXPECTED_CONTROLS


def test_cli_check_required_tag_keys(tmp_path: Any, capsys: Any) -> None:
    path = tmp_path / "t.template.json"
    path.write_text(json.dumps(baseline()))
    assert main(["check", str(path)]) == 0
    assert main(["check", str(path), "--required-tag-keys", "team,owner"]) == 1
    assert "lacks the required tag key(s) ['owner']" in capsys.readouterr().out


def test_cli_check_refuses_too_many_required_tag_keys(tmp_path: Any) -> None:
    path = tmp_path / "t.template.json"
    path.write_text(json.dumps(baseline()))
    assert main(["check", str(path), "--required-tag-keys", "a,b,c,d,e,f,g"]) == 2


def _efs_task(authorization: object) -> dict[str, Any]:
    efs: dict[str, Any] = {"FilesystemId": "fs-1", "TransitEncryption": "ENABLED"}
    if authorization is not None:
        efs["AuthorizationConfig"] = authorization
    volume = {"Name": "data", "EFSVolumeConfiguration": efs}
    return {"Resources": {"Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Volumes": [volume]}}}}


@pytest.mark.parametrize(
    ("authorization", "failing"),
    [
        ({"IAM": "ENABLED"}, set()),
        ({"IAM": "DISABLED"}, {("Task", None)}),
        (None, {("Task", None)}),
        ({"IAM": {"Ref": "Unknown"}}, set()),
    ],
    ids=["enabled", "disabled", "absent", "deploy-time"],
)
def test_sf_efs_iam_exact_resources(authorization: object, failing: set[tuple[str, str | None]]) -> None:
    assert found(_efs_task(authorization), "SF.EFS_IAM") == failing
