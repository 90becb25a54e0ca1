"""The AWS Config custom rule's handler: ``check``'s verdict on each ECS/ECR configuration item Config records.

Contract (AWS Config developer guide, "Example Events for AWS Config Rules" and "Writing a Lambda function for
an AWS Config custom rule"): Config invokes the function asynchronously with ``invokingEvent`` (a JSON *string*),
``ruleParameters`` (JSON string, not read: settings come from the environment as the hook's do),
``resultToken``, ``eventLeftScope``, ``accountId``, ``configRuleArn``/``configRuleName``. ``invokingEvent``'s
``messageType`` is one of

- ``ConfigurationItemChangeNotification``: the item is in ``configurationItem`` (``configuration`` an object);
- ``OversizedConfigurationItemChangeNotification``: only a ``configurationItemSummary``; the item is read with
  ``config:GetResourceConfigHistory`` (``laterTime`` = the summary's capture time, ``limit`` 1);
- ``ScheduledNotification`` (periodic): every recorded resource of :data:`RESOURCE_TYPES` is listed
  (``config:ListDiscoveredResources``) and its latest item read with ``config:GetResourceConfigHistory``
  (``BatchGetResourceConfig`` would be fewer calls, but its items carry no tags). Periodic runs exist for what
  changes without an ECS item changing: a role's policies, a security group's rules.

Each item becomes the pack's resource model, the CloudFormation form ``scan`` builds from API shapes: the
item's ``configuration`` (CloudFormation-like PascalCase, with Config's own spellings such as
``EfsVolumeConfiguration``/``FileSystemId``/``Iam``) is turned into the ECS/ECR API shape (:func:`to_api`)
and built by scan's builders (``task_definition_resource``, ``service_resource``, ...), so Config, ``scan``,
``check`` and the hook judge one model with one :func:`~secure_fargate.pack.verdict.verdict`. What Config
does not carry is read read-only through scan's reader: the IAM roles a task definition names (their inline
and attached policies), a service's or task set's task definition (``ecs:DescribeTaskDefinition``), their
security groups, and whether a repository's KMS key is AWS managed. Tag acknowledgements
(``secure-fargate:ack:<ID>`` tags, ``tag_acks``) are applied to the model before the verdict.

Evaluations (``config:PutEvaluations``, <= 100 a call): NON_COMPLIANT when an open finding on the item (or on a
role/policy/security group read only on its behalf) is at least ``SECURE_FARGATE_FAIL_ON``; COMPLIANT
otherwise; NOT_APPLICABLE for deleted items, items that left the rule's scope, task definitions not compatible
with FARGATE, services/task sets with an EC2 or EXTERNAL launch type, INACTIVE task-definition revisions, and
items the handler cannot read (the annotation says why, and the log line carries the detail). Annotations
(<= 256 characters, Config's limit) name the failing control IDs, most severe first, then as many messages as fit,
and say ``+N more`` for what was cut. Errors that are not the item's fault (an AWS API error, a bug) are logged
and re-raised: the invocation fails and Config shows the rule's last evaluation as failed (Lambda retries an
asynchronous invocation twice; nothing loops).

Pure Python and the standard library; boto3 is the Lambda runtime's, imported lazily (the pack stays
importable without it).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._aws import new_session
from ._template import Template
from .control import Control, Severity
from .engine import Finding
from .hook_handler import FAIL_ON_VARIABLE, STANDARDS_VARIABLE, settings
from .scan import (
    OPAQUE_MAPS,
    RENAMES,
    Scanner,
    cfn_key,
    cluster_resource,
    linked_prefix_lists,
    repository_resource,
    service_resource,
    task_definition_resource,
    task_set_resource,
)
from .tag_acks import apply_tag_acknowledgements
from .verdict import verdict

#: When set, and an event's ``accountId`` is not the function's own account, the handler assumes
#: ``arn:aws:iam::<accountId>:role/<name>`` for every read and for PutEvaluations in that account.
MEMBER_ROLE_VARIABLE = "SECURE_FARGATE_MEMBER_ROLE_NAME"
#: The session name of the member-role assumption (visible in the member account's CloudTrail).
SESSION_NAME = "secure-fargate-config"

#: Every IAM action the function needs in the account it judges (the member role grants these; in a single
#: account, the function's own role). Reads only, but for ``config:PutEvaluations``.
REQUIRED_ACTIONS: tuple[str, ...] = (
    "config:PutEvaluations",
    "config:GetResourceConfigHistory",
    "config:ListDiscoveredResources",
    "ecs:DescribeTaskDefinition",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeManagedPrefixLists",
    "ec2:GetManagedPrefixListEntries",
    "kms:DescribeKey",
    "ecr:GetRegistryScanningConfiguration",
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)

TASK_DEFINITION = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"
CLUSTER = "AWS::ECS::Cluster"
TASK_SET = "AWS::ECS::TaskSet"
REPOSITORY = "AWS::ECR::Repository"
#: The resource types the rule is triggered by (its scope) and lists in a periodic run.
RESOURCE_TYPES: tuple[str, ...] = (TASK_DEFINITION, SERVICE, CLUSTER, TASK_SET, REPOSITORY)

COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE = "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"
#: Config refuses an annotation longer than this.
ANNOTATION_LIMIT = 256
#: PutEvaluations takes at most 100 evaluations a call.
BATCH_SIZE = 100
#: The largest ``invokingEvent`` or item ``configuration`` text read (Config's own items stay far below).
MAX_TEXT_CHARS = 4 * 1024 * 1024
#: Item statuses of a resource that no longer exists.
DELETED_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded"})
CHANGE, OVERSIZED, SCHEDULED = (
    "ConfigurationItemChangeNotification",
    "OversizedConfigurationItemChangeNotification",
    "ScheduledNotification",
)
#: Concurrent reads of a periodic run: item histories, then each page's context (botocore's adaptive retries
#: absorb throttling).
READ_WORKERS = 8
#: The result token Config's test tooling (the RDK) sends: PutEvaluations then runs with ``TestMode``.
TEST_MODE_TOKEN = "TESTMODE"

#: Config's spellings (CloudFormation's and its own) whose API name is not the name with a lower-case initial.
#: Config's own ``EfsVolumeConfiguration``/``FileSystemId``/``Iam`` need no entry: their lower-case initial is
#: the API name, which scan's ``RENAMES`` then spell as CloudFormation does.
API_NAMES: Mapping[str, str] = {
    **{cfn: api for api, cfn in RENAMES.items()},
    "AwsVpcConfiguration": "awsvpcConfiguration",  # a task set's (and Config's TaskSet item's) spelling
}
#: Values kept as they are: scan's user-data maps, and a repository's policy (an IAM document, not ECR's shape).
VERBATIM = OPAQUE_MAPS | {"repositoryPolicyText"}
#: Top-level configuration names, per type, that the API spells differently (the rest: lower-case initial).
TOP_LEVEL_NAMES: Mapping[str, Mapping[str, str]] = {
    SERVICE: {"Cluster": "clusterArn", "Role": "roleArn", "PlacementStrategies": "placementStrategy",
              "Name": "serviceName", "ServiceArn": "serviceArn", "TaskDefinition": "taskDefinition"},
    TASK_SET: {"Cluster": "clusterArn", "Service": "serviceArn", "TaskDefinition": "taskDefinition",
               "Arn": "taskSetArn"},
    CLUSTER: {"ClusterSettings": "settings", "Arn": "clusterArn"},
    REPOSITORY: {"Arn": "repositoryArn"},
    TASK_DEFINITION: {},
}  # fmt: skip

__all__ = [
    "FAIL_ON_VARIABLE",
    "MEMBER_ROLE_VARIABLE",
    "REQUIRED_ACTIONS",
    "RESOURCE_TYPES",
    "SESSION_NAME",
    "STANDARDS_VARIABLE",
    "Evaluation",
    "handler",
]


class MalformedEvent(ValueError):
    """An event that does not have the shape Config's documentation gives: nothing can be evaluated."""


class UnreadableItem(ValueError):
    """A configuration item this handler cannot turn into the model (its own fault, not a transient error)."""


@dataclass(frozen=True)
class Evaluation:
    """One ``PutEvaluations`` entry."""

    resource_type: str
    resource_id: str
    compliance: str
    annotation: str
    ordering_timestamp: datetime.datetime

    def to_api(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "ComplianceResourceType": self.resource_type,
            "ComplianceResourceId": self.resource_id,
            "ComplianceType": self.compliance,
            "OrderingTimestamp": self.ordering_timestamp,
        }
        if self.annotation:
            entry["Annotation"] = _cut(self.annotation)
        return entry


# ------------------------------------------------------------------------------------------------- reading
class Reader(Protocol):
    """What the handler reads besides the event (read-only), and where it writes evaluations."""

    warnings: list[str]

    def roles(self, arns: Sequence[str]) -> dict[str, Any]: ...
    def task_definition(self, arn: str) -> tuple[str, dict[str, Any], str] | None: ...
    def security_groups(self, ids: set[str]) -> dict[str, Any]: ...
    def aws_managed_key(self, key: str) -> bool: ...
    def registry_scanning(self) -> dict[str, Any]: ...
    def item(self, resource_type: str, resource_id: str, later_time: Any) -> dict[str, Any] | None: ...
    def items(self, resource_type: str) -> Iterator[dict[str, Any]]: ...
    def put(self, evaluations: Sequence[Evaluation], token: str) -> list[Any]: ...


@dataclass
class _ClientCache(Scanner):
    """scan's reader with one client per service: a boto3 session must not create clients from several threads,
    and a periodic run reads on several."""

    _clients: dict[tuple[str, str | None], Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.once((service, region), lambda: super(_ClientCache, self).client(service, region))

    def once(self, key: tuple[str, str | None], create: Callable[[], Any]) -> Any:
        """The client ``create`` makes, made once and under the session's one creation lock (scan's): two threads
        that both found it missing would otherwise create two clients at once (which a boto3 session does not
        allow), and a caller could catch one client's exception classes while the other client raised its own."""
        with self._creating:
            if key not in self._clients:
                self._clients[key] = create()
            return self._clients[key]


@dataclass
class AwsReader:
    """The account's AWS APIs through one boto3 session: IAM, ECS, EC2, ECR and KMS through scan's read-only
    :class:`~secure_fargate.pack.scan.Scanner` (its refusal of anything but a read applies), Config through a
    client of its own (the one write is ``PutEvaluations``). Everything read is cached for the invocation, and a
    periodic run reads each page's context concurrently before judging it (:meth:`prefetch`)."""

    session: Any
    warnings: list[str] = field(default_factory=list)
    _scanner: _ClientCache = field(init=False)
    _roles: dict[str, Any] = field(init=False, default_factory=dict)
    _definitions: dict[str, Any] = field(init=False, default_factory=dict)
    _groups: dict[str, Any] = field(init=False, default_factory=dict)
    _keys: dict[str, bool] = field(init=False, default_factory=dict)
    _items: dict[tuple[str, str], dict[str, Any] | None] = field(init=False, default_factory=dict)
    _config: Any = field(init=False, default=None)
    _registry: dict[str, Any] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._scanner = _ClientCache(self.session, workers=READ_WORKERS, warnings=self.warnings)

    @property
    def config(self) -> Any:
        """The Config client (its own: PutEvaluations is its one write), made once under the session's lock: the
        periodic run's reader threads ask for it together."""
        if self._config is None:
            self._config = self._scanner.once(("config (writes evaluations)", None), self._config_client)
        return self._config

    def _config_client(self) -> Any:
        from botocore.config import Config

        config = Config(
            retries={"mode": "adaptive", "max_attempts": 10},
            max_pool_connections=READ_WORKERS + 2,
            user_agent_extra="secure-fargate-config",
        )
        return self.session.client("config", config=config)

    def roles(self, arns: Sequence[str]) -> dict[str, Any]:
        missing = sorted({a for a in arns if a not in self._roles})
        if missing:
            self._roles.update(self._scanner.read_roles(missing))
        return {arn: self._roles.get(arn) or {} for arn in arns}

    def task_definition(self, arn: str) -> tuple[str, dict[str, Any], str] | None:
        if arn not in self._definitions:
            self._definitions[arn] = self._scanner.read_task_definition(arn)
        return self._definitions[arn]  # type: ignore[no-any-return]

    def security_groups(self, ids: set[str]) -> dict[str, Any]:
        missing = {i for i in ids if i not in self._groups}
        if missing:
            found = self._scanner.read_security_groups(missing)
            self._groups.update({**found, **{i: found.get(i) for i in missing}})  # the lists they name, too
        groups = {i: self._groups[i] for i in sorted(ids) if self._groups.get(i) is not None}
        lists = {p for g in groups.values() for p in linked_prefix_lists(g)}
        return {**groups, **{p: self._groups[p] for p in sorted(lists) if self._groups.get(p) is not None}}

    def aws_managed_key(self, key: str) -> bool:
        if key not in self._keys:
            self._keys[key] = self._scanner.aws_managed_key(None, key)
        return self._keys[key]

    def registry_scanning(self) -> dict[str, Any]:
        if self._registry is None:
            self._registry = self._scanner.read_registry_scanning()
        return self._registry

    def item(self, resource_type: str, resource_id: str, later_time: Any) -> dict[str, Any] | None:
        """The item recorded at ``later_time``, else the latest (cached for the invocation: a cluster serves
        every service in it)."""
        if later_time:
            return self._read_item(resource_type, resource_id, later_time)
        if (resource_type, resource_id) not in self._items:
            self._items[(resource_type, resource_id)] = self._read_item(resource_type, resource_id, None)
        return self._items[(resource_type, resource_id)]

    def _read_item(self, resource_type: str, resource_id: str, later_time: Any) -> dict[str, Any] | None:
        kwargs: dict[str, Any] = {"resourceType": resource_type, "resourceId": resource_id, "limit": 1}
        if later_time:
            kwargs["laterTime"] = later_time
        try:
            found = self.config.get_resource_config_history(**kwargs).get("configurationItems") or []
        except self.config.exceptions.ResourceNotDiscoveredException:
            return None  # not recorded (yet, or not a recorded type in this account): the caller says so
        return dict(found[0]) if found else None

    def items(self, resource_type: str) -> Iterator[dict[str, Any]]:
        """The latest item of every recorded resource of ``resource_type``, a page (up to 100) at a time, each
        page's context read ahead. Items are read with the history, not BatchGetResourceConfig: its items
        carry no tags, and tags decide ECS.13-15 and acknowledgements."""
        pages = self.config.get_paginator("list_discovered_resources").paginate(resourceType=resource_type)
        with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
            for page in pages:
                ids = [i["resourceId"] for i in page.get("resourceIdentifiers") or []]
                found = [f for f in pool.map(lambda i: self.item(resource_type, i, None), ids) if f is not None]
                self.prefetch(found, pool)
                yield from found

    def prefetch(self, items: Sequence[Mapping[str, Any]], pool: ThreadPoolExecutor) -> None:
        """Read concurrently what judging ``items`` one by one would read one call at a time: the task
        definitions services and task sets run, security groups (one call), KMS keys, then every role."""
        wanted = _context(items)
        list(pool.map(self.task_definition, sorted(wanted.definitions)))
        list(pool.map(self.aws_managed_key, sorted(wanted.keys)))
        list(pool.map(lambda i: self.item(CLUSTER, i, None), sorted(wanted.clusters)))
        self.security_groups(wanted.groups)
        for arn in wanted.definitions:
            found = self.task_definition(arn)
            wanted.roles.update(_role_arns(found[1]) if found else [])
        self.roles(sorted(wanted.roles))

    def put(self, evaluations: Sequence[Evaluation], token: str) -> list[Any]:
        failed: list[Any] = []
        for start in range(0, len(evaluations), BATCH_SIZE):
            batch = [e.to_api() for e in evaluations[start : start + BATCH_SIZE]]
            answer = self.config.put_evaluations(
                Evaluations=batch, ResultToken=token, TestMode=token == TEST_MODE_TOKEN
            )
            failed += answer.get("FailedEvaluations") or []
        return failed


@dataclass
class _Wanted:
    definitions: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    clusters: set[str] = field(default_factory=set)


def _context(items: Sequence[Mapping[str, Any]]) -> _Wanted:
    """What judging ``items`` will read besides them (an item that cannot be read is left to the judging)."""
    wanted = _Wanted()
    for item in items:
        try:
            api = _api_object(str(item.get("resourceType")), configuration_of(item))
        except (UnreadableItem, KeyError):
            continue
        wanted.roles.update(v for k in ("taskRoleArn", "executionRoleArn") if isinstance(v := api.get(k), str))
        if isinstance(api.get("taskDefinition"), str):
            wanted.definitions.add(api["taskDefinition"])
        network = api.get("networkConfiguration")
        vpc = network.get("awsvpcConfiguration") if isinstance(network, dict) else None
        groups = vpc.get("securityGroups") if isinstance(vpc, dict) else None
        wanted.groups.update(g for g in groups or [] if isinstance(g, str))
        encryption = api.get("encryptionConfiguration")
        key = encryption.get("kmsKey") if isinstance(encryption, dict) else None
        wanted.keys.update([key] if isinstance(key, str) and key else [])
        if item.get("resourceType") == SERVICE:
            service_arn = str(api.get("serviceArn") or item.get("ARN") or "")
            wanted.clusters.update(_cluster_ids(api.get("clusterArn"), service_arn))
    return wanted


def _role_arns(definition: Mapping[str, Any]) -> list[str]:
    """The role ARNs a task definition resource (scan's form) names."""
    props = definition.get("Properties") or {}
    return [v["Fn::GetAtt"][0] for k in ("TaskRoleArn", "ExecutionRoleArn") if isinstance(v := props.get(k), dict)]


# ------------------------------------------------------------------------------------ configuration -> model
def api_key(key: str) -> str:
    """The API name of a configuration key (Config's and CloudFormation's spellings alike)."""
    return API_NAMES.get(key) or key[:1].lower() + key[1:]


def to_api(value: Any, key: str = "") -> Any:
    """A configuration value in the ECS/ECR API's spelling, what scan's builders take (user-data maps verbatim)."""
    if isinstance(value, dict):
        if key in VERBATIM:
            return dict(value)
        return {api_key(str(k)): to_api(v, api_key(str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [to_api(v, key) for v in value]
    return value


def _api_object(resource_type: str, configuration: Mapping[str, Any]) -> dict[str, Any]:
    names = TOP_LEVEL_NAMES[resource_type]
    api: dict[str, Any] = {}
    for key, value in configuration.items():
        name = names.get(key) or names.get(key[:1].upper() + key[1:]) or api_key(key)
        api.setdefault(name, to_api(value, name))
    return api


def _api_tags(item: Mapping[str, Any], configuration: Mapping[str, Any]) -> list[dict[str, str]]:
    """The item's tags (Config's ``tags`` map, else the configuration's ``Tags`` list) as the API's list."""
    tags = item.get("tags")
    if isinstance(tags, Mapping) and tags:
        return [{"key": str(k), "value": str(v)} for k, v in tags.items()]
    listed = configuration.get("Tags", configuration.get("tags"))
    if isinstance(listed, list):
        return [
            {"key": str(t.get("Key", t.get("key"))), "value": str(t.get("Value", t.get("value", "")))}
            for t in listed
            if isinstance(t, Mapping) and (t.get("Key") or t.get("key"))
        ]
    return []


def configuration_of(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item's ``configuration`` as an object (GetResourceConfigHistory gives it as JSON text)."""
    configuration = item.get("configuration")
    if isinstance(configuration, str):
        if len(configuration) > MAX_TEXT_CHARS:
            raise UnreadableItem(f"configuration is larger than {MAX_TEXT_CHARS} characters")
        try:
            configuration = json.loads(configuration)
        except ValueError as error:
            raise UnreadableItem(f"configuration is not JSON: {error}") from None
    if not isinstance(configuration, dict):
        raise UnreadableItem(f"configuration is a {type(configuration).__name__}, not an object")
    return configuration


@dataclass
class Model:
    """The resources one item is judged with, and those whose findings are the item's."""

    resources: dict[str, Any] = field(default_factory=dict)
    subjects: set[str] = field(default_factory=set)
    note: str = ""
    #: Set when the item is not judged: why it is NOT_APPLICABLE.
    not_applicable: str | None = None


def _arn(item: Mapping[str, Any], configuration: Mapping[str, Any], *keys: str) -> str:
    named = [configuration.get(k, configuration.get(api_key(k))) for k in keys]
    for value in (item.get("ARN"), item.get("arn"), *named, item.get("resourceId")):
        if isinstance(value, str) and value:
            return value
    raise UnreadableItem("the item names no ARN or resource ID")


def _own(model: Model, key: str, resource: dict[str, Any]) -> None:
    model.resources[key] = resource
    model.subjects.add(key)


def _add_roles(model: Model, definition: Mapping[str, Any], reader: Reader, own: bool) -> None:
    for resources in reader.roles(_role_arns(definition)).values():
        model.resources.update(resources)
        if own:
            model.subjects.update(resources)


def _revision(arn: str, api: Mapping[str, Any]) -> str:
    family = api.get("family")
    tail = arn.rsplit("/", 1)[-1]
    if ":" in tail:
        return tail
    revision = api.get("revision")
    return f"{family}:{revision}" if family and revision is not None else tail


def _fargate_compatible(api: Mapping[str, Any]) -> bool:
    """False only when the revision says it cannot run on Fargate: ``RequiresCompatibilities`` set without
    FARGATE. Unset, the revision may run on Fargate (ECS decides at run time), so it is judged, as ``check``
    and Security Hub judge it."""
    compat = api.get("requiresCompatibilities")
    return not isinstance(compat, list) or not compat or "FARGATE" in compat


#: Container fields RegisterTaskDefinition only accepts as lists of objects, or as objects (API names).
_CONTAINER_LISTS = ("environment", "secrets", "mountPoints", "portMappings", "volumesFrom", "ulimits", "dependsOn",
                    "environmentFiles", "resourceRequirements", "systemControls", "extraHosts")  # fmt: skip
_CONTAINER_OBJECTS = ("linuxParameters", "logConfiguration", "healthCheck", "repositoryCredentials",
                      "firelensConfiguration")  # fmt: skip


def _list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def task_definition_problem(api: Mapping[str, Any]) -> str | None:
    """What makes a task definition (API form) one ECS never produces (ECS accepts none without a container, a
    container without a name, or these fields in another type), or None. Such an item is not judged: the rules
    would read the missing containers as nothing to fault."""
    containers = api.get("containerDefinitions")
    if not _list_of_objects(containers) or not containers:
        return "ContainerDefinitions is not a non-empty list of containers"
    for index, container in enumerate(containers):
        where = f"ContainerDefinitions[{index}]"
        if not isinstance(container.get("name"), str):
            return f"{where} has no Name"
        bad = [k for k in _CONTAINER_LISTS if container.get(k) is not None and not _list_of_objects(container[k])]
        bad += [k for k in _CONTAINER_OBJECTS if container.get(k) is not None and not isinstance(container[k], dict)]
        if bad:
            return f"{where}.{cfn_key(bad[0])} is a {type(container[bad[0]]).__name__}, not what ECS returns"
    for key in ("volumes", "placementConstraints", "inferenceAccelerators"):
        if api.get(key) is not None and not _list_of_objects(api[key]):
            return f"{cfn_key(key)} is not a list of objects"
    compat = api.get("requiresCompatibilities")
    if compat is not None and not (isinstance(compat, list) and all(isinstance(c, str) for c in compat)):
        return "RequiresCompatibilities is not a list of strings"
    return None


def task_definition_model(item: Mapping[str, Any], configuration: Mapping[str, Any], reader: Reader) -> Model:
    api = _api_object(TASK_DEFINITION, configuration)
    problem = task_definition_problem(api)
    if problem is not None:
        raise UnreadableItem(problem)
    arn = _arn(item, api, "taskDefinitionArn")
    revision = _revision(arn, api)
    model = Model(note=f"revision {revision}")
    status = str(api.get("status") or "ACTIVE").upper()
    if status != "ACTIVE":
        model.not_applicable = f"revision {revision} is {status}: only ACTIVE revisions are judged"
    elif not _fargate_compatible(api):
        model.not_applicable = f"revision {revision} is not compatible with FARGATE"
    else:
        resource = task_definition_resource(api, _api_tags(item, api))
        _own(model, arn, resource)
        _add_roles(model, resource, reader, own=True)
    return model


def _launch_problem(api: Mapping[str, Any]) -> str | None:
    launch = api.get("launchType")
    if launch and launch != "FARGATE":
        return f"launch type {launch}, not FARGATE"
    providers = [s.get("capacityProvider") for s in api.get("capacityProviderStrategy") or [] if isinstance(s, dict)]
    if providers and not all(p in ("FARGATE", "FARGATE_SPOT") for p in providers):
        return f"capacity providers {providers}, not Fargate's"
    return None


def _with_task_definition(model: Model, arn: Any, reader: Reader) -> None:
    """Add the task definition a service or task set runs. Its findings are its own evaluation's while it is
    ACTIVE and Fargate-compatible; a service that keeps running a deregistered revision, or runs one whose
    ``RequiresCompatibilities`` leaves out FARGATE, answers for them itself, since nothing else does (such a
    revision's own item is NOT_APPLICABLE, yet its tasks run on)."""
    if not isinstance(arn, str) or not arn:
        return
    found = reader.task_definition(arn)
    if found is None:
        model.note = _joined(model.note, "its task definition was not read")
        return
    key, resource, status = found
    model.resources[key] = resource
    inactive = status.upper() != "ACTIVE"
    compat = (resource.get("Properties") or {}).get("RequiresCompatibilities")
    off_fargate = not _fargate_compatible({"requiresCompatibilities": compat})
    if inactive:
        model.note = _joined(model.note, f"runs {key.rsplit('/', 1)[-1]}, which is {status}: judged with it")
    elif off_fargate:  # its own item is NOT_APPLICABLE: the service that runs it on Fargate answers for it
        model.note = _joined(
            model.note, f"runs {key.rsplit('/', 1)[-1]}, which is not Fargate-compatible: judged with it"
        )
    if inactive or off_fargate:
        model.subjects.add(key)
    _add_roles(model, resource, reader, own=inactive or off_fargate)


def _joined(note: str, more: str) -> str:
    return f"{note}; {more}" if note else more


def _with_groups(model: Model, api: Mapping[str, Any], reader: Reader) -> None:
    network = (api.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    ids = {g for g in network.get("securityGroups") or [] if isinstance(g, str)}
    groups = reader.security_groups(ids)  # and the customer-managed prefix lists their rules name
    model.resources.update(groups)
    model.subjects.update(k for k, g in groups.items() if g.get("Type") == "AWS::EC2::SecurityGroup")


def service_model(item: Mapping[str, Any], configuration: Mapping[str, Any], reader: Reader) -> Model:
    api = _api_object(SERVICE, configuration)
    api["serviceArn"] = arn = _arn(item, configuration, "ServiceArn")
    api.setdefault("tags", _api_tags(item, configuration))
    model = Model(not_applicable=_launch_problem(api))
    if model.not_applicable is None:
        _own(model, arn, service_resource(api))
        _with_task_definition(model, api.get("taskDefinition"), reader)
        _with_groups(model, api, reader)
        _with_cluster(model, api.get("clusterArn"), str(api.get("serviceArn") or arn), reader)
    return model


def _cluster_ids(cluster: Any, service_arn: str) -> list[str]:
    """Where a service's cluster may be recorded: the ARN it names, the ARN of that name in the service's own
    account and Region, the name."""
    if not isinstance(cluster, str) or not cluster:
        return []
    name = cluster.rsplit("/", 1)[-1]
    prefix = service_arn.split(":service/", 1)[0] if ":service/" in service_arn else ""
    return [i for i in dict.fromkeys([cluster, f"{prefix}:cluster/{name}" if prefix else "", name]) if i]


def _with_cluster(model: Model, cluster: Any, service_arn: str, reader: Reader) -> None:
    """Add the cluster a service runs in, keyed as the service names it (its Ref), not as a subject (its findings
    are its own evaluation's): its session logging (SF.EXEC_LOGGING) and default capacity provider strategy
    (ECS.10, ``services.runs_on_fargate``) decide the service's findings. Read by the ARN the service names, then
    by the ARN of that name in the service's own account and Region, then by the name."""
    if not isinstance(cluster, str) or not cluster:
        return
    found = next((f for f in (reader.item(CLUSTER, i, None) for i in _cluster_ids(cluster, service_arn)) if f), None)
    try:
        if found is None:
            raise UnreadableItem("not recorded")
        configuration = configuration_of(found)
        api = _api_object(CLUSTER, configuration)
        api.setdefault("tags", _api_tags(found, configuration))
        resource = cluster_resource(api)
    except UnreadableItem:
        model.note = _joined(model.note, "its cluster was not read")
        return
    model.resources.setdefault(cluster, resource)


def task_set_model(item: Mapping[str, Any], configuration: Mapping[str, Any], reader: Reader) -> Model:
    api = _api_object(TASK_SET, configuration)
    arn = _arn(item, configuration, "Arn", "Id")
    api.setdefault("tags", _api_tags(item, configuration))
    model = Model(not_applicable=_launch_problem(api))
    if model.not_applicable is None:
        _own(model, arn, task_set_resource(api, str(api.get("serviceArn") or "")))
        _with_task_definition(model, api.get("taskDefinition"), reader)
        _with_groups(model, api, reader)
    return model


def cluster_model(item: Mapping[str, Any], configuration: Mapping[str, Any], reader: Reader) -> Model:
    api = _api_object(CLUSTER, configuration)
    api.setdefault("tags", _api_tags(item, configuration))
    model = Model()
    _own(model, _arn(item, configuration, "Arn"), cluster_resource(api))
    return model


def repository_model(item: Mapping[str, Any], configuration: Mapping[str, Any], reader: Reader) -> Model:
    api = _api_object(REPOSITORY, configuration)
    lifecycle = (api.get("lifecyclePolicy") or {}).get("lifecyclePolicyText")
    policy = api.get("repositoryPolicyText")
    key = (api.get("encryptionConfiguration") or {}).get("kmsKey")
    managed = bool(key) and isinstance(key, str) and reader.aws_managed_key(key)
    resource = repository_resource(api, lifecycle, policy, managed, tags=_api_tags(item, configuration))
    model = Model(resources=dict(reader.registry_scanning()))  # registry scanning may cover it (ECR.1)
    _own(model, _arn(item, configuration, "Arn"), resource)
    return model


BUILDERS: Mapping[str, Callable[[Mapping[str, Any], Mapping[str, Any], Reader], Model]] = {
    TASK_DEFINITION: task_definition_model,
    SERVICE: service_model,
    TASK_SET: task_set_model,
    CLUSTER: cluster_model,
    REPOSITORY: repository_model,
}


def model_of(item: Mapping[str, Any], reader: Reader) -> Model:
    """The resource model of one (not deleted) configuration item."""
    resource_type = item.get("resourceType")
    build = BUILDERS.get(resource_type) if isinstance(resource_type, str) else None
    if build is None:
        return Model(not_applicable=f"{resource_type!r} is not a type this rule judges")
    try:
        return build(item, configuration_of(item), reader)
    except UnreadableItem:
        raise
    except (AttributeError, TypeError, KeyError, IndexError) as error:  # a value of a type Config never sends
        raise UnreadableItem(f"unexpected configuration shape ({type(error).__name__}: {error})") from None


# ------------------------------------------------------------------------------------------------ judging
@dataclass(frozen=True)
class Judge:
    """The controls, threshold and reader of one invocation."""

    controls: Sequence[Control]
    fail_on: Severity
    reader: Reader
    today: datetime.date | None = None

    def evaluate(self, item: Mapping[str, Any], left_scope: bool = False) -> Evaluation:
        """The evaluation of one configuration item; never raises for the item's own faults."""
        resource_type = str(item.get("resourceType") or "")
        resource_id = str(item.get("resourceId") or "")
        when = _timestamp(item.get("configurationItemCaptureTime"))
        status = item.get("configurationItemStatus")
        if left_scope or status in DELETED_STATUSES:
            why = "left the rule's scope" if left_scope else f"deleted ({status})"
            return Evaluation(resource_type, resource_id, NOT_APPLICABLE, f"secure-fargate: {why}", when)
        try:
            model = model_of(item, self.reader)
        except UnreadableItem as error:
            _log({"unreadable": {"resourceType": resource_type, "resourceId": resource_id, "error": str(error)}})
            note = f"secure-fargate cannot judge this item: {error}"
            return Evaluation(resource_type, resource_id, NOT_APPLICABLE, note, when)
        if model.not_applicable is not None:
            return Evaluation(
                resource_type, resource_id, NOT_APPLICABLE, f"secure-fargate: {model.not_applicable}", when
            )
        findings = self.findings(model, resource_id)
        failing = [f for f in findings if f.fails(self.fail_on)]
        compliance = NON_COMPLIANT if failing else COMPLIANT
        return Evaluation(resource_type, resource_id, compliance, annotation(model.note, failing, findings), when)

    def findings(self, model: Model, resource_id: str = "") -> list[Finding]:
        """Every finding (open or acknowledged) on the model's subjects: the item and what was read for it."""
        for warning in apply_tag_acknowledgements(model.resources, self.today):
            self.reader.warnings.append(f"{resource_id}: {warning}")
        template = Template({"Resources": model.resources}, name="config")
        return [f for f in verdict([template], self.controls, self.fail_on)[0] if f.resource in model.subjects]


def _severity_rank(finding: Finding) -> int:
    try:
        return Severity(finding.severity).rank
    except ValueError:
        return -1


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by control ID and subject: the same findings always give the same annotation."""
    return sorted(
        findings,
        key=lambda f: (-_severity_rank(f), f.control, f.resource, f.container or "", f.item or "", f.message),
    )


def annotation(note: str, failing: Sequence[Finding], findings: Sequence[Finding]) -> str:
    """At most 256 characters: what was judged, the failing control IDs (most severe first), then their
    messages as they fit; whatever is cut is counted as ``+N more``."""
    prefix = f"{_cut(note, NOTE_LIMIT)}: " if note else ""
    if not failing:
        acknowledged = sum(1 for f in findings if not f.is_open)
        below = sorted({f.control for f in findings if f.is_open})
        notes = [f"{acknowledged} acknowledged"] if acknowledged else []
        notes += [f"open below the fail-on severity: {', '.join(below)}"] if below else []
        return _cut(prefix + "passes secure-fargate" + (f" ({'; '.join(notes)})" if notes else ""))
    ordered = _ordered(failing)
    head = _fit(f"{prefix}fails ", list(dict.fromkeys(f.control for f in ordered)), ", ")
    messages = [f"{f.control}{f'[{f.container}]' if f.container else ''}: {f.message}" for f in ordered]
    if len(head) + len(" | ") + MIN_SHORTENED + len(_more(len(messages) - 1)) > ANNOTATION_LIMIT:
        return head  # no room for even one shortened message: the IDs say what fails
    return _fit(head + " | ", messages, "; ")


#: The longest note (``revision <family>:<n>``) an annotation starts with: a family name may be 255 characters.
NOTE_LIMIT = 80
#: The fewest characters of a message worth showing, shortened with an ellipsis.
MIN_SHORTENED = 8


def _more(count: int) -> str:
    return f" +{count} more" if count > 0 else ""


def _fit(head: str, items: Sequence[str], sep: str) -> str:
    """``head`` and as many whole ``items`` as fit within the annotation limit, leaving room for ``+N more``;
    a first item that does not fit whole is shortened with an ellipsis (when MIN_SHORTENED characters fit)."""
    text = head
    for index, entry in enumerate(items):
        rest = len(items) - index - 1
        piece = (sep if index else "") + entry
        if len(text) + len(piece) + len(_more(rest)) <= ANNOTATION_LIMIT:
            text += piece
            continue
        if index == 0:
            room = ANNOTATION_LIMIT - len(text) - len(_more(rest)) - 1
            if room >= MIN_SHORTENED:
                return text + entry[:room] + "…" + _more(rest)
        return text.rstrip() + _more(len(items) - index)
    return text


def _cut(text: str, limit: int = ANNOTATION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _timestamp(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    return datetime.datetime.now(datetime.UTC)


# ------------------------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class Event:
    """A validated rule invocation."""

    message_type: str
    token: str
    account: str
    left_scope: bool
    invoking: Mapping[str, Any]


def parse_event(event: Any) -> Event:
    """The invocation, or MalformedEvent saying what is missing."""
    if not isinstance(event, Mapping):
        raise MalformedEvent(f"the event is a {type(event).__name__}, not a JSON object")
    token = event.get("resultToken")
    if not isinstance(token, str) or not token:
        raise MalformedEvent("resultToken is missing: evaluations could not be delivered")
    text = event.get("invokingEvent")
    if not isinstance(text, str):
        raise MalformedEvent("invokingEvent is missing or not a JSON string")
    if len(text) > MAX_TEXT_CHARS:
        raise MalformedEvent(f"invokingEvent is larger than {MAX_TEXT_CHARS} characters")
    try:
        invoking = json.loads(text)
    except ValueError as error:
        raise MalformedEvent(f"invokingEvent is not JSON: {error}") from None
    if not isinstance(invoking, Mapping):
        raise MalformedEvent("invokingEvent is not a JSON object")
    message_type = invoking.get("messageType")
    if message_type not in (CHANGE, OVERSIZED, SCHEDULED):
        raise MalformedEvent(f"messageType {message_type!r} is not one of {[CHANGE, OVERSIZED, SCHEDULED]}")
    left = event.get("eventLeftScope")
    account = event.get("accountId") or invoking.get("awsAccountId") or ""
    return Event(str(message_type), token, str(account), left is True or str(left).lower() == "true", invoking)


def _change_item(parsed: Event, reader: Reader) -> dict[str, Any]:
    """The configuration item of a change notification (read by reference when it was oversized)."""
    if parsed.message_type == CHANGE:
        item = parsed.invoking.get("configurationItem")
        if not isinstance(item, Mapping):
            raise MalformedEvent("configurationItem is missing or not an object")
        return dict(item)
    summary = parsed.invoking.get("configurationItemSummary")
    if not isinstance(summary, Mapping) or not summary.get("resourceType") or not summary.get("resourceId"):
        raise MalformedEvent("configurationItemSummary is missing or names no resourceType/resourceId")
    if parsed.left_scope or summary.get("configurationItemStatus") in DELETED_STATUSES:
        return dict(summary)  # nothing to read: it is NOT_APPLICABLE whatever it was
    found = reader.item(str(summary["resourceType"]), str(summary["resourceId"]),
                        _timestamp(summary.get("configurationItemCaptureTime")))  # fmt: skip
    if found is None:
        raise LookupError(f"GetResourceConfigHistory returned no item for {summary['resourceId']}")
    return found


class ItemErrors(Exception):
    """Items of a periodic run that raised while being judged (the others' evaluations were delivered)."""


def evaluations(parsed: Event, judge: Judge, errors: list[str]) -> list[Evaluation]:
    """Every evaluation one invocation makes. In a periodic run an item that raises is logged and added to
    ``errors``, and the run goes on: one bad item does not withhold every other verdict."""
    if parsed.message_type != SCHEDULED:
        return [judge.evaluate(_change_item(parsed, judge.reader), parsed.left_scope)]
    when = _timestamp(parsed.invoking.get("notificationCreationTime"))
    found = []
    for resource_type in RESOURCE_TYPES:
        for item in judge.reader.items(resource_type):
            try:
                evaluation = judge.evaluate(item)
            except Exception as error:  # an AWS error or a bug on this item: said, and raised after the put
                errors.append(f"{item.get('resourceId')}: {type(error).__name__}: {error}")
                _log({"error": errors[-1]})
                continue
            found.append(
                Evaluation(evaluation.resource_type, evaluation.resource_id, evaluation.compliance,
                           evaluation.annotation, when)
            )  # fmt: skip
    return found


def handle(event: Any, reader: Reader, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Judge the event's items, deliver the evaluations through ``reader`` and return a summary; ItemErrors after
    the delivery when items of a periodic run could not be judged."""
    parsed = parse_event(event)
    controls, fail_on = settings(environ)
    errors: list[str] = []
    found = evaluations(parsed, Judge(controls, fail_on, reader), errors)
    failed = reader.put(found, parsed.token) if found else []
    if failed:  # Config refused some (a resource out of scope, a bad value): said, not hidden
        _log({"failedEvaluations": failed})
    if errors:
        raise ItemErrors(f"{len(errors)} item(s) not judged, {len(found)} evaluation(s) delivered; first: {errors[0]}")
    counts = {
        kind: sum(1 for e in found if e.compliance == kind) for kind in (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE)
    }
    return {"messageType": parsed.message_type, "evaluations": counts, "failedEvaluations": len(failed),
            "warnings": list(reader.warnings)}  # fmt: skip


def _log(record: Mapping[str, Any]) -> None:
    print(json.dumps({"secure-fargate-config": record}, default=str))


# --------------------------------------------------------------------------------------------- the account
def session_for(account: str, context: object, environ: Mapping[str, str]) -> Any:
    """The boto3 session for ``account``: the function's own, or the member role's (organisation rules)."""
    session = new_session()
    role = environ.get(MEMBER_ROLE_VARIABLE, "").strip()
    if not role or not account or account == _own_account(context, session):
        return session
    credentials = session.client("sts").assume_role(
        RoleArn=f"arn:{_partition(context, session)}:iam::{account}:role/{role}", RoleSessionName=SESSION_NAME
    )["Credentials"]
    return new_session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )


def _partition(context: object, session: Any) -> str:
    """The function's partition (aws, aws-cn, aws-us-gov): from its ARN in the Lambda context, else its Region's."""
    arn = getattr(context, "invoked_function_arn", "")
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) > 1 and parts[1].startswith("aws"):
        return parts[1]
    return str(session.get_partition_for_region(session.region_name or "us-east-1"))


def _own_account(context: object, session: Any) -> str:
    """The function's account: from its ARN in the Lambda context, else from STS."""
    arn = getattr(context, "invoked_function_arn", "")
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) > 4 and parts[4]:
        return parts[4]
    return str(session.client("sts").get_caller_identity()["Account"])


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """The Lambda entry point (``secure_fargate.pack.config_rule.handler``). A malformed event or an AWS error is
    logged and raised (the invocation fails, Config shows it); an unreadable item is NOT_APPLICABLE with why."""
    try:
        parsed = parse_event(event)
        reader = AwsReader(session_for(parsed.account, context, os.environ))
        summary = handle(event, reader)
    except Exception as error:
        _log({"error": f"{type(error).__name__}: {error}"})
        raise
    _log(summary)
    return summary
