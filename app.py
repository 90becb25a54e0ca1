#!/usr/bin/env python3
"""Entry point of the reference stack: ``cdk synth`` / ``cdk deploy`` (see README)."""

import aws_cdk as cdk

from secure_fargate import ReferenceStack, SecureFargateChecks

app = cdk.App()
ReferenceStack(
    app,
    "SecureFargateReference",
    image=app.node.try_get_context("image") or "nginxinc/nginx-unprivileged:1.27-alpine",
    existing_secret_name=app.node.try_get_context("existing_secret_name"),
    desired_count=int(app.node.try_get_context("desired_count") or 2),
)
cdk.Validations.of(app).add_plugins(SecureFargateChecks())
app.synth()
