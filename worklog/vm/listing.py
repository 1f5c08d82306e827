"""`worklog snaps`: libvirt's snapshots of a domain joined with the log's records.

Each row is a snapshot in libvirt, in the log, or both: the latest `snap ok` record that
made it (or none: not in the log), and each `snap ok` record whose snapshot is no longer
in libvirt (gone), with the record that deleted it if any. `list_snaps` is the use case:
it opens the connection, lists, joins; the CLI renders the rows as text or JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from worklog.errors import WorklogError
from worklog.format.constructs import escape_value
from worklog.format.document import Entry
from worklog.format.stamps import Stamp
from worklog.history.timeline import Timeline, log_timeline
from worklog.store.logfile import LogFile
from worklog.vm.base import HypervisorCallError, SnapshotInfo
from worklog.vm.factory import Factory
from worklog.vm.records import headline_subject
from worklog.vm.tasks import split_description

_PREFILTER = "worklog snap"  # headlines of snap, snap-delete and snap-prune records


def _needles(domain: str | None) -> list[str]:
    if domain is None:
        return [_PREFILTER]
    subject = escape_value(headline_subject(domain))
    return [f"worklog {action} {subject}: " for action in ("snap", "snap-delete", "snap-prune")]


def snapshot_entries(timeline: Timeline | None, domain: str | None = None) -> list[Entry]:
    """The snap / snap-delete / snap-prune records of the log (of ``domain`` only, when
    given), in file order (None: no log, no records). The bytes are searched for their
    headlines: only the entries holding one are parsed."""
    if timeline is None:
        return []
    found = timeline.holding(_needles(domain))
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


# --- the use case -----------------------------------------------------------------------

NO_DOMAIN = 42  # VIR_ERR_NO_DOMAIN


class ListingFailed(WorklogError):
    """The snapshots of ``domain`` could not be listed (``cause`` says libvirt's why)."""

    def __init__(self, domain: str, cause: HypervisorCallError) -> None:
        super().__init__(f"{domain}: {cause.plain_error or cause}")
        self.domain = domain
        self.cause = cause


@dataclass(frozen=True)
class DomainSnaps:
    """The rows of one domain; ``found`` False: no such domain on the URI (what the log
    knows of it is all gone)."""

    domain: str
    rows: tuple[SnapRow, ...]
    found: bool = True

    @property
    def unknown(self) -> int:
        """Snapshots the log does not know."""
        return sum(1 for r in self.rows if r.in_libvirt and not r.in_log)

    @property
    def gone(self) -> int:
        """The log's snapshots libvirt no longer has."""
        return sum(1 for r in self.rows if not r.in_libvirt)


@dataclass(frozen=True)
class Listing:
    """What `worklog snaps` shows: the URI libvirt reports, and each domain's rows."""

    uri: str
    groups: tuple[DomainSnaps, ...]


def list_snaps(
    log: LogFile, factory: Factory, domain: str | None, uri: str | None, *, tree: bool = False
) -> Listing:
    """The snapshots of ``domain`` (None: of every domain the log has `snap` records of
    on the URI) joined with the log. ConnectError when the URI cannot be reached,
    ListingFailed when a listing fails for another reason than a missing domain."""
    hv = factory(uri)
    try:
        with log_timeline(log) as timeline:
            entries = snapshot_entries(timeline, domain)
        groups: list[DomainSnaps] = []
        for name in [domain] if domain is not None else logged_domains(entries, hv.uri):
            found = True
            try:
                infos = hv.list_snapshots(name)
            except HypervisorCallError as exc:
                if exc.code != NO_DOMAIN:
                    raise ListingFailed(name, exc) from exc
                infos, found = [], False
            rows = join(name, hv.uri, infos, entries)
            groups.append(DomainSnaps(name, tuple(tree_order(rows) if tree else rows), found))
        return Listing(hv.uri, tuple(groups))
    finally:
        hv.close()
