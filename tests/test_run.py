"""worklog run: real commands, their transcripts as command entries, and worklog's exit code."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Runner
from worklog.capture.transcript import (
    Output,
    RunResult,
    clean_line,
    prompt_dir,
    record_lines,
    run_command,
)
from worklog.format.document import Entry, parse
from worklog.history.export import command_fields

NOW = {"WORKLOG_NOW": "2026-11-26T09:05"}
PY = sys.executable


def test_run_command_merges_output_and_reports_the_exit_code() -> None:
    seen: list[bytes] = []
    script = "import sys; print('out', flush=True); print('err', file=sys.stderr, flush=True); " \
             "print('out again'); sys.exit(3)"
    result = run_command([PY, "-c", script], seen.append)
    assert result.exit_code == 3
    assert result.output == ("out", "err", "out again")
    assert b"".join(seen) == b"out\nerr\nout again\n"
    assert result.signal is None
    assert result.error is None
    assert result.cwd == os.getcwd()


def test_run_command_not_found_and_not_runnable(tmp_path: Path) -> None:
    missing = run_command(["no-such-command-worklog"], lambda _: None)
    assert (missing.exit_code, missing.error, missing.output) == (127, "command not found", ())
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\necho hi\n")
    denied = run_command([str(script)], lambda _: None)
    assert (denied.exit_code, denied.error) == (126, "permission denied")


def test_run_command_through_a_pty() -> None:
    seen: list[bytes] = []
    result = run_command([PY, "-c", "import sys; print(sys.stdout.isatty())"], seen.append,
                         use_pty=True)
    assert (result.exit_code, result.output) == (0, ("True",))
    assert b"".join(seen) == b"True\r\n"


def test_output_keeps_the_end_within_limits() -> None:
    output = Output(max_lines=3, max_bytes=1000)
    output.feed(b"one\ntwo\nthr")
    output.feed(b"ee\nfour\nfive")
    output.close()
    assert output.text_lines() == ["three", "four", "five"]
    assert output.dropped == 2
    small = Output(max_lines=100, max_bytes=10)
    small.feed(b"aaaa\nbbbb\ncccc\n")
    assert (small.text_lines(), small.dropped) == (["bbbb", "cccc"], 1)


def test_clean_line_like_a_terminal_shows_it() -> None:
    assert clean_line("\x1b[1;31mred\x1b[0m text\r") == "red text"
    assert clean_line("progress 10%\rprogress 50%\rdone") == "done"
    assert clean_line("a\tb") == "a       b"
    assert clean_line("\x1b]0;title\x07x") == "x"


def test_prompt_dir() -> None:
    assert prompt_dir("/home/ann/src", "/home/ann") == "~/src"
    assert prompt_dir("/home/ann", "/home/ann") == "~"
    assert prompt_dir("/home/annie", "/home/ann") == "/home/annie"
    assert prompt_dir("/srv", None) == "/srv"


def test_record_lines_in_the_samples_shape() -> None:
    result = RunResult(("make", "check"), 2, 4.314, "/home/ann/src/vmbackup",
                       ("python3 -m pytest -q tests", "1 failed, 15 passed in 3.87s"))
    assert record_lines(result, user="ann", host="laptop.example.org", home="/home/ann") == [
        "worklog run make: exit 2 in 4.31 s",
        "command: make check",
        "exit: 2",
        "duration: 4.31 s",
        "cwd: /home/ann/src/vmbackup",
        "",
        "ann@laptop:~/src/vmbackup> make check",
        "python3 -m pytest -q tests",
        "1 failed, 15 passed in 3.87s",
    ]
    cut = RunResult(("seq", "5000"), 0, 0.01, "/tmp", ("4999", "5000"), 4998)
    lines = record_lines(cut, user="ann", host="h", home=None)
    assert lines[0] == "worklog run seq: exit 0 in 0.01 s, first 4998 lines of output left out"
    assert "left-out: 4998 lines" in lines
    assert lines[-3:] == ["[worklog: 4998 earlier lines left out]", "4999", "5000"]


def _entries(path: Path) -> list[Entry]:
    return parse(path.read_bytes()).entries


def test_run_cli_failing_command(run_cli: Runner, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "w.LOG"
    monkeypatch.chdir(tmp_path)
    result = run_cli("--file", str(log), "run", "--tags", "build", "--", PY, "-c",
                     "import sys; print('broken'); sys.exit(2)",
                     env={**NOW, "USER": "ann", "HOME": str(tmp_path)})
    assert result.code == 2
    assert result.out == "broken\n"
    assert result.err.startswith("logged ")
    (entry,) = _entries(log)
    assert entry.kind == "command"
    assert entry.tags == ["build"]
    command = f"{PY} -c 'import sys; print('\"'\"'broken'\"'\"'); sys.exit(2)'"
    assert entry.text_lines[0].startswith(f"worklog run {Path(PY).name}: exit 2 in ")
    assert entry.text_lines[1:3] == [f"command: {command}", "exit: 2"]
    assert entry.text_lines[4:] == ["cwd: " + str(tmp_path), "",
                                    f"ann@{os.uname().nodename.split('.')[0]}:~> {command}",
                                    "broken"]
    fields = command_fields(entry)
    assert fields is not None
    assert fields["exit"] == 2
    assert fields["cwd"] == str(tmp_path)
    (transcript,) = entry.transcripts
    assert (transcript.user, transcript.directory, transcript.output) == ("ann", "~", ("broken",))


def test_run_cli_false_and_missing(run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    false = run_cli("--file", str(log), "run", "false", env=NOW)
    assert false.code == 1
    missing = run_cli("--file", str(log), "run", "--", "no-such-command-worklog", "x", env=NOW)
    assert missing.code == 127
    assert missing.err.startswith("worklog: no-such-command-worklog: command not found; logged as ")
    assert missing.err.count("\n") == 1
    records = [e.record for e in _entries(log)]
    assert [(r.subject, r.result.split(" in ")[0], r.summary) for r in records if r] == [
        ("false", "exit 1", ""), ("no-such-command-worklog", "exit 127", "command not found")]
    ok = run_cli("--file", str(log), "run", "true", env=NOW)
    assert ok.code == 0
    usage = run_cli("--file", str(log), "run")
    assert usage.code == 2


@pytest.mark.parametrize("name", ["en-US-crlf-bom.LOG", "utf16le.LOG", "de-DE-cp1252.LOG"])
def test_run_into_each_encoding(run_cli: Runner, sample: Callable[[str], Path],
                                name: str) -> None:
    """The record lands in the file's own encoding and newline; text the file cannot hold
    (Korean into cp1252) is written as '?', and the record says so."""
    path = sample(name)
    before = path.read_bytes()
    doc = parse(before)
    result = run_cli("--file", str(path), "run", "--", PY, "-c", "print('스냅샷 ok')", env=NOW)
    assert result.code == 0, result.err
    after = parse(path.read_bytes())
    assert path.read_bytes().startswith(before)
    assert after.codec == doc.codec
    assert after.newline == doc.newline
    entry = after.entries[-1]
    assert entry.kind == "command"
    if doc.codec.encoding == "cp1252":
        assert entry.text_lines[-1] == "??? ok"
        assert entry.text_lines[5] == ("note: 9 characters the file's encoding (cp1252) "
                                       "cannot hold are written as ?")
    else:
        assert entry.text_lines[-1] == "스냅샷 ok"


def test_run_interrupted_is_still_logged(tmp_path: Path) -> None:
    """SIGINT to worklog (no terminal) goes to the command; the entry is written and
    worklog exits as the command did (130)."""
    log = tmp_path / "w.LOG"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    script = "import time; print('started', flush=True); time.sleep(60)"
    proc = subprocess.Popen([PY, "-m", "worklog", "--file", str(log), "run", "--", PY, "-c",
                             script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"started\n"
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    (entry,) = _entries(log)
    record = entry.record
    assert record is not None
    assert record.fields["exit"] == "130"
    assert record.fields["signal"] == "SIGINT"
    assert record.summary == "killed by SIGINT"


def test_run_output_is_shown_as_it_comes(tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = ("import time,sys\nfor i in range(3):\n print(i, flush=True)\n time.sleep(0.3)\n"
              "print('big\\n' * 3000, end='')")
    proc = subprocess.Popen([PY, "-m", "worklog", "--file", str(log), "run", "--", PY, "-c",
                             script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first == b"0\n"
    assert not log.exists()
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert rest == b"1\n2\n" + b"big\n" * 3000
    (entry,) = _entries(log)
    assert entry.record is not None
    assert entry.record.fields["left-out"] == "2003 lines"
    (transcript,) = entry.transcripts
    assert transcript.command.startswith(f"{PY} -c 'import time,sys\\nfor i in range(3):")
    assert transcript.output[0] == "[worklog: 2003 earlier lines left out]"
    assert transcript.output[1:] == ("big",) * 1000
    assert json.loads(json.dumps(entry.record.fields))["exit"] == "0"


def test_run_does_not_run_what_it_cannot_record(run_cli: Runner, tmp_path: Path) -> None:
    """A log in a missing folder: the command is not run at all (exit 4, one line)."""
    marker = tmp_path / "ran"
    log = tmp_path / "no-such-folder" / "w.LOG"
    result = run_cli("--file", str(log), "run", "--", "touch", str(marker), env=NOW)
    assert result.code == 4
    assert result.err == (f"worklog: {log}: its folder does not exist; the command was not "
                          "run\n")
    assert not marker.exists()


def _on_terminal(log: Path, argv: list[str], keys: list[tuple[bytes, bytes]]
                 ) -> tuple[int, bytes, list[Any], list[Any]]:
    """``worklog run -- ARGV`` on a terminal (a pty is its stdin, stdout and stderr):
    each (prompt, key) types ``key`` once ``prompt`` shows. Returns the exit code, what
    the terminal showed, and the terminal's settings before and after."""
    primary, secondary = os.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1",
           "WORKLOG_NOW": "2026-12-11T13:00"}
    before = termios.tcgetattr(secondary)
    proc = subprocess.Popen([PY, "-m", "worklog", "--file", str(log), "run", "--", *argv],
                            stdin=secondary, stdout=secondary, stderr=secondary, env=env,
                            start_new_session=True)
    shown = b""
    pending = list(keys)
    try:
        while proc.poll() is None or select.select([primary], [], [], 0.2)[0]:
            if not select.select([primary], [], [], 0.2)[0]:
                continue
            shown += os.read(primary, 4096)
            if pending and pending[0][0] in shown:
                os.write(primary, pending.pop(0)[1])
        after = termios.tcgetattr(secondary)
    finally:
        os.close(primary)
        os.close(secondary)
    return proc.wait(10), shown, before, after


def test_run_on_a_terminal_records_what_was_typed(tmp_path: Path) -> None:
    """The terminal showed `name? Ann` then `hello Ann`: so does the log."""
    log = tmp_path / "w.LOG"
    code, shown, before, after = _on_terminal(
        log, [PY, "-c", "n = input('name? '); print('hello', n)"], [(b"name? ", b"Ann\r")])
    assert code == 0, shown
    assert shown.startswith(b"name? Ann\r\nhello Ann\r\n")
    (entry,) = _entries(log)
    (transcript,) = entry.transcripts
    assert transcript.output == ("name? Ann", "hello Ann")
    assert after == before  # the terminal is put back as it was


def test_run_on_a_terminal_ctrl_c_reaches_the_command(tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    script = "import time; print('started', flush=True); time.sleep(60)"
    code, shown, _, _ = _on_terminal(log, [PY, "-c", script], [(b"started", b"\x03")])
    assert code == 130, shown
    (entry,) = _entries(log)
    assert entry.record is not None
    assert entry.record.fields["signal"] == "SIGINT"
