"""Day plans as pure functions: the day's view, carry-over, plan text and item edits."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.conftest import SAMPLES
from worklog.day import plan as pl
from worklog.errors import UsageError
from worklog.format.document import Document, Entry, parse
from worklog.format.items import parse_item


def sample_doc(name: str = "worklog.LOG") -> Document:
    return parse((SAMPLES / name).read_bytes())


def doc_of(text: str) -> Document:
    return parse(text.encode())


def plan_entry(body: str, stamp: str = "09:20 2026-11-26", newline: str = "\n") -> Entry:
    text = f".LOG\n{stamp}\nGTD\n0, 8:40\n\n1, today\n{body}".replace("\n", newline)
    entries = doc_of(text).entries
    assert entries[-1].kind == "plan"
    return entries[-1]


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
