"""Time worked, from the ranges in day plans: totals by day, by item or by tag. Pure.

A day counts with its plan only: the latest plan entry of the day (a plan written again
later in the day replaces the earlier one). Closed ranges count; an open range (an item
still running, or left running) counts nothing and is listed apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from worklog.day import timesheet as ts
from worklog.day.plan import (
    PLAN_TAG,
    PlanItem,
    is_plan,
    latest_plan,
    plan_items,
)
from worklog.format.constructs import find_links, without_links
from worklog.format.document import Entry
from worklog.format.items import HM, Range
from worklog.format.items import item_tags as tags_in_text

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
    #: every day of the period (from its first plan without a lower bound), in order
    days: list[ts.DayStat] = field(default_factory=list)
    carried: list[ts.Carried] = field(default_factory=list)
    round_to: int = 0  # minutes each item's time of a day is rounded to (0: not)

    @property
    def target_minutes(self) -> int | None:
        if not self.days or self.days[0].target is None:
            return None
        return sum(d.target or 0 for d in self.days)

    @property
    def balance_minutes(self) -> int | None:
        target = self.target_minutes
        return None if target is None else self.total_minutes - target


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
    """The item's own ``#tags`` (C10), the plan's tags (not GTD) and those of the entries
    the item refers to."""
    tags: dict[str, str] = {tag.casefold(): tag for tag in tags_in_text(item.text)}
    linked = [by_stamp[w] for w in find_links(item.text, plan.doc.day_first) if w in by_stamp]
    for source in (plan, *linked):
        for tag in source.tags:
            if tag.casefold() != PLAN_TAG.casefold():
                tags.setdefault(tag.casefold(), tag)
    return list(tags.values()) or [NO_TAG]


def build(entries: Sequence[Entry], since: date, until: date, by: By, *,
          round_to: int = 0, target: Sequence[int] | None = None) -> Report:
    """The report of ``since..until``; ``round_to``: each item's minutes of a day to the
    nearest multiple; ``target``: the minutes to work each weekday, Monday first."""
    plans = plans_by_day(entries, since, until)
    by_stamp = {e.stamp.when: e for e in entries if e.stamp.has_time} if by == "tag" else {}
    minutes: dict[str, int] = {}
    labels: dict[str, str] = {}
    days: dict[str, set[date]] = {}
    open_ranges: list[OpenRange] = []
    impossible: list[ImpossibleRange] = []
    worked: dict[date, int] = {}
    keyed: dict[date, list[tuple[str, PlanItem]]] = {}
    stats: dict[date, ts.DayStat] = {}
    for day in sorted(plans):
        plan = plans[day]
        if by == "day":
            minutes.setdefault(day.isoformat(), 0)
            days.setdefault(day.isoformat(), {day})
        items = plan_items(plan)
        keyed[day] = [(item_key(item.text), item) for item in items]
        worked[day] = 0
        for item in items:
            open_ranges.extend(OpenRange(day, item.n, r.start) for r in item.ranges
                               if r.end is None)
            impossible.extend(ImpossibleRange(day, item.n, r) for r in item.ranges
                              if r.impossible)
            counted = ts.rounded(item.minutes, round_to)
            if not counted:
                continue
            worked[day] += counted
            for key in _keys(by, day, plan, item, labels, by_stamp):
                minutes[key] = minutes.get(key, 0) + counted
                days.setdefault(key, set()).add(day)
        stats[day] = ts.day_stat(day, items, worked[day], ts.target_of(target, day))
    rows = [Row(labels.get(key, key), value, tuple(sorted(days[key])))
            for key, value in minutes.items()]
    if by != "day":
        rows.sort(key=lambda row: (-row.minutes, row.key.casefold()))
    period = [stats.get(d) or ts.DayStat(d, 0, ts.target_of(target, d), 0, 0, 0)
              for d in ts.days_of_period(since, until, min(plans, default=None))]
    return Report(since, until, by, rows, sum(worked.values()), open_ranges, impossible,
                  period, ts.carried_items(keyed), round_to)


def _keys(by: By, day: date, plan: Entry, item: PlanItem, labels: dict[str, str],
          by_stamp: dict[datetime, Entry]) -> list[str]:
    """The rows an item's time goes to (``labels``: each key's label, filled in)."""
    if by == "day":
        return [day.isoformat()]
    if by == "item":
        key = item_key(item.text)
        labels[key.casefold()] = key
        return [key.casefold()]
    tags = item_tags(plan, item, by_stamp)
    labels.update((tag.casefold(), tag) for tag in tags)
    return [tag.casefold() for tag in tags]


@dataclass(frozen=True)
class Worked:
    """A counted range of a plan item, on the calendar (the end on the next day past
    midnight): what the timesheet exports are made of."""

    day: date
    n: int
    key: str  # the item as ``--by item`` names it
    text: str  # the item's text without its origin
    tags: tuple[str, ...]  # as ``--by tag`` counts them (none: empty)
    state: str
    start: datetime
    end: datetime
    plan: Entry

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds()) // 60


def worked_ranges(entries: Sequence[Entry], since: date = date.min,
                  until: date = date.max) -> list[Worked]:
    """Every range ``report`` counts in ``since..until``, day by day in clock order."""
    by_stamp = {e.stamp.when: e for e in entries}
    found: list[Worked] = []
    plans = plans_by_day(entries, since, until)
    for day in sorted(plans):
        plan = plans[day]
        for item in plan_items(plan):
            tags = tuple(t for t in item_tags(plan, item, by_stamp) if t != NO_TAG)
            for rng in item.ranges:
                if rng.end is None or rng.impossible:
                    continue
                start = datetime.combine(day, time(*rng.start))
                found.append(Worked(day, item.n, item_key(item.text), item.text, tags,
                                    item.state, start, start + timedelta(minutes=rng.length),
                                    plan))
    return sorted(found, key=lambda w: (w.start, w.n))
