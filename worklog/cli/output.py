"""Printing lines for a person: on a terminal each line fits its width, cut with ``…``;
piped (or redirected), lines go out whole, for other programs to read."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Iterable
from typing import TextIO

import typer

from worklog.format.patterns import lazy

_ESCAPE_RE = lazy(r"\x1b\[[0-?]*[ -/]*[@-~]")
_RESET = "\x1b[0m"
ELLIPSIS = "…"


def terminal_width(stream: TextIO | None = None) -> int | None:
    """The columns of the terminal ``stream`` (stdout by default) writes to, None when
    it is no terminal; ``$COLUMNS`` overrides the terminal's own figure."""
    target = stream or sys.stdout
    try:
        if not target.isatty():
            return None
        fd = target.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(fd).columns or None
    except OSError:
        return None


def char_width(char: str) -> int:
    """Columns a character takes on a terminal: 2 for wide East Asian characters, 0 for
    combining marks, else 1."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(line: str) -> int:
    """Columns ``line`` takes on a terminal (colour escapes take none)."""
    return sum(char_width(ch) for ch in _ESCAPE_RE.sub("", line))


def fit(line: str, width: int | None) -> str:
    """``line`` cut to ``width`` columns with ``…`` at its end (colours kept, and reset
    after a cut); the whole line when ``width`` is None or it fits."""
    if width is None or display_width(line) <= width:
        return line
    out: list[str] = []
    used = 0
    pos = 0
    styled = False
    while pos < len(line):
        escape = _ESCAPE_RE.match(line, pos)
        if escape:
            out.append(escape.group())
            styled = True
            pos = escape.end()
            continue
        step = char_width(line[pos])
        if used + step > width - 1:
            break
        out.append(line[pos])
        used += step
        pos += 1
    return "".join(out) + ELLIPSIS + (_RESET if styled else "")


def echo_lines(lines: Iterable[str]) -> None:
    """Print ``lines`` on stdout, each fitted to the terminal's width when it is one."""
    width = terminal_width()
    for line in lines:
        typer.echo(fit(line, width))
