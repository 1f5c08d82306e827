"""Crash-safe replacement of a file's end, in place, for logs too large to copy.

Used only by ``worklog.store.logfile``. Changing today's plan in a 100 MB log must not cost a
100 MB copy, so the end of the file is rewritten in place, guarded by an undo journal:

1. the old end of the file goes to ``.NAME.worklog-journal`` beside it, with its offset,
   the file's old size and a checksum; the journal is fsync'd;
2. the new end is written at the offset, the file truncated to its new size, fsync'd;
3. the journal is removed.

A crash before 3 leaves a complete journal: the next worklog command that opens the log
puts the old end back (``recover``) and says so, so the file is the old version byte for
byte. A crash while writing the journal leaves an incomplete one and an untouched file:
it is simply removed. An error instead of a crash (a full disk) is undone at once: a
failed step 1 removes its journal, a failed step 2 or 3 puts the old end back (a journal
that cannot be removed would undo the edit at the next command). A failed fsync of the
folder after step 3 cannot be undone: the edit is made, but not confirmed on disk.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from worklog.store import fs

JOURNAL_MARK = ".worklog-journal"
_MAGIC = b"worklog-journal 1\n"


def journal_path(real: Path) -> Path:
    return real.parent / f".{real.name}{JOURNAL_MARK}"


@dataclass(frozen=True)
class Recovery:
    """What ``recover`` did: the journal it found and whether the file was restored."""

    journal: Path
    restored: bool


def _digest(data: bytes) -> str:
    import hashlib  # noqa: PLC0415  (only when the log is edited in place)

    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _write_journal(journal: Path, offset: int, old_end: bytes) -> None:
    """Step 1: the journal, complete and fsync'd with its folder; removed again when any
    of it fails (the file was not touched yet)."""
    import json  # noqa: PLC0415  (journals are rare: not at start-up)

    header = json.dumps({"offset": offset, "size": offset + len(old_end),
                         "digest": _digest(old_end)}).encode() + b"\n"
    try:
        jfd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            fs.write_all(jfd, _MAGIC + header + old_end)
            os.fsync(jfd)
        finally:
            os.close(jfd)
        fs.fsync_folder(journal)
    except BaseException:
        with contextlib.suppress(OSError):
            journal.unlink(missing_ok=True)
        raise


def replace_end(fd: int, real: Path, offset: int, old_end: bytes, new_end: bytes) -> None:
    """Replace the bytes from ``offset`` to the end (``old_end``) with ``new_end``.

    ``fd`` is open for reading and writing (not O_APPEND) and locked by the caller. An
    OSError means the file is the old version (or, when even putting it back failed,
    the journal stays for the next command to put it back); ``fs.NotConfirmed`` means
    it is the new version, but the journal's removal was not confirmed on disk.
    """
    journal = journal_path(real)
    _write_journal(journal, offset, old_end)
    try:
        fs.write_all(fd, new_end, offset)
        os.ftruncate(fd, offset + len(new_end))
        os.fsync(fd)
    except BaseException:
        # A full disk, an I/O error: put the old end back now rather than leave a mixed
        # file until the next command (if even that fails, the journal stays for it).
        with contextlib.suppress(OSError):
            recover(fd, real)
        raise
    try:
        journal.unlink()
    except BaseException:
        # A journal left behind would undo the edit at the next command: undo it now.
        with contextlib.suppress(OSError):
            recover(fd, real)
        raise
    fs.confirm(journal)


def recover(fd: int, real: Path) -> Recovery | None:
    """Undo an interrupted ``replace_end`` on the locked ``fd``; None when there was none."""
    journal = journal_path(real)
    try:
        data = journal.read_bytes()
    except FileNotFoundError:
        return None
    import json  # noqa: PLC0415

    restored = False
    if data.startswith(_MAGIC):
        header_end = data.find(b"\n", len(_MAGIC))
        with contextlib.suppress(ValueError, KeyError, TypeError):
            header = json.loads(data[len(_MAGIC) : header_end])
            old_end = data[header_end + 1 :]
            complete = (header_end > 0 and _digest(old_end) == header["digest"]
                        and header["size"] == header["offset"] + len(old_end))
            if complete:
                fs.write_all(fd, old_end, int(header["offset"]))
                os.ftruncate(fd, int(header["size"]))
                os.fsync(fd)
                restored = True
    journal.unlink(missing_ok=True)
    fs.fsync_folder(journal)
    return Recovery(journal, restored)
