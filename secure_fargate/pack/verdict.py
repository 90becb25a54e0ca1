"""The one verdict: what ``secure-fargate check`` decides for a set of templates, shared by every enforcer.

The CLI's ``check``, the CDK plugin, the CloudFormation hook (``hook_handler``) and the live-account scanner
(``scan``) all call :func:`verdict`, so a template judged at deploy time, in CI or rebuilt from a running account
gets the same findings and the same pass/fail. When the engine learns more (new controls, acknowledgement rules,
template sets across stacks), this is the one place that picks it up for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ._template import Template
from .baseline import Baseline, apply
from .control import DEFAULT_FAIL_ON, Control, Severity
from .engine import Finding, evaluate_set

#: Exit codes of ``check`` and ``scan``: nothing open, open findings, usage or input error.
PASS, FINDINGS, ERROR = 0, 1, 2


def exit_code(findings: Iterable[Finding], fail_on: Severity = DEFAULT_FAIL_ON) -> int:
    """PASS when no open finding is at least as severe as ``fail_on``, else FINDINGS."""
    return FINDINGS if any(f.fails(fail_on) for f in findings) else PASS


def verdict(
    templates: Sequence[Template],
    controls: Sequence[Control] | None = None,
    fail_on: Severity = DEFAULT_FAIL_ON,
    baseline: Baseline | None = None,
) -> tuple[list[Finding], int]:
    """Every finding (acknowledged or not) over ``templates`` judged together, and the exit code ``check`` gives.

    Args:
        templates: the templates of one call (one cdk.out, the files of one command line, one hook request or
            one scanned account), in a stable order.
        controls: the controls to run. Default: the default standards' (``fsbp``, ``secure-fargate``).
        fail_on: the lowest severity an open finding must have to fail the run. Default: LOW (every finding).
        baseline: recorded findings that do not fail the run (``baseline``); its gone entries are
            ``baseline.gone(findings, baseline)``. Default: none.
    """
    findings = evaluate_set(templates, controls)
    if baseline is not None:
        findings = apply(findings, baseline)
    return findings, exit_code(findings, fail_on)
