"""Issue 22 item 4: vendor sidecars as tested recipes (examples/sidecars/), each passing the pack with per-path,
reasoned opt-outs only; ``ContainerOptions.writable_system_paths`` is that per-path opt-out."""

from __future__ import annotations

import copy
from typing import Any

import aws_cdk as cdk
import pytest

from examples.sidecars.app import SidecarsStack
from secure_fargate import ContainerOptions, OptOut, SecureFargateError, SecureFargateService, acknowledge
from secure_fargate.pack import Template as PackTemplate
from secure_fargate.pack import evaluate
from tests.conftest import app_container, base_stack

MOUNT_ACKS = {
    ("Datadog", "datadog-agent", "/etc/datadog-agent"),
}  # httpd's /usr/local/apache2/logs is a data directory: an ordinary writable path (SF.MOUNTS), no opt-out


@pytest.fixture(scope="module")
def sidecars() -> dict[str, Any]:
    """GIVEN every recipe in one app WHEN it is synthesized (the pack runs as a validation plugin: a finding fails)."""
    app = cdk.App()
    stack = SidecarsStack(app, "Sidecars")
    template = app.synth().get_stack_by_name("Sidecars").template
    tasks = {
        logical_id.split("TaskDefinition")[0]: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::ECS::TaskDefinition"
    }
    return {"template": template, "tasks": tasks, "stack": stack}


def _containers(sidecars: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{task}/{c['Name']}": c
        for task, resource in sidecars["tasks"].items()
        for c in resource["Properties"]["ContainerDefinitions"]
    }


def test_every_recipe_passes_the_pack_with_only_per_path_acknowledgements(sidecars: dict[str, Any]) -> None:
    findings = evaluate(PackTemplate(sidecars["template"], name="Sidecars"))
    assert [f for f in findings if not f.acknowledged] == []
    acknowledged = {(f.resource.split("TaskDefinition")[0], f.container, f.item) for f in findings}
    assert {f.control for f in findings} == {"SF.MOUNTS"}
    assert acknowledged == MOUNT_ACKS


def test_no_recipe_turns_the_read_only_root_off(sidecars: dict[str, Any]) -> None:
    containers = _containers(sidecars)
    assert len(containers) == 9  # 5 applications, Datadog init + agent, collector, router
    assert all(c["ReadonlyRootFilesystem"] is True for c in containers.values())
    entries = [
        e
        for resource in sidecars["tasks"].values()
        for e in resource.get("Metadata", {}).get("secure-fargate", {}).get("acknowledgements", [])
    ]
    assert {e["control"] for e in entries} == {"SF.MOUNTS"}  # no ECS.5, no ECS.20
    assert all(e.get("item") and e.get("container") and "opt-out" in e["reason"] for e in entries)


@pytest.mark.parametrize(
    ("container", "user"),
    [
        ("Datadog/datadog-agent", "100"),  # dd-agent, pinned to 100 by Datadog's Dockerfile
        ("Datadog/datadog-init", "100"),
        ("Adot/aws-otel-collector", "10001"),  # the upstream OpenTelemetry Collector's uid (ADOT documents none)
        ("FluentBit/log-router", "1000:1000"),
        ("Nginx/nginx", "101:101"),
        ("Httpd/httpd", "www-data"),
        ("Datadog/app", "1000:1000"),
    ],
)
def test_each_container_runs_as_the_vendors_documented_user(
    sidecars: dict[str, Any], container: str, user: str
) -> None:
    assert _containers(sidecars)[container]["User"] == user


def test_datadog_config_volume_is_shared_with_the_init_container_that_fills_it(sidecars: dict[str, Any]) -> None:
    containers = _containers(sidecars)
    agent, init = containers["Datadog/datadog-agent"], containers["Datadog/datadog-init"]
    (config,) = [m for m in agent["MountPoints"] if m["ContainerPath"] == "/etc/datadog-agent"]
    (copy_target,) = init["MountPoints"]
    assert config["SourceVolume"] == copy_target["SourceVolume"] == "datadog-config"
    assert config["ReadOnly"] is False
    assert {"Condition": "SUCCESS", "ContainerName": "datadog-init"} in agent["DependsOn"]
    assert agent["Essential"] is False and init["Essential"] is False


def test_httpd_pid_directory_gets_its_own_volume(sidecars: dict[str, Any]) -> None:
    (mount,) = _containers(sidecars)["Httpd/httpd"]["MountPoints"]
    assert mount["ContainerPath"] == "/usr/local/apache2/logs" and mount["ReadOnly"] is False
    volumes = {v["Name"] for v in sidecars["tasks"]["Httpd"]["Properties"]["Volumes"]}
    assert mount["SourceVolume"] in volumes


def test_the_path_acknowledgement_covers_no_other_system_path(sidecars: dict[str, Any]) -> None:
    # GIVEN the synthesized Datadog task WHEN another read-write system mount is added to the same container
    template = copy.deepcopy(sidecars["template"])
    (logical_id,) = [k for k in template["Resources"] if k.startswith("DatadogTaskDefinition")]
    containers = template["Resources"][logical_id]["Properties"]["ContainerDefinitions"]
    (agent,) = [c for c in containers if c["Name"] == "datadog-agent"]
    agent["MountPoints"].append({"ContainerPath": "/etc/ssl", "SourceVolume": "datadog-config", "ReadOnly": False})
    # THEN that path is an open finding; the opted-out one stays acknowledged
    findings = [f for f in evaluate(PackTemplate(template, name="t")) if f.control == "SF.MOUNTS"]
    assert {(f.item, f.acknowledged is not None) for f in findings if f.container == "datadog-agent"} == {
        ("/etc/datadog-agent", True),
        ("/etc/ssl", False),
    }


def test_user_default_replacing_the_images_user_is_documented() -> None:
    doc = ContainerOptions.__doc__ or ""
    assert "replaces the" in doc and "image's own ``USER``" in doc
    assert "writable_system_paths" in doc


# ---------------------------------------------------------------------------------------------- bad input
REASON = "the vendor agent writes its runtime configuration here"


@pytest.mark.parametrize(
    ("paths", "extra", "prop", "allowed"),
    [
        ({"/tmp/cache": OptOut(REASON)}, {}, r"writable_system_paths\['/tmp/cache'\]", "others go in writable_paths"),
        ({"/": OptOut(REASON)}, {}, r"writable_system_paths\['/'\]", "writable_root_filesystem"),
        ({"etc/app": OptOut(REASON)}, {}, r"writable_system_paths\['etc/app'\]", "absolute paths"),
        ({"/etc/../etc/app": OptOut(REASON)}, {}, r"writable_system_paths\['/etc/../etc/app'\]", "normalized"),
        ({"/etc/app": OptOut("short")}, {}, r"writable_system_paths\['/etc/app'\]", "OptOut"),
        ({"/etc/app": REASON}, {}, r"writable_system_paths\['/etc/app'\]", "OptOut"),
        (
            {"/etc/app": OptOut(REASON), "/etc/app/sub": OptOut(REASON)},
            {},
            r"writable_system_paths\['/etc/app/sub'\]",
            "overlap",
        ),
        (["/etc/app"], {}, r"writable_system_paths=", "a mapping"),
    ],
)
def test_bad_writable_system_paths_name_the_property(
    paths: Any, extra: dict[str, Any], prop: str, allowed: str
) -> None:
    _, stack, cluster, _ = base_stack()
    with pytest.raises(SecureFargateError, match=rf"container\.{prop}.*{allowed}"):
        SecureFargateService(stack, "S", cluster=cluster, container=app_container(writable_system_paths=paths, **extra))


def test_a_system_mount_without_the_path_opt_out_is_still_refused() -> None:
    from aws_cdk import aws_ecs as ecs

    _, stack, cluster, _ = base_stack()
    mount = ecs.MountPoint(container_path="/usr/lib/x", source_volume="v", read_only=False)
    with pytest.raises(
        SecureFargateError, match=r"mount_points\[0\]\.container_path='/usr/lib/x'.*writable_system_paths"
    ):
        SecureFargateService(
            stack,
            "S",
            cluster=cluster,
            volumes=[ecs.Volume(name="v")],
            container=app_container(mount_points=[mount], writable_system_paths={"/etc/app": OptOut(REASON)}),
        )


def test_acknowledge_item_needs_a_container() -> None:
    _, stack, cluster, _ = base_stack()
    service = SecureFargateService(stack, "S", cluster=cluster, container=app_container())
    with pytest.raises(SecureFargateError, match=r"item='/etc/x'"):
        acknowledge(service.task_definition, "SF.MOUNTS", REASON, item="/etc/x")


def test_the_default_user_is_announced_at_synth_and_an_explicit_one_is_not() -> None:
    from aws_cdk.assertions import Annotations, Match

    _, stack, cluster, _ = base_stack("Users")
    SecureFargateService(stack, "Default", cluster=cluster, container=app_container())
    SecureFargateService(stack, "Explicit", cluster=cluster, container=app_container(user="101:101"))
    annotations = Annotations.from_stack(stack)
    annotations.has_info("/Users/Default/TaskDefinition/app", Match.string_like_regexp("replaces the image's own USER"))
    assert not annotations.find_info("/Users/Explicit/*", Match.string_like_regexp("replaces the image's own USER"))
