"""Conflict copies that file-sync engines leave beside a log, merged back into it.

Syncthing names the copy it could not reconcile ``NAME.sync-conflict-YYYYMMDD-HHMMSS-
DEVICEID.EXT``; Dropbox names it ``NAME (Host's conflicted copy YYYY-MM-DD).EXT``
(older versions leave out the host, a second copy of a day gets `` (1)``). Each copy is
merged two-way into the log, and removed only once the merged log is written and
synced, and only if it did not change meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from worklog.errors import LogFileError, os_error_message
from worklog.format.document import ParseOptions
from worklog.sync.files import Outcome, merge_files


def conflict_copy_pattern(log: Path) -> re.Pattern[str]:
    """The names of the conflict copies of ``log``, in the folder it is in."""
    stem, suffix = re.escape(log.stem), re.escape(log.suffix)
    syncthing = rf"{stem}\.sync-conflict-\d{{8}}-\d{{6}}-[A-Z0-9]{{7}}{suffix}"
    dropbox = (rf"{stem} \((?:[^()]+['’]s )?conflicted copy \d{{4}}-\d{{2}}-\d{{2}}"
               rf"(?: \(\d+\))?\){suffix}")
    return re.compile(f"(?:{syncthing}|{dropbox})")


def find_conflict_copies(log: Path) -> list[Path]:
    """The conflict copies beside ``log``, oldest name first."""
    real = Path(os.path.realpath(log))
    pattern = conflict_copy_pattern(real)
    try:
        names = sorted(os.listdir(real.parent))
    except OSError as exc:
        raise LogFileError(real.parent, os_error_message(exc)) from exc
    return [real.parent / name for name in names
            if pattern.fullmatch(name) and (real.parent / name).is_file()]


@dataclass(frozen=True)
class CopyMerged:
    outcome: Outcome
    removed: bool  # False when the copy changed while it was merged: it stays


def _signature(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def merge_conflict_copies(log: Path, options: ParseOptions | None = None,
                          on_notice: Callable[[str], None] | None = None) -> list[CopyMerged]:
    """Merge every conflict copy beside ``log`` into it, one after the other."""
    done: list[CopyMerged] = []
    for copy in find_conflict_copies(log):
        try:
            before = _signature(copy)
        except FileNotFoundError:
            continue  # taken away meanwhile (the sync engine resolved it)
        outcome = merge_files(log, copy, None, options, on_notice)
        done.append(CopyMerged(outcome, _remove_if_same(copy, before)))
    return done


def _remove_if_same(copy: Path, before: tuple[int, int, int]) -> bool:
    """Remove ``copy`` (the merged log is already written and synced) unless it changed."""
    try:
        if _signature(copy) != before:
            return False
        copy.unlink()
    except FileNotFoundError:
        return True
    except OSError as exc:
        raise LogFileError(copy, f"merged, but cannot be removed: {os_error_message(exc)}"
                           ) from exc
    with contextlib.suppress(OSError):
        fd = os.open(copy.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return True
