"""The worked ranges as hledger's timeclock file: ``i``/``o`` lines, one account per item.

Each range ``report`` counts becomes a clock-in and a clock-out, in time order::

    i 2026-12-07 09:00:00 kvm:review virtio patch  review virtio patch (2026-12-07 item 1)
    o 2026-12-07 12:00:00

The account is the item as ``report --by item`` names it, under its first tag when it
has one (``kvm:...``); ``:`` in the text (hledger's account separator) is written ``-``,
runs of blanks as one space (two spaces end an account name), ``#`` of a tag left out.
A range past midnight clocks out on the next day. Pure: entries in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from worklog.day.report import Worked, worked_ranges
from worklog.format.document import Entry
from worklog.history.formats import clean

_BLANKS = re.compile(r"\s+")


def account_part(text: str) -> str:
    """A piece of a hledger account name: no ``:``, no ``#``, single spaces, not empty."""
    name = _BLANKS.sub(" ", clean(text).replace(":", "-").replace("#", "")).strip()
    return name or "(no text)"


def account(worked: Worked) -> str:
    item = account_part(worked.key)
    return f"{account_part(worked.tags[0])}:{item}" if worked.tags else item


def _clock(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


def timeclock(entries: Iterable[Entry]) -> Iterator[str]:
    """The timeclock file, line by line (each ending in a line break)."""
    for worked in worked_ranges(list(entries)):
        note = _BLANKS.sub(" ", clean(worked.text)).strip()
        yield (f"i {_clock(worked.start)} {account(worked)}  {note} "
               f"({worked.day.isoformat()} item {worked.n})\n")
        yield f"o {_clock(worked.end)}\n"
