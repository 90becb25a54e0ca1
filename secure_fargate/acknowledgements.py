"""Acknowledging a guardrail finding: per construct and control, always with a reason.

One call records the acknowledgement where each checker reads it:
- CDK's validation framework (``Validations.of(scope).acknowledge``), used by the ``SecureFargateChecks`` plugin;
- the ``Metadata`` of every CloudFormation resource under ``scope``, read by ``secure-fargate check`` over
  synthesized templates and by the constructs' own synth-time audit.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct

from .errors import Problems
from .pack import CONTROLS_BY_ID, METADATA_KEY

#: Plugin name of the guardrail pack; CDK namespaces rule IDs with it (``secure-fargate::ECS.5``).
PLUGIN_NAME = "secure-fargate"


#: cdk-nag's NIST 800-53 pack flags every AWS::IAM::Policy as an "inline" policy. CDK's grants create exactly
#: those, scoped to the ARNs of the resources granted; the library acknowledges it on the roles it creates.
IAM_POLICY_ACKNOWLEDGEMENT = Acknowledgment(
    id="NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy",
    reason="CDK grants attach least-privilege AWS::IAM::Policy resources scoped to the exact ARNs granted; a "
    "customer-managed policy would carry the same statements with no gain in control.",
)


def validation_id(control: str) -> str:
    return f"{PLUGIN_NAME}::{control}"


def acknowledge(scope: IConstruct, control: str, reason: str) -> None:
    """Acknowledge ``control`` for ``scope`` and everything under it, with a reason that audits will show."""
    problems = Problems(scope.node.path)
    if control not in CONTROLS_BY_ID:
        problems.add("control", control, f"one of {sorted(CONTROLS_BY_ID)}")
    problems.require_reason("reason", reason, reason)
    problems.raise_if_any()
    Validations.of(scope).acknowledge(Acknowledgment(id=validation_id(control), reason=reason.strip()))
    for child in scope.node.find_all():
        if CfnResource.is_cfn_resource(child):
            resource: CfnResource = child  # type: ignore[assignment]
            current = resource.get_metadata(METADATA_KEY) or {}
            entries = [e for e in current.get("acknowledgements", []) if e.get("control") != control]
            entries.append({"control": control, "reason": reason.strip()})
            resource.add_metadata(METADATA_KEY, {"acknowledgements": entries})
