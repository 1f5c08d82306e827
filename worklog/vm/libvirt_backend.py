"""The libvirt-python implementation of `worklog.vm.base.Hypervisor`.

Imported only by `worklog.vm.factory.open_hypervisor` (it imports libvirt). All XML
sent to libvirt is built with ElementTree (worklog.vm.libvirt_xml); every libvirt error
from snapshot, revert or delete becomes a failed ActionResult.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypedDict

import libvirt

from worklog.vm.base import (
    Action,
    ActionResult,
    ConnectError,
    DiskSnapshot,
    HypervisorCallError,
    SnapshotInfo,
    SnapshotKind,
    check_snapshot_options,
    default_snapshot_name,
    snapshot_kind,
)
from worklog.vm.libvirt_xml import (
    DomainDisk,
    SnapshotXml,
    parse_snapshot_xml,
    plan_disks,
    read_disks,
    snapshot_xml,
    switched_targets,
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


def _create_flags(kind: SnapshotKind, *, quiesce: bool) -> int:
    """An external snapshot is disk-only and atomic (all disks or none), quiesced if asked."""
    if kind == "internal":
        return 0
    flags: int = (
        libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
    )
    return flags | (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE if quiesce else 0)


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
            snap = dom.snapshotCreateXML(xml, _create_flags(kind, quiesce=quiesce))
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
        return parse_snapshot_xml(xml, {d.target: d.source for d in disks}).disks

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
        return self._on_snapshot("snap-delete", domain, name, lambda _dom, snap: snap.delete(0))

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
