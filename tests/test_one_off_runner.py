"""The deploy-time runner of SecureOneOffTask (its Lambda handler) against fake ECS and CloudFormation clients:
every outcome is answered to CloudFormation, and only a main container that exited 0 is a success.

No jsii here: the handler is plain Python (standard library and boto3).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from secure_fargate._one_off_runner import index

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/c/abc"
PROPS = {
    "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
    "TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/migrate:3",
    "Container": "app",
    "Subnets": ["subnet-1", "subnet-2"],
    "SecurityGroups": ["sg-1"],
    "AssignPublicIp": "DISABLED",
    "PlatformVersion": "LATEST",
    "StartedBy": "secure-fargate-one-off",
    "TimeoutSeconds": "600",
    "PollSeconds": "0",
}


class Denied(Exception):
    """What botocore raises for an AccessDeniedException (its ``response`` carries the code)."""

    response = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}


class FakeEcs:
    def __init__(
        self, states: list[dict[str, Any]], failures: list[dict[str, str]] | None = None, denials: int = 0
    ) -> None:
        self.states = states
        self.failures = failures or []
        self.denials = denials
        self.requests: list[dict[str, Any]] = []
        self.stopped: list[dict[str, Any]] = []

    def run_task(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        if self.denials:
            self.denials -= 1
            raise Denied()
        if self.failures:
            return {"tasks": [], "failures": self.failures}
        return {"tasks": [{"taskArn": TASK_ARN}], "failures": []}

    def describe_tasks(self, **_: Any) -> dict[str, Any]:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"tasks": [{"taskArn": TASK_ARN, **state}]}

    def stop_task(self, **request: Any) -> dict[str, Any]:
        self.stopped.append(request)
        return {}


class FakeCloudFormation:
    def __init__(self, status: str) -> None:
        self.status = status

    def describe_stacks(self, **_: Any) -> dict[str, Any]:
        return {"Stacks": [{"StackStatus": self.status}]}


class Context:
    def __init__(self, remaining_ms: int = 900_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def stopped(code: int | None, **task: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app"}
    if code is not None:
        container["exitCode"] = code
    return {"lastStatus": "STOPPED", "containers": [container], **task}


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the handler answered CloudFormation (the PUT to the pre-signed URL)."""
    sent: list[dict[str, Any]] = []

    class Response:
        status = 200

        def __enter__(self) -> Response:
            return self

        def __exit__(self, *_: object) -> None:
            return None

    def urlopen(request: Any, timeout: float) -> Response:
        assert request.get_method() == "PUT" and request.full_url == "https://cfn.example/response"
        sent.append(json.loads(request.data))
        return Response()

    monkeypatch.setattr(index.urllib.request, "urlopen", urlopen)
    return sent


def use(monkeypatch: pytest.MonkeyPatch, ecs: FakeEcs, stack_status: str = "UPDATE_IN_PROGRESS") -> None:
    clients = {"ecs": ecs, "cloudformation": FakeCloudFormation(stack_status)}
    monkeypatch.setattr(index.boto3, "client", lambda name: clients[name])
    monkeypatch.setattr(index.time, "sleep", lambda _: None)


def event(request_type: str = "Create", **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cfn.example/response",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Jobs/1",
        "RequestId": "r-1",
        "LogicalResourceId": "MigrationRun",
        "ResourceProperties": dict(PROPS),
        **extra,
    }


def test_exit_zero_is_a_success_with_the_task_arn(monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> None:
    ecs = FakeEcs([{"lastStatus": "PENDING"}, {"lastStatus": "RUNNING"}, stopped(0)])
    use(monkeypatch, ecs)
    index.handler(event(), Context())
    (answer,) = answers
    assert answer["Status"] == "SUCCESS"
    assert answer["Data"] == {"TaskArn": TASK_ARN, "ExitCode": "0"}
    assert answer["PhysicalResourceId"] == "one-off/MigrationRun"


def test_the_task_runs_on_fargate_latest_in_private_subnets_without_public_ip(
    monkeypatch: pytest.MonkeyPatch, answers: list[Any]
) -> None:
    ecs = FakeEcs([stopped(0)])
    use(monkeypatch, ecs)
    index.handler(event(), Context())
    (request,) = ecs.requests
    assert request["launchType"] == "FARGATE" and request["platformVersion"] == "LATEST"
    assert request["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "subnets": ["subnet-1", "subnet-2"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED",
        }
    }
    assert request["enableExecuteCommand"] is False and "overrides" not in request
    assert request["taskDefinition"] == PROPS["TaskDefinition"] and request["cluster"] == PROPS["Cluster"]


def test_non_zero_exit_fails_the_deployment_naming_the_exit_code(
    monkeypatch: pytest.MonkeyPatch, answers: list[Any]
) -> None:
    use(monkeypatch, FakeEcs([stopped(3, stopCode="EssentialContainerExited", stoppedReason="Essential container")]))
    index.handler(event("Update", PhysicalResourceId="one-off/MigrationRun"), Context())
    (answer,) = answers
    assert answer["Status"] == "FAILED"
    assert "container app exit code 3" in answer["Reason"] and "EssentialContainerExited" in answer["Reason"]


def test_a_task_that_never_started_fails_the_deployment(monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> None:
    use(monkeypatch, FakeEcs([stopped(None, stopCode="TaskFailedToStart", stoppedReason="CannotPullContainerError")]))
    index.handler(event(), Context())
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "exit code none" in answer["Reason"]
    assert "CannotPullContainerError" in answer["Reason"]


def test_run_task_failures_fail_the_deployment(monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> None:
    use(monkeypatch, FakeEcs([stopped(0)], failures=[{"reason": "RESOURCE:ENI", "arn": "x"}]))
    index.handler(event(), Context())
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "RESOURCE:ENI" in answer["Reason"]


def test_timeout_stops_the_task_and_fails_the_deployment(monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> None:
    ecs = FakeEcs([{"lastStatus": "RUNNING"}])
    use(monkeypatch, ecs)
    clock = iter(range(0, 10_000, 100))
    monkeypatch.setattr(index.time, "monotonic", lambda: float(next(clock)))
    index.handler(event(ResourceProperties={**PROPS, "TimeoutSeconds": "300", "PollSeconds": "10"}), Context())
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "did not stop within 300 seconds" in answer["Reason"]
    assert ecs.stopped == [{"cluster": PROPS["Cluster"], "task": TASK_ARN, "reason": index.STOP_REASON}]


def test_the_lambda_limit_caps_the_wait(monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> None:
    ecs = FakeEcs([{"lastStatus": "RUNNING"}])
    use(monkeypatch, ecs)
    clock = iter(range(0, 10_000, 10))
    monkeypatch.setattr(index.time, "monotonic", lambda: float(next(clock)))
    index.handler(event(ResourceProperties={**PROPS, "PollSeconds": "5"}), Context(remaining_ms=120_000))
    assert "within 90 seconds" in answers[0]["Reason"]


def test_delete_runs_nothing(monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> None:
    ecs = FakeEcs([stopped(0)])
    use(monkeypatch, ecs)
    index.handler(event("Delete", PhysicalResourceId="one-off/MigrationRun"), Context())
    assert ecs.requests == [] and answers[0]["Status"] == "SUCCESS"


@pytest.mark.parametrize("status", ["UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"])
def test_a_rollback_does_not_rerun_the_previous_task(
    monkeypatch: pytest.MonkeyPatch, answers: list[Any], status: str
) -> None:
    ecs = FakeEcs([stopped(1)])
    use(monkeypatch, ecs, stack_status=status)
    index.handler(event("Update", PhysicalResourceId="one-off/MigrationRun"), Context())
    assert ecs.requests == [] and answers[0]["Status"] == "SUCCESS"


def test_an_unexpected_error_is_still_answered(monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> None:
    use(monkeypatch, FakeEcs([stopped(0)]))
    broken = event()
    del broken["ResourceProperties"]["Cluster"]
    index.handler(broken, Context())
    assert answers[0]["Status"] == "FAILED" and "KeyError" in answers[0]["Reason"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AssignPublicIp", "ENABLED"),
        ("PlatformVersion", "1.3.0"),
        ("SecurityGroups", []),
        ("Subnets", []),
        ("CapacityProviderStrategy", [{"capacityProvider": "my-ec2-asg", "weight": "1"}]),
    ],
)
def test_an_escape_hatch_on_the_network_properties_is_refused(
    monkeypatch: pytest.MonkeyPatch, answers: list[Any], name: str, value: object
) -> None:
    # GIVEN a custom resource whose properties were overridden (add_property_override) to weaken the task
    ecs = FakeEcs([stopped(0)])
    use(monkeypatch, ecs)
    # WHEN the runner is invoked THEN it starts nothing and fails the deployment, naming the property
    index.handler(event(ResourceProperties={**PROPS, name: value}), Context())
    assert ecs.requests == [] and answers[0]["Status"] == "FAILED"
    assert name in answers[0]["Reason"]


def test_a_fargate_capacity_provider_strategy_replaces_the_launch_type(
    monkeypatch: pytest.MonkeyPatch, answers: list[Any]
) -> None:
    ecs = FakeEcs([stopped(0)])
    use(monkeypatch, ecs)
    strategy = [{"capacityProvider": "FARGATE", "weight": "1", "base": "1"}]
    index.handler(event(ResourceProperties={**PROPS, "CapacityProviderStrategy": strategy}), Context())
    (request,) = ecs.requests
    assert "launchType" not in request
    assert request["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]


def test_access_denied_while_iam_propagates_is_retried(monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> None:
    ecs = FakeEcs([stopped(0)], denials=2)
    use(monkeypatch, ecs)
    index.handler(event(), Context())
    assert len(ecs.requests) == 3 and answers[0]["Status"] == "SUCCESS"


def test_access_denied_for_good_fails_the_deployment(monkeypatch: pytest.MonkeyPatch, answers: list[Any]) -> None:
    ecs = FakeEcs([stopped(0)], denials=99)
    use(monkeypatch, ecs)
    index.handler(event(), Context())
    assert len(ecs.requests) == index.ACCESS_RETRIES
    assert answers[0]["Status"] == "FAILED" and "Denied" in answers[0]["Reason"]
