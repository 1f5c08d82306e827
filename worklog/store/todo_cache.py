"""The open TODO items of the whole history (FORMAT.md C9), kept in a cache so that
``worklog today`` can show them without reading ten years of log.

``$XDG_CACHE_HOME/worklog/todos.json`` holds, under the log's real path: the file's size,
``mtime_ns`` and inode when it was read, a digest of its last ``DIGEST_BYTES`` bytes, the
byte offset of its last entry and the open TODO items (of the entries before that one,
and of that one). On a read:

- size, mtime and inode as kept: the kept items, the log not read;
- the same inode, a larger size, and the bytes before the kept size ending as they did
  (the digest): the file only grew, so only its end is read, from the kept last entry
  (which the new bytes may have extended) on;
- else (an edit such as ``worklog todo done``, a replaced file, other reading options):
  the whole history, once.

The cache is only ever a faster way to the same answer: a cache that cannot be read or
written is as good as none.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from worklog.format.document import Document, Entry, ParseOptions
from worklog.format.todos import todo_items
from worklog.store.cache import cache_dir, read_json, write_json
from worklog.store.fs import open_regular, read_at
from worklog.store.tail import read_from

#: How much of the file's end the digest covers.
DIGEST_BYTES = 4096
CACHE_NAME = "todos.json"
_VERSION = 2
_TODO_RE = re.compile("todo", re.IGNORECASE)


@dataclass(frozen=True)
class OpenTodo:
    """An open TODO item: its note's stamp (as written and as a time), number, text."""

    when: datetime
    stamp_text: str
    n: int
    text: str


def _maybe_todo_notes(doc: Document) -> list[Entry]:
    """The entries whose text holds ``todo`` in any case: only they can be TODO notes
    (C9), and the others are never split into lines (ten years of them would fill the
    memory)."""
    starts = [e.start for e in doc.entries]
    found = {bisect.bisect_right(starts, m.start()) - 1 for m in _TODO_RE.finditer(doc.text)}
    return [doc.entries[k] for k in sorted(found) if k >= 0]


def _records(entries: Sequence[Entry]) -> list[list[Any]]:
    return [[e.stamp.when.isoformat(), e.stamp.text, t.n, t.text]
            for e in entries for t in todo_items(e) if t.state == "open"]


def _todo(record: Any) -> OpenTodo:
    when, stamp_text, n, text = record
    if not (isinstance(stamp_text, str) and isinstance(n, int) and isinstance(text, str)):
        raise ValueError("not a TODO record")
    return OpenTodo(datetime.fromisoformat(when), stamp_text, n, text)


def _digest(fd: int, size: int) -> str:
    start = max(0, size - DIGEST_BYTES)
    return hashlib.sha256(read_at(fd, start, size - start)).hexdigest()


def _last_start(doc: Document, size: int) -> int:
    """The byte offset of the document's last entry, a document read up to ``size``."""
    last = doc.entries[-1]
    return size - len(doc.trailer) - len(doc.codec.encode(doc.text[last.start :]))


@dataclass
class _Scan:
    """Open TODO records of the entries before the last one and of the last one, the
    last entry's byte offset, and the day order the stamps were read in."""

    settled: list[Any]
    last: list[Any]
    last_start: int
    day_first: bool | None


def _scan(fd: int, start: int, size: int, options: ParseOptions) -> _Scan:
    """The open TODO records of the entries from byte ``start`` on."""
    doc = read_from(fd, start, size, options).doc
    if not doc.entries:
        return _Scan([], [], start, None)
    last = doc.entries[-1]
    maybe = _maybe_todo_notes(doc)
    return _Scan(_records([e for e in maybe if e is not last]), _records([last]),
                 _last_start(doc, size), doc.day_first)


def _kept(cache: Any, key: str, options: str) -> dict[str, Any] | None:
    if not isinstance(cache, dict) or cache.get("version") != _VERSION:
        return None
    logs = cache.get("logs")
    kept = logs.get(key) if isinstance(logs, dict) else None
    if not isinstance(kept, dict) or kept.get("options") != options:
        return None
    return kept


def _grown(kept: dict[str, Any], fd: int, st: os.stat_result) -> bool:
    old = kept["size"]
    return (kept["ino"] == st.st_ino and isinstance(old, int) and 0 < old < st.st_size
            and _digest(fd, old) == kept["digest"])


def _fresh(kept: dict[str, Any] | None, fd: int, st: os.stat_result,
           options: ParseOptions) -> _Scan:
    """The records and last entry's offset, from ``kept`` as far as it holds."""
    if kept is not None:
        try:
            same = (kept["size"], kept["mtime_ns"], kept["ino"]) == (
                st.st_size, st.st_mtime_ns, st.st_ino)
            day_first = kept["day_first"]
            if not isinstance(day_first, bool | None):
                raise ValueError("not a day order")
            if same:
                return _Scan(list(kept["settled"]), list(kept["last"]),
                             int(kept["last_start"]), day_first)
            if _grown(kept, fd, st):
                # The new end's stamps are read in the day order of the whole history.
                grown = _scan(fd, int(kept["last_start"]), st.st_size, options if
                              options.day_first is not None or day_first is None else
                              replace(options, day_first=day_first))
                grown.settled[:0] = list(kept["settled"])
                grown.day_first = day_first
                return grown
        except (KeyError, TypeError, ValueError):
            pass
    return _scan(fd, 0, st.st_size, options)


def open_todos(path: Path, options: ParseOptions, env: Mapping[str, str]) -> list[OpenTodo]:
    """The open TODO items of the log at ``path``, oldest note first (as ``worklog todo``
    lists them), through the cache. OSError when the log cannot be read."""
    real = path.resolve()
    cache_file = cache_dir(env) / CACHE_NAME
    cache = read_json(cache_file)
    key, shown_options = str(real), repr(options)
    kept = _kept(cache, key, shown_options)
    fd = open_regular(real, os.O_RDONLY)
    try:
        st = os.fstat(fd)
        scan = _fresh(kept, fd, st, options)
        try:
            found = sorted((_todo(r) for r in scan.settled + scan.last), key=lambda t: t.when)
        except (TypeError, ValueError):  # a kept record not as written: read it all
            scan = _scan(fd, 0, st.st_size, options)
            found = sorted((_todo(r) for r in scan.settled + scan.last), key=lambda t: t.when)
        record = {"options": shown_options, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                  "ino": st.st_ino, "digest": _digest(fd, st.st_size),
                  "last_start": scan.last_start, "day_first": scan.day_first,
                  "settled": scan.settled, "last": scan.last}
    finally:
        os.close(fd)
    if record != kept:
        logs = cache.get("logs") if isinstance(cache, dict) and cache.get(
            "version") == _VERSION else None
        logs = dict(logs) if isinstance(logs, dict) else {}
        logs[key] = record
        write_json(cache_file, {"version": _VERSION, "logs": logs})
    return found
