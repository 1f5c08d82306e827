"""A log's entries by time, read from its memory-mapped bytes a window at a time.

- Seeking: a date bound finds its place by binary search over the stamp lines of the
  file, as ``look(1)`` does in a sorted file. A ``.LOG`` file is nearly in time order,
  not always (a clock set wrong, an entry pasted from elsewhere: ``worklog check``
  reports each stamp earlier than the one before it), so the search checks the order:
  the stamps it probes, and a few spread over the file, must rise with their place, or
  the whole file is read; past the place it lands on, it looks at ``GUARD`` more stamps
  on the far side of the bound, so that a stamp out of order near the bound is still
  found. A bounded read then costs its period, not the history.
- Streaming: entries are parsed from decoded pieces cut at stamp lines, one piece at a
  time, with the line numbers and day order a parse of the whole file gives them;
  pages of the map already read are handed back to the kernel.

UTF-16 files are read whole (their stamp lines are not searched as bytes).
"""

from __future__ import annotations

import contextlib
import itertools
import mmap
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from worklog.format.constructs import starts_sentence
from worklog.format.document import Document, Entry, ParseOptions, count_breaks, parse_text
from worklog.format.encoding import Codec
from worklog.format.stamps import stamp_line_bytes_re
from worklog.history.hays import byte_breaks, has_lone_cr
from worklog.history.query import Query
from worklog.history.scan import PAGE, SURE_BYTES, possible, segments, stamp_of
from worklog.history.search import MappedLog, Searcher
from worklog.store.logfile import LogFile

if TYPE_CHECKING:
    from worklog.history.line_marks import LineMarks

#: A stretch of the file this short is walked stamp by stamp, not halved further.
SEEK_BELOW = 64 * 1024
#: Stamps looked at past a bound, on its far side, for stamps out of order.
GUARD = 64
#: Stamps spread evenly over the file whose order is checked before a seek is trusted.
PROBES = 16
#: Bytes decoded and parsed at a time.
WINDOW = 1024 * 1024
#: Bytes walked over stamp lines before the pages behind are handed back.
RELEASE = 8 * 1024 * 1024
#: Bytes read at a time when walking back over stamp lines.
BACK_CHUNK = 16 * 1024

_FIRST_BREAK = re.compile(rb"[\r\n]")
#: A see"STAMP" whose stamp has a year-last date (found by its quote: fast).
_YEAR_LAST_LINK = re.compile(
    r'"(?<=[sS\u017f][eE][eE]")[^"\r\n]{0,60}?\d{1,2}([-/.])\d{1,2}\1\d{4}')


def _year_last(doc: Document, text: str) -> bool:
    """Whether reading ``doc`` (parsed day-first) needs the file's day order."""
    return (bool(doc.rejected) or any(e.stamp.shape.order != "ymd" for e in doc.entries)
            or _YEAR_LAST_LINK.search(text) is not None)


@dataclass(frozen=True)
class Mark:
    """A stamp line: where it starts in the file, and its time."""

    pos: int
    when: datetime

    @property
    def day(self) -> date:
        return self.when.date()


@dataclass(frozen=True)
class Head:
    """The start of an entry: its time, line number and second line (None: it has one
    line only)."""

    when: datetime
    line: int
    second: str | None
    #: The line after the second, read only when the second is one capitalised word
    #: (E2 needs it then to tell a tag from the start of a sentence).
    third: str | None = None


@dataclass(frozen=True)
class Bounds:
    """A stretch of the file that starts at a stamp line (or at the text's start)."""

    start: int
    stop: int
    first_line: int  # the line number of ``start``


class Timeline:
    """A log's bytes read as a sequence of entries in file order."""

    def __init__(self, buf: bytes | mmap.mmap, options: ParseOptions | None = None,
                 marks: LineMarks | None = None) -> None:
        """``marks``: where line numbers deep in the file are kept (else they are
        counted)."""
        self.log = MappedLog(buf, options)
        self.marks = marks
        self.buf = buf
        self.begin = self.log.begin
        self.end = self.log.end()
        encoding = self._encoding = self.log.stamp_encoding()
        # Stamp lines after any line break, lone CR included: the same lines in a file
        # without lone CRs, and right in one with them (for probes and short walks).
        self._stamp_re = None if encoding is None else stamp_line_bytes_re(encoding, True)

    # --- stamps in the bytes -----------------------------------------------------------

    def _mark(self, pos: int, stamp: bytes) -> Mark | None:
        text = self.log.decode(stamp)
        if SURE_BYTES.fullmatch(stamp) is None and not possible(text, self.log.day_order):
            return None
        parsed = stamp_of(text, self.log.day_order)
        return None if parsed is None else Mark(pos, parsed.when)

    def _first_line_mark(self) -> Mark | None:
        head = self.buf[self.begin : self.begin + 256]
        line = _FIRST_BREAK.split(head, maxsplit=1)[0]
        return self._mark(self.begin, line.rstrip(b" \t")) if line else None

    def _marks_from(self, pos: int, stop: int | None = None) -> Iterator[Mark]:
        """The stamp lines starting at ``pos`` or after, in file order; with ``stop``, a
        walk to there (before it, with the faster pattern of a stretch without lone CRs
        when it has none)."""
        assert self._stamp_re is not None
        assert self._encoding is not None
        pattern, end = self._stamp_re, self.end
        if stop is not None:
            end = stop
            pattern = stamp_line_bytes_re(self._encoding, has_lone_cr(self.buf, pos, stop))
        if pos <= self.begin < end and (first := self._first_line_mark()) is not None:
            yield first
        released = 0
        for match in pattern.finditer(self.buf, max(self.begin, pos - 1), end):
            mark = self._mark(match.start(1), match.group(1))
            if mark is not None:
                yield mark
            if match.start() - released > RELEASE:  # a long walk: hand pages back
                released = self._release(match.start())

    def _release(self, upto: int) -> int:
        """Hand the map's pages before ``upto`` back to the kernel (read again from the
        page cache if needed): memory follows a window, not the file."""
        cut = upto - upto % PAGE
        if isinstance(self.buf, mmap.mmap) and cut > 0:
            self.buf.madvise(mmap.MADV_DONTNEED, 0, cut)
        return cut

    def _marks_before(self, pos: int) -> Iterator[Mark]:
        """The stamp lines starting before ``pos``, the nearest first."""
        assert self._stamp_re is not None
        high = pos
        while high > self.begin:
            low = max(self.begin, high - BACK_CHUNK)
            found = [m for m in self._stamp_re.finditer(self.buf, max(self.begin, low - 1),
                                                        min(self.end, high + 256))
                     if low <= m.start(1) < high]
            for match in reversed(found):
                mark = self._mark(match.start(1), match.group(1))
                if mark is not None:
                    yield mark
            high = low
        if pos > self.begin and (first := self._first_line_mark()) is not None:
            yield first

    def _mark_after(self, pos: int) -> Mark | None:
        return next(self._marks_from(pos), None)

    # --- seeking ---------------------------------------------------------------------

    def _in_order(self, probes: list[Mark]) -> bool:
        """Whether the probed stamps, and ``PROBES`` more spread over the file, rise
        with their place in it."""
        span = self.end - self.begin
        spread = (self._mark_after(self.begin + span * k // PROBES) for k in range(PROBES))
        marks = sorted({*probes, *(m for m in spread if m is not None)}, key=lambda m: m.pos)
        return all(a.day <= b.day for a, b in itertools.pairwise(marks))

    def _first_not(self, before: Callable[[date], bool], probes: list[Mark]) -> Mark | None:
        """The first stamp line whose day is not ``before`` the bound, found by halving."""
        low, high = self.begin, self.end
        while high - low > SEEK_BELOW:
            mid = (low + high) // 2
            mark = self._mark_after(mid)
            if mark is None or mark.pos >= high:
                high = mid
                continue
            probes.append(mark)
            if before(mark.day):
                low = mark.pos + 1
            else:
                high = mid
        return next((m for m in self._marks_from(low) if not before(m.day)), None)

    def _start(self, since: date, probes: list[Mark]) -> int:
        """Where the entries from ``since`` on start: the first stamp of the day, moved
        back over any earlier stamp line of a day from ``since`` on within the guard."""
        first = self._first_not(lambda day: day < since, probes)
        start = self.end if first is None else first.pos
        quiet = 0
        for mark in self._marks_before(start):
            if mark.day >= since:
                start, quiet = mark.pos, 0
            else:
                quiet += 1
            if quiet >= GUARD:
                break
        return start

    def _stop(self, until: date, probes: list[Mark]) -> int:
        """Where the entries up to ``until`` end: at the first stamp of a later day,
        moved on past any stamp line of a day up to ``until`` within the guard."""
        first = self._first_not(lambda day: day <= until, probes)
        if first is None:
            return self.end
        stop, quiet, extend = first.pos, 0, False
        for mark in self._marks_from(first.pos):
            if extend:
                stop, extend = mark.pos, False
            if mark.day <= until:
                extend, quiet = True, 0
            else:
                quiet += 1
            if quiet >= GUARD:
                break
        return self.end if extend else stop

    def bounds(self, since: date | None = None, until: date | None = None) -> Bounds:
        """The stretch of the file that holds every entry of days ``since`` to ``until``
        (it may hold others too: callers filter by day)."""
        whole = Bounds(self.begin, self.end, 1)
        if self._stamp_re is None or (since is None and until is None):
            return whole
        probes: list[Mark] = []
        start = self.begin if since is None else self._start(since, probes)
        stop = self.end if until is None else self._stop(until, probes)
        if not self._in_order(probes):
            return whole
        stop = max(start, stop)
        return Bounds(start, stop, self.line_at(start))

    def line_at(self, pos: int) -> int:
        """The line number of the line starting at ``pos``."""
        if self.marks is not None:
            return self.marks.line_at(self.buf, self.begin, pos)
        return 1 + byte_breaks(self.buf, self.begin, pos, lone_cr=True)

    def stamps(self, bounds: Bounds) -> Iterator[datetime] | None:
        """The times of the entries in ``bounds``, read from their stamp lines alone
        (no parse); None for a file whose stamps are not searched as bytes."""
        if self._stamp_re is None:
            return None
        return (m.when for m in self._marks_from(bounds.start, bounds.stop))

    def heads(self, bounds: Bounds) -> Iterator[Head] | None:
        """Each entry's time, line number and second line (its tags line, if any), read
        from the bytes around its stamp line (no parse); None for a file whose stamps
        are not searched as bytes."""
        if self._stamp_re is None:
            return None
        return self._heads(bounds)

    def _heads(self, bounds: Bounds) -> Iterator[Head]:
        line, counted = bounds.first_line, bounds.start
        marks = self._marks_from(bounds.start, bounds.stop)
        mark = next(marks, None)
        while mark is not None:
            after = next(marks, None)
            line += byte_breaks(self.buf, counted, mark.pos, lone_cr=True)
            counted = mark.pos
            stop = bounds.stop if after is None else after.pos
            second, end = self._line_after(mark.pos, stop)
            third = None
            if second is not None and starts_sentence(second):
                third = self._line_after(end, stop)[0]
            yield Head(mark.when, line, second, third)
            mark = after

    def _line_after(self, pos: int, next_entry: int) -> tuple[str | None, int]:
        """The line after the line at ``pos``, if the entry has one, and where it ends."""
        found = _FIRST_BREAK.search(self.buf, pos, next_entry)
        if found is None:
            return None, next_entry
        low = found.end()
        if found.group() == b"\r" and self.buf[low : low + 1] == b"\n":
            low += 1
        if low >= next_entry:
            return None, next_entry
        end = _FIRST_BREAK.search(self.buf, low, next_entry)
        high = next_entry if end is None else end.start()
        return self.log.decode(self.buf[low:high]), high

    # --- entries ---------------------------------------------------------------------

    def entries(self, since: date | None = None, until: date | None = None) -> Iterator[Entry]:
        """The entries of the stretch ``bounds`` finds, in file order, a piece at a time
        (without a bound: every entry of the file)."""
        yield from self.read(self.bounds(since, until))

    def holding(self, needles: Sequence[str], *, ignore_case: bool = False) -> Iterator[Entry]:
        """The entries with a line that holds one of ``needles`` (plain strings), in file
        order, each parsed on its own: found in the bytes as ``worklog grep`` finds
        them, so a few records of ten years cost a search, not a parse."""
        query = Query("|".join(re.escape(needle) for needle in needles), ignore_case)
        return (hit.entry for hit in Searcher(self.buf, query, self.log.options).hits())

    def stamped(self, when: datetime) -> list[Entry]:
        """The entries stamped ``when``, found by seeking to their day (a day heading
        has no time: never one of them)."""
        return [e for e in self.entries(when.date(), when.date())
                if e.stamp.has_time and e.stamp.when == when]

    def read(self, bounds: Bounds) -> Iterator[Entry]:
        line = bounds.first_line
        for segment in segments(self._texts(bounds.start, bounds.stop), self.log.day_order):
            doc = self._parse(segment, line)
            entries, doc.entries = doc.entries, []
            # The piece's document keeps its text, not its entries: without the cycle
            # between them a piece is freed as soon as its entries are, not at the next
            # collection of cycles.
            yield from entries
            line += count_breaks(segment)

    def _parse(self, segment: str, line: int) -> Document:
        """The entries of a piece, read as in a parse of the whole file: in its codec and
        its day order. The piece is read day-first; read again in the file's order when
        that differs and a year-last date is there to read (a stamp, a stamp-shaped line
        read as text, a see"STAMP")."""
        log = self.log
        codec = log.codec if not segment.isascii() else log.bom_codec or Codec("utf-8")
        configured = log.options.day_first
        options = ParseOptions(day_first=True if configured is None else configured,
                               ansi=log.options.ansi)
        doc = parse_text(segment, codec, options, first_line=line)
        if configured is None and _year_last(doc, segment) and not log.day_order():
            options = ParseOptions(day_first=False, ansi=log.options.ansi)
            doc = parse_text(segment, codec, options, first_line=line)
        return doc

    def _texts(self, start: int, stop: int) -> Iterator[str]:
        """The text of ``[start, stop)``, decoded a window at a time, each window cut
        after a line break (no character of an ASCII-compatible encoding spans one)."""
        if self._stamp_re is None:
            from worklog.history.scan import pieces  # noqa: PLC0415

            yield from pieces(self.buf, self.log.codec, start, stop)
            return
        low = start
        while low < stop:
            high = self._cut(min(stop, low + WINDOW), stop)
            yield self.log.decode(self.buf[low:high])
            self._release(low)
            low = high

    def _cut(self, at: int, stop: int) -> int:
        if at >= stop:
            return stop
        found = _FIRST_BREAK.search(self.buf, at, stop)
        if found is None:
            return stop
        cut = found.end()
        return cut + 1 if found.group() == b"\r" and self.buf[cut : cut + 1] == b"\n" else cut


@contextlib.contextmanager
def log_timeline(log: LogFile) -> Iterator[Timeline | None]:
    """The log mapped and read as a Timeline while the block runs; None when there is
    no log yet."""
    if not log.exists():
        yield None
        return
    with log.mapped() as buf:
        yield Timeline(buf, log.options)
