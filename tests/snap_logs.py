"""Logs the snap tests share."""

from __future__ import annotations


def cp1252_with_ascii_ends(plan: str) -> bytes:
    """A cp1252 log whose first 4 KiB and last 64 KiB are ASCII (entries older than
    yesterday included), so that neither end tells UTF-8 from cp1252: only a full read
    finds the `ü` in its middle. ``plan`` (a `.LOG` file's text, ASCII) ends it."""
    line = "x" * 60
    head = "".join(f"\n09:{i % 60:02} 2026-11-20\nold {i} {line}\n" for i in range(100))
    middle = "\n10:00 2026-11-21\nGrüße from the middle\n"
    notes = "".join(f"\n09:{i % 60:02} 2026-11-24\nnote {i} {line}\n" for i in range(1000))
    return (".LOG\n" + head + middle + notes + plan.removeprefix(".LOG\n")).encode("cp1252")
