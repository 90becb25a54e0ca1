"""Recognise unresolved CDK tokens in Python, without a jsii round trip per check.

CDK encodes a token as ``${Token[...]}`` inside a string, as ``#{Token[...]}`` in a list element, and as a
number near -1.888e+289 (``Token.asNumber``). ``Token.is_unresolved`` answers the same, but every call is a
round trip to the Node.js kernel, and the constructors check many values.
"""

from __future__ import annotations

from aws_cdk import Aws

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


class _PseudoParameters:
    """``aws_cdk.Aws``'s pseudo parameters, read once per process. Each is a static, read-only token string in
    aws-cdk-lib (the same value in every stack and app), but every read of ``Aws.X`` from Python is a jsii round trip:
    the reference stack read them 42 times."""

    def __getattr__(self, name: str) -> str:
        value: str = getattr(Aws, name)  # AttributeError for a name aws_cdk.Aws does not have
        setattr(self, name, value)  # found on the instance from now on: __getattr__ is not called again
        return value


#: Use ``AWS.ACCOUNT_ID`` where ``Aws.ACCOUNT_ID`` would be read.
AWS = _PseudoParameters()
