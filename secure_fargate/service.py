"""``SecureFargateService``: a Fargate service whose task and every container are hardened by default."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

from aws_cdk import Acknowledgment, Annotations, RemovalPolicy, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import defaults
from ._self_audit import SelfAudit
from ._tokens import is_unresolved
from .acknowledgements import IAM_POLICY_ACKNOWLEDGEMENT, acknowledge
from .errors import Problems
from .options import ContainerOptions, ImageSource, OptOut, SecurityAgent, TrafficRule
from .rules.containers import (
    AGENT_LABEL,
    ALLOWED_ADDED_CAPABILITIES,
    ImagePin,
    capability_name,
    capability_problems,
    is_root_user,
    is_secret_looking_name,
    memory_problems,
)
from .rules.tasks import task_size_problem

#: Paths the ECS Exec agent writes to; mounted read-write when Exec is enabled with a read-only root.
EXEC_WRITABLE_PATHS = ("/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm")
_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def _known(value: object) -> bool:
    return not is_unresolved(value)


def _check_reason(problems: Problems, prop: str, opt_out: OptOut | None) -> None:
    if opt_out is not None:
        problems.require_reason(prop, opt_out, opt_out.reason if isinstance(opt_out, OptOut) else None)


def _check_writable_paths(problems: Problems, prefix: str, paths: Sequence[str]) -> None:
    seen: list[str] = []
    for raw in paths:
        prop = f"{prefix}.writable_paths"
        if not isinstance(raw, str) or not raw.startswith("/"):
            problems.add(prop, raw, "absolute paths such as /tmp")
            continue
        path = posixpath.normpath(raw)
        if path == "/" or path != raw.rstrip("/") or "//" in raw:
            problems.add(prop, raw, "a normalized absolute path below / (no '..', '.', '//' or trailing '/')")
            continue
        for other in seen:
            if path == other or path.startswith(other + "/") or other.startswith(path + "/"):
                problems.add(prop, raw, f"paths that do not overlap (it overlaps {other})")
                break
        seen.append(path)


def check_container(problems: Problems, options: ContainerOptions, prefix: str, *, agent: bool = False) -> None:
    """Every synth-time check on one container's options, using the guardrail pack's predicates."""
    if not isinstance(options, ContainerOptions):
        problems.add(prefix, options, "a secure_fargate.ContainerOptions")
        return
    if not _CONTAINER_NAME.match(options.name or ""):
        problems.add(f"{prefix}.name", options.name, "1-255 letters, digits, '-' or '_'")
    if not isinstance(options.image, ImageSource):
        problems.add(f"{prefix}.image", options.image, "an ImageSource (from_registry or from_ecr)")
    elif options.image.pin() in (ImagePin.LATEST, ImagePin.UNTAGGED):
        problems.add(
            f"{prefix}.image",
            options.image.reference,
            "an image pinned by digest (name@sha256:<64 hex>) or a fixed tag; ':latest' and untagged are refused",
        )
    if options.privileged:
        problems.add(f"{prefix}.privileged", True, "False: privileged containers are never allowed (ECS.4)")
    caps = [str(c) for c in options.add_capabilities]
    for problem in capability_problems(caps, ["ALL"]):
        problems.add(f"{prefix}.add_capabilities", caps, f"{sorted(ALLOWED_ADDED_CAPABILITIES)} or nothing ({problem})")
    if not agent and "SYS_PTRACE" in {capability_name(c) for c in caps}:
        problems.add(
            f"{prefix}.add_capabilities",
            caps,
            "nothing: only the security agent (security_agent=SecurityAgent(...)) may add SYS_PTRACE (SF.PTRACE)",
        )
    _check_reason(problems, f"{prefix}.run_as_root", options.run_as_root)
    _check_reason(problems, f"{prefix}.writable_root_filesystem", options.writable_root_filesystem)
    if _known(options.user) and is_root_user(options.user) and options.run_as_root is None:
        problems.add(
            f"{prefix}.user", options.user, "a non-root uid[:gid] such as 1000:1000 (or run_as_root=OptOut(reason))"
        )
    memory, reservation = options.memory_limit_mib, options.memory_reservation_mib
    if not isinstance(memory, int) or isinstance(memory, bool):
        problems.add(f"{prefix}.memory_limit_mib", memory, "an int number of MiB (a hard limit is required)")
    elif _known(memory) and (reservation is None or _known(reservation)):
        for problem in memory_problems(memory, reservation):
            problems.add(
                f"{prefix}.memory_limit_mib", memory, f"a hard limit >= 6 and >= memory_reservation_mib ({problem})"
            )
    for name in options.environment:
        if is_secret_looking_name(name):
            problems.add(
                f"{prefix}.environment[{name!r}]",
                "<redacted>",
                "non-secret values only: pass it in secrets={...: ecs.Secret.from_secrets_manager(secret, field)}",
            )
    port = options.container_port
    if port is not None and _known(port) and not (1 <= port <= 65535):
        problems.add(f"{prefix}.container_port", port, "1-65535")
    elif port is not None and _known(port) and port < 1024 and options.run_as_root is None:
        problems.add(
            f"{prefix}.container_port",
            port,
            "1024 or above (a non-root process with all capabilities dropped cannot bind below 1024; "
            "listen on 8080 and let the load balancer map 80/443)",
        )
    _check_writable_paths(problems, prefix, options.writable_paths)


class SecureFargateService(Construct):
    """A Fargate service secure by default: see README "Defaults" for each control and its reason.

    Exposes everything it creates (``service``, ``task_definition``, ``task_role``, ``execution_role``,
    ``security_group``, ``container``, ``containers``, ``log_group``) so callers extend rather than fork.
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
        desired_count: int = 2,
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
    ) -> None:
        super().__init__(scope, construct_id)
        path = self.node.path
        problems = Problems(path)
        all_options = [container, *sidecars]
        for index, options in enumerate(all_options):
            check_container(problems, options, "container" if index == 0 else f"sidecars[{index - 1}]")
        self.security_agent_name: str | None = None
        if security_agent is not None:
            if not isinstance(security_agent, SecurityAgent):
                problems.add("security_agent", security_agent, "a secure_fargate.SecurityAgent")
            else:
                agent_options = security_agent.container_options()
                check_container(problems, agent_options, "security_agent", agent=True)
                all_options.append(agent_options)
                self.security_agent_name = agent_options.name
        names = [o.name for o in all_options if isinstance(o, ContainerOptions)]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.add("container.name", name, "unique container names within the task")
        if _known(cpu) and _known(memory_limit_mib):
            size_problem = task_size_problem(cpu, memory_limit_mib)
            if size_problem:
                problems.add(
                    "cpu/memory_limit_mib", (cpu, memory_limit_mib), f"a supported Fargate task size: {size_problem}"
                )
            limits = [o.memory_limit_mib for o in all_options if isinstance(o, ContainerOptions)]
            if all(isinstance(m, int) and _known(m) for m in limits) and sum(limits) > memory_limit_mib:
                problems.add(
                    "container memory_limit_mib (sum)",
                    sum(limits),
                    f"container hard limits that fit in the task's memory_limit_mib={memory_limit_mib}",
                )
        _check_reason(problems, "assign_public_ip", assign_public_ip)
        _check_reason(problems, "enable_execute_command", enable_execute_command)
        if _known(desired_count) and desired_count < 0:
            problems.add("desired_count", desired_count, "0 or more")
        self._check_same_environment(problems, cluster)
        subnets = self._select_subnets(problems, cluster, vpc_subnets, assign_public_ip)
        problems.raise_if_any()

        # Roles: the task role is the application's identity and starts with no permission at all; the
        # execution role pulls the image, writes logs and reads the injected secrets (CDK grants it exactly those).
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"Application identity of {path}; no permission unless granted explicitly",
        )
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"ECS agent identity of {path}: image pull, logs, secret injection",
        )
        self.log_group = log_group or logs.LogGroup(
            self,
            "Logs",
            retention=log_retention,
            encryption_key=log_encryption_key,
            removal_policy=removal_policy,
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=cpu,
            memory_limit_mib=memory_limit_mib,
            task_role=self.task_role,
            execution_role=self.execution_role,
            # The agent must see the application's processes: one PID namespace for the task (Fargate 1.4.0+).
            pid_mode=ecs.PidMode.TASK if self.security_agent_name else None,
            runtime_platform=(
                ecs.RuntimePlatform(operating_system_family=ecs.OperatingSystemFamily.LINUX)
                if self.security_agent_name
                else None
            ),
        )
        exec_paths = EXEC_WRITABLE_PATHS if enable_execute_command is not None else ()
        self.containers: dict[str, ecs.ContainerDefinition] = {}
        for options in all_options:
            self.containers[options.name] = self._add_container(options, exec_paths)
        self.container = self.containers[container.name]
        #: The main container's port (None when it listens on none), for load balancers to route to.
        self.container_port = container.container_port

        # One security group per service (and so per task ENI): no ingress until declared, explicit egress.
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=cluster.vpc,
            allow_all_outbound=False,
            description=f"{path}: ingress only as declared, egress HTTPS only",
        )
        for rule in ingress:
            self.allow_ingress_from(rule.peer, rule.port, rule.description)
        default_egress = [
            TrafficRule(
                ec2.Peer.any_ipv4(), defaults.EGRESS_PORT, "HTTPS to ECR, S3, CloudWatch Logs and Secrets Manager"
            )
        ]
        for rule in default_egress if egress is None else egress:
            self.allow_egress_to(rule.peer, rule.port, rule.description)

        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=desired_count,
            assign_public_ip=defaults.ASSIGN_PUBLIC_IP if assign_public_ip is None else True,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            platform_version=defaults.PLATFORM_VERSION,
            circuit_breaker=defaults.circuit_breaker(),
            min_healthy_percent=100,
            max_healthy_percent=200,
            enable_execute_command=defaults.ENABLE_EXECUTE_COMMAND if enable_execute_command is None else True,
            service_name=service_name,
        )
        self.connections = self.service.connections
        if assign_public_ip is not None:
            self._opt_out(self.service, "ECS.2", "assign_public_ip", assign_public_ip)
        if enable_execute_command is not None:
            Annotations.of(self).add_warning_v2(
                "secure-fargate:enable_execute_command",
                f"ECS Exec is enabled: {enable_execute_command.reason.strip()}",
            )
        self._acknowledge_ecosystem_findings(all_options)
        self.node.add_validation(SelfAudit(self))

    # ------------------------------------------------------------------------------------------ public

    def allow_ingress_from(self, peer: ec2.IPeer, port: int, description: str = "") -> None:
        """Admit ``peer`` on a TCP port (e.g. the load balancer's security group on the container port)."""
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(port), description or f"from {peer} on {port}")

    def allow_egress_to(self, peer: ec2.IPeer, port: int, description: str = "") -> None:
        """Let the tasks open TCP connections to ``peer`` on ``port``."""
        self.security_group.add_egress_rule(peer, ec2.Port.tcp(port), description or f"to {peer} on {port}")

    # ----------------------------------------------------------------------------------------- private

    def _check_same_environment(self, problems: Problems, cluster: ecs.ICluster) -> None:
        """A cluster of another region or account cannot host this service; CDK would fail later, obscurely."""
        here, there = Stack.of(self), cluster.env
        for prop, mine, theirs in (("region", here.region, there.region), ("account", here.account, there.account)):
            if _known(mine) and _known(theirs) and mine != theirs:
                problems.add(f"cluster ({prop})", theirs, f"a cluster in this stack's {prop} {mine}")

    def _select_subnets(
        self, problems: Problems, cluster: ecs.ICluster, selection: ec2.SubnetSelection | None, public: OptOut | None
    ) -> ec2.SubnetSelection | None:
        if selection is not None:
            return selection
        if public is not None:
            return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
        vpc = cluster.vpc
        if vpc.private_subnets:
            return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        if vpc.isolated_subnets:
            return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        problems.add(
            "cluster.vpc", vpc.node.path, "a VPC with private subnets (PRIVATE_WITH_EGRESS or PRIVATE_ISOLATED)"
        )
        return None

    def _acknowledge_ecosystem_findings(self, all_options: Sequence[ContainerOptions]) -> None:
        """cdk-nag findings this construct answers by design, acknowledged with the reason (README lists them)."""
        Validations.of(self).acknowledge(IAM_POLICY_ACKNOWLEDGEMENT)
        if any(o.environment for o in all_options):
            Validations.of(self.task_definition).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-ECS2",
                    reason="Plain environment variables hold non-secret configuration only: secret-looking names "
                    "are refused at synth (secure_fargate ECS.8) and secrets are injected from Secrets Manager.",
                )
            )
        if any(o.image.in_private_registry for o in all_options):
            Validations.of(self.execution_role).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                    reason="ecr:GetAuthorizationToken has no resource-level permission, so it needs Resource '*'; "
                    "every other action of the execution role is scoped to exact ARNs (secure_fargate "
                    "SF.EXECUTION_ROLE checks it).",
                )
            )

    def _opt_out(self, scope: Construct, control: str, prop: str, opt_out: OptOut) -> None:
        reason = opt_out.reason.strip()
        Annotations.of(scope).add_warning_v2(f"secure-fargate:{prop}", f"{prop} weakened ({control}): {reason}")
        acknowledge(scope, control, f"opt-out {prop}: {reason}")

    def _add_container(self, options: ContainerOptions, exec_paths: Sequence[str]) -> ecs.ContainerDefinition:
        readonly = defaults.READONLY_ROOT_FILESYSTEM if options.writable_root_filesystem is None else False
        linux = ecs.LinuxParameters(
            self, f"{options.name}LinuxParameters", init_process_enabled=defaults.INIT_PROCESS_ENABLED
        )
        linux.drop_capabilities(*defaults.capabilities_to_drop())
        for cap in sorted({capability_name(str(c)) for c in options.add_capabilities}):
            linux.add_capabilities(ecs.Capability[cap])
        definition = self.task_definition.add_container(
            options.name,
            container_name=options.name,
            image=options.image.to_container_image(),
            memory_limit_mib=options.memory_limit_mib,
            memory_reservation_mib=options.memory_reservation_mib,
            cpu=options.cpu,
            user=options.user,
            readonly_root_filesystem=readonly,
            privileged=False,
            essential=options.essential,
            environment=dict(options.environment) or None,
            secrets=dict(options.secrets) or None,
            linux_parameters=linux,
            command=list(options.command) if options.command else None,
            entry_point=list(options.entry_point) if options.entry_point else None,
            health_check=options.health_check,
            logging=ecs.LogDrivers.aws_logs(stream_prefix=options.name, log_group=self.log_group),
            port_mappings=[ecs.PortMapping(container_port=options.container_port)] if options.container_port else None,
            docker_labels={AGENT_LABEL: "true"} if options.name == self.security_agent_name else None,
        )
        options.image.grant_pull(self.execution_role)
        writable = list(options.writable_paths) + (
            [p for p in exec_paths if p not in options.writable_paths] if readonly else []
        )
        for path in writable:
            volume = f"{options.name}-{re.sub(r'[^A-Za-z0-9]+', '-', path).strip('-')}"
            self.task_definition.add_volume(name=volume)
            definition.add_mount_points(ecs.MountPoint(container_path=path, source_volume=volume, read_only=False))
        if options.image.pin() is ImagePin.TAG:
            Annotations.of(definition).add_warning_v2(
                "secure-fargate:image-tag",
                f"container {options.name}: image tag {options.image.reference!r} is mutable; "
                "pin a digest (@sha256:...)",
            )
        if options.run_as_root is not None:
            self._opt_out(self.task_definition, "ECS.20", f"{options.name}.run_as_root", options.run_as_root)
        if options.writable_root_filesystem is not None:
            self._opt_out(
                self.task_definition,
                "ECS.5",
                f"{options.name}.writable_root_filesystem",
                options.writable_root_filesystem,
            )
        return definition
