"""`worklog status` (the shell prompt's line) beside `worklog --help`, on the sample log:
with its cache warm (the log unchanged since the last prompt), and cold (the cache
removed before each run, as after every change of the log).

    python -m bench.bench_status [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bench.common import ROOT, WORKLOG, machine, ms, table, time_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "worklog.LOG"
        shutil.copyfile(ROOT / "samples" / "worklog.LOG", log)
        cache = Path(folder) / "cache"
        env = {"XDG_CACHE_HOME": str(cache), "XDG_CONFIG_HOME": str(Path(folder) / "config"),
               "WORKLOG_NOW": "2026-11-25T16:00"}
        status = [*WORKLOG, "--file", str(log), "status"]
        rows = [
            time_command("worklog --help", [*WORKLOG, "--help"], runs=args.runs, env=env),
            time_command("worklog status (cache warm)", status, runs=args.runs, env=env),
            time_command("worklog status (cache cold)", status, runs=args.runs, env=env,
                         before=lambda: shutil.rmtree(cache, ignore_errors=True)),
            time_command("worklog today", [*WORKLOG, "--file", str(log), "today"],
                         runs=args.runs, env=env),
        ]
    print(machine())
    print(table([(t.label, ms(t.median), ms(t.cpu_median)) for t in rows],
                ("command", "median wall", "median cpu")))


if __name__ == "__main__":
    main()
