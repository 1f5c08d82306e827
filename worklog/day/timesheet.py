"""A day's worked ranges laid out on the clock: gaps and overlaps, items planned and done,
the days an item was carried, the daily target and the balance, rounding. Pure.

The ranges are those ``report`` counts (closed, not impossible, of the day's last plan);
a range past midnight ends on the next day's clock (``23:30-00:30`` ends at minute 1470).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from worklog.day.plan import PlanItem
from worklog.format.items import HM


def rounded(minutes: int, step: int) -> int:
    """``minutes`` to the nearest multiple of ``step`` (halves up); ``step`` 0: as is."""
    if step <= 0:
        return minutes
    return (minutes + step // 2) // step * step


def clock(minute: int) -> HM:
    """A minute of the day (past 24:00 for a range past midnight) on the clock."""
    return (minute // 60) % 24, minute % 60


@dataclass(frozen=True)
class Span:
    """A counted range of item ``n``: minutes of the day, ``end`` past 1440 after midnight."""

    n: int
    start: int
    end: int


@dataclass(frozen=True)
class Gap:
    day: date
    start: HM
    end: HM
    minutes: int


@dataclass(frozen=True)
class Overlap:
    """Items ``a`` and ``b`` both worked from ``start`` to ``end`` (counted for each)."""

    day: date
    a: int
    b: int
    start: HM
    end: HM
    minutes: int


@dataclass(frozen=True)
class DayStat:
    """One day of the period: time worked, its target, the items planned and done."""

    day: date
    worked: int
    target: int | None
    planned: int  # items in the day's plan
    done: int
    dropped: int
    gaps: tuple[Gap, ...] = ()
    overlaps: tuple[Overlap, ...] = ()

    @property
    def balance(self) -> int | None:
        return None if self.target is None else self.worked - self.target


@dataclass(frozen=True)
class Carried:
    """An item that stood in the plans of ``days`` days as carried over from ``first``."""

    key: str
    first: date
    days: int
    state: str  # in the last plan of the period it stands in


def spans(items: Iterable[PlanItem]) -> list[Span]:
    """The counted ranges of a plan's items, in clock order."""
    found = []
    for item in items:
        for rng in item.ranges:
            if rng.end is None or rng.impossible:
                continue
            found.append(Span(item.n, *rng.span))
    return sorted(found, key=lambda s: (s.start, s.end, s.n))


def gaps_and_overlaps(day: date, found: Sequence[Span]) -> tuple[list[Gap], list[Overlap]]:
    """The time between ranges, and each pair of ranges worked at the same time."""
    gaps: list[Gap] = []
    overlaps: list[Overlap] = []
    reach = None  # the latest end so far
    for k, span in enumerate(found):
        if reach is not None and span.start > reach:
            gaps.append(Gap(day, clock(reach), clock(span.start), span.start - reach))
        for earlier in found[:k]:
            end = min(earlier.end, span.end)
            if end > span.start:
                overlaps.append(Overlap(day, earlier.n, span.n, clock(span.start), clock(end),
                                        end - span.start))
        reach = span.end if reach is None else max(reach, span.end)
    return gaps, overlaps


def day_stat(day: date, items: Sequence[PlanItem], worked: int,
             target: int | None) -> DayStat:
    gaps, overlaps = gaps_and_overlaps(day, spans(items))
    return DayStat(day, worked, target, len(items),
                   sum(1 for i in items if i.state == "done"),
                   sum(1 for i in items if i.state == "dropped"),
                   tuple(gaps), tuple(overlaps))


def target_of(targets: Sequence[int] | None, day: date) -> int | None:
    return None if targets is None else targets[day.weekday()]


def days_of_period(since: date, until: date, first_plan: date | None) -> list[date]:
    """Every day of the period (from its first plan when it has no lower bound)."""
    start = since if since != date.min else first_plan
    if start is None:
        return []
    return [start + timedelta(days=k) for k in range((until - start).days + 1)]


def carried_items(plans: Mapping[date, Sequence[tuple[str, PlanItem]]]) -> list[Carried]:
    """Items planned on a later day than their first (``(from DAY)``): on how many days
    of the period they stood so, most carried first. ``plans``: each day's items with
    their keys."""
    found: dict[str, Carried] = {}
    for day in sorted(plans):
        for key, item in plans[day]:
            origin = item.carried_from
            if origin is None or origin >= day:
                continue
            seen = found.get(key.casefold())
            if seen is None:
                found[key.casefold()] = Carried(key, origin, 1, item.state)
            else:
                found[key.casefold()] = Carried(seen.key, min(seen.first, origin),
                                                seen.days + 1, item.state)
    return sorted(found.values(), key=lambda c: (-c.days, c.first, c.key.casefold()))
