"""The record of a VM action, without I/O: an `ActionResult` becomes the tags and the
lines of one entry (FORMAT.md C7, section VII). worklog.vm.actions appends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from worklog.format.constructs import escape_value, format_record, format_tags, parse_tags_line
from worklog.vm.base import (
    Action,
    ActionResult,
    ConnectError,
    HypervisorCallError,
    version_text,
)
from worklog.vm.tasks import split_description

TAG = "snapshot"
#: The most characters the `xml` field's value takes, as written (escaped): larger, the
#: field is left out and `xml-left-out` says so (FORMAT.md VII).
MAX_XML = 8192

# --- the record -------------------------------------------------------------------------


def snapshot_tags(domain: str) -> list[str]:
    """`snapshot, DOMAIN` when DOMAIN reads back as exactly that tag (E2), else `snapshot`."""
    tags = [TAG, domain]
    if domain.casefold() != TAG and parse_tags_line(format_tags(tags)) == tags:
        return tags
    return [TAG]


def error_code_text(result: ActionResult) -> str | None:
    """`42 VIR_ERR_NO_DOMAIN` (or the number alone)."""
    if result.error_code is None:
        return result.error_name
    code = str(result.error_code)
    return f"{code} {result.error_name}" if result.error_name else code


def _disks_value(result: ActionResult) -> str:
    parts = []
    for disk in result.disks:
        if disk.snapshot == "no":
            parts.append(f"{disk.target} (not snapshotted)")
        else:
            parts.append(f"{disk.target} {disk.source}" if disk.source else disk.target)
    return "; ".join(parts)


def _what(result: ActionResult) -> str:
    kind = f"{result.kind} " if result.kind else ""
    return f"{kind}snapshot {result.name}"


_OK_SUMMARY: dict[Action, str] = {
    "snap": "{what} of {disks} in {duration}",
    "revert": "reverted to {what} in {duration}",
    "snap-delete": "deleted {what} in {duration}",
    "snap-prune": "pruned {what} in {duration}",
}


def summary(result: ActionResult) -> str:
    """The headline after `ok, ` or `failed, `."""
    if not result.ok:
        plain = result.plain_error or result.error_message or "failed"
        return f"{_what(result)}: {plain}" if result.name else plain
    count = sum(1 for d in result.disks if d.snapshot != "no")
    disks = f"{count} disk" if count == 1 else f"{count} disks"
    return _OK_SUMMARY[result.action].format(
        what=_what(result), disks=disks, duration=duration_text(result.duration)
    )


def duration_text(seconds: float) -> str:
    return f"{seconds:.2f} s"


def headline_subject(domain: str) -> str:
    """The domain as the headline's SUBJECT, which cannot hold `:` (C7); the `domain`
    field keeps the exact name."""
    return domain.replace(":", "_")


def record_lines(
    result: ActionResult, *, task: str | None = None, extra: Sequence[tuple[str, str]] = ()
) -> list[str]:
    """The record of an action (C7): headline, then one `key: value` line per field."""
    fields: list[tuple[str, str]] = [("result", "ok" if result.ok else "failed")]
    fields.append(("domain", result.domain))
    if result.name is not None:
        fields.append(("name", result.name))
    if result.kind is not None:
        fields.append(("kind", result.kind))
    if result.disks:
        fields.append(("disks", _disks_value(result)))
    fields.append(("duration", duration_text(result.duration)))
    fields.append(("uri", result.uri))
    if task is not None:
        fields.append(("for", task))
    fields.extend(extra)
    fields.extend(_new_fields(result))
    text, _ = split_description(result.description)
    if text is not None:
        fields.append(("description", text))
    if not result.ok:
        fields.extend(_error_fields(result))
    fields.extend(xml_fields(result))
    return format_record(
        result.action,
        headline_subject(result.domain),
        "ok" if result.ok else "failed",
        summary(result),
        fields,
    )


def _new_fields(result: ActionResult) -> list[tuple[str, str]]:
    """consistency, frozen, note, freed, host, libvirt, hypervisor (FORMAT.md C7, 1.3)."""
    fields: list[tuple[str, str]] = []
    if result.consistency is not None:
        fields.append(("consistency", result.consistency))
    if result.frozen is not None:
        fields.append(("frozen", duration_text(result.frozen)))
    fields.extend(("note", note) for note in result.notes)
    if result.freed is not None:
        fields.append(("freed", f"{result.freed} bytes"))
    host = result.host
    if host is not None:
        fields.append(("host", host.hostname))
        fields.append(("libvirt", version_text(host.libvirt)))
        fields.append(("hypervisor", f"{host.hypervisor} {version_text(host.hypervisor_version)}"))
    return fields


def xml_fields(result: ActionResult) -> list[tuple[str, str]]:
    """A snapshot made: `xml`, libvirt's XML of it (the last field, being the longest), or
    `xml-left-out` and why: over `MAX_XML`, or libvirt did not give it."""
    if result.action != "snap" or not result.ok:
        return []
    if result.xml is None:
        return [("xml-left-out", "libvirt did not give the snapshot's XML")]
    size = len(escape_value(result.xml))
    if size > MAX_XML:
        return [("xml-left-out", f"{size} characters, over the bound of {MAX_XML}")]
    return [("xml", result.xml)]


def refusal(planned: ActionResult, text: str) -> ActionResult:
    """A failed result for an action preflight refused: libvirt was asked nothing."""
    return replace(planned, ok=False, error_name="preflight", plain_error=text)


def _error_fields(result: ActionResult) -> list[tuple[str, str]]:
    if result.error_name == "preflight":
        return [("error", result.plain_error or "refused"), ("preflight", "refused")]
    fields = [("error", result.plain_error or result.error_message or "failed")]
    code = error_code_text(result)
    if code is not None:
        fields.append(("error-code", code))
    if result.error_message:
        fields.append(("libvirt-message", result.error_message))
    several = len(result.disks) > 1 or result.switched_disks
    if result.action == "snap" and result.kind == "external" and several:
        fields.append(("switched-disks", ", ".join(result.switched_disks) or "none"))
    return fields


def connect_failure(
    action: Action, domain: str, name: str | None, exc: ConnectError, description: str | None
) -> ActionResult:
    """The failed result of an action whose connection could not be opened."""
    return ActionResult(
        action,
        domain,
        exc.uri,
        name or None,
        ok=False,
        error_code=exc.code,
        error_name=exc.error_name,
        error_message=exc.message,
        plain_error=exc.plain_error or "cannot connect",
        description=description,
    )


def listing_failure(domain: str, uri: str, exc: HypervisorCallError) -> ActionResult:
    """A failed snap-prune: the domain's snapshots could not be listed."""
    return ActionResult(
        "snap-prune",
        domain,
        uri,
        None,
        ok=False,
        error_code=exc.code,
        error_name=exc.error_name,
        error_message=exc.message,
        plain_error=exc.plain_error or "cannot list the snapshots",
    )
