"""Rotation-aware secrets.

A running Fargate task reads its secrets once, at start: after a rotation it keeps the old value until it is
replaced. ``enable_rotation`` schedules rotation for a secret the stack creates; ``RotationRedeploy`` closes
the loop: when Secrets Manager reports a successful rotation of one of the given secrets, an EventBridge rule
starts a Step Functions state machine whose one task calls ``ecs:UpdateService`` with
``forceNewDeployment`` (an AWS SDK integration: no Lambda code), under a role that may update that one
service and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

if TYPE_CHECKING:  # only a type here: importing aws_lambda costs every synth start-up time
    from aws_cdk import aws_lambda as lambda_

from . import defaults
from ._tokens import AWS
from .acknowledgements import IAM_POLICY_ACKNOWLEDGEMENT
from .errors import Problems
from .service import SecureFargateService


def enable_rotation(
    secret: secretsmanager.Secret,
    *,
    hosted_rotation: secretsmanager.HostedRotation | None = None,
    rotation_lambda: lambda_.IFunction | None = None,
    every: Duration = defaults.ROTATION_PERIOD,
) -> secretsmanager.RotationSchedule:
    """Schedule rotation of ``secret``: a hosted rotation (database secrets) or a rotation function the caller
    supplies, exactly one of them."""
    problems = Problems(secret.node.path)
    if (hosted_rotation is None) == (rotation_lambda is None):
        problems.add("hosted_rotation/rotation_lambda", (hosted_rotation, rotation_lambda), "exactly one of the two")
    problems.raise_if_any()
    return secret.add_rotation_schedule(
        "RotationSchedule", hosted_rotation=hosted_rotation, rotation_lambda=rotation_lambda, automatically_after=every
    )


def rotation_event_pattern(secret: secretsmanager.ISecret) -> events.EventPattern:
    """Secrets Manager's ``RotationSucceeded`` event (delivered through CloudTrail) for ``secret`` only.

    A secret imported by name has a partial ARN (no random suffix), so it is matched by prefix."""
    arn = secret.secret_full_arn
    secret_id: list[object] = [arn] if arn else [{"prefix": f"{secret.secret_arn}-"}]
    return events.EventPattern(
        source=["aws.secretsmanager"],
        detail_type=["AWS Service Event via CloudTrail"],
        detail={"eventName": ["RotationSucceeded"], "additionalEventData": {"SecretId": secret_id}},
    )


class RotationRedeploy(Construct):
    """Force a new deployment of ``service`` each time one of ``secrets`` is rotated successfully.

    Args:
        scope: the parent construct.
        construct_id: the construct's ID.
        service: the service whose tasks read the secrets at start.
        secrets: the secrets whose ``RotationSucceeded`` events trigger the redeploy (at least one).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: SecureFargateService,
        secrets: Sequence[secretsmanager.ISecret],
    ) -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``)."""
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        if not secrets:
            problems.add("secrets", list(secrets), "at least one secret injected into the service")
        problems.raise_if_any()
        fargate = service.service
        # The AWS SDK integration written as its state JSON: the state tasks.CallAwsService renders, without
        # importing aws_stepfunctions_tasks (a large module: ~0.15 s of start-up on every synth).
        redeploy = sfn.CustomState(
            self,
            "ForceNewDeployment",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{AWS.PARTITION}:states:::aws-sdk:ecs:updateService",
                "Parameters": {
                    "Cluster": fargate.cluster.cluster_arn,
                    "Service": fargate.service_arn,
                    "ForceNewDeployment": True,
                },
            },
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(redeploy),
            timeout=defaults.REDEPLOY_TIMEOUT,
            comment=f"Redeploy {fargate.node.path} after a secret rotation",
        )
        self.role = self.state_machine.role
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ecs:UpdateService"], resources=[fargate.service_arn])
        )
        self.rules = [
            events.Rule(
                self,
                f"Rotated{index}",
                description=f"Rotation of a secret injected into {Stack.of(self).stack_name}/{service.node.id}",
                event_pattern=rotation_event_pattern(secret),
                targets=[targets.SfnStateMachine(self.state_machine)],
            )
            for index, secret in enumerate(secrets)
        ]
        Validations.of(self).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)
        Validations.of(self.state_machine).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-SF1",
                reason="One task, one API call: each execution is kept in Step Functions history and the "
                "UpdateService call in CloudTrail; a log group would widen the role beyond ecs:UpdateService.",
            ),
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-SF2",
                reason="X-Ray tracing needs xray:* on Resource '*' in the role, which must allow only "
                "ecs:UpdateService on this one service.",
            ),
        )
