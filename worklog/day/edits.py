"""Edits of a day's plan entry (FORMAT.md C1-C3): start, stop, done, drop, new items and
the day's start. Pure: functions of a plan entry and a given time.

An edit returns the plan entry's new text, made by changing single lines in place (or
inserting new ones), so that every other byte of the entry stays exactly as written. Each
changed item line is parsed again with the one item grammar of
``worklog.format.constructs`` and the edit refused if it would not read back as intended.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from worklog.day.plan import (
    DEFAULT_SECTION,
    PlanItem,
    clean_item_text,
    item_line,
    plan_items,
    split_origin,
)
from worklog.errors import UsageError, WorklogError
from worklog.format import items as it
from worklog.format.document import Document, Entry, ParseOptions, parse_text
from worklog.format.items import HM, format_hm, format_minutes

#: How much of an item's text a message quotes.
LABEL_TEXT = 60


def item_label(item: PlanItem) -> str:
    """``item 3 (release notes for vmbackup 0.4)``: the number and the text, so that a
    wrong number shows."""
    text = item.text if len(item.text) <= LABEL_TEXT else item.text[: LABEL_TEXT - 1] + "…"
    return f"item {item.n} ({text})" if text else f"item {item.n}"


class ImpossibleRangeError(UsageError):
    """A range would end before it starts, and past midnight last over 12 hours (C2)."""

    def __init__(self, label: str, day: date, started: HM, at: HM) -> None:
        super().__init__(
            f"{label} of the plan of {day} runs since {format_hm(started)}: it cannot end "
            f"at {format_hm(at)}, before it started (a range past midnight lasts at most "
            f"{it.LONGEST_RANGE // 60} hours); nothing was written")
        self.day = day
        self.started = started
        self.at = at


# --- changing one item line ---------------------------------------------------------------


def _insert(text: str, pos: int, piece: str) -> str:
    return text[:pos] + piece + text[pos:]


def open_range(line: it.ItemLine, at: HM, pad: bool) -> str:
    """The line with ``H:MM-`` after its ranges (before the text)."""
    token = format_hm(at, pad=pad) + "-"
    if line.tokens:
        return _insert(line.content, line.tokens[-1].end, " " + token)
    rest = line.content[line.head_end : line.end]
    return _insert(line.content, line.head_end, token + (" " if rest else ""))


def close_range(line: it.ItemLine, k: int, at: HM, pad: bool) -> str:
    """The line with its open range number ``k`` ended at ``at``; a range that would
    last no time at all is taken out instead."""
    token = line.tokens[k]
    if token.range.start != at:
        return _insert(line.content, token.end, format_hm(at, pad=pad))
    if k > 0:
        cut_from, cut_to = line.tokens[k - 1].end, token.end
    else:
        cut_from = token.start
        cut_to = line.tokens[1].start if len(line.tokens) > 1 else line.body_start
    return line.content[:cut_from] + line.content[cut_to:]


def set_marker(line: it.ItemLine, state: str) -> str:
    """The line ending with `` (done)`` / `` (dropped)``, or without a marker (``open``)."""
    return marker_set(line.content, line.marker, state)


def marker_set(content: str, marker: re.Match[str] | None, state: str) -> str:
    """``content`` (a line whose state marker, C3, is ``marker``) ending with `` (done)`` /
    `` (dropped)``, or without a marker (``open``); the marker's word keeps its case."""
    if marker is not None:
        start, end = marker.span()
        if state == "open":
            return content[:start] + content[end:]
        inner_start, inner_end = marker.span("state")
        word = state.upper() if marker["state"].isupper() else state
        return content[:inner_start] + word + content[inner_end:]
    if state == "open":
        return content
    return _insert(content, len(content.rstrip(" \t")), f" ({state})")


# --- edits of a plan entry --------------------------------------------------------------


@dataclass
class Edit:
    """A plan entry's lines as an edit leaves them, and what it did, for the user."""

    plan: Entry
    lines: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        return "".join(content + brk for content, brk in self.lines)

    @property
    def changed(self) -> bool:
        return self.source != self.plan.source

    def apply(self, text: str) -> str:
        """``text`` (the plan's document text) with the plan entry replaced."""
        return text[: self.plan.start] + self.source + text[self.plan.end :]


def _hours_padded(plan: Entry) -> bool:
    for content, _ in plan.lines:
        line = it.parse_item_line(content)
        pad = line.pads_hours() if line else None
        if pad is not None:
            return pad
    return False


class _Editor:
    """Changes item lines one at a time, checking each against the item grammar."""

    def __init__(self, plan: Entry) -> None:
        self.edit = Edit(plan, list(plan.lines))
        self.pad = _hours_padded(plan)
        self.items = {item.index: item for item in plan_items(plan)}

    def item(self, n: int) -> PlanItem:
        found = [item for item in self.items.values() if item.n == n]
        if not found:
            numbers = ", ".join(str(i.n) for i in self.items.values()) or "none"
            raise UsageError(f"the plan of {self.edit.plan.day} has no item {n} (items: {numbers})")
        if len(found) > 1:
            raise UsageError(f"the plan of {self.edit.plan.day} has {len(found)} items "
                             f"numbered {n}: renumber them in the file first")
        return found[0]

    def line(self, item: PlanItem) -> it.ItemLine:
        assert item.index is not None
        parsed = it.parse_item_line(self.edit.lines[item.index][0])
        assert parsed is not None
        return parsed

    def note(self, item: PlanItem, what: str) -> None:
        self.edit.notes.append(f"{item_label(item)}{what}")

    def change(self, item: PlanItem, content: str, ranges: tuple[it.Range, ...],
               state: it.ItemState) -> PlanItem:
        """Put ``content`` in the item's line if it reads back as the item with
        ``ranges`` and ``state`` and its text unchanged; else refuse."""
        assert item.index is not None
        parsed = it.parse_item_line(content)
        expected = replace(item, ranges=ranges, state=state)
        got = None
        if parsed is not None:
            text, origin = split_origin(parsed.text)
            got = replace(item, text=text, carried_from=origin, ranges=parsed.ranges,
                          state=parsed.state)
        if got != expected or parsed is None or parsed.n != item.n:
            raise WorklogError(f"item {item.n} of the plan of {self.edit.plan.day}: its line "
                               "cannot be changed safely; nothing was written. Edit it in "
                               "the file.")
        self.edit.lines[item.index] = (content, self.edit.lines[item.index][1])
        self.items[item.index] = expected
        return expected

    def close_open(self, item: PlanItem, at: HM) -> PlanItem:
        """End every open range of ``item`` at ``at``; an end before the start (beyond
        the midnight rule) is refused."""
        while True:
            line = self.line(item)
            k = next((i for i, t in enumerate(line.tokens) if t.range.end is None), None)
            if k is None:
                return item
            started = line.tokens[k].range.start
            ranges = list(item.ranges)
            if started == at:
                del ranges[k]
                self.note(item, f": took out the range started at {format_hm(started)} "
                                "(no time passed)")
            else:
                ranges[k] = it.Range(started, at)
                if ranges[k].impossible:
                    raise ImpossibleRangeError(item_label(item), self.edit.plan.day,
                                               started, at)
                self.note(item, f": stopped, {format_hm(started)}-{format_hm(at)} "
                                f"({format_minutes(ranges[k].minutes)})")
            state = _state_of(item.state, ranges)
            item = self.change(item, close_range(line, k, at, self.pad), tuple(ranges), state)

    def running(self) -> list[PlanItem]:
        return [i for i in self.items.values() if any(r.end is None for r in i.ranges)]


def _state_of(marked: it.ItemState, ranges: Sequence[it.Range]) -> it.ItemState:
    if marked in ("done", "dropped"):
        return marked
    return "active" if ranges and ranges[-1].end is None else "open"


def start_item(plan: Entry, n: int, at: HM, *, reopen: bool = False) -> Edit:
    """Open a range ``H:MM-`` on item ``n``, ending any other open range at ``at``.

    A done or dropped item is refused, unless ``reopen``: its marker is then taken out.
    """
    editor = _Editor(plan)
    item = editor.item(n)
    if item.state in ("done", "dropped") and not reopen:
        raise UsageError(f"{item_label(item)} is {item.state}: `worklog start {n} --reopen` "
                         f"takes the ({item.state}) marker out and starts it again")
    for other in editor.running():
        if other.index != item.index:
            editor.close_open(other, at)
    if item.state == "active":
        editor.note(item, f" is already running, since {format_hm(item.ranges[-1].start)}")
        return editor.edit
    item = editor.close_open(item, at)
    if item.state in ("done", "dropped"):
        item = editor.change(item, set_marker(editor.line(item), "open"), item.ranges, "open")
        editor.note(item, ": reopened")
    ranges = (*item.ranges, it.Range(at, None))
    item = editor.change(item, open_range(editor.line(item), at, editor.pad), ranges, "active")
    editor.note(item, f": started at {format_hm(at)}")
    return editor.edit


def stop_running(plan: Entry, at: HM) -> Edit:
    """End every open range of the plan at ``at``."""
    editor = _Editor(plan)
    for item in editor.running():
        editor.close_open(item, at)
    return editor.edit


def mark_item(plan: Entry, n: int, state: it.ItemState, at: HM) -> Edit:
    """Mark item ``n`` done or dropped (ending its open range at ``at``)."""
    editor = _Editor(plan)
    item = editor.close_open(editor.item(n), at)
    if item.state == state:
        editor.note(item, f" is already {state}")
        return editor.edit
    was = f" (was {item.state})" if item.state in ("done", "dropped") else ""
    item = editor.change(item, set_marker(editor.line(item), state), item.ranges, state)
    editor.note(item, f": {state}{was}")
    return editor.edit


# --- inserting lines ----------------------------------------------------------------------


def _insert_after(edit: Edit, anchor: int, new: Sequence[str], newline: str) -> None:
    """Insert ``new`` lines after line ``anchor``, with the line breaks around it."""
    lines = edit.lines
    brk = lines[anchor][1] or next((b for _, b in lines if b), newline)
    last_break = lines[anchor][1]
    lines[anchor] = (lines[anchor][0], brk)
    inserted = [(content, brk) for content in new]
    inserted[-1] = (inserted[-1][0], last_break)
    lines[anchor + 1 : anchor + 1] = inserted


def add_items(plan: Entry, texts: Sequence[str], newline: str) -> Edit:
    """Plan items added after the plan's last item, numbered on from the highest."""
    edit = Edit(plan, list(plan.lines))
    items = plan.items
    first = max((i.n for i in items), default=0) + 1
    cleaned = [clean_item_text(t) for t in texts]
    new = [item_line(k, text) for k, text in enumerate(cleaned, start=first)]
    if items:
        anchor = items[-1].index
    else:
        sections = [s for s in plan.sections if s.n >= 1]
        if sections:
            anchor = sections[-1].index
        else:
            anchor = max(i for i, (content, _) in enumerate(edit.lines)
                         if content.strip() or i == 0)
            new = ["", f"1, {DEFAULT_SECTION}", *new]
    _insert_after(edit, anchor, new, newline)
    edit.notes.extend(added_notes(first, cleaned))
    return edit


def added_notes(first: int, texts: Sequence[str]) -> list[str]:
    """``item 3 (write the changelog): added`` for new items numbered from ``first``."""
    return [f"{item_label(PlanItem(k, text, 'open'))}: added"
            for k, text in enumerate(texts, start=first)]


def set_day_start(plan: Entry, start: HM, newline: str) -> Edit:
    """The plan with its day's start ``0, H:MM`` (C1) set to ``start``: the time of its
    ``0,`` line replaced in place, or that line inserted after the tags line."""
    edit = Edit(plan, list(plan.lines))
    section = next((s for s in plan.sections if s.n == 0), None)
    if section is None:
        _insert_after(edit, 1 if plan.has_tags_line else 0, [f"0, {format_hm(start)}"],
                      newline)
        edit.notes.append(f"the day's start: {format_hm(start)}")
        return edit
    was = it.parse_hm(section.title)
    if was is None:
        raise WorklogError(f"the plan of {plan.day}: its line {section.n}, {section.title!r} "
                           "holds no time; nothing was written. Edit it in the file.")
    if was == start:
        edit.notes.append(f"the day's start is {format_hm(start)} already")
        return edit
    content, brk = edit.lines[section.index]
    at = content.index(section.title, content.index(",") + 1)
    pad = section.title.startswith("0") if was[0] < 10 else _hours_padded(plan)
    changed = content[:at] + format_hm(start, pad=pad) + content[at + len(section.title):]
    reread = it.parse_section(changed)
    if reread is None or it.day_start(reread.title) != format_hm(start):
        raise WorklogError(f"the plan of {plan.day}: its {section.n}, line cannot be changed "
                           "safely; nothing was written. Edit it in the file.")
    edit.lines[section.index] = (changed, brk)
    edit.notes.append(f"the day's start: {format_hm(start)} (was {format_hm(was)})")
    return edit


def extend_plan(doc: Document, plan: Entry, start: HM | None,
                texts: Sequence[str]) -> tuple[str, list[str]]:
    """``doc``'s text with the day's start of ``plan`` set (when ``start``) and ``texts``
    added as items, and the notes of both edits."""
    text, notes = doc.text, []
    if start is not None:
        edit = set_day_start(plan, start, doc.newline)
        notes.extend(edit.notes)
        if edit.changed:
            text = edit.apply(text)
            reread = parse_text(text, doc.codec, ParseOptions(day_first=doc.day_first))
            found = next(e for e in reread.entries if e.start == plan.start)
            plan = found
    if texts:
        edit = add_items(plan, texts, doc.newline)
        notes.extend(edit.notes)
        text = edit.apply(text)
    return text, notes
