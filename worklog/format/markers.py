"""Conflict markers: the lines a merge writes around two versions of one entry (rule M1).

A marker line can never read as a stamp line or a tags line, so an entry holding a
conflict still parses as one entry, and ``worklog check`` points at its markers. Lines
that git's own line merge writes (``<<<<<<< HEAD``) are conflict markers too.
"""

from __future__ import annotations

from worklog.format.patterns import lazy

OURS_MARK = "<<<<<<< ours"
SPLIT_MARK = "======="
THEIRS_MARK = ">>>>>>> theirs"

_MARKER_RE = lazy(r"(?:<{7}|>{7})(?:[ \t].*)?|={7}[ \t]*")


def is_conflict_marker(line: str) -> bool:
    """Whether ``line`` (without its line break) is a conflict marker line."""
    return line[:1] in "<=>" and line != "" and _MARKER_RE.fullmatch(line) is not None
