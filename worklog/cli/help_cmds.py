"""help: the file format and the command guide, readable offline from the installed tool.

docs/FORMAT.md and docs/CLI.md are the one source: the build copies them into the wheel
as ``worklog/docs/`` (setup.py), and a checkout reads them where they are.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from worklog.cli.completion import starting_with
from worklog.cli.registry import COMMANDS
from worklog.errors import UsageError, WorklogError

#: topic: (file in docs/, what it is).
TOPICS: dict[str, tuple[str, str]] = {
    "format": ("FORMAT.md", "the .LOG file format, rule by rule"),
    "commands": ("CLI.md", "every command and option, the JSON fields, the exit codes"),
}


def register(app: typer.Typer) -> None:
    app.command("help")(help_cmd)


def doc_text(name: str) -> bytes:
    """A document as shipped in the package, else as it stands in the checkout."""
    shipped = resources.files("worklog").joinpath("docs", name)
    if shipped.is_file():
        return shipped.read_bytes()
    source = Path(__file__).resolve().parents[2] / "docs" / name
    try:
        return source.read_bytes()
    except OSError:
        raise WorklogError(f"{name}: not installed with this worklog") from None


def _complete_topic(incomplete: str) -> list[str]:
    return starting_with([*TOPICS, *COMMANDS], incomplete)


def help_cmd(
    ctx: typer.Context,
    topic: Annotated[str | None, typer.Argument(
        metavar="TOPIC", autocompletion=_complete_topic,
        help="format, commands, or a command's name.")] = None,
) -> None:
    """The file format (`worklog help format`), the guide to every command (`worklog help
    commands`), or one command's options; the same texts as on the project's pages."""
    root = ctx.find_root()
    if topic is None:
        typer.echo(root.get_help())
        typer.echo("\nTopics of `worklog help TOPIC`:")
        for name, (_, what) in TOPICS.items():
            typer.echo(f"  {name:<10} {what}")
        return
    if topic in TOPICS:
        sys.stdout.flush()
        sys.stdout.buffer.write(doc_text(TOPICS[topic][0]))
        sys.stdout.buffer.flush()
        return
    command = root.command.get_command(root, topic) if topic in COMMANDS else None  # type: ignore[attr-defined]
    if command is None:
        raise UsageError(f"help: {topic!r} is not a topic ({', '.join(TOPICS)}) nor a command")
    typer.echo(command.get_help(typer.Context(command, info_name=topic, parent=root)))
