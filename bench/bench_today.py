"""`worklog today`, `plan`, `start`, `done` on a 100 MB log beside a 1 KB one, and jrnl
showing the last 3 entries of an equivalent 100 MB journal, in one run.

The day commands read the log backwards from its end only as far as the days they need,
and edit the day's plan in place: their time must not grow with the history.

    python -m bench.bench_today [--size 100MB] [--runs 5] [--no-jrnl]

jrnl is installed on first use into its own virtual environment, bench/out/jrnl-venv.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    OUT,
    WORKLOG,
    Timing,
    machine,
    ms,
    parse_size,
    run_env,
    table,
    time_command,
)
from bench.gen_log import END, entries, render_jrnl, render_log, write_jrnl, write_log

SEED = 2014
NOW = {"WORKLOG_NOW": f"{END.isoformat()}T09:30", "NO_COLOR": "1"}
JRNL_VENV = OUT / "jrnl-venv"
RESTORE_SPAN = 4 * 1024 * 1024


def small_logs() -> tuple[Path, Path]:
    """About 1 KB: the last generated day's plan and note, as a log and as a journal."""
    log, journal = OUT / "small-1k.LOG", OUT / "small-1k.jrnl.txt"
    if not log.exists() or not journal.exists():
        last_day = entries(1000, SEED)[:2]
        log.write_bytes(render_log(last_day).encode("utf-8"))
        journal.write_bytes(render_jrnl(last_day).encode("utf-8"))
    return log, journal


def large_log(size: int) -> Path:
    path = OUT / f"large-{size}.LOG"  # shared with bench_add
    if not path.exists():
        write_log(path, size, SEED)
    return path


def _restore(source: Path, target: Path) -> None:
    """``target`` as ``source`` again. The commands change a large log in place within its
    last megabytes, so only those are written back (a 100 MB copy before each run would
    leave the page cache busy while the command is timed)."""
    size = source.stat().st_size
    if size <= RESTORE_SPAN or not target.exists():
        shutil.copyfile(source, target)
    else:
        with source.open("rb") as src, target.open("r+b") as dst:
            src.seek(size - RESTORE_SPAN)
            dst.seek(size - RESTORE_SPAN)
            dst.write(src.read())
            dst.truncate(size)
    os.sync()


def _as_left() -> None:
    """Nothing to restore: the command before wrote nothing."""


def _timed(label: str, argv: list[str], runs: int, env: dict[str, str],
           before: Callable[[], None]) -> Timing:
    """One untimed warm-up run, then ``runs`` timed ones."""
    time_command(label, argv, runs=1, env=env, before=before)
    return time_command(label, argv, runs=runs, env=env, before=before)


def measure_worklog(source: Path, runs: int) -> dict[str, Timing]:
    """Each command on a fresh copy of ``source`` (made untimed before each run)."""
    work = OUT / "work"
    work.mkdir(exist_ok=True)
    target = work / f"today-{source.name}"
    planned = work / f"planned-{source.name}"
    env = {**NOW, "XDG_CONFIG_HOME": str(OUT / "no-config")}
    base = [*WORKLOG, "--file", str(target)]
    _restore(source, target)
    subprocess.run([*base, "plan", "bench item"], check=True, capture_output=True,
                   env=run_env(env))
    shutil.copyfile(target, planned)
    fresh, with_plan = (lambda: _restore(source, target)), (lambda: _restore(planned, target))
    _restore(source, target)
    timings = {
        # today writes nothing: run after run it finds the log as it left it (its TODO
        # cache kept); "after an edit", the end rewritten before each run as another
        # program would, it checks the bytes before the cache's anchor again.
        "today": _timed("today", [*base, "today"], runs, env, _as_left),
        "today after an edit": _timed("today after an edit", [*base, "today"], runs, env,
                                      fresh),
        "plan": _timed("plan", [*base, "plan", "bench item"], runs, env, fresh),
        "start": _timed("start", [*base, "start", "1"], runs, env, with_plan),
        "done": _timed("done", [*base, "done", "1"], runs, env, with_plan),
    }
    _restore(planned, target)
    if not filecmp.cmp(planned, target, shallow=False):  # the restore was exact
        raise RuntimeError(f"{target}: not restored to {planned}")
    target.unlink()
    planned.unlink()
    return timings


def jrnl_command() -> Path:
    """jrnl in its own virtual environment (installed on first use)."""
    jrnl = JRNL_VENV / "bin" / "jrnl"
    if not jrnl.exists():
        subprocess.run([sys.executable, "-m", "venv", str(JRNL_VENV)], check=True)
        subprocess.run([str(JRNL_VENV / "bin" / "pip"), "install", "-q", "jrnl"], check=True)
    return jrnl


def jrnl_config(journal: Path) -> Path:
    config = OUT / f"jrnl-{journal.stem}.yaml"
    config.write_text(
        "colors: {body: none, date: none, tags: none, title: none}\n"
        "default_hour: 9\ndefault_minute: 0\neditor: ''\nencrypt: false\nhighlight: false\n"
        "indent_character: '|'\n"
        f"journals:\n  default:\n    journal: {journal}\n"
        "linewrap: 79\ntagsymbols: '#@'\ntemplate: false\n"
        "timeformat: '%Y-%m-%d %H:%M'\nversion: v4.6\n")
    return config


def measure_jrnl(small: Path, size: int, runs: int) -> dict[str, Timing]:
    jrnl = jrnl_command()
    large = OUT / f"large-{size}.jrnl.txt"
    if not large.exists():
        write_jrnl(large, size, SEED)
    return {name: time_command(f"jrnl -n 3 {name}",
                               [str(jrnl), "--config-file", str(jrnl_config(path)), "-n", "3"],
                               runs=runs)
            for name, path in (("small", small), ("large", large))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100MB")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-jrnl", action="store_true", help="skip the jrnl comparison")
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    OUT.mkdir(parents=True, exist_ok=True)
    (small, small_journal), large = small_logs(), large_log(size)
    print(f"machine: {machine()}")
    print(f"logs: {small.stat().st_size:,} bytes and {large.stat().st_size:,} bytes; "
          f"median of {args.runs} runs of each command, interpreter start-up included")
    on_small, on_large = measure_worklog(small, args.runs), measure_worklog(large, args.runs)
    rows = [(f"worklog {name}", ms(on_small[name].median), ms(on_large[name].median),
             f"{on_large[name].median / on_small[name].median:.2f}x")
            for name in on_small]
    if not args.no_jrnl:
        jrnl = measure_jrnl(small_journal, size, min(args.runs, 3))
        small_j, large_j = jrnl["small"], jrnl["large"]
        rows.append(("jrnl -n 3 (same entries)", ms(small_j.median), ms(large_j.median),
                     f"{large_j.median / small_j.median:.2f}x"))
    print(table(rows, ("command", "small", f"{args.size} log", "ratio")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
