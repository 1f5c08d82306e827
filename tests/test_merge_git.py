"""worklog merge as git's merge driver: two clones of one repository, `git pull` merging.

Real git, the driver configured by `worklog git-setup`, the installed `worklog` found on
PATH by git as a user's shell would find it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from worklog.format.check import check
from worklog.format.document import parse
from worklog.format.markers import OURS_MARK, SPLIT_MARK, THEIRS_MARK

BIN = Path(sys.executable).parent
LOG = "work.LOG"

BASE = (b".LOG\n"
        b"09:05 2026-11-24\nlab, move\nracks 3 and 4 go to building D.\n\n"
        b"11:52 2026-11-26\nGTD\n0, 8:50\n\n1, today\n"
        b"1), vmbackup: retention\n"
        b"2), release notes for vmbackup 0.4\n")


@dataclass
class Clone:
    path: Path
    env: Mapping[str, str]

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=self.path, env=self.env, capture_output=True,
                              text=True, check=check)

    def worklog(self, *args: str, now: str = "2026-11-26T12:00"
                ) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "WORKLOG_NOW": now}
        return subprocess.run(["worklog", "--file", str(self.log), *args], cwd=self.path,
                              env=env, capture_output=True, text=True, check=False)

    @property
    def log(self) -> Path:
        return self.path / LOG

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "WORKLOG"))}
    env.update(HOME=str(tmp / "home"), XDG_CONFIG_HOME=str(tmp / "home" / ".config"),
               GIT_CONFIG_NOSYSTEM="1", PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
               NO_COLOR="1")
    (tmp / "home").mkdir(exist_ok=True)
    return env


def _clone(tmp: Path, name: str, env: Mapping[str, str]) -> Clone:
    subprocess.run(["git", "clone", "-q", str(tmp / "origin.git"), str(tmp / name)],
                   env=env, check=True, capture_output=True)
    clone = Clone(tmp / name, env)
    clone.git("config", "user.name", f"Ann on {name}")
    clone.git("config", "user.email", f"ann@{name}.example")
    clone.git("config", "pull.rebase", "false")
    setup = subprocess.run(["worklog", "git-setup"], cwd=clone.path, env=env,
                           capture_output=True, text=True, check=False)
    assert setup.returncode == 0, setup.stderr
    return clone


def clones(tmp: Path, content: bytes) -> tuple[Clone, Clone]:
    """A repository holding ``content`` as work.LOG, cloned twice, the driver set up in
    each clone by git-setup (the second finds the attribute committed by the first)."""
    env = _env(tmp)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(tmp / "origin.git")],
                   env=env, check=True)
    laptop = _clone(tmp, "laptop", env)
    laptop.log.write_bytes(content)
    laptop.commit("the log")
    laptop.git("push", "-q", "origin", "main")
    desktop = _clone(tmp, "desktop", env)
    return laptop, desktop


def diverge(laptop: Clone, desktop: Clone, mine: bytes, theirs: bytes
            ) -> subprocess.CompletedProcess[str]:
    """The laptop pushes ``theirs``; the desktop commits ``mine`` and pulls."""
    laptop.log.write_bytes(theirs)
    laptop.commit("laptop")
    laptop.git("push", "-q", "origin", "main")
    desktop.log.write_bytes(mine)
    desktop.commit("desktop")
    return desktop.git("pull", "--no-edit", "origin", "main", check=False)


def test_git_setup_writes_the_attribute_and_driver_once(tmp_path: Path) -> None:
    laptop, _ = clones(tmp_path, BASE)
    assert (laptop.path / ".gitattributes").read_text() == "*.LOG merge=worklog\n"
    assert laptop.git("config", "merge.worklog.driver").stdout == "worklog merge %O %A %B\n"
    assert laptop.git("config", "merge.worklog.name").stdout.strip()
    again = subprocess.run(["worklog", "git-setup", str(laptop.path)], cwd=tmp_path,
                           env=laptop.env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert "nothing to change" in again.stderr
    assert (laptop.path / ".gitattributes").read_text() == "*.LOG merge=worklog\n"
    assert laptop.git("config", "--get-all", "merge.worklog.driver").stdout.count("\n") == 1


def test_git_setup_outside_a_repository_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path)
    done = subprocess.run(["worklog", "git-setup", str(tmp_path)], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "not in a git repository" in done.stderr
    assert not (tmp_path / ".gitattributes").exists()


def test_appends_on_both_sides_merge_in_stamp_order(tmp_path: Path) -> None:
    laptop, desktop = clones(tmp_path, BASE)
    ours = BASE + b"\n12:10 2026-11-26\ndesktop note at 12:10\n\n14:00 2026-11-26\nat 14:00\n"
    theirs = BASE + b"\n13:30 2026-11-26\nlaptop, kvm\nlaptop note at 13:30\n"
    pulled = diverge(laptop, desktop, ours, theirs)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert desktop.log.read_bytes() == (
        BASE + b"\n12:10 2026-11-26\ndesktop note at 12:10\n"
        b"\n13:30 2026-11-26\nlaptop, kvm\nlaptop note at 13:30\n"
        b"\n14:00 2026-11-26\nat 14:00\n")
    assert desktop.git("status", "--porcelain").stdout == ""


def test_plan_edited_on_one_side_entries_added_on_the_other(tmp_path: Path) -> None:
    laptop, desktop = clones(tmp_path, BASE)
    started = laptop.worklog("start", "1", now="2026-11-26T12:05")
    assert started.returncode == 0, started.stderr
    theirs = laptop.log.read_bytes()
    assert b"1), 12:05- vmbackup" in theirs
    laptop.commit("start 1")
    laptop.git("push", "-q", "origin", "main")
    added = desktop.worklog("add", "--tags", "lab", "UPS replaced", now="2026-11-26T12:30")
    assert added.returncode == 0, added.stderr
    desktop.commit("a note")
    pulled = desktop.git("pull", "--no-edit", "origin", "main", check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    merged = desktop.log.read_bytes()
    assert merged == theirs + b"\n12:30 2026-11-26\nlab\nUPS replaced\n"
    today = desktop.worklog("today", "--json")
    assert '"running"' in today.stdout
    assert '"n": 1' in today.stdout


def test_same_plan_edited_on_both_sides_is_a_conflict_that_parses(tmp_path: Path) -> None:
    laptop, desktop = clones(tmp_path, BASE)
    theirs = BASE.replace(b"1), vmbackup: retention", b"1), 10:00-11:00 vmbackup: retention")
    ours = BASE.replace(b"2), release notes for vmbackup 0.4",
                        b"2), release notes for vmbackup 0.4 (done)")
    pulled = diverge(laptop, desktop, ours, theirs)
    assert pulled.returncode != 0
    assert "CONFLICT" in pulled.stdout
    merged = desktop.log.read_bytes()
    doc = parse(merged)
    assert [e.stamp.text for e in doc.entries] == ["09:05 2026-11-24", "11:52 2026-11-26"]
    plan = doc.entries[1].source
    assert plan == ("11:52 2026-11-26\n" + OURS_MARK + "\nGTD\n0, 8:50\n\n1, today\n"
                    "1), vmbackup: retention\n2), release notes for vmbackup 0.4 (done)\n"
                    + SPLIT_MARK + "\nGTD\n0, 8:50\n\n1, today\n"
                    "1), 10:00-11:00 vmbackup: retention\n2), release notes for vmbackup 0.4\n"
                    + THEIRS_MARK + "\n")
    assert [p.code for p in check(doc)] == ["conflict"] * 3
    checked = desktop.worklog("check")
    assert checked.returncode == 1
    assert f"{desktop.log}:7:" in checked.stdout
    assert "[conflict]" in checked.stdout
    for name, data in (("b.LOG", BASE), ("o.LOG", ours), ("t.LOG", theirs)):
        (tmp_path / name).write_bytes(data)
    direct = subprocess.run(["worklog", "merge", "b.LOG", "o.LOG", "t.LOG"], cwd=tmp_path,
                            env=desktop.env, capture_output=True, text=True, check=False)
    assert direct.returncode == 1, direct.stderr
    assert "o.LOG:6: both copies changed the entry 11:52 2026-11-26" in direct.stdout
    assert (tmp_path / "o.LOG").read_bytes() == merged


def test_old_entry_fixed_on_one_side(tmp_path: Path) -> None:
    laptop, desktop = clones(tmp_path, BASE)
    theirs = BASE.replace(b"racks 3 and 4", b"racks 3, 4 and 5")
    ours = BASE + b"\n12:40 2026-11-26\nlunch with Marta\n"
    pulled = diverge(laptop, desktop, ours, theirs)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert desktop.log.read_bytes() == theirs + b"\n12:40 2026-11-26\nlunch with Marta\n"


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", b"\xff\xfe"), ("cp1252", b"")])
def test_encoding_and_line_breaks_are_kept(tmp_path: Path, encoding: str, bom: bytes) -> None:
    def enc(text: str) -> bytes:
        return text.replace("\n", "\r\n").encode(encoding)

    base = BASE.decode() + "\n12:00 2026-11-26\nGrüße an Jürgen\n"
    laptop, desktop = clones(tmp_path, bom + enc(base))
    theirs = base.replace("Jürgen", "Jürgen und Zoë") + "\n13:00 2026-11-26\nCafé à 13h\n"
    ours = base + "\n12:30 2026-11-26\nnaïve fix, 5 €\n"
    pulled = diverge(laptop, desktop, bom + enc(ours), bom + enc(theirs))
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    expected = (base.replace("Jürgen", "Jürgen und Zoë") + "\n12:30 2026-11-26\nnaïve fix, 5 €\n"
                "\n13:00 2026-11-26\nCafé à 13h\n")
    assert desktop.log.read_bytes() == bom + enc(expected)
