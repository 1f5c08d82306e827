"""libvirt's errors in worklog's words: the constant's name of a code, plain words for
what went wrong given what was attempted, and libvirt's stderr printing silenced."""

from __future__ import annotations

import functools
from typing import TypedDict

import libvirt

from worklog.vm.base import Action, SnapshotKind

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


class ErrorFields(TypedDict):
    error_code: int | None
    error_name: str | None
    error_message: str
    plain_error: str


def error_fields(
    err: libvirt.libvirtError, *, action: Action, kind: SnapshotKind | None, quiesce: bool
) -> ErrorFields:
    code = err.get_error_code()
    code = int(code) if code is not None else None
    message = str(err.get_error_message() or err)
    return ErrorFields(
        error_code=code,
        error_name=error_name(code),
        error_message=message,
        plain_error=plain_error(code, message, action=action, kind=kind, quiesce=quiesce),
    )


@functools.cache
def silence_libvirt() -> None:
    """libvirt prints every error to stderr, even caught ones: install a no-op handler."""
    libvirt.registerErrorHandler(lambda *_: None, None)


