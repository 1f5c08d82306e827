"""`worklog prune`, preflight and quiesce against a real QEMU (`qemu:///system`).

A domain with a qcow2 and a raw disk is snapshotted externally (atomic, both disks),
written to through QEMU's own block layer (the guest has no OS), pruned: libvirt merges
the overlay back, and the data written is still there, read with qemu-io on the shut-off
domain's images. The fixtures are in conftest.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import Run, run_worklog
from worklog.format.document import parse
from worklog.vm.libvirt_xml import read_disks, record_xml

libvirt = pytest.importorskip("libvirt", reason="libvirt-python is not installed")

pytestmark = pytest.mark.integration

URI = "qemu:///system"
PLAN = ".LOG\n10:19 2026-11-26\nGTD\n1, today\n1), 10:20-10:30 qemu 8.2 (done)\n"
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

    def run(*args: str, uri: str = URI) -> Run:
        return run_worklog(["--file", str(log), *args, "--connect", uri], os.environ)

    return run


def write(conn: Any, domain: str, target: str, pattern: int, offset: int) -> None:
    """Write 64 KiB of ``pattern`` at ``offset`` into the running disk ``target``, through
    QEMU's block layer (HMP qemu-io on the disk's device): lands in its top overlay."""
    import libvirt_qemu  # noqa: PLC0415

    dom = conn.lookupByName(domain)
    index = "abcdefgh".index(target[-1])
    device = f"/machine/peripheral/virtio-disk{index}/virtio-backend"
    command = f'qemu-io -d {device} "write -P {pattern} {offset} 64k"'
    out = libvirt_qemu.qemuMonitorCommand(
        dom, command, libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP
    )
    assert "rror" not in out, out  # HMP says nothing on success


def read_back(image: str, fmt: str, pattern: int, offset: int) -> None:
    """qemu-io reads ``pattern`` at ``offset`` of the image (and its backing chain)."""
    proc = subprocess.run(
        ["qemu-io", "-r", "-f", fmt, "-c", f"read -P {pattern} {offset} 64k", image],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"read 65536/65536 bytes at offset {offset}" in proc.stdout, proc.stdout
    assert "Pattern verification failed" not in proc.stdout, proc.stdout


def top_images(conn: Any, domain: str) -> dict[str, tuple[str, str | None]]:
    disks, _ = read_disks(conn.lookupByName(domain).XMLDesc(0))
    return {d.target: (str(d.source), d.format) for d in disks}


def test_two_disks_external_atomic_written_pruned_merged_back(
    wl: Worklog, conn: Any, make_domain: MakeDomain, log: Path, image_dir: Path
) -> None:
    domain = make_domain("qcow2", "raw")
    bases = top_images(conn, domain)
    first = wl("snap", domain, "--disk-only", "--name", "s1")
    assert first.code == 0, first.err
    for target in ("vda", "vdb"):
        write(conn, domain, target, 0xAB, 0)
    second = wl("snap", domain, "--disk-only", "--name", "s2")
    assert second.code == 0, second.err
    for target in ("vda", "vdb"):
        write(conn, domain, target, 0xCD, 1 << 20)
    dry = wl("prune", domain, "--keep-last", "1", "--dry-run")
    assert dry.code == 0, dry.err
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert re.fullmatch(
        rf"{domain} \(qemu:///system\): keep 1, delete 1\n"
        rf"  keep   s2  {stamp} \(last\)\n  delete s1  {stamp}\n",
        dry.out,
    ), dry.out
    overlays = {p for p in os.listdir(image_dir) if p.endswith(".s1.qcow2")}
    assert len(overlays) == 2
    pruned = wl("prune", domain, "--keep-last", "1")
    assert pruned.code == 0, pruned.err
    assert pruned.out.startswith(f"snap-prune {domain}: ok, pruned external snapshot s1 ")
    assert [s.getName() for s in conn.lookupByName(domain).listAllSnapshots(0)] == ["s2"]
    record = parse(log.read_bytes()).entries[-1].record
    assert record is not None
    assert record.fields["keep-last"] == "1"
    assert record.fields["freed"].endswith(" bytes")
    assert not any((image_dir / name).exists() for name in overlays), "s1's overlays stay"
    assert record.fields["libvirt"] == ".".join(
        str(libvirt.getVersion() // 10**k % 1000) for k in (6, 3, 0)
    )
    assert record.fields["hypervisor"].startswith("QEMU ")
    conn.lookupByName(domain).destroy()
    tops = top_images(conn, domain)
    for target in ("vda", "vdb"):
        image, fmt = tops[target]
        read_back(image, str(fmt), 0xAB, 0)
        read_back(image, str(fmt), 0xCD, 1 << 20)
        assert image != bases[target][0]  # still on s2's overlay, s1's merged under it


def test_a_mixed_chain_is_refused_and_logged(
    wl: Worklog, conn: Any, make_domain: MakeDomain, log: Path
) -> None:
    domain = make_domain("qcow2")
    assert wl("snap", domain, "--name", "internal1").code == 0
    mixed = wl("snap", domain, "--disk-only", "--name", "ext1")
    assert mixed.code == 1
    assert "disk vda has internal snapshots: a external one would mix" in mixed.err
    assert [s.getName() for s in conn.lookupByName(domain).listAllSnapshots(0)] == ["internal1"]
    record = parse(log.read_bytes()).entries[-1].record
    assert record is not None
    assert record.fields["preflight"] == "refused"


AGENT_CHANNEL = (
    "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
)


def test_quiesce_with_an_agent_that_never_answers(
    wl: Worklog, conn: Any, make_domain: MakeDomain, log: Path
) -> None:
    """A guest-agent channel with no agent behind it: the ping fails within its bound,
    --quiesce is refused, --quiesce=preferred takes a crash-consistent snapshot and says
    so; the guest was never frozen (nothing to thaw)."""
    domain = make_domain("qcow2", running=False)
    dom = conn.lookupByName(domain)
    dom.attachDeviceFlags(AGENT_CHANNEL, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    dom.create()
    required = wl("snap", domain, "--quiesce", "--name", "q1")
    assert required.code == 1
    assert "--quiesce: the guest agent did not answer a ping within 5 s" in required.err
    assert dom.listAllSnapshots(0) == []
    preferred = wl("snap", domain, "--quiesce=preferred", "--name", "q2")
    assert preferred.code == 0, preferred.err
    record = parse(log.read_bytes()).entries[-1].record
    assert record is not None
    assert record.fields["consistency"] == "crash"
    assert record.fields["kind"] == "external"
    assert record.fields["note"].startswith(
        "quiesce preferred: the guest agent did not answer a ping within 5 s"
    )
    assert "frozen" not in record.fields
    assert dom.info()[0] == libvirt.VIR_DOMAIN_RUNNING  # not left paused or frozen


# --- audit ------------------------------------------------------------------------------


def test_audit_finds_each_drift_with_its_repair(
    wl: Worklog, conn: Any, make_domain: MakeDomain, log: Path, image_dir: Path
) -> None:
    domain = make_domain("qcow2")
    base = top_images(conn, domain)["vda"][0]
    clean = wl("snaps", domain, "--audit")
    assert (clean.code, clean.out) == (0, f"{domain} (qemu:///system): no drift between "
                                          "libvirt, the disks and the log\n")
    assert wl("snap", domain, "--disk-only", "--name", "s1").code == 0
    s1_overlay = top_images(conn, domain)["vda"][0]
    dom = conn.lookupByName(domain)
    libvirts = record_xml(dom.snapshotLookupByName("s1", 0).getXMLDesc(0))
    assert parse(log.read_bytes()).entries[-1].record.fields["xml"] == libvirts  # type: ignore[union-attr]
    # drift 1: metadata deleted behind worklog's back (the overlay stays in the chain)
    dom.snapshotLookupByName("s1", 0).delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
    # drift 2: a snapshot made outside worklog
    outside = str(image_dir / "outside.qcow2")
    dom.snapshotCreateXML(
        "<domainsnapshot><name>outside</name><disks><disk name='vda' snapshot='external'>"
        f"<source file='{outside}'/></disk></disks></domainsnapshot>",
        libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY,
    )
    # drift 3: an overlay file left behind
    stray = base.removesuffix(".qcow2") + ".stray.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", stray, "1M"], check=True)
    before = log.read_bytes()
    found = wl("snaps", domain, "--audit", "--json")
    assert found.code == 1, found.err
    problems = json.loads(found.out)
    assert [(p["problem"], p["snapshot"], p["file"]) for p in problems] == [
        ("gone", "s1", None),
        ("not-logged", "outside", None),
        ("no-metadata", None, s1_overlay),
        ("unused-overlay", None, stray),
    ]
    assert set(problems[0]) == {"problem", "domain", "snapshot", "file", "repair"}
    assert all(p["domain"] == domain for p in problems)
    assert log.read_bytes() == before  # the audit writes nothing
    # the repair of `gone` brings the metadata back
    repair = problems[0]["repair"]
    assert repair.startswith(f"virsh snapshot-create {domain} --redefine --xmlfile /dev/stdin")
    assert repair.endswith("  # libvirt's XML kept in the record, with today's domain definition")
    done = subprocess.run(["bash", "-c", repair], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    # back as libvirt had it: creation time, state, disks and their overlays, description
    assert record_xml(dom.snapshotLookupByName("s1", 0).getXMLDesc(0)) == libvirts
    left = [("not-logged", "outside", None), ("unused-overlay", None, stray)]
    again = json.loads(wl("snaps", domain, "--audit", "--json").out)
    assert [(p["problem"], p["snapshot"], p["file"]) for p in again] == left
    dom.destroy()  # shut off, and a base image removed
    os.remove(base)
    off = json.loads(wl("snaps", domain, "--audit", "--json").out)
    assert [(p["problem"], p["snapshot"], p["file"]) for p in off] == [
        *left[:1],
        ("missing-file", None, base),
        *left[1:],
    ]


def test_a_record_from_before_records_kept_the_xml_is_repaired_by_a_rebuild(
    wl: Worklog, conn: Any, make_domain: MakeDomain, log: Path
) -> None:
    """Two disks (qcow2 and raw), an external snapshot logged by a worklog whose records
    held no `xml`, its metadata lost: the audit rebuilds the XML from the record's fields
    and libvirt takes it back, with the overlays of the record and the record's stamp
    as the creation time."""
    domain = make_domain("qcow2", "raw")
    assert wl("snap", domain, "--disk-only", "--name", "s1").code == 0
    overlays = {t: p for t, (p, _) in top_images(conn, domain).items()}
    text = log.read_text(encoding="utf-8")
    log.write_text(re.sub(r"^xml: .*\n", "", text, flags=re.MULTILINE), encoding="utf-8")
    dom = conn.lookupByName(domain)
    dom.snapshotLookupByName("s1", 0).delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
    problems = json.loads(wl("snaps", domain, "--audit", "--json").out)
    gone = [p for p in problems if p["problem"] == "gone"]
    assert [p["snapshot"] for p in gone] == ["s1"]
    repair = gone[0]["repair"]
    assert repair.endswith(
        "  # rebuilt from the record's fields (it predates records keeping the XML), "
        "with today's domain definition"
    )
    done = subprocess.run(["bash", "-c", repair], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    back = ET.fromstring(dom.snapshotLookupByName("s1", 0).getXMLDesc(0))
    assert {d.get("name"): d.find("source").get("file")  # type: ignore[union-attr]
            for d in back.iterfind("disks/disk")} == overlays
    stamp = parse(log.read_bytes()).entries[-1].stamp.when
    assert back.findtext("creationTime") == str(int(stamp.timestamp()))
    assert json.loads(wl("snaps", domain, "--audit", "--json").out) == []


def test_the_audit_reads_a_chain_libvirt_does_not_report(
    wl: Worklog, conn: Any, make_domain: MakeDomain, image_dir: Path
) -> None:
    """A shut-off domain whose image was given an overlay outside libvirt (qemu-img
    create -b): the chain comes from the images, its missing base is named."""
    domain = make_domain("qcow2", running=False)
    base = top_images(conn, domain)["vda"][0]
    top = str(image_dir / "top.qcow2")
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", top], check=True
    )
    dom = conn.lookupByName(domain)
    dom.updateDeviceFlags(
        f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        f"<source file='{top}'/><target dev='vda' bus='virtio'/></disk>",
        libvirt.VIR_DOMAIN_AFFECT_CONFIG,
    )
    os.remove(base)
    found = json.loads(wl("snaps", domain, "--audit", "--json").out)
    assert [(p["problem"], p["file"]) for p in found] == [
        ("missing-file", base),
        ("no-metadata", top),
    ]


# --- a remote host over ssh -------------------------------------------------------------


def test_take_list_revert_prune_over_ssh(
    wl: Worklog, ssh_uri: str, conn: Any, make_domain: MakeDomain, log: Path
) -> None:
    domain = make_domain("qcow2")
    for name in ("a", "b"):
        made = wl("snap", domain, "--name", name, uri=ssh_uri)
        assert made.code == 0, made.err
    listed = wl("snaps", domain, "--json", uri=ssh_uri)
    assert [r["name"] for r in json.loads(listed.out)] == ["a", "b"]
    reverted = wl("revert", domain, "a", uri=ssh_uri)
    assert reverted.code == 0, reverted.err
    assert conn.lookupByName(domain).snapshotCurrent(0).getName() == "a"
    pruned = wl("prune", domain, "--keep-last", "1", uri=ssh_uri)
    assert pruned.code == 0, pruned.err
    assert [s.getName() for s in conn.lookupByName(domain).listAllSnapshots(0)] == ["b"]
    records = [e.record for e in parse(log.read_bytes()).entries[1:]]
    assert [(r.action, r.fields["name"]) for r in records if r is not None] == [
        ("snap", "a"), ("snap", "b"), ("revert", "a"), ("snap-prune", "a")
    ]
    version = conn.getLibVersion()
    for record in records:
        assert record is not None
        assert record.fields["uri"].startswith("qemu+ssh://root@127.0.0.1/system")
        assert record.fields["host"] == conn.getHostname()
        assert record.fields["libvirt"] == ".".join(
            str(version // 10**k % 1000) for k in (6, 3, 0)
        )
        assert record.fields["hypervisor"] == "QEMU " + ".".join(
            str(conn.getVersion() // 10**k % 1000) for k in (6, 3, 0)
        )


def test_external_revert_before_libvirt_9_9_is_refused_before_asking(
    wl: Worklog, conn: Any, make_domain: MakeDomain, log: Path
) -> None:
    if conn.getLibVersion() >= 9_009_000:
        pytest.skip("this libvirt reverts to external snapshots")
    domain = make_domain("raw")
    assert wl("snap", domain, "--name", "ext").code == 0
    refused = wl("revert", domain, "ext")
    assert refused.code == 1
    assert "reverting to an external snapshot needs libvirt 9.9.0 or newer" in refused.err
    record = parse(log.read_bytes()).entries[-1].record
    assert record is not None
    assert record.fields["preflight"] == "refused"
