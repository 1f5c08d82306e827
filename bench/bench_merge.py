"""`worklog merge BASE OURS THEIRS` on 100 MB copies that diverged by a day, beside 1 KB
copies that diverged the same way: the merge must cost the divergence, not the history
(the common start is compared in the mapped bytes and not parsed).

    python bench/bench_merge.py [--size 100MB] [--runs 7]
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from bench.bench_add import logs
from bench.common import OUT, WORKLOG, machine, ms, parse_size, table, time_command
from worklog.sync.files import merge_files

OURS_DAY = (b"\n08:40 2026-11-26\nGTD\n0, 8:40\n\n1, today\n"
            b"1), 8:45-10:10 review the qemu 8.2 rebase\n2), 10:15- vmbackup prune --dry-run\n"
            b"\n11:02 2026-11-26\nlab, ups\nUPS in rack 4 replaced, 40 minutes on battery.\n")
THEIRS_DAY = (b"\n09:31 2026-11-26\nkvm, package\nJonas: the kvm package builds on SLES 15.\n"
              b"\n13:20 2026-11-26\n\"Lin Ma\"_email_\"Re: snapshot tests\"\n"
              b"the raw disks pass now.\n")


def copies(source: Path) -> tuple[Path, Path, Path]:
    """BASE, OURS and THEIRS: the log, and the log with a different day appended to each."""
    work = OUT / "work"
    work.mkdir(parents=True, exist_ok=True)
    base = work / f"merge-base-{source.name}"
    theirs = work / f"merge-theirs-{source.name}"
    shutil.copyfile(source, base)
    shutil.copyfile(source, theirs)
    with theirs.open("ab") as out:
        out.write(THEIRS_DAY)
    return base, work / f"merge-ours-{source.name}", theirs


def fresh_ours(base: Path, ours: Path) -> None:
    shutil.copyfile(base, ours)
    with ours.open("ab") as out:
        out.write(OURS_DAY)
    os.sync()  # else the merge's fsync would write the whole fresh copy to disk


def in_process(base: Path, ours: Path, theirs: Path) -> float:
    """The library call alone (no interpreter start-up), its writes synced included."""
    fresh_ours(base, ours)
    start = time.perf_counter()
    merge_files(ours, theirs, base)
    return time.perf_counter() - start


def measure(small: Path, large: Path, runs: int) -> list[tuple[str, ...]]:
    """Both sizes take turns run after run, so that a busy moment of the machine falls
    on both."""
    made = [copies(source) for source in (small, large)]
    command: list[list[float]] = [[], []]
    library: list[list[float]] = [[], []]
    for _ in range(runs):
        for index, (base, ours, theirs) in enumerate(made):
            timing = time_command(f"merge {base.name}",
                                  [*WORKLOG, "merge", str(base), str(ours), str(theirs)],
                                  runs=1, before=functools.partial(fresh_ours, base, ours))
            command[index].append(timing.median)
            library[index].append(in_process(base, ours, theirs))
    for path in (p for trio in made for p in trio):
        path.unlink()
    c_small, c_large = (statistics.median(t) for t in command)
    l_small, l_large = (statistics.median(t) for t in library)
    return [
        ("worklog merge (command)", ms(c_small), ms(c_large), f"{c_large / c_small:.2f}x",
         "<= 1.5x"),
        ("merge_files (in process)", ms(l_small), ms(l_large), f"{l_large / l_small:.1f}x",
         "(comparing 100 MB)"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100MB")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    small, large = logs(parse_size(args.size))
    print(f"machine: {machine()}")
    print(f"logs: {small.stat().st_size} bytes and {large.stat().st_size} bytes, each copy "
          f"a day apart; median of {args.runs} runs")
    print(table(measure(small, large, args.runs),
                ("merge", "1 KB copies", "100 MB copies", "ratio", "target")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
