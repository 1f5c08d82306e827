"""Realistic logs of any size in the seed's style, and the equivalent jrnl journal.

Deterministic: the same size and seed give the same bytes. A working day holds a GTD
plan with worked ranges and a cross-reference, pasted e-mails, TODO notes with shell
transcripts, and the records ``worklog snap`` and ``worklog run`` write; the history
ends on the day before ``END`` so that ``worklog today`` on ``END`` carries items over.

    python -m bench.gen_log OUT.LOG 100MB [--jrnl OUT.txt] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.common import parse_size

END = date(2026, 11, 26)

_TASKS = (
    "xl snapshot coding", "review libvirt patch for external snapshot revert",
    "fix qcow2 backing chain in test rig", "write release notes for kvm package",
    "bisect migration failure on SLES guest", "update virt-manager packaging",
    "answer Bruce about qemu-kvm rename", "benchmark virtio-blk vs virtio-scsi",
    "clean up stale test domains", "port vm-snapshot-disk to libvirt API",
    "triage bug reports from QA", "rebase qemu patches on 8.2",
)
_PEOPLE = (
    '"Olaf Kirch"', '""Bruce Rogers" <brogers@example.com>"', '"Lin Ma"',
    '""Anna Schmidt" <anna@example.org>"', '"Roger Zhou"',
)
_SUBJECTS = (
    "[opensuse-virtual] Proposed KVM related packaging changes", "devel] Welcome to the team",
    "Re: snapshot tests failing on raw disks", "qemu 8.2 rebase status",
    "Fwd: libvirt 9.9 released", "Re: [PATCH] vm-snapshot-disk: support qcow2",
)
_WORDS = (
    "the", "domain", "snapshot", "disk", "qemu", "libvirt", "package", "guest", "image",
    "we", "should", "patch", "test", "kernel", "module", "migration", "backing", "chain",
    "revert", "external", "internal", "virtio", "block", "job", "agent", "quiesce", "and",
    "to", "of", "for", "it", "works", "now", "after", "before", "release", "build",
)
_COMMANDS = (
    ("rpm -ql virt-utils", ["/usr/bin/vm-snapshot-disk"]),
    ("virsh snapshot-list sles12", [" Name   Creation Time   State", "----------------",
                                    " pre-upgrade   2014-02-11 10:40:01 +0800   running"]),
    ("qemu-img info /var/lib/libvirt/images/sles12.qcow2",
     ["image: sles12.qcow2", "file format: qcow2", "virtual size: 20 GiB"]),
    ("git log --oneline -3", ["a1b2c3d snapshot: handle raw disks", "d4e5f6a fix typo",
                              "0a1b2c3 tests: add qcow2 case"]),
)


@dataclass(frozen=True)
class Entry:
    when: datetime
    tags: str
    body: list[str]


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[:1].upper() + text[1:] + "."


def _paragraph(rng: random.Random, lines: int) -> list[str]:
    return [_sentence(rng, rng.randint(6, 12)) for _ in range(lines)]


def _stamp(when: datetime) -> str:
    return when.strftime("%H:%M %Y-%m-%d")


def _hm(when: datetime) -> str:
    return f"{when.hour}:{when.minute:02d}"


def _day(rng: random.Random, day: date) -> Iterator[Entry]:
    start = datetime.combine(day, datetime.min.time()) + timedelta(
        hours=8, minutes=rng.randint(30, 90))
    clock = start + timedelta(minutes=rng.randint(5, 25))
    note_time = clock + timedelta(minutes=1)
    items = rng.sample(_TASKS, rng.randint(2, 5))
    plan = ["0, " + _hm(start), "", "1, today"]
    for n, task in enumerate(items, 1):
        line = f"{n}), "
        if rng.random() < 0.6:
            a = clock + timedelta(minutes=rng.randint(5, 60))
            b = a + timedelta(minutes=rng.randint(20, 120))
            line += f"{_hm(a)}-{_hm(b)} "
        line += task + "."
        if n == 1:
            line += f' see"{_stamp(note_time)}"'
        if rng.random() < 0.4:
            line += " (done)"
        plan.append(line)
    yield Entry(clock, "GTD", plan)
    plan_time = clock
    note_body = ["1, TODO", _sentence(rng, 5)]
    command, output = rng.choice(_COMMANDS)
    note_body += [f"bamvor@laptop-work:log> {command}", *output, "", _sentence(rng, 8), "",
                  "2, " + rng.choice(_TASKS) + ": " + _sentence(rng, 6), "not test yet."]
    yield Entry(note_time, "", note_body)
    clock = note_time
    # Mailing-list traffic pasted in whole, quoted threads included: ten years of such
    # days make the 100 MB a long-time user has.
    for _ in range(rng.randint(6, 12)):
        clock += timedelta(minutes=rng.randint(1, 40))
        sender, subject = rng.choice(_PEOPLE), rng.choice(_SUBJECTS)
        stamp = (clock - timedelta(hours=rng.randint(1, 20))).strftime("_%Y%m%d_%H%M")
        header = f'{sender}_email_"{subject}"' + (stamp if rng.random() < 0.7 else "")
        body = [header, "All,", ""]
        for _ in range(rng.randint(3, 9)):
            body += [*_paragraph(rng, rng.randint(3, 8)), ""]
        body += ["Thanks,", "", sender.strip('"').split('"')[0] or "Bruce"]
        if rng.random() < 0.7:
            body += ["", "On an earlier day, someone wrote:"]
            body += ["> " + line for line in _paragraph(rng, rng.randint(15, 60))]
        yield Entry(clock, rng.choice(("company, colleague", "virtualization, kvm, package",
                                       "libvirt, snapshot")), body)
    clock += timedelta(minutes=rng.randint(10, 60))
    domain = rng.choice(("sles12", "web01", "build-vm", "win10-test"))
    name = f"{domain}-{clock:%Y%m%d-%H%M%S}"
    ok = rng.random() < 0.85
    record = [f"worklog snap {domain}: {'ok' if ok else 'failed'}, internal snapshot {name}",
              f"result: {'ok' if ok else 'failed'}", f"domain: {domain}", f"name: {name}",
              "kind: internal", f"disks: vda /var/lib/libvirt/images/{domain}.qcow2",
              "duration: 0.05 s", "uri: qemu:///system", f'for: see"{_stamp(plan_time)}" item 1']
    if not ok:
        record += ["error: domain is not running (VIR_ERR_OPERATION_INVALID 55)",
                   "error-code: 55 VIR_ERR_OPERATION_INVALID"]
    yield Entry(clock, f"snapshot, {domain}", record)


def entries(size: int, seed: int) -> list[Entry]:
    """Days of entries ending the day before END, about ``size`` bytes in all."""
    rng = random.Random(seed)
    days: list[list[Entry]] = []
    total = 0
    day = END - timedelta(days=1)
    while total < size:
        if day.weekday() < 5:
            today = list(_day(rng, day))
            total += sum(len(_stamp(e.when)) + len(e.tags) + 4 + sum(len(b) + 1 for b in e.body)
                         for e in today)
            days.append(today)
        day -= timedelta(days=1)
    flat = [entry for today in reversed(days) for entry in today]
    if len(days) == 1:  # a small log: the day's first entries (its plan) up to the size
        kept: list[Entry] = []
        total = 0
        for entry in flat:
            total += len(_stamp(entry.when)) + len(entry.tags) + sum(len(b) + 1
                                                                    for b in entry.body)
            if kept and total > size:
                break
            kept.append(entry)
        flat = kept
    return flat


def render_log(items: list[Entry]) -> str:
    parts = [".LOG\n"]
    for entry in items:
        lines = [_stamp(entry.when)] + ([entry.tags] if entry.tags else []) + entry.body
        parts.append("\n".join(lines) + "\n\n")
    return "".join(parts)


def render_jrnl(items: list[Entry]) -> str:
    """The same entries in jrnl's plain-text journal format."""
    parts = []
    for entry in items:
        title = entry.body[0] if entry.body else entry.tags
        tags = " ".join("@" + t.strip().replace(" ", "_") for t in entry.tags.split(",")
                        if t.strip())
        parts.append(f"[{entry.when:%Y-%m-%d %H:%M}] {title} {tags}".rstrip() + "\n"
                     + "\n".join(entry.body[1:]) + "\n\n")
    return "".join(parts)


def write_log(path: Path, size_bytes: int, seed: int = 2014) -> Path:
    """Write a log of about ``size_bytes`` to ``path``."""
    path.write_bytes(render_log(entries(size_bytes, seed)).encode("utf-8"))
    return path


def write_jrnl(path: Path, size_bytes: int, seed: int = 2014) -> Path:
    """Write the jrnl journal holding the same entries as ``write_log`` would."""
    path.write_bytes(render_jrnl(entries(size_bytes, seed)).encode("utf-8"))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("size", type=parse_size, help="e.g. 1KB, 100MB")
    parser.add_argument("--jrnl", type=Path, help="also write the equivalent jrnl journal")
    parser.add_argument("--seed", type=int, default=2014)
    args = parser.parse_args(argv)
    write_log(args.out, args.size, args.seed)
    if args.jrnl:
        write_jrnl(args.jrnl, args.size, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
