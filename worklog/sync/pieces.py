"""Entries of one copy as a merge sees them, and which entries of two copies are the same.

Identity (docs/CLI.md, "How merge matches entries"): an entry is known by its stamp's
time and date. Among the entries of one stamp, those with the same text are paired
first, in order; the rest are paired in their order. So an entry whose text was edited
(a plan changed by ``start``, a typo fixed) is still the same entry, and an entry added
in the same minute as another one is a new one as long as the other is unchanged.

What compares is the entry's *body*: its lines up to its last non-blank one, line breaks
read as LF. Blank lines and the line break after it only separate it from the next
entry, and appending after an entry changes them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from worklog.format.constructs import split_lines
from worklog.format.document import Document, Entry

_TRAILING_BLANK_RE = re.compile(r"(?:(?:\r\n|\r|\n)[ \t]*)*\Z")


@dataclass(frozen=True)
class Piece:
    """One entry of one copy: its stamp, its body and what separates it from the next."""

    when: datetime
    stamp_text: str
    body: str  # the stamp line up to the end of the last non-blank line, no final break
    trailer: str  # the line break and blank lines after the body (may be empty)
    line: int  # line of the stamp in the parsed text
    key: str  # the body as it compares: line breaks read as LF

    @property
    def first_line(self) -> str:
        """The stamp line, without its line break."""
        return split_first_line(self.body)[0].rstrip("\r\n")

    @property
    def rest(self) -> str:
        """The body after the stamp line (empty for an empty entry)."""
        return split_first_line(self.body)[1]


def normalise_breaks(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def convert_breaks(text: str, source: str, target: str) -> str:
    """``text`` with each line break ``source`` (the copy's newline) written ``target``."""
    if source == target or not text:
        return text
    return "".join(content + (target if brk == source else brk)
                   for content, brk in split_lines(text))


def split_first_line(text: str) -> tuple[str, str]:
    """(the first line with its line break, the rest) of ``text``."""
    if not text:
        return "", ""
    content, brk = split_lines(text[:300])[0]
    if not brk and len(content) == 300:  # a line longer than the look-ahead
        content, brk = split_lines(text)[0]
    end = len(content) + len(brk)
    return text[:end], text[end:]


def split_trailer(source: str) -> tuple[str, str]:
    """(body, trailer) of an entry's source: the trailer is its final blank lines."""
    match = _TRAILING_BLANK_RE.search(source)
    cut = match.start() if match else len(source)
    return source[:cut], source[cut:]


def pieces_of(doc: Document) -> list[Piece]:
    return [_piece(entry) for entry in doc.entries]


def _piece(entry: Entry) -> Piece:
    body, trailer = split_trailer(entry.source)
    return Piece(entry.stamp.when, entry.stamp.text, body, trailer, entry.line,
                 normalise_breaks(body))


def pair(reference: Sequence[Piece], other: Sequence[Piece]) -> dict[int, int]:
    """Which entry of ``reference`` each entry of ``other`` is: {other index: ref index}.

    Entries pair only with entries of the same stamp time: equal bodies first, in
    order, then the remaining ones in order.
    """
    groups: dict[datetime, list[int]] = defaultdict(list)
    for index, piece in enumerate(reference):
        groups[piece.when].append(index)
    wanted: dict[datetime, list[int]] = defaultdict(list)
    for index, piece in enumerate(other):
        wanted[piece.when].append(index)
    pairs: dict[int, int] = {}
    for when, others in wanted.items():
        refs = groups.get(when, [])
        free = list(refs)
        unpaired: list[int] = []
        for index in others:
            key = other[index].key
            match = next((r for r in free if reference[r].key == key), None)
            if match is None:
                unpaired.append(index)
            else:
                pairs[index] = match
                free.remove(match)
        for index, ref in zip(unpaired, free, strict=False):
            pairs[index] = ref
    return pairs


def pair_equal(reference: Sequence[Piece], other: Sequence[Piece]) -> dict[int, int]:
    """Like ``pair``, but only entries with equal bodies pair."""
    return {o: r for o, r in pair(reference, other).items()
            if reference[r].key == other[o].key}
