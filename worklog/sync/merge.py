"""The entry merge of two copies of a log, with or without their common base. Pure.

Every entry of either copy is in the result exactly once; a merge never drops one (an
entry deleted in one copy comes back from the other). An entry changed in one copy only
takes the change; changed differently in both, it holds both versions between conflict
markers (FORMAT.md rule M1). Entries of THEIRS that OURS does not hold go after the
entry THEIRS has them after, in stamp order among the entries of OURS there (same
stamp: OURS first): entries appended on both sides since the base follow the common
part in stamp order. Entries are matched as ``worklog.sync.pieces`` says.

The result is in OURS's line breaks; THEIRS's entries are converted to them.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from worklog.format.document import count_breaks
from worklog.format.markers import OURS_MARK, SPLIT_MARK, THEIRS_MARK
from worklog.format.writer import Style, neutralise_lines, separator
from worklog.sync.pieces import (
    Piece,
    convert_breaks,
    normalise_breaks,
    pair,
    pair_equal,
    split_first_line,
)

_BREAKS = ("\n", "\r")
#: An entry of the result: body, trailer, the OURS entry of a conflict, last of its copy.
_Part = tuple[str, str, "Piece | None", bool]


@dataclass(frozen=True)
class Copy:
    """The merged part of one copy: the entries after the copies' common start."""

    pieces: Sequence[Piece]
    newline: str
    #: The copy's preamble when the merged part starts at the file's start, else None.
    preamble: str | None = None


@dataclass(frozen=True)
class Conflict:
    what: str  # "the entry STAMP", or "the notes under .LOG"
    line: int  # of the entry's stamp line, counted from the merged text's first line (1)


@dataclass
class Merged:
    text: str
    conflicts: list[Conflict] = field(default_factory=list)
    added: int = 0  # entries of THEIRS that OURS did not hold
    changed: int = 0  # entries OURS held that take THEIRS's version
    #: Text from THEIRS in the result, with THEIRS's line of it: it must be writable in
    #: OURS's encoding.
    from_theirs: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Pairing:
    t_to_o: dict[int, int]  # THEIRS index -> OURS index of the same entry
    t_base: dict[int, Piece]  # THEIRS index -> the entry's base version (three-way only)
    o_in_base: frozenset[int]


def _pairing(base: Copy | None, ours: Sequence[Piece], theirs: Sequence[Piece]) -> _Pairing:
    if base is None:
        return _Pairing(pair(ours, theirs), {}, frozenset())
    b = base.pieces
    o_to_b, t_to_b = pair(b, ours), pair(b, theirs)
    b_to_o = {bi: oi for oi, bi in o_to_b.items()}
    t_to_o = {ti: b_to_o[bi] for ti, bi in t_to_b.items() if bi in b_to_o}
    o_added = [oi for oi in range(len(ours)) if oi not in o_to_b]
    t_added = [ti for ti in range(len(theirs)) if ti not in t_to_b]
    same = pair_equal([ours[i] for i in o_added], [theirs[i] for i in t_added])
    t_to_o.update({t_added[tj]: o_added[oj] for tj, oj in same.items()})
    t_base = {ti: b[bi] for ti, bi in t_to_b.items()}
    return _Pairing(t_to_o, t_base, frozenset(o_to_b))


def _order(ours: Sequence[Piece], theirs: Sequence[Piece], t_to_o: dict[int, int]
           ) -> list[tuple[str, int]]:
    """OURS's entries in their order, THEIRS's others each after its predecessor in
    THEIRS, merged by stamp with the entries of OURS that THEIRS does not hold."""
    in_theirs = set(t_to_o.values())
    groups: dict[int, list[int]] = defaultdict(list)
    anchor = -1
    for ti in range(len(theirs)):
        if ti in t_to_o:
            anchor = t_to_o[ti]
        else:
            groups[anchor].append(ti)
    slots: list[tuple[str, int]] = []
    queue = deque(groups.get(-1, []))
    oi = 0
    while oi < len(ours) or queue:
        if queue and (oi >= len(ours) or oi in in_theirs
                      or ours[oi].when > theirs[queue[0]].when):
            slots.append(("t", queue.popleft()))
            continue
        slots.append(("o", oi))
        queue.extend(groups.get(oi, []))
        oi += 1
    return slots


def merge(base: Copy | None, ours: Copy, theirs: Copy) -> Merged:
    """Merge THEIRS into OURS; ``base`` None for a two-way merge (an entry both hold with
    different texts is then a conflict: nothing tells which copy changed it)."""
    o, t = ours.pieces, theirs.pieces
    pairing = _pairing(base, o, theirs.pieces)
    o_to_t = {oi: ti for ti, oi in pairing.t_to_o.items()}
    merged = Merged("")
    parts: list[_Part] = []
    for side, index in _order(o, t, pairing.t_to_o):
        if side == "t":
            parts.append(_theirs(merged, t[index], theirs.newline, ours.newline,
                                 index == len(t) - 1))
            merged.added += 1
            continue
        mine, last = o[index], index == len(o) - 1
        ti = o_to_t.get(index)
        old = None if ti is None else pairing.t_base.get(ti)
        if ti is None or t[ti].key == mine.key or (old is not None and old.key == t[ti].key):
            parts.append((mine.body, mine.trailer, None, last))
        elif old is not None and old.key == mine.key:
            merged.changed += 1  # THEIRS's text, in OURS's place: OURS's separator
            body = _theirs(merged, t[ti], theirs.newline, ours.newline, last)[0]
            parts.append((body, mine.trailer, None, last))
        else:
            body = _conflict_body(mine, t[ti], theirs.newline, ours.newline)
            merged.from_theirs.append((t[ti].body, t[ti].line))
            parts.append((body, mine.trailer, mine, last))
    preamble = _preamble(base, ours, theirs, merged)
    merged.text = _assemble(preamble, parts, ours.newline, merged)
    return merged


def _theirs(merged: Merged, piece: Piece, source: str, target: str, last: bool) -> _Part:
    merged.from_theirs.append((piece.body, piece.line))
    return (convert_breaks(piece.body, source, target),
            convert_breaks(piece.trailer, source, target), None, last)


def _conflict_body(mine: Piece, other: Piece, source: str, nl: str) -> str:
    lines = [mine.first_line, OURS_MARK]
    if mine.rest:
        lines.append(mine.rest)
    lines.append(SPLIT_MARK)
    if other.first_line != mine.first_line:
        lines.extend(neutralise_lines([other.first_line]))  # text, not a second stamp
    if other.rest:
        lines.append(convert_breaks(other.rest, source, nl))
    lines.append(THEIRS_MARK)
    return nl.join(lines)


def _preamble(base: Copy | None, ours: Copy, theirs: Copy, merged: Merged) -> str:
    """OURS's preamble, or THEIRS's changes to it under OURS's first line (the magic)."""
    if ours.preamble is None or theirs.preamble is None:
        return ours.preamble or ""
    head, mine = split_first_line(ours.preamble)
    other = convert_breaks(split_first_line(theirs.preamble)[1], theirs.newline, ours.newline)

    def key(text: str) -> str:
        return normalise_breaks(text).rstrip(" \t\n")

    old = None if base is None or base.preamble is None else key(split_first_line(base.preamble)[1])
    if key(other) in ("", key(mine), old):
        return ours.preamble
    merged.from_theirs.append((other, 2))
    if key(mine) in ("", old):
        return head + other
    nl = ours.newline
    merged.conflicts.append(Conflict("the notes under .LOG", 1))
    block = [OURS_MARK, *([mine.rstrip("\r\n")] if key(mine) else []), SPLIT_MARK,
             *([other.rstrip("\r\n")] if key(other) else []), THEIRS_MARK]
    return (head if head.endswith(_BREAKS) else head + nl) + nl.join(block) + nl


def _assemble(preamble: str, parts: list[_Part], nl: str,
              merged: Merged) -> str:
    out = [preamble]
    if preamble and parts and not preamble.endswith(_BREAKS):
        out.append(nl)
    line = 1 + count_breaks("".join(out))
    for index, (body, own_trailer, conflict, last) in enumerate(parts):
        if conflict is not None:
            merged.conflicts.append(Conflict(f"the entry {conflict.stamp_text}", line))
        trailer = own_trailer
        if index < len(parts) - 1 and (last or not trailer.endswith(_BREAKS)):
            # A copy's last entry followed by another: one blank line between (W3).
            trailer += separator(Style(nl, (body + trailer)[-4:], True))
        out.extend((body, trailer))
        line += count_breaks(body) + count_breaks(trailer)
    return "".join(out)
