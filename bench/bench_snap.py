"""`worklog snap` beside `virsh snapshot-create-as` on the same domain, in one run: what
worklog adds to a snapshot (its start-up, reading the log's end, the record) is small.

Defines a small running QEMU domain with one qcow2 disk on qemu:///system (as the
integration tests do), takes an internal snapshot with each tool several times, deleting
it between runs (untimed), prints the medians and the ratio, and removes everything.

    python -m bench.bench_snap [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import WORKLOG, machine, ms, table, time_command
from worklog.format.document import parse

URI = "qemu:///system"
NAME = "bench"
#: The floor of any Python tool: libvirt-python takes the same snapshot, nothing else.
BARE = (
    "import sys, libvirt\n"
    "conn = libvirt.open(sys.argv[1])\n"
    "conn.lookupByName(sys.argv[2]).snapshotCreateXML(\n"
    "    '<domainsnapshot><name>' + sys.argv[3] + '</name></domainsnapshot>', 0)\n"
    "conn.close()\n"
)


def unavailable() -> str | None:
    """Why the benchmark cannot run here, or None."""
    for tool in ("virsh", "qemu-img"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (run scripts/setup-libvirt as root)"
    try:
        import libvirt  # noqa: PLC0415  (optional)
    except ImportError:
        return "libvirt-python is not installed (pip install 'notepad-worklog[libvirt]')"
    try:
        libvirt.registerErrorHandler(lambda *_: None, None)
        libvirt.open(URI).close()
    except libvirt.libvirtError as exc:
        return f"{URI} cannot be opened ({exc}); run scripts/setup-libvirt as root"
    return None


def domain_xml(name: str, image: Path) -> str:
    root = ET.Element("domain", type="qemu")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "memory", unit="MiB").text = "64"
    ET.SubElement(root, "vcpu").text = "1"
    ET.SubElement(ET.SubElement(root, "os"), "type", arch="x86_64").text = "hvm"
    devices = ET.SubElement(root, "devices")
    disk = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(disk, "driver", name="qemu", type="qcow2")
    ET.SubElement(disk, "source", file=str(image))
    ET.SubElement(disk, "target", dev="vda", bus="virtio")
    ET.SubElement(devices, "memballoon", model="none")
    return ET.tostring(root, encoding="unicode")


@contextmanager
def small_domain() -> Iterator[tuple[str, Any]]:
    """A running 64 MiB domain with a 16 MiB qcow2 disk; removed afterwards."""
    import libvirt  # noqa: PLC0415

    folder = Path(tempfile.mkdtemp(prefix="worklog-bench-"))
    folder.chmod(0o755)  # QEMU runs as libvirt-qemu
    conn = libvirt.open(URI)
    dom = None
    try:
        image = folder / "disk.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "16M"], check=True)
        name = f"worklog-bench-{uuid.uuid4().hex[:8]}"
        dom = conn.defineXML(domain_xml(name, image))
        dom.create()
        yield name, dom
    finally:
        if dom is not None:
            if dom.isActive():
                dom.destroy()
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
        conn.close()
        shutil.rmtree(folder, ignore_errors=True)


def recorded_durations(log: Path) -> list[float]:
    """The libvirt call times worklog wrote in its records (`duration: 0.05 s`)."""
    found = []
    for entry in parse(log.read_bytes()).entries:
        record = entry.record
        if record is not None and record.action == "snap" and "duration" in record.fields:
            found.append(float(record.fields["duration"].removesuffix(" s")))
    return found


def measure(runs: int) -> list[tuple[str, ...]]:
    """The commands take turns, run after run, so that a change in the machine's load
    falls on all of them alike."""
    with small_domain() as (domain, dom), tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "bench.LOG"
        snap = [*WORKLOG, "--file", str(log), "snap", domain, "--connect", URI, "--name", NAME]
        # As installed: bytecode cached (kept out of the tree); also without, as here by default.
        cached = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pyc")}
        uncached = {"PYTHONDONTWRITEBYTECODE": "1"}

        def delete_snapshots() -> None:
            for snapshot in dom.listAllSnapshots(0):
                snapshot.delete(0)

        commands: dict[str, tuple[list[str], dict[str, str], bool]] = {
            "virsh": (["virsh", "-q", "-c", URI, "snapshot-create-as", domain, NAME], {}, True),
            "worklog": (snap, cached, True),
            "no-pyc": (snap, uncached, True),
            "bare": ([sys.executable, "-c", BARE, URI, domain, NAME], cached, True),
            "python": ([sys.executable, "-c", "pass"], cached, False),
            "help": ([*WORKLOG, "--help"], cached, False),
        }
        time_command("warm-up", snap, runs=1, env=cached, before=delete_snapshots)
        times: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(runs):
            for label, (argv, env, snaps) in commands.items():
                before = delete_snapshots if snaps else None
                timing = time_command(label, argv, runs=1, env=env, before=before)
                times[label].extend(timing.runs)
        inside = statistics.median(recorded_durations(log))
        delete_snapshots()
    med = {label: statistics.median(values) for label, values in times.items()}
    base = med["virsh"]
    return [
        ("virsh snapshot-create-as", ms(base), "1.00x", "the libvirt client alone"),
        ("python + libvirt-python", ms(med["bare"]), f"{med['bare'] / base:.2f}x",
         "the same snapshot from a 5-line script: the floor of a Python tool"),
        ("worklog snap", ms(med["worklog"]), f"{med['worklog'] / base:.2f}x",
         f"+{ms(med['worklog'] - med['bare'])} over that floor, bytecode cached (as installed)"),
        ("  of which the libvirt call", ms(inside), "", "the records' duration field"),
        ("  of which Python start-up", ms(med["python"]), "", "python -c pass"),
        ("  of which the CLI's start-up", ms(med["help"] - med["python"]), "",
         "worklog --help minus Python start-up: every command pays it"),
        ("worklog snap, no .pyc", ms(med["no-pyc"]), f"{med['no-pyc'] / base:.2f}x",
         "PYTHONDONTWRITEBYTECODE=1: every module compiled at each run"),
    ]


def measure_lookup(runs: int, counts: tuple[int, ...] = (1, 10, 30)) -> list[tuple[str, ...]]:
    """What `revert` and `snap-delete` add before changing anything: one listing of the
    domain's snapshots, to know that the record (the snapshot's description and disks)
    fits the log; what `snap` reads for its preflight (host versions, disks with their
    chains, the listing); and a whole `snaps --audit`. Timed in-process, with the domain
    holding more and more snapshots."""
    from worklog.store.logfile import LogFile  # noqa: PLC0415
    from worklog.vm.audit import audit  # noqa: PLC0415
    from worklog.vm.factory import open_hypervisor  # noqa: PLC0415

    def timed(call: Any) -> str:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        return ms(statistics.median(times))

    rows: list[tuple[str, ...]] = []
    with small_domain() as (domain, dom), tempfile.TemporaryDirectory() as tmp:
        log = LogFile(Path(tmp) / "bench.LOG")
        hv = open_hypervisor(URI)
        try:
            made = 0
            for count in counts:
                for index in range(made, count):
                    xml = f"<domainsnapshot><name>s{index}</name></domainsnapshot>"
                    dom.snapshotCreateXML(xml, 0)
                made = count
                listing = timed(lambda: hv.list_snapshots(domain))
                preflight = timed(
                    lambda: (hv.host_info(), hv.disks(domain), hv.list_snapshots(domain))
                )
                audited = timed(lambda: audit(log, open_hypervisor, domain, URI))
                rows.append((f"{count} snapshot{'s' if count > 1 else ''}", listing,
                             preflight, audited))
        finally:
            hv.close()
            for snapshot in dom.listAllSnapshots(0):
                snapshot.delete(0)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason is not None:
        print(f"bench_snap: skipped: {reason}")
        return 0
    print(f"machine: {machine()}")
    print(f"internal snapshot of a running 64 MiB QEMU (TCG) guest, one 16 MiB qcow2 disk, "
          f"on {URI}; median of {args.runs} runs, snapshots deleted between runs (untimed)")
    print(table(measure(args.runs), ("command", "median", "ratio", "note")))
    print("\nwhat is read before changing anything, and an audit (in-process, medians), by "
          "snapshots of the domain")
    print(table(measure_lookup(args.runs),
                ("domain holds", "revert/delete look-up", "snap preflight", "snaps --audit")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
