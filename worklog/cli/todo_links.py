"""What the day commands and ``todo`` share about TODO notes: finding a stamped entry
from the log's end, the text ``plan --todo`` adds, and what ``done`` says of a TODO."""

from __future__ import annotations

from datetime import datetime

from worklog.cli.session import Session
from worklog.day import plan as pl
from worklog.day import todos as td
from worklog.errors import UsageError
from worklog.format.dates import stamp_candidates
from worklog.store.logfile import Tail


def find_stamped(sess: Session, stamp: str, option: str = "STAMP") -> tuple[Tail, datetime]:
    """The log's end read back as far as an entry stamped ``stamp`` (the whole log when
    none is), and the time it names (in the file's day order when it tells)."""
    order = sess.day_order()
    candidates = stamp_candidates(stamp, option=option,
                                  day_first=True if order is None else order)
    tail = sess.log.load_tail(lambda doc: any(e.stamp.when in candidates for e in doc.entries))
    found = {e.stamp.when for e in tail.doc.entries}
    return tail, next((w for w in candidates if w in found), candidates[0])


def todo_text(sess: Session, spec: str) -> str:
    """``--todo STAMP[:N]``: the plan item text of that TODO, with its note's reference."""
    if not sess.log.exists():
        raise UsageError(f"--todo: {sess.log_path} has no log yet, so no TODO note {spec!r}")
    order = sess.day_order()
    when, n = td.split_spec(spec, True if order is None else order)
    shown = spec if n is None else spec[: spec.rindex(":")]
    tail, when = find_stamped(sess, shown, "--todo")
    note = td.find_note(tail.doc.entries, when, f"--todo {shown}")
    return pl.clean_item_text(td.plan_text(tail.doc, note, td.pick_item(note, n)))


def still_open(todo: td.Todo, n: int, *, both: bool) -> str:
    also = f" (`worklog done {n} --todo` does both)" if both else ""
    return (f"{todo.label()} is still open: `worklog todo done \"{todo.note.stamp.text}\" "
            f"{todo.item.n}` closes it{also}")


def todo_refusal(n: int, todos: list[td.Todo]) -> str:
    if not todos:
        return f"--todo: item {n} refers to no open TODO; nothing was written"
    which = ", ".join(str(t.item.n) for t in todos)
    return (f"--todo: item {n} refers to the note {todos[0].note.stamp.text} as a whole "
            f"(open TODOs {which}): close one with `worklog todo done STAMP N`; nothing "
            "was written")
