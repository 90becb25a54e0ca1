"""What every launcher of a ``SecureTaskDefinition`` outside a service shares: private subnets, its own security
group, and a role that may run exactly that task definition in exactly that cluster and pass exactly its roles.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import defaults
from ._tokens import AWS, is_unresolved
from ._validation import Issue, check_traffic_rules
from .options import TrafficRule
from .task_definition import SecureTaskDefinition

#: Fargate task networking of every launcher: no public IP, ever (ECS.2, ECS.16 for task sets).
ASSIGN_PUBLIC_IP = "DISABLED"


def launcher_issues(
    scope: Construct,
    cluster: object,
    task_definition: object,
    vpc_subnets: object,
    egress: Sequence[TrafficRule] | None,
) -> list[Issue]:
    """Problems of the inputs every launcher takes: the cluster, the task, the subnets and the egress rules."""
    issues: list[Issue] = []
    if not hasattr(cluster, "cluster_arn") or not hasattr(cluster, "vpc"):
        issues.append(("cluster", cluster, "an ecs.ICluster (ecs.Cluster or SecureCluster(...).cluster)"))
    else:
        issues += environment_issues(scope, cluster)  # type: ignore[arg-type]
    if not isinstance(task_definition, SecureTaskDefinition):
        allowed = "a secure_fargate.SecureTaskDefinition (a plain ecs.TaskDefinition carries none of its hardening)"
        issues.append(("task_definition", task_definition, allowed))
    if vpc_subnets is not None and not isinstance(vpc_subnets, ec2.SubnetSelection):
        issues.append(("vpc_subnets", vpc_subnets, "an ec2.SubnetSelection of private subnets"))
    elif vpc_subnets is not None and vpc_subnets.subnet_type == ec2.SubnetType.PUBLIC:
        allowed = "private subnets (PRIVATE_WITH_EGRESS or PRIVATE_ISOLATED): tasks never get a public IP (ECS.2)"
        issues.append(("vpc_subnets.subnet_type", "PUBLIC", allowed))
    if isinstance(egress, (str, TrafficRule)):
        issues.append(("egress", egress, "a list of TrafficRule"))
    else:
        rules = [(f"egress[{i}]", getattr(r, "peer", r), getattr(r, "port", None)) for i, r in enumerate(egress or ())]
        issues += check_traffic_rules(rules)
    return issues


def environment_issues(scope: Construct, cluster: ecs.ICluster) -> list[Issue]:
    """A cluster of another region or account cannot host the tasks; CDK would fail later, obscurely."""
    here, there = Stack.of(scope), cluster.env
    return [
        (f"cluster ({prop})", theirs, f"a cluster in this stack's {prop} {mine}")
        for prop, mine, theirs in (("region", here.region, there.region), ("account", here.account, there.account))
        if not is_unresolved(mine) and not is_unresolved(theirs) and mine != theirs
    ]


def private_subnets(cluster: ecs.ICluster, selection: ec2.SubnetSelection | None) -> ec2.SubnetSelection | None:
    """The given selection, else the VPC's private subnets with egress, else its isolated ones (None: neither)."""
    if selection is not None:
        return selection
    vpc = cluster.vpc
    if vpc.private_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    if vpc.isolated_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    return None


def no_private_subnets(cluster: ecs.ICluster) -> Issue:
    return (
        "cluster.vpc",
        cluster.vpc.node.path,
        "a VPC with private subnets (PRIVATE_WITH_EGRESS or PRIVATE_ISOLATED)",
    )


def job_security_group(scope: Construct, vpc: ec2.IVpc, egress: Sequence[TrafficRule] | None) -> ec2.SecurityGroup:
    """The launcher's own security group (one per task ENI): no ingress at all, egress as declared (HTTPS)."""
    group = ec2.SecurityGroup(
        scope,
        "SecurityGroup",
        vpc=vpc,
        allow_all_outbound=False,
        description=f"{scope.node.path}: no ingress, egress as declared (HTTPS by default)",
    )
    default_egress = [TrafficRule(ec2.Peer.any_ipv4(), defaults.EGRESS_PORT, defaults.EGRESS_DESCRIPTION)]
    for rule in default_egress if egress is None else egress:
        description = rule.description or f"to {rule.peer} on {rule.port}"
        group.add_egress_rule(rule.peer, ec2.Port.tcp(rule.port), description)
    return group


def cluster_condition(cluster: ecs.ICluster) -> dict[str, dict[str, str]]:
    """``ecs:cluster`` is the cluster ARN: the permission holds in this cluster only."""
    return {"ArnEquals": {"ecs:cluster": cluster.cluster_arn}}


def tasks_arn(cluster: ecs.ICluster) -> str:
    """The ARN pattern of the cluster's tasks (long ARN format)."""
    return f"arn:{AWS.PARTITION}:ecs:{AWS.REGION}:{AWS.ACCOUNT_ID}:task/{cluster.cluster_name}/*"


def grant_run(role: iam.IRole, task: SecureTaskDefinition, cluster: ecs.ICluster) -> None:
    """``ecs:RunTask`` on exactly this task definition revision, in this cluster only; ``iam:PassRole`` on exactly
    its task and execution roles, to ECS tasks only; ``ecs:TagResource`` on the cluster's tasks at RunTask (tags
    propagated from the task definition). Not CDK's ``grant_run``: it names no cluster."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["ecs:RunTask"],
            resources=[task.task_definition.task_definition_arn],
            conditions=cluster_condition(cluster),
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[task.task_role.role_arn, task.execution_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["ecs:TagResource"],
            resources=[tasks_arn(cluster)],
            conditions={"StringEquals": {"ecs:CreateAction": "RunTask"}},
        )
    )


def seconds(duration: object) -> float | None:
    """A Duration's seconds (None when it is not a Duration; a token stays a token)."""
    if not isinstance(duration, Duration):
        return None
    return duration.to_seconds()
