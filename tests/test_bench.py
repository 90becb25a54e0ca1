"""The synth benchmark compares like with like: its ``twin`` case (the reference stack's resources written by hand
around an ``aws_ecs_patterns`` service, bench/stacks.py) declares the same resource types in the same numbers as the
reference stack. When the reference stack gains or loses a resource, this fails until the twin follows, so the
reference / twin ratio in docs/performance.md keeps measuring what our constructs and the pack cost, not a different
stack."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

# bench/ is a script directory, not a package: its stacks.py is loaded from its file, without putting bench/ on the
# worker's sys.path for every later import (bench/ also holds run.py and test_durations.py).
_SPEC = importlib.util.spec_from_file_location("bench_stacks", Path(__file__).resolve().parents[1] / "bench/stacks.py")
assert _SPEC and _SPEC.loader
stacks = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(stacks)


def _types(template: dict[str, Any]) -> Counter[str]:
    return Counter(resource["Type"] for resource in template["Resources"].values())


def test_the_twin_declares_the_reference_stacks_resource_types_and_counts(reference_template: dict[str, Any]) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "BenchTwin")
    stacks._patterns_twin(stack)
    twin = Template.from_stack(stack).to_json()
    assert _types(twin) == _types(reference_template)
    # and the service in it is an aws_ecs_patterns one, not ours: no secure_fargate construct is in its tree
    assert not [c.node.path for c in stack.node.find_all() if type(c).__module__.startswith("secure_fargate")]
