"""What the libvirt backend reads about a host, never changing it: versions, disks and
their backing chains, files and free space (when the host is this machine), the guest
agent's ping; and the bounded freeze and thaw of a guest's file systems."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import libvirt

from worklog.vm.base import DomainDiskInfo, HostInfo, HypervisorCallError, version_tuple
from worklog.vm.libvirt_errors import error_fields
from worklog.vm.libvirt_xml import read_disks


def _qemu_img_chain(path: str, limit: int = 64) -> tuple[str, ...]:
    """The images under ``path``, nearest first, as qemu-img reads them one by one (-U:
    a running guest may hold the image), up to the first that is missing (which is
    named: the chain needs it) or cannot be read."""
    chain: list[str] = []
    current = path
    while len(chain) < limit and os.path.exists(current):
        try:
            proc = subprocess.run(
                ["qemu-img", "info", "-U", "--output=json", current],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            )
            below = json.loads(proc.stdout).get("full-backing-filename")
        except (OSError, subprocess.SubprocessError, ValueError):
            break
        if not below:
            break
        chain.append(str(below))
        current = str(below)
    return tuple(chain)


class Frozen:
    """The guest's file systems frozen (guest agent) for the ``with`` block, thawed at
    its end whatever happens; the agent answers within ``timeout`` seconds or the freeze
    fails. ``seconds``: how long the guest stayed frozen."""

    def __init__(self, dom: Any, timeout: int, *, enabled: bool) -> None:
        self._dom, self._timeout, self._enabled = dom, timeout, enabled
        self._since = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Frozen:
        if self._enabled:
            self._dom.agentSetResponseTimeout(self._timeout, 0)
            self._since = time.monotonic()
            try:
                self._dom.fsFreeze(None, 0)
            except libvirt.libvirtError:
                self._release()  # a freeze that timed out may still happen in the guest
                raise
        return self

    def __exit__(self, *_exc: object) -> None:
        if not self._enabled:
            return
        try:
            self._dom.fsThaw(None, 0)
        finally:
            self.seconds = time.monotonic() - self._since
            self._restore()

    def _release(self) -> None:
        with contextlib.suppress(libvirt.libvirtError):
            self._dom.fsThaw(None, 0)
        self._restore()

    def _restore(self) -> None:
        """libvirt's own agent timeout again for the domain."""
        with contextlib.suppress(libvirt.libvirtError):
            self._dom.agentSetResponseTimeout(
                libvirt.VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_DEFAULT, 0
            )


class HostReads:
    """The read-only half of LibvirtHypervisor (``_conn``: its libvirt connection)."""

    _conn: Any
    _uri: str

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

    def disks(self, domain: str, *, chains: bool = False) -> list[DomainDiskInfo]:
        """Each disk with libvirt's `backingStore` (a running domain); with ``chains``,
        where libvirt gives none and the host is this machine, `qemu-img info
        --backing-chain`."""
        try:
            dom = self._conn.lookupByName(domain)
            disks = read_disks(str(dom.XMLDesc(0)))[0]
        except libvirt.libvirtError as err:
            raise self._call_error(err) from err
        if not chains or not self._is_local():
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

    def allocated(self, path: str) -> int | None:
        """The file's blocks when the host is this machine, else the allocation of the
        storage volume it is, if any."""
        if self._is_local():
            try:
                return os.stat(path).st_blocks * 512
            except OSError:
                return None
        try:
            return int(self._conn.storageVolLookupByPath(path).info()[2])
        except libvirt.libvirtError:
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
        fields = error_fields(err, action="snap", kind=None, quiesce=False)
        return HypervisorCallError(
            self._uri,
            fields["error_code"],
            fields["error_message"],
            error_name=fields["error_name"],
            plain_error=fields["plain_error"],
        )

