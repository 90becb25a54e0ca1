"""SARIF 2.1.0 output for code-scanning tools (GitHub code scanning, Azure DevOps, ...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._version import __version__
from .catalog import CONTROLS
from .engine import Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning"}


#: Where a template sits for SARIF: (uriBaseId, URI of the base directory, percent-encoded relative URI).
Location = tuple[str, str, str]


def artifact_locations(located: Sequence[tuple[Path, Path]]) -> dict[str, Location]:
    """Template name -> its SARIF location: a URI relative to the scanned root (the directory given, or the
    file's directory), percent-encoded, with one ``uriBaseId`` per root."""
    bases: dict[Path, str] = {}
    locations: dict[str, Location] = {}
    for file, root in located:
        base_id = bases.setdefault(root, f"SCANROOT{len(bases) + 1}")
        try:
            relative = file.relative_to(root).as_posix()
        except ValueError:
            relative = file.name
        root_uri = root.resolve().as_uri().rstrip("/") + "/"
        locations[str(file)] = (base_id, root_uri, quote(relative, safe="/"))
    return locations


def _location(template: str, locations: Mapping[str, Location]) -> dict[str, Any]:
    if template in locations:
        base_id, _, uri = locations[template]
        return {"uri": uri, "uriBaseId": base_id}
    return {"uri": quote(template.replace("\\", "/"), safe="/")}


def report(
    findings: list[Finding], version: str = __version__, locations: Mapping[str, Location] | None = None
) -> dict[str, Any]:
    """A SARIF log with one run; acknowledged findings carry an accepted external suppression.

    Args:
        findings: the findings to report.
        version: the tool version shown in the log (default: this package's).
        locations: template name -> location (``artifact_locations``); without it, URIs are the template names,
            percent-encoded.
    """
    locations = locations or {}
    rules = [
        {
            "id": c.id,
            "name": c.id.replace(".", ""),
            "shortDescription": {"text": c.title},
            "fullDescription": {"text": c.rationale},
            "defaultConfiguration": {"level": _LEVEL.get(c.severity, "warning")},
            "help": {"text": c.fix},
            "properties": {
                "tags": ["security", "aws-security-hub" if c.security_hub else "secure-fargate"],
                "acknowledgeable": c.acknowledgeable,
            },
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
                    "physicalLocation": {
                        "artifactLocation": _location(f.template, locations),
                        "region": {"startLine": 1},
                    },
                    "logicalLocations": [{"name": f.resource, "kind": "resource"}],
                }
            ],
            "partialFingerprints": {
                "resource": f"{f.template}/{f.resource}/{f.container or ''}/{f.item or ''}/{f.control}"
            },
        }
        if f.acknowledged:
            result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.acknowledged}]
        results.append(result)
    run_bases = {base_id: {"uri": root_uri} for base_id, root_uri, _ in locations.values()}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "secure-fargate", "version": version, "rules": rules}},
                "results": results,
                **({"originalUriBaseIds": run_bases} if run_bases else {}),
            }
        ],
    }
