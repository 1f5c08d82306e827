"""What every benchmark shares: the machine's description, timed runs, medians, tables.

Figures are medians of several runs of whole commands (subprocesses), so they include
interpreter start-up exactly as a user pays it.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
WORKLOG = [sys.executable, "-m", "worklog"]
GNU_TIME = shutil.which("time", path="/usr/bin:/bin") or ""


def machine() -> str:
    """One line: CPU, cores, memory, OS, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                      .splitlines() if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    return (f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


@dataclass(frozen=True)
class Timing:
    label: str
    runs: tuple[float, ...]
    peak_rss_kb: int = 0
    cpu: tuple[float, ...] = ()  # user + system seconds of each run, children included

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def run_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a timed command: no WORKLOG_* settings of the caller, and
    bytecode cached as an installed package has it (PYTHONDONTWRITEBYTECODE, set in some
    shells, would make every run compile every module)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("WORKLOG") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def time_command(
    label: str,
    argv: Sequence[str],
    *,
    runs: int = 5,
    env: Mapping[str, str] | None = None,
    before: Callable[[], None] | None = None,
    stdin: bytes = b"",
    ok_codes: tuple[int, ...] = (0,),
    stdout_to_file: bool = False,
) -> Timing:
    """Run ``argv`` ``runs`` times (``before`` each time, untimed): wall times and the
    largest peak resident memory in KiB.

    Memory is read by GNU time when installed (Debian package ``time``): a child forked
    by this (large) benchmark process would report the parent's pages as its own peak.
    Without it the peak is 0: unknown. ``stdout_to_file`` sends the output to a file
    instead of /dev/null (GNU grep stops at the first match when its output is
    /dev/null, which would time nothing)."""
    times: list[float] = []
    cpus: list[float] = []
    peak = 0
    for _ in range(runs):
        if before is not None:
            before()
        with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as err, \
                tempfile.NamedTemporaryFile("r") as rss, tempfile.TemporaryFile() as out:
            given.write(stdin)
            given.seek(0)
            wrapped = ([GNU_TIME, "-f", "%M", "-o", rss.name, *argv] if GNU_TIME
                       else list(argv))
            start = time.perf_counter()
            proc = subprocess.Popen(wrapped, env=run_env(env), stdin=given,
                                    stdout=out if stdout_to_file else subprocess.DEVNULL,
                                    stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            measured = rss.read().strip().splitlines()
            if measured and measured[-1].isdigit():
                peak = max(peak, int(measured[-1]))
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode not in ok_codes:
                err.seek(0)
                message = err.read().decode(errors="replace").strip()
                raise RuntimeError(f"{label}: exit {proc.returncode}: {message}")
        times.append(elapsed)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return Timing(label, tuple(times), peak, tuple(cpus))


def table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
              for row in rows]
    return "\n".join(lines)


def parse_size(text: str) -> int:
    """``1KB``, ``100MB``, ``1GB`` (decimal units) or a number of bytes."""
    units = {"KB": 1000, "MB": 1000**2, "GB": 1000**3}
    for unit, factor in units.items():
        if text.upper().endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
