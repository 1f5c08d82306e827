"""What every command needs: the config, the log file, the clock, and how to print.

The global options (``--file``, ``--debug``, ``--color``) are read where they stand:
before the command (the root's parameters) or after it (``GLOBAL_OPTIONS``, which every
command takes too). The session is made from them when a command first asks for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from worklog.cli.completion import COLOR_CHOICES, complete_color
from worklog.config import Config, cache_dir, config_path, load_config, resolve_log_path
from worklog.errors import LogFileError, UsageError

if TYPE_CHECKING:  # imported when the log is first asked for: `worklog status` may not
    from worklog.history.timeline import Timeline
    from worklog.store.logfile import LogFile

#: Set to an ISO time to stamp and plan as if it were then (scripts, tests, back-dating).
NOW_VARIABLE = "WORKLOG_NOW"


@dataclass
class Session:
    """One command line's settings, clock and log, shared by the commands."""

    env: Mapping[str, str]
    config: Config
    log_path: Path
    log_source: str
    debug: bool = False
    _now: datetime | None = field(default=None, repr=False)
    color_mode: str = "auto"
    _warns: bool = field(default=False, repr=False)

    @classmethod
    def create(cls, file: Path | None, env: Mapping[str, str], *, debug: bool = False,
               color: str | None = None) -> Session:
        color_mode = color or "auto"
        if color_mode not in COLOR_CHOICES:
            raise UsageError(f"--color: {color_mode!r} is not one of {', '.join(COLOR_CHOICES)}")
        config = load_config(env)
        path, source = resolve_log_path(file, env, config)
        now = None
        if env.get(NOW_VARIABLE):
            try:
                now = datetime.fromisoformat(env[NOW_VARIABLE])
            except ValueError:
                raise UsageError(f"${NOW_VARIABLE}: {env[NOW_VARIABLE]!r} is not an ISO "
                                 "time like 2026-11-26T09:40") from None
        return cls(env, config, path, source, debug, now, color_mode)

    @cached_property
    def log(self) -> LogFile:
        """The log; what it repairs on the way (an interrupted edit undone) is said on
        stderr as it happens."""
        from worklog.store.logfile import LogFile  # noqa: PLC0415

        return LogFile(self.log_path, self.config.parse_options, on_notice=_say_notice)

    def timeline(self, buf: bytes | Any) -> Timeline:
        """The log as ``self.log.mapped()`` maps it, read by time; line numbers deep in
        it come from the marks kept in the cache folder (``worklog.history.line_marks``)."""
        from worklog.history.line_marks import LineMarks  # noqa: PLC0415
        from worklog.history.timeline import Timeline  # noqa: PLC0415

        opened = self.log.mapped_stat
        marks = None if opened is None or not buf else LineMarks(
            cache_dir(self.env), self.log.real_path, opened)
        return Timeline(buf, self.config.parse_options, marks)

    def log_not_started(self) -> bool:
        """Nothing at the log's path, in a folder that exists: where ``add`` or ``plan``
        would create it. Anything else (a missing folder, a file that cannot be read) is
        the log's to say."""
        try:
            self.log_path.lstat()
        except FileNotFoundError:
            return self.log_path.parent.is_dir()
        except OSError:
            return False
        return False

    def first_run_lines(self) -> list[str]:
        """Where worklog looked for the log (and what chose that path), and what starts one."""
        chosen = {"--file": "given by --file", "$WORKLOG_FILE": "from $WORKLOG_FILE",
                  "default": "the default; --file, $WORKLOG_FILE or 'file' in "
                  f"{config_path(self.env)} choose another"}
        why = chosen.get(self.log_source, f"from {self.log_source}")
        return [f"no log yet at {self.log_path} ({why})",
                '`worklog plan "first item"` starts it with the day\'s plan, '
                '`worklog add "text"` with a note']

    def clock(self) -> datetime:
        """The one clock of stamps, plans and snapshot names: ``$WORKLOG_NOW`` when set,
        else the system's (to the second, for names that need it)."""
        return (self._now or datetime.now()).replace(microsecond=0)

    def now(self) -> datetime:
        return self.clock().replace(second=0)

    def today(self) -> date:
        return self.now().date()

    def day_order(self) -> bool | None:
        """The order a typed year-last day (``2/10/2014``) is read in: the configured
        one, else the log's own, as its stamps are read (from its end); None when
        neither tells (no log, or a log without year-last stamps)."""
        if self.config.day_first is not None:
            return self.config.day_first
        return self._log_day_order

    @cached_property
    def _log_day_order(self) -> bool | None:
        try:
            doc = self.log.load_tail().doc
        except LogFileError:
            return None  # the command itself says what is wrong with the log
        year_last = any(entry.stamp.shape.order != "ymd" for entry in doc.entries)
        return doc.day_first if year_last else None

    def color(self, stream: TextIO | None = None) -> bool:
        """``--color always`` or ``never`` as said; else (auto) colour only on a terminal,
        and never with NO_COLOR set or TERM=dumb."""
        if self.color_mode != "auto":
            return self.color_mode == "always"
        if self.env.get("NO_COLOR") or self.env.get("TERM") == "dumb":
            return False
        target = stream or sys.stdout
        return bool(getattr(target, "isatty", lambda: False)())

    def style(self, text: str, **styles: object) -> str:
        return typer.style(text, **styles) if self.color() else text  # type: ignore[arg-type]


    def say_warnings(self) -> None:
        """At the end of a command that did not fail: what the log looks like when it
        is not text (a failing command's one error line says enough)."""
        log = self.__dict__.get("log")
        if log is not None and log.not_text and sys.exc_info()[0] is None:
            typer.echo(f"worklog: {self.log_path}: looks like {log.not_text}, not a text log",
                       err=True)


def _say_notice(message: str) -> None:
    typer.echo(f"worklog: {message}", err=True)


_AFTER_COMMAND = "worklog.after-command"
_SESSION = "worklog.session"


def global_options(ctx: typer.Context | Any) -> dict[str, Any]:
    """The global options as given, before or after the command (also while completing,
    when no callback has run)."""
    root = ctx.find_root()
    return {**root.params, **root.meta.get(_AFTER_COMMAND, {})}


def session(ctx: typer.Context) -> Session:
    """The session the global options make (for commands); made once per run. Output
    through click (``typer.echo``) keeps colour exactly when the session wants it."""
    root = ctx.find_root()
    made = root.meta.get(_SESSION)
    if not isinstance(made, Session):
        given = global_options(ctx)
        file = given.get("file")
        made = Session.create(None if file is None else Path(file), dict(os.environ),
                              debug=bool(given.get("debug")), color=given.get("color"))
        root.meta[_SESSION] = made
    if not made._warns:  # once, however often a command asks
        made._warns = True
        root.call_on_close(made.say_warnings)
    ctx.color = made.color()
    return made


def _after_command(ctx: typer.Context, param: Any, value: Any) -> Any:
    """A global option given after the command: kept for the session; the same option
    before the command with another value is an error, not a guess."""
    if value is None or value is False or param.name is None:
        return value
    root = ctx.find_root()
    before = root.params.get(param.name)
    conflict = before not in (None, False) and str(before) != str(value)
    if conflict and not ctx.resilient_parsing:  # completing: no error, the later one wins
        raise UsageError(f"--{param.name}: given before the command as {before!s} and "
                         f"after it as {value!s}")
    root.meta.setdefault(_AFTER_COMMAND, {})[param.name] = value
    return value


def _global_params() -> list[Any]:
    """The click parameters of the global options, as every command takes them."""
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)

    @holder.command()
    def options(
        file: Annotated[Path | None, typer.Option(
            "--file", "-f", metavar="PATH", dir_okay=False, expose_value=False,
            callback=_after_command, help="The log file (as before the command).")] = None,
        debug: Annotated[bool, typer.Option(
            "--debug", expose_value=False, callback=_after_command,
            help="Show tracebacks of errors.")] = False,
        color: Annotated[str | None, typer.Option(
            "--color", metavar="WHEN", expose_value=False, callback=_after_command,
            autocompletion=complete_color, help="auto, always or never.")] = None,
    ) -> None:
        """Never run: only its parameters are used."""

    return list(typer.main.get_command(holder).params)


#: ``--file``, ``--debug`` and ``--color`` as every command takes them after its name.
GLOBAL_OPTIONS: list[Any] = _global_params()
