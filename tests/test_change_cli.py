"""change on libvirt's test driver: snapshot, command, linked records; a failing command
reverted or not; a failed snapshot that stops the command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_runner import Run, run_worklog
from tests.libvirt_nodes import NodeDisk, NodeDomain, write_node
from worklog.format.document import parse
from worklog.history.export import entry_record

PLAN = """.LOG
10:19 2026-11-26
GTD
0, 9:50

1, today
1), 10:20- qemu 8.2 on web01
"""
TASK = 'see"10:19 2026-11-26" item 1: qemu 8.2 on web01'
Worklog = Callable[..., Run]


@pytest.fixture
def uri(tmp_path: Path) -> str:
    pytest.importorskip("libvirt", reason="libvirt-python is not installed")
    return write_node(tmp_path, (NodeDomain("web01", disks=(NodeDisk("vda"),)),
                                 NodeDomain("db01", running=False)))


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "work.LOG"
    path.write_text(PLAN, encoding="utf-8")
    return path


@pytest.fixture
def wl(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, log: Path) -> Worklog:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("WORKLOG_NOW", "2026-11-26T14:05")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("LIBVIRT_DEFAULT_URI", raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Run:
        return run_worklog(["--file", str(log), *args], os.environ)

    return run


def records(log: Path) -> list[dict[str, object]]:
    return [entry_record(e) for e in parse(log.read_bytes()).entries[1:]]


def py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_change_snapshots_runs_and_links(wl: Worklog, log: Path, uri: str) -> None:
    run = wl("change", "--snap", "web01", "--snap", "db01", "--connect", uri, "--",
             *py("print('installed')"))
    assert run.code == 0, run.err
    snap_web, snap_db, command = records(log)
    assert [r["kind"] for r in (snap_web, snap_db, command)] == ["snapshot", "snapshot",
                                                                 "command"]
    for snap, domain in ((snap_web, "web01"), (snap_db, "db01")):
        assert snap["snapshot"]["result"] == "ok"  # type: ignore[index]
        assert snap["snapshot"]["for"] == TASK  # type: ignore[index]
        assert snap["snapshot"]["domain"] == domain  # type: ignore[index]
    fields = parse(log.read_bytes()).entries[-1].record
    assert fields is not None
    names = [s["snapshot"]["name"] for s in (snap_web, snap_db)]  # type: ignore[index]
    assert fields.fields["snapshots"] == (f'see"14:05 2026-11-26" web01 {names[0]}; '
                                          f'see"14:05 2026-11-26" db01 {names[1]}')
    assert fields.fields["for"] == TASK
    assert command["command"]["exit"] == 0  # type: ignore[index]
    assert "installed" in str(command["text"])


def test_failing_command_reverted(wl: Worklog, log: Path, uri: str) -> None:
    run = wl("change", "--snap", "web01", "--connect", uri, "--revert-on-failure", "--",
             *py("import sys; sys.exit(3)"))
    assert run.code == 3, run.err
    snap, command, revert = records(log)
    name = snap["snapshot"]["name"]  # type: ignore[index]
    assert command["command"]["exit"] == 3  # type: ignore[index]
    assert revert["snapshot"]["action"] == "revert"  # type: ignore[index]
    assert revert["snapshot"]["result"] == "ok"  # type: ignore[index]
    assert revert["snapshot"]["name"] == name  # type: ignore[index]
    assert revert["snapshot"]["for"] == TASK  # type: ignore[index]
    assert f"reverted: web01 to {name}" in run.err


def test_failing_command_says_how_to_revert(wl: Worklog, log: Path, uri: str) -> None:
    run = wl("change", "--snap", "web01", "--connect", uri, "--", *py("raise SystemExit(4)"))
    assert run.code == 4, run.err
    snap, command = records(log)
    assert command["command"]["exit"] == 4  # type: ignore[index]
    name = snap["snapshot"]["name"]  # type: ignore[index]
    assert f"to undo: worklog revert web01 {name} --connect {uri}\n" in run.err


def test_failed_snapshot_stops_the_command(wl: Worklog, log: Path, uri: str,
                                            tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    run = wl("change", "--snap", "web01", "--snap", "nosuch", "--connect", uri, "--",
             *py(f"open({str(marker)!r}, 'w')"))
    assert run.code == 1
    assert not marker.exists()
    kinds = [(r["kind"], r["snapshot"]["result"]) for r in records(log)]  # type: ignore[index]
    assert kinds == [("snapshot", "ok"), ("snapshot", "failed")]
    assert "the command was not run" in run.err
