"""Entries found in what is searched, without parsing the rest: stamp lines looked for
backwards and forwards around a candidate position, and decoded text cut at stamp lines.

What is searched (a "hay") is a file's bytes or a decoded piece of it
(``worklog.history.hays``); offsets are in its units. Only possible stamps start an
entry (rule S5); ``DayFirst`` tells the day order of year-last dates when one needs it.
"""

from __future__ import annotations

import codecs
import mmap
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AnyStr

from worklog.format.encoding import Codec
from worklog.format.stamps import Stamp, parse_stamp_line, stamp_line_re

#: Bytes searched (or decoded) at a time; pages behind are released.
WINDOW = 8 * 1024 * 1024
#: How far back a search for an entry's stamp line starts (it doubles until found).
BACK = 2048
PAGE = mmap.PAGESIZE

Buffer = bytes | mmap.mmap
#: The file's day order for year-last dates, asked only when such a date needs it.
DayFirst = Callable[[], bool]

if TYPE_CHECKING:  # what the scan needs (no run-time cost)
    from typing import Protocol

    class Hay(Protocol):
        """What the scan needs from what it searches: a file's bytes or a decoded piece.
        Stamp positions are where a stamp line starts; only possible stamps count (S5)."""

        begin: int
        size: int

        def candidate(self, pos: int) -> int | None: ...
        def first_stamp(self) -> int | None: ...
        def next_stamp(self, pos: int) -> int | None: ...
        def prev_stamp(self, pos: int, floor: int) -> int | None: ...
        def breaks(self, start: int, end: int) -> int: ...


@dataclass(frozen=True)
class Span:
    """An entry located in what is searched (offsets in its units)."""

    start: int
    end: int
    line: int


def scan_spans(hay: Hay, first_line: int) -> Iterator[Span]:
    """Each entry holding a candidate match, once, in file order, with its line number."""
    known = hay.first_stamp()
    if known is None:
        return
    pos = known
    line, line_pos = first_line, hay.begin
    while (found := hay.candidate(pos)) is not None:
        start = hay.prev_stamp(found, known)
        start = known if start is None else start
        after = hay.next_stamp(found)
        end = hay.size if after is None else after
        line += hay.breaks(line_pos, start)
        line_pos = start
        yield Span(start, end, line)
        if after is None:
            return
        known = pos = after


def count_entries(hay: Hay) -> int:
    """How many entries hold a candidate match (no line numbers, no entry starts)."""
    pos = hay.first_stamp()
    found = 0
    candidate, next_stamp = hay.candidate, hay.next_stamp
    while pos is not None and (hit := candidate(pos)) is not None:
        found += 1
        pos = next_stamp(hit)
    return found


def last_valid(starts: list[tuple[int, AnyStr]], valid: Callable[[AnyStr], bool]) -> int | None:
    for start, text in reversed(starts):
        if valid(text):
            return start
    return None


def prev_stamp(stamp_re: re.Pattern[AnyStr], data: Any, pos: int, floor: int, size: int,
                valid: Callable[[AnyStr], bool]) -> int | None:
    """The last possible stamp line starting in ``(floor, pos]``: a window before ``pos``
    is scanned, then the stretch before it, four times longer, and so on."""
    high = min(size, pos + 256)
    low = max(floor, pos - BACK)
    while True:
        starts = [(m.start(1), m.group(1)) for m in stamp_re.finditer(data, low, high)]
        found = last_valid([(s, t) for s, t in starts if s <= pos], valid)
        if found is not None or low <= floor:
            return found
        # the next stretch back; its end overlaps this one by a stamp line's length
        high = min(size, low + 256)
        low = max(floor, low - 4 * (pos - low))



# --- stamps that are possible dates (rule S5) -----------------------------------------


SURE = re.compile(
    r"(?:(?:[01]?\d|2[0-3]):[0-5]\d|(?:0?[1-9]|1[0-2]):[0-5]\d (?:AM|PM)) +"
    r"(?:[1-9]\d{3}([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|1\d|2[0-8])"
    r"|(?:0?[1-9]|1[0-2])([-/.])(?:0?[1-9]|1[0-2])\2[1-9]\d{3})"
)

YEAR_LAST = re.compile(r"\d{1,2}([-/.])\d{1,2}\1\d{4}")
SURE_BYTES = re.compile(SURE.pattern.encode("ascii"))


def possible(stamp_text: str, day_first: DayFirst) -> bool:
    """Whether a stamp-shaped line names a possible date and time (rule S5)."""
    return SURE.fullmatch(stamp_text) is not None or stamp_of(stamp_text, day_first) is not None


def stamp_of(line: str, day_first: DayFirst) -> Stamp | None:
    """The stamp of a stamp-shaped line, None when its date or time is impossible (S5);
    the day order is asked for year-last dates only."""
    stamp = parse_stamp_line(line, True)
    if stamp is not None and stamp.shape.order == "ymd":
        return stamp
    if stamp is None and parse_stamp_line(line, False) is None:
        return None
    return parse_stamp_line(line, day_first())



# --- decoded text, cut at stamp lines ---------------------------------------------------


def pieces(buf: Buffer, codec: Codec, begin: int, end: int,
           window: int = WINDOW) -> Iterator[str]:
    """The text of ``buf[begin:end]`` decoded ``window`` bytes at a time."""
    decoder = codecs.getincrementaldecoder(codec.encoding)(codec.errors)
    for low in range(begin, end, window):
        high = min(end, low + window)
        text = decoder.decode(buf[low:high], final=high >= end)
        release_before(buf, low)
        if text:
            yield text


def release_before(buf: Buffer, pos: int) -> None:
    """Hand the pages of a memory map before ``pos`` back to the kernel (read again from
    the page cache if needed): memory follows a window, not the file."""
    if isinstance(buf, mmap.mmap) and pos >= PAGE:
        buf.madvise(mmap.MADV_DONTNEED, 0, pos - pos % PAGE)


def segments(pieces: Iterable[str], day_first: DayFirst) -> Iterator[str]:
    """Decoded text cut at stamp lines, so that each piece holds whole entries."""
    pending = ""
    stamp_re = stamp_line_re(lone_cr=True)
    for piece in pieces:
        pending += piece
        cut = _last_cut(pending, stamp_re, day_first)
        if cut > 0:
            yield pending[:cut]
            pending = pending[cut:]
    if pending:
        yield pending


def _last_cut(text: str, stamp_re: re.Pattern[str], day_first: DayFirst) -> int:
    """Where the last complete stamp line of ``text`` starts (0 when there is none)."""
    reach = BACK
    while True:
        low = max(0, len(text) - reach)
        starts = [(m.start("stamp"), m.group("stamp")) for m in stamp_re.finditer(text, low)
                  if m.end() < len(text)]
        best = last_valid(starts, lambda t: possible(t, day_first))
        if best or low == 0:
            return best or 0
        reach *= 4



def line_pieces(pieces: Iterable[str]) -> Iterator[str]:
    """Decoded text re-cut after line breaks, so that no line is split."""
    pending = ""
    for piece in pieces:
        pending += piece
        cut = max(pending.rfind("\n"), pending.rfind("\r")) + 1
        if cut > 0:
            yield pending[:cut]
            pending = pending[cut:]
    if pending:
        yield pending

