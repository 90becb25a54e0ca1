"""Deploy proof for the jobs example (examples/jobs/app.py): the real CDK CLI deploys it to moto (server mode,
loopback only); the migration really runs through the one-off runner's code, and the resources are read back.

What moto does and does not model here (README "Verified by deployment"):

- moto cannot run a Lambda function without Docker. The test replaces moto's Lambda ``invoke`` for the
  ``Custom::SecureOneOffTask`` event only: it calls the runner's real handler in this process (its boto3 clients
  pointed at moto, its answer sent to moto's CloudFormation response URL, polling every 0.1 s instead of 10 s).
- moto does not run containers: its ECS task passes RUNNING -> ... -> STOPPED one step per DescribeTasks and
  reports exit code 0. So the deploy proves the RunTask request (cluster, task definition, subnets, security
  group, no public IP) and the success path; the failure paths are proven in tests/test_one_off_runner.py.
- moto's CloudFormation does not model ``AWS::Scheduler::Schedule`` (it skips the resource with a warning), and
  moto's Scheduler never invokes targets: the schedule is checked in the template CloudFormation holds, and its
  role and dead-letter queue in IAM and SQS.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest

from secure_fargate._one_off_runner import index
from tests.helpers import cfn_lint
from tests.integration._cli import REGION, cdk, client, synthesize

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STACK = "SecureFargateJobs"
APP = "examples.jobs.app"


class _Context:
    def get_remaining_time_in_millis(self) -> int:
        return 360_000


@pytest.fixture(scope="module")
def runner_calls(moto_url: str) -> Iterator[list[dict[str, Any]]]:
    """moto's Lambda invoke replaced for the one-off runner: the real handler runs here, against moto."""
    from moto.awslambda.models import LambdaFunction
    from moto.ecs.models import EC2ContainerServiceBackend

    calls: list[dict[str, Any]] = []
    original = LambdaFunction.invoke
    original_run_task = EC2ContainerServiceBackend.run_task

    def run_task(self: Any, *args: Any, **kwargs: Any) -> Any:
        """A spy: the RunTask request as moto received it (moto then runs it unchanged)."""
        arguments = inspect.signature(original_run_task).bind(self, *args, **kwargs).arguments
        calls.append({"RunTask": {k: v for k, v in arguments.items() if k != "self"}})
        return original_run_task(self, *args, **kwargs)

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> Any:
        event = json.loads(body)
        if event.get("ResourceType") != "Custom::SecureOneOffTask":
            return original(self, body, request_headers, response_headers)
        url = event["ResponseURL"]
        event["ResponseURL"] = moto_url + url[url.index("/cloudformation_") :]
        event["ResourceProperties"]["PollSeconds"] = "0.1"
        calls.append(event)
        index.handler(event, _Context())
        return None

    environment = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LambdaFunction, "invoke", invoke)
        patch.setattr(EC2ContainerServiceBackend, "run_task", run_task)
        for key, value in environment.items():
            patch.setenv(key, value)
        yield calls


@pytest.fixture(scope="module")
def deployed(
    moto_url: str,
    aws_env: dict[str, str],
    bootstrapped: None,
    runner_calls: list[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    # the app synthesized in this process as `--app "python examples/jobs/app.py"` would, then deployed by the real CLI
    cdk(aws_env, outdir, "deploy", STACK, "--app", synthesize(outdir, {}, module=APP), "--require-approval", "never")
    cloudformation = client("cloudformation", moto_url)
    stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    resources = [
        r
        for r in cloudformation.describe_stack_resources(StackName=STACK)["StackResources"]
        if "LogicalResourceId" in r
    ]
    body = cloudformation.get_template(StackName=STACK)["TemplateBody"]
    return {
        "stack": stack,
        "template": json.loads(body) if isinstance(body, str) else body,
        "physical": {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in resources},
        "types": {r["LogicalResourceId"]: r["ResourceType"] for r in resources},
    }


def _logical(deployed: dict[str, Any], prefix: str, resource_type: str) -> str:
    (found,) = [
        k for k, v in deployed["template"]["Resources"].items() if k.startswith(prefix) and v["Type"] == resource_type
    ]
    return found


def test_jobs_stack_is_created(deployed: dict[str, Any]) -> None:
    assert deployed["stack"]["StackStatus"] == "CREATE_COMPLETE"


def test_migration_ran_once_during_the_deployment(deployed: dict[str, Any], runner_calls: list[dict[str, Any]]) -> None:
    events = [c for c in runner_calls if "RequestType" in c]
    (event,) = events
    assert event["RequestType"] == "Create"
    assert event["LogicalResourceId"] == _logical(deployed, "MigrationRun", "Custom::SecureOneOffTask")


def test_migration_task_was_started_by_the_runner(deployed: dict[str, Any], moto_url: str) -> None:
    ecs = client("ecs", moto_url)
    physical = deployed["physical"]
    cluster = physical[_logical(deployed, "Cluster", "AWS::ECS::Cluster")]
    (task_arn,) = ecs.list_tasks(cluster=cluster, startedBy="secure-fargate-one-off")["taskArns"]
    (task,) = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"]
    # (its lastStatus is moto's state machine, one step per DescribeTasks call: the runner saw STOPPED)
    assert task["startedBy"] == "secure-fargate-one-off"
    assert (
        task["taskDefinitionArn"] == physical[_logical(deployed, "MigrateTaskDefinition", "AWS::ECS::TaskDefinition")]
    )


def test_migration_task_ran_in_private_subnets_behind_its_own_group_without_public_ip(
    deployed: dict[str, Any], runner_calls: list[dict[str, Any]]
) -> None:
    # moto drops NetworkMode from a task definition CloudFormation creates, so it attaches no ENI to the task:
    # the RunTask request moto received is what is checked.
    (request,) = [c["RunTask"] for c in runner_calls if "RunTask" in c]
    physical = deployed["physical"]
    subnets = {k: v for k, v in deployed["template"]["Resources"].items() if v["Type"] == "AWS::EC2::Subnet"}
    network = request["networking_configuration"]["awsvpcConfiguration"]
    assert set(network["subnets"]) == {physical[k] for k in subnets if "Private" in k}
    assert network["securityGroups"] == [
        physical[_logical(deployed, "MigrationSecurityGroup", "AWS::EC2::SecurityGroup")]
    ]
    assert network["assignPublicIp"] == "DISABLED"
    assert request["launch_type"] == "FARGATE" and request["platform_version"] == "LATEST"


def test_service_was_created_after_the_migration(deployed: dict[str, Any]) -> None:
    resources = deployed["template"]["Resources"]
    service = resources[_logical(deployed, "ApiService", "AWS::ECS::Service")]
    assert _logical(deployed, "MigrationRun", "Custom::SecureOneOffTask") in service["DependsOn"]


def test_schedule_is_deployed_as_written(deployed: dict[str, Any]) -> None:
    # moto's CloudFormation skips AWS::Scheduler::Schedule: the template CloudFormation holds is what is checked.
    schedule = deployed["template"]["Resources"][_logical(deployed, "NightlySchedule", "AWS::Scheduler::Schedule")]
    ecs_parameters = schedule["Properties"]["Target"]["EcsParameters"]
    assert ecs_parameters["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    assert ecs_parameters["PlatformVersion"] == "LATEST" and ecs_parameters["LaunchType"] == "FARGATE"
    assert schedule["Properties"]["ScheduleExpressionTimezone"] == "Europe/Berlin"


def _statements(iam: Any, role_name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        statements = document["Statement"]
        found.extend(statements if isinstance(statements, list) else [statements])
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    return found


@pytest.mark.parametrize("role_prefix", ["NightlySchedulerRole", "MigrationRunnerRole"])
def test_launcher_roles_run_exactly_their_task_in_their_cluster(
    deployed: dict[str, Any], moto_url: str, role_prefix: str
) -> None:
    iam = client("iam", moto_url)
    physical = deployed["physical"]
    statements = _statements(iam, physical[_logical(deployed, role_prefix, "AWS::IAM::Role")])
    (run,) = [s for s in statements if s["Action"] == "ecs:RunTask"]
    task = "ReportTaskDefinition" if role_prefix.startswith("Nightly") else "MigrateTaskDefinition"
    assert run["Resource"] == physical[_logical(deployed, task, "AWS::ECS::TaskDefinition")]
    cluster_name = physical[_logical(deployed, "Cluster", "AWS::ECS::Cluster")]
    assert run["Condition"]["ArnEquals"]["ecs:cluster"].endswith(f":cluster/{cluster_name}")
    (passing,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert len(passing["Resource"]) == 2


def test_dead_letter_queue_is_encrypted(deployed: dict[str, Any], moto_url: str) -> None:
    url = deployed["physical"][_logical(deployed, "NightlyDeadLetterQueue", "AWS::SQS::Queue")]
    attributes = client("sqs", moto_url).get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes.get("SqsManagedSseEnabled") == "true"


def test_the_deployed_template_passes_cfn_lint(deployed: dict[str, Any]) -> None:
    """The template CloudFormation holds has no cfn-lint error: the schema check CDK's built-in validation
    (cdk.json: validateAgainstDefaultRules) gives `cdk synth`, which the test kernel leaves off for speed."""
    assert [p for p in cfn_lint(deployed["template"]) if p.startswith("E")] == []
