"""Every rule of docs/FORMAT.md has a test that names it, and the spec shows its version."""

from __future__ import annotations

import re

from tests.conftest import ROOT

SPEC = ROOT / "docs" / "FORMAT.md"
RULE_RE = re.compile(r"^\*\*\[([A-Z]\d+)\]\*\*", re.MULTILINE)


def _rules() -> list[str]:
    return RULE_RE.findall(SPEC.read_text(encoding="utf-8"))


def test_spec_declares_rules_and_a_version() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert re.search(r"version 1\.\d", text, re.IGNORECASE)
    assert "Changelog" in text
    rules = _rules()
    assert len(rules) == len(set(rules)), "a rule id is declared twice"
    assert {"F1", "S1", "E1", "C1", "K1", "W1"} <= set(rules)


def test_every_rule_has_a_test() -> None:
    tests = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py")
                    if p.name != "test_format_rules.py")
    untested = [rule for rule in _rules() if f"[{rule}]" not in tests]
    assert untested == []
