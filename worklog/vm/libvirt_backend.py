"""The libvirt-python implementation of `worklog.vm.base.Hypervisor`.

Imported only by `worklog.vm.factory.open_hypervisor` (it imports libvirt). All XML
sent to libvirt is built with ElementTree (worklog.vm.libvirt_xml); every libvirt error
from snapshot, revert or delete becomes a failed ActionResult.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypedDict

import libvirt

from worklog.vm.base import (
    Action,
    ActionResult,
    ConnectError,
    Consistency,
    DiskSnapshot,
    DomainDiskInfo,
    HostInfo,
    HypervisorCallError,
    SnapshotInfo,
    SnapshotKind,
    check_snapshot_options,
    default_snapshot_name,
    snapshot_kind,
    version_tuple,
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
        (code == 3 and quiesce, "this hypervisor driver cannot freeze guest file systems"),
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


def _qemu_img_chain(path: str) -> tuple[str, ...]:
    """The images under ``path``, nearest first, as qemu-img reads them (-U: a running
    guest may hold the image); () when it cannot be read."""
    try:
        proc = subprocess.run(
            ["qemu-img", "info", "-U", "--backing-chain", "--output=json", path],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        chain = json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return ()
    return tuple(str(image["filename"]) for image in chain[1:] if "filename" in image)


class _Frozen:
    """The guest's file systems frozen (guest agent) for the ``with`` block, thawed at
    its end whatever happens; the agent answers within ``timeout`` seconds or the freeze
    fails. ``seconds``: how long the guest stayed frozen."""

    def __init__(self, dom: Any, timeout: int, *, enabled: bool) -> None:
        self._dom, self._timeout, self._enabled = dom, timeout, enabled
        self._since = 0.0
        self.seconds = 0.0

    def __enter__(self) -> _Frozen:
        if self._enabled:
            self._dom.agentSetResponseTimeout(self._timeout, 0)
            self._dom.fsFreeze(None, 0)
            self._since = time.monotonic()
        return self

    def __exit__(self, *_exc: object) -> None:
        if not self._enabled:
            return
        try:
            self._dom.fsThaw(None, 0)
        finally:
            self.seconds = time.monotonic() - self._since


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
            with _Frozen(dom, freeze_timeout, enabled=quiesce) as frozen:
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
                **_error_fields(err, action="snap", kind=kind, quiesce=quiesce),
            )
        done = self._created_disks(snap, disks) or planned
        return replace(
            result,
            name=name,
            ok=True,
            kind=kind,
            disks=done,
            duration=time.monotonic() - start,
            consistency=_consistency(kind, running=running, frozen=quiesce),
            frozen=frozen.seconds if quiesce else None,
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

    def _allocated(self, paths: set[str]) -> int | None:
        """Bytes the files take on disk (missing ones: 0); None when not local or when
        none of them is a file here."""
        if not self._is_local():
            return None
        total, seen = 0, False
        for path in paths:
            with contextlib.suppress(OSError):
                total += os.stat(path).st_blocks * 512
                seen = True
        return total if seen else None

    def _is_local(self) -> bool:
        try:
            return str(self._conn.getHostname()) == socket.gethostname()
        except libvirt.libvirtError:
            return False

    # what preflight reads ---------------------------------------------------------------

    def host_info(self) -> HostInfo:
        try:
            return HostInfo(
                hostname=str(self._conn.getHostname()),
                libvirt=version_tuple(int(self._conn.getLibVersion())),
                hypervisor=str(self._conn.getType()),
                hypervisor_version=version_tuple(int(self._conn.getVersion())),
            )
        except libvirt.libvirtError as err:
            raise self._call_error(err) from err

    def disks(self, domain: str) -> list[DomainDiskInfo]:
        """With each disk's backing chain: libvirt's `backingStore` (a running domain),
        else, when the host is this machine, `qemu-img info --backing-chain`."""
        try:
            dom = self._conn.lookupByName(domain)
            disks = read_disks(str(dom.XMLDesc(0)))[0]
        except libvirt.libvirtError as err:
            raise self._call_error(err) from err
        if not self._is_local():
            return disks
        return [
            replace(d, backing=_qemu_img_chain(d.source))
            if d.is_file and d.source and not d.backing
            else d
            for d in disks
        ]

    def domain_xml(self, domain: str) -> str:
        try:
            dom = self._conn.lookupByName(domain)
            return str(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        except libvirt.libvirtError as err:
            raise self._call_error(err) from err

    def exists(self, path: str) -> bool | None:
        return os.path.exists(path) if self._is_local() else None

    def list_files(self, folder: str) -> list[str] | None:
        if not self._is_local():
            return None
        try:
            return sorted(os.listdir(folder))
        except OSError:
            return None

    def free_space(self, folder: str) -> int | None:
        """statvfs when the host is this machine, else the storage pool whose folder
        it is, if any."""
        if self._is_local():
            try:
                stats = os.statvfs(folder)
            except OSError:
                return None
            return stats.f_bavail * stats.f_frsize
        try:
            for pool in self._conn.listAllStoragePools(0):
                target = ET.fromstring(str(pool.XMLDesc(0))).findtext("./target/path")
                if target and os.path.normpath(target) == os.path.normpath(folder):
                    return int(pool.info()[3])
        except libvirt.libvirtError:
            return None
        return None

    def agent_ping(self, domain: str, timeout: int) -> str | None:
        try:
            import libvirt_qemu  # noqa: PLC0415  (the QEMU-only API)

            dom = self._conn.lookupByName(domain)
            libvirt_qemu.qemuAgentCommand(dom, '{"execute":"guest-ping"}', timeout, 0)
        except libvirt.libvirtError as err:
            message = str(err.get_error_message() or err)
            return f"the guest agent did not answer a ping within {timeout} s ({message})"
        except ImportError:
            return "this libvirt has no guest agent API"
        return None

    def _call_error(self, err: libvirt.libvirtError) -> HypervisorCallError:
        fields = _error_fields(err, action="snap", kind=None, quiesce=False)
        return HypervisorCallError(
            self._uri,
            fields["error_code"],
            fields["error_message"],
            error_name=fields["error_name"],
            plain_error=fields["plain_error"],
        )

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
