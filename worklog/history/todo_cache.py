"""The open TODO items of the whole history (FORMAT.md C9), kept in a cache so that
``worklog today`` can show them without reading ten years of log.

``$XDG_CACHE_HOME/worklog/todos.json`` holds, under the log's real path: the file's size,
``mtime_ns`` and inode when it was read; an *anchor*, the byte offset of the first entry
of the log's last ``TAIL_BYTES`` or more (0 for a small log), with the CRC-32 of
every byte before it; how many TODO items of the entries before the anchor are open and
the oldest ``OLDEST`` of them (*settled*), and the open items of the entries from it on
(*tail*). Everyday edits (``add``, ``start``, ``stop``, ``done``,
a plan written, Notepad's ``.LOG`` append) change only the log's end, after the anchor.
On a read:

- size, mtime and inode as kept: the kept items, the log not read (``kept``);
- else, the bytes before the anchor still hashing to the kept digest: the settled items
  kept, the entries from the anchor on read again (``tail``: one hash of the file and a
  parse of its end);
- else (an edit of old text such as ``worklog todo done``, another file, other reading
  options, an end grown past ``REANCHOR_BYTES``): the entries holding ``todo`` in any
  case, found in the bytes as ``worklog grep -i todo`` finds them, and the end parsed
  (``full``).

The cache is only ever a faster way to the same answer: a cache that cannot be read or
written is as good as none.
"""

from __future__ import annotations

import bisect
import mmap
import os
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from worklog.config import cache_dir
from worklog.format.constructs import PLAN_TAG
from worklog.format.document import Document, Entry, ParseOptions
from worklog.format.patterns import lazy
from worklog.format.todos import TODO_TITLE, todo_items
from worklog.store.cache import read_json, write_json
from worklog.store.fs import open_regular
from worklog.store.tail import FIRST_CHUNK, read_from, read_tail

if TYPE_CHECKING:
    from worklog.history.timeline import Timeline

#: How much of the log's end is read again after an everyday edit: the end the tail
#: reader reads first (it reads more when the last entry is longer).
TAIL_BYTES = FIRST_CHUNK
#: An end grown past this since the anchor was set is anchored again (a full read).
REANCHOR_BYTES = 4 * 1024 * 1024
CACHE_NAME = "todos.json"
_DIGEST_WINDOW = 8 * 1024 * 1024
_VERSION = 4
_TODO_RE = lazy(TODO_TITLE, re.IGNORECASE)

Read = Literal["kept", "tail", "full"]
#: How many of the oldest open TODO items are given (and kept of the settled part).
OLDEST = 3


@dataclass(frozen=True)
class OpenTodo:
    """An open TODO item: its note's stamp (as written and as a time), number, text."""

    when: datetime
    stamp_text: str
    n: int
    text: str

    @property
    def stamp(self) -> str:
        """The note's stamp as ``YYYY-MM-DDTHH:MM`` (the export's ``stamp``)."""
        from worklog.history.export import iso_minutes  # noqa: PLC0415 - not on today's path

        return iso_minutes(self.when)


@dataclass(frozen=True)
class OpenTodos:
    """How many TODO items are open, the ``OLDEST`` oldest (oldest note first, as
    ``worklog todo`` lists them), and how much of the log was read for them."""

    count: int
    oldest: list[OpenTodo]
    read: Read


def _maybe_todo_notes(doc: Document) -> list[Entry]:
    """The entries whose text holds ``todo`` in any case: only they can be TODO notes
    (C9); the others are never split into lines."""
    starts = [e.start for e in doc.entries]
    found = {bisect.bisect_right(starts, m.start()) - 1 for m in _TODO_RE.finditer(doc.text)}
    return [doc.entries[k] for k in sorted(found) if k >= 0]


def _records(entries: Iterable[Entry]) -> list[list[Any]]:
    return [[e.stamp.when.isoformat(), e.stamp.text, t.n, t.text]
            for e in entries for t in todo_items(e) if t.state == "open"]


def _oldest(records: Iterable[Any]) -> list[Any]:
    """The ``OLDEST`` oldest records, those of one minute in file order (ISO stamps sort
    as times)."""
    return sorted(records, key=lambda r: str(r[0]))[:OLDEST]


def _todo(record: Any) -> OpenTodo:
    when, stamp_text, n, text = record
    if not (isinstance(stamp_text, str) and isinstance(n, int) and isinstance(text, str)):
        raise ValueError("not a TODO record")
    return OpenTodo(datetime.fromisoformat(when), stamp_text, n, text)


def _digest(fd: int, end: int) -> int:
    """The CRC-32 of the file's first ``end`` bytes (a change of up to 32 bits in a row is
    always seen, any other change but once in 2**32), read through a map a window at a
    time, the pages behind handed back: memory follows a window, not the file."""
    from worklog.history.scan import release_before  # noqa: PLC0415 - not when kept

    if end <= 0:
        return 0
    crc = 0
    with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as buf, memoryview(buf) as view:
        for low in range(0, min(end, len(buf)), _DIGEST_WINDOW):
            high = min(end, low + _DIGEST_WINDOW)
            crc = zlib.crc32(view[low:high], crc)
            release_before(buf, high)
    return crc


@dataclass
class _Scan:
    """What a read of the log found, as the cache keeps it."""

    anchor: int
    day_first: bool | None
    settled: int  # how many TODO items before the anchor are open
    settled_oldest: list[Any]  # the oldest of them
    tail: list[Any]  # the open TODO items from the anchor on
    digest: int = 0  # of the bytes before the anchor

    def count(self) -> int:
        return self.settled + len(self.tail)

    def oldest(self) -> list[OpenTodo]:
        return [_todo(r) for r in _oldest(self.settled_oldest + self.tail)]


def _anchor(fd: int, size: int, options: ParseOptions) -> tuple[int, list[Any]]:
    """The byte offset of the first entry of the log's last ``TAIL_BYTES`` or more, and
    the open TODO items from there on (the same read)."""
    tail = read_tail(fd, size, options, None)  # its first read: FIRST_CHUNK
    doc = tail.doc
    records = _records(_maybe_todo_notes(doc))
    if tail.whole or not doc.entries:
        return 0, records
    return tail.offset + len(doc.codec.encode(doc.text[: doc.entries[0].start])), records


def _tail_records(fd: int, anchor: int, size: int, options: ParseOptions) -> list[Any]:
    return _records(_maybe_todo_notes(read_from(fd, anchor, size, options).doc))


def _full(fd: int, size: int, options: ParseOptions) -> _Scan:
    """Every open TODO item: the entries before the anchor found by their bytes."""
    if not size:
        return _Scan(0, options.day_first, 0, [], [])
    with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as buf:
        return _full_in(fd, buf, size, options)


def _full_in(fd: int, buf: mmap.mmap, size: int, options: ParseOptions) -> _Scan:
    # The byte search is imported only when the whole log is read (not on today's path).
    from worklog.history.query import Query  # noqa: PLC0415
    from worklog.history.search import Searcher  # noqa: PLC0415

    searcher = Searcher(buf, Query(TODO_TITLE, ignore_case=True, fixed=True), options)
    day_first = options.day_first if options.day_first is not None else searcher.day_order()
    fixed = ParseOptions(day_first, options.ansi)
    anchor, tail = _anchor(fd, size, fixed)
    settled: list[Any] = []
    if anchor > searcher.log.begin:
        searcher.stretch = (searcher.log.begin, anchor, 1)
        settled = _records(hit.entry for hit in searcher.hits())
    return _Scan(anchor, day_first, len(settled), _oldest(settled),
                 tail, _digest(fd, anchor))


def notes_and_plans(timeline: Timeline | None) -> list[Entry]:
    """The entries that can be TODO notes or plans (C9, K1), each parsed on its own: the
    entries holding ``todo`` or ``gtd`` in any case, found in the bytes. What
    ``worklog.day.todos`` needs of ten years, without parsing them."""
    if timeline is None:
        return []
    return list(timeline.holding([TODO_TITLE, PLAN_TAG], ignore_case=True))


def _kept(cache: Any, key: str, options: str) -> dict[str, Any] | None:
    if not isinstance(cache, dict) or cache.get("version") != _VERSION:
        return None
    logs = cache.get("logs")
    kept = logs.get(key) if isinstance(logs, dict) else None
    if not isinstance(kept, dict) or kept.get("options") != options:
        return None
    return kept


def _from_kept(kept: dict[str, Any], fd: int, st: os.stat_result,
               options: ParseOptions) -> tuple[_Scan, Read] | None:
    """The scan the kept record still gives, with the part of the log read for it."""
    anchor, day_first, digest = kept["anchor"], kept["day_first"], kept["digest"]
    if not (isinstance(anchor, int) and isinstance(digest, int)
            and isinstance(day_first, bool | None)):
        raise ValueError("not an anchor")
    settled, oldest, tail = kept["settled"], list(kept["settled_oldest"]), list(kept["tail"])
    if not isinstance(settled, int):
        raise ValueError("not a count")
    if (kept["size"], kept["mtime_ns"], kept["ino"]) == (st.st_size, st.st_mtime_ns,
                                                        st.st_ino):
        return _Scan(anchor, day_first, settled, oldest, tail, digest), "kept"
    if 0 <= anchor <= st.st_size and st.st_size - anchor <= REANCHOR_BYTES \
            and _digest(fd, anchor) == digest:
        fixed = ParseOptions(day_first, options.ansi) if options.day_first is None else options
        return _Scan(anchor, day_first, settled, oldest,
                     _tail_records(fd, anchor, st.st_size, fixed), digest), "tail"
    return None


def _scan(kept: dict[str, Any] | None, fd: int, st: os.stat_result,
          options: ParseOptions) -> tuple[_Scan, OpenTodos]:
    if kept is not None:
        try:
            found = _from_kept(kept, fd, st, options)
            if found is not None:
                scan, read = found
                return scan, OpenTodos(scan.count(), scan.oldest(), read)
        except (KeyError, TypeError, ValueError):
            pass  # a kept record not as written: read it all
    scan = _full(fd, st.st_size, options)
    return scan, OpenTodos(scan.count(), scan.oldest(), "full")


def open_todos(path: Path, options: ParseOptions, env: Mapping[str, str]) -> OpenTodos:
    """How many TODO items of the log at ``path`` are open and the oldest of them,
    through the cache. OSError when the log cannot be read."""
    real = path.resolve()
    cache_file = cache_dir(env) / CACHE_NAME
    cache = read_json(cache_file)
    key, shown_options = str(real), repr(options)
    kept = _kept(cache, key, shown_options)
    fd = open_regular(real, os.O_RDONLY)
    try:
        st = os.fstat(fd)
        scan, found = _scan(kept, fd, st, options)
    finally:
        os.close(fd)
    record = {"options": shown_options, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
              "ino": st.st_ino, "anchor": scan.anchor, "digest": scan.digest,
              "day_first": scan.day_first, "settled": scan.settled,
              "settled_oldest": scan.settled_oldest, "tail": scan.tail}
    if record != kept:
        logs = cache.get("logs") if isinstance(cache, dict) and cache.get(
            "version") == _VERSION else None
        logs = dict(logs) if isinstance(logs, dict) else {}
        logs[key] = record
        write_json(cache_file, {"version": _VERSION, "logs": logs})
    return found
