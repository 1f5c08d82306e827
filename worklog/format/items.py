"""Clock times, worked ranges, sections and item lines (FORMAT.md C1-C3): the one item
line grammar, with where each part of a line is, and the one arithmetic of ranges.

Pure functions of text lines. The day's view, the edits of a plan and ``worklog check``
all read items through ``parse_item_line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from worklog.format.patterns import lazy

ItemState = Literal["open", "active", "done", "dropped"]
HM = tuple[int, int]
#: A range that ends before it starts wraps past midnight only up to this long (C2); the
#: same 12 hours bound a range ``stop`` ends without being told when.
LONGEST_RANGE = 12 * 60
_DAY = 24 * 60
_HM = r"(?P<{0}h>\d{{1,2}}):(?P<{0}m>\d\d)"
_HM_RE = lazy(_HM.format(""))
_SECTION_RE = lazy(r"(?P<n>\d+),[ \t]*(?P<title>.*?)[ \t]*")
_HEAD_RE = lazy(r"(?P<n>\d+)\)[ \t]*,?[ \t]*")
_RANGE_RE = lazy(rf"{_HM.format('s')}-(?:{_HM.format('e')})?(?=[ \t,]|$)")
#: Shaped like a time without being one (``9:60``, ``25:00``, ``9:5``): for the checks.
_LOOSE_HM = r"\d{1,3}:\d{1,3}"
_LOOSE_HM_RE = lazy(_LOOSE_HM)
#: Where the ranges stop: a token shaped like a range whose time is impossible (``9:60-``).
_BAD_RANGE_RE = lazy(rf"{_LOOSE_HM}-(?:{_LOOSE_HM})?(?=[ \t,]|$)")
_SEP_RE = lazy(r"[ \t,]*")
#: ``#kvm`` at the start of an item's text or after a blank or ``(`` (C9).
_ITEM_TAG_RE = lazy(r"(?:(?<=^)|(?<=[ \t(]))#(?P<tag>[^\W_](?:[\w.+-]*[\w+])?)")
_MARKER_RE = lazy(r"[ \t]*\((?P<state>done|dropped)\)[ \t]*$", re.IGNORECASE)


def item_tags(text: str) -> list[str]:
    """The ``#tag`` words of an item's text (C9), as written, each once (without case)."""
    tags: dict[str, str] = {}
    for match in _ITEM_TAG_RE.finditer(text):
        tags.setdefault(match["tag"].casefold(), match["tag"])
    return list(tags.values())


def valid_hm(hour: int, minute: int) -> bool:
    return 0 <= hour <= 23 and 0 <= minute <= 59


def parse_hm(text: str) -> HM | None:
    """``9:40`` or ``09:40`` as (hour, minute), or None (``9:60``, ``24:00``, ``9.40``)."""
    match = _HM_RE.fullmatch(text.strip())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"])
    return (hour, minute) if valid_hm(hour, minute) else None


def malformed_hm(text: str) -> bool:
    """Whether ``text`` is shaped like ``H:MM`` but names no time (``9:60``, ``24:00``)."""
    return _LOOSE_HM_RE.fullmatch(text.strip()) is not None and parse_hm(text) is None


def format_hm(hm: HM, *, pad: bool = False) -> str:
    """``9:40`` (the seed's way) or ``09:40``."""
    return f"{hm[0]:02d}:{hm[1]:02d}" if pad else f"{hm[0]}:{hm[1]:02d}"


def minute_of_day(hm: HM) -> int:
    return hm[0] * 60 + hm[1]


def span_minutes(start: HM, end: HM) -> int:
    """Minutes on the clock from ``start`` to ``end``, wrapping past midnight."""
    return (minute_of_day(end) - minute_of_day(start)) % _DAY


def format_minutes(minutes: int) -> str:
    """``6h05``: a duration, never mistaken for a clock time."""
    return f"{minutes // 60}h{minutes % 60:02d}"


@dataclass(frozen=True)
class Range:
    """A worked range ``H:MM-H:MM``; ``end`` is None while it runs."""

    start: HM
    end: HM | None

    @property
    def wraps(self) -> bool:
        """Whether it ends before it starts on the clock (past midnight, or impossible)."""
        return self.end is not None and self.end < self.start

    @property
    def impossible(self) -> bool:
        """Ends before it starts, and read past midnight it would last over 12 hours (C2)."""
        return self.wraps and self.length > LONGEST_RANGE

    @property
    def length(self) -> int:
        """Minutes on the clock from start to end (0 while it runs), impossible or not."""
        return 0 if self.end is None else span_minutes(self.start, self.end)

    @property
    def minutes(self) -> int:
        """The minutes it counts: none while it runs, none when it is impossible."""
        return 0 if self.impossible else self.length

    @property
    def span(self) -> tuple[int, int]:
        """Minutes of the day it covers, the end past 1440 after midnight (as counted)."""
        start = minute_of_day(self.start)
        return start, start + self.minutes

    def __str__(self) -> str:
        end = "" if self.end is None else format_hm(self.end, pad=True)
        return f"{format_hm(self.start, pad=True)}-{end}"


@dataclass(frozen=True)
class RangeToken:
    """A range as written on an item line: its span (``end`` after ``-`` when open)."""

    start: int
    end: int
    range: Range


@dataclass(frozen=True)
class ItemLine:
    """The item line grammar (C2, C3) with where each part is: head ``N), ``, range
    tokens, text, state marker. The view, the edits and the checks all read items so."""

    content: str
    n: int
    head_end: int
    tokens: tuple[RangeToken, ...]
    body_start: int  # after the last range token and its separators
    marker: re.Match[str] | None
    end: int  # end of the content without trailing blanks
    bad_range: tuple[int, int] | None  # a range-shaped token with an impossible time

    @property
    def ranges(self) -> tuple[Range, ...]:
        return tuple(token.range for token in self.tokens)

    @property
    def text(self) -> str:
        """The text without ranges and state marker."""
        stop = self.marker.start() if self.marker is not None else self.end
        return self.content[self.body_start : stop].strip()

    @property
    def state(self) -> ItemState:
        if self.marker is not None:
            return marker_state(self.marker)
        return "active" if self.tokens and self.tokens[-1].range.end is None else "open"

    def pads_hours(self) -> bool | None:
        """Whether this line writes hours before 10 with two digits, if it tells."""
        for token in self.tokens:
            if token.range.start[0] < 10:
                return self.content[token.start] == "0"
        return None


def find_marker(content: str, pos: int = 0) -> re.Match[str] | None:
    """The state marker `` (done)`` / `` (dropped)`` ending ``content`` (C3), looked for
    from ``pos`` on; its group ``state`` is the word as written."""
    return _MARKER_RE.search(content, pos)


def marker_state(marker: re.Match[str]) -> Literal["done", "dropped"]:
    """The state a marker found by ``find_marker`` gives (C3)."""
    return "done" if marker["state"].lower() == "done" else "dropped"


def _range_token(match: re.Match[str]) -> RangeToken | None:
    start = (int(match["sh"]), int(match["sm"]))
    end = None if match["eh"] is None else (int(match["eh"]), int(match["em"]))
    if not valid_hm(*start) or (end is not None and not valid_hm(*end)):
        return None
    return RangeToken(match.start(), match.end(), Range(start, end))


def parse_item_line(content: str) -> ItemLine | None:
    """An item line ``N), text`` with its parts' positions, or None."""
    head = _HEAD_RE.match(content)
    if head is None:
        return None
    end = len(content.rstrip(" \t"))
    body = content[:end]
    tokens: list[RangeToken] = []
    pos = head.end()
    bad = None
    while (match := _RANGE_RE.match(body, pos)) is not None:
        token = _range_token(match)
        if token is None:
            break
        tokens.append(token)
        sep = _SEP_RE.match(body, match.end())
        pos = sep.end() if sep is not None else match.end()
    pos = min(pos, end)
    if (loose := _BAD_RANGE_RE.match(body, pos)) is not None:
        bad = loose.span()
    marker = find_marker(body, pos)
    return ItemLine(content, int(head["n"]), head.end(), tuple(tokens), pos, marker, end, bad)


@dataclass(frozen=True)
class Item:
    """A numbered item ``N), text`` with its ranges and state."""

    index: int  # line index within the entry's lines
    n: int
    text: str  # without ranges and state marker
    ranges: tuple[Range, ...]
    state: ItemState
    section: int | None

    @property
    def minutes(self) -> int:
        return sum(r.minutes for r in self.ranges)


@dataclass(frozen=True)
class Section:
    """A section line (``1, today``, C3): its line index, number and title."""

    index: int
    n: int
    title: str


def parse_item(line: str, index: int = 0, section: int | None = None) -> Item | None:
    """An item line (C2, C3), or None."""
    parsed = parse_item_line(line)
    if parsed is None:
        return None
    return Item(index, parsed.n, parsed.text, parsed.ranges, parsed.state, section)


def parse_section(line: str, index: int = 0) -> Section | None:
    match = _SECTION_RE.fullmatch(line)
    return Section(index, int(match.group("n")), match.group("title")) if match else None


def day_start(title: str) -> str | None:
    """The ``H:MM`` of a ``0, H:MM`` section title, or None."""
    hm = parse_hm(title)
    return None if hm is None else format_hm(hm)


