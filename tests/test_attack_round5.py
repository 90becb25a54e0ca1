"""Attacks on round 5's guarantees: the Config rule's and scan's client creation under threads, the shared botocore
loader of ``secure_fargate.pack._aws.new_session``, and the slow-test registry of ``tests/conftest.py``.

A strict ``xfail`` is a real break (its reason names it); every other test is a near miss that holds. moto runs
in-process (``mock_aws``): nothing here talks to a network address.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from secure_fargate.pack import _aws
from secure_fargate.pack import config_rule as cr
from secure_fargate.pack._aws import new_session
from secure_fargate.pack.scan import Scanner
from tests import conftest as registry

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Fake credentials and an empty shared config: nothing from the machine's AWS setup is read."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DATA_PATH", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    config.write_text("[default]\nregion = us-east-1\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return config


@pytest.fixture
def moto(aws_env: Path) -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


class WatchedSession:
    """A real session whose ``client()`` is slow, counts what it creates and records how many run at once."""

    def __init__(self, session: Any, delay: float = 0.03) -> None:
        self._session = session
        self._delay = delay
        self._count = threading.Lock()
        self.created: Counter[str] = Counter()
        self.active = 0
        self.most_at_once = 0

    def client(self, service: str, *args: Any, **kwargs: Any) -> Any:
        with self._count:
            self.active += 1
            self.most_at_once = max(self.most_at_once, self.active)
        try:
            time.sleep(self._delay)  # widens the window two unlocked creations would share
            client = self._session.client(service, *args, **kwargs)
        finally:
            with self._count:
                self.active -= 1
        with self._count:
            self.created[service] += 1
        return client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


# ------------------------------------------------------------------------ 1. the Config rule's and scan's clients
def _reader_calls(reader: cr.AwsReader) -> dict[str, Callable[[], Any]]:
    later = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    return {
        "config": lambda: reader.item(cr.CLUSTER, "never-recorded", None),
        "config-later": lambda: reader.item(cr.SERVICE, "never-recorded-either", later),
        "ecs": lambda: reader.task_definition(f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/absent:1"),
        "kms": lambda: reader.aws_managed_key(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000-absent"),
        "ec2": lambda: reader.security_groups({"sg-0123456789abcdef0"}),
        "iam": lambda: reader.roles([f"arn:aws:iam::{ACCOUNT}:role/absent"]),
        "ecr": lambda: reader.registry_scanning(),
    }


@pytest.mark.parametrize("first", ["config", "ecs", "iam"])
def test_reader_threads_asking_together_create_each_client_once_and_one_at_a_time(moto: None, first: str) -> None:
    """GIVEN a reader whose session is slow to create clients, WHEN one kind of caller asks first and the periodic
    run's other readers pile in behind it (twice each), THEN every service's client is made once, never two at
    once, and the unrecorded resources are "not read" whichever thread asked first."""
    watched = WatchedSession(new_session(region_name=REGION))
    reader = cr.AwsReader(watched)
    calls = _reader_calls(reader)
    order = [first, *[name for name in calls if name != first]] * 2
    with ThreadPoolExecutor(max_workers=cr.READ_WORKERS) as pool:
        head = pool.submit(calls[first])
        time.sleep(0.005)  # the first caller is inside client() when the others arrive
        results = dict(zip(order[1:], pool.map(lambda name: calls[name](), order[1:]), strict=True))
        results[first] = head.result()
    assert results["config"] is None and results["config-later"] is None
    assert watched.most_at_once == 1
    assert watched.created == Counter({s: 1 for s in ("config", "ecs", "kms", "ec2", "iam", "ecr")})


def test_the_config_client_of_the_reader_is_not_scans_config_client(moto: None) -> None:
    """Near miss: the reader's own Config client (its one write) and a scan-side Config client are two keys of the
    one cache; asking for both from threads still creates each once and one at a time."""
    watched = WatchedSession(new_session(region_name=REGION))
    reader = cr.AwsReader(watched)
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda i: reader.config if i % 2 else reader._scanner.client("config"), range(16)))
    assert watched.most_at_once == 1
    assert watched.created == Counter({"config": 2})
    assert len({id(c) for c in made}) == 2


def test_scan_reads_regions_on_threads_and_creates_clients_one_at_a_time(moto: None) -> None:
    watched = WatchedSession(new_session(region_name=REGION), delay=0.01)
    regions = ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"]
    Scanner(watched).scan(regions)
    assert watched.most_at_once == 1
    assert {"ecs", "ec2"} <= set(watched.created)  # each region's readers really asked


# ------------------------------------------------------------------------------ 2. one botocore loader per process
def test_sessions_share_the_loader_and_nothing_else(moto: None) -> None:
    """Credentials, region and event handlers stay per session, while the loader is one."""
    first = new_session(region_name="us-east-1", aws_access_key_id="AKIAFIRST", aws_secret_access_key="one")
    second = new_session(region_name="eu-west-1", aws_access_key_id="AKIASECOND", aws_secret_access_key="two")
    assert first._session.get_component("data_loader") is second._session.get_component("data_loader")
    assert first._session is not second._session
    assert first._session.get_component("event_emitter") is not second._session.get_component("event_emitter")
    assert first.get_credentials().access_key == "AKIAFIRST"
    assert second.get_credentials().access_key == "AKIASECOND"

    def refuse(**_: Any) -> None:
        raise RuntimeError("first session's handler")

    first.events.register("before-call.sts.GetCallerIdentity", refuse)
    assert second.client("sts").get_caller_identity()["Account"] == ACCOUNT  # the handler did not travel
    with pytest.raises(RuntimeError, match="first session's handler"):
        first.client("sts").get_caller_identity()
    assert second.client("sts").meta.region_name == "eu-west-1"


def test_threads_creating_sessions_and_clients_together_keep_one_loader_and_its_search_path(aws_env: Path) -> None:
    new_session().client("ecs")
    loader = new_session()._session.get_component("data_loader")
    paths = list(loader.search_paths)
    barrier = threading.Barrier(8)

    def work(i: int) -> Any:
        barrier.wait()
        session = new_session(region_name=["us-east-1", "eu-west-1"][i % 2])
        session.client(["ecs", "iam", "ec2", "config"][i % 4])
        return session._session.get_component("data_loader")

    with ThreadPoolExecutor(max_workers=8) as pool:
        loaders = list(pool.map(work, range(32)))
    assert all(found is loader for found in loaders)
    assert loader.search_paths == paths


def _model_override(root: Path, full_name: str) -> Path:
    """A data directory holding STS's own model with another serviceFullName (an override botocore honours)."""
    import botocore.loaders

    builtin = botocore.loaders.Loader()
    version = builtin.list_api_versions("sts", "service-2")[-1]
    model = builtin.load_service_model("sts", "service-2", version)
    model = {**model, "metadata": {**model["metadata"], "serviceFullName": full_name}}
    target = root / "sts" / version
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model), encoding="utf-8")
    return root


def test_aws_data_path_set_later_is_honoured_as_botocore_does(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import boto3.session

    new_session().client("sts")  # the process has made its loader (as any earlier test or scan has)
    monkeypatch.setenv("AWS_DATA_PATH", str(_model_override(tmp_path / "models", "Overridden STS")))
    plain = boto3.session.Session().client("sts").meta.service_model.metadata["serviceFullName"]
    assert plain == "Overridden STS"  # what botocore does
    ours = new_session().client("sts").meta.service_model.metadata["serviceFullName"]
    assert ours == plain


def test_a_profiles_data_path_is_honoured(aws_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import boto3.session

    models = _model_override(tmp_path / "models", "Profile STS")
    aws_env.write_text(f"[default]\nregion = us-east-1\n[profile custom]\ndata_path = {models}\n", encoding="utf-8")
    monkeypatch.setattr(_aws, "_loaders", {})  # as in a fresh process (`secure-fargate scan --profile custom`)
    plain = boto3.session.Session(profile_name="custom").client("sts").meta.service_model.metadata
    assert plain["serviceFullName"] == "Profile STS"
    ours = new_session(profile_name="custom").client("sts").meta.service_model.metadata
    assert ours["serviceFullName"] == "Profile STS"


def test_an_explicit_profile_wins_over_a_stale_aws_profile(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3.session

    aws_env.write_text("[default]\nregion = us-east-1\n[profile real]\nregion = eu-west-1\n", encoding="utf-8")
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # the profile's region is the one read
    monkeypatch.setenv("AWS_PROFILE", "gone")
    monkeypatch.setattr(_aws, "_loaders", {})  # as in a fresh process (`secure-fargate scan --profile real`)
    assert boto3.session.Session(profile_name="real").region_name == "eu-west-1"
    assert new_session(profile_name="real").region_name == "eu-west-1"


def test_an_explicit_profile_after_the_first_session_wins_over_a_stale_aws_profile(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Near miss: once the loader exists, the profile is only boto3's business, as it should be."""
    aws_env.write_text("[default]\nregion = us-east-1\n[profile real]\nregion = eu-west-1\n", encoding="utf-8")
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # the profile's region is the one read
    new_session()
    monkeypatch.setenv("AWS_PROFILE", "gone")
    assert new_session(profile_name="real").region_name == "eu-west-1"


# ---------------------------------------------------------------------------------- 3. the slow-test registry
class _Config:
    def __init__(self, markexpr: str) -> None:
        self.markexpr = markexpr

    def getoption(self, name: str, default: Any = None) -> Any:
        return self.markexpr if name == "markexpr" else default


@pytest.mark.parametrize("path", sorted(registry.SLOW_MODULES))
def test_under_not_slow_each_slow_module_is_not_collected(path: str) -> None:
    assert registry.pytest_ignore_collect(registry.TESTS / path, _Config("not slow")) is True  # type: ignore[arg-type]


@pytest.mark.parametrize("markexpr", ["", "slow", "integration", "not slow and not integration"])
def test_other_marker_expressions_collect_slow_modules(markexpr: str) -> None:
    """Near miss: only the inner loop's expression skips collection (the others select or deselect later)."""
    path = registry.TESTS / "test_bypass.py"
    assert registry.pytest_ignore_collect(path, _Config(markexpr)) is None  # type: ignore[arg-type]


def test_a_fast_module_beside_a_slow_one_is_collected() -> None:
    """Near miss: a name that only starts like a slow module's (test_bypass_pack.py, test_bypass_round3.py) stays."""
    for name in ("test_bypass_pack.py", "test_bypass_round3.py", "controls/test_launchers.py", "test_attack_round5.py"):
        assert registry.pytest_ignore_collect(registry.TESTS / name, _Config("not slow")) is None  # type: ignore[arg-type]


def test_slow_modules_are_skipped_in_a_checkout_reached_through_a_symlink(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    linked = tmp_path / "linked-tests"
    linked.symlink_to(registry.TESTS.resolve(), target_is_directory=True)
    monkeypatch.setattr(registry, "TESTS", linked)  # conftest's __file__ as pytest imported it: through the link
    assert registry.pytest_ignore_collect(linked / "test_bypass.py", _Config("not slow")) is True  # type: ignore[arg-type]


def _fake_tests(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str) -> None:
    (tmp_path / "test_fake.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(registry, "TESTS", tmp_path)
    monkeypatch.setattr(registry, "SLOW_MODULES", {})
    monkeypatch.setattr(registry, "SLOW_TESTS", {"test_fake.py": {"test_slow_thing": "why"}})


def test_a_renamed_slow_test_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_tests(monkeypatch, tmp_path, "def test_slow_thing_renamed():\n    pass\n")
    assert registry._slow_registry_problems() == ["SLOW_TESTS: tests/test_fake.py has no test_slow_thing"]


def test_a_slow_test_that_is_still_there_is_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_tests(monkeypatch, tmp_path, "class TestGroup:\n    def test_slow_thing(self):\n        pass\n")
    assert registry._slow_registry_problems() == []


def test_a_slow_test_left_only_in_a_comment_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_tests(monkeypatch, tmp_path, "# def test_slow_thing():  (disabled)\ndef test_other():\n    pass\n")
    assert registry._slow_registry_problems() != []


def test_the_registry_of_this_checkout_has_no_stale_name() -> None:
    assert registry._slow_registry_problems() == []
    assert os.path.isdir(registry.TESTS / "integration")


@pytest.mark.xfail(
    strict=True,
    reason="limitation: the shared models are mutable, so a `service-data-loaded` handler of one session that edits "
    "the model edits it for every session of the process (no code of ours or of the pinned packages registers one)",
)
def test_a_handler_that_edits_a_model_in_one_session_leaves_the_others_alone(aws_env: Path) -> None:
    first, second = new_session(), new_session()

    def edit(service_data: dict[str, Any], **_: Any) -> None:
        service_data["metadata"]["serviceFullName"] = "Edited by the first session"

    first._session.register("service-data-loaded.sts", edit)
    model = first._session.get_service_data("sts")
    try:
        assert second.client("sts").meta.service_model.metadata["serviceFullName"] == "AWS Security Token Service"
    finally:
        model["metadata"]["serviceFullName"] = "AWS Security Token Service"  # the process's other tests share it
