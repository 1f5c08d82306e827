"""add and check: the commands every log needs (show and export: search_cmds)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from worklog.cli.session import Session, session
from worklog.errors import EXIT_FAILED, UsageError, WorklogError
from worklog.format.check import Problem, order_words
from worklog.format.dates import parse_moment, typed_range
from worklog.format.writer import split_tags, text_lines
from worklog.history.export import EntryFilter

NEWLINE_NAMES = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}
KIND_CHOICES = ("plan", "email", "snapshot", "command", "note")


def register(app: typer.Typer) -> None:
    app.command("add")(add)
    app.command("check")(check_cmd)


def _read_editor(sess: Session) -> str:
    editor = sess.env.get("VISUAL") or sess.env.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(prefix="worklog-", suffix=".txt")
    os.close(fd)
    try:
        try:
            status = subprocess.call([*shlex.split(editor), name])
        except OSError as exc:
            raise UsageError(f"$EDITOR: cannot run {editor!r}: {exc.strerror}") from exc
        if status != 0:
            raise WorklogError(f"$EDITOR: {editor!r} exited with {status}; nothing was written")
        return Path(name).read_text(encoding="utf-8", errors="surrogateescape")
    finally:
        Path(name).unlink(missing_ok=True)


def _read_stdin() -> str:
    data = sys.stdin.buffer.read()
    return data.decode("utf-8", errors="surrogateescape")


def add(
    ctx: typer.Context,
    text: Annotated[
        list[str] | None,
        typer.Argument(metavar="TEXT",
                       help="The entry's text; '-' reads it from stdin; none opens $EDITOR."),
    ] = None,
    tags: Annotated[
        str | None, typer.Option("--tags", "-t", metavar="TAGS",
                                 help='Tags line, e.g. "libvirt, snapshot".')
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", metavar="WHEN",
                                 help='Stamp it then ("yesterday 17:00", 9:40): it goes where '
                                      "its stamp belongs in the file.")
    ] = None,
) -> None:
    """Append an entry stamped now, in the file's own stamp shape, encoding and newlines;
    with --at, stamped then and written in its place among the entries."""
    sess = session(ctx)
    tag_list = split_tags(tags)
    when = sess.now() if at is None else _moment(sess, at)
    if text == ["-"]:
        body, source = _read_stdin(), "stdin"
    elif text:
        body, source = " ".join(text), "TEXT"
    elif sys.stdin.isatty():
        body, source = _read_editor(sess), "$EDITOR"
    else:
        body, source = _read_stdin(), "stdin"
    if not body.strip():
        raise WorklogError(f"{source}: the entry's text is empty; nothing was written")
    if at is not None or sess.log.exists():
        from worklog.store.placing import write_entry  # noqa: PLC0415

        stamp_text = write_entry(sess.log, tag_list, text_lines(body), when)
        typer.echo(f"added {stamp_text} to {sess.log_path}", err=True)
        return
    appended = sess.log.append(tag_list, text_lines(body), when)
    created = " (new file)" if appended.created else ""
    typer.echo(f"added {appended.stamp_text} to {sess.log_path}{created}", err=True)


def _moment(sess: Session, at: str) -> datetime:
    """``--at`` as a moment, never later than now."""
    now = sess.now()
    when = parse_moment(at, now, option="--at", day_first=sess.day_order)
    if when > now:
        raise UsageError(f"--at: {when:%Y-%m-%d %H:%M} is later than now "
                         f"({now:%Y-%m-%d %H:%M}); nothing was written")
    return when


def entry_filter(
    sess: Session, since: str | None, until: str | None, tags: list[str] | None,
    kind: str | None,
) -> EntryFilter:
    """The filter the common --since/--until/--tag/--kind options describe."""
    if kind is not None and kind not in KIND_CHOICES:
        raise UsageError(f"--kind: {kind!r} is not a kind ({', '.join(KIND_CHOICES)})")
    first, last = typed_range(since, until, sess.today(), day_first=sess.day_order)
    return EntryFilter(
        since=first,
        until=last,
        tags=tuple(tags or ()),
        kind=kind,
    )


def check_cmd(ctx: typer.Context) -> None:
    """What looks wrong in the log, with file and line; exit 1 when anything does."""
    from worklog.format.check_stream import STRETCH, check_pieces  # noqa: PLC0415
    from worklog.history.scan import pieces  # noqa: PLC0415
    from worklog.history.search import MappedLog  # noqa: PLC0415

    sess = session(ctx)
    with sess.log.mapped() as buf:
        log = MappedLog(buf, sess.config.parse_options)
        codec, begin, end = log.codec, log.begin, log.end()
        found = check_pieces(lambda: pieces(buf, codec, begin, end, STRETCH), codec,
                             sess.config.parse_options)
    problems = found.problems
    if found.not_text:
        problems.insert(0, Problem(1, "not-text", f"looks like {found.not_text}, not a "
                                   "text log: worklog writes nothing into it"))
    for problem in problems:
        location = sess.style(f"{sess.log_path}:{problem.line}:", bold=True)
        typer.echo(f"{location} {problem.message} [{problem.code}]")
    leftovers = sess.log.leftovers()
    for path in leftovers:
        typer.echo(f"{path}: left by an interrupted rewrite; worklog removes it on its next "
                   "rewrite [leftover]")
    order = order_words(found.year_last, found.day_first)
    summary = (f"{found.entries} entries, {codec.label}, "
               f"{NEWLINE_NAMES[found.newline]} line breaks" + (f", {order}" if order else ""))
    typer.echo(f"{sess.log_path}: {summary}: "
               + (f"{len(problems) + len(leftovers)} problem(s)" if problems or leftovers
                  else "no problems"), err=True)
    if problems or leftovers:
        raise typer.Exit(EXIT_FAILED)
