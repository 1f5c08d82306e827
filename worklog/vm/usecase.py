"""What every VM use case shares: the services it works with, what it returns, and the
rule that the log must be able to take a record before a hypervisor is asked anything.

Every action leaves a trace: before a hypervisor is asked for anything, the log must be
able to take the record (a file, or one that can be created; every text of the record in
its encoding, decided by the log file, with certainty); then each result is appended as
soon as it is known, failed or not.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from worklog.errors import LogFileError
from worklog.store.logfile import LogFile
from worklog.vm.base import (
    Action,
    ActionResult,
    HostInfo,
    Hypervisor,
    HypervisorCallError,
    SnapshotInfo,
)
from worklog.vm.factory import Factory
from worklog.vm.records import record_lines, snapshot_tags
from worklog.vm.tasks import find_task

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




def host_of(hv: Hypervisor) -> HostInfo | None:
    """The host's versions for the records; None when they cannot be read."""
    try:
        return hv.host_info()
    except HypervisorCallError:
        return None
