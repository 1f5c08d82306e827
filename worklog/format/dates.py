"""Dates and stamps typed by a person on the command line (docs/CLI.md, "Typed dates").

A day: ``2014-02-11`` (also ``2014-2-11``, ``2014/02/11``, ``2014-02-11T10:20``: a
year first is always year-month-day); ``11/02/2014`` or ``11.02.2014`` in the log's own
day order; ``today``, ``yesterday``, ``tomorrow``; a weekday (``fri``, ``Friday``: the
latest such day up to today), ``last monday``, ``this monday``, ``next monday``;
``2 weeks ago``; ``11 Feb 2014``. A period: ``last week``, ``this week``, ``last month``,
``this month``, or any day. Month names are read with python-dateutil, and only when the
text names a year, a month and a day: a word that names no day is an error naming the
option, never today. Stamps as typed: any Notepad shape or ISO ``2014-02-11T10:20``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from worklog.errors import UsageError
from worklog.format.items import parse_hm
from worklog.format.patterns import lazy
from worklog.format.stamps import parse_stamp

#: The day order for a typed year-last day: True day-first, False month-first, None
#: unknown (a day both orders can read is then refused); or a function asked only when
#: a year-last day is typed (reading the log's order costs a read of its end).
DayOrder = bool | None | Callable[[], bool | None]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3,
          "fri": 4, "sat": 5, "sun": 6}
_WEEKDAY = {**{name: n for n, name in enumerate(_WEEKDAYS)}, **_SHORT}
#: Weekday names and their short forms, Monday 0.
WEEKDAY_NUMBERS: dict[str, int] = dict(_WEEKDAY)
_AGO_RE = lazy(r"(?P<n>\d+)\s+(?P<unit>day|week|month|year)s?\s+ago")
_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
_ISO_RE = lazy(r"(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"
                     r"(?:[T ]\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?)?")
_YEAR_LAST_RE = lazy(r"(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4})"
                          r"(?: \d{1,2}:\d\d)?")
_NUMERIC_RE = lazy(r"[\d\s\-/.:T]+")
_HINT = "try 2014-02-11, yesterday, fri, last monday, 2 weeks ago"


def parse_day(text: str, today: date, *, option: str = "DATE", day_first: DayOrder = True) -> date:
    """A day typed by a person; a UsageError names the option when it names no one day."""
    value = " ".join(text.strip().lower().split())
    if value in _PERIODS:
        raise UsageError(f"{option}: {text!r} is a period, not a day ({_HINT})")
    found = _relative(value, today)
    if found is not None:
        return found
    iso = _ISO_RE.fullmatch(value)
    if iso:
        return _make(option, text, int(iso["y"]), int(iso["m"]), int(iso["d"]))
    year_last = _YEAR_LAST_RE.fullmatch(value)
    if year_last:
        return _year_last(option, text, year_last, day_first)
    if _NUMERIC_RE.fullmatch(value):
        raise UsageError(f"{option}: {text!r} names no day ({_HINT})")
    return _with_month_name(option, text)


def _relative(value: str, today: date) -> date | None:
    """``today``, ``yesterday``, weekdays, ``N units ago``; None for anything else."""
    simple = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if value in simple:
        return today + timedelta(days=simple[value])
    ago = _AGO_RE.fullmatch(value)
    if ago:
        from dateutil.relativedelta import relativedelta  # noqa: PLC0415  (rarely needed)

        return today - relativedelta(**{_UNITS[ago["unit"]]: int(ago["n"])})  # type: ignore[arg-type]
    words = value.split()
    if len(words) == 2 and words[0] in ("last", "this", "next") and words[1] in _WEEKDAY:
        return _weekday(today, _WEEKDAY[words[1]], words[0])
    if value in _WEEKDAY:
        return _weekday(today, _WEEKDAY[value], "latest")
    return None


def _weekday(today: date, weekday: int, which: str) -> date:
    """``latest``: up to today, today included; ``last``: before today; ``this``: in
    this week (Monday to Sunday); ``next``: after today."""
    back = (today.weekday() - weekday) % 7
    if which == "latest":
        return today - timedelta(days=back)
    if which == "last":
        return today - timedelta(days=back or 7)
    if which == "this":
        return today - timedelta(days=today.weekday()) + timedelta(days=weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _make(option: str, text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is no day of the calendar") from None


def _year_last(option: str, text: str, match: re.Match[str], day_first: DayOrder) -> date:
    """``11/02/2014``, ``11.02.2014``: in the log's day order; refused when the order is
    unknown and both orders give a day."""
    a, b, year = int(match["a"]), int(match["b"]), int(match["y"])
    if a > 12 >= b:
        return _make(option, text, year, b, a)
    if b > 12 >= a:
        return _make(option, text, year, a, b)
    order = day_first() if callable(day_first) else day_first
    if order is None and a != b:
        raise UsageError(f"{option}: {text!r} can be {_make(option, text, year, b, a)} or "
                         f"{_make(option, text, year, a, b)} and the log does not tell its "
                         "day order: type it as 2014-02-11, or set day_first in the "
                         "configuration")
    return _make(option, text, year, b, a) if order in (True, None) else \
        _make(option, text, year, a, b)


def _with_month_name(option: str, text: str) -> date:
    """``11 Feb 2014``, ``February 11, 2014``: python-dateutil reads it, and only a text
    naming year, month and day is a day (two defaults show what was filled in)."""
    from dateutil import parser as date_parser  # noqa: PLC0415  (rarely needed: 18 ms)

    try:
        one = date_parser.parse(text, default=datetime(2000, 1, 1))
        two = date_parser.parse(text, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError):
        raise UsageError(f"{option}: cannot read {text!r} as a date ({_HINT})") from None
    if one.date() != two.date():
        raise UsageError(f"{option}: {text!r} names no day ({_HINT})")
    return one.date()


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _period_words(today: date) -> dict[str, tuple[date, date]]:
    monday = today - timedelta(days=today.weekday())
    this_month = _month_start(today, 0)
    return {
        "this week": (monday, monday + timedelta(days=6)),
        "last week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this month": (this_month, _month_start(today, -1) - timedelta(days=1)),
        "last month": (_month_start(today, 1), this_month - timedelta(days=1)),
    }


_PERIODS = frozenset(_period_words(date(2000, 1, 1)))


def parse_period(text: str, today: date, *, option: str = "PERIOD",
                 day_first: DayOrder = True) -> tuple[date, date]:
    """A period typed by a person, as its first and last day: ``last week`` (Monday to
    Sunday), ``this week``, ``last month``, ``this month``, or one day."""
    value = " ".join(text.strip().lower().split())
    periods = _period_words(today)
    if value in periods:
        return periods[value]
    day = parse_day(text, today, option=option, day_first=day_first)
    return day, day


def typed_range(since: str | None, until: str | None, today: date, *,
                day_first: DayOrder = True) -> tuple[date | None, date | None]:
    """``--since`` and ``--until`` as days: since a period's first day, until its last
    (``--since "last month" --until "last month"`` is last month); None when not given."""
    first = parse_period(since, today, option="--since", day_first=day_first)[0] \
        if since else None
    last = parse_period(until, today, option="--until", day_first=day_first)[1] \
        if until else None
    if first is not None and last is not None and first > last:
        raise UsageError(f"--since {first} is after --until {last}")
    return first, last


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


_DURATION_RE = lazy(r"(?:(?P<h>\d{1,3})h(?:(?P<hm>\d{1,2})m?)?|(?P<m>\d{1,4})m?|"
                          r"(?P<ch>\d{1,3}):(?P<cm>\d\d))")


def parse_duration(text: str, *, option: str = "DURATION") -> int:
    """A duration typed by a person, in minutes: ``8h``, ``7h30``, ``7h30m``, ``90m``,
    ``90`` (minutes), ``7:30``; a UsageError names the option otherwise."""
    value = text.strip().lower().replace(" ", "")
    match = _DURATION_RE.fullmatch(value)
    if match is None or (match["hm"] is not None and int(match["hm"]) > 59) or \
            (match["cm"] is not None and int(match["cm"]) > 59):
        raise UsageError(f"{option}: {text!r} is not a duration (try 8h, 7h30, 45m)")
    if match["h"] is not None:
        return int(match["h"]) * 60 + int(match["hm"] or 0)
    if match["ch"] is not None:
        return int(match["ch"]) * 60 + int(match["cm"])
    return int(match["m"])


def parse_moment(text: str, now: datetime, *, option: str = "WHEN",
                 day_first: DayOrder = True) -> datetime:
    """A moment typed by a person: ``17:00`` (today), ``yesterday 17:00``,
    ``2026-12-01 17:00``, ``last friday 9:30``, or a stamp in any shape."""
    value = " ".join(text.split())
    head, _, last = value.rpartition(" ")
    hm = parse_hm(last)
    if hm is not None:
        day = parse_day(head, now.date(), option=option, day_first=day_first) if head \
            else now.date()
        return datetime.combine(day, time(*hm))
    order = day_first() if callable(day_first) else day_first
    try:
        return parse_stamp_arg(value, option=option, day_first=order is not False)
    except UsageError:
        raise UsageError(f"{option}: {text!r} is not a time (try 17:00, \"yesterday 17:00\", "
                         "\"2026-12-01 17:00\")") from None
