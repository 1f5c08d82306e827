"""Shared helpers of the reliability tests (docs/RELIABILITY.md).

- ``invoke``: ``worklog ARGS`` in this process, with an environment of its own, usable
  where a pytest fixture is not (inside hypothesis examples, in a forked child).
- ``child_env``: a scrubbed environment for worklog child processes.
- ``tmpfs``: a small tmpfs mounted for one test (a full or read-only file system);
  skipped, saying why, where mounting is not permitted.
- ``assert_one_error_line``: the one-line error contract of docs/CLI.md.
- ``SMALL``, ``large_log``: logs ending in today's plan, replaced whole or edited in place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.cli_runner import Result, run_worklog
from worklog.store.logfile import SMALL_FILE

ROOT = Path(__file__).resolve().parents[2]
WORKLOG = [sys.executable, "-m", "worklog"]
#: The exit codes of README.md ("Errors and exit codes") but 130 (Ctrl-C), which no
#: input alone can cause.
DOCUMENTED_EXITS = frozenset({0, 1, 2, 3, 4, 5, 6})
CHANGED_MESSAGE = ("changed since worklog read it (saved by another program?); nothing was "
                   "written, run the command again")
PAGE = 4096
#: Today's plan (at WORKLOG_NOW 2026-11-26), item 1 running; a small log ending in it.
PLAN = b"09:00 2026-11-26\nGTD\n0, 9:00\n\n1, today\n1), 9:30- fill the disk\n2), b\n"
SMALL = b".LOG\n08:00 2026-11-25\nlab\nyesterday.\n\n" + PLAN


def base_env(home: Path) -> dict[str, str]:
    """What every worklog run here sees: no WORKLOG_*, no LIBVIRT_*, no editor, an empty
    config folder, a home of its own, no colour."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / "empty-config"),
        "NO_COLOR": "1",
        "USER": "tester",
    }


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``python -m worklog`` child: ``base_env`` and the repository
    on PYTHONPATH."""
    return {**base_env(home), "PYTHONPATH": str(ROOT), **extra}


def invoke(
    args: Sequence[str],
    home: Path,
    env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
) -> Result:
    """``worklog ARGS`` in this process (``run_worklog``), with ``base_env(home)`` plus
    ``env`` as the whole environment. An exception that escapes ``main`` (a traceback a
    user would see) propagates to the test."""
    return run_worklog(args, {**base_env(home), **(env or {})}, stdin)


def assert_one_error_line(result: Result, code: int, *names: str) -> str:
    """The failure contract: exit ``code``, exactly one line on stderr, ``worklog: ``
    first, naming each of ``names`` (the file, its line, the argument)."""
    assert result.code == code, result
    lines = result.err.split("\n")
    assert len(lines) == 2, result.err
    assert lines[1] == "", result.err
    line = lines[0]
    assert line.startswith("worklog: "), line
    assert "Traceback" not in line
    for name in names:
        assert name in line, (name, line)
    return line


# --- mounts -----------------------------------------------------------------------------


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (e.g. ``64k``, ``16m``) mounted on ``where`` for the block.
    Skips the test, saying why, when this process may not mount (not root)."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); the tests of "
                    "full and read-only file systems run as root (CI does)")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)  # pragma: no cover


def remount_read_only(where: Path) -> None:
    result = _mount("-o", "remount,ro", str(where))
    assert result.returncode == 0, result.stderr


def fill(directory: Path, leave_pages: int = 0) -> Path:
    """Fill the file system of ``directory`` with a filler file, then give back exactly
    ``leave_pages`` pages of 4 KiB (tmpfs counts space in pages)."""
    filler = directory / "filler"
    block = b"\0" * PAGE
    with open(filler, "wb", buffering=0) as handle:
        full = False
        while not full:
            try:
                full = handle.write(block) != PAGE
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                full = True
    size = filler.stat().st_size
    assert size % PAGE == 0
    os.truncate(filler, size - leave_pages * PAGE)
    return filler


def large_log(pad_to_page_end: bool = False, plan: bytes = PLAN) -> bytes:
    """A log over SMALL_FILE ending with today's ``plan`` (the in-place journal path).
    With ``pad_to_page_end``, its size ends 3 bytes short of a 4 KiB page, so that the
    edit (`(done)` makes it longer) needs one more page."""
    note = b"10:00 2026-11-20\nlab\n" + b"history, kept as it is.\n" * 50 + b"\n"
    head = b".LOG\n" + note * (SMALL_FILE // len(note) + 5) + b"08:00 2026-11-25\nlab\n"
    data = head + b"yesterday.\n\n" + plan
    if pad_to_page_end:
        pad = (PAGE - 3 - len(data)) % PAGE
        data = head + b"y" * pad + b"yesterday.\n\n" + plan
        assert len(data) % PAGE == PAGE - 3
    return data


def is_root() -> bool:
    return os.geteuid() == 0


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())
