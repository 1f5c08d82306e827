"""What a VM action served: the task of a snapshot, and how it is stored in libvirt.

The task is a `for` reference (`see"STAMP" item N: text`, FORMAT.md C4/C7): an item of
today's plan, any entry, or the item running now. worklog stores it in the snapshot's
description too, as a last line `for: ...`, so `worklog snaps` shows it even when the
log lost the record.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from worklog.day.plan import cross_reference, latest_plan
from worklog.errors import UsageError
from worklog.format.constructs import Item, iter_links
from worklog.format.dates import parse_stamp_arg
from worklog.format.document import Document, Entry
from worklog.history.timeline import Timeline
from worklog.store.logfile import LogFile
from worklog.vm.base import WORKLOG_MARK, user_description, worklog_description

FOR_LINE = "for: "
"""Starts the last line of a stored description that names the task (see `stored_description`)."""

_ITEM_RE = re.compile(r" item (?P<n>\d+)(?::|$)")

TaskProblem = Literal["no-log", "no-plan", "no-item", "no-entry", "not-a-stamp"]


class TaskNotFound(UsageError):
    """The task asked for (``spec``: an item number or a stamp) is not in the log.

    ``problem`` says why; ``plan`` is the stamp of today's plan for `no-item`;
    ``day_first`` the day order a stamp was read in."""

    def __init__(
        self, spec: str, problem: TaskProblem, *, plan: str | None = None, day_first: bool = True
    ) -> None:
        super().__init__(f"{spec}: {problem}")
        self.spec = spec
        self.problem = problem
        self.plan = plan
        self.day_first = day_first


def _day_plan(doc: Document, day: date) -> Entry | None:
    """The day's plan, by the one rule of worklog.day.plan."""
    return latest_plan(doc.entries, day)


def _item_ref(doc: Document, plan: Entry, item: Item) -> str:
    ref = f"{cross_reference(doc, plan)} item {item.n}"
    return f"{ref}: {item.text}" if item.text else ref


def active_task(doc: Document, today: date) -> str | None:
    """The item running (an open range, as `worklog start` writes) in today's plan, or,
    while today has no plan yet, in yesterday's (work past midnight), as a `for`
    reference; the one started last when several run; None when none runs."""
    plan = _day_plan(doc, today) or _day_plan(doc, today - timedelta(days=1))
    if plan is None:
        return None
    running = [i for i in plan.items if i.state == "active"]
    if not running:
        return None
    item = max(running, key=lambda i: (i.ranges[-1].start, i.index))
    return _item_ref(doc, plan, item)


def resolve_task(doc: Document, spec: str, today: date, day_first: bool | None = None) -> str:
    """``spec`` N (item N of today's latest plan) or STAMP (any entry) as a `for`
    reference; TaskNotFound says what is missing. ``day_first`` None: the file's order."""
    if spec.strip().isdigit():
        number = int(spec)
        plan = _day_plan(doc, today)
        if plan is None:
            raise TaskNotFound(spec, "no-plan")
        for item in plan.items:
            if item.n == number:
                return _item_ref(doc, plan, item)
        raise TaskNotFound(spec, "no-item", plan=plan.stamp.text)
    order = doc.day_first if day_first is None else day_first
    try:
        when = parse_stamp_arg(spec, day_first=order)
    except UsageError:
        raise TaskNotFound(spec, "not-a-stamp", day_first=order) from None
    for entry in reversed(doc.entries):
        if entry.stamp.when == when:
            return cross_reference(doc, entry)
    raise TaskNotFound(spec, "no-entry")


def find_task(log: LogFile, spec: str | None, today: date, day_first: bool | None) -> str | None:
    """The task of an action about to be taken, read from the log's end (the whole log
    only when ``spec`` is a stamp older than the end holds): ``spec`` resolved, else the
    running item, if any. A missing log has no task (TaskNotFound when one is asked)."""
    if not log.exists():
        if spec is not None:
            raise TaskNotFound(spec, "no-log")
        return None
    yesterday = today - timedelta(days=1)
    tail = log.load_tail(lambda doc: doc.entries[0].day < yesterday)
    if spec is None:
        return active_task(tail.doc, today)
    try:
        return resolve_task(tail.doc, spec, today, day_first)
    except TaskNotFound:
        if tail.whole or spec.strip().isdigit():
            raise
    return resolve_task(log.load().doc, spec, today, day_first)


def stored_description(text: str | None, task: str | None) -> str:
    """What worklog stores in libvirt: its mark and the user's text exactly as typed,
    then, when the snapshot served a task, a last line `for: see"STAMP" item N: text`."""
    stored = worklog_description(text)
    return stored if task is None else f"{stored}\n{FOR_LINE}{task}"


def split_description(stored: str | None) -> tuple[str | None, str | None]:
    """(the user's text, the task) of a stored description; others' descriptions are
    all the user's text."""
    if stored is None or not stored.startswith(WORKLOG_MARK):
        return stored, None
    head, newline, last = stored.rpartition("\n")
    if newline and last.startswith(FOR_LINE):
        return user_description(head), last[len(FOR_LINE) :]
    return user_description(stored), None


def task_is_open(timeline: Timeline, task: str | None) -> bool:
    """True when ``task`` (a `for` reference `see"STAMP" item N: text`) names an item of
    the entry at STAMP that is not marked done or dropped there; a reference to an entry
    (no item), or to nothing the log holds, is not an open task. The entry is found by
    seeking to its day."""
    if not task:
        return False
    links = iter_links(task, timeline.log.day_order())
    if not links or not task.startswith(links[0].text):
        return False
    rest = task[len(links[0].text) :]
    match = _ITEM_RE.match(rest)
    if match is None:
        return False
    number = int(match["n"])
    found = timeline.stamped(links[0].when)
    return bool(found) and any(i.n == number and i.state in ("open", "active")
                               for i in found[-1].items)
