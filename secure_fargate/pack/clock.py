"""The one clock the pack and the constructs read today's date from, and the one rule for an expiry date.

Opt-outs, acknowledgements and baseline entries may carry ``expires: "YYYY-MM-DD"``: the last day they hold. From
the day after, the finding they covered is open again (its message names the expired entry); from
:data:`WARN_DAYS` days before, every run warns. Tests pin the date with :func:`pinned`; nothing else reads the
system clock (no environment variable can move it: a CI job must not be able to keep an expired opt-out alive).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone

#: How many days before its expiry an opt-out, acknowledgement or baseline entry starts to warn.
WARN_DAYS = 30

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _system_today() -> date:
    return datetime.now(timezone.utc).date()


_clock: list[Callable[[], date]] = [_system_today]


def today() -> date:
    """Today's date (UTC), from the injectable clock."""
    return _clock[-1]()


@contextmanager
def pinned(day: date | str) -> Iterator[date]:
    """Within the block, :func:`today` is ``day`` (a date or ``YYYY-MM-DD``)."""
    fixed = day if isinstance(day, date) else parse_date(day)
    _clock.append(lambda: fixed)
    try:
        yield fixed
    finally:
        _clock.pop()


def parse_date(value: object) -> date:
    """A ``YYYY-MM-DD`` text (or a ``date``) as a date; ValueError saying what an expiry must be otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date: write the last day it holds as YYYY-MM-DD, e.g. 2027-03-31")


def expiry_problem(value: object) -> str | None:
    """None when ``value`` is absent or a valid expiry date; else what an expiry must be."""
    if value is None:
        return None
    try:
        parse_date(value)
    except ValueError as error:
        return str(error)
    return None


def expiry_text(value: object) -> str | None:
    """A valid expiry as the ``YYYY-MM-DD`` text written into Metadata and baselines (None stays None)."""
    return None if value is None else parse_date(value).isoformat()


def is_expired(expires: date | str, on: date | None = None) -> bool:
    """True from the day after ``expires``."""
    return (on or today()) > parse_date(expires)


def days_left(expires: date | str, on: date | None = None) -> int:
    """Days from ``on`` (today) to ``expires``: 0 on the last day, negative once expired."""
    return (parse_date(expires) - (on or today())).days


def expiry_warning(expires: date | str | None, what: str, on: date | None = None) -> str | None:
    """A warning when ``expires`` falls within :data:`WARN_DAYS` days (or has passed), naming ``what``."""
    if expires is None:
        return None
    left = days_left(expires, on)
    if left < 0:
        return f"{what} expired on {parse_date(expires).isoformat()}: the finding it covered is open again"
    if left <= WARN_DAYS:
        return f"{what} expires on {parse_date(expires).isoformat()} (in {left} day(s)): renew it or fix the finding"
    return None
