"""Line numbers of places deep in a log, without counting the line breaks before them.

A bounded read gives each entry its line number, so the read of the last month of a
100 MB log would count the line breaks of the 99 MB before it. Instead, the line number
of a place ``MARK_EVERY`` bytes apart (just after a line break) is kept in a small file
under the cache folder (``$XDG_CACHE_HOME/worklog/lines/``, never beside the log), so a
line number costs the count from the nearest mark before it.

The marks hold for one state of the file: its device and inode, size, modification
and change times, and a hash of its first and last bytes. Any write changes the change
time, which no program can set back, so an edited, appended or replaced file is counted
again (once: the new marks are kept). Marks are kept only for a file that has not
changed for ``SETTLE`` seconds (a write within the same tick of the clock as the last
one would not show in its times) and that did not change while it was counted. The
cache only holds numbers derived from the log: deleting it costs one slower run.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import mmap
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from worklog.history.hays import byte_breaks
from worklog.history.scan import PAGE, Buffer
from worklog.store.cache import read_json, write_json

#: Bytes between two marks.
MARK_EVERY = 1024 * 1024
#: Seconds a file must have stood unchanged for its marks to be kept.
SETTLE = 2.0
#: Bytes of each end of the file in the hash that goes with the marks.
ENDS = 4096
#: The layout of the cache file; another one is ignored.
VERSION = 1

_BREAK = re.compile(rb"[\r\n]")


def cache_file(cache_dir: Path, log: Path) -> Path:
    """Where the marks of the log at ``log`` (its real path) are kept."""
    name = hashlib.blake2b(str(log).encode("utf-8", "surrogateescape"), digest_size=12)
    return cache_dir / "lines" / f"{name.hexdigest()}.json"


def identity(log: Path, st: os.stat_result, buf: Buffer) -> list[Any]:
    """What the marks of ``buf`` (the log as mapped, ``st`` its status then) hold for."""
    ends = hashlib.blake2b(bytes(buf[:ENDS]) + bytes(buf[max(0, len(buf) - ENDS):]),
                           digest_size=16).hexdigest()
    return [VERSION, str(log), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
            st.st_ctime_ns, MARK_EVERY, ends]


class LineMarks:
    """The line numbers of places in one mapped state of a log (``opened``: the status
    of the descriptor it was mapped from), from kept marks when they hold."""

    def __init__(self, cache_dir: Path, log: Path, opened: os.stat_result, *,
                 now: Callable[[], float] = time.time) -> None:
        self.path = cache_file(cache_dir, log)
        self.log = log
        self.opened = opened
        self._now = now
        self._marks: list[tuple[int, int]] | None = None  # (offset, line), rising
        self._key: list[Any] = []

    def line_at(self, buf: Buffer, begin: int, pos: int) -> int:
        """The line number of ``pos`` (a line start at or after ``begin``, where the
        text starts): 1 + the line breaks in ``[begin, pos)``, a lone CR one too."""
        if len(buf) != self.opened.st_size:  # not the state the status tells of
            return 1 + byte_breaks(buf, begin, pos, lone_cr=True)
        if self._marks is None:
            self._key = identity(self.log, self.opened, buf)
            self._marks = self._load(begin)
        marks = self._marks
        at = bisect.bisect_right(marks, pos, key=lambda mark: mark[0]) - 1
        low, line = marks[at]
        if at < len(marks) - 1 or pos - low < MARK_EVERY:
            return line + _counted(buf, low, pos)
        added = False
        while pos - low >= MARK_EVERY:
            cut = _after_break(buf, low + MARK_EVERY, pos)
            if cut is None:
                break
            line += _counted(buf, low, cut)
            low = cut
            marks.append((low, line))
            added = True
        if added:
            self._store()
        return line + _counted(buf, low, pos)

    def _load(self, begin: int) -> list[tuple[int, int]]:
        start = [(begin, 1)]
        data = read_json(self.path)
        if not isinstance(data, dict) or data.get("key") != self._key:
            return start
        found = data.get("marks")
        if not isinstance(found, list) or not all(
                isinstance(m, list) and len(m) == 2 and all(type(v) is int for v in m)
                for m in found):
            return start
        marks = [(m[0], m[1]) for m in found]
        rising = all(a[0] < b[0] and a[1] <= b[1] for a, b in itertools.pairwise(marks))
        if not marks or marks[0] != start[0] or not rising or \
                marks[-1][0] > self.opened.st_size:
            return start
        return marks

    def _store(self) -> None:
        """Keep the marks if the file has settled and is still as it was mapped; a cache
        that cannot be written only costs speed."""
        st = self.opened
        if self._now() - max(st.st_mtime_ns, st.st_ctime_ns) / 1e9 < SETTLE:
            return
        try:
            now = os.stat(self.log)
        except OSError:
            return
        same = ("st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns")
        if any(getattr(now, name) != getattr(st, name) for name in same):
            return
        write_json(self.path, {"key": self._key, "marks": self._marks})


def _after_break(buf: Buffer, at: int, stop: int) -> int | None:
    """The place just after the first line break at ``at`` or later, before ``stop``
    (a CRLF whole: counts on both sides of it add up)."""
    found = _BREAK.search(buf, at, stop)
    if found is None:
        return None
    cut = found.end()
    if found.group() == b"\r" and buf[cut : cut + 1] == b"\n":
        cut += 1
    return cut if cut <= stop else None


def _counted(buf: Buffer, low: int, high: int) -> int:
    """The line breaks in ``[low, high)``; the pages counted are handed back after."""
    found = byte_breaks(buf, low, high, lone_cr=True)
    if isinstance(buf, mmap.mmap) and high - low >= PAGE:
        first = low - low % PAGE
        last = high - high % PAGE
        if last > first:
            buf.madvise(mmap.MADV_DONTNEED, first, last - first)
    return found
