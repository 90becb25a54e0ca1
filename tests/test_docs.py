"""The docs as a newcomer meets them: a short README that links into the site, and a site that builds strict.

The runnable examples of both are synthesized by tests/test_readme_examples.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").rglob("*.md"))
#: Words of how the project was built, not of what it does: a user has no issue tracker or "round" to look up.
HISTORY = re.compile(r"\bissue (?:#?\d+|was silent)|\bthis round\b|\badded this round\b|(?-i:_Day2)\b", re.I)


def test_readme_stays_a_front_door() -> None:
    # What, why, install, the two commands, a first example, links: the rest lives in docs/.
    assert README.stat().st_size < 15_000


@pytest.mark.parametrize("path", [README, *PAGES], ids=lambda p: str(p.relative_to(ROOT)))
def test_user_docs_carry_no_project_history(path: Path) -> None:
    assert HISTORY.findall(path.read_text(encoding="utf-8")) == []


def test_readme_links_resolve_to_files() -> None:
    # GitHub renders the README outside the site: its relative links must name files of the repository (the
    # control pages under docs/controls/ are generated from the control declarations).
    targets = re.findall(r"\]\((?!https?://|#)([^)#]+)", README.read_text(encoding="utf-8"))
    assert targets, "the README links into docs/"
    assert [t for t in targets if not (ROOT / t).exists()] == []


def test_every_page_is_in_the_site_navigation() -> None:
    # The per-control pages are reached from the generated control index, which is in the navigation.
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*(\S+\.md)\s*$", nav, re.M))
    assert "controls/index.md" in listed
    index = (ROOT / "docs" / "controls" / "index.md").read_text(encoding="utf-8")
    reachable = listed | {f"controls/{name}" for name in re.findall(r"\]\(([^)/]+\.md)\)", index)}
    assert {p.relative_to(ROOT / "docs").as_posix() for p in PAGES} - reachable == set()


@pytest.mark.slow  # a whole MkDocs build (seconds): `make test` and `make docs` run it, the code inner loop need not
def test_site_builds_strict_and_offline(tmp_path: Path) -> None:
    # --strict: a broken link, a missing nav page or an API reference that does not resolve fails the build.
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="secure_fargate.SecureFargateService"' in api  # the reference was generated from the docstrings
