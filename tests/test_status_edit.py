"""``worklog status`` (one line for a prompt, from its cache while the log is unchanged)
and ``worklog edit`` (the editor at an entry's line, the check afterwards)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import ROOT, Runner
from worklog.cli.edit_cmds import editor_command

WEEK = ROOT / "tests" / "data" / "week.LOG"


@pytest.fixture
def week(tmp_path: Path) -> Path:
    path = tmp_path / "week.LOG"
    path.write_bytes(WEEK.read_bytes())
    return path


def _env(tmp_path: Path, now: str) -> dict[str, str]:
    return {"WORKLOG_NOW": now, "XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_status_lines(run_cli: Runner, week: Path, tmp_path: Path) -> None:
    def status(now: str) -> str:
        result = run_cli("--file", str(week), "status", env=_env(tmp_path, now))
        assert result.code == 0, result.err
        return result.out

    # item 2 runs since 18:00 on Wednesday: 30 minutes, 8h worked before it
    assert status("2026-12-09T18:30") == "2) 0h30 write release notes, today 8h30\n"
    assert status("2026-12-09T19:15") == "2) 1h15 write release notes, today 9h15\n"  # cached
    assert status("2026-12-10T23:59") == "today 3h52\n"
    assert status("2026-12-11T09:00") == "no plan\n"


def test_status_reads_the_log_again_after_a_change(run_cli: Runner, week: Path,
                                                   tmp_path: Path) -> None:
    env = _env(tmp_path, "2026-12-09T18:30")
    assert run_cli("--file", str(week), "status", env=env).out.startswith("2) 0h30")
    assert (tmp_path / "cache" / "worklog" / "status.json").exists()
    stopped = run_cli("--file", str(week), "stop", env=env)
    assert stopped.code == 0, stopped.err
    assert run_cli("--file", str(week), "status", env=env).out == "today 8h30\n"


def test_status_without_a_log(run_cli: Runner, tmp_path: Path) -> None:
    result = run_cli("--file", str(tmp_path / "none.LOG"), "status",
                     env=_env(tmp_path, "2026-12-09T18:30"))
    assert (result.code, result.out) == (0, "no plan\n")


def test_editor_command_line() -> None:
    path = Path("/x/w.LOG")
    assert editor_command("vim", path, 12) == ["vim", "+12", "/x/w.LOG"]
    assert editor_command("/usr/bin/nano -w", path, 3) == ["/usr/bin/nano", "-w", "+3", "/x/w.LOG"]
    assert editor_command("code --wait", path, 3) == ["code", "--wait", "/x/w.LOG"]


def _editor(tmp_path: Path, script: str) -> str:
    """A real editor for the test: ``vi`` by name (so it is given ``+LINE``), a shell
    script that writes down its arguments and runs ``script`` on the file."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    editor = folder / "vi"
    editor.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\nfile="$2"\n{script}\n',
                      encoding="utf-8")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    return str(editor)


def test_edit_opens_at_the_entry_and_checks(run_cli: Runner, week: Path, tmp_path: Path) -> None:
    swap = 's/^1), 09:00-12:00 13:00-18:00/1), 09:00-12:00 13:00-12:00/'
    editor = _editor(tmp_path, f'sed -i "{swap}" "$file"')
    result = run_cli("--file", str(week), "edit", "09:00 2026-12-09",
                     env={"EDITOR": editor, "VISUAL": ""})
    assert (tmp_path / "args").read_text(encoding="utf-8") == f"+55 {week}\n"
    assert result.code == 1
    assert f"{week}:60: 13:00-12:00 ends before it starts" in result.out
    assert result.err == f"{week}: changed, 2 problem(s)\n"


def test_edit_unchanged_and_refusals(run_cli: Runner, week: Path, tmp_path: Path) -> None:
    editor = _editor(tmp_path, "true")
    last = run_cli("--file", str(week), "edit", env={"EDITOR": editor, "VISUAL": ""})
    assert (tmp_path / "args").read_text(encoding="utf-8") == f"+102 {week}\n"
    assert last.code == 1  # the sample week has one overlap on purpose
    assert last.err == f"{week}: unchanged, 1 problem(s)\n"
    missing = run_cli("--file", str(week), "edit", "09:00 2020-01-01", env={"EDITOR": editor})
    assert missing.code != 0
    assert missing.err == f"worklog: {week}: no entry stamped '09:00 2020-01-01'\n"
    failing = run_cli("--file", str(week), "edit", env={"EDITOR": _editor(tmp_path, "exit 3"),
                                                       "VISUAL": ""})
    assert failing.code != 0
    assert "exited with 3" in failing.err
