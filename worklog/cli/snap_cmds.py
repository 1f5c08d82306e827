"""snap, snaps, revert, snap-delete: libvirt snapshots, each action logged as a record.

Thin: each command parses its arguments, calls one use case of worklog.vm.actions or
worklog.vm.listing with the libvirt factory, and renders what it returns
(worklog.cli.snap_output). The vm layer is imported when a command runs, not when the
CLI starts (every command would pay for it); libvirt itself only when a connection is
opened.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from worklog import errors
from worklog.cli.completion import complete_item
from worklog.cli.registry import ReadableCommand
from worklog.cli.session import Session, session
from worklog.cli.snap_output import Given, Progress, Reporter
from worklog.format.constructs import escape_value

if TYPE_CHECKING:
    from worklog.vm.actions import Outcome, Services, Target
    from worklog.vm.listing import Listing


def register(app: typer.Typer) -> None:
    app.command("snaps")(snaps)
    app.command("revert")(revert)
    app.command("snap-delete")(snap_delete)
    app.command("prune")(prune)
    app.command("snap", cls=SnapCommand)(snap)


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
        autocompletion=complete_item,
        help="The task: N (item N of today's plan) or an entry's STAMP; default: the "
        "item running in today's plan.",
    ),
]

# --- running a use case ----------------------------------------------------------------


def _target(sess: Session, arg: str, connect: str | None) -> Target:
    from worklog.vm.actions import Target  # noqa: PLC0415
    from worklog.vm.factory import resolve_uri, split_target  # noqa: PLC0415

    uri, _ = resolve_uri(connect, sess.env, sess.config)
    return Target(*split_target(arg, uri))


def _run(
    sess: Session,
    given: Given,
    call: Callable[[Services], Outcome],
    *,
    quiet: bool = False,
    before_finish: Callable[[], None] = lambda: None,
) -> None:
    """Call the use case with libvirt, the log and the clock; say each record as it is
    logged, then where they went; word the library's errors; exit as docs/CLI.md says."""
    from worklog.cli import snap_output as out  # noqa: PLC0415
    from worklog.vm.actions import NothingDone, NotLogged, Services  # noqa: PLC0415
    from worklog.vm.base import HypervisorUnavailable  # noqa: PLC0415
    from worklog.vm.factory import open_hypervisor  # noqa: PLC0415
    from worklog.vm.tasks import TaskNotFound  # noqa: PLC0415

    reporter = Reporter(sess.log_path, quiet=quiet)
    services = Services(
        sess.log,
        open_hypervisor,
        sess.clock,
        sess.config.day_first,
        watch=lambda label, poll: Progress(label, poll, sys.stderr),
        on_logged=reporter.logged,
    )
    try:
        outcome = call(services)
    except NothingDone as exc:
        raise out.refusal(exc, given) from exc
    except NotLogged as exc:
        raise out.not_logged(exc) from exc
    except TaskNotFound as exc:
        raise out.task_error(exc, sess.log_path) from exc
    except HypervisorUnavailable as exc:
        raise errors.HypervisorError(str(exc)) from exc
    before_finish()
    reporter.finish(outcome)


# --- snap -------------------------------------------------------------------------------


DomainsArg = Annotated[
    list[str],
    typer.Argument(
        help="Domains to snapshot; DOMAIN@URI takes one from another host "
        "(web01@qemu+ssh://root@host/system).",
        metavar="DOMAIN",
    ),
]
NameOpt = Annotated[
    str | None,
    typer.Option(
        "--name", "-n", metavar="NAME", help="Snapshot name (default DOMAIN-YYYYMMDD-HHMMSS)."
    ),
]
DescriptionOpt = Annotated[
    str | None, typer.Option("--description", "-d", metavar="TEXT", help="Stored as typed.")
]
DiskOnlyOpt = Annotated[
    bool, typer.Option("--disk-only", help="External disk-only snapshot (overlay files).")
]
InternalOpt = Annotated[
    bool, typer.Option("--internal", help="Internal snapshot even with raw disks (which fail).")
]
QuiesceOpt = Annotated[
    bool,
    typer.Option(
        "--quiesce",
        help="Freeze guest file systems (needs the guest agent, which must answer a ping); "
        "--quiesce=preferred takes a crash-consistent snapshot when it does not.",
    ),
]
PreferredOpt = Annotated[bool, typer.Option("--quiesce-preferred", hidden=True)]
KeepOpt = Annotated[
    int | None,
    typer.Option(
        "--keep",
        min=1,
        metavar="K",
        help="Then delete all but the newest K worklog snapshots (prune --keep-last K).",
    ),
]


class SnapCommand(ReadableCommand):
    """`--quiesce=preferred` (and `--quiesce=required`, the same as `--quiesce`): a value
    only after `=`, so that `--quiesce web01` still reads web01 as a domain."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        for index, arg in enumerate(args):
            if arg == "--":
                rewritten += args[index:]
                break
            rewritten.append(_quiesce_arg(arg))
        result: list[str] = super().parse_args(ctx, rewritten)
        return result


def _quiesce_arg(arg: str) -> str:
    if not arg.startswith("--quiesce="):
        return arg
    value = arg.partition("=")[2]
    if value not in ("preferred", "required"):
        raise typer.BadParameter(
            f"{value!r}: use --quiesce, --quiesce=required or --quiesce=preferred",
            param_hint="--quiesce",
        )
    return "--quiesce-preferred" if value == "preferred" else "--quiesce"


def snap(
    ctx: typer.Context,
    domains: DomainsArg,
    connect: ConnectOpt = None,
    name: NameOpt = None,
    description: DescriptionOpt = None,
    disk_only: DiskOnlyOpt = False,
    internal: InternalOpt = False,
    quiesce: QuiesceOpt = False,
    for_: ForOpt = None,
    keep: KeepOpt = None,
    quiesce_preferred: PreferredOpt = False,
) -> None:
    """Snapshot every disk of each DOMAIN and log it: internal when all disks are qcow2,
    else external disk-only (atomic). Exit 1 when any failed, 5 when unreachable."""
    from worklog.vm import actions  # noqa: PLC0415

    sess = session(ctx)
    quiesce = quiesce or quiesce_preferred
    if internal and (disk_only or quiesce):
        raise errors.UsageError("--internal excludes --disk-only and --quiesce")
    request = actions.SnapRequest(
        tuple(_target(sess, arg, connect) for arg in domains),
        name=name,
        description=description,
        disk_only=disk_only,
        quiesce=quiesce,
        force_internal=internal,
        task=for_,
        keep=keep,
        quiesce_preferred=quiesce_preferred,
    )
    given = [("DOMAIN", t.domain) for t in request.targets]
    given += [("--name", name or ""), ("--description", description or "")]
    _run(sess, given, lambda services: actions.snap(request, services))


# --- revert, snap-delete ----------------------------------------------------------------


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
    from worklog.vm import actions  # noqa: PLC0415

    sess = session(ctx)
    target = _target(sess, domain, connect)
    _run(
        sess,
        [("DOMAIN", target.domain), ("SNAPSHOT", snapshot)],
        lambda services: actions.revert(target, snapshot, services, force=force, task=for_),
    )


def snap_delete(
    ctx: typer.Context,
    domain: Annotated[str, typer.Argument(metavar="DOMAIN", help="The domain (or DOMAIN@URI).")],
    snapshot: Annotated[str, typer.Argument(metavar="SNAPSHOT", help="The snapshot to delete.")],
    connect: ConnectOpt = None,
    for_: ForOpt = None,
) -> None:
    """Delete SNAPSHOT of DOMAIN (its children are kept) and log it."""
    from worklog.vm import actions  # noqa: PLC0415

    sess = session(ctx)
    target = _target(sess, domain, connect)
    _run(
        sess,
        [("DOMAIN", target.domain), ("SNAPSHOT", snapshot)],
        lambda services: actions.delete(target, snapshot, services, task=for_),
    )


# --- prune ------------------------------------------------------------------------------


def _count(flag: str, what: str) -> Any:
    return typer.Option(flag, min=1, metavar="N", help=f"Keep the newest snapshot of each {what}.")


def prune(
    ctx: typer.Context,
    domains: Annotated[
        list[str],
        typer.Argument(metavar="DOMAIN", help="Domains to prune (or DOMAIN@URI)."),
    ],
    connect: ConnectOpt = None,
    keep_last: Annotated[
        int | None,
        typer.Option("--keep-last", min=1, metavar="N", help="Keep the N newest snapshots."),
    ] = None,
    keep_hourly: Annotated[int | None, _count("--keep-hourly", "of the last N hours")] = None,
    keep_daily: Annotated[int | None, _count("--keep-daily", "of the last N days")] = None,
    keep_weekly: Annotated[int | None, _count("--keep-weekly", "of the last N weeks")] = None,
    keep_monthly: Annotated[int | None, _count("--keep-monthly", "of the last N months")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be kept and deleted; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list of objects.")] = False,
    for_: ForOpt = None,
) -> None:
    """Delete the snapshots worklog took that the policy does not keep (never others',
    never one serving a task still open), each deletion logged with the space freed.
    Exit 1 when any deletion failed or was refused, 5 when a host was unreachable."""
    from worklog.cli.snap_output import prune_json, prune_lines  # noqa: PLC0415
    from worklog.vm.prune import PruneRequest  # noqa: PLC0415
    from worklog.vm.prune import prune as prune_domains  # noqa: PLC0415
    from worklog.vm.retention import Policy  # noqa: PLC0415

    sess = session(ctx)
    policy = Policy(keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly)
    if policy.is_empty():
        raise errors.UsageError(
            "give at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, "
            "--keep-monthly (without one prune would keep nothing)"
        )
    request = PruneRequest(
        tuple(_target(sess, arg, connect) for arg in domains), policy, dry_run, for_
    )
    done: list[Any] = []

    def call(services: Services) -> Outcome:
        done.append(prune_domains(request, services))
        return done[0].outcome  # type: ignore[no-any-return]

    def show() -> None:
        plans = done[0].plans
        if as_json:
            typer.echo(json.dumps(prune_json(plans, done[0].outcome), ensure_ascii=False, indent=2))
        elif dry_run:
            for line in prune_lines(plans):
                typer.echo(line)

    given = [("DOMAIN", t.domain) for t in request.targets]
    _run(sess, given, call, quiet=as_json, before_finish=show)


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
    audit: Annotated[
        bool,
        typer.Option(
            "--audit",
            help="Compare libvirt's snapshots, the disks' backing chains, the overlay files "
            "and the log; each drift with its repair. Exit 1 when any.",
        ),
    ] = False,
) -> None:
    """Snapshots with the log entry that made each and the task it served; marks those
    the log does not know and the log's snapshots that are gone."""
    from worklog.cli.snap_output import listing_lines, row_json  # noqa: PLC0415
    from worklog.vm.factory import resolve_uri, split_target  # noqa: PLC0415

    sess = session(ctx)
    uri, _ = resolve_uri(connect, sess.env, sess.config)
    if domain is not None:
        domain, uri = split_target(domain, uri)
    if audit:
        if domain is None:
            raise errors.UsageError("--audit needs a DOMAIN")
        _audit(sess, domain, uri, as_json=as_json)
        return
    listing = _listing(sess, domain, uri, tree=tree)
    if as_json:
        rows = [row_json(r) for group in listing.groups for r in group.rows]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for line in listing_lines(listing):
            typer.echo(line)
    missing = [g.domain for g in listing.groups if not g.found]
    for name in missing:
        typer.echo(
            f"worklog: snaps {escape_value(name)}: domain not found on {listing.uri}", err=True
        )
    if not listing.groups:
        typer.echo(
            f"worklog: no snapshot records for {listing.uri} in {sess.log_path}; "
            "name a domain: worklog snaps DOMAIN",
            err=True,
        )
    if domain is not None and missing:
        raise typer.Exit(errors.EXIT_FAILED)


def _audit(sess: Session, domain: str, uri: str | None, *, as_json: bool) -> None:
    from worklog.cli.snap_output import audit_json, audit_lines  # noqa: PLC0415
    from worklog.vm.audit import audit  # noqa: PLC0415
    from worklog.vm.base import (  # noqa: PLC0415
        ConnectError,
        HypervisorCallError,
        HypervisorUnavailable,
    )
    from worklog.vm.factory import open_hypervisor  # noqa: PLC0415

    try:
        found = audit(sess.log, open_hypervisor, domain, uri)
    except ConnectError as exc:
        raise errors.HypervisorError(f"{exc}: {exc.message}") from exc
    except HypervisorUnavailable as exc:
        raise errors.HypervisorError(str(exc)) from exc
    except HypervisorCallError as exc:
        raise errors.WorklogError(f"snaps {domain}: {exc.plain_error or exc}") from exc
    if as_json:
        typer.echo(json.dumps(audit_json(found), ensure_ascii=False, indent=2))
    else:
        for line in audit_lines(found):
            typer.echo(line)
    if found.problems:
        raise typer.Exit(errors.EXIT_FAILED)


def _listing(sess: Session, domain: str | None, uri: str | None, *, tree: bool) -> Listing:
    from worklog.vm.base import ConnectError, HypervisorUnavailable  # noqa: PLC0415
    from worklog.vm.factory import open_hypervisor  # noqa: PLC0415
    from worklog.vm.listing import ListingFailed, list_snaps  # noqa: PLC0415

    try:
        return list_snaps(sess.log, open_hypervisor, domain, uri, tree=tree)
    except ConnectError as exc:
        raise errors.HypervisorError(f"{exc}: {exc.message}") from exc
    except HypervisorUnavailable as exc:
        raise errors.HypervisorError(str(exc)) from exc
    except ListingFailed as exc:
        cause = exc.cause
        raise errors.WorklogError(f"snaps {exc.domain}: {cause.plain_error or cause}") from exc
