"""``SecureFargateChecks``: the guardrail pack as a CDK policy-validation plugin (the mechanism cdk-nag 3 uses).

    SecureFargateChecks.register(app)        # idempotent; SecureFargateService calls it for you

CDK runs it after synthesis over every stack template, names each finding's construct path, fails the synth
when an unacknowledged finding remains, and lists acknowledged ones (``acknowledge(scope, "ECS.5", reason)``)
with their reasons in its report. Chosen over an Aspect because it judges the final templates — what
CloudFormation will receive, whatever construct produced it — and reuses CDK's acknowledgement and reporting.
"""

from __future__ import annotations

import json
import weakref
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Validations,
)
from constructs import IConstruct

from .acknowledgements import PLUGIN_NAME
from .errors import Problems
from .pack import CONTROLS_BY_ID, Control, Finding, __version__, load_template
from .pack import baseline as baselines
from .pack.catalog import parse_fail_on, parse_standards, selection
from .pack.control import DEFAULT_FAIL_ON, DEFAULT_STANDARDS, STANDARDS, Severity, declared
from .pack.tags import required_tag_keys_problem
from .pack.verdict import verdict

T = TypeVar("T")
#: The labels ``fail_on`` takes, for error messages.
SEVERITY_LABELS = "CRITICAL, HIGH, MEDIUM, LOW or INFORMATIONAL"

#: cdk.json context keys that configure the pack the constructs register (``SecureFargateChecks.register``).
STANDARDS_CONTEXT = "secure-fargate:standards"
FAIL_ON_CONTEXT = "secure-fargate:fail-on"
REQUIRED_TAG_KEYS_CONTEXT = "secure-fargate:required-tag-keys"
#: The baseline file (``secure-fargate baseline``), relative to the directory ``cdk`` runs the app in.
BASELINE_CONTEXT = "secure-fargate:baseline"


@jsii.implements(IPolicyValidationPlugin)
class SecureFargateChecks:
    """Run the pack's controls (those of the chosen standards, or the given control IDs) over each synthesized
    template, plus a platform team's own controls."""

    def __init__(
        self,
        controls: list[str] | None = None,
        required_tag_keys: Sequence[str] = (),
        *,
        standards: Sequence[str] = DEFAULT_STANDARDS,
        fail_on: str = DEFAULT_FAIL_ON.value,
        extra_controls: Sequence[Control] = (),
        baseline: str | None = None,
    ) -> None:
        """Args:
        controls: the control IDs to run, whatever their standard. Default: the controls of ``standards``.
        required_tag_keys: tag keys ECS.13/14/15 require on services, clusters and task definitions (Security
            Hub's ``requiredTagKeys``, at most 6; they run with the ``tagging`` standard). Default: any one tag.
        standards: the standards whose controls run: ``fsbp``, ``tagging``, ``secure-fargate`` or ``all``.
            Default: ``fsbp`` and ``secure-fargate`` (tag controls off).
        fail_on: the lowest severity (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL) of an open finding that fails
            the synth; findings below it are listed in the report's metadata. Default: LOW, every finding.
        extra_controls: controls of your own (functions declared with ``secure_fargate.pack.control``'s
            decorators, or their ``Control``); see docs/adding-a-control.md.
        baseline: a baseline file written by ``secure-fargate baseline`` (a path, relative to where ``cdk`` runs
            the app): its findings do not fail the synth; the report lists them, and the entries that match nothing
            any more (delete them). Default: none, every open finding counts.
        """
        problems = Problems(PLUGIN_NAME)
        unknown = [c for c in controls or () if c not in CONTROLS_BY_ID]
        if unknown:
            problems.add("controls", unknown, f"control IDs of the pack, spelled as listed: {sorted(CONTROLS_BY_ID)}")
        tag_keys = _tag_keys(problems, required_tag_keys)
        extra = _extra_controls(problems, extra_controls)
        self._fail_on = _setting(problems, "fail_on", fail_on, parse_fail_on, SEVERITY_LABELS)
        chosen_standards = _setting(problems, "standards", standards, parse_standards, "fsbp, tagging, secure-fargate")
        self._baseline = _setting(problems, "baseline", baseline, _load_baseline, "a readable, valid baseline file")
        problems.raise_if_any()
        # A control-ID selection runs whatever standard the IDs belong to.
        every = list(STANDARDS) if controls else sorted(chosen_standards or ())
        picked = list(selection(every, tag_keys, extra))
        if controls:
            picked = [c for c in picked if c.id in controls or c in extra]
        self._controls = picked

    @classmethod
    def from_context(cls, scope: IConstruct) -> SecureFargateChecks:
        """The pack as the app's cdk.json context configures it (``secure-fargate:standards``,
        ``secure-fargate:fail-on``, ``secure-fargate:required-tag-keys``: lists or comma-separated text;
        ``secure-fargate:baseline``: the baseline file's path)."""
        node = scope.node
        standards = node.try_get_context(STANDARDS_CONTEXT)
        fail_on = node.try_get_context(FAIL_ON_CONTEXT)
        problems = Problems("cdk.json context")
        chosen = (
            _setting(
                problems,
                STANDARDS_CONTEXT,
                _context_list(standards),
                parse_standards,
                "fsbp, tagging, secure-fargate or all",
            )
            if standards is not None
            else None
        )
        if fail_on is not None:
            _setting(problems, FAIL_ON_CONTEXT, str(fail_on), parse_fail_on, SEVERITY_LABELS)
        problems.raise_if_any()
        return cls(
            required_tag_keys=_context_list(node.try_get_context(REQUIRED_TAG_KEYS_CONTEXT)),
            standards=sorted(chosen) if chosen else DEFAULT_STANDARDS,
            fail_on=str(fail_on) if fail_on is not None else DEFAULT_FAIL_ON.value,
            baseline=node.try_get_context(BASELINE_CONTEXT) or None,
        )

    @classmethod
    def register(cls, scope: IConstruct) -> None:
        """Add the full pack to the app that holds ``scope``, once however often it is called.

        ``SecureFargateService`` calls it, so its guarantee covers the final templates: property overrides,
        resources elsewhere in the app that touch the service, and containers added after construction. The apps
        it has registered on are remembered in the library (a weak set, so nothing in the construct tree, and
        nothing a user adds there, can stand in for the registration); a narrowed pack the user registered
        does not replace it either.
        """
        root = scope.node.root
        if root not in _REGISTERED_APPS:
            _REGISTERED_APPS.add(root)
            Validations.of(root).add_plugins(cls.from_context(root))

    @property
    def controls(self) -> list[Control]:
        """The controls this instance runs."""
        return list(self._controls)

    @property
    def fail_on(self) -> Severity:
        """The lowest severity of an open finding that fails the synth."""
        return self._fail_on or DEFAULT_FAIL_ON

    @property
    def baseline(self) -> baselines.Baseline | None:
        """The baseline whose findings do not fail the synth, when one was given."""
        return self._baseline

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        return __version__

    @property
    def rule_ids(self) -> list[str]:
        return [c.id for c in self._controls]

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        """Judge the app's templates (nested stacks' included) exactly as ``secure-fargate check`` does."""
        findings = evaluate_paths(list(context.template_paths), self._controls, self._baseline)
        failing = [f for f in findings if f.fails(self.fail_on)]
        by_control: dict[str, list[Finding]] = defaultdict(list)
        for finding in failing:
            by_control[finding.control].append(finding)
        # The pack's own controls besides the selection: SF.UNJUDGED reports what a selected control could not judge.
        declared = {**CONTROLS_BY_ID, **{c.id: c for c in self._controls}}
        violations = [_violation(declared[c], found) for c, found in by_control.items()]
        acknowledged = [f"{f.control} {_where(f)}: {f.acknowledged}" for f in findings if f.acknowledged]
        below = [
            f"{f.control} {f.severity} {_where(f)}: {f.message}" for f in findings if f.fails() and f not in failing
        ]
        metadata = {"acknowledged": json.dumps(acknowledged)} if acknowledged else {}
        if below:
            metadata["below-fail-on"] = json.dumps(below)
        metadata.update(self._baseline_metadata(findings))
        return PolicyValidationPluginReport(
            success=not violations,
            violations=violations,
            plugin_version=__version__,
            metadata=metadata or None,
        )

    def _baseline_metadata(self, findings: list[Finding]) -> dict[str, str]:
        """What the report says about the baseline and expiring opt-outs: the baselined findings, the entries that
        match nothing any more (delete them), and every warning about an expiry."""
        metadata: dict[str, str] = {}
        baselined = [f"{f.control} {_where(f)}: {f.message} ({f.baselined})" for f in findings if f.baselined]
        warnings = [f"{f.control} {_where(f)}: {f.warning}" for f in findings if f.warning]
        if baselined:
            metadata["baselined"] = json.dumps(baselined)
        if self._baseline is not None:
            gone = baselines.gone_lines(baselines.gone(findings, self._baseline), self._baseline.source)
            if gone:
                metadata["baseline-gone"] = json.dumps(gone)
        if warnings:
            metadata["expiry-warnings"] = json.dumps(warnings)
        return metadata


#: The apps ``register`` has added the full pack to (CDK offers no non-deprecated public way to list plugins).
_REGISTERED_APPS: weakref.WeakSet[IConstruct] = weakref.WeakSet()


def with_nested_templates(template_paths: list[str]) -> list[str]:
    """The given templates plus the nested stacks' templates CDK writes beside them (``*.nested.template.json``
    in the same cloud assembly directory; CDK does not hand nested templates to validation plugins)."""
    paths = list(dict.fromkeys(template_paths))
    for directory in dict.fromkeys(Path(p).parent for p in template_paths):
        paths += [str(p) for p in sorted(directory.glob("*.nested.template.json")) if str(p) not in paths]
    return paths


def evaluate_paths(
    template_paths: list[str], controls: list[Control], baseline: baselines.Baseline | None = None
) -> list[Finding]:
    """Every finding over the given templates and their nested stacks' templates (those of ``baseline`` marked)."""
    templates = [load_template(path) for path in with_nested_templates(template_paths)]
    findings, _ = verdict(templates, controls, baseline=baseline)
    return findings


def _load_baseline(path: object) -> baselines.Baseline | None:
    if path is None:
        return None
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"{path!r} is not a file path")
    return baselines.load(path)


def _where(finding: Finding) -> str:
    return (
        finding.resource
        + (f" ({finding.container})" if finding.container else "")
        + (f" [{finding.item}]" if finding.item else "")
    )


def _violation(control: Control, findings: list[Finding]) -> PolicyViolation:
    """One control's open findings. Severity "fatal": CDK's own acknowledgements cannot suppress them, so the
    synth's verdict is the CLI's; accepting a finding goes through ``secure_fargate.acknowledge``."""
    fix = control.fix  # the remediation and, derived from the declaration, how (or that it cannot) be accepted
    return PolicyViolation(
        rule_name=control.id,
        description=f"{control.title}: " + "; ".join(f"{_where(f)}: {f.message}" for f in findings),
        fix=fix,
        severity="fatal",
        violating_resources=[
            PolicyViolatingResource(
                resource_logical_id=f.resource,
                template_path=f.template,
                locations=[f"Properties.ContainerDefinitions[{f.container}]" if f.container else "Properties"],
            )
            for f in findings
        ],
    )


def _context_list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _tag_keys(problems: Problems, tag_keys: Sequence[str]) -> Sequence[str]:
    if isinstance(tag_keys, str) or not all(isinstance(k, str) for k in tag_keys):
        problems.add("required_tag_keys", tag_keys, "a list of tag keys (str), e.g. ['team']")
        return ()
    problem = required_tag_keys_problem(tag_keys)
    if problem:
        problems.add("required_tag_keys", list(tag_keys), problem)
        return ()
    return tag_keys


def _extra_controls(problems: Problems, extra: Sequence[Control]) -> list[Control]:
    if isinstance(extra, (str, bytes)) or not isinstance(extra, (list, tuple)):
        problems.add("extra_controls", extra, "a list of declared rule functions or Control objects")
        return []
    found = declared(extra)
    if len(found) != len(extra):
        problems.add("extra_controls", extra, "functions decorated with resource_control/container_control")
        return []
    clash = sorted({c.id for c in found} & set(CONTROLS_BY_ID))
    if clash:
        problems.add("extra_controls", clash, "control IDs of your own (these are the pack's)")
        return []
    return found


def _setting(problems: Problems, name: str, value: Any, parse: Callable[[Any], T], allowed: str) -> T | None:
    try:
        return parse(value)
    except (ValueError, TypeError) as error:
        problems.add(name, value, f"{allowed} ({error})")
        return None
