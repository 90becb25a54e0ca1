"""SARIF 2.1.0 output for code-scanning tools (GitHub code scanning, Azure DevOps, ...)."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .catalog import CONTROLS
from .engine import Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning"}


def report(findings: list[Finding], version: str = __version__) -> dict[str, Any]:
    """A SARIF log with one run; acknowledged findings carry an accepted external suppression."""
    rules = [
        {
            "id": c.id,
            "name": c.id.replace(".", ""),
            "shortDescription": {"text": c.title},
            "fullDescription": {"text": c.rationale},
            "defaultConfiguration": {"level": _LEVEL.get(c.severity, "warning")},
            "properties": {"tags": ["security", "aws-security-hub" if c.security_hub else "secure-fargate"]},
        }
        for c in CONTROLS
    ]
    index = {c.id: i for i, c in enumerate(CONTROLS)}
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.control,
            "ruleIndex": index[f.control],
            "level": _LEVEL.get(f.severity, "warning"),
            "message": {"text": f"{f.resource}" + (f" ({f.container})" if f.container else "") + f": {f.message}"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": f.template}, "region": {"startLine": 1}},
                    "logicalLocations": [{"name": f.resource, "kind": "resource"}],
                }
            ],
            "partialFingerprints": {"resource": f"{f.template}/{f.resource}/{f.container or ''}/{f.control}"},
        }
        if f.acknowledged:
            result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.acknowledged}]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "secure-fargate", "version": version, "rules": rules}},
                "results": results,
            }
        ],
    }
