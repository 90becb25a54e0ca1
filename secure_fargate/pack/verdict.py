"""The one verdict: what ``secure-fargate check`` decides for a set of templates, shared by every enforcer.

The CLI's ``check``, the CloudFormation hook (``hook_handler``) and the live-account scanner (``scan``) all call
:func:`verdict`, so a template judged at deploy time, in CI or rebuilt from a running account gets the same
findings and the same pass/fail. When the engine learns more (new controls, acknowledgement rules, template
sets across stacks), this is the one place that picks it up for all three.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ._template import Template
from .catalog import CONTROLS, Control
from .engine import Finding, evaluate_set

#: Exit codes of ``check`` and ``scan``: nothing open, open findings, usage or input error.
PASS, FINDINGS, ERROR = 0, 1, 2


def exit_code(findings: Iterable[Finding]) -> int:
    """PASS when every finding is acknowledged (or there is none), else FINDINGS."""
    return FINDINGS if any(not f.acknowledged for f in findings) else PASS


def verdict(templates: Sequence[Template], controls: Sequence[Control] = CONTROLS) -> tuple[list[Finding], int]:
    """Every finding (acknowledged or not) over ``templates`` judged together, and the exit code ``check`` gives.

    Args:
        templates: the templates of one call (one cdk.out, the files of one command line, one hook request or
            one scanned account), in a stable order.
        controls: the controls to run. Default: every control of the pack.
    """
    findings = evaluate_set(templates, controls)
    return findings, exit_code(findings)
