"""Node XML files for libvirt's test driver (`test:///ABS/PATH/node.xml`).

Each test writes its own node file, so every connection starts from a fresh state
(unlike `test:///default`, which is shared by every connection of a process).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"
RUNSTATE_SHUTOFF = 5  # virDomainState VIR_DOMAIN_SHUTOFF
IMAGE_DIR = "/srv/worklog-test-images"  # never touched: the test driver does not open disks


@dataclass(frozen=True)
class NodeDisk:
    target: str
    format: str = "qcow2"
    device: str = "disk"  # or "cdrom", "floppy"

    def source(self, domain: str) -> str:
        ext = {"qcow2": "qcow2", "raw": "img"}.get(self.format, self.format)
        return f"{IMAGE_DIR}/{domain}-{self.target}.{ext}"


@dataclass(frozen=True)
class NodeSnapshot:
    name: str
    created: int  # Unix time
    parent: str | None = None
    current: bool = False
    description: str | None = None
    external: bool = False  # a disk-only snapshot with an overlay per disk


@dataclass(frozen=True)
class NodeDomain:
    name: str
    running: bool = True
    disks: tuple[NodeDisk, ...] = (NodeDisk("vda"),)
    snapshots: tuple[NodeSnapshot, ...] = ()

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"worklog-test:{self.name}"))


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = text
    return el


def _definition(dom: NodeDomain, tag: str = "domain") -> ET.Element:
    """The plain domain definition (also embedded in each predefined snapshot)."""
    root = ET.Element(tag, type="test")
    _text(root, "name", dom.name)
    _text(root, "uuid", dom.uuid)
    _text(root, "memory", "65536")
    _text(ET.SubElement(root, "os"), "type", "hvm")
    devices = ET.SubElement(root, "devices")
    for disk in dom.disks:
        el = ET.SubElement(devices, "disk", type="file", device=disk.device)
        ET.SubElement(el, "driver", name="qemu", type=disk.format)
        ET.SubElement(el, "source", file=disk.source(dom.name))
        bus = "virtio" if disk.device == "disk" else "ide"
        ET.SubElement(el, "target", dev=disk.target, bus=bus)
    return root


def _snapshot(dom: NodeDomain, snap: NodeSnapshot) -> ET.Element:
    root = ET.Element("test:domainsnapshot")
    _text(root, "name", snap.name)
    if snap.description is not None:
        _text(root, "description", snap.description)
    _text(root, "state", "disk-snapshot" if snap.external else "running")
    if snap.parent is not None:
        _text(ET.SubElement(root, "parent"), "name", snap.parent)
    _text(root, "creationTime", str(snap.created))
    if snap.external:
        ET.SubElement(root, "memory", snapshot="no")
        disks = ET.SubElement(root, "disks")
        for disk in dom.disks:
            if disk.device != "disk":
                continue
            el = ET.SubElement(disks, "disk", name=disk.target, snapshot="external")
            stem = disk.source(dom.name).rsplit(".", 1)[0]
            ET.SubElement(el, "source", file=f"{stem}.{snap.name}.qcow2")
    root.append(_definition(dom))
    _text(root, "active", "1" if snap.current else "0")
    return root


def node_xml(domains: Iterable[NodeDomain]) -> str:
    node = ET.Element("node")
    for dom in domains:
        el = _definition(dom)
        el.set("xmlns:test", TEST_NS)
        if not dom.running:
            _text(el, "test:runstate", str(RUNSTATE_SHUTOFF))
        for snap in dom.snapshots:
            el.append(_snapshot(dom, snap))
        node.append(el)
    return ET.tostring(node, encoding="unicode")


def write_node(directory: Path, domains: Iterable[NodeDomain]) -> str:
    """Write `node.xml` into directory; return its test-driver URI."""
    path = directory.resolve() / "node.xml"
    path.write_text(node_xml(domains), encoding="utf-8")
    return f"test://{path}"
