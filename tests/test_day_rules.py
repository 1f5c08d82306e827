"""The rules of worked time: impossible ranges refused, reported and never counted; item
text that stays text; `plan --start` on a day with a plan; `check` agreeing with what
worklog writes; edits that name the item they changed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.conftest import Runner
from worklog.day import edits as ed
from worklog.day import plan as pl
from worklog.day import report as rp
from worklog.errors import UsageError
from worklog.format import items as it
from worklog.format.check import check
from worklog.format.document import Entry, parse

NOW = {"WORKLOG_NOW": "2026-12-11T13:00"}
DAY = date(2026, 12, 11)


def plan_log(items: str, start: str = "0, 9:00") -> bytes:
    return f".LOG\n08:00 2026-12-11\nGTD\n{start}\n\n1, today\n{items}".encode()


def plan_of(items: str) -> Entry:
    entry = parse(plan_log(items)).entries[-1]
    assert entry.kind == "plan"
    return entry


# --- ranges (C2): the 12-hour rule --------------------------------------------------------


def test_a_range_past_midnight_counts_up_to_12_hours_only() -> None:
    """[C2] Past midnight up to 12 hours; beyond, impossible: it counts nothing."""
    assert it.Range((23, 30), (0, 15)).minutes == 45
    assert it.Range((22, 0), (10, 0)).minutes == 12 * 60
    assert it.Range((10, 0), (9, 30)).impossible
    assert it.Range((10, 0), (9, 30)).minutes == 0
    assert it.Range((14, 0), (13, 0)).minutes == 0
    assert it.Range((8, 0), (21, 0)).minutes == 13 * 60  # long, but it can be


def test_today_and_report_never_count_an_impossible_range() -> None:
    doc = parse(plan_log("1), 10:00-9:30 review\n2), 14:00-13:00 hand\n3), 9:00-9:45 mail\n"))
    view = pl.day_view(doc.entries, DAY, datetime(2026, 12, 11, 13, 0))
    assert view.worked_minutes == 45
    report = rp.build(doc.entries, DAY, DAY, "day")
    assert report.total_minutes == 45
    assert [(bad.n, str(bad.range)) for bad in report.impossible] == [
        (1, "10:00-09:30"), (2, "14:00-13:00")]


def test_stop_at_before_the_start_is_refused(run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    log.write_bytes(plan_log("1), review libvirt patch\n"))
    assert run_cli("--file", str(log), "start", "1", "--at", "10:00", env=NOW).code == 0
    before = log.read_bytes()
    refused = run_cli("--file", str(log), "stop", "--at", "9:30", env=NOW)
    assert refused.code == 2
    assert "item 1 (review libvirt patch) of the plan of 2026-12-11 runs since 10:00: it " \
        "cannot end at 9:30, before it started" in refused.err
    assert log.read_bytes() == before
    for command in (["done", "1"], ["drop", "1"]):
        assert run_cli("--file", str(log), *command, "--at", "9:59", env=NOW).code == 2
    assert log.read_bytes() == before
    stopped = run_cli("--file", str(log), "stop", "--at", "12:30", env=NOW)
    assert stopped.code == 0
    assert stopped.err == "item 1 (review libvirt patch): stopped, 10:00-12:30 (2h30)\n"


def test_a_range_crossing_midnight_within_12_hours_is_kept() -> None:
    edit = ed.stop_running(plan_of("1), 23:30- late fix\n"), (0, 15))
    assert "1), 23:30-0:15 late fix\n" in edit.source
    with pytest.raises(ed.ImpossibleRangeError, match="cannot end at 12:15"):
        ed.stop_running(plan_of("1), 23:30- late fix\n"), (12, 15))


def test_start_at_later_than_now_is_refused(run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    log.write_bytes(plan_log("1), review\n2), tests\n"))
    refused = run_cli("--file", str(log), "start", "2", "--at", "16:00", env=NOW)
    assert refused.code == 2
    assert refused.err == ("worklog: --at: 16:00 is later than now (13:00): a range cannot "
                           "start in the future\n")
    assert log.read_bytes() == plan_log("1), review\n2), tests\n")
    assert run_cli("--file", str(log), "start", "2", "--at", "13:00", env=NOW).code == 0


def test_check_reports_the_times_of_a_plan_that_cannot_be(
        run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    log.write_bytes(plan_log("1), 14:00-13:00 hand\n2), 9:60-10:00 typo\n3), 8:00-21:00 long\n"
                             "4), 10:30-11:00 meeting\n5), 23:30-0:15 late fix\n",
                             start="0, 9:60"))
    result = run_cli("--file", str(log), "check", env=NOW)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{log}:4: '9:60' in '0, 9:60' is not a time (H:MM up to 23:59): no day's start "
        "[bad-time]",
        f"{log}:7: 14:00-13:00 ends before it starts (a range past midnight lasts at most 12 "
        "hours): not counted [impossible-range]",
        f"{log}:8: '9:60-10:00' is not a time range (H:MM up to 23:59): read as text, not "
        "counted [bad-time]",
        f"{log}:9: 8:00-21:00 lasts 13h00, over 12 hours [long-range]",
        f"{log}:10: 10:30-11:00 overlaps 8:00-21:00 (line 9): that time counts twice [overlap]",
    ]


def test_check_finds_nothing_in_a_sound_plan() -> None:
    doc = parse(plan_log("1), 9:00-9:30 10:00-10:30 mail\n2), 9:30-10:00 tests\n"
                         "3), 22:30-0:40 reinstall\n4), 15:10- notes\n"))
    assert check(doc) == []


# --- item text typed by a person (C2, C3) -------------------------------------------------


def test_item_text_that_reads_as_a_range_is_refused(run_cli: Runner, tmp_path: Path) -> None:
    """[W6] Typed item text that would read as a range, a state or an origin is refused."""
    log = tmp_path / "w.LOG"
    for text, says in [("9:00-10:00 looks like a range", "starts with '9:00-10:00'"),
                       ("9:60-10:00 standup", "starts with '9:60-10:00'"),
                       ("call Bob (done)", "ends with (done)"),
                       ("ask Ann (from 2026-01-05)", "ends with (from YYYY-MM-DD)")]:
        result = run_cli("--file", str(log), "plan", "first", text, env=NOW)
        assert result.code == 2, text
        assert says in result.err
        assert "nothing was written" in result.err
        assert not log.exists()
    assert run_cli("--file", str(log), "plan", "standup at 9:00-10:00", env=NOW).code == 0
    log.write_bytes(log.read_bytes())
    assert run_cli("--file", str(log), "plan", "10:00-11:00 x", env=NOW).code == 2
    (entry,) = parse(log.read_bytes()).entries
    assert [(i.text, i.ranges) for i in entry.items] == [("standup at 9:00-10:00", ())]


PIECES = ["9:05", "10:40", "-", " ", ",", "\t", "(done)", "(from 2026-11-20)", "fix",
          "99:99-", "1:00-", "23:59-0:10", "9:60-", "see\"09:31 2026-11-16\""]


@given(st.sampled_from(["), ", ")", "),", "),,", ") ,\t"]),
       st.lists(st.sampled_from(PIECES), max_size=10))
@example("),,", [" ", "9:05", "-", "10:40", " ", "fix"])  # the head takes one comma only
def test_a_carried_item_never_becomes_worked_time(head: str, pieces: list[str]) -> None:
    """Whatever an item line holds, carrying it writes a line whose text reads back as
    the same text, with no range and open."""
    content = f"1{head}{''.join(pieces)}"
    parsed = it.parse_item_line(content)
    assert parsed is not None
    # Only open and active items are carried (pl.carry_over); a done or dropped marker
    # written against a range (`1:00-(done)`) leaves a text that no other line can hold.
    assume(parsed.marker is None)
    text, _ = pl.split_origin(parsed.text)
    again = it.parse_item_line(pl.item_line(2, text, date(2026, 11, 20)))
    assert again is not None
    assert (again.ranges, again.state, pl.split_origin(again.text)) == \
        ((), "open", (text, date(2026, 11, 20)))


def test_typed_text_is_checked_before_anything() -> None:
    with pytest.raises(UsageError, match="which the plan would read as time worked"):
        pl.clean_item_text("  9:00-10:00   standup ")
    assert pl.clean_item_text(", 9:00-10:00 standup") == ", 9:00-10:00 standup"
    assert it.parse_item_line(pl.item_line(3, ", 9:00-10:00 standup")) is not None


# --- plan --start on a day with a plan ----------------------------------------------------


def test_plan_start_is_validated_and_applied_to_the_days_plan(
        run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    log.write_bytes(plan_log("1), review\n"))
    refused = run_cli("--file", str(log), "plan", "--start", "25:00", "x", env=NOW)
    assert refused.code == 2
    assert refused.err == "worklog: --start: '25:00' is not a time like 8:50\n"
    assert log.read_bytes() == plan_log("1), review\n")
    result = run_cli("--file", str(log), "plan", "--start", "8:30", "tests", env=NOW)
    assert result.code == 0, result.err
    assert result.err == "the day's start: 8:30 (was 9:00)\nitem 2 (tests): added\n"
    assert log.read_bytes() == plan_log("1), review\n2), tests\n", start="0, 8:30")
    again = run_cli("--file", str(log), "plan", "--start", "7:45", env=NOW)
    assert (again.code, again.err) == (0, "the day's start: 7:45 (was 8:30)\n")
    assert log.read_bytes() == plan_log("1), review\n2), tests\n", start="0, 7:45")


def test_plan_start_on_a_plan_without_a_start_line() -> None:
    entry = parse(b".LOG\n08:00 2026-12-11\nGTD\n\n1, today\n1), x\n").entries[0]
    edit = ed.set_day_start(entry, (8, 5), "\n")
    assert edit.source == "08:00 2026-12-11\nGTD\n0, 8:05\n\n1, today\n1), x\n"
    odd = parse(b".LOG\n08:00 2026-12-11\nGTD\n0, morning\n").entries[0]
    with pytest.raises(Exception, match="holds no time"):
        ed.set_day_start(odd, (8, 5), "\n")


# --- check agrees with what worklog writes ------------------------------------------------


def test_check_does_not_flag_what_add_wrote(run_cli: Runner, tmp_path: Path) -> None:
    """[W4] A line that starts with a stamp is written indented, and check leaves it be."""
    log = tmp_path / "w.LOG"
    assert run_cli("--file", str(log), "add", "10:20 2014-02-11 was when Bruce mailed",
                   env=NOW).code == 0
    assert b"\n 10:20 2014-02-11 was when Bruce mailed\n" in log.read_bytes()
    result = run_cli("--file", str(log), "check", env=NOW)
    assert (result.code, result.out) == (0, "")
    assert result.err == f"{log}: 1 entries, UTF-8, LF line breaks: no problems\n"
    typed = tmp_path / "typed.LOG"
    typed.write_bytes(b".LOG\n10:00 2014-02-11\n10:20 2014-02-11 was when Bruce mailed\n")
    flagged = run_cli("--file", str(typed), "check", env=NOW)
    assert flagged.out.endswith("[stamp-with-text]\n")


def test_check_quotes_a_link_as_written_and_names_the_order_where_it_matters(
        run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    log.write_bytes(b'.LOG\n10:00 13/02/2014\nsee"10:20 11/02/2014" for it.\n')
    result = run_cli("--file", str(log), "check", env=NOW)
    assert result.out == f'{log}:3: see"10:20 11/02/2014" refers to no entry [dangling-link]\n'
    assert result.err == f"{log}: 1 entries, UTF-8, LF line breaks, day-first dates: " \
        "1 problem(s)\n"


# --- the edits name their item ------------------------------------------------------------


def test_every_edit_names_the_item_with_its_text(run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    new = run_cli("--file", str(tmp_path / "new.LOG"), "plan", "read mail", env=NOW)
    assert new.err.endswith("1 new item(s)\nitem 1 (read mail): added\n")
    log.write_bytes(plan_log("1), review libvirt patch\n"))
    steps = [(["start", "1", "--at", "8:30"], "item 1 (review libvirt patch): started at 8:30"),
             (["stop", "--at", "9:00"], "item 1 (review libvirt patch): stopped, 8:30-9:00 "
                                        "(0h30)"),
             (["done", "1"], "item 1 (review libvirt patch): done"),
             (["drop", "1"], "item 1 (review libvirt patch): dropped (was done)"),
             (["plan", "write the changelog"], "item 2 (write the changelog): added")]
    for args, said in steps:
        result = run_cli("--file", str(log), *args, env=NOW)
        assert (result.code, result.err) == (0, said + "\n"), args
