"""Container controls: ECS.4, ECS.5, ECS.8, ECS.9, ECS.20, SF.CAPABILITIES, SF.IMAGE, SF.MOUNTS.

Pass and fail cases are data (``cases/containers.json``) plus each declaration's failing and passing example."""

from __future__ import annotations

from tests.controls.casebook import Case, check_case

FAMILY = "containers"


def test_case(case: Case) -> None:
    check_case(case)
