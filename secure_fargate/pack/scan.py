"""``secure-fargate scan``: audit what runs. Rebuild the CloudFormation form of live ECS clusters, services, the
task-definition revisions they run, their task sets, roles and security groups, and give it ``check``'s verdict.

Read-only by construction: every client refuses, before sending, any operation outside :data:`READ_ONLY_ACTIONS`
(README "Enforcement" lists them as IAM actions). Every list call is paginated; throttling is retried by botocore's
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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import sarif
from ._template import Template
from .catalog import controls_in
from .control import DEFAULT_FAIL_ON, Control, Severity
from .engine import METADATA_KEY, Finding
from .reasons import reason_problem
from .report import text_report
from .verdict import ERROR, verdict

#: The only operations the scanner may call, per service; their IAM actions are ``<service>:<Operation>``.
READ_ONLY_ACTIONS: Mapping[str, frozenset[str]] = {
    "ecs": frozenset(
        {"ListClusters", "DescribeClusters", "ListServices", "DescribeServices", "DescribeTaskDefinition"}
    ),
    "iam": frozenset(
        {"GetRole", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies", "GetPolicy", "GetPolicyVersion"}
    ),
    "ec2": frozenset({"DescribeSecurityGroups"}),
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
    props["TaskDefinition"] = {"Ref": api.get("taskDefinition")}
    if api.get("roleArn"):
        props["Role"] = api["roleArn"]
    _link_groups(props)
    return {"Type": "AWS::ECS::Service", "Properties": props}


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


def security_group_resource(api: Mapping[str, Any]) -> dict[str, Any]:
    ingress = []
    for permission in api.get("IpPermissions") or []:
        base = {k: permission[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in permission}
        ingress += [{**base, "CidrIp": r["CidrIp"]} for r in permission.get("IpRanges") or []]
        ingress += [{**base, "CidrIpv6": r["CidrIpv6"]} for r in permission.get("Ipv6Ranges") or []]
        ingress += [{**base, "SourceSecurityGroupId": p["GroupId"]} for p in permission.get("UserIdGroupPairs") or []]
    props = {
        "GroupDescription": api.get("Description", ""),
        "GroupName": api.get("GroupName"),
        "VpcId": api.get("VpcId"),
    }
    return {"Type": "AWS::EC2::SecurityGroup", "Properties": {**props, "SecurityGroupIngress": ingress}}


def role_resources(
    role: Mapping[str, Any], inline: Sequence[tuple[str, Any]], managed: Sequence[tuple[str, Any]]
) -> dict[str, Any]:
    """The role (trust, inline policies) and one AWS::IAM::ManagedPolicy per attached policy, attached by Ref."""
    arn = role["Arn"]
    resources: dict[str, Any] = {
        arn: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": role.get("RoleName"),
                "Path": role.get("Path"),
                "AssumeRolePolicyDocument": _document(role.get("AssumeRolePolicyDocument")),
                "Policies": [{"PolicyName": name, "PolicyDocument": _document(doc)} for name, doc in inline],
                # A Ref to the policy resource below (keyed by its ARN): the pack resolves it to its statements.
                "ManagedPolicyArns": [{"Ref": policy_arn} for policy_arn, _ in managed],
            },
        }
    }
    for policy_arn, document in managed:
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
            resource["Metadata"] = {METADATA_KEY: {"acknowledgements": entries}}


# ------------------------------------------------------------------------------------------------- AWS reading
@dataclass
class Scanner:
    """Reads one account through boto3, read-only, and builds one template per region."""

    session: Any
    clusters: Sequence[str] = ()
    workers: int = DEFAULT_WORKERS
    warnings: list[str] = field(default_factory=list)

    def client(self, service: str, region: str | None = None) -> Any:
        from botocore.config import Config

        config = Config(
            retries={"mode": "adaptive", "max_attempts": 10},
            max_pool_connections=self.workers + 2,
            user_agent_extra="secure-fargate-scan",
        )
        client = self.session.client(service, region_name=region, config=config)
        client.meta.events.register("before-call", _refuse_writes)
        return client

    def scan(self, regions: Sequence[str]) -> list[dict[str, Any]]:
        """The resources of each region; IAM (global) read once for every role any region references."""
        with ThreadPoolExecutor(max_workers=max(1, min(len(regions), 4))) as pool:
            per_region = list(pool.map(self._region_resources, regions))
        role_arns = sorted({arn for resources in per_region for arn in _role_arns(resources)})
        roles = self._roles(role_arns)
        for resources in per_region:
            for arn in sorted(set(_role_arns(resources))):
                resources.update(roles.get(arn, {}))
        return per_region

    def _region_resources(self, region: str) -> dict[str, Any]:
        ecs, ec2 = self.client("ecs", region), self.client("ec2", region)
        resources: dict[str, Any] = {}
        clusters = self._clusters(ecs)
        resources.update({c["clusterArn"]: cluster_resource(c) for c in clusters})
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            services = [
                s for batch in pool.map(lambda c: self._services(ecs, c["clusterArn"]), clusters) for s in batch
            ]
            for service in services:
                resources[service["serviceArn"]] = service_resource(service)
                for task_set in service.get("taskSets") or []:
                    resources[task_set["taskSetArn"]] = task_set_resource(task_set, service["serviceArn"])
            task_definitions = sorted({s["taskDefinition"] for s in services} | _task_set_definitions(services))
            for arn, resource in zip(
                task_definitions, pool.map(lambda a: self._task_definition(ecs, a), task_definitions), strict=True
            ):
                if resource:
                    resources[arn] = resource
        resources.update(self._security_groups(ec2, services))
        return resources

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

    def _task_definition(self, ecs: Any, arn: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            answer = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        except ClientError as error:
            self.warnings.append(f"{arn}: not described ({_code(error)}); its controls were not run")
            return None
        return task_definition_resource(answer["taskDefinition"], answer.get("tags") or [])

    def _security_groups(self, ec2: Any, services: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        ids = sorted(
            {g for s in services for g in _awsvpc_groups(s)}
            | {g for s in services for t in s.get("taskSets") or [] for g in _awsvpc_groups(t)}
        )
        resources: dict[str, Any] = {}
        for batch in _batches(ids, 200):
            for page in ec2.get_paginator("describe_security_groups").paginate(GroupIds=batch):
                resources.update({g["GroupId"]: security_group_resource(g) for g in page["SecurityGroups"]})
        return resources

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
    service = model.service_model.endpoint_prefix
    if model.name not in READ_ONLY_ACTIONS.get(service, frozenset()):
        raise ScanError(f"refused {service}:{model.name}: the scanner only reads ({sorted(READ_ONLY_ACTIONS)})")


def _task_set_definitions(services: Iterable[Mapping[str, Any]]) -> set[str]:
    return {t["taskDefinition"] for s in services for t in s.get("taskSets") or [] if t.get("taskDefinition")}


def _role_arns(resources: Mapping[str, Any]) -> Iterator[str]:
    for resource in resources.values():
        if resource.get("Type") == "AWS::ECS::TaskDefinition":
            for key in ("TaskRoleArn", "ExecutionRoleArn"):
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
    parser.add_argument("--profile", help="AWS profile (default: the environment's credentials)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="concurrent calls per region")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
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
    """
    scanner = Scanner(session, clusters=clusters, workers=workers)
    templates = []
    for region, resources in zip(regions, scanner.scan(regions), strict=True):
        apply_acknowledgements(resources, acknowledgements)
        templates.append(Template({"Resources": resources}, name=f"live:{region}"))
    findings, code = verdict(templates, controls, fail_on)
    return findings, code, scanner.warnings


def render(findings: Sequence[Finding], fmt: str, controls: Sequence[Control] | None = None) -> str:
    if fmt == "json":
        return json.dumps([f.to_dict() for f in findings], indent=2)
    if fmt == "sarif":
        ran = controls_in() if controls is None else controls
        return json.dumps(sarif.report(list(findings), controls=ran), indent=2)
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
        )
    except Exception as error:  # botocore's errors, credentials, ScanError: one line, exit 2
        print(f"secure-fargate scan: error: {error}", file=sys.stderr)
        return ERROR
    for warning in warnings:
        print(f"secure-fargate scan: warning: {warning}", file=sys.stderr)
    report = render(findings, args.format, controls)
    if args.output:
        Path(args.output).write_text(report + "\n", encoding="utf-8")
    else:
        print(report)
    return code


def _session(args: argparse.Namespace, factory: Callable[..., Any] | None) -> Any:
    if factory is None:
        import boto3

        factory = boto3.session.Session
    return factory(profile_name=args.profile) if args.profile else factory()
