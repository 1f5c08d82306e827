"""The VM actions as use cases: snap, revert, delete and prune, each logged as a record.

Every action leaves a trace: before a hypervisor is asked for anything, the log must be
able to take the record (a file, or one that can be created; every text of the record in
its encoding, decided by the log file, with certainty); then each result is appended as
soon as it is known, failed or not. A use case takes its hypervisors from a `Factory`,
appends to a `LogFile`, stamps with a clock, and returns an `Outcome`: what was logged.
It never prints: ``on_logged`` hears of each record as it is written, ``watch`` of each
hypervisor call while it runs (the CLI draws progress with it).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime

from worklog.errors import LogFileError
from worklog.store.logfile import LogFile
from worklog.vm.base import (
    Action,
    ActionResult,
    ConnectError,
    Hypervisor,
    HypervisorCallError,
    SnapshotInfo,
    is_worklog_snapshot,
)
from worklog.vm.factory import Connections, Factory
from worklog.vm.records import connect_failure, listing_failure, record_lines, snapshot_tags
from worklog.vm.tasks import find_task, stored_description

Clock = Callable[[], datetime]
Poll = Callable[[], float | None]
Watch = Callable[[str, Poll], AbstractContextManager[object]]
Extra = tuple[tuple[str, str], ...]


def _unwatched(_label: str, _poll: Poll) -> AbstractContextManager[object]:
    return contextlib.nullcontext()


def _unheard(_logged: Logged) -> None:
    return None


@dataclass(frozen=True)
class Logged:
    """One record appended: the action's result and the stamp of its entry;
    ``unreachable``: the hypervisor could not be reached."""

    result: ActionResult
    stamp: str
    unreachable: bool = False


@dataclass(frozen=True)
class Outcome:
    """Everything a use case logged, in order."""

    logged: tuple[Logged, ...]

    @property
    def failed(self) -> tuple[Logged, ...]:
        return tuple(item for item in self.logged if not item.result.ok)

    @property
    def unreachable(self) -> bool:
        return any(item.unreachable for item in self.logged)


@dataclass(frozen=True)
class Services:
    """What the use cases work with: the log, the hypervisors, the clock (stamps and
    today), the day order of typed stamps (None: the file's), and the two listeners."""

    log: LogFile
    factory: Factory
    clock: Clock
    day_first: bool | None = None
    watch: Watch = _unwatched
    on_logged: Callable[[Logged], None] = _unheard


@dataclass(frozen=True)
class Target:
    """A domain on a URI (None: the backend's default)."""

    domain: str
    uri: str | None = None


@dataclass(frozen=True)
class SnapRequest:
    """`snap`: each target in turn; ``task``: an item number or a stamp (None: the item
    running); ``keep``: then prune each domain to its newest ``keep`` worklog snapshots."""

    targets: tuple[Target, ...]
    name: str | None = None
    description: str | None = None
    disk_only: bool = False
    quiesce: bool = False
    force_internal: bool = False
    task: str | None = None
    keep: int | None = None


class NothingDone(LogFileError):
    """The log cannot take the record of ``action`` (``cause`` says why), so it was not
    started; ``done`` holds what the same call logged before (a snap before its prune)."""

    def __init__(self, cause: LogFileError, action: Action, done: tuple[Logged, ...] = ()) -> None:
        super().__init__(cause.path, cause.reason, cause.line)
        self.cause = cause
        self.action = action
        self.done = done


class NotLogged(LogFileError):
    """``result`` happened but its record could not be appended (``cause``); ``done``
    holds what was logged before it."""

    def __init__(self, cause: LogFileError, result: ActionResult, done: tuple[Logged, ...]) -> None:
        super().__init__(cause.path, cause.reason, cause.line)
        self.exit_code = cause.exit_code
        self.cause = cause
        self.result = result
        self.done = done


@dataclass
class _Recorder:
    services: Services
    logged: list[Logged] = field(default_factory=list)

    def record(
        self,
        result: ActionResult,
        task: str | None,
        extra: Extra = (),
        *,
        unreachable: bool = False,
    ) -> None:
        """Append the result's record, stamped now (the action is over)."""
        lines = record_lines(result, task=task, extra=extra)
        try:
            appended = self.services.log.append(
                snapshot_tags(result.domain), lines, self.services.clock()
            )
        except LogFileError as exc:
            raise NotLogged(exc, result, tuple(self.logged)) from exc
        item = Logged(result, appended.stamp_text, unreachable)
        self.logged.append(item)
        self.services.on_logged(item)

    def outcome(self) -> Outcome:
        return Outcome(tuple(self.logged))


# --- before acting ----------------------------------------------------------------------


def _prepare(
    services: Services, action: Action, texts: Sequence[str], spec: str | None
) -> str | None:
    """Check that a record can be appended (the log is a file or can be created, and
    ``texts``, the values given, fit its encoding), then return the task: ``spec``
    resolved in the log, else the running item, if any."""
    log = services.log
    try:
        log.check_writable()
        if not log.exists() and (log.path.exists() or not log.real_path.parent.is_dir()):
            reason = "is not a file" if log.path.exists() else "its folder does not exist"
            raise LogFileError(log.path, reason)
        log.check_fits(texts)
    except LogFileError as exc:
        raise NothingDone(exc, action) from exc
    return find_task(log, spec, services.clock().date(), services.day_first)


def _check_records(
    services: Services,
    action: Action,
    planned: Iterable[tuple[ActionResult, Extra]],
    task: str | None,
    done: Sequence[Logged] = (),
) -> None:
    """The records of ``planned`` results, as they will be written, fit the log."""
    texts: list[str] = []
    for result, extra in planned:
        texts += snapshot_tags(result.domain)
        texts += record_lines(result, task=task, extra=extra)
    try:
        services.log.check_fits(texts)
    except LogFileError as exc:
        raise NothingDone(exc, action, tuple(done)) from exc


def _planned(action: Action, uri: str, info: SnapshotInfo) -> ActionResult:
    """The result of ``action`` on an existing snapshot, as its record will show it."""
    return ActionResult(
        action,
        info.domain,
        uri,
        info.name,
        ok=True,
        kind=info.kind,
        disks=info.disks,
        description=info.description,
    )


def _watched(
    services: Services, label: str, hv: Hypervisor, domain: str
) -> AbstractContextManager[object]:
    return services.watch(label, functools.partial(hv.job_progress, domain))


# --- snap -------------------------------------------------------------------------------


def snap(request: SnapRequest, services: Services) -> Outcome:
    """Snapshot each target and log it (then prune, with ``keep``); a target whose
    hypervisor cannot be reached is logged as failed, and the next one is taken."""
    texts = [t.domain for t in request.targets] + [request.name or "", request.description or ""]
    task = _prepare(services, "snap", texts, request.task)
    stored = stored_description(request.description, task)
    planned = [
        (ActionResult("snap", t.domain, t.uri or "", request.name, ok=True, description=stored), ())
        for t in request.targets
    ]
    _check_records(services, "snap", planned, task)
    recorder = _Recorder(services)
    with Connections(services.factory) as conns:
        for target in request.targets:
            hv = conns.get(target.uri)
            if isinstance(hv, ConnectError):
                failure = connect_failure("snap", target.domain, request.name, hv, stored)
                recorder.record(failure, task, unreachable=True)
                continue
            with _watched(services, f"snapshot {target.domain}", hv, target.domain):
                result = hv.snapshot(
                    target.domain,
                    name=request.name,
                    description=stored,
                    disk_only=request.disk_only,
                    quiesce=request.quiesce,
                    force_internal=request.force_internal,
                    now=services.clock(),
                )
            recorder.record(result, task)
            if request.keep is not None and result.ok and result.name is not None:
                _prune(services, recorder, hv, target.domain, request.keep, result.name, task)
    return recorder.outcome()


# --- prune ------------------------------------------------------------------------------


def prune_candidates(
    infos: Iterable[SnapshotInfo], keep: int, just_made: str | None = None
) -> list[SnapshotInfo]:
    """The snapshots pruning to ``keep`` deletes, oldest first: worklog's own beyond the
    newest ``keep``, never another's, never the one just made."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    ours = sorted((i for i in infos if is_worklog_snapshot(i)), key=lambda i: (i.created, i.name))
    return [i for i in ours[:-keep] if i.name != just_made]


def _prune(
    services: Services,
    recorder: _Recorder,
    hv: Hypervisor,
    domain: str,
    keep: int,
    just_made: str | None,
    task: str | None,
) -> None:
    """Delete worklog's older snapshots of ``domain``, one record each; none when their
    records would not fit the log."""
    extra: Extra = (("keep", str(keep)),)
    try:
        infos = hv.list_snapshots(domain)
    except HypervisorCallError as exc:
        recorder.record(listing_failure(domain, hv.uri, exc), task, extra)
        return
    doomed = prune_candidates(infos, keep, just_made)
    planned = [(_planned("snap-prune", hv.uri, info), extra) for info in doomed]
    _check_records(services, "snap-prune", planned, task, recorder.logged)
    for info in doomed:
        deleted = replace(hv.delete(domain, info.name), action="snap-prune")
        recorder.record(deleted, task, extra)


def prune(target: Target, keep: int, services: Services, *, task: str | None = None) -> Outcome:
    """Delete all but the newest ``keep`` worklog snapshots of the target, one record
    each (a listing that fails is one failed record)."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    for_ = _prepare(services, "snap-prune", [target.domain], task)
    planned = ActionResult("snap-prune", target.domain, target.uri or "", None, ok=True)
    _check_records(services, "snap-prune", [(planned, (("keep", str(keep)),))], for_)
    recorder = _Recorder(services)
    with Connections(services.factory) as conns:
        hv = conns.get(target.uri)
        if isinstance(hv, ConnectError):
            failure = connect_failure("snap-prune", target.domain, None, hv, None)
            recorder.record(failure, for_, (("keep", str(keep)),), unreachable=True)
        else:
            _prune(services, recorder, hv, target.domain, keep, None, for_)
    return recorder.outcome()


# --- revert, delete ---------------------------------------------------------------------


def revert(
    target: Target,
    snapshot: str,
    services: Services,
    *,
    force: bool = False,
    task: str | None = None,
) -> Outcome:
    """Revert the target to ``snapshot`` and log it."""
    return _on_snapshot(
        services,
        "revert",
        target,
        snapshot,
        task,
        lambda hv: hv.revert(target.domain, snapshot, force=force),
    )


def delete(
    target: Target, snapshot: str, services: Services, *, task: str | None = None
) -> Outcome:
    """Delete ``snapshot`` of the target (its children are kept) and log it."""
    return _on_snapshot(
        services,
        "snap-delete",
        target,
        snapshot,
        task,
        lambda hv: hv.delete(target.domain, snapshot),
    )


def _on_snapshot(
    services: Services,
    action: Action,
    target: Target,
    snapshot: str,
    spec: str | None,
    act: Callable[[Hypervisor], ActionResult],
) -> Outcome:
    """One action on one snapshot, logged. Once connected, the snapshot is looked up
    (listing changes nothing) so that what its record takes from libvirt (description,
    disks) is known to fit the log before ``act`` changes anything."""
    domain = target.domain
    task = _prepare(services, action, [domain, snapshot], spec)
    planned = ActionResult(action, domain, target.uri or "", snapshot, ok=True)
    _check_records(services, action, [(planned, ())], task)
    recorder = _Recorder(services)
    with Connections(services.factory) as conns:
        hv = conns.get(target.uri)
        if isinstance(hv, ConnectError):
            recorder.record(
                connect_failure(action, domain, snapshot, hv, None), task, unreachable=True
            )
            return recorder.outcome()
        info = _lookup(hv, domain, snapshot)
        if info is not None:
            _check_records(services, action, [(_planned(action, hv.uri, info), ())], task)
        with _watched(services, f"{action} {domain}", hv, domain):
            result = act(hv)
        recorder.record(result, task)
    return recorder.outcome()


def _lookup(hv: Hypervisor, domain: str, name: str) -> SnapshotInfo | None:
    """The snapshot ``name`` of ``domain``; None when it (or the domain) cannot be found:
    the action then fails, and libvirt's error is its record."""
    try:
        infos = hv.list_snapshots(domain)
    except HypervisorCallError:
        return None
    return next((i for i in infos if i.name == name), None)
