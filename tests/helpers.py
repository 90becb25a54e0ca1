"""Helpers several test modules share (a test module never imports another test module): template
normalisation and cfn-lint for the snapshot and lint tests, and hook requests shaped as the Hooks user guide shows
them, with the CLI's verdict to compare against."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from secure_fargate.pack import cli
from secure_fargate.pack.hook_handler import handle
from secure_fargate.pack.scan import link_prefix_lists

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}(?=\.(zip|json|tar)\b)")


def normalize(template: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True)))
    body.get("Resources", {}).pop("CDKMetadata", None)
    body.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    for resource in body.get("Resources", {}).values():
        metadata = resource.get("Metadata", {})
        metadata.pop("aws:cdk:path", None)
        if not metadata:
            resource.pop("Metadata", None)
    return body


#: cfn-lint checks not applied, each with its reason.
#: W3005 (a DependsOn already implied by a Ref): CDK makes an ECS service depend on the listener construct that
#: forwards to its target group, and the target group is a child of that listener; a state machine depends on its
#: role. The ordering is harmless, and the alternatives are worse: rewriting DependsOn drops dependencies (the
#: listener rule a routed service needs, or ones a user adds), and moving target groups out of the listener
#: would replace them in every deployed stack.
IGNORED_CFN_LINT_CHECKS = ["W3005"]


def cfn_lint(template: dict[str, Any]) -> list[str]:
    """cfn-lint's problems with ``template`` (``W``arnings and ``E``rrors), each once per session: the session's
    reference template is linted by two modules, and a lint of it costs seconds."""
    return list(_cfn_lint(json.dumps(template)))


@functools.lru_cache(maxsize=1)
def _cfn_lint_setup() -> tuple[Any, Any]:
    """cfn-lint's configuration and its rule set, loaded once per process: ``cfnlint.api.lint`` loads every rule
    again on each call (about 0.5 s of CPU), as its own CLI does only once for all the templates it is given."""
    from cfnlint.config import ConfigMixIn, ManualArgs
    from cfnlint.runner import Runner

    config = ConfigMixIn(**ManualArgs(regions=["us-east-1"], ignore_checks=IGNORED_CFN_LINT_CHECKS))
    return config, Runner(config).rules


@functools.lru_cache(maxsize=32)
def _cfn_lint(text: str) -> tuple[str, ...]:
    """What ``cfnlint.api.lint(text, config=...)`` does (decode, then every rule in the configured regions), with
    the process's one rule set (cfn-lint's CLI runs one rule set over many templates the same way)."""
    from cfnlint.decode.decode import decode_str
    from cfnlint.runner import run_template_by_data

    config, rules = _cfn_lint_setup()
    template, matches = decode_str(text)
    if not matches and template is not None:
        matches = list(run_template_by_data(template, config, rules))
    return tuple(cfn_lint_line(m) for m in matches or [])


def cfn_lint_line(match: Any) -> str:
    """One cfn-lint match as the helpers report it: rule ID, message, path in the template."""
    return f"{match.rule.id} {match.message} ({'/'.join(map(str, match.path))})"


URL = "https://hooks-payload.s3.us-west-2.amazonaws.com/payload.json?X-Amz-Signature=abc"
TOKEN = "f8da6d11-b23f-48f4-814c-0fb6a667f50e"


def stack_request(*, target: str = "STACK", point: str = "UPDATE_PRE_PROVISION", **data: Any) -> dict[str, Any]:
    """A request as in the guide's "Example Lambda Hook stack change input"."""
    request_data = {"targetName": target, "targetType": target, "targetLogicalId": "my-stack", "payload": URL}
    request_data.update(data)
    return {
        "clientRequestToken": TOKEN,
        "awsAccountId": "123456789012",
        "stackId": "arn:aws:cloudformation:us-west-2:123456789012:stack/my-stack/1a2345b6-0000-00a0-a123-00abc0abc000",
        "changeSetId": None,
        "hookTypeName": "SecureFargate::Guardrails::Hook",
        "hookTypeVersion": "00000001",
        "hookModel": {"LambdaFunction": "arn:aws:lambda:us-west-2:123456789012:function:hook"},
        "actionInvocationPoint": point,
        "requestData": request_data,
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


def serving(template: Any, previous: Any = "") -> Callable[[str], bytes]:
    """A fetch that serves the guide's payload object ``{template, previousTemplate}`` for URL only."""
    text = template if isinstance(template, str) else json.dumps(template)

    def fetch(url: str) -> bytes:
        assert url == URL
        return json.dumps({"template": text, "previousTemplate": previous}).encode()

    return fetch


def answer(template: Any, **request: Any) -> dict[str, Any]:
    return handle(stack_request(**request), serving(template))


def cli_verdict(body: dict[str, Any], tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    template, report = tmp_path / "t.template.json", tmp_path / "report.json"
    template.write_text(json.dumps(body))
    code = cli.main(["check", str(template), "--format", "json", "-o", str(report)])
    return code, json.loads(report.read_text())


#: ASFF constraints the Security Hub API reference gives beyond the service model botocore validates (types,
#: required members): non-blank strings, lengths, timestamp and Types shapes, the ProductArn of a custom integration.
_ASFF_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})")
_ASFF_TYPE_NAMESPACES = ("Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
                         "Sensitive Data Identifications")  # fmt: skip
_ASFF_LIMITS = {"Id": 512, "GeneratorId": 512, "Title": 256, "Description": 1024}


def asff_problems(findings: list[dict[str, Any]]) -> list[str]:
    """What Security Hub would refuse in a BatchImportFindings ``Findings`` list: the service model (botocore's own
    parameter validation of the request), then the documented patterns and limits. Empty when importable."""
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    report = ParamValidator().validate({"Findings": findings}, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    if not 1 <= len(findings) <= 100:
        problems.append(f"{len(findings)} findings: BatchImportFindings takes 1 to 100 per call")
    for index, finding in enumerate(findings):
        problems += [f"{index}: {p}" for p in _asff_finding_problems(finding)]
    return problems


def _asff_finding_problems(finding: dict[str, Any]) -> list[str]:
    problems = [f"{key} blank" for key, value in _asff_strings(finding) if not value.strip()]
    problems += [f"{k} longer than {n}" for k, n in _ASFF_LIMITS.items() if len(str(finding.get(k, ""))) > n]
    if len(finding["Remediation"]["Recommendation"]["Text"]) > 512:
        problems.append("Remediation.Recommendation.Text longer than 512")
    if not re.fullmatch(r"\d{12}", finding["AwsAccountId"]):
        problems.append(f"AwsAccountId {finding['AwsAccountId']!r}")
    account, region = finding["AwsAccountId"], finding["Resources"][0].get("Region")
    if finding["ProductArn"] != f"arn:aws:securityhub:{region}:{account}:product/{account}/default":
        problems.append(f"ProductArn {finding['ProductArn']!r}")
    problems += [f"{k} {finding[k]!r}" for k in ("CreatedAt", "UpdatedAt") if not _ASFF_TIMESTAMP.fullmatch(finding[k])]
    problems += [
        f"Types {kind!r}: namespace/category/classifier"
        for kind in finding["Types"]
        if len(kind.split("/")) > 3 or not kind.startswith(_ASFF_TYPE_NAMESPACES)
    ]
    if finding["Severity"].get("Label") not in ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"):
        problems.append(f"Severity.Label {finding['Severity']!r}")
    if len(finding.get("ProductFields", {})) > 50:
        problems.append("more than 50 ProductFields")
    problems += [f"ProductFields key {k!r} longer than 128" for k in finding.get("ProductFields", {}) if len(k) > 128]
    if not 1 <= len(finding["Resources"]) <= 32:
        problems.append("Resources: 1 to 32")
    return problems


def _asff_strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _asff_strings(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _asff_strings(v, f"{path}[{i}]")]
    return [(path, value)] if isinstance(value, str) else []


# ------------------------------------------------------------------------------------ AWS Config items (issue 24)
#: The account and region of the live forms below (moto's default account).
LIVE_ACCOUNT, LIVE_REGION = "123456789012", "us-east-1"
#: The types Config records and the rule judges, in a template.
CONFIG_TYPES = (
    "AWS::ECS::TaskDefinition",
    "AWS::ECS::Service",
    "AWS::ECS::TaskSet",
    "AWS::ECS::Cluster",
    "AWS::ECR::Repository",
)
_PSEUDO = {"AWS::Region": LIVE_REGION, "AWS::AccountId": LIVE_ACCOUNT, "AWS::Partition": "aws",
           "AWS::URLSuffix": "amazonaws.com"}  # fmt: skip
#: CloudFormation property names that Config's ECS items spell its own way (aws-config-resource-schema).
CONFIG_SPELLINGS = {
    "EFSVolumeConfiguration": "EfsVolumeConfiguration",
    "FilesystemId": "FileSystemId",
    "IAM": "Iam",
    "FSxWindowsFileServerVolumeConfiguration": "FsxWindowsFileServerVolumeConfiguration",
}
_USER_DATA_MAPS = {"DockerLabels", "Options", "DriverOpts", "Labels"}
#: Resources the case corpus names without declaring them (another stack's): what they are in the live account.
EXTERNAL_TYPES = {
    "Secret": "AWS::SecretsManager::Secret",
    "Key": "AWS::KMS::Key",
    "Logs": "AWS::Logs::LogGroup",
    "PrivateSubnet": "AWS::EC2::Subnet",
    "Fs": "AWS::EFS::FileSystem",
}


def live_arn(logical: str, rtype: str) -> str:
    """The ARN a resource of the live form has."""
    service, kind = rtype.split("::")[1].lower(), rtype.split("::")[2]
    where = f"{LIVE_REGION}:{LIVE_ACCOUNT}"
    return {
        "AWS::ECS::TaskDefinition": f"arn:aws:ecs:{where}:task-definition/{logical}:1",
        "AWS::ECS::Service": f"arn:aws:ecs:{where}:service/cluster/{logical}",
        "AWS::ECS::TaskSet": f"arn:aws:ecs:{where}:task-set/cluster/service/{logical}",
        "AWS::ECS::Cluster": f"arn:aws:ecs:{where}:cluster/{logical}",
        "AWS::ECR::Repository": f"arn:aws:ecr:{where}:repository/{logical.lower()}",
        "AWS::IAM::Role": f"arn:aws:iam::{LIVE_ACCOUNT}:role/{logical}",
        "AWS::IAM::ManagedPolicy": f"arn:aws:iam::{LIVE_ACCOUNT}:policy/{logical}",
        "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{where}:secret:{logical}",
    }.get(rtype, f"arn:aws:{service}:{where}:{kind.lower()}/{logical}")


def _live_ref(logical: str, rtype: str) -> str:
    names = {"AWS::ECS::Cluster", "AWS::ECR::Repository", "AWS::IAM::Role", "AWS::Logs::LogGroup",
             "AWS::SSM::Parameter"}  # fmt: skip
    if rtype == "AWS::ECR::Repository":
        return logical.lower()
    if rtype in names:
        return logical
    if rtype == "AWS::EFS::FileSystem":
        return f"fs-{logical.lower()}"
    if rtype.startswith("AWS::EC2::"):
        return f"{rtype.split('::')[2].lower()}-{logical.lower()}"
    return live_arn(logical, rtype)


def _live_att(logical: str, rtype: str, attribute: str) -> str:
    if attribute == "Arn":
        return live_arn(logical, rtype)
    if attribute in ("GroupId", "PrefixListId"):
        return _live_ref(logical, rtype)
    return f"{logical}.{attribute}"


_NO_VALUE = object()
_SUB = re.compile(r"\$\{([^}!]+)\}")


def liven(value: Any, types: dict[str, str]) -> Any:
    """``value`` with every reference to a resource or pseudo parameter replaced by what AWS resolves it to, and
    ``Fn::Join``/``Fn::Sub`` over those resolved; any other intrinsic is left (the caller then finds the case has
    no live form). ``AWS::NoValue`` removes its key or item, as CloudFormation does."""
    found = _liven(value, types)
    return None if found is _NO_VALUE else found


def _liven(value: Any, types: dict[str, str]) -> Any:
    if isinstance(value, dict):
        resolved = _resolved(value, types)
        if resolved is not None:
            return resolved
        items = {k: _liven(v, types) for k, v in value.items()}
        return {k: v for k, v in items.items() if v is not _NO_VALUE}
    if isinstance(value, list):
        return [v for v in (_liven(v, types) for v in value) if v is not _NO_VALUE]
    return value


def _resolved(value: dict[str, Any], types: dict[str, str]) -> Any:
    """What one reference, join or substitution resolves to; None when it is not one this knows."""
    if list(value) == ["Ref"] and isinstance(value["Ref"], str):
        ref = value["Ref"]
        if ref == "AWS::NoValue":
            return _NO_VALUE
        return _PSEUDO.get(ref) or (_live_ref(ref, types[ref]) if ref in types else None)
    att = value.get("Fn::GetAtt") if list(value) == ["Fn::GetAtt"] else None
    if isinstance(att, str):
        att = att.split(".", 1)
    if isinstance(att, list) and len(att) == 2 and att[0] in types and isinstance(att[1], str):
        return _live_att(att[0], types[att[0]], att[1])
    join = value.get("Fn::Join") if list(value) == ["Fn::Join"] else None
    if isinstance(join, list) and len(join) == 2 and isinstance(join[0], str) and isinstance(join[1], list):
        parts = [_liven(p, types) for p in join[1]]
        return join[0].join(parts) if all(isinstance(p, str) for p in parts) else None
    sub = value.get("Fn::Sub") if list(value) == ["Fn::Sub"] else None
    if isinstance(sub, str):
        names = _SUB.findall(sub)
        known = {n: _resolved({"Fn::GetAtt": n} if "." in n else {"Ref": n}, types) for n in names}
        if all(isinstance(v, str) for v in known.values()):
            return _SUB.sub(lambda m: known[m.group(1)], sub)
    return None


def has_intrinsic(value: Any) -> bool:
    if isinstance(value, dict):
        if (len(value) == 1 and next(iter(value)) in ("Ref", "Condition")) or any(k.startswith("Fn::") for k in value):
            return True
        return any(has_intrinsic(v) for v in value.values())
    if isinstance(value, list):
        return any(has_intrinsic(v) for v in value)
    return False


def config_spelling(value: Any, key: str = "") -> Any:
    """CloudFormation properties as Config's ECS configuration spells them."""
    if isinstance(value, dict):
        if key in _USER_DATA_MAPS:
            return dict(value)
        return {CONFIG_SPELLINGS.get(k, k): config_spelling(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [config_spelling(v, key) for v in value]
    return value


def ack_tags(resource: dict[str, Any]) -> dict[str, str]:
    """A resource's template acknowledgements (Metadata) as the acknowledgement tags ``tag_acks`` reads."""
    block = (resource.get("Metadata") or {}).get("secure-fargate") or {}
    tags = {}
    for entry in block.get("acknowledgements") or []:
        key = ":".join(
            ["secure-fargate:ack", entry["control"], *(entry[k] for k in ("container", "variable") if k in entry)]
        )
        tags[key] = entry["reason"] + (f" expires={entry['expires']}" if "expires" in entry else "")
    return tags


def config_item(logical: str, resource: dict[str, Any], *, status: str = "OK", **extra: Any) -> dict[str, Any]:
    """A ``configurationItem`` as a ConfigurationItemChangeNotification carries it (Config developer guide,
    "Example events"), for a live resource given in CloudFormation form."""
    rtype = resource["Type"]
    props = dict(resource.get("Properties") or {})
    tags = {t["Key"]: t["Value"] for t in props.pop("Tags", None) or [] if isinstance(t, dict)}
    tags.update(ack_tags(resource))
    arn = live_arn(logical, rtype)
    configuration = config_spelling(props)
    name = {"AWS::ECS::TaskDefinition": ("Family", logical), "AWS::ECS::Service": ("ServiceName", logical),
            "AWS::ECS::Cluster": ("ClusterName", logical), "AWS::ECR::Repository": ("RepositoryName", logical.lower()),
            "AWS::ECS::TaskSet": ("Id", logical)}[rtype]  # fmt: skip
    configuration.setdefault(*name)
    arn_key = {"AWS::ECS::TaskDefinition": "TaskDefinitionArn", "AWS::ECS::Service": "ServiceArn"}.get(rtype, "Arn")
    configuration[arn_key] = arn
    if rtype == "AWS::ECS::TaskDefinition":
        configuration.setdefault("Status", "ACTIVE")
    item = {
        "version": "1.3",
        "accountId": LIVE_ACCOUNT,
        "configurationItemCaptureTime": "2026-12-01T10:00:00.000Z",
        "configurationItemStatus": status,
        "configurationStateId": "1764583200000",
        "configurationItemMD5Hash": "",
        "ARN": arn,
        "resourceType": rtype,
        "resourceId": arn if rtype.startswith("AWS::ECS::") else configuration.get("RepositoryName", logical),
        "resourceName": str(configuration[name[0]]),
        "awsRegion": LIVE_REGION,
        "availabilityZone": "Not Applicable",
        "tags": tags,
        "relatedEvents": [],
        "relationships": [],
        "configuration": configuration,
        "supplementaryConfiguration": {},
    }
    item.update(extra)
    return item


def change_event(item: dict[str, Any] | None, *, message_type: str = "ConfigurationItemChangeNotification",
                 token: str = "token", left_scope: bool = False, **invoking: Any) -> dict[str, Any]:  # fmt: skip
    """A custom rule's Lambda event (Config developer guide, "Example events for AWS Config rules")."""
    body: dict[str, Any] = {"messageType": message_type, "notificationCreationTime": "2026-12-01T10:00:05.000Z",
                            "recordVersion": "1.3", **invoking}  # fmt: skip
    if item is not None:
        body["configurationItem"] = item
        body["configurationItemDiff"] = None
    return {
        "version": "1.0",
        "invokingEvent": json.dumps(body),
        "ruleParameters": "{}",
        "resultToken": token,
        "eventLeftScope": left_scope,
        "executionRoleArn": f"arn:aws:iam::{LIVE_ACCOUNT}:role/config-role",
        "configRuleArn": f"arn:aws:config:{LIVE_REGION}:{LIVE_ACCOUNT}:config-rule/config-rule-abc123",
        "configRuleName": "secure-fargate",
        "configRuleId": "config-rule-abc123",
        "accountId": LIVE_ACCOUNT,
        "evaluationMode": "DETECTIVE",
    }


class LiveForm:
    """A template's live form: the Config items of its recorded resources, and a reader that answers what the
    handler reads (roles with their policies, task definitions, security groups) from the same template."""

    def __init__(self, body: dict[str, Any]) -> None:
        resources = body.get("Resources") or {}
        types = {k: r.get("Type", "") for k, r in resources.items() if isinstance(r, dict)}
        declared = {**EXTERNAL_TYPES, **types}
        declared = {k: v for k, v in declared.items() if k not in (body.get("Parameters") or {})}
        self.resources = {
            k: {**r, "Properties": liven(r.get("Properties") or {}, declared)} for k, r in resources.items()
        }
        self.types = types
        for k, t in types.items():  # an association sets the cluster's own strategy, as Config then records it
            if t == "AWS::ECS::ClusterCapacityProviderAssociations":
                assoc = self.resources[k]["Properties"]
                for c, ct in types.items():
                    if ct == "AWS::ECS::Cluster" and assoc.get("Cluster") in (_live_ref(c, ct), live_arn(c, ct)):
                        props = self.resources[c]["Properties"]
                        props.update({n: assoc[n] for n in ("CapacityProviders", "DefaultCapacityProviderStrategy")
                                      if n in assoc})  # fmt: skip
        self.warnings: list[str] = []
        self.put_batches: list[list[Any]] = []
        self.subjects = self._subjects()

    # what the handler judges, and what it reads on their behalf (template logical IDs)
    def _subjects(self) -> set[str]:
        own = {k for k, t in self.types.items() if t in CONFIG_TYPES}
        roles = {
            self._logical(v, "AWS::IAM::Role")
            for k in own
            for v in (self.props(k).get("TaskRoleArn"), self.props(k).get("ExecutionRoleArn"))
        } - {None}
        policies = {
            k
            for k, t in self.types.items()
            if t in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and set(self.props(k).get("Roles") or []) & roles
        }
        groups = {self._logical(g, "AWS::EC2::SecurityGroup") for k in own for g in self._group_ids(k)} - {None}
        rules = {
            k
            for k, t in self.types.items()
            if t.startswith("AWS::EC2::SecurityGroup")
            and t != "AWS::EC2::SecurityGroup"
            and self._logical(self.props(k).get("GroupId"), "AWS::EC2::SecurityGroup") in groups
        }
        return own | {r for r in roles if r} | policies | {g for g in groups if g} | rules

    def props(self, logical: str) -> dict[str, Any]:
        return self.resources[logical].get("Properties") or {}  # type: ignore[no-any-return]

    def _logical(self, live: Any, rtype: str) -> str | None:
        for logical, t in self.types.items():
            if t == rtype and live in (_live_ref(logical, t), live_arn(logical, t)):
                return logical
        return None

    def _group_ids(self, logical: str) -> list[Any]:
        network = self.props(logical).get("NetworkConfiguration") or {}
        block = network.get("AwsvpcConfiguration") or network.get("AwsVpcConfiguration") or {}
        return list(block.get("SecurityGroups") or [])

    def has_live_form(self) -> bool:
        """Every resource the handler would judge or read resolves to literal values (no parameter, condition or
        function left) and carries acknowledgements only where tags can (the recorded resources)."""
        for logical in self.subjects:
            resource = self.resources[logical]
            if has_intrinsic(resource["Properties"]) or "Condition" in resource:
                return False
            if ack_tags(resource) and self.types[logical] not in CONFIG_TYPES:
                return False
            block = (resource.get("Metadata") or {}).get("secure-fargate") or {}
            if set(block) - {"acknowledgements"}:  # construct markers: a template's, never a live resource's
                return False
        return bool(self.subjects & {k for k, t in self.types.items() if t in CONFIG_TYPES})

    def config_items(self) -> list[dict[str, Any]]:
        return [config_item(k, self.resources[k]) for k in sorted(self.subjects) if self.types[k] in CONFIG_TYPES]

    # ----- the reader protocol (secure_fargate.pack.config_rule.Reader)
    def roles(self, arns: Any) -> dict[str, Any]:
        from secure_fargate.pack.scan import role_resources

        found: dict[str, Any] = {}
        for arn in arns:
            logical = self._logical(arn, "AWS::IAM::Role")
            if logical is None:
                self.warnings.append(f"{arn}: role not read")
                found[arn] = {}
                continue
            props = self.props(logical)
            role = {
                "Arn": arn,
                "RoleName": logical,
                "Path": "/",
                "AssumeRolePolicyDocument": props.get("AssumeRolePolicyDocument"),
            }
            inline = [(p.get("PolicyName", "p"), p.get("PolicyDocument")) for p in props.get("Policies") or []]
            managed: list[tuple[str, Any]] = [
                (a, {})
                for a in props.get("ManagedPolicyArns") or []
                if isinstance(a, str) and self._logical(a, "AWS::IAM::ManagedPolicy") is None
            ]
            for k, t in self.types.items():
                if logical in (self.props(k).get("Roles") or []):
                    if t == "AWS::IAM::Policy":
                        inline.append((self.props(k).get("PolicyName", k), self.props(k).get("PolicyDocument")))
                    elif t == "AWS::IAM::ManagedPolicy":
                        managed.append((live_arn(k, t), self.props(k).get("PolicyDocument")))
            for a in props.get("ManagedPolicyArns") or []:
                policy = self._logical(a, "AWS::IAM::ManagedPolicy")
                if policy is not None and logical not in (self.props(policy).get("Roles") or []):
                    managed.append((a, self.props(policy).get("PolicyDocument")))
            found[arn] = role_resources(role, inline, managed)
        return found

    def task_definition(self, arn: str) -> tuple[str, dict[str, Any], str] | None:
        from secure_fargate.pack.config_rule import TASK_DEFINITION, _api_object, _api_tags
        from secure_fargate.pack.scan import task_definition_resource

        logical = self._logical(arn, "AWS::ECS::TaskDefinition")
        if logical is None:
            return None
        item = config_item(logical, self.resources[logical])
        api = _api_object(TASK_DEFINITION, item["configuration"])
        status = str(item["configuration"].get("Status") or "ACTIVE")
        return arn, task_definition_resource(api, _api_tags(item, item["configuration"])), status

    def security_groups(self, ids: set[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for group in sorted(ids):
            logical = self._logical(group, "AWS::EC2::SecurityGroup")
            if logical is None:
                continue
            props = json.loads(json.dumps(self.props(logical)))
            for k, t in self.types.items():  # standalone rules fold into the group, as EC2 reports them
                if (
                    t in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")
                    and self.props(k).get("GroupId") == group
                ):
                    key = "SecurityGroupIngress" if t.endswith("Ingress") else "SecurityGroupEgress"
                    props.setdefault(key, []).append({n: v for n, v in self.props(k).items() if n != "GroupId"})
            found[group] = {"Type": "AWS::EC2::SecurityGroup", "Properties": props}
        # the customer-managed prefix lists the rules name, linked as scan's reader links them
        lists = {_live_ref(k, t): self.resources[k] for k, t in self.types.items() if t == "AWS::EC2::PrefixList"}
        return link_prefix_lists(found, lists)

    def aws_managed_key(self, key: str) -> bool:
        return False

    def registry_scanning(self) -> dict[str, Any]:
        return {k: self.resources[k] for k, t in self.types.items() if t == "AWS::ECR::RegistryScanningConfiguration"}

    def item(self, resource_type: str, resource_id: str, later_time: Any) -> dict[str, Any] | None:
        """As GetResourceConfigHistory answers: ``arn`` (not ``ARN``), the configuration as JSON text."""
        for item in self.config_items():
            if item["resourceType"] == resource_type and item["resourceId"] == resource_id:
                history = {k: v for k, v in item.items() if k != "ARN"}
                return {**history, "arn": item["ARN"], "configuration": json.dumps(item["configuration"])}
        return None

    def items(self, resource_type: str) -> Iterator[dict[str, Any]]:
        for item in self.config_items():
            if item["resourceType"] == resource_type:
                found = self.item(resource_type, item["resourceId"], None)
                if found is not None:
                    yield found

    def put(self, evaluations: Any, token: str) -> list[Any]:
        for start in range(0, len(evaluations), 100):
            self.put_batches.append([e.to_api() for e in evaluations[start : start + 100]])
        return []
