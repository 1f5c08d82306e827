"""today, plan, start, stop, done, drop: the day's plan (report: ``report_cmds``).

The everyday commands read the log backwards from its end, only as far as the days they
need (``LogFile.load_tail``), and change the day's plan entry in place through
``LogFile.replace_tail``, which refuses when the file changed since it was read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from worklog.cli.completion import complete_item
from worklog.cli.day_render import render_todos, render_view, todos_record, view_record
from worklog.cli.output import echo_lines
from worklog.cli.session import Session, session
from worklog.day import plan as pl
from worklog.errors import LogFileError, UsageError, WorklogError, os_error_message
from worklog.format import items as it
from worklog.format.dates import parse_day
from worklog.format.document import Document, Entry
from worklog.format.patterns import lazy
from worklog.store.logfile import LogFile, Tail

if TYPE_CHECKING:
    from worklog.day import edits as ed
    from worklog.history.todo_cache import OpenTodos

DateOption = Annotated[str | None, typer.Option(
    "--date", metavar="DAY", help="The day (2026-11-25, yesterday...); today by default.")]
AtOption = Annotated[str | None, typer.Option(
    "--at", metavar="H:MM", help="The time to write (9:40) instead of now.")]
JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print JSON (`worklog help commands` has its fields).")]
ItemArgument = Annotated[int, typer.Argument(
    metavar="N", autocompletion=complete_item, help="The item's number in today's plan.")]


def register(app: typer.Typer) -> None:
    app.command("today")(today)
    app.command("plan")(plan)
    app.command("start")(start)
    app.command("stop")(stop)
    app.command("done")(done)
    app.command("drop")(drop)


# --- helpers ----------------------------------------------------------------------------


def _at(sess: Session, at: str | None, *, future: bool = True) -> it.HM:
    """``--at`` (else now); unless ``future``, a time later than now is refused."""
    now = pl.hm_of(sess.now())
    if at is None:
        return now
    hm = it.parse_hm(at)
    if hm is None:
        raise UsageError(f"--at: {at!r} is not a time like 9:40")
    if not future and hm > now:
        raise UsageError(f"--at: {at} is later than now ({it.format_hm(now)}): a range "
                         "cannot start in the future")
    return hm


def _start_option(start: str | None) -> it.HM | None:
    if start is None:
        return None
    hm = it.parse_hm(start)
    if hm is None:
        raise UsageError(f"--start: {start!r} is not a time like 8:50")
    return hm


def _day(sess: Session, value: str | None) -> date:
    if value is None:
        return sess.today()
    return parse_day(value, sess.today(), option="--date", day_first=sess.day_order)


def _write(log: LogFile, tail: Tail, new_text: str) -> None:
    """Replace the tail's text with ``new_text`` (the log checks the encoding can hold it)."""
    log.replace_tail(tail, new_text)


_SURROGATE_RE = lazy("[\ud800-\udfff]")


def _printable(text: str) -> str:
    """Text a terminal can take: bytes the file's encoding could not decode (kept in the
    file as they are) are shown as U+FFFD."""
    return _SURROGATE_RE.sub("\ufffd", text)


def _print_json(data: dict[str, Any] | list[dict[str, Any]]) -> None:
    import json  # noqa: PLC0415  (only for --json)

    text = json.dumps(data, ensure_ascii=False, indent=2)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = json.dumps(data, indent=2)  # undecodable bytes as \udcXX escapes
    typer.echo(text)


def _say(lines: Sequence[str]) -> None:
    for line in lines:
        typer.echo(line, err=True)


def _edit_plan(ctx: typer.Context, make: Callable[[Entry], ed.Edit], what: str) -> None:
    """Apply ``make`` to today's plan and write the result (if it changed anything)."""

    sess = session(ctx)
    log = sess.log
    day = sess.today()
    tail = log.load_tail(pl.enough_for(day, previous=False))
    plan_entry = pl.latest_plan(tail.doc.entries, day)
    if plan_entry is None:
        raise WorklogError(f"{day} has no plan yet: `worklog plan` writes it (with the items "
                           f"carried over), then `worklog {what}`")
    edit = make(plan_entry)
    if edit.changed:
        _write(log, tail, edit.apply(tail.doc.text))
    _say(edit.notes)


# --- today ------------------------------------------------------------------------------


def today(
    ctx: typer.Context,
    date_: DateOption = None,
    as_json: JsonOption = False,
) -> None:
    """The day's plan with each item's state and worked ranges, the time worked, and the
    day's entries; without a plan yet, the plan `worklog plan` would write."""
    sess = session(ctx)
    log = sess.log
    day = _day(sess, date_)
    if sess.log_not_started():  # the first run: no history is not an error
        if as_json:
            _say([f"worklog: {line}" for line in sess.first_run_lines()])
            _print_json(view_record(pl.day_view([], day, sess.now())) | {
                "todos": todos_record(None)})
        else:
            typer.echo(sess.style(f"{day:%a} {day.isoformat()}", bold=True))
            for line in sess.first_run_lines():
                typer.echo(f"  {line}")
        return
    tail = log.load_tail(pl.enough_for(day, previous=True))
    view = pl.day_view(tail.doc.entries, day, sess.now())
    todos = _open_todos(sess)
    if as_json:
        _print_json(view_record(view) | {"todos": todos_record(todos)})
    else:
        lines = render_view(sess, view) + render_todos(sess, todos)
        echo_lines(_printable(line) for line in lines)


def _open_todos(sess: Session) -> OpenTodos:
    """The open TODO items of the whole history, through the cache
    (worklog.history.todo_cache, imported here: the other day commands do not need it)."""
    from worklog.history.todo_cache import open_todos  # noqa: PLC0415 - today only

    try:
        return open_todos(sess.log_path, sess.config.parse_options, sess.env)
    except OSError as exc:
        raise LogFileError(sess.log_path, os_error_message(exc)) from exc


# --- plan -------------------------------------------------------------------------------


def _day_start(entries: Sequence[Entry], day: date, now: datetime, start: it.HM | None) -> it.HM:
    """``--start``, else the time of the day's first entry (Notepad stamps the file when
    it is first opened in the morning), else now."""
    if start is not None:
        return start
    first = min((e for e in entries if e.day == day and e.stamp.has_time),
                key=lambda e: e.stamp.when, default=None)
    return pl.hm_of(first.stamp.when if first is not None else now)


def plan(
    ctx: typer.Context,
    items: Annotated[list[str] | None, typer.Argument(
        metavar="ITEM", help="New items, one argument each.")] = None,
    start: Annotated[str | None, typer.Option(
        "--start", metavar="H:MM",
        help="The day's start (8:50); else the time of the day's first entry.")]
    = None,
    no_carry: Annotated[bool, typer.Option(
        "--no-carry", help="Do not carry over the open items of the last plan.")] = False,
    todo: Annotated[list[str] | None, typer.Option(
        "--todo", metavar="STAMP[:N]",
        help="Add TODO N of the note STAMP as an item, with a see\"STAMP\" reference.")]
    = None,
    date_: Annotated[str | None, typer.Option(
        "--date", metavar="DAY", help="Plan this day (tomorrow, yesterday...); today by "
                                      "default.")] = None,
) -> None:
    """Write the day's plan: the open items of the last plan carried over, then ITEMs.
    When the day has a plan, ITEMs are added to it (and --start sets its start)."""
    from worklog.cli import todo_links as tl  # noqa: PLC0415
    from worklog.day import edits as ed  # noqa: PLC0415  (the edits: not for today)

    sess = session(ctx)
    log = sess.log
    now, day = sess.now(), _day(sess, date_)
    texts = [tl.todo_text(sess, spec) for spec in todo or []]
    texts += [pl.clean_item_text(text) for text in items or []]
    start_hm = _start_option(start)
    if day != sess.today():
        _plan_other_day(sess, day, start_hm, texts, no_carry=no_carry)
        return
    if not log.exists() or log.path.stat().st_size == 0:
        body = pl.new_plan_body(_day_start([], day, now, start_hm), pl.DEFAULT_SECTION, [],
                                texts)
        log.append([pl.PLAN_TAG], body, now)
        _say([f"planned {day} in {sess.log_path} (new file): {len(texts)} new item(s)",
              *ed.added_notes(1, texts)])
        return
    tail = log.load_tail(pl.enough_for(day, previous=not no_carry))
    doc = tail.doc
    existing = pl.latest_plan(doc.entries, day)
    if existing is not None:
        _extend_plan(sess, tail, existing, start_hm, texts)
        return
    _new_plan(sess, tail, day, start_hm, texts, no_carry=no_carry)


def _extend_plan(sess: Session, tail: Tail, existing: Entry, start_hm: it.HM | None,
                 texts: list[str]) -> None:
    """ITEMs added to the day's plan, and ``--start`` set."""
    from worklog.day import edits as ed  # noqa: PLC0415  (the edits: not for today)

    doc = tail.doc
    if not texts and start_hm is None:
        _say([f"{existing.day} has a plan already ({existing.stamp.text}): nothing "
              'written; `worklog plan "text"` adds an item to it'])
        return
    new_text, notes = ed.extend_plan(doc, existing, start_hm, texts)
    if new_text != doc.text:
        _write(sess.log, tail, new_text)
    _say(notes)


def _new_plan(sess: Session, tail: Tail, day: date, start_hm: it.HM | None,
              texts: list[str], *, no_carry: bool) -> None:
    """The day's first plan: the last plan's open items carried over, then ITEMs."""
    from worklog.day import edits as ed  # noqa: PLC0415  (the edits: not for today)
    from worklog.format.writer import Style, render_append  # noqa: PLC0415

    log, doc, now = sess.log, tail.doc, sess.now()
    source = None if no_carry else pl.previous_plan(doc.entries, day)
    carried = pl.carry_over(source)
    title = pl.section_title(source)
    body = pl.new_plan_body(_day_start(doc.entries, day, now, start_hm), title, carried, texts)
    if doc.entries and doc.entries[-1].stamp.when > now:  # a later day planned already
        from worklog.store.placing import write_entry  # noqa: PLC0415

        stamp = write_entry(log, [pl.PLAN_TAG], body, now)
    else:
        stamp = doc.writing_shape().format(now)
        style = Style(doc.newline, doc.text[-4:], bool(doc.entries))
        _write(log, tail, doc.text + render_append(style, stamp, [pl.PLAN_TAG], body))
    origin = f" carried from {source.day}" if source is not None else ""
    _say([f"planned {day} ({stamp}): {len(carried)} item(s){origin}, {len(texts)} new",
          *ed.added_notes(len(carried) + 1, texts)])


def _plan_other_day(sess: Session, day: date, start: it.HM | None, texts: list[str], *,
                    no_carry: bool) -> None:
    """``plan --date``: the plan of another day, written where its stamp belongs (W7):
    a later day's at 0:00 of that day, an earlier day's at its start."""
    from worklog.day import edits as ed  # noqa: PLC0415  (the edits: not for today)

    log = sess.log
    tail = log.load_tail(pl.enough_for(day, previous=not no_carry)) if log.exists() else None
    entries = tail.doc.entries if tail is not None else []
    existing = pl.latest_plan(entries, day)
    if existing is not None and tail is not None:
        if not texts and start is None:
            _say([f"{day} has a plan already ({existing.stamp.text}): nothing written"])
            return
        new_text, notes = ed.extend_plan(tail.doc, existing, start, texts)
        if new_text != tail.doc.text:
            _write(log, tail, new_text)
        _say(notes)
        return
    source = None if no_carry else pl.previous_plan(entries, day)
    first = next((e for e in entries if e.day == day), None)
    start_hm = start or (pl.hm_of(first.stamp.when) if first is not None else None) or \
        (it.parse_hm(source.day_start or "") if source is not None else None)
    if start_hm is None:
        raise UsageError(f"--date {day}: when does the day start? say it with --start H:MM")
    later = day > sess.today()
    when = datetime.combine(day, time(0, 0) if later else time(*start_hm))
    if not later and first is not None:
        when = min(when, first.stamp.when)
    carried = pl.carry_over(source)
    body = pl.new_plan_body(start_hm, pl.section_title(source), carried, texts)
    from worklog.store.placing import write_entry  # noqa: PLC0415

    stamp = write_entry(log, [pl.PLAN_TAG], body, when)
    origin = f" carried from {source.day}" if source is not None else ""
    _say([f"planned {day} ({stamp}): {len(carried)} item(s){origin}, {len(texts)} new, "
          f"start {it.format_hm(start_hm)}", *ed.added_notes(len(carried) + 1, texts)])


# --- start, stop, done, drop ------------------------------------------------------------


def start(
    ctx: typer.Context,
    n: ItemArgument,
    at: AtOption = None,
    reopen: Annotated[bool, typer.Option(
        "--reopen", help="Start a done or dropped item again (its marker is taken out).")]
    = False,
) -> None:
    """Start working on item N: opens a range H:MM- on it, ending any other open range."""
    from worklog.day import edits as ed  # noqa: PLC0415  (the edits: not for today)

    hm = _at(session(ctx), at, future=False)
    _edit_plan(ctx, lambda p: ed.start_item(p, n, hm, reopen=reopen), f"start {n}")


def done(
    ctx: typer.Context,
    n: ItemArgument,
    at: AtOption = None,
    close_todo: Annotated[bool, typer.Option(
        "--todo", help="Mark the TODO the item was planned from (done) too.")] = False,
) -> None:
    """Mark item N (done), ending its open range; says when the TODO it was planned from
    is still open (--todo closes it too)."""
    from worklog.cli import todo_links as tl  # noqa: PLC0415
    from worklog.day import edits as ed  # noqa: PLC0415  (the edits: not for today)
    from worklog.day import todos as td  # noqa: PLC0415

    sess = session(ctx)
    hm = _at(sess, at)
    day = sess.today()
    plan_enough = pl.enough_for(day, previous=False)
    tail = sess.log.load_tail(plan_enough)
    plan_entry = pl.latest_plan(tail.doc.entries, day)
    if plan_entry is None:
        raise WorklogError(f"{day} has no plan yet: `worklog plan` writes it (with the items "
                           f"carried over), then `worklog done {n}`")
    edit = ed.mark_item(plan_entry, n, "done", hm)
    item = next(i for i in pl.plan_items(plan_entry) if i.n == n)
    links = set(td.item_links(plan_entry, item))
    if links:  # read back as far as the notes it refers to
        tail = sess.log.load_tail(lambda doc: plan_enough(doc) and links <= {
            e.stamp.when for e in doc.entries})
        plan_entry = next(e for e in tail.doc.entries if e.start == plan_entry.start)
        edit = ed.mark_item(plan_entry, n, "done", hm)
    todos = [t for t in td.todos_of_item(tail.doc, plan_entry, item) if t.item.state == "open"]
    edits = [edit]
    if close_todo:
        if len(todos) != 1:
            raise UsageError(tl.todo_refusal(n, todos))
        edits.append(td.mark_todo(todos[0].note, todos[0].item, "done"))
    elif todos:
        edit.notes.extend(tl.still_open(t, n, both=len(todos) == 1) for t in todos)
    text = tail.doc.text
    for one in sorted(edits, key=lambda e: e.plan.start, reverse=True):
        text = one.apply(text)
    if text != tail.doc.text:
        _write(sess.log, tail, text)
    _say([note for one in edits for note in one.notes])


def drop(
    ctx: typer.Context,
    n: ItemArgument,
    at: AtOption = None,
) -> None:
    """Mark item N (dropped), ending its open range."""
    from worklog.day import edits as ed  # noqa: PLC0415  (the edits: not for today)

    hm = _at(session(ctx), at)
    _edit_plan(ctx, lambda p: ed.mark_item(p, n, "dropped", hm), f"drop {n}")


def _running_plan(doc: Document, day: date) -> Entry | None:
    """Today's plan when something runs in it, else the last earlier plan when it has an
    item left running, else today's plan."""
    todays = pl.latest_plan(doc.entries, day)
    if todays is not None and any(i.state == "active" for i in pl.plan_items(todays)):
        return todays
    earlier = pl.previous_plan(doc.entries, day)
    if earlier is not None and any(i.state == "active" for i in pl.plan_items(earlier)):
        return earlier
    return todays


def _enough_for_stop(day: date) -> Callable[[Document], bool]:
    def enough(doc: Document) -> bool:
        if not pl.reaches_before(doc, day):
            return False
        todays = pl.latest_plan(doc.entries, day)
        if todays is not None and any(i.state == "active" for i in pl.plan_items(todays)):
            return True
        return pl.previous_plan(doc.entries, day) is not None

    return enough


def stop(ctx: typer.Context, at: AtOption = None) -> None:
    """End the running range: today's, or one left running on an earlier day."""
    from worklog.day import edits as ed  # noqa: PLC0415  (the edits: not for today)

    sess = session(ctx)
    log = sess.log
    day = sess.today()
    hm = _at(sess, at)
    tail = log.load_tail(_enough_for_stop(day))
    target = _running_plan(tail.doc, day)
    if target is None:
        _say([f"nothing is running: {day} has no plan yet"])
        return
    running = next((i for i in pl.plan_items(target) if i.state == "active"), None)
    if target.day != day and at is None and running is not None:
        since = running.ranges[-1].start
        elapsed = datetime.combine(day, time(*hm)) - datetime.combine(target.day, time(*since))
        if elapsed > timedelta(minutes=it.LONGEST_RANGE):
            raise WorklogError(
                f"{ed.item_label(running)} of {target.day} was left running since "
                f"{it.format_hm(since)}: say when it ended with `worklog stop --at H:MM`")
    edit = ed.stop_running(target, hm)
    if not edit.changed:
        _say([f"nothing is running in the plan of {target.day}"])
        return
    if target.day != day:
        edit.notes.append(f"(in the plan of {target.day})")
    _write(log, tail, edit.apply(tail.doc.text))
    _say(edit.notes)
