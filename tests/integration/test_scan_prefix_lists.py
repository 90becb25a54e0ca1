"""``scan`` judges a security group rule that names a customer-managed prefix list by the list's entries (issue 24).

Live, EC2 reports such a rule as ``PrefixListIds``; the scanner reads the customer-managed lists the rules name
(``DescribeManagedPrefixLists``, ``GetManagedPrefixListEntries``), models each as an ``AWS::EC2::PrefixList`` with
its ``Entries`` and points the rule at it with a ``Ref``, so SF.INGRESS/SF.EGRESS judge it as in a template.
AWS-managed lists (owner ``AWS``: S3's, DynamoDB's ranges) are service ranges: neither read nor flagged. Runs
against a moto server on loopback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from secure_fargate.pack.scan import READ_ONLY_ACTIONS, Scanner, scan_account
from tests.integration import test_scan
from tests.integration.test_scan import REGION, _roles, _service, _task, container, controls_on, session

#: The moto server fixture of ``test_scan`` (module-scoped: this module gets a server of its own).
moto_url = test_scan.moto_url

pytestmark = pytest.mark.slow

EVERYTHING = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
HTTPS_OUT = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]


@dataclass(frozen=True)
class Lists:
    public_in: str  # ingress from a customer list holding 0.0.0.0/0 among private ranges
    private_in: str  # near miss: a customer list of private ranges only
    aws_in: str  # near miss: an AWS-managed list (S3's ranges)
    public_out: str  # all egress to a customer list holding ::/0
    groups: dict[str, str]
    public_list: str
    aws_list: str


def _list(ec2: Any, name: str, cidrs: list[str], family: str = "IPv4") -> str:
    entries = [{"Cidr": c, "Description": name} for c in cidrs]
    found = ec2.create_managed_prefix_list(PrefixListName=name, AddressFamily=family, MaxEntries=5, Entries=entries)
    return str(found["PrefixList"]["PrefixListId"])


def _group(ec2: Any, vpc: str, name: str, *, ingress_list: str | None = None, egress_list: str | None = None) -> str:
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=EVERYTHING)
    if egress_list:
        out = [{"IpProtocol": "-1", "PrefixListIds": [{"PrefixListId": egress_list}]}]
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=out)
    else:
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=HTTPS_OUT)
    if ingress_list:
        rule = {
            "IpProtocol": "tcp",
            "FromPort": 8080,
            "ToPort": 8080,
            "PrefixListIds": [{"PrefixListId": ingress_list}],
        }
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[rule])
    return str(group)


@pytest.fixture(scope="module")
def lists(moto_url: str) -> Lists:
    ecs, ec2, iam = (session().client(s) for s in ("ecs", "ec2", "iam"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    public = _list(ec2, "partners", ["10.1.0.0/16", "0.0.0.0/0"])
    private = _list(ec2, "offices", ["10.2.0.0/16", "192.168.0.0/16"])
    anywhere6 = _list(ec2, "v6", ["::/0"], family="IPv6")
    aws = next(
        p["PrefixListId"]
        for p in ec2.describe_managed_prefix_lists()["PrefixLists"]
        if p["OwnerId"] == "AWS" and p["PrefixListName"].endswith(".s3")
    )
    groups = {
        "public_in": _group(ec2, vpc, "public-in", ingress_list=public),
        "private_in": _group(ec2, vpc, "private-in", ingress_list=private),
        "aws_in": _group(ec2, vpc, "aws-in", ingress_list=aws),
        "public_out": _group(ec2, vpc, "public-out", egress_list=anywhere6),
    }
    insights = [{"name": "containerInsights", "value": "enabled"}]
    cluster = ecs.create_cluster(clusterName="lists", settings=insights, tags=test_scan.TAGS)["cluster"]["clusterArn"]
    task = _task(ecs, "listed", _roles(iam, "listed", task_reads_secrets=False), container())
    services = {name: _service(ecs, cluster, name.replace("_", "-"), task, subnet, g) for name, g in groups.items()}
    return Lists(**services, groups=groups, public_list=public, aws_list=aws)


@pytest.fixture(scope="module")
def scanned(lists: Lists) -> tuple[list[Any], int, list[str]]:
    return scan_account(session(), [REGION], clusters=["lists"])


def test_a_customer_list_holding_anywhere_fails_ingress(lists: Lists, scanned: Any) -> None:
    findings, code, warnings = scanned
    assert "SF.INGRESS" in controls_on(findings, lists.public_in), warnings
    assert code == 1


def test_a_customer_list_holding_anywhere_fails_egress(lists: Lists, scanned: Any) -> None:
    findings = scanned[0]
    assert "SF.EGRESS" in controls_on(findings, lists.groups["public_out"]) | controls_on(findings, lists.public_out)


def test_near_misses_private_and_aws_managed_lists_pass(lists: Lists, scanned: Any) -> None:
    findings, _, warnings = scanned
    for arn in (lists.private_in, lists.aws_in):
        assert not {"SF.INGRESS", "SF.EGRESS"} & controls_on(findings, arn), arn
    for group in (lists.groups["private_in"], lists.groups["aws_in"]):
        assert not {"SF.INGRESS", "SF.EGRESS"} & controls_on(findings, group), group
    assert not [w for w in warnings if "prefix list" in w]


def test_the_reader_models_customer_lists_and_leaves_aws_lists_by_id(lists: Lists) -> None:
    resources = Scanner(session()).read_security_groups({lists.groups["public_in"], lists.groups["aws_in"]})
    listed = resources[lists.public_list]
    assert listed["Type"] == "AWS::EC2::PrefixList"
    assert {e["Cidr"] for e in listed["Properties"]["Entries"]} == {"10.1.0.0/16", "0.0.0.0/0"}
    public_rule = resources[lists.groups["public_in"]]["Properties"]["SecurityGroupIngress"][0]
    assert public_rule["SourcePrefixListId"] == {"Ref": lists.public_list}
    aws_rule = resources[lists.groups["aws_in"]]["Properties"]["SecurityGroupIngress"][0]
    assert aws_rule["SourcePrefixListId"] == lists.aws_list  # an ID, not a resource: never judged as a range
    assert lists.aws_list not in resources


def test_prefix_list_reads_are_read_only_actions() -> None:
    assert {"DescribeManagedPrefixLists", "GetManagedPrefixListEntries"} <= READ_ONLY_ACTIONS["ec2"]


def test_the_config_rule_reader_returns_the_lists_its_groups_name_cached(lists: Lists) -> None:
    from secure_fargate.pack.config_rule import AwsReader

    reader = AwsReader(session())
    public, aws = lists.groups["public_in"], lists.groups["aws_in"]
    first = reader.security_groups({public, aws})
    assert first[lists.public_list]["Type"] == "AWS::EC2::PrefixList"
    assert lists.aws_list not in first
    again = reader.security_groups({public})  # from the cache: the list comes with its group again
    assert set(again) == {public, lists.public_list}
    assert reader.warnings == []
