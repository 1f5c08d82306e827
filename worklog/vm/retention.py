"""The retention policy of `worklog prune`: which of worklog's snapshots to keep.

Pure: snapshots in, a decision per snapshot out. The rules are restic's `forget` policy
(snapper's timeline limits): the snapshots are taken newest first; `last` keeps the N
newest; `hourly`, `daily`, `weekly` and `monthly` each keep the newest snapshot of each
of the latest N hours, days, ISO weeks or months that have a snapshot. A snapshot that
any rule keeps is kept; the rules count independently. Periods are read in UTC.
Only snapshots worklog took (its `worklog:` mark) take part: others are never chosen
and never counted. A snapshot that serves a task still open counts as any other, and is
kept even when no rule keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from worklog.vm.base import SnapshotInfo, is_worklog_snapshot

Bucket = Callable[[datetime], tuple[int, ...]]

_BUCKETS: dict[str, Bucket] = {
    "last": lambda _when: (),  # every snapshot is a period of its own (see _period)
    "hourly": lambda when: (when.year, when.month, when.day, when.hour),
    "daily": lambda when: (when.year, when.month, when.day),
    "weekly": lambda when: when.isocalendar()[:2],
    "monthly": lambda when: (when.year, when.month),
}
RULES = tuple(_BUCKETS)


@dataclass(frozen=True)
class Policy:
    """How many of each: None (or 0) for a rule not asked."""

    last: int | None = None
    hourly: int | None = None
    daily: int | None = None
    weekly: int | None = None
    monthly: int | None = None

    def limits(self) -> dict[str, int]:
        """The rules asked for, in the order of RULES."""
        asked = {rule: getattr(self, rule) for rule in RULES}
        return {rule: n for rule, n in asked.items() if n}

    def is_empty(self) -> bool:
        return not self.limits()

    def fields(self) -> tuple[tuple[str, str], ...]:
        """`keep-last: 3`... the policy as record fields."""
        return tuple((f"keep-{rule}", str(n)) for rule, n in self.limits().items())


@dataclass(frozen=True)
class Decision:
    """One of worklog's snapshots: kept (``reasons``: the rules that keep it, or
    `open task`) or not (``reasons`` empty: prune deletes it)."""

    info: SnapshotInfo
    reasons: tuple[str, ...]

    @property
    def keep(self) -> bool:
        return bool(self.reasons)


def _period(rule: str, info: SnapshotInfo, index: int) -> tuple[int, ...]:
    if rule == "last":
        return (index,)
    return _BUCKETS[rule](info.created.astimezone(UTC))


def decide(
    infos: Iterable[SnapshotInfo],
    policy: Policy,
    *,
    protected: Callable[[SnapshotInfo], bool] = lambda _info: False,
    always_keep: Sequence[str] = (),
) -> list[Decision]:
    """A decision for each of worklog's snapshots among ``infos``, newest first.
    The snapshots named in ``always_keep`` (the one just made) and those ``protected``
    (serving a task still open) count as any other and are kept in any case.
    ValueError for an empty policy: it would delete everything."""
    limits = policy.limits()
    if not limits:
        raise ValueError("no retention rule given")
    ours = sorted(
        (i for i in infos if is_worklog_snapshot(i)),
        key=lambda i: (i.created, i.name),
        reverse=True,
    )
    left = dict(limits)
    last_period: dict[str, tuple[int, ...] | None] = dict.fromkeys(limits)
    decisions: list[Decision] = []
    for index, info in enumerate(ours):
        reasons: list[str] = []
        for rule in limits:
            period = _period(rule, info, index)
            if left[rule] > 0 and period != last_period[rule]:
                last_period[rule] = period
                left[rule] -= 1
                reasons.append(rule)
        if not reasons and info.name in always_keep:
            reasons.append("just made")
        if not reasons and protected(info):
            reasons.append("open task")
        decisions.append(Decision(info, tuple(reasons)))
    return decisions
