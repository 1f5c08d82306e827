"""What the shell completes for option values and arguments (bash, zsh, fish).

Shells ask ``_WORKLOG_COMPLETE=complete_bash worklog`` (typer's protocol); the values of
``--format``, ``--kind``, ``--by`` and ``--color`` come from the lists the commands check
against, and ``start``, ``done`` and ``drop`` get the item numbers of today's plan. A
completion never fails: when the log cannot be read it offers nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

COLOR_CHOICES = ("auto", "always", "never")


def starting_with(values: Iterable[str], incomplete: str) -> list[str]:
    return [value for value in values if value.startswith(incomplete)]


def complete_color(incomplete: str) -> list[str]:
    return starting_with(COLOR_CHOICES, incomplete)


def choices(values: Iterable[str]) -> Callable[[str], list[str]]:
    """A completion of one of ``values``."""
    kept = tuple(values)

    def complete(incomplete: str) -> list[str]:
        return starting_with(kept, incomplete)

    return complete


def complete_item(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """The numbers of today's plan items, each with its state and text (shortened) as help."""
    from worklog.cli.session import session  # noqa: PLC0415  (only when completing)
    from worklog.day import plan as pl  # noqa: PLC0415
    from worklog.errors import WorklogError  # noqa: PLC0415

    try:
        sess = session(ctx)
        if not sess.log.exists():
            return []
        day = sess.today()
        tail = sess.log.load_tail(pl.enough_for(day, previous=False))
        plan = pl.latest_plan(tail.doc.entries, day)
    except (WorklogError, OSError):
        return []
    if plan is None:
        return []
    return [(str(item.n), _short(f"{item.state}: {item.text}")) for item in pl.plan_items(plan)
            if str(item.n).startswith(incomplete)]


#: Longer help is wrapped onto several lines by typer's zsh and fish output (rich).
HELP_WIDTH = 50


def _short(text: str) -> str:
    return text if len(text) <= HELP_WIDTH else text[: HELP_WIDTH - 1] + "…"


def complete_format(incomplete: str) -> list[str]:
    from worklog.history.formats import FORMATS  # noqa: PLC0415  (only when completing)

    return starting_with(FORMATS, incomplete)
