"""One moto server (loopback only) and one `cdk bootstrap` per test process, shared by the deploy tests.

Each deploy test module deploys its own stack into this account. moto keeps one state per process whatever the
server, so a module that starts a server of its own (the scan and Config rule modules, for their environment
variables) still shares the worker's account: a module that reads the whole account (every cluster, every load
balancer) must hold with other modules' resources in it, as the migration test's set comparisons do.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration._cli import aws_environment, bootstrap, moto_server


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def aws_env(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return aws_environment(moto_url, tmp_path_factory)


@pytest.fixture(scope="session")
def bootstrapped(aws_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    """The account and region bootstrapped by the real CLI, as a user does once before the first deploy."""
    bootstrap(aws_env, tmp_path_factory)
