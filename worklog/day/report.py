"""Time worked, from the ranges in day plans: totals by day, by item or by tag. Pure.

A day counts with its plan only: the latest plan entry of the day (a plan written again
later in the day replaces the earlier one). Closed ranges count; an open range (an item
still running, or left running) counts nothing and is listed apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from worklog.day.plan import (
    PLAN_TAG,
    PlanItem,
    is_plan,
    latest_plan,
    plan_items,
    reaches_before,
)
from worklog.format.constructs import find_links, without_links
from worklog.format.document import Document, Entry
from worklog.format.items import HM, Range

By = Literal["day", "item", "tag"]
BY_CHOICES: tuple[By, ...] = ("day", "item", "tag")
NO_TAG = "(no tag)"


@dataclass(frozen=True)
class Row:
    key: str
    minutes: int
    days: tuple[date, ...]


@dataclass(frozen=True)
class OpenRange:
    """A range without an end in a counted plan: not in the totals."""

    day: date
    n: int
    since: HM


@dataclass(frozen=True)
class ImpossibleRange:
    """A range that ends before it starts beyond the midnight rule (C2): not counted."""

    day: date
    n: int
    range: Range


@dataclass(frozen=True)
class Report:
    since: date
    until: date
    by: By
    rows: list[Row]
    total_minutes: int
    open_ranges: list[OpenRange]
    impossible: list[ImpossibleRange] = field(default_factory=list)


def plans_by_day(entries: Iterable[Entry], since: date, until: date) -> dict[date, Entry]:
    """The plan of each day in ``since..until``: its latest plan entry, whatever the
    order of the file (``latest_plan``)."""
    by_day: dict[date, list[Entry]] = {}
    for entry in entries:
        if since <= entry.day <= until and is_plan(entry):
            by_day.setdefault(entry.day, []).append(entry)
    return {day: plan for day, found in by_day.items()
            if (plan := latest_plan(found, day)) is not None}


def item_key(text: str) -> str:
    """An item's text without cross-references and final dots: the same task on two days
    shares it even when a ``see"..."`` was added on one of them."""
    return without_links(text).strip().rstrip(".").strip() or text


def item_tags(plan: Entry, item: PlanItem, by_stamp: dict[datetime, Entry]) -> list[str]:
    """The plan's own tags (not GTD) and those of the entries the item refers to."""
    tags: dict[str, str] = {}
    linked = [by_stamp[w] for w in find_links(item.text, plan.doc.day_first) if w in by_stamp]
    for source in (plan, *linked):
        for tag in source.tags:
            if tag.casefold() != PLAN_TAG.casefold():
                tags.setdefault(tag.casefold(), tag)
    return list(tags.values()) or [NO_TAG]


def earliest_link(entries: Sequence[Entry], since: date, until: date) -> datetime | None:
    """The oldest entry the counted plans refer to (``--by tag`` needs it read)."""
    links = [when for plan in plans_by_day(entries, since, until).values()
             for when in find_links(plan.source, plan.doc.day_first)]
    return min(links, default=None)


def enough_for(since: date, until: date, by: By) -> Callable[[Document], bool]:
    """For ``LogFile.load_tail``: every entry from ``since`` on (and the entries the
    plans refer to, for tags)."""

    def enough(doc: Document) -> bool:
        if not reaches_before(doc, since):
            return False
        if by != "tag":
            return True
        oldest = earliest_link(doc.entries, since, until)
        return oldest is None or doc.entries[0].stamp.when <= oldest

    return enough


def build(entries: Sequence[Entry], since: date, until: date, by: By) -> Report:
    plans = plans_by_day(entries, since, until)
    by_stamp = {e.stamp.when: e for e in entries if e.stamp.has_time} if by == "tag" else {}
    minutes: dict[str, int] = {}
    labels: dict[str, str] = {}
    days: dict[str, set[date]] = {}
    open_ranges: list[OpenRange] = []
    impossible: list[ImpossibleRange] = []
    total = 0
    for day in sorted(plans):
        plan = plans[day]
        if by == "day":
            minutes.setdefault(day.isoformat(), 0)
            days.setdefault(day.isoformat(), {day})
        for item in plan_items(plan):
            open_ranges.extend(OpenRange(day, item.n, r.start) for r in item.ranges
                               if r.end is None)
            impossible.extend(ImpossibleRange(day, item.n, r) for r in item.ranges
                              if r.impossible)
            if not item.minutes:
                continue
            total += item.minutes
            if by == "day":
                keys = [day.isoformat()]
            elif by == "item":
                key = item_key(item.text)
                labels[key.casefold()] = key
                keys = [key.casefold()]
            else:
                tags = item_tags(plan, item, by_stamp)
                labels.update((tag.casefold(), tag) for tag in tags)
                keys = [tag.casefold() for tag in tags]
            for key in keys:
                minutes[key] = minutes.get(key, 0) + item.minutes
                days.setdefault(key, set()).add(day)
    rows = [Row(labels.get(key, key), value, tuple(sorted(days[key])))
            for key, value in minutes.items()]
    if by != "day":
        rows.sort(key=lambda row: (-row.minutes, row.key.casefold()))
    return Report(since, until, by, rows, total, open_ranges, impossible)
