"""Day-2 options: WAF (a given web ACL, extra rules), internal load balancer peers, private-registry credentials,
per-container log drivers and the awslogs mode, Service Connect TLS and ECS Exec governance. One behaviour per
test; each guarantee also gets the route around it that must fail (escape hatch, imported resource, odd spelling)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as sm
from aws_cdk import aws_servicediscovery as sd
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk.assertions import Annotations, Match
from aws_cdk.assertions import Template as AssertTemplate

from secure_fargate import (
    ImageSource,
    LogRouter,
    OptOut,
    SecureCluster,
    SecureFargateError,
    SecureFargateService,
    SecureLoadBalancer,
    ServiceConnectTls,
)
from secure_fargate.pack import Template, evaluate
from secure_fargate.pack.engine import evaluate_set
from secure_fargate.pack.scan import cluster_resource, service_resource
from tests.conftest import DIGEST_IMAGE, app_container, base_stack, only, reported_controls, resources_of
from tests.helpers import cfn_lint

CA_ARN = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
WEB_ACL_ARN = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/central/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
PRIVATE_IMAGE = "registry.example.com/team/app@sha256:" + "a" * 64
EXEC = OptOut("break-glass debugging for INC-1234")


def _json(stack: cdk.Stack) -> dict[str, Any]:
    return dict(AssertTemplate.from_stack(stack).to_json())


def _containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    return only(template, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]  # type: ignore[no-any-return]


def _statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    """Every statement of the policies attached to the roles whose logical ID starts with ``role_prefix``."""
    found = []
    for policy in resources_of(template, "AWS::IAM::Policy").values():
        roles = json.dumps(policy["Properties"].get("Roles"))
        if f'"{role_prefix}' in roles:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


# ------------------------------------------------------------------------------------ logging: the default mode


@pytest.fixture(scope="module")
def default_template() -> dict[str, Any]:
    _, stack, cluster, _ = base_stack()
    SecureFargateService(stack, "S", cluster=cluster, container=app_container())
    return _json(stack)


def test_default_awslogs_mode_is_explicit_non_blocking_with_a_25_mib_buffer(default_template: dict[str, Any]) -> None:
    (app,) = _containers(default_template)
    options = app["LogConfiguration"]["Options"]
    assert app["LogConfiguration"]["LogDriver"] == "awslogs"
    assert options["mode"] == "non-blocking"
    assert options["max-buffer-size"] == f"{25 * 1024 * 1024}b"


def test_default_service_passes_the_new_controls(default_template: dict[str, Any]) -> None:
    found = {f.control for f in evaluate(Template(default_template))}
    assert not found & {"SF.LOG_MODE", "SF.SERVICE_CONNECT_TLS", "SF.EXEC_LOGGING"}


def test_removing_the_mode_with_an_escape_hatch_fails_the_synth() -> None:
    _, stack, cluster, _ = base_stack()
    service = SecureFargateService(stack, "S", cluster=cluster, container=app_container())
    task = service.task_definition.node.default_child
    task.add_property_deletion_override("ContainerDefinitions.0.LogConfiguration.Options.mode")  # type: ignore[union-attr]
    with pytest.raises(Exception, match="ValidationFailed") as failure:
        stack.node.root.synth()  # type: ignore[attr-defined]
    assert "SF.LOG_MODE" in reported_controls(failure.value)


def test_a_missing_mode_can_be_acknowledged_for_that_container_with_a_reason() -> None:
    from secure_fargate import acknowledge

    _, stack, cluster, _ = base_stack()
    service = SecureFargateService(stack, "S", cluster=cluster, container=app_container())
    task = service.task_definition.node.default_child
    task.add_property_deletion_override("ContainerDefinitions.0.LogConfiguration.Options.mode")  # type: ignore[union-attr]
    acknowledge(service.task_definition, "SF.LOG_MODE", "legacy collector relies on blocking", container="app")
    (finding,) = [f for f in evaluate(Template(_json(stack))) if f.control == "SF.LOG_MODE"]
    assert finding.acknowledged and finding.container == "app"


# ------------------------------------------------------------------------------ logging: per-container drivers


def test_a_container_logs_to_splunk_with_its_token_from_secrets_manager() -> None:
    _, stack, cluster, secret = base_stack()
    driver = ecs.LogDrivers.splunk(
        url="https://splunk.example.com:8088", secret_token=ecs.Secret.from_secrets_manager(secret)
    )
    SecureFargateService(stack, "S", cluster=cluster, container=app_container(logging=driver))
    template = _json(stack)
    (app,) = _containers(template)
    config = app["LogConfiguration"]
    assert config["LogDriver"] == "splunk"
    assert "splunk-token" not in config["Options"]
    assert [o["Name"] for o in config["SecretOptions"]] == ["splunk-token"]
    reads = [s for s in _statements(template, "SExecutionRole") if "secretsmanager:GetSecretValue" in _actions(s)]
    assert reads and all(s["Resource"] == {"Ref": "SecretA720EF05"} for s in reads)


def test_a_container_may_choose_blocking_awslogs() -> None:
    _, stack, cluster, _ = base_stack()
    driver = ecs.LogDrivers.aws_logs(stream_prefix="app", mode=ecs.AwsLogDriverMode.BLOCKING)
    SecureFargateService(stack, "S", cluster=cluster, container=app_container(logging=driver))
    (app,) = _containers(_json(stack))
    assert app["LogConfiguration"]["Options"]["mode"] == "blocking"


def test_a_container_awslogs_driver_without_a_mode_is_refused_naming_the_container() -> None:
    _, stack, cluster, _ = base_stack()
    driver = ecs.LogDrivers.aws_logs(stream_prefix="app")
    with pytest.raises(SecureFargateError, match=r"Test/S: container\.logging='awslogs'.*explicit mode option"):
        SecureFargateService(stack, "S", cluster=cluster, container=app_container(logging=driver))


def test_firelens_with_a_plain_secret_option_is_refused_without_showing_the_value() -> None:
    _, stack, cluster, _ = base_stack()
    driver = ecs.LogDrivers.firelens(options={"Name": "splunk", "Splunk_Token": "hunter2-very-secret"})
    router = LogRouter.from_image(ImageSource.from_registry(DIGEST_IMAGE))
    with pytest.raises(
        SecureFargateError, match=r"container\.logging\.options\['Splunk_Token'\]='<redacted>'.*secret"
    ) as e:
        SecureFargateService(stack, "S", cluster=cluster, container=app_container(logging=driver), log_router=router)
    assert "hunter2" not in str(e.value)


def test_a_firelens_driver_without_the_hardened_router_is_refused() -> None:
    """CDK would add its own router container (root, capabilities kept, logs:* on *) to such a task."""
    _, stack, cluster, _ = base_stack()
    driver = ecs.LogDrivers.firelens(options={"Name": "cloudwatch_logs"})
    expected = r"Test/S: container\.logging='ecs\.LogDrivers\.firelens\(\.\.\.\)'.*LogRouter"
    with pytest.raises(SecureFargateError, match=expected):
        SecureFargateService(stack, "S", cluster=cluster, container=app_container(logging=driver))


def test_firelens_with_secret_options_is_accepted() -> None:
    _, stack, cluster, secret = base_stack()
    driver = ecs.LogDrivers.firelens(
        options={"Name": "splunk", "Host": "splunk.example.com"},
        secret_options={"Splunk_Token": ecs.Secret.from_secrets_manager(secret)},
    )
    router = LogRouter.from_image(ImageSource.from_registry(DIGEST_IMAGE))
    SecureFargateService(stack, "S", cluster=cluster, container=app_container(logging=driver), log_router=router)
    app, router_container = _containers(_json(stack))
    assert router_container["Name"] == "log-router" and router_container["User"] == "1000:1000"
    assert app["LogConfiguration"]["LogDriver"] == "awsfirelens"
    assert [o["Name"] for o in app["LogConfiguration"]["SecretOptions"]] == ["Splunk_Token"]


@pytest.mark.parametrize(
    ("driver", "expected"),
    [
        (lambda: ecs.LogDrivers.json_file(), r"container\.logging='json-file'.*does not ship logs"),
        (lambda: ecs.LogDrivers.none(), r"container\.logging='none'"),
        (lambda: "awslogs", r"container\.logging='awslogs' is not allowed: an ecs\.LogDriver"),
    ],
)
def test_log_drivers_that_keep_nothing_are_refused(driver: Any, expected: str) -> None:
    _, stack, cluster, _ = base_stack()
    with pytest.raises(SecureFargateError, match=expected):
        SecureFargateService(stack, "S", cluster=cluster, container=app_container(logging=driver()))


# ---------------------------------------------------------------------------------- private-registry credentials


def test_registry_credentials_are_readable_by_the_execution_role_on_that_secret_only() -> None:
    _, stack, cluster, _ = base_stack()
    key = kms.Key(stack, "CredentialsKey", enable_key_rotation=True)
    secret = sm.Secret(stack, "RegistryCredentials", encryption_key=key)
    image = ImageSource.from_registry(PRIVATE_IMAGE, repository_credentials=secret)
    SecureFargateService(stack, "S", cluster=cluster, container=app_container(image=image))
    template = _json(stack)
    (app,) = _containers(template)
    (secret_id,) = [k for k in resources_of(template, "AWS::SecretsManager::Secret") if k.startswith("Registry")]
    assert app["RepositoryCredentials"] == {"CredentialsParameter": {"Ref": secret_id}}
    statements = _statements(template, "SExecutionRole")
    reads = [s for s in statements if any(a.startswith("secretsmanager:") for a in _actions(s))]
    assert reads and all(s["Resource"] == {"Ref": secret_id} for s in reads)
    assert all("*" not in json.dumps(s["Resource"]) for s in reads)
    # kms:Decrypt on the secret's key: granted in the key's policy, through Secrets Manager only, never on "*".
    key_policy = next(iter(resources_of(template, "AWS::KMS::Key").values()))["Properties"]["KeyPolicy"]
    decrypts = [
        s
        for s in key_policy["Statement"]
        if "kms:Decrypt" in _actions(s) and "SExecutionRole" in json.dumps(s.get("Principal"))
    ] + [s for s in statements if "kms:Decrypt" in _actions(s)]
    assert decrypts
    for statement in decrypts:
        assert "secretsmanager." in json.dumps(statement.get("Condition")) or statement["Resource"] != "*"


def test_registry_credentials_imported_by_name_are_refused_as_a_wildcard_grant() -> None:
    _, stack, cluster, _ = base_stack()
    secret = sm.Secret.from_secret_name_v2(stack, "ByName", "registry/creds")
    image = ImageSource.from_registry(PRIVATE_IMAGE, repository_credentials=secret)
    with pytest.raises(SecureFargateError, match=r"image\.repository_credentials=.*full ARN.*wildcard"):
        SecureFargateService(stack, "S", cluster=cluster, container=app_container(image=image))


def test_registry_credentials_by_complete_arn_are_accepted() -> None:
    _, stack, cluster, _ = base_stack()
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/creds-AbCdEf"
    secret = sm.Secret.from_secret_complete_arn(stack, "ByArn", arn)
    image = ImageSource.from_registry(PRIVATE_IMAGE, repository_credentials=secret)
    SecureFargateService(stack, "S", cluster=cluster, container=app_container(image=image))
    template = _json(stack)
    reads = [s for s in _statements(template, "SExecutionRole") if "secretsmanager:GetSecretValue" in _actions(s)]
    assert [s["Resource"] for s in reads] == [arn]


def test_registry_credentials_on_an_ecr_image_are_refused() -> None:
    _, stack, cluster, secret = base_stack()
    image = ImageSource.from_registry(
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + "b" * 64, repository_credentials=secret
    )
    with pytest.raises(SecureFargateError, match=r"repository_credentials=.*other than ECR"):
        SecureFargateService(stack, "S", cluster=cluster, container=app_container(image=image))


def test_a_digest_pinned_image_of_another_private_registry_passes_the_image_controls() -> None:
    template: dict[str, Any] = {
        "Resources": {
            "Task": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "RequiresCompatibilities": ["FARGATE"],
                    "ContainerDefinitions": [
                        {"Name": "app", "Image": PRIVATE_IMAGE, "RepositoryCredentials": {"CredentialsParameter": "x"}}
                    ],
                },
            }
        }
    }
    assert "SF.IMAGE" not in {f.control for f in evaluate(Template(template))}
    template["Resources"]["Task"]["Properties"]["ContainerDefinitions"][0]["Image"] = "registry.example.com/app"
    assert "SF.IMAGE" in {f.control for f in evaluate(Template(template))}


# ------------------------------------------------------------------------------------------------------- WAF


def _routed(lb: SecureLoadBalancer) -> SecureLoadBalancer:
    """A listener needs an action to synthesize (a service attached, or this fixed answer)."""
    lb.listener.add_action("Default", action=elbv2.ListenerAction.fixed_response(404))
    return lb


def _load_balancer(**kwargs: Any) -> tuple[cdk.Stack, SecureLoadBalancer]:
    _, stack, cluster, _ = base_stack()
    return stack, _routed(SecureLoadBalancer(stack, "Lb", vpc=cluster.vpc, **kwargs))


def test_a_given_web_acl_is_associated_and_no_acl_of_its_own_is_created() -> None:
    stack, lb = _load_balancer(web_acl_arn=WEB_ACL_ARN)
    template = _json(stack)
    assert resources_of(template, "AWS::WAFv2::WebACL") == {}
    assert resources_of(template, "AWS::WAFv2::LoggingConfiguration") == {}
    association = only(template, "AWS::WAFv2::WebACLAssociation")
    assert association["WebACLArn"] == WEB_ACL_ARN
    assert association["ResourceArn"] == {"Ref": stack.get_logical_id(lb.load_balancer.node.default_child)}  # type: ignore[arg-type]
    assert lb.web_acl is None and lb.web_acl_arn == WEB_ACL_ARN


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:wafv2:us-east-1:123456789012:global/webacl/central/0a1b2c3d",  # CloudFront scope
        "arn:aws:waf-regional:eu-west-1:123456789012:webacl/0a1b2c3d",  # WAF Classic
        "arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/central/0a1b2c3d",  # not a web ACL
        "central",
    ],
)
def test_a_web_acl_arn_of_another_shape_is_refused(arn: str) -> None:
    with pytest.raises(SecureFargateError, match=r"Test/Lb: web_acl_arn=.*regional AWS WAF web ACL ARN"):
        _load_balancer(web_acl_arn=arn)


def test_a_web_acl_arn_from_a_parameter_is_accepted() -> None:
    _, stack, cluster, _ = base_stack()
    arn = cdk.CfnParameter(stack, "CentralAcl").value_as_string
    _routed(SecureLoadBalancer(stack, "Lb", vpc=cluster.vpc, web_acl_arn=arn))
    assert only(_json(stack), "AWS::WAFv2::WebACLAssociation")["WebACLArn"] == {"Ref": "CentralAcl"}


def _rule(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(aggregate_key_type="IP", limit=1000)
        ),
        visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
        ),
    )


def test_extra_rules_follow_the_managed_rule_groups_in_the_own_acl() -> None:
    stack, _ = _load_balancer(web_acl_rules=[_rule("RateLimit", 10)])
    rules = only(_json(stack), "AWS::WAFv2::WebACL")["Rules"]
    assert [(r["Name"], r["Priority"]) for r in rules] == [
        ("AWSManagedRulesCommonRuleSet", 0),
        ("AWSManagedRulesKnownBadInputsRuleSet", 1),
        ("RateLimit", 10),
    ]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([_rule("RateLimit", 1)], r"web_acl_rules\[0\]\.priority='1 \(also AWSManagedRulesKnownBadInputsRuleSet\)'"),
        ([_rule("A", 5), _rule("B", 5)], r"web_acl_rules\[1\]\.priority='5 \(also A\)'"),
        ([_rule("AWSManagedRulesCommonRuleSet", 7)], r"web_acl_rules\[0\]\.name='AWSManagedRulesCommonRuleSet'"),
        (["RateLimit"], r"web_acl_rules\[0\]='RateLimit'.*RuleProperty"),
    ],
)
def test_extra_rules_that_collide_are_refused(rules: list[Any], expected: str) -> None:
    with pytest.raises(SecureFargateError, match=expected):
        _load_balancer(web_acl_rules=rules)


@pytest.mark.parametrize(
    ("kwargs", "prop"),
    [
        ({"web_acl_arn": WEB_ACL_ARN, "web_acl": False}, "web_acl/web_acl_arn"),
        ({"web_acl_arn": WEB_ACL_ARN, "web_acl_rules": [_rule("RateLimit", 10)]}, "web_acl_rules"),
        ({"web_acl": False, "web_acl_rules": [_rule("RateLimit", 10)]}, "web_acl_rules"),
    ],
)
def test_contradictory_web_acl_options_are_refused(kwargs: dict[str, Any], prop: str) -> None:
    with pytest.raises(SecureFargateError, match=rf"Test/Lb: {prop}="):
        _load_balancer(**kwargs)


# ------------------------------------------------------------------------------------ internal load balancer peers


def _ingress(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The load balancer group's ingress rules, inline or as separate resources."""
    groups = [g for k, g in resources_of(template, "AWS::EC2::SecurityGroup").items() if k.startswith("LbLoadBalancer")]
    separate = [
        r["Properties"]
        for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values()
        if "LbLoadBalancerSecurityGroup" in json.dumps(r["Properties"]["GroupId"])
    ]
    return [rule for g in groups for rule in g["Properties"].get("SecurityGroupIngress", [])] + separate


def test_internal_load_balancer_admits_the_named_peers_only() -> None:
    _, stack, cluster, _ = base_stack()
    clients = ec2.SecurityGroup(stack, "Clients", vpc=cluster.vpc)
    _routed(
        SecureLoadBalancer(stack, "Lb", vpc=cluster.vpc, internet_facing=False, ingress_peers=[clients, "10.20.0.0/16"])
    )
    template = _json(stack)
    rules = _ingress(template)
    assert {r.get("CidrIp") for r in rules if "CidrIp" in r} == {"10.20.0.0/16"}
    vpc_cidr = {"Fn::GetAtt": [next(iter(resources_of(template, "AWS::EC2::VPC"))), "CidrBlock"]}
    assert all(r.get("CidrIp") != vpc_cidr for r in rules)
    assert any("Clients" in json.dumps(r.get("SourceSecurityGroupId")) for r in rules)
    assert {r["FromPort"] for r in rules} == {80}


def test_internal_load_balancer_without_peers_admits_the_vpc_cidr() -> None:
    stack, _ = _load_balancer(internet_facing=False)
    template = _json(stack)
    vpc_cidr = {"Fn::GetAtt": [next(iter(resources_of(template, "AWS::EC2::VPC"))), "CidrBlock"]}
    assert {json.dumps(r["CidrIp"]) for r in _ingress(template)} == {json.dumps(vpc_cidr)}


@pytest.mark.parametrize(
    "peer",
    [
        "0.0.0.0/0",
        "::/0",
        "0.0.0.0/1",
        "8.8.8.0/24",
        " 0.0.0.0/0 ",
        "10.0.0.0/33",
        "anywhere",
    ],
)
def test_internal_load_balancer_refuses_public_or_malformed_cidrs(peer: str) -> None:
    with pytest.raises(SecureFargateError, match=r"Test/Lb: ingress_peers\[0\]=.*private CIDR"):
        _load_balancer(internet_facing=False, ingress_peers=[peer])


@pytest.mark.parametrize(
    "peer", [lambda: ec2.Peer.any_ipv4(), lambda: ec2.Peer.any_ipv6(), lambda: ec2.Peer.ipv4("1.2.3.4/32")]
)
def test_internal_load_balancer_refuses_public_peer_objects(peer: Any) -> None:
    with pytest.raises(SecureFargateError, match=r"ingress_peers\[0\]=.*reaches beyond private networks"):
        _load_balancer(internet_facing=False, ingress_peers=[peer()])


def test_a_prefix_list_peer_is_accepted_on_an_internal_load_balancer() -> None:
    stack, _ = _load_balancer(internet_facing=False, ingress_peers=[ec2.Peer.prefix_list("pl-0123456789abcdef0")])
    assert any(r.get("SourcePrefixListId") == "pl-0123456789abcdef0" for r in _ingress(_json(stack)))


def test_peers_on_an_internet_facing_load_balancer_are_refused() -> None:
    with pytest.raises(SecureFargateError, match=r"ingress_peers=.*internet_facing=False"):
        _load_balancer(ingress_peers=["10.0.0.0/8"])


# ---------------------------------------------------------------------------------------- Service Connect TLS


def _connected(stack: cdk.Stack, cluster: ecs.Cluster, **kwargs: Any) -> SecureFargateService:
    namespace = sd.PrivateDnsNamespace(stack, "Ns", name="day2.internal", vpc=cluster.vpc)
    services = kwargs.pop("services", [ecs.ServiceConnectService(port_mapping_name="api")])
    return SecureFargateService(
        stack,
        "S",
        cluster=cluster,
        container=app_container(port_mappings=[ecs.PortMapping(container_port=8080, name="api")]),
        service_connect_configuration=ecs.ServiceConnectProps(namespace=namespace.namespace_arn, services=services),
        **kwargs,
    )


@pytest.fixture(scope="module")
def tls_template() -> dict[str, Any]:
    _, stack, cluster, _ = base_stack()
    _connected(stack, cluster, service_connect_tls=ServiceConnectTls(certificate_authority=CA_ARN))
    return _json(stack)


def test_service_connect_tls_names_the_ca_the_key_and_the_infrastructure_role(tls_template: dict[str, Any]) -> None:
    (served,) = only(tls_template, "AWS::ECS::Service")["ServiceConnectConfiguration"]["Services"]
    tls = served["Tls"]
    assert tls["IssuerCertificateAuthority"] == {"AwsPcaAuthorityArn": CA_ARN}
    assert tls["KmsKey"]["Fn::GetAtt"][0].startswith("SServiceConnectTlsKey")
    assert tls["RoleArn"]["Fn::GetAtt"][0].startswith("SServiceConnectTlsRole")


def test_the_tls_role_is_ecs_infrastructure_with_the_documented_managed_policy(tls_template: dict[str, Any]) -> None:
    (role,) = [r["Properties"] for k, r in resources_of(tls_template, "AWS::IAM::Role").items() if "TlsRole" in k]
    principal = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "ecs.amazonaws.com"}
    assert json.dumps(role["ManagedPolicyArns"]).endswith(
        'policy/service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity"]]}]'
    )
    statements = _statements(tls_template, "SServiceConnectTlsRole")
    assert [sorted(_actions(s)) for s in statements] == [
        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair"]
    ]
    assert statements[0]["Resource"]["Fn::GetAtt"][0].startswith("SServiceConnectTlsKey")


def test_service_connect_tls_passes_the_pack(tls_template: dict[str, Any]) -> None:
    assert "SF.SERVICE_CONNECT_TLS" not in {f.control for f in evaluate(Template(tls_template))}


def test_service_connect_without_tls_fails_the_synth() -> None:
    _, stack, cluster, _ = base_stack()
    _connected(stack, cluster)
    with pytest.raises(Exception, match="ValidationFailed") as failure:
        stack.node.root.synth()  # type: ignore[attr-defined]
    assert "SF.SERVICE_CONNECT_TLS" in reported_controls(failure.value)


def test_service_connect_without_tls_can_be_acknowledged_with_a_reason() -> None:
    from secure_fargate import acknowledge

    _, stack, cluster, _ = base_stack()
    service = _connected(stack, cluster)
    acknowledge(service, "SF.SERVICE_CONNECT_TLS", "mesh sidecar terminates mTLS in front of the proxy")
    (finding,) = [f for f in evaluate(Template(_json(stack))) if f.control == "SF.SERVICE_CONNECT_TLS"]
    assert finding.acknowledged


def test_client_only_service_connect_passes_without_tls() -> None:
    _, stack, cluster, _ = base_stack()
    _connected(stack, cluster, services=[])
    assert "Services" not in only(_json(stack), "AWS::ECS::Service")["ServiceConnectConfiguration"]


def test_an_entry_with_its_own_tls_keeps_it() -> None:
    _, stack, cluster, _ = base_stack()
    own = ecs.ServiceConnectTlsConfiguration(aws_pca_authority_arn=CA_ARN.replace("0a1b", "ffff"))
    services = [ecs.ServiceConnectService(port_mapping_name="api", tls=own)]
    _connected(stack, cluster, services=services, service_connect_tls=ServiceConnectTls(certificate_authority=CA_ARN))
    (served,) = only(_json(stack), "AWS::ECS::Service")["ServiceConnectConfiguration"]["Services"]
    assert served["Tls"]["IssuerCertificateAuthority"]["AwsPcaAuthorityArn"] == CA_ARN.replace("0a1b", "ffff")


@pytest.mark.parametrize(
    ("tls", "services", "expected"),
    [
        (ServiceConnectTls(certificate_authority="arn:aws:acm:eu-west-1:123456789012:certificate/abc"), None,
         r"service_connect_tls\.certificate_authority='arn:aws:acm:.*Private CA ARN"),
        (ServiceConnectTls(certificate_authority=42), None,  # type: ignore[arg-type]
         r"service_connect_tls\.certificate_authority=42"),
        (ServiceConnectTls(certificate_authority=CA_ARN, kms_key="alias/x"), None,  # type: ignore[arg-type]
         r"service_connect_tls\.kms_key="),
        (ServiceConnectTls(certificate_authority=CA_ARN), [], r"service_connect_tls='<no Service Connect services>'"),
    ],
)  # fmt: skip
def test_bad_service_connect_tls_is_refused(tls: ServiceConnectTls, services: Any, expected: str) -> None:
    _, stack, cluster, _ = base_stack()
    kwargs: dict[str, Any] = {"service_connect_tls": tls}
    if services is not None:
        kwargs["services"] = services
    with pytest.raises(SecureFargateError, match=rf"Test/S: {expected}"):
        _connected(stack, cluster, **kwargs)


# --------------------------------------------------------------------------------------------- Exec governance


def test_exec_on_a_cluster_without_session_logging_is_refused() -> None:
    _, stack, cluster, _ = base_stack()
    with pytest.raises(
        SecureFargateError,
        match=r"Test/S: cluster='Test/Cluster: has no ExecuteCommandConfiguration.*"
        r"SecureCluster\(execute_command_logging=True\)",
    ):
        SecureFargateService(stack, "S", cluster=cluster, container=app_container(), enable_execute_command=EXEC)


def test_exec_on_a_cluster_that_logs_sessions_unencrypted_is_refused() -> None:
    _, stack, cluster, _ = base_stack()
    logged = ecs.Cluster(
        stack,
        "Logged",
        vpc=cluster.vpc,
        execute_command_configuration=ecs.ExecuteCommandConfiguration(
            kms_key=kms.Key(stack, "K"),
            logging=ecs.ExecuteCommandLogging.OVERRIDE,
            log_configuration=ecs.ExecuteCommandLogConfiguration(
                s3_bucket=cdk.aws_s3.Bucket(stack, "B"), s3_encryption_enabled=False
            ),
        ),
    )
    with pytest.raises(SecureFargateError, match=r"cluster='Test/Logged: Exec sessions are logged to a S3 bucket"):
        SecureFargateService(stack, "S", cluster=logged, container=app_container(), enable_execute_command=EXEC)


@pytest.fixture(scope="module")
def exec_template() -> dict[str, Any]:
    _, stack, cluster, _ = base_stack()
    secure = SecureCluster(stack, "Secure", vpc=cluster.vpc, execute_command_logging=True)
    SecureFargateService(stack, "S", cluster=secure.cluster, container=app_container(), enable_execute_command=EXEC)
    return _json(stack)


def test_exec_on_a_secure_cluster_with_session_logging_synthesizes_and_passes(exec_template: dict[str, Any]) -> None:
    found = {f.control: f for f in evaluate(Template(exec_template))}
    assert "SF.EXEC_LOGGING" not in found
    assert found["SF.EXEC"].acknowledged  # the OptOut's reason


def test_exec_on_an_imported_cluster_warns_and_sf_exec_names_the_unjudged_cluster() -> None:
    _, stack, cluster, _ = base_stack()
    imported = ecs.Cluster.from_cluster_attributes(stack, "Imported", cluster_name="prod", vpc=cluster.vpc)
    SecureFargateService(stack, "S", cluster=imported, container=app_container(), enable_execute_command=EXEC)
    warning = Match.string_like_regexp(".*session logging cannot be checked")
    Annotations.from_stack(stack).has_warning("/Test/S", warning)
    (finding,) = [f for f in evaluate(Template(_json(stack))) if f.control == "SF.EXEC"]
    assert "its cluster prod is not in the templates judged" in finding.message


def test_turning_session_logging_off_with_an_escape_hatch_fails_and_cannot_be_acknowledged() -> None:
    from secure_fargate import acknowledge

    _, stack, cluster, _ = base_stack()
    secure = SecureCluster(stack, "Secure", vpc=cluster.vpc, execute_command_logging=True)
    service = SecureFargateService(
        stack, "S", cluster=secure.cluster, container=app_container(), enable_execute_command=EXEC
    )
    cfn = secure.cluster.node.default_child
    cfn.add_property_override("Configuration.ExecuteCommandConfiguration.Logging", "NONE")  # type: ignore[union-attr]
    with pytest.raises(SecureFargateError, match=r"SF\.EXEC_LOGGING"):
        acknowledge(service, "SF.EXEC_LOGGING", "we really want this off for a while")
    with pytest.raises(Exception, match="ValidationFailed") as failure:
        stack.node.root.synth()  # type: ignore[attr-defined]
    assert "SF.EXEC_LOGGING" in reported_controls(failure.value)


def _cross_stack(logging: str | None) -> list[Template]:
    """A cluster exported by one template, a service with Exec importing it in another."""
    exec_config = {"KmsKeyId": "arn:aws:kms:eu-west-1:1:key/k", "Logging": logging}
    config = {} if logging is None else {"Configuration": {"ExecuteCommandConfiguration": exec_config}}
    cluster = {
        "Resources": {"Cluster": {"Type": "AWS::ECS::Cluster", "Properties": config}},
        "Outputs": {"C": {"Value": {"Ref": "Cluster"}, "Export": {"Name": "shared-cluster"}}},
    }
    service = {
        "Resources": {
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {"EnableExecuteCommand": True, "Cluster": {"Fn::ImportValue": "shared-cluster"}},
            }
        }
    }
    return [Template(cluster, name="cluster.template.json"), Template(service, name="service.template.json")]


@pytest.mark.parametrize(("logging", "fires"), [(None, True), ("NONE", True), ("DEFAULT", False)])
def test_a_cluster_in_another_stack_is_judged_through_its_export(logging: str | None, fires: bool) -> None:
    found = {f.control for f in evaluate_set(_cross_stack(logging))}
    assert ("SF.EXEC_LOGGING" in found) is fires


def _scanned(configuration: dict[str, Any] | None) -> dict[str, Any]:
    """What ``scan`` builds from DescribeClusters (include CONFIGURATIONS) and DescribeServices."""
    arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"
    cluster_api: dict[str, Any] = {"clusterArn": arn, "clusterName": "prod"}
    if configuration is not None:
        cluster_api["configuration"] = {"executeCommandConfiguration": configuration}
    service_api = {
        "serviceArn": "arn:aws:ecs:eu-west-1:123456789012:service/prod/api",
        "clusterArn": arn,
        "enableExecuteCommand": True,
        "launchType": "FARGATE",
    }
    return {"Resources": {arn: cluster_resource(cluster_api), service_api["serviceArn"]: service_resource(service_api)}}


@pytest.mark.parametrize(
    ("configuration", "fires"),
    [
        (None, True),
        ({"logging": "NONE", "kmsKeyId": "k"}, True),
        ({"logging": "OVERRIDE", "kmsKeyId": "k", "logConfiguration": {"cloudWatchLogGroupName": "/exec"}}, True),
        (
            {
                "logging": "OVERRIDE",
                "kmsKeyId": "k",
                "logConfiguration": {"cloudWatchLogGroupName": "/exec", "cloudWatchEncryptionEnabled": True},
            },
            False,
        ),
    ],
)
def test_scan_judges_exec_logging_from_the_live_cluster(configuration: dict[str, Any] | None, fires: bool) -> None:
    found = {f.control for f in evaluate(Template(_scanned(configuration)))}
    assert ("SF.EXEC_LOGGING" in found) is fires


def _scanned_service(connect: dict[str, Any] | None) -> dict[str, Any]:
    deployments = [{"status": "ACTIVE", "serviceConnectConfiguration": {"enabled": False}}]
    if connect is not None:
        deployments.append({"status": "PRIMARY", "serviceConnectConfiguration": connect})
    api = {"serviceArn": "arn:aws:ecs:eu-west-1:1:service/prod/api", "clusterArn": "c", "deployments": deployments}
    return {"Resources": {api["serviceArn"]: service_resource(api)}}


@pytest.mark.parametrize(
    ("connect", "fires"),
    [
        ({"enabled": True, "namespace": "n", "services": [{"portName": "api"}]}, True),
        (
            {
                "enabled": True,
                "namespace": "n",
                "services": [
                    {"portName": "api", "tls": {"issuerCertificateAuthority": {"awsPcaAuthorityArn": CA_ARN}}}
                ],
            },
            False,
        ),
        ({"enabled": True, "namespace": "n"}, False),
        (None, False),
    ],
)
def test_scan_judges_service_connect_tls_from_the_primary_deployment(connect: Any, fires: bool) -> None:
    found = {f.control for f in evaluate(Template(_scanned_service(connect)))}
    assert ("SF.SERVICE_CONNECT_TLS" in found) is fires


# ------------------------------------------------------------------------------- everything together, as a team


@pytest.fixture(scope="module")
def combined() -> dict[str, Any]:
    """Every option of this module in one stack, with no escape hatch: the product team's day-2 service."""
    _, stack, cluster, secret = base_stack()
    secure = SecureCluster(stack, "Secure", vpc=cluster.vpc, execute_command_logging=True)
    namespace = sd.PrivateDnsNamespace(stack, "Ns", name="day2.internal", vpc=cluster.vpc)
    credentials = sm.Secret(stack, "RegistryCredentials")
    audit = ecs.LogDrivers.aws_logs(stream_prefix="audit", mode=ecs.AwsLogDriverMode.BLOCKING)
    splunk = ecs.LogDrivers.splunk(
        url="https://splunk.example.com:8088", secret_token=ecs.Secret.from_secrets_manager(secret)
    )
    api = SecureFargateService(
        stack,
        "S",
        cluster=secure.cluster,
        container=app_container(
            image=ImageSource.from_registry(PRIVATE_IMAGE, repository_credentials=credentials),
            port_mappings=[ecs.PortMapping(container_port=8080, name="api")],
            logging=audit,
        ),
        sidecars=[app_container(name="shipper", memory_limit_mib=128, logging=splunk)],
        enable_execute_command=EXEC,
        service_connect_configuration=ecs.ServiceConnectProps(
            namespace=namespace.namespace_arn, services=[ecs.ServiceConnectService(port_mapping_name="api")]
        ),
        service_connect_tls=ServiceConnectTls(certificate_authority=CA_ARN),
    )
    clients = ec2.SecurityGroup(stack, "Clients", vpc=cluster.vpc)
    internal = SecureLoadBalancer(
        stack,
        "Internal",
        vpc=cluster.vpc,
        internet_facing=False,
        ingress_peers=[clients, "10.20.0.0/16"],
        web_acl_rules=[_rule("RateLimit", 10)],
    )
    internal.attach(api)
    central = SecureLoadBalancer(stack, "Central", vpc=cluster.vpc, web_acl_arn=WEB_ACL_ARN)
    _routed(central)
    return _json(stack)


def test_all_options_together_leave_no_open_finding(combined: dict[str, Any]) -> None:
    open_findings = [
        f"{f.control} {f.resource}: {f.message}" for f in evaluate(Template(combined)) if not f.acknowledged
    ]
    assert open_findings == []


def test_all_options_together_pass_cfn_lint(combined: dict[str, Any]) -> None:
    assert cfn_lint(combined) == []


def test_the_config_rule_judges_exec_logging_with_the_service_cluster() -> None:
    """The AWS Config rule judges a service item with its cluster's item (read by the cluster's ARN)."""
    from secure_fargate.pack import config_rule as cr
    from secure_fargate.pack.catalog import CONTROLS
    from secure_fargate.pack.control import Severity
    from tests.helpers import LiveForm

    body = {
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "prod"}},
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {"LaunchType": "FARGATE", "EnableExecuteCommand": True, "Cluster": {"Ref": "Cluster"}},
            },
        }
    }
    form = LiveForm(body)
    (item,) = [i for i in form.config_items() if i["resourceType"] == "AWS::ECS::Service"]
    model = cr.model_of(item, form)
    found = {f.control for f in cr.Judge(CONTROLS, Severity.LOW, form).findings(model) if f.is_open}
    assert "SF.EXEC_LOGGING" in found
