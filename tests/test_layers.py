"""The package's layers: no module imports a layer above its own, only ``cli`` talks to
the terminal.

Every import of every module under ``worklog/`` is read from its syntax tree (imports
inside functions and under ``TYPE_CHECKING`` included, relative ones resolved), so the
test needs nothing to be importable. The layers, bottom to top::

    errors < format < store, config < capture < day < history < vm, sync < cli

Layers on one line are peers and do not import each other. ``day`` may use ``capture``
(an e-mail's sender in the day's trace), not the other way round.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "worklog"

#: Each layer and the layers its modules may import (itself included). Written out, not
#: computed: changing the layering is a decision made here, in the open.
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset({"errors"}),
    "format": frozenset({"errors", "format"}),
    "store": frozenset({"errors", "format", "store"}),
    "config": frozenset({"errors", "format", "config"}),
    "capture": frozenset({"errors", "format", "store", "config", "capture"}),
    "day": frozenset({"errors", "format", "store", "config", "capture", "day"}),
    "history": frozenset({"errors", "format", "store", "config", "capture", "day",
                          "history"}),
    "vm": frozenset({"errors", "format", "store", "config", "capture", "day", "history",
                     "vm"}),
    "sync": frozenset({"errors", "format", "store", "config", "sync"}),
    "cli": frozenset({"errors", "format", "store", "config", "capture", "day", "history",
                      "vm", "sync", "cli"}),
}

#: The layer of each top-level module and sub-package of ``worklog``.
LAYER_OF: dict[str, str] = {
    "__init__": "errors",  # ``worklog`` itself: the version, nothing else
    "errors": "errors",
    "format": "format",
    "store": "store",
    "config": "config",
    "capture": "capture",
    "day": "day",
    "history": "history",
    "vm": "vm",
    "sync": "sync",
    "cli": "cli",
    "__main__": "cli",
}

#: Third-party packages that belong to one layer only.
TERMINAL_PACKAGES = frozenset({"typer", "click", "rich"})  # cli only
HYPERVISOR_PACKAGES = frozenset({"libvirt"})  # vm only
STREAMS = frozenset({"stdout", "stderr", "__stdout__", "__stderr__"})

#: (module, imported module) pairs that break the layering today and are being removed.
#: This set may only shrink: an entry that no longer happens fails the test.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Module:
    name: str  # dotted: worklog.format.stamps
    path: Path
    tree: ast.Module

    @property
    def layer(self) -> str:
        return layer_of(self.name)

    @property
    def package(self) -> list[str]:
        parts = self.name.split(".")
        return parts if self.path.name == "__init__.py" else parts[:-1]


def layer_of(dotted: str) -> str:
    parts = dotted.split(".")
    return LAYER_OF[parts[1] if len(parts) > 1 else "__init__"]


def modules() -> list[Module]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(Module(".".join(parts), path, ast.parse(path.read_bytes(), str(path))))
    return found


def imports(module: Module) -> Iterator[tuple[str, int]]:
    """Each module ``module`` imports (``from A import b`` gives ``A`` and ``A.b``: b may
    be a module), with its line."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.package[: len(module.package) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yield source, node.lineno
            for alias in node.names:
                yield f"{source}.{alias.name}", node.lineno


def internal(name: str) -> str | None:
    """The ``worklog`` module or package ``name`` refers to, or None."""
    if name != "worklog" and not name.startswith("worklog."):
        return None
    parts = name.split(".")
    while len(parts) > 1:
        dotted = Path(*parts)
        if (ROOT / dotted).with_suffix(".py").is_file() or (ROOT / dotted).is_dir():
            return ".".join(parts)
        parts.pop()  # ``from worklog.x import name``: name is not a module
    return "worklog"


def violations_of(module: Module) -> set[tuple[str, str]]:
    """(module, imported module) for each import of a layer ``module`` may not use."""
    found = set()
    for name, _line in imports(module):
        target = internal(name)
        if target is not None and layer_of(target) not in ALLOWED[module.layer]:
            found.add((module.name, target))
    return found


def layer_violations() -> set[tuple[str, str]]:
    return {pair for module in modules() for pair in violations_of(module)}


def test_every_module_has_a_layer() -> None:
    names = [m.name for m in modules()]
    assert "worklog.format.stamps" in names
    assert "worklog.cli.app" in names
    unplaced = sorted({n.split(".")[1] for n in names if "." in n} - set(LAYER_OF))
    assert unplaced == [], "new top-level modules or packages need a layer in LAYER_OF"


def test_the_allowed_map_is_layered() -> None:
    """Each layer may import itself and only layers that may not import it back."""
    for layer, allowed in ALLOWED.items():
        assert layer in allowed
        for other in allowed - {layer}:
            assert layer not in ALLOWED[other], (layer, other)


def test_no_module_imports_a_layer_above_its_own() -> None:
    found = layer_violations()
    assert found - KNOWN_VIOLATIONS == set(), "imports of a layer above or beside"
    assert KNOWN_VIOLATIONS - found == set(), "fixed: take these out of KNOWN_VIOLATIONS"


def test_only_cli_imports_terminal_packages_and_only_vm_libvirt() -> None:
    found = []
    for module in modules():
        for name, line in imports(module):
            top = name.split(".")[0]
            if top in TERMINAL_PACKAGES and module.layer != "cli":
                found.append(f"{module.path.relative_to(ROOT)}:{line}: {name}")
            if top in HYPERVISOR_PACKAGES and module.layer != "vm":
                found.append(f"{module.path.relative_to(ROOT)}:{line}: {name}")
    assert found == []


def terminal_uses(module: Module) -> Iterator[str]:
    """Calls of ``print`` and uses of ``sys.stdout``/``sys.stderr`` in ``module``."""
    where = module.path.relative_to(ROOT)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "print":
            yield f"{where}:{node.lineno}: print()"
        elif isinstance(node, ast.Attribute) and node.attr in STREAMS \
                and isinstance(node.value, ast.Name) and node.value.id == "sys":
            yield f"{where}:{node.lineno}: sys.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module == "sys" \
                and STREAMS & {alias.name for alias in node.names}:
            yield f"{where}:{node.lineno}: from sys import a stream"


def test_nothing_outside_cli_prints() -> None:
    found = [use for module in modules() if module.layer != "cli"
             for use in terminal_uses(module)]
    assert found == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from worklog.cli.session import Session\n", {("worklog.format.bad", "worklog.cli.session")}),
    ("def f():\n    from worklog.store import logfile\n",
     {("worklog.format.bad", "worklog.store"), ("worklog.format.bad", "worklog.store.logfile")}),
    ("from ..history import search\n",
     {("worklog.format.bad", "worklog.history"), ("worklog.format.bad", "worklog.history.search")}),
    ("import worklog.vm.base\n", {("worklog.format.bad", "worklog.vm.base")}),
    ("from worklog.errors import UsageError\nfrom . import stamps\n", set()),
])
def test_the_scan_sees_each_kind_of_import(source: str, expected: set[tuple[str, str]]) -> None:
    """A module ``worklog/format/bad.py`` with SOURCE: what the scan reports."""
    module = Module("worklog.format.bad", PACKAGE / "format" / "bad.py", ast.parse(source))
    assert violations_of(module) == expected


def test_the_scan_sees_prints_and_streams() -> None:
    source = ("import sys\nfrom sys import stderr\ndef f():\n    print('x')\n"
              "    sys.stdout.write('y')\n")
    module = Module("worklog.day.bad", PACKAGE / "day" / "bad.py", ast.parse(source))
    assert sorted(terminal_uses(module)) == [
        "worklog/day/bad.py:2: from sys import a stream",
        "worklog/day/bad.py:4: print()",
        "worklog/day/bad.py:5: sys.stdout",
    ]
