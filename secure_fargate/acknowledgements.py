"""Acknowledging a guardrail finding: one control, on resources that exist, for exactly what is named.

``acknowledge(scope, control, reason, container=..., variable=...)`` writes the acknowledgement into the
``Metadata`` of the CloudFormation resources under ``scope`` that the control judges
(``secure-fargate: {acknowledgements: [{control, reason, container?, variable?}]}``). The pack reads it there,
whoever runs it: the CDK plugin at synth, ``secure-fargate check`` in CI, the CloudFormation hook at deploy.
So one mechanism gives one verdict everywhere; CDK's own ``Validations.of(x).acknowledge`` cannot silence a
finding of this pack (the plugin reports them as non-suppressible).

Rules (docs/guardrail-pack.md, "Acknowledgements"): the control must exist and have an opt-out (the invariants cannot be
acknowledged); the reason must say something (``pack.reasons``); container-level controls name the container
and ECS.8 names the variable, so a later container or variable is judged afresh; and ``scope`` must hold a
resource of the control's type (an acknowledgement that matches nothing is a mistake, not a no-op).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Annotations, CfnResource
from aws_cdk import aws_ecs as ecs
from constructs import IConstruct

from .errors import Problems
from .pack import CONTROLS, CONTROLS_BY_ID, METADATA_KEY, clock
from .pack.control import Scope
from .pack.tasks import AGENT_TAG, agent_tag_value

#: Above ``Tags.of(...).add``'s default (100), so that an app-wide tag of the same key does not replace the record by
#: accident (a deliberate one is caught: the pack compares the tag with the Metadata record).
AGENT_TAG_PRIORITY = 1000

#: Plugin name of the guardrail pack; CDK namespaces rule IDs with it (``secure-fargate::ECS.5``).
PLUGIN_NAME = "secure-fargate"

#: Controls judged per container: an acknowledgement must name the container it covers (from each declaration's
#: ``scope``).
CONTAINER_CONTROLS: frozenset[str] = frozenset(c.id for c in CONTROLS if c.scope in (Scope.CONTAINER, Scope.VARIABLE))
#: Controls judged per variable of a container: an acknowledgement must name the variable too.
VARIABLE_CONTROLS: frozenset[str] = frozenset(c.id for c in CONTROLS if c.scope is Scope.VARIABLE)

#: cdk-nag's NIST 800-53 pack flags every AWS::IAM::Policy as an "inline" policy. CDK's grants create exactly
#: those, scoped to the ARNs of the resources granted; the library acknowledges it on the roles it creates.
IAM_POLICY_ACKNOWLEDGEMENT = Acknowledgment(
    id="NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy",
    reason="CDK grants attach least-privilege AWS::IAM::Policy resources scoped to the exact ARNs granted; a "
    "customer-managed policy would carry the same statements with no gain in control.",
)

#: cdk-nag's AwsSolutions-IAM5 flags the one wildcard an image pull needs.
ECR_TOKEN_ACKNOWLEDGEMENT = Acknowledgment(
    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
    reason="ecr:GetAuthorizationToken has no resource-level permission, so it needs Resource '*'; every other "
    "action of the execution role is scoped to exact ARNs (secure_fargate SF.EXECUTION_ROLE checks it).",
)


def validation_id(control: str) -> str:
    return f"{PLUGIN_NAME}::{control}"


def _judged(resource_type: str, types: Sequence[str]) -> bool:
    """True when a control running over ``types`` (a ``*`` suffix is a prefix: ``Custom::*``) judges the type."""
    return any(resource_type == t or (t.endswith("*") and resource_type.startswith(t[:-1])) for t in types)


def _targets(scope: IConstruct, types: Sequence[str]) -> list[CfnResource]:
    return [
        child  # type: ignore[misc]
        for child in scope.node.find_all()
        if CfnResource.is_cfn_resource(child) and _judged(child.cfn_resource_type, types)  # type: ignore[attr-defined]
    ]


def _has_container(scope: IConstruct, name: str) -> bool:
    definitions = [c for c in scope.node.find_all() if isinstance(c, ecs.TaskDefinition)]  # scope included
    return any(d.find_container(name) is not None for d in definitions)


def _check_subject(
    problems: Problems, scope: IConstruct, control: str, container: str | None, variable: object
) -> None:
    if control in CONTAINER_CONTROLS and not container:
        problems.add(
            "container", container, f"the container {control} is acknowledged for ({control} is per container)"
        )
    if container and not _has_container(scope, container):
        problems.add("container", container, "a container of a task definition under the scope")
    if control in VARIABLE_CONTROLS and not variable:
        problems.add("variable", variable, f"the environment variable {control} is acknowledged for")
    if container and control not in CONTAINER_CONTROLS:
        problems.add("container", container, f"none: {control} is judged per resource, so no container is named")
    if variable and control not in VARIABLE_CONTROLS:
        problems.add("variable", variable, f"none: {control} is not judged per environment variable")


def acknowledge(
    scope: IConstruct,
    control: str,
    reason: str,
    *,
    container: str | None = None,
    variable: str | None = None,
    item: str | None = None,
    expires: str | None = None,
) -> None:
    """Acknowledge ``control`` for the resources under ``scope`` it judges, with a reason audits will show.

    Args:
        scope: the construct whose resources the acknowledgement covers (e.g. a task definition).
        control: a control ID of the pack that has an opt-out (``secure-fargate controls`` lists them).
        reason: why the finding is accepted: at least 10 visible characters, not one character repeated.
        container: for a per-container control, the one container it covers.
        variable: for ECS.8, the one environment variable it covers.
        item: for a per-container control whose findings name an item (SF.MOUNTS: the mount path), the one item
            it covers; with ``container``. Default: every item of that container.
        expires: the last day the acknowledgement holds, ``"YYYY-MM-DD"``; from the next day the finding is open
            again, its message naming this acknowledgement, and from 30 days before a warning annotation is left on
            ``scope``. Default: none (it holds until removed).

    Raises:
        SecureFargateError: naming the property that is wrong (control, reason, container, variable, scope).
    """
    problems = Problems(scope.node.path)
    found = CONTROLS_BY_ID.get(control)
    if found is None:
        problems.add("control", control, f"one of {sorted(CONTROLS_BY_ID)}")
    elif not found.acknowledgeable:
        problems.add(
            "control", control, "a control with an opt-out: this one is an invariant and cannot be acknowledged"
        )
    problems.require_reason("reason", reason, reason)
    targets = _targets(scope, found.subject_types) if found else []
    if found and not targets:
        judged = " or ".join(found.subject_types)
        problems.add("scope", scope.node.path, f"a scope holding a {judged} ({control} judges those)")
    if found:
        _check_subject(problems, scope, control, container, variable)
    if item is not None and not (container and isinstance(item, str) and item):
        problems.add("item", item, "an item (e.g. a mount path) of the named container, with container=...")
    expiry = clock.expiry_problem(expires)
    if expiry:
        problems.add("expires", expires, expiry)
    problems.raise_if_any()
    entry = {"control": control, "reason": reason.strip()}
    entry.update({k: v for k, v in (("container", container), ("variable", variable), ("item", item)) if v})
    if expires is not None:
        entry["expires"] = str(clock.expiry_text(expires))
        warning = clock.expiry_warning(expires, f"acknowledgement of {control} ({reason.strip()})")
        if warning:
            Annotations.of(scope).add_warning_v2(f"secure-fargate:expiry:{control}", warning)
    for resource in targets:
        _add_entry(resource, entry)


def _add_entry(resource: CfnResource, entry: dict[str, str]) -> None:
    key = ("control", "container", "variable", "item")
    current = resource.get_metadata(METADATA_KEY) or {}
    entries = [
        e
        for e in current.get("acknowledgements", [])
        if tuple(e.get(k) for k in key) != tuple(entry.get(k) for k in key)
    ]
    entries.append(entry)
    resource.add_metadata(METADATA_KEY, {**current, "acknowledgements": entries})


def declare_agent(resource: ecs.CfnTaskDefinition, container: str) -> None:
    """Record on a task definition which container the library declared as its security agent (``""``: none), so
    that the pack's SF.PTRACE and SF.AGENT refuse any other container that acts as one: as the tag
    ``secure-fargate:agent``, which ``check`` reads in the template and ``scan`` on the live task definition, and in
    the template's Metadata, against which ``check`` compares the tag (a removed or changed tag is a finding)."""
    current = resource.get_metadata(METADATA_KEY) or {}
    resource.add_metadata(METADATA_KEY, {**current, "agent": container})
    resource.tags.set_tag(AGENT_TAG, agent_tag_value(container), AGENT_TAG_PRIORITY)
