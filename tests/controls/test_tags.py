"""Tagging controls (the controls declared in the family module).

Pass and fail cases are data (``cases/tags.json``) plus each declaration's failing and passing example."""

from __future__ import annotations

from tests.controls.casebook import Case, check_case

FAMILY = "tags"


def test_case(case: Case) -> None:
    check_case(case)
