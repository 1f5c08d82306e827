"""worklog(1): the man page, written from the commands themselves.

``python -m worklog.cli.manpage`` writes ``man/worklog.1`` (``--check``: exit 1 when the
committed page differs from what the commands say now). The page is committed, so that a
wheel or sdist builds from plain files; a test keeps it current. Wheels install it as
``share/man/man1/worklog.1``, where ``man worklog`` finds it next to the ``bin/`` of a
virtual environment or a pipx install.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

import typer

from worklog import __version__

PAGE = Path(__file__).resolve().parents[2] / "man" / "worklog.1"
SKIPPED = {"help"}  # -h/--help: said once


def roff(text: str) -> str:
    """Plain text as roff: backslashes and hyphens escaped, no line read as a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line
                     for line in text.splitlines())


def _paragraphs(text: str | None) -> list[str]:
    cleaned = inspect.cleandoc(text or "")
    return [" ".join(p.split()) for p in cleaned.split("\n\n") if p.strip()]


def _options(command: Any, ctx: Any, skip: set[int]) -> list[str]:
    lines: list[str] = []
    for param in command.get_params(ctx):
        if id(param) in skip or param.name in SKIPPED:
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, text = record
        lines += [".TP", f"\\fB{roff(names)}\\fR", roff(" ".join(text.split()))]
    return lines


def render() -> str:
    """The page, from the command tree (every command module is loaded)."""
    from worklog.cli.app import app  # noqa: PLC0415
    from worklog.cli.session import GLOBAL_OPTIONS  # noqa: PLC0415

    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="worklog")
    lines = [
        f'.TH WORKLOG 1 "" "worklog {__version__}" "User Commands"',
        ".SH NAME",
        "worklog \\- " + roff(_paragraphs(root.help)[0].rstrip(".")),
        ".SH SYNOPSIS",
        ".B worklog",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
    ]
    for paragraph in _paragraphs(root.epilog):
        lines += [roff(paragraph), ".PP"]
    lines += [".SH OPTIONS", *_options(root, ctx, set()), ".SH COMMANDS"]
    skip = {id(param) for param in GLOBAL_OPTIONS}
    for name in root.list_commands(ctx):  # type: ignore[attr-defined]
        command = root.get_command(ctx, name)  # type: ignore[attr-defined]
        sub = typer.Context(command, info_name=name, parent=ctx)
        usage = " ".join(["worklog", name, *command.collect_usage_pieces(sub)])
        lines += [f'.SS "{roff(usage)}"']
        for paragraph in _paragraphs(command.help):
            lines += [roff(paragraph), ".PP"]
        lines += _options(command, sub, skip)
    lines += [
        ".SH FILES",
        ".TP", "\\fI~/worklog.LOG\\fR", "The log, unless \\-\\-file, $WORKLOG_FILE or the "
        "configuration name another.",
        ".TP", "\\fI~/.config/worklog/config.toml\\fR",
        "The configuration ($XDG_CONFIG_HOME respected).",
        ".SH SEE ALSO",
        "\\fBworklog help commands\\fR (the guide to every command, its JSON and exit "
        "codes), \\fBworklog help format\\fR (the file format).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write man/worklog.1 from the commands.")
    parser.add_argument("--check", action="store_true",
                        help="Only compare: exit 1 when man/worklog.1 is not current.")
    args = parser.parse_args(argv)
    page = render()
    if args.check:
        current = PAGE.is_file() and PAGE.read_text(encoding="utf-8") == page
        if not current:
            print(f"{PAGE}: not current; python -m worklog.cli.manpage rewrites it",
                  file=sys.stderr)
        return 0 if current else 1
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
