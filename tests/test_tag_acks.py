"""Acknowledgements as resource tags (issue 24): ``secure-fargate:ack:<ID>`` tags become the engine's acknowledgement
entries; invariants, blank or padded reasons, unknown controls, wrong subjects and bad or past expiries are refused
with a warning line, and a tag never silences more than its key names."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest

from secure_fargate.pack import clock
from secure_fargate.pack._template import Template
from secure_fargate.pack.catalog import CONTROLS_BY_ID
from secure_fargate.pack.engine import METADATA_KEY, Finding, evaluate
from secure_fargate.pack.tag_acks import apply_tag_acknowledgements, split_value, tag_pairs

TODAY = datetime.date(2026, 12, 3)
ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"
REASON = "vendor image writes to /var/cache: replacement planned in Q3 RISK-9"


def _live(control: str, tags: list[dict[str, str]]) -> dict[str, Any]:
    """The control's failing task definition, keyed by an ARN as scan keys it, with ``tags``."""
    resources = copy.deepcopy(dict(CONTROLS_BY_ID[control].failing))
    resource = resources.pop("Task")
    resource["Properties"]["Tags"] = tags
    return {ARN: resource, **resources}


def _judge(resources: dict[str, Any], control: str) -> list[Finding]:
    with clock.pinned(TODAY):
        found = evaluate(Template({"Resources": resources}, name="live:eu-west-1"), [CONTROLS_BY_ID[control]])
    return [f for f in found if f.resource == ARN]


def _apply(resources: dict[str, Any]) -> list[str]:
    with clock.pinned(TODAY):
        return apply_tag_acknowledgements(resources, TODAY)


def test_a_container_control_tag_acknowledges_that_container() -> None:
    # GIVEN ECS.5 failing on container "app", tagged for that container
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.5:app", "Value": REASON}])
    # WHEN the tags are applied and the resource judged
    warnings = _apply(resources)
    findings = _judge(resources, "ECS.5")
    # THEN the finding is acknowledged with the tag's reason, and nothing is warned about
    assert warnings == []
    assert [(f.control, f.container, f.acknowledged) for f in findings] == [("ECS.5", "app", REASON)]


def test_the_ecs_spelling_and_a_tag_map_are_read() -> None:
    assert list(tag_pairs([{"key": "a", "value": "b"}, {"Key": "c", "Value": "d"}, {"Key": 1}, "x"])) == [
        ("a", "b"),
        ("c", "d"),
    ]
    assert list(tag_pairs({"a": "b", "n": 3})) == [("a", "b")]
    resources = _live("ECS.5", [{"key": "secure-fargate:ack:ECS.5:app", "value": REASON}])
    _apply(resources)
    assert _judge(resources, "ECS.5")[0].acknowledged == REASON


def test_a_tag_for_another_container_acknowledges_nothing() -> None:
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.5:sidecar", "Value": REASON}])
    assert _apply(resources) == []  # well-formed: the engine's exact matching leaves app's finding open
    assert _judge(resources, "ECS.5")[0].is_open


def test_a_variable_control_needs_container_and_variable() -> None:
    good = _live("ECS.8", [{"Key": "secure-fargate:ack:ECS.8:app:DB_PASSWORD", "Value": REASON}])
    assert _apply(good) == []
    assert _judge(good, "ECS.8")[0].acknowledged == REASON
    # the container alone does not name the variable: refused, open
    bare = _live("ECS.8", [{"Key": "secure-fargate:ack:ECS.8:app", "Value": REASON}])
    warnings = _apply(bare)
    assert warnings == [
        f"{ARN}: tag secure-fargate:ack:ECS.8:app: ignored: ECS.8 is a variable-level control: key "
        "secure-fargate:ack:ECS.8:<container>:<variable>"
    ]
    assert _judge(bare, "ECS.8")[0].is_open


def test_a_resource_control_refuses_a_container_suffix() -> None:
    resources = {ARN: {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Tags": [
        {"Key": "secure-fargate:ack:ECS.18:app", "Value": REASON}]}}}  # fmt: skip
    assert "ECS.18 is a resource-level control: key secure-fargate:ack:ECS.18" in _apply(resources)[0]
    assert "Metadata" not in resources[ARN]


@pytest.mark.parametrize("control", ["ECS.4", "SF.PTRACE"])
def test_an_invariant_ignores_its_tag_with_a_warning(control: str) -> None:
    # GIVEN a privileged container (ECS.4, an invariant) tagged as if it could be acknowledged
    resources = _live("ECS.4", [{"Key": f"secure-fargate:ack:{control}:app", "Value": REASON}])
    # WHEN applied
    warnings = _apply(resources)
    # THEN the tag is refused by name, nothing is written, and the finding stays open and not acknowledgeable
    assert warnings == [
        f"{ARN}: tag secure-fargate:ack:{control}:app: ignored: {control} is an invariant: no acknowledgement "
        "silences it"
    ]
    assert METADATA_KEY not in resources[ARN].get("Metadata", {})
    finding = _judge(resources, "ECS.4")[0]
    assert finding.is_open and not finding.acknowledgeable


def test_an_invariant_entry_written_anyway_is_still_not_honoured() -> None:
    """Defence in depth: even if Metadata names an invariant (a hand-edited model), the engine refuses it."""
    resources = _live("ECS.4", [])
    resources[ARN]["Metadata"] = {METADATA_KEY: {"acknowledgements": [
        {"control": "ECS.4", "container": "app", "reason": REASON}]}}  # fmt: skip
    assert _judge(resources, "ECS.4")[0].is_open


@pytest.mark.parametrize(
    "reason",
    [
        "",
        "          ",
        "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b",  # zero-width spaces
        "\u2800" * 12,  # blank Braille patterns
        "\u3000ok\u3000\u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164",  # ideographic spaces, Hangul fillers
        "xxxxxxxxxxxxxxx",
        "short",
        "   expires=2027-01-01",  # an expiry with no reason
    ],
)
def test_a_blank_or_padded_reason_is_refused(reason: str) -> None:
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.5:app", "Value": reason}])
    warnings = _apply(resources)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{ARN}: tag secure-fargate:ack:ECS.5:app: ignored: reason ")
    assert "at least 10 visible characters" in warnings[0]
    assert _judge(resources, "ECS.5")[0].is_open


def test_an_unknown_control_is_refused() -> None:
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.05:app", "Value": REASON}])
    assert _apply(resources) == [f"{ARN}: tag secure-fargate:ack:ECS.05:app: ignored: no control 'ECS.05' in the pack"]
    assert _judge(resources, "ECS.5")[0].is_open


def test_a_lowercase_or_spaced_prefix_is_not_an_acknowledgement() -> None:
    """Only the exact prefix acknowledges (tag keys are case-sensitive); near misses are plain tags."""
    tags = [{"Key": "Secure-Fargate:ack:ECS.5:app", "Value": REASON}, {"Key": " secure-fargate:ack:ECS.5:app",
                                                                          "Value": REASON}]  # fmt: skip
    resources = _live("ECS.5", tags)
    assert _apply(resources) == []
    assert _judge(resources, "ECS.5")[0].is_open


def test_a_future_expiry_holds_and_is_recorded() -> None:
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.5:app", "Value": f"{REASON} expires=2027-06-30"}])
    assert _apply(resources) == []
    finding = _judge(resources, "ECS.5")[0]
    assert (finding.acknowledged, finding.expires) == (REASON, "2027-06-30")


def test_an_expiry_within_the_warning_window_warns_in_the_finding() -> None:
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.5:app", "Value": f"{REASON} expires=2026-12-10"}])
    _apply(resources)
    finding = _judge(resources, "ECS.5")[0]
    assert finding.acknowledged == REASON and finding.warning and "2026-12-10" in finding.warning


def test_an_expired_tag_is_refused_and_the_finding_names_it() -> None:
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.5:app", "Value": f"{REASON} expires=2026-12-02"}])
    warnings = _apply(resources)
    assert warnings == [f"{ARN}: tag secure-fargate:ack:ECS.5:app: expired on 2026-12-02: the finding is open again"]
    finding = _judge(resources, "ECS.5")[0]
    assert finding.is_open and "expired on 2026-12-02" in finding.message


def test_the_last_day_still_holds() -> None:
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.5:app", "Value": f"{REASON} expires=2026-12-03"}])
    assert _apply(resources) == []
    assert _judge(resources, "ECS.5")[0].acknowledged == REASON


@pytest.mark.parametrize("expires", ["2027-02-30", "31/12/2027", "tomorrow", ""])
def test_a_malformed_expiry_is_refused(expires: str) -> None:
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.5:app", "Value": f"{REASON} expires={expires}"}])
    warnings = _apply(resources)
    assert len(warnings) == 1 and "ignored: expires" in warnings[0] and "YYYY-MM-DD" in warnings[0]
    assert _judge(resources, "ECS.5")[0].is_open


def test_a_second_expiry_hidden_in_the_reason_is_refused() -> None:
    """``... expires=2027-01-31 expires=2099-12-31``: a reviewer reads the first, the rule would take the last."""
    value = f"{REASON} expires=2027-01-31 expires=2099-12-31"
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.5:app", "Value": value}])
    warnings = _apply(resources)
    assert len(warnings) == 1 and "one expires=YYYY-MM-DD, at the end of the value" in warnings[0]
    assert _judge(resources, "ECS.5")[0].is_open


def test_split_value() -> None:
    assert split_value(f"{REASON} expires=2027-01-31") == (REASON, "2027-01-31")
    assert split_value(f"  {REASON}  ") == (REASON, None)
    assert split_value("expires=2027-01-31 is in the reason") == ("expires=2027-01-31 is in the reason", None)


def test_tags_add_to_entries_already_there() -> None:
    """An acknowledgement file's entries (written first by scan) are kept; the tag's are added after them."""
    resources = _live("ECS.5", [{"Key": "secure-fargate:ack:ECS.9:app", "Value": REASON}])
    first = {"control": "ECS.5", "container": "app", "reason": "from the acknowledgement file, RISK-1"}
    resources[ARN]["Metadata"] = {"aws:cdk:path": "x/y", METADATA_KEY: {"acknowledgements": [first]}}
    _apply(resources)
    assert resources[ARN]["Metadata"]["aws:cdk:path"] == "x/y"
    assert resources[ARN]["Metadata"][METADATA_KEY]["acknowledgements"] == [
        first,
        {"control": "ECS.9", "container": "app", "reason": REASON},
    ]


def test_resources_without_properties_or_tags_are_left_alone() -> None:
    resources: dict[str, Any] = {"a": {"Type": "X"}, "b": "not a resource", "c": {"Type": "Y", "Properties": {}}}
    before = copy.deepcopy(resources)
    assert apply_tag_acknowledgements(resources, TODAY) == []
    assert resources == before


def test_a_tag_on_a_service_does_not_acknowledge_its_task_definition() -> None:
    """A tag acknowledges findings on the resource it is on: a service tagged for ECS.5 leaves the task definition
    it runs open (scan and Config judge both)."""
    resources = _live("ECS.5", [])
    resources["svc"] = {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": ARN}, "Tags": [
        {"Key": "secure-fargate:ack:ECS.5:app", "Value": REASON}]}}  # fmt: skip
    assert _apply(resources) == []
    assert _judge(resources, "ECS.5")[0].is_open
