"""What looks wrong in a log, with the line it is on (``worklog check``). Pure.

Nothing here is an error for the parser: every file parses. These are the places where
the file probably does not say what its author meant. What worklog itself writes is
never one of them. Messages quote the file's text as it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from worklog.format import constructs as c
from worklog.format import items as it
from worklog.format.document import Document, Entry, backward_steps, newest_first
from worklog.format.markers import is_conflict_marker
from worklog.format.stamps import (
    MARKERS,
    STAMP_BODY,
    names_a_day,
    parse_stamp_line,
    why_not_stamp,
)
from worklog.format.writer import is_neutralised

_INDENTED_OR_TRAILED = re.compile(rf"[ \t]*(?P<stamp>{STAMP_BODY})(?P<rest>.*)")
_MAGIC = ".LOG"


@dataclass(frozen=True)
class Problem:
    line: int
    code: str
    message: str


def _markers_present(text: str) -> bool:
    return any(marker in text for pair in MARKERS for marker in pair) or text[:1].isdigit()


def day_order_words(doc: Document) -> str | None:
    """``day-first dates`` or ``month-first dates`` when the file has year-last stamps,
    whose reading depends on it (S4); None when the order does not matter (ISO stamps)."""
    if not any(entry.stamp.shape.order != "ymd" for entry in doc.entries):
        return None
    return ("day" if doc.day_first else "month") + "-first dates"


def check(doc: Document) -> list[Problem]:
    """Every problem found, in line order."""
    problems: list[Problem] = []
    if not doc.text.startswith(_MAGIC):
        problems.append(Problem(1, "no-magic",
                                "the file does not start with .LOG: Notepad will not stamp it"))
    if not doc.day_order_decided:
        problems.append(Problem(1, "day-order",
                                "cannot tell day-first from month-first stamps; set day_first "
                                "in the config (read as " +
                                ("day-first" if doc.day_first else "month-first") + ")"))
    problems.extend(Problem(line, "bad-stamp",
                            f"{text.strip()!r} looks like a stamp but {why_not_stamp(text)}: "
                            "read as text")
                    for line, text in doc.rejected)
    problems.extend(habit_problems(doc))
    known = {entry.stamp.when for entry in doc.entries if entry.stamp.has_time}
    for entry in doc.entries:
        if c.has_plan_tag(entry.tags) and entry.kind == "plan":
            problems.extend(plan_problems(entry))
    for number, (content, _) in enumerate(c.split_lines(doc.text), start=doc.first_line):
        problems.extend(_line_problems(number, content, known, doc.day_first))
    return sorted(problems, key=lambda p: p.line)


# --- habits of people's files (S2, S6, W1) -------------------------------------------------


def habit_problems(doc: Document) -> list[Problem]:
    """Stamps out of order or written newest-first, stamps written twice, day headings
    without times, date lines not taken, hour padding that differs."""
    entries = doc.entries
    back = backward_steps(entries)
    found: list[Problem] = []
    if newest_first(entries):
        found.append(Problem(entries[0].line, "newest-first",
                             f"the file is written newest-first ({len(back)} of {len(entries)} "
                             "stamps are earlier than the one above them): days are read in "
                             "time order, new entries go at the end"))
    else:
        found.extend(Problem(b.line, "order", f"stamp {b.stamp.text!r} is earlier than the one "
                             f"before it ({a.stamp.text!r}, line {a.line})") for a, b in back)
    found.extend(_duplicates(entries))
    headings = [e for e in entries if not e.stamp.has_time]
    if headings:
        found.append(Problem(headings[0].line, "date-heading",
                             f"{len(headings)} line(s) holding only a date (first "
                             f"{headings[0].stamp.text.strip()!r}) start entries of that day "
                             "without a time"))
    found.extend(Problem(line, "stray-date", f"{text.strip()!r} holds only a date, but " + (
        "not in the date shape of the file's stamps" if names_a_day(text, doc.day_first)
        else "names no day") + ": read as text, not a day heading")
        for line, text in doc.stray_dates)
    return found + _padding_problems(entries)


def _duplicates(entries: list[Entry]) -> list[Problem]:
    """One line per stamp (or day heading) written more than once, at its second line."""
    seen: dict[tuple[bool, datetime], list[Entry]] = {}
    for entry in entries:
        seen.setdefault((entry.stamp.has_time, entry.stamp.when), []).append(entry)
    found: list[Problem] = []
    for same in seen.values():
        if len(same) < 2:
            continue
        what = "stamp" if same[0].stamp.has_time else "day heading"
        lines = ", ".join(str(e.line) for e in same[:5]) + (", ..." if len(same) > 5 else "")
        found.append(Problem(same[1].line, "duplicate-stamp",
                             f"{what} {same[0].stamp.text.strip()!r} is written {len(same)} "
                             f"times (lines {lines}): show gives every entry it starts"))
    return found


def _padding_problems(entries: list[Entry]) -> list[Problem]:
    """One line when some stamps zero-pad the hour and others do not (W1 writes the
    latest stamp's way)."""
    padded = next((e for e in entries if e.stamp.has_time and e.stamp.shape.hour_pad), None)
    bare = next((e for e in entries if e.stamp.has_time and e.stamp.shape.hour_pad is False),
                None)
    if padded is None or bare is None:
        return []
    later = max(padded, bare, key=lambda e: e.line)
    return [Problem(later.line, "padding", f"hours are zero-padded in some stamps "
                    f"({padded.stamp.text!r}, line {padded.line}) and not in others "
                    f"({bare.stamp.text!r}, line {bare.line}): worklog writes as the latest stamp")]


# --- the times of a day plan (C1, C2) -----------------------------------------------------


@dataclass(frozen=True)
class _Written:
    """A closed range of a plan with where it is and how it is written."""

    line: int
    text: str
    range: it.Range

    @property
    def span(self) -> tuple[int, int]:
        return self.range.span


def _range_problems(line: int, written: str, rng: it.Range) -> list[Problem]:
    hours = it.LONGEST_RANGE // 60
    if rng.impossible:
        return [Problem(line, "impossible-range",
                        f"{written} ends before it starts (a range past midnight lasts at "
                        f"most {hours} hours): not counted")]
    if rng.end is not None and not rng.wraps and rng.length > it.LONGEST_RANGE:
        return [Problem(line, "long-range",
                        f"{written} lasts {it.format_minutes(rng.length)}, over {hours} hours")]
    return []


def _overlaps(ranges: list[_Written]) -> list[Problem]:
    found: list[Problem] = []
    ordered = sorted(ranges, key=lambda w: (w.span, w.line))
    for k, later in enumerate(ordered):
        for earlier in ordered[:k]:
            if later.span[0] < earlier.span[1] and earlier.span[0] < later.span[1]:
                where = "on the same line" if earlier.line == later.line \
                    else f"line {earlier.line}"
                found.append(Problem(max(later.line, earlier.line), "overlap",
                                     f"{later.text} overlaps {earlier.text} ({where}): "
                                     "that time counts twice"))
                break
    return found


def plan_problems(plan: Entry) -> list[Problem]:
    """Times of a plan that cannot be right: a malformed time (``9:60``), a range that
    ends before it starts or lasts over 12 hours, ranges that overlap."""
    found: list[Problem] = []
    closed: list[_Written] = []
    for index, (content, _) in enumerate(plan.lines):
        line = plan.line + index
        section = it.parse_section(content)
        if section is not None and section.n == 0 and it.malformed_hm(section.title):
            found.append(Problem(line, "bad-time", f"{section.title!r} in {content.strip()!r} "
                                 "is not a time (H:MM up to 23:59): no day's start"))
            continue
        item = it.parse_item_line(content)
        if item is None:
            continue
        if item.bad_range is not None:
            written = content[item.bad_range[0] : item.bad_range[1]]
            found.append(Problem(line, "bad-time", f"{written!r} is not a time range (H:MM up "
                                 "to 23:59): read as text, not counted"))
        for token in item.tokens:
            written = content[token.start : token.end]
            found.extend(_range_problems(line, written, token.range))
            if token.range.minutes:
                closed.append(_Written(line, written, token.range))
    return found + _overlaps(closed)


# --- single lines -------------------------------------------------------------------------


def _line_problems(line: int, content: str, known: set[datetime], day_first: bool) -> list[Problem]:
    found: list[Problem] = conflict_marker_problems(line, content)
    if "see" in content.lower():
        for link in c.iter_links(content, day_first):
            if link.when not in known:
                found.append(Problem(line, "dangling-link", f"{link.text} refers to no entry"))
    if _markers_present(content.lstrip()) and not is_neutralised(content):
        match = _INDENTED_OR_TRAILED.fullmatch(content)
        if match and parse_stamp_line(match.group("stamp"), day_first) is not None:
            if content[:1] in (" ", "\t"):
                found.append(Problem(line, "indented-stamp",
                                     "an indented stamp is text, not the start of an entry"))
            elif match.group("rest").strip():
                found.append(Problem(line, "stamp-with-text",
                                     "a stamp followed by text on its line is not the start "
                                     "of an entry"))
    return found


def conflict_marker_problems(line: int, content: str) -> list[Problem]:
    """A conflict marker left by a merge (rule M1): both versions of an entry are still in it."""
    if not is_conflict_marker(content):
        return []
    return [Problem(line, "conflict", "a merge left both versions of this entry between "
                    "conflict markers: keep the right text and delete the marker lines")]
