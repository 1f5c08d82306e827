"""The libvirt backend against a real QEMU (`qemu:///system`; run scripts/setup-libvirt).

The fixtures (`conn`, `hv`, `image_dir`, `make_domain`) are in conftest.py: every test
defines its own small domains and removes them afterwards.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

libvirt = pytest.importorskip("libvirt")

from worklog.vm.base import ActionResult, Hypervisor, worklog_description  # noqa: E402
from worklog.vm.libvirt_xml import overlay_path, read_disks  # noqa: E402

pytestmark = pytest.mark.integration

RAW_PLAIN = "raw disk: internal snapshots need qcow2 disks, use --disk-only"
MakeDomain = Callable[..., str]


def live_sources(conn: Any, domain: str) -> dict[str, str | None]:
    disks, _ = read_disks(conn.lookupByName(domain).XMLDesc(0))
    return {d.target: d.source for d in disks}


def image_snapshots(path: str) -> str:
    """`qemu-img snapshot -l` (with -U: the image may be in use by a running guest)."""
    proc = subprocess.run(
        ["qemu-img", "snapshot", "-l", "-U", path], capture_output=True, text=True, check=True
    )
    return proc.stdout


# --- internal ---------------------------------------------------------------------------


def test_internal_snapshot_of_running_domain(
    hv: Hypervisor, conn: Any, make_domain: MakeDomain
) -> None:
    domain = make_domain("qcow2", "qcow2")
    description = worklog_description("before </description> upgrade & co")
    result = hv.snapshot(domain, name="live", description=description)

    assert result.ok, result
    assert (result.kind, result.name, result.description) == ("internal", "live", description)
    sources = live_sources(conn, domain)
    assert [(d.target, d.source, d.snapshot) for d in result.disks] == [
        ("vda", sources["vda"], "internal"),
        ("vdb", sources["vdb"], "internal"),
    ]
    assert all("live" in image_snapshots(str(src)) for src in sources.values())
    (info,) = hv.list_snapshots(domain)
    assert (info.name, info.kind, info.is_current, info.description) == (
        "live",
        "internal",
        True,
        description,
    )
    assert hv.job_progress(domain) is None  # no job running now

    again = hv.snapshot(domain, name="live")
    assert not again.ok
    assert (again.error_code, again.plain_error) == (9, "a snapshot with that name exists")


def test_job_progress_can_be_polled_while_a_snapshot_runs(
    hv: Hypervisor, make_domain: MakeDomain
) -> None:
    domain = make_domain("qcow2")
    results: list[ActionResult] = []
    worker = threading.Thread(target=lambda: results.append(hv.snapshot(domain, name="polled")))
    worker.start()
    seen: list[float | None] = []
    while worker.is_alive():
        seen.append(hv.job_progress(domain))
    worker.join()
    assert results[0].ok, results[0]
    assert all(value is None or 0.0 <= value <= 1.0 for value in seen)


def test_internal_snapshot_of_shut_off_domain(
    hv: Hypervisor, conn: Any, make_domain: MakeDomain
) -> None:
    domain = make_domain("qcow2", running=False)
    result = hv.snapshot(domain, name="cold")
    assert result.ok, result
    assert result.kind == "internal"
    assert "cold" in image_snapshots(str(live_sources(conn, domain)["vda"]))
    assert not conn.lookupByName(domain).isActive()


def test_internal_on_raw_disk_fails_in_plain_words(hv: Hypervisor, make_domain: MakeDomain) -> None:
    domain = make_domain("raw")
    result = hv.snapshot(domain, name="inside", force_internal=True)
    assert not result.ok
    assert (result.error_code, result.error_name) == (67, "VIR_ERR_CONFIG_UNSUPPORTED")
    assert result.plain_error == RAW_PLAIN
    assert result.kind == "internal"
    assert hv.list_snapshots(domain) == []


def test_unknown_domain(hv: Hypervisor) -> None:
    result = hv.snapshot("worklog-it-no-such-domain", name="x")
    assert (result.ok, result.error_code, result.plain_error) == (False, 42, "domain not found")


# --- external ---------------------------------------------------------------------------


def test_external_disk_only_of_running_raw_domain(
    hv: Hypervisor, conn: Any, make_domain: MakeDomain
) -> None:
    domain = make_domain("raw")
    original = live_sources(conn, domain)["vda"]
    assert original is not None
    result = hv.snapshot(domain, name="ext")  # a raw disk: disk-only external is chosen

    assert result.ok, result
    overlay = overlay_path(original, "ext")
    assert result.kind == "external"
    assert [(d.target, d.source, d.snapshot) for d in result.disks] == [
        ("vda", overlay, "external")
    ]
    assert Path(overlay).is_file()
    assert live_sources(conn, domain)["vda"] == overlay
    (info,) = hv.list_snapshots(domain)
    assert (info.name, info.kind, info.is_current) == ("ext", "external", True)

    reverted = hv.revert(domain, "ext")
    if conn.getLibVersion() < 9_009_000:
        assert not reverted.ok
        assert reverted.error_code == 67
        assert (
            reverted.plain_error == "reverting to an external snapshot needs libvirt 9.9 or newer"
        )
    else:
        assert reverted.ok, reverted

    deleted = hv.delete(domain, "ext")  # libvirt >= 9.0 merges the overlay back
    assert deleted.ok, deleted
    assert (deleted.kind, deleted.disks) == ("external", result.disks)
    assert hv.list_snapshots(domain) == []
    assert live_sources(conn, domain)["vda"] == original
    assert not Path(overlay).exists()


def test_external_disk_only_of_two_disks(
    hv: Hypervisor, conn: Any, make_domain: MakeDomain
) -> None:
    domain = make_domain("qcow2", "qcow2")
    before = live_sources(conn, domain)
    result = hv.snapshot(domain, name="both", disk_only=True, description="worklog: two")
    assert result.ok, result
    after = live_sources(conn, domain)
    for target in ("vda", "vdb"):
        assert after[target] == overlay_path(str(before[target]), "both")
        assert Path(str(after[target])).is_file()
    assert [d.source for d in result.disks] == [after["vda"], after["vdb"]]


def test_failed_external_snapshot_switches_no_disk(
    hv: Hypervisor, conn: Any, make_domain: MakeDomain
) -> None:
    domain = make_domain("qcow2", "qcow2")
    before = live_sources(conn, domain)
    blocker = Path(overlay_path(str(before["vdb"]), "clash"))
    blocker.write_bytes(b"in the way")  # (an empty file would be silently reused)

    result = hv.snapshot(domain, name="clash", disk_only=True)
    assert not result.ok
    assert (result.error_code, result.kind) == (67, "external")
    assert result.plain_error == "an overlay file for this snapshot already exists"
    assert result.switched_disks == ()
    assert live_sources(conn, domain) == before
    assert not Path(overlay_path(str(before["vda"]), "clash")).exists()
    assert [d.target for d in result.disks] == ["vda", "vdb"]


def test_quiesce_without_guest_agent_fails(hv: Hypervisor, make_domain: MakeDomain) -> None:
    domain = make_domain("qcow2")
    result = hv.snapshot(domain, name="calm", quiesce=True)
    assert not result.ok
    assert result.kind == "external"
    assert result.error_code is not None
    assert result.plain_error
    if result.error_code in (74, 86):
        assert result.plain_error == "quiesce needs a running qemu-guest-agent"
    assert result.switched_disks == ()
    assert hv.list_snapshots(domain) == []


# --- revert and delete ------------------------------------------------------------------


def test_revert_and_delete_internal(hv: Hypervisor, conn: Any, make_domain: MakeDomain) -> None:
    domain = make_domain("qcow2")
    image = str(live_sources(conn, domain)["vda"])
    assert hv.snapshot(domain, name="first").ok
    assert hv.snapshot(domain, name="second").ok

    reverted = hv.revert(domain, "first")
    assert reverted.ok, reverted
    assert (reverted.action, reverted.kind) == ("revert", "internal")
    assert conn.lookupByName(domain).isActive()  # taken while running, so running again
    assert [(i.name, i.parent, i.is_current) for i in hv.list_snapshots(domain)] == [
        ("first", None, True),
        ("second", "first", False),
    ]

    assert hv.delete(domain, "second").ok
    assert "second" not in image_snapshots(image)
    missing = hv.delete(domain, "second")
    assert (missing.ok, missing.error_code, missing.plain_error) == (
        False,
        72,
        "snapshot not found",
    )
    assert hv.delete(domain, "first").ok
    assert hv.list_snapshots(domain) == []
    assert "first" not in image_snapshots(image)


def test_setup_script_is_idempotent(conn: Any) -> None:
    # Needs `conn`: only where libvirt already runs, so the script installs nothing.
    if os.geteuid() != 0:
        pytest.skip("scripts/setup-libvirt needs root")
    script = Path(__file__).resolve().parents[2] / "scripts" / "setup-libvirt"
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1
    assert "qemu:///system ready" in proc.stdout
