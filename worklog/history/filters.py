"""Which entries a command looks at: a day range, tags and a kind."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from worklog.format.document import Entry


@dataclass(frozen=True)
class EntryFilter:
    """Which entries a command looks at: by day range, tags and kind."""

    since: date | None = None
    until: date | None = None
    tags: Sequence[str] = ()
    kind: str | None = None

    def matches(self, entry: Entry) -> bool:
        day = entry.day
        if self.since is not None and day < self.since:
            return False
        if self.until is not None and day > self.until:
            return False
        if self.kind is not None and entry.kind != self.kind:
            return False
        if self.tags:
            have = {tag.casefold() for tag in entry.tags}
            return all(tag.casefold() in have for tag in self.tags)
        return True

    def select(self, entries: Iterable[Entry]) -> Iterator[Entry]:
        return (entry for entry in entries if self.matches(entry))
