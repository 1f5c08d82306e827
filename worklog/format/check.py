"""What looks wrong in a log, with the line it is on (``worklog check``). Pure.

Nothing here is an error for the parser: every file parses. These are the places where
the file probably does not say what its author meant. What worklog itself writes is
never one of them. Messages quote the file's text as it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from worklog.format import constructs as c
from worklog.format import items as it
from worklog.format.document import Document, Entry
from worklog.format.markers import is_conflict_marker
from worklog.format.patterns import lazy
from worklog.format.stamps import (
    MARKERS,
    STAMP_BODY,
    Stamp,
    names_a_day,
    parse_stamp_line,
    why_not_stamp,
)
from worklog.format.stamps import (
    earlier as stamp_earlier,
)
from worklog.format.writer import is_neutralised

_INDENTED_OR_TRAILED = lazy(rf"[ \t]*(?P<stamp>{STAMP_BODY})(?P<rest>.*)")
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
    year_last = any(entry.stamp.shape.order != "ymd" for entry in doc.entries)
    return order_words(year_last, doc.day_first)


def order_words(year_last: bool, day_first: bool) -> str | None:
    """``day_order_words`` of a file with year-last stamps or not, read in that order."""
    return ("day" if day_first else "month") + "-first dates" if year_last else None


def check(doc: Document) -> list[Problem]:
    """Every problem found, in line order."""
    problems = file_problems(doc.text, doc.day_order_decided, doc.day_first)
    problems.extend(rejected_problems(doc))
    problems.extend(habit_problems(doc))
    known = {entry.stamp.when for entry in doc.entries if entry.stamp.has_time}
    for entry in doc.entries:
        if c.has_plan_tag(entry.tags) and entry.kind == "plan":
            problems.extend(plan_problems(entry))
    for number, (content, _) in enumerate(c.split_lines(doc.text), start=doc.first_line):
        for found in line_problems(number, content, doc.day_first):
            if isinstance(found, Problem):
                problems.append(found)
            elif found[1].when not in known:
                problems.append(link_problem(*found))
    return sorted(problems, key=lambda p: p.line)


def file_problems(head: str, decided: bool, day_first: bool) -> list[Problem]:
    """What is wrong with the file as a whole: its first line, its day order (``head``:
    the start of its text)."""
    problems: list[Problem] = []
    if not head.startswith(_MAGIC):
        problems.append(Problem(1, "no-magic",
                                "the file does not start with .LOG: Notepad will not stamp it"))
    if not decided:
        problems.append(Problem(1, "day-order",
                                "cannot tell day-first from month-first stamps; set day_first "
                                "in the config (read as " +
                                ("day-first" if day_first else "month-first") + ")"))
    return problems


def rejected_problems(doc: Document) -> list[Problem]:
    """The stamp-shaped lines read as text (S5)."""
    return [Problem(line, "bad-stamp", f"{text.strip()!r} looks like a stamp but "
                    f"{why_not_stamp(text)}: read as text") for line, text in doc.rejected]


# --- habits of people's files (S2, S6, W1) -------------------------------------------------


def habit_problems(doc: Document) -> list[Problem]:
    """Stamps out of order or written newest-first, stamps written twice, day headings
    without times, date lines not taken, hour padding that differs."""
    habits = Habits(doc.day_first)
    for entry in doc.entries:
        habits.add(entry)
    for line, text in doc.stray_dates:
        habits.add_stray(line, text)
    return habits.problems()


class Habits:
    """What ``habit_problems`` finds, gathered entry by entry in file order: a running
    state small beside the file (the first line of each stamp, the steps back)."""

    def __init__(self, day_first: bool) -> None:
        self.day_first = day_first
        self.count = 0
        self._previous: tuple[int, Stamp] | None = None
        self._first_line: int | None = None
        #: (line, stamp text, line of the one before, its text) of each step back.
        self._back: list[tuple[int, str, int, str]] = []
        #: (has time, when) -> (line, stamp text) of its first entry.
        self.first: dict[tuple[bool, datetime], tuple[int, str]] = {}
        self._again: dict[tuple[bool, datetime], list[int]] = {}
        self._headings = 0
        self._first_heading: tuple[int, str] | None = None
        self._strays: list[Problem] = []
        self._padded: tuple[int, str] | None = None
        self._bare: tuple[int, str] | None = None

    def add(self, entry: Entry) -> None:
        stamp, line = entry.stamp, entry.line
        self.count += 1
        if self._first_line is None:
            self._first_line = line
        if self._previous is not None and stamp_earlier(stamp, self._previous[1]):
            before = self._previous
            self._back.append((line, stamp.text, before[0], before[1].text))
        self._previous = (line, stamp)
        key = (stamp.has_time, stamp.when)
        if key in self.first:
            self._again.setdefault(key, []).append(line)
        else:
            self.first[key] = (line, stamp.text)
        if not stamp.has_time:
            self._headings += 1
            self._first_heading = self._first_heading or (line, stamp.text)
        elif stamp.shape.hour_pad and self._padded is None:
            self._padded = (line, stamp.text)
        elif stamp.shape.hour_pad is False and self._bare is None:
            self._bare = (line, stamp.text)

    def add_stray(self, line: int, text: str) -> None:
        self._strays.append(Problem(line, "stray-date", f"{text.strip()!r} holds only a date, "
                                    "but " + ("not in the date shape of the file's stamps"
                                              if names_a_day(text, self.day_first)
                                              else "names no day")
                                    + ": read as text, not a day heading"))

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        back = len(self._back)
        if back >= 2 and back > self.count - 1 - back:  # as document.newest_first
            assert self._first_line is not None
            found.append(Problem(self._first_line, "newest-first",
                                 f"the file is written newest-first ({back} of {self.count} "
                                 "stamps are earlier than the one above them): days are read "
                                 "in time order, new entries go at the end"))
        else:
            found.extend(Problem(line, "order", f"stamp {text!r} is earlier than the one "
                                 f"before it ({before!r}, line {where})")
                         for line, text, where, before in self._back)
        found.extend(self._duplicates())
        if self._first_heading is not None:
            line, text = self._first_heading
            found.append(Problem(line, "date-heading",
                                 f"{self._headings} line(s) holding only a date (first "
                                 f"{text.strip()!r}) start entries of that day without a time"))
        return found + self._strays + self._padding()

    def _duplicates(self) -> list[Problem]:
        """One line per stamp (or day heading) written more than once, at its second line."""
        found: list[Problem] = []
        for key, again in self._again.items():
            first, text = self.first[key]
            same = [first, *again]
            what = "stamp" if key[0] else "day heading"
            lines = ", ".join(str(n) for n in same[:5]) + (", ..." if len(same) > 5 else "")
            found.append(Problem(same[1], "duplicate-stamp",
                                 f"{what} {text.strip()!r} is written {len(same)} "
                                 f"times (lines {lines}): show gives every entry it starts"))
        return found

    def _padding(self) -> list[Problem]:
        """One line when some stamps zero-pad the hour and others do not (W1 writes the
        latest stamp's way)."""
        if self._padded is None or self._bare is None:
            return []
        (pad_line, pad_text), (bare_line, bare_text) = self._padded, self._bare
        return [Problem(max(pad_line, bare_line), "padding", f"hours are zero-padded in some "
                        f"stamps ({pad_text!r}, line {pad_line}) and not in others "
                        f"({bare_text!r}, line {bare_line}): worklog writes as the latest stamp")]


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


def line_problems(line: int, content: str,
                  day_first: bool) -> list[Problem | tuple[int, c.Link]]:
    """The problems of one line; its links as (line, link), dangling when no entry has
    their stamp (``link_problem``)."""
    found: list[Problem | tuple[int, c.Link]] = []
    found.extend(conflict_marker_problems(line, content))
    if "see" in content.lower():
        found.extend((line, link) for link in c.iter_links(content, day_first))
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


def link_problem(line: int, link: c.Link) -> Problem:
    return Problem(line, "dangling-link", f"{link.text} refers to no entry")


def conflict_marker_problems(line: int, content: str) -> list[Problem]:
    """A conflict marker left by a merge (rule M1): both versions of an entry are still in it."""
    if not is_conflict_marker(content):
        return []
    return [Problem(line, "conflict", "a merge left both versions of this entry between "
                    "conflict markers: keep the right text and delete the marker lines")]
