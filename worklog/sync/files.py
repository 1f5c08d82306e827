"""Merging log files: ``worklog merge BASE OURS THEIRS`` and ``worklog merge OURS THEIRS``.

The files are memory-mapped; their common start is found in their bytes
(``worklog.sync.common``) and only what follows it is parsed and merged
(``worklog.sync.merge``). The result replaces OURS's part after the common start through
``LogFile.replace_tail``: under the log's lock, refused when OURS changed since it was
read, atomic (or journalled in place for a large file), synced.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from worklog.errors import LogFileError
from worklog.format.document import Document, ParseOptions, count_breaks, parse_text
from worklog.format.encoding import Codec, codec_from_head, detect, detect_partial
from worklog.store.logfile import LogFile, Tail
from worklog.store.tail import HEAD_BYTES
from worklog.sync.common import Buffer, shared_boundary
from worklog.sync.merge import Copy, merge
from worklog.sync.pieces import pieces_of


@dataclass(frozen=True)
class ConflictAt:
    line: int  # in OURS after the merge
    what: str  # "the entry STAMP", or "the notes under .LOG"


@dataclass(frozen=True)
class Outcome:
    """What a merge did to OURS."""

    ours: Path
    theirs: Path
    written: bool
    added: int
    changed: int
    conflicts: list[ConflictAt] = field(default_factory=list)


@dataclass(frozen=True)
class _Part:
    """One copy's merged part: from ``offset`` (a stamp line, or just past the BOM) on."""

    path: Path
    view: Buffer
    offset: int
    codec: Codec
    certain: bool
    doc: Document

    def copy(self) -> Copy:
        preamble = self.doc.preamble if self.offset <= len(self.codec.bom) else None
        return Copy(pieces_of(self.doc), self.doc.newline, preamble)

    def lines_before(self) -> int:
        """Lines of the file before the part (read only when a line must be named)."""
        if self.offset <= len(self.codec.bom):
            return 0
        text, _ = self.codec.decode(bytes(self.view[len(self.codec.bom) : self.offset]))
        return count_breaks(text)


def _head_codec(view: Buffer) -> Codec:
    return codec_from_head(bytes(view[:HEAD_BYTES])) or Codec("utf-8")


def _part(path: Path, view: Buffer, shared: int | None, options: ParseOptions) -> _Part:
    head = bytes(view[:HEAD_BYTES])
    start = len(_head_codec(view).bom) if shared is None else shared
    codec, certain = detect_partial(head, bytes(view[start:]), ansi=options.ansi)
    start = max(start, len(codec.bom))
    text, trailer = codec.decode(bytes(view[start:]))
    doc = parse_text(text, codec, options, trailer=trailer)
    return _Part(path, view, start, codec, certain, doc)


def _parts(paths: list[Path], views: list[Buffer], options: ParseOptions) -> list[_Part]:
    """Each copy's part after the shared start, all read in one day order (OURS's)."""
    shared = shared_boundary(views, [_head_codec(v) for v in views])
    ours = _part(paths[0], views[0], shared, options)
    if shared is not None and (not ours.doc.entries or ours.doc.entries[0].start != 0):
        shared = None  # cannot happen for a stamp line; merge the whole files then
        ours = _part(paths[0], views[0], None, options)
    same_order = ParseOptions(day_first=ours.doc.day_first, ansi=options.ansi)
    return [ours, *(_part(p, v, shared, same_order) for p, v in zip(paths[1:], views[1:],
                                                                     strict=True))]


def _writable_codec(ours: _Part, texts: list[str], options: ParseOptions) -> Codec:
    """OURS's codec, read from the whole file when its end could not tell and text that
    is not ASCII goes in."""
    if ours.certain or all(text.isascii() for text in texts):
        return ours.codec
    return detect(bytes(ours.view), ansi=options.ansi)


def _check_encodable(ours: _Part, theirs: _Part, found: list[tuple[str, int]],
                     options: ParseOptions) -> None:
    """Refuse (exit 4, nothing written) when THEIRS's text cannot be written in OURS's
    encoding; text in the same encoding goes over byte for byte."""
    codec = _writable_codec(ours, [text for text, _ in found], options)
    if codec.encoding == theirs.codec.encoding:
        return
    for text, line in found:
        if codec.can_encode(text):
            continue
        bad = next(ch for ch in text if not codec.can_encode(ch))
        raise LogFileError(theirs.path, f"{bad!r} cannot be written in the encoding of "
                           f"{ours.path} ({codec.label}); nothing was written",
                           line=theirs.lines_before() + line)


def _open(stack: contextlib.ExitStack, path: Path, options: ParseOptions,
          on_notice: Callable[[str], None] | None) -> tuple[LogFile, Buffer]:
    log = LogFile(path, options, on_notice)
    if not path.is_file() and not path.is_symlink():
        raise LogFileError(path, "no such file")
    return log, stack.enter_context(log.mapped())


def merge_files(ours: Path, theirs: Path, base: Path | None = None,
                options: ParseOptions | None = None,
                on_notice: Callable[[str], None] | None = None) -> Outcome:
    """Merge THEIRS (and BASE, for a three-way merge) into OURS, which is rewritten."""
    opts = options or ParseOptions()
    paths = [ours, theirs] if base is None else [ours, theirs, base]
    with contextlib.ExitStack() as stack:
        opened = [_open(stack, path, opts, on_notice) for path in paths]
        if base is not None and not len(opened[2][1]):
            # An empty BASE is git's for a file added on both sides: no base to tell.
            base, paths, opened = None, paths[:2], opened[:2]
        parts = _parts(paths, [view for _, view in opened], opts)
        mine, other = parts[0], parts[1]
        merged = merge(parts[2].copy() if base is not None else None, mine.copy(), other.copy())
        _check_encodable(mine, other, merged.from_theirs, opts)
        before = mine.lines_before() if merged.conflicts else 0
        tail = Tail(mine.doc, mine.offset, len(mine.view), mine.offset <= len(mine.codec.bom),
                    mine.certain)
    conflicts = [ConflictAt(before + c.line, c.what) for c in merged.conflicts]
    written = merged.text != mine.doc.text
    if written:
        opened[0][0].replace_tail(tail, merged.text)
    return Outcome(ours, theirs, written, merged.added, merged.changed, conflicts)
