"""Day plans (FORMAT.md C1-C3, C8): the day's view, carry-over and the text of a new plan.

Pure: functions of entries and a given clock, no file and no printing. The item line
grammar and the clock arithmetic are those of ``worklog.format.constructs``; the edits of
a plan entry are in ``worklog.day.edits``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from worklog.errors import UsageError
from worklog.format import constructs as c
from worklog.format import items as it
from worklog.format.document import Document, Entry, newest_first
from worklog.format.items import HM
from worklog.format.patterns import lazy

PLAN_TAG = c.PLAN_TAG
DEFAULT_SECTION = "today"
#: ``(from 2026-11-20)`` at the end of an item's text: the day it was first planned.
_ORIGIN_RE = lazy(r"[ \t]*\(from (?P<day>\d{4}-\d{2}-\d{2})\)$")


def hm_of(when: datetime) -> HM:
    return when.hour, when.minute


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
    state: it.ItemState
    ranges: tuple[it.Range, ...] = ()
    carried_from: date | None = None
    index: int | None = None  # line index in the plan entry; None for a proposed item

    @property
    def minutes(self) -> int:
        """Minutes of the closed ranges."""
        return sum(r.minutes for r in self.ranges)

    @property
    def open_range(self) -> it.Range | None:
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


def _latest(plans: Iterable[tuple[int, Entry]]) -> Entry | None:
    """The plan with the latest stamp; of plans stamped alike, the last in the file. The
    order of the file does not matter: a file written newest-first answers the same."""
    best = max(plans, key=lambda pair: (pair[1].stamp.when, pair[0]), default=None)
    return None if best is None else best[1]


def latest_plan(entries: Sequence[Entry], day: date) -> Entry | None:
    """The day's plan: its latest plan entry (FORMAT.md K1)."""
    return _latest((i, e) for i, e in enumerate(entries) if e.day == day and is_plan(e))


def latest_plans(entries: Iterable[Entry]) -> dict[date, Entry]:
    """Each day's plan, as ``latest_plan`` chooses it, for every day at once."""
    by_day: dict[date, list[tuple[int, Entry]]] = {}
    for i, entry in enumerate(entries):
        if is_plan(entry):
            by_day.setdefault(entry.day, []).append((i, entry))
    return {day: best for day, plans in by_day.items() if (best := _latest(plans)) is not None}


def previous_plan(entries: Sequence[Entry], day: date) -> Entry | None:
    """The plan of the latest day before ``day`` that has one (its latest plan)."""
    return _latest((i, e) for i, e in enumerate(entries) if e.day < day and is_plan(e))


def in_time_order(entries: Sequence[Entry]) -> list[Entry]:
    """``entries`` sorted by their stamps, entries stamped alike in file order."""
    return sorted(entries, key=lambda e: e.stamp.when)


def cross_reference(doc: Document, entry: Entry) -> str:
    """`see"STAMP"` for ``entry``, its stamp written in the file's stamp shape (W1, C4)."""
    return f'see"{doc.writing_shape().format(entry.stamp.when)}"'


def reaches_before(doc: Document, day: date) -> bool:
    """Whether a tail holds every entry of ``day`` and later: it starts before ``day``
    and is in time order (a tail of a file written newest-first never is enough)."""
    entries = doc.entries
    return bool(entries) and entries[0].day < day and not newest_first(entries)


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
    """What ``worklog today`` shows of a day: its plan (or the one proposed), the items,
    the other entries, and what is running."""

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
            minutes = None
            if now.date() == day and not (elapsed := it.Range(rng.start, hm_of(now))).impossible:
                minutes = elapsed.minutes
            return Running(item.n, rng.start, minutes)
    return None


def day_view(entries: Sequence[Entry], day: date, now: datetime) -> DayView:
    """The day's plan (or the proposed one), its running item and the day's entries."""
    plan = latest_plan(entries, day)
    others = in_time_order([e for e in entries if e.day == day and e is not plan])
    if plan is not None:
        items = plan_items(plan)
        return DayView(day, plan, None, items, others, _running(items, day, now))
    source = previous_plan(entries, day)
    left = next((i for i in plan_items(source) if i.state == "active"), None) if source else None
    return DayView(day, None, source, carry_over(source), others, None, left)


# --- writing a new plan -----------------------------------------------------------------


class ItemTextError(UsageError):
    """Item text typed by a person that would not read back as that text (C2, C3, C8)."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"the item text {text!r} {reason}; nothing was written")
        self.text = text
        self.reason = reason


def clean_item_text(text: str) -> str:
    """An item text typed by a person, on one line, that reads back as just that text:
    never as worked time, a state or an origin. Anything else is refused."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise UsageError("an item needs some text")
    parsed = it.parse_item_line(item_line(1, cleaned))
    assert parsed is not None  # item_line's head always parses
    if parsed.tokens or parsed.bad_range is not None:
        start, end = (parsed.tokens[0].start, parsed.tokens[0].end) if parsed.tokens \
            else parsed.bad_range or (0, 0)
        piece = parsed.content[start:end]
        reads = "time worked" if parsed.tokens else "a range with an impossible time"
        raise ItemTextError(cleaned, f"starts with {piece!r}, which the plan would read as "
                                     f"{reads}; put a word before it (e.g. 'at {piece}')")
    if parsed.state != "open":
        raise ItemTextError(cleaned, f"ends with ({parsed.state}), which marks an item "
                                     f"{parsed.state}; leave the marker out")
    if split_origin(parsed.text)[1] is not None:
        raise ItemTextError(cleaned, "ends with (from YYYY-MM-DD), which reads as the day "
                                     "a carried item was first planned")
    if parsed.text != cleaned:  # pragma: no cover - the cases above are all there are
        raise ItemTextError(cleaned, "would not read back as written")
    return cleaned


def item_line(n: int, text: str, origin: date | None = None) -> str:
    """``N), text (from DAY)``."""
    return f"{n}), {text}" + (f" (from {origin.isoformat()})" if origin else "")


def new_plan_body(start: HM, title: str, carried: Sequence[PlanItem],
                  texts: Sequence[str]) -> list[str]:
    """The lines of a new plan after its ``GTD`` tags line, in the seed's shape."""
    lines = [f"0, {it.format_hm(start)}", "", f"1, {title}"]
    for item in carried:
        lines.append(item_line(item.n, item.text, item.carried_from))
    for k, text in enumerate(texts, start=len(carried) + 1):
        lines.append(item_line(k, clean_item_text(text)))
    return lines


# --- the day's other entries, one line each ---------------------------------------------

_NAMED_ADDRESS_RE = lazy(r'"?(?P<name>[^"<]+?)"?\s*<[^>]*>')


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
