"""The AWS Config rule's handler (issue 24): configuration-item events as AWS documents them -> check's verdict.

The reader is the template's own live form (tests/helpers.LiveForm): Config items of its recorded resources, and
its roles, task definitions and security groups as the handler reads them from AWS. tests/integration/
test_config_rule_moto.py runs the handler against moto (IAM, ECS, EC2, STS, PutEvaluations).
"""

from __future__ import annotations

import copy
import datetime
import json
import types
from pathlib import Path
from typing import Any

import pytest

from secure_fargate.pack import CONTROLS, CONTROLS_BY_ID, Template, evaluate
from secure_fargate.pack import config_rule as cr
from secure_fargate.pack.control import Severity
from secure_fargate.pack.engine import Finding
from tests.controls.casebook import all_cases, baseline, c0, svc, task
from tests.helpers import LIVE_ACCOUNT, LiveForm, change_event, config_item

NO_SETTINGS: dict[str, str] = {}
ARN_TASK = f"arn:aws:ecs:us-east-1:{LIVE_ACCOUNT}:task-definition/Task:1"
ARN_SERVICE = f"arn:aws:ecs:us-east-1:{LIVE_ACCOUNT}:service/cluster/Service"


def judge(
    body: dict[str, Any], logical: str = "Task", environ: dict[str, str] | None = None, **event: Any
) -> tuple[LiveForm, list[dict[str, Any]]]:
    """GIVEN a template's live form, WHEN Config sends the change of ``logical``, THEN the evaluations put."""
    form = LiveForm(body)
    item = config_item(logical, form.resources[logical], **event.pop("item", {}))
    cr.handle(change_event(item, **event), form, NO_SETTINGS if environ is None else environ)
    return form, [e for batch in form.put_batches for e in batch]


def only(evaluations: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(evaluations) == 1, evaluations
    return evaluations[0]


def failing_ids(annotation: str) -> list[str]:
    """The control IDs an annotation names as failing, in its order."""
    head = annotation.split(" | ")[0].split("fails ", 1)[1]
    return [part.split(" +")[0] for part in head.split(", ")]


# ------------------------------------------------------------------------------------------ change events
def test_a_created_hardened_revision_is_compliant_and_names_the_revision() -> None:
    _, evaluations = judge(baseline(), item={"configurationItemStatus": "ResourceDiscovered"})
    evaluation = only(evaluations)
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["ComplianceResourceType"] == "AWS::ECS::TaskDefinition"
    assert evaluation["ComplianceResourceId"] == ARN_TASK
    assert evaluation["Annotation"].startswith("revision Task:1: passes")
    assert evaluation["OrderingTimestamp"] == datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)


def test_an_updated_insecure_revision_is_non_compliant_with_its_ids_most_severe_first() -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    del c0(body)["ReadonlyRootFilesystem"]
    c0(body)["User"] = "0"
    evaluation = only(judge(body)[1])
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    ids = failing_ids(evaluation["Annotation"])
    assert {"ECS.4", "ECS.5", "ECS.20"} <= set(ids)
    ranks = [Severity(CONTROLS_BY_ID[i].severity).rank for i in ids]
    assert ranks == sorted(ranks, reverse=True), ids
    assert len(evaluation["Annotation"]) <= cr.ANNOTATION_LIMIT


def test_the_verdict_is_checks_on_the_same_resources() -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    expected = {f.control for f in evaluate(Template(body), CONTROLS) if f.resource == "Task"}
    evaluation = only(judge(body, environ={cr.STANDARDS_VARIABLE: "all"})[1])
    assert set(failing_ids(evaluation["Annotation"])) == expected


@pytest.mark.parametrize("status", ["ResourceDeleted", "ResourceDeletedNotRecorded"])
def test_a_deleted_item_is_not_applicable(status: str) -> None:
    body = baseline()
    c0(body)["Privileged"] = True  # what it was no longer matters
    evaluation = only(judge(body, item={"configurationItemStatus": status, "configuration": None})[1])
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"
    assert status in evaluation["Annotation"]


def test_an_item_that_left_the_scope_is_not_applicable() -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    evaluation = only(judge(body, left_scope=True)[1])
    assert (evaluation["ComplianceType"], evaluation["Annotation"]) == (
        "NOT_APPLICABLE",
        "secure-fargate: left the rule's scope",
    )


class Recording(LiveForm):
    """A live form that records the history reads (GetResourceConfigHistory) the handler makes."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.reads: list[tuple[str, str, Any]] = []

    def item(self, resource_type: str, resource_id: str, later_time: Any) -> dict[str, Any] | None:
        self.reads.append((resource_type, resource_id, later_time))
        return super().item(resource_type, resource_id, later_time)


def oversized_event(item: dict[str, Any]) -> dict[str, Any]:
    """OversizedConfigurationItemChangeNotification: only the summary travels (developer guide's example)."""
    summary = {
        "changeType": "UPDATE",
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": item["configurationItemCaptureTime"],
        "configurationStateId": 1764583200000,
        "awsAccountId": LIVE_ACCOUNT,
        "configurationItemStatus": item["configurationItemStatus"],
        "resourceType": item["resourceType"],
        "resourceId": item["resourceId"],
        "resourceName": item["resourceName"],
        "ARN": item["ARN"],
        "awsRegion": "us-east-1",
        "availabilityZone": "Not Applicable",
        "configurationStateMd5Hash": "",
    }
    return change_event(
        None, message_type="OversizedConfigurationItemChangeNotification", configurationItemSummary=summary
    )


def test_an_oversized_item_is_read_by_reference_and_judged() -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    form = Recording(body)
    cr.handle(oversized_event(config_item("Task", form.resources["Task"])), form, NO_SETTINGS)
    assert form.reads == [
        ("AWS::ECS::TaskDefinition", ARN_TASK, datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC))
    ]
    evaluation = only(form.put_batches[0])
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "ECS.4" in failing_ids(evaluation["Annotation"])


def test_an_oversized_deletion_is_not_applicable_without_a_read() -> None:
    form = Recording(baseline())
    item = config_item("Task", form.resources["Task"], configurationItemStatus="ResourceDeleted")
    cr.handle(oversized_event(item), form, NO_SETTINGS)
    assert form.reads == []
    assert only(form.put_batches[0])["ComplianceType"] == "NOT_APPLICABLE"


def test_an_oversized_item_config_cannot_return_fails_the_invocation() -> None:
    form = Recording(baseline())
    item = config_item("Task", form.resources["Task"], resourceId="arn:aws:ecs:us-east-1:1:task-definition/gone:1")
    with pytest.raises(LookupError, match="no item"):
        cr.handle(oversized_event(item), form, NO_SETTINGS)
    assert form.put_batches == []


# ------------------------------------------------------------------------------------------ periodic runs
def test_a_periodic_run_judges_every_recorded_item_and_puts_at_most_100_a_call() -> None:
    body = baseline()
    for index in range(150):
        body["Resources"][f"Task{index:03}"] = copy.deepcopy(body["Resources"]["Task"])
    c0({"Resources": {"Task": body["Resources"]["Task007"]}})["Privileged"] = True
    form = LiveForm(body)
    event = change_event(None, message_type="ScheduledNotification", awsAccountId=LIVE_ACCOUNT)
    summary = cr.handle(event, form, NO_SETTINGS)
    sizes = [len(batch) for batch in form.put_batches]
    evaluations = [e for batch in form.put_batches for e in batch]
    assert len(form.config_items()) == 154  # 151 task definitions, the cluster, the service, the repository
    assert sizes == [100, 54]
    kinds = {e["ComplianceResourceId"].rsplit("/", 1)[-1]: e["ComplianceType"] for e in evaluations}
    assert kinds["Task007:1"] == "NON_COMPLIANT"
    assert kinds["Task006:1"] == "COMPLIANT"
    notified = datetime.datetime(2026, 12, 1, 10, 0, 5, tzinfo=datetime.UTC)
    assert {e["OrderingTimestamp"] for e in evaluations} == {notified}
    assert summary["evaluations"]["NON_COMPLIANT"] == 1


def test_an_item_that_raises_in_a_periodic_run_withholds_no_other_verdict() -> None:
    """GIVEN a periodic run where reading one revision's roles fails unexpectedly, THEN every other item's
    evaluation is delivered, and the invocation still fails, naming the item."""
    body = baseline()
    body["Resources"]["Broken"] = copy.deepcopy(body["Resources"]["Task"])

    class OneBroken(LiveForm):
        def roles(self, arns: Any) -> dict[str, Any]:
            if self._current == "Broken":
                raise RuntimeError("an unexpected answer")
            return super().roles(arns)

        def items(self, resource_type: str) -> Any:
            for item in super().items(resource_type):
                self._current = item["arn"].rsplit("/", 1)[-1].split(":")[0]
                yield item

    form = OneBroken(body)
    event = change_event(None, message_type="ScheduledNotification", awsAccountId=LIVE_ACCOUNT)
    with pytest.raises(cr.ItemErrors, match=r"1 item\(s\) not judged, 4 evaluation\(s\) delivered; first: .*Broken:1"):
        cr.handle(event, form, NO_SETTINGS)
    put = [e["ComplianceResourceId"] for batch in form.put_batches for e in batch]
    assert len(put) == 4 and ARN_TASK in put and not any("Broken" in p for p in put)


# ------------------------------------------------------------------------------------------ applicability
@pytest.mark.parametrize(
    ("compatibilities", "judged"),
    [(["EC2"], False), (["EXTERNAL"], False), (["EC2", "FARGATE"], True), (None, True), ([], True)],
)
def test_only_revisions_that_cannot_run_on_fargate_are_not_applicable(compatibilities: Any, judged: bool) -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    if compatibilities is None:
        del task(body)["RequiresCompatibilities"]
    else:
        task(body)["RequiresCompatibilities"] = compatibilities
    evaluation = only(judge(body)[1])
    assert evaluation["ComplianceType"] == ("NON_COMPLIANT" if judged else "NOT_APPLICABLE")
    if not judged:
        assert "not compatible with FARGATE" in evaluation["Annotation"]


@pytest.mark.parametrize("status", ["INACTIVE", "DELETE_IN_PROGRESS"])
def test_a_revision_that_is_not_active_is_not_applicable_and_says_which(status: str) -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    task(body)["Status"] = status
    evaluation = only(judge(body)[1])
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"
    assert f"revision Task:1 is {status}" in evaluation["Annotation"]


@pytest.mark.parametrize(
    ("launch", "judged"),
    [
        ({"LaunchType": "EC2"}, False),
        ({"LaunchType": "EXTERNAL"}, False),
        ({"CapacityProviderStrategy": [{"CapacityProvider": "my-asg-provider", "Weight": 1}]}, False),
        ({"LaunchType": "FARGATE"}, True),
        ({"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]}, True),
        ({}, True),
    ],
)
def test_services_off_fargate_are_not_applicable(launch: dict[str, Any], judged: bool) -> None:
    body = baseline()
    svc(body).pop("LaunchType", None)
    svc(body).update(launch)
    svc(body)["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] = "ENABLED"
    evaluation = only(judge(body, "Service")[1])
    assert evaluation["ComplianceResourceType"] == "AWS::ECS::Service"
    assert evaluation["ComplianceType"] == ("NON_COMPLIANT" if judged else "NOT_APPLICABLE")


# --------------------------------------------------------------------------------- what is read with an item
def test_a_service_is_judged_with_its_task_definition_but_answers_only_for_itself() -> None:
    body = baseline()
    c0(body)["Privileged"] = True  # the task definition's own finding: its own evaluation says it
    _, evaluations = judge(body, "Service")
    assert only(evaluations)["ComplianceResourceId"] == ARN_SERVICE
    assert only(evaluations)["ComplianceType"] == "COMPLIANT"
    svc(body)["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] = "ENABLED"
    evaluation = only(judge(body, "Service")[1])
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "ECS.2" in failing_ids(evaluation["Annotation"])
    assert "ECS.4" not in failing_ids(evaluation["Annotation"])


def test_a_service_running_a_deregistered_revision_answers_for_it() -> None:
    """GIVEN an insecure revision a service runs, deregistered after the service started (its own evaluation is
    then NOT_APPLICABLE), THEN the service's evaluation carries its findings: deregistering is no way out."""
    body = baseline()
    c0(body)["Privileged"] = True
    task(body)["Status"] = "INACTIVE"
    assert only(judge(body)[1])["ComplianceType"] == "NOT_APPLICABLE"
    evaluation = only(judge(body, "Service")[1])
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert "ECS.4" in failing_ids(evaluation["Annotation"])
    assert evaluation["Annotation"].startswith("runs Task:1, which is INACTIVE: judged with it: fails")


def test_a_service_whose_task_definition_cannot_be_read_says_so() -> None:
    body = baseline()
    svc(body)["TaskDefinition"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/elsewhere:3"
    evaluation = only(judge(body, "Service")[1])
    assert "its task definition was not read" in evaluation["Annotation"]


def test_the_task_role_is_read_and_its_policies_judged() -> None:
    body = baseline()
    wide = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    body["Resources"]["TaskRole"]["Properties"]["Policies"] = [{"PolicyName": "all", "PolicyDocument": wide}]
    expected = {f.control for f in evaluate(Template(body), CONTROLS) if not f.acknowledged} - {
        f.control for f in evaluate(Template(baseline()), CONTROLS)
    }
    assert expected, "the wide policy must fail a control in check"
    evaluation = only(judge(body, environ={cr.STANDARDS_VARIABLE: "all"})[1])
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert expected <= set(failing_ids(evaluation["Annotation"]))


@pytest.mark.parametrize(("transit", "fails"), [("DISABLED", True), ("ENABLED", False)])
def test_configs_own_spellings_of_efs_volumes_are_read(transit: str, fails: bool) -> None:
    body = baseline()
    efs = {"FilesystemId": "fs-1", "TransitEncryption": transit, "AuthorizationConfig": {"IAM": "ENABLED"}}
    task(body)["Volumes"] = [{"Name": "shared", "EFSVolumeConfiguration": efs}]
    form, evaluations = judge(body)
    volume = config_item("Task", form.resources["Task"])["configuration"]["Volumes"][0]
    assert volume["EfsVolumeConfiguration"]["FileSystemId"] == "fs-1"  # Config's spelling, as its schema lists it
    assert volume["EfsVolumeConfiguration"]["AuthorizationConfig"] == {"Iam": "ENABLED"}
    assert ("ECS.18" in only(evaluations)["Annotation"]) is fails
    assert only(evaluations)["ComplianceType"] == ("NON_COMPLIANT" if fails else "COMPLIANT")


def test_a_repository_is_judged_with_the_registry_scanning_configuration() -> None:
    body = baseline()
    body["Resources"]["Repository"]["Properties"]["ImageScanningConfiguration"] = {"ScanOnPush": False}
    assert "ECR.1" in failing_ids(only(judge(body, "Repository")[1])["Annotation"])
    body["Resources"]["Registry"] = {
        "Type": "AWS::ECR::RegistryScanningConfiguration",
        "Properties": {"ScanType": "ENHANCED", "Rules": [
            {"ScanFrequency": "CONTINUOUS_SCAN", "RepositoryFilters": [{"Filter": "*", "FilterType": "WILDCARD"}]}
        ]},
    }  # fmt: skip
    assert only(judge(body, "Repository")[1])["ComplianceType"] == "COMPLIANT"


# ------------------------------------------------------------------------------------- acknowledgement tags
def test_a_tag_acknowledges_an_acknowledgeable_control() -> None:
    body = baseline()
    del c0(body)["ReadonlyRootFilesystem"]
    task(body)["Tags"].append({"Key": "secure-fargate:ack:ECS.5:app", "Value": "vendor image writes to /var/cache"})
    evaluation = only(judge(body)[1])
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert "1 acknowledged" in evaluation["Annotation"]


def test_a_tag_cannot_acknowledge_an_invariant() -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    task(body)["Tags"].append({"Key": "secure-fargate:ack:ECS.4:app", "Value": "the vendor says it needs privileged"})
    form, evaluations = judge(body)
    assert only(evaluations)["ComplianceType"] == "NON_COMPLIANT"
    assert "ECS.4" in failing_ids(only(evaluations)["Annotation"])
    assert any("ECS.4" in w for w in form.warnings)


def test_a_tag_on_another_resource_acknowledges_nothing_here() -> None:
    body = baseline()
    del c0(body)["ReadonlyRootFilesystem"]
    svc(body).setdefault("Tags", []).append({"Key": "secure-fargate:ack:ECS.5:app", "Value": "set on the service"})
    assert only(judge(body)[1])["ComplianceType"] == "NON_COMPLIANT"


# ------------------------------------------------------------------------------------------ attack routes
def _camel(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        if key in ("DockerLabels", "Options"):
            return value
        return {k[:1].lower() + k[1:]: _camel(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v, key) for v in value]
    return value


def test_an_item_spelled_in_the_apis_camel_case_is_judged_the_same() -> None:
    body = baseline()
    c0(body)["Privileged"] = True
    del c0(body)["ReadonlyRootFilesystem"]
    form = LiveForm(body)
    item = config_item("Task", form.resources["Task"])
    cr.handle(change_event(item), form, NO_SETTINGS)
    item["configuration"] = _camel(item["configuration"])
    assert "containerDefinitions" in item["configuration"]
    cr.handle(change_event(item), form, NO_SETTINGS)
    pascal, camel = (batch[0] for batch in form.put_batches)
    assert pascal["ComplianceType"] == camel["ComplianceType"] == "NON_COMPLIANT"
    assert pascal["Annotation"] == camel["Annotation"]


def test_metadata_inside_a_configuration_acknowledges_nothing() -> None:
    """Acknowledgements reach the model only through tags: a ``Metadata`` key in a (hostile) item is data."""
    body = baseline()
    del c0(body)["ReadonlyRootFilesystem"]
    form = LiveForm(body)
    item = config_item("Task", form.resources["Task"])
    ack = {"control": "ECS.5", "container": "app", "reason": "slipped in through the configuration"}
    item["configuration"]["Metadata"] = {"secure-fargate": {"acknowledgements": [ack]}}
    cr.handle(change_event(item), form, NO_SETTINGS)
    assert only(form.put_batches[0])["ComplianceType"] == "NON_COMPLIANT"


@pytest.mark.parametrize(
    "key", ["Secure-Fargate:Ack:ECS.5:app", "secure-fargate:ack:ecs.5:app", "secure-fargate:ack:ECS.5:APP"]
)
def test_a_tag_spelled_otherwise_acknowledges_nothing(key: str) -> None:
    body = baseline()
    del c0(body)["ReadonlyRootFilesystem"]
    task(body)["Tags"].append({"Key": key, "Value": "vendor image writes to /var/cache"})
    assert only(judge(body)[1])["ComplianceType"] == "NON_COMPLIANT"


# ------------------------------------------------------------------------------------------ settings
def test_fail_on_lets_findings_below_it_pass_and_says_so() -> None:
    body = baseline()
    del c0(body)["ReadonlyRootFilesystem"]  # ECS.5 is not critical
    assert Severity(CONTROLS_BY_ID["ECS.5"].severity) is not Severity.CRITICAL
    evaluation = only(judge(body, environ={cr.FAIL_ON_VARIABLE: "CRITICAL"})[1])
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert "open below the fail-on severity: ECS.5" in evaluation["Annotation"]


@pytest.mark.parametrize(("variable", "value"), [(cr.STANDARDS_VARIABLE, "nist-9000"), (cr.FAIL_ON_VARIABLE, "loud")])
def test_a_bad_setting_names_its_variable(variable: str, value: str) -> None:
    form = LiveForm(baseline())
    with pytest.raises(ValueError, match=variable):
        cr.handle(change_event(config_item("Task", form.resources["Task"])), form, {variable: value})


# ------------------------------------------------------------------------------------------ annotations
def finding(control: str, severity: str, message: str = "m", container: str | None = None) -> Finding:
    return Finding(control, "config", "r", container, message, severity)


def test_annotations_keep_every_id_most_severe_first_and_count_what_is_cut() -> None:
    found = [finding(f"SF.X{i:02}", ("LOW", "CRITICAL", "MEDIUM")[i % 3], "x" * 60) for i in range(12)]
    text = cr.annotation("revision app:7", found, found)
    assert len(text) <= cr.ANNOTATION_LIMIT
    ids = failing_ids(text)
    assert ids[:4] == ["SF.X01", "SF.X04", "SF.X07", "SF.X10"]  # the CRITICAL ones, by ID
    assert text.endswith(" more")
    assert text == cr.annotation("revision app:7", list(reversed(found)), found)  # deterministic


def test_an_annotation_shortens_a_long_first_message_rather_than_drop_it() -> None:
    text = cr.annotation("", [finding("ECS.8", "HIGH", "y" * 400, "app")], [])
    assert text.startswith("fails ECS.8 | ECS.8[app]: yyy")
    assert text.endswith("…") and len(text) == cr.ANNOTATION_LIMIT


def test_a_family_name_of_255_characters_still_fits() -> None:
    found = [finding("ECS.4", "HIGH", "privileged", "app"), finding("ECS.5", "HIGH")]
    text = cr.annotation("revision " + "f" * 255 + ":1", found, found)
    assert len(text) <= cr.ANNOTATION_LIMIT
    assert failing_ids(text) == ["ECS.4", "ECS.5"]


def test_many_ids_are_counted_when_they_do_not_all_fit() -> None:
    found = [finding(f"SF.LONG_CONTROL_NAME_{i:03}", "HIGH") for i in range(40)]
    text = cr.annotation("revision app:1", found, found)
    assert len(text) <= cr.ANNOTATION_LIMIT
    shown = failing_ids(text)
    assert text.split(" | ")[0].endswith(f"+{40 - len(shown)} more")


# ------------------------------------------------------------------------------------------ hostile input
def _event(**changes: Any) -> Any:
    event = change_event(config_item("Task", LiveForm(baseline()).resources["Task"]))
    event.update(changes)
    return event


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([], "not a JSON object"),
        (_event(resultToken=None), "resultToken"),
        (_event(invokingEvent={"messageType": "ScheduledNotification"}), "not a JSON string"),
        (_event(invokingEvent="{not json"), "not JSON"),
        (_event(invokingEvent="[1, 2]"), "not a JSON object"),
        (_event(invokingEvent=json.dumps({"messageType": "Surprise"})), "messageType 'Surprise'"),
        (_event(invokingEvent=json.dumps({"messageType": cr.CHANGE})), "configurationItem"),
        (_event(invokingEvent=json.dumps({"messageType": cr.OVERSIZED})), "configurationItemSummary"),
        (_event(invokingEvent=" " * (cr.MAX_TEXT_CHARS + 1)), "larger than"),
    ],
)
def test_a_malformed_event_is_a_clear_error(event: Any, message: str) -> None:
    form = LiveForm(baseline())
    with pytest.raises(cr.MalformedEvent, match=message):
        cr.handle(event, form, NO_SETTINGS)
    assert form.put_batches == []


def test_the_lambda_entry_point_logs_and_raises_a_malformed_event(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(cr.MalformedEvent):
        cr.handler({"invokingEvent": "{}", "resultToken": "t"}, None)
    logged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "MalformedEvent" in logged["secure-fargate-config"]["error"]


@pytest.mark.parametrize(
    "configuration",
    [
        [1, 2, 3],
        42,
        "{not json",
        {"ContainerDefinitions": "app", "RequiresCompatibilities": ["FARGATE"]},
        {"ContainerDefinitions": [1, "two", None], "RequiresCompatibilities": ["FARGATE"]},
        {"ContainerDefinitions": [{"Name": "app", "Environment": "A=1"}], "RequiresCompatibilities": "FARGATE"},
        {"ContainerDefinitions": [{"Name": {"x": 1}, "LinuxParameters": [True]}], "Volumes": {"a": 1}},
    ],
)
def test_a_configuration_of_unexpected_types_is_never_passed(configuration: Any) -> None:
    """An item the handler cannot read is NOT_APPLICABLE with why (never COMPLIANT, never a crash loop): a
    retry would fail the same way."""
    form = LiveForm(baseline())
    item = config_item("Task", form.resources["Task"])
    item["configuration"] = configuration
    cr.handle(change_event(item), form, NO_SETTINGS)
    evaluation = only(form.put_batches[0])
    assert evaluation["ComplianceType"] != "COMPLIANT", evaluation
    if evaluation["ComplianceType"] == "NOT_APPLICABLE":
        assert evaluation["Annotation"].startswith("secure-fargate cannot judge this item")


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda b: task(b).__setitem__("ContainerDefinitions", "app"), "ContainerDefinitions"),
        (lambda b: task(b).__setitem__("ContainerDefinitions", [1, 2]), "ContainerDefinitions"),
        (lambda b: task(b).__setitem__("ContainerDefinitions", []), "ContainerDefinitions"),
        (lambda b: c0(b).pop("Name"), "has no Name"),
        (lambda b: c0(b).__setitem__("Environment", "A=1"), "Environment is a str"),
        (lambda b: c0(b).__setitem__("LinuxParameters", [1]), "LinuxParameters is a list"),
        (lambda b: task(b).__setitem__("Volumes", {"a": 1}), "Volumes"),
        (lambda b: task(b).__setitem__("RequiresCompatibilities", "FARGATE"), "RequiresCompatibilities"),
    ],
)
def test_a_hardened_looking_item_of_impossible_shape_is_not_passed(mutate: Any, problem: str) -> None:
    """Shapes ECS never returns, on an otherwise hardened revision: the rules would read them as nothing to
    fault (check does, on a template), so the handler refuses to judge them and says why."""
    body = baseline()
    mutate(body)
    evaluation = only(judge(body)[1])
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"
    assert evaluation["Annotation"].startswith("secure-fargate cannot judge this item")
    assert problem in evaluation["Annotation"]


def test_an_oversized_item_beyond_the_bound_is_not_parsed() -> None:
    class Huge(LiveForm):
        def item(self, resource_type: str, resource_id: str, later_time: Any) -> dict[str, Any] | None:
            found = super().item(resource_type, resource_id, later_time)
            return {**(found or {}), "configuration": "[" * (cr.MAX_TEXT_CHARS + 1)}

    form = Huge(baseline())
    cr.handle(oversized_event(config_item("Task", form.resources["Task"])), form, NO_SETTINGS)
    evaluation = only(form.put_batches[0])
    assert evaluation["ComplianceType"] == "NOT_APPLICABLE"
    assert "larger than" in evaluation["Annotation"]


def test_a_huge_item_is_judged_within_the_limits() -> None:
    body = baseline()
    container = c0(body)
    container["Environment"] = [{"Name": f"VAR_{i}", "Value": "v" * 100} for i in range(200)]
    container["Privileged"] = True
    task(body)["ContainerDefinitions"] = [{**copy.deepcopy(container), "Name": f"c{i}"} for i in range(100)]
    form, evaluations = judge(body)
    assert len(json.dumps(form.config_items())) > 2_000_000
    evaluation = only(evaluations)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert len(evaluation["Annotation"]) <= cr.ANNOTATION_LIMIT
    assert evaluation["Annotation"].endswith(" more")


def test_an_aws_error_while_putting_fails_the_invocation() -> None:
    class Failing(LiveForm):
        def put(self, evaluations: Any, token: str) -> list[Any]:
            raise RuntimeError("ThrottlingException")

    form = Failing(baseline())
    with pytest.raises(RuntimeError, match="Throttling"):
        cr.handle(change_event(config_item("Task", form.resources["Task"])), form, NO_SETTINGS)


def test_evaluations_config_refuses_are_logged_and_counted(capsys: pytest.CaptureFixture[str]) -> None:
    class Refusing(LiveForm):
        def put(self, evaluations: Any, token: str) -> list[Any]:
            return [{"ComplianceResourceId": evaluations[0].resource_id}]

    form = Refusing(baseline())
    summary = cr.handle(change_event(config_item("Task", form.resources["Task"])), form, NO_SETTINGS)
    assert summary["failedEvaluations"] == 1
    assert json.loads(capsys.readouterr().out)["secure-fargate-config"]["failedEvaluations"] == [
        {"ComplianceResourceId": ARN_TASK}
    ]


# ----------------------------------------------------------------------------------- parity with check
#: Cases whose Config verdict differs from check's, each with why (the parity test fails if this list is stale).
KNOWN_DIVERGENCES = {
    # A service naming its cluster by a literal name or ARN: the live form's cluster ARN is built from its logical
    # ID, not its ClusterName, so the named cluster is not found (live, a name is the cluster's ARN's last part).
    "SF.EXEC_LOGGING-cluster-by-literal-name": "the live form's cluster ARN ignores ClusterName",
    "SF.EXEC_LOGGING-cluster-by-literal-arn": "the live form's cluster ARN ignores ClusterName",
}
LIVE_CASES = [case for case in all_cases() if LiveForm(case.body()).has_live_form()]


def config_controls(form: LiveForm) -> set[str]:
    """The controls with open findings over every recorded item of the live form, judged one item at a time."""
    judge_ = cr.Judge(CONTROLS, Severity.LOW, form)
    found: set[str] = set()
    for item in form.config_items():
        try:
            model = cr.model_of(item, form)
        except cr.UnreadableItem:  # "cannot judge this item": check's verdict on an impossible shape is SF.UNJUDGED
            found.add("SF.UNJUDGED")
            continue
        if model.not_applicable is None:
            found |= {f.control for f in judge_.findings(model) if f.is_open}
    return found


def test_most_of_the_corpus_has_a_live_form() -> None:
    """The parity below covers the corpus, not a convenient corner of it: only cases with parameters, conditions,
    functions or template-only markers (a construct's Metadata) lack a live form."""
    assert len(LIVE_CASES) >= 300, len(LIVE_CASES)


@pytest.mark.parametrize("case", LIVE_CASES, ids=lambda c: c.id)
def test_the_config_verdict_is_checks(case: Any) -> None:
    body = case.body()
    form = LiveForm(body)
    check = {
        f.control for f in evaluate(Template(body), CONTROLS) if not f.acknowledged and f.resource in form.subjects
    }
    got = config_controls(form)
    if case.id in KNOWN_DIVERGENCES:
        assert got != check, f"{case.id} now agrees: drop it from KNOWN_DIVERGENCES"
        return
    assert got == check, f"check only: {sorted(check - got)}; Config only: {sorted(got - check)}"


# ------------------------------------------------------------------------------------- the Lambda asset
ISOLATED = """
import json, sys
sys.path.insert(0, sys.argv[1])
from secure_fargate.pack import config_rule as cr

class Reader:
    warnings = []
    put_ = []
    def roles(self, arns): return {}
    def task_definition(self, arn): return None
    def security_groups(self, ids): return {}
    def aws_managed_key(self, key): return False
    def registry_scanning(self): return {}
    def item(self, resource_type, resource_id, later_time): return None
    def items(self, resource_type): return iter(())
    def put(self, evaluations, token):
        self.put_ += [e.to_api() for e in evaluations]
        return []

reader = Reader()
cr.handle(json.loads(sys.argv[2]), reader, {})
print(json.dumps({"put": reader.put_, "modules": sorted(sys.modules)}, default=str))
"""


def test_the_packaged_pack_runs_the_handler_alone() -> None:
    """What the Lambda carries (the staged pack, a stub package) judges an item with no aws_cdk and no boto3
    importable (-I -S: no site-packages); boto3 is the Lambda runtime's and only the AWS reader needs it."""
    import subprocess
    import sys

    from secure_fargate.hook import stage_pack_code

    body = baseline()
    c0(body)["Privileged"] = True
    event = change_event(config_item("Task", LiveForm(body).resources["Task"]))
    staged = stage_pack_code()
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", ISOLATED, staged, json.dumps(event)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert [e["ComplianceType"] for e in result["put"]] == ["NON_COMPLIANT"]
    assert "ECS.4" in result["put"][0]["Annotation"]
    assert not any(m.split(".")[0] in ("aws_cdk", "constructs", "jsii", "boto3", "tests") for m in result["modules"])


# ------------------------------------------------------------------------------------------------- docs
DOCS = Path(__file__).resolve().parent.parent / "docs" / "config-rule.md"


def test_the_documented_annotation_is_what_the_handler_writes() -> None:
    shown = DOCS.read_text(encoding="utf-8").split("```text\n", 1)[1].split("\n```", 1)[0]
    body = baseline()
    c0(body)["Privileged"] = True
    del c0(body)["ReadonlyRootFilesystem"]
    c0(body)["User"] = "0"
    form = LiveForm(body)
    item = config_item("Task", form.resources["Task"])
    item["ARN"] = item["ARN"].replace("Task:1", "payments-api:42")
    cr.handle(change_event(item), form, NO_SETTINGS)
    assert only(form.put_batches[0])["Annotation"] == shown


def test_the_page_names_every_action_the_handler_needs() -> None:
    page = DOCS.read_text(encoding="utf-8")
    assert [a for a in cr.REQUIRED_ACTIONS if a.split(":")[1] not in page] == []


class _FakeSts:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def assume_role(self, **kwargs: str) -> dict:
        self.calls.append(kwargs)
        return {"Credentials": {"AccessKeyId": "a", "SecretAccessKey": "b", "SessionToken": "c"}}


@pytest.mark.parametrize(
    ("function_arn", "partition"),
    [
        ("arn:aws-cn:lambda:cn-north-1:111111111111:function:f", "aws-cn"),
        ("arn:aws-us-gov:lambda:us-gov-west-1:111111111111:function:f", "aws-us-gov"),
        ("arn:aws:lambda:eu-west-1:111111111111:function:f", "aws"),
    ],
)
def test_member_role_arn_is_in_the_function_partition(monkeypatch, function_arn, partition):
    import boto3

    sts = _FakeSts()
    monkeypatch.setattr(boto3.session.Session, "client", lambda self, name, *a, **k: sts)
    context = types.SimpleNamespace(invoked_function_arn=function_arn)
    cr.session_for("222222222222", context, {cr.MEMBER_ROLE_VARIABLE: "member"})
    assert sts.calls[0]["RoleArn"] == f"arn:{partition}:iam::222222222222:role/member"
