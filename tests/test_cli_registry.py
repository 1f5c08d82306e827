"""The command table behind ``worklog --help`` matches the commands, and each is documented."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT
from worklog.cli.registry import COMMANDS, load, load_command


def test_table_lists_exactly_the_registered_commands() -> None:
    registered = {name: module for module in {m for m, _ in COMMANDS.values()}
                  for name in load(module)}
    assert registered == {name: module for name, (module, _) in COMMANDS.items()}


def test_a_command_built_alone_is_the_one_its_module_builds() -> None:
    """``worklog NAME`` builds only NAME: the same options, help and class as when its
    module's commands are built together (for --help, the man page, the tests)."""
    for name, (module, _) in COMMANDS.items():
        alone, together = load_command(module, name), load(module)[name]
        assert alone is not together
        assert type(alone) is type(together), name
        assert [p.name for p in alone.params] == [p.name for p in together.params], name
        assert alone.help == together.help


#: A command named at the start of a code span in a heading of docs/CLI.md:
#: "### `worklog snap DOMAIN...`", "`worklog start N`, `stop`, `done N`".
HEADING_COMMAND_RE = re.compile(r"`(?:worklog )?([a-z][a-z-]*)(?=[ `])")


def documented_commands(cli_md: str) -> set[str]:
    return {name for line in cli_md.splitlines() if line.startswith("### ")
            for name in HEADING_COMMAND_RE.findall(line)}


def test_documented_commands_are_whole_names() -> None:
    assert documented_commands("### `worklog snap-delete DOMAIN`\n") == {"snap-delete"}
    assert documented_commands("### `worklog start N`, `stop`, `done N` (`--at H:MM`)\n"
                               "`worklog snap` in a paragraph\n") == {"start", "stop", "done"}


def test_every_command_has_help_and_docs() -> None:
    """Each command has its help line, its help text and a heading of docs/CLI.md
    that names it whole (`snap` is not documented by `snap-delete`)."""
    documented = documented_commands((ROOT / "docs" / "CLI.md").read_text(encoding="utf-8"))
    for name, (module, text) in COMMANDS.items():
        command = load(module)[name]
        assert text.endswith("."), name
        assert (command.help or "").strip(), f"{name} has no help"
        assert name in documented, f"{name} has no heading in docs/CLI.md"


def test_help_imports_no_command_module() -> None:
    code = ("import sys; from worklog.cli.app import main; main(['--help']); "
            "print(sorted(m for m in sys.modules if m.endswith('_cmds')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.rstrip().splitlines()[-1] == "[]"
    assert "snap-delete" in done.stdout


def test_speed_figures_live_only_in_performance_md() -> None:
    """docs/CLI.md says how commands are fast and links to docs/PERFORMANCE.md, which
    holds the figures: no timings (`198 ms`, `13 µs`) and no ratio tables in CLI.md."""
    cli_md = (ROOT / "docs" / "CLI.md").read_text(encoding="utf-8")
    assert re.findall(r"\d\s?(?:ms|µs)\b", cli_md) == []
    assert [line for line in cli_md.splitlines()
            if line.startswith("|") and re.search(r"\bratio\b", line)] == []
    assert cli_md.count("(PERFORMANCE.md)") >= 3
    performance = (ROOT / "docs" / "PERFORMANCE.md").read_text(encoding="utf-8")
    assert re.search(r"\d\s?ms\b", performance)
