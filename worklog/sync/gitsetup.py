"""``worklog git-setup``: make git merge a log with ``worklog merge`` instead of by lines.

Two things, both written only when missing, so running it again changes nothing:
- the line ``*.LOG merge=worklog`` in the repository's ``.gitattributes`` (committed, it
  tells every clone which files the driver merges);
- the driver in the clone's configuration (``git config``, not committed: each clone
  runs it once): ``merge.worklog.driver = worklog merge %O %A %B`` and its name.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from worklog.errors import UsageError, WorklogError

PATTERN = "*.LOG"
DRIVER = "merge.worklog.driver"
DRIVER_COMMAND = "worklog merge %O %A %B"
NAME = "merge.worklog.name"
NAME_TEXT = "worklog: merge .LOG entries, never losing one"


@dataclass(frozen=True)
class SetupDone:
    repo: Path
    changed: list[str]  # what was written, as a person would say it
    kept: list[str]  # what was already there


def _git(repo: Path, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              check=False)
    except OSError as exc:
        raise WorklogError(f"git: cannot run it: {exc.strerror}") from exc
    if done.returncode not in ok:
        message = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise WorklogError(f"git {shlex.join(args)}: " + (message[0] if message else
                                                          f"exit {done.returncode}"))
    return done


def _top_level(repo: Path) -> Path:
    if not repo.is_dir():
        raise UsageError(f"REPO: {repo} is not a folder")
    done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--show-toplevel"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UsageError(f"REPO: {repo} is not in a git repository")
    return Path(done.stdout.strip())


def attribute_line(pattern: str) -> str:
    return f"{pattern} merge=worklog"


def _has_attribute(text: str, pattern: str) -> bool:
    return any(line.split()[:1] == [pattern] and "merge=worklog" in line.split()[1:]
               for line in text.splitlines())


def _write_attributes(top: Path, pattern: str) -> bool:
    path = top / ".gitattributes"
    try:
        data = path.read_bytes() if path.exists() else b""
    except OSError as exc:
        raise WorklogError(f"{path}: {exc.strerror}") from exc
    text = data.decode("utf-8", "surrogateescape")
    if _has_attribute(text, pattern):
        return False
    newline = "\r\n" if "\r\n" in text else "\n"
    gap = newline if text and not text.endswith(("\n", "\r")) else ""
    addition = (gap + attribute_line(pattern) + newline).encode("utf-8")
    try:
        with path.open("ab") as out:
            out.write(addition)
    except OSError as exc:
        raise WorklogError(f"{path}: {exc.strerror}") from exc
    return True


def git_setup(repo: Path, pattern: str = PATTERN) -> SetupDone:
    """Configure the repository at (or above) ``repo``; idempotent."""
    if not pattern.strip() or any(ch.isspace() for ch in pattern):
        raise UsageError(f"--pattern: {pattern!r} must be one gitattributes pattern")
    top = _top_level(repo)
    changed: list[str] = []
    kept: list[str] = []
    line = attribute_line(pattern)
    (changed if _write_attributes(top, pattern) else kept).append(
        f"{top / '.gitattributes'}: {line}")
    for key, value in ((DRIVER, DRIVER_COMMAND), (NAME, NAME_TEXT)):
        current = _git(top, "config", "--local", "--get", key, ok=(0, 1)).stdout.strip()
        if current == value:
            kept.append(f"git config {key} {shlex.quote(value)}")
            continue
        _git(top, "config", "--local", key, value)
        changed.append(f"git config {key} {shlex.quote(value)}")
    return SetupDone(top, changed, kept)
