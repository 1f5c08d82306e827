"""Dates and stamps typed by a person on the command line.

``2014-02-11``, ``yesterday``, ``last monday``, ``2 weeks ago``, ``11 Feb 2014`` for a
day; any stamp shape or ISO ``2014-02-11T10:20`` for an entry's stamp. Lenient words
are read with python-dateutil; the log file itself is never read this way.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from worklog.errors import UsageError
from worklog.format.stamps import parse_stamp

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AGO_RE = re.compile(r"(?P<n>\d+)\s+(?P<unit>day|week|month|year)s?\s+ago")
_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


def parse_day(text: str, today: date, *, option: str = "DATE", day_first: bool = True) -> date:
    """A day typed by a person; a UsageError names the option when it makes no sense."""
    value = text.strip().lower()
    simple = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if value in simple:
        return today + timedelta(days=simple[value])
    ago = _AGO_RE.fullmatch(value)
    if ago:
        from dateutil.relativedelta import relativedelta  # noqa: PLC0415  (rarely needed)

        return today - relativedelta(**{_UNITS[ago["unit"]]: int(ago["n"])})  # type: ignore[arg-type]
    words = value.split()
    if len(words) == 2 and words[0] in ("last", "this", "next") and words[1] in _WEEKDAYS:
        return _weekday(today, _WEEKDAYS.index(words[1]), words[0])
    if value in _WEEKDAYS:
        return _weekday(today, _WEEKDAYS.index(value), "last")
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    from dateutil import parser as date_parser  # noqa: PLC0415  (rarely needed: 18 ms)

    try:
        default = datetime.combine(today, datetime.min.time())
        return date_parser.parse(text, default=default, dayfirst=day_first).date()
    except (ValueError, OverflowError) as exc:
        raise UsageError(f"{option}: cannot read {text!r} as a date "
                         "(try 2014-02-11, yesterday, last monday, 2 weeks ago)") from exc


def _weekday(today: date, weekday: int, which: str) -> date:
    delta = (today.weekday() - weekday) % 7
    if which == "last":
        return today - timedelta(days=delta or 7)
    if which == "this":
        return today - timedelta(days=delta)
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def parse_stamp_arg(text: str, *, option: str = "STAMP", day_first: bool = True) -> datetime:
    """An entry's stamp as typed: any Notepad shape, or ISO ``YYYY-MM-DD[T ]HH:MM``."""
    stamp = parse_stamp(text, day_first)
    if stamp is not None:
        return stamp.when
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a stamp "
                         "(write it as in the log, e.g. \"10:20 2014-02-11\", "
                         "or as 2014-02-11T10:20)") from None
    return when.replace(second=0, microsecond=0)


def stamp_candidates(text: str, *, option: str = "STAMP", day_first: bool = True) -> list[datetime]:
    """The times a typed stamp can mean: in ``day_first`` order first, then the other
    (``2/10/2014`` is 2 October or 10 February; a file's own order decides which to try
    first)."""
    first = parse_stamp_arg(text, option=option, day_first=day_first)
    other = parse_stamp(text, not day_first)
    return [first] if other is None or other.when == first else [first, other.when]
