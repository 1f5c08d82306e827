"""Writing an entry stamped earlier than the log's end where its stamp belongs (FORMAT.md
W7), through the same edit as the plan commands: the end of the log is read back only
as far as the place, and replaced atomically (or under the undo journal)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from worklog.format.document import Document
from worklog.format.writer import insert_at
from worklog.store.logfile import LogFile


def _reaches(when: datetime) -> Callable[[Document], bool]:
    def enough(doc: Document) -> bool:
        return any(entry.stamp.when <= when for entry in doc.entries)

    return enough


def write_entry(log: LogFile, tags: list[str], body: list[str], when: datetime) -> str:
    """Write an entry stamped ``when``: appended when no entry is later, else right after
    the last entry whose stamp is not later. The stamp's text is returned."""
    if not log.exists() or log.path.stat().st_size == 0:
        return log.append(tags, body, when).stamp_text
    tail = log.load_tail(_reaches(when))
    entries = tail.doc.entries
    after = next((k for k in range(len(entries) - 1, -1, -1)
                  if entries[k].stamp.when <= when), None)
    if after == len(entries) - 1 or not entries:
        return log.append(tags, body, when).stamp_text
    place = entries[0 if after is None else after + 1]
    stamp_text = tail.doc.writing_shape().format(when)
    log.replace_tail(tail, insert_at(tail.doc.text, place.start, tail.doc.newline,
                                     stamp_text, tags, body))
    return stamp_text
