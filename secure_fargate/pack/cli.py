"""``secure-fargate check``: audit CloudFormation templates (files or cdk.out directories) against the pack.

Exit codes: 0 no unacknowledged finding, 1 findings, 2 usage error or unreadable/malformed template.
Deliberately free of aws_cdk imports: it must stay fast on big templates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import CONTROLS, Finding, Template, TemplateError, __version__, load_template, sarif, scan
from .catalog import Control, with_required_tag_keys
from .verdict import verdict


def template_files(path: Path) -> list[Path]:
    """A template file itself, or every ``*.template.json`` under a cdk.out directory (nested stages too)."""
    if path.is_dir():
        found = sorted(path.rglob("*.template.json"))
        if not found:
            raise TemplateError(f"{path}: no *.template.json in this directory")
        return found
    if not path.exists():
        raise TemplateError(f"{path}: no such file or directory")
    return [path]


def _text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        where = f"{f.resource}" + (f" container {f.container}" if f.container else "")
        status = f" [acknowledged: {f.acknowledged}]" if f.acknowledged else ""
        lines.append(f"{f.template}: {f.control} {where}: {f.message}{status}")
    open_count = sum(1 for f in findings if not f.acknowledged)
    lines.append(f"{open_count} finding(s), {len(findings) - open_count} acknowledged")
    return "\n".join(lines)


def control_record(control: Control) -> dict[str, object]:
    """What ``secure-fargate controls`` reports about one control."""
    return {
        "id": control.id,
        "title": control.title,
        "resource_type": control.resource_type,
        "severity": control.severity,
        "security_hub": control.security_hub,
        "acknowledgeable": control.acknowledgeable,
        "rationale": control.rationale,
        "fix": control.fix,
    }


def controls_command(output_format: str) -> int:
    """``secure-fargate controls [--format text|json]``: every control, in catalogue order."""
    records = [control_record(c) for c in CONTROLS]
    if output_format == "json":
        print(json.dumps(records, indent=2))
    else:
        for r in records:
            ack = "acknowledgeable" if r["acknowledgeable"] else "invariant"
            print(f"{r['id']:<24} {r['resource_type']:<28} {r['severity']:<8} {ack:<15} {r['title']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="secure-fargate", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="audit templates against the Fargate guardrail controls")
    check.add_argument("paths", nargs="+", metavar="PATH", help="a template file or a cdk.out directory")
    check.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    check.add_argument("--output", "-o", help="write the report to this file instead of standard output")
    scan.add_arguments(commands.add_parser("scan", help="audit the live ECS services of an account (read-only)"))
    check.add_argument(
        "--required-tag-keys",
        default="",
        metavar="K1,K2",
        help="tag keys ECS.13/14/15 require (Security Hub requiredTagKeys; at most 6); default: any one tag",
    )
    listing = commands.add_parser("controls", help="list every control of the pack")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    if args.command == "scan":
        return scan.run(args)
    if args.command == "controls":
        return controls_command(args.format)
    try:
        controls = with_required_tag_keys([k.strip() for k in args.required_tag_keys.split(",") if k.strip()])
    except ValueError as error:
        print(f"secure-fargate: error: --required-tag-keys: {error}", file=sys.stderr)
        return 2

    templates: list[Template] = []
    try:
        for raw in args.paths:
            for file in template_files(Path(raw)):
                templates.append(load_template(file))
    except TemplateError as error:
        print(f"secure-fargate: error: {error}", file=sys.stderr)
        return 2
    findings, code = verdict(templates, controls)

    if args.format == "json":
        report = json.dumps([f.to_dict() for f in findings], indent=2)
    elif args.format == "sarif":
        report = json.dumps(sarif.report(findings), indent=2)
    else:
        report = _text(findings)
    if args.output:
        Path(args.output).write_text(report + "\n", encoding="utf-8")
    else:
        print(report)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
