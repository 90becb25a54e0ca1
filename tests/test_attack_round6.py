"""Attacks on round 6's guarantees: mypy's analysed aws_cdk modules (pyproject.toml), the cached pseudo parameters of
``secure_fargate._tokens``, the one version, and the test helper's one cfn-lint rule set per process (plus an empty
stack beside a service, found on the way).

A strict ``xfail`` is a real break (its reason names it); every other test is a near miss that holds. Nothing here
talks to a network address.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Wrong types mypy no longer reports since it skips the aws_cdk modules our code does not import (a parameter typed by
# aws_ssm or aws_route53, a module reached as `cdk.aws_sns`): pinned as "known gaps" in tests/typing_probe.py, which
# `make typecheck` runs with its warm cache (a strict xfail here ran mypy cold: about 20 s of every `make test`).


# ------------------------------------------------------------------------------------- cached pseudo parameters


def _service_templates(placement: str) -> list[dict[str, Any]]:
    """A SecureFargateService in a stack of ``placement``'s kind, and the templates of every stack of its app."""
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_secretsmanager as sm
    from aws_cdk.assertions import Template

    from secure_fargate import SecureFargateService
    from tests.conftest import app_container

    app = cdk.App()
    env = cdk.Environment(account="111122223333", region="eu-west-1")
    parent = cdk.Stack(cdk.Stage(app, "Prod", env=env) if placement == "stage" else app, "P", env=env)
    vpc = ec2.Vpc(parent, "Vpc", max_azs=2, nat_gateways=1)
    cluster = ecs.Cluster(parent, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
    cdk.Tags.of(cluster).add("team", "tests")
    where = {"stage": lambda: parent, "nested": lambda: cdk.NestedStack(parent, "N")}.get(
        placement, lambda: cdk.Stack(app, "Q", env=env)
    )()
    secret = sm.Secret(where, "Secret")
    container = app_container(secrets={"DB": ecs.Secret.from_secrets_manager(secret, "password")})
    SecureFargateService(where, "Svc", cluster=cluster, container=container)
    stacks = [c for c in app.node.find_all() if isinstance(c, cdk.Stack)]
    return [Template.from_stack(s, skip_cyclical_dependencies_check=True).to_json() for s in stacks]


@pytest.mark.parametrize("placement", ["stage", "nested", "second stack"])
def test_cached_pseudo_parameters_give_aws_cdks_templates(placement: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An env-specific stack in a stage, a nested stack and a second stack (cross-stack references to the cluster):
    the same templates whether secure_fargate reads its cached ``AWS`` or ``aws_cdk.Aws`` itself."""
    import aws_cdk as cdk

    cached = _service_templates(placement)
    modules = [m for name, m in sys.modules.items() if name.startswith("secure_fargate") and hasattr(m, "AWS")]
    assert len(modules) > 3
    for module in modules:
        monkeypatch.setattr(module, "AWS", cdk.Aws)
    assert _service_templates(placement) == cached


def test_an_empty_stack_beside_a_service_does_not_fail_the_synth() -> None:
    # Found while building the test above: a placeholder stack in the same app as a service.
    import aws_cdk as cdk

    from secure_fargate import SecureFargateService
    from tests.conftest import app_container, base_stack

    app, stack, cluster, _ = base_stack("WithService")
    SecureFargateService(stack, "Svc", cluster=cluster, container=app_container())
    cdk.Stack(app, "Placeholder")
    app.synth()


def test_an_empty_stack_is_not_judged_by_the_cli_either(tmp_path: Path) -> None:
    """The same assembly through ``secure-fargate check``: the empty stack's template is read and has nothing to
    judge; a document that is not a template is still refused, whatever its name."""
    import aws_cdk as cdk

    from secure_fargate.pack import TemplateError, load_template
    from secure_fargate.pack.cli import main

    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    cdk.Stack(app, "Placeholder")
    app.synth()
    assert load_template(tmp_path / "cdk.out" / "Placeholder.template.json").resources == {}
    assert main(["check", str(tmp_path / "cdk.out")]) == 0
    for name, body in (("Other.template.json", {"Foo": 1}), ("plain.json", {}), ("Bad.template.json", [])):
        (tmp_path / name).write_text(json.dumps(body))
        with pytest.raises(TemplateError, match="not a CloudFormation template"):
            load_template(tmp_path / name)


# ------------------------------------------------------------------------------------------------------ version


def test_the_staged_pack_reports_the_real_version() -> None:
    """The hook's and Config rule's Lambda code is a staged copy with no package metadata: its SARIF reports the
    package's version (the staged ``secure_fargate/__init__.py`` is a stub without ``__version__``: only the pack's
    version is reported from there)."""
    import secure_fargate
    from secure_fargate.hook import stage_pack_code

    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import secure_fargate.pack as p; from secure_fargate.pack "
        "import sarif; print(p.__version__, sarif.report([])['runs'][0]['tool']['driver']['version'], p.__file__)"
    )
    staged = stage_pack_code()
    run = subprocess.run([sys.executable, "-I", "-S", "-c", code, staged], capture_output=True, text=True, check=True)
    pack_version, sarif_version, where = run.stdout.split()
    assert where.startswith(staged)
    assert pack_version == sarif_version == secure_fargate.__version__


# --------------------------------------------------------------------------------------- cfn-lint, one rule set


def test_the_shared_rule_set_reports_what_lint_reports_after_a_template_configuring_cfn_lint() -> None:
    """A template's own ``Metadata: cfn-lint`` configuration (ignored checks, regions) must not stay in the process's
    one rule set for the templates linted after it; each must get what a fresh ``cfnlint.api.lint`` gives."""
    from cfnlint.api import lint
    from cfnlint.config import ManualArgs

    from tests.helpers import IGNORED_CFN_LINT_CHECKS, cfn_lint, cfn_lint_line

    def fresh(template: dict[str, Any]) -> list[str]:
        config = ManualArgs(regions=["us-east-1"], ignore_checks=IGNORED_CFN_LINT_CHECKS)
        found = lint(json.dumps(template), config=config)
        return sorted(cfn_lint_line(m) for m in found)

    faulty = {
        "Parameters": {"Unused": {"Type": "String"}},
        "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"Nope": 1, "DelaySeconds": "x"}}},
    }
    configuring = {
        "Metadata": {"cfn-lint": {"config": {"ignore_checks": ["E3002", "E3012", "W2001"], "regions": ["eu-west-1"]}}},
        "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"Nope": 1}}},
    }
    for i, template in enumerate([faulty, configuring, {**faulty, "Description": "after"}]):
        found = sorted(cfn_lint(template))
        assert found == fresh(template), i
    assert len(found) == 3  # E3002, E3012 and W2001 still reported after the configuring template
