"""Shell completion (bash, zsh, fish) of option values and of today's item numbers,
driven the way the shells drive it: environment variables, one run of worklog."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT

SampleCopy = Callable[[str], Path]
AT = "2026-11-25T16:00"  # samples/worklog.LOG has a plan that day: items 1 to 4


def complete(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             shell: str, line: str, tmp_path: Path, *, raw: bool = False,
             now: str = AT) -> list[str]:
    """What ``worklog`` offers for ``line`` (the cursor at its end), in-process."""
    from worklog.cli.app import main  # noqa: PLC0415

    monkeypatch.setenv("_WORKLOG_COMPLETE", f"complete_{shell}")
    monkeypatch.setenv("WORKLOG_NOW", now)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("WORKLOG_FILE", raising=False)
    if shell == "bash":
        words = line.split()
        monkeypatch.setenv("COMP_WORDS", line)
        monkeypatch.setenv("COMP_CWORD", str(len(words) if line.endswith(" ") else len(words) - 1))
    else:
        monkeypatch.setenv("_TYPER_COMPLETE_ARGS", line)
        monkeypatch.setenv("_TYPER_COMPLETE_FISH_ACTION", "get-args")
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 0
    out = capsys.readouterr().out
    if raw:
        return out.splitlines()
    if shell == "zsh":  # _arguments '*: :(("json" "markdown"))' or "1":"help"
        inner = out.split("((", 1)[1].rsplit("))", 1)[0] if "((" in out else ""
        return [item.split('":"')[0].strip('"') for item in inner.splitlines() if item]
    return [line.split("\t")[0] for line in out.splitlines() if line]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("worklog export --format ", ["json", "markdown", "ics", "timeclock", "csv"]),
        ("worklog export --format m", ["markdown"]),
        ("worklog grep --kind ", ["plan", "email", "snapshot", "command", "note"]),
        ("worklog export --kind s", ["snapshot"]),
        ("worklog report --by ", ["day", "item", "tag"]),
        ("worklog report --by i", ["item"]),
        ("worklog --color ", ["auto", "always", "never"]),
        ("worklog today --color n", ["never"]),
        ("worklog help ", None),
    ],
)
def test_option_values(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                       tmp_path: Path, shell: str, line: str, expected: list[str] | None) -> None:
    got = complete(monkeypatch, capsys, shell, line, tmp_path)
    if expected is None:
        assert got[:2] == ["format", "commands"]
        assert "today" in got
    else:
        assert got == expected


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize("command", ["start", "done", "drop"])
def test_item_numbers_of_todays_plan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    sample: SampleCopy, shell: str, command: str
) -> None:
    path = sample("worklog.LOG")
    before = complete(monkeypatch, capsys, shell, f"worklog --file {path} {command} ", tmp_path)
    after = complete(monkeypatch, capsys, shell, f"worklog {command} --file {path} ", tmp_path)
    assert before == after == ["1", "2", "3", "4"]


def test_item_numbers_help_names_the_item(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    sample: SampleCopy
) -> None:
    path = sample("worklog.LOG")
    lines = complete(monkeypatch, capsys, "fish", f"worklog -f {path} start ", tmp_path, raw=True)
    assert lines[2] == "3\tactive: release notes for vmbackup 0.4"
    assert lines[0].startswith("1\tdone: answer Jonas: the kvm package")
    assert lines[0].endswith("…")
    assert len(lines[0]) <= len("1\t") + 50


@pytest.mark.parametrize("situation", ["missing", "no plan today"])
def test_item_numbers_without_a_plan_offer_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    sample: SampleCopy, situation: str
) -> None:
    path = tmp_path / "none.LOG" if situation == "missing" else sample("worklog.LOG")
    got = complete(monkeypatch, capsys, "bash", f"worklog start --file {path} ", tmp_path,
                   now="2026-11-30T09:00")
    assert got == []
    assert not (tmp_path / "none.LOG").exists()


def test_completion_loads_only_the_command_completed() -> None:
    """Completing `export --format` imports no day or snap commands (start-up stays small)."""
    code = ("import sys, os; from worklog.cli.app import main\n"
            "try:\n    main([])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.endswith('_cmds')), file=sys.stderr)")
    env = {**os.environ, "_WORKLOG_COMPLETE": "complete_bash",
           "COMP_WORDS": "worklog export --format ", "COMP_CWORD": "3"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, check=True)
    assert done.stdout.split() == ["json", "markdown", "ics", "timeclock", "csv"]
    loaded = done.stderr.strip().splitlines()[-1]
    assert loaded == "['worklog.cli.core_cmds', 'worklog.cli.search_cmds']"


def test_bash_runs_the_completion_script(sample: SampleCopy, tmp_path: Path) -> None:
    """A real bash sources what `worklog --show-completion bash` prints and completes."""
    bash = shutil.which("bash")
    worklog = Path(sys.executable).parent / "worklog"
    if bash is None or not worklog.exists():
        pytest.skip("needs bash and the worklog command of this environment")
    path = sample("worklog.LOG")
    env = {**os.environ, "WORKLOG_NOW": AT, "XDG_CONFIG_HOME": str(tmp_path / "no-config"),
           "PATH": f"{worklog.parent}:{os.environ['PATH']}"}
    script = subprocess.run([str(worklog)], env={**env, "_WORKLOG_COMPLETE": "source_bash"},
                            capture_output=True, text=True, check=True).stdout
    assert "complete -o default -F _worklog_completion worklog" in script
    probe = (script + "\nCOMP_WORDS=(worklog report --by '')\nCOMP_CWORD=3\n"
             "_worklog_completion worklog\necho \"${COMPREPLY[*]}\"\n"
             f"COMP_WORDS=(worklog done --file {path} '')\nCOMP_CWORD=4\n"
             "_worklog_completion worklog\necho \"${COMPREPLY[*]}\"\n")
    done = subprocess.run([bash, "--norc", "-c", probe], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.splitlines() == ["day item tag", "1 2 3 4"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_scripts_for_each_shell(shell: str) -> None:
    env = {**os.environ, "_WORKLOG_COMPLETE": f"source_{shell}"}
    done = subprocess.run([sys.executable, "-m", "worklog"], env=env, capture_output=True,
                          text=True, check=True)
    assert "_WORKLOG_COMPLETE=complete_" + shell in done.stdout


def test_conflicting_global_options_do_not_break_completion(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    sample: SampleCopy
) -> None:
    """A run refuses --file twice with different values; a completion offers what the later
    one names instead of failing under the cursor."""
    path = sample("worklog.LOG")
    line = f"worklog --file {tmp_path / 'other.LOG'} done --file {path} "
    assert complete(monkeypatch, capsys, "bash", line, tmp_path) == ["1", "2", "3", "4"]
