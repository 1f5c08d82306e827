"""A task's whole story (``worklog thread``): its entry, the plan items that refer to it,
the entries that refer to it or that it refers to, and the VM and command records done
for it, in time order, with the time worked.

Pure: a function of a document. References are the ``see"STAMP"`` cross-references
(FORMAT.md C4); a record's ``for`` field (section VII) is one, naming an entry or a plan
item (``see"STAMP" item N: text``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from worklog.day.plan import PlanItem, entry_summary, is_plan, latest_plan, plan_items
from worklog.day.todos import item_links
from worklog.errors import UsageError
from worklog.format.dates import stamp_candidates
from worklog.format.document import Document, Entry
from worklog.format.items import format_minutes
from worklog.format.todos import todo_items
from worklog.history.export import iso_minutes

_ITEM_RE = re.compile(r'see"[^"]*"[ \t]+item[ \t]+(?P<n>\d+)', re.IGNORECASE)


@dataclass(frozen=True)
class Event:
    """One piece of the story."""

    when: datetime
    order: int  # the file position, for pieces of one minute
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


def _root(doc: Document, spec: str, today: date, day_first: bool) -> Entry:
    """``spec``: N (the entry item N of today's plan refers to first) or a stamp (the
    entry so stamped; a TODO note first when several are)."""
    if spec.strip().isdigit():
        plan = latest_plan(doc.entries, today)
        if plan is None:
            raise UsageError(f"{spec}: {today} has no plan, so no item {spec}")
        item = next((i for i in plan_items(plan) if i.n == int(spec)), None)
        if item is None:
            raise UsageError(f"{spec}: the plan of {today} has no item {spec}")
        links = item_links(plan, item)
        found = [e for e in doc.entries if links and e.stamp.when == links[0]]
        if not found:
            raise UsageError(f"{spec}: item {spec} of the plan of {today} refers to no entry "
                             '(see"STAMP"); `worklog thread STAMP` tells the story of one')
        return next((e for e in found if todo_items(e)), found[0])
    candidates = stamp_candidates(spec, day_first=day_first)
    for when in candidates:
        found = [e for e in doc.entries if e.stamp.when == when]
        if found:
            return next((e for e in found if todo_items(e)), found[0])
    raise UsageError(f"{spec}: no entry has this stamp")


def _kind(entry: Entry) -> str:
    return "todo" if todo_items(entry) else entry.kind


def _event(entry: Entry, kind: str | None = None) -> Event:
    record = entry.record
    result = record.fields.get("result", record.result) if record is not None else None
    return Event(entry.stamp.when, entry.start, entry.stamp.text, entry.line,
                 kind or _kind(entry), entry_summary(entry), result=result)


def _item_event(plan: Entry, item: PlanItem) -> Event:
    ranges = " ".join(str(r) for r in item.ranges)
    text = f"{plan.day} item {item.n}: {item.text}" + (f" ({ranges})" if ranges else "")
    assert item.index is not None
    return Event(plan.stamp.when, plan.start + item.index, plan.stamp.text,
                 plan.line + item.index, "plan-item", f"{text}, {item.state}", n=item.n,
                 minutes=item.minutes)


def build(doc: Document, spec: str, today: date, day_first: bool) -> Thread:
    """The story of the entry ``spec`` names."""
    root = _root(doc, spec, today, day_first)
    thread = Thread(root, [_event(root)])
    last_plans: dict[date, Entry] = {}
    for entry in doc.entries:
        if is_plan(entry):
            last_plans[entry.day] = entry
    items: set[tuple[datetime, int]] = set()  # (plan stamp, item number) of the task
    for day in sorted(last_plans):
        plan = last_plans[day]
        for item in plan_items(plan):
            if root.stamp.when in item_links(plan, item):
                items.add((plan.stamp.when, item.n))
                thread.events.append(_item_event(plan, item))
                thread.worked_minutes += item.minutes
    refers = set(root.links)
    for entry in doc.entries:
        if entry is root or entry.start in {p.start for p in last_plans.values()}:
            continue
        direct = root.stamp.when in entry.links or entry.stamp.when in refers
        if direct or _for_item(entry, items):
            thread.events.append(_event(entry))
    thread.events.sort(key=lambda e: (e.when, e.order))
    return thread


def _for_item(entry: Entry, items: set[tuple[datetime, int]]) -> bool:
    """Whether ``entry`` is a record whose ``for`` names one of the task's plan items."""
    record = entry.record
    task = record.fields.get("for") if record is not None else None
    if task is None:
        return False
    match = _ITEM_RE.search(task)
    if match is None:
        return False
    return any((when, int(match["n"])) in items for when in entry.links)


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
