"""Searching a log for whole entries, fast: raw bytes first, entries only around the hits.

``worklog grep`` must stay near GNU grep's speed on years of history, so the file is never
parsed whole. The pattern is looked for in the file's bytes (a memory map); around each
hit the entry's boundaries are found by looking backwards and forwards for stamp lines;
the entry is decoded and checked line by line, and the search goes on after its end.

- Matching is per line, like grep: PATTERN is a Python regular expression (``-F``: a
  plain string) that must match within one line of the entry (its stamp line and tags
  line included); ``^`` and ``$`` anchor at the line's start and end, whatever the file's
  line breaks.
- The bytes are searched directly when that finds every line the text pattern would
  (plain strings, and regular expressions whose meaning does not depend on how
  characters are encoded); otherwise, and always for UTF-16 files, the file is decoded
  piece by piece (pieces cut at stamp lines) and the text is searched.
- Memory follows the size of a window (``WINDOW``), not of the file: pages already
  searched are handed back to the kernel as the search moves on.

Nothing here prints: hits are values, streamed in file order.
"""

from __future__ import annotations

import codecs
import mmap
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, AnyStr

from worklog.errors import UsageError
from worklog.format.constructs import split_lines
from worklog.format.document import Entry, ParseOptions, count_breaks, parse_text
from worklog.format.encoding import Codec, codec_from_head, detect
from worklog.format.stamps import (
    Candidate,
    Stamp,
    find_date_lines,
    find_stamp_lines,
    infer_day_first,
    parse_stamp_line,
    shown_day_first,
    stamp_line_bytes_re,
    stamp_line_re,
)
from worklog.history.export import EntryFilter

with warnings.catch_warnings():  # the parser of ``re``, to tell what a pattern needs
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sre_c
    import sre_parse as sre_p

#: Bytes searched at a time; searched pages are released behind it.
WINDOW = 8 * 1024 * 1024
#: Bytes lowered at a time for a case-insensitive plain string.
LOWERED = 1024 * 1024
#: How far back a search for an entry's stamp line starts (it doubles until found).
BACK = 2048
#: Head and tail read to infer the day order of year-last stamps (rule S4).
SAMPLE = 1024 * 1024
_PAGE = mmap.PAGESIZE

Buffer = bytes | mmap.mmap

if TYPE_CHECKING:  # what the scan and the finders offer (no run-time cost)
    from typing import Protocol

    class _Hay(Protocol):
        """What the scan needs from what it searches: a file's bytes or a decoded piece.
        Stamp positions are where a stamp line starts; only possible stamps count (S5)."""

        begin: int
        size: int

        def candidate(self, pos: int) -> int | None: ...
        def first_stamp(self) -> int | None: ...
        def next_stamp(self, pos: int) -> int | None: ...
        def prev_stamp(self, pos: int, floor: int) -> int | None: ...
        def breaks(self, start: int, end: int) -> int: ...

    class _Finder(Protocol):
        def find(self, buf: Buffer, pos: int, end: int) -> int | None: ...



# --- the query -------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What to look for: a pattern, ``-i`` and ``-F``."""

    pattern: str
    ignore_case: bool = False
    fixed: bool = False

    def __post_init__(self) -> None:
        if not self.pattern:
            raise UsageError("PATTERN: empty (grep for something)")
        if "\n" in self.pattern or "\r" in self.pattern:
            raise UsageError("PATTERN: one line only (entries are matched line by line)")

    @cached_property
    def source(self) -> str:
        return re.escape(self.pattern) if self.fixed else self.pattern

    @cached_property
    def flags(self) -> int:
        return re.IGNORECASE if self.ignore_case else 0

    @cached_property
    def line_re(self) -> re.Pattern[str]:
        """The pattern as it applies to one line's content (without its line break)."""
        try:
            return re.compile(self.source, self.flags)
        except re.error as exc:
            raise UsageError(f"PATTERN: {exc} (a Python regular expression; -F for a "
                             "plain string)") from None

    @cached_property
    def block_source(self) -> str:
        """The source for searching many lines at once: ``^``/``$``/``\\A``/``\\Z`` made
        line anchors whatever the line breaks (a match may then run over a line break:
        the entry is checked line by line afterwards)."""
        self.line_re  # noqa: B018 - a bad pattern is reported as written
        return _line_anchored(self.source)

    def block_re(self) -> re.Pattern[str]:
        return re.compile(self.block_source, self.flags | re.MULTILINE)

    @cached_property
    def literals(self) -> tuple[str, ...] | None:
        """The strings the pattern stands for when it is one or a few plain strings
        (``-F``, ``qemu-kvm``, ``Bruce|Olaf``), else None."""
        if self.fixed:
            return (self.pattern,)
        return _literal_set(_items(sre_p.parse(self.source, self.flags)))

    @cached_property
    def folds_case(self) -> bool:
        """``-i``, or ``(?i)`` in the pattern."""
        parsed = sre_p.parse(self.source, self.flags)
        return bool((self.flags | parsed.state.flags) & re.IGNORECASE)

    @cached_property
    def required(self) -> tuple[str, bool] | None:
        """A plain string every match contains (the longest run of literal characters
        at the top of the pattern), and whether case is ignored; None when none has
        two characters or more."""
        parsed = sre_p.parse(self.source, self.flags)
        ignore = self.folds_case
        best = ""
        run: list[str] = []
        for op, av in [*_items(parsed), (None, None)]:
            if op is sre_c.LITERAL:
                run.append(chr(av))
                continue
            if len(run) > len(best):
                best = "".join(run)
            run = []
        return (best, ignore) if len(best) >= 2 else None

    @cached_property
    def bytes_safe(self) -> bool:
        """Whether a bytes search with this pattern finds every line the text pattern
        matches, in any ASCII-compatible encoding (a superset: lines are checked)."""
        if not self.source.isascii():
            return False
        return _safe(_items(sre_p.parse(self.source, self.flags)), single=False)

    def matches(self, line: str) -> bool:
        return self.line_re.search(line) is not None

    def spans(self, line: str) -> list[tuple[int, int]]:
        """Where the pattern matches in ``line`` (for highlighting), empty matches left out."""
        return [m.span() for m in self.line_re.finditer(line) if m.end() > m.start()]


_LINE_END = r"(?=[\r\n]|\Z)"
_LINE_START = r"(?:^|(?<=\r))"
_ANCHORS = {"$": _LINE_END, "^": _LINE_START, r"\Z": _LINE_END, r"\A": _LINE_START}


def _line_anchored(source: str) -> str:
    r"""``source`` with ``^``, ``$``, ``\A`` and ``\Z`` outside character classes turned
    into line anchors that also hold next to a CR (CRLF and lone-CR files)."""
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        token = source[i : i + 2] if source[i] == "\\" else source[i]
        if token == "[":  # a class, to its end: ']' first (or after '^') is a member
            j = i + 1 + (source[i + 1 : i + 2] == "^")
            j += source[j : j + 1] == "]"
            while j < n and source[j] != "]":
                j += 2 if source[j] == "\\" else 1
            token = source[i : j + 1]
        out.append(_ANCHORS.get(token, token))
        i += len(token)
    return "".join(out)


def _items(parsed: object) -> list[tuple[Any, Any]]:
    """The nodes of a parsed pattern (or of a part of one)."""
    nodes: Iterable[tuple[Any, Any]] = (parsed.data if isinstance(parsed, sre_p.SubPattern)
                                        else parsed)  # type: ignore[assignment]
    return list(nodes)


def _literal_set(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    if len(items) == 1 and items[0][0] is sre_c.SUBPATTERN:
        _, add, remove, body = items[0][1]
        if add or remove:
            return None
        return _literal_set(_items(body))
    if len(items) == 1 and items[0][0] is sre_c.BRANCH:
        alts: list[str] = []
        for alt in items[0][1][1]:
            sub = _literal_set(_items(alt))
            if sub is None or len(sub) != 1:
                return None
            alts.append(sub[0])
        return tuple(alts)
    if items and all(op is sre_c.LITERAL for op, _ in items):
        return ("".join(chr(av) for _, av in items),)
    return None


_ANY_LIKE = {sre_c.ANY, sre_c.NOT_LITERAL}
_NEGATED_CATEGORIES = {sre_c.CATEGORY_NOT_DIGIT, sre_c.CATEGORY_NOT_SPACE,
                       sre_c.CATEGORY_NOT_WORD}


def _set_safe(items: Sequence[tuple[object, object]], *, single: bool) -> bool:
    """A character set ``[...]``: ASCII members only; negated sets (and negated
    categories) only where one character may take several bytes (``single``)."""
    negated = bool(items) and items[0][0] is sre_c.NEGATE
    for op, av in items[1:] if negated else items:
        if op is sre_c.LITERAL:
            if not isinstance(av, int) or av >= 128:
                return False
        elif op is sre_c.RANGE:
            if not isinstance(av, tuple) or av[1] >= 128:
                return False
        elif op is sre_c.CATEGORY:
            if av not in _NEGATED_CATEGORIES or not single:
                return False
        else:
            return False
    return single or not negated


def _one_char_any(op: object, av: object, *, single: bool) -> bool:
    """One character class that may stand for several bytes only under an unbounded
    repeat: ``.``, ``[^x]``, ``\\S``..."""
    if op in _ANY_LIKE:
        return op is sre_c.ANY or (isinstance(av, int) and av < 128)
    if op is sre_c.IN and isinstance(av, list):
        return _set_safe(av, single=True)
    if op is sre_c.CATEGORY:
        return av in _NEGATED_CATEGORIES
    return False


def _safe(parsed: Iterable[tuple[object, object]], *, single: bool) -> bool:  # noqa: C901, PLR0911, PLR0912
    """Whether each line the text pattern matches is also found by the bytes pattern
    (``single``: directly under an unbounded repeat, where one character may be
    several bytes)."""
    for op, av in parsed:
        if op is sre_c.LITERAL:
            if not isinstance(av, int) or av >= 128:
                return False
        elif op is sre_c.IN:
            if not isinstance(av, list) or not _set_safe(av, single=single):
                return False
        elif op in _ANY_LIKE or op is sre_c.CATEGORY:
            if not single or not _one_char_any(op, av, single=True):
                return False
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            assert isinstance(av, tuple)
            _low, high, body = av
            body_items = _items(body)
            unbounded = high is sre_c.MAXREPEAT
            if unbounded and len(body_items) == 1 and _one_char_any(*body_items[0],
                                                                    single=True):
                continue
            if not _safe(body_items, single=False):
                return False
        elif op is sre_c.SUBPATTERN:
            assert isinstance(av, tuple)
            if not _safe(_items(av[3]), single=False):
                return False
        elif op is sre_c.BRANCH:
            assert isinstance(av, tuple)
            if not all(_safe(_items(alt), single=False) for alt in av[1]):
                return False
        elif op is sre_c.AT:
            if av is sre_c.AT_NON_BOUNDARY:
                return False
        elif op is sre_c.ASSERT:
            assert isinstance(av, tuple)
            if av[0] != 1 or not _safe(_items(av[1]), single=False):
                return False
        else:  # back-references, look-behinds, negative look-aheads, atomic groups...
            return False
    return True


# --- hits ------------------------------------------------------------------------------


@dataclass
class Hit:
    """One matching entry: its line number and its text exactly as written."""

    line: int  # 1-based line number of its stamp line in the file
    source: str  # the entry as written (stamp line first, trailing blank lines included)
    codec: Codec
    day_order: DayOrder = field(repr=False)

    @cached_property
    def stamp_line(self) -> str:
        return split_lines(self.source[:512])[0][0]

    @cached_property
    def stamp(self) -> Stamp:
        stamp = _stamp_of(self.stamp_line, self.day_order)
        assert stamp is not None  # hits start at a stamp line that was checked
        return stamp

    @cached_property
    def entry(self) -> Entry:
        """The entry parsed (tags, kind, links...), numbered as in the file."""
        # A year-last date anywhere in the entry (its stamp, a stamp-like line, a
        # see"STAMP") is read in the file's order, as a parse of the whole file would.
        day_first = self.day_order.configured
        if day_first is None and _YEAR_LAST.search(self.source):
            day_first = self.day_order()
        doc = parse_text(self.source, self.codec, ParseOptions(day_first=day_first),
                         first_line=self.line)
        return doc.entries[0]


@dataclass(frozen=True)
class Span:
    """An entry located in what is searched (offsets in its units)."""

    start: int
    end: int
    line: int


def _scan(hay: _Hay, first_line: int) -> Iterator[Span]:
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


def _count(hay: _Hay) -> int:
    """How many entries hold a candidate match (no line numbers, no entry starts)."""
    pos = hay.first_stamp()
    found = 0
    candidate, next_stamp = hay.candidate, hay.next_stamp
    while pos is not None and (hit := candidate(pos)) is not None:
        found += 1
        pos = next_stamp(hit)
    return found


def _last_valid(starts: list[tuple[int, AnyStr]], valid: Callable[[AnyStr], bool]) -> int | None:
    for start, text in reversed(starts):
        if valid(text):
            return start
    return None


def _prev_stamp(stamp_re: re.Pattern[AnyStr], data: Any, pos: int, floor: int, size: int,
                valid: Callable[[AnyStr], bool]) -> int | None:
    """The last possible stamp line starting in ``(floor, pos]``: a window before ``pos``
    is scanned, then the stretch before it, four times longer, and so on."""
    high = min(size, pos + 256)
    low = max(floor, pos - BACK)
    while True:
        starts = [(m.start(1), m.group(1)) for m in stamp_re.finditer(data, low, high)]
        found = _last_valid([(s, t) for s, t in starts if s <= pos], valid)
        if found is not None or low <= floor:
            return found
        # the next stretch back; its end overlaps this one by a stamp line's length
        high = min(size, low + 256)
        low = max(floor, low - 4 * (pos - low))


# --- the day order of year-last stamps (rule S4) -----------------------------------------


class DayOrder:
    """The file's day order, decided only when a year-last stamp needs it: from the
    configuration, else from the file's head and tail when they tell, else from all
    its stamps (one more pass)."""

    def __init__(self, configured: bool | None, sample: Callable[[], Iterable[str]],
                 whole: Callable[[], Iterable[str]]) -> None:
        self.configured = configured
        self._value = configured
        self._sample = sample
        self._whole = whole

    def __call__(self) -> bool:
        if self._value is None:
            self._value = self._infer()
        return self._value

    def _infer(self) -> bool:
        shown = shown_day_first(Candidate(m) for text in self._sample()
                                for m in find_stamp_lines(text))
        if shown is not None:
            return shown
        every = (Candidate(m) for text in self._whole() for m in find_stamp_lines(text))
        return infer_day_first(every)[0]


#: Stamps possible whatever the day order: 24-hour or AM/PM time, ISO date up to the
#: 28th, or a year-last date with both fields up to 12. Others are checked in full.
_SURE = re.compile(
    r"(?:(?:[01]?\d|2[0-3]):[0-5]\d|(?:0?[1-9]|1[0-2]):[0-5]\d (?:AM|PM)) +"
    r"(?:[1-9]\d{3}([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|1\d|2[0-8])"
    r"|(?:0?[1-9]|1[0-2])([-/.])(?:0?[1-9]|1[0-2])\2[1-9]\d{3})"
)

#: A line holding only a date, in the bytes of an ASCII-compatible file (a possible day
#: heading, FORMAT.md S6: the fast count, which counts spans between stamps, cannot be used).
_DATE_LINE_BYTES = re.compile(rb"(?:^|[\r\n])\d{1,4}([./-])\d{1,2}\1\d{1,4}[ \t]*(?:[\r\n]|$)")
_YEAR_LAST = re.compile(r"\d{1,2}([-/.])\d{1,2}\1\d{4}")
_SURE_BYTES = re.compile(_SURE.pattern.encode("ascii"))


def _possible(stamp_text: str, day_first: DayOrder) -> bool:
    """Whether a stamp-shaped line names a possible date and time (rule S5)."""
    return _SURE.fullmatch(stamp_text) is not None or _stamp_of(stamp_text, day_first) is not None


def _stamp_of(line: str, day_first: DayOrder) -> Stamp | None:
    """The stamp of a stamp-shaped line, None when its date or time is impossible (S5);
    the day order is asked for year-last dates only."""
    stamp = parse_stamp_line(line, True)
    if stamp is not None and stamp.shape.order == "ymd":
        return stamp
    if stamp is None and parse_stamp_line(line, False) is None:
        return None
    return parse_stamp_line(line, day_first())


# --- the bytes of ASCII-compatible files -----------------------------------------------


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

    required: _Finder
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
                    encoding: str) -> _Finder | None:
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


def _bytes_finder(query: Query, encoding: str, exact_codec: bool,
                  decode: Callable[[bytes], str]) -> tuple[_Finder, bool] | None:
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


def _single_byte(encoding: str) -> bool:
    try:
        return len(bytes(range(256)).decode(encoding, "surrogateescape")) == 256
    except LookupError:
        return False


class _BytesHay:
    """A file's bytes (a memory map) in an ASCII-compatible encoding."""

    def __init__(self, buf: Buffer, begin: int, finder: _Finder, encoding: str,
                 decode: Callable[[bytes], str], day_first: DayOrder) -> None:
        self.buf = buf
        self.begin = begin
        self.size = len(buf)
        self._find = finder.find
        self.decode = decode
        self.day_first = day_first
        self.lone_cr = _has_lone_cr(buf, begin)
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
        return _SURE_BYTES.fullmatch(text) is not None or _possible(self.decode(text),
                                                                     self.day_first)

    def first_stamp(self) -> int | None:
        first_line = re.split(rb"[\r\n]", self.buf[self.begin : self.begin + 256], maxsplit=1)[0]
        if first_line and _stamp_of(self.decode(first_line), self.day_first) is not None:
            return self.begin
        return self.next_stamp(self.begin)

    def next_stamp(self, pos: int) -> int | None:
        search, sure = self.stamp_re.search, _SURE_BYTES.fullmatch
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
        return _prev_stamp(self.stamp_re, self.buf, pos, floor, self.size, self._valid)

    def breaks(self, start: int, end: int) -> int:
        """Line breaks in ``[start, end)``, counted a slice at a time (CRLF once)."""
        total = 0
        step = 4 * 1024 * 1024
        for low in range(start, end, step):
            high = min(end, low + step)
            piece = self.buf[low:high]
            total += piece.count(b"\n")
            if self.lone_cr:
                total += piece.count(b"\r") - piece.count(b"\r\n")
                if piece.endswith(b"\r") and self.buf[high : high + 1] == b"\n":
                    total -= 1  # a CRLF cut in two: its LF counts it
            if isinstance(self.buf, mmap.mmap) and high - low == step:
                # read again to count: handed back again, or a long gap between two
                # hits would stay in memory
                first = low - low % _PAGE
                self.buf.madvise(mmap.MADV_DONTNEED, first, high - high % _PAGE - first)
        return total

    def release(self, upto: int) -> None:
        """Hand the pages before ``upto`` back (a map of a file, read-only): they are
        read again from the page cache if a look back needs them."""
        if not isinstance(self.buf, mmap.mmap) or upto - self._released < WINDOW:
            return
        cut = upto - upto % _PAGE
        self.buf.madvise(mmap.MADV_DONTNEED, 0, cut)
        self._released = cut


_LONE_CR = re.compile(rb"\r(?!\n)")


def _has_lone_cr(buf: Buffer, begin: int) -> bool:
    """Whether a CR not followed by LF breaks a line somewhere (a window at a time)."""
    found = False
    for low in range(begin, len(buf), WINDOW):
        high = min(len(buf), low + WINDOW + 1)
        cr = buf.find(b"\r", low, high)
        match = _LONE_CR.search(buf, cr, high) if cr >= 0 else None
        # the window's last byte is looked at again, with what follows, by the next one
        found = match is not None and (match.start() < high - 1 or high == len(buf))
        if isinstance(buf, mmap.mmap) and low >= _PAGE:
            buf.madvise(mmap.MADV_DONTNEED, 0, low - low % _PAGE)
        if found:
            break
    return found


# --- decoded text (UTF-16 files, patterns that need characters) -------------------------


class _TextHay:
    """A decoded piece of the file that starts at a stamp line (or at the file's start)."""

    def __init__(self, text: str, pattern: re.Pattern[str], day_first: DayOrder) -> None:
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
        return _possible(text, self.day_first)

    def first_stamp(self) -> int | None:
        first_line = split_lines(self.text[:256])[:1]
        if first_line and _stamp_of(first_line[0][0], self.day_first) is not None:
            return 0
        return self.next_stamp(0)

    def next_stamp(self, pos: int) -> int | None:
        while (match := self.stamp_re.search(self.text, pos)) is not None:
            if self._valid(match.group("stamp")):
                return match.start("stamp")
            pos = match.end()
        return None

    def prev_stamp(self, pos: int, floor: int) -> int | None:
        return _prev_stamp(self.stamp_re, self.text, pos, floor, self.size, self._valid)

    def breaks(self, start: int, end: int) -> int:
        return count_breaks(self.text, start, end)



def _pieces(buf: Buffer, codec: Codec, begin: int, end: int) -> Iterator[str]:
    """The text of ``buf[begin:end]`` decoded window by window."""
    decoder = codecs.getincrementaldecoder(codec.encoding)(codec.errors)
    for low in range(begin, end, WINDOW):
        high = min(end, low + WINDOW)
        text = decoder.decode(buf[low:high], final=high >= end)
        if isinstance(buf, mmap.mmap) and low >= _PAGE:
            buf.madvise(mmap.MADV_DONTNEED, 0, low - low % _PAGE)
        if text:
            yield text


def _segments(pieces: Iterable[str], day_first: DayOrder) -> Iterator[str]:
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


def _last_cut(text: str, stamp_re: re.Pattern[str], day_first: DayOrder) -> int:
    """Where the last complete stamp line of ``text`` starts (0 when there is none)."""
    reach = BACK
    while True:
        low = max(0, len(text) - reach)
        starts = [(m.start("stamp"), m.group("stamp")) for m in stamp_re.finditer(text, low)
                  if m.end() < len(text)]
        best = _last_valid(starts, lambda t: _possible(t, day_first))
        if best or low == 0:
            return best or 0
        reach *= 4


# --- searching a file ------------------------------------------------------------------


@dataclass
class Searcher:
    """A search over one file's bytes (a read-only memory map, or bytes)."""

    buf: Buffer
    query: Query
    options: ParseOptions = field(default_factory=ParseOptions)

    @cached_property
    def _bom_codec(self) -> Codec | None:
        return codec_from_head(self.buf)

    @cached_property
    def codec(self) -> Codec:
        """The file's codec (rule F2): the BOM, else UTF-8 when every byte is, else ANSI.
        Deciding between UTF-8 and ANSI reads the whole file, so it is asked only when
        non-ASCII text has to be decoded or a non-ASCII pattern encoded."""
        return detect(self.buf, ansi=self.options.ansi)

    @property
    def begin(self) -> int:
        bom = self.codec.bom if self._bom_codec is not None else b""
        return len(bom)

    def _end(self) -> int:
        size = len(self.buf)
        if self._bom_codec is not None and self._bom_codec.is_utf16 and (size - self.begin) % 2:
            size -= 1  # an odd last byte of a UTF-16 file is not text
        return size

    def decode(self, data: bytes) -> str:
        """Bytes of the file as text; ASCII reads the same in every ASCII-compatible
        codec, so it needs no decision between UTF-8 and ANSI."""
        if data.isascii() and (self._bom_codec is None or not self._bom_codec.is_utf16):
            return data.decode("ascii")
        return self.codec.decode(data)[0]

    @cached_property
    def day_order(self) -> DayOrder:
        def sample() -> list[str]:
            end = self._end()
            head = self.buf[self.begin : min(end, self.begin + SAMPLE)]
            low = max(self.begin, end - SAMPLE)
            low += (low - self.begin) % self.codec.unit
            return [self.decode(head), self.decode(self.buf[low:end])]

        def whole() -> Iterator[str]:
            return _line_pieces(_pieces(self.buf, self.codec, self.begin, self._end()))

        return DayOrder(self.options.day_first, sample, whole)

    def _ansi_like_ascii(self) -> bool:
        """Whether the ANSI code page writes stamps and plain strings as ASCII does
        and is one byte a character (cp1252 and the other Western pages)."""
        ansi = self.options.ansi
        return _single_byte(ansi) and all(
            not _encodable(ch, ansi) for ch in "\u200e\u200f\u061c\uc624\u4e0a\u5348")

    def _plan(self) -> tuple[_Finder, bool, str] | None:
        """The bytes search (finder, certain hits, stamp encoding), or None to search
        decoded text."""
        bom = self._bom_codec
        if bom is not None and bom.is_utf16:
            return None
        literals = self.query.literals
        ascii_query = (all(lit.isascii() for lit in literals) if literals is not None
                       else self.query.source.isascii())
        if bom is None and ascii_query and self._ansi_like_ascii():
            # UTF-8 or the Western ANSI page: the same bytes for all that is searched
            encoding, exact = "utf-8", True
        else:
            encoding = self.codec.encoding
            exact = encoding == "utf-8" or _single_byte(encoding)
        plan = _bytes_finder(self.query, encoding, exact, self.decode)
        return None if plan is None else (plan[0], plan[1], encoding)

    def count(self) -> int:
        """How many entries match (the fast path when hits need no line check)."""
        plan = self._plan()
        if plan is not None and plan[1] and _DATE_LINE_BYTES.search(self.buf, self.begin) is None:
            return _count(self._bytes_hay(plan[0], plan[2]))
        return sum(1 for _ in self.hits())  # day headings (S6) split spans: count entries

    def _bytes_hay(self, finder: _Finder, encoding: str) -> _BytesHay:
        return _BytesHay(self.buf, self.begin, finder, encoding, self.decode, self.day_order)

    def hits(self, keep: Callable[[Hit], bool] | None = None) -> Iterator[Hit]:
        """The matching entries in file order (``keep`` filters them further)."""
        plan = self._plan()
        if plan is None:
            yield from self._text_hits(keep)
            return
        finder, certain, encoding = plan
        for span in _scan(self._bytes_hay(finder, encoding), 1):
            source = self.decode(self.buf[span.start : span.end])
            hit = self._hit(span.line, source)
            for part in _by_heading(hit):
                if ((certain and part is hit) or _any_line(self.query, part.source)) \
                        and (keep is None or keep(part)):
                    yield part

    def _hit(self, line: int, source: str) -> Hit:
        codec = self.codec if not source.isascii() else self._bom_codec or Codec("utf-8")
        return Hit(line, source, codec, self.day_order)

    def _text_hits(self, keep: Callable[[Hit], bool] | None) -> Iterator[Hit]:
        pattern = self.query.block_re()
        line = 1
        for segment in _segments(_pieces(self.buf, self.codec, self.begin, self._end()),
                                 self.day_order):
            hay = _TextHay(segment, pattern, self.day_order)
            for span in _scan(hay, line):
                source = segment[span.start : span.end]
                for part in _by_heading(self._hit(span.line, source)):
                    if _any_line(self.query, part.source) and (keep is None or keep(part)):
                        yield part
            line += count_breaks(segment)


def _by_heading(hit: Hit) -> list[Hit]:
    """A hit whose span holds date-only day headings (FORMAT.md S6): one hit per entry
    of the span, each with its entry parsed already; else the hit itself."""
    if next(find_date_lines(hit.source), None) is None or len(hit.entry.doc.entries) < 2:
        return [hit]
    parts = []
    for entry in hit.entry.doc.entries:
        part = Hit(entry.line, entry.source, hit.codec, hit.day_order)
        part.__dict__.update(entry=entry, stamp=entry.stamp)  # the span's parse holds it
        parts.append(part)
    return parts


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _line_pieces(pieces: Iterable[str]) -> Iterator[str]:
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


def _any_line(query: Query, source: str) -> bool:
    return any(query.matches(content) for content, _ in split_lines(source))


def keep_filter(flt: EntryFilter) -> Callable[[Hit], bool] | None:
    """``flt`` as a test of hits: day range on the stamp alone, tags and kind on the
    parsed entry (only for hits that pass the day range)."""
    if flt == EntryFilter():
        return None

    def keep(hit: Hit) -> bool:
        day: date = hit.stamp.when.date()
        if (flt.since is not None and day < flt.since) or (flt.until is not None
                                                           and day > flt.until):
            return False
        if not flt.tags and flt.kind is None:
            return True
        return flt.matches(hit.entry)

    return keep


def search_text(text: str, query: Query, options: ParseOptions | None = None) -> list[Hit]:
    """The entries of a document's text that match (small inputs, tests)."""
    opts = options or ParseOptions()
    codec = Codec("utf-8")
    return list(Searcher(codec.encode(text), query, opts).hits())


