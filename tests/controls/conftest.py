"""Each family module names its ``FAMILY``; its ``test_case`` runs over that family's cases (data + declarations)."""

from __future__ import annotations

import pytest

from tests.controls.casebook import family_cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    family = getattr(metafunc.module, "FAMILY", None)
    if family and "case" in metafunc.fixturenames:
        cases = family_cases(family)
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])
