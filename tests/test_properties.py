"""Property-based tests (hypothesis) over SecureFargateService's inputs, in the one jsii kernel of this process.

Every valid combination synthesizes and satisfies every control of the pack; every invalid one raises the
library's error. Examples are bounded to keep `make test` fast; each synthesizes a fresh small app.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Template as AssertTemplate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secure_fargate import ContainerOptions, ImageSource, LogRouter, SecureFargateError, SecureFargateService
from secure_fargate.pack import Template, evaluate
from secure_fargate.pack.tasks import FARGATE_TASK_SIZES
from tests.conftest import security_agent

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_VPC: dict[str, Any] = {}


def fresh_cluster() -> tuple[cdk.Stack, ecs.ICluster]:
    """A new stack with an imported VPC (no VPC synthesis per example: keeps examples cheap)."""
    app = cdk.App()
    stack = cdk.Stack(app, "Prop")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-12345678",
        availability_zones=["a", "b"],
        private_subnet_ids=["subnet-1", "subnet-2"],
        vpc_cidr_block="10.0.0.0/16",
    )
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
    cdk.Tags.of(cluster).add("team", "tests")  # Security Hub ECS.14: clusters are tagged
    return stack, cluster


task_sizes = st.sampled_from([(cpu, mem) for cpu, mems in FARGATE_TASK_SIZES.items() for mem in mems if mem <= 8192])
users = st.one_of(
    st.integers(1, 65534).map(str),
    st.tuples(st.integers(1, 65534), st.integers(0, 65534)).map(lambda t: f"{t[0]}:{t[1]}"),
    st.sampled_from(["app", "nobody", "www-data"]),
)
images = st.one_of(
    st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"public.ecr.aws/x/app@sha256:{h}"),
    st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}(\.[0-9]{1,2})?", fullmatch=True).map(lambda t: f"example/app:{t}"),
)
path_sets = st.lists(
    st.sampled_from(["/tmp", "/var/cache/app", "/run", "/home/app/.cache", "/data"]), unique=True, max_size=3
)
safe_env = st.dictionaries(
    st.sampled_from(["APP_ENV", "LOG_LEVEL", "PORT", "REGION", "FEATURE_FLAGS"]),
    st.text("abcdefghij0123456789", max_size=8),
    max_size=3,
)


@st.composite
def day2_options(draw: st.DrawFn) -> dict[str, Any]:
    """The service/task options of issue 13 (each may be absent)."""
    options: dict[str, Any] = {}
    if draw(st.booleans()):
        options["desired_count"] = draw(st.one_of(st.none(), st.integers(0, 10)))
    if draw(st.booleans()):
        minimum = draw(st.integers(0, 100))
        options["min_healthy_percent"] = minimum
        options["max_healthy_percent"] = draw(st.integers(max(100, minimum + 1), 400))
    if draw(st.booleans()):
        options["ephemeral_storage_gib"] = draw(st.integers(21, 200))
    if draw(st.booleans()):
        arch = draw(st.sampled_from([ecs.CpuArchitecture.ARM64, ecs.CpuArchitecture.X86_64]))
        options["runtime_platform"] = ecs.RuntimePlatform(cpu_architecture=arch)
    if draw(st.booleans()):
        options["propagate_tags"] = draw(
            st.sampled_from([ecs.PropagatedTagSource.SERVICE, ecs.PropagatedTagSource.TASK_DEFINITION])
        )
    return options


scratch_paths = st.sampled_from(["/scratch", "/var/spool/app", "/srv/shared"])


@st.composite
def day2_container(draw: st.DrawFn) -> dict[str, Any]:
    """ContainerOptions fields of issue 13 (each may be absent)."""
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["port_mappings"] = [
            ecs.PortMapping(container_port=draw(st.integers(1024, 65535)), name=draw(st.sampled_from(["api", "web"])))
        ]
    if draw(st.booleans()):
        fields["stop_timeout"] = Duration.seconds(draw(st.integers(0, 120)))
    if draw(st.booleans()):
        fields["docker_labels"] = draw(
            st.dictionaries(st.sampled_from(["team", "service", "tier"]), st.text("abc", max_size=4), max_size=2)
        )
    if draw(st.booleans()):
        fields["mount_points"] = [
            ecs.MountPoint(container_path=draw(scratch_paths), source_volume="scratch", read_only=draw(st.booleans()))
        ]
    return fields


@st.composite
def valid_inputs(draw: st.DrawFn) -> dict[str, Any]:
    cpu, memory = draw(task_sizes)
    app_memory = draw(st.integers(64, memory - 32))
    sidecar_memory = draw(st.integers(6, memory - app_memory)) if draw(st.booleans()) else None
    reservation = draw(st.one_of(st.none(), st.integers(6, app_memory)))
    container = ContainerOptions(
        name="app",
        image=ImageSource.from_registry(draw(images)),
        memory_limit_mib=app_memory,
        memory_reservation_mib=reservation,
        user=draw(users),
        writable_paths=draw(path_sets),
        environment=draw(safe_env),
        container_port=draw(st.one_of(st.none(), st.integers(1024, 65535))),
        **draw(day2_container()),
    )
    inputs: dict[str, Any] = {"cpu": cpu, "memory_limit_mib": memory, "container": container, **draw(day2_options())}
    if container.mount_points:
        inputs["volumes"] = [ecs.Volume(name="scratch")]
    if sidecar_memory and draw(st.booleans()):
        inputs["security_agent"] = security_agent(
            image=ImageSource.from_registry(draw(images)), memory_limit_mib=sidecar_memory, ptrace=draw(st.booleans())
        )
    elif sidecar_memory and draw(st.booleans()):
        inputs["log_router"] = LogRouter.from_image(
            ImageSource.from_registry(draw(images)), memory_limit_mib=sidecar_memory, essential=draw(st.booleans())
        )
    elif sidecar_memory:
        inputs["sidecars"] = [
            ContainerOptions(
                name="proxy",
                image=ImageSource.from_registry(draw(images)),
                memory_limit_mib=sidecar_memory,
                essential=False,
            )
        ]
    return inputs


@SETTINGS
@given(inputs=valid_inputs())
def test_every_valid_combination_synthesizes_and_satisfies_every_control(inputs: dict[str, Any]) -> None:
    stack, cluster = fresh_cluster()
    SecureFargateService(stack, "Svc", cluster=cluster, **inputs)
    body = AssertTemplate.from_stack(stack).to_json()
    assert [f for f in evaluate(Template(body)) if not f.acknowledged] == []


INVALID = st.sampled_from(
    [
        ("cpu", 3000),
        ("memory_limit_mib", 100000),
        ("container.user", "root"),
        ("container.user", "0:0"),
        ("container.add_capabilities", ("NET_RAW",)),
        ("container.privileged", True),
        ("container.image", ImageSource.from_registry("example/app:latest")),
        ("container.image", ImageSource.from_registry("example/app")),
        ("container.environment", {"SERVICE_API_KEY": "x"}),
        ("container.writable_paths", ["relative/path"]),
        ("container.memory_limit_mib", 10**6),
        ("container.container_port", 443),
        ("container.add_capabilities", ("SYS_PTRACE",)),
        ("desired_count", -1),
        ("min_healthy_percent", 101),
        ("max_healthy_percent", 99),
        ("ephemeral_storage_gib", 10),
        ("ephemeral_storage_gib", 500),
        ("volumes", [ecs.Volume(name="h", host=ecs.Host(source_path="/var/run"))]),
        (
            "volumes",
            [ecs.Volume(name="e", efs_volume_configuration=ecs.EfsVolumeConfiguration(file_system_id="fs-1"))],
        ),
        ("capacity_provider_strategies", [ecs.CapacityProviderStrategy(capacity_provider="EC2", weight=1)]),
        ("container.port_mappings", [ecs.PortMapping(container_port=443)]),
        ("container.stop_timeout", Duration.seconds(300)),
        ("container.docker_labels", {"secure-fargate.security-agent": "true"}),
        ("container.mount_points", [ecs.MountPoint(container_path="/usr/bin", source_volume="x", read_only=False)]),
    ]
)


@SETTINGS
@given(inputs=valid_inputs(), bad=INVALID)
def test_every_invalid_combination_raises_the_library_error(inputs: dict[str, Any], bad: tuple[str, Any]) -> None:
    import dataclasses

    prop, value = bad
    if prop.startswith("container."):
        inputs["container"] = dataclasses.replace(inputs["container"], **{prop.split(".", 1)[1]: value})
    else:
        inputs[prop] = value
    stack, cluster = fresh_cluster()
    with pytest.raises(SecureFargateError) as raised:
        SecureFargateService(stack, "Svc", cluster=cluster, **inputs)
    assert any(p.prop.startswith(prop.split(".")[0]) or prop.split(".")[-1] in p.prop for p in raised.value.problems)
