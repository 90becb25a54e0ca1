"""The one rule for a reason (an opt-out's or an acknowledgement's): it must say something.

Visible characters are counted after Unicode normalization (NFKC, so compatibility spaces and full-width forms
become what they look like). Whitespace, control and format characters (zero-width), combining marks (which draw
nothing on their own), and the characters that render blank though Unicode calls them letters or symbols (the
blank Braille pattern U+2800, the Hangul fillers U+3164, U+115F, U+1160, U+FFA0) do not count; neither does one
character repeated: ``"xxxxxxxxxx"`` or ten blank Braille patterns are not reasons.
"""

from __future__ import annotations

import unicodedata

#: Minimum number of visible characters in a reason: long enough to say why in an annotation and an audit.
MIN_REASON_LENGTH = 10

#: Characters that render as nothing though their category says letter or symbol.
BLANK_CHARACTERS = frozenset("\u2800\u3164\u115f\u1160\uffa0\u17b4\u17b5\u180e\u2060\u3000")
#: Categories that never draw a character: control, format, unassigned, private use, surrogates (C*), marks (M*),
#: separators (Z*).
_INVISIBLE_CATEGORIES = ("C", "M", "Z")


def visible(text: str) -> str:
    """``text`` after NFKC normalization, keeping only characters that draw something on their own."""
    normalized = unicodedata.normalize("NFKC", text)
    return "".join(
        ch
        for ch in normalized
        if not ch.isspace()
        and ch not in BLANK_CHARACTERS
        and not unicodedata.category(ch).startswith(_INVISIBLE_CATEGORIES)
    )


def reason_problem(reason: object) -> str | None:
    """None when ``reason`` says why; else what a reason must be."""
    shown = visible(reason) if isinstance(reason, str) else ""
    if len(shown) < MIN_REASON_LENGTH or len(set(shown.lower())) == 1:
        return f"a reason saying why: at least {MIN_REASON_LENGTH} visible characters, not one character repeated"
    return None
