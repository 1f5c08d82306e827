"""`worklog prune`: a retention policy (worklog.vm.retention) applied to worklog's own
snapshots, each deletion logged with the space it freed.

Before anything is deleted: the snapshots are listed (listing changes nothing), the
policy decides, the snapshots serving a task still open in the log are kept, every
deletion passes preflight (worklog.vm.preflight), and every record the deletions will
write is known to fit the log. A dry run only says what the policy chose.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from worklog.history.timeline import Timeline, log_timeline
from worklog.vm.base import (
    ActionResult,
    ConnectError,
    DomainDiskInfo,
    Hypervisor,
    HypervisorCallError,
    SnapshotInfo,
)
from worklog.vm.factory import Connections
from worklog.vm.preflight import check_change, check_merge_space, merge_chains
from worklog.vm.records import connect_failure, listing_failure, refusal
from worklog.vm.retention import Decision, Policy, decide
from worklog.vm.tasks import split_description, task_is_open
from worklog.vm.usecase import (
    Extra,
    Outcome,
    Services,
    Target,
    _check_records,
    _planned,
    _prepare,
    _Recorder,
    host_of,
)


@dataclass(frozen=True)
class PruneRequest:
    """`prune`: each target's worklog snapshots under ``policy``; ``dry_run`` deletes
    and logs nothing; ``task``: what the deletions served (None: the item running)."""

    targets: tuple[Target, ...]
    policy: Policy
    dry_run: bool = False
    task: str | None = None


@dataclass(frozen=True)
class PrunePlan:
    """What the policy chose for one domain (its worklog snapshots, newest first);
    ``error``: the domain's snapshots could not be listed (or connected to)."""

    domain: str
    uri: str
    decisions: tuple[Decision, ...]
    error: str | None = None


@dataclass(frozen=True)
class PruneOutcome:
    outcome: Outcome
    plans: tuple[PrunePlan, ...]


def prune(request: PruneRequest, services: Services) -> PruneOutcome:
    """Apply the policy to each target (a dry run only decides)."""
    if request.policy.is_empty():
        raise ValueError("no retention rule given")
    extra = request.policy.fields()
    task: str | None = None
    if not request.dry_run:
        task = _prepare(services, "snap-prune", [t.domain for t in request.targets], request.task)
        planned = [
            (ActionResult("snap-prune", t.domain, t.uri or "", None, ok=True), extra)
            for t in request.targets
        ]
        _check_records(services, "snap-prune", planned, task)
    recorder = _Recorder(services)
    plans: list[PrunePlan] = []
    with Connections(services.factory) as conns, log_timeline(services.log) as timeline:
        for target in request.targets:
            hv = conns.get(target.uri)
            if isinstance(hv, ConnectError):
                plans.append(PrunePlan(target.domain, hv.uri, (), hv.plain_error or str(hv)))
                if not request.dry_run:
                    failure = connect_failure("snap-prune", target.domain, None, hv, None)
                    recorder.record(failure, task, extra, unreachable=True)
                continue
            job = _Job(services, recorder, hv, target.domain, task, extra)
            plans.append(job.run(request.policy, timeline, dry_run=request.dry_run))
    return PruneOutcome(recorder.outcome(), tuple(plans))


def open_task_of(timeline: Timeline | None, info: SnapshotInfo) -> bool:
    """The snapshot serves a task still open in the log (its description's `for:`)."""
    if timeline is None:
        return False
    return task_is_open(timeline, split_description(info.description)[1])


@dataclass
class _Job:
    """Pruning one domain: list, decide, check, delete."""

    services: Services
    recorder: _Recorder
    hv: Hypervisor
    domain: str
    task: str | None
    extra: Extra

    def run(
        self,
        policy: Policy,
        timeline: Timeline | None,
        *,
        dry_run: bool = False,
        just_made: str | None = None,
    ) -> PrunePlan:
        try:
            infos = self.hv.list_snapshots(self.domain)
        except HypervisorCallError as exc:
            if not dry_run:
                failure = listing_failure(self.domain, self.hv.uri, exc)
                self.recorder.record(failure, self.task, self.extra)
            return PrunePlan(self.domain, self.hv.uri, (), exc.plain_error or exc.message)
        decisions = decide(
            infos,
            policy,
            protected=lambda info: open_task_of(timeline, info),
            always_keep=[just_made] if just_made else [],
        )
        plan = PrunePlan(self.domain, self.hv.uri, tuple(decisions))
        if not dry_run:
            self._delete(infos, [d.info for d in reversed(decisions) if not d.keep])
        return plan

    def _delete(self, infos: list[SnapshotInfo], doomed: list[SnapshotInfo]) -> None:
        """Oldest first; each refused by preflight or deleted, one record each."""
        if not doomed:
            return
        host = host_of(self.hv)
        planned = [(_planned("snap-prune", self.hv.uri, info), self.extra) for info in doomed]
        _check_records(self.services, "snap-prune", planned, self.task, self.recorder.logged)
        disks: list[DomainDiskInfo] | None = None
        for info in doomed:
            refused = check_change("snap-prune", info, infos, host)
            if refused is None and info.kind == "external":
                disks = merge_chains(self.hv, self.domain) if disks is None else disks
                refused = check_merge_space(info, disks, self.hv.free_space,
                                            self.hv.allocated)
            if refused is not None:
                result = refusal(_planned("snap-prune", self.hv.uri, info), refused)
            else:
                result = replace(self.hv.delete(self.domain, info.name), action="snap-prune")
                infos = [i for i in infos if i.name != info.name or not result.ok]
                disks = None  # a merge changed the chains
            self.recorder.record(replace(result, host=host), self.task, self.extra)


def prune_after_snap(
    services: Services,
    recorder: _Recorder,
    hv: Hypervisor,
    domain: str,
    keep: int,
    just_made: str | None,
    task: str | None,
) -> None:
    """`snap --keep K`: `prune --keep-last K` of the domain, never the snapshot just made;
    its records say `keep: K`."""
    job = _Job(services, recorder, hv, domain, task, (("keep", str(keep)),))
    with log_timeline(services.log) as timeline:
        job.run(Policy(last=keep), timeline, just_made=just_made)
