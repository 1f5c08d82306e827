"""The lossless parser: files, encodings, lines, entries (FORMAT.md F1-F5, E1, E3)."""

from __future__ import annotations

import codecs
import os
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA, SAMPLES, sample_names
from worklog.format.document import count_breaks, parse
from worklog.format.encoding import Codec, detect
from worklog.format.writer import text_lines

STAMPS = st.sampled_from(
    ["13:27 2014-02-10", "1:27 PM 2/10/2014", "오후 1:27 2014-02-10", "13:27 10.02.2014",
     "下午 01:27 2014/2/10", " 13:27 2014-02-10", "10:00 2014-02-30"]
)
LINE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=30
)
LINES = st.lists(st.one_of(STAMPS, LINE_TEXT, st.just(".LOG"), st.just("GTD")), max_size=25)
BREAKS = st.lists(st.sampled_from(["\n", "\r\n", "\r", ""]), min_size=25, max_size=25)


def _join(lines: list[str], breaks: list[str]) -> str:
    return "".join(line + brk for line, brk in zip(lines, breaks, strict=False))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_any_bytes_round_trip(data: bytes) -> None:
    """[F2] whatever the bytes, serialising the document gives them back."""
    assert parse(data).to_bytes() == data


@settings(max_examples=300)
@given(LINES, BREAKS, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom",
                                       "cp1252"]))
def test_any_text_round_trips_in_every_encoding(
    lines: list[str], breaks: list[str], encoding: str
) -> None:
    """[F1] [F2] [F4] text of stamps and prose, any line breaks, every supported encoding."""
    text = _join(lines, breaks)
    if encoding == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    elif encoding == "cp1252":
        data = text.encode("cp1252", errors="ignore")
    else:
        data = text.encode(encoding)
    doc = parse(data)
    assert doc.to_bytes() == data
    assert "".join(e.source for e in doc.entries) == doc.text[len(doc.preamble):]


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_round_trips(name: str) -> None:
    data = (SAMPLES / name).read_bytes()
    doc = parse(data)
    assert doc.to_bytes() == data
    assert doc.entries, name


@pytest.mark.parametrize(
    ("data", "encoding", "bom"),
    [
        (codecs.BOM_UTF8 + b".LOG\r\n", "utf-8", codecs.BOM_UTF8),
        (codecs.BOM_UTF16_LE + ".LOG\r\n".encode("utf-16-le"), "utf-16-le", codecs.BOM_UTF16_LE),
        (codecs.BOM_UTF16_BE + ".LOG\r\n".encode("utf-16-be"), "utf-16-be", codecs.BOM_UTF16_BE),
        (".LOG\r\n".encode("utf-16-le"), "utf-16-le", b""),
        (".LOG\r\n10:00 2014-02-10\r\n".encode("utf-16-be"), "utf-16-be", b""),
        (".LOG\nNürnberg\n".encode(), "utf-8", b""),
        (".LOG\nNürnberg 5 €\n".encode("cp1252"), "cp1252", b""),
    ],
)
def test_encoding_detection(data: bytes, encoding: str, bom: bytes) -> None:
    """[F1] the BOM decides; [F2] else UTF-16 magic, valid UTF-8, else the ANSI code page."""
    codec = detect(data)
    assert (codec.encoding, codec.bom) == (encoding, bom)
    doc = parse(data)
    assert doc.text.startswith(".LOG")
    assert doc.to_bytes() == data


def test_ansi_code_page_is_configurable() -> None:
    """[F2] the config key 'encoding' names the ANSI code page."""
    from worklog.format.document import ParseOptions  # noqa: PLC0415

    data = ".LOG\n10:00 2014-02-10\nПривет, мир.\n".encode("cp1251")
    doc = parse(data, ParseOptions(ansi="cp1251"))
    assert doc.entries[0].text == "Привет, мир."
    assert doc.to_bytes() == data


def test_odd_utf16_byte_and_lone_surrogates_are_kept() -> None:
    """[F2] a truncated UTF-16 file and a lone surrogate come back byte for byte."""
    data = codecs.BOM_UTF16_LE + ".LOG\r\n".encode("utf-16-le") + b"\x00\xd8A\x00" + b"\x41"
    doc = parse(data)
    assert doc.codec == Codec("utf-16-le", codecs.BOM_UTF16_LE)
    assert doc.to_bytes() == data


def test_magic_is_preamble_and_optional() -> None:
    """[F3] the magic is kept in the preamble; [F5] text before the first stamp is no entry."""
    doc = parse(b".LOG\nnotes for this file\n\n13:27 2014-02-10\nGTD\n")
    assert doc.preamble == ".LOG\nnotes for this file\n\n"
    assert len(doc.entries) == 1
    without = parse(b"13:27 2014-02-10\nhello there, all of you.\n")
    assert without.preamble == ""
    assert without.entries[0].text == "hello there, all of you."


def test_only_crlf_lf_and_cr_end_lines() -> None:
    """[F4] VT, FF, NEL and U+2028 do not end a line; a lone CR does."""
    text = ".LOG\r13:27 2014-02-10\rone\x0btwo\x0cthree\x85four\u2028five\r09:00 2014-02-11\n"
    doc = parse(text.encode())
    assert [e.line for e in doc.entries] == [2, 4]
    assert doc.entries[0].text_lines == ["one\x0btwo\x0cthree\x85four\u2028five"]
    assert count_breaks("a\r\nb\rc\nd") == 3


def test_entries_and_empty_entries() -> None:
    """[E1] an entry runs to the next stamp line; an empty entry (Notepad opened and saved)
    is an entry."""
    doc = parse(b".LOG\r\n13:27 2014-02-10\r\n\r\n13:30 2014-02-10\r\nGTD\r\n1), a\r\n")
    assert len(doc.entries) == 2
    first, second = doc.entries
    assert first.source == "13:27 2014-02-10\r\n\r\n"
    assert first.text == ""
    assert first.tags == []
    assert second.line == 4
    assert second.tags == ["GTD"]


def test_entry_text_leaves_out_edge_blank_lines() -> None:
    """[E3] the text is after the tags line, without leading and trailing blank lines."""
    doc = parse(b".LOG\n13:27 2014-02-10\nlibvirt\n\n\nbody one\n\nbody two\n\n\n")
    entry = doc.entries[0]
    assert entry.text == "body one\n\nbody two"
    assert entry.source.endswith("body two\n\n\n")


@pytest.mark.parametrize("space", ["\u3000", "\xa0", "\x0b", "\x0c", "\x85", "\u2028"])
def test_only_spaces_and_tabs_make_a_blank_line(space: str) -> None:
    """[E3] a line of other white space (ideographic space, NBSP, VT, FF, NEL, U+2028)
    is not a blank line: it stays in the entry text, where writer and reader agree."""
    doc = parse(f".LOG\n13:27 2014-02-10\n{space}\nbody\n \t\n{space}\n\n".encode())
    assert doc.entries[0].text == f"{space}\nbody\n \t\n{space}"
    assert text_lines(f"body\n{space}\n \t\n\n") == ["body", space]


def test_seed_twin_parses_into_five_entries(seed_twin: Path) -> None:
    """The seed's structure: 5 entries, their tags, kinds, e-mail fields and the link."""
    doc = parse(seed_twin.read_bytes())
    assert [(e.line, e.stamp.text) for e in doc.entries] == [
        (2, "13:27 2014-02-10"), (9, "09:56 2014-02-11"), (20, "10:02 2014-02-11"),
        (33, "10:19 2014-02-11"), (40, "10:20 2014-02-11"),
    ]
    assert [e.tags for e in doc.entries] == [
        ["GTD"], ["company", "colleague"], ["virtualization", "kvm", "package"], ["GTD"], [],
    ]
    assert [e.kind for e in doc.entries] == ["plan", "email", "email", "plan", "note"]
    email = doc.entries[2].email
    assert email is not None
    assert email.sender == '"Carl Meyer" <cmeyer@example.com>'
    assert email.subject == "[virt-devel] Proposed KVM related packaging changes"
    assert email.date == datetime(2014, 2, 11, 17, 47)
    assert doc.entries[1].email is not None
    assert doc.entries[1].email.date is None
    assert doc.entries[3].links == [datetime(2014, 2, 11, 10, 20)]
    assert doc.entries[3].links[0] == doc.entries[4].stamp.when


@pytest.mark.skipif(not os.environ.get("WORKLOG_SEED"), reason="set WORKLOG_SEED to a real log")
def test_real_seed_when_given() -> None:
    """The user's own log, when its path is given: five entries, kinds and the link."""
    data = Path(os.environ["WORKLOG_SEED"]).read_bytes()
    doc = parse(data)
    assert doc.to_bytes() == data
    assert [e.kind for e in doc.entries] == ["plan", "email", "email", "plan", "note"]
    assert doc.entries[3].links == [doc.entries[4].stamp.when]


def test_seed_twin_is_a_fresh_copy_per_test(seed_twin: Path, tmp_path: Path) -> None:
    """Tests append to ``seed_twin``: it is the test's own copy, never tests/data's."""
    original = (DATA / "seed-twin.LOG").read_bytes()
    assert seed_twin.parent == tmp_path
    assert seed_twin.read_bytes() == original
    with seed_twin.open("ab") as handle:
        handle.write(b"\n09:00 2014-02-12\nappended by a test\n")
    assert (DATA / "seed-twin.LOG").read_bytes() == original
