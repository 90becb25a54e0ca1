"""Runtime controls: ECS.21, SF.FAULT_INJECTION, SF.VERSION_CONSISTENCY.

Pass and fail cases are data (``cases/runtime.json``) plus each declaration's failing and passing example."""

from __future__ import annotations

from tests.controls.casebook import Case, check_case

FAMILY = "runtime"


def test_case(case: Case) -> None:
    check_case(case)
