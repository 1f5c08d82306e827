"""Shared fixtures of the integration tests: a real libvirtd with QEMU at `qemu:///system`.

Every test defines its own small persistent domains (64 MiB, no OS, no graphics) with
images from `qemu-img create` in a folder the libvirt-qemu user can reach, and removes
them afterwards (undefine with snapshot metadata, then the files). Without a reachable
`qemu:///system` the tests that use these fixtures are skipped, saying why.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from worklog.vm.base import ConnectError, Hypervisor, HypervisorUnavailable
from worklog.vm.factory import open_hypervisor

URI = "qemu:///system"
MakeDomain = Callable[..., str]


def unavailable_reason() -> str | None:
    """Why `qemu:///system` cannot be used here, or None."""
    if shutil.which("qemu-img") is None:
        return "qemu-img is not installed (run scripts/setup-libvirt as root)"
    try:
        open_hypervisor(URI).close()
    except (ConnectError, HypervisorUnavailable) as exc:
        return f"{URI} cannot be opened ({exc}); run scripts/setup-libvirt as root"
    return None


@pytest.fixture(scope="module")
def conn() -> Iterator[Any]:
    """A libvirt connection of the test's own (to check what worklog did)."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    libvirt = pytest.importorskip("libvirt")
    connection = libvirt.open(URI)
    yield connection
    connection.close()


@pytest.fixture
def hv(conn: Any) -> Iterator[Hypervisor]:
    hypervisor = open_hypervisor(URI)
    yield hypervisor
    hypervisor.close()


@pytest.fixture
def image_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: its parents are 0700 and QEMU runs as libvirt-qemu.
    path = Path(tempfile.mkdtemp(prefix="worklog-qemu-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def domain_xml(name: str, images: list[tuple[str, str]]) -> str:
    root = ET.Element("domain", type="qemu")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "memory", unit="MiB").text = "64"
    ET.SubElement(root, "vcpu").text = "1"
    ET.SubElement(ET.SubElement(root, "os"), "type", arch="x86_64").text = "hvm"
    devices = ET.SubElement(root, "devices")
    for index, (fmt, path) in enumerate(images):
        disk = ET.SubElement(devices, "disk", type="file", device="disk")
        ET.SubElement(disk, "driver", name="qemu", type=fmt)
        ET.SubElement(disk, "source", file=path)
        ET.SubElement(disk, "target", dev=f"vd{'abcdefgh'[index]}", bus="virtio")
    ET.SubElement(devices, "memballoon", model="none")
    return ET.tostring(root, encoding="unicode")


@pytest.fixture
def make_domain(conn: Any, image_dir: Path) -> Iterator[MakeDomain]:
    """make_domain("qcow2", "raw", running=True) -> the name of a new domain."""
    libvirt = pytest.importorskip("libvirt")
    made: list[Any] = []

    def make(*formats: str, running: bool = True) -> str:
        name = f"worklog-it-{uuid.uuid4().hex[:8]}"
        images = []
        for index, fmt in enumerate(formats):
            path = image_dir / f"{name}-{index}.{'img' if fmt == 'raw' else fmt}"
            subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(path), "16M"], check=True)
            images.append((fmt, str(path)))
        dom = conn.defineXML(domain_xml(name, images))
        made.append(dom)
        if running:
            dom.create()
        return name

    yield make
    for dom in made:
        if dom.isActive():
            dom.destroy()
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)


SSH_KEY = Path("/etc/worklog-test/ssh/id_ed25519")
SSH_URI = f"qemu+ssh://root@127.0.0.1/system?keyfile={SSH_KEY}&no_verify=1"


@pytest.fixture(scope="module")
def ssh_uri(conn: Any) -> str:
    """`qemu+ssh://root@127.0.0.1/system` with the key scripts/setup-libvirt made; skips,
    saying why, when sshd does not answer on the loopback or the key is missing."""
    if not SSH_KEY.is_file():
        pytest.skip(f"no {SSH_KEY}: run scripts/setup-libvirt (it sets up sshd on 127.0.0.1)")
    try:
        socket.create_connection(("127.0.0.1", 22), timeout=2).close()
    except OSError as exc:
        pytest.skip(f"sshd does not answer on 127.0.0.1:22 ({exc}): run scripts/setup-libvirt")
    try:
        open_hypervisor(SSH_URI).close()
    except ConnectError as exc:
        pytest.skip(f"{SSH_URI} cannot be opened ({exc.message})")
    return SSH_URI
