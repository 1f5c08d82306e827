"""change: snapshot the named domains, run a command with its transcript, record it
linked to the snapshots, and revert when it fails (or say how)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from worklog import errors
from worklog.cli.capture_cmds import _encodable, _terminal_input, _user
from worklog.cli.session import Session, session
from worklog.cli.snap_cmds import ConnectOpt, ForOpt, _target

if TYPE_CHECKING:
    from worklog.capture.transcript import RunResult
    from worklog.vm.actions import Outcome, Services
    from worklog.vm.change import ChangeOutcome, DescribeRun, RunCommand


def register(app: typer.Typer) -> None:
    app.command("change", context_settings={"allow_interspersed_args": False,
                                            "ignore_unknown_options": True})(change)


def _runner(sess: Session) -> tuple[RunCommand, DescribeRun]:
    from worklog.capture.transcript import record_lines, run_command  # noqa: PLC0415

    out = sys.stdout.buffer

    def show(chunk: bytes) -> None:
        out.write(chunk)
        out.flush()

    def run(argv: Sequence[str]) -> RunResult:
        sys.stdout.flush()
        return run_command(list(argv), show, use_pty=sys.stdout.isatty(),
                           forward_interrupt=not sys.stdin.isatty(),
                           terminal=_terminal_input())

    def describe(result: RunResult, extra: Sequence[tuple[str, str]]) -> list[str]:
        lines = record_lines(result, user=_user(sess.env), host=socket.gethostname(),
                             home=sess.env.get("HOME"), extra=extra)
        return _encodable(sess, lines)

    return run, describe


def _say(sess: Session, outcome: ChangeOutcome) -> None:
    result = outcome.run
    if result is None:
        typer.echo("worklog: change: a snapshot failed, so the command was not run; "
                   f"logged in {sess.log_path}", err=True)
        return
    where = f"as {outcome.run_stamp} to {sess.log_path}"
    if result.error:
        typer.echo(f"worklog: {result.argv[0]}: {result.error}; logged {where}", err=True)
    else:
        typer.echo(f"logged {result.name} (exit {result.exit_code}, {result.duration_text}) "
                   f"{where}", err=True)
    for item in outcome.reverts:
        state = "reverted" if item.result.ok else "revert FAILED"
        typer.echo(f"{state}: {item.result.domain} to {item.result.name} (logged as "
                   f"{item.stamp})", err=True)
    for command in outcome.revert_commands:
        typer.echo(f"to undo: {command}", err=True)


def change(
    ctx: typer.Context,
    command: Annotated[list[str], typer.Argument(
        help="The command and its arguments (after --), run without a shell.",
        metavar="-- COMMAND [ARGS]...")],
    snap: Annotated[list[str] | None, typer.Option(
        "--snap", metavar="DOMAIN", help="A domain to snapshot first (repeatable; "
        "DOMAIN@URI for another host).")] = None,
    connect: ConnectOpt = None,
    for_: ForOpt = None,
    revert_on_failure: Annotated[bool, typer.Option(
        "--revert-on-failure", help="When the command fails, revert every domain to its "
        "new snapshot.")] = False,
) -> None:
    """Snapshot every --snap DOMAIN, run COMMAND (no shell) with its transcript, and log
    it linked to the snapshots and the task; when it fails, revert (--revert-on-failure)
    or print the revert commands. Exit: the command's; 1 when a snapshot failed."""
    from worklog.cli.snap_cmds import _run  # noqa: PLC0415
    from worklog.vm.change import ChangeRequest, change  # noqa: PLC0415

    sess = session(ctx)
    if not command:
        raise errors.UsageError("COMMAND: missing (worklog change --snap web01 -- make install)")
    if not snap:
        raise errors.UsageError("--snap DOMAIN: at least one domain to snapshot first")
    request = ChangeRequest(tuple(_target(sess, arg, connect) for arg in snap),
                            tuple(command), for_, revert_on_failure)
    run, describe = _runner(sess)
    done: list[ChangeOutcome] = []

    def call(services: Services) -> Outcome:
        outcome = change(request, services, run, describe)
        done.append(outcome)
        return outcome.snaps

    given = [("DOMAIN", t.domain) for t in request.targets]
    try:
        _run(sess, given, call)
    except typer.Exit:
        if done:  # the snapshot failed: _run said so
            _say(sess, done[0])
        raise
    outcome = done[0]
    _say(sess, outcome)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)
