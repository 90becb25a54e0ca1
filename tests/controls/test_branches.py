"""Branch-awareness of every rule: each failing case of the suite still fails when what it touches is moved into
an ``Fn::If`` (either branch, beside ``AWS::NoValue`` or a compliant value) or its resource is guarded by a
``Condition``. CloudFormation may deploy either branch, so the pack judges both (one branch-aware walker)."""

from __future__ import annotations

import pytest

from tests.controls.casebook import Case, all_cases, branch_variants, open_controls

FAILING = [case for case in all_cases() if case.expect == "fail"]


@pytest.mark.parametrize("case", FAILING, ids=[c.id for c in FAILING])
def test_a_failing_case_fails_in_every_branch(case: Case) -> None:
    missed = [name for name, body in branch_variants(case) if case.control not in open_controls(body)]
    assert not missed, f"{case.control} missed in: {missed}"


def test_every_failing_case_has_branch_variants() -> None:
    assert all(any(True for _ in branch_variants(case)) for case in FAILING)
