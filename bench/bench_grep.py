"""`worklog grep` on a 100 MB log beside GNU grep on the same file and jrnl's `-contains`
on the equivalent journal, in one run: times, the ratios, and peak memory.

    python -m bench.bench_grep [--size 100MB] [--runs 5] [--no-jrnl]

Targets: within 4x of `grep -c` while returning whole entries; at least 10x faster than
jrnl; peak memory well under the file's size. The log is the deterministic one of
bench/gen_log.py (shared with the other benchmarks); jrnl is installed on first use into
bench/out/jrnl-venv.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from bench.bench_today import SEED, jrnl_command, jrnl_config, large_log
from bench.common import OUT, WORKLOG, machine, parse_size, table, time_command
from bench.gen_log import write_jrnl

#: (pattern, worklog options, grep options): the seed's tool name (in 1 entry of 5), a
#: snapshot of one month (rare, as most searches), a name, case-insensitive, a regex.
PATTERNS: tuple[tuple[str, list[str], list[str]], ...] = (
    ("vm-snapshot-disk", [], []),
    ("web01-202003", [], []),
    ("Roger Zhou", [], []),
    ("VIRT-UTILS", ["-i"], ["-i"]),
    ("qemu-(kvm|img)", [], ["-E"]),
)
ENV = {"NO_COLOR": "1", "XDG_CONFIG_HOME": str(OUT / "no-config")}


@dataclass(frozen=True)
class Run:
    """Medians of several runs: wall time, CPU time (user + system: what the command
    itself spent, steadier than wall time on a shared machine) and the largest peak RSS."""

    wall: float
    cpu: float
    rss_kb: int


def timed(argv: list[str], runs: int, env: dict[str, str] | None = None) -> Run:
    """Medians of ``runs`` runs, standard output to a file, exit 1 (no match) allowed."""
    timing = time_command(argv[0], argv, runs=runs, env=env, ok_codes=(0, 1),
                          stdout_to_file=True)
    return Run(timing.median, timing.cpu_median, timing.peak_rss_kb)


@dataclass(frozen=True)
class Row:
    pattern: str
    grep: Run
    count: Run
    entries: Run
    jrnl: Run | None


def measure(pattern: str, wl_opts: list[str], grep_opts: list[str], log: str,
            runs: int, journal: str | None) -> Row:
    grep = timed(["grep", "-c", *grep_opts, pattern, log], runs)
    count = timed([*WORKLOG, "--file", log, "grep", *wl_opts, pattern, "--count"], runs, ENV)
    entries = timed([*WORKLOG, "--file", log, "grep", *wl_opts, pattern], runs, ENV)
    jrnl = None
    if journal is not None:
        config = jrnl_config(OUT / journal)  # the journal's own config, shared with bench_today
        jrnl = timed([str(jrnl_command()), "--config-file", str(config), "-contains",
                      pattern], min(runs, 3))
    return Row(pattern, grep, count, entries, jrnl)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100MB")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-jrnl", action="store_true", help="skip the jrnl comparison")
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    OUT.mkdir(parents=True, exist_ok=True)
    log = large_log(size)
    journal = None
    if not args.no_jrnl:
        path = OUT / f"large-{size}.jrnl.txt"
        if not path.exists():
            write_jrnl(path, size, SEED)
        journal = path.name
    print(f"machine: {machine()}")
    print(f"log: {log.stat().st_size:,} bytes; median of {args.runs} runs (jrnl: "
          f"{min(args.runs, 3)}), interpreter start-up included, page cache warm; "
          "times in ms, wall / CPU (user+system)")
    timed(["cat", str(log)], 1)
    small = OUT / "grep-start-up.LOG"
    small.write_bytes(b".LOG\n09:00 2026-11-25\nvm-snapshot-disk\n")
    start_up = timed([*WORKLOG, "--file", str(small), "grep", "vm-snapshot-disk", "--count"],
                     args.runs, ENV)
    bare = timed([sys.executable, "-c", "pass"], args.runs)
    # jrnl takes half a minute a search: timed on the first pattern only
    rows = [measure(p, wl, gr, str(log), args.runs, journal if i == 0 else None)
            for i, (p, wl, gr) in enumerate(PATTERNS)]

    def pair(run: Run) -> str:
        return f"{_ms(run.wall)} / {_ms(run.cpu)}"

    def ratio(a: Run, b: Run) -> str:
        return f"{a.wall / b.wall:.1f}x / {a.cpu / b.cpu:.1f}x"

    print(table(
        [(r.pattern, pair(r.grep), pair(r.count), pair(r.entries),
          pair(r.jrnl) if r.jrnl else "-", ratio(r.count, r.grep), ratio(r.entries, r.grep),
          ratio(r.jrnl, r.entries) if r.jrnl else "-")
         for r in rows],
        ("pattern", "grep -c", "worklog --count", "worklog (entries)", "jrnl -contains",
         "count/grep", "entries/grep", "jrnl/entries")))
    print(f"worklog start-up (the same command on a 1 KB log): {pair(start_up)}; "
          f"python -c pass: {pair(bare)}")
    size_mb = log.stat().st_size / 1e6
    print()
    print(table(
        [(r.pattern, f"{r.count.rss_kb / 1024:.0f} MB", f"{r.entries.rss_kb / 1024:.0f} MB",
          f"{(r.entries.rss_kb - bare.rss_kb) / 1024:.0f} MB",
          f"{r.entries.rss_kb / 1024 / size_mb:.0%}")
         for r in rows],
        ("pattern", "peak RSS --count", "peak RSS entries", "over bare python",
         "of the file's size")))
    print(f"bare python -c pass: {bare.rss_kb / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
