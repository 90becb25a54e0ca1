"""``SecureCluster``: an ECS cluster with Container Insights (enhanced) and, when ECS Exec is used, session
logging to a KMS-encrypted log group and KMS-encrypted sessions."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import defaults
from .keys import encryption_key


class SecureCluster(Construct):
    """``cluster`` has Container Insights enhanced (Security Hub ECS.12). With ``execute_command_logging``,
    ECS Exec sessions are encrypted with ``exec_key`` and logged to ``exec_log_group`` (encrypted, finite
    retention). A read-only root filesystem also needs the Exec agent's writable paths: SecureFargateService
    mounts them when its ``enable_execute_command`` opt-out is given.

    Args:
        scope: the parent construct.
        construct_id: the construct's ID.
        vpc: the VPC the cluster's services run in.
        execute_command_logging: encrypt and log ECS Exec sessions. Default False (Exec is opt-in per service).
        log_retention: retention of the Exec log group. Default one year.
        key: KMS key for Exec sessions and logs. Default: a new key with rotation.
        removal_policy: what happens to the key and log group on stack deletion. Default RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        execute_command_logging: bool = False,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
    ) -> None:
        super().__init__(scope, construct_id)
        self.exec_key: kms.IKey | None = None
        self.exec_log_group: logs.ILogGroup | None = None
        configuration = None
        if execute_command_logging:
            self.exec_key = key or encryption_key(
                self,
                "ExecKey",
                description=f"{self.node.path}: ECS Exec sessions and their logs",
                for_logs=True,
                removal_policy=removal_policy,
            )
            self.exec_log_group = logs.LogGroup(
                self, "ExecLogs", retention=log_retention, encryption_key=self.exec_key, removal_policy=removal_policy
            )
            configuration = ecs.ExecuteCommandConfiguration(
                kms_key=self.exec_key,
                logging=ecs.ExecuteCommandLogging.OVERRIDE,
                log_configuration=ecs.ExecuteCommandLogConfiguration(
                    cloud_watch_log_group=self.exec_log_group, cloud_watch_encryption_enabled=True
                ),
            )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENHANCED,
            execute_command_configuration=configuration,
        )
