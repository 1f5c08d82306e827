"""edit: the log in ``$VISUAL``/``$EDITOR`` at an entry's line, then ``check`` on it."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from worklog.cli.session import Session, session
from worklog.errors import EXIT_FAILED, UsageError, WorklogError
from worklog.format.check import check
from worklog.format.dates import stamp_candidates

#: Editors that open a file at a line given as ``+LINE`` before it.
PLUS_LINE_EDITORS = frozenset({"vi", "vim", "nvim", "view", "gvim", "nano", "pico", "emacs",
                               "emacsclient", "micro", "kak", "joe", "jed", "mcedit", "ne",
                               "mg", "zile", "hx", "helix", "ed"})


def register(app: typer.Typer) -> None:
    app.command("edit")(edit)


def editor_command(editor: str, path: Path, line: int) -> list[str]:
    """The editor's command line: ``+LINE`` first for the editors that take it."""
    argv = shlex.split(editor)
    if not argv:
        raise UsageError("$EDITOR is empty: set it to the editor to run (vi, nano...)")
    name = Path(argv[0]).name
    return [*argv, f"+{line}", str(path)] if name in PLUS_LINE_EDITORS else [*argv, str(path)]


def _line_of(sess: Session, stamp: str | None) -> int:
    doc = sess.log.load().doc
    if stamp is None:
        return doc.entries[-1].line if doc.entries else 1
    for when in stamp_candidates(stamp, day_first=doc.day_first):
        found = [entry for entry in doc.entries if entry.stamp.when == when]
        if found:
            return found[-1].line
    raise WorklogError(f"{sess.log_path}: no entry stamped {stamp!r}")


def edit(
    ctx: typer.Context,
    stamp: Annotated[str | None, typer.Argument(
        metavar="STAMP", help="The entry to open at (any stamp shape); the last by default.")]
    = None,
) -> None:
    """Open the log in $VISUAL or $EDITOR at an entry's line (+LINE for the editors that
    take it), then check the file; exit 1 when the check finds problems."""
    sess = session(ctx)
    if not sess.log_path.exists():
        raise WorklogError(f"{sess.log_path}: no such file (`worklog add` starts it)")
    line = _line_of(sess, stamp)
    editor = sess.env.get("VISUAL") or sess.env.get("EDITOR") or "vi"
    argv = editor_command(editor, sess.log_path, line)
    before = sess.log_path.read_bytes()
    try:
        code = subprocess.call(argv)
    except OSError as exc:
        raise UsageError(f"$EDITOR: cannot run {editor!r}: {exc.strerror}") from exc
    if code != 0:
        raise WorklogError(f"$EDITOR: {editor!r} exited with {code}")
    after = sess.log.load().doc
    problems = list(check(after))
    for problem in problems:
        typer.echo(f"{sess.log_path}:{problem.line}: {problem.message} [{problem.code}]")
    changed = "changed" if sess.log_path.read_bytes() != before else "unchanged"
    typer.echo(f"{sess.log_path}: {changed}, {len(problems)} problem(s)"
               if problems else f"{sess.log_path}: {changed}, no problems", err=True)
    if problems:
        raise typer.Exit(EXIT_FAILED)
