"""ECR repository controls: ECR.1, ECR.2, ECR.3, ECR.5.

Pass and fail cases are data (``cases/ecr.json``) plus each declaration's failing and passing example."""

from __future__ import annotations

from tests.controls.casebook import Case, check_case

FAMILY = "ecr"


def test_case(case: Case) -> None:
    check_case(case)
