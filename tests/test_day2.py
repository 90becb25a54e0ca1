"""The Day-2 example (examples/day2/app.py): every option of issue 13 reaches the template, with no escape
hatch, and the template passes the pack, cfn-lint and its snapshot."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template as AssertTemplate
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from secure_fargate.pack import Template, evaluate
from tests.conftest import resources_of
from tests.helpers import cfn_lint, normalize

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "day2" / "app.py"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    from examples.day2.app import build

    return AssertTemplate.from_stack(build(cdk.App())).to_json()  # type: ignore[no-any-return]


def _one(template: dict[str, Any], resource_type: str, prefix: str) -> dict[str, Any]:
    (found,) = [v["Properties"] for k, v in resources_of(template, resource_type).items() if k.startswith(prefix)]
    return found  # type: ignore[no-any-return]


def _task(template: dict[str, Any], prefix: str = "Api") -> dict[str, Any]:
    return _one(template, "AWS::ECS::TaskDefinition", prefix)


def _service(template: dict[str, Any], prefix: str = "Api") -> dict[str, Any]:
    return _one(template, "AWS::ECS::Service", prefix)


def _container(template: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [c for c in _task(template)["ContainerDefinitions"] if c["Name"] == name]
    return found  # type: ignore[no-any-return]


def _statements(template: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return _one(template, "AWS::IAM::Policy", prefix)["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def test_example_uses_no_escape_hatch() -> None:
    source = EXAMPLE.read_text()
    assert "default_child" not in source and "add_property_override" not in source and "add_override" not in source


def test_example_passes_every_control_of_the_pack(template: dict[str, Any]) -> None:
    assert [f for f in evaluate(Template(template)) if not f.acknowledged] == []


@pytest.mark.slow
def test_example_passes_cfn_lint(template: dict[str, Any]) -> None:
    assert [p for p in cfn_lint(template) if p.startswith("E")] == []


def test_example_snapshot(template: dict[str, Any], snapshot: SnapshotAssertion) -> None:
    assert normalize(template) == snapshot.use_extension(JSONSnapshotExtension)


def test_runtime_platform_is_graviton_linux(template: dict[str, Any]) -> None:
    assert _task(template)["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}


def test_linux_is_written_when_only_the_default_platform_is_used(template: dict[str, Any]) -> None:
    assert _task(template, "Web")["RuntimePlatform"] == {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}


def test_capacity_providers_replace_the_launch_type(template: dict[str, Any]) -> None:
    service = _service(template)
    assert service["CapacityProviderStrategy"] == [
        {"Base": 1, "CapacityProvider": "FARGATE", "Weight": 1},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
    ]
    assert "LaunchType" not in service


def test_ephemeral_storage(template: dict[str, Any]) -> None:
    assert _task(template)["EphemeralStorage"] == {"SizeInGiB": 50}


def test_efs_volume_has_transit_encryption_and_iam_authorization(template: dict[str, Any]) -> None:
    (efs,) = [v["EFSVolumeConfiguration"] for v in _task(template)["Volumes"] if "EFSVolumeConfiguration" in v]
    assert efs["TransitEncryption"] == "ENABLED"
    assert efs["AuthorizationConfig"]["IAM"] == "ENABLED"


def test_environment_files_are_in_the_container(template: dict[str, Any]) -> None:
    files = _container(template, "app")["EnvironmentFiles"]
    assert [f["Type"] for f in files] == ["s3", "s3"]
    assert files[0]["Value"]["Fn::Join"][1][-1] == "/api/app.env"


def _s3_statements(template: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for statement in _statements(template, "ApiExecutionRole"):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if any(a.startswith("s3:") for a in actions):
            found.extend((a, json.dumps(statement["Resource"])) for a in actions)
    return found


def test_execution_role_reads_exactly_the_environment_files(template: dict[str, Any]) -> None:
    found = _s3_statements(template)
    assert sorted(a for a, _ in found) == ["s3:GetBucketLocation"] * 2 + ["s3:GetObject"] * 2
    objects = [r for a, r in found if a == "s3:GetObject"]
    assert any("/api/app.env" in r for r in objects) and any(re.search(r"/[0-9a-f]{64}\.env", r) for r in objects)
    buckets = [r for a, r in found if a == "s3:GetBucketLocation"]
    assert all(r.endswith('":s3:::", {"Ref": "Config57D1D894"}]]}') or "cdk-hnb659fds-assets" in r for r in buckets)


def test_task_role_gets_no_s3_and_no_wildcard(template: dict[str, Any]) -> None:
    for statement in _statements(template, "ApiTaskRole"):
        assert statement["Resource"] != "*", statement
        assert not any(str(a).startswith("s3:") for a in statement["Action"])


def test_stop_timeout_and_labels(template: dict[str, Any]) -> None:
    app = _container(template, "app")
    assert app["StopTimeout"] == 60
    assert app["DockerLabels"] == {"team": "payments", "service": "api"}


def test_named_port_mapping(template: dict[str, Any]) -> None:
    assert _container(template, "app")["PortMappings"] == [
        {"AppProtocol": "http", "ContainerPort": 8080, "Name": "api", "Protocol": "tcp"}
    ]


def test_service_connect_serves_the_named_port_with_tls(template: dict[str, Any]) -> None:
    (served,) = _service(template)["ServiceConnectConfiguration"]["Services"]
    assert served["PortName"] == "api"
    assert "AwsPcaAuthorityArn" in served["Tls"]["IssuerCertificateAuthority"]


def test_service_connect_proxy_logs_to_the_service_log_group(template: dict[str, Any]) -> None:
    logging = _service(template)["ServiceConnectConfiguration"]["LogConfiguration"]
    assert logging["LogDriver"] == "awslogs" and logging["Options"]["awslogs-group"]["Ref"].startswith("ApiLogs")


def test_cloud_map_registration(template: dict[str, Any]) -> None:
    (registry,) = _service(template, "Web")["ServiceRegistries"]
    assert "WebServiceCloudmapService" in registry["RegistryArn"]["Fn::GetAtt"][0]


def test_tag_propagation_and_managed_tags(template: dict[str, Any]) -> None:
    assert _service(template)["PropagateTags"] == "SERVICE"
    assert _service(template)["EnableECSManagedTags"] is True
    assert _service(template, "Web")["PropagateTags"] == "TASK_DEFINITION"


def test_no_desired_count_when_autoscaled(template: dict[str, Any]) -> None:
    assert "DesiredCount" not in _service(template)
    assert _service(template, "Web")["DesiredCount"] == 2


def test_deployment_bounds_and_grace_period(template: dict[str, Any]) -> None:
    service = _service(template)
    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 50
    assert service["DeploymentConfiguration"]["MaximumPercent"] == 200
    assert service["HealthCheckGracePeriodSeconds"] == 60


def test_scaling_policies_on_cpu_memory_and_requests(template: dict[str, Any]) -> None:
    policies = resources_of(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    metrics = sorted(
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for p in policies
    )
    assert metrics == [
        "ALBRequestCountPerTarget",
        "ECSServiceAverageCPUUtilization",
        "ECSServiceAverageMemoryUtilization",
    ]
    (target,) = resources_of(template, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (2, 20)


def test_load_balancer_is_internal_in_private_subnets(template: dict[str, Any]) -> None:
    (lb,) = resources_of(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert lb["Properties"]["Scheme"] == "internal"
    assert all("Private" in s["Ref"] for s in lb["Properties"]["Subnets"])


def test_internal_load_balancer_admits_the_vpc_only(template: dict[str, Any]) -> None:
    (group,) = [
        v["Properties"]
        for v in resources_of(template, "AWS::EC2::SecurityGroup").values()
        if "ELB" in v["Properties"]["GroupDescription"]
    ]
    rules = group["SecurityGroupIngress"]
    assert sorted(r["FromPort"] for r in rules) == [80, 443]
    assert all(r["CidrIp"] == {"Fn::GetAtt": ["Vpc8378EB38", "CidrBlock"]} for r in rules), rules


def test_certificate_object_serves_https(template: dict[str, Any]) -> None:
    (listener,) = [
        v["Properties"]
        for v in resources_of(template, "AWS::ElasticLoadBalancingV2::Listener").values()
        if v["Properties"]["Port"] == 443
    ]
    assert listener["Certificates"] == [{"CertificateArn": {"Ref": "Certificate4E7ABB08"}}]


def test_log_router_is_hardened_with_its_own_awslogs_stream(template: dict[str, Any]) -> None:
    router = _container(template, "log-router")
    assert router["FirelensConfiguration"] == {"Type": "fluentbit"}
    assert router["User"] == "1000:1000" and router["ReadonlyRootFilesystem"] is True
    assert [m["ContainerPath"] for m in router["MountPoints"]] == ["/tmp"]
    assert router["LogConfiguration"]["LogDriver"] == "awslogs"
    assert router["LogConfiguration"]["Options"]["awslogs-stream-prefix"] == "firelens"
    assert router["Essential"] is True


@pytest.mark.parametrize("name", ["app", "shipper"])
def test_other_containers_log_through_firelens_without_stale_awslogs_options(
    template: dict[str, Any], name: str
) -> None:
    logging = _container(template, name)["LogConfiguration"]
    assert logging["LogDriver"] == "awsfirelens"
    assert not any(k.startswith("awslogs-") for k in logging["Options"])
    assert _container(template, name)["DependsOn"] == [{"Condition": "START", "ContainerName": "log-router"}]


def test_scratch_volume_is_shared_read_write_and_read_only(template: dict[str, Any]) -> None:
    def scratch(name: str) -> list[dict[str, Any]]:
        return [m for m in _container(template, name)["MountPoints"] if m["SourceVolume"] == "scratch"]

    assert scratch("app") == [{"ContainerPath": "/scratch", "ReadOnly": False, "SourceVolume": "scratch"}]
    assert scratch("shipper") == [{"ContainerPath": "/scratch", "ReadOnly": True, "SourceVolume": "scratch"}]
