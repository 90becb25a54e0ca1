"""The text report of findings, shared by ``secure-fargate check`` and ``secure-fargate scan``.

Control, format (bidi, zero-width) and separator characters are escaped, so a template, or a live resource's
name, cannot forge lines in a CI log.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from .engine import Finding


def escape(text: str) -> str:
    """``text`` with control, format (bidi, zero-width), surrogate and line/paragraph separator characters
    written as ``\\xNN``/``\\uNNNN`` escapes: one finding stays one line, and what it says is what it shows."""
    out = []
    for ch in text:
        if unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def text_report(findings: Sequence[Finding], notes: Sequence[str] = ()) -> str:
    """One escaped line per finding (acknowledged ones with their reason, baselined ones marked), a warning line
    per acknowledgement or baseline entry about to expire, the ``notes`` (gone baseline entries), then the
    counts."""
    lines = []
    for f in findings:
        where = f"{f.resource}" + (f" container {f.container}" if f.container else "")
        where += f" [{f.item}]" if f.item else ""
        status = f" [acknowledged: {f.acknowledged}]" if f.acknowledged else ""
        status += f" [baselined: {f.baselined}]" if f.baselined else ""
        status += "" if f.acknowledgeable else " [not acknowledgeable]"
        lines.append(escape(f"{f.template}: {f.control} {where}: {f.message}{status}"))
    lines += [escape(f"warning: {f.template}: {f.control} {f.resource}: {f.warning}") for f in findings if f.warning]
    lines += [escape(note) for note in notes]
    acknowledged = sum(1 for f in findings if f.acknowledged)
    baselined = sum(1 for f in findings if f.baselined and not f.acknowledged)
    counts = f"{len(findings) - acknowledged - baselined} finding(s), {acknowledged} acknowledged"
    lines.append(counts + (f", {baselined} baselined" if baselined else ""))
    return "\n".join(lines)
