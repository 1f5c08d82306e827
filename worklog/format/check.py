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
from worklog.format.document import Document, Entry
from worklog.format.markers import is_conflict_marker
from worklog.format.stamps import MARKERS, STAMP_BODY, parse_stamp_line
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
                            f"{text.strip()!r} looks like a stamp but names an impossible date "
                            "or time: read as text")
                    for line, text in doc.rejected)
    known = {entry.stamp.when for entry in doc.entries}
    previous = None
    for entry in doc.entries:
        if previous is not None and entry.stamp.when < previous.stamp.when:
            problems.append(Problem(entry.line, "order",
                                    f"stamp {entry.stamp.text!r} is earlier than the one "
                                    f"before it ({previous.stamp.text!r}, line {previous.line})"))
        previous = entry
        if c.has_plan_tag(entry.tags) and entry.kind == "plan":
            problems.extend(plan_problems(entry))
    for number, (content, _) in enumerate(c.split_lines(doc.text), start=doc.first_line):
        problems.extend(_line_problems(number, content, known, doc.day_first))
    return sorted(problems, key=lambda p: p.line)


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
