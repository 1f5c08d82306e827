"""The libvirt-python implementation of `worklog.vm.base.Hypervisor`.

Imported only by `worklog.vm.factory.open_hypervisor` (it imports libvirt). All XML
sent to libvirt is built with ElementTree (worklog.vm.libvirt_xml); every libvirt error
from snapshot, revert or delete becomes a failed ActionResult.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import libvirt

from worklog.vm.base import (
    Action,
    ActionResult,
    ConnectError,
    Consistency,
    DiskSnapshot,
    HypervisorCallError,
    SnapshotInfo,
    SnapshotKind,
    check_snapshot_options,
    default_snapshot_name,
    snapshot_kind,
)
from worklog.vm.libvirt_errors import error_fields, error_name, silence_libvirt
from worklog.vm.libvirt_host import Frozen, HostReads
from worklog.vm.libvirt_xml import (
    DomainDisk,
    SnapshotXml,
    parse_snapshot_xml,
    plan_disks,
    read_disks,
    record_xml,
    snapshot_xml,
    switched_targets,
)

# --- the backend ------------------------------------------------------------------------


def connect(uri: str | None) -> LibvirtHypervisor:
    """Open a read-write connection; raises ConnectError."""
    silence_libvirt()
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


def _create_flags(kind: SnapshotKind) -> int:
    """An external snapshot is disk-only and atomic (all disks or none). Quiescing is
    worklog's own freeze and thaw around the call (so that it is bounded and timed)."""
    if kind == "internal":
        return 0
    return int(
        libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
    )


def _consistency(kind: SnapshotKind, *, running: bool, frozen: bool) -> Consistency:
    if frozen:
        return "filesystem"
    return "memory" if kind == "internal" and running else "crash"


class LibvirtHypervisor(HostReads):
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
        freeze_timeout: int = 10,
    ) -> ActionResult:
        check_snapshot_options(disk_only=disk_only, quiesce=quiesce, force_internal=force_internal)
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
            kind = snapshot_kind(
                (d.format for d in disks),
                disk_only=disk_only,
                quiesce=quiesce,
                force_internal=force_internal,
            )
            planned = plan_disks(disks, kind, name)
            xml = snapshot_xml(name, description, kind, planned, skipped)
            running = bool(dom.isActive())
            with Frozen(dom, freeze_timeout, enabled=quiesce) as frozen:
                snap = dom.snapshotCreateXML(xml, _create_flags(kind))
        except libvirt.libvirtError as err:
            switched = self._switched_disks(dom, disks) if kind == "external" else ()
            return replace(
                result,
                name=name,
                kind=kind,
                disks=planned,
                switched_disks=switched,
                duration=time.monotonic() - start,
                **error_fields(err, action="snap", kind=kind, quiesce=quiesce),
            )
        done, made_xml = self._created(snap, disks)
        return replace(
            result,
            name=name,
            ok=True,
            kind=kind,
            disks=done or planned,
            xml=made_xml,
            duration=time.monotonic() - start,
            consistency=_consistency(kind, running=running, frozen=quiesce),
            frozen=frozen.seconds if quiesce else None,
        )

    @staticmethod
    def _created(
        snap: Any, disks: list[DomainDisk]
    ) -> tuple[tuple[DiskSnapshot, ...], str | None]:
        """What libvirt actually did to each disk, and the snapshot's XML as its record
        keeps it, read back from libvirt; ((), None) when libvirt does not give it."""
        try:
            xml = str(snap.getXMLDesc(0))
        except libvirt.libvirtError:
            return (), None
        done = parse_snapshot_xml(xml, {d.target: d.source for d in disks}).disks
        return done, record_xml(xml)

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
            fields = error_fields(err, action="snap", kind=None, quiesce=False)
            raise HypervisorCallError(
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
        parsed = parse_snapshot_xml(str(snap.getXMLDesc(0)), sources)
        return SnapshotInfo(
            name=str(snap.getName()),
            domain=domain,
            created=parsed.created,
            description=parsed.description,
            parent=parsed.parent,
            is_current=bool(snap.isCurrent(0)),
            kind=parsed.kind,
            disks=parsed.disks,
        )

    # revert and delete ------------------------------------------------------------------

    def revert(self, domain: str, name: str, *, force: bool = False) -> ActionResult:
        flags = libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_FORCE if force else 0
        return self._on_snapshot(
            "revert", domain, name, lambda dom, snap: dom.revertToSnapshot(snap, flags)
        )

    def delete(self, domain: str, name: str) -> ActionResult:
        """libvirt deletes an external snapshot (9.0 or newer) by merging its overlay
        back into the image under it (block commit and pivot on a running domain).
        ``freed``: what the images of the domain and the snapshot take less after it,
        when this host's files can be seen from here."""
        paths: set[str] = set()

        def call(dom: Any, snap: Any) -> object:
            paths.update(self._chain_paths(dom, snap))
            before = self._allocated(paths)
            snap.delete(0)
            after = self._allocated(paths)
            freed.append(None if before is None or after is None else before - after)
            return None

        freed: list[int | None] = []
        result = self._on_snapshot("snap-delete", domain, name, call)
        return replace(result, freed=freed[0] if freed else None)

    def _chain_paths(self, dom: Any, snap: Any) -> set[str]:
        disks, _ = read_disks(str(dom.XMLDesc(0)))
        paths = {p for d in disks if d.is_file for p in (d.source, *d.backing) if p}
        parsed = parse_snapshot_xml(str(snap.getXMLDesc(0)), {d.target: d.source for d in disks})
        return paths | {d.source for d in parsed.disks if d.source}

    def _on_snapshot(
        self, action: Action, domain: str, name: str, call: Callable[[Any, Any], object]
    ) -> ActionResult:
        start = time.monotonic()
        result = ActionResult(action, domain, self._uri, name, ok=False)
        parsed: SnapshotXml | None = None
        try:
            dom = self._conn.lookupByName(domain)
            snap = dom.snapshotLookupByName(name, 0)
            parsed = parse_snapshot_xml(str(snap.getXMLDesc(0)), self._disk_sources(dom))
            result = replace(
                result, kind=parsed.kind, disks=parsed.disks, description=parsed.description
            )
            call(dom, snap)
        except libvirt.libvirtError as err:
            kind = parsed.kind if parsed else None
            return replace(
                result,
                duration=time.monotonic() - start,
                **error_fields(err, action=action, kind=kind, quiesce=False),
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
