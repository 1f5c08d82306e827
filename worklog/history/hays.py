"""What the scan searches: a file's bytes (ASCII-compatible encodings, searched with a
finder) or a decoded piece of it (UTF-16 files, patterns that need characters).

Memory follows the size of a window (``WINDOW``), not of the file: pages already
searched are handed back to the kernel as the search moves on.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from worklog.format.constructs import split_lines
from worklog.format.document import count_breaks
from worklog.format.stamps import stamp_line_bytes_re, stamp_line_re
from worklog.history.scan import (
    PAGE,
    SURE_BYTES,
    Buffer,
    DayFirst,
    possible,
    prev_stamp,
    release_before,
    stamp_of,
)
from worklog.history.scan import (
    WINDOW as WINDOW,  # noqa: PLC0414 - the window a test shrinks
)

if TYPE_CHECKING:
    from worklog.history.finders import Finder


class BytesHay:
    """A file's bytes (a memory map) in an ASCII-compatible encoding."""

    def __init__(self, buf: Buffer, begin: int, finder: Finder, encoding: str,
                 decode: Callable[[bytes], str], day_first: DayFirst,
                 end: int | None = None) -> None:
        self.buf = buf
        self.begin = begin
        self.size = len(buf) if end is None else end
        self._find = finder.find
        self.decode = decode
        self.day_first = day_first
        self.lone_cr = has_lone_cr(buf, begin, self.size)
        self.stamp_re = stamp_line_bytes_re(encoding, self.lone_cr)
        self._window_end = begin
        self._released = 0

    def candidate(self, pos: int) -> int | None:
        if pos < self._window_end:  # the common case: a hit in the current window
            found = self._find(self.buf, pos, self._window_end)
            if found is not None:
                return found
            pos = self._window_end
        while pos < self.size:
            self.release(pos)
            self._window_end = self._line_cut(pos + WINDOW)
            found = self._find(self.buf, pos, self._window_end)
            if found is not None:
                return found
            pos = self._window_end
        return None

    def _line_cut(self, at: int) -> int:
        if at >= self.size:
            return self.size
        nl = self.buf.find(b"\n", at)
        return self.size if nl < 0 else nl + 1

    def _valid(self, text: bytes) -> bool:
        return SURE_BYTES.fullmatch(text) is not None or possible(self.decode(text),
                                                                     self.day_first)

    def first_stamp(self) -> int | None:
        first_line = re.split(rb"[\r\n]", self.buf[self.begin : self.begin + 256], maxsplit=1)[0]
        if first_line and stamp_of(self.decode(first_line), self.day_first) is not None:
            return self.begin
        return self.next_stamp(self.begin)

    def next_stamp(self, pos: int) -> int | None:
        search, sure = self.stamp_re.search, SURE_BYTES.fullmatch
        while (match := search(self.buf, pos)) is not None:
            stamp = match.group(1)  # group 1 is "stamp"
            if sure(stamp) is not None or self._valid(stamp):
                return match.start(1)
            pos = match.end()
        return None

    def prev_stamp(self, pos: int, floor: int) -> int | None:
        """Line by line back from ``pos`` (a hit is mostly a few lines into its entry),
        then by windows."""
        if not self.lone_cr:
            match, rfind, buf = self.stamp_re.match, self.buf.rfind, self.buf
            at = pos
            for _ in range(24):
                nl = rfind(b"\n", floor, at)
                if nl < 0:
                    return None
                found = match(buf, nl)
                if found is not None and self._valid(found.group(1)):
                    return nl + 1
                at = nl
            pos = at
        return prev_stamp(self.stamp_re, self.buf, pos, floor, self.size, self._valid)

    def breaks(self, start: int, end: int) -> int:
        return byte_breaks(self.buf, start, end, lone_cr=self.lone_cr)

    def release(self, upto: int) -> None:
        """Hand the pages before ``upto`` back (a map of a file, read-only): they are
        read again from the page cache if a look back needs them."""
        if not isinstance(self.buf, mmap.mmap) or upto - self._released < WINDOW:
            return
        cut = upto - upto % PAGE
        self.buf.madvise(mmap.MADV_DONTNEED, 0, cut)
        self._released = cut


def byte_breaks(buf: Buffer, start: int, end: int, *, lone_cr: bool) -> int:
    """Line breaks in ``[start, end)``, counted a slice at a time (CRLF once)."""
    total = 0
    step = 4 * 1024 * 1024
    for low in range(start, end, step):
        high = min(end, low + step)
        piece = buf[low:high]
        total += piece.count(b"\n")
        if lone_cr and piece.find(b"\r") >= 0:
            total += piece.count(b"\r") - piece.count(b"\r\n")
            if piece.endswith(b"\r") and buf[high : high + 1] == b"\n":
                total -= 1  # a CRLF cut in two: its LF counts it
        if isinstance(buf, mmap.mmap) and high - low == step:
            # read again to count: handed back again, or a long gap between two
            # hits would stay in memory
            first = low - low % PAGE
            buf.madvise(mmap.MADV_DONTNEED, first, high - high % PAGE - first)
    return total


_LONE_CR = re.compile(rb"\r(?!\n)")


#: A line holding only a date (a possible day heading, FORMAT.md S6) in the bytes of an
#: ASCII-compatible file: at the start, after an LF, or after a CR (a CR before a digit
#: is a lone one). A literal first byte keeps each search at memory speed.
_DATE_LINE_BODY = rb"\d{1,4}([./-])\d{1,2}\1\d{1,4}[ \t]*(?:[\r\n]|\Z)"
_DATE_LINE_AT = re.compile(_DATE_LINE_BODY)
_DATE_LINE_AFTER_LF = re.compile(b"\n" + _DATE_LINE_BODY)
_DATE_LINE_AFTER_CR = re.compile(b"\r" + _DATE_LINE_BODY)


#: Bytes each window of a date-line search shares with the one before: more than a date
#: line without its trailing blanks takes.
_DATE_OVERLAP = 64


def _ends_line(buf: Buffer, pos: int, stop: int) -> bool:
    """Whether only blanks stand from ``pos`` to the line's end (or ``stop``)."""
    while pos < stop and buf[pos : pos + 1] in (b" ", b"\t"):
        pos += 1
    return pos == stop or buf[pos : pos + 1] in (b"\r", b"\n")


def _search_windows(pattern: re.Pattern[bytes], buf: Buffer, start: int, stop: int) -> bool:
    """Whether ``pattern`` (a date line) matches in ``buf[start:stop]``, searched a window
    at a time with the pages behind handed back, so memory follows a window, not the
    file. A match the window's end cut (``\\Z`` there) is looked at in the file."""
    low = start
    while low < stop:
        high = min(stop, low + WINDOW)
        pos = low
        while (match := pattern.search(buf, pos, high)) is not None:
            if match.end() < high or high == stop or _ends_line(buf, high, stop):
                return True
            pos = match.start() + 1
        release_before(buf, high - _DATE_OVERLAP)
        if high == stop:
            break
        low = high - _DATE_OVERLAP
    return False


def has_date_lines(buf: Buffer, start: int, stop: int) -> bool:
    """Whether ``buf[start:stop]`` holds a line of a date alone: entries may then start
    where no stamp line is, and what counts spans between stamp lines cannot be used."""
    if (_DATE_LINE_AT.match(buf, start, stop) is not None
            or _search_windows(_DATE_LINE_AFTER_LF, buf, start, stop)):
        return True
    # most files have no CR at all: the byte search (memchr) says so far faster than the
    # pattern would, and a file with CRs is searched from its first one
    first_cr = _find_windows(b"\r", buf, start, stop)
    return first_cr >= 0 and _search_windows(_DATE_LINE_AFTER_CR, buf, first_cr, stop)


def _find_windows(byte: bytes, buf: Buffer, start: int, stop: int) -> int:
    """``buf.find(byte, start, stop)`` a window at a time, the pages behind handed back."""
    for low in range(start, stop, WINDOW):
        high = min(stop, low + WINDOW)
        found = buf.find(byte, low, high)
        if found >= 0:
            return found
        release_before(buf, high)
    return -1


def has_lone_cr(buf: Buffer, begin: int, end: int | None = None) -> bool:
    """Whether a CR not followed by LF breaks a line somewhere (a window at a time)."""
    found = False
    size = len(buf) if end is None else end
    for low in range(begin, size, WINDOW):
        high = min(size, low + WINDOW + 1)
        cr = buf.find(b"\r", low, high)
        match = _LONE_CR.search(buf, cr, high) if cr >= 0 else None
        # the window's last byte is looked at again, with what follows, by the next one
        found = match is not None and (match.start() < high - 1 or high == size)
        release_before(buf, low)
        if found:
            break
    return found


# --- decoded text (UTF-16 files, patterns that need characters) -------------------------


class TextHay:
    """A decoded piece of the file that starts at a stamp line (or at the file's start)."""

    def __init__(self, text: str, pattern: re.Pattern[str], day_first: DayFirst) -> None:
        self.text = text
        self.begin = 0
        self.size = len(text)
        self.pattern = pattern
        self.day_first = day_first
        self.stamp_re = stamp_line_re(lone_cr=True)

    def candidate(self, pos: int) -> int | None:
        match = self.pattern.search(self.text, pos)
        return None if match is None else match.start()

    def _valid(self, text: str) -> bool:
        return possible(text, self.day_first)

    def first_stamp(self) -> int | None:
        first_line = split_lines(self.text[:256])[:1]
        if first_line and stamp_of(first_line[0][0], self.day_first) is not None:
            return 0
        return self.next_stamp(0)

    def next_stamp(self, pos: int) -> int | None:
        while (match := self.stamp_re.search(self.text, pos)) is not None:
            if self._valid(match.group("stamp")):
                return match.start("stamp")
            pos = match.end()
        return None

    def prev_stamp(self, pos: int, floor: int) -> int | None:
        return prev_stamp(self.stamp_re, self.text, pos, floor, self.size, self._valid)

    def breaks(self, start: int, end: int) -> int:
        return count_breaks(self.text, start, end)


