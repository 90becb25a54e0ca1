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

from . import Finding, TemplateError, __version__, evaluate_set, load_template, sarif


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="secure-fargate", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="audit templates against the Fargate guardrail controls")
    check.add_argument("paths", nargs="+", metavar="PATH", help="a template file or a cdk.out directory")
    check.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    check.add_argument("--output", "-o", help="write the report to this file instead of standard output")
    args = parser.parse_args(argv)

    try:
        # All templates of one call are judged as one set: references across stacks are followed.
        templates = [load_template(file) for raw in args.paths for file in template_files(Path(raw))]
        findings: list[Finding] = evaluate_set(templates)
    except TemplateError as error:
        print(f"secure-fargate: error: {error}", file=sys.stderr)
        return 2

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
    return 1 if any(not f.acknowledged for f in findings) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
