"""`snaps --audit` on the fake backend: each kind of drift, with its repair."""

from __future__ import annotations

import re
import shlex
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from worklog.store.logfile import LogFile
from worklog.vm import actions
from worklog.vm.actions import Services, SnapRequest, Target
from worklog.vm.audit import audit
from worklog.vm.factory import open_hypervisor
from worklog.vm.fake import DEFAULT_URI, FakeHost
from worklog.vm.libvirt_xml import record_xml

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
    assert (
        '<disk name="vda" snapshot="external"><driver type="qcow2" />'
        '<source file="/images/web01-0.s1.qcow2" /></disk>'
    ) in redefine
    assert '<source file="/images/web01-0.raw" />' in redefine  # the domain as it was


# --- the redefine of a `gone` snapshot ---------------------------------------------------


def taken(tmp_path: Path, *names: str) -> tuple[FakeHost, LogFile]:
    """web01 (qcow2 and raw) with worklog's external snapshots ``names``, each logged."""
    host = FakeHost()
    dom = host.add_domain("web01", "qcow2", "raw")
    host.files = {d.source for d in dom.disks}
    log_path = tmp_path / "work.LOG"
    log_path.write_text(PLAN, encoding="utf-8")
    log = LogFile(log_path)
    services = Services(log, host, lambda: datetime(2026, 11, 26, 14, 5))
    for name in names:
        request = SnapRequest((Target("web01"),), name=name, disk_only=True)
        assert actions.snap(request, services).failed == ()
    return host, log


def gone(log: LogFile, host: FakeHost) -> tuple[ET.Element, str]:
    """The `gone` problem's redefine: its XML (what virsh reads) and its comment."""
    (problem,) = [p for p in audit(log, host, "web01", None).problems if p.problem == "gone"]
    words = shlex.split(problem.repair, comments=True)
    assert words[:6] == [
        "virsh", "snapshot-create", "web01", "--redefine", "--xmlfile", "/dev/stdin"
    ]
    assert words[6] == "<<<"
    return ET.fromstring(words[7]), problem.repair.rpartition("  # ")[2]


def kept_xml(log: LogFile, name: str) -> ET.Element:
    record = next(
        e.record for e in log.load().doc.entries
        if e.record is not None and e.record.fields.get("name") == name
    )
    return ET.fromstring(record.fields["xml"])


def without_domain(root: ET.Element) -> str:
    copy = ET.fromstring(ET.tostring(root))
    for el in copy.findall("domain"):
        copy.remove(el)
    return ET.canonicalize(ET.tostring(copy, encoding="unicode"))


def test_gone_is_redefined_from_the_xml_its_record_keeps(tmp_path: Path) -> None:
    host, log = taken(tmp_path, "s1")
    made = host.domains[DEFAULT_URI]["web01"].snapshots.pop("s1")  # its metadata lost
    xml, why = gone(log, host)
    assert why == "libvirt's XML kept in the record, with today's domain definition"
    assert without_domain(xml) == ET.canonicalize(ET.tostring(kept_xml(log, "s1")))
    # libvirt's creation time, not the record's stamp; its disks as libvirt had them
    assert xml.findtext("creationTime") == str(int(made.created.timestamp()))
    assert xml.findtext("state") == "disk-snapshot"
    assert [
        (d.get("name"), d.get("snapshot"), d.find("source").get("file"))  # type: ignore[union-attr]
        for d in xml.iterfind("disks/disk")
    ] == [
        ("vda", "external", "/images/web01-0.s1.qcow2"),
        ("vdb", "external", "/images/web01-1.s1.qcow2"),
    ]
    # today's domain, each disk on the image under its overlay (as when it was taken)
    assert [s.get("file") for s in xml.iterfind("domain/devices/disk/source")] == [
        "/images/web01-0.qcow2",
        "/images/web01-1.raw",
    ]


def test_a_record_written_before_records_kept_the_xml_is_rebuilt(tmp_path: Path) -> None:
    host, log = taken(tmp_path, "s1")
    text = log.path.read_text(encoding="utf-8")
    log.path.write_text(re.sub(r"^xml: .*\n", "", text, flags=re.MULTILINE), encoding="utf-8")
    host.domains[DEFAULT_URI]["web01"].snapshots.pop("s1")
    xml, why = gone(log, host)
    assert why == (
        "rebuilt from the record's fields (it predates records keeping the XML), "
        "with today's domain definition"
    )
    stamp = int(datetime(2026, 11, 26, 14, 5).timestamp())  # the record's stamp
    assert xml.findtext("creationTime") == str(stamp)
    assert xml.find("disks/disk/driver") is None  # what only libvirt's XML holds


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (r"xml-left-out: 9000 characters, over the bound of 8192", "its XML was left out"),
        (r"xml: <domainsnapshot><name>s1</nam", "its xml field is not XML"),
        (r"xml: <domain><name>s1</name></domain>", "its xml field is not XML"),
    ],
)
def test_a_record_without_usable_xml_is_rebuilt_and_says_why(
    tmp_path: Path, edit: str, why: str
) -> None:
    host, log = taken(tmp_path, "s1")
    text = log.path.read_text(encoding="utf-8")
    log.path.write_text(re.sub(r"^xml: .*$", edit, text, flags=re.MULTILINE), encoding="utf-8")
    host.domains[DEFAULT_URI]["web01"].snapshots.pop("s1")
    _, said = gone(log, host)
    assert said == f"rebuilt from the record's fields ({why}), with today's domain definition"


def test_a_parent_libvirt_no_longer_has_is_left_out_of_the_redefine(tmp_path: Path) -> None:
    host, log = taken(tmp_path, "s0", "s1")
    assert kept_xml(log, "s1").findtext("parent/name") == "s0"
    snapshots = host.domains[DEFAULT_URI]["web01"].snapshots
    snapshots.pop("s1")
    xml, why = gone(log, host)  # its parent still there: kept
    assert (xml.findtext("parent/name"), why) == (
        "s0",
        "libvirt's XML kept in the record, with today's domain definition",
    )
    services = Services(log, host, lambda: datetime(2026, 11, 26, 14, 6))
    assert actions.delete(Target("web01"), "s0", services).failed == ()  # logged: not gone
    xml, why = gone(log, host)  # libvirt refuses a redefine naming a parent it lacks
    assert (xml.find("parent"), why) == (
        None,
        "libvirt's XML kept in the record, without its parent snapshot (gone), "
        "with today's domain definition",
    )
    assert xml.findtext("creationTime") is not None


def test_the_test_driver_takes_the_redefine_back_as_it_was(tmp_path: Path) -> None:
    """libvirt's test driver: a snapshot taken and logged, then lost; the redefine the
    audit writes out brings back the snapshot libvirt had (creation time, state, disks,
    description), and the audit then finds it again."""
    libvirt = pytest.importorskip("libvirt")
    uri = "test:///default"  # one state while a connection is open: this test holds one
    conn = libvirt.open(uri)
    name = f"worklog-audit-{uuid.uuid4().hex[:8]}"
    image = tmp_path / f"{name}.qcow2"
    image.write_bytes(b"")
    dom = conn.defineXML(
        f"<domain type='test'><name>{name}</name><memory>65536</memory><os><type>hvm</type>"
        "</os><devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        f"<source file='{image}'/><target dev='vda'/></disk></devices></domain>"
    )
    dom.create()
    try:
        log_path = tmp_path / "work.LOG"
        log_path.write_text(PLAN, encoding="utf-8")
        log = LogFile(log_path)
        services = Services(log, open_hypervisor, lambda: datetime(2026, 11, 26, 14, 5))
        request = SnapRequest((Target(name, uri),), name="s1", description="before <it>")
        assert actions.snap(request, services).failed == ()
        libvirts = record_xml(dom.snapshotLookupByName("s1", 0).getXMLDesc(0))
        record = log.load().doc.entries[-1].record
        assert record is not None
        assert record.fields["xml"] == libvirts  # the record keeps libvirt's own XML
        dom.snapshotLookupByName("s1", 0).delete(0)  # the test driver: no metadata-only delete
        (problem,) = audit(log, open_hypervisor, name, uri).problems
        assert (problem.problem, problem.snapshot) == ("gone", "s1")
        xml = shlex.split(problem.repair, comments=True)[7]
        dom.snapshotCreateXML(xml, libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)
        again = dom.snapshotLookupByName("s1", 0).getXMLDesc(0)
        assert record_xml(again) == libvirts
        assert audit(log, open_hypervisor, name, uri).problems == ()
    finally:
        dom.destroy()
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
        conn.close()
