"""``report`` of a period, read from the stretch of the file its days lie in.

The entries a report looks at are those of its days (a day counts with its latest
plan, ``worklog.day.report``); with ``--by tag``, the entries its plans link to (their
tags count); with ``--evidence``, the plans of the day before (a range past midnight
covers the first morning) and the e-mails whose ``Date:`` lies in the period, read on
to the end of the file (an e-mail is captured after it was sent; one stamped before
the period with a later ``Date:`` is not looked for). Each stretch is found by seeking
(``Timeline.bounds``), so a year ten years back costs what the last year costs. The
entries kept are a part of the file's entries, in file order, holding every entry the
report looks at: its answer is the one a parse of the whole file gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from worklog.day import report as rp
from worklog.day.evidence import DayEvidence, evidence
from worklog.format.constructs import find_links
from worklog.format.document import Entry
from worklog.history.timeline import Timeline


@dataclass(frozen=True)
class PeriodReport:
    report: rp.Report
    evidence: list[DayEvidence] | None  # None: not asked for


def period_report(timeline: Timeline, since: date, until: date, by: rp.By, *,
                  round_to: int = 0, target: Sequence[int] | None = None,
                  with_evidence: bool = False) -> PeriodReport:
    """The report of ``since..until`` (``date.min``: from the first plan) and, with
    ``with_evidence``, its evidence."""
    entries = report_entries(timeline, since, until, by, with_evidence=with_evidence)
    result = rp.build(entries, since, until, by, round_to=round_to, target=target)
    found = evidence(entries, since, until) if with_evidence else None
    return PeriodReport(result, found)


def report_entries(timeline: Timeline, since: date, until: date, by: rp.By, *,
                   with_evidence: bool = False) -> list[Entry]:
    """The entries the report of ``since..until`` looks at, in file order."""
    low = since - timedelta(days=1) if with_evidence and since > date.min else since
    first = None if low == date.min else low

    def wanted(entry: Entry) -> bool:
        if low <= entry.day <= until:
            return True
        if not with_evidence or entry.kind != "email":
            return False
        sent = entry.email.date if entry.email is not None else None
        return sent is not None and since <= sent.date() <= until

    # with --evidence, on to the end of the file: an e-mail is captured after it came
    kept = [e for e in timeline.entries(first, None if with_evidence else until) if wanted(e)]
    if by != "tag" and not with_evidence:
        return kept
    linked = _linked_days(kept, low, until)
    if not linked:
        return kept
    # every entry of each linked day: the last one stamped alike is the one linked to
    extra = (e for e in timeline.entries(min(linked), max(linked)) if e.day in linked)
    return _merged(kept, extra)


def _linked_days(entries: Sequence[Entry], low: date, until: date) -> set[date]:
    """The days of the entries the counted plans link to, outside ``low..until`` (whose
    entries are all read)."""
    plans = rp.plans_by_day(entries, low, until)
    return {when.date() for plan in plans.values()
            for when in find_links(plan.source, plan.doc.day_first)
            if not low <= when.date() <= until}


def _merged(kept: list[Entry], extra: Iterable[Entry]) -> list[Entry]:
    """Both reads as one part of the file's entries, in file order, each entry once."""
    lines = {e.line for e in kept}
    return sorted([*kept, *(e for e in extra if e.line not in lines)], key=lambda e: e.line)
