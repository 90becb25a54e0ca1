"""Service security groups: SF.INGRESS (no public range admitted, wherever the rule is declared) and SF.EGRESS
(no egress on all ports to anywhere).

A service's groups are followed through the template set: a group of the same template, a group imported from
another stack (``Fn::ImportValue`` of its ``GroupId``), or a literal ``sg-...`` ID. Their ingress rules are read
inline (``SecurityGroupIngress``) and from every ``AWS::EC2::SecurityGroupIngress`` of the set whose ``GroupId``
designates the group, including one in another stack that imported the group (CDK's
``SecurityGroup.from_security_group_id(..., mutable=True).add_ingress_rule(...)``).

A CIDR passes only when it lies wholly inside a non-public range (:data:`NON_PUBLIC_NETWORKS`); everything else
fails whatever its prefix length, so ``0.0.0.0/1`` + ``128.0.0.0/1`` or ``8.8.8.0/24`` do. (``ipaddress``'s
``is_private`` is not used on networks: ``0.0.0.0/1`` counts as private there, since both its first address and
its last, 127.255.255.255, are.) Rules from a security group pass, and so do prefix lists, except one declared in
the set (``AWS::EC2::PrefixList``), which is judged by its entries. A CIDR that only deploy time
knows is not guessed; a malformed one is not judged (CloudFormation refuses it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from ipaddress import IPv4Network, IPv6Network, ip_network

from . import examples as ex
from ._template import JSON, Template, _Unknown, evaluating, objects_at, possible_values, properties
from .control import HIGH, MEDIUM, SERVICE, Violation, resource_control
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
                if rendered is not None and is_literal(rendered):
                    if is_public_cidr(rendered):
                        yield rendered
                    continue
                yield from _public_candidates(template, item)
    for value in alternatives(rule.get("SourcePrefixListId")):
        yield from (c for c in prefix_list_entries(template_set, template, value) if is_public_cidr(c))


def _public_candidates(template: Template, value: JSON) -> Iterator[str]:
    """Public ranges among the candidates of a partly known CIDR, evaluated in its own template: a parameter's
    default or allowed values, each item an ``Fn::Select`` with a deploy-time index may pick."""
    with evaluating(template):
        candidates = possible_values(value)
    for candidate in [] if isinstance(candidates, _Unknown) else candidates:
        if isinstance(candidate, str) and is_public_cidr(candidate):
            yield candidate


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


# ------------------------------------------------------------------------------------------------ egress

def is_anywhere(cidr: str) -> bool:
    """True for a range that is every address of its IP version (egress to it reaches the whole internet), however
    spelled: ``0.0.0.0/0``, ``::/0``, ``0::/0``, ``0:0:0:0:0:0:0:0/0``."""
    try:
        return ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False

#: CDK's "no egress" placeholder rule (``allow_all_outbound=False``): ICMP type 252 code 86 to one address.
_ALL_PROTOCOLS = frozenset({"-1", "all"})


def _all_ports(template: Template, rule: Mapping[str, JSON]) -> bool:
    """True when a rule may cover every port: protocol ``-1``, or TCP/UDP from port 0 (or -1) to 65535."""
    with evaluating(template):
        protocols = possible_values(rule.get("IpProtocol"))
        lows, highs = possible_values(rule.get("FromPort")), possible_values(rule.get("ToPort"))
    if isinstance(protocols, _Unknown):
        return False
    names = {str(p).strip().lower() for p in protocols}
    if names & _ALL_PROTOCOLS:
        return True
    if not names & {"tcp", "udp", "6", "17"} or isinstance(lows, _Unknown) or isinstance(highs, _Unknown):
        return False
    return any(str(low) in ("0", "-1") for low in lows) and any(str(high) == "65535" for high in highs)


def _destinations(template_set: TemplateSet, template: Template, rule: Mapping[str, JSON]) -> Iterator[str]:
    """The CIDRs a rule may reach: literal or partly known (every candidate), and the entries of a prefix list
    declared in the set (``DestinationPrefixListId``/``SourcePrefixListId`` of an ``AWS::EC2::PrefixList``)."""
    for key in ("CidrIp", "CidrIpv6"):
        for value in alternatives(rule.get(key)):
            rendered = template_set.render(template, value)
            if rendered is not None and is_literal(rendered):
                yield rendered.strip()
            else:
                with evaluating(template):
                    candidates = possible_values(value)
                yield from ([] if isinstance(candidates, _Unknown) else [str(c) for c in candidates])
    for key in ("DestinationPrefixListId", "SourcePrefixListId"):
        for value in alternatives(rule.get(key)):
            yield from prefix_list_entries(template_set, template, value)


def prefix_list_entries(template_set: TemplateSet, template: Template, value: JSON) -> Iterator[str]:
    """The CIDRs of the ``AWS::EC2::PrefixList`` of the set that ``value`` designates (none for an AWS-managed or
    imported list: its entries are not in any template)."""
    key = template_set.resource_key(template, value)
    resource = template_set.resource(key) if key is not None else None
    if resource is None or resource.get("Type") != "AWS::EC2::PrefixList":
        return
    owner = template_set.templates[key[0]]  # type: ignore[index]
    for entry in items_of(properties(resource).get("Entries")):
        if isinstance(entry, dict):
            yield from _destinations(template_set, owner, {"CidrIp": entry.get("Cidr")})


def _egress_rules(template_set: TemplateSet, identity: str) -> Iterator[tuple[Template, Mapping[str, JSON], str]]:
    """(template, rule, where) for each egress rule of a group resource: inline, and separate resources."""
    _, index, logical_id = identity.split(":", 2)
    template = template_set.templates[int(index)]
    group = template.resource(logical_id) or {}
    for rule in items_of(properties(group).get("SecurityGroupEgress")):
        if isinstance(rule, dict):
            yield template, rule, ""
    for other_index, other_id, resource in template_set.of_type("AWS::EC2::SecurityGroupEgress"):
        other = template_set.templates[other_index]
        for value in alternatives(properties(resource).get("GroupId")):
            if _group_identity(template_set, other, value) == identity:
                yield other, properties(resource), f" ({template_set.describe((other_index, other_id))})"


def _default_egress(template_set: TemplateSet, identity: str, group: Mapping[str, JSON]) -> bool:
    """True when the group may keep EC2's default rule (all traffic to 0.0.0.0/0): no ``SecurityGroupEgress``
    (or ``AWS::NoValue``, or an empty list) in some branch, and no ``AWS::EC2::SecurityGroupEgress`` of the set on
    it (CloudFormation strips the default rule when the first egress rule is added, inline or separate)."""
    egress = properties(group).get("SecurityGroupEgress")
    if egress is not None and not any(v is None or v == [] for v in alternatives(egress)):
        return False
    return not any(where for _, _, where in _egress_rules(template_set, identity))


def _egress_findings(template_set: TemplateSet, identity: str, label: str) -> Iterator[str]:
    if not identity.startswith("resource:"):
        return  # a group by literal ID or from outside the set: its rules are not in any template
    _, index, logical_id = identity.split(":", 2)
    group = template_set.templates[int(index)].resource(logical_id)
    if group is None or group.get("Type") != "AWS::EC2::SecurityGroup":
        return
    if _default_egress(template_set, identity, group):
        yield (
            f"security group {label} declares no SecurityGroupEgress, so EC2's default rule allows all traffic to "
            "0.0.0.0/0"
        )
    for template, rule, where in _egress_rules(template_set, identity):
        if not _all_ports(template, rule):
            continue
        for cidr in _destinations(template_set, template, rule):
            if is_anywhere(cidr):
                yield f"security group {label} allows egress on all ports to {cidr}{where}"


@resource_control(
    "SF.EGRESS",
    resource_types=(SERVICE,),
    title="Service security groups do not allow all traffic to anywhere",
    requirement="no security group of a service allows egress on all ports (protocol `-1`, or TCP/UDP 0-65535) to "
    "`0.0.0.0/0` or `::/0` (a literal, a candidate of a partly known value, or an entry of a prefix list "
    "declared in the set); a group without any egress rule (inline or a separate `AWS::EC2::SecurityGroupEgress`) "
    "fails too (EC2's default rule allows all traffic to 0.0.0.0/0); egress to anywhere on named ports (443) "
    "passes, and so do groups known only by ID",
    severity=MEDIUM,
    severity_reason="open egress lets a compromised task exfiltrate data and reach command-and-control; it needs "
    "a compromise first",
    rationale="A task needs a few destinations (ECR, S3, Secrets Manager, CloudWatch Logs, its dependencies) on a "
    "few ports; all traffic to anywhere is what an intruder needs to take data out.",
    remediation="allow_all_outbound=False and egress rules on the ports the task needs (443 to VPC endpoints or "
    "the NAT), e.g. service.connections.allow_to(endpoint, Port.tcp(443))",
    source="CON316: least-privilege network access; AWS Well-Architected SEC05",
    failing={
        **ex.service(NetworkConfiguration=ex.awsvpc(SecurityGroups=[{"Fn::GetAtt": ["Sg", "GroupId"]}])),
        "Sg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "tasks",
                "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}],
            },
        },
    },
    passing={
        **ex.service(NetworkConfiguration=ex.awsvpc(SecurityGroups=[{"Fn::GetAtt": ["Sg", "GroupId"]}])),
        "Sg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "tasks",
                "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}],
            },
        },
    },
)
def check_open_egress(logical_id: str, service: Mapping[str, JSON], template: Template) -> Found:
    """SF.EGRESS: no security group of the service allows all traffic to anywhere."""
    template_set = template_set_of(template)
    messages: dict[str, None] = {}
    for group in _service_groups(service):
        identity = _group_identity(template_set, template, group)
        if identity is not None:
            label = _label(template_set, identity) if identity.startswith("resource:") else identity
            messages.update(dict.fromkeys(_egress_findings(template_set, identity, label)))
    return [Violation(None, m) for m in messages]
