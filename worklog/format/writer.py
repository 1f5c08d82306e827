"""Writing new text in the file's own style (FORMAT.md rules W1-W5). Pure: no I/O.

Whatever a user or a command hands worklog to append (an e-mail body, command output,
``add`` text) is neutralised here so that it cannot forge an entry boundary or a tags
line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from worklog.errors import UsageError
from worklog.format.constructs import format_tags, parse_tags_line, split_lines
from worklog.format.patterns import lazy
from worklog.format.stamps import STAMP_BODY, looks_like_date_line

#: A stamp at the start of a line, whatever follows it.
_STAMP_START_RE = lazy(STAMP_BODY)

MAGIC = ".LOG"


@dataclass(frozen=True)
class Style:
    """The file's writing style, as read from its end."""

    newline: str  # "\n", "\r\n" or "\r"
    tail: str  # the last characters of the file's text (up to 4)
    has_entries: bool


def needs_neutralising(line: str) -> bool:
    """Whether ``line`` reads as a stamp line, starts with a stamp followed by text, or
    holds only a date (a day heading, S6) (W4)."""
    return _STAMP_START_RE.match(line) is not None or looks_like_date_line(line)


def is_neutralised(line: str) -> bool:
    """Whether ``line`` is one that ``neutralise_lines`` wrote: one space, then a line
    that needs it."""
    return line.startswith(" ") and needs_neutralising(line[1:])


def neutralise_lines(lines: Sequence[str]) -> list[str]:
    """Lines with every stamp-shaped line, and every line that starts with a stamp,
    indented by one space (W4: indented stamps are text)."""
    return [" " + line if needs_neutralising(line) else line for line in lines]


def text_lines(text: str) -> list[str]:
    """The lines of user text, whatever its line breaks; trailing blank lines dropped."""
    lines = [content for content, _ in split_lines(text)]
    while lines and not lines[-1].strip(" \t"):
        lines.pop()
    return lines


def check_tags(tags: Sequence[str]) -> list[str]:
    """Validate tags given on the command line; a UsageError names the bad one."""
    cleaned = [tag.strip() for tag in tags if tag.strip()]
    if not cleaned:
        return []
    if parse_tags_line(format_tags(cleaned)) is None:
        for tag in cleaned:
            if parse_tags_line(tag) is None:
                raise UsageError(
                    f"--tags: {tag!r} is not a tag (1-32 letters, digits or _-+./#&@, "
                    "at most 3 words, at least one letter, no final '.', no file name, "
                    "no capital first when of several words)"
                )
        raise UsageError("--tags: at most 10 tags")
    return cleaned


def split_tags(value: str | None) -> list[str]:
    """``"a, b"`` → ``["a", "b"]`` (validated)."""
    if not value:
        return []
    return check_tags(value.split(","))


def entry_lines(stamp_text: str, tags: Sequence[str], body: Sequence[str]) -> list[str]:
    """The lines of a new entry: stamp, tags line, neutralised body (W4)."""
    lines = [stamp_text]
    safe = neutralise_lines(body)
    if tags:
        lines.append(format_tags(list(tags)))
        if safe and parse_tags_line(lines[-1], safe[0]) is None:
            lines.append("")  # a capitalised lone tag must not start the text's sentence
    elif safe and parse_tags_line(safe[0]) is not None:
        lines.append("")  # an untagged first line must not read as a tags line
    lines.extend(safe)
    return lines


def separator(style: Style) -> str:
    """What goes before a new entry: end the last line, then one blank line (W3)."""
    tail, nl = style.tail, style.newline
    ends_line = tail.endswith(("\n", "\r"))
    if not style.has_entries:
        return "" if ends_line or not tail else nl
    if not ends_line:
        return nl + nl
    stripped = tail[:-2] if tail.endswith("\r\n") else tail[:-1]
    return "" if stripped.endswith(("\n", "\r")) or not stripped else nl


def render_append(style: Style, stamp_text: str, tags: Sequence[str], body: Sequence[str]) -> str:
    """The exact text to append: separator, then the entry ending with one line break."""
    lines = entry_lines(stamp_text, tags, body)
    return separator(style) + style.newline.join(lines) + style.newline


def new_file_text(newline: str = "\n") -> str:
    """A new log's first line: the ``.LOG`` magic (W5)."""
    return MAGIC + newline


def insert_at(text: str, offset: int, newline: str, stamp_text: str, tags: Sequence[str],
              body: Sequence[str]) -> str:
    """``text`` with a new entry put right before the entry starting at ``offset`` (W7):
    its lines, then one blank line; every other character kept."""
    lines = entry_lines(stamp_text, tags, body)
    return text[:offset] + newline.join(lines) + newline + newline + text[offset:]
