"""What every command needs: the config, the log file, the clock, and how to print."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TextIO

import typer

from worklog.config import Config, load_config, resolve_log_path
from worklog.errors import LogFileError, UsageError
from worklog.store.logfile import LogFile

#: Set to an ISO time to stamp and plan as if it were then (scripts, tests, back-dating).
NOW_VARIABLE = "WORKLOG_NOW"


@dataclass
class Session:
    env: Mapping[str, str]
    config: Config
    log_path: Path
    log_source: str
    debug: bool = False
    _now: datetime | None = field(default=None, repr=False)
    _warns: bool = field(default=False, repr=False)

    @classmethod
    def create(cls, file: Path | None, env: Mapping[str, str], *, debug: bool = False) -> Session:
        config = load_config(env)
        path, source = resolve_log_path(file, env, config)
        now = None
        if env.get(NOW_VARIABLE):
            try:
                now = datetime.fromisoformat(env[NOW_VARIABLE])
            except ValueError:
                raise UsageError(f"${NOW_VARIABLE}: {env[NOW_VARIABLE]!r} is not an ISO "
                                 "time like 2026-11-26T09:40") from None
        return cls(env, config, path, source, debug, now)

    @cached_property
    def log(self) -> LogFile:
        """The log; what it repairs on the way (an interrupted edit undone) is said on
        stderr as it happens."""
        return LogFile(self.log_path, self.config.parse_options, on_notice=_say_notice)

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
        """Colour only on a terminal and never with NO_COLOR set."""
        if self.env.get("NO_COLOR"):
            return False
        target = stream or sys.stdout
        return bool(getattr(target, "isatty", lambda: False)())

    def style(self, text: str, **styles: object) -> str:
        return typer.style(text, **styles) if self.color() else text  # type: ignore[arg-type]


    def say_warnings(self) -> None:
        """At the end of a command that did not fail: what the log looks like when it
        is not text (a failing command's one error line says enough)."""
        log = self.__dict__.get("log")
        if isinstance(log, LogFile) and log.not_text and sys.exc_info()[0] is None:
            typer.echo(f"worklog: {self.log_path}: looks like {log.not_text}, not a text log",
                       err=True)


def _say_notice(message: str) -> None:
    typer.echo(f"worklog: {message}", err=True)


def session(ctx: typer.Context) -> Session:
    """The session the global options made (for commands)."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, Session):  # pragma: no cover - the callback always sets it
        raise RuntimeError("worklog session missing")
    if not obj._warns:  # once, however often a command asks
        obj._warns = True
        root.call_on_close(obj.say_warnings)
    return obj
