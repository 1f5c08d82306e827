"""`worklog add` on a 100 MB log beside a 1 KB one, in one run: appending must not cost
more as the history grows (it reads only the file's end).

    python bench/bench_add.py [--size 100MB] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from bench.common import OUT, WORKLOG, Timing, machine, ms, parse_size, table, time_command
from bench.gen_log import write_log

SEED = 2014


def logs(size: int) -> tuple[Path, Path]:
    """The small and the large log, generated once and kept in bench/out."""
    OUT.mkdir(parents=True, exist_ok=True)
    small, large = OUT / "small.LOG", OUT / f"large-{size}.LOG"
    if not small.exists():
        write_log(small, 1000, SEED)
    if not large.exists():
        write_log(large, size, SEED)
    return small, large


def measure_pair(small: Path, large: Path, runs: int) -> tuple[Timing, Timing]:
    """``worklog add`` on a copy of each log: (small, large)."""
    work = OUT / "work"
    work.mkdir(exist_ok=True)
    results = []
    for source in (small, large):
        target = work / f"add-{source.name}"
        shutil.copyfile(source, target)
        os.sync()  # else the first timed fsync would write the whole copy to disk
        results.append(time_command(
            f"add {source.name}",
            [*WORKLOG, "--file", str(target), "add", "--tags", "bench", "appended", "text."],
            runs=runs, env={"WORKLOG_NOW": "2026-11-26T09:05"}))
        target.unlink()
    return results[0], results[1]


def measure(small: Path, large: Path, runs: int) -> list[tuple[str, ...]]:
    small_t, large_t = measure_pair(small, large, runs)
    return [("worklog add", ms(small_t.median), ms(large_t.median),
             f"{large_t.median / small_t.median:.2f}x", "<= 1.2x")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100MB")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    small, large = logs(size)
    print(f"machine: {machine()}")
    print(f"logs: {small.stat().st_size} bytes and {large.stat().st_size} bytes; "
          f"median of {args.runs} runs")
    print(table(measure(small, large, args.runs),
                ("command", "1 KB log", "100 MB log", "ratio", "target")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
