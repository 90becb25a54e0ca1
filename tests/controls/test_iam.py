"""IAM controls (roles and what they allow) (the controls declared in the family module).

Pass and fail cases are data (``cases/iam.json``) plus each declaration's failing and passing example."""

from __future__ import annotations

from tests.controls.casebook import Case, check_case

FAMILY = "iam"


def test_case(case: Case) -> None:
    check_case(case)
