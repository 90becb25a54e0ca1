"""The one rule for a reason (an opt-out's or an acknowledgement's): it must say something.

Whitespace, zero-width and other invisible characters do not count, and neither does one character repeated:
``"xxxxxxxxxx"`` or ten zero-width spaces are not reasons.
"""

from __future__ import annotations

import unicodedata

#: Minimum number of visible characters in a reason: long enough to say why in an annotation and an audit.
MIN_REASON_LENGTH = 10


def visible(text: str) -> str:
    """``text`` without whitespace and without control, format (zero-width) or unassigned characters."""
    return "".join(ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("C"))


def reason_problem(reason: object) -> str | None:
    """None when ``reason`` says why; else what a reason must be."""
    shown = visible(reason) if isinstance(reason, str) else ""
    if len(shown) < MIN_REASON_LENGTH or len(set(shown.lower())) == 1:
        return f"a reason saying why: at least {MIN_REASON_LENGTH} visible characters, not one character repeated"
    return None
