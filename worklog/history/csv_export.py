"""The worked ranges as CSV (RFC 4180, with a header row), for spreadsheets and scripts.

One row per range ``report`` counts, in time order; the columns (docs/CLI.md):
``date, start, end, minutes, n, item, state, tags, plan``. ``end`` is the next day's
``YYYY-MM-DDTHH:MM`` for a range past midnight; ``tags`` is ``;``-separated. Pure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from worklog.day.report import worked_ranges
from worklog.format.document import Entry
from worklog.history.export import iso_minutes
from worklog.history.formats import clean

COLUMNS = ("date", "start", "end", "minutes", "n", "item", "state", "tags", "plan")


def csv_rows(entries: Iterable[Entry]) -> Iterator[str]:
    """The CSV text, row by row (each ending in CRLF, as RFC 4180 has it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for worked in worked_ranges(list(entries)):
        writer.writerow([worked.day.isoformat(), iso_minutes(worked.start),
                         iso_minutes(worked.end), worked.minutes, worked.n, clean(worked.text),
                         worked.state, ";".join(clean(t) for t in worked.tags),
                         iso_minutes(worked.plan.stamp.when)])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.getvalue():
        yield out.getvalue()
