"""The hypervisor layer behind `worklog snap`: value types, the backend protocol, errors.

Pure library: it never prints and never touches the log file. Every snapshot, revert or
delete returns an `ActionResult` value, whether it succeeded or failed; the use cases
(worklog.vm.actions) turn it into a log record. Importing this module does not import
libvirt: worklog.vm.factory loads the libvirt backend only when a connection is opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Action = Literal["snap", "revert", "snap-delete", "snap-prune"]
SnapshotKind = Literal["internal", "external"]
Consistency = Literal["crash", "filesystem", "memory"]
Quiesce = Literal["no", "required", "preferred"]
DiskMode = Literal["internal", "external", "no"]

WORKLOG_MARK = "worklog:"
"""First characters of the description of every snapshot worklog creates."""

INSTALL_HINT = (
    "libvirt-python is not installed: it builds from source, so first "
    "`apt-get install libvirt-dev pkg-config`, then `pip install 'notepad-worklog[libvirt]'`"
)


@dataclass(frozen=True)
class DiskSnapshot:
    """What a snapshot does (or would do) to one disk.

    `source` is the image an internal snapshot lives in, or the overlay file an external
    snapshot writes to from now on; None when libvirt chooses (non-file disks).
    """

    target: str
    source: str | None
    snapshot: DiskMode


@dataclass(frozen=True)
class HostInfo:
    """Where an action ran: the host's name, libvirt's version and the hypervisor's
    (name and version), versions as (major, minor, micro)."""

    hostname: str
    libvirt: tuple[int, int, int]
    hypervisor: str
    hypervisor_version: tuple[int, int, int]


def version_text(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)


def version_tuple(number: int) -> tuple[int, int, int]:
    """libvirt's packed version (major * 1000000 + minor * 1000 + micro) as a tuple."""
    return number // 1_000_000, number // 1000 % 1000, number % 1000


@dataclass(frozen=True)
class DomainDiskInfo:
    """A disk of a domain: its target, image format, image and the images under it
    (its backing chain, nearest first, as libvirt reports it)."""

    target: str
    format: str | None
    source: str | None
    is_file: bool
    backing: tuple[str, ...] = ()


@dataclass(frozen=True)
class SnapshotInfo:
    """One existing snapshot; `created` is timezone-aware (UTC)."""

    name: str
    domain: str
    created: datetime
    description: str | None
    parent: str | None
    is_current: bool
    kind: SnapshotKind
    disks: tuple[DiskSnapshot, ...] = ()  # as a revert or delete record lists them


@dataclass(frozen=True)
class ActionResult:
    """The outcome of snap / revert / snap-delete (and snap-prune, per deleted snapshot).

    On failure `ok` is False and the error fields are set: `error_code`/`error_name` are
    libvirt's (`VIR_ERR_*`), `error_message` is libvirt's text, `plain_error` says in plain
    words what went wrong. `switched_disks` lists the disk targets left pointing at a new
    overlay after a failed external snapshot (re-read from the domain XML). `kind` and
    `disks` describe what was attempted even when it failed (None/() when the domain or
    snapshot could not be found). `duration` is the wall time of the action in seconds.
    """

    action: Action
    domain: str
    uri: str
    name: str | None
    ok: bool
    kind: SnapshotKind | None = None
    disks: tuple[DiskSnapshot, ...] = ()
    duration: float = 0.0
    error_code: int | None = None
    error_name: str | None = None
    error_message: str | None = None
    plain_error: str | None = None
    switched_disks: tuple[str, ...] = ()
    description: str | None = None
    consistency: Consistency | None = None
    frozen: float | None = None  # seconds the guest's file systems were frozen
    notes: tuple[str, ...] = ()  # what the action chose along the way, in plain words
    freed: int | None = None  # bytes a deletion freed (None: not measured)
    host: HostInfo | None = None
    #: a snapshot made: libvirt's XML of it read back after the snapshot, in the form its
    #: record keeps (`libvirt_xml.record_xml`); None when libvirt did not give it
    xml: str | None = None


class Hypervisor(Protocol):
    """A connection to one hypervisor. snapshot/revert/delete never raise on hypervisor
    errors: they return a failed ActionResult."""

    @property
    def uri(self) -> str: ...

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
        """Internal snapshot when every disk is qcow2 and neither disk_only nor quiesce is
        asked; otherwise external disk-only (atomic). force_internal tries an internal
        snapshot whatever the disk formats (raw disks then fail with a plain error).
        name None: `default_snapshot_name` at ``now`` (the local time by default; the CLI
        passes the clock of its stamps). Raises ValueError only for contradictory
        arguments (force_internal with disk_only or quiesce). With quiesce the guest's
        file systems are frozen (the agent given ``freeze_timeout`` seconds to answer)
        and thawed whatever happens; the result says for how long. A snapshot taken: the
        result's ``xml`` is libvirt's XML of it, read back, in its record's form."""
        ...

    def list_snapshots(self, domain: str) -> list[SnapshotInfo]:
        """Oldest first. Raises HypervisorCallError (e.g. no such domain)."""
        ...

    def revert(self, domain: str, name: str, *, force: bool = False) -> ActionResult: ...

    def delete(self, domain: str, name: str) -> ActionResult:
        """Delete one snapshot (its children are kept and re-parented)."""
        ...

    def host_info(self) -> HostInfo:
        """The host, libvirt's and the hypervisor's versions. Raises HypervisorCallError."""
        ...

    def disks(self, domain: str, *, chains: bool = False) -> list[DomainDiskInfo]:
        """The domain's disks as they are now; ``chains``: with each disk's backing chain
        even where libvirt does not report it (read from the images: slower). Raises
        HypervisorCallError."""
        ...

    def free_space(self, folder: str) -> int | None:
        """Bytes free in ``folder`` on the host; None when it cannot be told from here."""
        ...

    def allocated(self, path: str) -> int | None:
        """Bytes the file takes on the host's disk; None when it cannot be told from
        here."""
        ...

    def domain_xml(self, domain: str) -> str:
        """The domain's persistent definition. Raises HypervisorCallError."""
        ...

    def exists(self, path: str) -> bool | None:
        """Whether the file is there on the host; None when it cannot be told from here."""
        ...

    def list_files(self, folder: str) -> list[str] | None:
        """The names in ``folder`` on the host; None when it cannot be told from here."""
        ...

    def agent_ping(self, domain: str, timeout: int) -> str | None:
        """None when the guest agent answered a ping within ``timeout`` seconds, else
        why not, in plain words."""
        ...

    def job_progress(self, domain: str) -> float | None:
        """0..1 for the domain's running job, None when there is none or it is unknown."""
        ...

    def close(self) -> None: ...


class HypervisorUnavailable(Exception):
    """libvirt-python (or the libvirt library) cannot be imported."""

    def __init__(self, detail: str | None = None) -> None:
        message = INSTALL_HINT if detail is None else f"{INSTALL_HINT} ({detail})"
        super().__init__(message)


class HypervisorCallError(Exception):
    """A hypervisor call failed outside snapshot/revert/delete (listing, connecting);
    libvirt's code, its constant's name, its text and plain words for it."""

    def __init__(
        self,
        uri: str,
        code: int | None,
        message: str,
        *,
        error_name: str | None = None,
        plain_error: str | None = None,
    ) -> None:
        super().__init__(f"{uri}: {plain_error or message}")
        self.uri = uri
        self.code = code
        self.message = message
        self.error_name = error_name
        self.plain_error = plain_error


class ConnectError(HypervisorCallError):
    """The connection to `uri` could not be opened."""


def check_snapshot_options(*, disk_only: bool, quiesce: bool, force_internal: bool) -> None:
    """ValueError for contradictory options: internal forced with disk-only or quiesce."""
    if force_internal and (disk_only or quiesce):
        raise ValueError("force_internal excludes disk_only and quiesce")


def snapshot_kind(
    formats: Iterable[str | None], *, disk_only: bool, quiesce: bool, force_internal: bool
) -> SnapshotKind:
    """Internal when every disk (its image ``formats``) is qcow2 and neither disk-only
    nor quiesce is asked, or when forced; else external disk-only."""
    check_snapshot_options(disk_only=disk_only, quiesce=quiesce, force_internal=force_internal)
    qcow2 = all(fmt == "qcow2" for fmt in formats)
    return "internal" if force_internal or (qcow2 and not disk_only and not quiesce) else "external"


def default_snapshot_name(domain: str, now: datetime, existing: set[str]) -> str:
    """`DOMAIN-YYYYMMDD-HHMMSS`, then `-2`, `-3`... when taken (several in one second)."""
    base = f"{domain}-{now:%Y%m%d-%H%M%S}"
    candidate, counter = base, 1
    while candidate in existing:
        counter += 1
        candidate = f"{base}-{counter}"
    return candidate


def worklog_description(text: str | None) -> str:
    """The description worklog stores: its mark, then the user's text on the same line."""
    return WORKLOG_MARK if not text else f"{WORKLOG_MARK} {text}"


def user_description(stored: str | None) -> str | None:
    """The user's part of a description written by `worklog_description`."""
    if stored is None or not stored.startswith(WORKLOG_MARK):
        return stored
    rest = stored[len(WORKLOG_MARK) :]
    return rest[1:] if rest.startswith(" ") else rest or None


def is_worklog_snapshot(info: SnapshotInfo) -> bool:
    """True for snapshots worklog made: the first description line starts with `worklog:`."""
    return info.description is not None and info.description.startswith(WORKLOG_MARK)
