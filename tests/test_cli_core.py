"""The everyday commands end to end: add, show, export, check, errors, the log's location."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import run_worklog, scrubbed_env
from tests.conftest import ROOT, SAMPLES, Runner
from worklog.errors import ExitCode
from worklog.format.document import parse

NOW = {"WORKLOG_NOW": "2026-11-26T09:05"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("en-US-crlf-bom.LOG",
         "\r\n9:05 AM 11/26/2026\r\nlab, vm\r\nsnapshot before the upgrade.\r\n"),
        ("utf16le.LOG", "\r\n09:05 26/11/2026\r\nlab, vm\r\nsnapshot before the upgrade.\r\n"),
        ("de-DE-cp1252.LOG", "\r\n09:05 26.11.2026\r\nlab, vm\r\nsnapshot before the upgrade.\r\n"),
        ("ko-KR.LOG", "\n오전 9:05 2026-11-26\nlab, vm\nsnapshot before the upgrade.\n"),
    ],
)
def test_add_keeps_every_byte_and_the_file_style(
    run_cli: Runner, sample: Callable[[str], Path], name: str, expected: str
) -> None:
    """The contract: every byte stays, the stamp has the shape of the latest stamp, the
    encoding, BOM and newline style stay the file's."""
    path = sample(name)
    original = path.read_bytes()
    codec = parse(original).codec
    result = run_cli("--file", str(path), "add", "--tags", "lab, vm",
                     "snapshot", "before", "the", "upgrade.", env=NOW)
    assert result.code == 0, result.err
    data = path.read_bytes()
    assert data[: len(original)] == original
    assert data[len(original):] == codec.encode(expected)
    assert parse(data).codec == codec
    exported = json.loads(run_cli("--file", str(path), "export", "--format", "json").out)
    assert exported[-1]["tags"] == ["lab", "vm"]
    assert exported[-1]["text"] == "snapshot before the upgrade."


def test_add_from_stdin_and_neutralised(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    stdin = b"pasted output:\n13:27 2014-02-10\nend of paste.\n"
    result = run_cli("--file", str(path), "add", "-", env=NOW, stdin=stdin)
    assert result.code == 0, result.err
    assert path.read_bytes() == (
        b".LOG\n09:05 2026-11-26\npasted output:\n 13:27 2014-02-10\nend of paste.\n")
    assert "added 09:05 2026-11-26" in result.err


def test_add_bad_tags_is_a_usage_error_and_writes_nothing(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes(b".LOG\n")
    result = run_cli("--file", str(path), "add", "--tags", "1, TODO", "x")
    assert result.code == 2
    assert result.err.startswith("worklog: --tags: '1' is not a tag")
    assert result.err.count("\n") == 1
    assert path.read_bytes() == b".LOG\n"


@pytest.mark.parametrize(("args", "stdin", "source"), [
    (["-"], b"", "stdin"),
    (["-"], b"  \n\t\n\n", "stdin"),
    ([], b"\n", "stdin"),
    (["  "], b"", "TEXT"),
    (["", ""], b"", "TEXT"),
    (["--tags", "libvirt", "-"], b"\n", "stdin"),
])
def test_add_with_empty_or_blank_text_writes_nothing(run_cli: Runner, tmp_path: Path,
                                                     args: list[str], stdin: bytes,
                                                     source: str) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes(b".LOG\n09:00 2026-11-26\nfirst\n")
    before = path.read_bytes()
    result = run_cli("--file", str(path), "add", *args, stdin=stdin)
    assert (result.code, result.err) == (
        1, f"worklog: {source}: the entry's text is empty; nothing was written\n")
    assert path.read_bytes() == before
    fresh = tmp_path / "new.LOG"
    assert run_cli("--file", str(fresh), "add", *args, stdin=stdin).code == 1
    assert not fresh.exists()


def test_export_json_contract(run_cli: Runner, seed_twin: Path) -> None:
    result = run_cli("--file", str(seed_twin), "export", "--format", "json")
    assert result.code == 0
    records = json.loads(result.out)
    assert len(records) == 5
    first, plan = records[0], records[3]
    assert {"stamp", "stamp_text", "line", "tags", "kind", "links", "text", "email"} <= set(first)
    assert first == {**first, "stamp": "2014-02-10T13:27", "stamp_text": "13:27 2014-02-10",
                     "line": 2, "tags": ["GTD"], "kind": "plan", "links": [],
                     "text": "0, 10:00\n\n1, today\n1), xl snapshot coding.", "email": None}
    assert plan["links"] == ["2014-02-11T10:20"]
    assert records[2]["email"] == {
        "from": '"Carl Meyer" <cmeyer@example.com>',
        "subject": "[virt-devel] Proposed KVM related packaging changes",
        "date": "2014-02-11T17:47",
    }
    assert records[1]["email"]["date"] is None


def test_export_filters(run_cli: Runner, seed_twin: Path) -> None:
    out = run_cli("--file", str(seed_twin), "export", "--kind", "email", "--since", "2014-02-11")
    assert [r["stamp"] for r in json.loads(out.out)] == ["2014-02-11T09:56", "2014-02-11T10:02"]
    out = run_cli("--file", str(seed_twin), "export", "--tag", "KVM")
    assert [r["line"] for r in json.loads(out.out)] == [20]
    before = run_cli("--file", str(seed_twin), "export", "--until", "2014-02-09")
    assert json.loads(before.out) == []


def test_show_last_and_by_stamp(run_cli: Runner, seed_twin: Path) -> None:
    text = seed_twin.read_text()
    last_two = run_cli("--file", str(seed_twin), "show", "--last", "2")
    assert last_two.out == text[text.index("10:19 2014-02-11"):]
    one = run_cli("--file", str(seed_twin), "show", "1:27 PM 2/10/2014")
    assert one.out == text[text.index("13:27 2014-02-10"):text.index("09:56 2014-02-11")]
    missing = run_cli("--file", str(seed_twin), "show", "10:00 2001-01-01")
    assert missing.code == 1
    assert "no entry stamped" in missing.err


def test_check_reports_file_and_line(run_cli: Runner, sample: Callable[[str], Path]) -> None:
    path = sample("mixed.LOG")
    result = run_cli("--file", str(path), "check")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines == [line for line in lines if line.startswith(f"{path}:")]
    codes = [line.rsplit("[", 1)[1].rstrip("]") for line in lines]
    assert codes == ["bad-stamp", "indented-stamp"]
    clean = run_cli("--file", str(sample("worklog.LOG")), "check")
    assert clean.code == 0, clean.out
    assert "no problems" in clean.err


def test_check_order_and_dangling_links(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes(b".LOG\n10:00 2014-02-11\nsee\"09:00 2014-02-01\" for it.\n\n"
                     b"09:00 2014-02-10\nearlier than before.\n")
    result = run_cli("--file", str(path), "check")
    assert result.out.splitlines() == [
        f"{path}:3: see\"09:00 2014-02-01\" refers to no entry [dangling-link]",
        f"{path}:5: stamp '09:00 2014-02-10' is earlier than the one before it "
        "('10:00 2014-02-11', line 2) [order]",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--bogus"], 2, "worklog: No such option: --bogus"),
        (["show", "--last", "0"], 2, "worklog: Invalid value for '--last'"),
        (["export", "--format", "xml"], 2, "worklog: --format: 'xml' is not a known format"),
        (["export", "--since", "someday soon"], 2, "worklog: --since: cannot read"),
        (["export", "--kind", "todo"], 2, "worklog: --kind: 'todo' is not a kind"),
        (["show", "yesterday-ish"], 2, "worklog: STAMP: 'yesterday-ish' is not a stamp"),
    ],
)
def test_bad_arguments_are_one_line(
    run_cli: Runner, seed_twin: Path, args: list[str], code: int, message: str
) -> None:
    result = run_cli("--file", str(seed_twin), *args)
    assert result.code == code
    assert result.err.startswith(message)
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err


def test_missing_file_and_folder(run_cli: Runner, tmp_path: Path) -> None:
    result = run_cli("--file", str(tmp_path / "none.LOG"), "show")
    assert (result.code, result.err) == (4, f"worklog: {tmp_path / 'none.LOG'}: no such file "
                                            "(worklog add creates it)\n")
    result = run_cli("--file", str(tmp_path / "no" / "dir.LOG"), "add", "x y z.")
    assert result.code == 4
    assert result.err.startswith(f"worklog: {tmp_path / 'no' / 'dir.LOG'}: ")


def test_where_the_log_is(run_cli: Runner, tmp_path: Path) -> None:
    """--file, else $WORKLOG_FILE, else the config's file, else ~/worklog.LOG."""
    home = tmp_path / "home"
    home.mkdir()
    config = tmp_path / "xdg" / "worklog"
    config.mkdir(parents=True)
    env = {"HOME": str(home), **NOW}
    run_cli("add", "default place.", env=env)
    assert (home / "worklog.LOG").exists()
    (config / "config.toml").write_text('file = "~/from-config.LOG"\n')
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    run_cli("add", "config place.", env=env)
    assert (home / "from-config.LOG").exists()
    env["WORKLOG_FILE"] = str(tmp_path / "env.LOG")
    run_cli("add", "env place.", env=env)
    assert (tmp_path / "env.LOG").exists()
    run_cli("--file", str(tmp_path / "opt.LOG"), "add", "option place.", env=env)
    assert (tmp_path / "opt.LOG").exists()


def test_bad_config_is_one_line(run_cli: Runner, tmp_path: Path) -> None:
    config = tmp_path / "xdg" / "worklog"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("day_first = maybe\n")
    result = run_cli("show", env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert result.code == 2
    assert result.err.startswith(f"worklog: {config / 'config.toml'}: ")
    (config / "config.toml").write_text('colour = "yes"\n')
    result = run_cli("show", env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert "unknown key 'colour'" in result.err


def test_day_first_config_reads_ambiguous_stamps(run_cli: Runner, tmp_path: Path) -> None:
    config = tmp_path / "xdg" / "worklog"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("day_first = false\n")
    path = tmp_path / "w.LOG"
    path.write_bytes(b".LOG\n09:05 03/02/2014\nnote with words.\n")
    out = run_cli("--file", str(path), "export", env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert json.loads(out.out)[0]["stamp"] == "2014-03-02T09:05"


def _subprocess_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKLOG")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_python_dash_m_and_piped_output_is_plain(tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes((SAMPLES / "worklog.LOG").read_bytes())
    done = subprocess.run([sys.executable, "-m", "worklog", "--file", str(path), "show", "-n", "3"],
                          capture_output=True, env=_subprocess_env(), check=False)
    assert done.returncode == 0
    assert b"\x1b[" not in done.stdout
    assert done.stdout.count(b"\n") > 3


def test_shell_completion_is_offered(tmp_path: Path) -> None:
    env = {**_subprocess_env(), "_WORKLOG_COMPLETE": "complete_bash",
           "COMP_WORDS": "worklog ex", "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-m", "worklog"], capture_output=True, env=env,
                          check=False, cwd=tmp_path)
    assert done.stdout.split() == [b"export"]


def test_add_with_no_text_on_a_terminal_opens_the_editor(tmp_path: Path) -> None:
    """No TEXT and stdin a terminal: $EDITOR edits the text, as git commit does."""
    path = tmp_path / "w.LOG"
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "written in the editor.\\n" > "$1"\n')
    editor.chmod(0o755)
    primary, secondary = os.openpty()
    try:
        env = {**_subprocess_env(), "EDITOR": str(editor), "WORKLOG_NOW": "2026-11-26T09:05"}
        done = subprocess.run([sys.executable, "-m", "worklog", "--file", str(path), "add"],
                              stdin=secondary, capture_output=True, env=env, check=False)
    finally:
        os.close(primary)
        os.close(secondary)
    assert done.returncode == 0, done.stderr
    assert path.read_bytes() == b".LOG\n09:05 2026-11-26\nwritten in the editor.\n"


def test_reader_going_away_is_not_an_error(tmp_path: Path) -> None:
    """`worklog export | head -c 10`: worklog exits 0 and says nothing when head stops."""
    path = tmp_path / "w.LOG"
    path.write_bytes(b".LOG\n" + b"".join(
        b"10:%02d 2014-02-10\nsome words of a note here.\n\n" % (m % 60) for m in range(3000)))
    script = (f'"{sys.executable}" -m worklog --file "{path}" export | head -c 10 >/dev/null; '
              'echo "${PIPESTATUS[0]}"')
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                          env=_subprocess_env(), check=True)
    assert done.stdout.strip() == "0"
    assert done.stderr == ""


class _InterruptedRead(io.RawIOBase):
    """A stdin that gets a real SIGINT (Ctrl-C) while worklog waits for its text."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        signal.raise_signal(signal.SIGINT)
        return 0  # pragma: no cover - the signal's KeyboardInterrupt comes first


def test_ctrl_c_is_exit_130_and_writes_nothing(tmp_path: Path) -> None:
    """Ctrl-C while worklog itself waits (here for the text of `add -`): exit 130 as a
    shell reports SIGINT, no traceback, the log untouched (README, exit codes)."""
    path = tmp_path / "w.LOG"
    path.write_bytes(b".LOG\n")
    stdin = io.TextIOWrapper(io.BufferedReader(_InterruptedRead()), encoding="utf-8")
    env = scrubbed_env(os.environ, str(tmp_path / "no-config"))
    result = run_worklog(["--file", str(path), "add", "-"], env, stdin)
    assert (result.code, result.out, result.err) == (130, "", "")
    assert path.read_bytes() == b".LOG\n"


def test_exit_codes_are_the_readmes() -> None:
    """The ExitCode enum and README's table of exit codes name the same codes."""
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0, "FAILED": 1, "USAGE": 2, "CHANGED": 3, "FILE": 4, "HYPERVISOR": 5,
        "UNCONFIRMED": 6, "INTERRUPTED": 130}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| (\d+) \|", readme, re.MULTILINE)
    assert [int(code) for code in table] == [0, 1, 2, 3, 4, 5, 6, 130]
