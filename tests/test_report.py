"""Time worked from the ranges of day plans: by day, by item, by tag."""

from __future__ import annotations

from datetime import date

from tests.conftest import SAMPLES
from worklog.day import report as rp
from worklog.format.document import Document, ParseOptions, parse
from worklog.history.report_period import period_report, report_entries
from worklog.history.timeline import Timeline

D = date


def sample_doc() -> Document:
    return parse((SAMPLES / "worklog.LOG").read_bytes())


def test_by_day_counts_the_latest_plan_of_each_day() -> None:
    result = rp.build(sample_doc().entries, D(2026, 11, 16), D(2026, 11, 25), "day")
    assert [(row.key, row.minutes) for row in result.rows] == [
        ("2026-11-16", 355), ("2026-11-17", 380), ("2026-11-18", 365), ("2026-11-19", 285),
        ("2026-11-20", 355), ("2026-11-23", 360),
        ("2026-11-24", 325),  # the 11:52 plan only; the 08:55 one would add 150
        ("2026-11-25", 290),  # 15:10- is still open: not counted
    ]
    assert result.total_minutes == 2715
    assert result.open_ranges == [rp.OpenRange(D(2026, 11, 25), 3, (15, 10))]


def test_by_item_merges_a_task_over_days() -> None:
    result = rp.build(sample_doc().entries, D(2026, 11, 23), D(2026, 11, 25), "item")
    assert [(row.key, row.minutes, row.days) for row in result.rows[:2]] == [
        ("vmbackup: retention, prune only our own snapshots", 255 + 150,
         (D(2026, 11, 23), D(2026, 11, 24))),
        ("vmbackup prune: refuse --keep 0", 250, (D(2026, 11, 25),)),
    ]
    assert sum(row.minutes for row in result.rows) == result.total_minutes == 360 + 325 + 290


def test_by_tag_uses_the_tags_of_the_entries_an_item_refers_to() -> None:
    result = rp.build(sample_doc().entries, D(2026, 11, 16), D(2026, 11, 16), "tag")
    assert [(row.key, row.minutes) for row in result.rows] == [
        ("(no tag)", 260), ("kvm", 95), ("package", 95), ("virtualization", 95)]
    assert result.total_minutes == 355


def test_plan_tags_other_than_gtd_count_for_every_item() -> None:
    doc = parse(b".LOG\n09:00 2026-11-25\nGTD, Lab\n0, 9:00\n\n1, today\n"
                b"1), 9:00-9:30 racks\n2), 10:00-11:00 cables (done)\n\n"
                b"09:00 2026-11-26\nGTD, lab\n0, 9:00\n\n1, today\n1), 9:00-9:10 racks.\n")
    result = rp.build(doc.entries, D(2026, 11, 1), D(2026, 11, 30), "tag")
    assert [(row.key, row.minutes, len(row.days)) for row in result.rows] == [("lab", 100, 2)]
    by_item = rp.build(doc.entries, D(2026, 11, 1), D(2026, 11, 30), "item")
    assert [(row.key, row.minutes) for row in by_item.rows] == [("cables", 60), ("racks", 40)]


def test_an_empty_period() -> None:
    result = rp.build(sample_doc().entries, D(2026, 12, 1), D(2026, 12, 31), "day")
    assert result.rows == []
    assert result.total_minutes == 0


def test_item_key_ignores_references_and_final_dots() -> None:
    assert rp.item_key('vmbackup: raw disk check. see"13:20 2026-11-18"') == \
        "vmbackup: raw disk check"
    assert rp.item_key("...") == "..."


def test_a_period_reads_back_to_the_entries_its_plans_refer_to() -> None:
    """The plan of 2026-11-23 links to an e-mail of 2026-11-18: ``--by tag`` reads that
    day too (its tag counts), ``--by day`` only the period."""
    data = (SAMPLES / "worklog.LOG").read_bytes()
    timeline = Timeline(data, ParseOptions())
    day = D(2026, 11, 23)
    by_day = report_entries(timeline, day, day, "day")
    assert {e.day for e in by_day} == {day}
    by_tag = report_entries(timeline, day, day, "tag")
    assert {e.day for e in by_tag} >= {day, D(2026, 11, 18)}
    assert "10:26 2026-11-18" in [e.stamp.text for e in by_tag]
    assert [e.line for e in by_tag] == sorted(e.line for e in by_tag)
    result = period_report(timeline, day, day, "tag").report
    assert ("package", 20) in [(row.key, row.minutes) for row in result.rows]
    assert result == rp.build(parse(data).entries, day, day, "tag")
