"""email, run: capturing what happened into the log (docs/CLI.md, "Capturing")."""

from __future__ import annotations

import getpass
import os
import socket
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated

import typer

from worklog.cli.session import Session, session
from worklog.errors import LogFileError, UsageError
from worklog.format.writer import Style, render_append, split_tags

TagsOption = Annotated[str | None, typer.Option(
    "--tags", "-t", metavar="TAGS", help='Tags line, e.g. "virtualization, kvm".')]


def register(app: typer.Typer) -> None:
    app.command("email")(email_cmd)
    app.command("run", context_settings={"allow_interspersed_args": False,
                                         "ignore_unknown_options": True})(run_cmd)


def render_many(bodies: list[list[str]], tags: list[str]) -> Callable[[Style, str], str]:
    """A ``render`` for ``LogFile.append``: several entries with the same stamp, in one
    write (all or nothing)."""

    def render(style: Style, stamp_text: str) -> str:
        parts: list[str] = []
        current = style
        for body in bodies:
            text = render_append(current, stamp_text, tags, body)
            parts.append(text)
            current = Style(style.newline, text[-4:], True)
        return "".join(parts)

    return render


def email_cmd(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(
        metavar="FILE",
        help="An RFC 822 message or an mbox file; '-' (the default) reads stdin.")] = "-",
    tags: TagsOption = None,
) -> None:
    """Append an e-mail (each message of an mbox) as an e-mail entry: a header line with
    sender, subject and date, then the body as plain text."""
    from worklog.capture.mail import NotMailError, parse_mail  # noqa: PLC0415

    sess = session(ctx)
    tag_list = split_tags(tags)
    if source == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise UsageError(f"{source}: {(exc.strerror or str(exc)).lower()}") from exc
    where = "stdin" if source == "-" else source
    try:
        mails = parse_mail(data)
    except NotMailError as exc:
        raise UsageError(f"{where}: {exc}; nothing was written") from exc
    if not mails:
        raise UsageError(f"{where}: no e-mail message in it")
    appended = sess.log.append(tag_list, [], sess.now(),
                               render=render_many([m.lines for m in mails], tag_list))
    what = "1 e-mail" if len(mails) == 1 else f"{len(mails)} e-mails"
    typer.echo(f"added {what} as {appended.stamp_text} to {sess.log_path}", err=True)


def run_cmd(
    ctx: typer.Context,
    command: Annotated[list[str], typer.Argument(
        help="The command and its arguments (after --), run without a shell.",
        metavar="-- COMMAND [ARGS]...")],
    tags: TagsOption = None,
) -> None:
    """Run a command (no shell), show its output as it comes, then append a command
    entry with its transcript, exit code and duration; exit with the command's code."""
    from worklog.capture.transcript import record_lines, run_command  # noqa: PLC0415

    sess = session(ctx)
    tag_list = split_tags(tags)
    if not command:
        raise UsageError("COMMAND: missing (worklog run -- make check)")
    try:
        sess.log.check_writable()  # a command that ran must be recorded
    except LogFileError as exc:
        raise LogFileError(sess.log_path, f"{exc.reason}; the command was not run") from exc
    out = sys.stdout.buffer
    sys.stdout.flush()

    def show(chunk: bytes) -> None:
        out.write(chunk)
        out.flush()

    interactive = sys.stdout.isatty()
    result = run_command(command, show, use_pty=interactive,
                         forward_interrupt=not sys.stdin.isatty(),
                         terminal=_terminal_input())
    lines = record_lines(result, user=_user(sess.env), host=socket.gethostname(),
                         home=sess.env.get("HOME"))
    body = _encodable(sess, lines)
    appended = sess.log.append(tag_list, body, sess.now())
    where = f"as {appended.stamp_text} to {sess.log_path}"
    if result.error:  # one line: the failure, and that it was logged
        typer.echo(f"worklog: {command[0]}: {result.error}; logged {where}", err=True)
    else:
        typer.echo(f"logged {result.name} (exit {result.exit_code}, {result.duration_text}) "
                   f"{where}", err=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _terminal_input() -> int | None:
    """The descriptor of the terminal the user types on, None when input is not one."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return fd if os.isatty(fd) else None


def _user(env: Mapping[str, str]) -> str:
    name = env.get("USER") or env.get("LOGNAME")
    if name:
        return str(name)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _encodable(sess: Session, lines: list[str]) -> list[str]:
    """Command output the log's encoding cannot hold (Korean into a cp1252 log) is
    written with '?' for those characters, and the record says so: a command that ran
    is never left unrecorded."""
    from worklog.format.encoding import detect  # noqa: PLC0415

    text = "\n".join(lines)
    if text.isascii() or not sess.log.exists():
        return list(lines)
    with sess.log.mapped() as buf:
        codec = detect(buf, ansi=sess.config.parse_options.ansi)
    if codec.can_encode(text):
        return list(lines)
    fixed = [line.encode(codec.encoding, "replace").decode(codec.encoding) for line in lines]
    lost = sum(1 for a, b in zip(lines, fixed, strict=True) for x, y in zip(a, b, strict=False)
               if x != y)
    blank = fixed.index("") if "" in fixed else len(fixed)
    fixed.insert(blank, f"note: {lost} characters the file's encoding ({codec.label}) cannot "
                 "hold are written as ?")
    return fixed
