"""``secure-fargate check``: audit CloudFormation templates (files or cdk.out directories) against the pack.

Exit codes: 0 no unacknowledged finding, 1 findings, 2 usage error or unreadable/malformed template (one line
naming the file, never a traceback). Deliberately free of aws_cdk imports: it must stay fast on big templates.
Text output escapes control and bidirectional characters, so a template cannot forge lines in a CI log.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

from . import CONTROLS, CONTROLS_BY_ID, Finding, Template, TemplateError, __version__, clock, load_template, sarif, scan
from . import baseline as baselines
from .catalog import controls_in, parse_fail_on, selection
from .control import DEFAULT_FAIL_ON, DEFAULT_STANDARDS, STANDARDS, Control, ControlError, Severity, load_external
from .report import escape, text_report
from .verdict import ERROR, verdict

#: A template file and the root it was found under (the directory given, or the file's own directory).
Located = tuple[Path, Path]


#: Files of a cdk.out that are never templates (the assembly's manifest, construct tree and asset manifests).
_NOT_TEMPLATES = ("manifest.json", "tree.json", "cdk.out")
#: A YAML document whose top level declares a template section (possibly quoted): a CloudFormation template.
_YAML_TEMPLATE = re.compile(r"^[\"']?(?:Resources|AWSTemplateFormatVersion)[\"']?\s*:", re.MULTILINE)


def template_files(path: Path) -> list[Path]:
    """A template file itself, or every template under a directory: CDK's ``*.template.json`` (nested stages
    too), and the hand-written templates beside them (``*.yaml``, ``*.yml``, ``*.template``, ``*.json`` whose top
    level is a template). Asset directories (``asset.*``), hidden directories and ``node_modules`` hold the app's
    files, not templates, and are skipped; a YAML file that declares ``Resources`` but does not parse is an
    error (exit 2), never skipped."""
    if path.is_dir():
        found = sorted(f for f in path.rglob("*") if f.is_file() and _in_scope(f, path) and _is_template_file(f))
        if not found:
            raise TemplateError(f"{path}: no CloudFormation template (*.template.json, *.yaml, ...) in this directory")
        return found
    if not path.exists():
        raise TemplateError(f"{path}: no such file or directory")
    return [path]


def _in_scope(file: Path, root: Path) -> bool:
    parts = file.relative_to(root).parts[:-1]
    return not any(p.startswith(("asset.", ".")) or p == "node_modules" for p in parts)


def _is_template_file(file: Path) -> bool:
    name = file.name
    if name.endswith(".template.json"):
        return True
    if name in _NOT_TEMPLATES or name.endswith((".assets.json", ".metadata.json")):
        return False
    try:
        if name.endswith((".yaml", ".yml", ".template")):
            return bool(_YAML_TEMPLATE.search(file.read_text(encoding="utf-8-sig", errors="replace")))
        if name.endswith(".json"):
            body = json.loads(file.read_text(encoding="utf-8-sig", errors="replace"))
            return isinstance(body, dict) and "Resources" in body
    except (OSError, ValueError, RecursionError):
        return name.endswith((".yaml", ".yml", ".template"))  # unreadable YAML: load_template reports it
    return False


def located_files(paths: Sequence[str]) -> list[Located]:
    """(file, scanned root) for every template the arguments name."""
    located: list[Located] = []
    for raw in paths:
        path = Path(raw)
        root = path if path.is_dir() else path.parent
        located.extend((file, root) for file in template_files(path))
    return located


def _verdict(
    templates: list[Template],
    controls: Sequence[Control],
    fail_on: Severity,
    baseline: baselines.Baseline | None = None,
) -> tuple[list[Finding], int]:
    try:
        return verdict(templates, controls, fail_on, baseline)
    except ControlError as error:
        origin = "" if error.control in CONTROLS_BY_ID else "--external-controls: "
        raise TemplateError(f"{origin}{error}") from None
    except Exception as error:
        # A rule must never crash on input; if one does, the input is reported as unreadable, not a traceback.
        names = ", ".join(t.name for t in templates)
        raise TemplateError(f"{names}: cannot be checked ({type(error).__name__})") from None


def _render(
    output_format: str,
    findings: list[Finding],
    located: list[Located],
    controls: Sequence[Control],
    notes: Sequence[str] = (),
) -> str:
    if output_format == "json":
        return json.dumps([f.to_dict() for f in findings], indent=2)
    if output_format == "sarif":
        log = sarif.report(
            findings,
            locations=sarif.artifact_locations(located),
            controls=controls,
            lines=sarif.file_lines(located),
        )
        return json.dumps(log, indent=2)
    return text_report(findings, notes) + "\n" + ran_line(controls)


def ran_line(controls: Sequence[Control]) -> str:
    """What ran, for the text report: the standards covered and any control outside the pack."""
    standards = sorted({s for c in controls if c.id in CONTROLS_BY_ID for s in c.standards})
    own = [c.id for c in controls if c.id not in CONTROLS_BY_ID]
    extra = f" + external {', '.join(own)}" if own else ""
    return f"{len(controls)} control(s) ran: standards {', '.join(standards)}{extra}"


def _write(report: str, output: str | None) -> None:
    if not output:
        print(report)
        return
    try:
        Path(output).write_text(report + "\n", encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"{output}: cannot write the report: {error.strerror or error}") from None


T = TypeVar("T")


def _option(name: str, parse: Callable[[], T]) -> T:
    try:
        return parse()
    except ValueError as error:
        raise TemplateError(f"{name}: {error}") from None


def run_settings(args: argparse.Namespace) -> tuple[tuple[Control, ...], Severity]:
    """The controls one run judges (``--standard``, ``--required-tag-keys``, ``--external-controls``) and its
    ``--fail-on`` threshold; TemplateError naming the option for a bad value."""
    extra: list[Control] = []
    for path in getattr(args, "external_controls", None) or []:
        extra += _option("--external-controls", partial(load_external, path))
    keys = [k.strip() for k in getattr(args, "required_tag_keys", "").split(",") if k.strip()]
    _option("--standard", lambda: controls_in(args.standard))
    controls = _option("--required-tag-keys", lambda: selection(args.standard, keys, ()))
    chosen = _option("--external-controls", lambda: selection(args.standard, keys, extra)) if extra else controls
    fail_on = _option("--fail-on", lambda: parse_fail_on(getattr(args, "fail_on", DEFAULT_FAIL_ON.value)))
    return chosen, fail_on


def _baseline(path: str | None) -> baselines.Baseline | None:
    return _option("--baseline", partial(baselines.load, path)) if path else None


def _side_notes(output_format: str, findings: list[Finding], notes: list[str]) -> None:
    """Warnings and gone baseline entries go to stderr when the report is JSON or SARIF (the text report has
    them inline), so a machine-read report keeps its shape."""
    if output_format == "text":
        return
    lines = [f"warning: {f.template}: {f.control} {f.resource}: {f.warning}" for f in findings if f.warning] + notes
    for line in lines:
        print(f"secure-fargate: {escape(line)}", file=sys.stderr)


def check(args: argparse.Namespace) -> int:
    """``secure-fargate check``: 0 clean, 1 unacknowledged findings, 2 bad input (one line on stderr)."""
    try:
        controls, fail_on = run_settings(args)
        baseline = _baseline(getattr(args, "baseline", None))
        located = located_files(args.paths)
        findings, code = _verdict([load_template(file) for file, _ in located], controls, fail_on, baseline)
        notes = baselines.gone_lines(baselines.gone(findings, baseline), baseline.source) if baseline else []
        _write(_render(args.format, findings, located, controls, notes), args.output)
        _side_notes(args.format, findings, notes)
    except TemplateError as error:
        print(f"secure-fargate: error: {escape(str(error))}", file=sys.stderr)
        return ERROR
    return code


def baseline_command(args: argparse.Namespace) -> int:
    """``secure-fargate baseline PATH... -o FILE``: record today's open findings (0 written, 2 bad input). An
    existing FILE keeps the owner and expiry of its entries that still match; fixed ones drop out."""
    try:
        controls, _ = run_settings(args)
        expires = _option("--expires", lambda: clock.expiry_text(args.expires))
        previous = _baseline(args.output) if Path(args.output).exists() else None
        located = located_files(args.paths)
        findings, _ = _verdict([load_template(file) for file, _ in located], controls, DEFAULT_FAIL_ON)
        recorded = baselines.record(findings, previous, owner=args.owner, expires=expires)
        _write(recorded.to_json().rstrip("\n"), args.output)
    except TemplateError as error:
        print(f"secure-fargate: error: {escape(str(error))}", file=sys.stderr)
        return ERROR
    invariants = sum(1 for e in recorded.entries if baselines.invariant(e.control))
    print(
        f"{len(recorded.entries)} finding(s) recorded in {args.output}"
        + (f" ({invariants} of invariants, each with an expiry)" if invariants else ""),
        file=sys.stderr,
    )
    return 0


def control_record(control: Control) -> dict[str, object]:
    """What ``secure-fargate controls`` reports about one control: every field of its declaration."""
    return {
        "id": control.id,
        "title": control.title,
        "resource_type": control.resource_type,
        "resource_types": list(control.resource_types),
        "severity": control.severity.value,
        "severity_reason": control.severity_reason,
        "scope": control.scope.value,
        "acknowledgeable": control.acknowledgeable,
        "standards": list(control.standards),
        "security_hub": control.security_hub,
        "rationale": control.rationale,
        "requirement": control.requirement,
        "remediation": control.remediation,
        "fix": control.fix,
        "source": control.source,
        "docs": control.docs_page,
        "help_uri": sarif.DOCS_BASE_URI + f"{control.id}.md",
        "failing_example": control.failing,
        "passing_example": control.passing,
    }


def controls_command(args: argparse.Namespace) -> int:
    """``secure-fargate controls [--format text|json] [--standard ...]``: the controls, in catalogue order."""
    try:
        chosen = CONTROLS if args.standard is None else run_settings(args)[0]
    except TemplateError as error:
        print(f"secure-fargate: error: {escape(str(error))}", file=sys.stderr)
        return ERROR
    records = [control_record(c) for c in chosen]
    if args.format == "json":
        print(json.dumps(records, indent=2))
        return 0
    for r in records:
        ack = "acknowledgeable" if r["acknowledgeable"] else "invariant"
        standards = ",".join(r["standards"])  # type: ignore[arg-type]
        print(
            f"{r['id']:<24} {r['severity']:<8} {r['scope']:<9} {ack:<15} {standards:<15} {r['resource_type']:<28} "
            f"{r['title']}"
        )
    return 0


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options every judging command shares: which controls run and which findings fail the run."""
    parser.add_argument(
        "--standard",
        default=",".join(DEFAULT_STANDARDS),
        metavar="S1,S2",
        help=f"standards whose controls run: {', '.join(STANDARDS)} or all (default: {','.join(DEFAULT_STANDARDS)})",
    )
    parser.add_argument(
        "--fail-on",
        default=DEFAULT_FAIL_ON.value,
        metavar="SEVERITY",
        help="lowest severity of an open finding that fails the run: CRITICAL, HIGH, MEDIUM, LOW or INFORMATIONAL "
        f"(default: {DEFAULT_FAIL_ON.value}, every finding fails)",
    )
    parser.add_argument(
        "--external-controls",
        action="append",
        metavar="PATH",
        help="a Python file or package declaring controls of your own (repeatable)",
    )


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The command line, built once per process (parsing leaves it unchanged; a host that calls :func:`main` many
    times, as the tests and the hook's callers do, would otherwise rebuild it on every call)."""
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
        help="tag keys ECS.13/14/15 require (Security Hub requiredTagKeys; at most 6; with --standard tagging); "
        "default: any one tag",
    )
    checker.add_argument(
        "--baseline",
        metavar="FILE",
        help="fail only on findings this baseline file (secure-fargate baseline) does not hold",
    )
    add_run_options(checker)
    recorder = commands.add_parser("baseline", help="record today's open findings so that only new ones fail")
    recorder.add_argument("paths", nargs="+", metavar="PATH", help="a template file or a cdk.out directory")
    recorder.add_argument(
        "--output", "-o", default=baselines.DEFAULT_FILE, help=f"the baseline file (default: {baselines.DEFAULT_FILE})"
    )
    recorder.add_argument("--owner", help="owner written on new entries (a team, a person)")
    recorder.add_argument(
        "--expires",
        metavar="YYYY-MM-DD",
        help="last day new entries hold (default: none; invariants' entries get "
        f"{baselines.INVARIANT_DAYS} days from today)",
    )
    recorder.add_argument("--required-tag-keys", default="", metavar="K1,K2", help="as for check")
    add_run_options(recorder)
    scanner = commands.add_parser("scan", help="audit the live ECS services of an account (read-only)")
    scan.add_arguments(scanner)
    add_run_options(scanner)
    listing = commands.add_parser("controls", help="list the controls of the pack (every one unless --standard)")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.add_argument("--standard", default=None, metavar="S1,S2", help="only the controls of these standards")
    return parser


#: Subcommand name -> its function (each subcommand is its own function; main only dispatches).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": check,
    "baseline": baseline_command,
    "scan": lambda args: scan.run(args),
    "controls": controls_command,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
