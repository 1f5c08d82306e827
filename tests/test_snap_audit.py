"""`snaps --audit` on the fake backend: each kind of drift, with its repair."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from worklog.store.logfile import LogFile
from worklog.vm import actions
from worklog.vm.actions import Services, SnapRequest, Target
from worklog.vm.audit import audit
from worklog.vm.fake import DEFAULT_URI, FakeHost

PLAN = ".LOG\n10:19 2026-11-26\nGTD\n1, today\n1), mail\n"


def test_each_drift_is_found_with_its_repair(tmp_path: Path) -> None:
    host = FakeHost()
    dom = host.add_domain("web01", "raw", "raw")
    host.files = {d.source for d in dom.disks}
    log_path = tmp_path / "work.LOG"
    log_path.write_text(PLAN, encoding="utf-8")
    log = LogFile(log_path)
    services = Services(log, host, lambda: datetime(2026, 11, 26, 14, 5))
    assert audit(log, host, "web01", None).problems == ()
    assert actions.snap(SnapRequest((Target("web01"),), name="s1"), services).failed == ()
    del dom.snapshots["s1"]  # its metadata lost
    host.add_snapshot("web01", "outside", "by hand")  # taken outside worklog
    host.files.add("/images/web01-0.stray.qcow2")  # an overlay left behind
    host.files.discard("/images/web01-1.raw")  # a base image gone
    found = audit(log, host, "web01", None)
    assert [(p.problem, p.snapshot, p.file) for p in found.problems] == [
        ("not-logged", "outside", None),  # libvirt's time, before the record's stamp
        ("gone", "s1", None),
        ("no-metadata", None, "/images/web01-0.s1.qcow2"),
        ("missing-file", None, "/images/web01-1.raw"),
        ("no-metadata", None, "/images/web01-1.s1.qcow2"),
        ("unused-overlay", None, "/images/web01-0.stray.qcow2"),
    ]
    repairs = {p.problem: p.repair for p in found.problems}
    assert repairs["not-logged"].startswith("worklog snap-delete web01 outside")
    assert repairs["unused-overlay"] == (
        "qemu-img info /images/web01-0.stray.qcow2  # check nothing uses it, then: "
        "rm /images/web01-0.stray.qcow2"
    )
    assert found.uri == DEFAULT_URI
    host.files.discard("/images/web01-1.s1.qcow2")  # a file of the record gone too
    lost = next(p for p in audit(log, host, "web01", None).problems if p.problem == "gone")
    assert (lost.file, lost.repair) == (
        "/images/web01-1.s1.qcow2",
        "nothing to redefine: /images/web01-1.s1.qcow2 is gone, the snapshot cannot come back",
    )
    redefine = repairs["gone"]
    assert redefine.startswith("virsh snapshot-create web01 --redefine --xmlfile /dev/stdin <<< ")
    assert '<disk name="vda" snapshot="external"><source file="/images/web01-0.s1.qcow2" />' in (
        redefine
    )
    assert '<source file="/images/web01-0.raw" />' in redefine  # the domain as it was
