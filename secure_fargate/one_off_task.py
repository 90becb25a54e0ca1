"""``SecureOneOffTask``: run a ``SecureTaskDefinition`` once per deployment (a database migration) and fail the
deployment when it does not exit 0."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import CustomResource, Duration, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from . import defaults
from ._launch import (
    ASSIGN_PUBLIC_IP,
    cluster_condition,
    grant_run,
    job_security_group,
    launcher_issues,
    no_private_subnets,
    private_subnets,
    seconds,
    tasks_arn,
)
from ._tokens import AWS
from ._validation import Issue, check_capacity_providers
from .acknowledgements import IAM_POLICY_ACKNOWLEDGEMENT
from .options import TrafficRule
from .plugin import SecureFargateChecks
from .task_definition import SecureTaskDefinition, raise_issues

#: The runner's code: one file, standard library and boto3 only.
RUNNER_CODE = Path(__file__).parent / "_one_off_runner"

#: Seconds the runner needs beyond the task's timeout (start-up, stopping a late task, answering CloudFormation).
_RUNNER_MARGIN_SECONDS = 60


_SELECTION_FIELDS = (
    "availability_zones",
    "one_per_az",
    "subnet_filters",
    "subnet_group_name",
    "subnet_type",
    "subnets",
)


def _subnet_ids(vpc: ec2.IVpc, selection: ec2.SubnetSelection) -> list[str]:
    """The IDs of the selected subnets (``select_subnets`` takes the selection's fields as keywords)."""
    fields = {name: getattr(selection, name) for name in _SELECTION_FIELDS if getattr(selection, name) is not None}
    return list(vpc.select_subnets(**fields).subnet_ids)


class SecureOneOffTask(Construct):
    """Runs a ``SecureTaskDefinition`` once per deployment and fails the deployment unless it exits 0.

    For database migrations and other deploy-time jobs. A custom resource (``Custom::SecureOneOffTask``) runs the
    task when it is created and whenever one of its properties changes: the task definition revision (image,
    command, environment, ...), its network, ``timeout`` or ``run_key``. It waits for the task to stop and answers
    CloudFormation with success only when the main container exited 0; a non-zero exit, a task that cannot start or
    a run longer than ``timeout`` (the task is then stopped) fails the deployment, which rolls back. During that
    rollback the previous task definition is not run again. Deleting the stack runs nothing.

    The task runs like a service's: Fargate, latest platform, private subnets, no public IP, a security group of
    its own (no ingress, HTTPS egress unless ``egress`` says otherwise), no ECS Exec. The runner (a Lambda
    function) may run exactly this task definition in this cluster (``ecs:RunTask`` with an ``ecs:cluster``
    condition), pass exactly its two roles, read and stop tasks of this cluster, and read this stack's status.

    Ordering against a service: ``migration.run_before(service)`` makes CloudFormation update the service (and
    so start tasks of the new revision) only after the migration succeeded; a failed migration leaves the
    service untouched and rolls the stack back. Without it, CloudFormation may update both at the same time.

    Exposes ``resource`` (the custom resource), ``runner`` (the function), ``runner_role``, ``security_group``,
    ``task_definition`` (the ``SecureTaskDefinition``), ``task_arn`` and ``exit_code`` (attributes of the last
    run) and ``connections``.

    Args:
        scope: the parent construct.
        construct_id: the construct's ID.
        cluster: the ECS cluster the task runs in (same account and region; its VPC has private subnets).
        task_definition: the ``SecureTaskDefinition`` to run; its main container's exit code decides.
        timeout: how long the task may run before it is stopped and the deployment fails, 1 second to 14
            minutes (the runner is a Lambda function). Default 10 minutes.
        run_key: any text; a change runs the task again even if the task definition did not change (e.g. a
            build ID to run on every deployment). Default: none (runs when the task definition changes).
        vpc_subnets: the task subnets: private ones only. Default: the VPC's private subnets with egress, else
            its isolated ones.
        egress: where the task may connect (``TrafficRule``). Default: HTTPS (443) to anywhere, for ECR, S3,
            CloudWatch Logs and Secrets Manager; add the database a migration needs
            (``TrafficRule(db.connections.security_groups[0], 5432)``) or call ``allow_egress_to``.
        capacity_provider_strategies: ``ecs.CapacityProviderStrategy`` on ``FARGATE``/``FARGATE_SPOT`` instead of
            the FARGATE launch type (Spot can interrupt a migration; prefer FARGATE). Default: launch type FARGATE.
        log_retention: retention of the runner's own log group. Default one year.

    Raises:
        SecureFargateError: listing every bad input (construct path, property, value, what is allowed).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        task_definition: SecureTaskDefinition,
        timeout: Duration = defaults.ONE_OFF_TIMEOUT,
        run_key: str | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        egress: Sequence[TrafficRule] | None = None,
        capacity_provider_strategies: Sequence[ecs.CapacityProviderStrategy] = (),
        log_retention: logs.RetentionDays = defaults.RUNNER_LOG_RETENTION,
    ) -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``)."""
        super().__init__(scope, construct_id)
        issues = launcher_issues(self, cluster, task_definition, vpc_subnets, egress)
        issues += self._run_issues(cluster, timeout, run_key, capacity_provider_strategies)
        subnets = private_subnets(cluster, vpc_subnets) if not issues else vpc_subnets
        if not issues and subnets is None:
            issues.append(no_private_subnets(cluster))
        raise_issues(self.node.path, issues)
        assert subnets is not None
        self.task_definition = task_definition
        self.security_group = job_security_group(self, cluster.vpc, egress)
        self.connections = self.security_group.connections
        self._create_runner(cluster, task_definition, timeout, log_retention)
        self._create_resource(cluster, task_definition, subnets, timeout, run_key, capacity_provider_strategies)
        SecureFargateChecks.register(self)

    # ------------------------------------------------------------------------------------------ public

    def run_before(self, *constructs: IConstruct) -> None:
        """Let CloudFormation create/update ``constructs`` (e.g. the ``SecureFargateService`` running the new
        code) only after this task succeeded in the same deployment."""
        for construct in constructs:
            construct.node.add_dependency(self.resource)

    def allow_egress_to(self, peer: ec2.IPeer, port: int, description: str = "") -> None:
        """Let the task open TCP connections to ``peer`` on ``port`` (e.g. the database a migration changes)."""
        self.security_group.add_egress_rule(peer, ec2.Port.tcp(port), description or f"to {peer} on {port}")

    # ------------------------------------------------------------------------------------- validation

    @staticmethod
    def _run_issues(cluster: object, timeout: object, run_key: object, strategies: Sequence[object]) -> list[Issue]:
        issues: list[Issue] = []
        limit = defaults.ONE_OFF_MAX_TIMEOUT.to_seconds()
        value = seconds(timeout)
        if value is None or not 1 <= value <= limit:
            allowed = f"a Duration of 1 second to {limit:g} seconds (the runner is a Lambda function)"
            issues.append(("timeout", timeout, allowed))
        if run_key is not None and not isinstance(run_key, str):
            issues.append(("run_key", run_key, "a str (e.g. a build ID), or None"))
        if isinstance(strategies, (str, ecs.CapacityProviderStrategy)):
            return [*issues, ("capacity_provider_strategies", strategies, "a list of ecs.CapacityProviderStrategy")]
        enabled = list(cluster.capacity_provider_names) if isinstance(cluster, ecs.Cluster) else None
        return issues + check_capacity_providers(list(strategies), enabled)

    # ------------------------------------------------------------------------------------ construction

    def _create_runner(
        self, cluster: ecs.ICluster, task: SecureTaskDefinition, timeout: Duration, retention: logs.RetentionDays
    ) -> None:
        """The runner function with a role of its own, scoped to this task, this cluster and this stack."""
        self.runner_role = iam.Role(
            self,
            "RunnerRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Deploy-time runner of {self.node.path}: runs exactly its task definition",
        )
        grant_run(self.runner_role, task, cluster)
        self.runner_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ecs:DescribeTasks", "ecs:StopTask"],
                resources=[tasks_arn(cluster)],
                conditions=cluster_condition(cluster),
            )
        )
        self.runner_role.add_to_principal_policy(
            iam.PolicyStatement(actions=["cloudformation:DescribeStacks"], resources=[AWS.STACK_ID])
        )
        log_group = logs.LogGroup(self, "RunnerLogs", retention=retention, removal_policy=defaults.REMOVAL_POLICY)
        log_group.grant_write(self.runner_role)
        self.runner = lambda_.Function(
            self,
            "Runner",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(RUNNER_CODE), exclude=["__pycache__", "*.pyc", "__init__.py"]),
            timeout=Duration.seconds(timeout.to_seconds() + _RUNNER_MARGIN_SECONDS),
            role=self.runner_role,
            log_group=log_group,
            description=f"Runs {task.node.path} once per deployment for {self.node.path}",
        )
        # The function must not run before its permissions exist.
        self.runner.node.add_dependency(self.runner_role)
        Validations.of(self.runner_role).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)

    def _create_resource(
        self,
        cluster: ecs.ICluster,
        task: SecureTaskDefinition,
        subnets: ec2.SubnetSelection,
        timeout: Duration,
        run_key: str | None,
        strategies: Sequence[ecs.CapacityProviderStrategy],
    ) -> None:
        properties: dict[str, object] = {
            "Cluster": cluster.cluster_arn,
            "TaskDefinition": task.task_definition.task_definition_arn,
            "Container": task.plan.containers[0].name,
            "Subnets": _subnet_ids(cluster.vpc, subnets),
            "SecurityGroups": [self.security_group.security_group_id],
            "AssignPublicIp": ASSIGN_PUBLIC_IP,
            "PlatformVersion": defaults.PLATFORM_VERSION.value,
            "StartedBy": defaults.ONE_OFF_STARTED_BY,
            "TimeoutSeconds": str(int(timeout.to_seconds())),
            "PollSeconds": str(int(defaults.ONE_OFF_POLL_INTERVAL.to_seconds())),
        }
        if strategies:
            properties["CapacityProviderStrategy"] = [
                {
                    k: v
                    for k, v in (("capacityProvider", s.capacity_provider), ("weight", s.weight), ("base", s.base))
                    if v is not None
                }
                for s in strategies
            ]
        if run_key is not None:
            properties["RunKey"] = run_key
        self.resource = CustomResource(
            self,
            "Run",
            service_token=self.runner.function_arn,
            resource_type="Custom::SecureOneOffTask",
            properties=properties,
            # CloudFormation gives up on a runner that never answers shortly after the runner's own limit.
            service_timeout=Duration.seconds(timeout.to_seconds() + 2 * _RUNNER_MARGIN_SECONDS),
        )
        # The task's network must exist (egress rules included) before it runs.
        self.resource.node.add_dependency(self.security_group)
        #: The ARN of the task the last deployment ran ("" when a rollback skipped it).
        self.task_arn = self.resource.get_att_string("TaskArn")
        #: The main container's exit code of that run ("0").
        self.exit_code = self.resource.get_att_string("ExitCode")
