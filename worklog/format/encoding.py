"""Byte-exact decoding of a log file: BOM, encoding, and the way back.

Every decode here is reversible: ``Codec.encode(Codec.decode(data)) == data`` for any
``data``. Bytes that the encoding cannot map are carried as lone surrogates
(``surrogateescape`` for 8-bit encodings, ``surrogatepass`` for UTF-16) and an odd
trailing byte of a UTF-16 file is kept aside, so nothing is ever lost or replaced.
"""

from __future__ import annotations

import codecs
import mmap
from collections.abc import Callable
from dataclasses import dataclass

from worklog.format.patterns import lazy

DEFAULT_ANSI = "cp1252"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# ".LOG" in UTF-16 (written out: encoding it would load both UTF-16 codecs at start-up)
_UTF16LE_MAGIC = b".\x00L\x00O\x00G\x00"
_UTF16BE_MAGIC = b"\x00.\x00L\x00O\x00G"
#: The bytes of a file's start that can name its codec (a BOM, a UTF-16 ``.LOG``).
HEAD_SIZE = len(_UTF16LE_MAGIC)
_WINDOW = 1 << 20

#: A whole file's bytes, or a read-only memory map of it.
Buffer = bytes | mmap.mmap


@dataclass(frozen=True)
class Codec:
    """How a file's bytes become text and back: encoding, BOM and error handler."""

    encoding: str
    bom: bytes = b""

    @property
    def errors(self) -> str:
        return "surrogatepass" if self.is_utf16 else "surrogateescape"

    @property
    def is_utf16(self) -> bool:
        return self.encoding.startswith("utf-16")

    @property
    def unit(self) -> int:
        """Bytes per code unit: line breaks are found on this alignment."""
        return 2 if self.is_utf16 else 1

    def decode(self, data: bytes) -> tuple[str, bytes]:
        """Decode ``data`` (without BOM); return the text and undecodable trailing bytes."""
        trailer = b""
        if self.is_utf16 and len(data) % 2:
            data, trailer = data[:-1], data[-1:]
        return data.decode(self.encoding, self.errors), trailer

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding, self.errors)

    def can_encode(self, text: str) -> bool:
        """True when ``text`` has a faithful representation in this encoding."""
        try:
            text.encode(self.encoding, "strict")
        except UnicodeEncodeError:
            return False
        return True

    @property
    def label(self) -> str:
        """The encoding as a person would name it, e.g. ``UTF-8 with BOM``."""
        names = {"utf-8": "UTF-8", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE"}
        name = names.get(self.encoding, self.encoding)
        return f"{name} with BOM" if self.bom else name


def _is_utf8(data: bytes, *, partial: bool = False) -> bool:
    try:
        data.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        # A chunk cut from a file may end inside a multi-byte sequence.
        return partial and exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def codec_from_head(head: Buffer) -> Codec | None:
    """The codec a BOM or a UTF-16 `.LOG` magic names, or None when the head tells
    nothing (``head``: the file's first ``HEAD_SIZE`` bytes or more)."""
    head = bytes(head[:HEAD_SIZE])
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return Codec(encoding, bom)
    if head.startswith(_UTF16LE_MAGIC):
        return Codec("utf-16-le")
    if head.startswith(_UTF16BE_MAGIC):
        return Codec("utf-16-be")
    return None


def detect(data: Buffer, *, ansi: str = DEFAULT_ANSI,
           read: Callable[[int], object] | None = None) -> Codec:
    """Choose the codec of a whole file's bytes (or of a memory map of the file).

    A BOM decides; a UTF-16 ``.LOG`` magic without BOM is UTF-16; bytes that are valid
    UTF-8 are UTF-8; anything else is the ANSI code page ``ansi``. UTF-8 is checked a
    window at a time: a large file is never decoded at once.
    """
    codec = codec_from_head(data)
    if codec is not None:
        return codec
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    size = len(data)
    try:
        for low in range(0, size, _WINDOW):
            high = min(size, low + _WINDOW)
            decoder.decode(data[low:high], final=high >= size)
            if read is not None:
                read(high)
    except UnicodeDecodeError:
        return Codec(ansi)
    return Codec("utf-8")


def detect_partial(head: bytes, tail: bytes, *, ansi: str = DEFAULT_ANSI) -> tuple[Codec, bool]:
    """Choose the codec from the start and the end of a file, without reading it all.

    Returns the codec and whether the choice is certain. Without a BOM, a tail that is
    pure ASCII says nothing about the rest: UTF-8 is returned as uncertain (the caller
    only needs certainty when it writes non-ASCII text).

    ``tail`` ends where the file ends, but may start inside a character: up to three
    UTF-8 continuation bytes at its start are the rest of a character cut off. Its end
    is the file's end, so a sequence cut short there is not UTF-8 (as ``detect`` says).
    """
    codec = codec_from_head(head)
    if codec is not None:
        return codec, True
    skip = 0
    while skip < min(3, len(tail)) and 0x80 <= tail[skip] <= 0xBF:
        skip += 1
    tail = tail[skip:]
    if not _is_utf8(tail) or not _is_utf8(head, partial=True):
        return Codec(ansi), True
    certain = not tail.isascii() or not head.isascii()
    return Codec("utf-8"), certain and _is_utf8(head, partial=True)


def split_bom(data: bytes, codec: Codec) -> bytes:
    """The bytes after the codec's BOM."""
    return data[len(codec.bom) :] if codec.bom and data.startswith(codec.bom) else data


# --- is it text at all ----------------------------------------------------------------

_NOT_TEXT = lazy("[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")
#: Up to this share of characters may be control characters or undecodable bytes.
NOT_TEXT_SHARE = 0.10
_SAMPLE = 64 * 1024  # characters from each end: the share is judged on these


#: The characters of a text's start ``not_text`` may judge it on.
NOT_TEXT_HEAD = 2 * _SAMPLE


def not_text(text: str, codec: Codec) -> str | None:
    """What ``text`` (decoded with ``codec``) looks like when it is not a text log
    (``binary data (8 NUL bytes)``), or None when it is text. Not text: NUL bytes
    outside UTF-16 (a UTF-16 file without BOM or ``.LOG`` reads so), or over
    ``NOT_TEXT_SHARE`` control characters and undecodable bytes (judged on the start
    and the end of a large text)."""
    return not_text_counted(text.count("\x00"), len(text), text[:NOT_TEXT_HEAD],
                            text[-_SAMPLE:], codec)


def not_text_counted(nuls: int, size: int, head: str, tail: str, codec: Codec) -> str | None:
    """``not_text`` of a text of ``size`` characters with ``nuls`` NULs, whose first
    ``NOT_TEXT_HEAD`` characters are ``head`` and last ones ``tail`` (a text read in
    pieces)."""
    if not codec.is_utf16:
        if nuls * 4 >= size and nuls >= 4:
            return (f"UTF-16 text without a byte-order mark or a .LOG first line ({nuls} "
                    "NUL bytes; Notepad's \"Save as\" UTF-16 LE adds the mark)")
        if nuls:
            return f"binary data ({nuls} NUL byte{'s' if nuls > 1 else ''})"
    sample = head[:size] if size <= NOT_TEXT_HEAD else head[:_SAMPLE] + tail[-_SAMPLE:]
    bad = len(_NOT_TEXT.findall(sample))
    if bad >= 4 and bad > NOT_TEXT_SHARE * len(sample):
        return (f"binary data ({round(100 * bad / len(sample))}% of it is control "
                f"characters or bytes that are no text in {codec.label})")
    return None


def not_text_ends(head: bytes, tail: bytes, *, ansi: str = DEFAULT_ANSI) -> str | None:
    """``not_text`` judged on a file's first and last bytes alone (a mapped file read
    piece by piece): the codec they tell, and the share of what is no text in them."""
    codec, _ = detect_partial(head, tail, ansi=ansi)
    text = codec.decode(split_bom(head, codec))[0]
    if tail is not head:
        cut = len(tail) % 2 if codec.is_utf16 else 0
        text += codec.decode(tail[cut:])[0]
    return not_text(text, codec)
