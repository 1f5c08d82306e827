"""TODO notes as tasks (FORMAT.md C9): the open ones of the history with the plans that
took them up, their marking in place, and the plan item that carries one into a day.

Pure: functions of entries. A plan item refers to a TODO item when it holds a
``see"STAMP"`` reference to its note and its text, references aside, is the TODO's text
(as ``worklog plan --todo`` writes it); with other text it refers to the note, so to each
of the note's TODO items (the seed's ``1), 10:20-12:11 xl snapshot coding.
see"10:20 2014-02-11"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from worklog.day.edits import Edit, marker_set
from worklog.day.plan import PlanItem, cross_reference, latest_plans, plan_items
from worklog.errors import UsageError, WorklogError
from worklog.format import constructs as c
from worklog.format import items as it
from worklog.format.dates import parse_stamp_arg
from worklog.format.document import Document, Entry
from worklog.format.todos import TodoItem, TodoState, line_marker, todo_items


@dataclass(frozen=True)
class PlannedOn:
    """A plan item that took a TODO up: the plan's day and the item."""

    day: date
    plan: Entry
    item: PlanItem


@dataclass
class Todo:
    """A TODO item of a note with the plan items that refer to it."""

    note: Entry
    item: TodoItem
    planned: list[PlannedOn] = field(default_factory=list)

    @property
    def planned_days(self) -> list[date]:
        return sorted({p.day for p in self.planned})

    @property
    def worked_days(self) -> list[date]:
        return sorted({p.day for p in self.planned if p.item.ranges})

    @property
    def worked_minutes(self) -> int:
        return sum(p.item.minutes for p in self.planned)

    def label(self) -> str:
        return f"TODO {self.item.n} of {self.note.stamp.text} ({self.item.text})"


def refers_to(item: PlanItem, todo: TodoItem) -> bool:
    """Whether a plan item that links the TODO's note is about this TODO item: its text
    (references aside) is the TODO's text, or another text (the note as a whole)."""
    own = c.without_links(item.text).strip()
    return own == c.without_links(todo.text).strip()


def item_links(plan: Entry, item: PlanItem) -> list[datetime]:
    assert item.index is not None
    return c.find_links(plan.lines[item.index][0], plan.doc.day_first)


def collect(entries: Sequence[Entry]) -> list[Todo]:
    """Every TODO item of ``entries`` (oldest note first), each with the items of the
    days' plans (each day's plan, ``latest_plans``) that refer to it."""
    todos: dict[datetime, list[Todo]] = {}
    for entry in entries:
        for todo in todo_items(entry):
            todos.setdefault(entry.stamp.when, []).append(Todo(entry, todo))
    if not todos:
        return []
    plans = latest_plans(entries)
    for day in sorted(plans):
        plan = plans[day]
        for item in plan_items(plan):
            for when in set(item_links(plan, item)):
                group = todos.get(when, [])
                exact = [t for t in group if refers_to(item, t.item)]
                for found in exact or group:
                    found.planned.append(PlannedOn(day, plan, item))
    every = [t for group in todos.values() for t in group]
    return sorted(every, key=lambda t: (t.note.stamp.when, t.note.line, t.item.index))


def open_todos(entries: Sequence[Entry], *, every: bool = False) -> list[Todo]:
    """The open TODO items (with ``every``, all of them), oldest first."""
    return [t for t in collect(entries) if every or t.item.state == "open"]


# --- finding one ------------------------------------------------------------------------


def split_spec(spec: str, day_first: bool) -> tuple[datetime, int | None]:
    """``STAMP`` or ``STAMP:N`` as typed (``10:20 2014-02-11:2``)."""
    try:
        return parse_stamp_arg(spec, option="--todo", day_first=day_first), None
    except UsageError:
        head, colon, tail = spec.rpartition(":")
        if not colon or not tail.strip().isdigit():
            raise
    return parse_stamp_arg(head, option="--todo", day_first=day_first), int(tail)


def find_note(entries: Iterable[Entry], when: datetime, shown: str) -> Entry:
    """The TODO note stamped ``when``; a refusal naming what is there otherwise."""
    stamped = [e for e in entries if e.stamp.when == when]
    notes = [e for e in stamped if todo_items(e)]
    if len(notes) > 1:
        raise UsageError(f"{shown}: {len(notes)} TODO notes have this stamp; mark the TODO "
                         "in the file")
    if notes:
        return notes[0]
    if stamped:
        raise UsageError(f"{shown}: the entry {stamped[0].stamp.text} (line "
                         f"{stamped[0].line}) is not a TODO note (no section titled TODO)")
    raise UsageError(f"{shown}: no entry has this stamp")


def pick_item(note: Entry, n: int | None) -> TodoItem:
    """TODO item ``n`` of ``note``; without ``n``, its only open one."""
    items = todo_items(note)
    numbers = ", ".join(str(t.n) for t in items)
    if n is None:
        open_ = [t for t in items if t.state == "open"]
        if len(open_) == 1:
            return open_[0]
        which = "no" if not open_ else f"{len(open_)}"
        raise UsageError(f"the TODO note {note.stamp.text} has {which} open TODOs "
                         f"(TODOs: {numbers}): say which, by its number")
    found = [t for t in items if t.n == n]
    if not found:
        raise UsageError(f"the TODO note {note.stamp.text} has no TODO {n} (TODOs: {numbers})")
    if len(found) > 1:
        raise UsageError(f"the TODO note {note.stamp.text} has {len(found)} TODOs numbered "
                         f"{n}: renumber them in the file first")
    return found[0]


# --- marking and planning ---------------------------------------------------------------


def _reads_back(before: TodoItem, content: str, state: TodoState) -> bool:
    text, got, _ = line_marker(content, before.form)
    section = it.parse_section(content)
    item = it.parse_item_line(content)
    shape_kept = {
        "item": item is not None and item.n == before.n,
        "section": section is not None and section.n == before.n,
        "heading": section is None and item is None,
    }[before.form]
    return shape_kept and text == before.text and got == state


def mark_todo(note: Entry, todo: TodoItem, state: TodoState) -> Edit:
    """The note with ``todo`` marked ``state`` (``(done)``, ``(dropped)``; ``open`` takes
    the marker out) on its own line, every other byte as it was."""
    edit = Edit(note, list(note.lines))
    label = f"TODO {todo.n} of {note.stamp.text} ({todo.text})"
    if todo.state == state:
        edit.notes.append(f"{label} is already {state}")
        return edit
    content, brk = note.lines[todo.index]
    if todo.form == "item":
        parsed = it.parse_item_line(content)
        assert parsed is not None
        marker = parsed.marker
    else:
        start = content.index(",") + 1 if todo.form == "section" else 0
        marker = it.find_marker(content[: len(content.rstrip(" \t"))], start)
    changed = marker_set(content, marker, state)
    if not _reads_back(todo, changed, state):
        raise WorklogError(f"{label}: its line {note.line + todo.index} cannot be changed "
                           "safely; nothing was written. Edit it in the file.")
    edit.lines[todo.index] = (changed, brk)
    was = f" (was {todo.state})" if todo.state != "open" else ""
    edit.notes.append(f"{label}: {state}{was}")
    return edit


def plan_text(doc: Document, note: Entry, todo: TodoItem) -> str:
    """The text of a plan item for ``todo``: its text and a reference to its note, the
    stamp in the file's stamp shape (C4, W1), as the seed's plan items are written."""
    if todo.state != "open":
        raise UsageError(f"TODO {todo.n} of {note.stamp.text} is {todo.state}: "
                         f"`worklog todo open \"{note.stamp.text}\" {todo.n}` opens it "
                         "again")
    return f"{todo.text} {cross_reference(doc, note)}"


def todos_of_item(doc: Document, plan: Entry, item: PlanItem) -> list[Todo]:
    """The TODO items (of notes in ``doc``) that plan item ``item`` refers to."""
    found: list[Todo] = []
    for when in dict.fromkeys(item_links(plan, item)):
        group = [Todo(e, t) for e in doc.entries if e.stamp.when == when
                 for t in todo_items(e)]
        exact = [t for t in group if refers_to(item, t.item)]
        found.extend(exact or group)
    return found

