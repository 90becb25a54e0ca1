"""The guardrail pack: everything that runs without aws_cdk.

The rule engine (``engine``), the controls (``catalog`` wires the functions of ``containers``, ``tasks``,
``services`` and ``iam``), template loading (``loader``), the ``secure-fargate`` CLI (``cli``) and SARIF output
(``sarif``). Nothing under this package imports ``aws_cdk`` or ``constructs``: the CLI stays fast and the pack
can run wherever Python runs (CI, a CloudFormation hook, a scanner). ``tests/test_pack_isolation.py`` proves it.
"""

from __future__ import annotations

from ._template import Template
from ._version import __version__
from .catalog import CONTROLS, CONTROLS_BY_ID, Control
from .engine import METADATA_KEY, Finding, acknowledgements, evaluate, evaluate_set
from .loader import TemplateError, load_template
from .template_set import TemplateSet

__all__ = [
    "CONTROLS",
    "CONTROLS_BY_ID",
    "METADATA_KEY",
    "Control",
    "Finding",
    "Template",
    "TemplateError",
    "TemplateSet",
    "__version__",
    "acknowledgements",
    "evaluate",
    "evaluate_set",
    "load_template",
]
