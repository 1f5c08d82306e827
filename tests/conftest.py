"""Shared test helpers: the sample logs and an in-process CLI runner."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.cli_runner import Result, TextCapture

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DATA = Path(__file__).resolve().parent / "data"


Runner = Callable[..., Result]


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Runner:
    """Run ``worklog ARGS`` in-process; returns exit code, stdout and stderr."""
    from worklog.cli.app import main  # noqa: PLC0415

    def run(*args: str, env: Mapping[str, str] | None = None, stdin: bytes = b"") -> Result:
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
        monkeypatch.delenv("WORKLOG_FILE", raising=False)
        monkeypatch.delenv("WORKLOG_NOW", raising=False)
        monkeypatch.setenv("NO_COLOR", "1")
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        out, err = TextCapture(), TextCapture()
        stdin_wrapper = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        monkeypatch.setattr(sys, "stdin", stdin_wrapper)
        code = main(list(args))
        return Result(code, out.value(), err.value())

    return run


@pytest.fixture
def sample(tmp_path: Path) -> Callable[[str], Path]:
    """A fresh copy of a sample log in tmp_path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copyfile(SAMPLES / name, target)
        return target

    return copy


def sample_names() -> list[str]:
    return sorted(p.name for p in SAMPLES.glob("*.LOG"))


@pytest.fixture
def seed_twin(tmp_path: Path) -> Path:
    """A log with the structure of a real user's first days (5 entries)."""
    target = tmp_path / "seed-twin.LOG"
    shutil.copyfile(DATA / "seed-twin.LOG", target)
    return target
