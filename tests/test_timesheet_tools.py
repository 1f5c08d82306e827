"""The timesheet exports read by the programs they are for: hledger (Debian's package)
reads ``export --format timeclock``, khal (Debian's) imports ``export --format ics``; and
``export --format csv`` read back by Python's csv module. scripts/bootstrap installs both
programs with the test extras."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.conftest import ROOT, Runner

WEEK = ROOT / "tests" / "data" / "week.LOG"
NOW = {"WORKLOG_NOW": "2026-12-14T09:00"}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/bootstrap installs it)")
    return found


def _export(run_cli: Runner, fmt: str, tmp_path: Path, *args: str) -> Path:
    result = run_cli("--file", str(WEEK), "export", "--format", fmt, *args, env=NOW)
    assert result.code == 0, result.err
    out = tmp_path / f"week.{fmt}"
    out.write_bytes(result.out.encode("utf-8") if isinstance(result.out, str) else result.out)
    return out


def test_hledger_balance_equals_the_report(run_cli: Runner, tmp_path: Path) -> None:
    hledger = _tool("hledger")
    path = _export(run_cli, "timeclock", tmp_path)
    done = subprocess.run([hledger, "-f", str(path), "balance", "-O", "csv"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    balance = {row["account"]: row["balance"] for row in csv.DictReader(io.StringIO(done.stdout))}
    assert balance == {
        "call with Jonas": "4.50h", "kvm:kvm night migration": "2.75h",
        "kvm:kvm review virtio patch": "3.00h", "vmbackup:vmbackup retention": "15.00h",
        "write release notes": "1.12h", "total": "26.37h"}
    report = json.loads(run_cli("--file", str(WEEK), "report", "--since", "last week",
                                "--until", "last week", "--by", "item", "--json",
                                env=NOW).out)
    assert report["total_minutes"] == 1582
    assert balance["total"] == f"{report['total_minutes'] / 60:.2f}h"
    by_item = {row["key"].replace("#", ""): row["minutes"] for row in report["rows"]}
    for account, hours in balance.items():
        if account != "total":
            assert hours == f"{by_item[account.split(':')[-1]] / 60:.2f}h", account


KHAL_CONFIG = """[calendars]
[[work]]
path = {path}
type = calendar
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = UTC
default_timezone = UTC
"""


def test_khal_lists_the_worked_ranges_on_their_days(run_cli: Runner, tmp_path: Path) -> None:
    khal = _tool("khal")
    path = _export(run_cli, "ics", tmp_path)
    calendar = tmp_path / "calendar"
    calendar.mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(KHAL_CONFIG.format(path=calendar), encoding="utf-8")
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME":
           str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "TZ": "UTC"}
    imported = subprocess.run([khal, "-c", str(config), "import", "--batch", "-a", "work",
                               str(path)], capture_output=True, text=True, env=env, check=False)
    assert imported.returncode == 0, imported.stderr
    listed = subprocess.run([khal, "-c", str(config), "list", "--format",
                             "{start} {end} {title}", "2026-12-07", "2026-12-10"],
                            capture_output=True, text=True, env=env, check=False)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "Monday, 2026-12-07",
        "2026-12-07 09:00 2026-12-07 12:00 #kvm review virtio patch",
        "2026-12-07 13:00 2026-12-07 15:30 call with Jonas",
        "2026-12-07 15:00 2026-12-07 17:00 #vmbackup retention",
        "Tuesday, 2026-12-08",
        "2026-12-08 09:00 2026-12-08 11:00 call with Jonas",
        "2026-12-08 11:00 2026-12-08 12:30 #vmbackup retention",
        "2026-12-08 13:30 2026-12-08 17:00 #vmbackup retention",
        "Wednesday, 2026-12-09",
        "2026-12-09 09:00 2026-12-09 12:00 #vmbackup retention",
        "2026-12-09 13:00 2026-12-09 18:00 #vmbackup retention",
        "Thursday, 2026-12-10",
        "2026-12-10 10:00 2026-12-10 11:07 write release notes",
        "2026-12-10 22:30 2026-12-11 01:15 #kvm night migration",
    ]


def test_a_carried_task_is_one_vtodo(run_cli: Runner, tmp_path: Path) -> None:
    """"call with Jonas" stands in two plans (carried with its origin) and is done on the
    second day: one VTODO, COMPLETED, its summary without ``(from DAY)``, and the same
    UID in an export of the second day alone."""
    cal = Calendar.from_ical(_export(run_cli, "ics", tmp_path).read_bytes())
    todos = {str(t["SUMMARY"]): t for t in cal.walk("VTODO")}
    assert sorted(todos) == ["#kvm night migration", "#kvm review virtio patch",
                             "#vmbackup retention", "call with Jonas", "write release notes"]
    call = todos["call with Jonas"]
    assert str(call["STATUS"]) == "COMPLETED"
    assert str(call["DESCRIPTION"]) == "planned on 2 day(s): 2026-12-07, 2026-12-08; " \
                                       "worked 270 min"
    later = Calendar.from_ical(_export(run_cli, "ics", tmp_path, "--since", "2026-12-08")
                               .read_bytes())
    again = {str(t["SUMMARY"]): str(t["UID"]) for t in later.walk("VTODO")}
    assert again["call with Jonas"] == str(call["UID"])
    events = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "call with Jonas"]
    assert [str(e["RELATED-TO"]) for e in events] == [str(call["UID"])] * 2


def test_csv_export_reads_back(run_cli: Runner, tmp_path: Path) -> None:
    path = _export(run_cli, "csv", tmp_path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 10
    assert sum(int(r["minutes"]) for r in rows) == 1582
    assert rows[-1] == {"date": "2026-12-10", "start": "2026-12-10T22:30",
                        "end": "2026-12-11T01:15", "minutes": "165", "n": "2",
                        "item": "#kvm night migration", "state": "open", "tags": "kvm",
                        "plan": "2026-12-10T10:05"}
