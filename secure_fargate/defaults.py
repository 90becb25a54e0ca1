"""Every secure default of the library, in one place, each with the reason it is the default.

Constructs read these values; none hard-codes its own. Functions return fresh objects so no caller can
mutate a shared default.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs

# ------------------------------------------------------------------------------------------------ containers

#: Non-root uid:gid. CON316 "never run as root"; Security Hub ECS.20 fails when User is absent.
USER = "1000:1000"

#: Read-only root filesystem. CON316; Security Hub ECS.5 fails when absent.
READONLY_ROOT_FILESYSTEM = True

#: ECS Exec's agent writes here; with a read-only root these become read-write volumes when Exec is opted in.
EXEC_WRITABLE_PATHS: tuple[str, ...] = ("/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm")

#: The security-agent sidecar: its name and a hard memory limit that leaves the application the rest.
AGENT_NAME = "security-agent"
AGENT_MEMORY_MIB = 128

#: The FireLens log router sidecar: its name and hard memory limit (AWS sizes Fluent Bit at ~50 MiB reserved).
LOG_ROUTER_NAME = "log-router"
LOG_ROUTER_MEMORY_MIB = 128

#: What the log router writes under a read-only root. aws-for-fluent-bit's init process
#: (init/fluent_bit_init_process.go) writes its generated config, invoke script and S3 config files under /init
#: when it can, else under /tmp/init (the non-root fallback, aws/aws-for-fluent-bit#955). Mounting a volume
#: over /init hides the image's own init scripts (aws/aws-for-fluent-bit#824, #928), so only /tmp is mounted.
#: The FireLens socket directory and the generated fluent-bit.conf are mounted by ECS itself.
LOG_ROUTER_WRITABLE_PATHS: tuple[str, ...] = ("/tmp",)

#: The log stream prefix of the router's own logs (it cannot ship its own logs through itself).
LOG_ROUTER_STREAM_PREFIX = "firelens"

#: Fargate's graceful stop window: SIGTERM, then SIGKILL after at most this many seconds.
MAX_STOP_TIMEOUT_SECONDS = 120

#: Fargate task ephemeral storage bounds in GiB (20 GiB is the free default when unset).
EPHEMERAL_STORAGE_GIB_RANGE = (21, 200)

# ------------------------------------------------------------------------------------------------ the service
#: Fargate task size (the smallest supported pair); container hard limits must fit in it.
TASK_CPU = 256
TASK_MEMORY_MIB = 512

#: Two tasks: one can be replaced (deployment, AZ loss, Spot) while the other serves. ``desired_count=None``
#: omits DesiredCount so that autoscaling owns it (a deploy then does not reset the scaled count).
DESIRED_COUNT = 2

#: Capacity providers a Fargate service may use (FARGATE_SPOT: interruptible, two-minute warning).
FARGATE_CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")

#: Deployments start new tasks before stopping old ones: capacity never drops below the desired count.
MIN_HEALTHY_PERCENT = 100
MAX_HEALTHY_PERCENT = 200

#: Rolling deployments unless the caller asks for ECS's blue/green, linear or canary strategy: a rolling update needs
#: nothing but the service (no second target group, no test listener) and keeps every existing stack unchanged.
DEPLOYMENT_STRATEGY = ecs.DeploymentStrategy.ROLLING

#: ECS's own bounds on a bake time (deployment or traffic-shift step), in whole minutes: 0 to 24 hours.
MAX_BAKE_TIME_MINUTES = 1440

#: ECS's bounds on a traffic-shift step, in percent (multiples of 0.1): linear 3-100, canary 0.1-100.
LINEAR_STEP_PERCENT_RANGE = (3.0, 100.0)
CANARY_STEP_PERCENT_RANGE = (0.1, 100.0)

#: The test listener of a blue/green, linear or canary service: its own port, HTTPS with the production listener's
#: certificate and TLS policy (HTTP when the production listener is HTTP), and closed to everyone until the caller
#: names who may send test traffic (``SecureLoadBalancer.attach(test_traffic_from=...)``): the revision it reaches
#: has not passed its checks yet.
TEST_LISTENER_PORT = 8443
TEST_LISTENER_PORT_HTTP = 8080

#: The production and test listener rules of a service attached as the listener's default route: they match every
#: path at the lowest priority, so routed services (lower numbers) still win.
CATCH_ALL_PRIORITY = 50000

#: Tasks never get a public IP (Security Hub ECS.2); they run in private subnets behind a load balancer.
ASSIGN_PUBLIC_IP = False

#: ECS Exec is an interactive shell into production; off unless opted out with a reason.
ENABLE_EXECUTE_COMMAND = False

#: Security Hub ECS.10: the latest platform version (1.4.0+ is also the task-ENI networking model).
PLATFORM_VERSION = ecs.FargatePlatformVersion.LATEST

#: A tiny init process (tini) reaps zombies and forwards signals; it needs no extra privilege.
INIT_PROCESS_ENABLED = True

#: Failed deployments roll back by themselves instead of leaving a half-broken service.
CIRCUIT_BREAKER_ROLLBACK = True

#: Egress: HTTPS only (ECR, S3, Secrets Manager, CloudWatch Logs are all reached on 443).
EGRESS_PORT = 443

#: What the default egress rule is for (shown on the security group rule).
EGRESS_DESCRIPTION = "HTTPS to ECR, S3, CloudWatch Logs and Secrets Manager"

#: Finite log retention: logs are evidence, but keeping them forever is a cost and a liability.
LOG_RETENTION = logs.RetentionDays.ONE_YEAR

#: Stateful resources (log groups, secrets, keys, repositories) survive stack deletion by default.
REMOVAL_POLICY = RemovalPolicy.RETAIN


# ------------------------------------------------------------------------------------------ platform pieces
#: TLS 1.2 and 1.3 with post-quantum hybrid key exchange (ML-KEM) and the restricted cipher suite
#: (ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09): recorded traffic cannot be decrypted later by a quantum
#: computer, and TLS 1.2 clients get no AES-CBC/SHA-1 suites. It is the console's post-quantum default; the
#: usePostQuantumTlsPolicy feature flag would pick the non-restricted TLS13_12_PQ, which keeps CBC suites.
SSL_POLICY = elbv2.SslPolicy.TLS13_12_RES_PQ

#: Load balancer access logs (and their noncurrent versions) expire after a year.
ACCESS_LOG_EXPIRY = Duration.days(365)

#: AWS managed WAF rule groups in front of every load balancer: common exploits and known bad inputs.
WAF_MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")

#: Target group health check interval and deregistration delay (fast, graceful rollouts).
HEALTH_CHECK_INTERVAL = Duration.seconds(30)
DEREGISTRATION_DELAY = Duration.seconds(30)

#: ECR lifecycle: keep this many images; expire untagged ones after this long.
MAX_IMAGE_COUNT = 50
UNTAGGED_EXPIRY = Duration.days(14)

#: Secrets rotate monthly; RotationRedeploy's state machine gives up after five minutes.
ROTATION_PERIOD = Duration.days(30)
REDEPLOY_TIMEOUT = Duration.minutes(5)

#: SecureNetwork spans two availability zones.
MAX_AZS = 2

#: Tags every SecureFargateService and SecureCluster puts on what it creates (services, clusters and task
#: definitions must carry at least one tag: Security Hub ECS.13/14/15); ``tags=`` adds the caller's own.
#: The key says which tool manages the resource, so an inventory finds everything this library made.
TAGS: dict[str, str] = {"managed-by": "secure-fargate"}


def tags() -> dict[str, str]:
    """A fresh copy of the default tags."""
    return dict(TAGS)


#: The resource types the default tags go on: the ones ECS.13/14/15 judge. (Caller's ``tags=`` go on
#: everything the construct creates.)
TAGGED_RESOURCE_TYPES: tuple[str, ...] = ("AWS::ECS::Cluster", "AWS::ECS::Service", "AWS::ECS::TaskDefinition")


#: Tasks inherit their service's tags (ECS tags each task it starts), so tasks show up in the same inventory.
PROPAGATE_TAGS = ecs.PropagatedTagSource.SERVICE

#: Every task definition says LINUX: Security Hub ECS.21 (Windows administrator) also evaluates task
#: definitions whose OS family is unset, and GuardDuty's Fargate agent runs on Linux only.
OPERATING_SYSTEM_FAMILY = ecs.OperatingSystemFamily.LINUX


def capabilities_to_drop() -> list[ecs.Capability]:
    """Drop every Linux capability; with Drop ALL the container gets exactly what Add lists."""
    return [ecs.Capability.ALL]


def runtime_platform(cpu_architecture: ecs.CpuArchitecture | None = None) -> ecs.RuntimePlatform:
    """Linux, always written: Security Hub ECS.21 also judges task definitions whose OS family is unset.
    X86_64 unless the caller chose a CPU architecture (ARM64 for Graviton)."""
    return ecs.RuntimePlatform(
        operating_system_family=OPERATING_SYSTEM_FAMILY,
        cpu_architecture=cpu_architecture or ecs.CpuArchitecture.X86_64,
    )


def circuit_breaker() -> ecs.DeploymentCircuitBreaker:
    return ecs.DeploymentCircuitBreaker(enable=True, rollback=CIRCUIT_BREAKER_ROLLBACK)


# ------------------------------------------------------------------------------------- jobs (scheduled, one-off)
#: EventBridge Scheduler retries a failed RunTask call (throttling, capacity) this often within the event age,
#: then hands the event to the dead-letter queue. (Scheduler's own default, 185 retries over 24 hours, keeps
#: a missed run alive long after the next one is due.) These retries are of the invocation, not of the task.
SCHEDULE_RETRY_ATTEMPTS = 3
SCHEDULE_MAX_EVENT_AGE = Duration.hours(1)

#: A failed schedule invocation is kept this long in the dead-letter queue (SQS' maximum), for investigation.
DEAD_LETTER_RETENTION = Duration.days(14)

#: A one-off (deploy-time) task must stop within this time, else it is stopped and the deployment fails. The
#: runner is a Lambda function (at most 15 minutes), which also needs a margin to report back.
ONE_OFF_TIMEOUT = Duration.minutes(10)
ONE_OFF_MAX_TIMEOUT = Duration.minutes(14)

#: How often the one-off runner polls the task's status.
ONE_OFF_POLL_INTERVAL = Duration.seconds(10)

#: ``startedBy`` of tasks a SecureOneOffTask starts (ECS keeps it on the task: audits find who ran it).
ONE_OFF_STARTED_BY = "secure-fargate-one-off"

#: Log retention of the one-off runner's own logs.
RUNNER_LOG_RETENTION = logs.RetentionDays.ONE_YEAR
