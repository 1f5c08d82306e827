"""Whether new text can go into the log as it is encoded, decided before anything is
written (used by ``worklog.store.logfile`` under the lock)."""

from __future__ import annotations

from pathlib import Path

from worklog.errors import LogFileError
from worklog.format.encoding import Codec
from worklog.format.patterns import lazy
from worklog.store.fs import read_all


class TextDoesNotFit(LogFileError):
    """A text the log cannot hold: its encoding has no place for a character, or the
    text carries bytes that are not UTF-8 into a UTF-8 log. Nothing was written."""

    def __init__(self, path: Path, text: str, encoding: str, *, foreign_bytes: bool) -> None:
        why = ("holds bytes that are not UTF-8" if foreign_bytes
               else f"cannot be written in the log's encoding ({encoding})")
        super().__init__(path, f"{text!r} {why}")
        self.text = text
        self.encoding = encoding
        self.foreign_bytes = foreign_bytes


_FOREIGN_BYTE = lazy("[\udc80-\udcff]")


def foreign_bytes(text: str) -> int:
    """How many undecodable input bytes (carried as U+DC80..U+DCFF) ``text`` holds."""
    return len(_FOREIGN_BYTE.findall(text))


def encode(path: Path, codec: Codec, text: str) -> bytes:
    """The bytes of ``text`` in the file's encoding; bytes the file already held that
    its encoding cannot decode go back as they were; a new character the encoding
    cannot hold is an error, before anything is written."""
    try:
        return codec.encode(text)
    except UnicodeEncodeError as exc:
        raise LogFileError(path, f"{text[exc.start:exc.end]!r} cannot be written in "
                           f"the file's encoding ({codec.label}); nothing was written"
                           ) from exc


def refuse_foreign_bytes(path: Path, codec: Codec, count: int) -> None:
    """New text holding bytes that are not UTF-8 (an argument or stdin in another
    encoding) must not go into a UTF-8 file: it would read as ANSI from then on."""
    if count and codec.encoding == "utf-8":
        raise LogFileError(path, "the new text holds bytes that are not UTF-8, which "
                           "would turn the file into another encoding; nothing was written")


def certain_codec(fd: int, codec: Codec, ansi: str) -> Codec:
    """Decide UTF-8 versus ANSI by reading the whole file (rare: non-ASCII text into
    a file whose end is pure ASCII)."""
    try:
        read_all(fd).decode("utf-8")
    except UnicodeDecodeError:
        return Codec(ansi)
    return codec
