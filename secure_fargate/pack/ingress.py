"""SF.INGRESS: no security group of a service admits a public address range, wherever the rule is declared.

A service's groups are followed through the template set: a group of the same template, a group imported from
another stack (``Fn::ImportValue`` of its ``GroupId``), or a literal ``sg-...`` ID. Their ingress rules are read
inline (``SecurityGroupIngress``) and from every ``AWS::EC2::SecurityGroupIngress`` of the set whose ``GroupId``
designates the group, including one in another stack that imported the group (CDK's
``SecurityGroup.from_security_group_id(..., mutable=True).add_ingress_rule(...)``).

A CIDR passes only when it lies wholly inside a non-public range (:data:`NON_PUBLIC_NETWORKS`); everything else
fails whatever its prefix length, so ``0.0.0.0/1`` + ``128.0.0.0/1`` or ``8.8.8.0/24`` do. (``ipaddress``'s
``is_private`` is not used on networks: ``0.0.0.0/1`` counts as private there, since both its first address and
its last, 127.255.255.255, are.) Rules from a security group or a prefix list pass. A CIDR that only deploy time
knows is not guessed; a malformed one is not judged (CloudFormation refuses it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from ipaddress import IPv4Network, IPv6Network, ip_network

from . import examples as ex
from ._template import JSON, Template, objects_at, possible_values, properties
from .control import HIGH, SERVICE, Violation, resource_control
from .template_set import TemplateSet, alternatives, is_literal, items_of, template_set_of

Found = list[Violation]

#: Ranges no internet host can come from: RFC 1918 private, RFC 6598 shared (CGNAT), link-local, loopback,
#: IPv6 unique-local (fc00::/7), link-local and loopback.
NON_PUBLIC_NETWORKS: tuple[IPv4Network | IPv6Network, ...] = tuple(
    ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)
_CIDR_KEYS = ("CidrIp", "CidrIpv6")


def is_public_cidr(cidr: str) -> bool | None:
    """True when ``cidr`` reaches beyond the non-public ranges; None when it is not a CIDR at all."""
    try:
        network = ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    return not any(network.version == n.version and network.subnet_of(n) for n in NON_PUBLIC_NETWORKS)  # type: ignore[arg-type]


def _group_identity(template_set: TemplateSet, template: Template, value: JSON) -> str | None:
    key = template_set.resource_key(template, value)
    if key is not None:
        return f"resource:{key[0]}:{key[1]}"
    rendered = template_set.render(template, value)
    return f"id:{rendered}" if rendered is not None and is_literal(rendered) else None


def _public_cidrs(template_set: TemplateSet, template: Template, rule: JSON) -> Iterator[str]:
    if not isinstance(rule, dict):
        return
    for key in _CIDR_KEYS:
        for value in alternatives(rule.get(key)):
            for item in value if isinstance(value, list) else [value]:
                rendered = template_set.render(template, item)
                if rendered is not None and is_literal(rendered) and is_public_cidr(rendered):
                    yield rendered


def _separate_rules(template_set: TemplateSet) -> dict[str, list[tuple[int, str]]]:
    """Group identity -> the AWS::EC2::SecurityGroupIngress resources (template index, logical ID) on it."""
    cached = template_set.cache.get("ingress")
    if cached is not None:
        return cached
    rules: dict[str, list[tuple[int, str]]] = {}
    for index, logical_id, resource in template_set.of_type("AWS::EC2::SecurityGroupIngress"):
        for group in alternatives(properties(resource).get("GroupId")):
            identity = _group_identity(template_set, template_set.templates[index], group)
            if identity is not None:
                rules.setdefault(identity, []).append((index, logical_id))
    template_set.cache["ingress"] = rules
    return rules


def _inline_findings(template_set: TemplateSet, identity: str, label: str) -> Iterator[str]:
    if not identity.startswith("resource:"):
        return
    _, index, logical_id = identity.split(":", 2)
    template = template_set.templates[int(index)]
    group = template.resource(logical_id)
    if group is None or group.get("Type") != "AWS::EC2::SecurityGroup":
        return
    for rule in items_of(properties(group).get("SecurityGroupIngress")):
        for cidr in _public_cidrs(template_set, template, rule):
            yield f"security group {label} allows ingress from {cidr}"


def _separate_findings(template_set: TemplateSet, identity: str, label: str) -> Iterator[str]:
    for index, logical_id in _separate_rules(template_set).get(identity, []):
        template = template_set.templates[index]
        for cidr in _public_cidrs(template_set, template, properties(template.resources[logical_id])):
            yield f"security group {label} allows ingress from {cidr} ({template_set.describe((index, logical_id))})"


def group_findings(template: Template, group: JSON) -> Iterator[str]:
    """What admits a public range into the security group ``group`` (a value of ``template``) designates: its inline
    rules and every separate ingress resource of the set on it (for services here, task sets and launchers in
    ``launchers``)."""
    template_set = template_set_of(template)
    identity = _group_identity(template_set, template, group)
    if identity is None:
        return
    label = identity.split(":", 1)[1] if identity.startswith("id:") else _label(template_set, identity)
    yield from _inline_findings(template_set, identity, label)
    yield from _separate_findings(template_set, identity, label)


def _awsvpc_configurations(service: Mapping[str, JSON]) -> list[Mapping[str, JSON]]:
    """Every awsvpc configuration the service may deploy with (each branch of an ``Fn::If`` on the way)."""
    return objects_at(properties(service), "NetworkConfiguration", "AwsvpcConfiguration")


def _service_groups(service: Mapping[str, JSON]) -> list[JSON]:
    return [group for config in _awsvpc_configurations(service) for group in items_of(config.get("SecurityGroups"))]


def _without_groups(service: Mapping[str, JSON]) -> bool:
    """True when an awsvpc configuration of the service names no security group (absent, or ``AWS::NoValue``)."""
    for config in _awsvpc_configurations(service):
        values = possible_values(config.get("SecurityGroups"))
        if isinstance(values, list) and any(v is None or v == [] for v in values):
            return True
    return False


@resource_control(
    "SF.INGRESS",
    resource_types=(SERVICE,),
    title="Service security groups admit no public address range",
    requirement="a service's security groups admit no public range, whatever its prefix (`0.0.0.0/1`, `8.8.8.0/24`, "
    "public IPv6): only RFC 1918, `100.64.0.0/10`, link-local, loopback, `fc00::/7`, security groups and "
    "prefix lists; inline, as a separate ingress resource, or from another stack of the same cdk.out; a "
    "service with no security group at all fails too (its tasks would get the VPC's default group)",
    severity=HIGH,
    severity_reason="the tasks are reachable from the internet around the load balancer",
    rationale="Tasks should be reached only through the load balancer's security group (or private ranges).",
    remediation="allow ingress from the load balancer's security group (service.connections.allow_from(alb, port)) "
    "or a private CIDR; remove rules from public ranges, in this stack and in others",
    source="CON316: one security group per task, reached through the load balancer",
    failing={
        **ex.service(NetworkConfiguration=ex.awsvpc(SecurityGroups=[{"Fn::GetAtt": ["Sg", "GroupId"]}])),
        "Sg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "tasks",
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "CidrIp": "0.0.0.0/0"}
                ],
            },
        },
    },
    passing={
        **ex.service(NetworkConfiguration=ex.awsvpc(SecurityGroups=[{"Fn::GetAtt": ["Sg", "GroupId"]}])),
        "Sg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "tasks",
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "CidrIp": "10.0.0.0/16"}
                ],
            },
        },
    },
)
def check_public_ingress(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """SF.INGRESS: no security group of the service admits a public CIDR, inline or through a separate ingress
    resource in any template of the set."""
    template_set = template_set_of(template)
    messages: dict[str, None] = {}
    if _without_groups(service):
        messages[
            "names no SecurityGroups: its tasks get the VPC's default security group, which admits every "
            "resource in that group; give the service its own group"
        ] = None
    for group in _service_groups(service):
        identity = _group_identity(template_set, template, group)
        if identity is None:
            continue
        label = identity.split(":", 1)[1] if identity.startswith("id:") else _label(template_set, identity)
        messages.update(dict.fromkeys(_inline_findings(template_set, identity, label)))
        messages.update(dict.fromkeys(_separate_findings(template_set, identity, label)))
    return [Violation(None, m) for m in messages]


def _label(template_set: TemplateSet, identity: str) -> str:
    _, index, logical_id = identity.split(":", 2)
    return template_set.describe((int(index), logical_id))
