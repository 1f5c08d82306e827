"""merge and git-setup: one log kept on several machines (git, Syncthing, Dropbox)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from worklog.cli.session import Session, session
from worklog.errors import EXIT_FAILED, UsageError
from worklog.sync.conflicts import merge_conflict_copies
from worklog.sync.files import Outcome, merge_files
from worklog.sync.gitsetup import PATTERN, git_setup


def register(app: typer.Typer) -> None:
    app.command("merge")(merge_cmd)
    app.command("git-setup")(git_setup_cmd)


def _notice(message: str) -> None:
    """What the store repaired on the way (an interrupted edit undone), as it happens."""
    typer.echo(f"worklog: {message}", err=True)


def _say(sess: Session, outcome: Outcome) -> None:
    for conflict in outcome.conflicts:
        location = sess.style(f"{outcome.ours}:{conflict.line}:", bold=True)
        typer.echo(f"{location} both copies changed {conflict.what}: both "
                   "versions are kept between conflict markers [conflict]")
    what = (f"entries: {outcome.added} added, {outcome.changed} changed"
            if outcome.written else "nothing new")
    conflicts = f", {len(outcome.conflicts)} conflict(s)" if outcome.conflicts else ""
    typer.echo(f"merged {outcome.theirs} into {outcome.ours}: {what}{conflicts}", err=True)


def merge_cmd(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="BASE OURS THEIRS (git's %O %A %B), or OURS THEIRS without a "
                       "base; the result is written to OURS.", show_default=False,
                       metavar="[BASE] OURS THEIRS"),
    ] = None,
    conflicts: Annotated[
        bool, typer.Option("--conflicts", help="Merge the Syncthing and Dropbox conflict "
                           "copies beside the log into it, and remove them."),
    ] = False,
) -> None:
    """Merge copies of a log entry by entry; exit 1 when an entry was changed on both sides."""
    sess = session(ctx)
    paths = files or []
    options = sess.config.parse_options
    if conflicts:
        if paths:
            raise UsageError("--conflicts takes no FILES: it merges the copies beside the log")
        done = merge_conflict_copies(sess.log_path, options, _notice)
        if not done:
            typer.echo(f"no conflict copies beside {sess.log_path}", err=True)
        for item in done:
            _say(sess, item.outcome)
            typer.echo(f"removed {item.outcome.theirs}" if item.removed else
                       f"kept {item.outcome.theirs}: it changed while it was merged", err=True)
        if any(item.outcome.conflicts for item in done):
            raise typer.Exit(EXIT_FAILED)
        return
    if len(paths) not in (2, 3):
        raise UsageError("merge takes BASE OURS THEIRS, or OURS THEIRS "
                         f"({len(paths)} given; see worklog merge --help)")
    base = paths[0] if len(paths) == 3 else None
    ours, theirs = paths[-2], paths[-1]
    outcome = merge_files(ours, theirs, base, options, _notice)
    _say(sess, outcome)
    if outcome.conflicts:
        raise typer.Exit(EXIT_FAILED)


def git_setup_cmd(
    repo: Annotated[
        Path | None,
        typer.Argument(help="The repository (default: the current folder).",
                       show_default=False, metavar="[REPO]"),
    ] = None,
    pattern: Annotated[
        str, typer.Option("--pattern", metavar="GLOB", help="The files git merges with worklog.")
    ] = PATTERN,
) -> None:
    """Make git merge .LOG files with worklog merge: .gitattributes and the driver config."""
    done = git_setup(repo or Path.cwd(), pattern)
    for line in done.changed:
        typer.echo(f"wrote {line}")
    for line in done.kept:
        typer.echo(f"already set: {line}")
    typer.echo(f"{done.repo}: " + ("git merges its logs with worklog now" if done.changed
                                   else "nothing to change"), err=True)
