"""The library's one error type for bad input, and the collector that gathers every problem before raising."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .pack.reasons import MIN_REASON_LENGTH as MIN_REASON_LENGTH
from .pack.reasons import reason_problem as reason_problem


@dataclass(frozen=True)
class Problem:
    """One bad input: where, which property, what was received and what is allowed."""

    path: str
    prop: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        return f"{self.path}: {self.prop}={self.value!r} is not allowed: {self.allowed}"


class SecureFargateError(ValueError):
    """Raised at construction for bad or conflicting input; lists every problem found in that call."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in secure_fargate input:\n{lines}")


@dataclass
class Problems:
    """Collects problems for one construct call, then raises them together."""

    path: str
    items: list[Problem] = field(default_factory=list)

    def add(self, prop: str, value: Any, allowed: str) -> None:
        self.items.append(Problem(self.path, prop, value, allowed))

    def require_reason(self, prop: str, value: Any, reason: object) -> None:
        """A reason for weakening a default or accepting a finding: long enough to say why."""
        problem = reason_problem(reason)
        if problem:
            self.add(prop, value, problem)

    def raise_if_any(self) -> None:
        if self.items:
            raise SecureFargateError(self.items)
