"""thread: a task's whole story, from its note to the commands run for it."""

from __future__ import annotations

from typing import Annotated

import typer

from worklog.cli.day_cmds import _print_json, _printable
from worklog.cli.output import echo_lines
from worklog.cli.session import session
from worklog.errors import UsageError
from worklog.format.items import format_minutes
from worklog.history import thread as th
from worklog.history.thread import thread_markdown, thread_record
from worklog.history.timeline import Timeline


def register(app: typer.Typer) -> None:
    app.command("thread")(thread)


def _render(thread: th.Thread) -> list[str]:
    root = thread.root
    title = root.text_lines[0].strip() if root.text_lines else "(empty)"
    lines = [f"{root.stamp.text}  {title}",
             f"  worked {format_minutes(thread.worked_minutes)}"]
    for event in thread.events:
        result = f" [{event.result}]" if event.result else ""
        lines.append(f"{event.stamp_text}  {event.kind}: {event.summary}{result}")
    return lines


def thread(
    ctx: typer.Context,
    spec: Annotated[str, typer.Argument(
        metavar="STAMP|N", help="The task's entry (its stamp), or item N of today's plan.")],
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print JSON (`worklog help commands` has its fields).")] = False,
    fmt: Annotated[str | None, typer.Option(
        "--format", metavar="FORMAT", help="markdown: a change record for a ticket.")]
    = None,
) -> None:
    """A task's story in time order: its note, the plan items that refer to it, the
    entries linked to it, the snapshots and commands done for it, the time worked."""
    sess = session(ctx)
    if fmt not in (None, "markdown"):
        raise UsageError(f"--format: {fmt!r} is not markdown")
    if fmt is not None and as_json:
        raise UsageError("choose one of --json and --format markdown")
    if not sess.log.exists():
        raise UsageError(f"{sess.log_path}: no log yet, so no task {spec!r}")
    order = sess.day_order()
    with sess.log.mapped() as buf:
        timeline = Timeline(buf, sess.config.parse_options)
        day_first = timeline.log.day_order() if order is None else order
        story = th.build(timeline, spec, sess.today(), day_first)
    if as_json:
        _print_json(thread_record(story))
    elif fmt == "markdown":
        echo_lines(_printable(line) for line in thread_markdown(story))
    else:
        echo_lines(_printable(line) for line in _render(story))
