"""Helpers shared by the deploy tests: boto3 clients on the local moto server and the virtualenv's real CDK CLI."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk
import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
CDK = Path(sys.executable).parent / "cdk"
ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's default account


def client(service: str, url: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def cdk(env: dict[str, str], outdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(CDK), *args, "--no-notices", "--no-version-reporting", "--output", str(outdir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"cdk {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done


def synthesize(outdir: Path, context: dict[str, str], *, module: str | None = None) -> str:
    """Run the app (app.py, or ``module`` as ``python3 -m``) as `cdk synth` runs cdk.json's "app" command, but in
    this test process's jsii kernel: the app's ``cdk.App()`` gets the output directory and cdk.json's context plus
    the -c values, as the CLI hands them over (environment variables of a new process, which an already running
    kernel would not see). Returns the cloud assembly directory, for `cdk deploy --app <directory>`: the real CLI
    deploys it, and a second Python and jsii kernel per deploy would only repeat this synth."""
    assembly = outdir / "assembly"
    full = {**json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"], **context}

    class CliApp(aws_cdk.App):
        def __init__(self) -> None:
            super().__init__(outdir=str(assembly), context=full)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws_cdk, "App", CliApp)
        patch.chdir(ROOT)
        if module:
            runpy.run_module(module, run_name="__main__")
        else:
            runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
    return str(assembly)
