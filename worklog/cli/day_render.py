"""How the day commands show their results: ``today`` and ``report`` as text for a
person (compact, colour on a terminal) and as the JSON objects of docs/CLI.md."""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING, Any

from worklog.cli.session import Session
from worklog.day import plan as pl
from worklog.format import items as it
from worklog.format.document import Entry

if TYPE_CHECKING:
    from worklog.day import evidence as ev
    from worklog.day import report as rp
    from worklog.day import timesheet as ts
    from worklog.history.todo_cache import OpenTodos

BAR_WIDTH = 30


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
            "n": running.n, "since": it.format_hm(running.since, pad=True),
            "minutes": running.minutes},
        "carried_from_plan": view.source.stamp.iso if view.source is not None else None,
        "left_running": None if left is None or view.source is None else {
            "date": view.source.day.isoformat(), "n": left.n,
            "since": it.format_hm(left.ranges[-1].start, pad=True)},
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
    return " ".join(it.format_hm(r.start) + "-" + (it.format_hm(r.end) if r.end else "")
                    for r in item.ranges)


def _header(sess: Session, view: pl.DayView) -> str:
    parts = [sess.style(f"{view.day:%a} {view.day.isoformat()}", bold=True)]
    if view.plan is None:
        return parts[0]
    parts.append(f"start {view.start or '?'}")
    parts.append(f"worked {it.format_minutes(view.worked_minutes)}")
    running = view.running
    if running is not None:
        since = it.format_hm(running.since)
        parts.append(f"running {running.n}) since {since}" + (
            f", {it.format_minutes(running.minutes)}" if running.minutes is not None
            else ", left open: not counted"))
    return "  ".join(parts)


def _item_line(sess: Session, item: pl.PlanItem, width: int | None) -> str:
    """An item; ``width`` is the ranges column's (None: no ranges nor minutes columns)."""
    origin = f"  (from {item.carried_from.isoformat()})" if item.carried_from else ""
    line = f"{item.n:>3}) {item.state:<7}  "
    if width is not None:
        minutes = it.format_minutes(item.minutes) if item.minutes else ""
        line += f"{_ranges_text(item):<{width}}  {minutes:>5}  "
    line += item.text
    if item.state == "active":
        return sess.style(line, fg="green", bold=True) + sess.style(origin, dim=True)
    if item.state in ("done", "dropped"):
        return sess.style(line + origin, dim=True)
    return line + sess.style(origin, dim=True)


def _entry_line(sess: Session, entry: Entry) -> str:
    tags = ", ".join(entry.tags)
    clock = f"{entry.stamp.when:%H:%M}" if entry.stamp.has_time else "--:--"  # a day heading
    return (sess.style(clock, fg="cyan") + f"  {entry.kind:<8}  "
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
                f"since {it.format_hm(left.ranges[-1].start)} (not counted); "
                "`worklog stop --at H:MM` ends it", fg="yellow"))
    else:
        width = max((len(_ranges_text(i)) for i in view.items), default=0)
        lines.extend(_item_line(sess, item, width) for item in view.items)
        if not view.items:
            lines.append('  no items: `worklog plan "text"` adds one')
        lines.extend(sess.style(f"  not counted: item {item.n}: {_impossible(r)}", fg="yellow")
                     for item in view.items for r in item.ranges if r.impossible)
    if view.entries:
        lines.append("")
        lines.extend(_entry_line(sess, entry) for entry in view.entries)
    return lines


def todos_record(todos: OpenTodos | None) -> dict[str, Any]:
    """The ``todos`` object of ``today --json``: how many TODO items are open and the
    oldest three, as ``worklog todo --json`` names their fields (None: no log)."""
    if todos is None:
        return {"open": 0, "oldest": []}
    return {"open": todos.count, "oldest": [{
        "stamp": todo.stamp,
        "stamp_text": todo.stamp_text,
        "n": todo.n,
        "text": todo.text,
    } for todo in todos.oldest]}


def render_todos(sess: Session, todos: OpenTodos) -> list[str]:
    """``today``'s lines on the open TODO items: none when there are none."""
    count = todos.count
    if not count:
        return []
    more = f", the oldest {len(todos.oldest)}" if count > len(todos.oldest) else ""
    lines = ["", sess.style(f"{count} open TODO{'s' if count != 1 else ''}"
                            f"{more} (`worklog todo` lists them all):", bold=True)]
    lines.extend(f"  {todo.stamp_text}  {todo.n}) {todo.text}" for todo in todos.oldest)
    return lines


def _impossible(rng: it.Range) -> str:
    assert rng.end is not None
    return (f"{it.format_hm(rng.start)}-{it.format_hm(rng.end)} ends before it starts "
            "(`worklog check` lists it)")


def _hm(hm: it.HM) -> str:
    return it.format_hm(hm, pad=True)


def signed_minutes(minutes: int) -> str:
    """``+0h30``, ``-13h38``: a balance."""
    return ("-" if minutes < 0 else "+") + it.format_minutes(abs(minutes))


def _day_record(stat: ts.DayStat) -> dict[str, Any]:
    return {
        "date": stat.day.isoformat(), "worked_minutes": stat.worked,
        "target_minutes": stat.target, "balance_minutes": stat.balance,
        "planned": stat.planned, "done": stat.done, "dropped": stat.dropped,
        "gaps": [{"start": _hm(g.start), "end": _hm(g.end), "minutes": g.minutes}
                 for g in stat.gaps],
        "overlaps": [{"items": [o.a, o.b], "start": _hm(o.start), "end": _hm(o.end),
                      "minutes": o.minutes} for o in stat.overlaps],
    }


def _evidence_record(found: list[ev.DayEvidence]) -> list[dict[str, Any]]:
    return [{
        "date": day.day.isoformat(),
        "outside": [{"start": f"{a.start:%Y-%m-%dT%H:%M:%S}", "end": f"{a.end:%Y-%m-%dT%H:%M:%S}",
                     "kind": a.what, "summary": a.summary, "line": a.line} for a in day.outside],
        "idle": [{"n": w.n, "item": w.text, "start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}"}
                 for w in day.idle],
    } for day in found]


def report_record(result: rp.Report,
                  evidence: list[ev.DayEvidence] | None = None) -> dict[str, Any]:
    """The ``report --json`` object (docs/CLI.md)."""
    return {
        "since": result.since.isoformat() if result.since != date.min else None,
        "until": result.until.isoformat(),
        "by": result.by,
        "total_minutes": result.total_minutes,
        "rows": [{"key": row.key, "minutes": row.minutes,
                  "days": [d.isoformat() for d in row.days]} for row in result.rows],
        "not_counted": [{"date": o.day.isoformat(), "n": o.n,
                         "since": it.format_hm(o.since, pad=True)} for o in result.open_ranges],
        "round_minutes": result.round_to or None,
        "target_minutes": result.target_minutes,
        "balance_minutes": result.balance_minutes,
        "days": [_day_record(stat) for stat in result.days],
        "carried": [{"item": c.key, "first": c.first.isoformat(), "days": c.days,
                     "state": c.state} for c in result.carried],
        "evidence": None if evidence is None else _evidence_record(evidence),
    }


CSV_COLUMNS = ("key", "minutes", "hours", "days", "target_minutes", "balance_minutes")


def report_csv(result: rp.Report) -> str:
    """The ``report --csv`` rows (docs/CLI.md): by day, every day of the period."""
    import csv  # noqa: PLC0415  (only for report --csv)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    if result.by == "day":
        for stat in result.days:
            writer.writerow([stat.day.isoformat(), stat.worked, f"{stat.worked / 60:.2f}",
                             stat.day.isoformat(), _blank(stat.target), _blank(stat.balance)])
    else:
        for row in result.rows:
            writer.writerow([row.key, row.minutes, f"{row.minutes / 60:.2f}",
                             " ".join(d.isoformat() for d in row.days), "", ""])
    return out.getvalue()


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)


def _report_notes(result: rp.Report) -> list[str]:
    """Target and balance; by day each day's items done, gaps, overlaps and balance; by
    item the carried items."""
    lines = []
    if result.round_to:
        lines.append(f"(each item's time of a day rounded to {it.format_minutes(result.round_to)})")
    target = result.target_minutes
    if target is not None:
        lines.append(f"target {it.format_minutes(target)} over {len(result.days)} day(s), "
                     f"balance {signed_minutes(result.total_minutes - target)}")
    for stat in result.days if result.by == "day" else ():
        parts = []
        if stat.planned:
            parts.append(f"{stat.done} of {stat.planned} done"
                         + (f", {stat.dropped} dropped" if stat.dropped else ""))
        parts += [f"gap {_hm(g.start)}-{_hm(g.end)} ({it.format_minutes(g.minutes)})"
                  for g in stat.gaps]
        parts += [f"items {o.a} and {o.b} overlap {_hm(o.start)}-{_hm(o.end)} "
                  f"({it.format_minutes(o.minutes)} counted twice)" for o in stat.overlaps]
        if stat.balance is not None and (stat.planned or stat.target):
            parts.append(f"balance {signed_minutes(stat.balance)}")
        if parts:
            lines.append(f"{stat.day:%a} {stat.day.isoformat()}: " + "; ".join(parts))
    lines.extend(f"carried {c.days} day(s) since {c.first}: {c.key} ({c.state})"
                 for c in (result.carried if result.by == "item" else ()))
    return lines


def _evidence_lines(found: list[ev.DayEvidence]) -> list[str]:
    lines = ["evidence (activity outside every worked range, ranges without activity):"]
    for day in found:
        lines.append(f"{day.day:%a} {day.day.isoformat()}")
        lines.extend(f"  {a.start:%H:%M} outside  {a.what}: {a.summary} (line {a.line})"
                     for a in day.outside)
        lines.extend(f"  {w.start:%H:%M}-{w.end:%H:%M} no activity  item {w.n}: {w.text}"
                     for w in day.idle)
    if not found:
        lines.append("  none: every activity is in a range and every range has some")
    return lines


def render_report(sess: Session, result: rp.Report,
                  evidence: list[ev.DayEvidence] | None = None) -> list[str]:
    since = "the start" if result.since == date.min else result.since.isoformat()
    lines = [sess.style(f"time worked {since} .. {result.until}, by {result.by}", bold=True)]
    labels = [f"{date.fromisoformat(r.key):%a} {r.key}" if result.by == "day" else r.key
              for r in result.rows]
    width = min(max((len(label) for label in labels), default=0), 60)
    top = max((r.minutes for r in result.rows), default=0)
    bars = sess.color()
    for label, row in zip(labels, result.rows, strict=True):
        shown = label if len(label) <= width else label[: width - 1] + "…"
        line = f"{shown:<{width}}  {it.format_minutes(row.minutes):>6}"
        if bars and top:
            line += "  " + sess.style("█" * max(1 if row.minutes else 0,
                                                 round(BAR_WIDTH * row.minutes / top)),
                                      fg="green")
        lines.append(line)
    lines.append(f"{'total':<{width}}  {it.format_minutes(result.total_minutes):>6}")
    if result.by == "tag":
        lines.append("(an item with several tags counts under each)")
    for item in result.open_ranges:
        lines.append(f"not counted: item {item.n} of {item.day} running since "
                     f"{it.format_hm(item.since)}")
    for bad in result.impossible:
        lines.append(f"not counted: item {bad.n} of {bad.day}: {_impossible(bad.range)}")
    lines.extend(_report_notes(result))
    if evidence is not None:
        lines.extend(_evidence_lines(evidence))
    return lines

