"""What looks wrong in a log, with the line it is on (``worklog check``). Pure.

Nothing here is an error for the parser: every file parses. These are the places where
the file probably does not say what its author meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from worklog.format.constructs import find_links, split_lines
from worklog.format.document import Document
from worklog.format.markers import is_conflict_marker
from worklog.format.stamps import MARKERS, STAMP_BODY, parse_stamp_line

_INDENTED_OR_TRAILED = re.compile(rf"[ \t]*(?P<stamp>{STAMP_BODY})(?P<rest>.*)")
_MAGIC = ".LOG"


@dataclass(frozen=True)
class Problem:
    line: int
    code: str
    message: str


def _markers_present(text: str) -> bool:
    return any(marker in text for pair in MARKERS for marker in pair) or text[:1].isdigit()


def _neutralised(content: str) -> bool:
    """One leading space before a stamp is how worklog writes stamp-shaped text (W4)."""
    return content.startswith(" ") and not content[1:2].isspace()


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
    for number, (content, _) in enumerate(split_lines(doc.text), start=doc.first_line):
        problems.extend(_line_problems(number, content, known, doc.day_first))
    return sorted(problems, key=lambda p: p.line)


def _line_problems(line: int, content: str, known: set[datetime], day_first: bool) -> list[Problem]:
    found: list[Problem] = conflict_marker_problems(line, content)
    if "see" in content.lower():
        for link in find_links(content, day_first):
            if link not in known:
                found.append(Problem(line, "dangling-link",
                                     f"see\"{link:%Y-%m-%d %H:%M}\" refers to no entry"))
    if _markers_present(content.lstrip()):
        match = _INDENTED_OR_TRAILED.fullmatch(content)
        if match and parse_stamp_line(match.group("stamp"), day_first) is not None:
            if content[:1] in (" ", "\t") and not _neutralised(content):
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
