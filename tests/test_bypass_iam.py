"""Bypass catalogue, classes 1 (IAM seen partially) and 6 (ingress) of issue 12: each route is built with ordinary
CDK calls, synthesized, and the templates of the cloud assembly are judged as one set by the pack.

GIVEN a Fargate task definition and service built with raw aws_ecs constructs (so no plugin stops the synth), and
one attack route per stack (plus a second stack where the route needs one), WHEN the whole cdk.out is evaluated
with ``evaluate_set``, THEN the route's task definition or service carries the control unacknowledged; the
compliant counterparts carry none of the IAM/ingress controls. All routes share one app: one synthesis.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as sm

from secure_fargate.pack import Template, evaluate, evaluate_set, load_template
from tests.conftest import app_container, base_stack, reported_controls

IAM_AND_INGRESS = {"SF.EXECUTION_ROLE", "SF.SECRETS", "SF.TASK_ROLE", "SF.INGRESS", "SF.ROLES"}
IMAGE = "public.ecr.aws/example/app@sha256:" + "b" * 64


class Route:
    """One stack with a Fargate task definition and service, the subject of one route."""

    def __init__(self, app: cdk.App, name: str) -> None:
        self.stack = cdk.Stack(app, name)
        vpc = ec2.Vpc.from_vpc_attributes(
            self.stack,
            "Vpc",
            vpc_id="vpc-12345678",
            availability_zones=["eu-west-1a", "eu-west-1b"],
            private_subnet_ids=["subnet-1", "subnet-2"],
        )
        self.vpc = vpc
        cluster = ecs.Cluster.from_cluster_attributes(self.stack, "Cluster", cluster_name="c", vpc=vpc)
        self.task = ecs.FargateTaskDefinition(self.stack, "Task")
        self.task.add_container("app", image=ecs.ContainerImage.from_registry(IMAGE), memory_limit_mib=256)
        self.execution_role = self.task.obtain_execution_role()
        self.group = ec2.SecurityGroup(self.stack, "Sg", vpc=vpc)
        self.service = ecs.FargateService(
            self.stack, "Service", cluster=cluster, task_definition=self.task, security_groups=[self.group]
        )

    def other_stack(self, suffix: str = "Other") -> cdk.Stack:
        return cdk.Stack(self.stack.node.scope, f"{self.stack.stack_name}{suffix}")  # type: ignore[arg-type]


def other_vpc(stack: cdk.Stack) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-12345678", availability_zones=["eu-west-1a"], private_subnet_ids=["subnet-1"]
    )


def statement(actions: list[str], resources: list[str] | None = None) -> iam.PolicyStatement:
    return iam.PolicyStatement(actions=actions, resources=resources or ["*"])


def admin() -> iam.IManagedPolicy:
    return iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess")


# --- class 1: IAM seen partially -------------------------------------------------------------------------


def task_role_admin(r: Route) -> None:
    r.task.task_role.add_managed_policy(admin())


def execution_role_admin(r: Route) -> None:
    r.execution_role.add_managed_policy(admin())


def task_role_read_only_access(r: Route) -> None:
    r.task.task_role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess"))


def customer_managed_policy_roles(r: Route) -> None:
    iam.ManagedPolicy(
        r.stack, "Mp", statements=[statement(["secretsmanager:GetSecretValue"])], roles=[r.task.task_role]
    )


def customer_managed_policy_arns(r: Route) -> None:
    policy = iam.ManagedPolicy(r.stack, "Mp", statements=[statement(["ssm:GetParameters"])])
    r.task.task_role.add_managed_policy(policy)


def customer_managed_policy_other_stack(r: Route) -> None:
    other = r.other_stack()
    policy = iam.ManagedPolicy(other, "Mp", statements=[statement(["secretsmanager:GetSecretValue"])])
    r.task.task_role.add_managed_policy(policy)


def cfn_role_policy(r: Route) -> None:
    iam.CfnRolePolicy(
        r.stack,
        "RolePolicy",
        policy_name="read",
        role_name=r.task.task_role.role_name,
        policy_document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
        },
    )


def from_role_arn_same_stack(r: Route) -> None:
    imported = iam.Role.from_role_arn(r.stack, "Imported", r.task.task_role.role_arn)
    imported.add_to_principal_policy(statement(["ssm:GetParameter"]))


def from_role_arn_other_stack(r: Route) -> None:
    other = r.other_stack()
    imported = iam.Role.from_role_arn(other, "Imported", r.task.task_role.role_arn)
    imported.add_to_principal_policy(statement(["secretsmanager:GetSecretValue"]))


def from_role_name_other_stack(r: Route) -> None:
    r.task.task_role.node.default_child.add_property_override("RoleName", "bypass-app-task")  # type: ignore[union-attr]
    other = r.other_stack()
    iam.Role.from_role_name(other, "Imported", "bypass-app-task").add_to_principal_policy(
        statement(["secretsmanager:GetSecretValue"])
    )


def not_action(r: Route) -> None:
    r.task.task_role.add_to_principal_policy(iam.PolicyStatement(not_actions=["iam:*"], resources=["*"]))


def wildcard_inside_action(r: Route) -> None:
    r.task.add_to_task_role_policy(statement(["secretsmanager:*SecretValue"]))


def batch_get_secret_value(r: Route) -> None:
    r.task.add_to_task_role_policy(statement(["secretsmanager:BatchGetSecretValue"]))


def ssm_get_parameters_by_path(r: Route) -> None:
    r.task.add_to_task_role_policy(statement(["ssm:GetParametersByPath"], ["arn:aws:ssm:*:*:parameter/app/*"]))


def ssm_get_every_parameter_by_path(r: Route) -> None:
    r.task.add_to_task_role_policy(statement(["ssm:GetParametersByPath"], ["arn:aws:ssm:*:*:parameter/*"]))


def kms_decrypt_everything(r: Route) -> None:
    r.task.add_to_task_role_policy(statement(["kms:Decrypt"]))


def kms_decrypt_secret_key(r: Route) -> None:
    key = kms.Key(r.stack, "Key")
    sm.Secret(r.stack, "Secret", encryption_key=key)
    key.grant_decrypt(r.task.task_role)


def execution_role_every_secret(r: Route) -> None:
    r.execution_role.add_to_principal_policy(
        statement(["secretsmanager:GetSecretValue"], ["arn:aws:secretsmanager:*:*:secret:*"])
    )


def execution_role_service_wide_action(r: Route) -> None:
    bucket = s3.Bucket(r.stack, "Bucket")
    r.execution_role.add_to_principal_policy(statement(["s3:*"], [bucket.bucket_arn]))


def task_role_assumes_execution_role(r: Route) -> None:
    r.task.add_to_task_role_policy(statement(["sts:AssumeRole"], [r.execution_role.role_arn]))


def task_role_passes_execution_role(r: Route) -> None:
    r.execution_role.grant_pass_role(r.task.task_role)


def task_role_passes_any_role(r: Route) -> None:
    r.task.add_to_task_role_policy(statement(["iam:PassRole"]))


# --- class 6: ingress -------------------------------------------------------------------------------------


def two_half_internets(r: Route) -> None:
    r.group.add_ingress_rule(ec2.Peer.ipv4("0.0.0.0/1"), ec2.Port.tcp(8080))
    r.group.add_ingress_rule(ec2.Peer.ipv4("128.0.0.0/1"), ec2.Port.tcp(8080))


def one_public_slash_24(r: Route) -> None:
    r.group.add_ingress_rule(ec2.Peer.ipv4("8.8.8.0/24"), ec2.Port.tcp(8080))


def public_ipv6_range(r: Route) -> None:
    r.group.add_ingress_rule(ec2.Peer.ipv6("2600::/16"), ec2.Port.tcp(8080))


def separate_ingress_resource(r: Route) -> None:
    ec2.CfnSecurityGroupIngress(
        r.stack,
        "Open",
        group_id=r.group.security_group_id,
        ip_protocol="tcp",
        from_port=1,
        to_port=65535,
        cidr_ip="0.0.0.0/0",
    )


def second_stack_opens_service_group(r: Route) -> None:
    other = r.other_stack()
    imported = ec2.SecurityGroup.from_security_group_id(other, "Sg", r.group.security_group_id, mutable=True)
    imported.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(8080))


def open_group_from_other_stack(r: Route) -> None:
    other = r.other_stack("Net")
    open_group = ec2.SecurityGroup(other, "Open", vpc=other_vpc(other))
    open_group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(8080))
    attached = ec2.SecurityGroup.from_security_group_id(r.stack, "Attached", open_group.security_group_id)
    r.service.connections.add_security_group(attached)
    # FargateService renders its groups at construction: attach to the rendered list, as an escape hatch would.
    cfn: Any = r.service.node.default_child
    cfn.add_property_override(
        "NetworkConfiguration.AwsvpcConfiguration.SecurityGroups",
        [r.group.security_group_id, attached.security_group_id],
    )


ATTACKS: list[tuple[str, Callable[[Route], None], str]] = [
    ("TaskRoleAdmin", task_role_admin, "SF.TASK_ROLE"),
    ("TaskRoleAdminSecrets", task_role_admin, "SF.SECRETS"),
    ("ExecRoleAdmin", execution_role_admin, "SF.EXECUTION_ROLE"),
    ("ReadOnlyAccess", task_role_read_only_access, "SF.SECRETS"),
    ("CustomerMpRoles", customer_managed_policy_roles, "SF.SECRETS"),
    ("CustomerMpArns", customer_managed_policy_arns, "SF.SECRETS"),
    ("CustomerMpOtherStack", customer_managed_policy_other_stack, "SF.SECRETS"),
    ("CfnRolePolicy", cfn_role_policy, "SF.SECRETS"),
    ("FromRoleArnSame", from_role_arn_same_stack, "SF.SECRETS"),
    ("FromRoleArnOther", from_role_arn_other_stack, "SF.SECRETS"),
    ("FromRoleNameOther", from_role_name_other_stack, "SF.SECRETS"),
    ("NotAction", not_action, "SF.TASK_ROLE"),
    ("NotActionSecrets", not_action, "SF.SECRETS"),
    ("WildcardInsideAction", wildcard_inside_action, "SF.SECRETS"),
    ("BatchGetSecretValue", batch_get_secret_value, "SF.SECRETS"),
    # a named path is configuration, acknowledged with a reason (SF.PARAMETERS); every parameter is a secret read
    ("GetParametersByPath", ssm_get_parameters_by_path, "SF.PARAMETERS"),
    ("GetEveryParameterByPath", ssm_get_every_parameter_by_path, "SF.SECRETS"),
    ("KmsDecryptAll", kms_decrypt_everything, "SF.SECRETS"),
    ("KmsDecryptSecretKey", kms_decrypt_secret_key, "SF.SECRETS"),
    ("ExecEverySecret", execution_role_every_secret, "SF.EXECUTION_ROLE"),
    ("ExecServiceWide", execution_role_service_wide_action, "SF.EXECUTION_ROLE"),
    ("AssumeExecRole", task_role_assumes_execution_role, "SF.TASK_ROLE"),
    ("PassExecRole", task_role_passes_execution_role, "SF.TASK_ROLE"),
    ("PassAnyRole", task_role_passes_any_role, "SF.TASK_ROLE"),
    ("HalfInternets", two_half_internets, "SF.INGRESS"),
    ("PublicSlash24", one_public_slash_24, "SF.INGRESS"),
    ("PublicIpv6", public_ipv6_range, "SF.INGRESS"),
    ("SeparateIngress", separate_ingress_resource, "SF.INGRESS"),
    ("SecondStackOpens", second_stack_opens_service_group, "SF.INGRESS"),
    ("OpenGroupAttached", open_group_from_other_stack, "SF.INGRESS"),
]


# --- compliant counterparts ---------------------------------------------------------------------------------


def execution_role_reads_one_object(r: Route) -> None:
    bucket = s3.Bucket(r.stack, "Bucket")
    bucket.grant_read(r.execution_role, "envs/app.env")


def execution_role_reads_its_secret(r: Route) -> None:
    secret = sm.Secret(r.stack, "Secret", encryption_key=kms.Key(r.stack, "Key"))
    r.task.default_container.add_secret("DB_PASSWORD", ecs.Secret.from_secrets_manager(secret))  # type: ignore[union-attr]


def task_role_uses_a_bucket(r: Route) -> None:
    s3.Bucket(r.stack, "Bucket").grant_read_write(r.task.task_role)


def task_role_decrypts_its_own_data_key(r: Route) -> None:
    kms.Key(r.stack, "DataKey").grant_decrypt(r.task.task_role)


def private_and_group_ingress(r: Route) -> None:
    r.group.add_ingress_rule(ec2.Peer.ipv4("10.0.0.0/8"), ec2.Port.tcp(8080))
    r.group.add_ingress_rule(ec2.Peer.ipv4("100.64.0.0/10"), ec2.Port.tcp(8080))
    r.group.add_ingress_rule(ec2.Peer.ipv6("fd00::/8"), ec2.Port.tcp(8080))
    balancer = ec2.SecurityGroup(r.stack, "Alb", vpc=r.vpc)
    r.service.connections.allow_from(balancer, ec2.Port.tcp(8080))


def other_stack_opens_another_group(r: Route) -> None:
    other = r.other_stack()
    unrelated = ec2.SecurityGroup(other, "Unrelated", vpc=other_vpc(other))
    unrelated.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443))


COMPLIANT: list[tuple[str, Callable[[Route], None]]] = [
    ("ExecReadsOneObject", execution_role_reads_one_object),
    ("ExecReadsItsSecret", execution_role_reads_its_secret),
    ("TaskUsesBucket", task_role_uses_a_bucket),
    ("TaskDecryptsDataKey", task_role_decrypts_its_own_data_key),
    ("PrivateIngress", private_and_group_ingress),
    ("OtherStackOpensOther", other_stack_opens_another_group),
]


@pytest.fixture(scope="module")
def controls_by_stack(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Stack name -> the unacknowledged controls the pack reports on that stack's resources."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(outdir))
    for name, build, _ in ATTACKS:
        build(Route(app, name))
    for name, build in COMPLIANT:
        build(Route(app, name))
    app.synth()
    templates = [load_template(p) for p in sorted(Path(outdir).glob("*.template.json"))]
    found: dict[str, set[str]] = {}
    for finding in evaluate_set(templates):
        if not finding.acknowledged:
            found.setdefault(Path(finding.template).name.split(".")[0], set()).add(finding.control)
    return found


@pytest.mark.parametrize(("stack", "control"), [(n, c) for n, _, c in ATTACKS], ids=[n for n, _, _ in ATTACKS])
def test_route_is_reported(controls_by_stack: dict[str, set[str]], stack: str, control: str) -> None:
    assert control in controls_by_stack.get(stack, set())


@pytest.mark.parametrize("stack", [n for n, _ in COMPLIANT])
def test_compliant_counterpart_passes_the_iam_and_ingress_controls(
    controls_by_stack: dict[str, set[str]], stack: str
) -> None:
    assert controls_by_stack.get(stack, set()) & IAM_AND_INGRESS == set()


def test_the_catalogue_has_at_least_fifteen_routes() -> None:
    assert len({build for _, build, _ in ATTACKS}) >= 15


def test_reference_stack_passes_the_iam_and_ingress_controls(reference_template: dict[str, Any]) -> None:
    found = {f.control for f in evaluate(Template(reference_template)) if not f.acknowledged}
    assert found & IAM_AND_INGRESS == set()


def test_plugin_fails_the_synth_of_a_secure_service_whose_task_role_gets_administrator_access(
    tmp_path: Path,
) -> None:
    from secure_fargate import SecureFargateService

    _, stack, cluster, _ = base_stack("AdminApp")
    service = SecureFargateService(stack, "S", cluster=cluster, container=app_container())
    service.task_role.add_managed_policy(admin())
    with pytest.raises(Exception, match="ValidationFailed") as failure:
        stack.node.root.synth()  # type: ignore[attr-defined]
    assert {"SF.TASK_ROLE", "SF.SECRETS"} <= reported_controls(failure.value)
