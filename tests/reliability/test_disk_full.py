"""A full file system, a read-only file or file system, a missing folder: worklog fails
with one clear line (exit 4) and the log is exactly as it was (docs/RELIABILITY.md,
"Full disk and read-only files").

The full and read-only file systems are small tmpfs mounts made by the test (root only;
CI runs as root; elsewhere these tests are skipped, saying why). A read-only *file* is
made immutable with ``chattr +i``: for root, mode 0444 stops nothing (root writes
through permission bits), so the mode case runs only for other users.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    PAGE,
    SMALL,
    assert_one_error_line,
    fill,
    invoke,
    is_root,
    large_log,
    listing,
    remount_read_only,
    tmpfs,
)
from worklog.day import plan as planning
from worklog.store.logfile import LogFile
from worklog.store.undo_journal import _MAGIC, _digest, journal_path

NOW = {"WORKLOG_NOW": "2026-11-26T18:00"}
BIG_TEXT = "x" * 40_000  # needs pages a full file system does not have


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk", "16m") as where:
        yield where


# --- full file system -------------------------------------------------------------------


def test_append_on_a_full_file_system_changes_nothing(disk: Path, tmp_path: Path) -> None:
    log = disk / "work.LOG"
    log.write_bytes(SMALL)
    fill(disk)
    result = invoke(["--file", str(log), "add", BIG_TEXT], tmp_path, NOW)
    assert_one_error_line(result, 4, str(log))
    assert result.err == f"worklog: {log}: no space left on device\n"
    assert log.read_bytes() == SMALL
    assert listing(disk) == ["filler", "work.LOG"]


def test_a_new_log_on_a_full_file_system_is_not_left_behind(disk: Path, tmp_path: Path) -> None:
    log = disk / "new.LOG"
    fill(disk)
    result = invoke(["--file", str(log), "add", BIG_TEXT], tmp_path, NOW)
    assert result.err == f"worklog: {log}: no space left on device\n"
    assert result.code == 4
    assert listing(disk) == ["filler"]


def test_plan_edit_of_a_small_log_on_a_full_file_system(disk: Path, tmp_path: Path) -> None:
    """The rename path: the temporary copy cannot be written; it is removed, the log
    untouched."""
    log = disk / "work.LOG"
    log.write_bytes(SMALL + b"pad\n" * 3000)
    before = log.read_bytes()
    fill(disk)
    result = invoke(["--file", str(log), "done", "1"], tmp_path, NOW)
    assert result.err == f"worklog: {log}: no space left on device\n"
    assert result.code == 4
    assert log.read_bytes() == before
    assert listing(disk) == ["filler", "work.LOG"]


def test_plan_edit_of_a_large_log_when_the_journal_does_not_fit(
        disk: Path, tmp_path: Path) -> None:
    """The in-place path, step 1: the journal cannot be written: it is removed; the log
    was not touched."""
    log = disk / "work.LOG"
    log.write_bytes(large_log())
    before = log.read_bytes()
    fill(disk)
    result = invoke(["--file", str(log), "done", "1"], tmp_path, NOW)
    assert result.err == f"worklog: {log}: no space left on device\n"
    assert result.code == 4
    assert log.read_bytes() == before
    assert listing(disk) == ["filler", "work.LOG"]


def test_plan_edit_of_a_large_log_when_the_new_end_does_not_fit(
        disk: Path, tmp_path: Path) -> None:
    """The in-place path, step 2: the journal fits, then the longer new end does not:
    the old end is put back at once and the journal removed: the log is as it was, now,
    not only after the next command."""
    log = disk / "work.LOG"
    log.write_bytes(large_log(pad_to_page_end=True))
    before = log.read_bytes()
    # The journal `done` writes: the end of the file it reads (today's entries).
    offset = LogFile(log).load_tail(planning.enough_for(date(2026, 11, 26), previous=False)
                                    ).offset
    old_end = before[offset:]
    header = json.dumps({"offset": offset, "size": len(before),
                         "digest": _digest(old_end)}).encode() + b"\n"
    journal_pages = -(-(len(_MAGIC) + len(header) + len(old_end)) // PAGE)
    fill(disk, leave_pages=journal_pages)
    result = invoke(["--file", str(log), "done", "1"], tmp_path, NOW)
    assert result.err == f"worklog: {log}: no space left on device\n"
    assert result.code == 4
    assert log.read_bytes() == before
    assert not journal_path(log).exists()
    assert listing(disk) == ["filler", "work.LOG"]


# --- read-only file, read-only file system, missing folder ------------------------------


def _chattr(flag: str, path: Path) -> None:
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr {flag} is not possible here: {done.stderr.strip()}")


@pytest.mark.parametrize("args", [("add", "a note."), ("done", "1"), ("plan", "more")],
                         ids=["add", "done", "plan"])
def test_an_immutable_log(tmp_path: Path, args: tuple[str, ...]) -> None:
    """`chattr +i`: what stops even root from writing a file."""
    if shutil.which("chattr") is None or not is_root():
        pytest.skip("chattr +i needs root and e2fsprogs")
    log = tmp_path / "work.LOG"
    log.write_bytes(SMALL)
    _chattr("+i", log)
    try:
        result = invoke(["--file", str(log), *args], tmp_path, NOW)
        assert result.err == f"worklog: {log}: operation not permitted\n"
        assert result.code == 4
        assert log.read_bytes() == SMALL
        assert listing(tmp_path) == ["work.LOG"]
    finally:
        _chattr("-i", log)


@pytest.mark.skipif(is_root(), reason="root writes through mode 0444: see "
                    "test_an_immutable_log and test_a_read_only_file_system")
def test_a_read_only_log_for_a_user(tmp_path: Path) -> None:  # pragma: no cover - not root
    log = tmp_path / "work.LOG"
    log.write_bytes(SMALL)
    log.chmod(0o444)
    for args in (("add", "a note."), ("done", "1")):
        result = invoke(["--file", str(log), *args], tmp_path, NOW)
        assert result.err == f"worklog: {log}: permission denied\n"
        assert result.code == 4
        assert log.read_bytes() == SMALL


@pytest.mark.parametrize("args", [("add", "a note."), ("done", "1"), ("plan", "more")],
                         ids=["add", "done", "plan"])
def test_a_read_only_file_system(disk: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    log = disk / "work.LOG"
    log.write_bytes(SMALL)
    remount_read_only(disk)
    result = invoke(["--file", str(log), *args], tmp_path, NOW)
    assert result.err == f"worklog: {log}: read-only file system\n"
    assert result.code == 4
    assert log.read_bytes() == SMALL
    assert listing(disk) == ["work.LOG"]
    missing = invoke(["--file", str(disk / "new.LOG"), "add", "x."], tmp_path, NOW)
    assert missing.err == f"worklog: {disk / 'new.LOG'}: read-only file system\n"


@pytest.mark.parametrize("args", [("add", "a note."), ("plan", "first"), ("done", "1"),
                                  ("show",), ("today",)],
                         ids=["add", "plan", "done", "show", "today"])
def test_a_missing_folder(tmp_path: Path, args: tuple[str, ...]) -> None:
    log = tmp_path / "no-such-folder" / "work.LOG"
    result = invoke(["--file", str(log), *args], tmp_path, NOW)
    assert result.err == f"worklog: {log}: its folder does not exist\n"
    assert result.code == 4
    assert listing(tmp_path) == []
