"""snap, snaps, revert, snap-delete: libvirt snapshots, each action logged as a record.

Thin: worklog.vm.records builds the records and the listing, worklog.vm.base does
the libvirt work. Both are imported when a command runs, not when the CLI starts (every
command would pay for them); libvirt itself only when a connection is opened.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from worklog import errors
from worklog.cli.session import Session, session
from worklog.format.constructs import escape_value

if TYPE_CHECKING:
    from worklog.vm.base import Action, ActionResult, ConnectError, Hypervisor
    from worklog.vm.records import SnapRow


def register(app: typer.Typer) -> None:
    app.command("snap")(snap)
    app.command("snaps")(snaps)
    app.command("revert")(revert)
    app.command("snap-delete")(snap_delete)


ConnectOpt = Annotated[
    str | None,
    typer.Option(
        "--connect",
        "-c",
        metavar="URI",
        help="libvirt URI (else $LIBVIRT_DEFAULT_URI, else libvirt_uri in the config, "
        "else libvirt's default).",
    ),
]
ForOpt = Annotated[
    str | None,
    typer.Option(
        "--for",
        metavar="N|STAMP",
        help="The task: N (item N of today's plan) or an entry's STAMP; default: the "
        "item running in today's plan.",
    ),
]

# --- connections, progress, logging -----------------------------------------------------


def open_uri(uri: str | None) -> Hypervisor:
    """Connect; libvirt-python missing is an error (exit 5), ConnectError propagates."""
    from worklog.vm import base as hypervisor  # noqa: PLC0415

    try:
        return hypervisor.open_hypervisor(uri)
    except hypervisor.HypervisorUnavailable as exc:
        raise errors.HypervisorError(str(exc)) from exc


class Connections:
    """One connection per URI, opened on first use; a failed one is kept as its error."""

    def __init__(self) -> None:
        self._by_uri: dict[str | None, Hypervisor | ConnectError] = {}

    def get(self, uri: str | None) -> Hypervisor | ConnectError:
        from worklog.vm.base import ConnectError  # noqa: PLC0415

        if uri not in self._by_uri:
            try:
                self._by_uri[uri] = open_uri(uri)
            except ConnectError as exc:
                self._by_uri[uri] = exc
        return self._by_uri[uri]

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *_exc: object) -> None:
        from worklog.vm.base import ConnectError  # noqa: PLC0415

        for conn in self._by_uri.values():
            if not isinstance(conn, ConnectError):
                conn.close()


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


@dataclass
class Outcome:
    """Appends each result to the log as it comes, prints it, and keeps the exit code."""

    sess: Session
    failed: int = 0
    unreachable: bool = False
    stamps: list[str] = field(default_factory=list)

    def record(
        self,
        result: ActionResult,
        task: str | None,
        extra: Sequence[tuple[str, str]] = (),
        *,
        unreachable: bool = False,
    ) -> None:
        """Append the result's record (stamped now: the action is over), then print it."""
        from worklog.vm.records import (  # noqa: PLC0415
            error_code_text,
            record_lines,
            snapshot_tags,
            summary,
        )

        headline = escape_value(
            f"{result.action} {result.domain}: {'ok' if result.ok else 'failed'}, {summary(result)}"
        )
        lines = record_lines(result, task=task, extra=extra)
        try:
            appended = self.sess.log.append(snapshot_tags(result.domain), lines, self.sess.now())
        except errors.LogFileError as exc:
            exc.args = (f"{exc}; not logged: {headline}",)
            raise
        self.stamps.append(appended.stamp_text)
        if result.ok:
            typer.echo(headline)
            return
        self.failed += 1
        self.unreachable = self.unreachable or unreachable
        reason = f": {escape_value(result.error_message or '')}" if unreachable else ""
        code = error_code_text(result)
        typer.echo(f"worklog: {headline}{reason}" + (f" [{code}]" if code else "")
                   + f"; logged {appended.stamp_text} in {self.sess.log_path}", err=True)

    def finish(self) -> None:
        """Say where the entries went; exit 5 when a hypervisor was unreachable, else 1
        when any action failed."""
        if self.stamps:
            count = len(self.stamps)
            entries = "1 entry" if count == 1 else f"{count} entries"
            if not self.failed:  # a failure's line already says where it was logged
                typer.echo(f"logged {entries} ({self.stamps[-1]}) in {self.sess.log_path}",
                           err=True)
        if self.unreachable:
            raise typer.Exit(errors.EXIT_HYPERVISOR)
        if self.failed:
            raise typer.Exit(errors.EXIT_FAILED)


# --- before acting: the log and the task -----------------------------------------------


def prepare(sess: Session, spec: str | None, texts: Sequence[tuple[str, str]]) -> str | None:
    """Check, before touching a VM, that its record can be appended (the log is a file
    or can be created; ``texts``, (option, value) pairs, fit its encoding), then return
    the `for` reference: `--for` resolved in the log, else the running item, if any."""
    from worklog.vm.records import active_task, resolve_task  # noqa: PLC0415

    log, path = sess.log, sess.log_path
    try:
        log.check_writable()
    except errors.LogFileError as exc:
        raise errors.LogFileError(path, f"{exc.reason}: nothing was done") from exc
    if not log.exists():
        if path.exists() or not log.real_path.parent.is_dir():
            reason = "is not a file" if path.exists() else "its folder does not exist"
            raise errors.LogFileError(path, f"{reason}: nothing was done")
        if spec is not None:
            raise errors.UsageError(f"--for {spec}: {path} does not exist yet")
        return None
    today = sess.today()
    yesterday = today - timedelta(days=1)
    tail = log.load_tail(lambda doc: doc.entries[0].day < yesterday)
    codec = tail.doc.codec
    for option, text in texts:
        if tail.codec_certain and not codec.can_encode(text):
            raise errors.LogFileError(
                path,
                f"{option} {text!r} cannot be written in the log's encoding ({codec.label}): "
                "nothing was done",
            )
    day_first = sess.config.day_first
    if spec is None:
        return active_task(tail.doc, today)
    try:
        return resolve_task(tail.doc, spec, today, day_first)
    except errors.UsageError:
        if tail.whole or spec.strip().isdigit():
            raise
    return resolve_task(log.load().doc, spec, today, day_first)


# --- snap -------------------------------------------------------------------------------


def snap(
    ctx: typer.Context,
    domains: Annotated[
        list[str],
        typer.Argument(
            help="Domains to snapshot; DOMAIN@URI takes one from another host "
            "(web01@qemu+ssh://root@host/system).",
            metavar="DOMAIN",
        ),
    ],
    connect: ConnectOpt = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", "-n", metavar="NAME", help="Snapshot name (default DOMAIN-YYYYMMDD-HHMMSS)."
        ),
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", "-d", metavar="TEXT", help="Stored as typed.")
    ] = None,
    disk_only: Annotated[
        bool, typer.Option("--disk-only", help="External disk-only snapshot (overlay files).")
    ] = False,
    internal: Annotated[
        bool,
        typer.Option("--internal", help="Internal snapshot even with raw disks (which fail)."),
    ] = False,
    quiesce: Annotated[
        bool, typer.Option("--quiesce", help="Freeze guest file systems (needs the guest agent).")
    ] = False,
    for_: ForOpt = None,
    keep: Annotated[
        int | None,
        typer.Option(
            "--keep", min=1, metavar="K", help="Then delete all but the newest K worklog snapshots."
        ),
    ] = None,
) -> None:
    """Snapshot every disk of each DOMAIN and log it: internal when all disks are qcow2,
    else external disk-only (atomic). Exit 1 when any failed, 5 when unreachable."""
    from worklog.vm.base import ConnectError  # noqa: PLC0415
    from worklog.vm.records import (  # noqa: PLC0415
        connect_failure,
        resolve_uri,
        split_target,
        stored_description,
    )

    sess = session(ctx)
    if internal and (disk_only or quiesce):
        raise errors.UsageError("--internal excludes --disk-only and --quiesce")
    uri, _ = resolve_uri(connect, sess.env, sess.config)
    texts = [("DOMAIN", d) for d in domains]
    texts += [("--name", name or ""), ("--description", description or "")]
    task = prepare(sess, for_, texts)
    stored = stored_description(description, task)
    outcome = Outcome(sess)
    with Connections() as conns:
        for arg in domains:
            domain, target_uri = split_target(arg, uri)
            hv = conns.get(target_uri)
            if isinstance(hv, ConnectError):
                failure = connect_failure("snap", domain, name, hv, stored)
                outcome.record(failure, task, unreachable=True)
                continue
            poll = functools.partial(hv.job_progress, domain)
            with Progress(f"snapshot {domain}", poll, sys.stderr):
                result = hv.snapshot(
                    domain,
                    name=name,
                    description=stored,
                    disk_only=disk_only,
                    quiesce=quiesce,
                    force_internal=internal,
                    now=sess.clock(),
                )
            outcome.record(result, task)
            if keep is not None and result.ok and result.name is not None:
                prune(hv, domain, result.name, keep, task, outcome)
    outcome.finish()


def prune(
    hv: Hypervisor, domain: str, just_made: str, keep: int, task: str | None, outcome: Outcome
) -> None:
    """`--keep K`: delete worklog's older snapshots of ``domain``, one entry each."""
    from worklog.vm.base import HypervisorError  # noqa: PLC0415
    from worklog.vm.records import listing_failure, prune_candidates  # noqa: PLC0415

    extra = [("keep", str(keep))]
    try:
        infos = hv.list_snapshots(domain)
    except HypervisorError as exc:  # not worklog.errors.HypervisorError: a listing failed
        outcome.record(listing_failure(domain, hv.uri, exc), task, extra)
        return
    for info in prune_candidates(infos, keep, just_made):
        outcome.record(replace(hv.delete(domain, info.name), action="snap-prune"), task, extra)


# --- revert, snap-delete ----------------------------------------------------------------


def _on_snapshot(
    ctx: typer.Context,
    action: Action,
    target: str,
    snapshot: str,
    connect: str | None,
    for_: str | None,
    act: Callable[[Hypervisor, str], ActionResult],
) -> None:
    """revert and snap-delete: one action on one snapshot, logged."""
    from worklog.vm.base import ConnectError  # noqa: PLC0415
    from worklog.vm.records import connect_failure, resolve_uri, split_target  # noqa: PLC0415

    sess = session(ctx)
    uri, _ = resolve_uri(connect, sess.env, sess.config)
    domain, uri = split_target(target, uri)
    task = prepare(sess, for_, [("DOMAIN", domain), ("SNAPSHOT", snapshot)])
    outcome = Outcome(sess)
    with Connections() as conns:
        hv = conns.get(uri)
        if isinstance(hv, ConnectError):
            failure = connect_failure(action, domain, snapshot, hv, None)
            outcome.record(failure, task, unreachable=True)
        else:
            with Progress(
                f"{action} {domain}", functools.partial(hv.job_progress, domain), sys.stderr
            ):
                result = act(hv, domain)
            outcome.record(result, task)
    outcome.finish()


def revert(
    ctx: typer.Context,
    domain: Annotated[str, typer.Argument(metavar="DOMAIN", help="The domain (or DOMAIN@URI).")],
    snapshot: Annotated[
        str, typer.Argument(metavar="SNAPSHOT", help="The snapshot to go back to.")
    ],
    connect: ConnectOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Go ahead when libvirt says reverting is risky.")
    ] = False,
    for_: ForOpt = None,
) -> None:
    """Revert DOMAIN to SNAPSHOT and log it (a running snapshot comes back running)."""
    _on_snapshot(
        ctx,
        "revert",
        domain,
        snapshot,
        connect,
        for_,
        lambda hv, d: hv.revert(d, snapshot, force=force),
    )


def snap_delete(
    ctx: typer.Context,
    domain: Annotated[str, typer.Argument(metavar="DOMAIN", help="The domain (or DOMAIN@URI).")],
    snapshot: Annotated[str, typer.Argument(metavar="SNAPSHOT", help="The snapshot to delete.")],
    connect: ConnectOpt = None,
    for_: ForOpt = None,
) -> None:
    """Delete SNAPSHOT of DOMAIN (its children are kept) and log it."""
    _on_snapshot(
        ctx, "snap-delete", domain, snapshot, connect, for_, lambda hv, d: hv.delete(d, snapshot)
    )


# --- snaps ------------------------------------------------------------------------------


def snaps(
    ctx: typer.Context,
    domain: Annotated[
        str | None,
        typer.Argument(
            metavar="DOMAIN",
            help="The domain (or DOMAIN@URI); default: every domain the log "
            "has snapshot records of on the URI.",
        ),
    ] = None,
    connect: ConnectOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list of objects.")] = False,
    tree: Annotated[
        bool, typer.Option("--tree", help="Parents before children instead of time order.")
    ] = False,
) -> None:
    """Snapshots with the log entry that made each and the task it served; marks those
    the log does not know and the log's snapshots that are gone."""
    from worklog.vm.base import ConnectError, HypervisorError  # noqa: PLC0415
    from worklog.vm.records import (  # noqa: PLC0415
        join,
        logged_domains,
        resolve_uri,
        snapshot_entries,
        split_target,
        tree_order,
    )

    sess = session(ctx)
    uri, _ = resolve_uri(connect, sess.env, sess.config)
    if domain is not None:
        domain, uri = split_target(domain, uri)
    try:
        hv = open_uri(uri)
    except ConnectError as exc:
        raise errors.HypervisorError(f"{exc}: {exc.message}") from exc
    entries = snapshot_entries(sess.log.load().doc, domain) if sess.log.exists() else []
    groups: list[tuple[str, list[SnapRow]]] = []
    missing: list[str] = []
    try:
        for name in [domain] if domain is not None else logged_domains(entries, hv.uri):
            try:
                infos = hv.list_snapshots(name)
            except HypervisorError as exc:
                if exc.code != 42:  # VIR_ERR_NO_DOMAIN: its records are all gone
                    raise errors.WorklogError(f"snaps {name}: {exc.plain_error or exc}") from exc
                infos = []
                missing.append(name)
            rows = join(name, hv.uri, infos, entries)
            groups.append((name, tree_order(rows) if tree else rows))
        shown_uri = hv.uri
    finally:
        hv.close()
    if as_json:
        typer.echo(
            json.dumps(
                [r.to_json() for _, rows in groups for r in rows], ensure_ascii=False, indent=2
            )
        )
    else:
        _print_groups(groups, shown_uri)
    for name in missing:
        typer.echo(
            f"worklog: snaps {escape_value(name)}: domain not found on {shown_uri}", err=True
        )
    if not groups:
        typer.echo(
            f"worklog: no snapshot records for {shown_uri} in {sess.log_path}; "
            "name a domain: worklog snaps DOMAIN",
            err=True,
        )
    if domain is not None and missing:
        raise typer.Exit(errors.EXIT_FAILED)


def _print_groups(groups: list[tuple[str, list[SnapRow]]], uri: str) -> None:
    from worklog.vm.records import render_rows  # noqa: PLC0415

    for name, rows in groups:
        if not rows:
            typer.echo(f"{escape_value(name)} ({uri}): no snapshots")
            continue
        counts = [f"{len(rows)} snapshot{'s' if len(rows) != 1 else ''}"]
        unknown = sum(1 for r in rows if r.in_libvirt and not r.in_log)
        gone = sum(1 for r in rows if not r.in_libvirt)
        if unknown:
            counts.append(f"{unknown} not in log")
        if gone:
            counts.append(f"{gone} gone")
        typer.echo(f"{escape_value(name)} ({uri}): {', '.join(counts)}")
        for line in render_rows(rows):
            typer.echo("  " + line)
