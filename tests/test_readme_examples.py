"""README examples marked ``<!-- example: runs -->`` (the line before the fence) are synthesized as written, so
they cannot rot: each must pass the synth, the guardrail pack included (which SecureFargateService registers).

All run in this test process's one jsii kernel, built once in a module-scoped fixture.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
MARKER = "<!-- example: runs -->"
_BLOCK = re.compile(re.escape(MARKER) + r"\n```python\n(.*?)```", re.S)
#: The examples every runnable block must have: one app, synthesized.
_APP, _SYNTH = "app = cdk.App()", "app.synth()"


def runnable_examples() -> list[str]:
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path, BaseException | None]]:
    """(first line, cloud assembly directory, error or None) for each runnable example."""
    outcomes: list[tuple[str, Path, BaseException | None]] = []
    for i, code in enumerate(runnable_examples()):
        outdir = tmp_path_factory.mktemp(f"readme{i}")
        # Each example writes its own cloud assembly (its text says cdk.App(); the directory is the only change).
        source = code.replace(_APP, f"app = cdk.App(outdir={str(outdir)!r})")
        try:
            exec(compile(source, f"README.md example {i}", "exec"), {"__name__": f"readme_example_{i}"})
            outcomes.append((code.splitlines()[0], outdir, None))
        except Exception as error:  # reported by the test, with the example that raised it
            outcomes.append((code.splitlines()[0], outdir, error))
    return outcomes


def test_readme_marks_its_runnable_examples() -> None:
    # The main example and the platform-team example at least; a marker on a fence that is not Python is a typo.
    markers = re.findall(r"^" + re.escape(MARKER) + r"$", README.read_text(encoding="utf-8"), re.M)
    assert len(markers) == len(runnable_examples()) >= 2


def test_each_runnable_example_is_a_whole_app() -> None:
    for code in runnable_examples():
        assert code.count(_APP) == 1 and _SYNTH in code, code.splitlines()[:3]
        assert "<" not in re.sub(r"<!--.*?-->|\"[^\"]*\"|'[^']*'|#.*", "", code), "placeholder left in example"


def test_each_runnable_example_synthesizes(results: list[tuple[str, Path, BaseException | None]]) -> None:
    failed = [(first, repr(error)[:2000]) for first, _, error in results if error is not None]
    assert failed == []


def test_each_runnable_example_writes_a_template(results: list[tuple[str, Path, BaseException | None]]) -> None:
    for first, outdir, error in results:
        if error is None:
            assert list(outdir.glob("*.template.json")), first
