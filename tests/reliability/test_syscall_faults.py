"""One system call fails, every other one is real: each write path of worklog run under
``strace -f -e inject=SYSCALL:error=ERRNO:when=N`` (docs/RELIABILITY.md, "One failing
system call").

For each path (``add``, ``email``, ``run`` and ``snap`` appends; a plan edit of a small
log, replaced by rename, and ``merge`` of another copy, written the same way; a plan
edit of a log over 4 MiB, in place under the undo journal) the steps it makes on the
log, its temporary file, its journal and its folder are listed below in order
(``test_each_path_makes_the_steps_listed`` checks them against a trace of a real run).
Each step then fails in turn, once with each error it can give, in a real
``python -m worklog`` process, and the test asserts:

- the log is the old version or the new one, byte for byte (the new one as an
  undisturbed run writes it; durations aside);
- nothing but the log is left in its folder (no temporary file, no journal);
- the exit code and the one line say which: 4 and the error (nothing changed), 6 and
  "written, but the system could not confirm it is on disk" (an fsync after the new
  bytes are in place failed), or 0 (``EINTR``, which Python retries; a folder's fsync
  that the file system does not support).

Skipped, saying why, where strace is missing or ptrace is not allowed.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.conftest import WORKLOG, child_env, invoke, large_log
from worklog.store.fs import TMP_MARK
from worklog.store.undo_journal import JOURNAL_MARK

NOW = "2026-11-26T10:00"
PLAN = b"09:00 2026-11-26\nGTD\n0, 9:00\n\n1, today\n1), write the tests\n2), review\n"
SMALL = b".LOG\n08:00 2026-11-25\nlab\nyesterday.\n\n" + PLAN
#: The other copy of the log for ``merge``: the same history and one entry more.
THEIRS = SMALL + b"\n10:30 2026-11-26\nlab\nwritten on the laptop.\n"
MAIL = (b"From: ann@example.org\nTo: bob@example.org\nSubject: the lab\n"
        b"Date: Thu, 26 Nov 2026 09:00:00 +0000\n\nthe lab is back.\n")
TRACED = ("flock", "write", "pwrite64", "fsync", "fdatasync", "rename", "renameat",
          "renameat2", "ftruncate", "unlink", "unlinkat")
UNCONFIRMED = ("written, but the system could not confirm it is on disk ({}); look at the "
               "log before running the command again")


@dataclass(frozen=True)
class Step:
    """One system call of a write path: ``syscall`` on ``target`` (the log, its temporary
    file or journal, or its folder), the ``k``-th such; ``after`` when it comes after the
    new bytes are in place (its failure cannot mean "nothing changed")."""

    syscall: str
    target: str
    k: int = 1
    after: bool = False

    @property
    def name(self) -> str:
        return f"{self.syscall}-{self.target}" + (f"#{self.k}" if self.k > 1 else "")

    def errors(self) -> tuple[str, ...]:
        """The faults injected into this step."""
        if self.syscall == "flock":
            return ("EINTR", "ENOLCK")
        if self.syscall == "rename":
            return ("EXDEV", "EIO")
        if self.syscall in ("ftruncate", "unlink"):
            return ("EIO",)
        if self.syscall == "fsync" and self.target == "folder":
            return ("EIO", "EINVAL", "EINTR")
        return ("ENOSPC", "EIO", "EINTR")  # write, pwrite64, fsync of a file


APPEND = (Step("flock", "log"), Step("write", "log"), Step("fsync", "log", after=True))


@dataclass(frozen=True)
class WritePath:
    name: str
    args: tuple[str, ...]
    old: Callable[[], bytes]
    steps: tuple[Step, ...]
    needs_libvirt: bool = False


PATHS = (
    WritePath("add", ("add", "--tags", "lab", "the lab is back."), lambda: SMALL, APPEND),
    WritePath("email", ("email", "MAIL"), lambda: SMALL, APPEND),
    WritePath("run", ("run", "--", "true"), lambda: SMALL, APPEND),
    WritePath("snap", ("snap", "test", "--connect", "test:///default", "--internal",
                       "--name", "before-tests"), lambda: SMALL, APPEND, needs_libvirt=True),
    WritePath("small-edit", ("start", "1"), lambda: SMALL, (
        Step("flock", "log"), Step("write", "temporary"), Step("fsync", "temporary"),
        Step("rename", "log"), Step("fsync", "folder", after=True))),
    WritePath("merge", ("merge", "LOG", "THEIRS"), lambda: SMALL, (
        Step("flock", "log"), Step("write", "temporary"), Step("fsync", "temporary"),
        Step("rename", "log"), Step("fsync", "folder", after=True))),
    WritePath("large-edit", ("start", "1"), functools.cache(lambda: large_log(plan=PLAN)), (
        Step("flock", "log"), Step("write", "journal"), Step("fsync", "journal"),
        Step("fsync", "folder"), Step("pwrite64", "log"), Step("ftruncate", "log"),
        Step("fsync", "log"), Step("unlink", "journal"),
        Step("fsync", "folder", 2, after=True))),
)


# --- running worklog under strace -------------------------------------------------------


@functools.cache
def _strace_problem() -> str | None:
    """Why strace cannot be used here, or None."""
    strace = shutil.which("strace")
    if strace is None:
        return "strace is not installed (scripts/bootstrap installs it with the test extras)"
    probe = subprocess.run([strace, "-f", "-o", "/dev/null", "-e", "inject=getpid:error=EIO",
                            "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"strace cannot trace here (ptrace not allowed?): {probe.stderr.strip()}"
    return None


@pytest.fixture(scope="module")
def strace() -> str:
    problem = _strace_problem()
    if problem:
        pytest.skip(problem)
    found = shutil.which("strace")
    assert found
    return found


@dataclass(frozen=True)
class Outcome:
    code: int
    err: str
    data: bytes
    left: list[str]  # what is in the log's folder besides the log
    root: Path

    def same(self) -> tuple[int, bytes, bytes, list[str]]:
        """What two undisturbed runs in different folders share: durations, libvirt's
        creation times (in a record's `xml`) and the folder aside."""
        return (self.code, self._plain(self.err.encode()), self._plain(self.data), self.left)

    def _plain(self, text: bytes) -> bytes:
        text = re.sub(rb"<creationTime>\d+</creationTime>", b"<creationTime>T</creationTime>", text)
        return re.sub(rb"\b\d+\.\d\d s\b", b"D s", text.replace(bytes(self.root), b"ROOT"))


class Rig:
    """A folder with the log alone in it, and worklog run on it under strace."""

    def __init__(self, root: Path, path: WritePath, strace: str) -> None:
        self.root, self.path, self.strace = root, path, strace
        self.home = root / "home"
        self.folder = root / "log"
        self.log = self.folder / "work.LOG"
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "mail.eml").write_bytes(MAIL)
        (self.home / "theirs.LOG").write_bytes(THEIRS)
        self.env = child_env(self.home, WORKLOG_NOW=NOW, PYTHONDONTWRITEBYTECODE="1")

    def run(self, strace_args: list[str]) -> Outcome:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir()
        self.log.write_bytes(self.path.old())
        files = {"MAIL": self.home / "mail.eml", "THEIRS": self.home / "theirs.LOG",
                 "LOG": self.log}
        args = [str(files[a]) if a in files else a for a in self.path.args]
        done = subprocess.run(
            [self.strace, "-f", "-qq", *strace_args, *WORKLOG, "--file", str(self.log), *args],
            env=self.env, cwd=self.home, capture_output=True, check=False, timeout=60)
        left = sorted(p.name for p in self.folder.iterdir() if p != self.log)
        data = self.log.read_bytes() if self.log.exists() else b""
        return Outcome(done.returncode, done.stderr.decode(errors="replace"), data, left,
                       self.root)

    def trace(self) -> tuple[Outcome, list[tuple[str, int, str | None]]]:
        """An undisturbed run, traced: its outcome and, in order, each traced call of
        the worklog process as (syscall, its invocation number, its target or None)."""
        out = self.folder.parent / "trace"
        outcome = self.run(["-ff", "-y", "-o", str(out), "-e", f"trace={','.join(TRACED)}"])
        calls: list[tuple[str, int, str | None]] = []
        for file in sorted(out.parent.glob("trace.*")):
            these = _parse_trace(file.read_text(errors="replace"), self)
            file.unlink()
            if any(target for _, _, target in these):
                assert not calls, "two processes wrote to the log"
                calls = these
        return outcome, calls

    def target(self, path: str) -> str | None:
        if path == str(self.log):
            return "log"
        if path == str(self.folder):
            return "folder"
        name = os.path.basename(path)
        if os.path.dirname(path) == str(self.folder) and TMP_MARK in name:
            return "temporary"
        if os.path.dirname(path) == str(self.folder) and name.endswith(JOURNAL_MARK):
            return "journal"
        return None


_CALL = re.compile(r"^(\w+)\((.*)\) += (-?\d+)")
_FD_PATH = re.compile(r"^\d+<([^>]*)>")


def _parse_trace(text: str, rig: Rig) -> list[tuple[str, int, str | None]]:
    counts: dict[str, int] = {}
    calls: list[tuple[str, int, str | None]] = []
    for line in text.splitlines():
        match = _CALL.match(line)
        if not match:
            continue
        syscall, args = match.group(1), match.group(2)
        counts[syscall] = counts.get(syscall, 0) + 1
        fd_path = _FD_PATH.match(args)
        paths = [fd_path.group(1)] if fd_path else re.findall(r'"([^"]*)"', args)
        target = rig.target(paths[-1]) if paths else None
        calls.append((syscall, counts[syscall], target))
    return calls


@dataclass(frozen=True)
class Reference:
    """What an undisturbed run does: its outcome and the invocation number of each step."""

    new: Outcome
    nth: dict[tuple[str, str, int], int]  # (syscall, target, k) -> invocation number
    relevant: list[tuple[str, str]]

    def of(self, step: Step) -> int:
        return self.nth[step.syscall, step.target, step.k]


@functools.cache
def _reference(path: WritePath, root: Path, strace: str) -> Reference:
    rig = Rig(root, path, strace)
    new, calls = rig.trace()
    assert new.code == 0, new.err
    nth: dict[tuple[str, str, int], int] = {}
    seen: dict[tuple[str, str], int] = {}
    relevant: list[tuple[str, str]] = []
    for syscall, number, target in calls:
        if target is None:
            continue
        relevant.append((syscall, target))
        seen[syscall, target] = seen.get((syscall, target), 0) + 1
        nth[syscall, target, seen[syscall, target]] = number
    return Reference(new, nth, relevant)


@pytest.fixture(scope="module")
def reference(
    strace: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[WritePath], Reference]:
    root = tmp_path_factory.mktemp("reference")

    def get(path: WritePath) -> Reference:
        if path.needs_libvirt:
            pytest.importorskip("libvirt", reason="libvirt-python is not installed")
        return _reference(path, root / path.name, strace)

    return get


# --- the tests --------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_each_path_makes_the_steps_listed(
    path: WritePath, reference: Callable[[WritePath], Reference]
) -> None:
    """The matrix covers every call a write path makes on the log, its temporary file,
    its journal and its folder, in the order listed (a new step must be added to it)."""
    ref = reference(path)
    expected = [(s.syscall, s.target) for s in path.steps]
    assert ref.relevant == expected
    assert ref.new.left == []
    assert ref.new.data != path.old()


def _cases() -> list[object]:
    return [pytest.param(path, step, name, id=f"{path.name}-{step.name}-{name}")
            for path in PATHS for step in path.steps for name in step.errors()]


def _reason(name: str) -> str:
    text = os.strerror(getattr(errno, name))
    return text[:1].lower() + text[1:]


@pytest.mark.parametrize(("path", "step", "error"), _cases())
def test_one_failing_call(
    path: WritePath, step: Step, error: str, reference: Callable[[WritePath], Reference],
    tmp_path: Path, strace: str,
) -> None:
    ref = reference(path)
    nth = ref.of(step)
    rig = Rig(tmp_path, path, strace)
    got = rig.run(["-o", "/dev/null", "-e", f"trace={step.syscall}",
                   "-e", f"inject={step.syscall}:error={error}:when={nth}"])
    assert got.left == [], got
    log = str(rig.log)
    if error == "EINTR" or (error == "EINVAL" and step.target == "folder"):
        # Retried (PEP 475), or a file system that does not sync folders: done.
        assert got.same() == ref.new.same()
        return
    lines = got.err.splitlines()
    assert len(lines) == 1, got.err
    if step.after:
        assert got.code == 6, got
        assert lines[0] == f"worklog: {log}: {UNCONFIRMED.format(_reason(error))}"
        assert got.same()[2] == ref.new.same()[2]
    else:
        assert got.code == 4, got
        assert lines[0].startswith(f"worklog: {log}: {_reason(error)}"), lines[0]
        assert got.data == path.old()


@pytest.mark.parametrize("error", ["EINVAL", "EOPNOTSUPP"])  # ENOTSUP on Linux
def test_a_folder_that_cannot_be_synced_is_the_same_for_small_and_large_edits(
    error: str, reference: Callable[[WritePath], Reference], tmp_path: Path, strace: str,
) -> None:
    """Every fsync of the log's folder answers that the file system cannot sync folders:
    the small edit (rename) and the large one (undo journal) both go through, exit 0."""
    for path in (p for p in PATHS if p.name.endswith("-edit")):
        ref = reference(path)
        syncs = [ref.of(s) for s in path.steps if s.syscall == "fsync"]
        folder = [ref.of(s) for s in path.steps if s.syscall == "fsync" and s.target == "folder"]
        # Exactly the folder's fsyncs: every other one from the first to the last of them.
        when = str(folder[0]) if len(folder) == 1 else f"{folder[0]}..{folder[-1]}+2"
        assert folder == syncs[syncs.index(folder[0]) :: 2], path.name
        rig = Rig(tmp_path / path.name, path, strace)
        got = rig.run(["-o", "/dev/null", "-e", "trace=fsync",
                       "-e", f"inject=fsync:error={error}:when={when}"])
        assert got.same() == ref.new.same(), path.name


@pytest.mark.parametrize("error", [errno.EINVAL, errno.ENOTSUP, errno.EIO],
                         ids=["EINVAL", "ENOTSUP", "EIO"])
def test_the_folder_sync_policy_in_process(
    error: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same policy where strace cannot run: ``os.fsync`` of any folder fails with
    ``error``. Unsupported (EINVAL, ENOTSUP): both edits are done, exit 0. EIO: the small
    edit is written but not confirmed (exit 6); the large one fails at the folder sync
    after its journal, before the log is touched (exit 4, old version, no journal)."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(error, os.strerror(error))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    for name, old in (("small", SMALL), ("large", large_log(plan=PLAN))):
        folder = tmp_path / name
        folder.mkdir()
        log = folder / "work.LOG"
        log.write_bytes(old)
        result = invoke(["--file", str(log), "start", "1"], tmp_path, {"WORKLOG_NOW": NOW})
        assert [p.name for p in folder.iterdir()] == ["work.LOG"]
        changed = log.read_bytes() != old
        if error != errno.EIO:
            assert (result.code, changed) == (0, True), (name, result)
            assert result.err == "item 1 (write the tests): started at 10:00\n"
        elif name == "small":
            assert (result.code, changed) == (6, True), result
            assert result.err == f"worklog: {log}: {UNCONFIRMED.format(_reason('EIO'))}\n"
        else:
            assert (result.code, changed) == (4, False), result
            assert result.err == f"worklog: {log}: input/output error\n"
