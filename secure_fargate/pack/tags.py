"""Tag controls (Security Hub ECS.13, ECS.14, ECS.15): services, clusters and task definitions carry tags.

Security Hub's ``tagged-ecs-service`` / ``tagged-ecs-cluster`` / ``tagged-ecs-taskdefinition`` rules take one
optional parameter, ``requiredTagKeys`` (StringList, at most 6 case-sensitive, non-system keys; no default).
Without it a resource passes with any one tag key; with it the resource must carry every listed key. System
tags (keys beginning ``aws:``) are ignored either way. ``tag_check(keys)`` builds the same judgement for
``SecureFargateChecks(required_tag_keys=...)`` and ``secure-fargate check --required-tag-keys``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ._template import JSON, UNKNOWN, Template, _Unknown, as_list, possible_values, properties

Found = list[tuple[str | None, str]]
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


def tag_keys(resource: Mapping[str, JSON]) -> set[str] | _Unknown:
    """The literal, non-system tag keys of a resource (list-of-{Key, Value} form), or UNKNOWN."""
    options = possible_values(properties(resource).get("Tags"))
    if isinstance(options, _Unknown) or len(options) != 1:
        return UNKNOWN
    keys: set[str] = set()
    for tag in as_list(options[0]):
        if not isinstance(tag, dict):
            continue
        key = tag.get("Key")
        if not isinstance(key, str):
            return UNKNOWN
        if not key.startswith(SYSTEM_TAG_PREFIX):
            keys.add(key)
    return keys


def tag_check(required: Sequence[str] = (), *, kind: str = "resource") -> ResourceCheck:
    """The ECS.13/14/15 judgement: at least one tag, and every key of ``required`` (case-sensitive)."""
    wanted = tuple(required)

    def check(logical_id: str, resource: Mapping[str, JSON], template: Template) -> Found:
        keys = tag_keys(resource)
        if isinstance(keys, _Unknown):
            return []
        if not keys:
            return [(None, f"the {kind} has no tags")]
        missing = [k for k in wanted if k not in keys]
        if missing:
            return [(None, f"the {kind} lacks the required tag key(s) {missing}")]
        return []

    check.__doc__ = f"ECS.13-15: the {kind} is tagged (with every required key)."
    return check


check_service_tags = tag_check(kind="service")
check_cluster_tags = tag_check(kind="cluster")
check_task_definition_tags = tag_check(kind="task definition")
