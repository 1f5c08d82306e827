"""Entries for reading (Markdown) and for calendars (iCalendar). Pure: entries in, text out.

JSON, the data contract, stays in ``worklog.history.export``. Here:

- ``markdown``: a document grouped by day, each entry under a heading with its time,
  kind and tags; plan items become task-list items, shell transcripts code blocks,
  e-mail headers a From/Subject/Date block, cross-references links to the entry they
  name. Everything else is the entry's text with Markdown's special characters escaped
  and its line breaks kept.
- ``ics``: an iCalendar (RFC 5545) calendar with each entry as a VJOURNAL and each plan
  item as a VTODO related to its plan, written with the ``icalendar`` library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from worklog.format.constructs import LINK_RE, Item, Transcript
from worklog.format.document import Entry
from worklog.format.stamps import parse_stamp

FORMATS = ("json", "markdown", "ics", "timeclock", "csv")
PRODID = "-//worklog//worklog export//EN"

#: What Markdown reads as markup anywhere in a line; the backslash first, so that escaping
#: them one after the other escapes each once.
_MD_SPECIALS = "\\`*_[]<>#|~&"
_MD_SPECIAL = re.compile("[" + re.escape(_MD_SPECIALS) + "]")
#: A list or quote marker opening a line, after its blanks.
_MD_MARKER = r"((?:[-+=]|\d{1,9}[.)])(?=[ \t]|$)|>)"
_MD_LINE_START = re.compile(r"^(\s*)" + _MD_MARKER)
#: The same after each LF of a text (a literal first: much faster than ``^`` in
#: MULTILINE mode, which is tried at every character).
_MD_LINE_STARTS = re.compile(r"\n([^\S\n]*)" + _MD_MARKER, re.MULTILINE)
#: The blank lines between two paragraphs of a text whose line breaks are hard ones.
_PARAGRAPH_BREAK = re.compile(r"\\\n(?:[^\S\n]*\\\n)+")
#: Lines that are not plain text in Markdown: an item (C2: ``N)``) or what may be a shell
#: prompt (C6: ``user@host:``); these shapes are what the format's own patterns start with.
_NOT_PLAIN = re.compile(r"\n(?:\d+\)|[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:)")


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """Text without the lone surrogates that stand for undecodable bytes or cut UTF-16
    pairs: U+FFFD for each."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def anchor(when: datetime) -> str:
    if when.year < 1000:  # as strftime writes it: the year unpadded
        return "e-" + when.strftime("%Y-%m-%dT%H-%M")
    return f"e-{when.year}-{when.month:02d}-{when.day:02d}T{when.hour:02d}-{when.minute:02d}"


# --- Markdown ----------------------------------------------------------------------------


def escape_markdown(line: str, *, line_start: bool = True) -> str:
    """Plain text that Markdown shows as it is (``line_start``: at the start of a line,
    where list and quote markers count)."""
    escaped = _MD_SPECIAL.sub(_backslashed, line)
    marker = _MD_LINE_START.match(escaped) if line_start else None
    if marker is None:
        return escaped
    return escaped[: marker.start(2)] + _escape_marker(marker.group(2)) + escaped[marker.end(2) :]


def escape_markdown_lines(text: str) -> str:
    """``escape_markdown`` of each line of ``text`` (lines joined by LF), in a few passes
    over the whole text instead of a pass per line."""
    for char in _MD_SPECIALS:
        if char in text:
            text = text.replace(char, "\\" + char)
    return _MD_LINE_STARTS.sub(_escaped_marker, "\n" + text)[1:]


def _escaped_marker(match: re.Match[str]) -> str:
    return "\n" + match.group(1) + _escape_marker(match.group(2))


def _backslashed(match: re.Match[str]) -> str:
    return "\\" + match.group()  # a function: faster than a template's expansion


def _escape_marker(marker: str) -> str:
    return marker[:-1] + "\\" + marker[-1]


def _fence(lines: Iterable[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _with_links(line: str, targets: set[datetime], day_first: bool) -> str:
    """An escaped line whose ``see"STAMP"`` references link to the entries they name."""
    if '"' not in line:  # no reference: most lines
        return escape_markdown(line)
    out: list[str] = []
    pos = 0
    for match in LINK_RE.finditer(line):
        stamp = parse_stamp(match.group("stamp"), day_first)
        if stamp is None or stamp.when not in targets:
            continue
        out.append(escape_markdown(line[pos : match.start()]))
        out.append(f"[see {escape_markdown(match.group('stamp'))}](#{anchor(stamp.when)})")
        pos = match.end()
    out.append(escape_markdown(line[pos:]))
    return "".join(out)


def _heading(entry: Entry) -> str:
    when = entry.stamp.when
    clock = f"{when.hour:02d}:{when.minute:02d}" if entry.stamp.has_time else "--:--"  # S6
    parts = [clock, entry.kind]
    if entry.tags:
        parts.append(", ".join(entry.tags))
    return "### " + " · ".join(_heading_part(p) for p in parts)


@lru_cache(maxsize=4096)
def _heading_part(part: str) -> str:
    """A clock, kind or tags of a heading, escaped: few differ in a log."""
    return escape_markdown(clean(part))


def _item_line(item: Item, line: str) -> str:
    box = "[x]" if item.state in ("done", "dropped") else "[ ]"
    text = line.strip()
    return f"- {box} " + (f"~~{text}~~" if item.state == "dropped" else text)


def _markdown_body(entry: Entry, targets: set[datetime]) -> str:
    """The entry's text as Markdown: blocks of text (line breaks kept), task lists, code
    blocks, separated by blank lines; "" without any."""
    text = clean(entry.text)
    blocks: list[str] = []
    skip = 0  # the text lines shown as a header block
    if entry.email is not None:
        mail = entry.email
        head = [f"**From:** {escape_markdown(clean(mail.sender))}",
                f"**Subject:** {escape_markdown(clean(mail.subject))}"]
        if mail.date:
            head.append(f"**Date:** {mail.date:%Y-%m-%d %H:%M}")
        blocks.append("\\\n".join(head))
        skip = 1
    elif entry.record is not None:
        record = entry.record
        headline = text.partition("\n")[0]
        blocks.append(f"**{escape_markdown(headline)}**")
        if record.fields:
            blocks.append("\n".join(
                f"- {escape_markdown(k)}: {escape_markdown(clean(v), line_start=False)}"
                for k, v in record.fields.items()))
        skip = 1 + len(record.fields)
    body = text
    for _ in range(skip):
        body = body.partition("\n")[2]
    if not body:
        pass
    elif _is_plain(body) and ('"' not in body  # a see"STAMP" has a quote
                              or not any(when in targets for when in entry.links)):
        blocks.append(_paragraphs(body))
    else:  # items, transcripts or links: line by line
        first = entry.text_span[0]
        blocks += _line_blocks(entry, first + skip, targets)
    return "\n\n".join(blocks)


def _is_plain(body: str) -> bool:
    """Whether ``body`` (lines joined by LF) is paragraphs of text only, no item and no
    shell transcript, its first and last lines not blank."""
    if body[0].isspace() and not body.partition("\n")[0].strip():
        return False
    if body[-1].isspace() and not body.rpartition("\n")[2].strip():
        return False
    return (")" not in body and "@" not in body) or _NOT_PLAIN.search("\n" + body) is None


def _paragraphs(body: str) -> str:
    """Text lines joined by LF as Markdown paragraphs (a blank line between two), each
    line but a paragraph's last ending in a hard line break: every line break made a
    hard one, then those around blank lines made one blank line (an escaped line never
    ends in a lone backslash, so only those breaks match)."""
    return _PARAGRAPH_BREAK.sub("\n\n", escape_markdown_lines(body).replace("\n", "\\\n"))


def _line_blocks(entry: Entry, start: int, targets: set[datetime]) -> list[str]:
    """The blocks of the entry's lines from ``start`` (an index into ``lines``) to its
    text's end, read line by line."""
    last = entry.text_span[1]
    contents = [clean(content) for content, _ in entry.lines]
    transcripts: dict[int, Transcript] = {t.index: t for t in entry.transcripts}
    items = {item.index: item for item in entry.items}
    day_first = entry.doc.day_first
    blocks: list[str] = []
    block: list[str] = []
    block_kind = ""

    def flush() -> None:
        nonlocal block, block_kind
        if block_kind == "text":
            blocks.append(_text_block(block, targets, day_first))
        elif block:
            blocks.append("\n".join(block))
        block, block_kind = [], ""

    index = start
    while index < last:
        line = contents[index]
        if index in transcripts:
            flush()
            lines = [line, *(clean(o) for o in transcripts[index].output)]
            fence = _fence(lines)
            blocks.append("\n".join([fence + "console", *lines, fence]))
            index += len(lines)
            continue
        kind = "" if not line.strip() else "items" if index in items else "text"
        if kind != block_kind:
            flush()
            block_kind = kind
        if kind == "items":
            block.append(_item_line(items[index], _with_links(line, targets, day_first)))
        elif kind == "text":
            block.append(line)
        index += 1
    flush()
    return blocks


def _text_block(lines: list[str], targets: set[datetime], day_first: bool) -> str:
    """A paragraph of text lines, each but the last ending in a hard line break."""
    joined = "\n".join(lines)
    if '"' not in joined:  # no reference: escaped at once
        return escape_markdown_lines(joined).replace("\n", "\\\n")
    return "\\\n".join(_with_links(line, targets, day_first) for line in lines)


def markdown(entries: Iterable[Entry], title: str,
             targets: set[datetime] | None = None) -> Iterator[str]:
    """The entries as a Markdown document, piece by piece. ``targets``: the stamps of
    all the entries (what a see"STAMP" may link to); without them the entries are
    first gathered to find them."""
    if targets is None:
        entries = list(entries)
        targets = {e.stamp.when for e in entries}
    yield f"# {escape_markdown(clean(title))}\n"
    day: date | None = None
    seen: set[str] = set()
    for entry in entries:
        when = entry.stamp.when
        if when.date() != day:
            day = when.date()
            yield f"\n## {day.isoformat()} ({day.strftime('%A')})\n"
        name = anchor(when)
        head = "\n"
        if name not in seen:
            head += f'<a id="{name}"></a>\n'
            seen.add(name)
        body = _markdown_body(entry, targets)
        yield f"{head}{_heading(entry)}\n\n{body or '*(empty)*'}\n"


# --- iCalendar ---------------------------------------------------------------------------

_TODO_STATUS = {"open": "NEEDS-ACTION", "active": "IN-PROCESS", "done": "COMPLETED",
                "dropped": "CANCELLED"}


def _summary(entry: Entry) -> str:
    if entry.email is not None:
        return entry.email.subject or "(no subject)"
    if entry.record is not None:
        return entry.text_lines[0]
    if entry.kind == "plan":
        items = entry.items
        done = sum(1 for item in items if item.state == "done")
        return f"plan: {len(items)} items, {done} done"
    for line in entry.text_lines:
        if line.strip():
            return line.strip()[:120]
    return f"({entry.kind})"


def _uid(entry: Entry, counts: dict[datetime, int]) -> str:
    """A stable identifier: the stamp, numbered when several entries share it."""
    n = counts.get(entry.stamp.when, 0) + 1
    counts[entry.stamp.when] = n
    return f"{entry.stamp.when:%Y%m%dT%H%M}-{n}@worklog"


def _first_uid(when: datetime) -> str:
    """The identifier of the first entry stamped ``when`` (what links relate to)."""
    return f"{when:%Y%m%dT%H%M}-1@worklog"


def ics(entries: Iterable[Entry], name: str, now: datetime) -> bytes:
    """The entries as an iCalendar calendar: VJOURNAL entries, VEVENT worked ranges and
    one VTODO per task."""
    listed = list(entries)
    return b"".join(ics_pieces(listed, name, now, {e.stamp.when for e in listed}))


def ics_pieces(entries: Iterable[Entry], name: str, now: datetime,
               targets: set[datetime]) -> Iterator[bytes]:
    """``ics`` piece by piece, an entry at a time; ``targets``: the stamps of all the
    entries (what a see"STAMP" relates to)."""
    from icalendar import Calendar  # noqa: PLC0415 - only for this format

    stamp = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", clean(name))
    head: bytes = cal.to_ical()
    tail = b"END:VCALENDAR\r\n"
    assert head.endswith(tail)
    yield head[: -len(tail)]
    counts: dict[datetime, int] = {}
    plans: list[Entry] = []  # the day plans, for the events and tasks after the journals
    plan_uids: dict[datetime, str] = {}
    for entry in entries:
        uid = _uid(entry, counts)
        data: bytes = _journal(entry, uid, stamp, targets).to_ical()
        yield data
        if entry.kind == "plan":
            plans.append(entry)
            plan_uids.setdefault(entry.stamp.when, uid)
    from worklog.history.calendar_items import components  # noqa: PLC0415

    for component in components(plans, plan_uids, stamp):
        piece: bytes = component.to_ical()
        yield piece
    yield tail


def _journal(entry: Entry, uid: str, stamp: datetime, targets: set[datetime]) -> Any:
    """The VJOURNAL of an entry."""
    from icalendar import Journal  # noqa: PLC0415 - only for this format

    journal = Journal()
    _common(journal, uid, stamp, entry)
    journal.add("summary", clean(_summary(entry)))
    journal.add("description", clean(entry.text))
    journal.add("status", "FINAL")
    journal.add("x-worklog-kind", entry.kind)
    journal.add("x-worklog-line", str(entry.line))
    for link in dict.fromkeys(entry.links):
        if link in targets and _first_uid(link) != uid:
            journal.add("related-to", _first_uid(link))
    return journal


def _common(component: Any, uid: str, stamp: datetime, entry: Entry) -> None:
    component.add("uid", uid)
    component.add("dtstamp", stamp)
    # a day heading (FORMAT.md S6) names a day, no time: an all-day start
    component.add("dtstart", entry.stamp.when if entry.stamp.has_time else entry.stamp.when.date())
    if entry.tags:
        component.add("categories", [clean(t) for t in entry.tags])
