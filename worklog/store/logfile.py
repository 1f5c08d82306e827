"""The only code that touches the log file.

- ``load``: the whole file, parsed, with a fingerprint of what was read.
- ``load_tail``: the end of the file only, growing backwards until the caller has the
  entries it needs: everyday commands cost the same on ten years of history as on a day.
- ``append``: one entry under an exclusive ``flock``, in a single write on an
  ``O_APPEND`` descriptor, fsync'd; reads only the file's end.
- ``rewrite``: an atomic replace (temp file in the same folder, fsync, rename; mode and
  owner kept; a symlink is written through) that refuses when the file changed since
  it was read.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import mmap
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from worklog.errors import FileChangedError, LogFileError, os_error_message
from worklog.format.document import Document, ParseOptions, parse, parse_text
from worklog.format.encoding import Codec, detect_partial, not_text
from worklog.format.stamps import DEFAULT_SHAPE, Shape
from worklog.format.writer import Style, new_file_text, render_append
from worklog.store.undo_journal import journal_path, recover, replace_end

HEAD_BYTES = 4096
FIRST_CHUNK = 64 * 1024
TMP_MARK = ".worklog-tmp-"
#: Up to this size a rewrite copies the whole file (temp file and rename).
SMALL_FILE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Fingerprint:
    """What was read: enough to tell whether the file changed since."""

    size: int
    digest: bytes

    @classmethod
    def of(cls, data: bytes) -> Fingerprint:
        return cls(len(data), hashlib.blake2b(data, digest_size=32).digest())


@dataclass(frozen=True)
class Loaded:
    doc: Document
    data: bytes
    fingerprint: Fingerprint


@dataclass(frozen=True)
class Tail:
    """The end of a file: a document of its last entries and where it starts in the file."""

    doc: Document
    offset: int  # byte offset in the file where doc.text starts (after any BOM)
    size: int  # the file's size when read
    whole: bool  # True when the tail reaches the start of the file
    codec_certain: bool


@dataclass(frozen=True)
class Appended:
    """What an append wrote: the stamp, the bytes, and where."""

    stamp_text: str
    offset: int
    data: bytes
    created: bool


def _read_at(fd: int, offset: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.pread(fd, size, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class NotRegularFileError(OSError):
    """The log path names a FIFO, a device or a socket: not a file worklog can keep."""


def _open_regular(path: Path, flags: int) -> int:
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


def _read_all(fd: int) -> bytes:
    return _read_at(fd, 0, os.fstat(fd).st_size)


_FOREIGN_BYTE = re.compile("[\udc80-\udcff]")


def _foreign_bytes(text: str) -> int:
    """How many undecodable input bytes (carried as U+DC80..U+DCFF) ``text`` holds."""
    return len(_FOREIGN_BYTE.findall(text))


def _line_start(buf: bytes, codec: Codec) -> int:
    """The offset of the first line start in ``buf`` (a chunk cut from the middle of a file)."""
    if codec.is_utf16:
        le = codec.encoding == "utf-16-le"
        for i in range(0, len(buf) - 1, 2):
            unit = buf[i : i + 2]
            char = unit[0] if le and unit[1] == 0 else unit[1] if not le and unit[0] == 0 else -1
            if char in (0x0A, 0x0D):
                nxt = buf[i + 2 : i + 4]
                lf = b"\n\x00" if le else b"\x00\n"
                return i + 4 if char == 0x0D and nxt == lf else i + 2
        return -1
    cut = min((p for p in (buf.find(b"\n"), buf.find(b"\r")) if p >= 0), default=-1)
    if cut < 0:
        return -1
    return cut + 2 if buf[cut : cut + 2] == b"\r\n" else cut + 1


class LogFile:
    """A log file on disk and the ways to read and write it safely."""

    def __init__(
        self,
        path: Path,
        options: ParseOptions | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.options = options or ParseOptions()
        #: What worklog repaired on the way (an interrupted edit undone...), for the user;
        #: each is also handed to ``on_notice`` as it happens.
        self.notices: list[str] = []
        #: What the file looks like when a read found it is not text (for the user).
        self.not_text: str | None = None
        self._on_notice = on_notice

    def _notice(self, message: str) -> None:
        self.notices.append(message)
        if self._on_notice is not None:
            self._on_notice(message)

    @property
    def real_path(self) -> Path:
        """The file itself: a symlink is written through, and stays a symlink."""
        return Path(os.path.realpath(self.path))

    def _recover_if_needed(self) -> None:
        """Undo an interrupted in-place edit before reading (see worklog.store.undo_journal)."""
        if journal_path(self.real_path).exists():
            try:
                with self._locked(os.O_RDWR):
                    pass
            except FileNotFoundError:
                return
            except OSError as exc:
                raise LogFileError(self.path, "an interrupted edit must be undone first, but "
                                   f"the file cannot be written: {os_error_message(exc)}") from exc

    def _repair_locked(self, fd: int, writable: bool) -> None:
        """Under the lock: undo an interrupted edit and remove stale temporary files."""
        real = self.real_path
        if writable:
            recovery = recover(fd, real)
            if recovery is not None:
                self._notice(
                    f"{self.path}: undid an interrupted edit (journal {recovery.journal.name})"
                    if recovery.restored else
                    f"{self.path}: removed an incomplete journal {recovery.journal.name}; "
                    "the file was not touched")
        for leftover in self.clean_leftovers():
            self._notice(f"{self.path}: removed {leftover.name}, left by an "
                                "interrupted rewrite")

    # --- reading -------------------------------------------------------------------

    def _error(self, exc: OSError) -> LogFileError:
        if isinstance(exc, FileNotFoundError):
            if not self.real_path.parent.is_dir():
                return LogFileError(self.path, "its folder does not exist")
            return LogFileError(self.path, "no such file (worklog add creates it)")
        if isinstance(exc, IsADirectoryError):
            return LogFileError(self.path, "is a folder, not a log file")
        if isinstance(exc, NotRegularFileError):
            return LogFileError(self.path, "is not a regular file (a FIFO or a device?), "
                                "not a log file")
        return LogFileError(self.path, os_error_message(exc))

    def check_writable(self) -> None:
        """Raise LogFileError when an append would surely fail (no folder, not a regular
        file, a read-only file system, an immutable or unwritable file), before an action
        whose record must not be lost is taken. A full disk shows only at the write."""
        try:
            fd = _open_regular(self.path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError as exc:
            folder = self.real_path.parent
            if not folder.is_dir():
                raise self._error(exc) from exc
            if not os.access(folder, os.W_OK):
                raise LogFileError(self.path, "its folder cannot be written") from exc
            return
        except OSError as exc:
            raise self._error(exc) from exc
        os.close(fd)

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> Loaded:
        """Read and parse the whole file."""
        try:
            self._recover_if_needed()
            fd = _open_regular(self.path, os.O_RDONLY)
            try:
                data = _read_all(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise self._error(exc) from exc
        doc = parse(data, self.options)
        self._note_if_not_text(doc)
        return Loaded(doc, data, Fingerprint.of(data))

    def load_tail(self, enough: Callable[[Document], bool] | None = None) -> Tail:
        """The file's last entries: at least one, and more until ``enough(doc)`` holds.

        Reads backwards in growing chunks, so the cost follows what is needed, not the
        file's size. Entries in the result are complete; text before the first of them
        is the rest of an older entry (the partial document's preamble).
        """
        try:
            self._recover_if_needed()
            fd = _open_regular(self.path, os.O_RDONLY)
        except OSError as exc:
            raise self._error(exc) from exc
        try:
            tail = self._tail_from_fd(fd, enough)
            self._note_if_not_text(tail.doc)
            return tail
        except OSError as exc:
            raise self._error(exc) from exc
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def mapped(self) -> Iterator[bytes | mmap.mmap]:
        """The whole file mapped read-only (an empty file gives ``b""``): searching a
        large log without reading it into memory (worklog.history.search)."""
        try:
            self._recover_if_needed()
            fd = _open_regular(self.path, os.O_RDONLY)
        except OSError as exc:
            raise self._error(exc) from exc
        try:
            try:
                size = os.fstat(fd).st_size
                view = mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if size else None
            except OSError as exc:
                raise self._error(exc) from exc
            if view is None:
                yield b""
                return
            with view:
                view.madvise(mmap.MADV_SEQUENTIAL)
                yield view
        finally:
            os.close(fd)

    def _tail_from_fd(self, fd: int, enough: Callable[[Document], bool] | None) -> Tail:
        size = os.fstat(fd).st_size
        head = _read_at(fd, 0, min(HEAD_BYTES, size))
        chunk = FIRST_CHUNK
        while True:
            start = max(0, size - chunk)
            buf = _read_at(fd, start, size - start)
            codec, certain = detect_partial(head, buf, ansi=self.options.ansi)
            if start <= len(codec.bom):
                body = buf[len(codec.bom) - start :] if codec.bom else buf
                text, trailer = codec.decode(body)
                doc = parse_text(text, codec, self.options, trailer=trailer)
                return Tail(doc, len(codec.bom), size, True, certain)
            if codec.is_utf16 and (start - len(codec.bom)) % 2:
                buf = buf[1:]
                start += 1
            cut = _line_start(buf, codec)
            if cut >= 0:
                text, trailer = codec.decode(buf[cut:])
                doc = parse_text(text, codec, self.options, trailer=trailer, first_line=0)
                if doc.entries and (enough is None or enough(doc)):
                    return Tail(doc, start + cut, size, False, certain)
            chunk *= 4

    # --- writing -------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, flags: int, *, create: bool = False) -> Iterator[tuple[int, bool]]:
        """An open descriptor on the current file under an exclusive lock.

        Yields (fd, created). Re-opens when the file was replaced (renamed over) while
        waiting for the lock, so that nothing is ever written to an unlinked file.
        """
        while True:
            created = False
            try:
                fd = _open_regular(self.path, flags)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    # Through a dangling symlink: O_EXCL refuses any symlink, so the
                    # target itself is created (the symlink stays).
                    fd = os.open(self.real_path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                                 0o600)
                    created = True
                except FileExistsError:
                    continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                held = os.fstat(fd)
                try:
                    now = os.stat(self.path)
                except FileNotFoundError:
                    now = None
                if now is None or (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
                    os.close(fd)
                    continue
                if created:
                    _fsync_dir(self.real_path)
                self._repair_locked(fd, writable=(flags & os.O_ACCMODE) != os.O_RDONLY)
                yield fd, created
                return
            finally:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def append(
        self,
        tags: list[str],
        body: list[str],
        when: datetime,
        *,
        render: Callable[[Style, str], str] | None = None,
    ) -> Appended:
        """Append one entry stamped ``when`` in the file's style (rules W1-W5).

        The file is created with the ``.LOG`` magic and mode 0600 when missing. Under
        the lock, the end of the file tells the stamp shape, newline and codec; the new
        text goes out in one write and is fsync'd. On any error the file is truncated
        back to its size before the write: it stays exactly as it was (a file created for
        the append is removed again).
        """
        try:
            with self._locked(os.O_RDWR | os.O_APPEND, create=True) as (fd, created):
                try:
                    return self._append_locked(fd, created, tags, body, when, render)
                except BaseException:
                    if created:  # nothing went in: the file was not there before
                        with contextlib.suppress(OSError):
                            os.unlink(self.real_path)
                    raise
        except OSError as exc:
            raise self._error(exc) from exc

    def _append_locked(
        self,
        fd: int,
        created: bool,
        tags: list[str],
        body: list[str],
        when: datetime,
        render: Callable[[Style, str], str] | None,
    ) -> Appended:
        size = os.fstat(fd).st_size
        prefix = ""
        certain = True
        if size == 0:
            codec, shape = Codec("utf-8"), DEFAULT_SHAPE
            prefix = new_file_text("\n")
            style = Style("\n", prefix, False)
        else:
            tail = self._tail_from_fd(fd, None)
            self._refuse_not_text(tail.doc)
            codec, shape, style = self._style_of(tail)
            certain = tail.codec_certain
            if tail.doc.trailer:
                # A UTF-16 file cut after an odd number of bytes: text written after the
                # stray byte would be read one byte off, as garbage.
                raise LogFileError(self.path, "ends in the middle of a UTF-16 character (an "
                                   "odd number of bytes); nothing was written")
        stamp_text = shape.format(when)
        text = render(style, stamp_text) if render else render_append(style, stamp_text, tags, body)
        text = prefix + text
        if not certain and not text.isascii():
            codec = self._certain_codec(fd, codec)
        self._refuse_foreign_bytes(codec, _foreign_bytes(text))
        data = (codec.bom if size == 0 else b"") + self._encode(codec, text)
        _write_all(fd, data, size)
        return Appended(stamp_text, size, data, created)

    def _note_if_not_text(self, doc: Document) -> None:
        self.not_text = self.not_text or not_text(doc.text, doc.codec)

    def _refuse_not_text(self, doc: Document) -> None:
        """Nothing is written into a file that is not text (rule F2 cannot read it)."""
        looks = not_text(doc.text, doc.codec)
        if looks is not None:
            raise LogFileError(self.path, f"looks like {looks}, not a text log; "
                               "nothing was written")

    def _style_of(self, tail: Tail) -> tuple[Codec, Shape, Style]:
        doc = tail.doc
        shape = doc.writing_shape()
        style = Style(doc.newline, doc.text[-4:], bool(doc.entries))
        return doc.codec, shape, style

    def _encode(self, codec: Codec, text: str) -> bytes:
        """The bytes of ``text`` in the file's encoding; bytes the file already held that
        its encoding cannot decode go back as they were; a new character the encoding
        cannot hold is an error, before anything is written."""
        try:
            return codec.encode(text)
        except UnicodeEncodeError as exc:
            raise LogFileError(self.path, f"{text[exc.start:exc.end]!r} cannot be written in "
                               f"the file's encoding ({codec.label}); nothing was written"
                               ) from exc

    def _refuse_foreign_bytes(self, codec: Codec, count: int) -> None:
        """New text holding bytes that are not UTF-8 (an argument or stdin in another
        encoding) must not go into a UTF-8 file: it would read as ANSI from then on."""
        if count and codec.encoding == "utf-8":
            raise LogFileError(self.path, "the new text holds bytes that are not UTF-8, which "
                               "would turn the file into another encoding; nothing was written")

    def _certain_codec(self, fd: int, codec: Codec) -> Codec:
        """Decide UTF-8 versus ANSI by reading the whole file (rare: non-ASCII text into
        a file whose end is pure ASCII)."""
        size = os.fstat(fd).st_size
        data = _read_at(fd, 0, size)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return Codec(self.options.ansi)
        return codec

    def replace_tail(self, tail: Tail, text: str) -> None:
        """Replace ``tail.doc.text`` with ``text`` in the file, if the file still holds
        exactly what ``tail`` read (else FileChangedError, nothing written); what was
        appended after it since is kept after the new text.

        A small file, or a tail that is the whole file, is replaced atomically (temp
        file and rename); the end of a large file is rewritten in place under an undo
        journal, so the cost follows the size of the edit, not of the history.
        """
        doc = tail.doc
        self._refuse_not_text(doc)
        try:
            with self._locked(os.O_RDWR) as (fd, _):
                codec = doc.codec
                if not tail.codec_certain and not text.isascii():
                    codec = self._certain_codec(fd, codec)
                self._refuse_foreign_bytes(
                    codec, max(0, _foreign_bytes(text) - _foreign_bytes(doc.text)))
                old_end = codec.encode(doc.text) + doc.trailer
                new_end = self._encode(codec, text) + doc.trailer
                size = os.fstat(fd).st_size
                current = _read_at(fd, tail.offset, size - tail.offset)
                if current != old_end:
                    # Entries appended since the read (by cron, another worklog) are not
                    # a change to what was read: they stay, after the edit.
                    if doc.trailer or size < tail.size or not current.startswith(old_end):
                        raise FileChangedError(self.path)
                    old_end, new_end = current, new_end + current[len(old_end):]
                if tail.offset + len(old_end) <= SMALL_FILE:
                    head = _read_at(fd, 0, tail.offset)
                    _atomic_replace(self.real_path, head + new_end, os.fstat(fd))
                else:
                    replace_end(fd, self.real_path, tail.offset, old_end, new_end)
        except OSError as exc:
            raise self._error(exc) from exc

    def rewrite(self, expected: Fingerprint, data: bytes) -> None:
        """Replace the file's bytes atomically, if it still holds what was read."""
        real = self.real_path
        try:
            with self._locked(os.O_RDWR) as (fd, _):
                current = _read_at(fd, 0, os.fstat(fd).st_size)
                if Fingerprint.of(current) != expected:
                    raise FileChangedError(self.path)
                _atomic_replace(real, data, os.fstat(fd))
        except FileNotFoundError as exc:
            raise FileChangedError(self.path) from exc
        except OSError as exc:
            raise self._error(exc) from exc

    def leftovers(self) -> list[Path]:
        """Temporary files an interrupted rewrite left beside the log."""
        real = self.real_path
        return sorted(real.parent.glob(f".{real.name}{TMP_MARK}*"))

    def clean_leftovers(self) -> list[Path]:
        """Remove leftovers of interrupted rewrites; return what was removed."""
        removed: list[Path] = []
        for path in self.leftovers():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
        return removed


def _write_all(fd: int, data: bytes, size_before: int) -> None:
    """One write (looping only on a short write), then fsync; undo on failure."""
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size_before)
            os.fsync(fd)
        raise


def _fsync_dir(path: Path) -> None:
    try:
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(dfd)


def _atomic_replace(real: Path, data: bytes, st: os.stat_result) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{real.name}{TMP_MARK}", dir=real.parent)
    tmp = Path(tmp_name)
    try:
        # Not ours to give away when not root: the file keeps its mode at least.
        with contextlib.suppress(PermissionError):
            os.fchown(fd, st.st_uid, st.st_gid)
        os.fchmod(fd, st.st_mode & 0o7777)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    try:
        os.replace(tmp, real)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(real)
