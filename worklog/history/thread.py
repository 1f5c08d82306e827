"""A task's whole story (``worklog thread``): its entry, the plan items that refer to it,
the entries that refer to it or that it refers to, and the VM and command records done
for it, in time order, with the time worked.

Read from a Timeline: the root by seeking to its day, the rest in one walk a piece at a
time, keeping only each day's plans and the pieces of the story. References are the
``see"STAMP"`` cross-references (FORMAT.md C4); a record's ``for`` field (section VII)
is one, naming an entry or a plan item (``see"STAMP" item N: text``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from worklog.day.plan import (
    PlanItem,
    entry_summary,
    is_plan,
    latest_plan,
    latest_plans,
    plan_items,
)
from worklog.day.todos import item_links
from worklog.errors import UsageError
from worklog.format.dates import stamp_candidates
from worklog.format.document import Entry, ParseOptions, parse_text
from worklog.format.items import format_minutes
from worklog.format.todos import todo_items
from worklog.history.export import iso_minutes
from worklog.history.timeline import Timeline

_ITEM_RE = re.compile(r'see"[^"]*"[ \t]+item[ \t]+(?P<n>\d+)', re.IGNORECASE)


@dataclass(frozen=True)
class Event:
    """One piece of the story."""

    when: datetime
    order: int  # the line in the file, for pieces of one minute
    stamp_text: str
    line: int
    kind: str  # todo, note, email, plan-item, snapshot, command, plan
    summary: str
    n: int | None = None
    minutes: int | None = None
    result: str | None = None


@dataclass
class Thread:
    root: Entry
    events: list[Event] = field(default_factory=list)
    worked_minutes: int = 0


def _stamped(timeline: Timeline, when: datetime) -> list[Entry]:
    """The entries stamped ``when``, a TODO note first, found by seeking to their day."""
    found = timeline.stamped(when)
    return sorted(found, key=lambda e: not todo_items(e))


def _root(timeline: Timeline, spec: str, today: date, day_first: bool) -> Entry:
    """``spec``: N (the entry item N of today's plan refers to first) or a stamp (the
    entry so stamped; a TODO note first when several are)."""
    if spec.strip().isdigit():
        plan = latest_plan(list(timeline.entries(today, today)), today)
        if plan is None:
            raise UsageError(f"{spec}: {today} has no plan, so no item {spec}")
        item = next((i for i in plan_items(plan) if i.n == int(spec)), None)
        if item is None:
            raise UsageError(f"{spec}: the plan of {today} has no item {spec}")
        links = item_links(plan, item)
        found = _stamped(timeline, links[0]) if links else []
        if not found:
            raise UsageError(f"{spec}: item {spec} of the plan of {today} refers to no entry "
                             '(see"STAMP"); `worklog thread STAMP` tells the story of one')
        return found[0]
    for when in stamp_candidates(spec, day_first=day_first):
        found = _stamped(timeline, when)
        if found:
            return found[0]
    raise UsageError(f"{spec}: no entry has this stamp")


def _kind(entry: Entry) -> str:
    return "todo" if todo_items(entry) else entry.kind


def _event(entry: Entry, kind: str | None = None) -> Event:
    record = entry.record
    result = record.fields.get("result", record.result) if record is not None else None
    return Event(entry.stamp.when, entry.line, entry.stamp.text, entry.line,
                 kind or _kind(entry), entry_summary(entry), result=result)


def _item_event(plan: Entry, item: PlanItem) -> Event:
    ranges = " ".join(str(r) for r in item.ranges)
    text = f"{plan.day} item {item.n}: {item.text}" + (f" ({ranges})" if ranges else "")
    assert item.index is not None
    return Event(plan.stamp.when, plan.line + item.index, plan.stamp.text,
                 plan.line + item.index, "plan-item", f"{text}, {item.state}", n=item.n,
                 minutes=item.minutes)


def _detached(entry: Entry) -> Entry:
    """``entry`` parsed again on its own: kept, it does not keep its piece of the log."""
    doc = entry.doc
    return parse_text(entry.source, doc.codec, ParseOptions(day_first=doc.day_first),
                      first_line=entry.line).entries[0]


@dataclass
class _Pass:
    """What one walk over the log keeps: each day's plans (detached), the entries
    linked to the root or linked from it, and the records done for some plan item."""

    plans: list[Entry] = field(default_factory=list)
    linked: list[tuple[Event, int, bool]] = field(default_factory=list)  # event, line, plan
    done_for: list[tuple[Event, list[datetime], int]] = field(default_factory=list)


def _walk(entries: Iterable[Entry], root: Entry) -> _Pass:
    walk = _Pass()
    refers = set(root.links)
    for entry in entries:
        if entry.line == root.line:
            continue
        plan = is_plan(entry)
        if plan:
            walk.plans.append(_detached(entry))
        if root.stamp.when in entry.links or entry.stamp.when in refers:
            walk.linked.append((_event(entry), entry.line, plan))
        elif (n := _for_item_number(entry)) is not None:
            walk.done_for.append((_event(entry), list(entry.links), n))
    return walk


def build(timeline: Timeline, spec: str, today: date, day_first: bool) -> Thread:
    """The story of the entry ``spec`` names: the root found by seeking to its day, the
    rest in one walk over the log a piece at a time."""
    root = _root(timeline, spec, today, day_first)
    thread = Thread(root, [_event(root)])
    walk = _walk(timeline.entries(), root)
    plans = latest_plans(walk.plans)
    latest = [plans[day] for day in sorted(plans)]
    items: set[tuple[datetime, int]] = set()  # (plan stamp, item number) of the task
    for plan in latest:
        for item in plan_items(plan):
            if root.stamp.when in item_links(plan, item):
                items.add((plan.stamp.when, item.n))
                thread.events.append(_item_event(plan, item))
                thread.worked_minutes += item.minutes
    latest_lines = {p.line for p in latest}
    thread.events += [event for event, line, plan in walk.linked
                      if not (plan and line in latest_lines)]
    thread.events += [event for event, links, n in walk.done_for
                      if any((when, n) in items for when in links)]
    thread.events.sort(key=lambda e: (e.when, e.order))
    return thread


def _for_item_number(entry: Entry) -> int | None:
    """The item number a record's ``for`` names (``see"STAMP" item N``), if any."""
    record = entry.record
    task = record.fields.get("for") if record is not None else None
    if task is None:
        return None
    match = _ITEM_RE.search(task)
    return None if match is None else int(match["n"])


def thread_record(thread: Thread) -> dict[str, Any]:
    """The JSON of `worklog thread --json` (docs/CLI.md)."""
    root = thread.root
    return {
        "stamp": iso_minutes(root.stamp.when),
        "stamp_text": root.stamp.text,
        "text": root.text,
        "worked_minutes": thread.worked_minutes,
        "events": [{
            "stamp": iso_minutes(e.when), "stamp_text": e.stamp_text, "line": e.line,
            "kind": e.kind, "summary": e.summary, "n": e.n, "minutes": e.minutes,
            "result": e.result,
        } for e in thread.events],
    }


def thread_markdown(thread: Thread) -> list[str]:
    """The story as a change record to paste into a ticket."""
    root = thread.root
    title = root.text_lines[0].strip() if root.text_lines else "(empty)"
    lines = [f"## {title} ({root.stamp.text})", "",
             f"Time worked: {format_minutes(thread.worked_minutes)}", ""]
    for event in thread.events:
        result = f" **{event.result}**" if event.result else ""
        lines.append(f"- {iso_minutes(event.when).replace('T', ' ')} *{event.kind}*: "
                     f"{event.summary}{result}")
    return lines
