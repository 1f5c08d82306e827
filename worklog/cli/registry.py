"""Finds the command modules (``worklog/cli/*_cmds.py``) and lets each register itself.

A command module defines ``register(app: typer.Typer) -> None``. Modules are imported
in name order; heavy imports belong inside the commands, not at module level, so that
``worklog --help`` stays quick.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

import worklog.cli

_ALREADY = {"core_cmds"}


def register_all(app: typer.Typer) -> None:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(worklog.cli.__path__)
        if info.name.endswith("_cmds") and info.name not in _ALREADY
    )
    for name in names:
        module = importlib.import_module(f"worklog.cli.{name}")
        module.register(app)
