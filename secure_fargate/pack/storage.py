"""Storage controls: EFS volumes encrypted in transit (Security Hub ECS.18) and mounted with IAM authorization
(SF.EFS_IAM), and ECS-managed EBS volumes encrypted at rest (SF.EBS_ENCRYPTION)."""

from __future__ import annotations

from collections.abc import Mapping

from ._template import JSON, Template, _Unknown, as_list, possible_values, properties

Found = list[tuple[str | None, str]]


def check_efs_transit_encryption(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """ECS.18 (``ecs-task-definition-efs-encryption-enabled``, no parameters): every EFS volume of the task
    definition has ``TransitEncryption: ENABLED`` (absent means DISABLED)."""
    found: Found = []
    for volume in as_list(properties(task).get("Volumes")):
        efs = volume.get("EFSVolumeConfiguration") if isinstance(volume, dict) else None
        if not isinstance(efs, dict):
            continue
        options = possible_values(efs.get("TransitEncryption"))
        if isinstance(options, _Unknown):
            continue
        if any(value != "ENABLED" for value in options):
            name = volume.get("Name")
            found.append((None, f"EFS volume {name!r} has no in-transit encryption (TransitEncryption: ENABLED)"))
    return found


def check_efs_iam(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.EFS_IAM: every EFS volume of the task definition mounts with the task role's IAM identity
    (``AuthorizationConfig.IAM: ENABLED``), so the file system's policy can tell tasks apart; absent means
    DISABLED (any client in the VPC with network access mounts it)."""
    found: Found = []
    for volume in as_list(properties(task).get("Volumes")):
        efs = volume.get("EFSVolumeConfiguration") if isinstance(volume, dict) else None
        if not isinstance(efs, dict):
            continue
        authorization = efs.get("AuthorizationConfig")
        options = possible_values(authorization.get("IAM") if isinstance(authorization, dict) else None)
        if isinstance(options, _Unknown):
            continue
        if any(value != "ENABLED" for value in options):
            name = volume.get("Name")
            found.append((None, f"EFS volume {name!r} mounts without IAM authorization (AuthorizationConfig.IAM)"))
    return found


def check_ebs_encryption(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """SF.EBS_ENCRYPTION: every ECS-managed EBS volume a service attaches is encrypted (``Encrypted: true``).

    ECS creates the volume at task start; without encryption its data sits unencrypted at rest whatever the
    account's EBS default says at that time (the template is what an auditor can see)."""
    found: Found = []
    for config in as_list(properties(service).get("VolumeConfigurations")):
        volume = config.get("ManagedEBSVolume") if isinstance(config, dict) else None
        if not isinstance(volume, dict):
            continue
        options = possible_values(volume.get("Encrypted"))
        if isinstance(options, _Unknown):
            continue
        if any(value not in (True, "true") for value in options):
            name = config.get("Name")
            found.append((None, f"managed EBS volume {name!r} is not encrypted (ManagedEBSVolume.Encrypted: true)"))
    return found
