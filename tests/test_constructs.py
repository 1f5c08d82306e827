"""Tags lines, sections, items, links, e-mail headers, transcripts, records, kinds
(FORMAT.md E2, C1-C7, K1)."""

from __future__ import annotations

from datetime import datetime

import pytest

from worklog.format import constructs as c
from worklog.format import items as it
from worklog.format.document import parse


@pytest.mark.parametrize(
    ("line", "tags"),
    [
        ("GTD", ["GTD"]),
        ("company, colleague", ["company", "colleague"]),
        ("virtualization, kvm, package", ["virtualization", "kvm", "package"]),
        ("libvirt, 快照", ["libvirt", "快照"]),
        ("open source,c++,  net/ipv6", ["open source", "c++", "net/ipv6"]),
        ("GTD   ", ["GTD"]),
    ],
)
def test_tags_lines(line: str, tags: list[str]) -> None:
    """[E2] comma-separated short tags."""
    assert c.parse_tags_line(line) == tags


@pytest.mark.parametrize(
    "line",
    [
        "1, TODO",  # a number is not a tag: a section
        "late fix pushed.",  # a sentence end
        "Dear all,",  # an empty tag
        "see you at the meeting tomorrow",  # too many words
        " GTD",  # leading whitespace
        "0, 9:40",
        '"Olaf"_email_"Welcome"',
        "a" * 33,
        ",".join(["x"] * 11),
        "two  spaces",
        "",
    ],
)
def test_not_tags_lines(line: str) -> None:
    """[E2] what does not count as a tags line."""
    assert c.parse_tags_line(line) is None


def test_tags_compare_case_insensitively() -> None:
    """[E2] GTD and gtd are one tag: a plan either way."""
    doc = parse(b".LOG\n10:00 2014-02-10\ngtd\n1, today\n1), a\n")
    assert doc.entries[0].kind == "plan"


def test_sections_and_day_start() -> None:
    """[C1] `N, title`; `0, H:MM` is the day's start."""
    doc = parse(b".LOG\n10:19 2014-02-11\nGTD\n0, 9:40\n\n1, today\n1), a\n")
    entry = doc.entries[0]
    assert [(s.n, s.title) for s in entry.sections] == [(0, "9:40"), (1, "today")]
    assert entry.day_start == "9:40"
    assert it.day_start("25:00") is None


def test_items_ranges_and_states() -> None:
    """[C2] items with worked ranges, several and open; [C3] trailing state markers."""
    cases = {
        "1), 10:20-12:11 xl snapshot coding. see\"10:20 2014-02-11\"":
            ("xl snapshot coding. see\"10:20 2014-02-11\"", ["10:20-12:11"], "open", 111),
        "2), 9:10-9:40 13:00-14:05 review patch (done)":
            ("review patch", ["09:10-09:40", "13:00-14:05"], "done", 95),
        "3), 9:10-9:40, 15:10- fix rig": ("fix rig", ["09:10-09:40", "15:10-"], "active", 30),
        "4), write notes (DROPPED)": ("write notes", [], "dropped", 0),
        "5)plain": ("plain", [], "open", 0),
        "6), 23:30-0:15 night shift": ("night shift", ["23:30-00:15"], "open", 45),
        "7), 10:00-26:00 bad range stays text": ("10:00-26:00 bad range stays text", [], "open", 0),
    }
    for line, (text, ranges, state, minutes) in cases.items():
        item = it.parse_item(line)
        assert item is not None, line
        assert item.text == text, line
        assert [str(r) for r in item.ranges] == ranges, line
        assert item.state == state, line
        assert item.minutes == minutes, line
    assert it.parse_item("1, today") is None


def test_items_know_their_section() -> None:
    """[C1] [C2] items belong to the section above them."""
    doc = parse(b".LOG\n10:00 2014-02-10\nGTD\n1, today\n1), a\n2, later\n1), b\n")
    assert [(i.n, i.text, i.section) for i in doc.entries[0].items] == [(1, "a", 1), (1, "b", 2)]


def test_cross_references_in_any_stamp_shape() -> None:
    """[C4] see"STAMP" in any shape, `see` in any case."""
    text = 'a see"10:20 2014-02-11" b SEE"1:27 PM 2/10/2014" c see"오후 1:27 2014-02-10" d see"x"'
    assert c.find_links(text, day_first=False) == [
        datetime(2014, 2, 11, 10, 20), datetime(2014, 2, 10, 13, 27),
        datetime(2014, 2, 10, 13, 27),
    ]


def test_email_header_lines() -> None:
    """[C5] both forms, and a sender holding quotes."""
    plain = c.parse_email_header('"Olaf Kirch"_email_"devel] Welcome Roger Zhou"')
    assert plain == c.EmailHeader("Olaf Kirch", "devel] Welcome Roger Zhou", None)
    quoted = c.parse_email_header(
        '""Bruce Rogers" <brogers@suse.com>"_email_"[opensuse-virtual] Proposed KVM"_20140211_1747'
    )
    assert quoted == c.EmailHeader('"Bruce Rogers" <brogers@suse.com>',
                                   "[opensuse-virtual] Proposed KVM",
                                   datetime(2014, 2, 11, 17, 47))
    subject_quotes = c.parse_email_header('"A"_email_"Re: "quoted" words"')
    assert subject_quotes is not None
    assert subject_quotes.subject == 'Re: "quoted" words'
    assert c.parse_email_header("Olaf_email_Welcome") is None


def test_shell_transcripts() -> None:
    """[C6] a prompt line and its output up to a blank line or the next prompt."""
    lines = ["1, TODO", "bamvor@laptop-work:log> rpm -ql virt-utils", "/usr/bin/vm-snapshot-disk",
             "ann@host:~/src> ls", "a", "b", "", "not output"]
    found = c.find_transcripts(lines)
    assert [(t.user, t.host, t.directory, t.command, t.output) for t in found] == [
        ("bamvor", "laptop-work", "log", "rpm -ql virt-utils", ("/usr/bin/vm-snapshot-disk",)),
        ("ann", "host", "~/src", "ls", ("a", "b")),
    ]


def test_records_round_trip_with_escaped_values() -> None:
    """[C7] a headline, then key: value lines with line breaks escaped."""
    lines = c.format_record("snap", "web01", "ok", "internal snapshot x",
                            [("name", "x"), ("description", "two\nlines \\ here"),
                             ("error", "a\r\nb")])
    assert lines == ["worklog snap web01: ok, internal snapshot x", "name: x",
                     "description: two\\nlines \\\\ here", "error: a\\nb"]
    record = c.parse_record([*lines, "", "free text: not a field"])
    assert record is not None
    assert (record.action, record.subject, record.result) == ("snap", "web01", "ok")
    assert record.fields == {"name": "x", "description": "two\nlines \\ here", "error": "a\nb"}
    assert c.parse_record(["worklog is great"]) is None


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("snapshot, web01\nworklog snap web01: ok\nresult: ok\n", "snapshot"),
        ("snapshot, web01\nworklog revert web01: failed\n", "snapshot"),
        ("build\nworklog run make: exit 2\nexit: 2\n", "command"),
        ("GTD\n1, today\n1), a\n", "plan"),
        ("company\n\"A\"_email_\"B\"\nbody\n", "email"),
        ("\"A\"_email_\"B\"\nbody\n", "email"),
        ("1, TODO\nsomething\n", "note"),
        ("", "note"),
    ],
)
def test_kinds(body: str, kind: str) -> None:
    """[K1] the first kind that applies."""
    doc = parse(f".LOG\n10:00 2014-02-10\n{body}".encode())
    assert doc.entries[0].kind == kind


def test_clock_helpers() -> None:
    assert it.parse_hm("9:40") == (9, 40)
    assert it.parse_hm("09:40") == (9, 40)
    assert it.parse_hm("24:00") is None
    assert it.parse_hm("9:60") is None
    assert it.parse_hm("9.40") is None
    assert it.format_hm((9, 5)) == "9:05"
    assert it.format_hm((9, 5), pad=True) == "09:05"
    assert it.span_minutes((23, 30), (0, 15)) == 45
    assert it.format_minutes(365) == "6h05"
