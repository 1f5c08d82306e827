"""The XML worklog sends to libvirt and reads back: domain disks, snapshot documents.

Pure ElementTree, no libvirt import: the libvirt backend uses it, and so can tests and
tools that only read XML. Text goes in as text (a description such as
`</description><disks>` is escaped), and carriage returns survive the round trip.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath

from worklog.vm.base import DiskMode, DiskSnapshot, DomainDiskInfo, SnapshotKind

DomainDisk = DomainDiskInfo
"""A `<devices><disk device='disk'>` of a domain."""


def read_disks(domain_xml: str) -> tuple[list[DomainDisk], list[str]]:
    """The domain's disks, and the targets of other disk devices (cdrom, floppy...)."""
    disks: list[DomainDisk] = []
    others: list[str] = []
    for el in ET.fromstring(domain_xml).iterfind("./devices/disk"):
        target = el.find("target")
        dev = target.get("dev") if target is not None else None
        if dev is None:
            continue
        if el.get("device", "disk") != "disk":
            others.append(dev)
            continue
        driver, source = el.find("driver"), el.find("source")
        disks.append(
            DomainDisk(
                target=dev,
                format=driver.get("type") if driver is not None else None,
                source=source_path(source),
                is_file=el.get("type", "file") == "file",
                backing=_backing_chain(el),
            )
        )
    return disks, others


def _backing_chain(disk: ET.Element) -> tuple[str, ...]:
    """The images under a disk's image, nearest first (libvirt's `<backingStore>`)."""
    chain: list[str] = []
    store = disk.find("backingStore")
    while store is not None:
        path = source_path(store.find("source"))
        if path is None:
            break
        chain.append(path)
        store = store.find("backingStore")
    return tuple(chain)


def source_path(source: ET.Element | None) -> str | None:
    if source is None:
        return None
    return source.get("file") or source.get("dev") or source.get("name")


def switched_targets(before: list[DomainDisk], domain_xml: str) -> tuple[str, ...]:
    """Targets whose source in domain_xml differs from before (now on an overlay)."""
    sources = {d.target: d.source for d in before}
    after, _ = read_disks(domain_xml)
    return tuple(d.target for d in after if d.target in sources and sources[d.target] != d.source)


def overlay_path(source: str, snapshot_name: str) -> str:
    """`<source dir>/<image stem>.<snapshot name>.qcow2`, the name made file-safe."""
    safe = re.sub(r"[^\w.+-]", "_", snapshot_name)
    path = PurePath(source)
    return str(path.with_name(f"{path.stem}.{safe}.qcow2"))


def plan_disks(disks: list[DomainDisk], kind: SnapshotKind, name: str) -> tuple[DiskSnapshot, ...]:
    if kind == "internal":
        return tuple(DiskSnapshot(d.target, d.source, "internal") for d in disks)
    return tuple(
        DiskSnapshot(
            d.target, overlay_path(d.source, name) if d.is_file and d.source else None, "external"
        )
        for d in disks
    )


def snapshot_xml(
    name: str,
    description: str | None,
    kind: SnapshotKind,
    disks: tuple[DiskSnapshot, ...],
    skipped: list[str],
) -> str:
    """The `<domainsnapshot>` document for snapshotCreateXML."""
    root = ET.Element("domainsnapshot")
    ET.SubElement(root, "name").text = name
    if description:
        ET.SubElement(root, "description").text = description
    if kind == "external":
        ET.SubElement(root, "memory", snapshot="no")
        disks_el = ET.SubElement(root, "disks")
        for disk in disks:
            el = ET.SubElement(disks_el, "disk", name=disk.target, snapshot="external")
            if disk.source is not None:
                ET.SubElement(el, "driver", type="qcow2")
                ET.SubElement(el, "source", file=disk.source)
        for target in skipped:
            ET.SubElement(disks_el, "disk", name=target, snapshot="no")
    # ElementTree leaves CR raw in text, and XML parsers turn it into LF: keep it exact.
    return ET.tostring(root, encoding="unicode").replace("\r", "&#13;")


_DISK_MODES: dict[str, DiskMode] = {"internal": "internal", "external": "external", "no": "no"}


@dataclass(frozen=True)
class SnapshotXml:
    description: str | None
    created: datetime
    parent: str | None
    kind: SnapshotKind
    disks: tuple[DiskSnapshot, ...]


#: The elements of libvirt's snapshot XML a record leaves out: the domain's definitions
#: when the snapshot was taken (most of the XML; the repair puts today's back).
_DEFINITIONS = ("domain", "inactiveDomain")
_XML_BLANKS = " \t\r\n"
_TEXT_RE = re.compile(r">[^<]+<")


def record_xml(xml: str) -> str:
    """libvirt's `<domainsnapshot>` (``getXMLDesc``) as a snapshot record keeps it (FORMAT.md
    VII): without ``<domain>`` and ``<inactiveDomain>``, without the blanks between
    elements; every other element, attribute and text as libvirt wrote it, a carriage
    return in a text as ``&#13;`` and a ``"`` as ``&quot;`` (the description's
    ``for: see"STAMP"`` is no second cross-reference of the record, FORMAT.md C4).
    Raises ET.ParseError on text that is not XML."""
    root = ET.fromstring(xml.replace("\r", "&#13;"))
    for tag in _DEFINITIONS:
        for el in root.findall(tag):
            root.remove(el)
    for el in root.iter():
        if len(el) and el.text is not None and not el.text.strip(_XML_BLANKS):
            el.text = None
        if el.tail is not None and not el.tail.strip(_XML_BLANKS):
            el.tail = None
    text = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    # ElementTree writes < and > inside attribute values as &lt; &gt;: between > and <
    # there is only text
    return _TEXT_RE.sub(lambda m: m.group().replace('"', "&quot;"), text)


def ascii_xml(xml: str) -> str:
    """The same XML in ASCII: each other character as a character reference (`&#1076;`),
    which an XML reader takes as that character (for a log whose encoding lacks it)."""
    return re.sub(r"[^\x00-\x7f]", lambda m: f"&#{ord(m.group())};", xml)


def parse_snapshot_xml(xml: str, disk_sources: dict[str, str | None]) -> SnapshotXml:
    """Read a snapshot's XML; `disk_sources` (target -> image) restricts and completes disks."""
    root = ET.fromstring(xml.replace("\r", "&#13;"))  # libvirt writes CR raw; parsing eats it
    memory = root.find("memory")
    disks: list[DiskSnapshot] = []
    for el in root.iterfind("./disks/disk"):
        target, mode = el.get("name", ""), el.get("snapshot", "no")
        mode_ = _DISK_MODES.get(mode)
        if target not in disk_sources or mode_ is None:
            continue
        source = source_path(el.find("source")) if mode == "external" else None
        disks.append(DiskSnapshot(target, source or disk_sources[target], mode_))
    external = (memory is not None and memory.get("snapshot") == "external") or any(
        d.snapshot == "external" for d in disks
    )
    return SnapshotXml(
        description=root.findtext("description"),
        created=datetime.fromtimestamp(int(root.findtext("creationTime") or 0), tz=UTC),
        parent=root.findtext("./parent/name"),
        kind="external" if external or root.findtext("state") == "disk-snapshot" else "internal",
        disks=tuple(disks),
    )
