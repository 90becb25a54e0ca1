"""Tag controls (Security Hub ECS.13, ECS.14, ECS.15): services, clusters and task definitions carry tags.

Security Hub's ``tagged-ecs-service`` / ``tagged-ecs-cluster`` / ``tagged-ecs-taskdefinition`` rules take one
optional parameter, ``requiredTagKeys`` (StringList, at most 6 case-sensitive, non-system keys; no default).
Without it a resource passes with any one tag key; with it the resource must carry every listed key. System
tags (keys beginning ``aws:``) are ignored either way. ``tag_check(keys)`` builds the same judgement for
``SecureFargateChecks(required_tag_keys=...)`` and ``secure-fargate check --required-tag-keys``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from . import examples as ex
from ._template import ABSENT, JSON, Template, _Unknown, properties, shallow_values, values_at
from .control import CLUSTER, LOW, SERVICE, TAGGING, TASK, Violation, resource_control

Found = list[Violation]
ResourceCheck = Callable[[str, Mapping[str, JSON], Template], Found]

#: Security Hub accepts at most six required tag keys per control.
MAX_REQUIRED_TAG_KEYS = 6
SYSTEM_TAG_PREFIX = "aws:"


def required_tag_keys_problem(keys: Sequence[str]) -> str | None:
    """None when ``keys`` is a valid ``requiredTagKeys`` value, else what is wrong (Security Hub's limits)."""
    if len(keys) > MAX_REQUIRED_TAG_KEYS:
        return f"at most {MAX_REQUIRED_TAG_KEYS} required tag keys, got {len(keys)}"
    bad = [k for k in keys if not k.strip() or k.startswith(SYSTEM_TAG_PREFIX) or len(k) > 128]
    if bad:
        return f"tag keys must be 1-128 characters and not begin with 'aws:': {bad}"
    return None


def tag_key_options(resource: Mapping[str, JSON]) -> list[set[str]]:
    """The literal, non-system tag keys of each possible ``Tags`` list of a resource (every branch of an
    ``Fn::If``; an absent ``Tags`` is an empty set). A list with a key known only at deploy time is left out."""
    options: list[set[str]] = []
    for option in shallow_values(properties(resource).get("Tags")):
        if option is not ABSENT and not isinstance(option, list):
            continue
        keys = _certain_keys(option or [])
        if keys is not None:
            options.append(keys)
    return options


def _certain_keys(tags: list[JSON]) -> set[str] | None:
    """The non-system keys a list of tags carries in its least-tagged branch: a tag counts only when every
    alternative of its slot (an ``Fn::If`` item, ``AWS::NoValue`` included) carries the same non-system key.
    None when a key is known only at deploy time (never guessed)."""
    keys: set[str] = set()
    for tag in tags:
        alternatives = shallow_values(tag)
        if not alternatives:
            return None
        slot: set[str] = set()
        for candidate in alternatives:
            values = values_at(candidate, "Key") if isinstance(candidate, dict) else [ABSENT]
            if isinstance(values, _Unknown):
                return None
            slot.update(str(v) if isinstance(v, str) and not v.startswith(SYSTEM_TAG_PREFIX) else "" for v in values)
        if len(slot) == 1 and "" not in slot:
            keys |= slot
    return keys


def tag_check(required: Sequence[str] = (), *, kind: str = "resource") -> ResourceCheck:
    """The ECS.13/14/15 judgement: at least one tag, and every key of ``required`` (case-sensitive)."""
    wanted = tuple(required)

    def check(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
        for keys in tag_key_options(resource):
            if not keys:
                return [Violation(None, f"the {kind} has no tags")]
            missing = [k for k in wanted if k not in keys]
            if missing:
                return [Violation(None, f"the {kind} lacks the required tag key(s) {missing}")]
        return []

    check.__doc__ = f"ECS.13-15: the {kind} is tagged (with every required key)."
    return check


def _tags_example(kind: str, tagged: bool) -> dict[str, JSON]:
    tags = {"Tags": [{"Key": "team", "Value": "payments"}]} if tagged else {}
    builders = {"service": ex.service, "cluster": ex.cluster, "task definition": ex.task}
    return builders[kind](**tags)


def _tag_declaration(control_id: str, resource_type: str, kind: str) -> dict[str, JSON]:
    return {
        "resource_types": (resource_type,),
        "title": f"{kind[0].upper()}{kind[1:]}s are tagged",
        "severity": LOW,
        "severity_reason": f"Security Hub rates {control_id} Low: inventory and access control, no exposure",
        "standards": (TAGGING,),
        "rationale": "Tags identify owner and purpose: inventory, cost and attribute-based access control.",
        "requirement": f"{kind}s carry at least one non-`aws:` tag, or every key of `requiredTagKeys` "
        "(case-sensitive, at most 6; `--required-tag-keys`)",
        "remediation": f"tag the {kind} (Secure* constructs take tags={{...}}, or Tags.of(scope).add(key, value)); "
        "required keys: --required-tag-keys / SecureFargateChecks(required_tag_keys=...)",
        "source": f"AWS Resource Tagging Standard, Security Hub {control_id}",
        "failing": _tags_example(kind, tagged=False),
        "passing": _tags_example(kind, tagged=True),
    }


@resource_control("ECS.13", **_tag_declaration("ECS.13", SERVICE, "service"))
def check_service_tags(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """ECS.13: the service carries a tag."""
    return tag_check(kind="service")(logical_id, resource, template)


@resource_control("ECS.14", **_tag_declaration("ECS.14", CLUSTER, "cluster"))
def check_cluster_tags(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """ECS.14: the cluster carries a tag."""
    return tag_check(kind="cluster")(logical_id, resource, template)


@resource_control("ECS.15", **_tag_declaration("ECS.15", TASK, "task definition"))
def check_task_definition_tags(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
    """ECS.15: the task definition carries a tag."""
    return tag_check(kind="task definition")(logical_id, resource, template)


#: The kind of resource each tag control judges, by resource type (for ``tag_check`` with required keys).
KIND_BY_TYPE: dict[str, str] = {SERVICE: "service", CLUSTER: "cluster", TASK: "task definition"}
