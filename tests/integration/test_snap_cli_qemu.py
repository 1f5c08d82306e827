"""`worklog snap`, `snaps`, `revert`, `snap-delete` through the CLI against a real QEMU.

Needs `qemu:///system` (scripts/setup-libvirt); skipped, saying why, without it. The
fixtures (`conn`, `make_domain`) are in conftest.py: each test defines its own small
domains and removes them afterwards.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("libvirt", reason="libvirt-python is not installed")

from tests.cli_runner import Run, run_worklog
from tests.snap_logs import cp1252_with_ascii_ends
from worklog.format.document import parse
from worklog.vm.libvirt_xml import overlay_path, read_disks

pytestmark = pytest.mark.integration

URI = "qemu:///system"
NOW = "2026-11-26T14:05"
REPO = Path(__file__).resolve().parents[2]
PLAN = ".LOG\n10:19 2026-11-26\nGTD\n1, today\n1), 10:20- qemu 8.2 on the lab VMs\n"
TASK = 'see"10:19 2026-11-26" item 1: qemu 8.2 on the lab VMs'
MakeDomain = Callable[..., str]
SNAP_COMMANDS = {"snap", "snaps", "revert", "snap-delete"}


Worklog = Callable[..., Run]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "work.LOG"
    path.write_text(PLAN, encoding="utf-8")
    return path


@pytest.fixture
def wl(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, log: Path
) -> Worklog:
    """`worklog --file LOG ARGS` in-process at 14:05 (`--connect qemu:///system` added)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("WORKLOG_NOW", NOW)
    monkeypatch.delenv("WORKLOG_FILE", raising=False)

    def run(*args: str) -> Run:
        connect = ["--connect", URI] if args[0] in SNAP_COMMANDS else []
        return run_worklog(["--file", str(log), *args, *connect], os.environ)

    return run


def sources(conn: Any, domain: str) -> dict[str, str | None]:
    disks, _ = read_disks(conn.lookupByName(domain).XMLDesc(0))
    return {d.target: d.source for d in disks}


def image_snapshots(path: str | None) -> str:
    """`qemu-img snapshot -l` (with -U: a running guest holds the image)."""
    assert path is not None
    proc = subprocess.run(
        ["qemu-img", "snapshot", "-l", "-U", path], capture_output=True, text=True, check=True
    )
    return proc.stdout


def libvirt_snapshots(conn: Any, domain: str) -> list[str]:
    return sorted(s.getName() for s in conn.lookupByName(domain).listAllSnapshots(0))


def stored_description(conn: Any, domain: str, name: str) -> str | None:
    xml = conn.lookupByName(domain).snapshotLookupByName(name, 0).getXMLDesc(0)
    return ET.fromstring(xml.replace("\r", "&#13;")).findtext("description")


def durations(text: str) -> str:
    return re.sub(r"\b\d+\.\d\d s\b", "D s", text)


def new_entries(log: Path) -> list[str]:
    """The entries after the plan (durations as `D s`, libvirt's creation times as `T`)."""
    return [
        re.sub(r"<creationTime>\d+<", "<creationTime>T<", durations(e.source.rstrip("\n")))
        for e in parse(log.read_bytes()).entries[1:]
    ]


def host_fields(conn: Any) -> str:
    """The record's `host`, `libvirt` and `hypervisor` lines for this host."""

    def text(number: int) -> str:
        return ".".join(str(number // 10**k % 1000) for k in (6, 3, 0))

    return (
        f"host: {conn.getHostname()}\nlibvirt: {text(conn.getLibVersion())}\n"
        f"hypervisor: QEMU {text(conn.getVersion())}"
    )


def fields(entry: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in entry.split("\n")[3:])


# --- the interface contract, through the console script ---------------------------------

HOSTILE = "</description><disks><disk name='vda' snapshot='no'/></disks> & ]]>"


def test_contract_through_the_worklog_command(
    conn: Any, make_domain: MakeDomain, log: Path, tmp_path: Path
) -> None:
    domain = make_domain("qcow2", "qcow2")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "WORKLOG_NOW": NOW,
    }

    def worklog(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "worklog", "--file", str(log), *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    made = worklog("snap", domain, "--connect", URI, "--name", "live", "--description", HOSTILE)
    assert made.returncode == 0, made.stderr
    assert (
        durations(made.stdout) == f"snap {domain}: ok, internal snapshot live of 2 disks in D s\n"
    )

    last = json.loads(worklog("export", "--format", "json").stdout)[-1]
    assert last["kind"] == "snapshot"
    assert last["tags"] == ["snapshot", domain]
    assert {k: last["snapshot"][k] for k in ("domain", "name", "result", "uri")} == {
        "domain": domain,
        "name": "live",
        "result": "ok",
        "uri": URI,
    }
    assert last["snapshot"]["for"] == TASK

    disks = sources(conn, domain)
    assert all("live" in image_snapshots(path) for path in disks.values())
    assert stored_description(conn, domain, "live") == f"worklog: {HOSTILE}\nfor: {TASK}"

    listed = worklog("snaps", domain, "--connect", URI, "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row.pop("created").startswith("20")
    assert row == {
        "name": "live",
        "in_log": True,
        "in_libvirt": True,
        "domain": domain,
        "uri": URI,
        "kind": "internal",
        "parent": None,
        "current": True,
        "entry": "2026-11-26T14:05",
        "for": TASK,
        "description": HOSTILE,
        "deleted": None,
    }


# --- internal ---------------------------------------------------------------------------


def test_shut_off_domain_default_names_and_keep(
    conn: Any, make_domain: MakeDomain, wl: Worklog, log: Path
) -> None:
    domain = make_domain("qcow2", running=False)
    conn.lookupByName(domain).snapshotCreateXML(
        "<domainsnapshot><name>by-hand</name></domainsnapshot>", 0
    )
    # for an entry, not an open item: a snapshot serving a task still open is never pruned
    entry = 'see"10:19 2026-11-26"'
    runs = [wl("snap", domain, "--keep", "2", "--for", "2026-11-26T10:19") for _ in range(3)]
    assert [r.code for r in runs] == [0, 0, 0]
    entries = new_entries(log)
    names = [fields(e)["name"] for e in entries]
    assert len(set(names[:3])) == 3
    assert all(re.fullmatch(rf"{domain}-\d{{8}}-\d{{6}}(-\d)?", n) for n in names[:3])
    assert names[3] == names[0]
    assert re.fullmatch(
        re.escape(f"""14:05 2026-11-26
snapshot, {domain}
worklog snap-prune {domain}: ok, pruned internal snapshot {names[0]} in D s
result: ok
domain: {domain}
name: {names[0]}
kind: internal
disks: vda {sources(conn, domain)["vda"]}
duration: D s
uri: {URI}
for: {entry}
keep: 2
freed: """)
        + r"-?\d+ bytes\n"
        + re.escape(host_fields(conn)),
        entries[3],
    ), entries[3]
    assert len(entries) == 4
    assert libvirt_snapshots(conn, domain) == sorted(["by-hand", names[1], names[2]])
    assert not conn.lookupByName(domain).isActive()

    listed = wl("snaps", domain, "--json")
    assert listed.code == 0, listed.err
    rows = {r["name"]: r for r in json.loads(listed.out)}
    assert {n: (r["in_libvirt"], r["in_log"]) for n, r in rows.items()} == {
        "by-hand": (True, False),
        names[0]: (False, True),
        names[1]: (True, True),
        names[2]: (True, True),
    }
    assert rows[names[0]]["deleted"] == "2026-11-26T14:05"
    assert rows[names[2]]["current"] is True

    # a snapshot deleted behind worklog's back is gone, with no deleting entry
    conn.lookupByName(domain).snapshotLookupByName(names[1], 0).delete(0)
    text = wl("snaps", domain)
    assert text.code == 0
    assert text.out.startswith(f"{domain} ({URI}): 4 snapshots, 1 not in log, 2 gone\n")
    assert 'gone (logged see"14:05 2026-11-26")\n' in text.out.replace(f"  for {entry}", "")


def test_revert_and_delete_internal(
    conn: Any, make_domain: MakeDomain, wl: Worklog, log: Path
) -> None:
    domain = make_domain("qcow2")
    assert wl("snap", domain, "--name", "first").code == 0
    assert wl("snap", domain, "--name", "second").code == 0
    reverted = wl("revert", domain, "first", "--for", "1")
    assert reverted.code == 0, reverted.err
    assert conn.lookupByName(domain).isActive()
    assert conn.lookupByName(domain).snapshotCurrent(0).getName() == "first"
    deleted = wl("snap-delete", domain, "second")
    assert deleted.code == 0, deleted.err
    assert libvirt_snapshots(conn, domain) == ["first"]
    assert "second" not in image_snapshots(sources(conn, domain)["vda"])
    entries = new_entries(log)
    assert [e.split("\n")[2] for e in entries[2:]] == [
        f"worklog revert {domain}: ok, reverted to internal snapshot first in D s",
        f"worklog snap-delete {domain}: ok, deleted internal snapshot second in D s",
    ]
    assert fields(entries[2]) == {
        "result": "ok",
        "domain": domain,
        "name": "first",
        "kind": "internal",
        "disks": f"vda {sources(conn, domain)['vda']}",
        "duration": "D s",
        "uri": URI,
        "for": TASK,
    } | dict(line.split(": ", 1) for line in host_fields(conn).split("\n"))


# --- external ---------------------------------------------------------------------------


def test_external_disk_only_of_running_raw_domain(
    conn: Any, make_domain: MakeDomain, wl: Worklog, log: Path
) -> None:
    domain = make_domain("raw")
    image = sources(conn, domain)["vda"]
    assert image is not None
    overlay = overlay_path(image, "ext")
    run = wl("snap", domain, "--name", "ext")
    assert run.code == 0, run.err
    assert durations(run.out) == f"snap {domain}: ok, external snapshot ext of 1 disk in D s\n"
    assert sources(conn, domain)["vda"] == overlay
    assert Path(overlay).is_file()

    reverted = wl("revert", domain, "ext")
    if conn.getLibVersion() < 9_009_000:
        assert reverted.code == 1
        assert reverted.err.startswith(
            f"worklog: revert {domain}: failed, external snapshot ext: reverting to an "
            "external snapshot needs libvirt 9.9.0 or newer; "
            f"{conn.getHostname()} runs {host_fields(conn).split()[3]} [preflight]; logged "
        )
    else:
        assert reverted.code == 0, reverted.err

    deleted = wl("snap-delete", domain, "ext")
    assert deleted.code == 0, deleted.err
    assert sources(conn, domain)["vda"] == image
    assert not Path(overlay).exists()
    entries = new_entries(log)
    assert (
        entries[0]
        == f"""14:05 2026-11-26
snapshot, {domain}
worklog snap {domain}: ok, external snapshot ext of 1 disk in D s
result: ok
domain: {domain}
name: ext
kind: external
disks: vda {overlay}
duration: D s
uri: {URI}
for: {TASK}
consistency: crash
{host_fields(conn)}
xml: <domainsnapshot><name>ext</name><description>worklog:\\nfor: see&quot;10:19 2026-11-26&quot; \
item 1: qemu 8.2 on the lab VMs</description><state>disk-snapshot</state><creationTime>T\
</creationTime><memory snapshot="no" /><disks><disk name="vda" snapshot="external" type="file">\
<driver type="qcow2" /><source file="{overlay}" /></disk></disks></domainsnapshot>"""
    )
    assert entries[-1].split("\n")[2] == (
        f"worklog snap-delete {domain}: ok, deleted external snapshot ext in D s"
    )


def test_disk_only_of_shut_off_domain_with_two_disks(
    conn: Any, make_domain: MakeDomain, wl: Worklog, log: Path
) -> None:
    domain = make_domain("qcow2", "qcow2", running=False)
    before = sources(conn, domain)
    run = wl("snap", domain, "--disk-only", "--name", "cold")
    assert run.code == 0, run.err
    after = sources(conn, domain)
    overlays = {t: overlay_path(str(before[t]), "cold") for t in ("vda", "vdb")}
    assert after == overlays
    (entry,) = new_entries(log)
    assert fields(entry)["kind"] == "external"
    assert fields(entry)["disks"] == f"vda {overlays['vda']}; vdb {overlays['vdb']}"
    assert not conn.lookupByName(domain).isActive()


def test_several_domains_in_one_call(
    conn: Any, make_domain: MakeDomain, wl: Worklog, log: Path
) -> None:
    qcow2, raw = make_domain("qcow2"), make_domain("raw")
    run = wl("snap", qcow2, raw, "--name", "both", "--for", "1")
    assert run.code == 0, run.err
    assert durations(run.out) == (
        f"snap {qcow2}: ok, internal snapshot both of 1 disk in D s\n"
        f"snap {raw}: ok, external snapshot both of 1 disk in D s\n"
    )
    assert [fields(e)["domain"] for e in new_entries(log)] == [qcow2, raw]
    assert libvirt_snapshots(conn, qcow2) == libvirt_snapshots(conn, raw) == ["both"]


# --- failures ---------------------------------------------------------------------------

# (disk formats, snap options, error, error code); None: no domain at all
FAILURES = [
    (None, [], "domain not found", "42 VIR_ERR_NO_DOMAIN"),
    (
        ("qcow2",),
        ["--name", "taken"],
        "a snapshot with that name exists",
        "9 VIR_ERR_OPERATION_FAILED",
    ),
    (
        ("raw",),
        ["--internal"],
        "raw disk: internal snapshots need qcow2 disks, use --disk-only",
        "67 VIR_ERR_CONFIG_UNSUPPORTED",
    ),
]  # --quiesce without an agent is refused before libvirt is asked: test_prune_qemu.py


@pytest.mark.parametrize(("formats", "options", "error", "code"), FAILURES)
def test_failures_are_logged(
    conn: Any,
    make_domain: MakeDomain,
    wl: Worklog,
    log: Path,
    formats: tuple[str, ...] | None,
    options: list[str],
    error: str,
    code: str,
) -> None:
    domain = "worklog-it-no-such-domain" if formats is None else make_domain(*formats)
    if "taken" in options:
        assert wl("snap", domain, "--name", "taken").code == 0
    before = (
        ([], {}) if formats is None else (libvirt_snapshots(conn, domain), sources(conn, domain))
    )
    run = wl("snap", domain, *options)
    assert run.code == 1
    assert run.out == ""
    assert run.err.split("; logged ")[0].endswith(f" {error} [{code}]")
    assert run.err.count("\n") == 1
    entry = new_entries(log)[-1]
    assert entry.split("\n")[2].startswith(f"worklog snap {domain}: failed, ")
    got = fields(entry)
    assert (got["result"], got["error"], got["error-code"]) == ("failed", error, code)
    assert got["libvirt-message"]
    if formats is not None:  # nothing changed: no new snapshot, no disk switched
        assert (libvirt_snapshots(conn, domain), sources(conn, domain)) == before
    run = wl("export", "--format", "json")
    assert json.loads(run.out)[-1]["snapshot"]["result"] == "failed"


# --- a record the log cannot hold: nothing is done ---------------------------------------


def make_snapshot(conn: Any, domain: str, name: str, description: str | None = None) -> None:
    root = ET.Element("domainsnapshot")
    ET.SubElement(root, "name").text = name
    if description is not None:
        ET.SubElement(root, "description").text = description
    conn.lookupByName(domain).snapshotCreateXML(ET.tostring(root, encoding="unicode"), 0)


def current_snapshot(conn: Any, domain: str) -> str:
    return str(conn.lookupByName(domain).snapshotCurrent(0).getName())


def refused(run: Run, log: Path, what: str) -> bool:
    return (run.code, run.out, run.err) == (
        4,
        "",
        f"worklog: {log}: {what} cannot be written in the log's encoding (cp1252): "
        "nothing was done\n",
    )


def test_snap_with_a_name_the_log_cannot_hold_takes_no_snapshot(
    conn: Any, make_domain: MakeDomain, wl: Worklog, log: Path
) -> None:
    """A cp1252 log whose ends are ASCII: the log file reads what it must to be sure."""
    qcow2, raw = make_domain("qcow2"), make_domain("raw")
    log.write_bytes(cp1252_with_ascii_ends(PLAN))
    before = log.read_bytes()
    disks = sources(conn, raw)
    assert refused(wl("snap", qcow2, raw, "--name", "快照"), log, "--name '快照'")
    assert refused(wl("snap", qcow2, "--description", "快照"), log, "--description '快照'")
    assert libvirt_snapshots(conn, qcow2) == libvirt_snapshots(conn, raw) == []
    assert "快照" not in image_snapshots(sources(conn, qcow2)["vda"])
    assert sources(conn, raw) == disks  # no overlay either
    assert log.read_bytes() == before
    assert wl("snap", qcow2, "--name", "Grüße").code == 0  # what cp1252 holds goes in
    assert libvirt_snapshots(conn, qcow2) == ["Grüße"]


def test_revert_and_delete_that_the_log_cannot_record_change_nothing(
    conn: Any, make_domain: MakeDomain, wl: Worklog, log: Path
) -> None:
    domain = make_domain("qcow2")
    make_snapshot(conn, domain, "快照")
    make_snapshot(conn, domain, "described", "worklog: 快照 before qemu 8.2")
    make_snapshot(conn, domain, "later")
    log.write_bytes(cp1252_with_ascii_ends(PLAN))
    before = log.read_bytes()
    line = "the record line 'description: 快照 before qemu 8.2'"
    for command in ("revert", "snap-delete"):
        assert refused(wl(command, domain, "快照"), log, "SNAPSHOT '快照'")
        assert refused(wl(command, domain, "described"), log, line)
    assert current_snapshot(conn, domain) == "later"
    assert libvirt_snapshots(conn, domain) == sorted(["快照", "described", "later"])
    assert log.read_bytes() == before
    assert conn.lookupByName(domain).isActive()
