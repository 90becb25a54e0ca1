"""The guardrail pack: everything that runs without aws_cdk.

Each control is declared once beside its rule function (``control``: the declaration; the rule modules
``containers``, ``tasks``, ``services``, ``ingress``, ``tasksets``, ``storage``, ``runtime``, ``iam``, ``ecr``,
``tags``); ``catalog`` collects them; rules read templates through one branch-aware walker (``walk``); the engine
(``engine``) runs them and ``verdict`` decides, for the CLI (``cli``), SARIF (``sarif``), the hook handler and
the scanner. Nothing under this package imports ``aws_cdk`` or ``constructs``: the CLI stays fast and the pack
can run wherever Python runs (CI, a CloudFormation hook, a scanner); ``tests/test_architecture.py`` proves it.
"""

from __future__ import annotations

from ._template import Template
from ._version import __version__
from .catalog import CONTROLS, CONTROLS_BY_ID
from .control import Control, Scope, Severity, Violation, container_control, resource_control
from .engine import METADATA_KEY, Finding, acknowledgements, evaluate, evaluate_set
from .loader import TemplateError, load_template
from .template_set import TemplateSet

__all__ = [
    "CONTROLS",
    "CONTROLS_BY_ID",
    "METADATA_KEY",
    "Control",
    "Finding",
    "Scope",
    "Severity",
    "Template",
    "TemplateError",
    "TemplateSet",
    "Violation",
    "__version__",
    "acknowledgements",
    "container_control",
    "evaluate",
    "evaluate_set",
    "load_template",
    "resource_control",
]
