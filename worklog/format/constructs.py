"""What worklog recognises inside an entry's lines (FORMAT.md rules E2, E3, C4-C7, K1).

Pure functions of text lines: no file, no clock. Each construct keeps the line index it
came from so callers can edit the exact line in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from worklog.format.items import Item as Item  # noqa: PLC0414 - the entry's items, for callers
from worklog.format.patterns import lazy
from worklog.format.stamps import parse_stamp

Kind = Literal["plan", "email", "snapshot", "command", "note"]
KINDS: tuple[Kind, ...] = ("plan", "email", "snapshot", "command", "note")

#: The tag of a day plan (K1).
PLAN_TAG = "GTD"
SNAPSHOT_ACTIONS = frozenset({"snap", "revert", "snap-delete", "snap-prune"})
COMMAND_ACTIONS = frozenset({"run"})

_BREAK_RE = lazy(r"(\r\n|\r|\n)")
_TAG_FAST_RE = lazy(r"[\w\-+./#&@ ]+")
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
    import unicodedata  # noqa: PLC0415  (a C module, for the rare tag beyond the fast set)

    return all(
        ch.isalnum() or ch == " " or ch in _TAG_PUNCT or unicodedata.category(ch)[0] == "M"
        for ch in tag
    )


#: A list item (``- Created``) or a numbered point (``1. fix``) opens the line (E2).
_LIST_START_RE = lazy(r"-|\d+\.")
#: A file name: ``.cpp``, or one dot and an extension of 1-4 letters (``project_config.h``).
_FILE_NAME_RE = lazy(r"(?:^|[ /])\.[^\W\d_]|^[^.]+\.[^\W\d_]{1,4}$")


def _reads_as_prose(parts: list[str]) -> bool:
    """Tags-shaped parts that a person wrote as a sentence (E2): a tag of several words
    that starts with a capital letter (``Эксперимент с DS3231``, ``BOOT отключен``), or
    one naming a file."""
    return any(_FILE_NAME_RE.search(part) or (" " in part and part[0].isupper())
               for part in parts)


def starts_sentence(line: str) -> bool:
    """A capitalised word (``Added``, ``Добавлено``), blanks after it aside: an upper-case
    letter, then only lower-case ones. Such a lone line is prose when the next line goes
    on in lower case (E2); only then does a reader need the next line."""
    word = line.rstrip(" \t")
    return len(word) > 1 and word[0].isupper() and word[1:].isalpha() and word[1:].islower()


def goes_on(next_line: str | None) -> bool:
    """The line after a capitalised word continues its sentence: it starts with a
    lower-case letter (E2)."""
    return next_line is not None and next_line[:1].islower()


def parse_tags_line(line: str, next_line: str | None = None) -> list[str] | None:
    """The tags of a tags line, or None when ``line`` is not one (rule E2). ``next_line``
    is the line after it in the entry (None: there is none): a capitalised word whose
    sentence goes on there is prose."""
    if not line or line[0].isspace() or _LIST_START_RE.match(line):
        return None
    parts = [part.strip(" ") for part in line.rstrip(" \t").split(",")]
    if not 1 <= len(parts) <= MAX_TAGS or not all(_is_tag(part) for part in parts):
        return None
    if len(parts) == 1 and starts_sentence(parts[0]) and goes_on(next_line):
        return None
    return None if _reads_as_prose(parts) else parts


def format_tags(tags: list[str]) -> str:
    return ", ".join(tags)


# --- links, e-mail, transcripts (C4-C6) ------------------------------------------------

#: ``see"STAMP"`` (C4): the one pattern of a cross-reference; group ``stamp`` as written.
LINK_RE = lazy(r"""(?i:see)"(?P<stamp>[^"\r\n]{1,60})\"""")
#: A cross-reference with the blanks before it, to take it out of a text.
_LINK_WITH_BLANKS_RE = lazy(rf"[ \t]*{LINK_RE.pattern}")
_EMAIL_RE = lazy(
    r'"(?P<sender>.*)"_email_"(?P<subject>.*?)"(?:_(?P<d>\d{8})_(?P<t>\d{4}))?[ \t]*'
)
_PROMPT_RE = lazy(
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
    """An e-mail header line (C5): sender, subject and, when written, the date."""

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
    """A shell transcript (C6): its prompt line's index and parts, and its output lines."""

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

_HEADLINE_RE = lazy(
    r"worklog (?P<action>[a-z][a-z-]*) (?P<subject>[^:]*): (?P<result>[^,]*)(?:, (?P<summary>.*))?"
)
_FIELD_RE = lazy(r"(?P<key>[a-z][a-z0-9-]*): ?(?P<value>.*)")


@dataclass(frozen=True)
class Record:
    """A record worklog wrote (C7): its headline's parts and its ``key: value`` fields."""

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
