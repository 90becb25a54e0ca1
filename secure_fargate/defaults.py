"""Every secure default of the library, in one place, each with the reason it is the default.

Constructs read these values; none hard-codes its own. Functions return fresh objects so no caller can
mutate a shared default.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs

#: Non-root uid:gid. CON316 "never run as root"; Security Hub ECS.20 fails when User is absent.
USER = "1000:1000"

#: Read-only root filesystem. CON316; Security Hub ECS.5 fails when absent.
READONLY_ROOT_FILESYSTEM = True

#: Fargate task size (the smallest supported pair); container hard limits must fit in it.
TASK_CPU = 256
TASK_MEMORY_MIB = 512

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

#: Finite log retention: logs are evidence, but keeping them forever is a cost and a liability.
LOG_RETENTION = logs.RetentionDays.ONE_YEAR

#: Stateful resources (log groups, secrets, keys, repositories) survive stack deletion by default.
REMOVAL_POLICY = RemovalPolicy.RETAIN


def capabilities_to_drop() -> list[ecs.Capability]:
    """Drop every Linux capability; with Drop ALL the container gets exactly what Add lists."""
    return [ecs.Capability.ALL]


def circuit_breaker() -> ecs.DeploymentCircuitBreaker:
    return ecs.DeploymentCircuitBreaker(enable=True, rollback=CIRCUIT_BREAKER_ROLLBACK)
