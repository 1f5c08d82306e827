"""The exclusive lock on the log that every write (and every repair) is made under."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from worklog.store import fs


@contextlib.contextmanager
def locked(path: Path, flags: int, *, create: bool = False) -> Iterator[tuple[int, bool]]:
    """An open descriptor on the current file at ``path`` under an exclusive ``flock``.

    Yields (fd, created). With ``create``, a missing file is created (mode 0600; through
    a dangling symlink, its target) and its name synced in the folder. Re-opens when the
    file was replaced (renamed over) while waiting for the lock, so that nothing is ever
    written to an unlinked file. ``EINTR`` from ``flock`` is retried by Python (PEP 475).
    """
    while True:
        created = False
        try:
            fd = fs.open_regular(path, flags)
        except FileNotFoundError:
            if not create:
                raise
            try:
                # Through a dangling symlink: O_EXCL refuses any symlink, so the target
                # itself is created (the symlink stays).
                fd = os.open(os.path.realpath(path),
                             flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                created = True
            except FileExistsError:
                continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if not _still_there(path, fd):
                continue
            if created:
                fs.fsync_folder(Path(os.path.realpath(path)))
            yield fd, created
            return
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)


def _still_there(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file open on ``fd``."""
    held = os.fstat(fd)
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
