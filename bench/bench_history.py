"""The commands that walk the history, on the 100 MB log: time and peak memory.

    python -m bench.bench_history [--runs 3]

Each round runs every command once, so the two sides of each ratio take turns and a
change in the machine's load falls on both alike: ``grep -c`` (the floor), ``tags``,
``check``, ``export`` as JSON and as Markdown, a 30-day ``export`` on the 100 MB and on
the 1 KB log, a year of ``report`` ten years back and the last year, ``grep`` printing
whole entries, ``today`` on the 1 KB log and ``python -c "import typer"``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import OUT, WORKLOG, Timing, ms, table, time_command
from bench.gen_log import END

PATTERN = "vm-snapshot-disk"
#: The line marks of bounded reads (worklog.history.line_marks) are kept beside the logs,
#: as a user's would be after a first run.
ENV = {"NO_COLOR": "1", "XDG_CONFIG_HOME": str(OUT / "no-config"),
       "XDG_CACHE_HOME": str(OUT / "cache"), "WORKLOG_NOW": f"{END.isoformat()}T09:30"}
#: One year ten years before the log's end, and the last year.
OLD_YEAR = (f"{END.year - 10}-01-01", f"{END.year - 10}-12-31")
LAST_YEAR = (f"{END.year - 1}-{END:%m-%d}", END.isoformat())


def commands(large: Path, small: Path) -> dict[str, list[str]]:
    """What is timed, by name (each runs once a round, in this order)."""
    def wl(log: Path, *args: str) -> list[str]:
        return [*WORKLOG, "--file", str(log), *args]

    return {
        "grep -c": ["grep", "-c", PATTERN, str(large)],
        "tags": wl(large, "tags"),
        "check": wl(large, "check"),
        "export json": wl(large, "export", "--format", "json"),
        "export markdown": wl(large, "export", "--format", "markdown"),
        "export json --since (100 MB)": wl(large, "export", "--since", "30 days ago"),
        "export json --since (1 KB)": wl(small, "export", "--since", "30 days ago"),
        "report, a year ten years back": wl(large, "report", "--since", OLD_YEAR[0],
                                            "--until", OLD_YEAR[1]),
        "report, the last year": wl(large, "report", "--since", LAST_YEAR[0],
                                    "--until", LAST_YEAR[1]),
        "grep (whole entries)": wl(large, "grep", PATTERN),
        "today (1 KB)": wl(small, "today"),
        "today (100 MB)": wl(large, "today"),
        "import typer": [sys.executable, "-c", "import typer"],
        "bare python": [sys.executable, "-c", "pass"],
    }


def measure(large: Path, small: Path, runs: int) -> dict[str, Timing]:
    """Every command once a round, ``runs`` rounds, the log read (untimed) before each so
    that the page cache holds it; output goes to a file (GNU grep stops at its first
    match when writing to /dev/null)."""
    found: dict[str, list[Timing]] = {}

    def warm() -> None:  # the page cache holds the log, as after its last use
        with large.open("rb") as handle:
            while handle.read(8 << 20):
                pass

    for _ in range(runs):
        for name, argv in commands(large, small).items():
            # check exits 1 when it finds problems, grep when nothing matches
            timing = time_command(name, argv, runs=1, env=ENV, ok_codes=(0, 1),
                                  stdout_to_file=True, before=warm)
            found.setdefault(name, []).append(timing)
    return {name: Timing(name, tuple(t.runs[0] for t in timings),
                         max(t.peak_rss_kb for t in timings))
            for name, timings in found.items()}


@dataclass(frozen=True)
class Target:
    name: str
    ours: str
    reference: str
    limit: float


RATIOS: Sequence[Target] = (
    Target("tags vs grep -c", "tags", "grep -c", 10),
    Target("check vs grep -c", "check", "grep -c", 20),
    Target("export --format json vs grep -c", "export json", "grep -c", 40),
    Target("export --format markdown vs --format json", "export markdown", "export json", 1.5),
    Target("export json --since 30 days ago: 100 MB vs 1 KB log",
           "export json --since (100 MB)", "export json --since (1 KB)", 1.5),
    Target("report: a year ten years back vs the last year",
           "report, a year ten years back", "report, the last year", 1.5),
    Target("grep printing whole entries vs grep -c", "grep (whole entries)", "grep -c", 4),
    Target("today on a 1 KB log vs python -c 'import typer'", "today (1 KB)",
           "import typer", 1.5),
)
MEMORY = ("tags", "check", "export json", "export markdown", "grep (whole entries)",
          "today (100 MB)")
MEMORY_LIMIT_MB = 100


def rows(timings: dict[str, Timing]) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, worklog, reference, ratio, target, met) for each target of the table."""
    out = []
    for target in RATIOS:
        ours, ref = timings[target.ours], timings[target.reference]
        ratio = ours.median / ref.median
        out.append((target.name, ms(ours.median), ms(ref.median), f"{ratio:.2f}x",
                    f"<= {target.limit:g}x", "met" if ratio <= target.limit else "MISSED"))
    bare = timings["bare python"].peak_rss_kb
    for name in MEMORY:
        peak = timings[name].peak_rss_kb
        label = f"peak memory of {name.removesuffix(' (100 MB)')} (100 MB)"
        if not peak or not bare:
            out.append((label, "-", "-", "-",
                        f"< {MEMORY_LIMIT_MB} MB above", "needs GNU time"))
            continue
        above = (peak - bare) / 1024
        out.append((label, f"{peak / 1024:.0f} MB",
                    f"{bare / 1024:.0f} MB (bare python)", f"{above:.0f} MB above",
                    f"< {MEMORY_LIMIT_MB} MB above",
                    "met" if above < MEMORY_LIMIT_MB else "MISSED"))
    return out


HEADER = ("figure", "worklog", "reference", "ratio", "target", "")


def main(argv: list[str] | None = None) -> int:
    from bench.bench_add import logs  # noqa: PLC0415
    from bench.bench_today import small_logs  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    _, large = logs(100_000_000)
    small, _ = small_logs()
    print(table(rows(measure(large, small, args.runs)), HEADER))
    return 0


if __name__ == "__main__":
    sys.exit(main())
