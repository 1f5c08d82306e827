"""The libvirt-python implementation of `worklog.vm.base.Hypervisor`.

Imported only by `worklog.vm.base.open_hypervisor` (it imports libvirt). All XML
sent to libvirt is built with ElementTree; every libvirt error from snapshot, revert or
delete becomes a failed ActionResult.
"""

from __future__ import annotations

import functools
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any, TypedDict

import libvirt

from worklog.vm.base import (
    Action,
    ActionResult,
    ConnectError,
    DiskMode,
    DiskSnapshot,
    HypervisorError,
    SnapshotInfo,
    SnapshotKind,
    default_snapshot_name,
)

# --- errors -----------------------------------------------------------------------------

_ERROR_LEVELS = {"VIR_ERR_NONE", "VIR_ERR_WARNING", "VIR_ERR_ERROR"}  # levels, not codes

_PLAIN: dict[int, str] = {
    3: "the hypervisor driver does not support this",
    8: "the hypervisor refused the request (an option this driver or setup does not support)",
    9: "the hypervisor failed to do it",
    27: "the name or description holds characters XML cannot carry",
    29: "read-only connection: changes are not allowed",
    35: "libvirt refused the snapshot: no '/' in names, no control characters in names or "
    "descriptions",
    38: "system error (permissions, missing file or daemon not reachable)",
    42: "domain not found",
    55: "the domain is not in a state that allows this",
    67: "the domain's configuration does not support this",
    72: "snapshot not found",
    74: "an option is not supported for this domain",
    77: "reverting is risky in the domain's current state: force it to go ahead",
    84: "the hypervisor does not support this operation here",
    86: "quiesce needs a running qemu-guest-agent",
}


def error_name(code: int | None) -> str | None:
    """libvirt's constant name for an error code, e.g. 42 -> "VIR_ERR_NO_DOMAIN"."""
    return None if code is None else _error_names().get(code)


@functools.cache
def _error_names() -> dict[int, str]:
    names: dict[int, str] = {}
    for attr in sorted(dir(libvirt)):
        value = getattr(libvirt, attr)
        if attr.startswith("VIR_ERR_") and attr not in _ERROR_LEVELS and isinstance(value, int):
            names.setdefault(value, attr)
    return names


def plain_error(
    code: int | None, message: str, *, action: Action, kind: SnapshotKind | None, quiesce: bool
) -> str:
    """Plain words for a libvirt error, using what was being attempted."""
    deleting = action in ("snap-delete", "snap-prune")
    in_context = (
        (code == 9 and "already exists" in message, "a snapshot with that name exists"),
        (
            code == 67 and action == "snap" and kind == "internal",
            "raw disk: internal snapshots need qcow2 disks, use --disk-only",
        ),
        (
            code == 67 and action == "snap" and kind == "external",
            "an overlay file for this snapshot already exists",
        ),
        (
            code == 67 and action == "revert" and kind == "external",
            "reverting to an external snapshot needs libvirt 9.9 or newer",
        ),
        (code in (74, 86) and quiesce, "quiesce needs a running qemu-guest-agent"),
        (
            code == 8 and action == "snap" and kind == "external",
            "this hypervisor driver cannot take external (disk-only) snapshots",
        ),
        (code == 84 and deleting, "cannot delete here: mixed internal and external snapshots"),
    )
    for applies, text in in_context:
        if applies:
            return text
    if code is None:
        return "the hypervisor call failed"
    return _PLAIN.get(code, f"libvirt error {error_name(code) or code}")


class _ErrorFields(TypedDict):
    error_code: int | None
    error_name: str | None
    error_message: str
    plain_error: str


def _error_fields(
    err: libvirt.libvirtError, *, action: Action, kind: SnapshotKind | None, quiesce: bool
) -> _ErrorFields:
    code = err.get_error_code()
    code = int(code) if code is not None else None
    message = str(err.get_error_message() or err)
    return _ErrorFields(
        error_code=code,
        error_name=error_name(code),
        error_message=message,
        plain_error=plain_error(code, message, action=action, kind=kind, quiesce=quiesce),
    )


@functools.cache
def _silence_libvirt() -> None:
    """libvirt prints every error to stderr, even caught ones: install a no-op handler."""
    libvirt.registerErrorHandler(lambda *_: None, None)


# --- XML in and out ---------------------------------------------------------------------


@dataclass(frozen=True)
class DomainDisk:
    """A `<devices><disk device='disk'>` of a domain."""

    target: str
    format: str | None
    source: str | None
    is_file: bool


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
                source=_source_path(source),
                is_file=el.get("type", "file") == "file",
            )
        )
    return disks, others


def _source_path(source: ET.Element | None) -> str | None:
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
class _SnapshotXml:
    description: str | None
    created: datetime
    parent: str | None
    kind: SnapshotKind
    disks: tuple[DiskSnapshot, ...]


def _parse_snapshot_xml(xml: str, disk_sources: dict[str, str | None]) -> _SnapshotXml:
    """Read a snapshot's XML; `disk_sources` (target -> image) restricts and completes disks."""
    root = ET.fromstring(xml.replace("\r", "&#13;"))  # libvirt writes CR raw; parsing eats it
    memory = root.find("memory")
    disks: list[DiskSnapshot] = []
    for el in root.iterfind("./disks/disk"):
        target, mode = el.get("name", ""), el.get("snapshot", "no")
        mode_ = _DISK_MODES.get(mode)
        if target not in disk_sources or mode_ is None:
            continue
        source = _source_path(el.find("source")) if mode == "external" else None
        disks.append(DiskSnapshot(target, source or disk_sources[target], mode_))
    external = (memory is not None and memory.get("snapshot") == "external") or any(
        d.snapshot == "external" for d in disks
    )
    return _SnapshotXml(
        description=root.findtext("description"),
        created=datetime.fromtimestamp(int(root.findtext("creationTime") or 0), tz=UTC),
        parent=root.findtext("./parent/name"),
        kind="external" if external or root.findtext("state") == "disk-snapshot" else "internal",
        disks=tuple(disks),
    )


# --- the backend ------------------------------------------------------------------------


def connect(uri: str | None) -> LibvirtHypervisor:
    """Open a read-write connection; raises ConnectError."""
    _silence_libvirt()
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError as err:
        code = err.get_error_code()
        raise ConnectError(
            uri or "(libvirt default)",
            int(code) if code is not None else None,
            str(err.get_error_message() or err),
            error_name=error_name(code),
            plain_error=f"cannot connect to {uri or 'the default hypervisor'}",
        ) from err
    return LibvirtHypervisor(conn)


class LibvirtHypervisor:
    """Hypervisor over one libvirt connection. Usable from several threads (libvirt
    connections are thread-safe), e.g. `job_progress` polled while `snapshot` runs."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._uri = str(conn.getURI())

    @property
    def uri(self) -> str:
        return self._uri

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> LibvirtHypervisor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # snapshot ---------------------------------------------------------------------------

    def snapshot(
        self,
        domain: str,
        *,
        name: str | None = None,
        description: str | None = None,
        disk_only: bool = False,
        quiesce: bool = False,
        force_internal: bool = False,
        now: datetime | None = None,
    ) -> ActionResult:
        if force_internal and (disk_only or quiesce):
            raise ValueError("force_internal excludes disk_only and quiesce")
        start = time.monotonic()
        result = ActionResult(
            "snap", domain, self._uri, name, ok=False, description=description or None
        )
        kind: SnapshotKind | None = None
        dom: Any = None
        disks: list[DomainDisk] = []
        planned: tuple[DiskSnapshot, ...] = ()
        try:
            dom = self._conn.lookupByName(domain)
            if not name:
                existing = {str(s.getName()) for s in dom.listAllSnapshots(0)}
                name = default_snapshot_name(domain, now or datetime.now(), existing)
            disks, skipped = read_disks(str(dom.XMLDesc(0)))
            all_qcow2 = all(d.format == "qcow2" for d in disks)
            internal = force_internal or (all_qcow2 and not disk_only and not quiesce)
            kind = "internal" if internal else "external"
            planned = plan_disks(disks, kind, name)
            flags = 0
            if kind == "external":
                flags = (
                    libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
                    | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
                )
                if quiesce:
                    flags |= libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE
            snap = dom.snapshotCreateXML(
                snapshot_xml(name, description, kind, planned, skipped), flags
            )
        except libvirt.libvirtError as err:
            switched = self._switched_disks(dom, disks) if kind == "external" else ()
            return replace(
                result,
                name=name,
                kind=kind,
                disks=planned,
                switched_disks=switched,
                duration=time.monotonic() - start,
                **_error_fields(err, action="snap", kind=kind, quiesce=quiesce),
            )
        done = self._created_disks(snap, disks) or planned
        return replace(
            result, name=name, ok=True, kind=kind, disks=done, duration=time.monotonic() - start
        )

    def _created_disks(self, snap: Any, disks: list[DomainDisk]) -> tuple[DiskSnapshot, ...]:
        """What libvirt actually did to each disk, read back from the snapshot XML."""
        try:
            xml = str(snap.getXMLDesc(0))
        except libvirt.libvirtError:
            return ()
        return _parse_snapshot_xml(xml, {d.target: d.source for d in disks}).disks

    @staticmethod
    def _switched_disks(dom: Any, before: list[DomainDisk]) -> tuple[str, ...]:
        """Re-read the domain after a failed external snapshot: which disks moved."""
        if dom is None:
            return ()
        try:
            return switched_targets(before, str(dom.XMLDesc(0)))
        except libvirt.libvirtError:
            return ()

    # listing ----------------------------------------------------------------------------

    def list_snapshots(self, domain: str) -> list[SnapshotInfo]:
        try:
            dom = self._conn.lookupByName(domain)
            sources = self._disk_sources(dom)
            infos = [self._info(domain, snap, sources) for snap in dom.listAllSnapshots(0)]
        except libvirt.libvirtError as err:
            fields = _error_fields(err, action="snap", kind=None, quiesce=False)
            raise HypervisorError(
                self._uri,
                fields["error_code"],
                fields["error_message"],
                error_name=fields["error_name"],
                plain_error=fields["plain_error"],
            ) from err
        return sorted(infos, key=lambda i: (i.created, i.name))

    @staticmethod
    def _disk_sources(dom: Any) -> dict[str, str | None]:
        disks, _ = read_disks(str(dom.XMLDesc(0)))
        return {d.target: d.source for d in disks}

    @staticmethod
    def _info(domain: str, snap: Any, sources: dict[str, str | None]) -> SnapshotInfo:
        parsed = _parse_snapshot_xml(str(snap.getXMLDesc(0)), sources)
        return SnapshotInfo(
            name=str(snap.getName()),
            domain=domain,
            created=parsed.created,
            description=parsed.description,
            parent=parsed.parent,
            is_current=bool(snap.isCurrent(0)),
            kind=parsed.kind,
        )

    # revert and delete ------------------------------------------------------------------

    def revert(self, domain: str, name: str, *, force: bool = False) -> ActionResult:
        flags = libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_FORCE if force else 0
        return self._on_snapshot(
            "revert", domain, name, lambda dom, snap: dom.revertToSnapshot(snap, flags)
        )

    def delete(self, domain: str, name: str) -> ActionResult:
        return self._on_snapshot("snap-delete", domain, name, lambda _dom, snap: snap.delete(0))

    def _on_snapshot(
        self, action: Action, domain: str, name: str, call: Callable[[Any, Any], object]
    ) -> ActionResult:
        start = time.monotonic()
        result = ActionResult(action, domain, self._uri, name, ok=False)
        parsed: _SnapshotXml | None = None
        try:
            dom = self._conn.lookupByName(domain)
            snap = dom.snapshotLookupByName(name, 0)
            parsed = _parse_snapshot_xml(str(snap.getXMLDesc(0)), self._disk_sources(dom))
            result = replace(
                result, kind=parsed.kind, disks=parsed.disks, description=parsed.description
            )
            call(dom, snap)
        except libvirt.libvirtError as err:
            kind = parsed.kind if parsed else None
            return replace(
                result,
                duration=time.monotonic() - start,
                **_error_fields(err, action=action, kind=kind, quiesce=False),
            )
        return replace(result, ok=True, duration=time.monotonic() - start)

    # progress ---------------------------------------------------------------------------

    def job_progress(self, domain: str) -> float | None:
        try:
            info = self._conn.lookupByName(domain).jobInfo()
        except libvirt.libvirtError:
            return None  # no such domain, or the driver has no job info (test driver)
        job_type, data_total, data_processed = info[0], info[3], info[4]
        mem_total, mem_processed = info[6], info[7]
        if job_type == libvirt.VIR_DOMAIN_JOB_NONE:
            return None
        for total, processed in ((data_total, data_processed), (mem_total, mem_processed)):
            if total > 0:
                return float(min(1.0, max(0.0, processed / total)))
        return None
