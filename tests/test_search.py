"""worklog.history.search: the bytes search finds exactly the entries a full parse says match."""

from __future__ import annotations

import mmap
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES, sample_names
from worklog.errors import UsageError
from worklog.format.document import ParseOptions, parse
from worklog.format.stamps import find_stamp_lines, stamp_line_bytes_re
from worklog.history import hays, scan, search
from worklog.history import query as query_mod
from worklog.history.filters import EntryFilter
from worklog.history.search import Query, Searcher, keep_filter, search_text

PATTERNS = [
    ("snapshot", {}),
    ("SNAPSHOT", {"ignore_case": True}),
    ("vm-snapshot-disk", {"fixed": True}),
    ("e$", {}),
    ("^[0-9]", {}),
    (r"\w+ü", {}),
    ("Jürgen", {}),
    ("jürgen", {"ignore_case": True}),
    ("a.b", {}),
    ("GTD|email", {}),
    (r"\d{2}:\d{2}", {}),
    (r"(?i)see\"", {}),
    ("(?i)snap", {}),
    (r"snap\w*", {}),
    ("스냅샷", {}),
    ("快照", {}),
    ("ñ|ö|é", {}),
    (r"[^a-z ]{4,}", {}),
    (r"\bkvm\b", {}),
    ("done\\)$", {}),
    ("1)", {"fixed": True}),
    (r"^$", {}),
    ("Ω", {}),
]


Row = tuple[Any, ...]


def expected(data: bytes, query: Query, options: ParseOptions | None = None) -> list[Row]:
    doc = parse(data, options)
    return [(e.line, e.stamp.when, e.source) for e in doc.entries
            if any(query.matches(content) for content, _ in e.lines)]


def found(data: bytes, query: Query, options: ParseOptions | None = None) -> list[Row]:
    return [(h.line, h.stamp.when, h.source) for h in Searcher(data, query, options
                                                                or ParseOptions()).hits()]


@pytest.mark.parametrize("name", sample_names())
@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_same_entries_as_a_full_parse(name: str, pattern: str, flags: dict[str, bool]) -> None:
    """Every sample (CRLF, UTF-16, cp1252, lone CRs, year-last stamps...): the hits,
    their line numbers and text are those of a full parse, and the count agrees."""
    data = (SAMPLES / name).read_bytes()
    query = Query(pattern, **flags)
    want = expected(data, query)
    assert found(data, query) == want
    assert Searcher(data, query).count() == len(want)


def test_counts_on_the_samples() -> None:
    """A few exact figures, so that a search that finds nothing cannot pass."""
    def count(name: str, pattern: str, **flags: bool) -> int:
        return Searcher((SAMPLES / name).read_bytes(), Query(pattern, **flags)).count()

    assert count("worklog.LOG", "vm-snapshot-disk") == 2
    assert count("de-DE-cp1252.LOG", "Jürgen") == 4
    assert count("de-DE-cp1252.LOG", "JÜRGEN", ignore_case=True) == 4
    assert count("utf16le.LOG", "snapshot", ignore_case=True) > 0
    assert count("ko-KR.LOG", "스냅샷") > 0
    assert count("ru-RU-day-headings.LOG", "о") == 9  # day headings start entries (S6)


def test_hit_values() -> None:
    data = (SAMPLES / "worklog.LOG").read_bytes()
    hits = list(Searcher(data, Query("Dropping virt-utils")).hits())
    assert [(h.line, h.stamp.text) for h in hits] == [(90, "10:26 2026-11-18")]
    hit = hits[0]
    assert hit.entry.kind == "email"
    assert hit.entry.tags == ["virtualization", "package"]
    assert hit.entry.line == 90
    assert hit.source.startswith("10:26 2026-11-18\n")
    assert hit.source.endswith("Priya\n\n")


def test_a_match_spanning_lines_is_not_a_match() -> None:
    text = ".LOG\n10:00 2014-02-11\nfoo\nbar\n"
    assert search_text(text, Query(r"foo\sbar")) == []
    assert [h.line for h in search_text(text, Query("foo$"))] == [2]


def test_the_preamble_and_impossible_stamps_are_not_entries() -> None:
    text = (".LOG\nnotes snapshot\n10:00 2014-02-30\n10:00 2014-02-11\nx\n"
            "10:00 2014-02-31\nsnapshot inside\n11:00 2014-02-11\ny\n")
    hits = search_text(text, Query("snapshot"))
    assert [(h.line, h.stamp.text) for h in hits] == [(4, "10:00 2014-02-11")]
    assert hits[0].source == "10:00 2014-02-11\nx\n10:00 2014-02-31\nsnapshot inside\n"


def test_line_numbers_with_crlf_and_lone_cr() -> None:
    data = b".LOG\r\n10:00 2014-02-11\r\nprogress 10%\r50%\r100%\r\n\r\n11:00 2014-02-11\r\nhit\r\n"
    hits = list(Searcher(data, Query("hit")).hits())
    assert [(h.line, h.stamp.text) for h in hits] == [(7, "11:00 2014-02-11")]
    assert expected(data, Query("hit"))[0][0] == 7


def test_year_last_stamps_use_the_files_day_order() -> None:
    """13/02/2014 tells the file is day first: 03/02 is then 3 February."""
    text = ".LOG\n09:00 13/02/2014\na\n\n09:00 03/02/2014\nfind me\n"
    hits = search_text(text, Query("find me"))
    assert [h.stamp.when.date() for h in hits] == [date(2014, 2, 3)]
    month_first = search_text(text, Query("find me"), ParseOptions(day_first=False))
    # configured month first: 13/02/2014 is impossible, so it is text of no entry
    assert [h.stamp.when.date() for h in month_first] == [date(2014, 3, 2)]


def test_filters_on_hits() -> None:
    data = (SAMPLES / "worklog.LOG").read_bytes()
    searcher = Searcher(data, Query("snapshot"))
    keep = keep_filter(EntryFilter(since=date(2026, 11, 20), kind="plan"))
    assert keep is not None
    kept = list(searcher.hits(keep))
    assert kept
    assert all(h.entry.kind == "plan" and h.stamp.when.date() >= date(2026, 11, 20)
                        for h in kept)
    assert keep_filter(EntryFilter()) is None


def test_bad_patterns_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="PATTERN: missing"):
        Query("(unclosed").line_re  # noqa: B018
    with pytest.raises(UsageError, match="empty"):
        Query("")
    with pytest.raises(UsageError, match="one line only"):
        Query("a\nb")


@pytest.mark.parametrize(
    ("pattern", "literals", "required", "safe"),
    [
        ("qemu-kvm", ("qemu-kvm",), ("qemu-kvm", False), True),
        ("Bruce|Olaf", ("Bruce", "Olaf"), None, True),
        (r"\bqemu-(kvm|img)\b", None, ("qemu-", False), True),
        (r"(?i)snapshot.*failed", None, ("snapshot", True), True),
        (r"exit \d+", None, ("exit ", False), False),
        ("a.b", None, None, False),
        ("a.*b", None, None, True),
        ("[^x]+y", None, None, True),
        ("[^x]y", None, None, False),
        (r"\Bfoo", None, ("foo", False), False),
        ("(?<=a)b", None, None, False),
        ("é", ("é",), None, False),
    ],
)
def test_pattern_analysis(pattern: str, literals: tuple[str, ...] | None,
                          required: tuple[str, bool] | None, safe: bool) -> None:
    query = Query(pattern)
    assert query.literals == literals
    assert query.required == required
    assert query.bytes_safe is safe


def test_line_anchors_hold_before_cr() -> None:
    assert query_mod._line_anchored(r"a$|[$^]\Z\A^[^x]") == (
        r"a(?=[\r\n]|\Z)|[$^](?=[\r\n]|\Z)(?:^|(?<=\r))(?:^|(?<=\r))[^x]")


def test_stamp_line_bytes_pattern_finds_the_text_patterns_lines() -> None:
    for name in sample_names():
        data = (SAMPLES / name).read_bytes()
        doc = parse(data)
        if doc.codec.is_utf16:
            continue
        text = doc.text
        want = [m.start("stamp") for m in find_stamp_lines(text) if m.start("stamp") > 0]
        body = data[len(doc.codec.bom):]
        lone = re.search(r"\r(?!\n)", text) is not None
        pattern = stamp_line_bytes_re(doc.codec.encoding, lone)
        got = [len(doc.codec.decode(body[: m.start("stamp")])[0]) for m in pattern.finditer(body)]
        assert got == want, name


def test_memory_map_and_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows much smaller than the file (so every hand-over is crossed) give the same
    hits as one window; the file is read through a memory map."""
    for module in (scan, hays, search):
        for name in ("WINDOW", "PAGE"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, 4096)
    entries = [f"{9 + i % 8:02d}:{i % 60:02d} 2014-02-{1 + i % 28:02d}\r\n"
               f"{'tag' if i % 3 else 'other'}\r\nline {i} {'needle' if i % 7 == 0 else ''}\r\n"
               + "filler text here\r\n" * (i % 5) + "\r\n" for i in range(400)]
    data = (".LOG\r\n" + "".join(entries)).encode()
    path = tmp_path / "big.LOG"
    path.write_bytes(data)
    for query in (Query("needle"), Query("NEEDLE", ignore_case=True), Query(r"e{2}dle$"),
                  Query(r"\w+dle"), Query("needle|line 13\\b")):
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0,
                                                  access=mmap.ACCESS_READ) as view:
            assert found(view, query) == expected(data, query), query  # type: ignore[arg-type]
            assert Searcher(view, query).count() == len(expected(data, query))


_LINES = st.sampled_from([
    "10:20 2014-02-11", "1:27 PM 2/10/2014", "13:27 10.02.2014", "10:00 2014-02-30",
    " 10:20 2014-02-11", "snapshot", "Snapshot ü", "GTD", "a, b", "see\"10:20 2014-02-11\"",
    "", "x.y", "ab", "스냅샷", "\u200e10:20 2014-02-11",
])
_BREAKS = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_LINES, _BREAKS), max_size=25),
       st.sampled_from(["snapshot", "(?i)snap", "^ab$", "a.b|y", r"\w+ü", "ü", "11", "^$",
                        "[^x]*b", r"\d\d:"]),
       st.sampled_from(["utf-8", "cp1252", "utf-16-le"]))
def test_property_same_as_full_parse(lines: list[tuple[str, str]], pattern: str,
                                     encoding: str) -> None:
    text = ".LOG\n" + "".join(content + brk for content, brk in lines)
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b""
    data = bom + text.encode(encoding, "replace")
    query = Query(pattern)
    assert found(data, query) == expected(data, query)
    assert Searcher(data, query).count() == len(expected(data, query))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 30), st.integers(0, 70), st.integers(0, 9999), st.integers(0, 40),
       st.integers(0, 40), st.sampled_from(["", " AM", " PM"]), st.sampled_from("-/."),
       st.booleans())
def test_sure_stamps_are_possible(hour: int, minute: int, year: int, a: int, b: int,
                                  marker: str, sep: str, year_first: bool) -> None:
    """The quick check that skips the full one never calls an impossible stamp possible."""
    date_text = (f"{year:04d}{sep}{a}{sep}{b}" if year_first else f"{a}{sep}{b}{sep}{year:04d}")
    text = f"{hour}:{minute:02d}{marker} {date_text}"
    if scan.SURE.fullmatch(text):
        order = search.DayOrder(None, list, list)
        assert scan.stamp_of(text, order) is not None
        assert scan.SURE_BYTES.fullmatch(text.encode())


#: A line holding a date alone, as its definition reads: the text between two line
#: breaks (CR, LF or CRLF) or the ends of the stretch, blanks after the date allowed.
DATE_LINE = re.compile(rb"\d{1,4}([./-])\d{1,2}\1\d{1,4}[ \t]*")
DATE_LINE_PARTS = st.lists(st.sampled_from(
    [b"1", b"12", b"2015", b"12345", b"-", b"/", b".", b" ", b"\t", b"\n", b"\r", b"\r\n",
     b"a", b"08:53 ", b"04", b"2014"]), max_size=14).map(b"".join)


@settings(max_examples=1000)
@given(data=DATE_LINE_PARTS, cut=st.tuples(st.integers(0, 60), st.integers(0, 60)))
@example(data=b"\r2015-04-08", cut=(0, 11)).via("a CR at the start")
@example(data=b"x\r\n1/2/2014 \r\n", cut=(0, 99)).via("CRLF")
@example(data=b"2014-02-10\n", cut=(1, 99)).via("a stretch from inside a line")
def test_date_lines_are_found_as_the_lines_of_the_stretch_read(
        data: bytes, cut: tuple[int, int]) -> None:
    """``has_date_lines`` (the byte search before the fast paths of tags and grep)
    answers as reading each line of the stretch would, with or without CRs."""
    start, stop = min(cut[0], len(data)), min(max(cut), len(data))
    lines = re.split(rb"\r\n|\r|\n", data[start:stop])
    assert hays.has_date_lines(data, start, stop) == any(
        DATE_LINE.fullmatch(line) is not None for line in lines)


@settings(max_examples=500)
@given(data=DATE_LINE_PARTS, cut=st.tuples(st.integers(0, 60), st.integers(0, 60)),
       window=st.integers(70, 90), pad=st.integers(0, 80), blanks=st.integers(0, 80))
@example(data=b"\n1/2/2014", cut=(0, 99), window=70, pad=65, blanks=0).via("cut in the date")
@example(data=b"\n1/2/2014 x", cut=(0, 99), window=70, pad=60, blanks=20).via(
    "blanks past the window, then text")
def test_date_lines_are_found_across_search_windows(
        data: bytes, cut: tuple[int, int], window: int, pad: int, blanks: int) -> None:
    """Searched a window at a time (so that memory follows a window), a date line cut
    by a window's end is found, and one that goes on past it with blanks then text is
    not: the same answer as reading each line."""
    data = b"x" * pad + data.replace(b" ", b" " * max(1, blanks), 1)
    start, stop = min(cut[0], len(data)), len(data) if max(cut) > 50 else min(
        max(cut) + pad, len(data))
    lines = re.split(rb"\r\n|\r|\n", data[start:stop])
    kept = hays.WINDOW
    hays.WINDOW = window
    try:
        found = hays.has_date_lines(data, start, stop)
    finally:
        hays.WINDOW = kept
    assert found == any(DATE_LINE.fullmatch(line) is not None for line in lines)
