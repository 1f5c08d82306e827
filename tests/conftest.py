"""Shared test helpers: the sample logs and the ``run_cli`` fixture (tests/cli_runner.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import settings

from tests.cli_runner import Result, run_worklog, scrubbed_env

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DATA = Path(__file__).resolve().parent / "data"


Runner = Callable[..., Result]

# Hypothesis's per-example deadline measures the machine, not the code: on a loaded CI
# runner with two cores an example that is fast elsewhere fails for being slow. The
# examples' count stays each test's own; speed is measured by bench/, never here.
settings.register_profile("worklog", deadline=None)
settings.load_profile("worklog")


@pytest.fixture
def run_cli(tmp_path: Path) -> Runner:
    """Run ``worklog ARGS`` in-process (``run_worklog``): the test's environment without
    WORKLOG_* and LIBVIRT_* variables, an empty config folder, no colour, then ``env``."""

    def run(*args: str, env: Mapping[str, str] | None = None, stdin: bytes = b"") -> Result:
        environ = scrubbed_env(os.environ, str(tmp_path / "no-config"), **(env or {}))
        return run_worklog(args, environ, stdin)

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
