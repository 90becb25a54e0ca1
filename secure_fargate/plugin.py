"""``SecureFargateChecks``: the guardrail pack as a CDK policy-validation plugin (the mechanism cdk-nag 3 uses).

    SecureFargateChecks.register(app)        # idempotent; SecureFargateService calls it for you

CDK runs it after synthesis over every stack template, names each finding's construct path, fails the synth
when an unacknowledged finding remains, and lists acknowledged ones (``acknowledge(scope, "ECS.5", reason)``)
with their reasons in its report. Chosen over an Aspect because it judges the final templates — what
CloudFormation will receive, whatever construct produced it — and reuses CDK's acknowledgement and reporting.
"""

from __future__ import annotations

from collections import defaultdict

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Validations,
)
from constructs import Construct, IConstruct

from .acknowledgements import PLUGIN_NAME
from .pack import CONTROLS, CONTROLS_BY_ID, Finding, __version__, evaluate, load_template


@jsii.implements(IPolicyValidationPlugin)
class SecureFargateChecks:
    """Run every control of the pack (or the given control IDs) over each synthesized template."""

    #: ID of the marker construct that records, on the app, that the pack is registered.
    MARKER_ID = "SecureFargateChecksRegistered"

    def __init__(self, controls: list[str] | None = None) -> None:
        """Args:
        controls: the control IDs to run. Default: every control of the pack.
        """
        self._controls = [CONTROLS_BY_ID[c] for c in controls] if controls else list(CONTROLS)

    @classmethod
    def register(cls, scope: IConstruct) -> None:
        """Add the full pack to the app that holds ``scope``, once however often it is called.

        ``SecureFargateService`` calls it, so its guarantee covers the final templates: property overrides,
        resources elsewhere in the app that touch the service, and containers added after construction. A
        marker construct on the app (public construct-tree API) makes it idempotent.
        """
        root = scope.node.root
        if root.node.try_find_child(cls.MARKER_ID) is None:
            Construct(root, cls.MARKER_ID)  # type: ignore[arg-type]
            Validations.of(root).add_plugins(cls())

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
        by_control: dict[str, list[Finding]] = defaultdict(list)
        for path in context.template_paths:
            for finding in evaluate(load_template(path), self._controls):
                by_control[finding.control].append(finding)
        violations = []
        for control_id, findings in by_control.items():
            control = CONTROLS_BY_ID[control_id]
            violations.append(
                PolicyViolation(
                    rule_name=control.id,
                    description=f"{control.title}: "
                    + "; ".join(
                        f"{f.resource}{f' ({f.container})' if f.container else ''}: {f.message}" for f in findings
                    ),
                    fix=control.rationale,
                    severity=control.severity,
                    violating_resources=[
                        PolicyViolatingResource(
                            resource_logical_id=f.resource,
                            template_path=f.template,
                            locations=[
                                f"Properties.ContainerDefinitions[{f.container}]" if f.container else "Properties"
                            ],
                        )
                        for f in findings
                    ],
                )
            )
        return PolicyValidationPluginReport(success=not violations, violations=violations, plugin_version=__version__)
