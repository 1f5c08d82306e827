"""`change`: a risky command covered by snapshots, as one use case.

Every named domain is snapshotted (the `snap` use case, every disk), then the command
runs with its transcript (``worklog.capture.transcript``, as `worklog run`), then its
record is appended: a `run` record whose `for` is the task and whose `snapshots` field
refers to the snapshot records it is covered by (``see"STAMP" DOMAIN NAME``). When the
command fails, each domain is reverted to its new snapshot (the `revert` use case,
logged) if asked, else the `worklog revert` commands that would do it are returned. A
snapshot that fails stops everything before the command runs.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from worklog.capture.transcript import RunResult
from worklog.vm import actions
from worklog.vm.actions import Logged, Outcome, Services, SnapRequest, Target
from worklog.vm.base import ConnectError, Hypervisor
from worklog.vm.factory import Connections
from worklog.vm.tasks import find_task

#: Runs the command and gives what happened (the CLI's terminal handling inside).
RunCommand = Callable[[Sequence[str]], RunResult]
#: The command entry's text for a result and extra record fields (capture's record).
DescribeRun = Callable[[RunResult, Sequence[tuple[str, str]]], list[str]]


@dataclass(frozen=True)
class ChangeRequest:
    targets: tuple[Target, ...]
    command: tuple[str, ...]
    task: str | None = None  # N or STAMP; None: the item running
    revert_on_failure: bool = False


@dataclass(frozen=True)
class ChangeOutcome:
    """What `change` did: the snapshots, the command (None: it never ran) and the stamp
    of its record, the reverts (when asked and the command failed), and otherwise the
    revert commands that would undo the change."""

    snaps: Outcome
    run: RunResult | None = None
    run_stamp: str | None = None
    reverts: tuple[Logged, ...] = ()
    revert_commands: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """The command's exit code; 1 when a snapshot failed (the command never ran)."""
        return 1 if self.run is None else self.run.exit_code


def _covered_by(snaps: Outcome) -> str:
    return "; ".join(f'see"{item.stamp}" {item.result.domain} {item.result.name}'
                     for item in snaps.logged)


def revert_command(item: Logged, target: Target) -> str:
    """The `worklog revert` command that takes the domain back to the snapshot."""
    words = ["worklog", "revert", target.domain, item.result.name or ""]
    if target.uri:
        words += ["--connect", target.uri]
    return shlex.join(words)


class _KeptOpen:
    """A connection the use cases share: closing it is left to the shared pool."""

    def __init__(self, hv: Hypervisor) -> None:
        self._hv = hv

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hv, name)

    def close(self) -> None:
        return None


def change(request: ChangeRequest, services: Services, run: RunCommand,
           describe: DescribeRun) -> ChangeOutcome:
    """Snapshot, run, record, and on failure revert (or say how); one connection per
    URI for all of it, so the revert reaches the very snapshot made before."""
    with Connections(services.factory) as pool:

        def shared(uri: str | None) -> Hypervisor:
            got = pool.get(uri)
            if isinstance(got, ConnectError):
                raise got
            return cast(Hypervisor, _KeptOpen(got))

        return _change(request, replace(services, factory=shared), run, describe)


def _change(request: ChangeRequest, services: Services, run: RunCommand,
            describe: DescribeRun) -> ChangeOutcome:
    snaps = actions.snap(SnapRequest(request.targets, task=request.task), services)
    if snaps.failed or len(snaps.logged) != len(request.targets):
        return ChangeOutcome(snaps)
    task = find_task(services.log, request.task, services.clock().date(), services.day_first)
    result = run(request.command)
    extra = [("snapshots", _covered_by(snaps))]
    if task is not None:
        extra.append(("for", task))
    lines = describe(result, extra)
    appended = services.log.append([], lines, services.clock())
    if result.exit_code == 0:
        return ChangeOutcome(snaps, result, appended.stamp_text)
    pairs = list(zip(snaps.logged, request.targets, strict=True))
    if not request.revert_on_failure:
        commands = tuple(revert_command(item, target) for item, target in pairs)
        return ChangeOutcome(snaps, result, appended.stamp_text, revert_commands=commands)
    reverts: list[Logged] = []
    for item, target in pairs:
        done = actions.revert(target, item.result.name or "", services, task=request.task)
        reverts.extend(done.logged)
    return ChangeOutcome(snaps, result, appended.stamp_text, tuple(reverts))
