"""grep, show, tags, export: finding things in the history (docs/CLI.md, "Searching").

``grep`` searches the file's bytes and parses only the entries that match
(``worklog.history.search``); ``tags`` and ``export`` read the log a piece at a time,
from where their first day starts (``worklog.history.timeline``).
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from worklog.cli.completion import choices, complete_format
from worklog.cli.core_cmds import KIND_CHOICES, entry_filter
from worklog.cli.session import Session, session
from worklog.errors import EXIT_FAILED, UsageError, WorklogError
from worklog.format.dates import parse_day, stamp_candidates

if TYPE_CHECKING:
    from worklog.format.document import Entry
    from worklog.history.filters import EntryFilter
    from worklog.history.search import Hit, Query
    from worklog.history.selection import Selection
    from worklog.history.timeline import Timeline

SinceOption = Annotated[str | None, typer.Option(
    "--since", metavar="DAY",
    help="From this day on (2014-02-11, yesterday, last monday, 2 weeks ago).")]
UntilOption = Annotated[str | None, typer.Option(
    "--until", metavar="DAY", help="Up to this day, included.")]
TagOption = Annotated[list[str] | None, typer.Option(
    "--tag", metavar="TAG", help="Only entries with this tag (repeat for all of several).")]
KindOption = Annotated[str | None, typer.Option(
    "--kind", metavar="KIND", autocompletion=choices(KIND_CHOICES),
    help=f"Only entries of this kind: {', '.join(KIND_CHOICES)}.")]

MATCH_STYLE: dict[str, Any] = {"fg": "red", "bold": True}


def register(app: typer.Typer) -> None:
    app.command("grep")(grep)
    app.command("show")(show)
    app.command("tags")(tags)
    app.command("export")(export)


def _as_written(exc: UnicodeError) -> tuple[str | bytes, int]:
    """Encoding errors on output: a byte of the log no character stands for (held as
    U+DC80..U+DCFF) goes out as that byte; a lone UTF-16 surrogate as U+FFFD."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = b"".join(bytes([ord(ch) - 0xDC00]) if 0xDC80 <= ord(ch) <= 0xDCFF
                   else "\ufffd".encode(exc.encoding, "replace")
                   for ch in exc.object[exc.start : exc.end])
    return out, exc.end


def _replaced(exc: UnicodeError) -> tuple[str | bytes, int]:
    """For JSON, which must stay valid UTF-8: every such character as U+FFFD."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "\ufffd".encode(exc.encoding, "replace") * (exc.end - exc.start), exc.end


codecs.register_error("worklog-as-written", _as_written)
codecs.register_error("worklog-replaced", _replaced)


def _stdout(*, for_json: bool = False) -> io.TextIOBase | Any:
    """Standard output that cannot fail on what a log holds: undecodable bytes go out
    as they were (as U+FFFD in JSON), lone UTF-16 surrogates as U+FFFD."""
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):
        out.reconfigure(errors="worklog-replaced" if for_json else "worklog-as-written")
    return out


@dataclasses.dataclass
class _Reader:
    left: bool = False


@contextlib.contextmanager
def reader_may_leave() -> Iterator[_Reader]:
    """A reader that stops early (``| head``, quitting ``less``) is not an error: the
    rest of the output goes nowhere and the command succeeds (it had output)."""
    reader = _Reader()
    try:
        yield reader
    except BrokenPipeError:
        reader.left = True
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())


def _lf(text: str) -> str:
    """Text with CRLF and lone CR line breaks written as LF (for a terminal or a pipe)."""
    if "\r" not in text:  # most logs: nothing to change, no copy
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- grep ------------------------------------------------------------------------------


def grep(
    ctx: typer.Context,
    pattern: Annotated[str, typer.Argument(
        metavar="PATTERN",
        help="A Python regular expression matched line by line (-F: a plain string).")],
    ignore_case: Annotated[bool, typer.Option("--ignore-case", "-i",
                                              help="Ignore case.")] = False,
    fixed: Annotated[bool, typer.Option("--fixed-strings", "-F",
                                        help="PATTERN is a plain string.")] = False,
    since: SinceOption = None,
    until: UntilOption = None,
    on: Annotated[str | None, typer.Option("--on", metavar="DAY",
                                                         help="Only this day.")] = None,
    tag: TagOption = None,
    kind: KindOption = None,
    count: Annotated[bool, typer.Option("--count", "-c",
                                        help="Print only how many entries match.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array of the entries "
                                          "(the export contract).")] = False,
) -> None:
    """Every entry with a line matching PATTERN, whole, with its stamp and line number.

    Exit status as grep's: 0 when an entry matches, 1 when none does."""
    from worklog.history.search import Query, Searcher, keep_filter  # noqa: PLC0415

    sess = session(ctx)
    if on is not None and (since is not None or until is not None):
        raise UsageError("--on: not with --since or --until")
    flt = entry_filter(sess, since, until, tag, kind)
    if on is not None:
        day = parse_day(on, sess.today(), option="--on", day_first=sess.day_order)
        flt = dataclasses.replace(flt, since=day, until=day)
    if count and as_json:
        raise UsageError("--count: not with --json")
    query = Query(pattern, ignore_case=ignore_case, fixed=fixed)
    query.line_re  # noqa: B018 - a bad pattern is a usage error before the file is read
    keep = keep_filter(flt)
    found = 0
    with reader_may_leave() as reader, sess.log.mapped() as buf:
        searcher = Searcher(buf, query, sess.config.parse_options, _stretch(buf, sess, flt))
        if count:
            found = searcher.count() if keep is None else sum(1 for _ in searcher.hits(keep))
            typer.echo(str(found))
        elif as_json:
            found = _write_json(searcher.hits(keep))
        else:
            found = _write_hits(sess, searcher.hits(keep), query)
    if not found and not reader.left:
        raise typer.Exit(EXIT_FAILED)


def _stretch(buf: bytes | Any, sess: Session, flt: EntryFilter) -> tuple[int, int, int] | None:
    """The stretch of the file a day range lies in (found by seeking), else None."""
    if flt.since is None and flt.until is None:
        return None
    bounds = sess.timeline(buf).bounds(flt.since, flt.until)
    return bounds.start, bounds.stop, bounds.first_line


def _write_json(hits: Iterable[Hit]) -> int:
    from worklog.history.export import entry_record, json_array  # noqa: PLC0415

    found = 0

    def records() -> Iterator[dict[str, Any]]:
        nonlocal found
        for hit in hits:
            found += 1
            yield entry_record(hit.entry)

    out = _stdout(for_json=True)
    for piece in json_array(records()):
        out.write(piece)
    out.flush()
    return found


def _write_hits(sess: Session, hits: Iterable[Hit], query: Query) -> int:
    """Piped: ``FILE:LINE:`` then the entry as written. On a terminal: a header line
    (stamp, line, kind, tags) and the entry's text, matches highlighted."""
    out = _stdout()
    path = str(sess.log_path)
    color = sess.color()
    found = 0
    for hit in hits:
        found += 1
        if color:
            out.write(_terminal_entry(sess, hit, query))
            out.flush()
            continue
        text = _lf(hit.source)
        out.write(f"{path}:{hit.line}:{text}" + ("" if text.endswith("\n") else "\n"))
    out.flush()
    return found


def highlight(line: str, query: Query) -> str:
    """``line`` with the pattern's matches styled (for a terminal)."""
    spans = query.spans(line)
    if not spans:
        return line
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(line[pos:start])
        out.append(typer.style(line[start:end], **MATCH_STYLE))
        pos = end
    out.append(line[pos:])
    return "".join(out)


def _terminal_entry(sess: Session, hit: Hit, query: Query) -> str:
    entry = hit.entry
    stamp = typer.style(highlight(entry.lines[0][0], query), fg="cyan", bold=True)
    where = typer.style(f"{sess.log_path}:{hit.line}", fg="magenta")
    details = [where, typer.style(entry.kind, fg="yellow")]
    if entry.has_tags_line:
        details.append(highlight(entry.lines[1][0], query))
    body = [highlight(line, query) for line in entry.text_lines]
    return "  ".join([stamp, *details]) + "\n" + "".join(f"{line}\n" for line in body) + "\n"


# --- show ------------------------------------------------------------------------------


def show(
    ctx: typer.Context,
    stamp: Annotated[
        str | None, typer.Argument(metavar="STAMP",
                                   help='An entry\'s stamp, e.g. "10:20 2014-02-11".')
    ] = None,
    last: Annotated[int | None, typer.Option("--last", "-n", min=1, metavar="N",
                                                        help="The last N entries.")]
    = None,
    links: Annotated[bool, typer.Option(
        "--links/--no-links", help="With STAMP: also the entries it links to (see\"STAMP\") "
        "and the entries that link to it.")] = True,
) -> None:
    """Entries exactly as they stand in the file: one by its stamp (with the entries it
    links to and those linking to it), or the last N."""
    sess = session(ctx)
    with reader_may_leave():
        _show(sess, stamp, last, links)


def _show(sess: Session, stamp: str | None, last: int | None, links: bool) -> None:
    if stamp is not None:
        if last is not None:
            raise UsageError("--last: not with a STAMP")
        with sess.log.mapped() as buf:
            _show_stamp(sess, buf, stamp, links)
        return
    count = last or 1
    tail = sess.log.load_tail(lambda d: len(d.entries) >= count)
    _print_entries(sess, tail.doc.entries[-count:])


def _show_stamp(sess: Session, buf: bytes | Any, stamp: str, links: bool) -> None:
    """The entries stamped ``stamp``, found by seeking to their day; with ``links``, the
    entries they link to (each found the same way) and those linking to them (a search
    of the bytes for see\", parsing only the entries that hold one)."""
    from worklog.history.scan import YEAR_LAST  # noqa: PLC0415
    timeline = sess.timeline(buf)
    order = timeline.log.day_order
    day_first = order() if order.configured is not None or YEAR_LAST.search(stamp) else True
    found: list[Entry] = []
    for when in stamp_candidates(stamp, day_first=day_first):
        found = found or timeline.stamped(when)
    if not found:
        raise WorklogError(f"{sess.log_path}: no entry stamped {stamp!r}")
    _print_entries(sess, found)
    if links:
        _print_links(sess, timeline, found)


def _print_entries(sess: Session, entries: Iterable[Entry]) -> None:
    out = _stdout()
    for entry in entries:
        source = _lf(entry.source)
        if sess.color():
            stamp_line, _, rest = source.partition("\n")
            source = typer.style(stamp_line, fg="cyan", bold=True) + "\n" + rest
        out.write(source if source.endswith("\n") else source + "\n")
    out.flush()


def _print_links(sess: Session, timeline: Timeline, shown: list[Entry]) -> None:
    """The entries ``shown`` link to, then those that link to them, each after a
    ``-->`` or ``<--`` line."""
    from worklog.history.search import Query, Searcher  # noqa: PLC0415

    whens = {entry.stamp.when for entry in shown}
    lines = {entry.line for entry in shown}
    out = _stdout()
    for entry in shown:
        for link in dict.fromkeys(entry.links):
            targets = timeline.stamped(link)
            if not targets:
                _marker(sess, out, f"--> links to {link:%Y-%m-%d %H:%M}: no entry has "
                        "this stamp")
            for target in targets:
                _marker(sess, out, f"--> links to {target.stamp.text} (line {target.line})")
                _print_entries(sess, [target])
    linking = Searcher(timeline.buf, Query('(?i:see)"'), timeline.log.options).hits()
    for hit in linking:
        other = hit.entry
        if other.line in lines or not whens.intersection(other.links):
            continue
        _marker(sess, out, f"<-- linked from {other.stamp.text} (line {other.line})")
        _print_entries(sess, [other])


def _marker(sess: Session, out: Any, text: str) -> None:
    out.write(sess.style(text, fg="green", bold=True) + "\n")


# --- tags ------------------------------------------------------------------------------


def tags(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array of "
                                          "{tag, count, last, line}.")] = False,
) -> None:
    """Each tag with how many entries carry it and when it was last used."""
    from worklog.history.tags import log_tags  # noqa: PLC0415
    from worklog.history.timeline import Timeline  # noqa: PLC0415

    sess = session(ctx)
    with sess.log.mapped() as buf:
        uses = log_tags(Timeline(buf, sess.config.parse_options))
    if as_json:
        records = [{"tag": u.tag, "count": u.count, "last": u.last.strftime("%Y-%m-%dT%H:%M"),
                    "line": u.line} for u in uses]
        _stdout(for_json=True).write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
        return
    width = max((len(u.tag) for u in uses), default=3)
    digits = max((len(str(u.count)) for u in uses), default=1)
    out = _stdout()
    for use in uses:
        name = sess.style(use.tag.ljust(width), bold=True)
        out.write(f"{name}  {use.count:>{digits}}  {use.last:%Y-%m-%d %H:%M}\n")
    out.flush()


# --- export ----------------------------------------------------------------------------


def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option(
        "--format", metavar="FORMAT", autocompletion=complete_format,
        help="json, markdown, ics, timeclock (hledger) or csv.")] = "json",
    since: SinceOption = None,
    until: UntilOption = None,
    tag: TagOption = None,
    kind: KindOption = None,
) -> None:
    """Every entry as data (JSON), for reading (Markdown) or for calendars (iCalendar:
    entries as VJOURNAL, worked ranges as VEVENT, tasks as VTODO), in file order; the
    worked ranges as hledger's timeclock or as CSV."""
    from worklog.history import formats as export_formats  # noqa: PLC0415

    sess = session(ctx)
    if fmt not in export_formats.FORMATS:
        raise UsageError(f"--format: {fmt!r} is not a known format "
                         f"({', '.join(export_formats.FORMATS)})")
    from worklog.history.selection import Selection  # noqa: PLC0415

    flt = entry_filter(sess, since, until, tag, kind)
    with reader_may_leave(), sess.log.mapped() as buf:
        _export(sess, fmt, Selection(sess.timeline(buf), flt))


def _table_pieces(fmt: str, selected: Iterable[Entry]) -> Iterator[str]:
    """The timeclock (hledger) or CSV export of the worked ranges."""
    if fmt == "timeclock":
        from worklog.history.timeclock import timeclock  # noqa: PLC0415

        return timeclock(selected)
    from worklog.history.csv_export import csv_rows  # noqa: PLC0415

    return csv_rows(selected)


def _export(sess: Session, fmt: str, selected: Selection) -> None:
    """Written as the entries are read; Markdown and iCalendar first gather the stamps
    the entries' see"STAMP" may link to (a first, lighter pass over the stamp lines)."""
    from worklog.history import formats as export_formats  # noqa: PLC0415

    if fmt == "json":
        from worklog.history.export import entry_record, json_array  # noqa: PLC0415

        out = _stdout(for_json=True)
        for piece in json_array(entry_record(e) for e in selected()):
            out.write(piece)
        out.flush()
        return
    if fmt in ("timeclock", "csv"):
        out = _stdout()
        for piece in _table_pieces(fmt, selected()):
            out.write(piece)
        out.flush()
        return
    targets = selected.stamps()
    if fmt == "markdown":
        out = _stdout()
        for piece in export_formats.markdown(selected(), sess.log_path.name, targets):
            out.write(piece)
        out.flush()
        return
    sys.stdout.flush()
    for data in export_formats.ics_pieces(selected(), sess.log_path.name,
                                          sess.now().astimezone(), targets):
        sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
