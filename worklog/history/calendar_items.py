"""What the iCalendar export makes of the day plans: worked ranges as events, and tasks.

A *task* is an item followed across its carry-overs: an item with a ``(from DAY)``
origin continues the task of that first day with the same ``report --by item`` key; an
item without one continues the task of the same key left open or active in the previous
day's plan, else it starts a task on its plan's day. Its UID is made of that first day and
the key, so it stays the same however often the task is carried and exported; its state
is that of its last plan (done there: COMPLETED). Pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from worklog.day.plan import plan_items
from worklog.day.report import Worked, item_key, plans_by_day, worked_ranges
from worklog.format.document import Entry


def task_uid(first: date, key: str) -> str:
    digest = hashlib.sha256(key.casefold().encode("utf-8", "surrogatepass")).hexdigest()
    return f"task-{first:%Y%m%d}-{digest[:16]}@worklog"


@dataclass
class Task:
    uid: str
    first: date
    text: str  # as in its last plan, without the origin
    state: str
    last_plan: Entry
    days: list[date] = field(default_factory=list)
    minutes: int = 0


@dataclass(frozen=True)
class WorkedEvent:
    uid: str
    task_uid: str
    worked: Worked


def _tasks(entries: Sequence[Entry]) -> tuple[list[Task], dict[tuple[date, int], str]]:
    """Every task of the day plans (each day's last plan), by its first day, and the UID
    of the task of each item (by day and number)."""
    found: dict[str, Task] = {}
    of_item: dict[tuple[date, int], str] = {}
    still_open: dict[str, Task] = {}  # the open tasks of the previous plan, by key
    plans = plans_by_day(entries, date.min, date.max)
    for day in sorted(plans):
        now_open: dict[str, Task] = {}
        for item in plan_items(plans[day]):
            key = item_key(item.text)
            task = still_open.get(key.casefold()) if item.carried_from is None else None
            if task is None:
                uid = task_uid(item.carried_from or day, key)
                task = found.setdefault(uid, Task(uid, item.carried_from or day, item.text,
                                                  item.state, plans[day]))
            task.text, task.state, task.last_plan = item.text, item.state, plans[day]
            task.days.append(day)
            task.minutes += item.minutes
            of_item[(day, item.n)] = task.uid
            if item.state in ("open", "active"):
                now_open[key.casefold()] = task
        still_open = now_open
    return sorted(found.values(), key=lambda t: (t.first, t.uid)), of_item


def tasks(entries: Sequence[Entry]) -> list[Task]:
    """Every task of the day plans, by its first day."""
    return _tasks(entries)[0]


def worked_events(entries: Sequence[Entry]) -> list[WorkedEvent]:
    """Each counted range with a UID of its day, item and start, and its task's UID."""
    of_item = _tasks(entries)[1]
    return [WorkedEvent(f"{w.start:%Y%m%dT%H%M}-item-{w.n}@worklog",
                        of_item.get((w.day, w.n), task_uid(w.day, w.key)), w)
            for w in worked_ranges(entries)]


def components(entries: list[Entry], plan_uids: dict[datetime, str], stamp: datetime) -> list[Any]:
    """For the iCalendar export: a VEVENT per worked range, then a VTODO per task;
    ``plan_uids``: the UIDs of the plans' VJOURNALs."""
    from icalendar import Event, Todo  # noqa: PLC0415 - only for this format

    from worklog.history.formats import _TODO_STATUS, clean  # noqa: PLC0415

    out: list[Any] = []
    for ev in worked_events(entries):
        event = Event()
        event.add("uid", ev.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", ev.worked.start)
        event.add("dtend", ev.worked.end)
        event.add("summary", clean(ev.worked.text) or f"item {ev.worked.n}")
        event.add("description", f"item {ev.worked.n} of the plan of {ev.worked.day} "
                                 f"({ev.worked.minutes} min)")
        if ev.worked.tags:
            event.add("categories", [clean(t) for t in ev.worked.tags])
        event.add("related-to", ev.task_uid)
        out.append(event)
    for task in tasks(entries):
        todo = Todo()
        todo.add("uid", task.uid)
        todo.add("dtstamp", stamp)
        todo.add("dtstart", task.first)
        todo.add("summary", clean(task.text) or "(no text)")
        todo.add("status", _TODO_STATUS[task.state])
        if task.state == "done":
            todo.add("percent-complete", 100)
            todo.add("completed", task.last_plan.stamp.when)
        todo.add("description", f"planned on {len(task.days)} day(s): "
                 + ", ".join(d.isoformat() for d in task.days)
                 + (f"; worked {task.minutes} min" if task.minutes else ""))
        if task.last_plan.stamp.when in plan_uids:
            todo.add("related-to", plan_uids[task.last_plan.stamp.when])
        out.append(todo)
    return out
