"""The entries a filter selects, for a command that reads them once or twice (``export``):
the stretch of the file their days lie in, found once by seeking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from worklog.format.document import Entry
from worklog.history.filters import EntryFilter
from worklog.history.timeline import Timeline


@dataclass
class Selection:
    """The entries a filter selects, read again each time they are asked for: the
    stretch of the file their days lie in (found by seeking), a piece at a time."""

    timeline: Timeline
    flt: EntryFilter

    def __post_init__(self) -> None:
        self.bounds = self.timeline.bounds(self.flt.since, self.flt.until)

    def __call__(self) -> Iterator[Entry]:
        return self.flt.select(self.timeline.read(self.bounds))

    def stamps(self) -> set[datetime]:
        """The times of the selected entries (what a see"STAMP" may link to): from the
        stamp lines alone when only days select, which is much lighter than a parse."""
        flt = self.flt
        found = self.timeline.stamps(self.bounds)
        if found is None or flt.tags or flt.kind is not None:
            return {entry.stamp.when for entry in self()}
        return {when for when in found if (flt.since is None or when.date() >= flt.since)
                and (flt.until is None or when.date() <= flt.until)}
