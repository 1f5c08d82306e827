"""Byte-exact decoding of a log file: BOM, encoding, and the way back.

Every decode here is reversible: ``Codec.encode(Codec.decode(data)) == data`` for any
``data``. Bytes that the encoding cannot map are carried as lone surrogates
(``surrogateescape`` for 8-bit encodings, ``surrogatepass`` for UTF-16) and an odd
trailing byte of a UTF-16 file is kept aside, so nothing is ever lost or replaced.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

DEFAULT_ANSI = "cp1252"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UTF16LE_MAGIC = ".LOG".encode("utf-16-le")
_UTF16BE_MAGIC = ".LOG".encode("utf-16-be")


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


def codec_from_head(head: bytes) -> Codec | None:
    """The codec a BOM or a UTF-16 `.LOG` magic names, or None when the head tells nothing."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return Codec(encoding, bom)
    if head.startswith(_UTF16LE_MAGIC):
        return Codec("utf-16-le")
    if head.startswith(_UTF16BE_MAGIC):
        return Codec("utf-16-be")
    return None


def detect(data: bytes, *, ansi: str = DEFAULT_ANSI) -> Codec:
    """Choose the codec of a whole file's bytes.

    A BOM decides; a UTF-16 ``.LOG`` magic without BOM is UTF-16; bytes that are valid
    UTF-8 are UTF-8; anything else is the ANSI code page ``ansi``.
    """
    codec = codec_from_head(data)
    if codec is not None:
        return codec
    return Codec("utf-8") if _is_utf8(data) else Codec(ansi)


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
