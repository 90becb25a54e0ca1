#!/usr/bin/env python3
"""Entry point of the reference stack: ``cdk synth`` / ``cdk deploy`` (context values: see README)."""

import aws_cdk as cdk

from reference import ReferenceStack

app = cdk.App()
context = app.node.try_get_context
ReferenceStack(
    app,
    "SecureFargateReference",
    image=context("image"),
    image_tag=context("image_tag") or "1.27-alpine",
    existing_secret_name=context("existing_secret_name"),
    desired_count=int(context("desired_count") or 2),
    nat_gateways=int(context("nat_gateways") or 0),
    certificate_arn=context("certificate_arn"),
    s3_prefix_list_id=context("s3_prefix_list_id"),
    security_agent_image=context("security_agent_image"),
    rotation_lambda_arn=context("rotation_lambda_arn"),
)
# No SecureFargateChecks here: the reference service registers the full pack on this app (a second one would
# judge, and report, everything twice).
app.synth()
