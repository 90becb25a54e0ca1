# mypy: warn-unused-ignores
"""Wrong types that `make typecheck` must keep reporting (not a test module: mypy reads it, nothing runs it).

`make typecheck` runs mypy on this file with ``warn-unused-ignores`` on for it (the first line): each
``type: ignore`` below must silence an error mypy really reports. If a configuration change (such as the aws_cdk
modules pyproject.toml leaves unanalysed) turned one of these types into Any, its ignore would go unused and the run
would fail.
"""

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
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

# Known gaps: wrong types mypy does NOT report with the narrowed analysis, because the type is declared by an aws_cdk
# module our code never imports (Any here), or the module is reached only as an attribute of aws_cdk. No ignore on
# these lines: if a configuration change makes mypy report one (analysing the module again), `make typecheck` fails
# here, and the line moves up with a `type: ignore`. Each is reported once its module is analysed (checked by adding
# aws_ssm, aws_route53 and aws_sns to the analysed list).
ecs.Secret.from_ssm_parameter("not a parameter")  # aws_ssm.IParameter
acm.CertificateValidation.from_dns(hosted_zone="not a zone")  # aws_route53.IHostedZone
cdk.aws_sns.Topic(stack, "Topic", display_name=1)  # an int for a str, in a module reached as an attribute
