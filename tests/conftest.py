"""Shared fixtures: one jsii kernel per test process, each stack synthesized once per session.

aws_cdk and the library are imported where they are used, not here: pytest-xdist's controller process loads this
file too, and it runs no test (an import would start a jsii kernel there for nothing, before the workers start).
"""

from __future__ import annotations

import ast
import gc
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
# CDK's built-in CloudFormation schema validation (aws-cdk-lib's CloudFormationValidatePlugin) off in the test
# kernel: it costs about 2 s per process to load its schemas and a quarter of every synth, and the tests already run
# cfn-lint on every template the project ships (tests/test_platform.py, the examples' tests) while `make synth` keeps it
# on, as an error, for the reference app (cdk.json: @aws-cdk/core:validateAgainstDefaultRules). Read by the jsii
# kernel's Node.js process, so it is set before aws_cdk is first imported.
os.environ.setdefault("CDK_VALIDATION", "false")

if TYPE_CHECKING:
    import aws_cdk as cdk
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_secretsmanager as sm

    from reference import ReferenceStack
    from secure_fargate import ContainerOptions, SecurityAgent

DIGEST_IMAGE = "public.ecr.aws/example/app@sha256:" + "a" * 64


def base_stack(name: str = "Test") -> tuple[cdk.App, cdk.Stack, ecs.Cluster, sm.Secret]:
    """An app with a stack, a VPC with private subnets, a cluster and a secret: what every service needs."""
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_secretsmanager as sm

    app = cdk.App()
    stack = cdk.Stack(app, name)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
    cdk.Tags.of(cluster).add("team", "tests")  # Security Hub ECS.14: clusters are tagged
    secret = sm.Secret(stack, "Secret")
    return app, stack, cluster, secret


def app_container(**overrides: Any) -> ContainerOptions:
    from secure_fargate import ContainerOptions, ImageSource

    values: dict[str, Any] = {"name": "app", "image": ImageSource.from_registry(DIGEST_IMAGE), "memory_limit_mib": 256}
    values.update(overrides)
    return ContainerOptions(**values)


def security_agent(*, ptrace: bool = True, **overrides: Any) -> SecurityAgent:
    """A SecurityAgent composed of ContainerOptions (name security-agent, 128 MiB unless overridden)."""
    from secure_fargate import ContainerOptions, SecurityAgent

    values: dict[str, Any] = {"name": "security-agent", "memory_limit_mib": 128}
    values.update(overrides)
    return SecurityAgent(ContainerOptions(**values), ptrace=ptrace)


def service_template(**kwargs: Any) -> dict[str, Any]:
    """The template of one SecureFargateService ("S", with the app container unless given) in a fresh stack."""
    from aws_cdk.assertions import Template

    from secure_fargate import SecureFargateService

    _, stack, cluster, _ = base_stack()
    kwargs.setdefault("container", app_container())
    SecureFargateService(stack, "S", cluster=cluster, **kwargs)
    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def reference_stack() -> ReferenceStack:
    import aws_cdk as cdk

    from reference import ReferenceStack

    app = cdk.App()
    return ReferenceStack(app, "SecureFargateReference")


@pytest.fixture(scope="session")
def reference_template(reference_stack: ReferenceStack) -> dict[str, Any]:
    from aws_cdk.assertions import Template

    return Template.from_stack(reference_stack).to_json()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def minimal_stack() -> cdk.Stack:
    from aws_cdk import aws_ecs as ecs

    from secure_fargate import SecureFargateService

    _, stack, cluster, secret = base_stack("Minimal")
    SecureFargateService(
        stack,
        "Service",
        cluster=cluster,
        container=app_container(
            container_port=8080, secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret, "password")}
        ),
    )
    return stack


@pytest.fixture(scope="session")
def minimal_template(minimal_stack: cdk.Stack) -> dict[str, Any]:
    from aws_cdk.assertions import Template

    return Template.from_stack(minimal_stack).to_json()  # type: ignore[no-any-return]


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources_of(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))["Properties"]  # type: ignore[no-any-return]


def reported_controls(error: BaseException) -> set[str]:
    """The control IDs of the secure-fargate plugin's report behind a CDK ``ValidationFailed`` error."""
    message = str(error)
    assert "ValidationFailed" in message, message
    path = message.split("can be found in: ", 1)[1].split()[0]
    report = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        v["ruleName"] for r in report["pluginReports"] if r["pluginName"] == "secure-fargate" for v in r["violations"]
    }


@pytest.fixture
def write_template(tmp_path: Any) -> Callable[[dict[str, Any], str], str]:
    def write(body: dict[str, Any], name: str = "t.template.json") -> str:
        path = tmp_path / name
        path.write_text(json.dumps(body))
        return str(path)

    return write


#: What `make test-fast` (the inner loop) leaves to `make test`, besides the modules that mark themselves `slow`
#: (deploys, the wheel, the docs site, cfn-lint, fuzzing): whole modules or directories (paths under tests/), and single
#: tests, each with why. A path or a test named here that no longer exists is an error (a rename would otherwise move
#: a slow test into `make test-fast` unnoticed).
SLOW_MODULES = {
    "integration": "a moto server and boto3 round trips in every test",
    "controls/test_branches.py": "every failing case of the corpus again in each Fn::If / Condition shape",
    "test_bypass_deployments.py": "the deployments attack catalogue: one synth per route and spelling",
    "test_bypass.py": "the CDK attack catalogue: one synth per route",
    "test_bypass_iam.py": "the IAM and ingress attack catalogue: a synth of two stacks per route",
    "test_bypass_org.py": "the organisation attack catalogue: Config rule, member role and StackSet synths",
    "test_attack_cdk.py": "the attackers' CDK routes: one synth per route",
    "test_cli_fuzz.py": "hypothesis fuzzing of the CLI",
    "test_dist.py": "builds the wheel and the sdist, installs them, runs mypy as a consumer",
    "test_attack_model.py": "the control model's attack catalogue: hostile templates and CLI calls",
    "test_readme_examples.py": "every runnable example of the README and docs, synthesized as written",
    "test_attack_round6.py": "synths of several apps in several placements, an assembly, a staged pack, cfn-lint",
}
SLOW_TESTS = {
    "test_attack_pack.py": {
        "test_join_of_300000_literal_parts_is_judged_linearly": "a 300,000-part join",
        "test_long_list_of_fn_if_items_keeps_combinations_bounded": "the Fn::If combination bound",
        "test_sub_with_20000_variables_behind_fn_if_is_evaluated": "20,000 variables",
    },
    "test_config_rule.py": {
        "test_the_config_verdict_is_checks": "every live-form case of the corpus through the Config handler",
        "test_a_huge_item_is_judged_within_the_limits": "an item at the size limits",
        "test_a_periodic_run_judges_every_recorded_item_and_puts_at_most_100_a_call": "hundreds of items",
    },
    "test_hook_handler.py": {
        "test_hook_verdict_equals_the_cli_verdict_on_each_rule_case": "every case of the corpus through hook and CLI"
    },
    "controls/test_launchers.py": {
        "test_the_plugin_check_and_the_hook_give_one_verdict": "one synth and three verdicts per launcher"
    },
    "test_day2_governance.py": {"test_all_options_together_pass_cfn_lint": "cfn-lint"},
    "test_properties.py": {"test_every_valid_combination_synthesizes_and_satisfies_every_control": "hypothesis"},
}
TESTS = Path(__file__).parent


def _slow_registry_problems() -> list[str]:
    problems = [f"SLOW_MODULES: no tests/{path}" for path in SLOW_MODULES if not (TESTS / path).exists()]
    for module, names in SLOW_TESTS.items():
        defined = _test_functions(TESTS / module)
        problems += [f"SLOW_TESTS: tests/{module} has no {n}" for n in sorted(names) if n not in defined]
    return problems


def _test_functions(module: Path) -> set[str]:
    """The functions ``module`` defines at its top level or in its top-level classes: what pytest can collect (a
    name left in a comment, a string or a nested helper is not one)."""
    if not module.exists():
        return set()
    tree = ast.parse(module.read_text(encoding="utf-8"))
    scopes = [tree.body, *(node.body for node in tree.body if isinstance(node, ast.ClassDef))]
    return {node.name for body in scopes for node in body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def _where(path: Path) -> str | None:
    """``path`` relative to tests/, both resolved (a checkout reached through a symlink names the same files)."""
    try:
        return path.resolve().relative_to(TESTS.resolve()).as_posix()
    except ValueError:
        return None


def _is_slow(item: pytest.Item, where: str) -> bool:
    name = item.originalname if isinstance(item, pytest.Function) else item.name
    in_slow_module = any(where == path or where.startswith(path + "/") for path in SLOW_MODULES)
    return in_slow_module or name in SLOW_TESTS.get(where, {}) or item.get_closest_marker("slow") is not None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under `make test-fast`'s ``-m "not slow"``, SLOW_MODULES are not even imported (each worker collects the
    whole tree; the moto and CDK imports of the deploy tests alone cost about a second): they would be deselected."""
    if config.getoption("markexpr", "").strip() != "not slow":
        return None
    return True if _where(collection_path) in SLOW_MODULES else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what SLOW_MODULES and SLOW_TESTS name `slow`, then run the modules that hold slow tests first: with
    `make test`'s workers (pytest-xdist, a module per worker) the long modules start early instead of leaving one
    worker busy at the end. Order within a module is unchanged."""
    problems = _slow_registry_problems()
    if problems:
        raise pytest.UsageError("tests/conftest.py: " + "; ".join(problems))
    slow_modules = set()
    where = {path: _where(path) or "" for path in {item.path for item in items}}  # one resolve per module
    for item in items:
        if _is_slow(item, where[item.path]):
            if item.get_closest_marker("slow") is None:
                item.add_marker(pytest.mark.slow)
            slow_modules.add(item.path)
    items.sort(key=lambda item: item.path not in slow_modules)  # stable: collection order otherwise


#: Python's cyclic garbage collector, tuned for a test process: a worker holds a large heap that lives as long as it
#: does (aws_cdk's and botocore's modules, jsii's object references, 4,000 collected items), and the default
#: thresholds (700, 10, 10) re-scan it over and over while tests allocate (about 10 % of a worker's CPU, measured with
#: gc.callbacks). A larger first generation runs the collector less often; the objects alive after collection are
#: frozen, so no later collection walks them. Only when garbage is collected changes, not what a test runs.
GC_THRESHOLDS = (50_000, 20, 20)


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
