"""secure_fargate: AWS CDK constructs that make a Fargate service secure by default, and the guardrail
pack that audits any stack or template against the same controls.

The CDK constructs are imported lazily so that ``secure-fargate check`` (which must not start a jsii kernel)
can import this package cheaply.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .pack._version import __version__ as __version__

_EXPORTS = {
    "SecureFargateService": "service",
    "SecureTaskDefinition": "task_definition",
    "SecureScheduledTask": "scheduled_task",
    "SecureOneOffTask": "one_off_task",
    "SecurityAgent": "options",
    "LogRouter": "options",
    "SecureNetwork": "network",
    "SecureCluster": "cluster",
    "SecureRepository": "registry",
    "PullThroughCache": "registry",
    "SecureLoadBalancer": "load_balancer",
    "RotationRedeploy": "secrets",
    "enable_rotation": "secrets",
    "encryption_key": "keys",
    "ContainerOptions": "options",
    "ImageSource": "images",
    "OptOut": "options",
    "NotSecret": "options",
    "TrafficRule": "options",
    "SecureFargateError": "errors",
    "Problem": "errors",
    "acknowledge": "acknowledgements",
    "keep_logical_id": "migration",
    "SecureFargateChecks": "plugin",
    "SecureFargateHook": "hook",
    "SecureFargateConfigRule": "config_rule",
    "SecureFargateConfigMemberRole": "config_rule",
    "CONTROLS": "pack",
    "Finding": "pack",
    "evaluate": "pack",
    "load_template": "pack",
}

__all__ = [
    "CONTROLS",
    "ContainerOptions",
    "Finding",
    "ImageSource",
    "LogRouter",
    "NotSecret",
    "OptOut",
    "Problem",
    "PullThroughCache",
    "RotationRedeploy",
    "SecureCluster",
    "SecureFargateChecks",
    "SecureFargateConfigMemberRole",
    "SecureFargateConfigRule",
    "SecureFargateError",
    "SecureFargateHook",
    "SecureFargateService",
    "SecureLoadBalancer",
    "SecureNetwork",
    "SecureOneOffTask",
    "SecureRepository",
    "SecureScheduledTask",
    "SecureTaskDefinition",
    "SecurityAgent",
    "TrafficRule",
    "acknowledge",
    "enable_rotation",
    "encryption_key",
    "evaluate",
    "keep_logical_id",
    "load_template",
]
assert sorted(__all__) == sorted(_EXPORTS)

if TYPE_CHECKING:
    from .acknowledgements import acknowledge
    from .cluster import SecureCluster
    from .config_rule import SecureFargateConfigMemberRole, SecureFargateConfigRule
    from .errors import Problem, SecureFargateError
    from .hook import SecureFargateHook
    from .images import ImageSource
    from .keys import encryption_key
    from .load_balancer import SecureLoadBalancer
    from .migration import keep_logical_id
    from .network import SecureNetwork
    from .one_off_task import SecureOneOffTask
    from .options import ContainerOptions, LogRouter, NotSecret, OptOut, SecurityAgent, TrafficRule
    from .pack import CONTROLS, Finding, evaluate, load_template
    from .plugin import SecureFargateChecks
    from .registry import PullThroughCache, SecureRepository
    from .scheduled_task import SecureScheduledTask
    from .secrets import RotationRedeploy, enable_rotation
    from .service import SecureFargateService
    from .task_definition import SecureTaskDefinition


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'secure_fargate' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
