"""The evidence of when work happened, against the worked ranges: ``report --evidence``.

Activity is what the log stamps: every entry but a plan at its stamp (a command from
its start, its stamp less its ``duration``, to its stamp), and an e-mail also at its own
``Date:``. A day lists the activity outside every counted range (of any day: a range past
midnight covers the next morning), and the closed ranges with no activity at all, so a
forgotten ``stop`` or ``start`` shows. Bounds count as inside. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from worklog.day.plan import entry_summary, is_plan
from worklog.day.report import Worked, worked_ranges
from worklog.format.document import Entry
from worklog.format.patterns import lazy

_SECONDS_RE = lazy(r"(?P<s>\d+(?:\.\d+)?) s")


@dataclass(frozen=True)
class Activity:
    start: datetime
    end: datetime
    what: str  # "entry", "command", "snapshot", "e-mail date"...
    summary: str
    line: int


@dataclass(frozen=True)
class DayEvidence:
    day: date
    outside: tuple[Activity, ...]
    idle: tuple[Worked, ...]


def activities(entry: Entry) -> list[Activity]:
    """What one entry tells of when work happened."""
    if is_plan(entry):
        return []
    when = entry.stamp.when
    start = when
    record = entry.record
    if entry.kind == "command" and record is not None:
        took = _SECONDS_RE.fullmatch(record.fields.get("duration", "").strip())
        if took is not None:
            start = when - timedelta(seconds=float(took["s"]))
    summary = entry_summary(entry)
    found = [Activity(start, when, entry.kind, summary, entry.line)]
    email = entry.email
    if email is not None and email.date is not None and email.date != when:
        found.append(Activity(email.date, email.date, "e-mail date", summary, entry.line))
    return found


def _inside(act: Activity, worked: Worked) -> bool:
    return act.start <= worked.end and worked.start <= act.end


def evidence(entries: Sequence[Entry], since: date, until: date) -> list[DayEvidence]:
    """Each day of ``since..until`` with activity outside the ranges or idle ranges."""
    ranges = worked_ranges(entries, since - timedelta(days=1) if since > date.min else since,
                           until)
    acts = [a for e in entries for a in activities(e) if since <= a.end.date() <= until]
    outside: dict[date, list[Activity]] = {}
    for act in acts:
        if not any(_inside(act, w) for w in ranges):
            outside.setdefault(act.end.date(), []).append(act)
    idle: dict[date, list[Worked]] = {}
    for worked in ranges:
        if since <= worked.day and not any(_inside(a, worked) for a in acts):
            idle.setdefault(worked.day, []).append(worked)
    days = sorted(set(outside) | set(idle))
    return [DayEvidence(d, tuple(sorted(outside.get(d, []), key=lambda a: a.start)),
                        tuple(idle.get(d, []))) for d in days]
