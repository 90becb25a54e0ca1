"""The README's architecture picture is generated from the reference template and cannot drift from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_committed_diagram_matches_the_reference_template(reference_template: dict[str, Any]) -> None:
    spec = importlib.util.spec_from_file_location("diagram", DOCS / "diagram.py")
    assert spec and spec.loader
    diagram = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(diagram)
    expected = diagram.to_dot(reference_template)
    assert (DOCS / "architecture.dot").read_text() == expected, "run `make diagram` and commit docs/architecture.*"
    assert (DOCS / "architecture.png").stat().st_size > 10_000
