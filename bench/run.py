"""Every speed and memory figure of worklog against its peers, in one run.

    python -m bench.run [--runs 5] [--no-jrnl] [--no-snap]

Generates (fixed seed, cached in bench/out) a 100 MB log of about eleven years in the
seed's style, the equivalent jrnl journal and a small log; installs jrnl into its own
virtual environment; runs each command several times and prints medians, the ratios the
targets speak of, whether each target is met, and the machine. docs/PERFORMANCE.md
holds the last table and why each figure is what it is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bench import bench_add, bench_grep, bench_history, bench_snap, bench_today
from bench.common import OUT, WORKLOG, machine, ms, table, time_command
from bench.gen_log import write_jrnl

SIZE = 100_000_000
GREP_PATTERN = "vm-snapshot-disk"
ENV = {"NO_COLOR": "1", "XDG_CONFIG_HOME": str(OUT / "no-config")}


@dataclass(frozen=True)
class Figure:
    name: str
    ours: str
    reference: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""


def _ratio_figure(name: str, ours: float, theirs: float, limit: float, note: str = "",
                  reference: str = "") -> Figure:
    ratio = ours / theirs
    return Figure(name, ms(ours), reference or ms(theirs), ratio, f"<= {limit:g}x",
                  ratio <= limit, note)


def day_figures(small: Path, large: Path, runs: int) -> list[Figure]:
    """Small and large take turns, run after run, so that a change in the machine's load
    falls on both alike."""
    small_runs: dict[str, list[float]] = {}
    large_runs: dict[str, list[float]] = {}
    for _ in range(runs):
        for source, into in ((small, small_runs), (large, large_runs)):
            for name, timing in bench_today.measure_worklog(source, 1).items():
                into.setdefault(name, []).extend(timing.runs)
    return [_ratio_figure(f"worklog {name}: 100 MB vs 1 KB log",
                          statistics.median(large_runs[name]),
                          statistics.median(small_runs[name]),
                          1.2, reference=ms(statistics.median(small_runs[name])))
            for name in small_runs]


def add_figure(small: Path, large: Path, runs: int) -> Figure:
    small_runs: list[float] = []
    large_runs: list[float] = []
    for _ in range(runs):
        on_small, on_large = bench_add.measure_pair(small, large, 1)
        small_runs.extend(on_small.runs)
        large_runs.extend(on_large.runs)
    return _ratio_figure("worklog add: 100 MB vs 1 KB log", statistics.median(large_runs),
                         statistics.median(small_runs), 1.2)


def grep_figures(large: Path, journal: Path | None, runs: int) -> list[Figure]:
    row = bench_grep.measure(GREP_PATTERN, [], [], str(large), runs,
                             journal.name if journal else None)
    figures = [_ratio_figure(f"worklog grep {GREP_PATTERN} (whole entries) vs grep -c",
                             row.entries.wall, row.grep.wall, 4,
                             reference=f"{ms(row.grep.wall)} (GNU grep)"),
               _ratio_figure("worklog grep --count vs grep -c", row.count.wall, row.grep.wall,
                             4, reference=f"{ms(row.grep.wall)} (GNU grep)")]
    if row.jrnl is not None:
        figures.append(_ratio_figure("worklog grep vs jrnl -contains", row.entries.wall,
                                     row.jrnl.wall, 0.1, reference=f"{ms(row.jrnl.wall)} (jrnl)"))
    return figures


def today_vs_jrnl(large: Path, runs: int) -> Figure:
    work = OUT / "work"
    work.mkdir(exist_ok=True)
    ours = time_command("today", [*WORKLOG, "--file", str(large), "today"], runs=runs,
                        env={**ENV, **bench_today.NOW})
    config = bench_today.jrnl_config(OUT / f"large-{SIZE}.jrnl.txt")
    theirs = time_command("jrnl -n 3", [str(bench_today.jrnl_command()), "--config-file",
                                        str(config), "-n", "3"], runs=min(runs, 3))
    return _ratio_figure("worklog today vs jrnl -n 3 (100 MB)", ours.median, theirs.median,
                         0.05, reference=f"{ms(theirs.median)} (jrnl)")


def export_figure(large: Path, journal: Path, runs: int) -> Figure:
    ours = time_command("export", [*WORKLOG, "--file", str(large), "export", "--format",
                                   "json"], runs=min(runs, 3), env=ENV)
    config = bench_today.jrnl_config(journal)
    theirs = time_command("jrnl export", [str(bench_today.jrnl_command()), "--config-file",
                                          str(config), "--export", "json"], runs=1)
    return _ratio_figure("worklog export --format json vs jrnl --export json", ours.median,
                         theirs.median, 0.2, reference=f"{ms(theirs.median)} (jrnl, 1 run)")


def help_figure(runs: int) -> Figure:
    ours = time_command("help", [*WORKLOG, "--help"], runs=runs, env=ENV)
    typer = time_command("import typer", [sys.executable, "-c", "import typer"], runs=runs)
    return _ratio_figure("worklog --help vs python -c 'import typer'", ours.median,
                         typer.median, 1.5)


T = TypeVar("T")


def _timed_section(label: str, work: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = work()
    print(f"  {label}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-jrnl", action="store_true", help="skip the jrnl comparisons")
    parser.add_argument("--no-snap", action="store_true", help="skip snap vs virsh")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    print("preparing logs (cached in bench/out)...", file=sys.stderr)
    small, large = bench_add.logs(SIZE)
    small_day, _ = bench_today.small_logs()
    journal = None
    if not args.no_jrnl:
        journal = OUT / f"large-{SIZE}.jrnl.txt"
        if not journal.exists():
            write_jrnl(journal, SIZE, bench_today.SEED)
        bench_today.jrnl_command()
    figures: list[Figure] = []
    figures += _timed_section("day commands", lambda: day_figures(small_day, large, args.runs))
    figures.append(_timed_section("add", lambda: add_figure(small, large, args.runs)))
    figures += _timed_section("grep", lambda: grep_figures(large, journal, args.runs))
    if journal is not None:
        figures.append(_timed_section("today vs jrnl", lambda: today_vs_jrnl(large, args.runs)))
        figures.append(_timed_section("export", lambda: export_figure(large, journal,
                                                                      args.runs)))
    figures.append(help_figure(args.runs))
    history_runs = max(1, min(args.runs, 3))
    history = _timed_section("history", lambda: bench_history.measure(large, small_day,
                                                                       history_runs))
    print(f"machine: {machine()}")
    print(f"logs: {large.stat().st_size:,} bytes (100 MB), {small_day.stat().st_size:,} and "
          f"{small.stat().st_size:,} bytes (small); median of {args.runs} runs (jrnl: up to 3), "
          "interpreter start-up included, page cache warm")
    print(table([(f.name, f.ours, f.reference, "-" if f.ratio is None else f"{f.ratio:.2f}x",
                  f.target, {True: "met", False: "MISSED", None: "-"}[f.met], f.note)
                 for f in figures],
                ("figure", "worklog", "reference", "ratio", "target", "", "note")))
    print()
    print(f"the history commands (issue table): median of {history_runs} rounds, each "
          "command once a round, the log read before each; peak memory from GNU time")
    print(table(bench_history.rows(history), bench_history.HEADER))
    if not args.no_snap:
        reason = bench_snap.unavailable()
        if reason is None:
            print()
            print(table(bench_snap.measure(max(3, args.runs)), ("snap", "median", "ratio", "note")))
        else:
            print(f"snap vs virsh: skipped: {reason}")
    print(f"bench run took {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
