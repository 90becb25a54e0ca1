"""``SecureFargateService``: a Fargate service whose task and every container are hardened by default."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Annotations, Aws, Duration, RemovalPolicy, Stack, Tags, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import defaults
from ._plan import ContainerPlan, TaskPlan, plan_task
from ._tokens import is_unresolved
from ._validation import (
    Issue,
    check_capacity_providers,
    check_desired_count,
    check_ephemeral_storage,
    check_health_check_grace_period,
    check_healthy_percent,
    check_memory_budget,
    check_runtime_platform,
    check_service_connect,
    check_tags,
    check_task_size,
    check_task_types,
    check_traffic_rules,
    check_volumes,
)
from .acknowledgements import ECR_TOKEN_ACKNOWLEDGEMENT, IAM_POLICY_ACKNOWLEDGEMENT, acknowledge, declare_agent
from .errors import Problems
from .guardduty import grant_agent_pull
from .images import RegistryImage
from .opt_outs import Level, given, reason_issues, record
from .options import ContainerOptions, LogRouter, NotSecret, OptOut, SecurityAgent, TrafficRule, plain_environment
from .pack._template import UNKNOWN, literal_value
from .pack.containers import ImagePin, capability_name
from .pack.guardduty import headroom_problem
from .plugin import SecureFargateChecks


@dataclass(frozen=True)
class _EcsOptions:
    """The task and service options named as aws_ecs names them, passed through after validation."""

    desired_count: int | None
    min_healthy_percent: int
    max_healthy_percent: int
    health_check_grace_period: Duration | None
    capacity_provider_strategies: Sequence[ecs.CapacityProviderStrategy]
    propagate_tags: ecs.PropagatedTagSource | None
    enable_ecs_managed_tags: bool
    cloud_map_options: ecs.CloudMapOptions | None
    service_connect_configuration: ecs.ServiceConnectProps | None
    runtime_platform: ecs.RuntimePlatform | None
    ephemeral_storage_gib: int | None
    volumes: Sequence[ecs.Volume]

    def issues(self, cluster: ecs.ICluster) -> list[Issue]:
        enabled = list(cluster.capacity_provider_names) if isinstance(cluster, ecs.Cluster) else None
        return [
            *check_desired_count(self.desired_count),
            *check_healthy_percent(self.min_healthy_percent, self.max_healthy_percent),
            *check_health_check_grace_period(self.health_check_grace_period),
            *check_capacity_providers(list(self.capacity_provider_strategies), enabled),
            *check_runtime_platform(self.runtime_platform),
            *check_ephemeral_storage(self.ephemeral_storage_gib),
            *check_volumes(list(self.volumes)),
        ]

    @property
    def volume_names(self) -> list[str]:
        return [v.name for v in self.volumes if isinstance(getattr(v, "name", None), str)]


class SecureFargateService(Construct):
    """A Fargate service secure by default: see docs/user-guide.md "Defaults" for each control and its reason.

    Exposes everything it creates (``service``, ``task_definition``, ``task_role``, ``execution_role``,
    ``security_group``, ``container``, ``containers``, ``log_group``, ``connections``) so callers extend rather
    than fork. It also registers the guardrail pack (``SecureFargateChecks``) on its app once, so the final
    templates, escape hatches and other stacks included, are judged at synth.

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
            runtime_platform,
            ephemeral_storage_gib,
            tuple(volumes),
        )
        self._log_router = log_router
        self._tags = tags if tags is not None else {}
        self._traffic_rules = [
            (f"{kind}[{i}]", getattr(r, "peer", r), getattr(r, "port", None))
            for kind, rules in (("ingress", ingress), ("egress", egress or ()))
            for i, r in enumerate(rules)
        ]
        self.plan = self._validate(cluster, container, sidecars, security_agent, cpu, memory_limit_mib)
        subnets = self._subnets(cluster, vpc_subnets)
        self._create_roles()
        self.log_group = log_group or logs.LogGroup(
            self, "Logs", retention=log_retention, encryption_key=log_encryption_key, removal_policy=removal_policy
        )
        self._create_task_definition(cpu, memory_limit_mib)
        self.containers: dict[str, ecs.ContainerDefinition] = {
            p.name: self._add_container(p) for p in self.plan.containers
        }
        self.container = self.containers[self.plan.containers[0].name]
        self._start_after_router()
        #: The main container's port (None when it listens on none), for load balancers to route to.
        self.container_port = self.plan.containers[0].main_port
        self._create_security_group(cluster, ingress, egress)
        self._create_service(cluster, subnets, service_name)
        self._record_opt_outs()
        self._acknowledge_ecosystem_findings()
        self._prepare_for_guardduty(cpu, memory_limit_mib)
        self._apply_tags(self._tags)
        SecureFargateChecks.register(self)

    # ------------------------------------------------------------------------------------------ public

    def allow_ingress_from(self, peer: ec2.IPeer, port: int, description: str = "") -> None:
        """Admit ``peer`` on a TCP port (e.g. the load balancer's security group on the container port)."""
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(port), description or f"from {peer} on {port}")

    def allow_egress_to(self, peer: ec2.IPeer, port: int, description: str = "") -> None:
        """Let the tasks open TCP connections to ``peer`` on ``port``."""
        self.security_group.add_egress_rule(peer, ec2.Port.tcp(port), description or f"to {peer} on {port}")

    # ------------------------------------------------------------------------------------- validation

    def _validate(
        self,
        cluster: ecs.ICluster,
        container: object,
        sidecars: Sequence[object],
        security_agent: object,
        cpu: int,
        memory_limit_mib: int,
    ) -> TaskPlan:
        """Plan the task and collect every problem of the input; raise them together."""
        plan, issues = plan_task(
            container,
            sidecars,
            security_agent,
            exec_enabled="enable_execute_command" in self._opt_outs,
            judged=self._literal_view,
            log_router=self._log_router,
            volume_names=self._ecs_options.volume_names,
        )
        issues += check_task_types(cpu, memory_limit_mib)
        issues += check_task_size(cpu, memory_limit_mib)
        issues += check_traffic_rules(self._traffic_rules)
        if isinstance(self._tags, Mapping) and not all(isinstance(v, str) for v in self._tags.values()):
            issues.append(("tags", self._tags, "a mapping of str to str"))
        issues += check_memory_budget(memory_limit_mib, [c.options.memory_limit_mib for c in plan.containers])
        issues += reason_issues("", self._opt_outs)
        issues += self._ecs_options.issues(cluster)
        issues += self._environment_issues(cluster)
        issues += check_tags(self._tags)
        issues += self._service_connect_issues(cluster, plan)
        problems = Problems(self.node.path)
        for prop, value, allowed in issues:
            problems.add(prop, value, allowed)
        problems.raise_if_any()
        return plan

    def _service_connect_issues(self, cluster: ecs.ICluster, plan: TaskPlan) -> list[Issue]:
        props = self._ecs_options.service_connect_configuration
        if props is None:
            return []
        names = [n for c in plan.containers for m in c.port_mappings if isinstance(n := getattr(m, "name", None), str)]
        return check_service_connect(props, names, cluster.default_cloud_map_namespace is not None)

    def _literal(self, value: object) -> object:
        """``value``, or the literal a CDK token stands for when it depends on nothing at deploy time
        (``Fn.sub("0")`` is ``"0"``): judged with the pack's own evaluation of intrinsics."""
        if not is_unresolved(value):
            return value
        known = literal_value(Stack.of(self).resolve(value))
        return value if known is UNKNOWN else known

    def _literal_view(self, options: ContainerOptions) -> ContainerOptions:
        """The options as judged: every token that is really a literal replaced by that literal."""
        changes: dict[str, object] = {
            name: self._literal(getattr(options, name))
            for name in ("user", "container_port", "memory_limit_mib", "memory_reservation_mib")
            if is_unresolved(getattr(options, name))
        }
        environment = {str(self._literal(k)): self._literal(v) for k, v in options.environment.items()}
        if any(is_unresolved(k) or is_unresolved(v) for k, v in options.environment.items()):
            changes["environment"] = environment
        image = options.image
        if isinstance(image, RegistryImage) and is_unresolved(image.reference):
            changes["image"] = RegistryImage(str(self._literal(image.reference)))
        return dataclasses.replace(options, **changes) if changes else options  # type: ignore[arg-type]

    def _environment_issues(self, cluster: ecs.ICluster) -> list[Issue]:
        """A cluster of another region or account cannot host this service; CDK would fail later, obscurely."""
        here, there = Stack.of(self), cluster.env
        return [
            (f"cluster ({prop})", theirs, f"a cluster in this stack's {prop} {mine}")
            for prop, mine, theirs in (("region", here.region, there.region), ("account", here.account, there.account))
            if not is_unresolved(mine) and not is_unresolved(theirs) and mine != theirs
        ]

    def _subnets(self, cluster: ecs.ICluster, selection: ec2.SubnetSelection | None) -> ec2.SubnetSelection:
        if selection is not None:
            return selection
        if "assign_public_ip" in self._opt_outs:
            return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
        vpc = cluster.vpc
        if vpc.private_subnets:
            return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        if vpc.isolated_subnets:
            return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        problems = Problems(self.node.path)
        problems.add(
            "cluster.vpc", vpc.node.path, "a VPC with private subnets (PRIVATE_WITH_EGRESS or PRIVATE_ISOLATED)"
        )
        problems.raise_if_any()
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------------------------ construction

    def _create_roles(self) -> None:
        """The task role is the application's identity and starts with no permission at all; the execution
        role pulls the image, writes logs and reads the injected secrets (CDK grants it exactly those)."""
        path = self.node.path
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=self._task_role_principal(),
            description=f"Application identity of {path}; no permission unless granted explicitly",
        )
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"ECS agent identity of {path}: image pull, logs, secret injection",
        )

    @staticmethod
    def _task_role_principal() -> iam.IPrincipal:
        """ECS tasks of this account and region only (confused-deputy conditions the ECS developer guide
        recommends for task roles; ECS does not support naming one cluster in aws:SourceArn). The execution
        role keeps the plain principal: the guide documents these conditions for task roles only."""
        return iam.ServicePrincipal("ecs-tasks.amazonaws.com").with_conditions(
            {
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:ecs:{Aws.REGION}:{Aws.ACCOUNT_ID}:*"},
            }
        )

    def _create_task_definition(self, cpu: int, memory_limit_mib: int) -> None:
        shared_pids = self.plan.shares_pid_namespace
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=cpu,
            memory_limit_mib=memory_limit_mib,
            task_role=self.task_role,
            execution_role=self.execution_role,
            pid_mode=ecs.PidMode.TASK if shared_pids else None,
            # Always written (CDK also requires it with pidMode on Fargate); LINUX whatever the caller gave.
            runtime_platform=self._runtime_platform(),
            ephemeral_storage_gib=self._ecs_options.ephemeral_storage_gib,
            volumes=list(self._ecs_options.volumes) or None,
        )

    def _runtime_platform(self) -> ecs.RuntimePlatform:
        given_platform = self._ecs_options.runtime_platform
        return defaults.runtime_platform(given_platform.cpu_architecture if given_platform else None)

    def _linux_parameters(self, plan: ContainerPlan) -> ecs.LinuxParameters:
        linux = ecs.LinuxParameters(
            self, f"{plan.name}LinuxParameters", init_process_enabled=defaults.INIT_PROCESS_ENABLED
        )
        linux.drop_capabilities(*defaults.capabilities_to_drop())
        for cap in sorted({capability_name(str(c)) for c in plan.options.add_capabilities}):
            linux.add_capabilities(ecs.Capability[cap])
        return linux

    def _add_container(self, plan: ContainerPlan) -> ecs.ContainerDefinition:
        options = plan.options
        settings: dict[str, Any] = {
            "container_name": options.name,
            "image": options.image.to_container_image(),
            "memory_limit_mib": options.memory_limit_mib,
            "memory_reservation_mib": options.memory_reservation_mib,
            "cpu": options.cpu,
            "user": options.user,
            "readonly_root_filesystem": plan.readonly_root,
            "privileged": False,
            "essential": options.essential,
            "environment": plain_environment(options.environment) or None,
            "secrets": dict(options.secrets) or None,
            "linux_parameters": self._linux_parameters(plan),
            "command": list(options.command) if options.command else None,
            "entry_point": list(options.entry_point) if options.entry_point else None,
            "health_check": options.health_check,
            "logging": self._logging(plan),
            "port_mappings": self._port_mappings(plan),
            "docker_labels": plan.docker_labels,
            "environment_files": list(options.environment_files) or None,
            "stop_timeout": options.stop_timeout,
        }
        definition: ecs.ContainerDefinition
        if plan.router:
            definition = self.task_definition.add_firelens_log_router(
                options.name, firelens_config=self._firelens_config(), **settings
            )
        else:
            definition = self.task_definition.add_container(options.name, **settings)
        options.image.grant_pull(self.execution_role)
        self._grant_environment_files(definition)
        self._mount(plan, definition)
        if options.image.pin() is ImagePin.TAG:
            Annotations.of(definition).add_warning_v2(
                "secure-fargate:image-tag",
                f"container {options.name}: image tag {options.image.reference!r} is mutable; "
                "pin a digest (@sha256:...)",
            )
        return definition

    @staticmethod
    def _port_mappings(plan: ContainerPlan) -> list[ecs.PortMapping] | None:
        mappings = [m if isinstance(m, ecs.PortMapping) else ecs.PortMapping(**m) for m in plan.port_mappings]
        return mappings or None

    def _mount(self, plan: ContainerPlan, definition: ecs.ContainerDefinition) -> None:
        """Writable paths become task volumes of their own; declared mount points go onto ``volumes``."""
        for volume, path in plan.volumes():
            self.task_definition.add_volume(name=volume)
            definition.add_mount_points(ecs.MountPoint(container_path=path, source_volume=volume, read_only=False))
        if plan.options.mount_points:
            definition.add_mount_points(*plan.options.mount_points)

    # ---------------------------------------------------------------------------------- logs and files

    def _logging(self, plan: ContainerPlan) -> ecs.LogDriver:
        """awslogs into the service's log group; through the FireLens router when there is one (not its own)."""
        if self.plan.router is None or plan.router:
            prefix = defaults.LOG_ROUTER_STREAM_PREFIX if plan.router else plan.name
            return ecs.LogDrivers.aws_logs(stream_prefix=prefix, log_group=self.log_group)
        return ecs.LogDrivers.firelens(options=self._firelens_log_options())

    def _firelens_config(self) -> ecs.FirelensConfig:
        router = self._log_router
        given_config = router.firelens_config if router is not None else None
        return given_config or ecs.FirelensConfig(type=ecs.FirelensLogRouterType.FLUENTBIT)

    def _firelens_log_options(self) -> dict[str, str]:
        """The user's Fluent Bit output, else ``cloudwatch_logs`` into the service's log group (the task role may
        write there and nowhere else: not CDK's ``logs:*`` on ``*``, which only its auto-added router brings)."""
        router = self._log_router
        if router is not None and router.log_options is not None:
            return dict(router.log_options)
        if not getattr(self, "_firelens_grant", False):
            self.log_group.grant_write(self.task_role)
            self._firelens_grant = True
        return {
            "Name": "cloudwatch_logs",
            "region": Aws.REGION,
            "log_group_name": self.log_group.log_group_name,
            "log_stream_prefix": f"{defaults.LOG_ROUTER_STREAM_PREFIX}/",
            "auto_create_group": "false",
        }

    def _start_after_router(self) -> None:
        """Every other container starts once the router runs, so no early log line is lost."""
        router = self.plan.router
        if router is None:
            return
        for plan in self.plan.containers:
            if not plan.router:
                self.containers[plan.name].add_container_dependencies(
                    ecs.ContainerDependency(
                        container=self.containers[router.name], condition=ecs.ContainerDependencyCondition.START
                    )
                )

    def _grant_environment_files(self, definition: ecs.ContainerDefinition) -> None:
        """Exactly ``s3:GetObject`` on each environment file and ``s3:GetBucketLocation`` on its bucket, for the
        execution role (ECS reads the files before the container starts). CDK grants nothing here by itself."""
        for config in definition.environment_files or []:
            location = config.s3_location
            bucket = f"arn:{Aws.PARTITION}:s3:::{location.bucket_name}"
            self.execution_role.add_to_principal_policy(
                iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"{bucket}/{location.object_key}"])
            )
            self.execution_role.add_to_principal_policy(
                iam.PolicyStatement(actions=["s3:GetBucketLocation"], resources=[bucket])
            )

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
        )
        self.connections = self.service.connections

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
        """Each opt-out's warning and acknowledgement, on the resource that carries the weakened setting."""
        agent = self.plan.agent
        # Recorded even without an agent ("" = none declared): no container may then act as one.
        declare_agent(self.task_definition.node.default_child, agent.name if agent else "")  # type: ignore[arg-type]
        for prop, opt_out in self._opt_outs.items():
            record(self.service if prop == "assign_public_ip" else self, prop, prop, opt_out)  # type: ignore[arg-type]
        for plan in self.plan.containers:
            for name, value in plan.options.environment.items():
                if isinstance(value, NotSecret):
                    reason = f"declared NotSecret: {value.reason.strip()}"
                    acknowledge(self.task_definition, "ECS.8", reason, container=plan.name, variable=name)
            for prop, opt_out in given(plan.options, Level.CONTAINER).items():
                record(self.task_definition, f"{plan.name}.{prop}", prop, opt_out, plan.name)  # type: ignore[arg-type]

    def _acknowledge_ecosystem_findings(self) -> None:
        """cdk-nag findings this construct answers by design, with the reason (docs/platform.md lists them)."""
        Validations.of(self).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)
        options = [p.options for p in self.plan.containers]
        if any(o.environment for o in options):
            Validations.of(self.task_definition).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-ECS2",
                    reason="Plain environment variables hold non-secret configuration only: secret-looking names "
                    "are refused at synth (secure_fargate ECS.8) and secrets are injected from Secrets Manager.",
                )
            )
        if any(o.image.in_private_registry for o in options):
            Validations.of(self.execution_role).acknowledge(ECR_TOKEN_ACKNOWLEDGEMENT)

    # ------------------------------------------------------------------------------ runtime monitoring

    def _prepare_for_guardduty(self, cpu: int, memory_limit_mib: int) -> None:
        """GuardDuty Runtime Monitoring adds its agent sidecar to each task: the execution role may pull exactly
        the agent image of the region, and the task should leave the agent its memory (else a warning)."""
        grant_agent_pull(self.execution_role, self)
        Validations.of(self.execution_role).acknowledge(ECR_TOKEN_ACKNOWLEDGEMENT)
        limits = [p.options.memory_limit_mib for p in self.plan.containers]
        problem = headroom_problem(cpu, memory_limit_mib, limits)
        if problem:
            Annotations.of(self).add_warning_v2(
                "secure-fargate:guardduty-headroom",
                f"{problem}: raise memory_limit_mib or lower the containers' limits if the cluster is monitored",
            )

    def _apply_tags(self, tags: Mapping[str, str]) -> None:
        """The library's and the caller's tags on everything this construct creates (ECS.13, ECS.15)."""
        for key, value in defaults.tags().items():
            Tags.of(self).add(key, value, include_resource_types=list(defaults.TAGGED_RESOURCE_TYPES))
        for key, value in tags.items():
            Tags.of(self).add(key, value)
