"""Reading the end of a log: its last entries, without reading ten years of history.

Used by ``worklog.store.logfile`` (``load_tail``, and under the lock before an append or
an edit). The end is read backwards in growing chunks from the first line start in the
chunk; the codec is told from the file's head and that chunk together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from worklog.format.document import Document, ParseOptions, parse, parse_text
from worklog.format.encoding import Codec, detect_partial
from worklog.store.fs import read_at

HEAD_BYTES = 4096
FIRST_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Tail:
    """The end of a file: a document of its last entries and where it starts in the file."""

    doc: Document
    offset: int  # byte offset in the file where doc.text starts (after any BOM)
    size: int  # the file's size when read
    whole: bool  # True when the tail reaches the start of the file
    codec_certain: bool


def line_start(buf: bytes, codec: Codec) -> int:
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


def read_tail(
    fd: int, size: int, options: ParseOptions, enough: Callable[[Document], bool] | None
) -> Tail:
    """The last entries of the file open on ``fd`` (``size`` bytes long): at least one,
    and more until ``enough(doc)`` holds."""
    head = read_at(fd, 0, min(HEAD_BYTES, size))
    chunk = FIRST_CHUNK
    while True:
        start = max(0, size - chunk)
        buf = read_at(fd, start, size - start)
        codec, certain = detect_partial(head, buf, ansi=options.ansi)
        if start <= len(codec.bom):
            body = buf[len(codec.bom) - start :] if codec.bom else buf
            text, trailer = codec.decode(body)
            doc = parse_text(text, codec, options, trailer=trailer)
            return Tail(doc, len(codec.bom), size, True, certain)
        if codec.is_utf16 and (start - len(codec.bom)) % 2:
            buf = buf[1:]
            start += 1
        cut = line_start(buf, codec)
        if cut >= 0:
            text, trailer = codec.decode(buf[cut:])
            doc = parse_text(text, codec, options, trailer=trailer, first_line=0)
            if doc.entries and (enough is None or enough(doc)):
                return Tail(doc, start + cut, size, False, certain)
        chunk *= 4


def read_from(fd: int, start: int, size: int, options: ParseOptions) -> Tail:
    """The entries of the file open on ``fd`` from byte ``start`` (a line start, or 0:
    the whole file) to ``size``, the codec told as ``read_tail`` tells it."""
    buf = read_at(fd, start, size - start)
    if start == 0:
        whole = parse(buf, options)
        return Tail(whole, len(whole.codec.bom), size, True, True)
    head = read_at(fd, 0, min(HEAD_BYTES, size))
    codec, certain = detect_partial(head, buf, ansi=options.ansi)
    text, trailer = codec.decode(buf)
    doc = parse_text(text, codec, options, trailer=trailer, first_line=0)
    return Tail(doc, start, size, False, certain)
