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
from collections.abc import Sequence
from pathlib import Path

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
from .pack import CONTROLS, CONTROLS_BY_ID, Control, Finding, __version__, load_template
from .pack.catalog import with_required_tag_keys
from .pack.tags import required_tag_keys_problem
from .pack.verdict import verdict


@jsii.implements(IPolicyValidationPlugin)
class SecureFargateChecks:
    """Run every control of the pack (or the given control IDs) over each synthesized template."""

    def __init__(self, controls: list[str] | None = None, required_tag_keys: Sequence[str] = ()) -> None:
        """Args:
        controls: the control IDs to run. Default: every control of the pack.
        required_tag_keys: tag keys ECS.13/14/15 require on services, clusters and task definitions (Security
            Hub's ``requiredTagKeys``, at most 6). Default: none, any one tag passes.
        """
        problems = Problems(PLUGIN_NAME)
        unknown = [c for c in controls or () if c not in CONTROLS_BY_ID]
        if unknown:
            problems.add("controls", unknown, f"control IDs of the pack, spelled as listed: {sorted(CONTROLS_BY_ID)}")
        tag_keys = required_tag_keys
        if isinstance(tag_keys, str) or not all(isinstance(k, str) for k in tag_keys):
            problems.add("required_tag_keys", tag_keys, "a list of tag keys (str), e.g. ['team']")
        else:
            problem = required_tag_keys_problem(tag_keys)
            if problem:
                problems.add("required_tag_keys", list(tag_keys), problem)
        problems.raise_if_any()
        chosen = [CONTROLS_BY_ID[c] for c in controls] if controls else list(CONTROLS)
        self._controls = list(with_required_tag_keys(tag_keys, chosen))

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
            Validations.of(root).add_plugins(cls())

    @property
    def is_full(self) -> bool:
        """True when this instance runs every control of the pack (what ``register`` guarantees)."""
        return {c.id for c in self._controls} == set(CONTROLS_BY_ID)

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
        findings = evaluate_paths(list(context.template_paths), self._controls)
        open_findings = [f for f in findings if not f.acknowledged]
        by_control: dict[str, list[Finding]] = defaultdict(list)
        for finding in open_findings:
            by_control[finding.control].append(finding)
        violations = [_violation(CONTROLS_BY_ID[c], found) for c, found in by_control.items()]
        acknowledged = [f"{f.control} {_where(f)}: {f.acknowledged}" for f in findings if f.acknowledged]
        return PolicyValidationPluginReport(
            success=not violations,
            violations=violations,
            plugin_version=__version__,
            metadata={"acknowledged": json.dumps(acknowledged)} if acknowledged else None,
        )


#: The apps ``register`` has added the full pack to (CDK offers no non-deprecated public way to list plugins).
_REGISTERED_APPS: weakref.WeakSet[IConstruct] = weakref.WeakSet()


def with_nested_templates(template_paths: list[str]) -> list[str]:
    """The given templates plus the nested stacks' templates CDK writes beside them (``*.nested.template.json``
    in the same cloud assembly directory; CDK does not hand nested templates to validation plugins)."""
    paths = list(dict.fromkeys(template_paths))
    for directory in dict.fromkeys(Path(p).parent for p in template_paths):
        paths += [str(p) for p in sorted(directory.glob("*.nested.template.json")) if str(p) not in paths]
    return paths


def evaluate_paths(template_paths: list[str], controls: list[Control]) -> list[Finding]:
    """Every finding over the given templates and their nested stacks' templates."""
    findings, _ = verdict([load_template(path) for path in with_nested_templates(template_paths)], controls)
    return findings


def _where(finding: Finding) -> str:
    return (
        finding.resource
        + (f" ({finding.container})" if finding.container else "")
        + (f" [{finding.item}]" if finding.item else "")
    )


def _violation(control: Control, findings: list[Finding]) -> PolicyViolation:
    """One control's open findings. Severity "fatal": CDK's own acknowledgements cannot suppress them, so the
    synth's verdict is the CLI's; accepting a finding goes through ``secure_fargate.acknowledge``."""
    fix = control.fix or control.rationale
    if not control.acknowledgeable:
        fix += " (an invariant: it cannot be acknowledged)"
    elif "acknowledge(" not in fix:  # most fixes already say how to accept the finding
        fix += f"; to accept: secure_fargate.acknowledge(scope, {control.id!r}, reason, ...)"
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
