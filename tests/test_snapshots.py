"""Snapshot regression nets (syrupy) for the reference and minimal stacks, plus cfn-lint over both.

The snapshot is not the spec: every security property also has a targeted test. Volatile values (asset
hashes, CDK metadata) are normalized so a snapshot changes only when the template really changes; a
snapshot update in a commit must say why in its message.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}(?=\.(zip|json|tar)\b)")


def normalize(template: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True)))
    body.get("Resources", {}).pop("CDKMetadata", None)
    body.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    for resource in body.get("Resources", {}).values():
        metadata = resource.get("Metadata", {})
        metadata.pop("aws:cdk:path", None)
        if not metadata:
            resource.pop("Metadata", None)
    return body


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_reference_stack_snapshot(reference_template: dict[str, Any], json_snapshot: SnapshotAssertion) -> None:
    assert normalize(reference_template) == json_snapshot


def test_minimal_stack_snapshot(minimal_template: dict[str, Any], json_snapshot: SnapshotAssertion) -> None:
    assert normalize(minimal_template) == json_snapshot


#: cfn-lint checks not applied, each with its reason.
#: W3005 (a DependsOn already implied by a Ref): CDK makes an ECS service depend on the listener construct that
#: forwards to its target group, and the target group is a child of that listener; a state machine depends on its
#: role. The ordering is harmless, and the alternatives are worse: rewriting DependsOn drops dependencies (the
#: listener rule a routed service needs, or ones a user adds), and moving target groups out of the listener
#: would replace them in every deployed stack.
IGNORED_CFN_LINT_CHECKS = ["W3005"]


def cfn_lint(template: dict[str, Any]) -> list[str]:
    from cfnlint.api import ManualArgs, lint

    config = ManualArgs(regions=["us-east-1"], ignore_checks=IGNORED_CFN_LINT_CHECKS)
    matches = lint(json.dumps(template), config=config)
    return [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["reference_template", "minimal_template"])
def test_cfn_lint_reports_no_error(name: str, request: pytest.FixtureRequest) -> None:
    problems = cfn_lint(request.getfixturevalue(name))
    assert [p for p in problems if p.startswith("E")] == []
