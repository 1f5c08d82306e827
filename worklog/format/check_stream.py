"""``check`` over a text read a piece at a time: the same problems, memory that follows
a piece and a small running state, not the file.

Two passes over the pieces: the first decides what a parse of the whole text decides
from all its stamps (the day order, S4; the date shapes day headings must have, S6); the
second parses the text a stretch of whole entries at a time in that order and those
shapes, and runs the checks of ``worklog.format.check`` on each stretch. A stamp line's
place in the file stays its place in the text: line numbers are the whole parse's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from worklog.format import check as ck
from worklog.format import constructs as c
from worklog.format.document import Document, ParseOptions, count_breaks, last_newline, parse_text
from worklog.format.encoding import NOT_TEXT_HEAD, Codec, not_text_counted
from worklog.format.patterns import lazy
from worklog.format.stamps import (
    STAMP_BODY,
    Candidate,
    date_shape,
    find_stamp_lines,
    infer_day_first,
    stamp_from_match,
)

Shapes = set[tuple[bool, str]]
#: The lines ``check``'s single-line rules can find anything on (a superset: each is
#: checked): a conflict marker, an indented line, a stamp and text; or a ``see`` (a link).
_LINE = rf"(?:<{{7}}|>{{7}}|={{7}}|[ \t]|{STAMP_BODY}.*\S)"
_FIRST_MAYBE = lazy(_LINE)
_NEXT_MAYBE = lazy(rf"\n{_LINE}")
_SEE = lazy("[sS][eE][eE]")  # "see" in the line's lower case
#: Characters parsed at a time (a stretch holds whole entries: more for a longer one).
STRETCH = 1 << 20
_LONE_CR = lazy(r"\r(?!\n)")


@dataclass
class Summary:
    """What ``worklog check`` says of the whole file besides its problems."""

    problems: list[ck.Problem]
    entries: int
    newline: str
    year_last: bool  # some stamp has a year-last date (``day_order_words``)
    day_first: bool
    not_text: str | None


@dataclass
class _Survey:
    """The first pass: what the whole text's stamps decide."""

    day_first: bool = True
    decided: bool = True
    shapes: Shapes = field(default_factory=set)


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """Pieces re-cut after line breaks, a CRLF never split, at most about ``STRETCH``
    characters each (longer only when a line is)."""
    pending = ""
    for whole in pieces:
        for low in range(0, len(whole), STRETCH):
            pending += whole[low : low + STRETCH]
            cut = _cut_at(pending)
            if cut > 0:
                yield pending[:cut]
                pending = pending[cut:]
    if pending:
        yield pending


def _cut_at(text: str) -> int:
    """Just past the last line break of ``text`` whose line is sure to end there."""
    cut = max(text.rfind("\n"), text.rfind("\r"), -1) + 1
    if cut == len(text) and text.endswith("\r"):  # an LF may follow in the next piece
        cut = max(text.rfind("\n", 0, cut - 1), text.rfind("\r", 0, cut - 1)) + 1
    return cut


def _survey(pieces: Iterable[str], configured: bool | None) -> _Survey:
    year_last: list[Candidate] = []
    shapes: dict[bool, Shapes] = {True: set(), False: set()}
    for text in _lines(pieces):
        for match in find_stamp_lines(text):
            if match.group("y2") is not None and configured is None:
                small = next(find_stamp_lines(match.group("stamp")), None)
                year_last.append(Candidate(small or match))
            shape = date_shape(match)
            for order, seen in shapes.items():
                if shape not in seen and stamp_from_match(match, order) is not None:
                    seen.add(shape)
    day_first, decided = infer_day_first(year_last, configured)
    return _Survey(day_first, decided, shapes[day_first])


def _sees(text: str, stop: int) -> Iterator[int]:
    """Where ``see`` is in ``text[:stop]``'s lower case (ASCII lowers in place: fast)."""
    if not text.isascii():
        yield from (m.start() for m in _SEE.finditer(text, 0, stop))
        return
    lower = text.lower()
    at = lower.find("see", 0, stop)
    while at >= 0:
        yield at
        at = lower.find("see", at + 1, stop)


class _Pass:
    """The second pass: the checks, stretch by stretch."""

    def __init__(self, survey: _Survey, codec: Codec, options: ParseOptions) -> None:
        self.survey = survey
        self.codec = codec
        self.options = ParseOptions(day_first=survey.day_first, ansi=options.ansi)
        self.habits = ck.Habits(survey.day_first)
        self.rejected: list[ck.Problem] = []
        self.plans: list[ck.Problem] = []
        self.lines: list[ck.Problem | tuple[int, c.Link]] = []
        self.year_last = False

    def stretch(self, text: str, line: int, last: bool) -> tuple[int, int]:
        """Check the whole entries of ``text`` (all of it when ``last``); the offset
        where the rest starts and its line number."""
        doc = parse_text(text, self.codec, self.options, first_line=line,
                         shapes=self.survey.shapes)
        stop = len(text) if last or not doc.entries else doc.entries[-1].start
        stop_line = line + count_breaks(text, 0, stop)
        entries = [e for e in doc.entries if e.start < stop]
        # Without the cycle between a document and its entries, a stretch is freed as
        # soon as it is checked, not at the next collection of cycles.
        doc.entries = []
        self.rejected.extend(self._rejected(doc, stop_line))
        for number, text_of in doc.stray_dates:
            if number < stop_line:
                self.habits.add_stray(number, text_of)
        for entry in entries:
            self.habits.add(entry)
            self.year_last = self.year_last or entry.stamp.shape.order != "ymd"
            if c.has_plan_tag(entry.tags) and entry.kind == "plan":
                self.plans.extend(ck.plan_problems(entry))
        self._single_lines(text, stop, line)
        return stop, stop_line

    def _rejected(self, doc: Document, stop_line: int) -> Iterator[ck.Problem]:
        return (p for p in ck.rejected_problems(doc) if p.line < stop_line)

    def _single_lines(self, text: str, stop: int, line: int) -> None:
        day_first = self.survey.day_first
        if _LONE_CR.search(text, 0, stop) is not None:
            for number, (content, _) in enumerate(c.split_lines(text[:stop]), start=line):
                self.lines.extend(ck.line_problems(number, content, day_first))
            return
        starts = {m.start() + 1 for m in _NEXT_MAYBE.finditer(text, 0, stop)}
        starts.update(text.rfind("\n", 0, at) + 1 for at in _sees(text, stop))
        if _FIRST_MAYBE.match(text, 0, stop):
            starts.add(0)
        counted = 0
        for low in sorted(starts):
            high = text.find("\n", low, stop)
            line += text.count("\n", counted, low)
            counted = low
            content = text[low : stop if high < 0 else high]
            self.lines.extend(ck.line_problems(line, content.removesuffix("\r"), day_first))

    def problems(self) -> list[ck.Problem]:
        known = {when for has_time, when in self.habits.first if has_time}
        single = [p if isinstance(p, ck.Problem) else ck.link_problem(*p)
                  for p in self.lines if isinstance(p, ck.Problem) or p[1].when not in known]
        return self.rejected + self.habits.problems() + self.plans + single


def check_pieces(pieces: Callable[[], Iterable[str]], codec: Codec,
                 options: ParseOptions | None = None) -> Summary:
    """``check`` of the text that ``pieces()`` gives (decoded, without its BOM; called
    twice), with the rest of what a parse of it tells."""
    opts = options or ParseOptions()
    survey = _survey(pieces(), opts.day_first)
    run = _Pass(survey, codec, opts)
    head, tail, size, nuls, newline = "", "", 0, 0, None
    pending, line = "", 1
    for text in _lines(pieces()):
        size, nuls = size + len(text), nuls + text.count("\x00")
        head = head if len(head) >= NOT_TEXT_HEAD else (head + text)[:NOT_TEXT_HEAD]
        tail = (tail[-NOT_TEXT_HEAD:] if len(text) < NOT_TEXT_HEAD else "") + text[-NOT_TEXT_HEAD:]
        newline = last_newline(text) or newline
        pending += text
        stop, line = run.stretch(pending, line, last=False)
        pending = pending[stop:]
    if pending:
        run.stretch(pending, line, last=True)
    problems: list[ck.Problem] = ck.file_problems(head, survey.decided, survey.day_first)
    problems = sorted(problems + run.problems(), key=lambda p: p.line)
    return Summary(problems, run.habits.count, newline or "\n", run.year_last,
                   survey.day_first, not_text_counted(nuls, size, head, tail, codec))
