"""Every rule of docs/FORMAT.md has a test that names it, and the spec shows its version.

A test names a rule with ``@pytest.mark.rule("C8")`` or with the rule's id in brackets
in its own docstring (``[C8] A carried item ...``). The test files are read as syntax
trees: only a test function (``test_*``, at module level or in a class) that asserts
something counts; an id in a comment, a module docstring, a helper or a string does not.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from worklog.format import SPEC_VERSION

SPEC = ROOT / "docs" / "FORMAT.md"
RULE_RE = re.compile(r"^\*\*\[([A-Z]\d+)\]\*\*", re.MULTILINE)
ID_RE = re.compile(r"\[([A-Z]\d+)\]")


def _rules() -> list[str]:
    return RULE_RE.findall(SPEC.read_text(encoding="utf-8"))


def _marked_rules(decorator: ast.expr) -> list[str]:
    """The ids of ``@pytest.mark.rule("A1", "B2")``, else []."""
    if not isinstance(decorator, ast.Call):
        return []
    func = decorator.func
    if not (isinstance(func, ast.Attribute) and func.attr == "rule"
            and isinstance(func.value, ast.Attribute) and func.value.attr == "mark"):
        return []
    return [arg.value for arg in decorator.args
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]


def _asserts(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An ``assert``, a ``pytest.raises`` or a call of an ``assert_*`` helper."""
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "raises" or name.startswith("assert"):
                return True
    return False


def _test_functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in tree.body:
        bodies = node.body if isinstance(node, ast.ClassDef) else [node]
        for item in bodies:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and item.name.startswith("test_"):
                yield item


def rules_tested_in(source: str) -> set[str]:
    """The rule ids that test functions of ``source`` name and assert something for."""
    named: set[str] = set()
    for function in _test_functions(ast.parse(source)):
        ids = [rule for decorator in function.decorator_list
               for rule in _marked_rules(decorator)]
        ids += ID_RE.findall(ast.get_docstring(function) or "")
        if ids and _asserts(function):
            named.update(ids)
    return named


def _test_files() -> list[Path]:
    return [p for p in sorted((ROOT / "tests").rglob("test_*.py"))
            if p.name != "test_format_rules.py"]


def test_spec_declares_rules_and_a_version() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert re.search(r"^\*\*Version \d+\.\d+\*\*$", text, re.MULTILINE)
    assert "Changelog" in text
    rules = _rules()
    assert len(rules) == len(set(rules)), "a rule id is declared twice"
    assert {"F1", "S1", "E1", "C1", "K1", "W1"} <= set(rules)


def test_spec_version_is_the_packages() -> None:
    """``worklog.format.SPEC_VERSION`` is the version in FORMAT.md's header, and the
    changelog's newest entry."""
    text = SPEC.read_text(encoding="utf-8")
    header = re.search(r"^\*\*Version (\d+\.\d+)\*\*$", text, re.MULTILINE)
    assert header is not None
    assert header.group(1) == SPEC_VERSION
    changelog = text[text.index("## VIII. Changelog"):]
    versions = re.findall(r"^### Version (\d+\.\d+) \(\d{4}-\d\d-\d\d\)$", changelog,
                          re.MULTILINE)
    assert versions[0] == SPEC_VERSION


def test_every_rule_has_a_test() -> None:
    tested: set[str] = set()
    for path in _test_files():
        tested |= rules_tested_in(path.read_text(encoding="utf-8"))
    untested = [rule for rule in _rules() if rule not in tested]
    assert untested == []


@pytest.mark.parametrize(("source", "expected"), [
    ('def test_a():\n    """[C8] [C1] text."""\n    assert f()\n', {"C8", "C1"}),
    ('@pytest.mark.rule("W4", "W5")\ndef test_a():\n    assert_written(x)\n', {"W4", "W5"}),
    ('class TestX:\n    def test_a(self):\n        """[E3] x"""\n'
     '        with pytest.raises(E):\n            f()\n', {"E3"}),
    ('"""[C8] a module docstring."""\n# [C1] a comment\nX = "[C2]"\n', set()),
    ('def helper():\n    """[C8] a helper."""\n    assert f()\n', set()),
    ('def test_a():\n    """Also [C8]."""\n    assert f()  # [C1]\n    g("[C2]")\n', {"C8"}),
    ('def test_a():\n    """[C8] asserts nothing."""\n    f()\n', set()),
])
def test_only_a_test_that_asserts_names_a_rule(source: str, expected: set[str]) -> None:
    assert rules_tested_in(source) == expected
