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
from ._template import (
    JSON,
    UNKNOWN,
    Template,
    _Unknown,
    is_true,
    items,
    literal_value,
    objects,
    possible_values,
    properties,
    shallow_values,
    values_at,
)
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
        if config.get("Condition") is not None:
            continue  # a configuration that may not be created covers nothing for certain
        branches = shallow_values(properties(config).get("Rules"))
        if branches and all(_rules_cover(rules, name) for rules in branches):
            return True
    return False


#: Scan frequencies that scan without anyone asking (MANUAL scans nothing by itself).
AUTOMATIC_SCAN_FREQUENCIES = frozenset({"SCAN_ON_PUSH", "CONTINUOUS_SCAN"})


def _rules_cover(rules: JSON, name: str | None) -> bool:
    """True when one possible Rules list has a rule that, in every branch, scans automatically and matches."""
    if not isinstance(rules, list):
        return False
    return any(all(_rule_covers(rule, name) for rule in shallow_values(slot) or [None]) for slot in rules)


def _rule_covers(rule: JSON, name: str | None) -> bool:
    if not isinstance(rule, dict):
        return False
    frequencies = possible_values(rule.get("ScanFrequency"))
    if isinstance(frequencies, _Unknown) or not set(map(str, frequencies)) <= AUTOMATIC_SCAN_FREQUENCIES:
        return False
    for item in items(rule.get("RepositoryFilters")):
        pattern = literal_value(item.get("Filter")) if isinstance(item, dict) else None
        if pattern == "*" or (isinstance(pattern, str) and name and fnmatch.fnmatchcase(name, pattern)):
            return True
    return False


@resource_control(
    "ECR.1",
    resource_types=(REPOSITORY, "AWS::ECR::RegistryScanningConfiguration"),
    title="Private repositories scan images",
    requirement="`ScanOnPush: true`, or a registry scanning rule of the template covering the repository",
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
    on_push = values_at(properties(repository), "ImageScanningConfiguration", "ScanOnPush")
    if isinstance(on_push, _Unknown) or all(is_true(v) for v in on_push):
        return []
    if _registry_scans(repository, template):
        return []
    return [Violation(None, "no image scanning: ScanOnPush is not true and no registry scanning rule covers it")]


@resource_control(
    "ECR.2",
    resource_types=(REPOSITORY,),
    title="Private repositories have immutable tags",
    requirement="`ImageTagMutability: IMMUTABLE`",
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
    values = values_at(properties(repository), "ImageTagMutability")
    mutable = [] if isinstance(values, _Unknown) else [v for v in values if v != "IMMUTABLE"]
    if not mutable:
        return []
    return [Violation(None, f"ImageTagMutability is {mutable[0] or 'absent (MUTABLE)'}; use IMMUTABLE")]


@resource_control(
    "ECR.3",
    resource_types=(REPOSITORY,),
    title="Repositories have a lifecycle policy",
    requirement="a lifecycle policy",
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
    texts = values_at(properties(repository), "LifecyclePolicy", "LifecyclePolicyText")
    if isinstance(texts, _Unknown) or all(texts):
        return []
    return [Violation(None, "has no lifecycle policy (LifecyclePolicy.LifecyclePolicyText)")]


AWS_MANAGED_ECR_KEY = "alias/aws/ecr"


@resource_control(
    "ECR.5",
    resource_types=(REPOSITORY,),
    title="Repositories are encrypted with a customer-managed KMS key",
    requirement="`EncryptionType` `KMS`/`KMS_DSSE` with a customer-managed `KmsKey` (not `alias/aws/ecr`); cannot "
    "change later",
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
    for config in shallow_values(properties(repository).get("EncryptionConfiguration")):
        problem = _encryption_problem(config if isinstance(config, dict) else {})
        if problem:
            return [Violation(None, problem)]
    return []


def _encryption_problem(config: Mapping[str, JSON]) -> str | None:
    kinds = values_at(config, "EncryptionType")
    keys = values_at(config, "KmsKey")
    for kind in [] if isinstance(kinds, _Unknown) else kinds:
        if kind not in ("KMS", "KMS_DSSE"):
            return f"EncryptionType is {kind or 'absent (AES256)'}; use KMS with a customer-managed key"
        for key in [] if isinstance(keys, _Unknown) else keys:
            if key is None or (isinstance(key, str) and key.endswith(AWS_MANAGED_ECR_KEY)):
                return "encrypted with the AWS managed key aws/ecr; set KmsKey to a customer-managed key"
    return None


def _is_everyone(value: JSON) -> bool:
    options = possible_values(value)
    return not isinstance(options, _Unknown) and any(o == "*" or (isinstance(o, list) and "*" in o) for o in options)


def _grants_everyone(principal: JSON) -> bool:
    """True when a statement's ``Principal`` is everyone: ``"*"``, or ``"*"`` in its ``AWS`` (a list item too)."""
    if _is_everyone(principal):
        return True
    for branch in objects(principal):
        aws = branch.get("AWS")
        if _is_everyone(aws) or any(_is_everyone(item) for item in items(aws)):
            return True
    return False


def public_statements(policy: JSON) -> list[str]:
    """The Sids (or positions) of a repository policy's Allow statements granting everyone, without a Condition."""
    found: list[str] = []
    for document in objects(policy):
        statements = document.get("Statement")
        for index, statement in enumerate([*items(statements), *objects(statements)]):
            if not isinstance(statement, dict) or "Condition" in statement:
                continue
            effects = possible_values(statement.get("Effect"))
            if isinstance(effects, _Unknown) or "Allow" not in effects:
                continue
            if _grants_everyone(statement.get("Principal")):
                sid = statement.get("Sid")
                found.append(sid if isinstance(sid, str) else f"statement {index + 1}")
    return found


@resource_control(
    "SF.ECR_PUBLIC_POLICY",
    resource_types=(REPOSITORY,),
    title="Repository policies grant nobody outside your accounts",
    requirement="no `RepositoryPolicyText` statement allows `Principal: \"*\"` or `{AWS: \"*\"}` without a "
    "`Condition` (an `aws:PrincipalOrgID` or source-account condition passes)",
    severity=HIGH,
    severity_reason="anyone on the internet can pull (or, with write actions, push) the images",
    rationale="A private repository whose policy grants everyone is public: its images, and the secrets baked into "
    "them, are readable by any AWS account.",
    remediation="name the accounts or roles that pull, or add a Condition (aws:PrincipalOrgID); publish public "
    "images in ECR Public instead",
    source="CON316: know and protect your images; Prowler ecr_repositories_not_publicly_accessible",
    failing=ex.repository(
        RepositoryPolicyText={"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}
    ),
    passing=ex.repository(
        RepositoryPolicyText={
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "ecr:BatchGetImage",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
                }
            ]
        }
    ),
)
def check_public_policy(logical_id: str, repository: Mapping[str, JSON], template: Template) -> Found:
    """SF.ECR_PUBLIC_POLICY: no unconditioned Allow to everyone in the repository policy."""
    return [
        Violation(None, f"repository policy statement {sid!r} allows everyone (Principal *) without a Condition")
        for sid in public_statements(properties(repository).get("RepositoryPolicyText"))
    ]
