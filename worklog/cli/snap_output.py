"""What snap, snaps, revert and snap-delete say: progress, one line per record, the
`snaps` rows as text or JSON, and the library's errors in the words of the options."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

import typer

from worklog import errors
from worklog.format.constructs import escape_value
from worklog.format.dates import parse_stamp_arg

if TYPE_CHECKING:
    from worklog.vm.actions import Logged, NothingDone, NotLogged, Outcome
    from worklog.vm.audit import Audit
    from worklog.vm.base import ActionResult
    from worklog.vm.listing import Listing, SnapRow
    from worklog.vm.prune import PrunePlan
    from worklog.vm.tasks import TaskNotFound

#: (option or argument, value) pairs of a command, to name what the log cannot hold.
Given = Sequence[tuple[str, str]]


class Progress:
    """`snapshot web01: 42%` redrawn on one line of a terminal while an action runs
    (polled in a thread, ~5 Hz); nothing at all when ``stream`` is not a terminal."""

    def __init__(
        self,
        label: str,
        poll: Callable[[], float | None],
        stream: TextIO,
        *,
        interval: float = 0.2,
        delay: float = 0.5,
    ) -> None:
        self.label, self.poll, self.stream = label, poll, stream
        self.interval, self.delay = interval, delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._width = 0

    def __enter__(self) -> Progress:
        if getattr(self.stream, "isatty", lambda: False)():
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(self.interval):
            elapsed = time.monotonic() - start
            if elapsed < self.delay:
                continue
            value = self.poll()
            shown = f"{value:.0%}" if value is not None else f"{elapsed:.0f} s"
            text = f"{self.label}: {shown}"
            self.stream.write("\r" + text.ljust(self._width))
            self.stream.flush()
            self._width = max(self._width, len(text))


# --- records as they are logged ---------------------------------------------------------


def headline(result: ActionResult) -> str:
    from worklog.vm.records import summary  # noqa: PLC0415

    state = "ok" if result.ok else "failed"
    return escape_value(f"{result.action} {result.domain}: {state}, {summary(result)}")


class Reporter:
    """Says each record as it is logged, then where they went and the exit code."""

    def __init__(self, log_path: Path, *, quiet: bool = False) -> None:
        self.log_path = log_path
        self.quiet = quiet  # no line for a success (stdout holds JSON)

    def logged(self, item: Logged) -> None:
        from worklog.vm.records import error_code_text  # noqa: PLC0415

        result = item.result
        if result.ok:
            if not self.quiet:
                typer.echo(headline(result))
            return
        reason = f": {escape_value(result.error_message or '')}" if item.unreachable else ""
        code = error_code_text(result)
        typer.echo(
            f"worklog: {headline(result)}{reason}"
            + (f" [{code}]" if code else "")
            + f"; logged {item.stamp} in {self.log_path}",
            err=True,
        )

    def finish(self, outcome: Outcome) -> None:
        """Exit 5 when a hypervisor was unreachable, else 1 when any action failed."""
        count = len(outcome.logged)
        if count and not outcome.failed:  # a failure's line already says where it went
            entries = "1 entry" if count == 1 else f"{count} entries"
            typer.echo(
                f"logged {entries} ({outcome.logged[-1].stamp}) in {self.log_path}", err=True
            )
        if outcome.unreachable:
            raise typer.Exit(errors.EXIT_HYPERVISOR)
        if outcome.failed:
            raise typer.Exit(errors.EXIT_FAILED)


# --- the library's errors, worded ------------------------------------------------------


def refusal(exc: NothingDone, given: Given) -> errors.LogFileError:
    """The log cannot take the record: say which value does not fit, and that nothing
    (or, after a snapshot, no pruning) was done."""
    from worklog.store.logfile import TextDoesNotFit  # noqa: PLC0415

    cause = exc.cause
    reason = cause.reason
    if isinstance(cause, TextDoesNotFit):
        option = next((o for o, v in given if v == cause.text), None)
        what = f"{option} {cause.text!r}" if option else f"the record line {cause.text!r}"
        why = (
            "holds bytes that are not UTF-8 (the log's encoding)"
            if cause.foreign_bytes
            else f"cannot be written in the log's encoding ({cause.encoding})"
        )
        reason = f"{what} {why}"
    done = "nothing was done" if not exc.done else f"{exc.action} was not started"
    return errors.LogFileError(cause.path, f"{reason}: {done}", cause.line)


def not_logged(exc: NotLogged) -> errors.LogFileError:
    """The action ran, its record could not be appended: say what was not logged."""
    cause = exc.cause
    error = errors.LogFileError(
        cause.path, f"{cause.reason}; not logged: {headline(exc.result)}", cause.line
    )
    error.exit_code = cause.exit_code
    return error


def task_error(exc: TaskNotFound, log_path: Path) -> errors.UsageError:
    spec = exc.spec
    if exc.problem == "not-a-stamp":
        try:
            parse_stamp_arg(spec, option="--for", day_first=exc.day_first)
        except errors.UsageError as refused:
            return refused
    if exc.problem == "no-item":
        return errors.UsageError(f"--for {spec}: today's plan ({exc.plan}) has no item {int(spec)}")
    reasons = {
        "no-log": f"{log_path} does not exist yet",
        "no-plan": "no plan for today (an entry tagged GTD) in the log",
        "no-entry": "no entry with that stamp in the log",
    }
    return errors.UsageError(f"--for {spec}: {reasons.get(exc.problem, 'not a stamp')}")


# --- `prune` ----------------------------------------------------------------------------


def prune_lines(plans: Sequence[PrunePlan]) -> list[str]:
    """`--dry-run`: per domain a heading, then `keep NAME CREATED (rules)` or
    `delete NAME CREATED`, newest first."""
    lines: list[str] = []
    for plan in plans:
        if plan.error is not None:
            lines.append(f"{escape_value(plan.domain)} ({plan.uri}): {plan.error}")
            continue
        doomed = sum(1 for d in plan.decisions if not d.keep)
        lines.append(
            f"{escape_value(plan.domain)} ({plan.uri}): keep {len(plan.decisions) - doomed}, "
            f"delete {doomed}"
        )
        for decision in plan.decisions:
            info = decision.info
            when = info.created.strftime("%Y-%m-%dT%H:%M:%SZ")
            reasons = f" ({', '.join(decision.reasons)})" if decision.keep else ""
            verb = "keep  " if decision.keep else "delete"
            lines.append(f"  {verb} {escape_value(info.name)}  {when}{reasons}")
    return lines


def prune_json(plans: Sequence[PrunePlan], outcome: Outcome) -> list[dict[str, Any]]:
    """`prune --json`: one object per worklog snapshot; the keys are a contract."""
    results = {(i.result.domain, i.result.name): i.result for i in outcome.logged}
    rows: list[dict[str, Any]] = []
    for plan in plans:
        for decision in plan.decisions:
            info = decision.info
            result = results.get((plan.domain, info.name))
            rows.append(
                {
                    "domain": plan.domain,
                    "uri": plan.uri,
                    "snapshot": info.name,
                    "created": info.created.isoformat(),
                    "keep": decision.keep,
                    "reasons": list(decision.reasons),
                    "result": None if result is None else "ok" if result.ok else "failed",
                    "error": None if result is None else result.plain_error,
                    "freed": None if result is None else result.freed,
                }
            )
    return rows


# --- `snaps --audit` --------------------------------------------------------------------


def audit_json(found: Audit) -> list[dict[str, Any]]:
    """`snaps --audit --json`: one object per problem; the keys are a contract."""
    return [
        {
            "problem": p.problem,
            "domain": p.domain,
            "snapshot": p.snapshot,
            "file": p.file,
            "repair": p.repair,
        }
        for p in found.problems
    ]


def audit_lines(found: Audit) -> list[str]:
    """A heading, then per problem `KIND SNAPSHOT|FILE` and its repair indented."""
    count = len(found.problems)
    head = f"{escape_value(found.domain)} ({found.uri}): "
    if not count:
        return [head + "no drift between libvirt, the disks and the log"]
    lines = [head + (f"{count} problem" if count == 1 else f"{count} problems")]
    for p in found.problems:
        lines.append(f"  {p.problem} {escape_value(p.snapshot or p.file or '')}")
        lines.append(f"    repair: {escape_value(p.repair)}")
    return lines


# --- `snaps` ----------------------------------------------------------------------------


def row_json(row: SnapRow) -> dict[str, Any]:
    """One `snaps --json` object; its keys are a contract (docs/CLI.md)."""
    return {
        "name": row.name,
        "created": row.created.isoformat(),
        "in_log": row.in_log,
        "in_libvirt": row.in_libvirt,
        "domain": row.domain,
        "uri": row.uri,
        "kind": row.kind,
        "parent": row.parent,
        "current": row.current,
        "entry": row.entry.iso if row.entry else None,
        "for": row.task,
        "description": row.description,
        "deleted": row.deleted.iso if row.deleted else None,
    }


def listing_lines(listing: Listing) -> list[str]:
    """Per domain a heading with the counts, then its rows indented."""
    lines: list[str] = []
    for group in listing.groups:
        name, rows = escape_value(group.domain), group.rows
        if not rows:
            lines.append(f"{name} ({listing.uri}): no snapshots")
            continue
        counts = [f"{len(rows)} snapshot{'s' if len(rows) != 1 else ''}"]
        if group.unknown:
            counts.append(f"{group.unknown} not in log")
        if group.gone:
            counts.append(f"{group.gone} gone")
        lines.append(f"{name} ({listing.uri}): {', '.join(counts)}")
        lines += ["  " + line for line in render_rows(rows)]
    return lines


def render_rows(rows: Sequence[SnapRow]) -> list[str]:
    """Text lines: name (indented by depth), created, kind and current, where it comes
    from (`logged see"STAMP"`, `not in log`, `gone: ...`), and the task it served."""
    names = [("  " * r.depth) + escape_value(r.name) for r in rows]
    width = max((len(n) for n in names), default=0)
    lines = []
    for row, name in zip(rows, names, strict=True):
        kind = (row.kind or "?") + (", current" if row.current else "")
        when = (
            row.created.strftime("%Y-%m-%d %H:%M:%S")
            if row.in_libvirt
            else (row.created.strftime("%Y-%m-%d %H:%M   "))
        )
        parts = [name.ljust(width), when, kind.ljust(17), _origin(row)]
        if row.task:
            parts.append(f"for {escape_value(row.task)}")
        lines.append("  ".join(parts).rstrip())
    return lines


def _origin(row: SnapRow) -> str:
    logged = f'logged see"{row.entry.text}"' if row.entry else ""
    if row.in_libvirt:
        return logged or "not in log"
    deleted = f', deleted see"{row.deleted.text}"' if row.deleted else ""
    return f"gone ({logged}{deleted})"
