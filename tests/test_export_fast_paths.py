"""The shortcuts of the exports give what the plain ways give, on generated text.

- Markdown: a body of plain paragraphs is escaped in a few passes over its whole text;
  the reference renders each line on its own (``escape_markdown`` line by line, every
  body through the line-by-line path).
- JSON: records are encoded as ASCII first; the reference is ``json.dumps`` with
  ``ensure_ascii=False``.
- Entries: the kind, record and e-mail header read from the first text line, and the
  remembered tags lines, give what the whole text gives.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worklog.format import constructs as c
from worklog.format.document import parse
from worklog.history import formats
from worklog.history.export import json_array
from worklog.history.formats import escape_markdown, escape_markdown_lines, markdown

#: Characters that Markdown, the item grammar, prompts and links care about.
TRICKY = "ab -+=19.)>\\`*_[]<>#|~&@:\"seE\t\x0b\x0c\x85\u3000\u2028ü字"
LINES = [
    "1), 9:05-10:40 review, see\"09:31 2026-11-16\" (done)", "2), drop it (dropped)",
    "3)x", "ann@laptop:~/src> make check", "ann@laptop:~/src> ls", " Target   Source",
    "see\"09:31 2026-11-16\" - then", "SEE\"9:31 2026-11-16\"", "see\"bogus\"", "- item",
    "1. first", "  + plus", "= eq", "> quote", "\x0c", "   ", "\u3000", "", "\t",
    "worklog snap web01: ok, 2 disks", "domain: web01", "result: ok", "domain: twice",
    '"Marta Keller"_email_"Re: qemu"_20261116_0917', "1, TODO", "0, 8:50", "2, more",
    "a *b* _c_ [d](e) <f> #g |h| ~i~ &j; \\k `l` ```", "12345678901. long",
]
LINE = st.sampled_from(LINES) | st.text(alphabet=TRICKY, max_size=24)
ENTRY = st.tuples(
    st.sampled_from(["09:31", "09:32", "10:00", "11:15"]),
    st.sampled_from([None, "GTD", "email", "kvm, Snapshot", "1, TODO"]),
    st.lists(LINE, max_size=12),
)
LOG = st.tuples(st.lists(ENTRY, min_size=1, max_size=6), st.sampled_from(["\n", "\r\n", "\r"]))


def log_bytes(entries: list[tuple[str, str | None, list[str]]], newline: str) -> bytes:
    lines = [".LOG"]
    for clock, tags, body in entries:
        lines += [f"{clock} 2026-11-16", *([tags] if tags is not None else []), *body]
    return (newline.join(lines) + newline).encode("utf-8")


def rendered(data: bytes) -> str:
    doc = parse(data)
    return "".join(markdown(doc.entries, "t.LOG", {e.stamp.when for e in doc.entries}))


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.text(alphabet=TRICKY, max_size=30), max_size=8).map("\n".join))
def test_markdown_escapes_whole_text_as_each_line(text: str) -> None:
    assert escape_markdown_lines(text) == "\n".join(escape_markdown(line)
                                                    for line in text.split("\n"))


def test_markdown_escapes_markers_after_blanks_on_every_line() -> None:
    assert escape_markdown_lines("- a\n  1. b\n+\n#c\n> d\n2), e") == (
        "\\- a\n  1\\. b\n\\+\n\\#c\n\\> d\n2), e")


@settings(max_examples=200, deadline=None)
@given(log=LOG)
def test_markdown_is_what_line_by_line_rendering_gives(
        log: tuple[list[tuple[str, str | None, list[str]]], str]) -> None:
    data = log_bytes(*log)
    fast = rendered(data)
    with pytest.MonkeyPatch.context() as patch:  # every body line by line, each line alone
        patch.setattr(formats, "_is_plain", lambda body: False)
        patch.setattr(formats, "escape_markdown_lines", lambda text: "\n".join(
            escape_markdown(line) for line in text.split("\n")))
        assert fast == rendered(data)


JSON_TEXT = st.text(alphabet=st.characters(blacklist_categories=()) | st.sampled_from(
    list("\\u\"\x7f\x00\x1f\b\f\n\r\t")), max_size=20)
RECORD = st.dictionaries(st.sampled_from(["stamp", "text", "tags", "email", "line"]),
                         JSON_TEXT | st.integers() | st.none() | st.lists(JSON_TEXT, max_size=3)
                         | st.dictionaries(st.just("from"), JSON_TEXT), max_size=5)


@settings(max_examples=300, deadline=None)
@given(records=st.lists(RECORD, max_size=6))
def test_json_array_is_what_json_dumps_writes(records: list[dict[str, Any]]) -> None:
    expected = ("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
                + "\n]\n") if records else "[]\n"
    assert "".join(json_array(records)) == expected


@settings(max_examples=200, deadline=None)
@given(log=LOG)
def test_entry_reads_what_its_whole_text_gives(
        log: tuple[list[tuple[str, str | None, list[str]]], str]) -> None:
    for entry in parse(log_bytes(*log)).entries:
        lines = entry.text_lines
        record = c.parse_record(lines)
        assert entry.record == record
        assert entry.kind == c.kind_of(entry.tags, lines, record)
        header = c.parse_email_header(lines[0]) if lines else None
        assert entry.email == (header if entry.kind == "email" else None)
        second = entry.lines[1][0] if len(entry.lines) > 1 else None
        assert entry.tags == ((c.parse_tags_line(second) or []) if second is not None else [])


def test_entry_tags_are_its_own_list() -> None:
    """Entries with the same tags line share no list: changing one changes no other."""
    first, second = parse(b"09:00 2026-11-16\nkvm, lab\na\n10:00 2026-11-16\nkvm, lab\nb\n").entries
    first.tags.append("changed")
    assert second.tags == ["kvm", "lab"]
