"""Bad-input catalogue: each input raises SecureFargateError, naming the property, at construction.

No input here produces a template; each raises exactly one error that lists all of its problems.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as sm

from secure_fargate import (
    ImageSource,
    LogRouter,
    OptOut,
    SecureFargateError,
    SecureFargateService,
    ServiceConnectTls,
)
from tests.conftest import DIGEST_IMAGE, app_container, base_stack, reported_controls

C = app_container

# (id, service kwargs, property the message must name, fragment of the allowed values)
CATALOGUE: list[tuple[str, dict[str, Any], str, str]] = [
    ("cpu-not-fargate", {"cpu": 300}, "cpu/memory_limit_mib", "allowed"),
    ("memory-too-small-for-cpu", {"cpu": 1024, "memory_limit_mib": 1024}, "cpu/memory_limit_mib", "2048-8192"),
    ("memory-off-step", {"cpu": 512, "memory_limit_mib": 1536}, "cpu/memory_limit_mib", "steps of 1024"),
    ("memory-too-big-for-256", {"cpu": 256, "memory_limit_mib": 4096}, "cpu/memory_limit_mib", "512"),
    ("8192-off-4gb-step", {"cpu": 8192, "memory_limit_mib": 18432}, "cpu/memory_limit_mib", "steps of 4096"),
    ("containers-over-task-memory", {"container": C(memory_limit_mib=600)}, "memory_limit_mib (sum)", "fit"),
    (
        "reservation-above-limit",
        {"container": C(memory_limit_mib=256, memory_reservation_mib=300)},
        "container.memory_limit_mib",
        "memory_reservation_mib",
    ),
    ("memory-not-int", {"container": C(memory_limit_mib=None)}, "container.memory_limit_mib", "hard limit"),
    ("memory-below-docker-minimum", {"container": C(memory_limit_mib=4)}, "container.memory_limit_mib", ">= 6"),
    ("image-latest", {"container": C(image=ImageSource.from_registry("nginx:latest"))}, "container.image", "digest"),
    (
        "image-LATEST-uppercase",
        {"container": C(image=ImageSource.from_registry("nginx:LATEST"))},
        "container.image",
        "digest",
    ),
    ("image-untagged", {"container": C(image=ImageSource.from_registry("nginx"))}, "container.image", "digest"),
    (
        "image-registry-port-untagged",
        {"container": C(image=ImageSource.from_registry("registry:5000/app"))},
        "container.image",
        "digest",
    ),
    ("image-not-imagesource", {"container": C(image="nginx@sha256:" + "a" * 64)}, "container.image", "ImageSource"),
    ("user-root", {"container": C(user="root")}, "container.user", "non-root"),
    ("user-ROOT", {"container": C(user="ROOT")}, "container.user", "non-root"),
    ("user-0", {"container": C(user="0")}, "container.user", "non-root"),
    ("user-0:0", {"container": C(user="0:0")}, "container.user", "non-root"),
    ("user-root:1000", {"container": C(user="root:1000")}, "container.user", "non-root"),
    ("user-000", {"container": C(user="000")}, "container.user", "non-root"),
    ("user-empty", {"container": C(user="")}, "container.user", "non-root"),
    ("cap-net-admin", {"container": C(add_capabilities=["NET_ADMIN"])}, "container.add_capabilities", "SYS_PTRACE"),
    (
        "cap-sys-admin-prefixed",
        {"container": C(add_capabilities=["CAP_SYS_ADMIN"])},
        "container.add_capabilities",
        "SYS_PTRACE",
    ),
    (
        "cap-net-bind",
        {"container": C(add_capabilities=["NET_BIND_SERVICE"])},
        "container.add_capabilities",
        "SYS_PTRACE",
    ),
    ("privileged", {"container": C(privileged=True)}, "container.privileged", "never"),
    (
        "env-password",
        {"container": C(environment={"DB_PASSWORD": "hunter2"})},
        "container.environment['DB_PASSWORD']",
        "secrets=",
    ),
    (
        "env-aws-secret-key",
        {"container": C(environment={"AWS_SECRET_ACCESS_KEY": "x"})},
        "container.environment['AWS_SECRET_ACCESS_KEY']",
        "secrets=",
    ),
    (
        "env-api-key-camel",
        {"container": C(environment={"stripeApiKey": "x"})},
        "container.environment['stripeApiKey']",
        "secrets=",
    ),
    (
        "env-github-token",
        {"container": C(environment={"GITHUB_TOKEN": "x"})},
        "container.environment['GITHUB_TOKEN']",
        "secrets=",
    ),
    ("writable-relative", {"container": C(writable_paths=["tmp"])}, "container.writable_paths", "absolute"),
    ("writable-root", {"container": C(writable_paths=["/"])}, "container.writable_paths", "SF.MOUNTS"),
    ("writable-system", {"container": C(writable_paths=["/usr/local/bin"])}, "container.writable_paths", "SF.MOUNTS"),
    (
        "secret-in-url",
        {"container": C(environment={"DB_URL": "postgres://u:hunter2@db/app"})},
        "container.environment['DB_URL']",
        "credentials",
    ),
    (
        "secret-on-command",
        {"container": C(command=["serve", "--password=hunter2"])},
        "container.command",
        "command line",
    ),
    ("secret-pass-suffix", {"container": C(environment={"DB_PASS": "x"})}, "environment['DB_PASS']", "secrets="),
    ("writable-dotdot", {"container": C(writable_paths=["/var/../tmp"])}, "container.writable_paths", "normalized"),
    (
        "writable-overlap",
        {"container": C(writable_paths=["/var/cache", "/var/cache/nginx"])},
        "container.writable_paths",
        "overlap",
    ),
    ("writable-duplicate", {"container": C(writable_paths=["/tmp", "/tmp"])}, "container.writable_paths", "overlap"),
    (
        "root-opt-out-without-reason",
        {"container": C(user="root", run_as_root=OptOut(""))},
        "container.run_as_root",
        "reason",
    ),
    (
        "writable-root-opt-out-short-reason",
        {"container": C(writable_root_filesystem=OptOut("because"))},
        "container.writable_root_filesystem",
        "reason",
    ),
    ("public-ip-opt-out-without-reason", {"assign_public_ip": OptOut("  ")}, "assign_public_ip", "reason"),
    ("exec-opt-out-without-reason", {"enable_execute_command": OptOut("")}, "enable_execute_command", "reason"),
    ("duplicate-container-names", {"sidecars": [C(memory_limit_mib=64)]}, "container.name", "unique"),
    ("bad-container-name", {"container": C(name="my app!")}, "container.name", "letters"),
    ("port-below-1024-non-root", {"container": C(container_port=80)}, "container.container_port", "8080"),
    ("port-out-of-range", {"container": C(container_port=70000)}, "container.container_port", "65535"),
    (
        "sidecar-privileged",
        {"sidecars": [C(name="agent", memory_limit_mib=64, privileged=True)]},
        "sidecars[0].privileged",
        "never",
    ),
    ("negative-desired-count", {"desired_count": -1}, "desired_count", "0 or more"),
    ("cpu-as-text", {"cpu": "512"}, "cpu", "an int"),
    ("memory-as-text", {"memory_limit_mib": "1024"}, "memory_limit_mib", "an int"),
    # ---- day-2 options (issue 13)
    ("min-healthy-above-100", {"min_healthy_percent": 150}, "min_healthy_percent", "0-100"),
    ("max-healthy-below-100", {"max_healthy_percent": 50}, "max_healthy_percent", "100 or more"),
    (
        "min-not-below-max",
        {"min_healthy_percent": 100, "max_healthy_percent": 100},
        "min_healthy_percent/max_healthy_percent",
        "min below max",
    ),
    ("grace-period-not-duration", {"health_check_grace_period": 60}, "health_check_grace_period", "Duration"),
    (
        "capacity-provider-ec2",
        {"capacity_provider_strategies": [ecs.CapacityProviderStrategy(capacity_provider="my-asg", weight=1)]},
        "capacity_provider_strategies[0].capacity_provider",
        "FARGATE_SPOT",
    ),
    (
        "capacity-provider-not-enabled-on-cluster",
        {"capacity_provider_strategies": [ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)]},
        "capacity_provider_strategies",
        "enable_fargate_capacity_providers",
    ),
    (
        "capacity-provider-no-weight",
        {"capacity_provider_strategies": [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", base=1)]},
        "capacity_provider_strategies",
        "weight above 0",
    ),
    ("ephemeral-storage-too-small", {"ephemeral_storage_gib": 20}, "ephemeral_storage_gib", "21-200"),
    ("ephemeral-storage-too-big", {"ephemeral_storage_gib": 201}, "ephemeral_storage_gib", "21-200"),
    (
        "runtime-platform-windows",
        {
            "runtime_platform": ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE
            )
        },
        "runtime_platform.operating_system_family",
        "LINUX",
    ),
    ("runtime-platform-not-a-platform", {"runtime_platform": "ARM64"}, "runtime_platform", "ecs.RuntimePlatform"),
    (
        "efs-without-transit-encryption",
        {
            "volumes": [
                ecs.Volume(
                    name="data",
                    efs_volume_configuration=ecs.EfsVolumeConfiguration(
                        file_system_id="fs-12345678", authorization_config=ecs.AuthorizationConfig(iam="ENABLED")
                    ),
                )
            ]
        },
        "volumes[0].efs_volume_configuration.transit_encryption",
        "ENABLED",
    ),
    (
        "efs-without-iam-authorization",
        {
            "volumes": [
                ecs.Volume(
                    name="data",
                    efs_volume_configuration=ecs.EfsVolumeConfiguration(
                        file_system_id="fs-12345678", transit_encryption="ENABLED"
                    ),
                )
            ]
        },
        "volumes[0].efs_volume_configuration.authorization_config.iam",
        "iam='ENABLED'",
    ),
    (
        "host-volume",
        {"volumes": [ecs.Volume(name="docker", host=ecs.Host(source_path="/var/run/docker.sock"))]},
        "volumes[0].host",
        "no host volumes",
    ),
    (
        "docker-volume",
        {
            "volumes": [
                ecs.Volume(
                    name="d",
                    docker_volume_configuration=ecs.DockerVolumeConfiguration(driver="local", scope=ecs.Scope.TASK),
                )
            ]
        },
        "volumes[0].docker_volume_configuration",
        "Fargate",
    ),
    ("duplicate-volume-names", {"volumes": [ecs.Volume(name="s"), ecs.Volume(name="s")]}, "volumes[1].name", "unique"),
    (
        "volume-name-clashes-with-writable-path",
        {"volumes": [ecs.Volume(name="app-tmp")], "container": C(writable_paths=["/tmp"])},
        "volumes.name",
        "generated",
    ),
    (
        "port-mapping-below-1024",
        {"container": C(port_mappings=[ecs.PortMapping(container_port=80, name="web")])},
        "container.port_mappings[0].container_port",
        "8080",
    ),
    (
        "port-mapping-duplicate",
        {"container": C(port_mappings=[ecs.PortMapping(container_port=8080), ecs.PortMapping(container_port=8080)])},
        "container.port_mappings[1]",
        "no duplicate",
    ),
    (
        "port-mapping-other-host-port",
        {"container": C(port_mappings=[ecs.PortMapping(container_port=8080, host_port=9090)])},
        "container.port_mappings[0].container_port",
        "host_port",
    ),
    (
        "port-mapping-name-twice-in-task",
        {
            "container": C(port_mappings=[ecs.PortMapping(container_port=8080, name="api")]),
            "sidecars": [
                C(name="proxy", memory_limit_mib=64, port_mappings=[ecs.PortMapping(container_port=9090, name="api")])
            ],
        },
        "port_mappings.name",
        "unique",
    ),
    ("port-mapping-not-a-mapping", {"container": C(port_mappings=[8080])}, "container.port_mappings[0]", "PortMapping"),
    (
        "environment-file-not-an-environment-file",
        {"container": C(environment_files=["s3://bucket/app.env"])},
        "container.environment_files[0]",
        "from_bucket",
    ),
    ("stop-timeout-above-120", {"container": C(stop_timeout=Duration.seconds(121))}, "container.stop_timeout", "120"),
    ("stop-timeout-not-duration", {"container": C(stop_timeout=30)}, "container.stop_timeout", "Duration"),
    (
        "agent-label-on-application",
        {"container": C(docker_labels={"secure-fargate.security-agent": "true"})},
        "container.docker_labels['secure-fargate.security-agent']",
        "reserved",
    ),
    (
        "mount-onto-unknown-volume",
        {"container": C(mount_points=[ecs.MountPoint(container_path="/data", source_volume="nope", read_only=True)])},
        "container.mount_points[0].source_volume",
        "task's volumes",
    ),
    (
        "writable-mount-over-etc",
        {
            "volumes": [ecs.Volume(name="s")],
            "container": C(
                mount_points=[ecs.MountPoint(container_path="/etc/app", source_volume="s", read_only=False)]
            ),
        },
        "container.mount_points[0].container_path",
        "system path",
    ),
    (
        "writable-mount-over-lib64",
        {
            "volumes": [ecs.Volume(name="s")],
            "container": C(mount_points=[ecs.MountPoint(container_path="/lib64", source_volume="s", read_only=False)]),
        },
        "container.mount_points[0].container_path",
        "system path",
    ),
    (
        "writable-mount-over-root",
        {
            "volumes": [ecs.Volume(name="s")],
            "container": C(mount_points=[ecs.MountPoint(container_path="/", source_volume="s", read_only=False)]),
        },
        "container.mount_points[0].container_path",
        "system path /",
    ),
    (
        "relative-mount-path",
        {
            "volumes": [ecs.Volume(name="s")],
            "container": C(mount_points=[ecs.MountPoint(container_path="data", source_volume="s", read_only=True)]),
        },
        "container.mount_points[0].container_path",
        "absolute",
    ),
    ("log-router-not-a-log-router", {"log_router": C(name="router")}, "log_router", "LogRouter"),
    # Found by a new user: each of these used to end in a raw jsii/TypeError trace or in a silently wrong template.
    ("environment-value-not-text", {"container": C(environment={"PORT": 80})}, "container.environment['PORT']", "str"),
    (
        "secret-not-an-ecs-secret",
        {"container": C(secrets={"DB": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"})},
        "container.secrets['DB']",
        "ecs.Secret.from_secrets_manager",
    ),
    ("command-as-one-string", {"container": C(command="serve --port 8080")}, "container.command", "a list"),
    ("writable-paths-as-one-string", {"container": C(writable_paths="/tmp")}, "container.writable_paths", "a list"),
    ("sidecars-not-a-list", {"sidecars": C(name="sidecar", memory_limit_mib=64)}, "sidecars", "a list"),
    ("exec-opt-out-as-bool", {"enable_execute_command": True}, "enable_execute_command", "OptOut('<why>')"),
    ("tag-value-not-text", {"tags": {"cost-center": 42}}, "tags['cost-center']", "str"),
    ("tag-key-reserved-aws-prefix", {"tags": {"aws:team": "payments"}}, "tags['aws:team']", "'aws:'"),
    (
        "service-connect-unknown-port-name",
        {
            "service_connect_configuration": ecs.ServiceConnectProps(
                namespace="arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1",
                services=[ecs.ServiceConnectService(port_mapping_name="api")],
            )
        },
        "service_connect_configuration.services[0].port_mapping_name",
        "port_mappings",
    ),
    (
        "service-connect-without-namespace",
        {
            "service_connect_configuration": ecs.ServiceConnectProps(
                services=[ecs.ServiceConnectService(port_mapping_name="api")]
            ),
            "container": C(port_mappings=[ecs.PortMapping(container_port=8080, name="api")]),
        },
        "service_connect_configuration.namespace",
        "default_cloud_map_namespace",
    ),
    (
        "awslogs-driver-without-mode",
        {"container": C(logging=ecs.LogDrivers.aws_logs(stream_prefix="app"))},
        "container.logging",
        "explicit mode",
    ),
    (
        "log-driver-keeping-logs-on-the-host",
        {"container": C(logging=ecs.LogDrivers.json_file())},
        "container.logging",
        "ships the logs",
    ),
    (
        "firelens-plain-secret-option",
        {
            "container": C(logging=ecs.LogDrivers.firelens(options={"Name": "splunk", "Splunk_Token": "x" * 20})),
            "log_router": LogRouter.from_image(ImageSource.from_registry(DIGEST_IMAGE)),
        },
        "container.logging.options['Splunk_Token']",
        "secret_options",
    ),
    (
        "firelens-driver-without-router",
        {"container": C(logging=ecs.LogDrivers.firelens(options={"Name": "cloudwatch_logs"}))},
        "container.logging",
        "LogRouter",
    ),
    (
        "log-router-logging-through-itself",
        {
            "log_router": LogRouter(
                C(name="router", memory_limit_mib=64, logging=ecs.LogDrivers.firelens(options={"Name": "stdout"}))
            )
        },
        "log_router.logging",
        "its own logs",
    ),
    ("log-driver-not-a-driver", {"container": C(logging="awslogs")}, "container.logging", "ecs.LogDriver"),
    (
        "exec-on-a-cluster-without-session-logging",
        {"enable_execute_command": OptOut("break-glass debugging for INC-1234")},
        "cluster",
        "execute_command_logging=True",
    ),
    (
        "service-connect-tls-not-a-private-ca",
        {"service_connect_tls": ServiceConnectTls(certificate_authority="arn:aws:acm:us-east-1:1:certificate/x")},
        "service_connect_tls.certificate_authority",
        "Private CA",
    ),
    (
        "registry-credentials-on-ecr",
        {
            "container": C(
                image=ImageSource.from_registry(
                    "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "c" * 64,
                    repository_credentials=sm.Secret.from_secret_complete_arn(
                        Stack(), "Creds", "arn:aws:secretsmanager:us-east-1:123456789012:secret:creds-AbCdEf"
                    ),
                )
            )
        },
        "container.image.repository_credentials",
        "other than ECR",
    ),
    (
        "log-router-as-root",
        {"log_router": LogRouter(C(name="router", memory_limit_mib=64, user="0"))},
        "log_router.user",
        "non-root",
    ),
]


@pytest.mark.parametrize(("case", "kwargs", "prop", "allowed"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_raises_library_error_naming_the_property(
    case: str, kwargs: dict[str, Any], prop: str, allowed: str
) -> None:
    # GIVEN a stack with a valid cluster
    _, stack, cluster, _ = base_stack()
    props: dict[str, Any] = {"cluster": cluster, "container": C()}
    props.update(kwargs)
    # WHEN the service is built with one bad input, THEN the library's error names path, property and what is allowed
    with pytest.raises(SecureFargateError) as raised:
        SecureFargateService(stack, "Svc", **props)
    message = str(raised.value)
    assert "Test/Svc" in message
    assert f"{prop}=" in message, message
    assert allowed in message, message
    # AND nothing was added to the tree (no template can come of it)
    assert stack.node.try_find_child("Svc") is None or not stack.node.find_child("Svc").node.children


def test_catalogue_is_at_least_25_distinct_inputs() -> None:
    assert len({c[0] for c in CATALOGUE}) == len(CATALOGUE) >= 25


def test_all_problems_of_one_call_are_reported_together() -> None:
    _, stack, cluster, _ = base_stack()
    with pytest.raises(SecureFargateError) as raised:
        SecureFargateService(
            stack,
            "Svc",
            cluster=cluster,
            cpu=256,
            memory_limit_mib=4096,
            container=C(
                user="root",
                add_capabilities=["NET_ADMIN"],
                image=ImageSource.from_registry("nginx"),
                environment={"DB_PASSWORD": "x"},
            ),
        )
    props = {p.prop for p in raised.value.problems}
    assert props == {
        "cpu/memory_limit_mib",
        "container.user",
        "container.add_capabilities",
        "container.image",
        "container.environment['DB_PASSWORD']",
    }
    assert "x" not in [p.value for p in raised.value.problems], "secret values are never echoed"


def test_load_balancer_certificate_inputs_are_explained() -> None:
    # GIVEN a stack
    from secure_fargate import SecureLoadBalancer

    _, stack, cluster, _ = base_stack()
    # WHEN the certificate is given as an ARN string where an ICertificate belongs, and a malformed ARN is given
    with pytest.raises(SecureFargateError) as as_string:
        SecureLoadBalancer(stack, "A", vpc=cluster.vpc, certificate="arn:aws:acm:us-east-1:1:certificate/x")  # type: ignore[arg-type]
    with pytest.raises(SecureFargateError) as malformed:
        SecureLoadBalancer(stack, "B", vpc=cluster.vpc, certificate_arn="my-cert")
    # THEN each names the property and what to pass instead
    assert "certificate='arn:" in str(as_string.value) and "certificate_arn" in str(as_string.value)
    assert "certificate_arn='my-cert'" in str(malformed.value) and "arn:aws:acm" in str(malformed.value)


def test_error_is_a_value_error() -> None:
    assert issubclass(SecureFargateError, ValueError)


def test_vpc_without_private_subnets_is_explained() -> None:
    import aws_cdk as cdk

    app = cdk.App()
    stack = cdk.Stack(app, "Test")
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="pub", subnet_type=ec2.SubnetType.PUBLIC)],
    )
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    with pytest.raises(SecureFargateError, match=r"cluster\.vpc=.*private subnets"):
        SecureFargateService(stack, "Svc", cluster=cluster, container=C())


def test_tokens_are_not_guessed_at() -> None:
    import aws_cdk as cdk

    _, stack, cluster, _ = base_stack()
    image = cdk.CfnParameter(stack, "Image").value_as_string
    SecureFargateService(stack, "Svc", cluster=cluster, container=C(image=ImageSource.from_registry(image)))


def test_digest_is_accepted_for_ecr_repositories() -> None:
    from aws_cdk import aws_ecr as ecr

    _, stack, cluster, _ = base_stack()
    repo = ecr.Repository(stack, "Repo")
    SecureFargateService(
        stack, "Svc", cluster=cluster, container=C(image=ImageSource.from_ecr(repo, "sha256:" + "b" * 64))
    )
    with pytest.raises(SecureFargateError, match=r"container\.image"):
        SecureFargateService(stack, "Svc2", cluster=cluster, container=C(image=ImageSource.from_ecr(repo, "latest")))


def test_direct_additions_are_caught_at_synth_by_the_registered_pack() -> None:
    from aws_cdk.assertions import Template

    _, stack, cluster, secret = base_stack()
    service = SecureFargateService(stack, "Svc", cluster=cluster, container=C(memory_limit_mib=128))
    service.task_definition.add_container(
        "raw", image=ecs.ContainerImage.from_registry(DIGEST_IMAGE), memory_limit_mib=64, privileged=True
    )
    secret.grant_read(service.task_role)
    with pytest.raises(Exception) as raised:  # CDK's policy-validation error, raised at synth
        Template.from_stack(stack)
    assert reported_controls(raised.value) >= {"ECS.4", "ECS.5", "ECS.20", "SF.CAPABILITIES", "SF.SECRETS"}


@pytest.mark.parametrize(
    ("there", "here", "expected"),
    [
        (("123456789012", "us-east-1"), ("123456789012", "eu-west-1"), r"cluster \(region\)='us-east-1'.*eu-west-1"),
        (("111111111111", "eu-west-1"), ("222222222222", "eu-west-1"), r"cluster \(account\)='111111111111'"),
    ],
    ids=["other-region", "other-account"],
)
def test_cluster_from_another_environment_is_explained(
    there: tuple[str, str], here: tuple[str, str], expected: str
) -> None:
    import aws_cdk as cdk

    app = cdk.App()
    other = cdk.Stack(app, "There", env=cdk.Environment(account=there[0], region=there[1]))
    cluster = ecs.Cluster(other, "Cluster", vpc=ec2.Vpc(other, "Vpc", max_azs=2, nat_gateways=1))
    stack = cdk.Stack(app, "Here", env=cdk.Environment(account=here[0], region=here[1]))
    with pytest.raises(SecureFargateError, match=expected):
        SecureFargateService(stack, "Svc", cluster=cluster, container=C())


@pytest.mark.parametrize("kind", ["string", "number", "list"])
def test_python_token_detection_agrees_with_cdk(kind: str) -> None:
    import aws_cdk as cdk

    from secure_fargate._tokens import is_unresolved

    _, stack, _, _ = base_stack()
    parameter = cdk.CfnParameter(stack, "P", type="Number" if kind == "number" else "String")
    if kind == "number":
        value: object = parameter.value_as_number
    elif kind == "list":
        value = cdk.Fn.split(",", parameter.value_as_string)
    else:
        value = parameter.value_as_string
    assert cdk.Token.is_unresolved(value) is True and is_unresolved(value) is True
    for literal in ("nginx:1.2", 1024, 0.5, ["a", "b"], True):
        assert is_unresolved(literal) is cdk.Token.is_unresolved(literal) is False


def test_pseudo_parameters_read_once_resolve_as_cdks_in_every_app() -> None:
    """``secure_fargate._tokens.AWS`` caches aws_cdk.Aws's tokens for the process: they must be the same tokens, and
    resolve to the same pseudo parameter in a stack of another app created after the first read."""
    import aws_cdk as cdk

    from secure_fargate._tokens import AWS

    names = ("ACCOUNT_ID", "PARTITION", "REGION", "STACK_ID", "URL_SUFFIX")
    first = {name: getattr(AWS, name) for name in names}
    assert first == {name: getattr(cdk.Aws, name) for name in names}
    for _ in range(2):  # a fresh app and stack each time
        stack = cdk.Stack(cdk.App(), "S")
        for name in names:
            assert stack.resolve(getattr(AWS, name)) == stack.resolve(getattr(cdk.Aws, name))
    assert stack.resolve(AWS.ACCOUNT_ID) == {"Ref": "AWS::AccountId"}
    with pytest.raises(AttributeError):
        AWS.NOT_A_PSEUDO_PARAMETER  # noqa: B018
