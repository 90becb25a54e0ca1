"""Stateful resources: explicit removal policies (retained by default) and logical IDs pinned by a test.

A refactor that renames a construct changes the logical ID, and the next deploy would replace (delete and
recreate) the resource: a secret regenerated, a log group's history lost. These tests fail first.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk.assertions import Template

from secure_fargate import SecureFargateService
from tests.conftest import app_container, base_stack

STATEFUL = (
    "AWS::Logs::LogGroup",
    "AWS::SecretsManager::Secret",
    "AWS::KMS::Key",
    "AWS::ECR::Repository",
    "AWS::S3::Bucket",
)

#: The reference stack's stateful resources by logical ID. Changing this set means users' next deploy
#: replaces them: do it only with a migration note.
PINNED_REFERENCE = {
    "AppLogs2EC8A6C6": "AWS::Logs::LogGroup",
    "AppSecretFAB5164C": "AWS::SecretsManager::Secret",
    "ClusterEphemeralStorageKey67987449": "AWS::KMS::Key",  # added in issue 14 (nothing replaced)
    "IngressAccessLogs80F9B44E": "AWS::S3::Bucket",
    "IngressWafLogKey52BC3617": "AWS::KMS::Key",
    "IngressWafLogs6CB0B6E0": "AWS::Logs::LogGroup",
    "LogKeyE83D0C1B": "AWS::KMS::Key",
    "NetworkFlowLogs2BEC3212": "AWS::Logs::LogGroup",
    "NetworkKey1D162FA0": "AWS::KMS::Key",
    "SecretKey573D36D8": "AWS::KMS::Key",
}


def stateful(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] in STATEFUL}


def test_reference_stateful_logical_ids_are_pinned(reference_template: dict[str, Any]) -> None:
    assert {k: v["Type"] for k, v in stateful(reference_template).items()} == PINNED_REFERENCE


def test_stateful_resources_the_library_creates_are_retained_by_default(
    reference_template: dict[str, Any], minimal_template: dict[str, Any]
) -> None:
    # (the minimal stack's secret is the test harness's own, so only the service's log group is taken from it)
    created = {
        **stateful(reference_template),
        "ServiceLogs205D48C6": minimal_template["Resources"]["ServiceLogs205D48C6"],
    }
    for logical_id, resource in created.items():
        assert resource.get("DeletionPolicy") == "Retain", logical_id
        assert resource.get("UpdateReplacePolicy") == "Retain", logical_id


def test_service_log_group_logical_id_is_stable(minimal_template: dict[str, Any]) -> None:
    assert [k for k, v in stateful(minimal_template).items() if v["Type"] == "AWS::Logs::LogGroup"] == [
        "ServiceLogs205D48C6"
    ]


def test_removal_policy_is_configurable() -> None:
    _, stack, cluster, _ = base_stack()
    SecureFargateService(stack, "S", cluster=cluster, container=app_container(), removal_policy=RemovalPolicy.DESTROY)
    Template.from_stack(stack).has_resource("AWS::Logs::LogGroup", {"DeletionPolicy": "Delete"})
