"""Helpers shared by the deploy tests: boto3 clients on the local moto server and the virtualenv's real CDK CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

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
