"""The branch-aware walker every rule reads templates through (the public names; the implementation lives in
``_template``): lists, objects and values through every branch of every ``Fn::If``, ``AWS::NoValue`` as absent,
intrinsics over literals evaluated, deploy-time values never guessed.

    items(value)              every item a list-valued property can hold (each branch, each item resolved)
    objects(value)            the objects a property can be
    values_at(value, *path)   the literal values at a nested path (ABSENT where absent; UNKNOWN if none known)
    objects_at(value, *path)  the objects at a nested path, unevaluated, to walk further
    possible_values(value)    the literal values of an expression (UNKNOWN if none known)
    partial_strings(value)    the strings it can be, deploy-time parts written UNKNOWN_PART (judge literal parts)
    shallow_branches(value)   the unevaluated branches of an Fn::If (for rules reading an intrinsic's shape)
    is_true / may_be_true     CloudFormation's booleans, strict and lenient

Rules never call ``as_list`` or index raw template values: ``tests/test_control_model.py`` keeps ``as_list`` out
of the rule modules, and ``tests/controls/test_branches.py`` proves every failing case still fails behind an
``Fn::If``. The IAM and ingress rules also resolve ARNs, actions and CIDRs to text with ``TemplateSet.render``,
after ``template_set.alternatives`` lifts every ``Fn::If`` out of a ``Join``/``Sub``/``Select``; what it does not
see yet is pinned as strict xfails in ``tests/test_attack_model.py``.
"""

from __future__ import annotations

from ._template import (
    ABSENT,
    UNKNOWN,
    UNKNOWN_PART,
    is_true,
    items,
    literal_value,
    may_be_true,
    objects,
    objects_at,
    partial_strings,
    possible_values,
    shallow_branches,
    shallow_values,
    values_at,
)

__all__ = [
    "ABSENT",
    "UNKNOWN",
    "UNKNOWN_PART",
    "is_true",
    "items",
    "literal_value",
    "may_be_true",
    "objects",
    "objects_at",
    "partial_strings",
    "possible_values",
    "shallow_branches",
    "shallow_values",
    "values_at",
]
