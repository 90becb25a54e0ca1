"""The pack's boto3 sessions share one botocore data loader per process and nothing else (client creation under
threads, profiles and data paths: tests/test_attack_round5.py)."""

from __future__ import annotations

from typing import Any

from secure_fargate.pack._aws import new_session


def test_sessions_share_the_loader_and_keep_their_own_credentials_and_region() -> None:
    first = new_session(region_name="us-east-1", aws_access_key_id="AKIAFIRST", aws_secret_access_key="one")
    second = new_session(region_name="eu-west-1", aws_access_key_id="AKIASECOND", aws_secret_access_key="two")
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    assert first._session is not second._session
    assert (first.region_name, second.region_name) == ("us-east-1", "eu-west-1")
    assert first.get_credentials().access_key == "AKIAFIRST"
    assert second.get_credentials().access_key == "AKIASECOND"
    assert second.client("ecs").meta.region_name == "eu-west-1"


def test_a_model_is_parsed_once_per_process(monkeypatch: Any) -> None:
    new_session(region_name="us-east-1").client("ecs")
    loader = new_session()._session.get_component("data_loader")
    read: list[str] = []
    original = loader.file_loader.load_file
    monkeypatch.setattr(loader.file_loader, "load_file", lambda path: read.append(path) or original(path))
    new_session(region_name="us-east-2", aws_access_key_id="AKIAOTHER", aws_secret_access_key="x").client("ecs")
    assert read == []  # the second session's client found the ECS model, endpoints and rules parsed already
    new_session(region_name="us-east-2").client("sqs")  # a service not read yet is read, through the same loader
    assert any("sqs" in path for path in read)


def test_the_search_path_does_not_grow_with_sessions() -> None:
    loader = new_session()._session.get_component("data_loader")
    before = list(loader.search_paths)
    for _ in range(5):
        new_session()
    assert loader.search_paths == before
    assert len(set(before)) == len(before)
    assert any(path.endswith("botocore/data") for path in before)
