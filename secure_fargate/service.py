"""``SecureFargateService``: a Fargate service whose task and every container are hardened by default."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, Duration, RemovalPolicy, Tags, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import defaults
from ._deployment import DeploymentOptions, NeedsLoadBalancer
from ._launch import environment_issues, no_private_subnets, private_subnets
from ._plan import TaskPlan
from ._validation import (
    Issue,
    check_capacity_providers,
    check_desired_count,
    check_health_check_grace_period,
    check_healthy_percent,
    check_service_connect,
    check_traffic_rules,
)
from .acknowledgements import IAM_POLICY_ACKNOWLEDGEMENT
from .opt_outs import Level, given, reason_issues, record
from .options import ContainerOptions, LogRouter, OptOut, SecurityAgent, TrafficRule
from .plugin import SecureFargateChecks
from .task_definition import SecureTaskDefinition, TaskSpec, raise_issues


@dataclass(frozen=True)
class _EcsOptions:
    """The service options named as aws_ecs names them, passed through after validation."""

    desired_count: int | None
    min_healthy_percent: int
    max_healthy_percent: int
    health_check_grace_period: Duration | None
    capacity_provider_strategies: Sequence[ecs.CapacityProviderStrategy]
    propagate_tags: ecs.PropagatedTagSource | None
    enable_ecs_managed_tags: bool
    cloud_map_options: ecs.CloudMapOptions | None
    service_connect_configuration: ecs.ServiceConnectProps | None

    def issues(self, cluster: ecs.ICluster) -> list[Issue]:
        enabled = list(cluster.capacity_provider_names) if isinstance(cluster, ecs.Cluster) else None
        return [
            *check_desired_count(self.desired_count),
            *check_healthy_percent(self.min_healthy_percent, self.max_healthy_percent),
            *check_health_check_grace_period(self.health_check_grace_period),
            *check_capacity_providers(list(self.capacity_provider_strategies), enabled),
        ]


class SecureFargateService(Construct):
    """A Fargate service secure by default: see docs/user-guide.md "Defaults" for each control and its reason.

    Exposes everything it creates (``service``, ``task_definition``, ``task_role``, ``execution_role``,
    ``security_group``, ``container``, ``containers``, ``log_group``, ``connections``, and ``task``: the
    ``SecureTaskDefinition`` they form, which a ``SecureScheduledTask`` or ``SecureOneOffTask`` can run too) so
    callers extend rather than fork. It also registers the guardrail pack (``SecureFargateChecks``) on its app
    once, so the final templates, escape hatches and other stacks included, are judged at synth.

    Args:
        scope: the parent construct.
        construct_id: the construct's ID.
        cluster: the ECS cluster to run in (same account and region as the stack); its VPC must have private
            subnets.
        container: the application's container (``ContainerOptions``); its ``container_port`` is what load
            balancers route to.
        sidecars: further containers of the task, hardened like the application's. Default: none.
        cpu: task CPU units. Default 256. With ``memory_limit_mib``, a supported Fargate pair (SF.TASK_SIZE).
        memory_limit_mib: task memory in MiB. Default 512. The containers' hard limits must fit (SF.MEMORY).
        desired_count: number of tasks. Default 2. ``None`` omits DesiredCount so autoscaling
            (``service.service.auto_scale_task_count(...)``) owns it and a deploy does not reset it.
        min_healthy_percent: lower bound of running tasks during a deployment, 0-100. Default 100 (capacity
            never drops during a rollout).
        max_healthy_percent: upper bound during a deployment, 100 or more. Default 200.
        health_check_grace_period: time load balancer health checks are ignored after a task starts. Default:
            none (ECS's).
        capacity_provider_strategies: ``ecs.CapacityProviderStrategy`` on ``FARGATE`` and/or ``FARGATE_SPOT``
            (replaces the launch type). An ``ecs.Cluster`` must have enabled them
            (``enable_fargate_capacity_providers=True``), else a SecureFargateError; an imported cluster cannot be
            checked at synth (the deploy fails if it lacks them). Default: none (launch type FARGATE).
        propagate_tags: copy tags from the ``SERVICE`` or ``TASK_DEFINITION`` to the tasks (None: not at all).
            Default ``SERVICE``: tasks show up in the same inventory (ECS.13, ECS.15).
        enable_ecs_managed_tags: ECS-managed tags (cluster, service) on the tasks. Default False.
        cloud_map_options: register the tasks in AWS Cloud Map (``ecs.CloudMapOptions``). Default: none.
        service_connect_configuration: Service Connect (``ecs.ServiceConnectProps``), referring to a named port
            mapping (``ContainerOptions.port_mappings``); TLS through ``ecs.ServiceConnectTlsConfiguration``. Its
            proxy logs to the service's log group unless ``log_driver`` is given. Default: none.
        runtime_platform: ``ecs.RuntimePlatform``: ``cpu_architecture`` ARM64 (Graviton) or X86_64. The OS family
            is always LINUX and always written (ECS.21); Windows is refused. Default: LINUX on X86_64.
        ephemeral_storage_gib: task ephemeral storage, 21-200 GiB. Default: none (Fargate's 20 GiB).
        volumes: task volumes (``ecs.Volume``) for ``ContainerOptions.mount_points``: a bind mount without
            configuration is scratch space on the task's storage (``ecs.Volume(name="scratch")``); EFS needs
            ``transit_encryption="ENABLED"`` (ECS.18) and ``authorization_config=ecs.AuthorizationConfig(
            iam="ENABLED")``; host and Docker volumes are refused. Default: none.
        vpc_subnets: the task subnets. Default: the VPC's private subnets with egress, else its isolated ones
            (public subnets only with ``assign_public_ip``).
        ingress: who may reach the tasks (``TrafficRule``); nothing until declared (SF.INGRESS). Default: none.
        egress: where the tasks may connect. Default: HTTPS (443) to anywhere, for ECR, S3, Logs and Secrets
            Manager through a NAT gateway; narrow it to VPC endpoints when you use them.
        log_group: bring your own log group. Default: a new one with ``log_retention`` (ECS.9).
        log_retention: retention of the created log group. Default one year.
        log_encryption_key: KMS key for the created log group. Default: none (CloudWatch Logs' own encryption).
        removal_policy: what happens to the created log group on stack deletion. Default RETAIN.
        assign_public_ip: ``OptOut(reason)`` to give tasks public IPs in public subnets (weakens ECS.2).
        enable_execute_command: ``OptOut(reason)`` to enable ECS Exec; its agent's paths become writable.
        service_name: the ECS service name. Default: generated by CloudFormation.
        security_agent: a ``SecurityAgent`` sidecar (pidMode task; the one container allowed SYS_PTRACE,
            SF.PTRACE). Default: none.
        tags: tags for the service, its task definition and everything else it creates, added to
            ``defaults.TAGS``; tasks inherit the service's tags (ECS.13, ECS.15). Default: only ``defaults.TAGS``.
        log_router: a ``LogRouter`` (FireLens) sidecar; the other containers then log through it
            (``awsfirelens``) and start after it. Default: none (every container logs with ``awslogs``).
        deployment_strategy: ``ecs.DeploymentStrategy``: ROLLING, or ECS's native BLUE_GREEN, LINEAR or CANARY,
            which run the new revision beside the old one and shift traffic through a ``SecureLoadBalancer``
            (``attach`` builds the second target group, a closed test listener and the rules ECS switches). The
            circuit breaker with rollback stays on whatever the strategy. Default ROLLING (nothing else to build).
        bake_time: how long both revisions keep running after all traffic has shifted, so a rollback is instant;
            whole minutes, 0-1440; not with ROLLING. Default: none (ECS's).
        linear_configuration: ``ecs.TrafficShiftConfig`` for LINEAR: ``step_percent`` 3-100 (steps of 0.1) and
            ``step_bake_time`` 0-1440 minutes. Default: none (ECS's: 10 % every 6 minutes).
        canary_configuration: ``ecs.TrafficShiftConfig`` for CANARY: ``step_percent`` 0.1-100 and
            ``step_bake_time`` 0-1440 minutes. Default: none (ECS's: 5 % for 10 minutes).
        deployment_alarms: ``ecs.DeploymentAlarmConfig(alarm_names=[...])``: CloudWatch alarms that roll a
            deployment back (during the rollout and the bake time); ``FAIL_ON_ALARM`` is refused. Recommended with
            every traffic-shifting strategy (a warning says so when missing). Default: none.
        lifecycle_hooks: ``ecs.DeploymentLifecycleLambdaTarget`` hooks run at deployment stages (not with
            ROLLING). Without ``role=``, CDK gives each its own role that may invoke exactly that function; a role of
            your own that may invoke ``function:*`` fails SF.DEPLOY_HOOK_INVOKE at synth. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        container: ContainerOptions,
        sidecars: Sequence[ContainerOptions] = (),
        cpu: int = defaults.TASK_CPU,
        memory_limit_mib: int = defaults.TASK_MEMORY_MIB,
        desired_count: int | None = defaults.DESIRED_COUNT,
        vpc_subnets: ec2.SubnetSelection | None = None,
        ingress: Sequence[TrafficRule] = (),
        egress: Sequence[TrafficRule] | None = None,
        log_group: logs.ILogGroup | None = None,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        log_encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        assign_public_ip: OptOut | None = None,
        enable_execute_command: OptOut | None = None,
        service_name: str | None = None,
        security_agent: SecurityAgent | None = None,
        tags: Mapping[str, str] | None = None,
        min_healthy_percent: int = defaults.MIN_HEALTHY_PERCENT,
        max_healthy_percent: int = defaults.MAX_HEALTHY_PERCENT,
        health_check_grace_period: Duration | None = None,
        capacity_provider_strategies: Sequence[ecs.CapacityProviderStrategy] = (),
        propagate_tags: ecs.PropagatedTagSource | None = defaults.PROPAGATE_TAGS,
        enable_ecs_managed_tags: bool = False,
        cloud_map_options: ecs.CloudMapOptions | None = None,
        service_connect_configuration: ecs.ServiceConnectProps | None = None,
        runtime_platform: ecs.RuntimePlatform | None = None,
        ephemeral_storage_gib: int | None = None,
        volumes: Sequence[ecs.Volume] = (),
        log_router: LogRouter | None = None,
        deployment_strategy: ecs.DeploymentStrategy = defaults.DEPLOYMENT_STRATEGY,
        bake_time: Duration | None = None,
        linear_configuration: ecs.TrafficShiftConfig | None = None,
        canary_configuration: ecs.TrafficShiftConfig | None = None,
        deployment_alarms: ecs.DeploymentAlarmConfig | None = None,
        lifecycle_hooks: Sequence[ecs.IDeploymentLifecycleHookTarget] = (),
    ) -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``)."""
        super().__init__(scope, construct_id)
        self._opt_outs = given(
            {"assign_public_ip": assign_public_ip, "enable_execute_command": enable_execute_command}, Level.SERVICE
        )
        self._ecs_options = _EcsOptions(
            desired_count,
            min_healthy_percent,
            max_healthy_percent,
            health_check_grace_period,
            tuple(capacity_provider_strategies),
            propagate_tags,
            enable_ecs_managed_tags,
            cloud_map_options,
            service_connect_configuration,
        )
        #: How the service deploys (strategy, bake time, alarms, hooks), validated.
        self.deployment = DeploymentOptions(
            deployment_strategy,
            bake_time,
            linear_configuration,
            canary_configuration,
            deployment_alarms,
            tuple(lifecycle_hooks),
        )
        #: The load balancers routing to the service (``SecureLoadBalancer.attach`` records itself here).
        self.attached_to: list[str] = []
        spec = TaskSpec(
            container=container,
            sidecars=sidecars,
            cpu=cpu,
            memory_limit_mib=memory_limit_mib,
            log_group=log_group,
            log_retention=log_retention,
            log_encryption_key=log_encryption_key,
            removal_policy=removal_policy,
            security_agent=security_agent,
            log_router=log_router,
            runtime_platform=runtime_platform,
            ephemeral_storage_gib=ephemeral_storage_gib,
            volumes=tuple(volumes),
            tags=tags,
            execute_command="enable_execute_command" in self._opt_outs,
        )
        self._tags = tags if tags is not None else {}
        self._traffic_rules = [
            (f"{kind}[{i}]", getattr(r, "peer", r), getattr(r, "port", None))
            for kind, rules in (("ingress", ingress), ("egress", egress or ()))
            for i, r in enumerate(rules)
        ]
        self.plan = self._validate(cluster, spec)
        subnets = self._subnets(cluster, vpc_subnets)
        self._create_task(spec)
        self._create_security_group(cluster, ingress, egress)
        self._create_service(cluster, subnets, service_name)
        self._configure_deployment()
        self._record_opt_outs()
        Validations.of(self).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)
        self._apply_tags(self._tags)
        SecureFargateChecks.register(self)

    def _create_task(self, spec: TaskSpec) -> None:
        """The hardened task definition (``SecureTaskDefinition``); its resources stay direct children of the
        service, so services deployed before SecureTaskDefinition existed keep every logical ID."""
        #: The service's hardened task (roles, log group, task definition, containers).
        self.task = SecureTaskDefinition(self, "Task", container=spec.container, _prepared=(spec, self.plan, self))
        self.task_role = self.task.task_role
        self.execution_role = self.task.execution_role
        self.log_group = self.task.log_group
        self.task_definition = self.task.task_definition
        self.containers = self.task.containers
        self.container = self.task.container
        #: The main container's port (None when it listens on none), for load balancers to route to.
        self.container_port = self.task.container_port

    # ------------------------------------------------------------------------------------------ public

    def allow_ingress_from(self, peer: ec2.IPeer, port: int, description: str = "") -> None:
        """Admit ``peer`` on a TCP port (e.g. the load balancer's security group on the container port)."""
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(port), description or f"from {peer} on {port}")

    def allow_egress_to(self, peer: ec2.IPeer, port: int, description: str = "") -> None:
        """Let the tasks open TCP connections to ``peer`` on ``port``."""
        self.security_group.add_egress_rule(peer, ec2.Port.tcp(port), description or f"to {peer} on {port}")

    # ------------------------------------------------------------------------------------- validation

    def _validate(self, cluster: ecs.ICluster, spec: TaskSpec) -> TaskPlan:
        """Plan the task and collect every problem of the task's and the service's input; raise them together."""
        plan, issues = spec.plan(self)
        issues += check_traffic_rules(self._traffic_rules)
        issues += reason_issues("", self._opt_outs)
        issues += self._ecs_options.issues(cluster)
        issues += self.deployment.issues()
        issues += environment_issues(self, cluster)
        issues += self._service_connect_issues(cluster, plan)
        raise_issues(self.node.path, issues)
        return plan

    def _service_connect_issues(self, cluster: ecs.ICluster, plan: TaskPlan) -> list[Issue]:
        props = self._ecs_options.service_connect_configuration
        if props is None:
            return []
        names = [n for c in plan.containers for m in c.port_mappings if isinstance(n := getattr(m, "name", None), str)]
        return check_service_connect(props, names, cluster.default_cloud_map_namespace is not None)

    def _subnets(self, cluster: ecs.ICluster, selection: ec2.SubnetSelection | None) -> ec2.SubnetSelection:
        if selection is None and "assign_public_ip" in self._opt_outs:
            return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
        found = private_subnets(cluster, selection)
        if found is None:
            raise_issues(self.node.path, [no_private_subnets(cluster)])
        assert found is not None
        return found

    # ------------------------------------------------------------------------------------ construction

    def _create_security_group(
        self, cluster: ecs.ICluster, ingress: Sequence[TrafficRule], egress: Sequence[TrafficRule] | None
    ) -> None:
        """One security group per service (and so per task ENI): no ingress until declared, explicit egress."""
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=cluster.vpc,
            allow_all_outbound=False,
            description=f"{self.node.path}: ingress only as declared, egress HTTPS only",
        )
        for rule in ingress:
            self.allow_ingress_from(rule.peer, rule.port, rule.description)
        default_egress = [TrafficRule(ec2.Peer.any_ipv4(), defaults.EGRESS_PORT, defaults.EGRESS_DESCRIPTION)]
        for rule in default_egress if egress is None else egress:
            self.allow_egress_to(rule.peer, rule.port, rule.description)

    def _create_service(self, cluster: ecs.ICluster, subnets: ec2.SubnetSelection, service_name: str | None) -> None:
        options = self._ecs_options
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=options.desired_count,
            assign_public_ip=defaults.ASSIGN_PUBLIC_IP if "assign_public_ip" not in self._opt_outs else True,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            platform_version=defaults.PLATFORM_VERSION,
            circuit_breaker=defaults.circuit_breaker(),
            min_healthy_percent=options.min_healthy_percent,
            max_healthy_percent=options.max_healthy_percent,
            health_check_grace_period=options.health_check_grace_period,
            capacity_provider_strategies=list(options.capacity_provider_strategies) or None,
            propagate_tags=options.propagate_tags,
            enable_ecs_managed_tags=options.enable_ecs_managed_tags or None,
            cloud_map_options=options.cloud_map_options,
            service_connect_configuration=self._service_connect(),
            enable_execute_command=(
                defaults.ENABLE_EXECUTE_COMMAND if "enable_execute_command" not in self._opt_outs else True
            ),
            service_name=service_name,
            **self.deployment.service_props(),
        )
        self.connections = self.service.connections

    def _configure_deployment(self) -> None:
        """Lifecycle hooks, the check that a traffic-shifting strategy got its load balancer, and a warning when
        nothing but the circuit breaker watches a traffic shift."""
        for hook in self.deployment.lifecycle_hooks:
            self.service.add_lifecycle_hook(hook)
        self.node.add_validation(NeedsLoadBalancer(self.node.path, self.deployment, self.attached_to))
        if self.deployment.shifts_traffic and self.deployment.deployment_alarms is None:
            Annotations.of(self).add_warning_v2(
                "secure-fargate:deployment-without-alarms",
                f"{self.deployment.deployment_strategy.name} without deployment_alarms: the circuit breaker sees "
                "tasks that fail to start, not a revision that starts and then serves errors; give "
                "deployment_alarms=ecs.DeploymentAlarmConfig(alarm_names=[...]) so ECS rolls such a shift back",
            )

    def attach_blue_green(
        self,
        blue: elbv2.ApplicationTargetGroup,
        green: elbv2.ApplicationTargetGroup,
        production_rule: elbv2.ApplicationListenerRule,
        test_rule: elbv2.ApplicationListenerRule,
    ) -> None:
        """Register the main container in ``blue`` with ``green`` as ECS's alternate target group, switched through
        ``production_rule`` and ``test_rule`` (``SecureLoadBalancer.attach`` calls it for BLUE_GREEN, LINEAR and
        CANARY; call it yourself only with your own load balancer). ``ecs.AlternateTarget`` creates the role ECS
        switches them with (AWS managed ``AmazonECSInfrastructureRolePolicyForLoadBalancers``)."""
        rules = ecs.ListenerRuleConfiguration
        target = self.service.load_balancer_target(
            container_name=self.container.container_name,
            container_port=self.container_port,
            alternate_target=ecs.AlternateTarget(
                "AlternateTarget",
                alternate_target_group=green,
                production_listener=rules.application_listener_rule(production_rule),
                test_listener=rules.application_listener_rule(test_rule),
            ),
        )
        blue.add_target(target)

    def _service_connect(self) -> ecs.ServiceConnectProps | None:
        """The caller's Service Connect, with its proxy logging to the service's log group unless told otherwise."""
        given_props = self._ecs_options.service_connect_configuration
        if given_props is None or given_props.log_driver is not None:
            return given_props
        return ecs.ServiceConnectProps(
            namespace=given_props.namespace,
            services=given_props.services,
            log_driver=ecs.LogDrivers.aws_logs(stream_prefix="service-connect", log_group=self.log_group),
        )

    # --------------------------------------------------------------------------------------- the audit

    def _record_opt_outs(self) -> None:
        """Each service-level opt-out's warning and acknowledgement, on the resource that carries it."""
        for prop, opt_out in self._opt_outs.items():
            record(self.service if prop == "assign_public_ip" else self, prop, prop, opt_out)  # type: ignore[arg-type]

    def _apply_tags(self, tags: Mapping[str, str]) -> None:
        """The library's and the caller's tags on everything this construct creates (ECS.13, ECS.15)."""
        for key, value in defaults.tags().items():
            Tags.of(self).add(key, value, include_resource_types=list(defaults.TAGGED_RESOURCE_TYPES))
        for key, value in tags.items():
            Tags.of(self).add(key, value)
