"""TODO notes (FORMAT.md C9): the TODO items a note holds, with where each is written.

A note is a TODO note when one of its sections (C1) is titled ``TODO`` (any case, a
trailing colon allowed). Its TODO items are, when the lines of that section hold items
``N), text`` (C2), those items; otherwise that section and each section after it, the
TODO section's text being the first non-blank line under it (the seed's shape:
``1, TODO`` / ``vm-snapshot-disk? for what?`` / ... / ``2, finish disk snapshot code``).
A TODO item's state is that of its line's ``(done)`` / ``(dropped)`` marker (C3).

Pure: functions of an entry; items, sections and markers are read by
``worklog.format.items``, the one item grammar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from worklog.format import items as it
from worklog.format.document import Entry

TodoState = Literal["open", "done", "dropped"]
TodoForm = Literal["item", "section", "heading"]


@dataclass(frozen=True)
class TodoItem:
    """One TODO item of a note: its number, text and state, and the line (an index into
    the entry's ``lines``) that holds its text and its marker, if any."""

    n: int
    text: str
    state: TodoState
    index: int
    form: TodoForm  # an item line, a section line, or the line under the TODO heading


#: The title of a TODO list, case aside (C9): every TODO note holds it.
TODO_TITLE = "todo"


def is_todo_title(title: str) -> bool:
    """Whether a section title names a TODO list: ``TODO``, ``todo:`` (C9)."""
    return title.strip().removesuffix(":").strip().casefold() == TODO_TITLE


def line_marker(content: str, form: TodoForm) -> tuple[str, TodoState, tuple[int, int] | None]:
    """The text of a TODO line (after a section's ``N,``), its state, and the span of
    its marker in ``content`` (None without one)."""
    if form == "item":
        parsed = it.parse_item_line(content)
        assert parsed is not None
        span = parsed.marker.span() if parsed.marker is not None else None
        state: TodoState = "open" if parsed.state in ("open", "active") else (
            "done" if parsed.state == "done" else "dropped")
        return parsed.text, state, span
    start = 0
    if form == "section":
        start = content.index(",") + 1
    end = len(content.rstrip(" \t"))
    marker = it.find_marker(content[:end], start)
    if marker is None:
        return content[start:end].strip(), "open", None
    return content[start : marker.start()].strip(), it.marker_state(marker), marker.span()


def _item(content: str, index: int, n: int, form: TodoForm) -> TodoItem:
    text, state, _ = line_marker(content, form)
    return TodoItem(n, text, state, index, form)


def todo_items(entry: Entry) -> list[TodoItem]:
    """The TODO items of ``entry`` (C9), in file order; none unless it is a TODO note."""
    if entry.kind != "note":
        return []
    sections = entry.sections
    first = next((k for k, s in enumerate(sections) if is_todo_title(s.title)), None)
    if first is None:
        return []
    heading = sections[first]
    stop = sections[first + 1].index if first + 1 < len(sections) else len(entry.lines)
    under = [(i, entry.lines[i][0]) for i in range(heading.index + 1, stop)]
    items = [(i, parsed.n) for i, content in under
             if (parsed := it.parse_item_line(content)) is not None]
    if items:
        return [_item(entry.lines[i][0], i, n, "item") for i, n in items]
    found: list[TodoItem] = []
    text_line = next(((i, c) for i, c in under if c.strip(" \t")), None)
    if text_line is not None:
        found.append(_item(text_line[1], text_line[0], heading.n, "heading"))
    for section in sections[first + 1 :]:
        found.append(_item(entry.lines[section.index][0], section.index, section.n, "section"))
    return found


def is_todo_note(entry: Entry) -> bool:
    return bool(todo_items(entry))
