"""`worklog change` against a real QEMU: the snapshot, the command, the records, and the
revert after a failing command shown by libvirt's current snapshot and the disk's bytes.

Needs `qemu:///system` (scripts/setup-libvirt); the fixtures are in conftest.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("libvirt", reason="libvirt-python is not installed")

from tests.cli_runner import Run, run_worklog
from worklog.format.document import parse
from worklog.history.export import entry_record

pytestmark = pytest.mark.integration

URI = "qemu:///system"
PLAN = ".LOG\n10:19 2026-11-26\nGTD\n1, today\n1), 10:20- qemu 8.2 on the lab VMs\n"
TASK = 'see"10:19 2026-11-26" item 1: qemu 8.2 on the lab VMs'
MakeDomain = Callable[..., str]
Worklog = Callable[..., Run]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "work.LOG"
    path.write_text(PLAN, encoding="utf-8")
    return path


@pytest.fixture
def wl(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, log: Path) -> Worklog:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("WORKLOG_NOW", "2026-11-26T14:05")
    monkeypatch.delenv("WORKLOG_FILE", raising=False)

    def run(*args: str) -> Run:
        return run_worklog(["--file", str(log), "change", "--connect", URI, *args], os.environ)

    return run


def records(log: Path) -> list[dict[str, Any]]:
    return [entry_record(e) for e in parse(log.read_bytes()).entries[1:]]


def image_of(conn: Any, name: str) -> str:
    xml: str = conn.lookupByName(name).XMLDesc(0)
    start = xml.index("<source file='") + len("<source file='")
    return xml[start : xml.index("'", start)]


def pattern_holds(image: str, pattern: str) -> bool:
    """Whether the first 4 KiB of the qcow2 ``image`` hold ``pattern`` (qemu-io read -P)."""
    done = subprocess.run(["qemu-io", "-f", "qcow2", "-c", f"read -P {pattern} 0 4k", image],
                          capture_output=True, text=True, check=False)
    return done.returncode == 0 and "Pattern verification failed" not in done.stdout


def write_then_fail(image: str) -> list[str]:
    return ["sh", "-c", f"qemu-io -f qcow2 -c 'write -P 0xab 0 4k' {image} && exit 7"]


@pytest.fixture
def qemu_io() -> None:
    if shutil.which("qemu-io") is None:
        pytest.skip("qemu-io is not installed")


def test_change_on_qemu_links_snapshot_and_command(
        wl: Worklog, log: Path, make_domain: MakeDomain, conn: Any) -> None:
    name = make_domain("qcow2")
    run = wl("--snap", name, "--", "true")
    assert run.code == 0, run.err
    snap, command = records(log)
    assert snap["snapshot"]["result"] == "ok"
    assert snap["snapshot"]["for"] == TASK
    snapshot = snap["snapshot"]["name"]
    assert conn.lookupByName(name).snapshotCurrent().getName() == snapshot
    assert command["kind"] == "command"
    assert command["command"]["exit"] == 0
    record = parse(log.read_bytes()).entries[-1].record
    assert record is not None
    assert record.fields["snapshots"] == f'see"14:05 2026-11-26" {name} {snapshot}'
    assert record.fields["for"] == TASK


def test_failing_change_reverted_on_qemu(wl: Worklog, log: Path, make_domain: MakeDomain,
                                        conn: Any, qemu_io: None) -> None:
    name = make_domain("qcow2", running=False)
    image = image_of(conn, name)
    run = wl("--snap", name, "--revert-on-failure", "--", *write_then_fail(image))
    assert run.code == 7, run.err
    snap, command, revert = records(log)
    snapshot = snap["snapshot"]["name"]
    assert command["command"]["exit"] == 7
    assert (revert["snapshot"]["action"], revert["snapshot"]["result"]) == ("revert", "ok")
    assert conn.lookupByName(name).snapshotCurrent().getName() == snapshot
    assert pattern_holds(image, "0")  # the write is gone
    assert not pattern_holds(image, "0xab")


def test_failing_change_without_revert_on_qemu(wl: Worklog, log: Path,
                                               make_domain: MakeDomain, conn: Any,
                                               qemu_io: None) -> None:
    name = make_domain("qcow2", running=False)
    image = image_of(conn, name)
    run = wl("--snap", name, "--", *write_then_fail(image))
    assert run.code == 7, run.err
    snap, command = records(log)
    assert command["command"]["exit"] == 7
    snapshot = snap["snapshot"]["name"]
    assert f"to undo: worklog revert {name} {snapshot} --connect {URI}\n" in run.err
    assert pattern_holds(image, "0xab")  # the change stays until the user reverts
    again = run_worklog(["--file", str(log), "revert", name, snapshot, "--connect", URI],
                        os.environ)
    assert again.code == 0, again.err
    assert pattern_holds(image, "0")


def test_failed_snapshot_on_qemu_runs_nothing(wl: Worklog, log: Path, tmp_path: Path,
                                              make_domain: MakeDomain) -> None:
    name = make_domain("qcow2")
    marker = tmp_path / "ran"
    run = wl("--snap", name, "--snap", "worklog-it-no-such-domain", "--",
             "touch", str(marker))
    assert run.code == 1
    assert not marker.exists()
    assert [r["snapshot"]["result"] for r in records(log)] == ["ok", "failed"]
