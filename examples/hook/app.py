"""Deploy ``SecureFargateHook`` alone: ``cdk deploy --app "python examples/hook/app.py"`` (docs/enforcement.md).

Context (``-c key=value``):
    failureMode: FAIL (default) or WARN (report only, for a first roll-out).
    assetsBucket: for an organisation-wide StackSet: the S3 bucket name (``${AWS::Region}`` allowed) that holds
        the function's code where every target account can read it. The template then needs no CDK bootstrap
        in the target accounts (docs/enforcement.md "An organisation").
"""

from __future__ import annotations

import sys
from pathlib import Path

import aws_cdk as cdk

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

from secure_fargate import SecureFargateChecks, SecureFargateHook


def synthesizer(assets_bucket: str | None) -> cdk.IStackSynthesizer | None:
    """The default synthesizer, or one whose file assets live in a shared bucket and which needs no bootstrap
    (no bootstrap-version rule) in the accounts a StackSet deploys to."""
    if not assets_bucket:
        return None
    return cdk.DefaultStackSynthesizer(
        file_assets_bucket_name=assets_bucket,
        bucket_prefix="secure-fargate-hook/",
        generate_bootstrap_version_rule=False,
    )


def build(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(
        app,
        "SecureFargateHook",
        description="secure-fargate: CloudFormation hook enforcing the Fargate guardrail pack",
        synthesizer=synthesizer(app.node.try_get_context("assetsBucket")),
    )
    SecureFargateHook(stack, "Hook", failure_mode=app.node.try_get_context("failureMode") or "FAIL")
    cdk.Validations.of(app).add_plugins(SecureFargateChecks())
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
