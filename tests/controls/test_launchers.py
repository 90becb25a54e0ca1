"""Launcher controls: SF.LAUNCH_PUBLIC_IP, SF.LAUNCH_NETWORK, SF.LAUNCH_PLATFORM, SF.LAUNCH_EXEC, SF.LAUNCH_OVERRIDES,
SF.LAUNCH_ROLES, SF.LAUNCH_UNJUDGED, SF.EXTERNAL_TASK_DEFINITION, SF.ECS_WRITE_CALLS, SF.OFF_FARGATE.

Pass and fail cases are data (``cases/launchers.json``) plus each declaration's failing and passing example; every
case is also run through ``secure-fargate check`` and the hook handler, which must give one verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.controls.casebook import Case, check_case, family_cases
from tests.helpers import answer, cli_verdict

FAMILY = "launchers"


def test_case(case: Case) -> None:
    check_case(case)


CASES = family_cases(FAMILY)


@pytest.mark.parametrize("launcher", CASES, ids=[c.id for c in CASES])
def test_check_and_the_hook_give_one_verdict(launcher: Case, tmp_path: Path) -> None:
    """GIVEN a launcher case WHEN ``check`` and the hook judge it THEN both fire its control on a failing case (and
    neither on a passing one), and the hook refuses exactly when ``check`` exits 1."""
    body = launcher.body()
    code, report = cli_verdict(body, tmp_path)
    reply = answer(body)
    in_check = any(f["control"] == launcher.control and not f["acknowledged"] for f in report)
    in_hook = launcher.control in reply.get("message", "")
    assert in_check is in_hook is (launcher.expect == "fail")
    assert reply["hookStatus"] == ("FAILED" if code == 1 else "SUCCESS")
