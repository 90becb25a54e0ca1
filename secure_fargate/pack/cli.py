"""``secure-fargate check``: audit CloudFormation templates (files or cdk.out directories) against the pack.

Exit codes: 0 no unacknowledged finding, 1 findings, 2 usage error or unreadable/malformed template (one line
naming the file, never a traceback). Deliberately free of aws_cdk imports: it must stay fast on big templates.
Text output escapes control and bidirectional characters, so a template cannot forge lines in a CI log.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import CONTROLS, Finding, Template, TemplateError, __version__, load_template, sarif, scan
from .catalog import Control, with_required_tag_keys
from .report import escape, text_report
from .verdict import ERROR, verdict

#: A template file and the root it was found under (the directory given, or the file's own directory).
Located = tuple[Path, Path]


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


def located_files(paths: Sequence[str]) -> list[Located]:
    """(file, scanned root) for every template the arguments name."""
    located: list[Located] = []
    for raw in paths:
        path = Path(raw)
        root = path if path.is_dir() else path.parent
        located.extend((file, root) for file in template_files(path))
    return located


def _verdict(templates: list[Template], controls: Sequence[Control]) -> tuple[list[Finding], int]:
    try:
        return verdict(templates, controls)
    except Exception as error:
        # A rule must never crash on input; if one does, the input is reported as unreadable, not a traceback.
        names = ", ".join(t.name for t in templates)
        raise TemplateError(f"{names}: cannot be checked ({type(error).__name__})") from None


def _render(output_format: str, findings: list[Finding], located: list[Located]) -> str:
    if output_format == "json":
        return json.dumps([f.to_dict() for f in findings], indent=2)
    if output_format == "sarif":
        return json.dumps(sarif.report(findings, locations=sarif.artifact_locations(located)), indent=2)
    return text_report(findings)


def _write(report: str, output: str | None) -> None:
    if not output:
        print(report)
        return
    try:
        Path(output).write_text(report + "\n", encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"{output}: cannot write the report: {error.strerror or error}") from None


def _controls(required_tag_keys: str) -> Sequence[Control]:
    try:
        return with_required_tag_keys([k.strip() for k in required_tag_keys.split(",") if k.strip()])
    except ValueError as error:
        raise TemplateError(f"--required-tag-keys: {error}") from None


def check(args: argparse.Namespace) -> int:
    """``secure-fargate check``: 0 clean, 1 unacknowledged findings, 2 bad input (one line on stderr)."""
    try:
        controls = _controls(args.required_tag_keys)
        located = located_files(args.paths)
        findings, code = _verdict([load_template(file) for file, _ in located], controls)
        _write(_render(args.format, findings, located), args.output)
    except TemplateError as error:
        print(f"secure-fargate: error: {escape(str(error))}", file=sys.stderr)
        return ERROR
    return code


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secure-fargate", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    checker = commands.add_parser("check", help="audit templates against the Fargate guardrail controls")
    checker.add_argument("paths", nargs="+", metavar="PATH", help="a template file or a cdk.out directory")
    checker.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    checker.add_argument("--output", "-o", help="write the report to this file instead of standard output")
    checker.add_argument(
        "--required-tag-keys",
        default="",
        metavar="K1,K2",
        help="tag keys ECS.13/14/15 require (Security Hub requiredTagKeys; at most 6); default: any one tag",
    )
    scan.add_arguments(commands.add_parser("scan", help="audit the live ECS services of an account (read-only)"))
    listing = commands.add_parser("controls", help="list every control of the pack")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    return parser


#: Subcommand name -> its function (each subcommand is its own function; main only dispatches).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": check,
    "scan": lambda args: scan.run(args),
    "controls": lambda args: controls_command(args.format),
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
