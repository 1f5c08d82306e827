"""The ``worklog`` command: global options, the command groups, and the one exit point.

Commands live in small modules (``core_cmds``, ...) that each register on ``app``. This
module turns every error into one line on stderr and an exit code; a traceback only
with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from worklog import __version__
from worklog.cli.completion import complete_color
from worklog.cli.registry import LazyGroup
from worklog.errors import ExitCode, WorklogError

app = typer.Typer(
    name="worklog",
    cls=LazyGroup,
    help="A worklog in one plain Notepad .LOG file: day plans, time worked, VM snapshots, "
    "grep-able history.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    no_args_is_help=False,
    epilog="The global options work after the command too: worklog today --file X. "
    "`worklog help commands` is the guide to every command, `worklog help format` the "
    "file format; `worklog COMMAND --help` one command's options.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"worklog {__version__}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            metavar="PATH",
            help="The log file (else $WORKLOG_FILE, else 'file' in the config, "
            "else ~/worklog.LOG).",
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    color: Annotated[str | None, typer.Option(
        "--color", metavar="WHEN", autocompletion=complete_color,
        help="Colour: auto (the default: on a terminal, unless NO_COLOR is set or "
        "TERM=dumb), always or never.")] = None,
    version: Annotated[bool, typer.Option(
        "--version", "-V", is_eager=True, callback=_print_version,
        help="Print worklog's version.")] = False,
) -> None:
    """worklog keeps a Notepad .LOG file: every byte you wrote stays as you wrote it."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code. Errors are one line on stderr."""
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        result = command.main(args=args, prog_name="worklog", standalone_mode=False)
    except BaseException as exc:  # the one exit point: every error becomes a code
        code = _exit_code(exc, debug="--debug" in args)
        if code is None:
            raise
        return code
    return result if isinstance(result, int) else ExitCode.OK


def _exit_code(exc: BaseException, *, debug: bool) -> int | None:  # noqa: PLR0911 (a return per kind of exit)
    """The exit code for ``exc`` after saying it in one line; None to let it go."""
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    if isinstance(exc, typer.Abort | KeyboardInterrupt):
        _error("interrupted")
        return ExitCode.INTERRUPTED
    if isinstance(exc, WorklogError):
        if debug:
            return None
        _error(str(exc))
        return exc.exit_code
    pipe_closed = type(sys.stdout).__name__ == "PacifyFlushWrapper"  # typer's parser
    if isinstance(exc, BrokenPipeError) or (isinstance(exc, SystemExit) and pipe_closed):
        # The reader (head, less) went away: not an error of ours.
        _silence_stdout()
        return ExitCode.OK
    if isinstance(exc, Exception):
        return _usage_error_code(exc)
    return None


def _usage_error_code(exc: Exception) -> int | None:
    """Print a command-line usage error (typer's parser raises them) as one line."""
    format_message = getattr(exc, "format_message", None)
    exit_code = getattr(exc, "exit_code", None)
    if not callable(format_message) or not isinstance(exit_code, int):
        return None
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "worklog") or "worklog"
    hint = f" (see {path} --help)" if ctx is not None else ""
    _error(f"{format_message()}{hint}")
    return ExitCode.USAGE if exit_code == ExitCode.USAGE else exit_code


def _error(message: str) -> None:
    first_line = message.strip().splitlines()[0] if message.strip() else "error"
    typer.echo(f"worklog: {first_line}", err=True)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
