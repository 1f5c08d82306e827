"""The tags of a log (``worklog tags``): each with how often and when it was last used.

Only each entry's tags line is read, from the bytes around its stamp line
(``Timeline.heads``): no entry is parsed, and memory follows a window of the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from worklog.format.constructs import parse_tags_line
from worklog.history.hays import has_date_lines
from worklog.history.timeline import Timeline

#: Second lines of entries whose tags are remembered (a bound on memory: an entry
#: without a tags line has its text there).
KNOWN_LINES = 4096


@dataclass
class TagUse:
    tag: str  # as written the last time
    count: int
    last: datetime
    line: int


def tag_uses(tagged: Iterable[tuple[list[str], datetime, int]]) -> list[TagUse]:
    """Each tag (compared case-insensitively, rule E2) of ``(tags, time, line)`` of
    entries, with how often and when last used; most used first, then by name."""
    uses: dict[str, TagUse] = {}
    keyed: dict[tuple[str, ...], list[tuple[str, str]]] = {}  # a log has few tag sets
    for tags, when, line in tagged:
        names = tuple(tags)
        pairs = keyed.get(names)
        if pairs is None:
            pairs = keyed[names] = [(tag, tag.casefold()) for tag in dict.fromkeys(names)]
        for tag, key in pairs:
            use = uses.get(key)
            if use is None:
                uses[key] = TagUse(tag, 1, when, line)
                continue
            use.count += 1
            if when >= use.last:
                use.tag, use.last, use.line = tag, when, line
    return sorted(uses.values(), key=lambda u: (-u.count, u.tag.casefold()))


def log_tags(timeline: Timeline) -> list[TagUse]:
    """The tags of every entry of the log."""
    return tag_uses(_tagged(timeline))


def _tagged(timeline: Timeline) -> Iterator[tuple[list[str], datetime, int]]:
    bounds = timeline.bounds()
    heads = timeline.heads(bounds)
    if heads is not None and has_date_lines(timeline.buf, bounds.start, bounds.stop):
        heads = None  # day headings (S6) start entries at no stamp line
    if heads is None:  # UTF-16 or day headings: the entries, parsed a piece at a time
        yield from ((e.tags, e.stamp.when, e.line) for e in timeline.read(bounds))
        return
    # A log repeats its tags lines: read each once.
    known: dict[tuple[str, str | None], list[str] | None] = {}
    for head in heads:
        second = head.second
        if second is None:
            continue
        key = (second, head.third)  # the third line counts for a capitalised word (E2)
        if key in known:
            tags = known[key]
        else:
            if len(known) >= KNOWN_LINES:
                known.clear()
            tags = known[key] = parse_tags_line(second, head.third)
        if tags is not None:
            yield tags, head.when, head.line
