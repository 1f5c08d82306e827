"""worklog.format.check_stream: ``check`` over a text read in pieces reports exactly what
``check`` of the whole parsed document reports, and the same summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES, Runner, sample_names
from worklog.format.check import check, day_order_words
from worklog.format.check_stream import Summary, check_pieces
from worklog.format.document import Document, ParseOptions, parse
from worklog.format.encoding import not_text

LINES = [  # lines every check rule has something to say of, in several stamp shapes
    "09:15 2014-02-11", "9:15 2014-02-11", "10:20 2014-02-11", "08:00 2014-02-10",
    "10:20 2014-02-11", "9:15 AM 2/11/2014", "3:05 PM 11/02/2014", "14:02 13.02.2014",
    "14:02 2.3.2014", "2014-02-11", "11/02/2014", "2014-02-30", "25:99 2014-02-30",
    "10:00 2014-02-31", "  10:00 2014-02-11", "10:00 2014-02-11 and text", "\t9:15 AM 2/11/2014",
    "GTD", "email", "kvm, Snapshot", "0, 8:47", "0, 9:60", "1, today",
    "1), 9:05-9:33 answer Bruce. see\"09:15 2014-02-11\"", "2), 10:00-9:00 backwards",
    "3), 9:10-9:40 overlaps", "4), 1:00-14:00 too long", "5), 9:61-10:00 bad",
    'a link see"10:20 2014-02-11" and see"11:11 2014-02-11"', 'SEE"9:15 AM 2/11/2014"',
    "<<<<<<< ours", "=======", ">>>>>>> theirs", "<<<<<<< HEAD", "", "plain text", " ",
    "Olaf Kirch über snapshots", "\x00\x00", "\x07bell",
]
NEWLINES = ["\n", "\r\n", "\r"]


def pieces_of(text: str, size: int) -> Iterator[str]:
    for low in range(0, len(text), size):
        yield text[low : low + size]


def whole(doc: Document) -> Summary:
    return Summary(check(doc), len(doc.entries), doc.newline, day_order_words(doc) is not None,
                   doc.day_first, not_text(doc.text, doc.codec))


def streamed(doc: Document, size: int, options: ParseOptions | None = None) -> Summary:
    return check_pieces(lambda: pieces_of(doc.text, size), doc.codec, options)


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("name", sample_names())
def test_samples_check_the_same_streamed(name: str, size: int) -> None:
    doc = parse((SAMPLES / name).read_bytes())
    assert streamed(doc, size) == whole(doc)


@settings(max_examples=300, deadline=None)
@given(picks=st.lists(st.sampled_from(LINES), max_size=60),
       breaks=st.lists(st.sampled_from(NEWLINES), min_size=1, max_size=4),
       magic=st.booleans(), size=st.integers(1, 200),
       day_first=st.sampled_from([None, True, False]))
def test_generated_logs_check_the_same_streamed(picks: list[str], breaks: list[str],
                                                magic: bool, size: int,
                                                day_first: bool | None) -> None:
    lines = [".LOG"] * magic + picks
    text = "".join(line + breaks[n % len(breaks)] for n, line in enumerate(lines))
    options = ParseOptions(day_first=day_first)
    doc = parse(text.encode("utf-8"), options)
    assert streamed(doc, size, options) == whole(doc)


def test_a_piece_boundary_inside_a_crlf_keeps_line_numbers() -> None:
    text = ".LOG\r\n09:15 2014-02-11\r\n\r\n  10:00 2014-02-11\r\n<<<<<<< ours\r\n"
    doc = parse(text.encode("ascii"))
    cut = text.index("\r\n", 10) + 1  # the first piece ends between CR and LF
    found = check_pieces(lambda: iter([text[:cut], text[cut:]]), doc.codec)
    assert [(p.line, p.code) for p in found.problems] == [(4, "indented-stamp"), (5, "conflict")]
    assert found == whole(doc)


@pytest.mark.parametrize("name", sample_names())
def test_check_command_reports_as_the_whole_parse(run_cli: Runner, tmp_path: Path,
                                                  name: str) -> None:
    log = tmp_path / name
    log.write_bytes((SAMPLES / name).read_bytes())
    result = run_cli("--file", str(log), "check")
    doc = parse(log.read_bytes())
    expected = [f"{log}:{p.line}: {p.message} [{p.code}]" for p in check(doc)]
    assert result.out.splitlines() == expected
    assert f"{len(doc.entries)} entries, {doc.codec.label}" in result.err
