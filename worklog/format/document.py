"""The lossless parser: bytes in, a document of entries out, and the same bytes back.

``parse(data).to_bytes() == data`` for every ``data``. The document keeps the decoded
text whole; entries are spans of it, so nothing is ever re-rendered. Constructs
(tags, items, links...) are read lazily from an entry's lines, on demand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from itertools import pairwise
from typing import Any, Generic, Self, TypeVar, overload

from worklog.format import constructs as c
from worklog.format import items as it
from worklog.format.encoding import DEFAULT_ANSI, Codec, detect, split_bom
from worklog.format.patterns import lazy
from worklog.format.stamps import (
    DEFAULT_SHAPE,
    Candidate,
    Shape,
    Stamp,
    date_shape,
    earlier,
    find_date_lines,
    find_stamp_lines,
    heading_from_match,
    infer_day_first,
    stamp_from_match,
)

_BREAK_RE = lazy(r"\r\n|\r|\n")
_LEADING_BLANK_RE = lazy(r"(?:[ \t]*(?:\r\n|\r|\n))*")
_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """``functools.cached_property`` without its lock: Python 3.11 takes a lock on each
    first read (about a microsecond, 0.3 s over the 36,545 entries of a 100 MB export);
    3.12 dropped it. Entries are read by one thread. The value is stored in the instance,
    which then shadows this descriptor."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> Self | _T:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


@dataclass(frozen=True)
class ParseOptions:
    """What the configuration may decide instead of the file: day order and ANSI code page."""

    day_first: bool | None = None
    ansi: str = DEFAULT_ANSI


@lru_cache(maxsize=1024)
def _tags_of_line(line: str, next_line: str | None = None) -> tuple[str, ...] | None:
    """``parse_tags_line``, remembered: a log has few distinct tags lines (the next line
    only given for a capitalised word, E2)."""
    tags = c.parse_tags_line(line, next_line)
    return None if tags is None else tuple(tags)


def count_breaks(text: str, start: int = 0, end: int | None = None) -> int:
    """Line breaks in ``text[start:end]``; CRLF counts once, a lone CR or LF once."""
    stop = len(text) if end is None else end
    lone = text.count("\r", start, stop)
    feeds = text.count("\n", start, stop)
    return feeds + lone - text.count("\r\n", start, stop) if lone else feeds


@dataclass(eq=False)
class Entry:
    """One entry: a stamp line and the lines up to the next stamp line (rule E1)."""

    doc: Document = field(repr=False)
    start: int  # offset of the stamp line in doc.text
    end: int  # offset of the next entry (or the end of the text)
    stamp: Stamp
    line: int  # 1-based line number of the stamp line (relative for partial documents)

    @cached_property
    def source(self) -> str:
        """The entry exactly as written, stamp line and trailing blank lines included."""
        return self.doc.text[self.start : self.end]

    @cached_property
    def lines(self) -> list[tuple[str, str]]:
        """(content, line break) pairs of the entry, the stamp line first."""
        return c.split_lines(self.source)

    @cached_property
    def _line_ends(self) -> tuple[int, int]:
        """Offsets in ``source`` just past the stamp line's break and the second line's."""
        src = self.source
        first = _BREAK_RE.search(src)
        if first is None:
            return len(src), len(src)
        second = _BREAK_RE.search(src, first.end())
        return first.end(), len(src) if second is None else second.end()

    @cached_property
    def _tags_line(self) -> list[str] | None:
        first, second = self._line_ends
        if first == len(self.source):
            return None
        src = self.source
        line = src[first:second].rstrip("\r\n")
        if not c.starts_sentence(line) or second == len(src):
            tags = _tags_of_line(line)
        else:
            after = _BREAK_RE.search(src, second)
            tags = _tags_of_line(line, src[second : after.start() if after else len(src)])
        return None if tags is None else list(tags)

    @property
    def tags(self) -> list[str]:
        return self._tags_line or []

    @property
    def has_tags_line(self) -> bool:
        return self._tags_line is not None

    @cached_property
    def text_span(self) -> tuple[int, int]:
        """Indexes into ``lines`` of the entry text (rule E3): first, one past last."""
        first = 2 if self.has_tags_line else 1
        last = len(self.lines)
        while first < last and not self.lines[first][0].strip(" \t"):
            first += 1
        while last > first and not self.lines[last - 1][0].strip(" \t"):
            last -= 1
        return first, last

    @cached_property
    def text(self) -> str:
        """The entry text (rule E3): after the tags line, without leading and trailing
        blank lines, line breaks as LF. Sliced from the source, not split into lines."""
        src = self.source
        start = self._line_ends[1] if self.has_tags_line else self._line_ends[0]
        blank = _LEADING_BLANK_RE.match(src, start)
        start = blank.end() if blank else start
        last = len(src.rstrip(" \t\r\n"))
        if last <= start:
            return ""
        end_break = _BREAK_RE.search(src, last)
        body = src[start : end_break.start() if end_break else len(src)]
        if "\r" in body:
            body = body.replace("\r\n", "\n").replace("\r", "\n")
        return body

    @cached_property
    def text_lines(self) -> list[str]:
        return self.text.split("\n") if self.text else []

    @cached_property
    def _opening(self) -> list[str]:
        """The first line of the entry text alone (none when it is empty): what the kind
        (K1) and a record's headline (C7) are read from, without splitting the text."""
        return [self.text.partition("\n")[0]] if self.text else []

    @cached_property
    def record(self) -> c.Record | None:
        if c.parse_record(self._opening) is None:  # no headline (C7): no record
            return None
        return c.parse_record(self.text_lines)

    @cached_property
    def kind(self) -> c.Kind:
        return c.kind_of(self.tags, self._opening, self.record)

    @cached_property
    def links(self) -> list[datetime]:
        return c.find_links(self.source, self.doc.day_first)

    @cached_property
    def email(self) -> c.EmailHeader | None:
        return c.parse_email_header(self._opening[0]) if self.kind == "email" else None

    @cached_property
    def items(self) -> list[it.Item]:
        """Numbered items, with the section each stands in; indexes are into ``lines``."""
        items: list[it.Item] = []
        section: int | None = None
        for index, (content, _) in enumerate(self.lines[1:], start=1):
            sec = it.parse_section(content, index)
            if sec is not None:
                section = sec.n
                continue
            item = it.parse_item(content, index, section)
            if item is not None:
                items.append(item)
        return items

    @cached_property
    def sections(self) -> list[it.Section]:
        found = (it.parse_section(content, i) for i, (content, _) in enumerate(self.lines))
        return [s for s in found if s is not None]

    @property
    def day_start(self) -> str | None:
        for section in self.sections:
            if section.n == 0:
                return it.day_start(section.title)
        return None

    @cached_property
    def transcripts(self) -> list[c.Transcript]:
        return c.find_transcripts([content for content, _ in self.lines])

    @property
    def day(self) -> date:
        return self.stamp.when.date()


@dataclass(eq=False)
class Document:
    """A parsed log: its codec, its text, its entries, and what looked wrong."""

    codec: Codec
    text: str
    trailer: bytes = b""
    entries: list[Entry] = field(default_factory=list)
    day_first: bool = True
    day_order_decided: bool = True
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, text) of S5 lines
    #: (line, text) of date-only lines not taken as day headings (S6): the shape differs
    #: from every stamp's, or the date is impossible.
    stray_dates: list[tuple[int, str]] = field(default_factory=list)
    first_line: int = 1

    @property
    def preamble(self) -> str:
        return self.text[: self.entries[0].start] if self.entries else self.text

    def to_bytes(self) -> bytes:
        return self.with_text(self.text)

    @property
    def newline(self) -> str:
        """The file's newline: the one of its last line break; LF without any (rule W2)."""
        return last_newline(self.text) or "\n"

    def writing_shape(self, evidence: int = 500) -> Shape:
        """The shape new stamps take: the latest stamp's (rule W1), its unknown padding
        filled from up to ``evidence`` earlier stamps."""
        if not self.entries:
            return DEFAULT_SHAPE
        timed = [e for e in self.entries[-evidence:] if e.stamp.has_time]
        if not timed:
            return DEFAULT_SHAPE
        latest = timed[-1].stamp.shape
        others = (e.stamp.shape for e in reversed(timed[:-1]))
        return latest.resolve_padding(others)

    def with_text(self, text: str) -> bytes:
        """The file's bytes with ``text`` in place of the document's text."""
        return self.codec.bom + self.codec.encode(text) + self.trailer


def backward_steps(entries: list[Entry]) -> list[tuple[Entry, Entry]]:
    """The pairs of consecutive entries whose second stamp is earlier than the first."""
    return [(a, b) for a, b in pairwise(entries) if earlier(b.stamp, a.stamp)]


def newest_first(entries: list[Entry]) -> bool:
    """Whether entries are written newest-first (each day above the one before): more
    steps back in time than forward, and at least two."""
    back = len(backward_steps(entries))
    return back >= 2 and back > len(entries) - 1 - back


def last_newline(text: str) -> str | None:
    """The last line break in ``text`` (CRLF, LF or CR), or None."""
    pos = max(text.rfind("\n"), text.rfind("\r"))
    if pos < 0:
        return None
    if text[pos] == "\n":
        return "\r\n" if pos > 0 and text[pos - 1] == "\r" else "\n"
    return "\r"


def parse(data: bytes, options: ParseOptions | None = None, codec: Codec | None = None) -> Document:
    """Parse a whole file's bytes."""
    opts = options or ParseOptions()
    chosen = codec or detect(data, ansi=opts.ansi)
    text, trailer = chosen.decode(split_bom(data, chosen))
    return parse_text(text, chosen, opts, trailer=trailer)


def parse_text(
    text: str,
    codec: Codec,
    options: ParseOptions | None = None,
    *,
    trailer: bytes = b"",
    first_line: int = 1,
    shapes: set[tuple[bool, str]] | None = None,
) -> Document:
    """Parse decoded text; ``first_line`` numbers its first line (for a file's tail);
    ``shapes``, the date shapes of the stamps of the whole file when ``text`` is a
    piece of it (a date line of another shape is no day heading, S6)."""
    opts = options or ParseOptions()
    candidates = [Candidate(m) for m in find_stamp_lines(text)]
    day_first, decided = infer_day_first(candidates, opts.day_first)
    doc = Document(codec, text, trailer, day_first=day_first, day_order_decided=decided,
                   first_line=first_line)
    stamps = [(c.match, stamp_from_match(c.match, day_first)) for c in candidates]
    if shapes is None:
        shapes = {date_shape(m) for m, stamp in stamps if stamp is not None}
    marks: list[tuple[re.Match[str], Stamp | None, bool]] = [(m, s, True) for m, s in stamps]
    if shapes:
        marks += [(m, heading_from_match(m, day_first), False) for m in find_date_lines(text)]
        marks.sort(key=lambda mark: mark[0].start("stamp"))
    line = first_line
    pos = 0
    previous: Entry | None = None
    feeds_only = "\r" not in text  # then a line break is a LF: one count, not three
    for match, stamp, timed in marks:
        start = match.start("stamp")
        line += text.count("\n", pos, start) if feeds_only else count_breaks(text, pos, start)
        pos = start
        if stamp is None or (not timed and date_shape(match) not in shapes):
            (doc.rejected if timed else doc.stray_dates).append((line, match.group("stamp")))
            continue
        if previous is not None:
            previous.end = start
        previous = Entry(doc, start, len(text), stamp, line)
        doc.entries.append(previous)
    return doc
