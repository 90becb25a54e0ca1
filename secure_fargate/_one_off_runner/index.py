"""The deploy-time runner of ``SecureOneOffTask`` (a CloudFormation custom resource handler, AWS Lambda).

Create/Update: run the task definition once (FARGATE, LATEST platform, the construct's private subnets and
security group, no public IP, no ECS Exec), wait until it stops, and answer SUCCESS only when the main container
exited 0; otherwise (non-zero exit, a task that never started, the timeout) stop the task and answer FAILED, so
the deployment fails and rolls back. Delete: nothing to undo. An Update sent while the stack rolls back
(``UPDATE_ROLLBACK_IN_PROGRESS``) does not run the previous task definition again: a migration is not undone by
re-running its predecessor, and a failing rerun would leave the stack in UPDATE_ROLLBACK_FAILED.

Every outcome, including an unexpected error, is reported to CloudFormation, so a deployment never hangs.
Only the standard library and boto3 (part of the Lambda Python runtime) are used.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import boto3

#: Seconds kept back from the Lambda's remaining time to stop the task and answer CloudFormation.
MARGIN_SECONDS = 30
STOP_REASON = "secure-fargate: one-off task timed out"
ROLLBACK_STATUSES = frozenset({"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"})


class RunFailed(Exception):
    """The task did not succeed; the message goes to CloudFormation (and so to the deployment's output)."""


def handler(event: dict[str, Any], context: Any) -> None:
    physical_id = event.get("PhysicalResourceId") or f"one-off/{event['LogicalResourceId']}"
    try:
        data = run(event, context)
        respond(event, "SUCCESS", physical_id, data, reason="")
    except Exception as error:  # every failure must reach CloudFormation, else the deployment waits for the timeout
        respond(event, "FAILED", physical_id, {}, reason=f"{type(error).__name__}: {error}"[:3000])


def run(event: dict[str, Any], context: Any) -> dict[str, str]:
    if event["RequestType"] == "Delete":
        return {}
    if event["RequestType"] == "Update" and rolling_back(event["StackId"]):
        print("stack is rolling back: the previous task definition is not run again")
        return {"TaskArn": "", "ExitCode": "skipped (rollback)"}
    props = event["ResourceProperties"]
    ecs = boto3.client("ecs")
    task_arn = start(ecs, props)
    print(f"started {task_arn}")
    budget = min(int(props["TimeoutSeconds"]), remaining_seconds(context) - MARGIN_SECONDS)
    task = wait(ecs, props["Cluster"], task_arn, time.monotonic() + budget, float(props["PollSeconds"]))
    if task is None:
        ecs.stop_task(cluster=props["Cluster"], task=task_arn, reason=STOP_REASON)
        raise RunFailed(f"{task_arn} did not stop within {budget} seconds; it was stopped")
    exit_code = verdict(task, props["Container"])
    return {"TaskArn": task_arn, "ExitCode": str(exit_code)}


def rolling_back(stack_id: str) -> bool:
    stacks = boto3.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"]
    return bool(stacks) and stacks[0].get("StackStatus") in ROLLBACK_STATUSES


def remaining_seconds(context: Any) -> int:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining() / 1000) if callable(remaining) else 900


#: What the construct writes, re-checked here: an escape hatch on the custom resource's properties cannot give the
#: task a public IP, an old platform or ECS Exec.
REQUIRED = {"AssignPublicIp": "DISABLED", "PlatformVersion": "LATEST"}


def refuse_weakened(props: dict[str, Any]) -> None:
    for name, required in REQUIRED.items():
        if props.get(name) != required:
            raise RunFailed(f"{name}={props.get(name)!r} refused: SecureOneOffTask runs tasks with {name}={required}")
    providers = {s.get("capacityProvider") for s in props.get("CapacityProviderStrategy") or ()}
    if not providers <= {"FARGATE", "FARGATE_SPOT"}:
        raise RunFailed(f"CapacityProviderStrategy {sorted(map(str, providers))} refused: FARGATE/FARGATE_SPOT only")
    if not props.get("Subnets") or not props.get("SecurityGroups"):
        raise RunFailed("Subnets and SecurityGroups are required (the construct's private subnets and its group)")


def start(ecs: Any, props: dict[str, Any]) -> str:
    refuse_weakened(props)
    request: dict[str, Any] = {
        "cluster": props["Cluster"],
        "taskDefinition": props["TaskDefinition"],
        "count": 1,
        "platformVersion": props["PlatformVersion"],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": props["Subnets"],
                "securityGroups": props["SecurityGroups"],
                "assignPublicIp": props["AssignPublicIp"],
            }
        },
        "startedBy": props["StartedBy"],
        "propagateTags": "TASK_DEFINITION",
        "enableExecuteCommand": False,
    }
    strategy = props.get("CapacityProviderStrategy")
    if strategy:
        request["capacityProviderStrategy"] = [
            {k: int(v) if k in ("weight", "base") else v for k, v in s.items()} for s in strategy
        ]
    else:
        request["launchType"] = "FARGATE"
    answer = run_task(ecs, request)
    if answer.get("failures") or not answer.get("tasks"):
        raise RunFailed(f"RunTask failed: {json.dumps(answer.get('failures'), default=str)}")
    return str(answer["tasks"][0]["taskArn"])


#: IAM is eventually consistent: the runner's fresh role policy may not be in force on the first call.
ACCESS_DENIED = frozenset({"AccessDeniedException", "AccessDenied"})
ACCESS_RETRIES, ACCESS_RETRY_SECONDS = 6, 10.0


def run_task(ecs: Any, request: dict[str, Any]) -> dict[str, Any]:
    """RunTask, retried while access is denied for a minute at most (a new role policy propagating)."""
    for attempt in range(ACCESS_RETRIES):
        try:
            return dict(ecs.run_task(**request))
        except Exception as error:
            code = (getattr(error, "response", None) or {}).get("Error", {}).get("Code")
            if code not in ACCESS_DENIED or attempt == ACCESS_RETRIES - 1:
                raise
            print(f"RunTask denied ({code}), retrying: IAM may still be propagating the runner's policy")
            time.sleep(ACCESS_RETRY_SECONDS)
    raise AssertionError("unreachable")  # pragma: no cover


def wait(ecs: Any, cluster: str, task_arn: str, deadline: float, poll: float) -> dict[str, Any] | None:
    """The stopped task, or None when it is still running at the deadline."""
    while True:
        tasks = ecs.describe_tasks(cluster=cluster, tasks=[task_arn]).get("tasks") or []
        if tasks and tasks[0].get("lastStatus") == "STOPPED":
            return dict(tasks[0])
        if time.monotonic() + poll > deadline:
            return None
        time.sleep(poll)


def verdict(task: dict[str, Any], main: str) -> int:
    """The main container's exit code when it is 0; else RunFailed naming the stop reason and exit codes."""
    containers = {c.get("name"): c for c in task.get("containers") or []}
    code = (containers.get(main) or {}).get("exitCode")
    if code == 0:
        return 0
    codes = ", ".join(f"{n}={c.get('exitCode', 'none')} ({c.get('reason', '')})" for n, c in containers.items())
    raise RunFailed(
        f"{task.get('taskArn')} failed: container {main} exit code {code if code is not None else 'none'}; "
        f"stop code {task.get('stopCode')}: {task.get('stoppedReason')}; containers: {codes}"
    )


def respond(event: dict[str, Any], status: str, physical_id: str, data: dict[str, str], reason: str) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or "see the runner's log group",
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""})
    with urllib.request.urlopen(request, timeout=30) as answer:  # the pre-signed S3 URL CloudFormation gave
        print(f"answered {status}: HTTP {answer.status}")
