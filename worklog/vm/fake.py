"""An in-memory hypervisor host: the `Hypervisor` protocol without libvirt, for tests.

`FakeHost` is a `Factory`: calling it with a URI connects to that URI's domains.
Domains have disks (qcow2 or raw), snapshots (internal or external, with parents and a
current one); failures come on demand (`fail`), URIs can be unreachable. Every call a
hypervisor receives is kept in `FakeHost.calls`, so a test can tell that nothing was
asked. The choices follow the libvirt backend: internal when every disk is qcow2 and
neither disk-only nor quiesce is asked, else external (each disk moves to an overlay); a
snapshot taken comes with its XML shaped as libvirt's `getXMLDesc` gives it.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

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
)
from worklog.vm.libvirt_xml import DomainDisk, plan_disks, record_xml

DEFAULT_URI = "fake:///default"
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Failure:
    """A libvirt error as the backend reports it."""

    code: int
    error_name: str
    message: str
    plain: str


NO_DOMAIN = Failure(42, "VIR_ERR_NO_DOMAIN", "Domain not found", "domain not found")
NO_SNAPSHOT = Failure(
    72, "VIR_ERR_NO_DOMAIN_SNAPSHOT", "Domain snapshot not found", "snapshot not found"
)
NO_AGENT = Failure(
    86,
    "VIR_ERR_AGENT_UNRESPONSIVE",
    "QEMU guest agent is not connected",
    "quiesce needs a running qemu-guest-agent",
)
NAME_TAKEN = Failure(
    9, "VIR_ERR_OPERATION_FAILED", "snapshot already exists", "a snapshot with that name exists"
)


@dataclass
class FakeDisk:
    target: str
    source: str
    format: str = "qcow2"
    backing: tuple[str, ...] = ()  # the images under source, nearest first


@dataclass
class FakeSnapshot:
    name: str
    created: datetime
    description: str | None
    parent: str | None
    kind: SnapshotKind
    disks: tuple[DiskSnapshot, ...]


@dataclass
class FakeDomain:
    name: str
    disks: list[FakeDisk]
    snapshots: dict[str, FakeSnapshot] = field(default_factory=dict)
    current: str | None = None
    running: bool = True
    agent: bool | None = None  # None: no guest agent; False: one that does not answer


class FakeHost:
    """Hypervisors in memory, one set of domains per URI (None: the default URI)."""

    def __init__(self) -> None:
        self.domains: dict[str, dict[str, FakeDomain]] = {}
        self.unreachable: set[str] = set()
        self.failures: dict[tuple[str, str], Failure] = {}
        self.calls: list[tuple[str, ...]] = []
        self.open = 0  # connections not closed yet
        self._ticks = 0
        self.host = HostInfo("fakehost", (9, 0, 0), "QEMU", (7, 2, 0))
        self.free: dict[str, int] = {}  # folder -> bytes free (absent: plenty)
        self.files: set[str] | None = None  # the host's files (None: cannot be seen)
        self.sizes: dict[str, int] = {}  # file -> bytes it takes (absent: cannot be told)

    def now(self) -> datetime:
        """The host's clock: one second further at each reading."""
        self._ticks += 1
        return START + timedelta(seconds=self._ticks)

    def add_domain(self, name: str, *formats: str, uri: str | None = None) -> FakeDomain:
        disks = [
            FakeDisk(f"vd{'abcdefgh'[i]}", f"/images/{name}-{i}.{fmt}", fmt)
            for i, fmt in enumerate(formats or ("qcow2",))
        ]
        domain = FakeDomain(name, disks)
        self.domains.setdefault(uri or DEFAULT_URI, {})[name] = domain
        return domain

    def add_snapshot(
        self, domain: str, name: str, description: str | None = None, *, uri: str | None = None,
        disk_only: bool = False,
    ) -> None:
        """A snapshot made outside worklog (or by it: a description starting `worklog:`)."""
        hv = FakeHypervisor(self, uri or DEFAULT_URI)
        result = hv.snapshot(domain, name=name, description=description, disk_only=disk_only)
        self.calls.pop()
        if not result.ok:
            raise ValueError(f"cannot add {name}: {result.plain_error}")

    def fail(self, method: str, domain: str, failure: Failure) -> None:
        """Make ``method`` (snapshot, revert, delete, list_snapshots) fail on ``domain``."""
        self.failures[(method, domain)] = failure

    def __call__(self, uri: str | None) -> FakeHypervisor:
        self.calls.append(("connect", str(uri)))
        if uri is not None and uri in self.unreachable:
            raise ConnectError(
                uri,
                38,
                "Connection refused",
                error_name="VIR_ERR_SYSTEM_ERROR",
                plain_error=f"cannot connect to {uri}",
            )
        self.open += 1
        return FakeHypervisor(self, uri or DEFAULT_URI)


class FakeHypervisor:
    """One connection to a FakeHost's URI."""

    def __init__(self, host: FakeHost, uri: str) -> None:
        self.host = host
        self._uri = uri

    @property
    def uri(self) -> str:
        return self._uri

    def close(self) -> None:
        self.host.open -= 1

    def _domain(self, name: str) -> FakeDomain | None:
        return self.host.domains.get(self._uri, {}).get(name)

    def _failed(self, result: ActionResult, failure: Failure) -> ActionResult:
        return replace(
            result,
            ok=False,
            error_code=failure.code,
            error_name=failure.error_name,
            error_message=failure.message,
            plain_error=failure.plain,
        )

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
        self.host.calls.append(("snapshot", domain, str(name)))
        result = ActionResult("snap", domain, self._uri, name, ok=True, description=description)
        dom = self._domain(domain)
        if dom is None:
            return self._failed(result, NO_DOMAIN)
        name = name or default_snapshot_name(domain, now or self.host.now(), set(dom.snapshots))
        kind = snapshot_kind(
            (d.format for d in dom.disks),
            disk_only=disk_only,
            quiesce=quiesce,
            force_internal=force_internal,
        )
        disks = plan_disks(
            [DomainDisk(d.target, d.format, d.source, True) for d in dom.disks], kind, name
        )
        result = replace(result, name=name, kind=kind, disks=disks)
        failure = self.host.failures.get(("snapshot", domain))
        if failure is None and name in dom.snapshots:
            failure = NAME_TAKEN
        if failure is not None:
            return self._failed(result, failure)
        if quiesce and not dom.agent:
            return self._failed(result, NO_AGENT)
        consistency: Consistency = "crash"
        if quiesce:
            consistency = "filesystem"
        elif kind == "internal" and dom.running:
            consistency = "memory"
        result = replace(result, consistency=consistency, frozen=0.0 if quiesce else None)
        made = FakeSnapshot(name, self.host.now(), description, dom.current, kind, disks)
        result = replace(result, xml=record_xml(_libvirt_xml(made, dom)))
        dom.snapshots[name] = made
        dom.current = name
        if kind == "external":
            for disk, planned in zip(dom.disks, disks, strict=True):
                disk.backing = (disk.source, *disk.backing)
                disk.source, disk.format = str(planned.source), "qcow2"
                if self.host.files is not None:
                    self.host.files.add(disk.source)
        return result

    def list_snapshots(self, domain: str) -> list[SnapshotInfo]:
        self.host.calls.append(("list_snapshots", domain))
        dom = self._domain(domain)
        failure = self.host.failures.get(("list_snapshots", domain))
        if dom is None or failure is not None:
            failure = failure or NO_DOMAIN
            raise HypervisorCallError(
                self._uri,
                failure.code,
                failure.message,
                error_name=failure.error_name,
                plain_error=failure.plain,
            )
        infos = [
            SnapshotInfo(
                s.name,
                domain,
                s.created,
                s.description,
                s.parent,
                s.name == dom.current,
                s.kind,
                s.disks,
            )
            for s in dom.snapshots.values()
        ]
        return sorted(infos, key=lambda i: (i.created, i.name))

    def revert(self, domain: str, name: str, *, force: bool = False) -> ActionResult:
        self.host.calls.append(("revert", domain, name, str(force)))
        return self._on_snapshot("revert", domain, name)

    def delete(self, domain: str, name: str) -> ActionResult:
        self.host.calls.append(("delete", domain, name))
        return self._on_snapshot("snap-delete", domain, name)

    def _on_snapshot(self, action: Action, domain: str, name: str) -> ActionResult:
        result = ActionResult(action, domain, self._uri, name, ok=True)
        dom = self._domain(domain)
        if dom is None:
            return self._failed(result, NO_DOMAIN)
        snap = dom.snapshots.get(name)
        if snap is None:
            return self._failed(result, NO_SNAPSHOT)
        result = replace(result, kind=snap.kind, disks=snap.disks, description=snap.description)
        failure = self.host.failures.get(("revert" if action == "revert" else "delete", domain))
        if failure is not None:
            return self._failed(result, failure)
        if action == "revert":
            dom.current = name
            return result
        del dom.snapshots[name]
        for child in dom.snapshots.values():
            if child.parent == name:
                child.parent = snap.parent
        if dom.current == name:
            dom.current = snap.parent
        return result

    def host_info(self) -> HostInfo:
        self.host.calls.append(("host_info",))
        return self.host.host

    def disks(self, domain: str, *, chains: bool = False) -> list[DomainDiskInfo]:
        self.host.calls.append(("disks", domain))
        dom = self._domain(domain)
        if dom is None:
            raise HypervisorCallError(
                self._uri,
                NO_DOMAIN.code,
                NO_DOMAIN.message,
                error_name=NO_DOMAIN.error_name,
                plain_error=NO_DOMAIN.plain,
            )
        return [DomainDiskInfo(d.target, d.format, d.source, True, d.backing) for d in dom.disks]

    def free_space(self, folder: str) -> int | None:
        self.host.calls.append(("free_space", folder))
        return self.host.free.get(folder, 1 << 40)

    def allocated(self, path: str) -> int | None:
        self.host.calls.append(("allocated", path))
        return self.host.sizes.get(path)

    def domain_xml(self, domain: str) -> str:
        self.disks(domain)  # the domain must exist
        dom = self._domain(domain)
        assert dom is not None
        return ET.tostring(_definition(dom), encoding="unicode")

    def exists(self, path: str) -> bool | None:
        return path in self.host.files if self.host.files is not None else None

    def list_files(self, folder: str) -> list[str] | None:
        if self.host.files is None:
            return None
        return sorted(os.path.basename(p) for p in self.host.files if os.path.dirname(p) == folder)

    def agent_ping(self, domain: str, timeout: int) -> str | None:
        self.host.calls.append(("agent_ping", domain))
        dom = self._domain(domain)
        if dom is None or dom.agent is None:
            return "the domain has no guest agent channel"
        if not dom.agent:
            return f"the guest agent did not answer a ping within {timeout} s"
        return None

    def job_progress(self, domain: str) -> float | None:
        return None


def _definition(dom: FakeDomain) -> ET.Element:
    """The domain's definition as libvirt's `<domain>` shows its disks."""
    root = ET.Element("domain", type="fake")
    ET.SubElement(root, "name").text = dom.name
    devices = ET.SubElement(root, "devices")
    for disk in dom.disks:
        el = ET.SubElement(devices, "disk", type="file", device="disk")
        ET.SubElement(el, "driver", name="qemu", type=disk.format)
        ET.SubElement(el, "source", file=disk.source)
        ET.SubElement(el, "target", dev=disk.target)
    return root


def _libvirt_xml(snap: FakeSnapshot, dom: FakeDomain) -> str:
    """The snapshot as libvirt's ``getXMLDesc`` gives it just after it was taken: indented,
    with the domain's definition at that time."""
    root = ET.Element("domainsnapshot")
    ET.SubElement(root, "name").text = snap.name
    if snap.description:
        ET.SubElement(root, "description").text = snap.description
    running = "running" if dom.running else "shutoff"
    ET.SubElement(root, "state").text = "disk-snapshot" if snap.kind == "external" else running
    if snap.parent is not None:
        ET.SubElement(ET.SubElement(root, "parent"), "name").text = snap.parent
    ET.SubElement(root, "creationTime").text = str(int(snap.created.timestamp()))
    memory = "internal" if snap.kind == "internal" and dom.running else "no"
    ET.SubElement(root, "memory", snapshot=memory)
    disks = ET.SubElement(root, "disks")
    for disk in snap.disks:
        el = ET.SubElement(disks, "disk", name=disk.target, snapshot=disk.snapshot)
        if disk.snapshot == "external" and disk.source is not None:
            ET.SubElement(el, "driver", type="qcow2")
            ET.SubElement(el, "source", file=disk.source)
    root.append(_definition(dom))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
