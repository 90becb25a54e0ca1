"""``secure-fargate scan``: audit what runs. Rebuild the CloudFormation form of live ECS clusters, services, the
task-definition revisions they run, their task sets, roles and security groups, and give it ``check``'s verdict.

Read-only by construction: every client refuses, before sending, any operation outside :data:`READ_ONLY_ACTIONS`
(docs/enforcement.md lists them as IAM actions). Every list call is paginated; throttling is retried by botocore's
``adaptive`` retry mode (exponential backoff with jitter plus client-side rate limiting); regions are scanned
concurrently and, inside a region, describe calls run on a bounded thread pool.

API shapes (camelCase) become CloudFormation properties (PascalCase) by :func:`to_cfn`: keys are capitalised,
maps whose keys are user data (``dockerLabels``, log ``options``, ...) are kept verbatim, and the names that
differ are renamed (:data:`RENAMES`). Resources are keyed by their ARN (security groups by their ID), and
references are written as CloudFormation would (``TaskDefinition: {Ref: arn}``, ``TaskRoleArn: {Fn::GetAtt:
[arn, Arn]}``), so every control (and any new one) follows them as it does in a template. boto3 is imported
lazily: the pack stays importable without it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from . import asff, managed_policies, sarif
from ._aws import new_session
from ._template import Template
from .catalog import controls_in
from .control import DEFAULT_FAIL_ON, Control, Severity
from .engine import METADATA_KEY, Finding
from .iam import admits_an_account, assumable_among
from .launchers import RUN_TASK
from .reasons import reason_problem
from .report import text_report
from .tag_acks import apply_tag_acknowledgements
from .verdict import ERROR, verdict

#: The only operations the scanner may call, per service; their IAM actions are ``<service>:<Operation>``.
READ_ONLY_ACTIONS: Mapping[str, frozenset[str]] = {
    "ecs": frozenset(
        {
            "ListClusters",
            "DescribeClusters",
            "ListServices",
            "DescribeServices",
            "DescribeTaskSets",
            "DescribeTaskDefinition",
            "ListTaskDefinitionFamilies",
            "ListTasks",
            "DescribeTasks",
        }
    ),
    "iam": frozenset(
        {
            "GetRole",
            "ListRolePolicies",
            "GetRolePolicy",
            "ListAttachedRolePolicies",
            "GetPolicy",
            "GetPolicyVersion",
            "ListRoles",
        }
    ),
    "ec2": frozenset(
        {
            "DescribeSecurityGroups",
            "DescribeNetworkInterfaces",
            "DescribeManagedPrefixLists",
            "GetManagedPrefixListEntries",
        }
    ),
    "ecr": frozenset(
        {
            "DescribeRepositories",
            "GetLifecyclePolicy",
            "GetRepositoryPolicy",
            "GetRegistryScanningConfiguration",
            "ListTagsForResource",
        }
    ),
    "kms": frozenset({"DescribeKey"}),
}
#: API names whose CloudFormation name is not the capitalised API name.
RENAMES: Mapping[str, str] = {
    "efsVolumeConfiguration": "EFSVolumeConfiguration",
    "fileSystemId": "FilesystemId",
    "iam": "IAM",
    "fsxWindowsFileServerVolumeConfiguration": "FSxWindowsFileServerVolumeConfiguration",
}
#: Maps whose keys are user data, kept verbatim.
OPAQUE_MAPS = frozenset({"dockerLabels", "options", "driverOpts", "labels"})
#: API field -> CloudFormation property, per resource type (what is not listed is read-only output).
TASK_DEFINITION_FIELDS = {
    k: k[0].upper() + k[1:]
    for k in [
        "containerDefinitions",
        "cpu",
        "enableFaultInjection",
        "ephemeralStorage",
        "executionRoleArn",
        "family",
        "inferenceAccelerators",
        "ipcMode",
        "memory",
        "networkMode",
        "pidMode",
        "placementConstraints",
        "proxyConfiguration",
        "requiresCompatibilities",
        "runtimePlatform",
        "taskRoleArn",
        "volumes",
    ]
}
SERVICE_FIELDS = {
    **{
        k: k[0].upper() + k[1:]
        for k in [
            "availabilityZoneRebalancing",
            "capacityProviderStrategy",
            "deploymentConfiguration",
            "deploymentController",
            "desiredCount",
            "enableECSManagedTags",
            "enableExecuteCommand",
            "healthCheckGracePeriodSeconds",
            "launchType",
            "loadBalancers",
            "networkConfiguration",
            "placementConstraints",
            "platformVersion",
            "propagateTags",
            "schedulingStrategy",
            "serviceName",
            "serviceRegistries",
            "tags",
            "volumeConfigurations",
        ]
    },
    "placementStrategy": "PlacementStrategies",
}
TASK_SET_FIELDS = {
    k: k[0].upper() + k[1:]
    for k in [
        "capacityProviderStrategy",
        "externalId",
        "launchType",
        "loadBalancers",
        "networkConfiguration",
        "platformVersion",
        "scale",
        "serviceRegistries",
        "tags",
    ]
}
CLUSTER_FIELDS = {
    "clusterName": "ClusterName",
    "settings": "ClusterSettings",
    "configuration": "Configuration",
    "capacityProviders": "CapacityProviders",
    "defaultCapacityProviderStrategy": "DefaultCapacityProviderStrategy",
    "serviceConnectDefaults": "ServiceConnectDefaults",
    "tags": "Tags",
}
#: Concurrent describe calls per region; botocore's connection pool is sized to match.
DEFAULT_WORKERS = 8


class ScanError(Exception):
    """A scan that cannot run: bad arguments, an unreadable acknowledgement file, no region, an AWS error."""


# ------------------------------------------------------------------------------------------- API -> CloudFormation
def cfn_key(key: str) -> str:
    """The CloudFormation name of an API field: renamed, or capitalised."""
    return RENAMES.get(key) or key[:1].upper() + key[1:]


def to_cfn(value: Any, key: str = "") -> Any:
    """An API value in CloudFormation's spelling (keys PascalCase, user-data maps verbatim, times as text)."""
    if isinstance(value, dict):
        if key in OPAQUE_MAPS:
            return dict(value)
        return {cfn_key(k): to_cfn(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [to_cfn(v, key) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def properties(api: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """The CloudFormation properties of an API object: listed fields only, converted."""
    return {cfn: to_cfn(api[name], name) for name, cfn in fields.items() if api.get(name) is not None}


def _awsvpc_groups(api: Mapping[str, Any]) -> list[str]:
    config = (api.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return list(config.get("securityGroups") or [])


def _link_groups(props: dict[str, Any]) -> None:
    config = props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration")
    if isinstance(config, dict) and config.get("SecurityGroups"):
        config["SecurityGroups"] = [{"Fn::GetAtt": [g, "GroupId"]} for g in config["SecurityGroups"]]


def cluster_resource(api: Mapping[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::ECS::Cluster", "Properties": properties(api, CLUSTER_FIELDS)}


def service_resource(api: Mapping[str, Any]) -> dict[str, Any]:
    props = properties(api, SERVICE_FIELDS)
    props["Cluster"] = {"Ref": api.get("clusterArn")}
    if api.get("taskDefinition"):  # absent under the EXTERNAL deployment controller: its task sets carry them
        props["TaskDefinition"] = {"Ref": api["taskDefinition"]}
    if api.get("roleArn"):
        props["Role"] = api["roleArn"]
    connect = _service_connect(api)
    if connect is not None:
        props["ServiceConnectConfiguration"] = to_cfn(connect)
    _link_groups(props)
    return {"Type": "AWS::ECS::Service", "Properties": props}


def _service_connect(api: Mapping[str, Any]) -> Any:
    """The service's Service Connect (SF.SERVICE_CONNECT_TLS): a Config item carries it at the top;
    DescribeServices per deployment only, where the PRIMARY deployment's is the service's; None when none."""
    if api.get("serviceConnectConfiguration") is not None:
        return api["serviceConnectConfiguration"]
    for deployment in api.get("deployments") or []:
        if isinstance(deployment, dict) and deployment.get("status") == "PRIMARY":
            return deployment.get("serviceConnectConfiguration")
    return None


def task_set_resource(api: Mapping[str, Any], service_arn: str) -> dict[str, Any]:
    props = properties(api, TASK_SET_FIELDS)
    props.update(
        Cluster={"Ref": api.get("clusterArn")},
        Service={"Ref": service_arn},
        TaskDefinition={"Ref": api.get("taskDefinition")},
    )
    _link_groups(props)
    return {"Type": "AWS::ECS::TaskSet", "Properties": props}


def task_definition_resource(api: Mapping[str, Any], tags: Sequence[Any] = ()) -> dict[str, Any]:
    props = properties(api, TASK_DEFINITION_FIELDS)
    for key in ("TaskRoleArn", "ExecutionRoleArn"):
        if isinstance(props.get(key), str):
            props[key] = {"Fn::GetAtt": [props[key], "Arn"]}
    if tags:
        props["Tags"] = to_cfn(list(tags))
    return {"Type": "AWS::ECS::TaskDefinition", "Properties": props}


def run_task_resource(api: Mapping[str, Any], interfaces: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A task started outside any service, as ``RunTask``'s request (``launchers.RUN_TASK``): its task definition,
    overrides, platform, ECS Exec and network, the network read back from its ENI (``interfaces``: ENI ID ->
    ``DescribeNetworkInterfaces`` entry): a public address on it is ``AssignPublicIp: ENABLED``."""
    props: dict[str, Any] = {
        "Cluster": {"Ref": api.get("clusterArn")},
        "TaskDefinition": {"Ref": api.get("taskDefinitionArn")},
        "Overrides": to_cfn(api.get("overrides") or {}),
    }
    for key in ("launchType", "platformVersion", "enableExecuteCommand"):
        if api.get(key) not in (None, ""):
            props[cfn_key(key)] = api[key]
    if api.get("capacityProviderName"):
        props["CapacityProviderStrategy"] = [{"CapacityProvider": api["capacityProviderName"]}]
    for eni in _task_interfaces(api):
        interface = interfaces.get(eni) or {}
        groups = [g["GroupId"] for g in interface.get("Groups") or [] if g.get("GroupId")]
        public = bool((interface.get("Association") or {}).get("PublicIp"))
        props["NetworkConfiguration"] = {
            "AwsVpcConfiguration": {
                "Subnets": [interface["SubnetId"]] if interface.get("SubnetId") else [],
                "SecurityGroups": [{"Fn::GetAtt": [g, "GroupId"]} for g in groups],
                "AssignPublicIp": "ENABLED" if public else "DISABLED",
            }
        }
    return {"Type": RUN_TASK, "Properties": props}


def _task_interfaces(api: Mapping[str, Any]) -> list[str]:
    return [
        detail["value"]
        for attachment in api.get("attachments") or []
        if attachment.get("type") == "ElasticNetworkInterface"
        for detail in attachment.get("details") or []
        if detail.get("name") == "networkInterfaceId" and detail.get("value")
    ]


def started_by_service(api: Mapping[str, Any]) -> bool:
    """True for a task a service (or a task set of one) started: its group is ``service:<name>``, or ECS started
    it for a deployment (``ecs-svc/...``)."""
    return str(api.get("group") or "").startswith("service:") or str(api.get("startedBy") or "").startswith("ecs-svc/")


def repository_resource(
    api: Mapping[str, Any],
    lifecycle: str | None,
    policy: str | None,
    aws_managed_key: bool = False,
    tags: Sequence[Any] = (),
) -> dict[str, Any]:
    """An ECR repository in CloudFormation's form (``AWS::ECR::Repository``): scanning, tag mutability, encryption
    (an AWS managed key written as ``alias/aws/ecr``, which ECR.5 refuses), lifecycle, repository policy and tags
    (``ListTagsForResource``: acknowledgement tags are read from them)."""
    encryption = dict(to_cfn(api.get("encryptionConfiguration") or {"encryptionType": "AES256"}))
    if aws_managed_key:
        encryption["KmsKey"] = "alias/aws/ecr"
    props: dict[str, Any] = {
        "RepositoryName": api.get("repositoryName"),
        "ImageTagMutability": api.get("imageTagMutability", "MUTABLE"),
        "ImageScanningConfiguration": to_cfn(api.get("imageScanningConfiguration") or {"scanOnPush": False}),
        "EncryptionConfiguration": encryption,
    }
    if lifecycle:
        props["LifecyclePolicy"] = {"LifecyclePolicyText": lifecycle}
    if policy:
        props["RepositoryPolicyText"] = _document(policy)
    if tags:
        props["Tags"] = to_cfn(list(tags))
    return {"Type": "AWS::ECR::Repository", "Properties": props}


def registry_scanning_resource(api: Mapping[str, Any]) -> dict[str, Any]:
    """The registry's scanning configuration (``AWS::ECR::RegistryScanningConfiguration``), which ECR.1 reads."""
    config = api.get("scanningConfiguration") or {}
    return {
        "Type": "AWS::ECR::RegistryScanningConfiguration",
        "Properties": {"ScanType": config.get("scanType", "BASIC"), "Rules": to_cfn(config.get("rules") or [])},
    }


#: What a live group without egress rules becomes: CDK's placeholder rule for ``allow_all_outbound=False``.
NO_EGRESS = {"IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32"}


def _rules(permissions: Any, egress: bool) -> list[dict[str, Any]]:
    """EC2's ``IpPermissions``/``IpPermissionsEgress`` as CloudFormation rules (one per range, group or list)."""
    group_key, list_key = (
        ("DestinationSecurityGroupId", "DestinationPrefixListId")
        if egress
        else (
            "SourceSecurityGroupId",
            "SourcePrefixListId",
        )
    )
    rules: list[dict[str, Any]] = []
    for permission in permissions or []:
        base = {k: permission[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in permission}
        rules += [{**base, "CidrIp": r["CidrIp"]} for r in permission.get("IpRanges") or []]
        rules += [{**base, "CidrIpv6": r["CidrIpv6"]} for r in permission.get("Ipv6Ranges") or []]
        rules += [{**base, group_key: p["GroupId"]} for p in permission.get("UserIdGroupPairs") or []]
        rules += [{**base, list_key: p["PrefixListId"]} for p in permission.get("PrefixListIds") or []]
    return rules


def security_group_resource(api: Mapping[str, Any]) -> dict[str, Any]:
    ingress = _rules(api.get("IpPermissions"), egress=False)
    # The live egress rules (EC2's default allow-all included, when it was never removed): SF.EGRESS judges them.
    # A group with none reads as CDK's "no traffic" rule: an empty list in a template would keep EC2's default.
    egress = _rules(api.get("IpPermissionsEgress"), egress=True) or [NO_EGRESS]
    props = {
        "GroupDescription": api.get("Description", ""),
        "GroupName": api.get("GroupName"),
        "VpcId": api.get("VpcId"),
        "SecurityGroupEgress": egress,
    }
    return {"Type": "AWS::EC2::SecurityGroup", "Properties": {**props, "SecurityGroupIngress": ingress}}


#: The owner of AWS-managed prefix lists (service ranges such as S3's or CloudFront's): not internet ranges, and
#: not read.
AWS_OWNER = "AWS"
#: The rule keys that name a prefix list.
PREFIX_LIST_KEYS = ("SourcePrefixListId", "DestinationPrefixListId")


def prefix_list_resource(api: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A customer-managed prefix list (``DescribeManagedPrefixLists`` + ``GetManagedPrefixListEntries``) in
    CloudFormation's form (``AWS::EC2::PrefixList``), which SF.INGRESS/SF.EGRESS judge by its entries."""
    props = {
        "PrefixListName": api.get("PrefixListName"),
        "AddressFamily": api.get("AddressFamily"),
        "MaxEntries": api.get("MaxEntries"),
        "Entries": [{k: e[k] for k in ("Cidr", "Description") if k in e} for e in entries],
    }
    return {"Type": "AWS::EC2::PrefixList", "Properties": props}


def prefix_list_ids(group: Mapping[str, Any]) -> set[str]:
    """The prefix lists a security group resource's rules name by their ID (not yet linked to a resource)."""
    props = group.get("Properties") or {}
    rules = [*(props.get("SecurityGroupIngress") or []), *(props.get("SecurityGroupEgress") or [])]
    return {r[k] for r in rules if isinstance(r, dict) for k in PREFIX_LIST_KEYS if isinstance(r.get(k), str)}


def linked_prefix_lists(group: Mapping[str, Any]) -> set[str]:
    """The prefix lists a security group resource's rules name by ``{"Ref": id}`` (linked by link_prefix_lists)."""
    props = group.get("Properties") or {}
    rules = [*(props.get("SecurityGroupIngress") or []), *(props.get("SecurityGroupEgress") or [])]
    refs = [r.get(k) for r in rules if isinstance(r, dict) for k in PREFIX_LIST_KEYS]
    return {str(v["Ref"]) for v in refs if isinstance(v, dict) and isinstance(v.get("Ref"), str)}


def link_prefix_lists(groups: Mapping[str, Any], lists: Mapping[str, Any]) -> dict[str, Any]:
    """``groups`` with each rule naming a list of ``lists`` (prefix list ID -> ``AWS::EC2::PrefixList``) rewritten
    as ``{"Ref": id}``, as a template names a list it declares, plus those lists: the same rules then judge the
    list's entries. A list not in ``lists`` (AWS-managed, or unread) stays a plain ID."""
    linked: dict[str, Any] = {}
    for key, group in groups.items():
        props = dict(group.get("Properties") or {})
        for side in ("SecurityGroupIngress", "SecurityGroupEgress"):
            if isinstance(props.get(side), list):
                props[side] = [
                    {k: {"Ref": v} if k in PREFIX_LIST_KEYS and isinstance(v, str) and v in lists else v
                     for k, v in r.items()} if isinstance(r, dict) else r
                    for r in props[side]
                ]  # fmt: skip
        linked[key] = {**group, "Properties": props}
        linked.update({i: lists[i] for i in prefix_list_ids(group) if i in lists})
    return linked


def role_resources(
    role: Mapping[str, Any], inline: Sequence[tuple[str, Any]], managed: Sequence[tuple[str, Any]]
) -> dict[str, Any]:
    """The role (trust, inline policies) and one AWS::IAM::ManagedPolicy per attached policy, attached by Ref; an
    AWS-managed policy is named by its ARN (and judged by ``managed_policies``'s model when it has one, else by its
    live document, attached through the policy resource's ``Roles``)."""
    arn = role["Arn"]
    resources: dict[str, Any] = {
        arn: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": role.get("RoleName"),
                "Path": role.get("Path"),
                "AssumeRolePolicyDocument": _document(role.get("AssumeRolePolicyDocument")),
                "Policies": [{"PolicyName": name, "PolicyDocument": _document(doc)} for name, doc in inline],
                # An AWS-managed policy by its ARN, as a template names it, so check's model judges it alike (issue
                # 21); any other policy as a Ref to the policy resource below (keyed by its ARN), resolved to its
                # statements.
                "ManagedPolicyArns": [
                    policy_arn if managed_policies.aws_managed_name(policy_arn) else {"Ref": policy_arn}
                    for policy_arn, _ in managed
                ],
            },
        }
    }
    for policy_arn, document in managed:
        name = managed_policies.aws_managed_name(policy_arn)
        if name is not None and name in managed_policies.MODELS:
            continue  # judged by the shared model, as check judges it
        resources[policy_arn] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "ManagedPolicyName": policy_arn.rsplit("/", 1)[-1],
                "PolicyDocument": _document(document),
                "Roles": [{"Ref": arn}],
            },
        }
    return resources


def _document(document: Any) -> Any:
    """A policy document as a dict (boto3 decodes IAM's URL-encoded JSON; some endpoints return text)."""
    if isinstance(document, str):
        from urllib.parse import unquote

        try:
            return json.loads(unquote(document))
        except ValueError:
            return {}
    return document or {}


# ---------------------------------------------------------------------------------------------- acknowledgements
@dataclass(frozen=True)
class LiveAcknowledgement:
    """An accepted finding on a live resource: its ARN (a task definition family ARN covers every revision)."""

    arn: str
    control: str
    reason: str
    container: str | None = None
    variable: str | None = None

    def covers(self, resource_arn: str) -> bool:
        if resource_arn == self.arn:
            return True
        rest = resource_arn[len(self.arn) + 1 :] if resource_arn.startswith(self.arn + ":") else ""
        return ":task-definition/" in self.arn and rest.isdigit()

    def metadata(self) -> dict[str, str]:
        entry = {"control": self.control, "reason": self.reason}
        entry.update({k: v for k, v in (("container", self.container), ("variable", self.variable)) if v})
        return entry


def load_acknowledgements(path: str | Path) -> list[LiveAcknowledgement]:
    """Read ``acknowledgements: [{arn, control, reason, container?, variable?}]`` (YAML or JSON); every entry
    needs a reason that passes the pack's reason rule, or the file is refused as a whole."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScanError(f"{path}: cannot read acknowledgements: {error}") from None
    body = _parse(text, path) if text.strip() else []
    entries = body.get("acknowledgements") if isinstance(body, dict) else body
    if not isinstance(entries, list):
        raise ScanError(f"{path}: expected a list under 'acknowledgements'")
    return [_acknowledgement(entry, index, path) for index, entry in enumerate(entries)]


def _parse(text: str, path: str | Path) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        try:
            import yaml
        except ImportError:
            raise ScanError(f"{path}: not JSON, and PyYAML is not installed to read YAML") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ScanError(f"{path}: not valid YAML: {error}") from None


def _acknowledgement(entry: Any, index: int, path: str | Path) -> LiveAcknowledgement:
    where = f"{path}: acknowledgement {index + 1}"
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("arn", "control", "reason")):
        raise ScanError(f"{where}: needs arn, control and reason (strings)")
    problem = reason_problem(entry["reason"])
    if problem:
        raise ScanError(f"{where} ({entry['control']} on {entry['arn']}): reason {entry['reason']!r}: {problem}")
    optional = {k: entry[k] for k in ("container", "variable") if isinstance(entry.get(k), str)}
    return LiveAcknowledgement(entry["arn"], entry["control"], entry["reason"].strip(), **optional)


def apply_acknowledgements(resources: dict[str, Any], acknowledgements: Sequence[LiveAcknowledgement]) -> None:
    """Write each acknowledgement into the Metadata of the resources it covers: the engine then applies it exactly
    as it applies acknowledgements written by ``secure_fargate.acknowledge`` in a template."""
    for arn, resource in resources.items():
        entries = [ack.metadata() for ack in acknowledgements if ack.covers(arn)]
        if entries:
            block = (resource.get("Metadata") or {}).get(METADATA_KEY) or {}
            resource["Metadata"] = {METADATA_KEY: {"acknowledgements": [*block.get("acknowledgements", []), *entries]}}


# ------------------------------------------------------------------------------------------------- AWS reading
@dataclass
class Scanner:
    """Reads one account through boto3, read-only, and builds one template per region."""

    session: Any
    clusters: Sequence[str] = ()
    workers: int = DEFAULT_WORKERS
    warnings: list[str] = field(default_factory=list)
    #: Regions are read on several threads, and a boto3 session must not create clients on two at once: every
    #: client of this session is created under this lock (reentrant: a subclass may hold it around this method).
    _creating: Any = field(default_factory=threading.RLock, repr=False, compare=False)

    def client(self, service: str, region: str | None = None) -> Any:
        from botocore.config import Config

        config = Config(
            retries={"mode": "adaptive", "max_attempts": 10},
            max_pool_connections=self.workers + 2,
            user_agent_extra="secure-fargate-scan",
        )
        with self._creating:
            client = self.session.client(service, region_name=region, config=config)
        client.meta.events.register("before-call", _refuse_writes)
        return client

    def scan(self, regions: Sequence[str]) -> list[dict[str, Any]]:
        """The resources of each region; IAM (global) read once for every role any region references, and for every
        role whose trust policy names one of its task roles (one ``sts:AssumeRole`` away: what the pack's
        ``iam.assumable_roles`` follows in a template, so that check and scan judge the same hop)."""
        with ThreadPoolExecutor(max_workers=max(1, min(len(regions), 4))) as pool:
            per_region = list(pool.map(self._region_resources, regions))
        role_arns = {arn for resources in per_region for arn in _role_arns(resources)}
        task_role_arns = {arn for resources in per_region for arn in _role_arns(resources, ("TaskRoleArn",))}
        hops: dict[str, set[str]] = {}
        admitting: list[str] = []
        if task_role_arns:
            hops, admitting = self._guarded(
                "IAM: roles that trust a task role", lambda: self._trusting(task_role_arns), ({}, [])
            )
        roles = self._roles(sorted(role_arns))
        for task_role in sorted(task_role_arns):  # a role trusting an account: a hop where the task role may assume it
            for candidate in assumable_among(roles.get(task_role) or {}, task_role, admitting) if admitting else ():
                hops.setdefault(candidate, set()).add(task_role)
        roles.update(self._roles(sorted(set(hops) - role_arns)))
        for resources in per_region:
            own = set(_role_arns(resources, ("TaskRoleArn",)))
            wanted = set(_role_arns(resources)) | {hop for hop, trusted in hops.items() if trusted & own}
            for arn in sorted(wanted):
                resources.update(roles.get(arn, {}))
        return per_region

    def _trusting(self, task_role_arns: set[str]) -> tuple[dict[str, set[str]], list[str]]:
        """Over ``ListRoles`` (paginated, at most ``MAX_LISTED_ROLES`` roles: beyond, a warning says the rest were
        not read): role ARN -> the task roles its trust policy names, and the roles whose trust admits an account
        or ``*`` (a hop when a task role's policies allow ``sts:AssumeRole`` on them: ``iam.assumable_among``)."""
        client = self.client("iam")
        named: dict[str, set[str]] = {}
        admitting: list[str] = []
        listed = 0
        for page in client.get_paginator("list_roles").paginate():
            for role in page.get("Roles") or []:
                listed += 1
                if listed > MAX_LISTED_ROLES:
                    self.warnings.append(
                        f"IAM: more than {MAX_LISTED_ROLES} roles; roles beyond them were not read for trust in a task "
                        "role (SF.SECRETS, SF.TASK_ROLE judged the hop on the first ones only)"
                    )
                    return named, admitting
                arn = str(role.get("Arn"))
                if arn in task_role_arns:
                    continue
                document = role.get("AssumeRolePolicyDocument")
                trusted = trusted_task_roles(document, task_role_arns)
                if trusted:
                    named[arn] = trusted
                elif trusts_an_account(document):
                    admitting.append(arn)
        return named, admitting

    def _guarded(self, what: str, read: Callable[[], Any], default: Any = None) -> Any:
        """``read()``, or ``default`` and a warning line when what it reads cannot be read or converted: the scan
        always reports what it could judge. A refused write (:class:`ScanError`) is a bug, never a warning."""
        try:
            return read()
        except ScanError:
            raise
        except Exception as error:  # botocore's errors, an unexpected shape: say what was not judged
            if _fatal(error):  # no credentials or no endpoint: nothing can be read, so the scan cannot run
                raise
            self.warnings.append(f"{what}: not read ({_code(error)}); its controls were not run")
            return default

    def _region_resources(self, region: str) -> dict[str, Any]:
        """Everything of one region the pack judges; anything unreadable is a warning, never an abort."""
        resources: dict[str, Any] = {}
        ecs, ec2 = self.client("ecs", region), self.client("ec2", region)
        clusters = self._guarded(f"{region}: clusters", lambda: self._clusters(ecs), [])
        for cluster in clusters:
            self._convert(resources, cluster, "clusterArn", cluster_resource)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            services = [s for batch in pool.map(lambda c: self._cluster_services(ecs, c), clusters) for s in batch]
            tasks = [t for batch in pool.map(lambda c: self._standalone_tasks(ecs, c), clusters) for t in batch]
        task_sets = self._add_services(ecs, services, resources)
        interfaces = self._interfaces(ec2, region, tasks)
        for task in tasks:
            self._convert(resources, task, "taskArn", lambda api: run_task_resource(api, interfaces))
        revisions = {r.get("taskDefinition") for r in [*services, *task_sets]} | {
            t.get("taskDefinitionArn") for t in tasks
        }
        families: list[str] = []
        if not self.clusters:  # a cluster filter narrows the scan to what those clusters run
            families = self._guarded(f"{region}: task definition families", lambda: self._families(ecs), [])
        wanted = sorted({r for r in revisions if isinstance(r, str) and r} | set(families))
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for resource in pool.map(lambda a: self._task_definition(ecs, a), wanted):
                if resource:
                    arn, body = resource
                    resources[arn] = body
        groups = _group_ids([*services, *task_sets]) | {
            g["GroupId"] for i in interfaces.values() for g in i.get("Groups") or [] if g.get("GroupId")
        }
        resources.update(self._guarded(f"{region}: security groups", lambda: self._security_groups(ec2, groups), {}))
        if not self.clusters:  # the registry belongs to the account, not to a cluster
            resources.update(self._registry(region))
        return resources

    def _cluster_services(self, ecs: Any, cluster: Mapping[str, Any]) -> list[dict[str, Any]]:
        arn = cluster.get("clusterArn", "")
        return self._guarded(f"{arn}: services", lambda: self._services(ecs, arn), [])  # type: ignore[no-any-return]

    def _add_services(self, ecs: Any, services: Sequence[Mapping[str, Any]], resources: dict[str, Any]) -> list[Any]:
        """Write each service and its task sets into ``resources``; return the task sets."""
        found: list[Any] = []
        for service in services:
            if not self._convert(resources, service, "serviceArn", service_resource):
                continue
            arn = str(service["serviceArn"])
            for task_set in self._task_sets(ecs, service):
                if self._convert(resources, task_set, "taskSetArn", partial(task_set_resource, service_arn=arn)):
                    found.append(task_set)
        return found

    def _task_sets(self, ecs: Any, service: Mapping[str, Any]) -> list[Any]:
        """The service's task sets: DescribeServices carries them; described again if it did not."""
        task_sets = service.get("taskSets")
        controller = (service.get("deploymentController") or {}).get("type")
        if task_sets is None and controller in ("EXTERNAL", "CODE_DEPLOY"):

            def read() -> list[Any]:
                return list(
                    ecs.describe_task_sets(cluster=service["clusterArn"], service=service["serviceArn"])["taskSets"]
                )

            task_sets = self._guarded(f"{service['serviceArn']}: task sets", read, [])
        return list(task_sets or [])

    def _convert(
        self, resources: dict[str, Any], api: Mapping[str, Any], key: str, build: Callable[[Any], dict[str, Any]]
    ) -> bool:
        """``resources[api[key]] = build(api)``; a warning (and False) when the API object cannot be converted."""

        def put() -> bool:
            resources[str(api[key])] = build(api)
            return True

        return bool(self._guarded(str(api.get(key, key)), put, False))

    def _standalone_tasks(self, ecs: Any, cluster: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The running tasks of a cluster that no service started (``RunTask``: schedules, state machines, CLI)."""
        arn = cluster.get("clusterArn", "")

        def read() -> list[dict[str, Any]]:
            pages = ecs.get_paginator("list_tasks").paginate(cluster=arn, desiredStatus="RUNNING")
            arns = [task for page in pages for task in page["taskArns"]]
            found: list[dict[str, Any]] = []
            for batch in _batches(arns, 100):
                found += ecs.describe_tasks(cluster=arn, tasks=batch, include=["TAGS"])["tasks"]
            return [t for t in found if not started_by_service(t)]

        return self._guarded(f"{arn}: tasks", read, [])  # type: ignore[no-any-return]

    def _interfaces(self, ec2: Any, region: str, tasks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        ids = sorted({eni for task in tasks for eni in _task_interfaces(task)})

        def read() -> dict[str, Any]:
            found: dict[str, Any] = {}
            for batch in _batches(ids, 200):
                for page in ec2.get_paginator("describe_network_interfaces").paginate(NetworkInterfaceIds=batch):
                    found.update({i["NetworkInterfaceId"]: i for i in page["NetworkInterfaces"]})
            return found

        return self._guarded(f"{region}: task network interfaces", read, {}) if ids else {}  # type: ignore[no-any-return]

    @staticmethod
    def _families(ecs: Any) -> list[str]:
        """Every ACTIVE task definition family (each is described at its latest ACTIVE revision)."""
        pages = ecs.get_paginator("list_task_definition_families").paginate(status="ACTIVE")
        return [family for page in pages for family in page["families"]]

    def _clusters(self, ecs: Any) -> list[dict[str, Any]]:
        arns = [arn for page in ecs.get_paginator("list_clusters").paginate() for arn in page["clusterArns"]]
        if self.clusters:
            wanted = set(self.clusters)
            arns = [a for a in arns if a in wanted or a.rsplit("/", 1)[-1] in wanted]
        found: list[dict[str, Any]] = []
        for batch in _batches(arns, 100):
            found += ecs.describe_clusters(clusters=batch, include=["SETTINGS", "TAGS", "CONFIGURATIONS"])["clusters"]
        return found

    def _services(self, ecs: Any, cluster: str) -> list[dict[str, Any]]:
        pages = ecs.get_paginator("list_services").paginate(cluster=cluster)
        arns = [arn for page in pages for arn in page["serviceArns"]]
        found: list[dict[str, Any]] = []
        for batch in _batches(arns, 10):
            found += ecs.describe_services(cluster=cluster, services=batch, include=["TAGS"])["services"]
        return found

    def _task_definition(self, ecs: Any, arn: str) -> tuple[str, dict[str, Any]] | None:
        """(revision ARN, resource) of a revision ARN or a family (its latest ACTIVE revision)."""
        found = self._described_task_definition(ecs, arn)
        return None if found is None else (found[0], found[1])

    def _described_task_definition(self, ecs: Any, arn: str) -> tuple[str, dict[str, Any], str] | None:
        """(revision ARN, resource, status) of a revision ARN or a family; None and a warning when not read."""

        def read() -> tuple[str, dict[str, Any], str]:
            answer = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
            definition = answer["taskDefinition"]
            resource = task_definition_resource(definition, answer.get("tags") or [])
            return definition["taskDefinitionArn"], resource, str(definition.get("status") or "ACTIVE")

        return self._guarded(arn, read)  # type: ignore[no-any-return]

    def _security_groups(self, ec2: Any, ids: set[str]) -> dict[str, Any]:
        """Group ID -> group resource, plus the customer-managed prefix lists their rules name (by list ID)."""
        resources: dict[str, Any] = {}
        for batch in _batches(sorted(ids), 200):
            for page in ec2.get_paginator("describe_security_groups").paginate(GroupIds=batch):
                resources.update({g["GroupId"]: security_group_resource(g) for g in page["SecurityGroups"]})
        named = {i for group in resources.values() for i in prefix_list_ids(group)}
        lists = self._guarded(f"prefix lists {sorted(named)}", lambda: self._prefix_lists(ec2, named), {})
        return link_prefix_lists(resources, lists if isinstance(lists, dict) else {})

    @staticmethod
    def _prefix_lists(ec2: Any, ids: set[str]) -> dict[str, Any]:
        """Prefix list ID -> ``AWS::EC2::PrefixList`` for the customer-managed lists among ``ids`` (the account's
        own or shared with it); AWS-managed lists (owner ``AWS``) are service ranges, neither read nor judged."""
        found: dict[str, Any] = {}
        for batch in _batches(sorted(ids), 100):
            pages = ec2.get_paginator("describe_managed_prefix_lists").paginate(PrefixListIds=batch)
            for api in [p for page in pages for p in page.get("PrefixLists") or []]:
                if api.get("OwnerId") == AWS_OWNER:
                    continue
                entries_pages = ec2.get_paginator("get_managed_prefix_list_entries").paginate(
                    PrefixListId=api["PrefixListId"]
                )
                entries = [e for page in entries_pages for e in page.get("Entries") or []]
                found[api["PrefixListId"]] = prefix_list_resource(api, entries)
        return found

    def _registry(self, region: str) -> dict[str, Any]:
        """The region's ECR repositories and the registry's scanning configuration."""
        ecr = self.client("ecr", region)
        resources: dict[str, Any] = {}

        def repositories() -> list[Any]:
            pages = ecr.get_paginator("describe_repositories").paginate()
            return [repo for page in pages for repo in page["repositories"]]

        for repo in self._guarded(f"{region}: ECR repositories", repositories, []):
            self._convert(resources, repo, "repositoryArn", lambda api: self._repository(ecr, region, api))
        config = self._guarded(f"{region}: registry scanning configuration", ecr.get_registry_scanning_configuration)
        if config:
            resources[f"registry-scanning:{region}:{config.get('registryId', '')}"] = registry_scanning_resource(config)
        return resources

    def _repository(self, ecr: Any, region: str, repo: Mapping[str, Any]) -> dict[str, Any]:
        name = repo["repositoryName"]
        lifecycle = _optional(lambda: ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
        policy = _optional(lambda: ecr.get_repository_policy(repositoryName=name)["policyText"])
        key = (repo.get("encryptionConfiguration") or {}).get("kmsKey")
        managed = bool(key) and self.aws_managed_key(region, str(key))
        arn = repo.get("repositoryArn", name)

        def tags() -> list[Any]:
            return list(ecr.list_tags_for_resource(resourceArn=arn).get("tags") or [])

        found = self._guarded(f"{arn}: tags", tags, [])
        return repository_resource(repo, lifecycle, policy, aws_managed_key=managed, tags=found)

    def aws_managed_key(self, region: str | None, key: str) -> bool:
        """Whether KMS key ``key`` is AWS managed (``aws/ecr``), which ECR.5 refuses; False and a warning when
        the key cannot be described."""

        def aws_managed() -> bool:
            return bool(self.client("kms", region).describe_key(KeyId=key)["KeyMetadata"].get("KeyManager") == "AWS")

        return bool(self._guarded(f"{key}: KMS key", aws_managed, False))

    # One resource's context, for callers that judge one item rather than an account (the Config rule).
    def read_roles(self, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Role ARN -> the role's resources (``role_resources``); {} and a warning for a role not read."""
        return self._roles(list(arns))

    def read_task_definition(self, arn: str, region: str | None = None) -> tuple[str, dict[str, Any], str] | None:
        """(revision ARN, resource, status: ACTIVE, INACTIVE...) of a revision ARN; None and a warning when it
        cannot be read."""
        return self._described_task_definition(self.client("ecs", region), arn)

    def read_registry_scanning(self, region: str | None = None) -> dict[str, Any]:
        """The registry's scanning configuration (keyed as ``scan`` keys it), which ECR.1 reads; {} and a
        warning when it cannot be read."""
        ecr = self.client("ecr", region)
        config = self._guarded(
            f"{region or 'region'}: registry scanning configuration", ecr.get_registry_scanning_configuration
        )
        if not config:
            return {}
        where = region or ecr.meta.region_name
        return {f"registry-scanning:{where}:{config.get('registryId', '')}": registry_scanning_resource(config)}

    def read_security_groups(self, ids: set[str], region: str | None = None) -> dict[str, Any]:
        """Group ID -> security group resource; {} and a warning when they cannot be read."""
        ec2 = self.client("ec2", region)
        groups = self._guarded(f"security groups {sorted(ids)}", lambda: self._security_groups(ec2, ids), {})
        return groups if isinstance(groups, dict) else {}

    def _roles(self, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not arns:
            return {}
        iam = self.client("iam")
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return dict(zip(arns, pool.map(lambda arn: self._role(iam, arn), arns), strict=True))

    def _role(self, iam: Any, arn: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        name = arn.rsplit("/", 1)[-1]
        try:
            role = iam.get_role(RoleName=name)["Role"]
            if role["Arn"] != arn:  # another account's role of the same name: not ours to read
                raise LookupError(f"{arn} belongs to another account")
            inline = [
                (policy, iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
                for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
                for policy in page["PolicyNames"]
            ]
            managed = [
                (p["PolicyArn"], self._policy_document(iam, p["PolicyArn"]))
                for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
                for p in page["AttachedPolicies"]
            ]
        except (ClientError, LookupError) as error:
            self.warnings.append(f"{arn}: role not read ({_code(error)}); its policies were not judged")
            return {}
        return role_resources(role, inline, managed)

    @staticmethod
    def _policy_document(iam: Any, arn: str) -> Any:
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def _refuse_writes(model: Any, **kwargs: Any) -> None:
    """A botocore before-call hook: anything outside READ_ONLY_ACTIONS is refused before it is sent."""
    service = model.service_model.service_name  # "ecr", not its endpoint prefix "api.ecr"
    if model.name not in READ_ONLY_ACTIONS.get(service, frozenset()):
        raise ScanError(f"refused {service}:{model.name}: the scanner only reads ({sorted(READ_ONLY_ACTIONS)})")


def _group_ids(resources: Iterable[Mapping[str, Any]]) -> set[str]:
    """The security groups of services and task sets (API shape)."""
    return {g for r in resources for g in _awsvpc_groups(r)}


#: Errors that mean nothing at all can be read (credentials, the endpoint): the scan stops with exit 2 instead of
#: reporting a clean account made of warnings.
FATAL_CODES = frozenset(
    {"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "AuthFailure",
     "SignatureDoesNotMatch", "InvalidSignatureException"}
)  # fmt: skip


def _fatal(error: Exception) -> bool:
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError, PartialCredentialsError

    fatal = (NoCredentialsError, PartialCredentialsError, NoRegionError, EndpointConnectionError)
    return isinstance(error, fatal) or _code(error) in FATAL_CODES


#: ECR's answers for a repository without a lifecycle or repository policy: absent, not unreadable.
_ABSENT_CODES = frozenset({"LifecyclePolicyNotFoundException", "RepositoryPolicyNotFoundException"})


def _optional(read: Callable[[], Any]) -> Any:
    """``read()``, or None when ECR answers that the policy does not exist."""
    from botocore.exceptions import ClientError

    try:
        return read()
    except ClientError as error:
        if _code(error) in _ABSENT_CODES:
            return None
        raise


#: Most roles read by ``ListRoles`` when looking for the roles that trust a task role.
MAX_LISTED_ROLES = 10_000


def _trusted(document: Any) -> Iterator[str]:
    """The ``Principal.AWS`` values (and a ``Principal: "*"``) of a live trust policy's Allow statements."""
    doc = _document(document)
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        named = principal.get("AWS") if isinstance(principal, dict) else principal
        yield from (v for v in (named if isinstance(named, list) else [named]) if isinstance(v, str))


def trusts_an_account(document: Any) -> bool:
    """True when a live trust policy admits an account or ``*`` (``iam.admits_an_account``)."""
    return any(admits_an_account(value) for value in _trusted(document))


def trusted_task_roles(document: Any, task_role_arns: set[str]) -> set[str]:
    """The task roles (of ``task_role_arns``) that a trust policy's Allow statements name as ``Principal.AWS``: a
    candidate hop, fetched and built as a role resource so that the pack's own rule (``iam.assumable_roles``) judges
    it, as it judges a template's roles. Role ARNs compare case-insensitively (IAM role names do)."""
    by_lower = {arn.lower(): arn for arn in task_role_arns}
    return {by_lower[value.lower()] for value in _trusted(document) if value.lower() in by_lower}


def _role_arns(
    resources: Mapping[str, Any], keys: Sequence[str] = ("TaskRoleArn", "ExecutionRoleArn")
) -> Iterator[str]:
    for resource in resources.values():
        if resource.get("Type") == "AWS::ECS::TaskDefinition":
            for key in keys:
                value = resource["Properties"].get(key)
                if isinstance(value, dict):
                    yield value["Fn::GetAtt"][0]


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code")) if isinstance(response, dict) else str(error)


# --------------------------------------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``scan`` subcommand's options."""
    parser.add_argument("--regions", help="comma-separated regions (default: the session's region)")
    parser.add_argument("--cluster", action="append", default=[], help="only this cluster (name or ARN); repeatable")
    parser.add_argument("--acknowledgements", help="YAML/JSON file: acknowledgements: [{arn, control, reason}]")
    parser.add_argument(
        "--no-tag-acknowledgements",
        dest="tag_acknowledgements",
        action="store_false",
        help="ignore secure-fargate:ack:<ID> resource tags (default: honour them, as the Config rule does)",
    )
    parser.add_argument("--profile", help="AWS profile (default: the environment's credentials)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="concurrent calls per region")
    parser.add_argument(
        "--format",
        choices=("text", "json", "sarif", "asff"),
        default="text",
        help="asff: AWS Security Finding Format, for aws securityhub batch-import-findings",
    )
    parser.add_argument("--output", "-o", help="write the report to this file instead of standard output")


def scan_account(
    session: Any,
    regions: Sequence[str],
    *,
    clusters: Sequence[str] = (),
    acknowledgements: Sequence[LiveAcknowledgement] = (),
    workers: int = DEFAULT_WORKERS,
    controls: Sequence[Control] | None = None,
    fail_on: Severity = DEFAULT_FAIL_ON,
    tag_acknowledgements: bool = True,
) -> tuple[list[Finding], int, list[str]]:
    """Findings, exit code (``check``'s) and warnings for the live resources of ``regions``.

    Args:
        session: a ``boto3.session.Session`` (its credentials; endpoints from its configuration).
        regions: the regions to scan.
        clusters: only these clusters (names or ARNs); default every cluster.
        acknowledgements: accepted findings on live resources, by ARN.
        workers: concurrent describe calls per region.
        controls: the controls to run (default: the default standards', as ``check``).
        fail_on: the lowest severity of an open finding that fails the scan (default LOW).
        tag_acknowledgements: honour ``secure-fargate:ack:<ID>`` resource tags (``tag_acks``); default True.
    """
    scanner = Scanner(session, clusters=clusters, workers=workers)
    templates = []
    for region, resources in zip(regions, scanner.scan(regions), strict=True):
        apply_acknowledgements(resources, acknowledgements)
        if tag_acknowledgements:
            scanner.warnings += apply_tag_acknowledgements(resources)
        templates.append(Template({"Resources": resources}, name=f"live:{region}"))
    findings, code = verdict(templates, controls, fail_on)
    return findings, code, scanner.warnings


def render(findings: Sequence[Finding], fmt: str, controls: Sequence[Control] | None = None) -> str:
    if fmt == "json":
        return json.dumps([f.to_dict() for f in findings], indent=2)
    if fmt == "sarif":
        ran = controls_in() if controls is None else controls
        return json.dumps(sarif.report(list(findings), controls=ran), indent=2)
    if fmt == "asff":
        return json.dumps(asff.report(findings, controls={c.id: c for c in controls or ()}), indent=2)
    return text_report(findings)


def run(args: argparse.Namespace, session_factory: Callable[..., Any] | None = None) -> int:
    """``secure-fargate scan``: exit 0 clean, 1 findings, 2 error (as ``check``)."""
    from .cli import run_settings  # the CLI's own option parsing; late, the CLI imports this module

    try:
        controls, fail_on = run_settings(args)
        session = _session(args, session_factory)
        regions = [r.strip() for r in (args.regions or session.region_name or "").split(",") if r.strip()]
        if not regions:
            raise ScanError("no region: give --regions or configure one (AWS_REGION, profile)")
        acks = load_acknowledgements(args.acknowledgements) if args.acknowledgements else []
        findings, code, warnings = scan_account(
            session,
            regions,
            clusters=args.cluster,
            acknowledgements=acks,
            workers=max(1, args.workers),
            controls=controls,
            fail_on=fail_on,
            tag_acknowledgements=getattr(args, "tag_acknowledgements", True),
        )
    except Exception as error:  # botocore's errors, credentials, ScanError: one line, exit 2
        print(f"secure-fargate scan: error: {error}", file=sys.stderr)
        return ERROR
    for warning in warnings:
        print(f"secure-fargate scan: warning: {warning}", file=sys.stderr)
    try:
        report = render(findings, args.format, controls)
    except asff.AsffError as error:
        print(f"secure-fargate scan: error: {error}", file=sys.stderr)
        return ERROR
    if args.output:
        Path(args.output).write_text(report + "\n", encoding="utf-8")
    else:
        print(report)
    return code


def _session(args: argparse.Namespace, factory: Callable[..., Any] | None) -> Any:
    if factory is None:
        factory = new_session
    return factory(profile_name=args.profile) if args.profile else factory()
