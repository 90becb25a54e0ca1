"""Architecture guarantees (issue 11): a pure pack, one predicate per control, public API only, documented
parameters, one version, and services ordered after the listener or rule that forwards to them."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aws_cdk as cdk
import pytest
import tomllib
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Template

import secure_fargate
from secure_fargate import _validation
from secure_fargate.pack import sarif
from tests.conftest import app_container, base_stack

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "secure_fargate"

BLOCK_CDK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("aws_cdk", "constructs", "jsii"):
            raise ImportError("blocked for this test: " + name)
sys.meta_path.insert(0, Block())
"""


# ------------------------------------------------------------------------------------------- pure pack


def test_pack_modules_import_no_cdk_in_their_source() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (PACKAGE / "pack").rglob("*.py")
        if re.search(r"^\s*(from|import)\s+(aws_cdk|constructs|jsii)\b", path.read_text(), re.MULTILINE)
    ]
    assert offenders == []


def test_pack_and_cli_run_with_aws_cdk_unimportable(tmp_path: Path) -> None:
    template = tmp_path / "t.json"
    template.write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    script = BLOCK_CDK + (
        "import secure_fargate.pack as p, secure_fargate.pack.cli as c\n"
        "assert 'aws_cdk' not in sys.modules\n"
        f"sys.exit(c.main(['check', {str(template)!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "0 finding(s)" in result.stdout


def test_the_blocker_really_blocks_aws_cdk() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_CDK + "import aws_cdk"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "blocked for this test" in result.stderr


# ----------------------------------------------------------------------------------- one logic per control


def _container(**overrides: Any) -> SimpleNamespace:
    image = SimpleNamespace(
        reference="r@sha256:" + "a" * 64, pin=lambda: None, to_container_image=lambda: None, in_private_registry=False
    )
    values: dict[str, Any] = {
        "name": "app",
        "image": image,
        "memory_limit_mib": 128,
        "memory_reservation_mib": None,
        "privileged": False,
        "add_capabilities": ("SYS_PTRACE",),
        "user": "1000",
        "run_as_root": None,
        "environment": {"X": "1"},
        "container_port": None,
        "writable_paths": (),
        "command": None,
        "entry_point": None,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


CALLS = {
    _validation.check_image: lambda: _validation.check_image(
        _container(image=secure_fargate.ImageSource.from_registry("example/app:1.0")), False
    ),
    _validation.check_capabilities: lambda: _validation.check_capabilities(_container(), False),
    _validation.check_user: lambda: _validation.check_user(_container(), False),
    _validation.check_memory: lambda: _validation.check_memory(_container(), False),
    _validation.check_environment: lambda: _validation.check_environment(_container(), False),
    _validation.check_command: lambda: _validation.check_command(_container(command=["run", "--port=1"]), False),
    _validation.check_writable_paths: lambda: _validation.check_writable_paths(
        _container(writable_paths=["/tmp"]), False
    ),
    _validation.check_writable_system_paths: lambda: _validation.check_writable_system_paths(
        _container(writable_system_paths={"/etc/agent": secure_fargate.OptOut("the agent writes its config here")}),
        False,
    ),
    _validation.check_task_size: lambda: _validation.check_task_size(256, 512),
    _validation.check_memory_budget: lambda: _validation.check_memory_budget(512, [128]),
    _validation.check_mount_points: lambda: _validation.check_mount_points(
        _container(mount_points=[SimpleNamespace(container_path="/etc", read_only=False)]), False
    ),
}


@pytest.mark.parametrize(
    ("check", "predicate"),
    [(c, p) for c, preds in _validation.VALIDATOR_PREDICATES.items() for p in preds],
    ids=lambda v: v.__name__ if callable(v) else v[1],
)
def test_each_construct_check_calls_the_pack_predicate(
    check: Any, predicate: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module_name, name = predicate
    module = importlib.import_module(module_name)  # the module the check reads the predicate from
    real = getattr(module, name)
    assert real.__module__.startswith("secure_fargate.pack."), f"{name} is not a pack predicate"
    calls: list[Any] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    CALLS[check]()
    assert calls, f"{check.__name__} did not call {name}"


def test_every_container_check_is_listed_in_the_checks() -> None:
    public = {f for n, f in vars(_validation).items() if n.startswith("check_") and callable(f)}
    listed = set(_validation.CONTAINER_CHECKS) | {
        _validation.check_unique_names,
        _validation.check_task_size,
        _validation.check_memory_budget,
        _validation.check_desired_count,
        _validation.check_healthy_percent,
        _validation.check_health_check_grace_period,
        _validation.check_capacity_providers,
        _validation.check_ephemeral_storage,
        _validation.check_runtime_platform,
        _validation.check_volumes,
        _validation.check_mount_sources,
        _validation.check_port_names,
        _validation.check_sequences,  # run first by container_issues: a str where a list belongs is reported alone
        _validation.check_tags,
        _validation.check_service_connect,
        _validation.check_service_connect_tls,
        _validation.check_task_types,
        _validation.check_traffic_rules,
    }
    assert public == listed


def test_pack_memory_budget_and_ptrace_rules_use_the_same_predicates(monkeypatch: pytest.MonkeyPatch) -> None:
    from secure_fargate.pack import containers, tasks

    seen: list[str] = []
    monkeypatch.setattr(tasks, "memory_budget_problem", lambda *a: seen.append("budget") or None)
    monkeypatch.setattr(containers, "ptrace_problem", lambda *a: seen.append("ptrace") or None)
    task = {"Properties": {"Memory": "512", "ContainerDefinitions": [{"Name": "a", "Memory": 128}]}}
    tasks.check_memory_budget("T", task, None)  # type: ignore[arg-type]
    containers.check_ptrace({"Name": "a"})
    assert seen == ["budget", "ptrace"]


# ---------------------------------------------------------------------------------------- public API only


def test_no_raw_depends_on_override_or_protected_member_anywhere() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"add_override\(\s*[\"']DependsOn", text), path
        assert "_cfn_properties" not in text and "_render_properties" not in text, path


# ------------------------------------------------------------------------------------ services are ordered


def _routing(template: dict[str, Any]) -> list[tuple[str, str, set[str]]]:
    """(service, target group, forwarders the service depends on) for every service/target-group pair."""
    resources = template["Resources"]
    forwarders: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        if kind in ("AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::ListenerRule"):
            key = "DefaultActions" if kind.endswith("Listener") else "Actions"
            for action in resource["Properties"].get(key, []):
                target = action.get("TargetGroupArn", {}).get("Ref")
                if target:
                    forwarders.setdefault(target, set()).add(logical_id)
    found = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::ECS::Service":
            continue
        depends = set(resource.get("DependsOn", []))
        for lb in resource["Properties"].get("LoadBalancers", []):
            group = lb["TargetGroupArn"]["Ref"]
            found.append((logical_id, group, forwarders.get(group, set()) & depends))
    return found


@pytest.fixture(scope="module")
def two_service_template() -> dict[str, Any]:
    from secure_fargate import SecureFargateService, SecureLoadBalancer

    _, stack, cluster, _ = base_stack("Routed")
    web = SecureFargateService(stack, "Web", cluster=cluster, container=app_container(container_port=8080))
    api = SecureFargateService(stack, "Api", cluster=cluster, container=app_container(container_port=8081))
    api.node.add_dependency(cluster)  # a user's own dependency must survive
    ingress = SecureLoadBalancer(stack, "Ingress", vpc=cluster.vpc)
    ingress.attach(web)
    ingress.attach(api, priority=10, conditions=[elbv2.ListenerCondition.path_patterns(["/api/*"])])
    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", ["reference_template", "two_service_template"])
def test_every_service_depends_on_what_forwards_to_its_target_groups(name: str, request: pytest.FixtureRequest) -> None:
    routing = _routing(request.getfixturevalue(name))
    assert routing, "no load-balanced service found"
    for service, group, forwarders in routing:
        assert forwarders, f"{service} does not depend on any listener or rule forwarding to {group}"


def test_routed_service_depends_on_its_listener_rule(two_service_template: dict[str, Any]) -> None:
    resources = two_service_template["Resources"]
    (api,) = [k for k, v in resources.items() if v["Type"] == "AWS::ECS::Service" and k.startswith("Api")]
    rules = [k for k, v in resources.items() if v["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"]
    assert len(rules) == 1 and rules[0] in resources[api]["DependsOn"]


def test_a_users_own_dependency_is_kept(two_service_template: dict[str, Any]) -> None:
    resources = two_service_template["Resources"]
    (api,) = [k for k, v in resources.items() if v["Type"] == "AWS::ECS::Service" and k.startswith("Api")]
    assert any(d.startswith("Cluster") for d in resources[api]["DependsOn"]), resources[api]["DependsOn"]


# ------------------------------------------------------------------------------------------------ docs


PUBLIC_TYPES = [
    "SecureFargateService",
    "ContainerOptions",
    "SecurityAgent",
    "LogRouter",
    "TrafficRule",
    "OptOut",
    "SecureNetwork",
    "SecureCluster",
    "SecureRepository",
    "PullThroughCache",
    "SecureLoadBalancer",
    "RotationRedeploy",
    "SecureTaskDefinition",
    "SecureScheduledTask",
    "SecureOneOffTask",
    "SecureFargateConfigRule",
    "SecureFargateConfigMemberRole",
]


@pytest.mark.parametrize("name", PUBLIC_TYPES)
def test_every_public_parameter_is_documented(name: str) -> None:
    cls = getattr(secure_fargate, name)
    parameters = [
        p
        for p in inspect.signature(cls.__init__).parameters
        if p not in ("self", "scope", "construct_id") and not p.startswith("_")  # _private: the library's own
    ]
    doc = inspect.getdoc(cls) or ""
    assert "Args:" in doc, f"{name} has no Args: section"
    args = doc.split("Args:", 1)[1]
    missing = [p for p in parameters if not re.search(rf"^\s+{p}:", args, re.MULTILINE)]
    assert missing == [], f"{name} does not document {missing}"


def test_help_shows_the_service_parameters() -> None:
    text = inspect.getdoc(secure_fargate.SecureFargateService) or ""
    assert "memory_limit_mib: task memory in MiB" in text


# ------------------------------------------------------------------------------------------- type checking


def _typechecked_paths() -> list[Path]:
    """What `make typecheck` gives mypy, read from the Makefile's recipe."""
    recipe = re.search(r"^typecheck:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe, "no typecheck target in the Makefile"
    words = [word for line in recipe.group(1).splitlines() for word in line.split("#")[0].split()[1:]]
    paths = [word for word in words if not word.startswith("-")]
    assert paths and all((ROOT / p).exists() for p in paths), paths
    return [ROOT / p for p in paths]


def _aws_cdk_modules_imported(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*.py")))]
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "aws_cdk":
                found.add(node.module)
                if node.module == "aws_cdk":  # `from aws_cdk import aws_ecs as ecs` imports a module
                    found |= {f"aws_cdk.{a.name}" for a in node.names if a.name[0].islower()}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.split(".")[0] == "aws_cdk"}
    return found


def test_every_example_is_type_checked() -> None:
    """The examples are the code users copy: a new example directory must be in `make typecheck`'s list too, or its
    wrong types (and the aws_cdk modules it imports) escape both mypy and the analysed-module test below."""
    checked = _typechecked_paths()
    examples = {p.parent for p in (ROOT / "examples").glob("*/*.py")}
    assert [e.name for e in sorted(examples) if not any(e == c or e in c.parents for c in checked)] == []


def _aws_cdk_base_modules(modules: set[str]) -> set[str]:
    """The aws_cdk modules holding a base class of a class in ``modules``, to closure. A skipped base turns its
    subclass's unknown attributes into Any: ``ScalableTaskCount`` (aws_ecs) extends aws_applicationautoscaling's
    ``BaseScalableAttribute``, and a misspelled ``scale_on_*`` call on it went unreported."""
    package = Path(cdk.__file__).parent
    found, todo = set(modules), list(modules)
    while todo:
        module = todo.pop()
        source = package.joinpath(*module.split(".")[1:], "__init__.py")
        if "*" in module or not source.exists():
            continue
        tree = ast.parse(source.read_text(encoding="utf-8"))
        aliases = {
            a.asname: a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for a in node.names
            if a.asname and a.name.split(".")[0] == "aws_cdk"
        }
        for node in ast.walk(tree):
            for base in node.bases if isinstance(node, ast.ClassDef) else []:
                name = aliases.get(ast.unparse(base).split(".")[0])
                if name and name not in found and not name.startswith("aws_cdk.interfaces"):
                    found.add(name)
                    todo.append(name)
    return found - modules


def test_mypy_analyses_every_aws_cdk_module_our_code_imports() -> None:
    """`make typecheck` skips the aws_cdk modules our code never imports (their types become Any: about 50 MB of
    generated source, two-thirds of a cold mypy run) and analyses the ones it does. A module imported but left off the
    analysed list would make its types Any, and a wrong argument to it would pass: the list must follow the imports."""
    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    skipped = [o for o in overrides if o.get("follow_imports") == "skip"]
    analysed = {m for o in overrides if o.get("follow_imports") == "normal" for m in o["module"]}
    assert [o["module"] for o in skipped] == [["aws_cdk.*"]]
    support = {"aws_cdk.interfaces.*", "aws_cdk._jsii"}  # the L1 reference interfaces and the assembly loader
    imported = _aws_cdk_modules_imported(_typechecked_paths())
    assert analysed - support == imported | _aws_cdk_base_modules(imported)


# --------------------------------------------------------------------------------------------- version


def test_one_version_everywhere() -> None:
    expected = version("secure-fargate")
    result = subprocess.run(
        [sys.executable, "-m", "secure_fargate", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == f"secure-fargate {expected}"
    assert sarif.report([])["runs"][0]["tool"]["driver"]["version"] == expected
    assert secure_fargate.__version__ == expected
    # written once: pyproject.toml reads it from the package
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "secure_fargate.pack._version.__version__"}


def test_a_version_bump_reinstalls_the_package() -> None:
    """The installed metadata (``pip show``, ``importlib.metadata``, what test_one_version_everywhere compares with)
    is written at install time, from the file pyproject.toml reads the version from: `make setup` must reinstall
    when that file changes, not only when pyproject.toml does, or the metadata keeps the old version."""
    attr = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    source = "/".join(attr.split(".")[:-1]) + ".py"
    rule = re.search(r"^\$\(VENV\)/\.installed:(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert rule, "no install rule in the Makefile"
    assert source in rule.group(1).split()


def test_version_is_not_restated_in_the_source() -> None:
    hits = [p for p in PACKAGE.rglob("*.py") if re.search(r"[\"']\d+\.\d+\.\d+[\"']", p.read_text())]
    # Only the package version (_version.py, its one place), platform versions (services.py, and launchers.py's
    # example of an old one) and the SARIF format version may hold dotted numbers.
    assert all(p.name in ("_version.py", "defaults.py", "services.py", "launchers.py", "sarif.py") for p in hits), hits


def test_register_is_idempotent_and_needs_no_explicit_app(tmp_path: Path) -> None:
    from aws_cdk import aws_ecs as ecs

    from secure_fargate import SecureFargateChecks
    from tests.conftest import DIGEST_IMAGE, reported_controls

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "S")
    task = ecs.FargateTaskDefinition(stack, "T")
    task.add_container("c", image=ecs.ContainerImage.from_registry(DIGEST_IMAGE), privileged=True)
    SecureFargateChecks.register(stack)
    SecureFargateChecks.register(task)
    with pytest.raises(Exception) as raised:
        app.synth()
    assert "ECS.4" in reported_controls(raised.value)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert [r["pluginName"] for r in report["pluginReports"]] == ["secure-fargate"]


def test_acknowledgement_control_lists_name_real_controls() -> None:
    from secure_fargate.acknowledgements import CONTAINER_CONTROLS, VARIABLE_CONTROLS
    from secure_fargate.pack import CONTROLS_BY_ID

    assert set(CONTROLS_BY_ID) >= CONTAINER_CONTROLS | VARIABLE_CONTROLS
