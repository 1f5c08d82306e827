"""Finding candidate lines in the raw bytes of an ASCII-compatible file: plain strings,
case folded by lowering a window, and patterns tried only on the lines that hold a
string they require (``Query.required``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from worklog.history.query import Query
from worklog.history.scan import Buffer

#: Bytes lowered at a time for a case-insensitive plain string.
LOWERED = 1024 * 1024

if TYPE_CHECKING:
    from typing import Protocol

    class Finder(Protocol):
        def find(self, buf: Buffer, pos: int, end: int) -> int | None: ...


class _RegexFinder:
    def __init__(self, pattern: re.Pattern[bytes]) -> None:
        self.pattern = pattern

    def find(self, buf: Buffer, pos: int, end: int) -> int | None:
        match = self.pattern.search(buf, pos, end)
        return None if match is None else match.start()


class _OneString:
    """One plain string, as it is written."""

    def __init__(self, literal: bytes) -> None:
        self.literal = literal

    def find(self, buf: Buffer, pos: int, end: int) -> int | None:
        at = buf.find(self.literal, pos, end)
        return None if at < 0 else at


@dataclass
class _LiteralFinder:
    """One or a few plain strings; ASCII case folded by searching a lowered copy of
    the window (much faster than a case-insensitive regular expression)."""

    literals: tuple[bytes, ...]
    lower: bool
    _window: tuple[int, int, bytes] = (0, 0, b"")
    #: per string: (searched from, found at or -1, window end) of its last search
    _last: dict[bytes, tuple[int, int, int]] = field(default_factory=dict)

    def find(self, buf: Buffer, pos: int, end: int) -> int | None:
        best: int | None = None
        for lit in self.literals:
            since, at, until = self._last.get(lit, (-1, -1, -1))
            if not (0 <= since <= pos and until == end and (at >= pos or at < 0)):
                at = self._find(buf, lit, pos, end)
                self._last[lit] = (pos, at, end)
            if at >= 0 and (best is None or at < best):
                best = at
        return best

    def _find(self, buf: Buffer, lit: bytes, pos: int, end: int) -> int:
        if not self.lower:
            return buf.find(lit, pos, end)
        while pos < end:
            low, high, data = self._window
            if not (low <= pos and pos + len(lit) <= high):
                # a lowered copy of the next stretch, overlapping the last one by what
                # a string cut at its end needs
                low, high = pos, min(end, pos + LOWERED)
                data = buf[low:high].lower()
                self._window = (low, high, data)
            at = data.find(lit, pos - low)
            if at >= 0:
                return at + low
            if high >= end:
                return -1
            pos = max(pos + 1, high - len(lit) + 1)
        return -1


@dataclass
class _LineFinder:
    """A pattern tried only on the lines holding a string it requires: ``check`` gets
    the buffer and a line's bounds and says where the pattern matches in it."""

    required: Finder
    check: Callable[[Buffer, int, int], int | None]

    def find(self, buf: Buffer, pos: int, end: int) -> int | None:
        while (at := self.required.find(buf, pos, end)) is not None:
            low = buf.rfind(b"\n", pos, at) + 1 or pos
            low = buf.rfind(b"\r", low, at) + 1 or low
            line_end = _line_end(buf, at, end)
            found = self.check(buf, low, line_end)
            if found is not None:
                return found
            pos = line_end
        return None


def _bytes_check(pattern: re.Pattern[bytes], query: Query, decode: Callable[[bytes], str]
                 ) -> Callable[[Buffer, int, int], int | None]:
    """The bytes pattern on one line; a line with non-ASCII text is decided by the text
    pattern (on ASCII the two agree), so that the answer is exact."""

    def check(buf: Buffer, low: int, high: int) -> int | None:
        match = pattern.search(buf, low, high)
        if match is None:
            return None
        line = buf[low:high]
        if line.isascii():
            return match.start()
        return low if query.matches(decode(line)) else None

    return check


def _text_check(query: Query, decode: Callable[[bytes], str]
                ) -> Callable[[Buffer, int, int], int | None]:
    def check(buf: Buffer, low: int, high: int) -> int | None:
        return low if query.matches(decode(buf[low:high])) else None

    return check


def _line_end(buf: Buffer, at: int, end: int) -> int:
    """Where the line holding ``at`` ends (its line break, or ``end``)."""
    nl = buf.find(b"\n", at, end)
    line_end = end if nl < 0 else nl
    cr = buf.find(b"\r", at, line_end)
    return line_end if cr < 0 else cr


def _literal_finder(literals: tuple[str, ...], ignore_case: bool,
                    encoding: str) -> Finder | None:
    if ignore_case and not all(lit.isascii() for lit in literals):
        return None  # a case-folded search of non-ASCII text needs characters
    try:
        encoded = tuple(lit.encode(encoding) for lit in literals)
    except UnicodeEncodeError:
        return None  # not in the file's encoding: the text search tells
    if ignore_case:
        return _LiteralFinder(tuple(e.lower() for e in encoded), True)
    if len(encoded) == 1:
        return _OneString(encoded[0])
    return _LiteralFinder(encoded, False)


def bytes_finder(query: Query, encoding: str, exact_codec: bool,
                  decode: Callable[[bytes], str]) -> tuple[Finder, bool] | None:
    """How to search bytes in ``encoding``, and whether a hit is certain (no line check:
    plain strings in a codec where a byte sequence cannot start inside a character);
    None when only a search of the decoded text finds every match.

    Plain strings are searched as bytes; other patterns are tried only on the lines
    holding the longest string they require, as bytes when that finds every match
    (``Query.bytes_safe``) and the line is ASCII, else on the decoded line: the lines
    found are then certain too."""
    literals = query.literals
    if literals is not None:
        finder = _literal_finder(literals, query.folds_case, encoding)
        return None if finder is None else (finder, exact_codec)
    required = query.required
    needed = None if required is None else _literal_finder((required[0],), required[1],
                                                           encoding)
    if query.bytes_safe:
        pattern = re.compile(query.block_source.encode("ascii"), query.flags | re.MULTILINE)
        if needed is None:
            return _RegexFinder(pattern), False
        return _LineFinder(needed, _bytes_check(pattern, query, decode)), True
    if needed is None:
        return None
    return _LineFinder(needed, _text_check(query, decode)), True


def single_byte(encoding: str) -> bool:
    try:
        return len(bytes(range(256)).decode(encoding, "surrogateescape")) == 256
    except LookupError:
        return False

