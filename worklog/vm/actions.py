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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from worklog.errors import LogFileError
from worklog.vm.base import (
    Action,
    ActionResult,
    ConnectError,
    Hypervisor,
    HypervisorCallError,
    SnapshotInfo,
    snapshot_kind,
)
from worklog.vm.factory import Connections
from worklog.vm.libvirt_xml import ascii_xml, plan_disks
from worklog.vm.preflight import check_change, check_merge_space, check_snap, merge_chains
from worklog.vm.prune import prune_after_snap
from worklog.vm.records import connect_failure, refusal
from worklog.vm.retention import Policy, decide
from worklog.vm.tasks import stored_description
from worklog.vm.usecase import (
    Logged,
    NothingDone,
    NotLogged,
    Outcome,
    Poll,
    Services,
    Target,
    _check_records,
    _planned,
    _prepare,
    _Recorder,
    _watched,
    host_of,
)

__all__ = [
    "Logged",
    "NotLogged",
    "NothingDone",
    "Outcome",
    "Poll",
    "Services",
    "SnapRequest",
    "Target",
]


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
    quiesce_preferred: bool = False
    ping_timeout: int = 5
    freeze_timeout: int = 10


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
            result = _snap_one(services, request, hv, target.domain, stored, task)
            recorder.record(result, task)
            if request.keep is not None and result.ok and result.name is not None:
                prune_after_snap(
                    services, recorder, hv, target.domain, request.keep, result.name, task
                )
    return recorder.outcome()


def _snap_one(
    services: Services,
    request: SnapRequest,
    hv: Hypervisor,
    domain: str,
    stored: str,
    task: str | None,
) -> ActionResult:
    """Preflight, then the snapshot; a refusal is the result (libvirt asked nothing)."""
    host = host_of(hv)
    base = ActionResult("snap", domain, hv.uri, request.name, ok=False, description=stored)
    checked = _preflight_snap(request, hv, domain, replace(base, host=host))
    _check_records(services, "snap", [(checked, ())], task)
    if checked.error_name == "preflight":
        return checked
    quiesce = request.quiesce and not checked.notes
    with _watched(services, f"snapshot {domain}", hv, domain):
        result = hv.snapshot(
            domain,
            name=request.name,
            description=stored,
            disk_only=request.disk_only or request.quiesce,
            quiesce=quiesce,
            force_internal=request.force_internal,
            now=services.clock(),
            freeze_timeout=request.freeze_timeout,
        )
    return xml_that_fits(services, replace(result, host=host, notes=checked.notes + result.notes))


def xml_that_fits(services: Services, result: ActionResult) -> ActionResult:
    """The snapshot's XML as the log can hold it: known only now, after the snapshot, so a
    character the log's encoding lacks (its other texts were checked before) goes in as
    an XML character reference, which libvirt reads back as the same character."""
    if result.xml is None or result.xml.isascii():
        return result
    try:
        services.log.check_fits([result.xml])
    except LogFileError:
        return replace(result, xml=ascii_xml(result.xml))
    return result


def _preflight_snap(
    request: SnapRequest, hv: Hypervisor, domain: str, base: ActionResult
) -> ActionResult:
    """``base`` refused (error_name `preflight`), or with the notes of what preflight
    chose (a preferred quiesce given up). A domain that cannot be read is left to the
    snapshot call to report."""
    try:
        disks = hv.disks(domain)
        infos = hv.list_snapshots(domain)
    except HypervisorCallError:
        return base
    disk_only = request.disk_only or request.quiesce
    kind = snapshot_kind(
        (d.format for d in disks),
        disk_only=disk_only,
        quiesce=request.quiesce,
        force_internal=request.force_internal,
    )
    plan = plan_disks(disks, kind, request.name or domain)
    base = replace(base, kind=kind, disks=plan)  # its disks' files must fit the log too
    refused = check_snap(kind, plan, infos, hv.free_space)
    if refused is not None:
        return refusal(base, refused)
    if not request.quiesce:
        return base
    silent = hv.agent_ping(domain, request.ping_timeout)
    if silent is None:
        return base
    if not request.quiesce_preferred:
        return refusal(base, f"--quiesce: {silent}")
    return replace(base, notes=(f"quiesce preferred: {silent}; crash-consistent instead",))


# --- prune ------------------------------------------------------------------------------


def prune_candidates(
    infos: Iterable[SnapshotInfo], keep: int, just_made: str | None = None
) -> list[SnapshotInfo]:
    """The snapshots pruning to ``keep`` deletes, oldest first: worklog's own beyond the
    newest ``keep``, never another's, never the one just made (`prune --keep-last`)."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    decisions = decide(infos, Policy(last=keep), always_keep=[just_made] if just_made else [])
    return [d.info for d in reversed(decisions) if not d.keep]


def prune(target: Target, keep: int, services: Services, *, task: str | None = None) -> Outcome:
    """Delete all but the newest ``keep`` worklog snapshots of the target, one record
    each (a listing that fails is one failed record): `prune --keep-last K`, its records
    saying `keep: K` as `snap --keep K` does."""
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
            prune_after_snap(services, recorder, hv, target.domain, keep, None, for_)
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
        host = host_of(hv)
        infos = _listed(hv, domain)
        info = next((i for i in infos if i.name == snapshot), None)
        if info is not None:
            planned = replace(_planned(action, hv.uri, info), host=host)
            _check_records(services, action, [(planned, ())], task)
            refused = check_change(action, info, infos, host)
            if refused is None and action == "snap-delete" and info.kind == "external":
                refused = check_merge_space(info, merge_chains(hv, domain), hv.free_space,
                                            hv.allocated)
            if refused is not None:
                recorder.record(refusal(planned, refused), task)
                return recorder.outcome()
        with _watched(services, f"{action} {domain}", hv, domain):
            result = act(hv)
        recorder.record(replace(result, host=host), task)
    return recorder.outcome()


def _listed(hv: Hypervisor, domain: str) -> list[SnapshotInfo]:
    """The snapshots of ``domain``; none when it cannot be listed: the action then
    fails, and libvirt's error is its record."""
    try:
        return hv.list_snapshots(domain)
    except HypervisorCallError:
        return []
