"""Storage controls: EFS volumes encrypted in transit (Security Hub ECS.18) and mounted with IAM authorization
(SF.EFS_IAM), and ECS-managed EBS volumes encrypted at rest (SF.EBS_ENCRYPTION)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ._template import JSON, Template, _Unknown, as_list, possible_values, properties

Found = list[tuple[str | None, str]]


def _efs_setting_not_enabled(task: Mapping[str, JSON], setting: Callable[[Mapping[str, JSON]], JSON]) -> list[str]:
    """Names of the task's EFS volumes whose ``setting`` (read from the EFSVolumeConfiguration) may be anything
    but ``ENABLED`` (absent counts as DISABLED; a deploy-time value is not guessed)."""
    names: list[str] = []
    for volume in as_list(properties(task).get("Volumes")):
        efs = volume.get("EFSVolumeConfiguration") if isinstance(volume, dict) else None
        if not isinstance(efs, dict):
            continue
        options = possible_values(setting(efs))
        if not isinstance(options, _Unknown) and any(value != "ENABLED" for value in options):
            names.append(volume.get("Name"))  # type: ignore[union-attr]
    return names


def check_efs_transit_encryption(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """ECS.18 (``ecs-task-definition-efs-encryption-enabled``, no parameters): every EFS volume of the task
    definition has ``TransitEncryption: ENABLED`` (absent means DISABLED)."""
    return [
        (None, f"EFS volume {name!r} has no in-transit encryption (TransitEncryption: ENABLED)")
        for name in _efs_setting_not_enabled(task, lambda efs: efs.get("TransitEncryption"))
    ]


def _iam_authorization(efs: Mapping[str, JSON]) -> JSON:
    authorization = efs.get("AuthorizationConfig")
    return authorization.get("IAM") if isinstance(authorization, dict) else None


def check_efs_iam(logical_id: str, task: Mapping[str, JSON], template: Template) -> Found:
    """SF.EFS_IAM: every EFS volume of the task definition mounts with the task role's IAM identity
    (``AuthorizationConfig.IAM: ENABLED``), so the file system's policy can tell tasks apart; absent means
    DISABLED (any client in the VPC with network access mounts it)."""
    return [
        (None, f"EFS volume {name!r} mounts without IAM authorization (AuthorizationConfig.IAM)")
        for name in _efs_setting_not_enabled(task, _iam_authorization)
    ]


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
