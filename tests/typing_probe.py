# mypy: warn-unused-ignores
"""Wrong types that `make typecheck` must keep reporting (not a test module: mypy reads it, nothing runs it).

`make typecheck` runs mypy on this file with ``warn-unused-ignores`` on for it (the first line): each
``type: ignore`` below must silence an error mypy really reports. If a configuration change (such as the aws_cdk
modules pyproject.toml leaves unanalysed) turned one of these types into Any, its ignore would go unused and the run
would fail.
"""

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_

from secure_fargate import ContainerOptions, ImageSource, SecureFargateService

app = cdk.App()
stack = cdk.Stack(app, "S")
vpc = ec2.Vpc(stack, "V")
alb = elbv2.ApplicationLoadBalancer(stack, "L", vpc=vpc)
ecs.Cluster(stack, "C1", vpc="not a vpc")  # type: ignore[arg-type]
ecs.Cluster(stack, "C2", vpc=alb)  # type: ignore[arg-type]
cluster = ecs.Cluster(stack, "C3", vpc=vpc, no_such_argument=1)  # type: ignore[call-arg]
image = ImageSource.from_registry("public.ecr.aws/example/app@sha256:" + "a" * 64)
SecureFargateService(
    stack,
    "S1",
    cluster=cluster,
    desired_count="2",  # type: ignore[arg-type]
    container=ContainerOptions(name="a", image=image, memory_limit_mib=512),
)
SecureFargateService(
    stack,
    "S2",
    cluster=vpc,  # type: ignore[arg-type]
    container=ContainerOptions(name="a", image=image, memory_limit_mib="512"),  # type: ignore[arg-type]
)
lambda_.Function(
    stack,
    "F",
    runtime=lambda_.Runtime.PYTHON_3_12,
    handler="h",
    code=lambda_.Code.from_inline("x"),
    timeout=30,  # type: ignore[arg-type]
)
targets.LambdaFunction(cluster)  # type: ignore[arg-type]
vpc_id: int = vpc.vpc_id  # type: ignore[assignment]
alb.add_listener("H", port="80")  # type: ignore[arg-type]
# A class whose base lives in a skipped module (ScalableTaskCount extends aws_applicationautoscaling's
# BaseScalableAttribute) has Any for every attribute it does not define itself: a misspelled method passed.
service = ecs.FargateService(stack, "Svc", cluster=cluster, task_definition=ecs.FargateTaskDefinition(stack, "T"))
scaling = service.auto_scale_task_count(max_capacity=4)
scaling.scale_on_cpu_utilisation("Cpu", target_utilization_percent=60)  # type: ignore[attr-defined]
