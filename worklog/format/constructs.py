"""What worklog recognises inside an entry's lines (FORMAT.md rules E2, E3, C1-C7, K1).

Pure functions of text lines: no file, no clock. Each construct keeps the line index it
came from so callers can edit the exact line in place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from worklog.format.stamps import parse_stamp

Kind = Literal["plan", "email", "snapshot", "command", "note"]
KINDS: tuple[Kind, ...] = ("plan", "email", "snapshot", "command", "note")
ItemState = Literal["open", "active", "done", "dropped"]

#: The tag of a day plan (K1).
PLAN_TAG = "GTD"
SNAPSHOT_ACTIONS = frozenset({"snap", "revert", "snap-delete", "snap-prune"})
COMMAND_ACTIONS = frozenset({"run"})

_BREAK_RE = re.compile(r"(\r\n|\r|\n)")
_TAG_FAST_RE = re.compile(r"[\w\-+./#&@ ]+")
_TAG_PUNCT = frozenset("_-+./#&@")
MAX_TAGS = 10
MAX_TAG_LEN = 32
MAX_TAG_WORDS = 3


def split_lines(text: str) -> list[tuple[str, str]]:
    """Lines of ``text`` as (content, line break); only CRLF, LF and CR end a line (F4)."""
    parts = _BREAK_RE.split(text)
    if parts[-1] == "":
        parts.pop()  # the text ends with a line break: no last, unterminated line
    else:
        parts.append("")
    return list(zip(parts[::2], parts[1::2], strict=True))


# --- tags (E2) -------------------------------------------------------------------------


def _is_tag(tag: str) -> bool:
    if not 1 <= len(tag) <= MAX_TAG_LEN or tag.endswith("."):
        return False
    words = tag.split(" ")
    if len(words) > MAX_TAG_WORDS or "" in words:
        return False
    if not any(ch.isalpha() for ch in tag):
        return False
    if _TAG_FAST_RE.fullmatch(tag):
        return True
    return all(
        ch.isalnum() or ch == " " or ch in _TAG_PUNCT or unicodedata.category(ch)[0] == "M"
        for ch in tag
    )


def parse_tags_line(line: str) -> list[str] | None:
    """The tags of a tags line, or None when ``line`` is not one (rule E2)."""
    if not line or line[0].isspace():
        return None
    parts = [part.strip(" ") for part in line.rstrip(" \t").split(",")]
    if not 1 <= len(parts) <= MAX_TAGS or not all(_is_tag(part) for part in parts):
        return None
    return parts


def format_tags(tags: list[str]) -> str:
    return ", ".join(tags)


# --- clock times, sections, items, ranges (C1-C3) --------------------------------------

HM = tuple[int, int]
#: A range that ends before it starts wraps past midnight only up to this long (C2); the
#: same 12 hours bound a range ``stop`` ends without being told when.
LONGEST_RANGE = 12 * 60
_DAY = 24 * 60
_HM = r"(?P<{0}h>\d{{1,2}}):(?P<{0}m>\d\d)"
_HM_RE = re.compile(_HM.format(""))
_SECTION_RE = re.compile(r"(?P<n>\d+),[ \t]*(?P<title>.*?)[ \t]*")
_HEAD_RE = re.compile(r"(?P<n>\d+)\)[ \t]*,?[ \t]*")
_RANGE_RE = re.compile(rf"{_HM.format('s')}-(?:{_HM.format('e')})?(?=[ \t,]|$)")
#: Shaped like a time without being one (``9:60``, ``25:00``, ``9:5``): for the checks.
_LOOSE_HM = r"\d{1,3}:\d{1,3}"
_LOOSE_HM_RE = re.compile(_LOOSE_HM)
#: Where the ranges stop: a token shaped like a range whose time is impossible (``9:60-``).
_BAD_RANGE_RE = re.compile(rf"{_LOOSE_HM}-(?:{_LOOSE_HM})?(?=[ \t,]|$)")
_SEP_RE = re.compile(r"[ \t,]*")
_MARKER_RE = re.compile(r"[ \t]*\((?P<state>done|dropped)\)[ \t]*$", re.IGNORECASE)


def valid_hm(hour: int, minute: int) -> bool:
    return 0 <= hour <= 23 and 0 <= minute <= 59


def parse_hm(text: str) -> HM | None:
    """``9:40`` or ``09:40`` as (hour, minute), or None (``9:60``, ``24:00``, ``9.40``)."""
    match = _HM_RE.fullmatch(text.strip())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"])
    return (hour, minute) if valid_hm(hour, minute) else None


def malformed_hm(text: str) -> bool:
    """Whether ``text`` is shaped like ``H:MM`` but names no time (``9:60``, ``24:00``)."""
    return _LOOSE_HM_RE.fullmatch(text.strip()) is not None and parse_hm(text) is None


def format_hm(hm: HM, *, pad: bool = False) -> str:
    """``9:40`` (the seed's way) or ``09:40``."""
    return f"{hm[0]:02d}:{hm[1]:02d}" if pad else f"{hm[0]}:{hm[1]:02d}"


def span_minutes(start: HM, end: HM) -> int:
    """Minutes on the clock from ``start`` to ``end``, wrapping past midnight."""
    return ((end[0] * 60 + end[1]) - (start[0] * 60 + start[1])) % _DAY


def format_minutes(minutes: int) -> str:
    """``6h05``: a duration, never mistaken for a clock time."""
    return f"{minutes // 60}h{minutes % 60:02d}"


@dataclass(frozen=True)
class Range:
    """A worked range ``H:MM-H:MM``; ``end`` is None while it runs."""

    start: HM
    end: HM | None

    @property
    def wraps(self) -> bool:
        """Whether it ends before it starts on the clock (past midnight, or impossible)."""
        return self.end is not None and self.end < self.start

    @property
    def impossible(self) -> bool:
        """Ends before it starts, and read past midnight it would last over 12 hours (C2)."""
        return self.wraps and self.length > LONGEST_RANGE

    @property
    def length(self) -> int:
        """Minutes on the clock from start to end (0 while it runs), impossible or not."""
        return 0 if self.end is None else span_minutes(self.start, self.end)

    @property
    def minutes(self) -> int:
        """The minutes it counts: none while it runs, none when it is impossible."""
        return 0 if self.impossible else self.length

    def __str__(self) -> str:
        end = "" if self.end is None else format_hm(self.end, pad=True)
        return f"{format_hm(self.start, pad=True)}-{end}"


@dataclass(frozen=True)
class RangeToken:
    """A range as written on an item line: its span (``end`` after ``-`` when open)."""

    start: int
    end: int
    range: Range


@dataclass(frozen=True)
class ItemLine:
    """The item line grammar (C2, C3) with where each part is: head ``N), ``, range
    tokens, text, state marker. The view, the edits and the checks all read items so."""

    content: str
    n: int
    head_end: int
    tokens: tuple[RangeToken, ...]
    body_start: int  # after the last range token and its separators
    marker: re.Match[str] | None
    end: int  # end of the content without trailing blanks
    bad_range: tuple[int, int] | None  # a range-shaped token with an impossible time

    @property
    def ranges(self) -> tuple[Range, ...]:
        return tuple(token.range for token in self.tokens)

    @property
    def text(self) -> str:
        """The text without ranges and state marker."""
        stop = self.marker.start() if self.marker is not None else self.end
        return self.content[self.body_start : stop].strip()

    @property
    def state(self) -> ItemState:
        if self.marker is not None:
            return "done" if self.marker["state"].lower() == "done" else "dropped"
        return "active" if self.tokens and self.tokens[-1].range.end is None else "open"

    def pads_hours(self) -> bool | None:
        """Whether this line writes hours before 10 with two digits, if it tells."""
        for token in self.tokens:
            if token.range.start[0] < 10:
                return self.content[token.start] == "0"
        return None


def _range_token(match: re.Match[str]) -> RangeToken | None:
    start = (int(match["sh"]), int(match["sm"]))
    end = None if match["eh"] is None else (int(match["eh"]), int(match["em"]))
    if not valid_hm(*start) or (end is not None and not valid_hm(*end)):
        return None
    return RangeToken(match.start(), match.end(), Range(start, end))


def parse_item_line(content: str) -> ItemLine | None:
    """An item line ``N), text`` with its parts' positions, or None."""
    head = _HEAD_RE.match(content)
    if head is None:
        return None
    end = len(content.rstrip(" \t"))
    body = content[:end]
    tokens: list[RangeToken] = []
    pos = head.end()
    bad = None
    while (match := _RANGE_RE.match(body, pos)) is not None:
        token = _range_token(match)
        if token is None:
            break
        tokens.append(token)
        sep = _SEP_RE.match(body, match.end())
        pos = sep.end() if sep is not None else match.end()
    pos = min(pos, end)
    if (loose := _BAD_RANGE_RE.match(body, pos)) is not None:
        bad = loose.span()
    marker = _MARKER_RE.search(body, pos)
    return ItemLine(content, int(head["n"]), head.end(), tuple(tokens), pos, marker, end, bad)


@dataclass(frozen=True)
class Item:
    """A numbered item ``N), text`` with its ranges and state."""

    index: int  # line index within the entry's lines
    n: int
    text: str  # without ranges and state marker
    ranges: tuple[Range, ...]
    state: ItemState
    section: int | None

    @property
    def minutes(self) -> int:
        return sum(r.minutes for r in self.ranges)


@dataclass(frozen=True)
class Section:
    index: int
    n: int
    title: str


def parse_item(line: str, index: int = 0, section: int | None = None) -> Item | None:
    """An item line (C2, C3), or None."""
    parsed = parse_item_line(line)
    if parsed is None:
        return None
    return Item(index, parsed.n, parsed.text, parsed.ranges, parsed.state, section)


def parse_section(line: str, index: int = 0) -> Section | None:
    match = _SECTION_RE.fullmatch(line)
    return Section(index, int(match.group("n")), match.group("title")) if match else None


def day_start(title: str) -> str | None:
    """The ``H:MM`` of a ``0, H:MM`` section title, or None."""
    hm = parse_hm(title)
    return None if hm is None else format_hm(hm)


# --- links, e-mail, transcripts (C4-C6) ------------------------------------------------

#: ``see"STAMP"`` (C4): the one pattern of a cross-reference; group ``stamp`` as written.
LINK_RE = re.compile(r"""(?i:see)"(?P<stamp>[^"\r\n]{1,60})\"""")
#: A cross-reference with the blanks before it, to take it out of a text.
_LINK_WITH_BLANKS_RE = re.compile(rf"[ \t]*{LINK_RE.pattern}")
_EMAIL_RE = re.compile(
    r'"(?P<sender>.*)"_email_"(?P<subject>.*?)"(?:_(?P<d>\d{8})_(?P<t>\d{4}))?[ \t]*'
)
_PROMPT_RE = re.compile(
    r"(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9._-]+):(?P<dir>[^\s>$#]*)[>$#] (?P<command>.*)"
)


@dataclass(frozen=True)
class Link:
    """A cross-reference as written (``see"10:20 11/02/2014"``) and the time it names."""

    text: str
    when: datetime


def iter_links(text: str, day_first: bool = True) -> list[Link]:
    """The ``see"STAMP"`` references of ``text`` whose STAMP is a stamp, in order (C4)."""
    links: list[Link] = []
    if 'e"' not in text and 'E"' not in text:
        return links
    for match in LINK_RE.finditer(text):
        stamp = parse_stamp(match.group("stamp"), day_first)
        if stamp is not None:
            links.append(Link(match.group(0), stamp.when))
    return links


def find_links(text: str, day_first: bool = True) -> list[datetime]:
    """The stamps of ``see"STAMP"`` references in ``text``, in order (C4)."""
    return [link.when for link in iter_links(text, day_first)]


def without_links(text: str) -> str:
    """``text`` with its ``see"..."`` references (and the blanks before them) taken out."""
    return _LINK_WITH_BLANKS_RE.sub("", text)


@dataclass(frozen=True)
class EmailHeader:
    sender: str
    subject: str
    date: datetime | None


def parse_email_header(line: str) -> EmailHeader | None:
    """An e-mail header line (C5), or None."""
    match = _EMAIL_RE.fullmatch(line)
    if not match:
        return None
    date = None
    digits = match.group("d")
    if digits:
        clock = match.group("t")
        try:
            date = datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:]),
                            int(clock[:2]), int(clock[2:]))
        except ValueError:
            date = None
    return EmailHeader(match.group("sender"), match.group("subject"), date)


@dataclass(frozen=True)
class Transcript:
    index: int
    user: str
    host: str
    directory: str
    command: str
    output: tuple[str, ...]


def find_transcripts(lines: list[str]) -> list[Transcript]:
    """Shell transcripts ``user@host:dir> command`` and their output (C6)."""
    found: list[Transcript] = []
    i = 0
    while i < len(lines):
        match = _PROMPT_RE.fullmatch(lines[i])
        if not match:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip(" \t") and not _PROMPT_RE.fullmatch(lines[j]):
            j += 1
        found.append(Transcript(i, match["user"], match["host"], match["dir"], match["command"],
                                tuple(lines[i + 1 : j])))
        i = j
    return found


# --- records written by worklog (C7) ---------------------------------------------------

_HEADLINE_RE = re.compile(
    r"worklog (?P<action>[a-z][a-z-]*) (?P<subject>[^:]*): (?P<result>[^,]*)(?:, (?P<summary>.*))?"
)
_FIELD_RE = re.compile(r"(?P<key>[a-z][a-z0-9-]*): ?(?P<value>.*)")


@dataclass(frozen=True)
class Record:
    action: str
    subject: str
    result: str
    summary: str
    fields: dict[str, str] = field(default_factory=dict)


def escape_value(value: str) -> str:
    """A record value on one line: backslash and line breaks escaped (C7)."""
    return (
        value.replace("\\", "\\\\").replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")
    )


def unescape_value(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_record(lines: list[str]) -> Record | None:
    """The record opening ``lines`` (an entry's text lines), or None."""
    if not lines:
        return None
    head = _HEADLINE_RE.fullmatch(lines[0])
    if not head:
        return None
    fields: dict[str, str] = {}
    for line in lines[1:]:
        match = _FIELD_RE.fullmatch(line)
        if not match:
            break
        fields.setdefault(match.group("key"), unescape_value(match.group("value")))
    return Record(head["action"], head["subject"], head["result"], head["summary"] or "", fields)


def format_record(action: str, subject: str, result: str, summary: str,
                  fields: list[tuple[str, str]]) -> list[str]:
    """The lines of a record; values are escaped onto one line each."""
    headline = f"worklog {action} {subject}: {result}" + (f", {summary}" if summary else "")
    return [escape_value(headline)] + [f"{key}: {escape_value(value)}" for key, value in fields]


def has_plan_tag(tags: list[str]) -> bool:
    """Whether a tags line holds ``GTD``, the tag of a day plan (K1)."""
    return any(tag.casefold() == PLAN_TAG.casefold() for tag in tags)


def kind_of(tags: list[str], text_lines: list[str], record: Record | None) -> Kind:
    """The entry kind (K1)."""
    if record is not None and record.action in SNAPSHOT_ACTIONS:
        return "snapshot"
    if record is not None and record.action in COMMAND_ACTIONS:
        return "command"
    if has_plan_tag(tags):
        return "plan"
    if text_lines and parse_email_header(text_lines[0]) is not None:
        return "email"
    return "note"
