"""Snapshot regression nets (syrupy) for the reference and minimal stacks, plus cfn-lint over both.

The snapshot is not the spec: every security property also has a targeted test. Volatile values (asset
hashes, CDK metadata) are normalized so a snapshot changes only when the template really changes; a
snapshot update in a commit must say why in its message.
"""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.helpers import cfn_lint, normalize


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_reference_stack_snapshot(reference_template: dict[str, Any], json_snapshot: SnapshotAssertion) -> None:
    assert normalize(reference_template) == json_snapshot


def test_minimal_stack_snapshot(minimal_template: dict[str, Any], json_snapshot: SnapshotAssertion) -> None:
    assert normalize(minimal_template) == json_snapshot


@pytest.mark.slow
@pytest.mark.parametrize("name", ["reference_template", "minimal_template"])
def test_cfn_lint_reports_no_error(name: str, request: pytest.FixtureRequest) -> None:
    problems = cfn_lint(request.getfixturevalue(name))
    assert [p for p in problems if p.startswith("E")] == []
