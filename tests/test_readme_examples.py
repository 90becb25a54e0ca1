"""Examples marked ``<!-- example: runs -->`` (the line before the fence) in README.md and docs/**/*.md are
synthesized as written, so they cannot rot: each must pass the synth, the guardrail pack included (which
SecureFargateService registers).

All run in this test process's one jsii kernel, built once in a module-scoped fixture.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = "<!-- example: runs -->"
_BLOCK = re.compile(re.escape(MARKER) + r"\n```python\n(.*?)```", re.S)
#: The examples every runnable block must have: one app, synthesized.
_APP, _SYNTH = "app = cdk.App()", "app.synth()"


def documents() -> list[Path]:
    """The README and every page of the docs site."""
    return [README, *sorted((ROOT / "docs").rglob("*.md"))]


def runnable_examples(path: Path) -> list[str]:
    return _BLOCK.findall(path.read_text(encoding="utf-8"))


def all_examples() -> list[tuple[str, str]]:
    """(where, code) of every runnable example, where = "docs/user-guide.md example 1"."""
    return [
        (f"{path.relative_to(ROOT)} example {i}", code)
        for path in documents()
        for i, code in enumerate(runnable_examples(path))
    ]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path, BaseException | None]]:
    """(where, cloud assembly directory, error or None) for each runnable example."""
    outcomes: list[tuple[str, Path, BaseException | None]] = []
    for i, (where, code) in enumerate(all_examples()):
        outdir = tmp_path_factory.mktemp(f"example{i}")
        # Each example writes its own cloud assembly (its text says cdk.App(); the directory is the only change).
        source = code.replace(_APP, f"app = cdk.App(outdir={str(outdir)!r})")
        try:
            exec(compile(source, where, "exec"), {"__name__": f"docs_example_{i}"})
            outcomes.append((where, outdir, None))
        except Exception as error:  # reported by the test, with the example that raised it
            outcomes.append((where, outdir, error))
    return outcomes


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_marker_sits_on_a_python_fence(path: Path) -> None:
    # A marker on a fence that is not Python (or with a blank line between) is a typo: that example would not run.
    markers = re.findall(r"^" + re.escape(MARKER) + r"$", path.read_text(encoding="utf-8"), re.M)
    assert len(markers) == len(runnable_examples(path))


def test_readme_and_user_guide_mark_their_examples() -> None:
    # The README's first example and the user guide's two examples at least.
    assert len(runnable_examples(README)) >= 1
    assert len(runnable_examples(ROOT / "docs" / "user-guide.md")) >= 2


def test_each_runnable_example_is_a_whole_app() -> None:
    for where, code in all_examples():
        assert code.count(_APP) == 1 and _SYNTH in code, where
        assert "<" not in re.sub(r"<!--.*?-->|\"[^\"]*\"|'[^']*'|#.*", "", code), f"placeholder left in {where}"


def test_each_runnable_example_synthesizes(results: list[tuple[str, Path, BaseException | None]]) -> None:
    failed = [(where, repr(error)[:2000]) for where, _, error in results if error is not None]
    assert failed == []


def test_each_runnable_example_writes_a_template(results: list[tuple[str, Path, BaseException | None]]) -> None:
    for where, outdir, error in results:
        if error is None:
            assert list(outdir.glob("*.template.json")), where
