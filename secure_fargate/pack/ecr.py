"""Repository controls (Security Hub ECR.1, ECR.2, ECR.3, ECR.5) over ``AWS::ECR::Repository``.

- ECR.1 ``ecr-private-image-scanning-enabled`` (no parameters): scan on push or continuous scanning. Continuous
  (and enhanced scan-on-push) scanning is a registry setting: an ``AWS::ECR::RegistryScanningConfiguration`` of
  the same template whose rule's filters match the repository counts as configured.
- ECR.2 ``ecr-private-tag-immutability-enabled`` (no parameters): ``ImageTagMutability`` is ``IMMUTABLE``
  (``IMMUTABLE_WITH_EXCLUSION`` keeps exclusions mutable, so it does not pass).
- ECR.3 ``ecr-private-lifecycle-policy-configured`` (no parameters): at least one lifecycle policy.
- ECR.5 ``ecr-repository-cmk-encryption-enabled`` (optional ``kmsKeyArns``, not supported here): encrypted with a
  customer-managed KMS key, so ``EncryptionType`` ``KMS``/``KMS_DSSE`` *and* a ``KmsKey`` that is not the AWS
  managed ``alias/aws/ecr``. It cannot be changed on an existing repository.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from . import examples as ex
from ._template import JSON, UNKNOWN, Template, _Unknown, as_list, possible_values, properties
from .control import FSBP, HIGH, MEDIUM, REPOSITORY, Violation, resource_control

Found = list[Violation]


def _single(value: JSON) -> JSON | _Unknown:
    options = possible_values(value)
    if isinstance(options, _Unknown) or len(options) != 1:
        return UNKNOWN
    return options[0]


def _repository_name(repository: Mapping[str, JSON]) -> str | None:
    name = _single(properties(repository).get("RepositoryName"))
    return name if isinstance(name, str) else None


def _registry_scans(repository: Mapping[str, JSON], template: Template) -> bool:
    """True when a registry scanning configuration of the template covers the repository."""
    name = _repository_name(repository)
    for _, config in template.of_type("AWS::ECR::RegistryScanningConfiguration"):
        for rule in as_list(properties(config).get("Rules")):
            if not isinstance(rule, dict):
                continue
            for item in as_list(rule.get("RepositoryFilters")):
                pattern = item.get("Filter") if isinstance(item, dict) else None
                if pattern == "*" or (isinstance(pattern, str) and name and fnmatch.fnmatchcase(name, pattern)):
                    return True
    return False


@resource_control(
    "ECR.1",
    resource_types=(REPOSITORY, "AWS::ECR::RegistryScanningConfiguration"),
    title="Private repositories scan images",
    severity=HIGH,
    severity_reason="Security Hub rates ECR.1 High: known vulnerabilities ship unseen",
    standards=(FSBP,),
    rationale="Scanning finds known vulnerabilities in images before and while they run.",
    remediation="set ImageScanningConfiguration.ScanOnPush: true (SecureRepository does) or registry scanning",
    source="CON316: know your images; Security Hub ECR.1",
    failing=ex.repository(ImageScanningConfiguration={"ScanOnPush": False}),
    passing=ex.repository(ImageScanningConfiguration={"ScanOnPush": True}),
)
def check_scanning(logical_id: str, repository: Mapping[str, JSON], template: Template) -> Found:
    """ECR.1: scan on push, or registry scanning that covers the repository."""
    scanning = properties(repository).get("ImageScanningConfiguration")
    on_push = _single(scanning.get("ScanOnPush")) if isinstance(scanning, dict) else None
    if isinstance(on_push, _Unknown) or on_push is True or on_push == "true":
        return []
    if _registry_scans(repository, template):
        return []
    return [Violation(None, "no image scanning: ScanOnPush is not true and no registry scanning rule covers it")]


@resource_control(
    "ECR.2",
    resource_types=(REPOSITORY,),
    title="Private repositories have immutable tags",
    severity=MEDIUM,
    severity_reason="Security Hub rates ECR.2 Medium: a tag can be moved to another image",
    standards=(FSBP,),
    rationale="A mutable tag can be moved to another image under a running service.",
    remediation="set ImageTagMutability: IMMUTABLE (SecureRepository does)",
    source="CON316: know and pin your images; Security Hub ECR.2",
    failing=ex.repository(ImageTagMutability="MUTABLE"),
    passing=ex.repository(ImageTagMutability="IMMUTABLE"),
)
def check_tag_immutability(logical_id: str, repository: Mapping[str, JSON], template: Template) -> Found:
    """ECR.2: image tags are immutable."""
    mutability = _single(properties(repository).get("ImageTagMutability"))
    if isinstance(mutability, _Unknown) or mutability == "IMMUTABLE":
        return []
    return [Violation(None, f"ImageTagMutability is {mutability or 'absent (MUTABLE)'}; use IMMUTABLE")]


@resource_control(
    "ECR.3",
    resource_types=(REPOSITORY,),
    title="Repositories have a lifecycle policy",
    severity=MEDIUM,
    severity_reason="Security Hub rates ECR.3 Medium: old, unpatched images stay pullable",
    standards=(FSBP,),
    rationale="Old images pile up and stay pullable; a lifecycle policy expires them.",
    remediation="add a lifecycle policy (SecureRepository keeps the last 50 images, untagged ones 14 days)",
    source="Security Hub ECR.3",
    failing=ex.repository(),
    passing=ex.repository(LifecyclePolicy={"LifecyclePolicyText": '{"rules": []}'}),
)
def check_lifecycle_policy(logical_id: str, repository: Mapping[str, JSON], template: Template) -> Found:
    """ECR.3: at least one lifecycle policy."""
    policy = properties(repository).get("LifecyclePolicy")
    text = policy.get("LifecyclePolicyText") if isinstance(policy, dict) else None
    if text:
        return []
    return [Violation(None, "has no lifecycle policy (LifecyclePolicy.LifecyclePolicyText)")]


AWS_MANAGED_ECR_KEY = "alias/aws/ecr"


@resource_control(
    "ECR.5",
    resource_types=(REPOSITORY,),
    title="Repositories are encrypted with a customer-managed KMS key",
    severity=MEDIUM,
    severity_reason="Security Hub rates ECR.5 Medium: the data is encrypted either way; the key policy is yours",
    standards=(FSBP,),
    rationale="A customer-managed key puts decryption under your key policy and audit; it cannot be added later.",
    remediation="create the repository with EncryptionType KMS and your key (SecureRepository does); the setting "
    "cannot change on an existing repository",
    source="Security Hub ECR.5",
    failing=ex.repository(EncryptionConfiguration={"EncryptionType": "AES256"}),
    passing=ex.repository(EncryptionConfiguration={"EncryptionType": "KMS", "KmsKey": {"Fn::GetAtt": ["Key", "Arn"]}}),
)
def check_customer_managed_key(logical_id: str, repository: Mapping[str, JSON], template: Template) -> Found:
    """ECR.5: encrypted with a customer-managed KMS key."""
    config = properties(repository).get("EncryptionConfiguration")
    config = config if isinstance(config, dict) else {}
    kind = _single(config.get("EncryptionType"))
    key = _single(config.get("KmsKey")) if "KmsKey" in config else None
    if isinstance(kind, _Unknown) or isinstance(key, _Unknown):
        return []
    if kind not in ("KMS", "KMS_DSSE"):
        return [Violation(None, f"EncryptionType is {kind or 'absent (AES256)'}; use KMS with a customer-managed key")]
    if key is None or (isinstance(key, str) and key.endswith(AWS_MANAGED_ECR_KEY)):
        return [Violation(None, "encrypted with the AWS managed key aws/ecr; set KmsKey to a customer-managed key")]
    return []
