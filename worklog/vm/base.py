"""The hypervisor layer behind `worklog snap`: value types, a small interface, a factory.

Pure library: it never prints and never touches the log file. Every snapshot, revert or
delete returns an `ActionResult` value, whether it succeeded or failed; the CLI turns it
into a log record and a message. Importing this module does not import libvirt:
`open_hypervisor` loads the libvirt backend only when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Action = Literal["snap", "revert", "snap-delete", "snap-prune"]
SnapshotKind = Literal["internal", "external"]
DiskMode = Literal["internal", "external", "no"]

WORKLOG_MARK = "worklog:"
"""First characters of the description of every snapshot worklog creates."""

INSTALL_HINT = (
    "libvirt-python is not installed: it builds from source, so first "
    "`apt-get install libvirt-dev pkg-config`, then `pip install 'worklog[libvirt]'`"
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
class SnapshotInfo:
    """One existing snapshot; `created` is timezone-aware (UTC)."""

    name: str
    domain: str
    created: datetime
    description: str | None
    parent: str | None
    is_current: bool
    kind: SnapshotKind


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
    ) -> ActionResult:
        """Internal snapshot when every disk is qcow2 and neither disk_only nor quiesce is
        asked; otherwise external disk-only (atomic). force_internal tries an internal
        snapshot whatever the disk formats (raw disks then fail with a plain error).
        name None: `default_snapshot_name` at ``now`` (the local time by default; the CLI
        passes the clock of its stamps). Raises ValueError only for contradictory
        arguments (force_internal with disk_only or quiesce)."""
        ...

    def list_snapshots(self, domain: str) -> list[SnapshotInfo]:
        """Oldest first. Raises HypervisorError (e.g. no such domain)."""
        ...

    def revert(self, domain: str, name: str, *, force: bool = False) -> ActionResult: ...

    def delete(self, domain: str, name: str) -> ActionResult:
        """Delete one snapshot (its children are kept and re-parented)."""
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


class HypervisorError(Exception):
    """A hypervisor call failed outside snapshot/revert/delete (listing, connecting)."""

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


class ConnectError(HypervisorError):
    """The connection to `uri` could not be opened."""


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


def open_hypervisor(uri: str | None = None) -> Hypervisor:
    """Connect with libvirt (uri None: libvirt's default). Raises HypervisorUnavailable
    when libvirt-python is missing, ConnectError when the connection fails."""
    try:
        from worklog.vm import libvirt_backend  # noqa: PLC0415  (lazy: libvirt is optional)
    except ImportError as exc:
        if exc.name not in {"libvirt", "libvirtmod"}:
            raise
        raise HypervisorUnavailable(str(exc)) from exc
    return libvirt_backend.connect(uri)
