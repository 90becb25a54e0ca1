"""Storage controls: EFS volumes encrypted in transit (Security Hub ECS.18) and mounted with IAM authorization
(SF.EFS_IAM), and ECS-managed EBS volumes encrypted at rest (SF.EBS_ENCRYPTION)."""

from __future__ import annotations

from collections.abc import Mapping

from . import examples as ex
from ._template import (
    JSON,
    Template,
    _Unknown,
    is_true,
    items,
    literal_value,
    objects,
    possible_values,
    properties,
    values_at,
)
from .control import FSBP, MEDIUM, SERVICE, TASK, Violation, resource_control

Found = list[Violation]


def _efs_setting_not_enabled(task: Mapping[str, JSON], *setting: str) -> list[str]:
    """Names of the task's EFS volumes whose ``setting`` (a path in the EFSVolumeConfiguration) may be anything
    but ``ENABLED`` in any branch (absent counts as DISABLED; a deploy-time value is not guessed)."""
    names: list[str] = []
    for volume in items(properties(task).get("Volumes")):
        if not isinstance(volume, dict):
            continue
        for efs in objects(volume.get("EFSVolumeConfiguration")):
            options = values_at(efs, *setting)
            if not isinstance(options, _Unknown) and any(value != "ENABLED" for value in options):
                name = literal_value(volume.get("Name"))
                names.append(name if isinstance(name, str) else "(unnamed)")
                break
    return names


@resource_control(
    "ECS.18",
    resource_types=(TASK,),
    title="EFS volumes use in-transit encryption",
    requirement="EFS volumes: `TransitEncryption: ENABLED` (absent fails)",
    severity=MEDIUM,
    severity_reason="Security Hub rates ECS.18 Medium: file data crosses the VPC in clear text",
    standards=(FSBP,),
    rationale="Without TLS, file data crosses the network to the EFS mount target in clear text.",
    remediation="set EFSVolumeConfiguration.TransitEncryption: ENABLED (ecs.EfsVolumeConfiguration("
    "transit_encryption='ENABLED'))",
    source="Security Hub ECS.18",
    failing=ex.task(Volumes=[ex.efs_volume()]),
    passing=ex.task(Volumes=[ex.efs_volume(TransitEncryption="ENABLED", AuthorizationConfig={"IAM": "ENABLED"})]),
)
def check_efs_transit_encryption(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """ECS.18 (``ecs-task-definition-efs-encryption-enabled``, no parameters): every EFS volume of the task
    definition has ``TransitEncryption: ENABLED`` (absent means DISABLED)."""
    return [
        Violation(None, f"EFS volume {name!r} has no in-transit encryption (TransitEncryption: ENABLED)")
        for name in _efs_setting_not_enabled(task, "TransitEncryption")
    ]


@resource_control(
    "SF.EFS_IAM",
    resource_types=(TASK,),
    title="EFS volumes mount with IAM authorization",
    requirement="EFS volumes: `AuthorizationConfig.IAM: ENABLED` (absent fails; acknowledgeable)",
    severity=MEDIUM,
    severity_reason="any client that reaches the mount targets reads the file system; the network still gates it",
    rationale="Without IAM authorization the file system cannot tell this task from any other client that reaches "
    "its mount targets; with it, the file system policy decides per task role.",
    remediation="set EFSVolumeConfiguration.AuthorizationConfig.IAM: ENABLED (ecs.EfsVolumeConfiguration("
    "authorization_config=ecs.AuthorizationConfig(iam='ENABLED'), transit_encryption='ENABLED'))",
    source="CON316: least privilege per task role",
    failing=ex.task(Volumes=[ex.efs_volume(TransitEncryption="ENABLED")]),
    passing=ex.task(Volumes=[ex.efs_volume(TransitEncryption="ENABLED", AuthorizationConfig={"IAM": "ENABLED"})]),
)
def check_efs_iam(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.EFS_IAM: every EFS volume of the task definition mounts with the task role's IAM identity
    (``AuthorizationConfig.IAM: ENABLED``), so the file system's policy can tell tasks apart; absent means
    DISABLED (any client in the VPC with network access mounts it)."""
    return [
        Violation(None, f"EFS volume {name!r} mounts without IAM authorization (AuthorizationConfig.IAM)")
        for name in _efs_setting_not_enabled(task, "AuthorizationConfig", "IAM")
    ]


def _known(values: list[JSON] | _Unknown) -> list[JSON]:
    return [] if isinstance(values, _Unknown) else values


@resource_control(
    "SF.EBS_ENCRYPTION",
    resource_types=(SERVICE,),
    title="ECS-managed EBS volumes are encrypted",
    requirement="a service's `ManagedEBSVolume` has `Encrypted: true`",
    severity=MEDIUM,
    severity_reason="application data at rest without encryption; reading it still needs access to the volume",
    rationale="A volume ECS creates per task holds application data at rest.",
    remediation="set ManagedEBSVolume.Encrypted: true (with KmsKeyId for a customer-managed key)",
    source="AWS ECS developer guide: Amazon EBS volumes with Amazon ECS",
    failing=ex.service(
        VolumeConfigurations=[{"Name": "data", "ManagedEBSVolume": {"RoleArn": "arn:aws:iam::123456789012:role/ebs"}}]
    ),
    passing=ex.service(
        VolumeConfigurations=[
            {"Name": "data", "ManagedEBSVolume": {"RoleArn": "arn:aws:iam::123456789012:role/ebs", "Encrypted": True}}
        ]
    ),
)
def check_ebs_encryption(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """SF.EBS_ENCRYPTION: every ECS-managed EBS volume a service attaches is encrypted (``Encrypted: true``).

    ECS creates the volume at task start; without encryption its data sits unencrypted at rest whatever the
    account's EBS default says at that time (the template is what an auditor can see)."""
    found: Found = []
    for config in items(properties(service).get("VolumeConfigurations")):
        volumes = objects(config.get("ManagedEBSVolume")) if isinstance(config, dict) else []
        options = [v for volume in volumes for v in _known(possible_values(volume.get("Encrypted")))]
        if any(not is_true(value) for value in options):
            name = literal_value(config.get("Name"))
            message = f"managed EBS volume {name!r} is not encrypted (ManagedEBSVolume.Encrypted: true)"
            found.append(Violation(None, message))
    return found
