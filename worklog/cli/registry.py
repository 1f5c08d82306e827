"""The commands, where they live, and loading only the one that runs.

A command module (``worklog/cli/*_cmds.py``) defines ``register(app: typer.Typer)``.
``worklog --help`` lists the commands from the table below without importing any of
them, and ``worklog today`` imports the day commands alone: start-up stays near the
cost of importing typer, however many commands worklog grows. A test checks the table
against what the modules register.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

#: name: (module in worklog.cli, one line of help for ``worklog --help``), in help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("core_cmds", "Append an entry stamped now, in the file's own style."),
    "show": ("search_cmds", "Entries as they stand: by stamp (with links) or the last N."),
    "grep": ("search_cmds", "Whole entries matching a pattern, by date, tag and kind."),
    "today": ("day_cmds", "The day's plan, carry-over, time worked, the day's trace."),
    "plan": ("day_cmds", "Write the day's plan: open items carried over, then new ones."),
    "start": ("day_cmds", "Start item N: open a range H:MM- on it."),
    "stop": ("day_cmds", "End the running range."),
    "done": ("day_cmds", "Mark item N (done)."),
    "drop": ("day_cmds", "Mark item N (dropped)."),
    "report": ("report_cmds", "Time worked by day, item or tag."),
    "todo": ("todo_cmds", "Open TODO items of the whole history; mark one done or dropped."),
    "status": ("status_cmds", "One line for a shell prompt: the running item, today's total."),
    "snap": ("snap_cmds", "Snapshot a VM's disks and log it, linked to the task."),
    "snaps": ("snap_cmds", "A VM's snapshots with the log entries that made them."),
    "revert": ("snap_cmds", "Revert a VM to a snapshot and log it."),
    "snap-delete": ("snap_cmds", "Delete a snapshot and log it."),
    "thread": ("thread_cmds", "A task's story: its note, plans, e-mails, snapshots, commands."),
    "change": ("change_cmds", "Snapshot VMs, run a risky command, revert if it fails."),
    "prune": ("snap_cmds", "Delete worklog's snapshots a retention policy does not keep."),
    "run": ("capture_cmds", "Run a command (no shell) and log its transcript."),
    "email": ("capture_cmds", "Append e-mails (a message or an mbox) as entries."),
    "tags": ("search_cmds", "Each tag with its count and last use."),
    "export": ("search_cmds", "Entries as JSON, Markdown, iCalendar; time as timeclock or CSV."),
    "check": ("core_cmds", "What looks wrong in the log, with file and line."),
    "edit": ("edit_cmds", "Open the log in $EDITOR at an entry, then check it."),
    "merge": ("sync_cmds", "Merge copies of the log entry by entry (a git merge driver)."),
    "git-setup": ("sync_cmds", "Make git merge .LOG files with worklog merge."),
    "help": ("help_cmds", "The file format and the command guide, offline."),
}


@functools.cache
def _registered(module: str) -> typer.Typer:
    """What one command module registers (imported on first use), not yet built."""
    imported = importlib.import_module(f"worklog.cli.{module}")
    sub = typer.Typer(rich_markup_mode=None)
    imported.register(sub)
    return sub


def _built(sub: typer.Typer) -> dict[str, Any]:
    """The click commands of ``sub``, with the global options and readable usage."""
    commands = dict(typer.main.get_group(sub).commands)
    from worklog.cli.session import GLOBAL_OPTIONS  # noqa: PLC0415  (not for --help)

    for command in commands.values():
        command.params.extend(GLOBAL_OPTIONS)
        if type(command) is TyperCommand:
            command.__class__ = ReadableCommand
    return commands


@functools.cache
def load(module: str) -> dict[str, Any]:
    """The click commands one module registers (imported on first use)."""
    return _built(_registered(module))


@functools.cache
def load_command(module: str, name: str) -> Any:
    """The click command ``name`` of ``module``, built alone: typer reads the signature
    of each command it builds, and a command line runs one."""
    sub = _registered(module)
    one = typer.Typer(rich_markup_mode=None)
    one.registered_commands = [info for info in sub.registered_commands if info.name == name]
    return _built(one).get(name) if one.registered_commands else load(module).get(name)


class ReadableCommand(TyperCommand):
    """A command whose usage line names its arguments as a person reads them:
    ``worklog start [OPTIONS] N``, ``worklog add [OPTIONS] [TEXT]...``."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                pieces.extend(param.get_usage_pieces(ctx))
                continue
            name = param.metavar or (param.name or "").upper()
            if name.startswith("-") or name.startswith("["):
                pieces.append(name if param.required else f"[{name}]")
                continue
            name = name if param.required else f"[{name}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces


class LazyGroup(TyperGroup):
    """The root command: its sub-commands are imported when one is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = COMMANDS.get(cmd_name)
        return None if found is None else load_command(found[0], cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, text) in COMMANDS.items()])
