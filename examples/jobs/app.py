#!/usr/bin/env python3
"""Jobs example: a nightly report on an EventBridge Scheduler schedule, and a database migration that runs once
per deployment before the API service is updated. Every task is a ``SecureTaskDefinition``: the same hardening
as a service, whoever launches it.

    cdk synth --app "python examples/jobs/app.py"
    cdk deploy --app "python examples/jobs/app.py"

Environment-agnostic, so it synthesizes offline; ``tests/integration/test_deploy_jobs.py`` deploys it to moto.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from secure_fargate import (
    ContainerOptions,
    ImageSource,
    SecureCluster,
    SecureFargateService,
    SecureOneOffTask,
    SecureScheduledTask,
    SecureTaskDefinition,
    TrafficRule,
)

#: One application image, pinned by digest (replace with your own): the API, the report and the migration.
IMAGE = ImageSource.from_registry("public.ecr.aws/example/app@sha256:" + "5" * 64)
#: The database's port; the example's database lives in the VPC (bring your own, e.g. an RDS instance).
DATABASE_PORT = 5432


class JobsStack(cdk.Stack):
    """``report``/``nightly`` (the scheduled job), ``migrate``/``migration`` (the deploy-time run) and ``api``."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        vpc = ec2.Vpc(self, "Vpc", max_azs=2, nat_gateways=1)
        cluster = SecureCluster(self, "Cluster", vpc=vpc).cluster
        cdk.Tags.of(cluster).add("team", "jobs")
        database = TrafficRule(ec2.Peer.ipv4(vpc.vpc_cidr_block), DATABASE_PORT, "PostgreSQL in the VPC")

        # A nightly report at 03:00 Berlin time, started within a 15-minute window.
        self.report = SecureTaskDefinition(
            self,
            "Report",
            container=ContainerOptions(name="report", image=IMAGE, memory_limit_mib=512, command=["report", "--daily"]),
            memory_limit_mib=1024,
        )
        self.nightly = SecureScheduledTask(
            self,
            "Nightly",
            cluster=cluster,
            task_definition=self.report,
            schedule=scheduler.ScheduleExpression.cron(minute="0", hour="3", time_zone=cdk.TimeZone.EUROPE_BERLIN),
            time_window=cdk.Duration.minutes(15),
            egress=[TrafficRule(ec2.Peer.any_ipv4(), 443, "HTTPS to AWS APIs"), database],
        )

        # The migration: runs when its task definition (image, command) changes; the API is updated after it.
        self.migrate = SecureTaskDefinition(
            self,
            "Migrate",
            container=ContainerOptions(name="migrate", image=IMAGE, memory_limit_mib=256, command=["migrate", "up"]),
        )
        self.migration = SecureOneOffTask(
            self,
            "Migration",
            cluster=cluster,
            task_definition=self.migrate,
            timeout=cdk.Duration.minutes(5),
            egress=[TrafficRule(ec2.Peer.any_ipv4(), 443, "HTTPS to AWS APIs"), database],
        )
        self.api = SecureFargateService(
            self,
            "Api",
            cluster=cluster,
            container=ContainerOptions(name="api", image=IMAGE, memory_limit_mib=256, container_port=8080),
        )
        self.api.allow_egress_to(database.peer, DATABASE_PORT, "PostgreSQL in the VPC")
        self.migration.run_before(self.api)


def build(app: cdk.App) -> JobsStack:
    return JobsStack(app, "SecureFargateJobs")


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
