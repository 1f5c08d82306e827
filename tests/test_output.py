"""today and report fit the terminal: cut with … on a terminal, whole lines when piped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import terminal_output
from tests.conftest import ROOT
from worklog.cli.output import display_width, fit

LONG = ("a rather long item text that goes on and on beyond any reasonable terminal width "
        "of forty columns")
LOG = ("09:00 2026-12-11\nGTD\n0, 9:00\n\n1, today\n"
       f"1), 9:00-10:00 {LONG}\n"
       "2), 9:00 快照快照快照快照快照快照快照快照快照快照快照快照快照快照\n")


def test_fit_cuts_by_columns_and_keeps_colours() -> None:
    assert fit("abcdef", 4) == "abc…"
    assert fit("abcd", 4) == "abcd"
    assert fit("abcdef", None) == "abcdef"
    assert fit("快照快照", 5) == "快照…"
    assert display_width(fit("快照快照", 6)) <= 6
    assert fit("e\u0301e\u0301e\u0301e\u0301", 3) == "e\u0301e\u0301…"
    styled = "\x1b[1mbold text\x1b[0m and more"
    assert fit(styled, 6) == "\x1b[1mbold …\x1b[0m"
    assert display_width(styled) == len("bold text and more")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "WORKLOG_FILE")}
    return {**base, "XDG_CONFIG_HOME": str(tmp_path / "none"), "NO_COLOR": "1",
            "WORKLOG_NOW": "2026-12-11T13:00"}


@pytest.mark.parametrize("command", [["today"], ["report", "--by", "item"]])
def test_on_a_terminal_lines_fit_its_width(tmp_path: Path, env: dict[str, str],
                                           command: list[str]) -> None:
    path = tmp_path / "w.LOG"
    path.write_text(LOG, encoding="utf-8")
    out = terminal_output([sys.executable, "-m", "worklog", "--file", str(path), *command],
                          env, columns=40, cwd=str(ROOT)).decode()
    lines = out.replace("\r\n", "\n").splitlines()
    assert lines, out
    assert all(display_width(line) <= 40 for line in lines), lines
    assert any(line.endswith("…") and display_width(line) == 40 for line in lines), lines
    piped = subprocess.run([sys.executable, "-m", "worklog", "--file", str(path), *command],
                           capture_output=True, env={**env, "COLUMNS": "40"}, check=True,
                           cwd=ROOT)
    assert any(display_width(line) > 40 for line in piped.stdout.decode().splitlines())
    if command == ["today"]:
        assert LONG in piped.stdout.decode()
        assert "…" not in piped.stdout.decode()
