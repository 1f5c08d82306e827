"""Day plans (FORMAT.md C1-C3): the day's view, carry-over, and edits of a plan entry.

Pure: functions of entries and a given clock, no file and no printing. An edit returns
the plan entry's new text, made by changing single item lines in place (or inserting
new ones), so that every other byte of the entry stays exactly as written. Each changed
line is parsed again and the edit refused if it would not read back as intended.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from worklog.errors import UsageError, WorklogError
from worklog.format import constructs as c
from worklog.format.document import Document, Entry

PLAN_TAG = "GTD"
DEFAULT_SECTION = "today"
#: ``(from 2026-11-20)`` at the end of an item's text: the day it was first planned.
_ORIGIN_RE = re.compile(r"[ \t]*\(from (?P<day>\d{4}-\d{2}-\d{2})\)$")
_HM_RE = re.compile(r"(?P<h>\d{1,2}):(?P<m>\d\d)")
# The item line grammar of worklog.format.constructs (C2, C3), keeping positions for edits.
_HEAD_RE = re.compile(r"\d+\)[ \t]*,?[ \t]*")
_TOKEN_RE = re.compile(
    r"(?P<sh>\d{1,2}):(?P<sm>\d\d)-(?:(?P<eh>\d{1,2}):(?P<em>\d\d))?(?=[ \t,]|$)"
)
_SEP_RE = re.compile(r"[ \t,]*")
_MARKER_RE = re.compile(r"[ \t]*\((?P<state>done|dropped)\)[ \t]*$", re.IGNORECASE)

HM = tuple[int, int]


# --- clock times ------------------------------------------------------------------------


def parse_hm(text: str) -> HM | None:
    """``9:40`` or ``09:40`` as (hour, minute), or None."""
    match = _HM_RE.fullmatch(text.strip())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"])
    return (hour, minute) if hour <= 23 and minute <= 59 else None


def format_hm(hm: HM, *, pad: bool = False) -> str:
    """``9:40`` (the seed's way) or ``09:40``."""
    return f"{hm[0]:02d}:{hm[1]:02d}" if pad else f"{hm[0]}:{hm[1]:02d}"


def hm_of(when: datetime) -> HM:
    return when.hour, when.minute


def span_minutes(start: HM, end: HM) -> int:
    """Minutes from ``start`` to ``end``, wrapping past midnight (C2)."""
    return ((end[0] * 60 + end[1]) - (start[0] * 60 + start[1])) % (24 * 60)


def format_minutes(minutes: int) -> str:
    """``6h05``: a duration, never mistaken for a clock time."""
    return f"{minutes // 60}h{minutes % 60:02d}"


# --- items of a plan --------------------------------------------------------------------


def split_origin(text: str) -> tuple[str, date | None]:
    """An item text without its ``(from YYYY-MM-DD)`` suffix, and that day."""
    match = _ORIGIN_RE.search(text)
    if not match:
        return text, None
    try:
        origin = date.fromisoformat(match["day"])
    except ValueError:
        return text, None
    return text[: match.start()], origin


@dataclass(frozen=True)
class PlanItem:
    """An item of a day's plan, or of the plan ``worklog plan`` would write."""

    n: int
    text: str  # without ranges, state marker and origin
    state: c.ItemState
    ranges: tuple[c.Range, ...] = ()
    carried_from: date | None = None
    index: int | None = None  # line index in the plan entry; None for a proposed item

    @property
    def minutes(self) -> int:
        """Minutes of the closed ranges."""
        return sum(r.minutes for r in self.ranges)

    @property
    def open_range(self) -> c.Range | None:
        return self.ranges[-1] if self.state == "active" else None


def plan_items(plan: Entry) -> list[PlanItem]:
    items = []
    for item in plan.items:
        text, origin = split_origin(item.text)
        items.append(PlanItem(item.n, text, item.state, item.ranges, origin, item.index))
    return items


def _next_line(text: str, pos: int, end: int) -> tuple[int, int]:
    """Where the line at ``pos`` ends (before its break) and where the next one starts."""
    breaks = [p for p in (text.find("\n", pos, end), text.find("\r", pos, end)) if p >= 0]
    if not breaks:
        return end, end
    brk = min(breaks)
    return brk, brk + (2 if text.startswith("\r\n", brk) else 1)


def _second_line(entry: Entry, limit: int = 512) -> str:
    """The line after the stamp line (a tags line is short: look no further than ``limit``)."""
    text = entry.doc.text
    _, start = _next_line(text, entry.start, min(entry.end, entry.start + limit))
    stop, _ = _next_line(text, start, min(entry.end, start + limit))
    return text[start:stop]


def is_plan(entry: Entry) -> bool:
    """Whether ``entry`` is a plan (K1); a quick look at the tags line first."""
    if PLAN_TAG.casefold() not in _second_line(entry).casefold():
        return False
    return entry.kind == "plan"


def day_plans(entries: Iterable[Entry], day: date) -> list[Entry]:
    """The plans of ``day``, in file order (the last one is the day's plan)."""
    return [e for e in entries if e.day == day and is_plan(e)]


def latest_plan(entries: Sequence[Entry], day: date) -> Entry | None:
    for entry in reversed(entries):
        if entry.day == day and is_plan(entry):
            return entry
    return None


def previous_plan(entries: Sequence[Entry], day: date) -> Entry | None:
    """The plan of the latest day before ``day`` that has one (its last plan)."""
    best: Entry | None = None
    for entry in reversed(entries):
        if entry.day < day and (best is None or entry.day > best.day) and is_plan(entry):
            best = entry
    return best


def reaches_before(doc: Document, day: date) -> bool:
    """Whether a tail holds every entry of ``day`` and later (the log is in time order)."""
    return bool(doc.entries) and doc.entries[0].day < day


def enough_for(day: date, *, previous: bool) -> Callable[[Document], bool]:
    """For ``LogFile.load_tail``: every entry of ``day``, and, when ``previous``, the
    latest earlier plan unless ``day`` has its own plan."""

    def enough(doc: Document) -> bool:
        if not reaches_before(doc, day):
            return False
        if not previous:
            return True
        return latest_plan(doc.entries, day) is not None or \
            previous_plan(doc.entries, day) is not None

    return enough


# --- carry-over and the day's view ------------------------------------------------------


def carry_over(source: Entry | None) -> list[PlanItem]:
    """The open and active items of ``source`` as the open items of a new plan.

    An item keeps the day it was first planned: its own ``(from DAY)`` or the source's
    day. Active items come as open: their running range stays in the source plan.
    """
    if source is None:
        return []
    carried = [item for item in plan_items(source) if item.state in ("open", "active")]
    return [PlanItem(k, item.text, "open", (), item.carried_from or source.day)
            for k, item in enumerate(carried, start=1)]


def section_title(source: Entry | None) -> str:
    """The title of the section the source plan's items stand in (``today``, ``heute``)."""
    if source is not None:
        sections = {s.n: s.title for s in source.sections if s.n >= 1 and s.title.strip()}
        for item in source.items:
            if item.section in sections:
                return sections[item.section]
        if sections:
            return sections[min(sections)]
    return DEFAULT_SECTION


@dataclass(frozen=True)
class Running:
    """The item being worked on: since when, and for how long up to now (today only)."""

    n: int
    since: HM
    minutes: int | None


@dataclass(frozen=True)
class DayView:
    day: date
    plan: Entry | None  # the day's plan; None: ``items`` is what ``worklog plan`` writes
    source: Entry | None  # the earlier plan the proposed items come from
    items: list[PlanItem]
    entries: list[Entry]  # the day's other entries, in file order
    running: Running | None = None
    left_running: PlanItem | None = None  # an item of ``source`` left with an open range

    @property
    def start(self) -> str | None:
        return self.plan.day_start if self.plan is not None else None

    @property
    def worked_minutes(self) -> int:
        """Minutes of the closed ranges of the day's plan."""
        return sum(item.minutes for item in self.items) if self.plan is not None else 0


def _running(items: Sequence[PlanItem], day: date, now: datetime) -> Running | None:
    for item in items:
        rng = item.open_range
        if rng is not None:
            minutes = span_minutes(rng.start, hm_of(now)) if now.date() == day else None
            return Running(item.n, rng.start, minutes)
    return None


def day_view(entries: Sequence[Entry], day: date, now: datetime) -> DayView:
    """The day's plan (or the proposed one), its running item and the day's entries."""
    plan = latest_plan(entries, day)
    others = [e for e in entries if e.day == day and e is not plan]
    if plan is not None:
        items = plan_items(plan)
        return DayView(day, plan, None, items, others, _running(items, day, now))
    source = previous_plan(entries, day)
    left = next((i for i in plan_items(source) if i.state == "active"), None) if source else None
    return DayView(day, None, source, carry_over(source), others, None, left)


# --- writing a new plan -----------------------------------------------------------------


def clean_item_text(text: str) -> str:
    """An item text typed by a person, on one line; empty is refused."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise UsageError("an item needs some text")
    return cleaned


def item_line(n: int, text: str, origin: date | None = None) -> str:
    return f"{n}), {text}" + (f" (from {origin.isoformat()})" if origin else "")


def new_plan_body(start: HM, title: str, carried: Sequence[PlanItem],
                  texts: Sequence[str]) -> list[str]:
    """The lines of a new plan after its ``GTD`` tags line, in the seed's shape."""
    lines = [f"0, {format_hm(start)}", "", f"1, {title}"]
    for item in carried:
        lines.append(item_line(item.n, item.text, item.carried_from))
    for k, text in enumerate(texts, start=len(carried) + 1):
        lines.append(item_line(k, clean_item_text(text)))
    return lines


# --- editing an item line ---------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    start: int
    end: int  # just after the token (after ``-`` for an open range)
    range: c.Range


@dataclass(frozen=True)
class ItemLine:
    """Where the parts of an item line are: head ``N), ``, range tokens, text, marker."""

    content: str
    head_end: int
    tokens: tuple[_Token, ...]
    body_start: int  # after the last range token and its separators
    marker: re.Match[str] | None
    end: int  # end of the content without trailing blanks

    @classmethod
    def parse(cls, content: str) -> ItemLine | None:
        head = _HEAD_RE.match(content)
        if head is None or c.parse_item(content) is None:
            return None
        end = len(content.rstrip(" \t"))
        tokens: list[_Token] = []
        pos = head.end()
        while (match := _TOKEN_RE.match(content[:end], pos)) is not None:
            start = (int(match["sh"]), int(match["sm"]))
            stop = None if match["eh"] is None else (int(match["eh"]), int(match["em"]))
            if not (start[0] <= 23 and start[1] <= 59) or (
                    stop is not None and not (stop[0] <= 23 and stop[1] <= 59)):
                break
            tokens.append(_Token(match.start(), match.end(), c.Range(start, stop)))
            sep = _SEP_RE.match(content, match.end())
            pos = sep.end() if sep else match.end()
        body_start = min(pos, end)
        marker = _MARKER_RE.search(content[:end], body_start)
        return cls(content, head.end(), tuple(tokens), body_start, marker, end)

    def pads_hours(self) -> bool | None:
        """Whether this line writes hours before 10 with two digits, if it tells."""
        for token in self.tokens:
            if token.range.start[0] < 10:
                return self.content[token.start] == "0"
        return None


def _insert(text: str, pos: int, piece: str) -> str:
    return text[:pos] + piece + text[pos:]


def open_range(line: ItemLine, at: HM, pad: bool) -> str:
    """The line with ``H:MM-`` after its ranges (before the text)."""
    token = format_hm(at, pad=pad) + "-"
    if line.tokens:
        return _insert(line.content, line.tokens[-1].end, " " + token)
    rest = line.content[line.head_end : line.end]
    return _insert(line.content, line.head_end, token + (" " if rest else ""))


def close_range(line: ItemLine, k: int, at: HM, pad: bool) -> str:
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


def set_marker(line: ItemLine, state: str) -> str:
    """The line ending with `` (done)`` / `` (dropped)``, or without a marker (``open``)."""
    if line.marker is not None:
        start, end = line.marker.span()
        if state == "open":
            return line.content[:start] + line.content[end:]
        inner_start, inner_end = line.marker.span("state")
        word = state.upper() if line.marker["state"].isupper() else state
        return line.content[:inner_start] + word + line.content[inner_end:]
    if state == "open":
        return line.content
    return _insert(line.content, line.end, f" ({state})")


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
        line = ItemLine.parse(content)
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

    def line(self, item: PlanItem) -> ItemLine:
        assert item.index is not None
        parsed = ItemLine.parse(self.edit.lines[item.index][0])
        assert parsed is not None
        return parsed

    def change(self, item: PlanItem, content: str, ranges: tuple[c.Range, ...],
               state: c.ItemState) -> PlanItem:
        """Put ``content`` in the item's line if it reads back as the item with
        ``ranges`` and ``state`` and its text unchanged; else refuse."""
        assert item.index is not None
        parsed = c.parse_item(content, item.index)
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
        """End every open range of ``item`` at ``at``."""
        while True:
            line = self.line(item)
            k = next((i for i, t in enumerate(line.tokens) if t.range.end is None), None)
            if k is None:
                return item
            started = line.tokens[k].range.start
            ranges = list(item.ranges)
            if started == at:
                del ranges[k]
                self.edit.notes.append(f"item {item.n}: took out the range started at "
                                       f"{format_hm(started)} (no time passed)")
            else:
                ranges[k] = c.Range(started, at)
                self.edit.notes.append(f"item {item.n}: stopped, {format_hm(started)}-"
                                       f"{format_hm(at)} ({format_minutes(ranges[k].minutes)})")
            state = _state_of(item.state, ranges)
            item = self.change(item, close_range(line, k, at, self.pad), tuple(ranges), state)

    def running(self) -> list[PlanItem]:
        return [i for i in self.items.values() if any(r.end is None for r in i.ranges)]


def _state_of(marked: c.ItemState, ranges: Sequence[c.Range]) -> c.ItemState:
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
        raise UsageError(f"item {n} is {item.state}: `worklog start {n} --reopen` takes the "
                         f"({item.state}) marker out and starts it again")
    for other in editor.running():
        if other.index != item.index:
            editor.close_open(other, at)
    if item.state == "active":
        since = format_hm(item.ranges[-1].start)
        editor.edit.notes.append(f"item {n} is already running, since {since}")
        return editor.edit
    item = editor.close_open(item, at)
    if item.state in ("done", "dropped"):
        item = editor.change(item, set_marker(editor.line(item), "open"), item.ranges, "open")
        editor.edit.notes.append(f"item {n}: reopened")
    ranges = (*item.ranges, c.Range(at, None))
    editor.change(item, open_range(editor.line(item), at, editor.pad), ranges, "active")
    editor.edit.notes.append(f"item {n}: started at {format_hm(at)}")
    return editor.edit


def stop_running(plan: Entry, at: HM) -> Edit:
    """End every open range of the plan at ``at``."""
    editor = _Editor(plan)
    for item in editor.running():
        editor.close_open(item, at)
    return editor.edit


def mark_item(plan: Entry, n: int, state: c.ItemState, at: HM) -> Edit:
    """Mark item ``n`` done or dropped (ending its open range at ``at``)."""
    editor = _Editor(plan)
    item = editor.close_open(editor.item(n), at)
    if item.state == state:
        editor.edit.notes.append(f"item {n} is already {state}")
        return editor.edit
    editor.change(item, set_marker(editor.line(item), state), item.ranges, state)
    was = f" (was {item.state})" if item.state in ("done", "dropped") else ""
    editor.edit.notes.append(f"item {n}: {state}{was}")
    return editor.edit


def add_items(plan: Entry, texts: Sequence[str], newline: str) -> Edit:
    """Plan items added after the plan's last item, numbered on from the highest."""
    edit = Edit(plan, list(plan.lines))
    lines = edit.lines
    items = plan.items
    first = max((i.n for i in items), default=0) + 1
    new = [item_line(k, clean_item_text(t)) for k, t in enumerate(texts, start=first)]
    for k, content in enumerate(new, start=first):
        parsed = c.parse_item(content)
        if parsed is None or parsed.n != k:  # pragma: no cover - item_line's shape parses
            raise WorklogError(f"item {k} cannot be written safely")
    if items:
        anchor = items[-1].index
    else:
        sections = [s for s in plan.sections if s.n >= 1]
        if sections:
            anchor = sections[-1].index
        else:
            anchor = max(i for i, (content, _) in enumerate(lines) if content.strip() or i == 0)
            new = ["", f"1, {DEFAULT_SECTION}", *new]
    brk = lines[anchor][1] or next((b for _, b in lines if b), newline)
    last_break = lines[anchor][1]
    lines[anchor] = (lines[anchor][0], brk)
    inserted = [(content, brk) for content in new]
    inserted[-1] = (inserted[-1][0], last_break)
    lines[anchor + 1 : anchor + 1] = inserted
    edit.notes.extend(f"item {k}: added" for k in range(first, first + len(texts)))
    return edit


# --- the day's other entries, one line each ---------------------------------------------

_NAMED_ADDRESS_RE = re.compile(r'"?(?P<name>[^"<]+?)"?\s*<[^>]*>')


def sender_name(sender: str) -> str:
    """``"Bruce Rogers" <brogers@suse.com>`` → ``Bruce Rogers``."""
    match = _NAMED_ADDRESS_RE.fullmatch(sender.strip())
    return match["name"].strip() if match else sender.strip().strip('"')


def entry_summary(entry: Entry) -> str:
    """An entry in one line: a snapshot's domain, name and result; an e-mail's sender and
    subject; a command and its result; else the first line of the text."""
    record = entry.record
    if entry.kind == "snapshot" and record is not None:
        fields = record.fields
        name = fields.get("name")
        what = f"{record.action} {fields.get('domain', record.subject)}"
        head = f"{what} {name}" if name else what
        return f"{head}: {fields.get('result', record.result)}"
    if entry.kind == "command" and record is not None:
        return f"{record.action} {record.subject}: {record.result}" + (
            f", {record.summary}" if record.summary else "")
    if entry.kind == "email" and entry.email is not None:
        from worklog.capture.mail import sender_display  # noqa: PLC0415  (20 ms: e-mails only)

        return f"{sender_display(entry.email.sender)}: {entry.email.subject}"
    if entry.kind == "plan":
        return f"plan with {len(entry.items)} items (replaced by a later plan)"
    return entry.text_lines[0].strip() if entry.text_lines else "(empty)"
