"""Typed dates: what a person types for --date, --since, --until and --on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Runner
from worklog.errors import UsageError
from worklog.format.dates import parse_day, parse_period, typed_range

FRIDAY = date(2026, 12, 11)
NOW = {"WORKLOG_NOW": "2026-12-11T13:00"}


@pytest.mark.parametrize(("text", "day"), [
    ("2026-12-8", date(2026, 12, 8)),
    ("2026-1-5", date(2026, 1, 5)),
    ("2026-12-07T10:00", date(2026, 12, 7)),
    ("2026/12/7", date(2026, 12, 7)),
    ("2026.12.07", date(2026, 12, 7)),
])
def test_a_year_first_day_is_year_month_day_in_any_order(text: str, day: date) -> None:
    for order in (True, False, None):
        assert parse_day(text, FRIDAY, day_first=order) == day


@pytest.mark.parametrize(("text", "day_first", "day"), [
    ("2/10/2014", False, date(2014, 2, 10)),
    ("2/10/2014", True, date(2014, 10, 2)),
    ("10.02.2014", True, date(2014, 2, 10)),
    ("13/02/2014", False, date(2014, 2, 13)),  # only one order gives a day
    ("2/13/2014", True, date(2014, 2, 13)),
    ("5/5/2014", None, date(2014, 5, 5)),
])
def test_a_year_last_day_follows_the_day_order(text: str, day_first: bool | None,
                                               day: date) -> None:
    assert parse_day(text, FRIDAY, day_first=day_first) == day


def test_a_year_last_day_both_orders_read_is_refused_when_the_order_is_unknown() -> None:
    with pytest.raises(UsageError, match=r"--date: '2/10/2014' can be 2014-10-02 or "
                                         r"2014-02-10"):
        parse_day("2/10/2014", FRIDAY, option="--date", day_first=None)


def test_the_log_order_is_asked_only_for_a_year_last_day() -> None:
    asked: list[int] = []

    def order() -> bool:
        asked.append(1)
        return False

    assert parse_day("2026-12-08", FRIDAY, day_first=order) == date(2026, 12, 8)
    assert asked == []
    assert parse_day("12/8/2026", FRIDAY, day_first=order) == date(2026, 12, 8)
    assert asked == [1]


@pytest.mark.parametrize(("text", "day"), [
    ("fri", FRIDAY), ("Fri", FRIDAY), ("FRIDAY", FRIDAY), ("friday", FRIDAY),
    ("tue", date(2026, 12, 8)), ("Tuesday", date(2026, 12, 8)),
    ("mon", date(2026, 12, 7)), ("Monday", date(2026, 12, 7)),
    ("sat", date(2026, 12, 5)), ("Sun", date(2026, 12, 6)), ("thurs", date(2026, 12, 10)),
    ("last friday", date(2026, 12, 4)), ("last Mon", date(2026, 12, 7)),
    ("this sunday", date(2026, 12, 13)), ("next tue", date(2026, 12, 15)),
    ("yesterday", date(2026, 12, 10)), ("2 weeks ago", date(2026, 11, 27)),
    ("11 Feb 2014", date(2014, 2, 11)), ("February 11, 2014", date(2014, 2, 11)),
])
def test_weekday_names_mean_the_latest_such_day_up_to_today(text: str, day: date) -> None:
    assert parse_day(text, FRIDAY) == day


@pytest.mark.parametrize("text", ["December", "Dec", "2026", "11", "Dec 2026", "11 Feb",
                                  "10:00", "someday soon", "2026-13-01", "31/02/2026"])
def test_a_word_naming_no_day_is_an_error_naming_the_option(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--since: "):
        parse_day(text, FRIDAY, option="--since")


@pytest.mark.parametrize(("text", "period"), [
    ("this week", (date(2026, 12, 7), date(2026, 12, 13))),
    ("last week", (date(2026, 11, 30), date(2026, 12, 6))),
    ("this month", (date(2026, 12, 1), date(2026, 12, 31))),
    ("Last Month", (date(2026, 11, 1), date(2026, 11, 30))),
    ("tue", (date(2026, 12, 8), date(2026, 12, 8))),
])
def test_periods(text: str, period: tuple[date, date]) -> None:
    assert parse_period(text, FRIDAY) == period


def test_last_month_across_a_year() -> None:
    assert parse_period("last month", date(2027, 1, 3)) == (date(2026, 12, 1),
                                                           date(2026, 12, 31))
    assert parse_period("this month", date(2026, 2, 3)) == (date(2026, 2, 1),
                                                           date(2026, 2, 28))


def test_a_period_is_no_day() -> None:
    with pytest.raises(UsageError, match="--date: 'last week' is a period, not a day"):
        parse_day("last week", FRIDAY, option="--date")


def test_since_takes_a_period_s_first_day_and_until_its_last() -> None:
    assert typed_range("last month", "last month", FRIDAY) == (date(2026, 11, 1),
                                                              date(2026, 11, 30))
    assert typed_range(None, "last week", FRIDAY) == (None, date(2026, 12, 6))
    with pytest.raises(UsageError, match="--since 2026-12-07 is after --until 2026-12-06"):
        typed_range("mon", "last week", FRIDAY)


# --- on the command line: the log's own day order ----------------------------------------

MONTH_FIRST = ("9:00 AM 2/10/2014\r\nGTD\r\n0, 9:00\r\n\r\n1, today\r\n"
               "1), 9:00-10:00 write the report\r\n")
DAY_FIRST = "09:00 10.02.2014\nGTD\n0, 9:00\n\n1, today\n1), 09:00-10:00 write the report\n"
ISO = "09:00 2026-12-08\nGTD\n0, 9:00\n\n1, today\n1), 9:00-10:30 write the report\n"


def _log(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "w.LOG"
    path.write_bytes(text.encode())
    return path


def test_today_date_on_a_month_first_log_reads_month_first(run_cli: Runner,
                                                           tmp_path: Path) -> None:
    path = _log(tmp_path, MONTH_FIRST)
    result = run_cli("--file", str(path), "today", "--date", "2/10/2014", env=NOW)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "Mon 2014-02-10  start 9:00  worked 1h00"


def test_today_date_on_a_day_first_log_reads_day_first(run_cli: Runner,
                                                       tmp_path: Path) -> None:
    path = _log(tmp_path, DAY_FIRST)
    result = run_cli("--file", str(path), "today", "--date", "10.02.2014", env=NOW)
    assert result.out.splitlines()[0] == "Mon 2014-02-10  start 9:00  worked 1h00"


def test_the_configuration_overrides_the_log_s_order(run_cli: Runner, tmp_path: Path) -> None:
    path = _log(tmp_path, MONTH_FIRST)
    config = tmp_path / "cfg" / "worklog"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("day_first = true\n")
    result = run_cli("--file", str(path), "report", "--since", "10/2/2014", "--until",
                     "10/2/2014", "--json", env={**NOW, "XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert result.code == 0, result.err
    assert '"since": "2014-02-10"' in result.out


def test_iso_shaped_days_on_the_command_line(run_cli: Runner, tmp_path: Path) -> None:
    path = _log(tmp_path, ISO)
    result = run_cli("--file", str(path), "today", "--date", "2026-12-8", env=NOW)
    assert result.out.splitlines()[0] == "Tue 2026-12-08  start 9:00  worked 1h30"
    report = run_cli("--file", str(path), "report", "--since", "2026-12-7", "--json", env=NOW)
    assert '"since": "2026-12-07"' in report.out
    tue = run_cli("--file", str(path), "today", "--date", "tue", env=NOW)
    assert tue.out.splitlines()[0] == "Tue 2026-12-08  start 9:00  worked 1h30"


@pytest.mark.parametrize(("args", "message"), [
    (["today", "--date", "December"], "worklog: --date: 'December' names no day"),
    (["report", "--since", "2026"], "worklog: --since: '2026' names no day"),
    (["export", "--until", "11"], "worklog: --until: '11' names no day"),
    (["grep", "x", "--on", "Dec"], "worklog: --on: 'Dec' names no day"),
    (["today", "--date", "8/12/2026"], "worklog: --date: '8/12/2026' can be 2026-12-08 or "
                                       "2026-08-12 and the log does not tell its day order"),
])
def test_typed_days_naming_no_day_exit_2(run_cli: Runner, tmp_path: Path, args: list[str],
                                         message: str) -> None:
    path = _log(tmp_path, ISO)
    result = run_cli("--file", str(path), *args, env=NOW)
    assert result.code == 2
    assert result.err.startswith(message)
    assert len(result.err.splitlines()) == 1


def test_report_for_last_week(run_cli: Runner, tmp_path: Path) -> None:
    path = _log(tmp_path, "09:00 2026-12-03\nGTD\n0, 9:00\n\n1, today\n"
                          "1), 9:00-10:30 write the report\n" + ISO)
    result = run_cli("--file", str(path), "report", "--since", "last week", "--until",
                     "last week", "--json", env=NOW)
    assert result.code == 0, result.err
    assert '"since": "2026-11-30"' in result.out
    assert '"until": "2026-12-06"' in result.out
    assert '"total_minutes": 90' in result.out
