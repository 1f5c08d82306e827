"""The command table behind ``worklog --help`` matches the commands, and each is documented."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT
from worklog.cli.registry import COMMANDS, load


def test_table_lists_exactly_the_registered_commands() -> None:
    registered = {name: module for module in {m for m, _ in COMMANDS.values()}
                  for name in load(module)}
    assert registered == {name: module for name, (module, _) in COMMANDS.items()}


def test_every_command_has_help_and_docs() -> None:
    docs = (ROOT / "docs" / "CLI.md").read_text(encoding="utf-8") + (
        ROOT / "README.md").read_text(encoding="utf-8")
    for name, (module, text) in COMMANDS.items():
        command = load(module)[name]
        assert text.endswith("."), name
        assert (command.help or "").strip(), f"{name} has no help"
        assert f"worklog {name}" in docs, f"{name} is not in docs/CLI.md or README.md"


def test_help_imports_no_command_module() -> None:
    code = ("import sys; from worklog.cli.app import main; main(['--help']); "
            "print(sorted(m for m in sys.modules if m.endswith('_cmds')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.rstrip().splitlines()[-1] == "[]"
    assert "snap-delete" in done.stdout
