"""Recipe: the AWS Distro for OpenTelemetry (ADOT) collector as a sidecar: traces to X-Ray, metrics to CloudWatch.

Sources (checked, not guessed):

- User: **no uid documented by ADOT.** Its Dockerfile (aws-observability/aws-otel-collector,
  ``cmd/awscollector/Dockerfile``) builds ``FROM scratch`` with no ``USER`` (so the image runs as root) and no
  ``/etc/passwd``. We run it as ``10001``, the uid the upstream OpenTelemetry Collector images declare
  (open-telemetry/opentelemetry-collector, ``Dockerfile``: ``ARG USER_UID=10001``); ADOT's binary, certificates
  and configuration are copied in world-readable, and it writes nothing but ``/tmp``. Verify with your image.
- Configuration: the image ships ``/etc/ecs/ecs-default-config.yaml`` (OTLP in; X-Ray and EMF out), chosen with
  ``--config``.
- Permissions: the collector uses the **task role** (it is the application's telemetry), granted here exactly:
  X-Ray's trace upload and its sampling calls (no resource-level permissions, ``*``), and writes to one log group.
"""

from __future__ import annotations

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_fargate import ContainerOptions, ImageSource, SecureFargateService

COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector@sha256:" + "a" * 64
#: The upstream OpenTelemetry Collector's non-root uid (ADOT documents none; see the module docstring).
COLLECTOR_USER = "10001"


def adot_service(
    scope: Construct, construct_id: str, *, cluster: ecs.ICluster, app: ContainerOptions
) -> SecureFargateService:
    """``app`` plus the ADOT collector (OTLP on localhost:4317/4318)."""
    collector = ContainerOptions(
        name="aws-otel-collector",
        image=ImageSource.from_registry(COLLECTOR_IMAGE),
        memory_limit_mib=128,
        user=COLLECTOR_USER,
        essential=False,
        command=["--config=/etc/ecs/ecs-default-config.yaml"],
        writable_paths=["/tmp"],
    )
    service = SecureFargateService(
        scope, construct_id, cluster=cluster, cpu=512, memory_limit_mib=1024, container=app, sidecars=[collector]
    )
    service.task_role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            resources=["*"],  # X-Ray has no resource-level permissions for these actions
        )
    )
    metrics = logs.LogGroup(scope, f"{construct_id}Metrics", retention=logs.RetentionDays.ONE_YEAR)
    metrics.grant_write(service.task_role)  # EMF metrics, one log group
    return service
