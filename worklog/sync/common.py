"""Where copies of a log stop being the same, found in their bytes without parsing them.

Two copies of ten years of history that diverged yesterday share all but their last
entries. The common start is found by comparing the memory-mapped files block by
block (at the speed of ``memcmp``); only what follows the last stamp line inside it is
decoded and parsed, so a merge costs what the divergence costs, not the history.
"""

from __future__ import annotations

import mmap
from collections.abc import Sequence

from worklog.format.encoding import Codec
from worklog.format.stamps import find_stamp_lines, stamp_from_match

Buffer = bytes | mmap.mmap
BLOCK = 64 * 1024  # slices that stay in the CPU cache: 1 MiB ones are ten times slower
FIRST_WINDOW = 64 * 1024


def common_prefix(first: Buffer, *others: Buffer) -> int:
    """The length of the longest byte string every buffer starts with."""
    size = min([len(first), *(len(o) for o in others)])
    pos = 0
    while pos < size:
        end = min(size, pos + BLOCK)
        block = first[pos:end]
        if all(block == other[pos:end] for other in others):
            pos = end
            continue
        return pos + min(_first_difference(block, other[pos:end]) for other in others)
    return size


def _first_difference(a: bytes, b: bytes) -> int:
    if a == b:
        return len(a)
    lo, hi = 0, len(a)  # a[:lo] == b[:lo]; a[:hi] != b[:hi]
    while hi - lo > 64:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    while lo < hi and a[lo] == b[lo]:
        lo += 1
    return lo


def boundary(view: Buffer, codec: Codec, limit: int, *, ascii_only: bool = False) -> int:
    """The byte offset of the last stamp line lying whole (its line break included) in
    ``view[:limit]``: every copy sharing those bytes has an entry starting there. Only
    a stamp whose date is possible in both day orders counts (the copies may decide the
    order differently), and only an ASCII one when the copies' encodings differ. The
    offset just past the BOM when there is none."""
    floor = len(codec.bom)
    window = FIRST_WINDOW
    while True:
        start = max(floor, limit - window)
        if codec.is_utf16 and (start - floor) % 2:
            start += 1
        text, _ = codec.decode(bytes(view[start:limit]))
        found = _last_stamp_line(text, skip_first=start > floor, ascii_only=ascii_only)
        if found is not None:
            return start + len(codec.encode(text[:found]))
        if start <= floor:
            return floor
        window *= 4


def _last_stamp_line(text: str, *, skip_first: bool, ascii_only: bool) -> int | None:
    best = None
    for match in find_stamp_lines(text):
        begin, end = match.start("stamp"), match.end()
        if (begin == 0 and skip_first) or end >= len(text):
            continue  # a line cut by the window, or not ended inside the common start
        if ascii_only and not text[begin:end].isascii():
            continue
        if stamp_from_match(match, True) and stamp_from_match(match, False):
            best = begin
    return best


def shared_boundary(views: Sequence[Buffer], codecs: Sequence[Codec]) -> int | None:
    """The offset where every copy's merged part starts; None when the copies share no
    entry (each is then merged whole, from after its own BOM)."""
    prefix = common_prefix(*views)
    if prefix <= max(len(c.bom) for c in codecs):
        return None
    ascii_only = len({c.encoding for c in codecs}) > 1
    found = boundary(views[0], codecs[0], prefix, ascii_only=ascii_only)
    return None if found <= len(codecs[0].bom) else found
