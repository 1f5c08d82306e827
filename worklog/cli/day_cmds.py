"""today, plan, start, stop, done, drop, report: the day's plan and the time worked.

The everyday commands read the log backwards from its end, only as far as the days they
need (``LogFile.load_tail``), and change the day's plan entry in place through
``LogFile.replace_tail``, which refuses when the file changed since it was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import typer

from worklog.cli.output import echo_lines
from worklog.cli.session import Session, session
from worklog.day import plan as pl
from worklog.day import report as rp
from worklog.errors import UsageError, WorklogError
from worklog.format.dates import parse_day, typed_range
from worklog.format.document import Document, Entry
from worklog.format.writer import Style, render_append
from worklog.store.logfile import LogFile, Tail

#: Past this, ``stop`` wants ``--at`` to end a range left running on an earlier day.
LONGEST_UNATTENDED = 12 * 60
BAR_WIDTH = 30

DateOption = Annotated[str | None, typer.Option(
    "--date", help="The day (2026-11-25, yesterday...); today by default.")]
AtOption = Annotated[str | None, typer.Option(
    "--at", help="The time to write (9:40) instead of now.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/CLI.md).")]


def register(app: typer.Typer) -> None:
    app.command("today")(today)
    app.command("plan")(plan)
    app.command("start")(start)
    app.command("stop")(stop)
    app.command("done")(done)
    app.command("drop")(drop)
    app.command("report")(report)


# --- helpers ----------------------------------------------------------------------------


def _at(sess: Session, at: str | None) -> pl.HM:
    if at is None:
        return pl.hm_of(sess.now())
    hm = pl.parse_hm(at)
    if hm is None:
        raise UsageError(f"--at: {at!r} is not a time like 9:40")
    return hm


def _day(sess: Session, value: str | None) -> date:
    if value is None:
        return sess.today()
    return parse_day(value, sess.today(), option="--date", day_first=sess.day_order)


def _write(log: LogFile, tail: Tail, new_text: str) -> None:
    """Replace the tail's text with ``new_text`` (the log checks the encoding can hold it)."""
    log.replace_tail(tail, new_text)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _printable(text: str) -> str:
    """Text a terminal can take: bytes the file's encoding could not decode (kept in the
    file as they are) are shown as U+FFFD."""
    return _SURROGATE_RE.sub("\ufffd", text)


def _print_json(data: dict[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = json.dumps(data, indent=2)  # undecodable bytes as \udcXX escapes
    typer.echo(text)


def _say(lines: Sequence[str]) -> None:
    for line in lines:
        typer.echo(line, err=True)


def _edit_plan(ctx: typer.Context, make: Callable[[Entry], pl.Edit], what: str) -> None:
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
    tail = log.load_tail(pl.enough_for(day, previous=True))
    view = pl.day_view(tail.doc.entries, day, sess.now())
    if as_json:
        _print_json(view_record(view))
    else:
        echo_lines(_printable(line) for line in render_view(sess, view))


def view_record(view: pl.DayView) -> dict[str, Any]:
    """The ``today --json`` object (docs/CLI.md)."""
    running = view.running
    left = view.left_running
    return {
        "date": view.day.isoformat(),
        "planned": view.plan is not None,
        "plan_stamp": view.plan.stamp.iso if view.plan is not None else None,
        "start": view.start,
        "worked_minutes": view.worked_minutes,
        "running": None if running is None else {
            "n": running.n, "since": pl.format_hm(running.since, pad=True),
            "minutes": running.minutes},
        "carried_from_plan": view.source.stamp.iso if view.source is not None else None,
        "left_running": None if left is None or view.source is None else {
            "date": view.source.day.isoformat(), "n": left.n,
            "since": pl.format_hm(left.ranges[-1].start, pad=True)},
        "items": [{
            "n": item.n,
            "text": item.text,
            "state": item.state,
            "ranges": [str(r) for r in item.ranges],
            "minutes": item.minutes,
            "carried_from": item.carried_from.isoformat() if item.carried_from else None,
        } for item in view.items],
        "entries": [{
            "stamp": entry.stamp.iso,
            "stamp_text": entry.stamp.text,
            "kind": entry.kind,
            "tags": list(entry.tags),
            "summary": pl.entry_summary(entry),
        } for entry in view.entries],
    }


def _ranges_text(item: pl.PlanItem) -> str:
    return " ".join(pl.format_hm(r.start) + "-" + (pl.format_hm(r.end) if r.end else "")
                    for r in item.ranges)


def _header(sess: Session, view: pl.DayView) -> str:
    parts = [sess.style(f"{view.day:%a} {view.day.isoformat()}", bold=True)]
    if view.plan is None:
        return parts[0]
    parts.append(f"start {view.start or '?'}")
    parts.append(f"worked {pl.format_minutes(view.worked_minutes)}")
    running = view.running
    if running is not None:
        since = pl.format_hm(running.since)
        parts.append(f"running {running.n}) since {since}" + (
            f", {pl.format_minutes(running.minutes)}" if running.minutes is not None
            else ", left open: not counted"))
    return "  ".join(parts)


def _item_line(sess: Session, item: pl.PlanItem, width: int | None) -> str:
    """An item; ``width`` is the ranges column's (None: no ranges nor minutes columns)."""
    origin = f"  (from {item.carried_from.isoformat()})" if item.carried_from else ""
    line = f"{item.n:>3}) {item.state:<7}  "
    if width is not None:
        minutes = pl.format_minutes(item.minutes) if item.minutes else ""
        line += f"{_ranges_text(item):<{width}}  {minutes:>5}  "
    line += item.text
    if item.state == "active":
        return sess.style(line, fg="green", bold=True) + sess.style(origin, dim=True)
    if item.state in ("done", "dropped"):
        return sess.style(line + origin, dim=True)
    return line + sess.style(origin, dim=True)


def _entry_line(sess: Session, entry: Entry) -> str:
    tags = ", ".join(entry.tags)
    return (sess.style(f"{entry.stamp.when:%H:%M}", fg="cyan") + f"  {entry.kind:<8}  "
            + (f"{tags}  " if tags else "") + pl.entry_summary(entry))


def render_view(sess: Session, view: pl.DayView) -> list[str]:
    """``today`` for a person: compact, colour on a terminal."""
    lines = [_header(sess, view)]
    if view.plan is None:
        if view.source is None:
            lines.append('  no plan yet: `worklog plan "first item"` starts one')
        else:
            lines.append(f"  no plan yet: `worklog plan` writes this one, carried over from "
                         f"the plan of {view.source.day.isoformat()}")
        for item in view.items:
            lines.append(_item_line(sess, item, None))
        left = view.left_running
        if left is not None and view.source is not None:
            lines.append(sess.style(
                f"  note: item {left.n} of {view.source.day.isoformat()} was left running "
                f"since {pl.format_hm(left.ranges[-1].start)} (not counted); "
                "`worklog stop --at H:MM` ends it", fg="yellow"))
    else:
        width = max((len(_ranges_text(i)) for i in view.items), default=0)
        lines.extend(_item_line(sess, item, width) for item in view.items)
        if not view.items:
            lines.append('  no items: `worklog plan "text"` adds one')
    if view.entries:
        lines.append("")
        lines.extend(_entry_line(sess, entry) for entry in view.entries)
    return lines


# --- plan -------------------------------------------------------------------------------


def _day_start(entries: Sequence[Entry], day: date, now: datetime, start: str | None) -> pl.HM:
    """``--start``, else the time of the day's first entry (Notepad stamps the file when
    it is first opened in the morning), else now."""
    if start is not None:
        hm = pl.parse_hm(start)
        if hm is None:
            raise UsageError(f"--start: {start!r} is not a time like 8:50")
        return hm
    first = next((e for e in entries if e.day == day), None)
    return pl.hm_of(first.stamp.when if first is not None else now)


def plan(
    ctx: typer.Context,
    items: Annotated[list[str] | None, typer.Argument(
        help="New items, one argument each.")] = None,
    start: Annotated[str | None, typer.Option(
        "--start", help="The day's start (8:50); else the time of the day's first entry.")]
    = None,
    no_carry: Annotated[bool, typer.Option(
        "--no-carry", help="Do not carry over the open items of the last plan.")] = False,
) -> None:
    """Write the day's plan: the open items of the last plan carried over, then ITEMs.
    When the day has a plan, ITEMs are added to it."""
    sess = session(ctx)
    log = sess.log
    now, day = sess.now(), sess.today()
    texts = [pl.clean_item_text(text) for text in items or []]
    if not log.exists() or log.path.stat().st_size == 0:
        body = pl.new_plan_body(_day_start([], day, now, start), pl.DEFAULT_SECTION, [], texts)
        log.append([pl.PLAN_TAG], body, now)
        _say([f"planned {day} in {sess.log_path} (new file): {len(texts)} new item(s)"])
        return
    tail = log.load_tail(pl.enough_for(day, previous=not no_carry))
    doc = tail.doc
    existing = pl.latest_plan(doc.entries, day)
    if existing is not None:
        if not texts:
            _say([f"{day} has a plan already ({existing.stamp.text}): nothing written; "
                  '`worklog plan "text"` adds an item to it'])
            return
        edit = pl.add_items(existing, texts, doc.newline)
        _write(log, tail, edit.apply(doc.text))
        _say(edit.notes)
        return
    source = None if no_carry else pl.previous_plan(doc.entries, day)
    carried = pl.carry_over(source)
    title = pl.section_title(source)
    body = pl.new_plan_body(_day_start(doc.entries, day, now, start), title, carried, texts)
    stamp = doc.writing_shape().format(now)
    style = Style(doc.newline, doc.text[-4:], bool(doc.entries))
    _write(log, tail, doc.text + render_append(style, stamp, [pl.PLAN_TAG], body))
    origin = f" carried from {source.day}" if source is not None else ""
    _say([f"planned {day} ({stamp}): {len(carried)} item(s){origin}, {len(texts)} new"])


# --- start, stop, done, drop ------------------------------------------------------------


def start(
    ctx: typer.Context,
    n: Annotated[int, typer.Argument(help="The item's number in today's plan.")],
    at: AtOption = None,
    reopen: Annotated[bool, typer.Option(
        "--reopen", help="Start a done or dropped item again (its marker is taken out).")]
    = False,
) -> None:
    """Start working on item N: opens a range H:MM- on it, ending any other open range."""
    hm = _at(session(ctx), at)
    _edit_plan(ctx, lambda p: pl.start_item(p, n, hm, reopen=reopen), f"start {n}")


def done(
    ctx: typer.Context,
    n: Annotated[int, typer.Argument(help="The item's number in today's plan.")],
    at: AtOption = None,
) -> None:
    """Mark item N (done), ending its open range."""
    hm = _at(session(ctx), at)
    _edit_plan(ctx, lambda p: pl.mark_item(p, n, "done", hm), f"done {n}")


def drop(
    ctx: typer.Context,
    n: Annotated[int, typer.Argument(help="The item's number in today's plan.")],
    at: AtOption = None,
) -> None:
    """Mark item N (dropped), ending its open range."""
    hm = _at(session(ctx), at)
    _edit_plan(ctx, lambda p: pl.mark_item(p, n, "dropped", hm), f"drop {n}")


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
    sess = session(ctx)
    log = sess.log
    day = sess.today()
    hm = _at(sess, at)
    tail = log.load_tail(_enough_for_stop(day))
    target = _running_plan(tail.doc, day)
    if target is None:
        _say([f"nothing is running: {day} has no plan yet"])
        return
    edit = pl.stop_running(target, hm)
    if not edit.changed:
        _say([f"nothing is running in the plan of {target.day}"])
        return
    if target.day != day:
        running = next(i for i in pl.plan_items(target) if i.state == "active")
        since = running.ranges[-1].start
        elapsed = ((day - target.day).days * 1440 + hm[0] * 60 + hm[1]
                   - since[0] * 60 - since[1])
        if at is None and elapsed > LONGEST_UNATTENDED:
            raise WorklogError(
                f"item {running.n} of {target.day} was left running since "
                f"{pl.format_hm(since)}: say when it ended with `worklog stop --at H:MM`")
        edit.notes.append(f"(in the plan of {target.day})")
    _write(log, tail, edit.apply(tail.doc.text))
    _say(edit.notes)


# --- report -----------------------------------------------------------------------------


def _period(sess: Session, day: bool, week: bool, month: bool, since: str | None,
            until: str | None) -> tuple[date, date]:
    chosen = sum([day, week, month])
    if chosen > 1 or (chosen and (since or until)):
        raise UsageError("choose one of --day, --week, --month, or --since/--until")
    today_ = sess.today()
    if since or until:
        first, last = typed_range(since, until, today_, day_first=sess.day_order)
        start, end = first or date.min, last or today_
        if start > end:
            raise UsageError(f"--since {start} is after --until {end}")
        return start, end
    if day:
        return today_, today_
    if month:
        return today_.replace(day=1), today_
    return today_ - timedelta(days=today_.weekday()), today_


def report(
    ctx: typer.Context,
    day: Annotated[bool, typer.Option("--day", help="Today.")] = False,
    week: Annotated[bool, typer.Option("--week", help="This week, from Monday (default).")]
    = False,
    month: Annotated[bool, typer.Option("--month", help="This month.")] = False,
    since: Annotated[str | None, typer.Option(help="From this day on (2026-11-02, "
                                                   "last monday, 2 weeks ago).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this day, included.")] = None,
    by: Annotated[str, typer.Option("--by", help="Rows by day, item or tag.")] = "day",
    as_json: JsonOption = False,
) -> None:
    """Time worked, from the ranges of the day plans (the last plan of each day)."""
    sess = session(ctx)
    if by not in rp.BY_CHOICES:
        raise UsageError(f"--by: {by!r} is not one of {', '.join(rp.BY_CHOICES)}")
    by_ = next(b for b in rp.BY_CHOICES if b == by)
    first, last = _period(sess, day, week, month, since, until)
    log = sess.log
    tail = log.load_tail(rp.enough_for(first, last, by_))
    result = rp.build(tail.doc.entries, first, last, by_)
    if as_json:
        _print_json(report_record(result))
    else:
        echo_lines(_printable(line) for line in render_report(sess, result))


def report_record(result: rp.Report) -> dict[str, Any]:
    return {
        "since": result.since.isoformat() if result.since != date.min else None,
        "until": result.until.isoformat(),
        "by": result.by,
        "total_minutes": result.total_minutes,
        "rows": [{"key": row.key, "minutes": row.minutes,
                  "days": [d.isoformat() for d in row.days]} for row in result.rows],
        "not_counted": [{"date": o.day.isoformat(), "n": o.n,
                         "since": pl.format_hm(o.since, pad=True)} for o in result.open_ranges],
    }


def render_report(sess: Session, result: rp.Report) -> list[str]:
    since = "the start" if result.since == date.min else result.since.isoformat()
    lines = [sess.style(f"time worked {since} .. {result.until}, by {result.by}", bold=True)]
    labels = [f"{date.fromisoformat(r.key):%a} {r.key}" if result.by == "day" else r.key
              for r in result.rows]
    width = min(max((len(label) for label in labels), default=0), 60)
    top = max((r.minutes for r in result.rows), default=0)
    bars = sess.color()
    for label, row in zip(labels, result.rows, strict=True):
        shown = label if len(label) <= width else label[: width - 1] + "…"
        line = f"{shown:<{width}}  {pl.format_minutes(row.minutes):>6}"
        if bars and top:
            line += "  " + sess.style("█" * max(1 if row.minutes else 0,
                                                 round(BAR_WIDTH * row.minutes / top)),
                                      fg="green")
        lines.append(line)
    lines.append(f"{'total':<{width}}  {pl.format_minutes(result.total_minutes):>6}")
    if result.by == "tag":
        lines.append("(an item with several tags counts under each)")
    for item in result.open_ranges:
        lines.append(f"not counted: item {item.n} of {item.day} running since "
                     f"{pl.format_hm(item.since)}")
    return lines

