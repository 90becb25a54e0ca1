"""SARIF 2.1.0 output for code-scanning tools (GitHub code scanning, Azure DevOps, ...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._version import __version__
from .catalog import CONTROLS
from .control import Control, Severity
from .engine import Finding
from .regions import resource_lines

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: Where each control's reference page is published; ``helpUri`` is this plus ``<ID>.md``. The generated pages
#: live in the repository under docs/controls/ (PLACEHOLDER host, as the project URLs in pyproject.toml).
DOCS_BASE_URI = "https://git.example.com/your-org/secure-fargate/blob/main/docs/controls/"
#: SARIF levels and GitHub's numeric ``security-severity`` for Security Hub's labels.
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "warning",
    Severity.INFORMATIONAL: "note",
}
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFORMATIONAL: "0.0",
}


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


def rule(control: Control) -> dict[str, Any]:
    """The SARIF ``reportingDescriptor`` of a control, derived from its declaration."""
    return {
        "id": control.id,
        "name": control.id.replace(".", ""),
        "shortDescription": {"text": control.title},
        "fullDescription": {"text": control.rationale},
        "defaultConfiguration": {"level": _LEVEL[control.severity]},
        "help": {"text": control.fix},
        "helpUri": DOCS_BASE_URI + quote(f"{control.id}.md"),
        "properties": {
            "tags": ["security", *control.standards],
            "security-severity": _SECURITY_SEVERITY[control.severity],
            "acknowledgeable": control.acknowledgeable,
        },
    }


def file_lines(located: Sequence[tuple[Path, Path]]) -> dict[str, dict[str, int]]:
    """Template name -> {logical ID: declaration line} for the files of one run (unreadable files: none)."""
    lines: dict[str, dict[str, int]] = {}
    for file, _ in located:
        try:
            lines[str(file)] = resource_lines(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeError):
            lines[str(file)] = {}
    return lines


def report(
    findings: list[Finding],
    version: str = __version__,
    locations: Mapping[str, Location] | None = None,
    controls: Sequence[Control] = CONTROLS,
    lines: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, Any]:
    """A SARIF log with one run; acknowledged findings carry an accepted external suppression.

    Args:
        findings: the findings to report.
        version: the tool version shown in the log (default: this package's).
        locations: template name -> location (``artifact_locations``); without it, URIs are the template names,
            percent-encoded.
        controls: the controls that ran (the log's rules). Default: every control of the pack.
        lines: template name -> {logical ID: line} (``file_lines``); a resource not in it points at line 1.
    """
    locations, lines = locations or {}, lines or {}
    ran = list(controls) + [c for c in CONTROLS if c not in controls and any(f.control == c.id for f in findings)]
    rules = [rule(c) for c in ran]
    # A finding of a control the log was not told about (a caller's own) still gets a rule: never a KeyError.
    unknown = dict.fromkeys(f.control for f in findings if f.control not in {c.id for c in ran})
    rules += [{"id": i, "name": i.replace(".", ""), "shortDescription": {"text": i}} for i in unknown]
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.control,
            "ruleIndex": index[f.control],
            "level": _LEVEL[Severity(f.severity)],
            "message": {"text": f"{f.resource}" + (f" ({f.container})" if f.container else "") + f": {f.message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _location(f.template, locations),
                        "region": {"startLine": lines.get(f.template, {}).get(f.resource, 1)},
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
        elif f.baselined:  # recorded debt (secure-fargate baseline): suppressed, and said to be the baseline's
            result["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": f"baseline: {f.baselined}"}
            ]
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
