"""`worklog snaps DOMAIN --audit`: libvirt's snapshots, the disks' real backing chains,
the overlay files in the images' folders and the log's records, side by side.

Read only: nothing is changed, nothing is logged. Each problem comes with the command
that repairs it. The kinds: a snapshot nobody logged (`not-logged`), a record of a
snapshot that is gone without a record of its deletion (`gone`), an overlay file no chain
uses (`unused-overlay`), a chain whose file is missing (`missing-file`), an overlay in a
chain that no snapshot's metadata names (`no-metadata`). A `gone` snapshot whose files
are still there can be brought back: the repair redefines it from libvirt's XML that its
record keeps (records written before they kept it: rebuilt from their fields).
"""

from __future__ import annotations

import os
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from worklog.format.document import Entry
from worklog.history.timeline import log_timeline
from worklog.store.logfile import LogFile
from worklog.vm.base import DomainDiskInfo, Hypervisor, SnapshotInfo, worklog_description
from worklog.vm.factory import Factory
from worklog.vm.listing import SnapRow, join, snapshot_entries

PROBLEMS = ("not-logged", "gone", "unused-overlay", "missing-file", "no-metadata")


@dataclass(frozen=True)
class Problem:
    """One drift found; ``snapshot``/``file`` None when it is not about one."""

    problem: str
    domain: str
    snapshot: str | None
    file: str | None
    repair: str


@dataclass(frozen=True)
class Audit:
    uri: str
    domain: str
    problems: tuple[Problem, ...]


def audit(log: LogFile, factory: Factory, domain: str, uri: str | None) -> Audit:
    """Compare; raises HypervisorCallError when the domain cannot be read, ConnectError
    when the URI cannot be reached."""
    hv = factory(uri)
    try:
        with log_timeline(log) as timeline:
            entries = snapshot_entries(timeline, domain)
        infos = hv.list_snapshots(domain)
        disks = hv.disks(domain, chains=True)
        rows = join(domain, hv.uri, infos, entries)
        problems = [
            *_record_problems(domain, rows, entries, hv),
            *_chain_problems(domain, disks, infos, hv),
        ]
        return Audit(hv.uri, domain, tuple(problems))
    finally:
        hv.close()


def _q(text: str) -> str:
    return shlex.quote(text)


def _record_problems(
    domain: str, rows: Sequence[SnapRow], entries: Sequence[Entry], hv: Hypervisor
) -> list[Problem]:
    problems: list[Problem] = []
    present = {row.name for row in rows if row.in_libvirt}
    for row in rows:
        if row.in_libvirt and not row.in_log:
            problems.append(
                Problem(
                    "not-logged",
                    domain,
                    row.name,
                    None,
                    f"worklog snap-delete {_q(domain)} {_q(row.name)}  # if it is not wanted; "
                    f"else keep it: virsh snapshot-dumpxml {_q(domain)} {_q(row.name)}",
                )
            )
        elif not row.in_libvirt and row.deleted is None and row.entry is not None:
            entry = _maker(entries, row)
            problems.append(_gone(domain, row.name, entry, hv, present))
    return problems


def _maker(entries: Sequence[Entry], row: SnapRow) -> Entry:
    """The record that made the row's snapshot: its stamp and the snapshot's name (several
    snapshots are often taken within one minute, under one stamp)."""
    return next(
        e
        for e in reversed(entries)
        if e.stamp == row.entry and e.record is not None and e.record.fields.get("name") == row.name
    )


def _gone(domain: str, name: str, entry: Entry, hv: Hypervisor, present: set[str]) -> Problem:
    """The redefine of a snapshot whose metadata is lost: from the XML its record keeps
    (libvirt's own), else (a record written before records kept it, or one that left it
    out) rebuilt from the record's fields; with today's domain definition either way, as
    libvirt will not redefine without one."""
    record = entry.record
    fields = record.fields if record is not None else {}
    disks = _record_disks(fields.get("disks", ""))
    missing = [path for _, path in disks if hv.exists(path) is False]
    if missing:
        repair = f"nothing to redefine: {missing[0]} is gone, the snapshot cannot come back"
        return Problem("gone", domain, name, missing[0], repair)
    kept = _kept_xml(fields["xml"], present) if "xml" in fields else None
    if kept is not None:
        xml, why = kept
    else:
        created = int(entry.stamp.when.timestamp())  # the record's stamp: when it was taken
        kind = fields.get("kind", "internal")
        xml = redefine_xml(name, kind, disks, fields.get("description"), created)
        why = f"rebuilt from the record's fields ({_no_xml(fields)})"
    xml = _with_domain(xml, hv.domain_xml(domain), disks, hv.disks(domain, chains=True))
    repair = (
        f"virsh snapshot-create {_q(domain)} --redefine --xmlfile /dev/stdin <<< {_q(xml)}"
        f"  # {why}, with today's domain definition"
    )
    return Problem("gone", domain, name, None, repair)


def _no_xml(fields: dict[str, str]) -> str:
    if "xml" in fields:
        return "its xml field is not XML"
    if "xml-left-out" in fields:
        return "its XML was left out"
    return "it predates records keeping the XML"


def _kept_xml(kept: str, present: set[str]) -> tuple[str, str] | None:
    """The record's XML, without its parent when libvirt no longer has that (libvirt
    refuses a redefine naming a parent it does not know), and what was done; None when
    the field is not a snapshot's XML (edited by hand)."""
    try:
        root = ET.fromstring(kept)
    except ET.ParseError:
        return None
    if root.tag != "domainsnapshot":
        return None
    parent = root.find("parent")
    if parent is None or parent.findtext("name") in present:
        return kept, "libvirt's XML kept in the record"
    root.remove(parent)
    why = "libvirt's XML kept in the record, without its parent snapshot (gone)"
    return ET.tostring(root, encoding="unicode").replace("\r", "&#13;"), why


def _record_disks(value: str) -> list[tuple[str, str]]:
    """`vda /path; vdb /path` (the record's `disks`): (target, file) of each disk."""
    pairs = []
    for part in value.split("; "):
        target, _, path = part.partition(" ")
        if target and path and not path.startswith("("):
            pairs.append((target, path))
    return pairs


def redefine_xml(
    name: str,
    kind: str,
    disks: Sequence[tuple[str, str]],
    description: str | None,
    created: int,
) -> str:
    """The `<domainsnapshot>` that `virsh snapshot-create --redefine` takes back."""
    root = ET.Element("domainsnapshot")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "description").text = worklog_description(description)
    ET.SubElement(root, "creationTime").text = str(created)
    if kind == "external":
        ET.SubElement(root, "state").text = "disk-snapshot"
        ET.SubElement(root, "memory", snapshot="no")
        disks_el = ET.SubElement(root, "disks")
        for target, path in disks:
            disk = ET.SubElement(disks_el, "disk", name=target, snapshot="external")
            ET.SubElement(disk, "source", file=path)
    return ET.tostring(root, encoding="unicode")


def _with_domain(
    snapshot_xml: str,
    domain_xml: str,
    disks: Sequence[tuple[str, str]],
    now: Sequence[DomainDiskInfo],
) -> str:
    """The snapshot document with the domain as it was when the snapshot was taken (libvirt
    wants it to redefine): today's definition, each snapshotted disk on the image under
    its overlay (the overlay's backing file in today's chain)."""
    root = ET.fromstring(snapshot_xml)
    domain = ET.fromstring(domain_xml)
    chains = {d.target: [p for p in (d.source, *d.backing) if p] for d in now}
    below = dict(disks)
    for disk in domain.iterfind("./devices/disk"):
        target = disk.find("target")
        source = disk.find("source")
        dev = target.get("dev") if target is not None else None
        chain = chains.get(dev or "", [])
        overlay = below.get(dev or "")
        if source is not None and overlay in chain and chain.index(overlay) + 1 < len(chain):
            source.set("file", chain[chain.index(overlay) + 1])
            for store in disk.findall("backingStore"):
                disk.remove(store)
    root.append(domain)
    return ET.tostring(root, encoding="unicode").replace("\r", "&#13;")


def _chain_problems(
    domain: str, disks: Sequence[DomainDiskInfo], infos: Sequence[SnapshotInfo], hv: Hypervisor
) -> list[Problem]:
    problems: list[Problem] = []
    named = {d.source for i in infos for d in i.disks if d.snapshot == "external" and d.source}
    used: set[str] = set()
    for disk in disks:
        chain = [p for p in (disk.source, *disk.backing) if p]
        used.update(chain)
        for path in chain:
            if hv.exists(path) is False:
                problems.append(
                    Problem(
                        "missing-file",
                        domain,
                        None,
                        path,
                        f"restore {path} from a backup: disk {disk.target} needs it",
                    )
                )
        for path in chain[:-1]:  # every image above the base is an overlay
            if path not in named:
                problems.append(_no_metadata(domain, disk, path))
    problems.extend(_unused(domain, disks, used, hv))
    return problems


def _no_metadata(domain: str, disk: DomainDiskInfo, path: str) -> Problem:
    repair = (
        f"virsh blockcommit {_q(domain)} {disk.target} --active --pivot  # merge it back "
        "(running domain); shut off: qemu-img commit " + _q(path)
    )
    return Problem("no-metadata", domain, None, path, repair)


def _unused(
    domain: str, disks: Sequence[DomainDiskInfo], used: set[str], hv: Hypervisor
) -> list[Problem]:
    """Files beside the images named as worklog names overlays (`STEM.NAME.qcow2` of an
    image of a chain) that no chain uses."""
    problems: list[Problem] = []
    stems = {os.path.splitext(p)[0] for p in used}
    for folder in sorted({os.path.dirname(p) for p in used}):
        for name in hv.list_files(folder) or []:
            path = os.path.join(folder, name)
            overlay = path.endswith(".qcow2") and any(path.startswith(f"{s}.") for s in stems)
            if overlay and path not in used:
                repair = f"qemu-img info {_q(path)}  # check nothing uses it, then: rm {_q(path)}"
                problems.append(Problem("unused-overlay", domain, None, path, repair))
    return problems
