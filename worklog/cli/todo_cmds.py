"""todo: the open TODO items of the whole history (FORMAT.md C9), and their marking.

``worklog todo`` reads the whole log; ``worklog todo done STAMP N`` reads it backwards
only as far as the note and changes the note's line in place through
``LogFile.replace_tail``, as ``worklog done`` changes a plan.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from worklog.cli.day_cmds import _print_json, _printable, _say
from worklog.cli.output import echo_lines
from worklog.cli.session import Session, session
from worklog.cli.todo_links import find_stamped
from worklog.day import todos as td
from worklog.errors import UsageError
from worklog.format.items import format_minutes
from worklog.format.todos import TodoState
from worklog.history.export import iso_minutes
from worklog.history.timeline import log_timeline
from worklog.history.todo_cache import notes_and_plans

ACTIONS = ("done", "drop", "open")
_STATE: dict[str, TodoState] = {"done": "done", "drop": "dropped", "open": "open"}


def register(app: typer.Typer) -> None:
    app.command("todo")(todo)


def todo_record(todo: td.Todo) -> dict[str, Any]:
    """One TODO item as `worklog todo --json` prints it (docs/CLI.md)."""
    return {
        "stamp": iso_minutes(todo.note.stamp.when),
        "stamp_text": todo.note.stamp.text,
        "n": todo.item.n,
        "text": todo.item.text,
        "state": todo.item.state,
        "planned": [day.isoformat() for day in todo.planned_days],
        "worked": [day.isoformat() for day in todo.worked_days],
        "worked_minutes": todo.worked_minutes,
    }


def _days(days: list[date]) -> str:
    return ", ".join(day.isoformat() for day in days)


def render_todo(todo: td.Todo, today: date, *, state: bool) -> list[str]:
    age = (today - todo.note.day).days
    marker = f" ({todo.item.state})" if state and todo.item.state != "open" else ""
    lines = [f"{todo.note.stamp.text}  {todo.item.n}) {todo.item.text}{marker}"]
    facts = [f"{age} day{'s' if age != 1 else ''} old"]
    facts.append(f"planned {_days(todo.planned_days)}" if todo.planned else "never planned")
    if todo.worked_days:
        facts.append(f"worked {_days(todo.worked_days)} "
                     f"({format_minutes(todo.worked_minutes)})")
    lines.append("    " + "; ".join(facts))
    return lines


def _list(sess: Session, every: bool, as_json: bool) -> None:
    with log_timeline(sess.log) as timeline:
        found = td.open_todos(notes_and_plans(timeline), every=every)
    if as_json:
        _print_json([todo_record(t) for t in found])
        return
    what = "TODO items" if every else "open TODO items"
    if not found:
        typer.echo(f"no {what}")
        return
    lines = [f"{len(found)} {what}, oldest first:"]
    for one in found:
        lines.extend(render_todo(one, sess.today(), state=every))
    echo_lines(_printable(line) for line in lines)


def _mark(sess: Session, action: str, stamp: str, n: int | None) -> None:
    log = sess.log
    if not log.exists():
        raise UsageError(f"{sess.log_path}: no log yet, so no TODO note {stamp!r}")
    tail, when = find_stamped(sess, stamp)
    note = td.find_note(tail.doc.entries, when, stamp)
    item = td.pick_item(note, n)
    edit = td.mark_todo(note, item, _STATE[action])
    if edit.changed:
        log.replace_tail(tail, edit.apply(tail.doc.text))
    _say(edit.notes)


def todo(
    ctx: typer.Context,
    action: Annotated[str | None, typer.Argument(
        metavar="[done|drop|open]", help="Mark a TODO done or dropped, or open again.")]
    = None,
    stamp: Annotated[str | None, typer.Argument(
        metavar="[STAMP]", help="The stamp of the TODO note, as in the log.")] = None,
    n: Annotated[int | None, typer.Argument(
        metavar="[N]", help="The TODO's number; else the note's only open one.")] = None,
    every: Annotated[bool, typer.Option(
        "--all", help="Every TODO item, done and dropped ones too.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print JSON (`worklog help commands` has its fields).")] = False,
) -> None:
    """The open TODO items of the whole history, oldest first, with their age and the
    days they were planned and worked on; `todo done STAMP [N]` (or drop, open) marks one
    in its note."""
    sess = session(ctx)
    if action is None:
        _list(sess, every, as_json)
        return
    if action not in ACTIONS:
        raise UsageError(f"{action!r} is not one of {', '.join(ACTIONS)} (`worklog todo` "
                         "lists the open TODOs)")
    if stamp is None:
        raise UsageError(f"`worklog todo {action}` needs the STAMP of the TODO note")
    if every or as_json:
        raise UsageError(f"--all and --json are for the list, not for `todo {action}`")
    _mark(sess, action, stamp, n)
