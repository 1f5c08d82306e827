"""The file-system steps of every write to the log, with one error policy.

Used by ``worklog.store.logfile`` and ``worklog.store.undo_journal``; nothing else in
worklog writes, syncs or renames files. The policy:

- A failure before the step that puts the new bytes in place (the ``write`` on the
  ``O_APPEND`` descriptor, the ``rename`` over the log, the removal of the undo journal)
  raises the ``OSError``; the caller leaves the file as it was.
- A failure after that step, of an ``fsync`` that would confirm the new bytes are on
  disk, raises ``NotConfirmed``: the file holds the new version, but the system did not
  say it is stored. It is never retried: after a failed fsync the kernel may have
  dropped the dirty pages and marked them clean, so a second fsync that succeeds would
  confirm nothing (PostgreSQL's "fsyncgate").
- A folder that cannot be synced at all is not an error: ``EINVAL``/``ENOTSUP`` from its
  ``fsync`` (file systems that do not sync folders), or a folder worklog may not open
  for reading. Any other error from a folder's fsync is.
- ``EINTR`` is retried by Python itself (PEP 475) for ``write``, ``pwrite``, ``fsync``,
  ``ftruncate`` and ``flock``: an interrupted call did not fail.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

#: Temporary files of an atomic replace are named ``.NAME`` + this + a random part.
TMP_MARK = ".worklog-tmp-"
#: What a folder's fsync answers on file systems that cannot sync folders.
_FOLDER_SYNC_UNSUPPORTED = frozenset({errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP})
#: What opening a folder answers when worklog may not read it (it can still sync nothing).
_FOLDER_UNREADABLE = frozenset({errno.EACCES, errno.EPERM})


class NotConfirmed(Exception):
    """The new bytes are in place, but the fsync that would confirm them failed."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class NotRegularFileError(OSError):
    """The log path names a FIFO, a device or a socket: not a file worklog can keep."""


def open_regular(path: Path, flags: int) -> int:
    """``os.open`` for the log: a FIFO does not block the open, and anything but a
    regular file is refused (reading /dev/zero would never end)."""
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_at(fd: int, offset: int, size: int) -> bytes:
    """Up to ``size`` bytes from ``offset`` (fewer only at the end of the file)."""
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.pread(fd, size, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_all(fd: int) -> bytes:
    return read_at(fd, 0, os.fstat(fd).st_size)


def write_all(fd: int, data: bytes, offset: int | None = None) -> None:
    """All of ``data``, at the descriptor's position (or at ``offset``), looping only on
    a short write."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view) if offset is None else os.pwrite(fd, view, offset)
        view = view[written:]
        if offset is not None:
            offset += written


def fsync_folder(path: Path) -> None:
    """Sync the folder holding ``path`` (a new, renamed or removed name in it), under the
    policy above."""
    try:
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in _FOLDER_UNREADABLE:
            return
        raise
    try:
        os.fsync(dfd)
    except OSError as exc:
        if exc.errno not in _FOLDER_SYNC_UNSUPPORTED:
            raise
    finally:
        os.close(dfd)


def confirm(sync: Path | int) -> None:
    """The sync after the new bytes are in place: of the file (a descriptor) or of the
    folder holding a path. Its failure is ``NotConfirmed``."""
    try:
        if isinstance(sync, int):
            os.fsync(sync)
        else:
            fsync_folder(sync)
    except OSError as exc:
        raise NotConfirmed(exc) from exc


def append(fd: int, data: bytes, size_before: int) -> None:
    """Append ``data`` on an ``O_APPEND`` descriptor, then fsync it. A failed write is
    undone (the file truncated back to ``size_before``) and raised; a failed fsync,
    once the bytes are in the file, is ``NotConfirmed``."""
    try:
        write_all(fd, data)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size_before)
            os.fsync(fd)
        raise
    confirm(fd)


def _write_temp(real: Path, data: bytes, st: os.stat_result) -> Path:
    """A temporary file beside ``real`` holding ``data``, with ``st``'s owner (when
    allowed) and mode, fsync'd; removed again when any of it fails."""
    import tempfile  # noqa: PLC0415  (only to replace a file)

    fd, tmp_name = tempfile.mkstemp(prefix=f".{real.name}{TMP_MARK}", dir=real.parent)
    tmp = Path(tmp_name)
    try:
        # Not ours to give away when not root: the file keeps its mode at least.
        with contextlib.suppress(PermissionError):
            os.fchown(fd, st.st_uid, st.st_gid)
        os.fchmod(fd, st.st_mode & 0o7777)
        write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return tmp


def atomic_replace(real: Path, data: bytes, st: os.stat_result) -> None:
    """Make ``data`` the content of ``real``: a temporary file in the same folder, fsync,
    rename over ``real``, fsync of the folder. Up to the rename, a failure leaves
    ``real`` untouched and no temporary file; the folder's failed fsync after it is
    ``NotConfirmed``."""
    tmp = _write_temp(real, data, st)
    try:
        os.replace(tmp, real)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    confirm(real)


def write_file_atomic(path: Path, data: bytes) -> None:
    """Make ``data`` the content of ``path`` (a file of worklog's own, such as a cache):
    a temporary file beside it, renamed over it, so a reader sees the old content or the
    new one, never a part. Not synced: losing it in a crash costs nothing but speed."""
    import tempfile  # noqa: PLC0415  (only to replace a file)

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        write_all(fd, data)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
