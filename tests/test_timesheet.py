"""A timesheet from a sample week (tests/data/week.LOG) with answers worked out by hand:
gaps, overlaps, planned and done, carried items, target and balance, rounding, tags on
items, the evidence, and ``report --csv``."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import ROOT, Runner
from worklog.config import load_config
from worklog.day import evidence as ev
from worklog.day import report as rp
from worklog.day import timesheet as ts
from worklog.errors import ConfigError
from worklog.format.dates import parse_duration
from worklog.format.document import Document, parse
from worklog.format.items import item_tags

WEEK = ROOT / "tests" / "data" / "week.LOG"
MON, SUN = date(2026, 12, 7), date(2026, 12, 13)
EIGHT_HOURS = (480, 480, 480, 480, 480, 0, 0)


def week() -> Document:
    return parse(WEEK.read_bytes())


def test_days_gaps_overlaps_planned_done() -> None:
    result = rp.build(week().entries, MON, SUN, "day", target=EIGHT_HOURS)
    assert [(r.key, r.minutes) for r in result.rows] == [
        ("2026-12-07", 450), ("2026-12-08", 420), ("2026-12-09", 480), ("2026-12-10", 232)]
    assert result.total_minutes == 1582
    days = {d.day.isoformat(): d for d in result.days}
    assert list(days) == ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10",
                          "2026-12-11", "2026-12-12", "2026-12-13"]
    monday = days["2026-12-07"]
    assert (monday.planned, monday.done, monday.dropped) == (3, 1, 0)
    assert monday.gaps == (ts.Gap(MON, (12, 0), (13, 0), 60),)
    assert monday.overlaps == (ts.Overlap(MON, 2, 3, (15, 0), (15, 30), 30),)
    # Thursday: the 10:05 plan replaced the 08:30 one; 22:30-01:15 goes past midnight
    thursday = days["2026-12-10"]
    assert thursday.gaps == (ts.Gap(date(2026, 12, 10), (11, 7), (22, 30), 683),)
    assert (thursday.planned, thursday.done) == (2, 1)
    assert [d.worked for d in result.days] == [450, 420, 480, 232, 0, 0, 0]


def test_target_and_balance() -> None:
    result = rp.build(week().entries, MON, SUN, "day", target=EIGHT_HOURS)
    assert [d.balance for d in result.days] == [-30, -60, 0, -248, -480, 0, 0]
    assert result.target_minutes == 2400
    assert result.balance_minutes == -818
    assert rp.build(week().entries, MON, SUN, "day").balance_minutes is None


def test_carried_days() -> None:
    result = rp.build(week().entries, MON, SUN, "item")
    assert [(c.key, c.first, c.days, c.state) for c in result.carried] == [
        ("#vmbackup retention", MON, 2, "done"),
        ("write release notes", date(2026, 12, 8), 2, "done"),
        ("call with Jonas", MON, 1, "done"),
    ]


def test_round_each_items_time_of_a_day() -> None:
    result = rp.build(week().entries, MON, SUN, "day", round_to=15)
    # Thursday's 10:00-11:07 (67 minutes) counts 60; everything else is on the quarter
    assert [r.minutes for r in result.rows] == [450, 420, 480, 225]
    assert result.total_minutes == 1575
    assert [ts.rounded(m, 15) for m in (0, 7, 8, 22, 23)] == [0, 0, 15, 15, 30]


@pytest.mark.rule("C10")
def test_tags_on_items_count_by_tag() -> None:
    """[C10] ``#kvm`` in an item's text is a tag of the item."""
    assert item_tags("#kvm review the #virtio patch.") == ["kvm", "virtio"]
    assert item_tags("issue#1, # alone, (#vm-backup) #KVM #kvm") == ["vm-backup", "KVM"]
    result = rp.build(week().entries, MON, SUN, "tag", round_to=15)
    assert [(r.key, r.minutes) for r in result.rows] == [
        ("vmbackup", 900), ("lab", 480), ("kvm", 345), ("(no tag)", 330)]


def test_evidence_of_the_week() -> None:
    found = ev.evidence(week().entries, MON, SUN)
    assert [(d.day.isoformat(),
             [(f"{a.start:%H:%M:%S}", a.what, a.line) for a in d.outside],
             [(w.n, f"{w.start:%H:%M}", f"{w.end:%H:%M}") for w in d.idle]) for d in found] == [
        ("2026-12-07", [("12:29:55", "command", 15), ("18:20:00", "note", 29)],
         [(2, "13:00", "15:30")]),
        ("2026-12-08", [("08:05:00", "e-mail date", 41)], [(2, "11:00", "12:30")]),
        ("2026-12-09", [("12:30:00", "note", 66)], []),
        # 00:40 on Friday is inside Thursday's 22:30-01:15
        ("2026-12-11", [("10:00:00", "note", 102)], []),
    ]


def _config(tmp_path: Path, text: str) -> dict[str, str]:
    folder = tmp_path / "config"
    (folder / "worklog").mkdir(parents=True, exist_ok=True)
    (folder / "worklog" / "config.toml").write_text(text, encoding="utf-8")
    return {"XDG_CONFIG_HOME": str(folder), "WORKLOG_NOW": "2026-12-14T09:00"}


def test_report_csv_reads_back(run_cli: Runner, tmp_path: Path) -> None:
    env = _config(tmp_path, 'target = "8h"\n')
    result = run_cli("--file", str(WEEK), "report", "--since", "last week", "--until",
                     "last week", "--csv", env=env)
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out, newline="")))
    assert [(r["key"], r["minutes"], r["hours"], r["target_minutes"], r["balance_minutes"])
            for r in rows] == [
        ("2026-12-07", "450", "7.50", "480", "-30"), ("2026-12-08", "420", "7.00", "480", "-60"),
        ("2026-12-09", "480", "8.00", "480", "0"), ("2026-12-10", "232", "3.87", "480", "-248"),
        ("2026-12-11", "0", "0.00", "480", "-480"), ("2026-12-12", "0", "0.00", "0", "0"),
        ("2026-12-13", "0", "0.00", "0", "0")]
    by_item = run_cli("--file", str(WEEK), "report", "--since", "last week", "--until",
                      "last week", "--by", "item", "--csv", env=env)
    items = list(csv.DictReader(io.StringIO(by_item.out, newline="")))
    assert items[0] == {"key": "#vmbackup retention", "minutes": "900", "hours": "15.00",
                        "days": "2026-12-07 2026-12-08 2026-12-09", "target_minutes": "",
                        "balance_minutes": ""}


def test_report_text_shows_the_balance(run_cli: Runner, tmp_path: Path) -> None:
    env = _config(tmp_path, 'target = { mon = "8h", tue = "8h", wed = "8h", thu = "8h", '
                            'fri = "8h" }\n')
    result = run_cli("--file", str(WEEK), "report", "--since", "last week", "--until",
                     "last week", "--evidence", env=env)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "target 40h00 over 7 day(s), balance -13h38" in lines
    assert ("Mon 2026-12-07: 1 of 3 done; gap 12:00-13:00 (1h00); items 2 and 3 overlap "
            "15:00-15:30 (0h30 counted twice); balance -0h30") in lines
    assert "  13:00-15:30 no activity  item 2: call with Jonas" in lines
    by_item = run_cli("--file", str(WEEK), "report", "--since", "last week", "--until",
                      "last week", "--by", "item", env=env).out.splitlines()
    assert "carried 2 day(s) since 2026-12-07: #vmbackup retention (done)" in by_item
    assert "target 40h00 over 7 day(s), balance -13h38" in by_item
    assert not any(line.startswith("Mon 2026-12-07") for line in by_item)


def test_report_refuses_bad_round_and_csv_with_json(run_cli: Runner) -> None:
    bad = run_cli("--file", str(WEEK), "report", "--round", "15x")
    assert bad.code == 2
    assert "--round: '15x' is not a duration" in bad.err
    both = run_cli("--file", str(WEEK), "report", "--csv", "--json")
    assert both.code == 2
    assert "--csv: not with --json" in both.err


def test_durations() -> None:
    assert [parse_duration(t) for t in ("8h", "7h30", "7h30m", "90m", "90", "7:30")] == [
        480, 450, 450, 90, 90, 450]
    for bad in ("8x", "7h60", "", "h"):
        with pytest.raises(Exception, match="is not a duration"):
            parse_duration(bad)


def test_target_config(tmp_path: Path) -> None:
    env = _config(tmp_path, 'target = { mon = "8h", fri = "6h" }\n')
    assert load_config(env).target == (480, 0, 0, 0, 360, 0, 0)
    env = _config(tmp_path, 'target = "7h30"\n')
    assert load_config(env).target == (450,) * 5 + (0, 0)
    path = Path(env["XDG_CONFIG_HOME"]) / "worklog" / "config.toml"
    for text, message in (('target = "lots"\n', "'target': 'lots' is not a duration"),
                          ('target = { monday = "8h", xday = "1h" }\n', "'xday' is not a weekday"),
                          ("target = 8\n", "'target' must be a duration")):
        _config(tmp_path, text)
        with pytest.raises(ConfigError) as err:
            load_config(env)
        assert str(err.value).startswith(f"{path}: ")
        assert message in str(err.value)
