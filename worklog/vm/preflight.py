"""Preflight: what worklog checks before it asks libvirt to change anything.

Pure: the snapshots, the disks and the host as libvirt reported them in, a refusal in
plain words (or None) out. The use cases log a refusal as the action's failed record.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Sequence

from worklog.vm.base import (
    DiskSnapshot,
    DomainDiskInfo,
    HostInfo,
    Hypervisor,
    HypervisorCallError,
    SnapshotInfo,
    SnapshotKind,
    version_text,
)

MIN_FREE = 64 * 1024 * 1024
"""Bytes an overlay's folder must have free for an external snapshot to be taken."""

EXTERNAL_DELETE = (9, 0, 0)
EXTERNAL_REVERT = (9, 9, 0)


def _kinds_by_disk(infos: Iterable[SnapshotInfo]) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {}
    for info in infos:
        for disk in info.disks:
            if disk.snapshot != "no":
                kinds.setdefault(disk.target, set()).add(disk.snapshot)
    return kinds


def mixed_disks(infos: Iterable[SnapshotInfo]) -> list[str]:
    """The disk targets whose snapshots mix internal and external ones."""
    return sorted(t for t, kinds in _kinds_by_disk(infos).items() if len(kinds) > 1)


def _mixed_refusal(targets: Sequence[str]) -> str:
    disks = ", ".join(targets)
    return (
        f"disk {disks} has both internal and external snapshots: worklog changes no such "
        "chain (delete the snapshots of one kind with virsh first)"
    )


def check_snap(
    kind: SnapshotKind,
    planned: Sequence[DiskSnapshot],
    infos: Sequence[SnapshotInfo],
    free_space: Callable[[str], int | None],
) -> str | None:
    """A new snapshot of ``kind``: no disk may end up with both kinds, an overlay's
    folder must have MIN_FREE bytes free (when the host can tell)."""
    mixed = mixed_disks(infos)
    if mixed:
        return _mixed_refusal(mixed)
    kinds = _kinds_by_disk(infos)
    other = "external" if kind == "internal" else "internal"
    clash = [d.target for d in planned if other in kinds.get(d.target, set())]
    if clash:
        return (
            f"disk {', '.join(clash)} has {other} snapshots: a {kind} one would mix internal "
            "and external snapshots on one disk"
        )
    if kind == "external":
        return _space_refusal(planned, free_space)
    return None


def _space_refusal(
    planned: Sequence[DiskSnapshot], free_space: Callable[[str], int | None]
) -> str | None:
    for folder in sorted({os.path.dirname(d.source) for d in planned if d.source}):
        free = free_space(folder)
        if free is not None and free < MIN_FREE:
            return (
                f"too little free space in {folder} for an overlay: {free // (1024 * 1024)} MiB "
                f"free, {MIN_FREE // (1024 * 1024)} MiB needed"
            )
    return None


def check_change(
    action: str, info: SnapshotInfo, infos: Sequence[SnapshotInfo], host: HostInfo | None
) -> str | None:
    """Reverting to or deleting ``info``: what this libvirt can do, and no mixed chain."""
    needed = EXTERNAL_REVERT if action == "revert" else EXTERNAL_DELETE
    if info.kind == "external" and host is not None and host.libvirt < needed:
        verb = "reverting to" if action == "revert" else "deleting"
        return (
            f"{verb} an external snapshot needs libvirt {version_text(needed)} or newer; "
            f"{host.hostname} runs {version_text(host.libvirt)}"
        )
    targets = {d.target for d in info.disks}
    mixed = [t for t in mixed_disks(infos) if t in targets]
    return _mixed_refusal(mixed) if mixed else None


def _under(disks: Iterable[DomainDiskInfo]) -> dict[str, str]:
    """Each image of the disks' chains -> the image right under it."""
    under: dict[str, str] = {}
    for disk in disks:
        chain = [p for p in (disk.source, *disk.backing) if p]
        under.update(itertools.pairwise(chain))
    return under


def check_merge_space(
    info: SnapshotInfo,
    disks: Sequence[DomainDiskInfo],
    free_space: Callable[[str], int | None],
    allocated: Callable[[str], int | None],
) -> str | None:
    """Deleting an external snapshot commits each overlay it made into the image under
    it: that image's folder must have room for the overlay's data (when the host can
    tell both)."""
    if info.kind != "external":
        return None
    under = _under(disks)
    for disk in info.disks:
        base = under.get(disk.source or "") if disk.snapshot == "external" else None
        if base is None or disk.source is None:
            continue
        need, folder = allocated(disk.source), os.path.dirname(base)
        free = free_space(folder) if need else None
        if need is not None and free is not None and free < need:
            return (
                f"too little free space in {folder} to merge {disk.source} back into "
                f"{os.path.basename(base)}: {free // (1024 * 1024)} MiB free, "
                f"{-(-need // (1024 * 1024))} MiB needed"
            )
    return None


def merge_chains(hv: Hypervisor, domain: str) -> list[DomainDiskInfo]:
    """The domain's disks with their chains, for ``check_merge_space``; none when
    libvirt cannot give them (the deletion then fails or succeeds on its own)."""
    try:
        return hv.disks(domain, chains=True)
    except HypervisorCallError:
        return []
