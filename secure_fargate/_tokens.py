"""Recognise unresolved CDK tokens in Python, without a jsii round trip per check.

CDK encodes a token as ``${Token[...]}`` inside a string, as ``#{Token[...]}`` in a list element, and as a
number near -1.888e+289 (``Token.asNumber``). ``Token.is_unresolved`` answers the same, but every call is a
round trip to the Node.js kernel, and the constructors check many values.
"""

from __future__ import annotations

_NUMBER_TOKEN_LIMIT = -1e289


def is_unresolved(value: object) -> bool:
    """True when ``value`` is (or contains) a CDK token whose value is known only at deploy time."""
    if isinstance(value, str):
        return "${Token[" in value or "#{Token[" in value
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value < _NUMBER_TOKEN_LIMIT
    if isinstance(value, (list, tuple)):
        return any(is_unresolved(item) for item in value)
    return False
