"""The distribution as a platform team gets it (issue 16).

The wheel is built the way `make dist` builds it (the pinned `build` frontend, offline, wheel from the sdist) from a
copy of this tree, installed with `pip install --no-deps --target` into a scratch directory, and used from there: the
CLI with nothing but the standard library beside it, the constructs' types through mypy in a consumer's module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from secure_fargate.pack._version import __version__

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "secure_fargate"
VERSION = __version__  # the checkout's one version (pyproject.toml reads it): what the built wheel must carry
# What a clean checkout does not have: the build must not depend on (or pick up) any of it.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "cdk.out", "dist", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)
# mypy --strict for the consumer, except that aws_cdk, constructs and jsii are not analysed (their types become Any):
# analysing aws_cdk takes about two minutes on a cold cache, which every fresh clone and CI run would pay, while
# what this checks is our own annotations as shipped (py.typed, the installed copy, a wrong argument type refused).
# Those are analysed in full: SecureFargateService's signature does not depend on aws_cdk's types being known.
MYPY_INI = """\
[mypy]
strict = True

[mypy-aws_cdk.*,constructs.*,jsii.*]
follow_imports = skip
"""

PRIVILEGED_TASK = {
    "Resources": {
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "RequiresCompatibilities": ["FARGATE"],
                "ContainerDefinitions": [{"Name": "app", "Image": "nginx:latest", "Privileged": True}],
            },
        }
    }
}

CONSUMER = """\
import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs

from secure_fargate import ContainerOptions, ImageSource, SecureFargateService

app = cdk.App()
stack = cdk.Stack(app, "Consumer")
api = SecureFargateService(
    stack,
    "Api",
    cluster=ecs.Cluster(stack, "Cluster"),
    cpu=CPU,
    memory_limit_mib=1024,
    container=ContainerOptions(
        name="api", image=ImageSource.from_registry("repo/api@sha256:" + "a" * 64), memory_limit_mib=768
    ),
)
service: ecs.FargateService = api.service
"""


def _run(
    command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env, cwd=cwd)


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"{done.args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ as `make dist` leaves it: the sdist, and the wheel built from it."""
    work = tmp_path_factory.mktemp("dist")
    shutil.copytree(ROOT, work / "source", symlinks=True, ignore=NOT_SOURCE)
    out = work / "dist"
    _ok(_run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(work / "source")]))
    return out


@pytest.fixture(scope="module")
def wheel(built: Path) -> Path:
    (found,) = built.glob("*.whl")
    return found


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch target holding the wheel and nothing else (no dependency, no index consulted)."""
    target = tmp_path_factory.mktemp("target")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index"]
    _ok(_run([*pip, "--no-deps", "--target", str(target), str(wheel)]))
    return target


def _bare_python(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Python with the standard library and `target` only: -S skips site-packages (aws_cdk, jsii, the editable
    install of this tree), the empty cwd keeps the source tree off sys.path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(target)
    return _run([sys.executable, "-S", *args], env=env, cwd=cwd)


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for this module's runs: the installed package is analysed once, each consumer module alone
    again (its text differs, so mypy checks it afresh)."""
    return tmp_path_factory.mktemp("mypy-cache")


def _mypy(installed: Path, cache: Path, tmp_path: Path, cpu: str) -> subprocess.CompletedProcess[str]:
    """mypy --strict on a consumer module, with the installed target first on the search path and the
    virtualenv's site-packages (aws_cdk's own types) after it, as in a consumer's virtualenv."""
    (tmp_path / "consumer.py").write_text(CONSUMER.replace("CPU", cpu), encoding="utf-8")
    (tmp_path / "mypy.ini").write_text(MYPY_INI, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    env["PYTHONPATH"] = str(installed)
    command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir", str(cache)]
    return _run([*command, "--verbose", "consumer.py"], env=env, cwd=tmp_path)


def test_make_dist_builds_the_wheel_and_the_sdist(built: Path) -> None:
    assert sorted(p.name for p in built.iterdir()) == [
        f"secure_fargate-{VERSION}-py3-none-any.whl",
        f"secure_fargate-{VERSION}.tar.gz",
    ]


def test_wheel_ships_every_package_and_module_of_the_source_tree(wheel_files: set[str]) -> None:
    # Found, not listed: modules move between packages, and a forgotten one must fail here, not for a consumer.
    packages = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / PACKAGE).rglob("__init__.py")}
    assert packages <= {Path(name).parent.as_posix() for name in wheel_files if name.endswith("/__init__.py")}
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / PACKAGE).rglob("*.py")}
    shipped = {name for name in wheel_files if name.startswith(f"{PACKAGE}/") and name.endswith(".py")}
    assert shipped == modules  # nothing missing, nothing stale


def test_wheel_ships_the_pep_561_marker(wheel_files: set[str]) -> None:
    assert f"{PACKAGE}/py.typed" in wheel_files


def test_wheel_ships_the_license(wheel_files: set[str]) -> None:
    assert f"secure_fargate-{VERSION}.dist-info/licenses/LICENSE" in wheel_files


def test_wheel_metadata_declares_typed_license_and_python(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"secure_fargate-{VERSION}.dist-info/METADATA").decode().splitlines()
    assert {"Classifier: Typing :: Typed", "License-Expression: Apache-2.0", "Requires-Python: >=3.10"} <= set(metadata)


def test_scratch_interpreter_cannot_import_aws_cdk(installed: Path, tmp_path: Path) -> None:
    # What makes the two CLI tests below prove "the CLI needs no aws_cdk".
    probe = "import importlib.util as u; print([u.find_spec(m) for m in ('aws_cdk', 'constructs', 'jsii')])"
    assert _ok(_bare_python(installed, tmp_path, "-c", probe)).stdout.strip() == "[None, None, None]"


def test_cli_version_from_the_installed_wheel_without_aws_cdk(installed: Path, tmp_path: Path) -> None:
    done = _ok(_bare_python(installed, tmp_path, "-m", PACKAGE, "--version"))
    assert VERSION in done.stdout.split()


def test_cli_check_from_the_installed_wheel_without_aws_cdk(installed: Path, tmp_path: Path) -> None:
    template = tmp_path / "privileged.template.json"
    template.write_text(json.dumps(PRIVILEGED_TASK), encoding="utf-8")
    done = _bare_python(installed, tmp_path, "-m", PACKAGE, "check", str(template))
    assert done.returncode == 1, done.stderr
    assert "ECS.4" in done.stdout


def test_installed_wheel_imports_every_module_and_public_name(installed: Path, wheel_files: set[str]) -> None:
    # With aws_cdk beside it (the consumer's own dependency): every module and every name of __all__ resolves from
    # the target, so no module is missing and no lazy export points at a module that is not shipped.
    modules = sorted(
        name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for name in wheel_files
        if name.endswith(".py") and name != f"{PACKAGE}/__main__.py"
    )
    code = (
        "import importlib, json, sys; files = {m: importlib.import_module(m).__file__ for m in sys.argv[1:]};"
        f"import {PACKAGE} as p; [getattr(p, name) for name in p.__all__]; print(json.dumps(files))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed)
    files = json.loads(_ok(_run([sys.executable, "-c", code, *modules], env=env, cwd=installed)).stdout)
    assert sorted(files) == modules
    assert all(Path(file).is_relative_to(installed) for file in files.values())


def test_consumer_module_type_checks_against_the_installed_wheel(
    installed: Path, mypy_cache: Path, tmp_path: Path
) -> None:
    done = _mypy(installed, mypy_cache, tmp_path, "512")
    assert done.returncode == 0, done.stdout
    # ... and it was the installed copy (found through py.typed) that mypy read, not this source tree.
    assert f"{installed / PACKAGE}{os.sep}" in done.stderr


def test_mypy_reports_a_wrong_argument_type_to_the_service(installed: Path, mypy_cache: Path, tmp_path: Path) -> None:
    done = _mypy(installed, mypy_cache, tmp_path, '"big"')
    assert 'Argument "cpu" to "SecureFargateService" has incompatible type "str"' in done.stdout
