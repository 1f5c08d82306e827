"""Modes, owners and symlinks (docs/RELIABILITY.md, "Permissions"): a new log is 0600
whatever the umask; a rewrite keeps the mode and the owner; a log reached through a
symlink is written through it and the symlink stays."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import invoke, is_root, listing
from worklog.store.logfile import SMALL_FILE

NOW = {"WORKLOG_NOW": "2026-11-26T18:00"}
PLAN = b"09:00 2026-11-26\nGTD\n0, 9:00\n\n1, today\n1), 9:30- check modes\n2), b\n"
DONE = PLAN.replace(b"1), 9:30- check modes\n", b"1), 9:30-18:00 check modes (done)\n")


def log_bytes(size: str) -> bytes:
    """``small``: replaced by rename; ``large``: edited in place (over SMALL_FILE)."""
    note = b"10:00 2026-11-20\nlab\n" + b"history line.\n" * 60 + b"\n"
    count = 1 if size == "small" else SMALL_FILE // len(note) + 5
    return b".LOG\n" + note * count + b"08:00 2026-11-25\nlab\ny.\n\n" + PLAN


@pytest.fixture
def umask_zero() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("umask_zero")
@pytest.mark.parametrize("args", [("add", "first words."), ("plan", "first item"),
                                  ("add", "--tags", "lab", "-")], ids=["add", "plan", "stdin"])
def test_a_new_log_is_0600_whatever_the_umask(tmp_path: Path, args: tuple[str, ...]) -> None:
    log = tmp_path / "new.LOG"
    result = invoke(["--file", str(log), *args], tmp_path, NOW, stdin=b"from stdin\n")
    assert result.code == 0, result.err
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert log.read_bytes().startswith(b".LOG\n18:00 2026-11-26\n")


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o2660])
def test_a_rewrite_keeps_mode_and_owner(tmp_path: Path, size: str, mode: int) -> None:
    log = tmp_path / "work.LOG"
    log.write_bytes(log_bytes(size))
    os.chmod(log, mode)
    owner = (4321, 8765) if is_root() else (os.getuid(), os.getgid())
    os.chown(log, *owner)
    inode = log.stat().st_ino
    result = invoke(["--file", str(log), "done", "1"], tmp_path, NOW)
    assert result.code == 0, result.err
    after = log.stat()
    assert (stat.S_IMODE(after.st_mode), (after.st_uid, after.st_gid)) == (mode, owner)
    assert log.read_bytes() == log_bytes(size).replace(PLAN, DONE)
    # The small log was replaced by a new file, the large one edited in place.
    assert (after.st_ino == inode) == (size == "large")
    assert listing(tmp_path) == ["work.LOG"]
    added = invoke(["--file", str(log), "add", "more."], tmp_path, NOW)
    assert added.code == 0
    assert stat.S_IMODE(log.stat().st_mode) == mode
    assert (log.stat().st_uid, log.stat().st_gid) == owner


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("chain", [1, 3])
def test_a_log_reached_through_symlinks(tmp_path: Path, size: str, chain: int) -> None:
    """Relative symlinks from another folder, one or a chain of three: `add`, `done` and
    `plan` write the real file (its temporary file or journal beside it) and every
    symlink stays a symlink."""
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    real = real_dir / "work.LOG"
    real.write_bytes(log_bytes(size))
    real.chmod(0o640)
    target: Path = real
    links: list[Path] = []
    for k in range(chain):
        link = link_dir / f"link{k}.LOG"
        link.symlink_to(os.path.relpath(target, link_dir))
        links.append(link)
        target = link
    entry = links[-1]
    steps = [("done", "1"), ("add", "a note."), ("plan", "another")]
    for args in steps:
        result = invoke(["--file", str(entry), *args], tmp_path, NOW)
        assert result.code == 0, (args, result.err)
    data = real.read_bytes()
    assert data.startswith(log_bytes(size).replace(PLAN, DONE))
    assert data.endswith(b"2), b\n3), another\n\n18:00 2026-11-26\na note.\n")
    assert all(link.is_symlink() for link in links)
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert listing(real_dir) == ["work.LOG"]
    assert listing(link_dir) == sorted(link.name for link in links)


def test_a_dangling_symlink_gets_its_file_created(tmp_path: Path) -> None:
    """`add` on a symlink whose file does not exist yet creates that file (0600); the
    symlink stays."""
    link = tmp_path / "work.LOG"
    link.symlink_to("Documents/work.LOG")
    (tmp_path / "Documents").mkdir()
    result = invoke(["--file", str(link), "add", "first."], tmp_path, NOW)
    assert result.code == 0, result.err
    real = tmp_path / "Documents" / "work.LOG"
    assert link.is_symlink()
    assert real.read_bytes() == b".LOG\n18:00 2026-11-26\nfirst.\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_a_dangling_symlink_into_a_missing_folder(tmp_path: Path) -> None:
    link = tmp_path / "work.LOG"
    link.symlink_to("Documents/work.LOG")
    result = invoke(["--file", str(link), "add", "first."], tmp_path, NOW)
    assert (result.code, result.err) == (4, f"worklog: {link}: its folder does not exist\n")
    assert link.is_symlink()
    assert listing(tmp_path) == ["work.LOG"]


def test_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.LOG").symlink_to("b.LOG")
    (tmp_path / "b.LOG").symlink_to("a.LOG")
    for args in (("add", "x."), ("show",)):
        result = invoke(["--file", str(tmp_path / "a.LOG"), *args], tmp_path, NOW)
        assert (result.code, result.err) == (
            4, f"worklog: {tmp_path / 'a.LOG'}: too many levels of symbolic links\n")
