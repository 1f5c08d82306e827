"""Day plans as pure functions: the day's view, carry-over, plan text and item edits."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.conftest import SAMPLES
from worklog.day import plan as pl
from worklog.errors import UsageError, WorklogError
from worklog.format.constructs import Range, parse_item
from worklog.format.document import Document, Entry, parse


def sample_doc(name: str = "worklog.LOG") -> Document:
    return parse((SAMPLES / name).read_bytes())


def doc_of(text: str) -> Document:
    return parse(text.encode())


def plan_entry(body: str, stamp: str = "09:20 2026-11-26", newline: str = "\n") -> Entry:
    text = f".LOG\n{stamp}\nGTD\n0, 8:40\n\n1, today\n{body}".replace("\n", newline)
    entries = doc_of(text).entries
    assert entries[-1].kind == "plan"
    return entries[-1]


def item_lines(edit: pl.Edit) -> list[str]:
    return [content for content, _ in edit.lines if parse_item(content) is not None]


# --- finding plans, carry-over ----------------------------------------------------------


def test_day_view_of_a_day_with_a_running_item() -> None:
    view = pl.day_view(sample_doc().entries, date(2026, 11, 25), datetime(2026, 11, 25, 16, 0))
    assert view.plan is not None
    assert view.plan.stamp.text == "09:20 2026-11-25"
    assert view.start == "8:40"
    assert [(i.n, i.state, [str(r) for r in i.ranges], i.minutes) for i in view.items] == [
        (1, "done", ["09:25-10:05"], 40),
        (2, "done", ["10:10-12:15", "13:00-15:05"], 250),
        (3, "active", ["15:10-"], 0),
        (4, "open", [], 0),
    ]
    assert view.worked_minutes == 290
    assert view.running == pl.Running(3, (15, 10), 50)
    assert [e.stamp.text for e in view.entries] == ["08:41 2026-11-25", "09:05 2026-11-25"]


def test_running_minutes_only_on_the_day_itself() -> None:
    view = pl.day_view(sample_doc().entries, date(2026, 11, 25), datetime(2026, 11, 26, 9, 0))
    assert view.running == pl.Running(3, (15, 10), None)
    assert view.worked_minutes == 290


def test_several_plans_in_one_day_the_latest_counts() -> None:
    view = pl.day_view(sample_doc().entries, date(2026, 11, 24), datetime(2026, 11, 24, 18, 0))
    assert view.plan is not None
    assert view.plan.stamp.text == "11:52 2026-11-24"
    assert len(view.items) == 5
    assert view.worked_minutes == 150 + 75 + 90 + 10
    kinds = [(e.stamp.text, e.kind) for e in view.entries]
    assert kinds == [("08:55 2026-11-24", "plan"), ("11:34 2026-11-24", "email"),
                     ("15:22 2026-11-24", "note"), ("16:41 2026-11-24", "snapshot")]
    assert pl.entry_summary(view.entries[0]) == "plan with 3 items (replaced by a later plan)"


def test_carry_over_after_a_day_left_running() -> None:
    """Open and active items come as open, without ranges, dated by their plan's day."""
    view = pl.day_view(sample_doc().entries, date(2026, 11, 26), datetime(2026, 11, 26, 9, 0))
    assert view.plan is None
    assert view.source is not None
    assert view.source.stamp.text == "09:20 2026-11-25"
    assert view.items == [
        pl.PlanItem(1, "release notes for vmbackup 0.4", "open", (), date(2026, 11, 25)),
        pl.PlanItem(2, "revert test on db-02: external revert needs libvirt 9.9", "open", (),
                    date(2026, 11, 25)),
    ]
    assert view.left_running is not None
    assert view.left_running.n == 3
    assert view.worked_minutes == 0
    assert view.start is None


def test_carry_over_across_a_weekend() -> None:
    view = pl.day_view(sample_doc().entries, date(2026, 11, 22), datetime(2026, 11, 22, 9, 0))
    assert view.source is not None
    assert view.source.day == date(2026, 11, 20)
    assert [(i.text, i.carried_from) for i in view.items] == [
        ('vmbackup: tests for the raw disk check. see"16:12 2026-11-20"', date(2026, 11, 20)),
        ("snapshot db-02, then put qemu 8.2.6 on it", date(2026, 11, 20)),
    ]


def test_carry_over_keeps_the_first_day_and_crosses_weeks() -> None:
    doc = doc_of(".LOG\n09:00 2026-10-02\nGTD\n0, 9:00\n\n1, today\n"
                 "1), 9:00-10:00 fix migration (from 2026-09-28)\n"
                 "2), write docs\n3), old thing (dropped)\n4), 9:10- port tests (from x)\n\n"
                 "10:00 2026-10-20\nnotes only, for weeks.\n")
    view = pl.day_view(doc.entries, date(2026, 11, 2), datetime(2026, 11, 2, 9, 0))
    assert [(i.n, i.text, i.carried_from) for i in view.items] == [
        (1, "fix migration", date(2026, 9, 28)),
        (2, "write docs", date(2026, 10, 2)),
        (3, "port tests (from x)", date(2026, 10, 2)),
    ]


def test_no_earlier_plan_at_all() -> None:
    doc = doc_of(".LOG\n09:00 2026-11-25\nlab\na note.\n")
    view = pl.day_view(doc.entries, date(2026, 11, 26), datetime(2026, 11, 26, 9, 0))
    assert view.items == []
    assert view.source is None
    assert view.plan is None


def test_previous_plan_is_the_latest_of_the_latest_day() -> None:
    entries = sample_doc().entries
    previous = pl.previous_plan(entries, date(2026, 11, 25))
    assert previous is not None
    assert previous.stamp.text == "11:52 2026-11-24"
    assert pl.latest_plan(entries, date(2026, 11, 21)) is None
    assert [e.stamp.text for e in pl.day_plans(entries, date(2026, 11, 24))] == [
        "08:55 2026-11-24", "11:52 2026-11-24"]


def test_enough_for_wants_the_whole_day_and_the_previous_plan() -> None:
    entries = sample_doc().entries
    cut = next(i for i, e in enumerate(entries) if e.stamp.text == "09:20 2026-11-25")

    def tail_from(index: int) -> Document:
        text = "".join(e.source for e in entries[index:])
        return parse(("stray rest of an entry\n" + text).encode())

    need_day = pl.enough_for(date(2026, 11, 25), previous=False)
    assert not need_day(tail_from(cut))
    assert need_day(tail_from(cut - 3))  # 09:05 2026-11-25... back to 16:41 2026-11-24
    need_previous = pl.enough_for(date(2026, 11, 26), previous=True)
    assert not need_previous(tail_from(cut + 1))
    assert need_previous(tail_from(cut))


def test_is_plan_follows_the_kinds() -> None:
    doc = doc_of(".LOG\n09:00 2026-11-25\nGTD, lab\n0, 9:00\n\n"
                 "09:10 2026-11-25\nsnapshot, GTD\nworklog snap web01: ok, x\nresult: ok\n\n"
                 "09:20 2026-11-25\nlab\nGTD is a tag only on the tags line.\n\n"
                 "09:30 2026-11-25\n")
    assert [pl.is_plan(e) for e in doc.entries] == [True, False, False, False]


def test_section_title_follows_the_source_plan() -> None:
    de = sample_doc("de-DE-cp1252.LOG")
    assert pl.section_title(de.entries[0]) == "heute"
    assert pl.section_title(None) == "today"


# --- entries in one line ----------------------------------------------------------------


def test_entry_summaries() -> None:
    entries = {e.stamp.text: e for e in sample_doc().entries}
    assert pl.entry_summary(entries["14:33 2026-11-17"]) == \
        "snap web01 web01-20261117-143312: ok"
    assert pl.entry_summary(entries["10:26 2026-11-18"]) == \
        "Priya Raman: [virt-devel] Dropping virt-utils"
    assert pl.entry_summary(entries["16:12 2026-11-20"]) == "run make: exit 2 in 4.31 s"
    assert pl.entry_summary(entries["16:35 2026-11-20"]).startswith("test_raw_disk_refused:")
    assert pl.entry_summary(entries["08:47 2026-11-18"]) == "(empty)"
    assert pl.sender_name('"Olaf Kirch"') == "Olaf Kirch"


# --- new plans --------------------------------------------------------------------------


def test_new_plan_body_in_the_seed_shape() -> None:
    carried = [pl.PlanItem(1, "fix migration", "open", (), date(2026, 11, 20))]
    assert pl.new_plan_body((9, 5), "today", carried, ["write  the\nnotes "]) == [
        "0, 9:05", "", "1, today", "1), fix migration (from 2026-11-20)",
        "2), write the notes"]
    with pytest.raises(UsageError, match="needs some text"):
        pl.new_plan_body((9, 5), "today", [], ["  "])


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1),
       st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)))
def test_origin_round_trips(text: str, origin: date) -> None:
    """[C8] A carried item written with ``(from DAY)`` reads back as its text and that day."""
    cleaned = " ".join(text.split())
    assume(cleaned)
    item = parse_item(pl.item_line(3, cleaned, origin))
    assert item is not None
    got, day = pl.split_origin(item.text)
    assume(not item.ranges and item.state == "open")  # not text starting with a range
    assert (got, day) == (cleaned, origin)


# --- the item line grammar --------------------------------------------------------------

PIECES = ["9:05", "10:40", "-", " ", ",", "\t", "(done)", "(DROPPED)", "(from 2026-11-20)",
          "fix", "x.", "99:99-", "1:00-", "23:59-0:10", "12:3", "see\"09:31 2026-11-16\""]


@given(st.integers(0, 99), st.sampled_from(["), ", ")", "),", ") ,\t"]),
       st.lists(st.sampled_from(PIECES), max_size=12))
def test_item_line_spans_agree_with_the_parser(n: int, head: str, pieces: list[str]) -> None:
    content = f"{n}{head}{''.join(pieces)}"
    line = pl.ItemLine.parse(content)
    item = parse_item(content)
    assert line is not None
    assert item is not None
    assert tuple(t.range for t in line.tokens) == item.ranges
    assert (line.marker is not None) == (item.state in ("done", "dropped"))
    for token in line.tokens:
        assert content[token.end - 1] in "-0123456789"


HEADS = ["), ", ")", "), 9:00-9:30 ", "), 9:00- ", ") 8:00-8:10,"]
ACTIONS = ["start", "done", "drop", "stop", "reopen"]


def try_edit(entry: Entry, action: str, at: tuple[int, int]) -> pl.Edit | None:
    """The edit ``action`` makes of item 1 at ``at``, or None when it is refused."""
    try:
        if action in ("start", "reopen"):
            return pl.start_item(entry, 1, at, reopen=action == "reopen")
        if action == "stop":
            return pl.stop_running(entry, at)
        return pl.mark_item(entry, 1, "done" if action == "done" else "dropped", at)
    except (UsageError, WorklogError):
        return None


def assert_reads_back(entry: Entry, edit: pl.Edit, action: str, at: tuple[int, int]) -> None:
    """The edited plan reads back as intended: the same items and texts, the change."""
    after = parse(("x\n" + edit.source).encode()).entries[0]
    before_items = {i.n: pl.split_origin(i.text) for i in entry.items}
    assert {i.n: pl.split_origin(i.text) for i in after.items} == before_items
    assert edit.lines[:5] == entry.lines[:5]
    first = after.items[0]
    if action in ("start", "reopen") and entry.items[0].state == "active":
        assert first.ranges == entry.items[0].ranges  # already running: unchanged
    elif action in ("start", "reopen"):
        assert first.state == "active"
        assert first.ranges[-1] == Range(at, None)
    elif action in ("done", "drop"):
        assert first.state == ("done" if action == "done" else "dropped")
    if action not in ("start", "reopen"):
        assert all(r.end is not None for i in after.items for r in i.ranges)


@given(st.sampled_from(HEADS), st.lists(st.sampled_from(PIECES), max_size=8),
       st.integers(0, 23), st.integers(0, 59), st.sampled_from(ACTIONS))
def test_edits_read_back_as_intended_or_are_refused(
        head: str, pieces: list[str], hour: int, minute: int, action: str) -> None:
    entry = plan_entry(f"1{head}{''.join(pieces)}\n2), other\n")
    edit = try_edit(entry, action, (hour, minute))
    # A start of a finished item, or a line it cannot edit, is refused; hypothesis fails
    # the test when it must throw away too many examples (an editor refusing everything).
    assume(edit is not None)
    assert edit is not None
    assert_reads_back(entry, edit, action, (hour, minute))


def test_most_edits_are_made() -> None:
    """The property above holds for an editor that refuses every edit: here, over the
    same lines (a fixed seed, 600 of them), at least 85% of each action's edits must be
    made and read back; a `start` of a line without a (done)/(dropped) marker is
    refused at most rarely."""
    rng = random.Random(20261126)
    tried: Counter[str] = Counter()
    made: Counter[str] = Counter()
    for _ in range(600):
        pieces = [rng.choice(PIECES) for _ in range(rng.randint(0, 8))]
        entry = plan_entry(f"1{rng.choice(HEADS)}{''.join(pieces)}\n2), other\n")
        action, at = rng.choice(ACTIONS), (rng.randint(0, 23), rng.randint(0, 59))
        tried[action] += 1
        edit = try_edit(entry, action, at)
        if edit is not None:
            assert_reads_back(entry, edit, action, at)
            made[action] += 1
    assert set(tried) == set(ACTIONS)
    for action in ACTIONS:
        assert made[action] >= 0.85 * tried[action], (action, made[action], tried[action])


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("line", ["1), fix", "1), 9:00-9:30 fix x.", "1), 9:00- fix",
                                  "1) 8:00-8:10, fix (from 2026-11-20)",
                                  '1), fix see"09:31 2026-11-16"'])
def test_an_ordinary_item_line_is_always_edited(line: str, action: str) -> None:
    entry = plan_entry(f"{line}\n2), other\n")
    edit = try_edit(entry, action, (11, 30))
    assert edit is not None, (line, action)
    assert_reads_back(entry, edit, action, (11, 30))


# --- edits ------------------------------------------------------------------------------


def test_start_inserts_a_range_after_the_ranges_and_closes_the_other() -> None:
    entry = plan_entry('1), 9:25-10:05 answer Jonas. see"08:41 2026-11-25" (done)\n'
                       "2), 10:10-12:15 13:00- vmbackup prune\n3), release notes\n\n")
    edit = pl.start_item(entry, 3, (15, 10))
    assert item_lines(edit) == [
        '1), 9:25-10:05 answer Jonas. see"08:41 2026-11-25" (done)',
        "2), 10:10-12:15 13:00-15:10 vmbackup prune",
        "3), 15:10- release notes",
    ]
    assert edit.notes == ["item 2: stopped, 13:00-15:10 (2h10)", "item 3: started at 15:10"]
    edit = pl.start_item(entry, 2, (15, 10))
    assert item_lines(edit)[1] == "2), 10:10-12:15 13:00- vmbackup prune"
    assert edit.notes == ["item 2 is already running, since 13:00"]
    assert not edit.changed


def test_start_keeps_the_files_padding_and_line_breaks() -> None:
    entry = plan_entry("1), 09:05-09:40 mail\n2), tests\n", newline="\r\n")
    edit = pl.start_item(entry, 2, (9, 45))
    assert edit.source.endswith("1), 09:05-09:40 mail\r\n2), 09:45- tests\r\n")
    assert edit.source.count("\r\n") == entry.source.count("\r\n")


def test_start_the_same_minute_takes_the_other_range_out() -> None:
    entry = plan_entry("1), 9:00-9:30 9:40- mail\n2), tests\n")
    edit = pl.start_item(entry, 2, (9, 40))
    assert item_lines(edit) == ["1), 9:00-9:30 mail", "2), 9:40- tests"]
    entry = plan_entry("1), 9:40- mail\n2), tests\n")
    assert item_lines(pl.start_item(entry, 2, (9, 40))) == ["1), mail", "2), 9:40- tests"]


def test_start_on_a_done_item_is_refused_unless_reopened() -> None:
    entry = plan_entry("1), 9:00-9:30 mail (done)\n")
    with pytest.raises(UsageError, match=r"item 1 is done: `worklog start 1 --reopen`"):
        pl.start_item(entry, 1, (10, 0))
    edit = pl.start_item(entry, 1, (10, 0), reopen=True)
    assert item_lines(edit) == ["1), 9:00-9:30 10:00- mail"]
    assert edit.notes == ["item 1: reopened", "item 1: started at 10:00"]


def test_unknown_or_ambiguous_item_numbers_are_refused() -> None:
    entry = plan_entry("1), mail\n2), tests\n\n2, later\n2), other\n")
    with pytest.raises(UsageError, match=r"has no item 7 \(items: 1, 2, 2\)"):
        pl.start_item(entry, 7, (10, 0))
    with pytest.raises(UsageError, match="has 2 items numbered 2"):
        pl.mark_item(entry, 2, "done", (10, 0))


def test_stop_closes_every_open_range_and_wraps_midnight() -> None:
    entry = plan_entry("1), 23:30- late fix\n2), tests\n")
    edit = pl.stop_running(entry, (0, 15))
    assert item_lines(edit) == ["1), 23:30-0:15 late fix", "2), tests"]
    assert edit.notes == ["item 1: stopped, 23:30-0:15 (0h45)"]
    assert not pl.stop_running(plan_entry("1), mail\n"), (9, 0)).changed


def test_done_and_drop_close_the_range_and_append_the_marker() -> None:
    entry = plan_entry("1), 9:00- mail   \n2), tests (DROPPED)\n3),\n")
    edit = pl.mark_item(entry, 1, "done", (9, 30))
    assert item_lines(edit)[0] == "1), 9:00-9:30 mail (done)   "
    assert edit.notes == ["item 1: stopped, 9:00-9:30 (0h30)", "item 1: done"]
    edit = pl.mark_item(entry, 2, "done", (9, 30))
    assert item_lines(edit)[1] == "2), tests (DONE)"
    assert edit.notes == ["item 2: done (was dropped)"]
    assert item_lines(pl.mark_item(entry, 3, "dropped", (9, 30)))[2] == "3), (dropped)"
    again = pl.mark_item(entry, 2, "dropped", (9, 30))
    assert not again.changed
    assert again.notes == ["item 2 is already dropped"]


def test_an_edit_that_would_not_read_back_is_refused() -> None:
    """``3), , text``: a range put before ``, text`` would swallow the comma."""
    entry = plan_entry("1), , odd text\n")
    with pytest.raises(WorklogError, match="cannot be changed safely"):
        pl.start_item(entry, 1, (9, 0))


def test_add_items_after_the_last_item() -> None:
    entry = plan_entry("1), mail\n2), tests\n\n", newline="\r\n")
    edit = pl.add_items(entry, ["docs", "review"], "\n")
    assert edit.source == ("09:20 2026-11-26\r\nGTD\r\n0, 8:40\r\n\r\n1, today\r\n1), mail\r\n"
                           "2), tests\r\n3), docs\r\n4), review\r\n\r\n")
    assert edit.notes == ["item 3: added", "item 4: added"]


def test_add_items_to_a_plan_without_items_or_final_break() -> None:
    entry = doc_of(".LOG\n09:20 2026-11-26\nGTD\n0, 8:40\n\n1, today").entries[0]
    assert pl.add_items(entry, ["docs"], "\n").source == \
        "09:20 2026-11-26\nGTD\n0, 8:40\n\n1, today\n1), docs"
    entry = doc_of(".LOG\n09:20 2026-11-26\nGTD\n0, 8:40\n\n").entries[0]
    assert pl.add_items(entry, ["docs"], "\n").source == \
        "09:20 2026-11-26\nGTD\n0, 8:40\n\n1, today\n1), docs\n\n"


def test_edit_apply_replaces_only_the_entry() -> None:
    doc = sample_doc()
    entry = pl.latest_plan(doc.entries, date(2026, 11, 24))
    assert entry is not None
    edit = pl.mark_item(entry, 4, "dropped", (17, 0))
    new = edit.apply(doc.text)
    assert new[: entry.start] == doc.text[: entry.start]
    assert new[entry.start + len(edit.source):] == doc.text[entry.end:]
    assert "4), release notes for vmbackup 0.4 (dropped)\n" in new


def test_clock_helpers() -> None:
    assert pl.parse_hm("9:40") == (9, 40)
    assert pl.parse_hm("09:40") == (9, 40)
    assert pl.parse_hm("24:00") is None
    assert pl.parse_hm("9.40") is None
    assert pl.format_hm((9, 5)) == "9:05"
    assert pl.format_hm((9, 5), pad=True) == "09:05"
    assert pl.span_minutes((23, 30), (0, 15)) == 45
    assert pl.format_minutes(365) == "6h05"
