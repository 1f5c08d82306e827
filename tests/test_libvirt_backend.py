"""The libvirt backend on libvirt's test driver: one fresh node XML file per test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

libvirt = pytest.importorskip("libvirt")

from tests.libvirt_nodes import IMAGE_DIR, NodeDisk, NodeDomain, NodeSnapshot, write_node  # noqa: E402
from worklog.vm.base import (  # noqa: E402
    ConnectError,
    DiskSnapshot,
    Hypervisor,
    HypervisorCallError,
    SnapshotInfo,
    default_snapshot_name,
    is_worklog_snapshot,
    user_description,
    worklog_description,
)
from worklog.vm.factory import open_hypervisor  # noqa: E402
from worklog.vm.libvirt_backend import LibvirtHypervisor  # noqa: E402
from worklog.vm.libvirt_xml import (  # noqa: E402
    overlay_path,
    read_disks,
    snapshot_xml,
    switched_targets,
)

REPO = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC

DOMAINS = (
    NodeDomain(
        "web",
        disks=(NodeDisk("vda"), NodeDisk("hdc", "raw", device="cdrom")),
        snapshots=(
            NodeSnapshot("base", T0, description="worklog: base install"),
            NodeSnapshot("update", T0 + 100, parent="base", description="manual"),
            NodeSnapshot("tuned", T0 + 200, parent="update", current=True),
        ),
    ),
    NodeDomain("db", running=False, disks=(NodeDisk("vda"), NodeDisk("vdb"))),
    NodeDomain("legacy", disks=(NodeDisk("sda", "raw"),)),
    NodeDomain("ext", snapshots=(NodeSnapshot("e1", T0, current=True, external=True),)),
)


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return write_node(tmp_path, DOMAINS)


@pytest.fixture
def hv(uri: str) -> Iterator[Hypervisor]:
    hypervisor = open_hypervisor(uri)
    yield hypervisor
    hypervisor.close()


def names(hv: Hypervisor, domain: str) -> list[str]:
    return [info.name for info in hv.list_snapshots(domain)]


# --- snapshot ---------------------------------------------------------------------------

HOSTILE = "worklog: </description><disks><disk name='vda' snapshot='external'/></disks> & ]]>"


def test_internal_snapshot_keeps_description_exactly(uri: str) -> None:
    conn = libvirt.open(uri)  # our own connection, to read the XML back from libvirt itself
    hv = LibvirtHypervisor(conn)
    result = hv.snapshot("web", name="before-upgrade", description=HOSTILE)

    assert result.ok, result
    assert (result.action, result.domain, result.uri) == ("snap", "web", uri)
    assert (result.name, result.kind, result.description) == ("before-upgrade", "internal", HOSTILE)
    assert result.disks == (DiskSnapshot("vda", f"{IMAGE_DIR}/web-vda.qcow2", "internal"),)
    assert result.error_code is None
    assert result.error_name is None
    assert result.plain_error is None
    assert 0 <= result.duration < 5
    # Read back from libvirt itself: one <disks> (libvirt's own), the text escaped.
    xml = conn.lookupByName("web").snapshotLookupByName("before-upgrade", 0).getXMLDesc(0)
    assert "&lt;/description&gt;&lt;disks&gt;" in xml
    root = ET.fromstring(xml)
    assert root.findtext("description") == HOSTILE
    assert len(root.findall("disks")) == 1
    assert {d.get("name"): d.get("snapshot") for d in root.iterfind("disks/disk")} == {
        "vda": "internal",
        "hdc": "no",
    }
    listed = {info.name: info for info in hv.list_snapshots("web")}
    assert listed["before-upgrade"].description == HOSTILE
    assert listed["before-upgrade"].parent == "tuned"
    assert listed["before-upgrade"].is_current
    assert not listed["tuned"].is_current
    hv.close()


@pytest.mark.parametrize(
    "description",
    ["line one\r\nline two\r\n", "  padded  ", "\ttab\n\nblank line", "快照 é \U0001f600 &amp;"],
)
def test_description_round_trips_whitespace_and_unicode(hv: Hypervisor, description: str) -> None:
    assert hv.snapshot("db", name="s", description=description).ok
    (info,) = hv.list_snapshots("db")
    assert info.description == description


def test_snapshot_of_shut_off_domain(hv: Hypervisor) -> None:
    result = hv.snapshot("db", name="cold")
    assert result.ok
    assert result.kind == "internal"
    assert [d.target for d in result.disks] == ["vda", "vdb"]
    assert names(hv, "db") == ["cold"]


def test_name_collision_fails_with_operation_failed(hv: Hypervisor) -> None:
    result = hv.snapshot("web", name="base", description="again")
    assert not result.ok
    assert result.error_code == 9
    assert result.error_name == "VIR_ERR_OPERATION_FAILED"
    assert "already exists" in (result.error_message or "")
    assert result.plain_error == "a snapshot with that name exists"
    assert (result.name, result.kind, result.description) == ("base", "internal", "again")
    assert names(hv, "web") == ["base", "update", "tuned"]


def test_unknown_domain_fails_with_no_domain(hv: Hypervisor) -> None:
    result = hv.snapshot("nope", name="x")
    assert not result.ok
    assert (result.error_code, result.error_name) == (42, "VIR_ERR_NO_DOMAIN")
    assert result.plain_error == "domain not found"
    assert result.kind is None
    assert result.disks == ()


def test_quiesce_on_the_test_driver_fails_at_the_freeze(hv: Hypervisor) -> None:
    before = names(hv, "db")
    result = hv.snapshot("db", name="q1", disk_only=True, quiesce=True)
    assert (result.ok, result.error_code, result.error_name) == (False, 3, "VIR_ERR_NO_SUPPORT")
    assert result.plain_error == "this hypervisor driver cannot freeze guest file systems"
    assert names(hv, "db") == before


@pytest.mark.parametrize(
    ("domain", "disk_only", "quiesce", "targets"),
    [
        ("web", True, False, ["vda"]),
        ("legacy", False, False, ["sda"]),  # a raw disk: external disk-only is chosen
        ("db", True, False, ["vda", "vdb"]),
    ],
)
def test_external_is_refused_by_the_test_driver(
    hv: Hypervisor, domain: str, disk_only: bool, quiesce: bool, targets: list[str]
) -> None:
    before = names(hv, domain)
    result = hv.snapshot(domain, name="ext1", disk_only=disk_only, quiesce=quiesce)
    assert not result.ok
    assert (result.error_code, result.error_name) == (8, "VIR_ERR_INVALID_ARG")
    assert result.kind == "external"
    assert result.plain_error == "this hypervisor driver cannot take external (disk-only) snapshots"
    assert [d.target for d in result.disks] == targets
    assert all(d.snapshot == "external" for d in result.disks)
    assert result.disks[0].source == f"{IMAGE_DIR}/{domain}-{targets[0]}.ext1.qcow2"
    assert result.switched_disks == ()
    assert names(hv, domain) == before


def test_force_internal_excludes_disk_only(hv: Hypervisor) -> None:
    with pytest.raises(ValueError, match="force_internal"):
        hv.snapshot("web", name="x", disk_only=True, force_internal=True)


def test_force_internal_on_raw_is_attempted(hv: Hypervisor) -> None:
    # The test driver does not check disk formats (QEMU refuses: see the integration tests).
    result = hv.snapshot("legacy", name="forced", force_internal=True)
    assert result.ok
    assert result.kind == "internal"


def test_default_names_are_unique(hv: Hypervisor) -> None:
    results = [hv.snapshot("db") for _ in range(3)]  # most likely within one second
    assert [r.ok for r in results] == [True, True, True]
    made = [r.name or "" for r in results]
    assert len(set(made)) == 3
    for name in made:
        assert re.fullmatch(r"db-\d{8}-\d{6}(-[23])?", name)
    assert sorted(names(hv, "db")) == sorted(made)


def test_empty_name_gets_a_default_name(hv: Hypervisor) -> None:
    result = hv.snapshot("db", name="")
    assert result.ok
    assert (result.name or "").startswith("db-")


def test_control_character_fails_cleanly(hv: Hypervisor) -> None:
    result = hv.snapshot("db", name="x", description="bell\x07")
    assert not result.ok
    assert result.error_code is not None
    assert result.plain_error
    assert names(hv, "db") == []


# --- list -------------------------------------------------------------------------------


def test_list_gives_parents_current_and_times(hv: Hypervisor) -> None:
    infos = hv.list_snapshots("web")
    assert [(i.name, i.parent, i.is_current) for i in infos] == [
        ("base", None, False),
        ("update", "base", False),
        ("tuned", "update", True),
    ]
    assert infos[0].created == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert [i.description for i in infos] == ["worklog: base install", "manual", None]
    assert {i.kind for i in infos} == {"internal"}
    assert {i.domain for i in infos} == {"web"}


def test_list_recognises_external_snapshots(hv: Hypervisor) -> None:
    (info,) = hv.list_snapshots("ext")
    assert (info.name, info.kind, info.is_current) == ("e1", "external", True)


def test_list_of_unknown_domain_raises(hv: Hypervisor) -> None:
    with pytest.raises(HypervisorCallError) as caught:
        hv.list_snapshots("nope")
    assert caught.value.code == 42
    assert caught.value.error_name == "VIR_ERR_NO_DOMAIN"
    assert caught.value.plain_error == "domain not found"


# --- revert and delete ------------------------------------------------------------------


def test_revert(hv: Hypervisor) -> None:
    result = hv.revert("web", "base")
    assert result.ok, result
    assert (result.action, result.name, result.kind) == ("revert", "base", "internal")
    assert result.description == "worklog: base install"
    assert [i.name for i in hv.list_snapshots("web") if i.is_current] == ["base"]


@pytest.mark.parametrize(
    ("domain", "name", "code", "plain"),
    [("web", "missing", 72, "snapshot not found"), ("nope", "base", 42, "domain not found")],
)
def test_revert_fails(hv: Hypervisor, domain: str, name: str, code: int, plain: str) -> None:
    result = hv.revert(domain, name)
    assert not result.ok
    assert (result.action, result.error_code, result.plain_error) == ("revert", code, plain)
    assert result.kind is None
    assert [i.name for i in hv.list_snapshots("web") if i.is_current] == ["tuned"]


def test_delete_reparents_children(hv: Hypervisor) -> None:
    result = hv.delete("web", "update")
    assert result.ok, result
    assert (result.action, result.name, result.description) == ("snap-delete", "update", "manual")
    assert [(i.name, i.parent) for i in hv.list_snapshots("web")] == [
        ("base", None),
        ("tuned", "base"),
    ]


def test_delete_fails(hv: Hypervisor) -> None:
    result = hv.delete("web", "missing")
    assert not result.ok
    assert (result.error_code, result.error_name) == (72, "VIR_ERR_NO_DOMAIN_SNAPSHOT")
    assert result.plain_error == "snapshot not found"
    assert names(hv, "web") == ["base", "update", "tuned"]


# --- connection and progress ------------------------------------------------------------


def test_uri_and_job_progress(hv: Hypervisor, uri: str) -> None:
    assert hv.uri == uri
    assert hv.job_progress("web") is None  # the test driver has no job info
    assert hv.job_progress("nope") is None


def test_bad_uri_raises_connect_error(tmp_path: Path) -> None:
    bad = f"test://{tmp_path}/missing.xml"
    with pytest.raises(ConnectError) as caught:
        open_hypervisor(bad)
    assert caught.value.uri == bad
    assert caught.value.code is not None
    assert caught.value.error_name is not None
    assert caught.value.message


def test_each_node_file_starts_fresh(uri: str) -> None:
    first = open_hypervisor(uri)
    assert first.snapshot("db", name="only-here").ok
    second = open_hypervisor(uri)
    try:
        assert [i.name for i in second.list_snapshots("db")] == []
    finally:
        first.close()
        second.close()


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


def test_importing_the_interface_does_not_import_libvirt() -> None:
    proc = _run(
        "import sys, worklog.vm.base, worklog.vm.factory, worklog.vm.actions, "
        "worklog.vm.listing; print('libvirt' in sys.modules)"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_missing_libvirt_raises_unavailable_with_install_hint() -> None:
    proc = _run(
        "import sys; sys.modules['libvirt'] = None\n"
        "from worklog.vm.base import HypervisorUnavailable\n"
        "from worklog.vm.factory import open_hypervisor\n"
        "try:\n    open_hypervisor('test:///default')\n"
        "except HypervisorUnavailable as exc:\n    print(exc)\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'notepad-worklog[libvirt]'" in proc.stdout
    assert "apt-get install libvirt-dev pkg-config" in proc.stdout


# --- pure helpers -----------------------------------------------------------------------

NOW = datetime(2024, 5, 1, 9, 3, 7)


def test_default_snapshot_name_suffixes() -> None:
    assert default_snapshot_name("web", NOW, set()) == "web-20240501-090307"
    assert default_snapshot_name("web", NOW, {"web-20240501-090307"}) == "web-20240501-090307-2"
    taken = {"web-20240501-090307", "web-20240501-090307-2"}
    assert default_snapshot_name("web", NOW, taken) == "web-20240501-090307-3"


@given(
    st.sets(
        st.sampled_from(["web-20240501-090307", *(f"web-20240501-090307-{i}" for i in range(2, 9))])
    )
)
def test_default_snapshot_name_is_never_taken(existing: set[str]) -> None:
    name = default_snapshot_name("web", NOW, existing)
    assert name not in existing
    assert name.startswith("web-20240501-090307")


def _info(description: str | None) -> SnapshotInfo:
    return SnapshotInfo("s", "d", NOW, description, None, False, "internal")


@pytest.mark.parametrize(
    ("description", "ours"),
    [
        ("worklog:", True),
        ("worklog: before upgrade\nmore", True),
        (None, False),
        ("", False),
        ("manual", False),
        (" worklog: indented", False),
        ("first line\nworklog: second line", False),
        ("Worklog: other case", False),
    ],
)
def test_is_worklog_snapshot(description: str | None, ours: bool) -> None:
    assert is_worklog_snapshot(_info(description)) is ours


def test_worklog_description_round_trip() -> None:
    for text in ("before upgrade", "two\nlines", " lead"):
        stored = worklog_description(text)
        assert is_worklog_snapshot(_info(stored))
        assert user_description(stored) == text
    assert worklog_description(None) == worklog_description("") == "worklog:"
    assert user_description("worklog:") is None
    assert user_description("manual") == "manual"


def test_overlay_path_is_next_to_the_image_and_file_safe() -> None:
    assert overlay_path("/vm/disk.img", "s1") == "/vm/disk.s1.qcow2"
    assert overlay_path("/vm/disk.s1.qcow2", "s2") == "/vm/disk.s1.s2.qcow2"
    assert overlay_path("/vm/disk.qcow2", "../a b/c") == "/vm/disk..._a_b_c.qcow2"


def test_external_snapshot_xml_lists_every_disk() -> None:
    disks = (
        DiskSnapshot("vda", "/vm/a.s.qcow2", "external"),
        DiskSnapshot("vdb", None, "external"),
    )
    root = ET.fromstring(snapshot_xml("s", "d<>&", "external", disks, ["hdc"]))
    assert (root.findtext("name"), root.findtext("description")) == ("s", "d<>&")
    assert root.find("memory") is not None
    assert root.find("memory").get("snapshot") == "no"  # type: ignore[union-attr]
    got = [
        (d.get("name"), d.get("snapshot"), d.find("source")) for d in root.iterfind("disks/disk")
    ]
    assert [(n, s) for n, s, _ in got] == [("vda", "external"), ("vdb", "external"), ("hdc", "no")]
    assert got[0][2] is not None
    assert got[0][2].get("file") == "/vm/a.s.qcow2"
    assert got[1][2] is None  # libvirt picks the file for non-file disks


def test_read_disks_skips_cdrom_and_floppy() -> None:
    xml = """<domain><devices>
      <disk type='file' device='disk'><driver type='qcow2'/><source file='/a.qcow2'/>
        <target dev='vda'/></disk>
      <disk type='block' device='disk'><driver type='raw'/><source dev='/dev/sdb'/>
        <target dev='vdb'/></disk>
      <disk type='file' device='cdrom'><target dev='hdc'/></disk>
      <disk type='file' device='floppy'><source file='/f.img'/><target dev='fda'/></disk>
    </devices></domain>"""
    disks, others = read_disks(xml)
    assert [(d.target, d.format, d.source, d.is_file) for d in disks] == [
        ("vda", "qcow2", "/a.qcow2", True),
        ("vdb", "raw", "/dev/sdb", False),
    ]
    assert others == ["hdc", "fda"]


def test_switched_targets_names_disks_now_on_an_overlay() -> None:
    def domain(vda: str, vdb: str) -> str:
        disk = "<disk device='disk'><source file='{}'/><target dev='{}'/></disk>"
        disks = disk.format(vda, "vda") + disk.format(vdb, "vdb")
        return f"<domain><devices>{disks}</devices></domain>"

    before, _ = read_disks(domain("/vm/a.qcow2", "/vm/b.qcow2"))
    assert switched_targets(before, domain("/vm/a.qcow2", "/vm/b.qcow2")) == ()
    assert switched_targets(before, domain("/vm/a.s.qcow2", "/vm/b.qcow2")) == ("vda",)
    assert switched_targets(before, domain("/vm/a.s.qcow2", "/vm/b.s.qcow2")) == ("vda", "vdb")


class _HungAgent:
    """A domain whose agent lets a freeze time out (the fault vdsm saw: the guest may
    freeze later): no real part gives it on demand."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def agentSetResponseTimeout(self, seconds: int, _flags: int) -> int:
        self.calls.append(("timeout", seconds))
        return 0

    def fsFreeze(self, _mounts: object, _flags: int) -> int:
        self.calls.append(("freeze", 0))
        raise libvirt.libvirtError("Guest agent is not responding: timed out")

    def fsThaw(self, _mounts: object, _flags: int) -> int:
        self.calls.append(("thaw", 0))
        return 1


def test_a_freeze_that_times_out_is_thawed_and_the_bound_restored() -> None:
    from worklog.vm.libvirt_host import Frozen  # noqa: PLC0415

    dom = _HungAgent()
    with pytest.raises(libvirt.libvirtError), Frozen(dom, 3, enabled=True):
        pytest.fail("the block must not run when the freeze failed")
    assert dom.calls == [("timeout", 3), ("freeze", 0), ("thaw", 0), ("timeout", -1)]
