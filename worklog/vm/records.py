"""`worklog snap` and friends without I/O: records, tasks, URIs, and the `snaps` listing.

Pure functions of values: an `ActionResult` becomes the lines of a record (FORMAT.md
C7, section VII); a parsed document tells which task an action served; libvirt's
snapshots joined with the log's records make the rows `worklog snaps` prints. The CLI
does the connecting, the appending and the printing.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from worklog.config import Config
from worklog.day.plan import latest_plan
from worklog.errors import UsageError
from worklog.format.constructs import (
    Item,
    escape_value,
    format_record,
    format_tags,
    parse_tags_line,
)
from worklog.format.dates import parse_stamp_arg
from worklog.format.document import Document, Entry
from worklog.format.stamps import Stamp
from worklog.vm.base import (
    WORKLOG_MARK,
    Action,
    ActionResult,
    ConnectError,
    HypervisorError,
    SnapshotInfo,
    is_worklog_snapshot,
    user_description,
    worklog_description,
)

TAG = "snapshot"
FOR_LINE = "for: "
"""Starts the last line of a stored description that names the task (see `stored_description`)."""

# --- where: the URI ---------------------------------------------------------------------


def resolve_uri(
    option: str | None, env: Mapping[str, str], config: Config
) -> tuple[str | None, str]:
    """The libvirt URI and what chose it: `--connect`, `$LIBVIRT_DEFAULT_URI`, the config
    file's `libvirt_uri`, else None (libvirt's own default)."""
    if option:
        return option, "--connect"
    if env.get("LIBVIRT_DEFAULT_URI"):
        return env["LIBVIRT_DEFAULT_URI"], "$LIBVIRT_DEFAULT_URI"
    if config.libvirt_uri:
        return config.libvirt_uri, str(config.path or "the config file")
    return None, "libvirt's default"


_TARGET_RE = re.compile(r"(?P<domain>.+?)@(?P<uri>[A-Za-z][A-Za-z0-9+.-]*://.*)", re.DOTALL)


def split_target(arg: str, default_uri: str | None) -> tuple[str, str | None]:
    """`DOMAIN` or `DOMAIN@URI` (e.g. `web01@qemu+ssh://root@host/system`) -> (domain, uri)."""
    match = _TARGET_RE.fullmatch(arg)
    if match is None:
        return arg, default_uri
    return match["domain"], match["uri"]


# --- what for: the task -----------------------------------------------------------------


def _day_plan(doc: Document, day: date) -> Entry | None:
    """The day's plan: its last entry tagged GTD."""
    return latest_plan(doc.entries, day)


def _item_ref(doc: Document, plan: Entry, item: Item) -> str:
    ref = f"{cross_reference(doc, plan)} item {item.n}"
    return f"{ref}: {item.text}" if item.text else ref


def cross_reference(doc: Document, entry: Entry) -> str:
    """`see"STAMP"` for ``entry``, its stamp written in the file's stamp shape (W1, C4)."""
    return f'see"{doc.writing_shape().format(entry.stamp.when)}"'


def active_task(doc: Document, today: date) -> str | None:
    """The item running (an open range, as `worklog start` writes) in today's plan, or,
    while today has no plan yet, in yesterday's (work past midnight), as a `for`
    reference; the one started last when several run; None when none runs."""
    plan = _day_plan(doc, today) or _day_plan(doc, today - timedelta(days=1))
    if plan is None:
        return None
    running = [i for i in plan.items if i.state == "active"]
    if not running:
        return None
    item = max(running, key=lambda i: (i.ranges[-1].start, i.index))
    return _item_ref(doc, plan, item)


def resolve_task(doc: Document, spec: str, today: date, day_first: bool | None = None) -> str:
    """`--for N` (item N of today's latest plan) or `--for STAMP` (any entry) as a `for`
    reference; a UsageError says what is missing. ``day_first`` None: the file's order."""
    if spec.strip().isdigit():
        number = int(spec)
        plan = _day_plan(doc, today)
        if plan is None:
            raise UsageError(f"--for {spec}: no plan for today (an entry tagged GTD) in the log")
        for item in plan.items:
            if item.n == number:
                return _item_ref(doc, plan, item)
        raise UsageError(f"--for {spec}: today's plan ({plan.stamp.text}) has no item {number}")
    order = doc.day_first if day_first is None else day_first
    when = parse_stamp_arg(spec, option="--for", day_first=order)
    for entry in reversed(doc.entries):
        if entry.stamp.when == when:
            return cross_reference(doc, entry)
    raise UsageError(f"--for {spec}: no entry with that stamp in the log")


def stored_description(text: str | None, task: str | None) -> str:
    """What worklog stores in libvirt: its mark and the user's text exactly as typed,
    then, when the snapshot served a task, a last line `for: see"STAMP" item N: text`."""
    stored = worklog_description(text)
    return stored if task is None else f"{stored}\n{FOR_LINE}{task}"


def split_description(stored: str | None) -> tuple[str | None, str | None]:
    """(the user's text, the task) of a stored description; others' descriptions are
    all the user's text."""
    if stored is None or not stored.startswith(WORKLOG_MARK):
        return stored, None
    head, newline, last = stored.rpartition("\n")
    if newline and last.startswith(FOR_LINE):
        return user_description(head), last[len(FOR_LINE) :]
    return user_description(stored), None


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
    text, _ = split_description(result.description)
    if text is not None:
        fields.append(("description", text))
    if not result.ok:
        fields.extend(_error_fields(result))
    return format_record(
        result.action,
        headline_subject(result.domain),
        "ok" if result.ok else "failed",
        summary(result),
        fields,
    )


def _error_fields(result: ActionResult) -> list[tuple[str, str]]:
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


def listing_failure(domain: str, uri: str, exc: HypervisorError) -> ActionResult:
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


# --- retention --------------------------------------------------------------------------


def prune_candidates(
    infos: Iterable[SnapshotInfo], keep: int, just_made: str
) -> list[SnapshotInfo]:
    """The snapshots `--keep K` deletes, oldest first: worklog's own beyond the newest K,
    never another's, never the one just made."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    ours = sorted((i for i in infos if is_worklog_snapshot(i)), key=lambda i: (i.created, i.name))
    return [i for i in ours[:-keep] if i.name != just_made]


# --- `worklog snaps`: libvirt joined with the log ---------------------------------------

_PREFILTER = "worklog snap"  # headlines of snap, snap-delete and snap-prune records


def _needles(domain: str | None) -> list[str]:
    if domain is None:
        return [_PREFILTER]
    subject = escape_value(headline_subject(domain))
    return [f"worklog {action} {subject}: " for action in ("snap", "snap-delete", "snap-prune")]


def snapshot_entries(doc: Document, domain: str | None = None) -> list[Entry]:
    """The snap / snap-delete / snap-prune records of ``doc`` (of ``domain`` only, when
    given), in file order. A text search finds the candidates: only the entries holding
    a headline are parsed."""
    starts = [e.start for e in doc.entries]
    hits: set[int] = set()
    for needle in _needles(domain):
        pos = doc.text.find(needle)
        while pos >= 0:
            index = bisect.bisect_right(starts, pos) - 1
            if index < 0:
                pos = doc.text.find(needle, pos + 1)
                continue
            hits.add(index)
            pos = doc.text.find(needle, doc.entries[index].end)
    found = (doc.entries[i] for i in sorted(hits))
    return [e for e in found if e.kind == "snapshot" and e.record is not None]


def _matches(entry: Entry, domain: str, uri: str) -> bool:
    record = entry.record
    if record is None:
        return False
    fields = record.fields
    return fields.get("domain", record.subject) == domain and fields.get("uri", uri) == uri


def _field(entry: Entry | None, key: str) -> str | None:
    record = entry.record if entry is not None else None
    return record.fields.get(key) if record is not None else None


def logged_domains(entries: Iterable[Entry], uri: str) -> list[str]:
    """The domains of the log's successful `snap` records on ``uri``, first seen first."""
    seen: dict[str, None] = {}
    for entry in entries:
        record = entry.record
        if (
            record is not None
            and record.action == "snap"
            and record.fields.get("result", record.result) == "ok"
            and record.fields.get("uri", uri) == uri
        ):
            seen.setdefault(record.fields.get("domain", record.subject), None)
    return list(seen)


@dataclass(frozen=True)
class SnapRow:
    """One line of `worklog snaps`: a snapshot in libvirt, in the log, or both."""

    domain: str
    uri: str
    name: str
    created: datetime  # timezone-aware
    in_libvirt: bool
    in_log: bool
    kind: str | None = None
    parent: str | None = None
    current: bool = False
    entry: Stamp | None = None  # the record that made it
    task: str | None = None
    description: str | None = None
    deleted: Stamp | None = None  # a record of worklog deleting it (gone rows)
    depth: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created": self.created.isoformat(),
            "in_log": self.in_log,
            "in_libvirt": self.in_libvirt,
            "domain": self.domain,
            "uri": self.uri,
            "kind": self.kind,
            "parent": self.parent,
            "current": self.current,
            "entry": self.entry.iso if self.entry else None,
            "for": self.task,
            "description": self.description,
            "deleted": self.deleted.iso if self.deleted else None,
        }


def _local(when: datetime) -> datetime:
    """Aware local time (naive stamps are local times)."""
    return when.astimezone()


def _depths(infos: Sequence[SnapshotInfo]) -> dict[str, int]:
    parents = {i.name: i.parent for i in infos}
    depths: dict[str, int] = {}
    for name, parent in parents.items():
        depth, seen, current = 0, {name}, parent
        while current is not None and current in parents and current not in seen:
            seen.add(current)
            depth += 1
            current = parents[current]
        depths[name] = depth
    return depths


def join(
    domain: str, uri: str, infos: Sequence[SnapshotInfo], entries: Sequence[Entry]
) -> list[SnapRow]:
    """Rows in time order: every libvirt snapshot of ``domain`` with the latest `snap ok`
    record that made it (or none: not in the log), then each `snap ok` record whose
    snapshot is no longer in libvirt (gone), with the record that deleted it if any."""
    mine = [e for e in entries if _matches(e, domain, uri)]
    made: dict[str, list[Entry]] = {}
    deleted: dict[str, list[Entry]] = {}
    for entry in mine:
        record = entry.record
        name = _field(entry, "name")
        if record is None or name is None or record.fields.get("result", record.result) != "ok":
            continue
        if record.action == "snap":
            made.setdefault(name, []).append(entry)
        elif record.action in ("snap-delete", "snap-prune"):
            deleted.setdefault(name, []).append(entry)
    depths = _depths(infos)
    rows: list[SnapRow] = []
    for info in infos:
        makers = made.pop(info.name, [])
        if len(makers) > 1:  # the same name made before: that older snapshot is gone
            made[info.name] = makers[:-1]
        maker = makers[-1] if makers else None
        text, stored_task = split_description(info.description)
        rows.append(
            SnapRow(
                domain,
                uri,
                info.name,
                _local(info.created),
                in_libvirt=True,
                in_log=maker is not None,
                kind=info.kind,
                parent=info.parent,
                current=info.is_current,
                entry=maker.stamp if maker else None,
                task=_field(maker, "for") or stored_task,
                description=text,
                depth=depths[info.name],
            )
        )
    for name, makers in made.items():
        for entry in makers:
            rows.append(_gone_row(domain, uri, name, entry, deleted.get(name, [])))
    return sorted(rows, key=lambda r: (r.created, not r.in_libvirt, r.name))


def _gone_row(domain: str, uri: str, name: str, entry: Entry, deletions: list[Entry]) -> SnapRow:
    after = [d for d in deletions if d.stamp.when >= entry.stamp.when]
    return SnapRow(
        domain,
        uri,
        name,
        _local(entry.stamp.when),
        in_libvirt=False,
        in_log=True,
        kind=_field(entry, "kind"),
        entry=entry.stamp,
        task=_field(entry, "for"),
        description=_field(entry, "description"),
        deleted=after[0].stamp if after else None,
    )


def tree_order(rows: Sequence[SnapRow]) -> list[SnapRow]:
    """Parents before their children (each level in time order); gone rows last."""
    present = [r for r in rows if r.in_libvirt]
    names = {r.name for r in present}
    children: dict[str | None, list[SnapRow]] = {}
    for row in present:
        parent = row.parent if row.parent in names else None
        children.setdefault(parent, []).append(row)
    ordered: list[SnapRow] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        row = stack.pop()
        ordered.append(row)
        stack.extend(reversed(children.pop(row.name, [])))
    return ordered + [r for r in rows if not r.in_libvirt]


def render_rows(rows: Sequence[SnapRow]) -> list[str]:
    """Text lines: name (indented by depth), created, kind and current, where it comes
    from (`logged see"STAMP"`, `not in log`, `gone: ...`), and the task it served."""
    names = [("  " * r.depth) + escape_value(r.name) for r in rows]
    width = max((len(n) for n in names), default=0)
    lines = []
    for row, name in zip(rows, names, strict=True):
        kind = (row.kind or "?") + (", current" if row.current else "")
        when = (
            row.created.strftime("%Y-%m-%d %H:%M:%S")
            if row.in_libvirt
            else (row.created.strftime("%Y-%m-%d %H:%M   "))
        )
        parts = [name.ljust(width), when, kind.ljust(17), _origin(row)]
        if row.task:
            parts.append(f"for {escape_value(row.task)}")
        lines.append("  ".join(parts).rstrip())
    return lines


def _origin(row: SnapRow) -> str:
    logged = f'logged see"{row.entry.text}"' if row.entry else ""
    if row.in_libvirt:
        return logged or "not in log"
    deleted = f', deleted see"{row.deleted.text}"' if row.deleted else ""
    return f"gone ({logged}{deleted})"
