"""Time as typed: ``add --at`` and ``plan --date`` write the entry where its stamp belongs
(FORMAT.md W7), through the atomic edit, and ``check`` finds the file in order."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import Runner
from worklog.errors import UsageError
from worklog.format.check import check
from worklog.format.dates import parse_moment
from worklog.format.document import parse

LOG = (b".LOG\r\n\r\n09:00 2026-12-01\r\nfirst\r\n\r\n"
       b"10:00 2026-12-02\r\nGTD\r\n0, 9:40\r\n\r\n1, today\r\n1), call Jonas\r\n\r\n"
       b"11:00 2026-12-02\r\nlast\r\n")
NOW = {"WORKLOG_NOW": "2026-12-02T19:00"}


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "w.LOG"
    path.write_bytes(LOG)
    return path


@pytest.mark.rule("W7")
def test_add_at_goes_where_its_stamp_belongs(run_cli: Runner, log: Path) -> None:
    """[W7] An entry stamped earlier than the last goes after the last entry not later."""
    result = run_cli("--file", str(log), "add", "--at", "yesterday 17:00", "--tags", "lab",
                     "racks", env=NOW)
    assert result.code == 0, result.err
    assert result.err == f"added 17:00 2026-12-01 to {log}\n"
    assert log.read_bytes() == LOG.replace(
        b"first\r\n\r\n", b"first\r\n\r\n17:00 2026-12-01\r\nlab\r\nracks\r\n\r\n")
    same = run_cli("--file", str(log), "add", "--at", "10:00", "after the plan", env=NOW)
    assert same.code == 0, same.err
    assert b"1), call Jonas\r\n\r\n10:00 2026-12-02\r\n\r\nafter the plan\r\n\r\n11:00" \
        in log.read_bytes()
    before_all = run_cli("--file", str(log), "add", "--at", "2026-11-30 8:00", "x", env=NOW)
    assert before_all.code == 0, before_all.err
    assert log.read_bytes().startswith(b".LOG\r\n\r\n08:00 2026-11-30\r\n\r\nx\r\n\r\n09:00")
    assert [p for p in check(parse(log.read_bytes())) if p.code == "order"] == []


def test_add_at_the_end_appends(run_cli: Runner, log: Path) -> None:
    result = run_cli("--file", str(log), "add", "--at", "18:30", "later", env=NOW)
    assert result.code == 0, result.err
    assert log.read_bytes() == LOG + b"\r\n18:30 2026-12-02\r\n\r\nlater\r\n"


def test_add_at_refuses_the_future_and_nonsense(run_cli: Runner, log: Path) -> None:
    future = run_cli("--file", str(log), "add", "--at", "tomorrow 9:00", "x", env=NOW)
    assert future.code == 2
    assert future.err == ("worklog: --at: 2026-12-03 09:00 is later than now "
                          "(2026-12-02 19:00); nothing was written\n")
    bad = run_cli("--file", str(log), "add", "--at", "teatime", "x", env=NOW)
    assert bad.code == 2
    assert "--at: 'teatime' is not a time" in bad.err
    assert log.read_bytes() == LOG


def test_moments() -> None:
    now = datetime(2026, 12, 2, 9, 0)
    assert parse_moment("17:00", now) == datetime(2026, 12, 2, 17, 0)
    assert parse_moment("yesterday 17:00", now) == datetime(2026, 12, 1, 17, 0)
    assert parse_moment("last friday 9:30", now) == datetime(2026, 11, 27, 9, 30)
    assert parse_moment("17:00 2026-11-30", now) == datetime(2026, 11, 30, 17, 0)
    with pytest.raises(UsageError, match="is not a time"):
        parse_moment("yesterday 25:00", now)


def test_plan_tomorrow_then_today(run_cli: Runner, log: Path) -> None:
    tomorrow = run_cli("--file", str(log), "plan", "--date", "tomorrow", "demo", env=NOW)
    assert tomorrow.code == 0, tomorrow.err
    planned = LOG + (b"\r\n00:00 2026-12-03\r\nGTD\r\n0, 9:40\r\n\r\n1, today\r\n"
                     b"1), call Jonas (from 2026-12-02)\r\n2), demo\r\n")
    assert log.read_bytes() == planned
    # a note of this evening goes before tomorrow's plan ("evening" alone would read as a
    # tags line: a blank line first)
    evening = {"WORKLOG_NOW": "2026-12-02T19:30"}
    note = run_cli("--file", str(log), "add", "evening", env=evening)
    assert note.code == 0, note.err
    assert b"last\r\n\r\n19:30 2026-12-02\r\n\r\nevening\r\n\r\n00:00 2026-12-03" \
        in log.read_bytes()
    assert [p for p in check(parse(log.read_bytes())) if p.code == "order"] == []
    view = run_cli("--file", str(log), "today", "--json", env={"WORKLOG_NOW": "2026-12-03T08:00"})
    assert '"text": "demo"' in view.out


def test_plan_an_earlier_day(run_cli: Runner, log: Path) -> None:
    result = run_cli("--file", str(log), "plan", "--date", "2026-12-01", "--start", "9:30",
                     "racks", env=NOW)
    assert result.code == 0, result.err
    assert log.read_bytes() == LOG.replace(
        b"first\r\n\r\n", b"first\r\n\r\n09:00 2026-12-01\r\nGTD\r\n0, 9:30\r\n\r\n1, today\r\n"
                          b"1), racks\r\n\r\n")
    again = run_cli("--file", str(log), "plan", "--date", "2026-12-01", "cables", env=NOW)
    assert again.code == 0, again.err
    assert b"1), racks\r\n2), cables\r\n" in log.read_bytes()


def test_plan_a_day_without_a_start(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes(b".LOG\n\n09:00 2026-12-01\nfirst\n")
    result = run_cli("--file", str(path), "plan", "--date", "tomorrow", "x", env=NOW)
    assert result.code == 2
    assert "--date 2026-12-03: when does the day start? say it with --start H:MM" in result.err
    assert path.read_bytes() == b".LOG\n\n09:00 2026-12-01\nfirst\n"
