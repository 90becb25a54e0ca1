"""``SecureTaskDefinition``: the hardened Fargate task definition as a unit, whoever launches it.

Containers, the task and execution roles, the log group, volumes, the security agent and the log router, with
every default and check of ``SecureFargateService``: a service, a schedule (``SecureScheduledTask``) or a
deploy-time run (``SecureOneOffTask``) all launch the same hardened unit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Annotations, RemovalPolicy, Stack, Tags, Validations
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from . import defaults
from ._plan import ContainerPlan, TaskPlan, plan_task
from ._tokens import AWS, is_unresolved
from ._validation import (
    Issue,
    check_ephemeral_storage,
    check_memory_budget,
    check_runtime_platform,
    check_tags,
    check_task_size,
    check_task_types,
    check_volumes,
)
from .acknowledgements import ECR_TOKEN_ACKNOWLEDGEMENT, IAM_POLICY_ACKNOWLEDGEMENT, acknowledge, declare_agent
from .errors import Problems
from .guardduty import grant_agent_pull
from .images import RegistryImage
from .opt_outs import Level, given, record, record_path
from .options import ContainerOptions, LogRouter, NotSecret, SecurityAgent, plain_environment
from .pack._template import UNKNOWN, literal_value
from .pack.containers import (
    ImagePin,
    capability_name,
    is_secret_looking_name,
    log_configuration_problem,
    log_mode_problem,
)
from .pack.guardduty import headroom_problem
from .plugin import SecureFargateChecks


@dataclass(frozen=True)
class TaskSpec:
    """Everything a ``SecureTaskDefinition`` is made of, as given (validated by ``issues``).

    Launchers validate it together with their own inputs (one error listing every problem, under the launcher's
    path), then build the task from it.
    """

    container: Any
    sidecars: Sequence[Any] = ()
    cpu: Any = defaults.TASK_CPU
    memory_limit_mib: Any = defaults.TASK_MEMORY_MIB
    log_group: logs.ILogGroup | None = None
    log_retention: logs.RetentionDays = defaults.LOG_RETENTION
    log_encryption_key: kms.IKey | None = None
    removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY
    security_agent: Any = None
    log_router: Any = None
    runtime_platform: Any = None
    ephemeral_storage_gib: Any = None
    volumes: Sequence[Any] = ()
    tags: Any = None
    family: str | None = None
    execute_command: bool = False

    @property
    def volume_names(self) -> list[str]:
        return [v.name for v in self.volumes if isinstance(getattr(v, "name", None), str)]

    def plan(self, scope: IConstruct) -> tuple[TaskPlan, list[Issue]]:
        """The task plan and every problem of the task's inputs (nothing is created)."""
        plan, issues = plan_task(
            self.container,
            tuple(self.sidecars) if not isinstance(self.sidecars, (str, ContainerOptions)) else self.sidecars,
            self.security_agent,
            exec_enabled=self.execute_command,
            judged=lambda options: literal_view(scope, options),
            log_router=self.log_router,
            volume_names=self.volume_names,
        )
        tags = self.tags if self.tags is not None else {}
        issues += self._firelens_issues()
        issues += check_task_types(self.cpu, self.memory_limit_mib)
        issues += check_task_size(self.cpu, self.memory_limit_mib)
        if isinstance(tags, Mapping) and not all(isinstance(v, str) for v in tags.values()):
            issues.append(("tags", tags, "a mapping of str to str"))
        issues += check_memory_budget(self.memory_limit_mib, [c.options.memory_limit_mib for c in plan.containers])
        issues += check_runtime_platform(self.runtime_platform)
        issues += check_ephemeral_storage(self.ephemeral_storage_gib)
        issues += check_volumes(list(self.volumes))
        issues += check_tags(tags)
        return plan, issues

    def _firelens_issues(self) -> list[Issue]:
        """A container's own FireLens driver needs the task's hardened ``LogRouter``: without one, CDK silently
        adds its own router container (root, capabilities kept, no memory limit, ``logs:*`` on ``*``)."""
        if self.log_router is not None:
            router = getattr(self.log_router, "container", None)
            if isinstance(getattr(router, "logging", None), ecs.FireLensLogDriver):
                allowed = (
                    "a driver other than FireLens for the router itself (it cannot ship its own logs through itself)"
                )
                return [("log_router.logging", "ecs.LogDrivers.firelens(...)", allowed)]
            return []
        sidecars = list(self.sidecars) if isinstance(self.sidecars, (list, tuple)) else []
        containers = [("container", self.container), *((f"sidecars[{i}]", c) for i, c in enumerate(sidecars))]
        return [
            (f"{prop}.logging", "ecs.LogDrivers.firelens(...)", "a LogRouter on the task (log_router=...) first")
            for prop, c in containers
            if isinstance(getattr(c, "logging", None), ecs.FireLensLogDriver)
        ]


def _literal(scope: IConstruct, value: object) -> object:
    """``value``, or the literal a CDK token stands for when it depends on nothing at deploy time
    (``Fn.sub("0")`` is ``"0"``): judged with the pack's own evaluation of intrinsics."""
    if not is_unresolved(value):
        return value
    known = literal_value(Stack.of(scope).resolve(value))
    return value if known is UNKNOWN else known


def literal_view(scope: IConstruct, options: ContainerOptions) -> ContainerOptions:
    """The options as judged: every token that is really a literal replaced by that literal."""
    changes: dict[str, object] = {
        name: _literal(scope, getattr(options, name))
        for name in ("user", "container_port", "memory_limit_mib", "memory_reservation_mib")
        if is_unresolved(getattr(options, name))
    }
    if any(is_unresolved(k) or is_unresolved(v) for k, v in options.environment.items()):
        changes["environment"] = {str(_literal(scope, k)): _literal(scope, v) for k, v in options.environment.items()}
    image = options.image
    if isinstance(image, RegistryImage) and is_unresolved(image.reference):
        changes["image"] = dataclasses.replace(image, reference=str(_literal(scope, image.reference)))
    return dataclasses.replace(options, **changes) if changes else options  # type: ignore[arg-type]


def raise_issues(path: str, issues: Sequence[Issue]) -> None:
    """One ``SecureFargateError`` listing every issue, under ``path``."""
    problems = Problems(path)
    for prop, value, allowed in issues:
        problems.add(prop, value, allowed)
    problems.raise_if_any()


class SecureTaskDefinition(Construct):
    """A hardened Fargate task definition, usable by any launcher: see docs/user-guide.md, "Defaults", for each control.

    Every container is hardened as in ``SecureFargateService`` (read-only root, non-root user, all capabilities
    dropped, hard memory limit, logs to a log group with retention, secrets injected by the execution role);
    the task is Linux, ``awsvpc``, with a task role that starts without any permission. Exposes
    ``task_definition``, ``task_role``, ``execution_role``, ``log_group``, ``container``, ``containers`` and
    ``container_port``. It registers the guardrail pack (``SecureFargateChecks``) on its app once.

    Launch it with ``SecureFargateService`` (long-running), ``SecureScheduledTask`` (EventBridge Scheduler) or
    ``SecureOneOffTask`` (once per deployment); each launcher keeps the network rules (private subnets, no
    public IP, its own security group, latest platform). A service's own task (``service.task``) keeps its
    resources as the service's direct children, so services deployed before this class existed keep their
    logical IDs: tag or acknowledge them through the service or ``service.task.task_definition``, not through
    ``service.task``, whose construct node is empty.

    Args:
        scope: the parent construct.
        construct_id: the construct's ID.
        container: the main container (``ContainerOptions``); a one-off or scheduled task succeeds when it exits 0.
        sidecars: further containers, hardened like the main one. Default: none.
        cpu: task CPU units. Default 256. With ``memory_limit_mib``, a supported Fargate pair (SF.TASK_SIZE).
        memory_limit_mib: task memory in MiB. Default 512. The containers' hard limits must fit (SF.MEMORY).
        log_group: bring your own log group. Default: a new one with ``log_retention`` (ECS.9).
        log_retention: retention of the created log group. Default one year.
        log_encryption_key: KMS key for the created log group. Default: none (CloudWatch Logs' own encryption).
        removal_policy: what happens to the created log group on stack deletion. Default RETAIN.
        security_agent: a ``SecurityAgent`` sidecar (pidMode task; the one container allowed SYS_PTRACE,
            SF.PTRACE). Default: none.
        log_router: a ``LogRouter`` (FireLens) sidecar; the other containers then log through it. Default: none.
        runtime_platform: ``ecs.RuntimePlatform``: ``cpu_architecture`` ARM64 or X86_64; the OS family is always
            LINUX and always written (ECS.21); Windows is refused. Default: LINUX on X86_64.
        ephemeral_storage_gib: task ephemeral storage, 21-200 GiB. Default: none (Fargate's 20 GiB).
        volumes: task volumes (``ecs.Volume``) for ``ContainerOptions.mount_points``: bind mounts (scratch) or EFS
            with ``transit_encryption="ENABLED"`` (ECS.18) and IAM authorization; host and Docker volumes are
            refused (SF.VOLUMES). Default: none.
        tags: tags for everything it creates, added to ``defaults.TAGS`` (ECS.15). Default: only ``defaults.TAGS``.
        family: the task definition family. Default: generated by CDK from the construct path.

    Raises:
        SecureFargateError: listing every bad input (construct path, property, value, what is allowed).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        container: ContainerOptions,
        sidecars: Sequence[ContainerOptions] = (),
        cpu: int = defaults.TASK_CPU,
        memory_limit_mib: int = defaults.TASK_MEMORY_MIB,
        log_group: logs.ILogGroup | None = None,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        log_encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        security_agent: SecurityAgent | None = None,
        log_router: LogRouter | None = None,
        runtime_platform: ecs.RuntimePlatform | None = None,
        ephemeral_storage_gib: int | None = None,
        volumes: Sequence[ecs.Volume] = (),
        tags: Mapping[str, str] | None = None,
        family: str | None = None,
        _prepared: tuple[TaskSpec, TaskPlan, Construct] | None = None,
    ) -> None:
        """Build it: every parameter is documented in the class docstring (``Args:``). ``_prepared`` is the
        launchers' own: a spec and plan they validated with their inputs, and the construct the resources go in."""
        super().__init__(scope, construct_id)
        if _prepared is not None:
            self._build(*_prepared)
            return
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
            family=family,
        )
        plan, issues = spec.plan(self)
        if family is not None and not isinstance(family, str):
            issues.append(("family", family, "a str of 1-255 letters, digits, '-' or '_'"))
        raise_issues(self.node.path, issues)
        self._build(spec, plan, self)

    # ------------------------------------------------------------------------------------ construction

    def _build(self, spec: TaskSpec, plan: TaskPlan, owner: Construct) -> None:
        self._spec = spec
        self._owner = owner
        self._firelens_grant = False
        #: The validated plan of the task's containers (the main container first).
        self.plan = plan
        self._create_roles()
        self.log_group: logs.ILogGroup = spec.log_group or logs.LogGroup(
            owner,
            "Logs",
            retention=spec.log_retention,
            encryption_key=spec.log_encryption_key,
            removal_policy=spec.removal_policy,
        )
        self._create_task_definition()
        self.containers: dict[str, ecs.ContainerDefinition] = {p.name: self._add_container(p) for p in plan.containers}
        self.container = self.containers[plan.containers[0].name]
        self._start_after_router()
        self._refuse_bad_logging()
        #: The main container's port (None when it listens on none), for load balancers to route to.
        self.container_port = plan.containers[0].main_port
        self._record_opt_outs()
        self._acknowledge_ecosystem_findings()
        self._prepare_for_guardduty()
        if owner is self:  # a launcher that holds the resources tags its whole scope itself
            self._apply_tags(spec.tags if spec.tags is not None else {})
        SecureFargateChecks.register(self)

    def _create_roles(self) -> None:
        """The task role is the application's identity and starts with no permission at all; the execution
        role pulls the image, writes logs and reads the injected secrets (CDK grants it exactly those)."""
        path = self._owner.node.path
        self.task_role = iam.Role(
            self._owner,
            "TaskRole",
            assumed_by=self._task_role_principal(),
            description=f"Application identity of {path}; no permission unless granted explicitly",
        )
        self.execution_role = iam.Role(
            self._owner,
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
                "StringEquals": {"aws:SourceAccount": AWS.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:{AWS.PARTITION}:ecs:{AWS.REGION}:{AWS.ACCOUNT_ID}:*"},
            }
        )

    def _create_task_definition(self) -> None:
        spec = self._spec
        self.task_definition = ecs.FargateTaskDefinition(
            self._owner,
            "TaskDefinition",
            cpu=spec.cpu,
            memory_limit_mib=spec.memory_limit_mib,
            task_role=self.task_role,
            execution_role=self.execution_role,
            pid_mode=ecs.PidMode.TASK if self.plan.shares_pid_namespace else None,
            # Always written (CDK also requires it with pidMode on Fargate); LINUX whatever the caller gave.
            runtime_platform=defaults.runtime_platform(
                spec.runtime_platform.cpu_architecture if spec.runtime_platform else None
            ),
            ephemeral_storage_gib=spec.ephemeral_storage_gib,
            volumes=list(spec.volumes) or None,
            family=spec.family,
        )

    def _linux_parameters(self, plan: ContainerPlan) -> ecs.LinuxParameters:
        linux = ecs.LinuxParameters(
            self._owner, f"{plan.name}LinuxParameters", init_process_enabled=defaults.INIT_PROCESS_ENABLED
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
        if options.user == defaults.USER:
            # Not a problem, but a surprise when the image was built for another uid (issue 22): say it at synth.
            Annotations.of(definition).add_info(
                f"container {options.name}: runs as {defaults.USER}, the library's default user, which replaces the "
                "image's own USER; set ContainerOptions.user to the uid the image expects if it differs"
            )
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
        """The container's own driver if given; else awslogs into the task's log group (explicit mode); through the
        FireLens router when there is one (not the router's own logs)."""
        if plan.options.logging is not None:
            return plan.options.logging
        if self.plan.router is None or plan.router:
            prefix = defaults.LOG_ROUTER_STREAM_PREFIX if plan.router else plan.name
            return defaults.aws_log_driver(prefix, self.log_group)
        return ecs.LogDrivers.firelens(options=self._firelens_log_options())

    def _refuse_bad_logging(self) -> None:
        """A container's own log driver can only be read once bound; when it is refused, the half-built construct is
        taken out of the tree again (``try_remove_child``, public), so a refused input leaves nothing behind."""
        issues = self._logging_issues()
        if not issues:
            return
        parent = self._owner.node.scope
        if parent is not None:
            parent.node.try_remove_child(self._owner.node.id)
        raise_issues(self._owner.node.path, issues)

    def _logging_issues(self) -> list[Issue]:
        """Each container's own log driver, judged as rendered by the pack's predicates (one logic): a driver that
        ships the logs (ECS.9), awslogs with an explicit mode (SF.LOG_MODE), no secret in plain options (ECS.8)."""
        issues: list[Issue] = []
        for plan in self.plan.containers:
            config = self.containers[plan.name].log_driver_config
            if plan.options.logging is None or config is None:
                continue
            prop = f"{plan.prop}.logging"
            options = dict(config.options or {})
            names = [k for k, v in options.items() if v not in (None, "")]
            problem = log_configuration_problem(config.log_driver, names)
            if config.log_driver == "awslogs":
                problem = problem or log_mode_problem(options)
            if problem:
                issues.append(
                    (prop, config.log_driver, f"a driver that ships the logs with an explicit mode ({problem})")
                )
            issues += [
                (
                    f"{prop}.options[{key!r}]",
                    "<redacted>",
                    "a secret option (secret_options / secret_token), not a plain one",
                )
                for key in options
                if is_secret_looking_name(key)
            ]
        return issues

    def _firelens_config(self) -> ecs.FirelensConfig:
        router = self._spec.log_router
        given_config = router.firelens_config if isinstance(router, LogRouter) else None
        return given_config or ecs.FirelensConfig(type=ecs.FirelensLogRouterType.FLUENTBIT)

    def _firelens_log_options(self) -> dict[str, str]:
        """The user's Fluent Bit output, else ``cloudwatch_logs`` into the task's log group (the task role may
        write there and nowhere else: not CDK's ``logs:*`` on ``*``, which only its auto-added router brings)."""
        router = self._spec.log_router
        if isinstance(router, LogRouter) and router.log_options is not None:
            return dict(router.log_options)
        if not self._firelens_grant:
            self.log_group.grant_write(self.task_role)
            self._firelens_grant = True
        return {
            "Name": "cloudwatch_logs",
            "region": AWS.REGION,
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
            bucket = f"arn:{AWS.PARTITION}:s3:::{location.bucket_name}"
            self.execution_role.add_to_principal_policy(
                iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"{bucket}/{location.object_key}"])
            )
            self.execution_role.add_to_principal_policy(
                iam.PolicyStatement(actions=["s3:GetBucketLocation"], resources=[bucket])
            )

    # --------------------------------------------------------------------------------------- the audit

    def _record_opt_outs(self) -> None:
        """The agent declaration, NotSecret acknowledgements and container opt-outs, on the task definition."""
        agent = self.plan.agent
        # Recorded even without an agent ("" = none declared): no container may then act as one.
        declare_agent(self.task_definition.node.default_child, agent.name if agent else "")  # type: ignore[arg-type]
        for plan in self.plan.containers:
            for name, value in plan.options.environment.items():
                if isinstance(value, NotSecret):
                    reason = f"declared NotSecret: {value.reason.strip()}"
                    acknowledge(self.task_definition, "ECS.8", reason, container=plan.name, variable=name)
            for prop, opt_out in given(plan.options, Level.CONTAINER).items():
                record(self.task_definition, f"{plan.name}.{prop}", prop, opt_out, plan.name)  # type: ignore[arg-type]
            self._record_system_paths(plan)

    def _record_system_paths(self, plan: ContainerPlan) -> None:
        """Each writable system path: a warning and an SF.MOUNTS acknowledgement for that container and path only,
        so a later mount over another system path, or the same path in another container, is judged afresh."""
        for path, opt_out in plan.options.writable_system_paths.items():
            record_path(self.task_definition, plan.name, path, opt_out)

    def _acknowledge_ecosystem_findings(self) -> None:
        """cdk-nag findings this task answers by design, acknowledged with the reason (docs/platform.md lists them)."""
        for role in (self.task_role, self.execution_role):
            Validations.of(role).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)
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

    def _prepare_for_guardduty(self) -> None:
        """GuardDuty Runtime Monitoring adds its agent sidecar to each task: the execution role may pull exactly
        the agent image of the region, and the task should leave the agent its memory (else a warning)."""
        grant_agent_pull(self.execution_role, self._owner)
        Validations.of(self.execution_role).acknowledge(ECR_TOKEN_ACKNOWLEDGEMENT)
        limits = [p.options.memory_limit_mib for p in self.plan.containers]
        problem = headroom_problem(self._spec.cpu, self._spec.memory_limit_mib, limits)
        if problem:
            Annotations.of(self._owner).add_warning_v2(
                "secure-fargate:guardduty-headroom",
                f"{problem}: raise memory_limit_mib or lower the containers' limits if the cluster is monitored",
            )

    def _apply_tags(self, tags: Mapping[str, str]) -> None:
        """The library's and the caller's tags on everything this task creates (ECS.15)."""
        for key, value in defaults.tags().items():
            Tags.of(self._owner).add(key, value, include_resource_types=list(defaults.TAGGED_RESOURCE_TYPES))
        for key, value in tags.items():
            Tags.of(self._owner).add(key, value)
