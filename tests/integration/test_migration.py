"""Migration proof (issue 22 item 7): an ``aws_ecs_patterns`` app deployed to moto, then the migrated app
(``SecureFargateService`` + ``SecureLoadBalancer`` with ``keep_logical_id``) deployed as an UPDATE of the same
stack; the load balancer, its listener and the log group keep their physical IDs (examples/migration/app.py).

Both phases are synthesized in this process and deployed by the real CLI (tests/integration/_cli.py), into the
worker's moto account (loopback only, bootstrapped once per process). What moto does not model is listed in
docs/testing.md "Verified by deployment"; here in particular: moto's CloudFormation applies no property change to a
load balancer or a log group on update (it has no update handler for them) and replaces nothing, so the physical IDs
alone would prove little. The tests therefore also read the deployed template (``GetTemplate``) and check that no
property CloudFormation replaces a resource for has changed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from examples.migration.app import KEEP, STACK
from tests.integration._cli import cdk, client, synthesize

pytestmark = [pytest.mark.integration, pytest.mark.slow]

APP = "examples.migration.app"
ALB, LISTENER, LOG_GROUP = (
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::Logs::LogGroup",
)
#: Properties whose change makes CloudFormation replace the resource (CloudFormation resource reference,
#: "Update requires: Replacement").
REPLACING = {
    ALB: ("Name", "Scheme", "Type"),
    LISTENER: ("LoadBalancerArn",),
    LOG_GROUP: ("LogGroupName",),
}


def _state(url: str) -> dict[str, Any]:
    cfn = client("cloudformation", url)
    resources = [r for r in cfn.describe_stack_resources(StackName=STACK)["StackResources"] if "LogicalResourceId" in r]
    body = cfn.get_template(StackName=STACK)["TemplateBody"]
    elb = client("elbv2", url)
    balancers = [b["LoadBalancerArn"] for b in _every(elb, "describe_load_balancers", "LoadBalancers")]
    return {
        "stack": cfn.describe_stacks(StackName=STACK)["Stacks"][0],
        "physical": {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in resources},
        "template": json.loads(body) if isinstance(body, str) else body,
        "balancers": balancers,
        "listeners": {
            b: [x["ListenerArn"] for x in elb.describe_listeners(LoadBalancerArn=b)["Listeners"]] for b in balancers
        },
        "log_groups": [g["logGroupName"] for g in _every(client("logs", url), "describe_log_groups", "logGroups")],
    }


def _every(service: Any, operation: str, key: str) -> list[Any]:
    """Every page: the account is shared with the worker's other modules, and a page holds 50 log groups."""
    return [item for page in service.get_paginator(operation).paginate() for item in page[key]]


# The worker's session account (tests/integration/conftest.py): moto keeps one state per process whatever the
# server, so a server of this module's own was never an account of its own, and resetting it only threw away the
# session's bootstrap, which then had to be run again. Other modules' stacks may be in the account: _state reads
# every load balancer and log group, and the tests compare sets (the migration's resources in them, none added).
@pytest.fixture(scope="module")
def migration(
    moto_url: str, aws_env: dict[str, str], bootstrapped: None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    # GIVEN the aws_ecs_patterns app, deployed (synthesized in this process as `--app "python3 -m
    # examples.migration.app"` would, then deployed from its cloud assembly by the real CLI)
    outdir = tmp_path_factory.mktemp("cdk.out")
    cdk(aws_env, outdir, "deploy", STACK, "--app", synthesize(outdir, {}, module=APP), "--require-approval", "never")
    before = _state(moto_url)
    # WHEN the migrated app (`-c migration_phase=after`) is deployed as an update of the same stack (moto needs the
    # direct method, see docs/testing.md)
    outdir = tmp_path_factory.mktemp("cdk.out")
    cdk(
        aws_env,
        outdir,
        "deploy",
        STACK,
        "--app",
        synthesize(outdir, {"migration_phase": "after"}, module=APP),
        "--require-approval",
        "never",
        "--method",
        "direct",
        "--parameters",
        "BootstrapVersion=/cdk-bootstrap/hnb659fds/version",
    )
    return {"before": before, "after": _state(moto_url)}


def test_the_update_completes_on_the_same_stack(migration: dict[str, Any]) -> None:
    before, after = migration["before"]["stack"], migration["after"]["stack"]
    assert before["StackStatus"] == "CREATE_COMPLETE"
    assert after["StackStatus"] == "UPDATE_COMPLETE"
    assert after["StackId"] == before["StackId"]


def test_the_patterns_app_is_what_the_kept_ids_name(migration: dict[str, Any]) -> None:
    resources = migration["before"]["template"]["Resources"]
    assert {k: resources[k]["Type"] for k in KEEP.values()} == {
        KEEP["load_balancer"]: ALB,
        KEEP["listener"]: LISTENER,
        KEEP["log_group"]: LOG_GROUP,
    }


def test_the_migrated_app_is_ours(migration: dict[str, Any]) -> None:
    resources = migration["after"]["template"]["Resources"]
    (task,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    (container,) = task["ContainerDefinitions"]
    assert container["ReadonlyRootFilesystem"] is True and container["User"] == "101:101"
    assert any(r["Type"] == "AWS::WAFv2::WebACL" for r in resources.values())


@pytest.mark.parametrize("kept", ["load_balancer", "listener", "log_group"])
def test_kept_resources_keep_their_logical_ids(migration: dict[str, Any], kept: str) -> None:
    assert KEEP[kept] in migration["after"]["template"]["Resources"]
    assert migration["before"]["physical"][KEEP[kept]]


def test_the_listener_keeps_its_physical_id_in_the_stack(migration: dict[str, Any]) -> None:
    logical = KEEP["listener"]
    assert migration["after"]["physical"][logical] == migration["before"]["physical"][logical]


@pytest.mark.parametrize("kept", ["load_balancer", "log_group"])
def test_moto_forgets_the_physical_id_of_what_it_cannot_update(migration: dict[str, Any], kept: str) -> None:
    # moto 5.2.5 has no CloudFormation update handler for these types: the resource stays as it was, but the stack
    # no longer reports its physical ID. The next tests read the resources themselves through their own APIs.
    assert migration["after"]["physical"].get(KEEP[kept]) in (None, migration["before"]["physical"][KEEP[kept]])


@pytest.mark.parametrize("kept", ["load_balancer", "listener", "log_group"])
def test_no_replacing_property_changed(migration: dict[str, Any], kept: str) -> None:
    logical = KEEP[kept]
    old = migration["before"]["template"]["Resources"][logical]
    new = migration["after"]["template"]["Resources"][logical]
    assert new["Type"] == old["Type"]
    for prop in REPLACING[new["Type"]]:
        assert new.get("Properties", {}).get(prop) == old.get("Properties", {}).get(prop), prop


def test_the_load_balancer_and_listener_are_the_same_ones(migration: dict[str, Any]) -> None:
    before, after = migration["before"], migration["after"]
    alb = before["physical"][KEEP["load_balancer"]]
    # No second ALB, the first not deleted (other modules' stacks may share moto's in-process state: compare sets).
    assert alb in before["balancers"] and alb in after["balancers"]
    assert set(after["balancers"]) <= set(before["balancers"])
    assert after["listeners"][alb] == [before["physical"][KEEP["listener"]]]


def test_the_migrated_service_logs_into_the_kept_log_group(migration: dict[str, Any], moto_url: str) -> None:
    name = migration["before"]["physical"][KEEP["log_group"]]
    assert name in migration["after"]["log_groups"]
    ecs = client("ecs", moto_url)
    after = migration["after"]
    ours = [lid for lid, r in after["template"]["Resources"].items() if r["Type"] == "AWS::ECS::TaskDefinition"]
    definitions = [
        ecs.describe_task_definition(taskDefinition=after["physical"][lid])["taskDefinition"]
        for lid in ours
        if after["physical"].get(lid)
    ]
    # the migrated task definition: read-only root (the patterns one has none)
    (migrated,) = [d for d in definitions if d["containerDefinitions"][0].get("readonlyRootFilesystem")]
    assert migrated["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"] == name
