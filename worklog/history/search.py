"""Searching a log for whole entries, fast: raw bytes first, entries only around the hits.

``worklog grep`` must stay near GNU grep's speed on years of history, so the file is never
parsed whole. The pattern (``worklog.history.query``) is looked for in the file's bytes (a
memory map, ``worklog.history.finders``); around each hit the entry's boundaries are
found by looking backwards and forwards for stamp lines (``worklog.history.scan``); the
entry is decoded and checked line by line, and the search goes on after its end.

- The bytes are searched directly when that finds every line the text pattern would
  (plain strings, and regular expressions whose meaning does not depend on how
  characters are encoded); otherwise, and always for UTF-16 files, the file is decoded
  piece by piece (pieces cut at stamp lines) and the text is searched
  (``worklog.history.hays``).
- Memory follows the size of a window, not of the file.

Nothing here prints: hits are values, streamed in file order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from worklog.format.constructs import split_lines
from worklog.format.document import Entry, ParseOptions, count_breaks, parse_text
from worklog.format.encoding import Codec, codec_from_head, detect
from worklog.format.stamps import (
    Candidate,
    Stamp,
    find_date_lines,
    find_stamp_lines,
    infer_day_first,
    shown_day_first,
)
from worklog.history.filters import EntryFilter
from worklog.history.finders import bytes_finder, single_byte
from worklog.history.hays import BytesHay, TextHay, has_date_lines
from worklog.history.query import Query
from worklog.history.scan import (
    YEAR_LAST,
    Buffer,
    count_entries,
    line_pieces,
    pieces,
    release_before,
    scan_spans,
    segments,
    stamp_of,
)

if TYPE_CHECKING:
    from worklog.history.finders import Finder

__all__ = ["DayOrder", "Hit", "Query", "Searcher", "keep_filter",
           "search_text"]

#: Head and tail read to infer the day order of year-last stamps (rule S4).
SAMPLE = 1024 * 1024


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
        stamp = stamp_of(self.stamp_line, self.day_order)
        assert stamp is not None  # hits start at a stamp line that was checked
        return stamp

    @cached_property
    def entry(self) -> Entry:
        """The entry parsed (tags, kind, links...), numbered as in the file."""
        # A year-last date anywhere in the entry (its stamp, a stamp-like line, a
        # see"STAMP") is read in the file's order, as a parse of the whole file would.
        day_first = self.day_order.configured
        if day_first is None and YEAR_LAST.search(self.source):
            day_first = self.day_order()
        doc = parse_text(self.source, self.codec, ParseOptions(day_first=day_first),
                         first_line=self.line)
        return doc.entries[0]



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


# --- searching a file ------------------------------------------------------------------


class MappedLog:
    """One file's bytes (a read-only memory map, or bytes) read as a log: its codec,
    decided only when needed, its text, its day order."""

    def __init__(self, buf: Buffer, options: ParseOptions | None = None) -> None:
        self.buf = buf
        self.options = options or ParseOptions()

    @cached_property
    def bom_codec(self) -> Codec | None:
        return codec_from_head(self.buf)

    @cached_property
    def codec(self) -> Codec:
        """The file's codec (rule F2): the BOM, else UTF-8 when every byte is, else ANSI.
        Deciding between UTF-8 and ANSI reads the whole file, so it is asked only when
        non-ASCII text has to be decoded or a non-ASCII pattern encoded."""
        return detect(self.buf, ansi=self.options.ansi,
                      read=lambda at: release_before(self.buf, at))

    @property
    def begin(self) -> int:
        bom = self.codec.bom if self.bom_codec is not None else b""
        return len(bom)

    def end(self) -> int:
        size = len(self.buf)
        if self.bom_codec is not None and self.bom_codec.is_utf16 and (size - self.begin) % 2:
            size -= 1  # an odd last byte of a UTF-16 file is not text
        return size

    def decode(self, data: bytes) -> str:
        """Bytes of the file as text; ASCII reads the same in every ASCII-compatible
        codec, so it needs no decision between UTF-8 and ANSI."""
        if data.isascii() and (self.bom_codec is None or not self.bom_codec.is_utf16):
            return data.decode("ascii")
        return self.codec.decode(data)[0]

    @cached_property
    def day_order(self) -> DayOrder:
        def sample() -> list[str]:
            end = self.end()
            head = self.buf[self.begin : min(end, self.begin + SAMPLE)]
            low = max(self.begin, end - SAMPLE)
            low += (low - self.begin) % self.codec.unit
            return [self.decode(head), self.decode(self.buf[low:end])]

        def whole() -> Iterator[str]:
            return line_pieces(pieces(self.buf, self.codec, self.begin, self.end()))

        return DayOrder(self.options.day_first, sample, whole)

    def ansi_like_ascii(self) -> bool:
        """Whether the ANSI code page writes stamps and plain strings as ASCII does
        and is one byte a character (cp1252 and the other Western pages)."""
        ansi = self.options.ansi
        return single_byte(ansi) and all(
            not _encodable(ch, ansi) for ch in "\u200e\u200f\u061c\uc624\u4e0a\u5348")

    def stamp_encoding(self) -> str | None:
        """The encoding stamp lines are searched in as bytes; None for UTF-16 files."""
        bom = self.bom_codec
        if bom is not None and bom.is_utf16:
            return None
        if bom is None and self.ansi_like_ascii():
            return "utf-8"  # UTF-8 or a Western ANSI page: stamps are the same bytes
        return self.codec.encoding

    def hit(self, line: int, source: str) -> Hit:
        codec = self.codec if not source.isascii() else self.bom_codec or Codec("utf-8")
        return Hit(line, source, codec, self.day_order)


@dataclass
class Searcher:
    """A search over one file's bytes (a read-only memory map, or bytes)."""

    buf: Buffer
    query: Query
    options: ParseOptions = field(default_factory=ParseOptions)
    #: The stretch searched, from a stamp line to a stamp line (or the text's end), and
    #: the line number of its start (``worklog.history.timeline``); None: the whole file.
    stretch: tuple[int, int, int] | None = None

    def _stretch(self) -> tuple[int, int, int]:
        return self.stretch or (self.log.begin, self.log.end(), 1)

    @cached_property
    def log(self) -> MappedLog:
        return MappedLog(self.buf, self.options)

    @property
    def codec(self) -> Codec:
        return self.log.codec

    @property
    def day_order(self) -> DayOrder:
        return self.log.day_order

    def _plan(self) -> tuple[Finder, bool, str] | None:
        """The bytes search (finder, certain hits, stamp encoding), or None to search
        decoded text."""
        bom = self.log.bom_codec
        if bom is not None and bom.is_utf16:
            return None
        literals = self.query.literals
        ascii_query = (all(lit.isascii() for lit in literals) if literals is not None
                       else self.query.source.isascii())
        if bom is None and ascii_query and self.log.ansi_like_ascii():
            # UTF-8 or the Western ANSI page: the same bytes for all that is searched
            encoding, exact = "utf-8", True
        else:
            encoding = self.codec.encoding
            exact = encoding == "utf-8" or single_byte(encoding)
        plan = bytes_finder(self.query, encoding, exact, self.log.decode)
        return None if plan is None else (plan[0], plan[1], encoding)

    def count(self) -> int:
        """How many entries match (the fast path when hits need no line check)."""
        plan = self._plan()
        if plan is not None and plan[1]:
            hay = self._bytes_hay(plan[0], plan[2])
            start, stop, _ = self._stretch()
            if not has_date_lines(self.buf, start, stop):
                return count_entries(hay)
        return sum(1 for _ in self.hits())  # day headings (S6) split spans: count entries

    def _bytes_hay(self, finder: Finder, encoding: str) -> BytesHay:
        start, stop, _ = self._stretch()
        return BytesHay(self.buf, start, finder, encoding, self.log.decode, self.day_order,
                        stop)

    def hits(self, keep: Callable[[Hit], bool] | None = None) -> Iterator[Hit]:
        """The matching entries in file order (``keep`` filters them further)."""
        plan = self._plan()
        if plan is None:
            yield from self._text_hits(keep)
            return
        finder, certain, encoding = plan
        for span in scan_spans(self._bytes_hay(finder, encoding), self._stretch()[2]):
            source = self.log.decode(self.buf[span.start : span.end])
            hit = self.log.hit(span.line, source)
            for part in _by_heading(hit):
                if ((certain and part is hit) or _any_line(self.query, part.source)) \
                        and (keep is None or keep(part)):
                    yield part

    def _text_hits(self, keep: Callable[[Hit], bool] | None) -> Iterator[Hit]:
        pattern = self.query.block_re()
        start, stop, line = self._stretch()
        for segment in segments(pieces(self.buf, self.codec, start, stop), self.day_order):
            hay = TextHay(segment, pattern, self.day_order)
            for span in scan_spans(hay, line):
                source = segment[span.start : span.end]
                for part in _by_heading(self.log.hit(span.line, source)):
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


