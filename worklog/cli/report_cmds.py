"""report: the time worked from the ranges of the day plans, a timesheet with its
target and balance, and the evidence of the log against it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer

from worklog.cli.completion import choices
from worklog.cli.day_cmds import JsonOption, _print_json, _printable
from worklog.cli.day_render import render_report, report_csv, report_record
from worklog.cli.output import echo_lines
from worklog.cli.session import Session, session
from worklog.day import report as rp
from worklog.errors import UsageError
from worklog.format.dates import parse_duration, typed_range


def register(app: typer.Typer) -> None:
    app.command("report")(report)


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
    since: Annotated[str | None, typer.Option(metavar="DAY", help="From this day on "
                                              "(2026-11-02, last monday, 2 weeks ago).")]
    = None,
    until: Annotated[str | None, typer.Option(metavar="DAY",
                                              help="Up to this day, included.")] = None,
    by: Annotated[str, typer.Option("--by", metavar="BY", autocompletion=choices(rp.BY_CHOICES),
                                    help="Rows by day, item or tag.")] = "day",
    round_to: Annotated[str | None, typer.Option(
        "--round", metavar="DURATION",
        help="Round each item's time of a day to the nearest 15m, 6m, 1h...")] = None,
    evidence: Annotated[bool, typer.Option(
        "--evidence", help="Also list, per day, activity outside every worked range and "
                           "ranges with no activity.")] = False,
    as_csv: Annotated[bool, typer.Option(
        "--csv", help="Print the rows as CSV (`worklog help commands` has the columns).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Time worked, from the ranges of the day plans (the last plan of each day), with
    gaps, overlaps, items planned and done, carried items, and the balance against the
    daily target of the configuration."""
    sess = session(ctx)
    if by not in rp.BY_CHOICES:
        raise UsageError(f"--by: {by!r} is not one of {', '.join(rp.BY_CHOICES)}")
    if as_csv and as_json:
        raise UsageError("--csv: not with --json")
    by_ = next(b for b in rp.BY_CHOICES if b == by)
    step = 0 if round_to is None else parse_duration(round_to, option="--round")
    if round_to is not None and step == 0:
        raise UsageError(f"--round: {round_to!r} rounds to nothing; give a duration like 15m")
    first, last = _period(sess, day, week, month, since, until)
    from worklog.history.report_period import period_report  # noqa: PLC0415
    with sess.log.mapped() as buf:
        read = period_report(sess.timeline(buf), first, last, by_,
                             round_to=step, target=sess.config.target,
                             with_evidence=evidence)
    result, found = read.report, read.evidence
    if as_csv:
        typer.echo(report_csv(result), nl=False)
    elif as_json:
        _print_json(report_record(result, found))
    else:
        echo_lines(_printable(line) for line in render_report(sess, result, found))
