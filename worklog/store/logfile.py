"""The only code that opens, locks and writes the log file.

- ``load``: the whole file, parsed, with a fingerprint of what was read.
- ``load_tail``: the end of the file only, growing backwards until the caller has the
  entries it needs (worklog.store.tail): everyday commands cost the same on ten years of
  history as on a day.
- ``append``: one entry under an exclusive ``flock``, in a single write on an
  ``O_APPEND`` descriptor, fsync'd; reads only the file's end.
- ``replace_tail``, ``rewrite``: an atomic replace (temp file in the same folder, fsync,
  rename; mode and owner kept; a symlink is written through), or for the end of a large
  log an in-place edit under an undo journal; refused when the file changed since it
  was read.

Every write step is in worklog.store.fs, with its error policy: an error before the
new bytes are in place is LogFileError (the file is as it was), a failed fsync after
is UnconfirmedWriteError.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from worklog.errors import (
    FileChangedError,
    LogFileError,
    UnconfirmedWriteError,
    os_error_message,
)
from worklog.format.document import Document, ParseOptions, parse
from worklog.format.encoding import Codec, not_text, not_text_ends
from worklog.format.stamps import DEFAULT_SHAPE, Shape
from worklog.store import fit, fs
from worklog.store.fit import TextDoesNotFit
from worklog.store.fs import TMP_MARK, NotRegularFileError, open_regular, read_all, read_at
from worklog.store.lock import locked
from worklog.store.tail import Tail, read_tail
from worklog.store.undo_journal import journal_path, recover, replace_end

if TYPE_CHECKING:
    from worklog.format.writer import Style

__all__ = ["SMALL_FILE", "Appended", "Fingerprint", "Loaded", "LogFile", "Tail", "TextDoesNotFit"]

#: How much of each end of a mapped file tells whether it is text.
NOT_TEXT_PIECE = 64 * 1024

#: Up to this size a rewrite copies the whole file (temp file and rename).
SMALL_FILE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Fingerprint:
    """What was read: enough to tell whether the file changed since."""

    size: int
    digest: bytes

    @classmethod
    def of(cls, data: bytes) -> Fingerprint:
        import hashlib  # noqa: PLC0415  (not needed by the commands that only read)

        return cls(len(data), hashlib.blake2b(data, digest_size=32).digest())


@dataclass(frozen=True)
class Loaded:
    """The whole log read: its document, its bytes and their fingerprint."""

    doc: Document
    data: bytes
    fingerprint: Fingerprint


@dataclass(frozen=True)
class Appended:
    """What an append wrote: the stamp, the bytes, and where."""

    stamp_text: str
    offset: int
    data: bytes
    created: bool


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
        #: The status of the file as ``mapped`` last mapped it (None: not mapped yet).
        self.mapped_stat: os.stat_result | None = None
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

    def _open_to_read(self) -> int:
        """A read-only descriptor of the log, after any pending undo-journal recovery."""
        try:
            self._recover_if_needed()
            return open_regular(self.path, os.O_RDONLY)
        except OSError as exc:
            raise self._error(exc) from exc

    def check_writable(self) -> None:
        """Raise LogFileError when an append would surely fail (no folder, not a regular
        file, a read-only file system, an immutable or unwritable file), before an action
        whose record must not be lost is taken. A full disk shows only at the write."""
        try:
            fd = open_regular(self.path, os.O_WRONLY | os.O_APPEND)
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

    def check_fits(self, texts: Iterable[str]) -> None:
        """Raise TextDoesNotFit for the first of ``texts`` that an append could not write,
        deciding the encoding as ``append`` does, so always with certainty: a missing or
        empty file becomes UTF-8; else the file's end tells, and when the end is pure ASCII
        without a BOM (UTF-8 or ANSI?) the whole file is read. ASCII texts fit any log
        and read nothing."""
        pending = [text for text in texts if not text.isascii()]
        if not pending:
            return
        codec = Codec("utf-8")
        try:
            self._recover_if_needed()
            fd = open_regular(self.path, os.O_RDONLY)
        except FileNotFoundError:
            fd = -1
        except OSError as exc:
            raise self._error(exc) from exc
        if fd >= 0:
            try:
                if os.fstat(fd).st_size:
                    tail = self._tail_from_fd(fd, None)
                    codec = tail.doc.codec
                    if not tail.codec_certain:
                        codec = fit.certain_codec(fd, codec, self.options.ansi)
            except OSError as exc:
                raise self._error(exc) from exc
            finally:
                os.close(fd)
        for text in pending:
            try:
                codec.encode(text)
            except UnicodeEncodeError:
                raise TextDoesNotFit(self.path, text, codec.label, foreign_bytes=False) from None
            if codec.encoding == "utf-8" and fit.foreign_bytes(text):
                raise TextDoesNotFit(self.path, text, codec.label, foreign_bytes=True)

    def load(self) -> Loaded:
        """Read and parse the whole file."""
        try:
            self._recover_if_needed()
            fd = open_regular(self.path, os.O_RDONLY)
            try:
                data = read_all(fd)
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
        fd = self._open_to_read()
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
        fd = self._open_to_read()
        try:
            try:
                self.mapped_stat = os.fstat(fd)
                size = self.mapped_stat.st_size
                view = mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if size else None
            except OSError as exc:
                raise self._error(exc) from exc
            if view is None:
                yield b""
                return
            with view:
                view.madvise(mmap.MADV_SEQUENTIAL)
                self._note_if_not_text_ends(view)
                yield view
        finally:
            os.close(fd)

    def _tail_from_fd(self, fd: int, enough: Callable[[Document], bool] | None) -> Tail:
        return read_tail(fd, os.fstat(fd).st_size, self.options, enough)

    # --- writing -------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, flags: int, *, create: bool = False) -> Iterator[tuple[int, bool]]:
        """The file under the lock (worklog.store.lock), repaired first: yields (fd,
        created)."""
        with locked(self.path, flags, create=create) as (fd, created):
            self._repair_locked(fd, writable=(flags & os.O_ACCMODE) != os.O_RDONLY)
            yield fd, created

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
        text goes out in one write and is fsync'd. When the write fails the file is
        truncated back to its size before it: it stays exactly as it was (a file created
        for the append is removed again). When only the fsync after it fails, the entry
        stays and UnconfirmedWriteError says so.
        """
        with self._writing(), self._locked(os.O_RDWR | os.O_APPEND, create=True) as (
            fd, created
        ):
            try:
                return self._append_locked(fd, created, tags, body, when, render)
            except BaseException as exc:
                if created and not isinstance(exc, fs.NotConfirmed):
                    # Nothing went in: the file was not there before.
                    with contextlib.suppress(OSError):
                        os.unlink(self.real_path)
                raise

    def _append_locked(
        self,
        fd: int,
        created: bool,
        tags: list[str],
        body: list[str],
        when: datetime,
        render: Callable[[Style, str], str] | None,
    ) -> Appended:
        from worklog.format.writer import (  # noqa: PLC0415  (not to read)
            Style,
            new_file_text,
            render_append,
        )

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
            codec = fit.certain_codec(fd, codec, self.options.ansi)
        fit.refuse_foreign_bytes(self.path, codec, fit.foreign_bytes(text))
        data = (codec.bom if size == 0 else b"") + fit.encode(self.path, codec, text)
        fs.append(fd, data, size)
        return Appended(stamp_text, size, data, created)

    def _note_if_not_text(self, doc: Document) -> None:
        self.not_text = self.not_text or not_text(doc.text, doc.codec)

    def _note_if_not_text_ends(self, view: mmap.mmap) -> None:
        """``_note_if_not_text`` for a mapped file, judged on its two ends."""
        size = len(view)
        if self.not_text is None:
            head = view[: min(size, NOT_TEXT_PIECE)]
            tail = view[max(len(head), size - NOT_TEXT_PIECE):] if size > len(head) else b""
            self.not_text = not_text_ends(head, tail or head, ansi=self.options.ansi)

    def _refuse_not_text(self, doc: Document) -> None:
        """Nothing is written into a file that is not text (rule F2 cannot read it)."""
        looks = not_text(doc.text, doc.codec)
        if looks is not None:
            raise LogFileError(self.path, f"looks like {looks}, not a text log; "
                               "nothing was written")

    def _style_of(self, tail: Tail) -> tuple[Codec, Shape, Style]:
        from worklog.format.writer import Style  # noqa: PLC0415

        doc = tail.doc
        shape = doc.writing_shape()
        style = Style(doc.newline, doc.text[-4:], bool(doc.entries))
        return doc.codec, shape, style

    def replace_tail(self, tail: Tail, text: str) -> None:
        """Replace ``tail.doc.text`` with ``text`` in the file, if the file still holds
        exactly what ``tail`` read (else FileChangedError, nothing written); what was
        appended after it since is kept after the new text.

        A small file, or a tail that is the whole file, is replaced atomically (temp
        file and rename); the end of a large file is rewritten in place under an undo
        journal, so the cost follows the size of the edit, not of the history.
        """
        with self._writing(), self._locked(os.O_RDWR) as (fd, _):
            old_end, new_end = self._ends(fd, tail, text)
            if tail.offset + len(old_end) <= SMALL_FILE:
                head = read_at(fd, 0, tail.offset)
                fs.atomic_replace(self.real_path, head + new_end, os.fstat(fd))
            else:
                replace_end(fd, self.real_path, tail.offset, old_end, new_end)

    def _ends(self, fd: int, tail: Tail, text: str) -> tuple[bytes, bytes]:
        """Under the lock: the file's end from ``tail.offset`` as it is and as the edit
        makes it; FileChangedError when it is not what ``tail`` read."""
        doc = tail.doc
        self._refuse_not_text(doc)
        codec = doc.codec
        if not tail.codec_certain and not text.isascii():
            codec = fit.certain_codec(fd, codec, self.options.ansi)
        fit.refuse_foreign_bytes(self.path, codec, max(
            0, fit.foreign_bytes(text) - fit.foreign_bytes(doc.text)))
        old_end = codec.encode(doc.text) + doc.trailer
        new_end = fit.encode(self.path, codec, text) + doc.trailer
        size = os.fstat(fd).st_size
        current = read_at(fd, tail.offset, size - tail.offset)
        if current != old_end:
            # Entries appended since the read (by cron, another worklog) are not a
            # change to what was read: they stay, after the edit.
            if doc.trailer or size < tail.size or not current.startswith(old_end):
                raise FileChangedError(self.path)
            old_end, new_end = current, new_end + current[len(old_end):]
        return old_end, new_end

    def rewrite(self, expected: Fingerprint, data: bytes) -> None:
        """Replace the file's bytes atomically, if it still holds what was read."""
        real = self.real_path
        with self._writing():
            try:
                with self._locked(os.O_RDWR) as (fd, _):
                    current = read_at(fd, 0, os.fstat(fd).st_size)
                    if Fingerprint.of(current) != expected:
                        raise FileChangedError(self.path)
                    fs.atomic_replace(real, data, os.fstat(fd))
            except FileNotFoundError as exc:
                raise FileChangedError(self.path) from exc

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A write's errors as the user is told them: an OSError (the file is as it was)
        is LogFileError; new bytes in place but not confirmed on disk (``fs.NotConfirmed``)
        is UnconfirmedWriteError."""
        try:
            yield
        except fs.NotConfirmed as exc:
            raise UnconfirmedWriteError(self.path, os_error_message(exc.cause)) from exc
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
