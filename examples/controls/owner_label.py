"""An example control of a platform team's own, run beside the pack's without forking it.

    secure-fargate check cdk.out --external-controls examples/controls/owner_label.py
    SecureFargateChecks(extra_controls=[owner_label.check_owner_label])      # in a CDK app

Every container must carry a ``com.example.owner`` docker label naming the team that answers for it (an
organisation's convention, not a security property AWS defines). Declared with the same decorator as the pack's
own controls, so it gets severity, scope, acknowledgements, SARIF rules and docs like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secure_fargate.pack import examples as ex
from secure_fargate.pack.control import LOW, Scope, container_control
from secure_fargate.pack.walk import values_at

OWNER_LABEL = "com.example.owner"


@container_control(
    "ACME.OWNER_LABEL",
    scope=Scope.CONTAINER,
    title="Containers name their owning team",
    severity=LOW,
    severity_reason="an ownership gap slows incident response; it exposes nothing by itself",
    standards=("secure-fargate",),
    rationale="Whoever is paged for a container must be findable from the task definition alone.",
    remediation=f"add the docker label {OWNER_LABEL} with the team's name (ContainerOptions.docker_labels)",
    source="ACME platform standard PS-7",
    failing=ex.task(ex.container()),
    passing=ex.task(ex.container(DockerLabels={OWNER_LABEL: "payments"})),
)
def check_owner_label(container: Mapping[str, Any]) -> str | None:
    """ACME.OWNER_LABEL: the container carries a non-empty owner label (in every branch)."""
    owners = values_at(container, "DockerLabels", OWNER_LABEL)
    if isinstance(owners, list) and any(not (isinstance(o, str) and o.strip()) for o in owners):
        return f"has no {OWNER_LABEL} docker label naming its team"
    return None
