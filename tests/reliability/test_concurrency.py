"""Many worklog processes on one log at once, and another program saving the log
between worklog's read and its write (docs/RELIABILITY.md, "Concurrency").

The parallel tests start real OS processes. Each runs its share of commands through the
CLI's one entry point (``worklog.cli.app.main``) in a loop, so that 400 appends do not
pay 400 interpreter start-ups; every append is still a separate command with its own
``flock``, read of the file's end, write and fsync, exactly as ``worklog add`` does it.
All processes wait at a barrier and start together.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    CHANGED_MESSAGE,
    assert_one_error_line,
    child_env,
    invoke,
    listing,
)
from worklog.format.document import Entry, parse
from worklog.store.logfile import SMALL_FILE, LogFile, Tail

NOW = "2026-11-26T18:00"
STAMP = "18:00 2026-11-26"
APPENDERS = 8
PER_APPENDER = 50
ITEMS = 16
SNAPS = 10
PLAN_HEAD = ["09:00 2026-11-26", "GTD", "0, 9:00", "", "1, today"]
BEFORE_PLAN = b".LOG\n08:00 2026-11-25\nlab\nyesterday's notes.\n\n"

#: A child: run each job (an argument list) through ``main`` after the barrier; print
#: [exit code, stderr] of each as JSON. typer's command tree is built once per process,
#: as a long-running process would; everything else is the command as it runs.
LOOP = r"""
import functools, io, json, sys, time
import typer.main
# Build the command tree once per process (38 ms a call), not once per command.
typer.main.get_command = functools.lru_cache(maxsize=None)(typer.main.get_command)
from worklog.cli.app import main

jobs = json.loads(sys.argv[1])
pause = float(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
results = []
real = sys.stdout, sys.stderr
for args in jobs:
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    try:
        code = main(args)
    finally:
        sys.stdout, sys.stderr = real
    results.append([code, err.getvalue()])
    time.sleep(pause)
print(json.dumps(results), flush=True)
"""

Job = list[str]


def plan_log() -> bytes:
    items = "".join(f"{n}), task {n}\n" for n in range(1, ITEMS + 1))
    return BEFORE_PLAN + ("\n".join(PLAN_HEAD) + "\n" + items).encode()


def at(k: int) -> str:
    return f"{10 + k // 60}:{k % 60:02d}"


def editor_ops() -> list[tuple[str, int, str]]:
    """start 1, done 1, start 2, done 2, ... each at its own minute."""
    ops: list[tuple[str, int, str]] = []
    for n in range(1, ITEMS + 1):
        ops += [("start", n, at(2 * n - 1)), ("done", n, at(2 * n))]
    return ops


def expected_items(ops: list[tuple[str, int, str]], codes: list[int]) -> list[str]:
    """The plan's item lines after the edits that exited 0 (docs/CLI.md: `start` ends any
    other open range at the same time; `done` ends the item's own range, then marks it)."""
    ranges: dict[int, list[str]] = {n: [] for n in range(1, ITEMS + 1)}
    done: set[int] = set()
    running: int | None = None
    for (verb, n, when), code in zip(ops, codes, strict=True):
        if code != 0:
            continue
        if verb == "start":
            if running is not None and running != n:
                ranges[running][-1] += when
            ranges[n].append(f"{when}-")
            running = n
        else:
            if running == n:
                ranges[n][-1] += when
                running = None
            done.add(n)
    return [f"{n}), " + "".join(r + " " for r in ranges[n]) + f"task {n}"
            + (" (done)" if n in done else "") for n in range(1, ITEMS + 1)]


def run_together(groups: list[tuple[list[Job], float]], env: dict[str, str]
                 ) -> list[list[tuple[int, str]]]:
    """Start one process per group, release them together, return each job's
    (exit code, stderr)."""
    procs = [
        subprocess.Popen([sys.executable, "-c", LOOP, json.dumps(jobs), str(pause)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, text=True)
        for jobs, pause in groups
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results: list[list[tuple[int, str]]] = []
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            assert err == "", err  # no traceback, nothing outside the commands
            results.append([(code, text) for code, text in json.loads(out)])
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:  # pragma: no cover - only when an assertion failed
                proc.kill()
                proc.wait()


def appender_jobs(log: Path, token: str) -> list[list[Job]]:
    return [[["--file", str(log), "add", f"proc {p} entry {k} {token}"]
             for k in range(PER_APPENDER)] for p in range(APPENDERS)]


def check_appended(notes: list[Entry], token: str, last: Entry) -> None:
    """Every appended text once, intact, alone in its own entry; each process's entries
    in the order it wrote them."""
    texts = [e.text for e in notes]
    wanted = {f"proc {p} entry {k} {token}" for p in range(APPENDERS)
              for k in range(PER_APPENDER)}
    assert Counter(texts) == Counter(wanted)
    for entry in notes:
        assert entry.stamp.text == STAMP
        assert entry.tags == []
        tail = "\n" if entry is last else "\n\n"
        assert entry.source == f"{STAMP}\n{entry.text}{tail}"
    for p in range(APPENDERS):
        order = [int(t.split()[3]) for t in texts if t.startswith(f"proc {p} ")]
        assert order == list(range(PER_APPENDER))


@pytest.mark.parametrize("with_snap", [False, True], ids=["add+plan-edits",
                                                           "add+plan-edits+snap"])
def test_parallel_appends_plan_edits_and_snapshots(tmp_path: Path, with_snap: bool) -> None:
    """8 processes append 50 entries each while another runs `start`/`done` on today's
    plan (and a third takes snapshots on libvirt's test driver): all 400 entries are
    there once and intact, each plan edit happened (exit 0) or was refused (exit 3, one
    line), and the plan reads exactly as the edits that happened make it."""
    log = tmp_path / "work.LOG"
    original = plan_log()
    log.write_bytes(original)
    token = secrets.token_hex(6)
    ops = editor_ops()
    groups: list[tuple[list[Job], float]] = [(jobs, 0.0) for jobs in appender_jobs(log, token)]
    groups.append(([["--file", str(log), verb, str(n), "--at", when] for verb, n, when in ops],
                   0.03))
    if with_snap:
        pytest.importorskip("libvirt")
        from tests.libvirt_nodes import NodeDomain, write_node  # noqa: PLC0415

        uri = write_node(tmp_path, [NodeDomain("web01")])
        groups.append(([["--file", str(log), "snap", "web01", "--connect", uri,
                         "--name", f"snap-{k}"] for k in range(SNAPS)], 0.05))
    results = run_together(groups, child_env(tmp_path, WORKLOG_NOW=NOW))

    for proc_results in results[:APPENDERS]:
        assert [code for code, _ in proc_results] == [0] * PER_APPENDER
    edits = results[APPENDERS]
    codes = [code for code, _ in edits]
    for (verb, n, when), (code, err) in zip(ops, edits, strict=True):
        if code == 3:
            assert err == f"worklog: {log}: {CHANGED_MESSAGE}\n"
        else:
            assert code == 0, err
            said = (f"item {n} (task {n}): started at {when}\n" if verb == "start"
                    else f"item {n} (task {n}): done\n")
            assert err.endswith(said)

    final = log.read_bytes()
    assert final.startswith(BEFORE_PLAN)
    doc = parse(final)
    assert doc.to_bytes() == final
    first, plan, *rest = doc.entries
    assert first.source == BEFORE_PLAN[len(b".LOG\n"):].decode()
    assert plan.kind == "plan"
    assert [content for content, _ in plan.lines][: len(PLAN_HEAD) + ITEMS] == (
        PLAN_HEAD + expected_items(ops, codes))
    notes = [e for e in rest if e.kind == "note"]
    snaps = [e for e in rest if e.kind == "snapshot"]
    assert len(notes) + len(snaps) == len(rest)
    check_appended(notes, token, doc.entries[-1])
    if with_snap:
        assert [code for code, _ in results[-1]] == [0] * SNAPS
        records = [e.record for e in snaps]
        assert sorted(r.fields["name"] for r in records if r is not None) == sorted(
            f"snap-{k}" for k in range(SNAPS))
        assert all(r is not None and r.fields["result"] == "ok" for r in records)
    else:
        assert snaps == []
    assert len(doc.entries) == 2 + APPENDERS * PER_APPENDER + (SNAPS if with_snap else 0)
    assert listing(tmp_path) == sorted(["work.LOG", *(["node.xml"] if with_snap else [])])


# --- another program saves the file between worklog's read and its write ----------------


def log_of(size: str) -> bytes:
    """A log ending with today's plan: ``small`` (the whole file is the end worklog
    reads), ``medium`` (300 kB: replaced by rename) or ``large`` (over SMALL_FILE: its end
    is edited in place under the journal)."""
    if size == "small":
        return plan_log()
    note = b"10:00 2026-11-20\nlab\n" + b"an old note of some length.\n" * 40 + b"\n"
    target = 300_000 if size == "medium" else SMALL_FILE + 100_000
    history = note * (target // len(note) + 1)
    return b".LOG\n" + history + plan_log()[len(b".LOG\n"):]


def _notepad_in_place(path: Path, data: bytes) -> None:
    with open(path, "r+b") as handle:  # same inode: truncate and write
        handle.truncate(0)
        handle.write(data)


def _editor_rename(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".editor-save")
    tmp.write_bytes(data)
    tmp.replace(path)  # a new inode, as editors that save by rename do


SAVES: dict[str, Callable[[Path, bytes], None]] = {
    "notepad-in-place": _notepad_in_place,
    "editor-rename": _editor_rename,
}


@pytest.mark.parametrize("size", ["small", "medium", "large"])
@pytest.mark.parametrize("save", sorted(SAVES))
@pytest.mark.parametrize("change", ["plan-edited", "shortened"])
def test_a_save_between_read_and_write_is_refused_and_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: str, save: str,
        change: str) -> None:
    """Another program saves the log after worklog read it and before it writes: worklog
    writes nothing, says so in one line (exit 3), and the file is what the other program
    saved, byte for byte."""
    log = tmp_path / "work.LOG"
    original = log_of(size)
    log.write_bytes(original)
    saved = {
        "plan-edited": original.replace(b"3), task 3\n", b"3), task 3, by hand (done)\n"),
        "shortened": original[: original.index(b"5), task 5\n")],
    }[change]
    real_replace_tail = LogFile.replace_tail

    def other_program_saves_first(self: LogFile, tail: Tail, text: str) -> None:
        SAVES[save](log, saved)
        real_replace_tail(self, tail, text)

    monkeypatch.setattr(LogFile, "replace_tail", other_program_saves_first)
    result = invoke(["--file", str(log), "done", "2", "--at", "10:30"], tmp_path,
                    {"WORKLOG_NOW": NOW})
    line = assert_one_error_line(result, 3, str(log))
    assert line == f"worklog: {log}: {CHANGED_MESSAGE}"
    assert log.read_bytes() == saved
    assert listing(tmp_path) == ["work.LOG"]


@pytest.mark.parametrize("size", ["small", "medium", "large"])
@pytest.mark.parametrize("save", sorted(SAVES))
def test_text_added_at_the_end_meanwhile_stays_after_the_edit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: str, save: str) -> None:
    """An entry typed at the end (or appended by cron) after worklog read the plan: that is
    not a change to what worklog read, so the edit goes through and the new entry stays
    after it, byte for byte. Without this, a busy log would refuse every plan edit."""
    log = tmp_path / "work.LOG"
    original = log_of(size)
    log.write_bytes(original)
    saved = original + b"\n18:01 2026-11-26\ntyped in Notepad.\n"
    real_replace_tail = LogFile.replace_tail

    def other_program_saves_first(self: LogFile, tail: Tail, text: str) -> None:
        SAVES[save](log, saved)
        real_replace_tail(self, tail, text)

    monkeypatch.setattr(LogFile, "replace_tail", other_program_saves_first)
    result = invoke(["--file", str(log), "done", "2", "--at", "10:30"], tmp_path,
                    {"WORKLOG_NOW": NOW})
    assert (result.code, result.err) == (0, "item 2 (task 2): done\n")
    assert log.read_bytes() == saved.replace(b"2), task 2\n", b"2), task 2 (done)\n")
    assert listing(tmp_path) == ["work.LOG"]


@pytest.mark.parametrize("size", ["medium", "large"])
def test_a_save_that_changed_only_older_history_is_kept_under_the_edit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: str) -> None:
    """A same-size fix in an old entry saved meanwhile, before the end worklog read and
    edits: the edit goes through and the other program's change stays: nothing is lost.
    (In a log whose end worklog reads whole, any change is refused as above.)"""
    log = tmp_path / "work.LOG"
    original = log_of(size)
    log.write_bytes(original)
    saved = original.replace(b"an old note", b"an OLD note", 1)
    assert LogFile(log).load_tail().offset > saved.index(b"an OLD note")
    real_replace_tail = LogFile.replace_tail

    def other_program_saves_first(self: LogFile, tail: Tail, text: str) -> None:
        _notepad_in_place(log, saved)
        real_replace_tail(self, tail, text)

    monkeypatch.setattr(LogFile, "replace_tail", other_program_saves_first)
    result = invoke(["--file", str(log), "done", "2", "--at", "10:30"], tmp_path,
                    {"WORKLOG_NOW": NOW})
    assert (result.code, result.err) == (0, "item 2 (task 2): done\n")
    assert log.read_bytes() == saved.replace(b"2), task 2\n", b"2), task 2 (done)\n")
    assert listing(tmp_path) == ["work.LOG"]
