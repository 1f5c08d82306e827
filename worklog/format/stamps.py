"""Notepad time/date stamps: recognising them in every locale shape and writing them back.

A stamp is ``TIME DATE`` as Notepad's F5 writes it in the user's Windows locale
(FORMAT.md, rules S1-S5). Stamps are matched with explicit patterns, never with a
fuzzy date parser: prose must not turn into stamps.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from worklog.format.patterns import lazy

DIRECTION_MARKS = "\u200e\u200f\u061c"
_DM = f"[{DIRECTION_MARKS}]*"

#: AM/PM marker pairs, in (morning, afternoon) order.
MARKERS: tuple[tuple[str, str], ...] = (
    ("AM", "PM"),
    ("오전", "오후"),
    ("上午", "下午"),
    ("午前", "午後"),
)
_MARKER_RE = "|".join(re.escape(m) for pair in MARKERS for m in pair)
_MARKER_PAIR = {m: pair for pair in MARKERS for m in pair}

_TIME = (
    rf"(?:(?P<pre>{_MARKER_RE}){_DM} {_DM})?"
    r"(?P<h>\d{1,2})(?P<ts>[:.])(?P<mi>\d\d)"
    rf"(?:{_DM} {_DM}(?P<post>{_MARKER_RE}))?"
)
#: The groups of ``_DATE``, in the order ``_fields`` reads them.
_DATE_GROUPS = ("y1", "s1", "m1", "d1", "a", "s2", "b", "y2")
_DATE = (
    r"(?:(?P<y1>\d{4})(?P<s1>[-/.])(?P<m1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
    r"|(?P<a>\d{1,2})(?P<s2>[-/.])(?P<b>\d{1,2})(?P=s2)(?P<y2>\d{4}))"
)
STAMP_BODY = rf"{_DM}{_TIME}{_DM} +{_DM}{_DATE}{_DM}"

_LINE_TAIL = rf"[ \t{DIRECTION_MARKS}]*(?![^\r\n])"
_FIRST_CHARS = rf"(?=[\d{DIRECTION_MARKS}AP오上下午])"
#: A stamp line after a LF (the break itself is matched too: group ``stamp`` is the line).
#: Searching from a line break with a one-character look-ahead keeps the scan of a
#: 100 MB file near the speed of memchr; files with lone CR line breaks use the CR form.
_AFTER_LF_RE = lazy(rf"\n{_FIRST_CHARS}(?P<stamp>{STAMP_BODY}){_LINE_TAIL}")
_AFTER_BREAK_RE = lazy(rf"[\r\n]{_FIRST_CHARS}(?P<stamp>{STAMP_BODY}){_LINE_TAIL}")
_AT_START_RE = lazy(rf"(?P<stamp>{STAMP_BODY}){_LINE_TAIL}")
_STAMP_FULL_RE = lazy(rf"(?P<stamp>{STAMP_BODY})[ \t{DIRECTION_MARKS}]*")
_LONE_CR_RE = lazy(r"\r(?!\n)")
#: A line holding only a DATE (rule S6, a date-only day heading), like the stamp patterns.
DATE_BODY = rf"{_DM}{_DATE}{_DM}"
_DATE_AT_START_RE = lazy(rf"(?P<stamp>{DATE_BODY}){_LINE_TAIL}")
_DATE_AFTER_LF_RE = lazy(rf"\n(?=[\d{DIRECTION_MARKS}])(?P<stamp>{DATE_BODY}){_LINE_TAIL}")
_DATE_AFTER_BREAK_RE = lazy(
    rf"[\r\n](?=[\d{DIRECTION_MARKS}])(?P<stamp>{DATE_BODY}){_LINE_TAIL}")
_DATE_FULL_RE = lazy(rf"(?P<stamp>{DATE_BODY})[ \t{DIRECTION_MARKS}]*")


def find_stamp_lines(text: str) -> Iterator[re.Match[str]]:
    """Every stamp-shaped line of ``text``; ``m.start("stamp")`` is where its line starts."""
    first = _AT_START_RE.match(text)
    if first is not None:
        yield first
    pattern = _AFTER_BREAK_RE if _LONE_CR_RE.search(text) else _AFTER_LF_RE
    yield from pattern.finditer(text)


def find_date_lines(text: str) -> Iterator[re.Match[str]]:
    """Every line of ``text`` holding only a date (a day heading if its shape fits, S6)."""
    first = _DATE_AT_START_RE.match(text)
    if first is not None:
        yield first
    pattern = _DATE_AFTER_BREAK_RE if _LONE_CR_RE.search(text) else _DATE_AFTER_LF_RE
    yield from pattern.finditer(text)


def looks_like_date_line(line: str) -> bool:
    """Whether ``line`` holds only a date, possible or not (for rule W4)."""
    return _DATE_FULL_RE.fullmatch(line) is not None


def names_a_day(line: str, day_first: bool) -> bool:
    """Whether a date-only ``line`` names a day that exists (S6)."""
    match = _DATE_FULL_RE.fullmatch(line)
    return match is not None and heading_from_match(match, day_first) is not None


def date_shape(match: re.Match[str]) -> tuple[bool, str]:
    """Of a stamp or date match: whether its year is last, and its date separator."""
    year_last = match.group("y2") is not None
    return year_last, match.group("s2") if year_last else match.group("s1")


def dot_time_misplaced(match: re.Match[str]) -> bool:
    """A dot between hour and minute with a date not written with dots (S2): text."""
    return _dot_misplaced(match.group("ts"), date_shape(match)[1])


def _dot_misplaced(time_sep: str, date_sep: str) -> bool:
    return time_sep == "." and date_sep != "."


def looks_like_stamp_line(line: str) -> bool:
    """Whether ``line`` has a stamp line's shape, possible date or not (for rule W4)."""
    return _STAMP_FULL_RE.fullmatch(line) is not None
#: A stamp anywhere (for cross-references and user input).
STAMP_TEXT_RE = lazy(rf"(?P<stamp>{STAMP_BODY})")

DateOrder = Literal["ymd", "dmy", "mdy"]
MarkerPos = Literal["none", "before", "after"]


@dataclass(frozen=True)
class Shape:
    """How a stamp is written: enough to write any other time in the same way."""

    order: DateOrder = "ymd"
    sep: str = "-"
    marker_pos: MarkerPos = "none"
    markers: tuple[str, str] = ("AM", "PM")
    #: Zero-padding of hour, month and day; None where the stamp cannot show it (a value
    #: of 10 or more): ``resolve_padding`` fills it in from other stamps of the file.
    hour_pad: bool | None = True
    month_pad: bool | None = True
    day_pad: bool | None = True
    #: ``:`` as Notepad writes it, or ``.`` where a person wrote the time so (S2).
    time_sep: str = ":"

    @property
    def family(self) -> tuple[str, str, str, tuple[str, str]]:
        """What must agree for two stamps to share padding evidence."""
        return self.order, self.sep, self.marker_pos, self.markers

    def resolve_padding(self, others: Iterable[Shape] = ()) -> Shape:
        """This shape with unknown padding taken from ``others`` of the same family,
        else from the locale habits: a date with unpadded fields has an unpadded hour,
        and a padded one a padded hour (zh-TW, en-GB, ISO); otherwise pad."""
        known = {"hour_pad": self.hour_pad, "month_pad": self.month_pad, "day_pad": self.day_pad}
        for other in others:
            if None not in known.values():
                break
            if other.family != self.family:
                continue
            for key, value in known.items():
                if value is None:
                    known[key] = getattr(other, key)
        date_pads = [v for k, v in known.items() if k != "hour_pad" and v is not None]
        hint = date_pads[0] if date_pads else (self.marker_pos == "none" or
                                               self.markers == MARKERS[2])
        def pick(value: bool | None) -> bool:
            return hint if value is None else value

        return replace(self, hour_pad=pick(known["hour_pad"]), month_pad=pick(known["month_pad"]),
                       day_pad=pick(known["day_pad"]))

    def format(self, when: datetime) -> str:
        """Write ``when`` in this shape (minutes precision)."""
        hour = when.hour
        marker = ""
        if self.marker_pos != "none":
            marker = self.markers[1] if hour >= 12 else self.markers[0]
            hour = hour % 12 or 12
        time = f"{hour:02d}" if self.hour_pad else str(hour)
        time += f"{self.time_sep}{when.minute:02d}"
        if self.marker_pos == "before":
            time = f"{marker} {time}"
        elif self.marker_pos == "after":
            time = f"{time} {marker}"
        month = f"{when.month:02d}" if self.month_pad else str(when.month)
        day = f"{when.day:02d}" if self.day_pad else str(when.day)
        fields = {"ymd": (str(when.year), month, day), "dmy": (day, month, str(when.year)),
                  "mdy": (month, day, str(when.year))}[self.order]
        return f"{time} {self.sep.join(fields)}"


#: The shape a new file gets: the seed's ``HH:MM YYYY-MM-DD``.
DEFAULT_SHAPE = Shape()


@dataclass(frozen=True)
class Stamp:
    """A recognised stamp: its time, its exact text, and its shape."""

    when: datetime
    text: str
    shape: Shape
    #: False for a date-only day heading (S6): ``when`` is then that day at 00:00.
    has_time: bool = True

    @property
    def iso(self) -> str:
        """``YYYY-MM-DDTHH:MM``, or ``YYYY-MM-DD`` for a day heading without a time."""
        return self.when.strftime("%Y-%m-%dT%H:%M" if self.has_time else "%Y-%m-%d")


def earlier(later: Stamp, before: Stamp) -> bool:
    """Whether ``later`` names an earlier time than ``before``; a day heading (S6) is
    compared by its day only."""
    if later.has_time and before.has_time:
        return later.when < before.when
    return later.when.date() < before.when.date()


@dataclass(frozen=True)
class Candidate:
    """A stamp-shaped match before the file's day order is known."""

    match: re.Match[str]

    @property
    def year_last(self) -> bool:
        return self.match.group("y2") is not None

    def fields(self) -> tuple[int, int]:
        """For a year-last date, its first and second field."""
        return int(self.match.group("a")), int(self.match.group("b"))


def _hour(hour: int, pre: str | None,
          post: str | None) -> tuple[int, MarkerPos, tuple[str, str]] | None:
    if pre and post:
        return None
    marker = pre or post
    if not marker:
        return (hour, "none", MARKERS[0]) if hour <= 23 else None
    if not 1 <= hour <= 12:
        return None
    pair = _MARKER_PAIR[marker]
    hour = hour % 12 + (12 if marker == pair[1] else 0)
    return hour, ("before" if pre else "after"), pair


def _padding(field: str) -> bool | None:
    """Whether a field is zero-padded, or None when its value cannot tell (10 and over)."""
    return None if int(field) >= 10 else len(field) == 2


@functools.cache
def _shape(order: DateOrder, sep: str, marker_pos: MarkerPos, markers: tuple[str, str],
           hour_pad: bool | None, month_pad: bool | None, day_pad: bool | None,
           time_sep: str) -> Shape:
    """One ``Shape`` for each way of writing stamps (a file uses a few), shared: it is
    frozen, and building one for each of a log's stamps cost a third of their parse."""
    return Shape(order, sep, marker_pos, markers, hour_pad, month_pad, day_pad, time_sep)


#: The groups ``stamp_from_match`` reads, taken in one call.
_STAMP_GROUPS = ("stamp", "h", "ts", "mi", "pre", "post", *_DATE_GROUPS)


def stamp_from_match(match: re.Match[str], day_first: bool) -> Stamp | None:
    """The stamp a match names, or None when its date or time is impossible (rule S5)."""
    text, h, time_sep, minute, pre, post, *date = match.group(*_STAMP_GROUPS)
    order, sep, year, month_s, day_s = _fields(date, day_first)
    parsed = _hour(int(h), pre, post)
    if parsed is None or _dot_misplaced(time_sep, sep):
        return None
    hour, marker_pos, markers = parsed
    try:
        when = datetime(int(year), int(month_s), int(day_s), hour, int(minute))
    except ValueError:
        return None
    shape = _shape(order, sep, marker_pos, markers, _padding(h), _padding(month_s),
                   _padding(day_s), time_sep)
    return Stamp(when, text, shape)


def _date_fields(match: re.Match[str], day_first: bool) -> tuple[DateOrder, str, str, str, str]:
    """Order, separator, year, month and day of a stamp's or date line's DATE."""
    return _fields(match.group(*_DATE_GROUPS), day_first)


def _fields(date: Sequence[str], day_first: bool) -> tuple[DateOrder, str, str, str, str]:
    """``_date_fields`` of the values of ``_DATE_GROUPS`` (None where a group is unmatched)."""
    y1, s1, m1, d1, a, s2, b, y2 = date
    if y1 is not None:
        return "ymd", s1, y1, m1, d1
    month_s, day_s = (b, a) if day_first else (a, b)
    return ("dmy" if day_first else "mdy"), s2, y2, month_s, day_s


def heading_from_match(match: re.Match[str], day_first: bool) -> Stamp | None:
    """The day a date-only line names (S6), as a stamp without a time; None if impossible."""
    order, sep, year, month_s, day_s = _date_fields(match, day_first)
    try:
        when = datetime(int(year), int(month_s), int(day_s))
    except ValueError:
        return None
    shape = Shape(order=order, sep=sep, hour_pad=None, month_pad=_padding(month_s),
                  day_pad=_padding(day_s))
    return Stamp(when, match.group("stamp"), shape, has_time=False)


def why_not_stamp(line: str) -> str:
    """Why a stamp-shaped ``line`` that is no stamp line was read as text (S2, S5)."""
    match = _STAMP_FULL_RE.fullmatch(line)
    if match is not None and dot_time_misplaced(match):
        return "has a dot between hour and minute, a stamp only with a date written with dots"
    return "names an impossible date or time"


def parse_stamp_line(line: str, day_first: bool = True) -> Stamp | None:
    """The stamp if ``line`` (without its line break) is a stamp line, else None."""
    match = _STAMP_FULL_RE.fullmatch(line)
    return stamp_from_match(match, day_first) if match else None


def parse_stamp(text: str, day_first: bool = True) -> Stamp | None:
    """A stamp written anywhere (a cross-reference, a command-line argument)."""
    match = STAMP_TEXT_RE.fullmatch(text.strip())
    return stamp_from_match(match, day_first) if match else None


def infer_day_first(
    candidates: Iterable[Candidate], configured: bool | None = None
) -> tuple[bool, bool]:
    """Decide the file's day order for year-last dates (rule S4).

    Returns ``(day_first, decided)``: ``decided`` is False when nothing in the file
    tells the order and ambiguous stamps exist (``worklog check`` reports it).
    """
    if configured is not None:
        return configured, True
    year_last = [c for c in candidates if c.year_last]
    if not year_last:
        return True, True
    shown = shown_day_first(year_last)
    if shown is not None:
        return shown, True
    votes = _order_votes(year_last)
    if votes != 0:
        return votes > 0, True
    ambiguous = any(c.fields()[0] != c.fields()[1] for c in year_last)
    # en-AU writes "3/02/2014": an unpadded day before a padded month.
    au_style = any(len(c.match.group("a")) == 1 and c.match.group("b").startswith("0")
                   for c in year_last)
    us_style = any(
        c.match.group("post") and c.match.group("s2") == "/" for c in year_last
    )
    return au_style or not us_style, not ambiguous


def shown_day_first(candidates: Iterable[Candidate]) -> bool | None:
    """The day order year-last dates show by a field over 12 in one place only (13/02
    is day-first, 2/13 month-first); None when they do not show it (the first step of
    ``infer_day_first``, enough on a sample of a file when it decides)."""
    year_last = [c for c in candidates if c.year_last]
    first_big = any(c.fields()[0] > 12 for c in year_last)
    second_big = any(c.fields()[1] > 12 for c in year_last)
    return first_big if first_big != second_big else None


def _order_votes(candidates: list[Candidate]) -> int:
    """Positive when day-first keeps consecutive stamps in time order more often."""
    votes = 0
    previous: tuple[Stamp | None, Stamp | None] = (None, None)
    for cand in candidates:
        current = (stamp_from_match(cand.match, True), stamp_from_match(cand.match, False))
        for index, sign in ((0, 1), (1, -1)):
            before, now = previous[index], current[index]
            if before is not None and now is not None and now.when >= before.when:
                votes += sign
        previous = current
    return votes


# --- searching raw bytes (worklog grep) -----------------------------------------------


def stamp_line_re(lone_cr: bool = False) -> re.Pattern[str]:
    """The pattern ``find_stamp_lines`` uses after a line break: it matches the break and
    the stamp line (group ``stamp``); ``lone_cr`` when the text has lone CR breaks."""
    return (_AFTER_BREAK_RE if lone_cr else _AFTER_LF_RE).compiled


@functools.lru_cache(maxsize=16)
def stamp_line_bytes_re(encoding: str, lone_cr: bool = False) -> re.Pattern[bytes]:
    """The stamp-line pattern for the raw bytes of a file in an ASCII-compatible
    ``encoding`` (UTF-8, cp1252...), so a large file can be searched without decoding it.

    Like ``stamp_line_re`` it matches the line break and then the line (group ``stamp``),
    in the same shapes; markers and direction marks the encoding cannot write are left
    out. Numbers are not range-checked: check a match with ``parse_stamp_line`` on the
    decoded line (rule S5)."""

    def encoded(items: Iterable[str]) -> list[bytes]:
        out: list[bytes] = []
        for item in items:
            try:
                out.append(item.encode(encoding))
            except UnicodeEncodeError:
                continue
        return out

    marks = encoded(DIRECTION_MARKS)
    words = encoded(m for pair in MARKERS for m in pair)
    dm = b"(?:" + b"|".join(re.escape(m) for m in marks) + b")*" if marks else b""
    marker = b"(?:" + b"|".join(re.escape(w) for w in words) + b")"
    time = (b"(?:" + marker + dm + b" " + dm + b")?" + rb"\d{1,2}[:.]\d\d"
            + b"(?:" + dm + b" " + dm + marker + b")?")
    date = (rb"(?:\d{4}(?P<s1>[-/.])\d{1,2}(?P=s1)\d{1,2}"
            rb"|\d{1,2}(?P<s2>[-/.])\d{1,2}(?P=s2)\d{4})")
    firsts = sorted({w[:1] for w in (*marks, *words)})
    lookahead = b"(?=[0-9" + b"".join(re.escape(f) for f in firsts) + b"])"
    tail = b"(?:[ \t]" + b"".join(b"|" + re.escape(m) for m in marks) + b")*(?![^\r\n])"
    brk = rb"[\r\n]" if lone_cr else rb"\n"
    body = dm + time + dm + b" +" + dm + date + dm
    return re.compile(brk + lookahead + b"(?P<stamp>" + body + b")" + tail)
