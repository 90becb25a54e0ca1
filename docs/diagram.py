"""Draw the reference architecture from the synthesized template (Graphviz), so the picture cannot drift.

    python docs/diagram.py [cdk.out/SecureFargateReference.template.json]

writes ``docs/architecture.dot`` and, when Graphviz's ``dot`` is installed, ``docs/architecture.png``.
``tests/test_diagram.py`` regenerates the DOT text from the reference template and compares it with the
committed file, so a change to the stack without a new picture fails the tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Resource type -> (group, short label). Only these become nodes; other resources become edges or vanish.
NODES: dict[str, tuple[str, str]] = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("public", "Application Load Balancer"),
    "AWS::EC2::NatGateway": ("public", "NAT gateway"),
    "AWS::ElasticLoadBalancingV2::Listener": ("public", "Listener"),
    "AWS::ECS::Service": ("tasks", "Fargate service"),
    "AWS::ECS::TaskDefinition": ("tasks", "Task definition"),
    "AWS::EC2::VPCEndpoint": ("tasks", "VPC endpoint"),
    "AWS::EC2::SecurityGroup": ("vpc", "Security group"),
    "AWS::ECS::Cluster": ("regional", "ECS cluster"),
    "AWS::IAM::Role": ("regional", "IAM role"),
    "AWS::KMS::Key": ("regional", "KMS key"),
    "AWS::SecretsManager::Secret": ("regional", "Secret"),
    "AWS::Logs::LogGroup": ("regional", "Log group"),
    "AWS::S3::Bucket": ("regional", "S3 bucket"),
    "AWS::WAFv2::WebACL": ("edge", "WAF web ACL"),
    "AWS::ECR::PullThroughCacheRule": ("regional", "ECR pull-through cache"),
    "AWS::Events::Rule": ("regional", "EventBridge rule: secret rotated"),
    "AWS::StepFunctions::StateMachine": ("regional", "State machine: ecs:UpdateService"),
}
GROUPS = {
    "edge": "Edge",
    "vpc": "VPC",
    "public": "Public subnets (load balancer only)",
    "tasks": "Task subnets (no internet route without NAT)",
    "regional": "Regional services",
}
PARENT = {"public": "vpc", "tasks": "vpc"}


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            yield target[0] if isinstance(target, list) else str(target).split(".")[0]
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _label(logical_id: str, resource: dict[str, Any]) -> str:
    kind = NODES[resource["Type"]][1]
    props = resource.get("Properties", {})
    if resource["Type"] == "AWS::EC2::VPCEndpoint":
        service = json.dumps(props.get("ServiceName"))
        for name in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "s3"):
            if name in service:
                kind = f"{kind}: {name}"
                break
    if resource["Type"] == "AWS::ElasticLoadBalancingV2::Listener":
        kind = f"{kind} :{props.get('Port')} {props.get('Protocol')}"
    return f"{kind}\\n{logical_id}"


def to_dot(template: dict[str, Any]) -> str:
    """Deterministic DOT text for ``template``."""
    resources = template["Resources"]
    nodes = {k: v for k, v in resources.items() if v["Type"] in NODES}
    edges: set[tuple[str, str, str]] = set()
    for source, resource in resources.items():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::IAM::Policy":  # role -> what it may use
            roles = [r for r in _refs(props.get("Roles")) if r in nodes]
            targets = {t for t in _refs(props.get("PolicyDocument")) if t in nodes}
            edges |= {(r, t, "may use") for r in roles for t in targets}
        elif kind == "AWS::EC2::SecurityGroupIngress":
            group = next((r for r in _refs(props.get("GroupId")) if r in nodes), None)
            peer = next((r for r in _refs(props.get("SourceSecurityGroupId")) if r in nodes), None)
            if group and peer:
                edges.add((peer, group, f"tcp {props.get('FromPort')}"))
        elif kind == "AWS::WAFv2::WebACLAssociation":
            acl = next(iter(_refs(props.get("WebACLArn"))), None)
            lb = next(iter(_refs(props.get("ResourceArn"))), None)
            if acl in nodes and lb in nodes:
                edges.add((acl, lb, "protects"))
        elif kind == "AWS::EC2::FlowLog":
            for target in _refs(props.get("LogGroupName")):
                if target in nodes:
                    edges.add(("FlowLog", target, "flow logs"))
        elif source in nodes:
            for target in set(_refs(props)):
                if target in nodes and target != source:
                    is_group = resources[target]["Type"] == "AWS::EC2::SecurityGroup"
                    edges.add((source, target, "in" if is_group else ""))
    lines = [
        "digraph reference {",
        "  rankdir=LR; compound=true; node [shape=box, fontsize=10];",
        "  Internet [shape=ellipse];",
    ]
    by_group: dict[str, list[str]] = {}
    for logical_id in sorted(nodes):
        by_group.setdefault(NODES[nodes[logical_id]["Type"]][0], []).append(logical_id)

    def emit(group: str, indent: str) -> None:
        lines.append(f'{indent}subgraph "cluster_{group}" {{ label="{GROUPS[group]}";')
        if group == "vpc":
            lines.append(f'{indent}  FlowLog [label="VPC flow log (ALL traffic)", shape=note];')
        for logical_id in by_group.get(group, []):
            lines.append(f'{indent}  "{logical_id}" [label="{_label(logical_id, nodes[logical_id])}"];')
        for child in sorted(g for g, parent in PARENT.items() if parent == group):
            emit(child, indent + "  ")
        lines.append(f"{indent}}}")

    for group in ("edge", "vpc", "regional"):
        emit(group, "  ")
    for logical_id in by_group.get("public", []):
        if nodes[logical_id]["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer":
            lines.append(f'  Internet -> "{logical_id}" [label="HTTPS / HTTP"];')
    for source, target, label in sorted(edges):
        lines.append(f'  "{source}" -> "{target}"' + (f' [label="{label}"]' if label else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "cdk.out/SecureFargateReference.template.json")
    dot_text = to_dot(json.loads(path.read_text()))
    (HERE / "architecture.dot").write_text(dot_text)
    if shutil.which("dot"):
        subprocess.run(
            ["dot", "-Tpng", "-Gdpi=80", "-o", str(HERE / "architecture.png")], input=dot_text.encode(), check=True
        )
        print("wrote docs/architecture.dot and docs/architecture.png")
    else:
        print("wrote docs/architecture.dot (install Graphviz for the PNG)")


if __name__ == "__main__":
    main()
