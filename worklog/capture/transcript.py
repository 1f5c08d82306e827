"""Running a command and keeping its transcript: ``worklog run``.

The command runs without a shell (an argument list), its output goes to a callback as it
comes (stdout and stderr merged, through a pseudo-terminal when asked so that programs
behave as on a terminal), and the result is a value that becomes a ``command`` entry
(FORMAT.md C6, C7)::

    worklog run make: exit 2 in 4.31 s
    command: make check
    exit: 2
    duration: 4.31 s
    cwd: /home/ann/src/vmbackup

    ann@laptop:~/src/vmbackup> make check
    ...output...

Only the end of a long output is kept (``MAX_LINES`` lines, ``MAX_BYTES`` bytes); the
entry says how many lines were left out. Nothing here prints.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import select
import shlex
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

MAX_LINES = 1000
MAX_BYTES = 256 * 1024
MAX_LINE_CHARS = 2000
EXIT_NOT_FOUND = 127
EXIT_CANNOT_RUN = 126

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window titles, links
    r"|\x1b[@-Z\\-_]"  # other two-character escapes
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Output:
    """The end of a command's output: complete lines, within the line and byte limits."""

    max_lines: int = MAX_LINES
    max_bytes: int = MAX_BYTES
    lines: deque[bytes] = field(default_factory=deque)
    partial: bytes = b""
    kept_bytes: int = 0
    dropped: int = 0

    def feed(self, data: bytes) -> None:
        data = self.partial + data
        *complete, self.partial = data.split(b"\n")
        for line in complete:
            self._keep(line)
        if len(self.partial) > self.max_bytes:  # one huge line: keep its end
            self.partial = self.partial[-self.max_bytes :]

    def _keep(self, line: bytes) -> None:
        self.lines.append(line)
        self.kept_bytes += len(line) + 1
        while self.lines and (len(self.lines) > self.max_lines
                              or self.kept_bytes > self.max_bytes):
            self.kept_bytes -= len(self.lines.popleft()) + 1
            self.dropped += 1

    def close(self) -> None:
        if self.partial:
            self._keep(self.partial)
            self.partial = b""

    def text_lines(self) -> list[str]:
        """The kept lines as a terminal showed them: escapes removed, a line rewritten
        with CR (a progress bar) as its last state."""
        lines = [clean_line(line.decode("utf-8", "replace")) for line in self.lines]
        while lines and not lines[-1].strip():
            lines.pop()
        return lines


def clean_line(line: str) -> str:
    line = _ESCAPES.sub("", line.rstrip("\r"))
    if "\r" in line:
        line = line.rsplit("\r", 1)[1]
    line = _CONTROLS.sub("", line.expandtabs(8) if "\t" in line else line).rstrip()
    if len(line) > MAX_LINE_CHARS:
        line = line[:MAX_LINE_CHARS] + " [...]"
    return line


@dataclass(frozen=True)
class RunResult:
    """What happened: the exit code as a shell reports it (128+N for signal N, 127 not
    found, 126 not runnable), how long it took, where, and the output's end."""

    argv: tuple[str, ...]
    exit_code: int
    duration: float
    cwd: str
    output: tuple[str, ...]
    left_out: int = 0
    signal: int | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        """The program's name, for the headline (no colon: C7)."""
        return os.path.basename(self.argv[0]).replace(":", "_") or "command"

    @property
    def duration_text(self) -> str:
        return f"{self.duration:.2f} s"


@contextlib.contextmanager
def _forwarding(proc: subprocess.Popen[bytes], forward_interrupt: bool) -> Iterator[None]:
    """While the command runs: SIGTERM and SIGHUP go to it; so does SIGINT when
    ``forward_interrupt`` (on a terminal, Ctrl-C reaches it directly). worklog itself
    waits, to log the end."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if signum != signal.SIGINT or forward_interrupt:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signum)

    previous = {sig: signal.signal(sig, handler)
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _window_size(fd: int) -> bytes | None:
    import fcntl  # noqa: PLC0415
    import termios  # noqa: PLC0415

    try:
        return fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return None


def run_command(
    argv: Sequence[str],
    on_output: Callable[[bytes], None],
    *,
    use_pty: bool = False,
    forward_interrupt: bool = True,
    max_lines: int = MAX_LINES,
    max_bytes: int = MAX_BYTES,
    terminal: int | None = None,
) -> RunResult:
    """Run ``argv`` (no shell), hand its output to ``on_output`` as it comes, and
    return what happened. A command that cannot be started gives exit 127 or 126 and
    the reason in ``error``.

    With ``use_pty`` and ``terminal`` (the descriptor of the terminal the user types
    on), the command's input comes through the pseudo-terminal too, as ``script(1)``
    does: what the user types is relayed to it and its echo is part of the output, so
    the transcript holds what the terminal showed, typed input included."""
    cwd = os.getcwd()
    output = Output(max_lines, max_bytes)
    started = time.monotonic()
    reader, writer = _channel(use_pty)
    relay = terminal if use_pty and terminal is not None and os.isatty(terminal) else None
    try:
        proc = subprocess.Popen(list(argv), stdout=writer, stderr=writer, close_fds=True,
                                **_input_from_pty(writer) if relay is not None else {})
    except OSError as exc:
        os.close(reader)
        os.close(writer)
        code = EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_CANNOT_RUN
        reason = "command not found" if code == EXIT_NOT_FOUND else (
            exc.strerror or str(exc)).lower()
        return RunResult(tuple(argv), code, time.monotonic() - started, cwd, (), 0, None,
                         reason)
    os.close(writer)
    with _forwarding(proc, forward_interrupt or relay is not None), _raw(relay):
        _pump(reader, output, on_output, relay)
        while True:
            try:
                status = proc.wait()
                break
            except KeyboardInterrupt:  # pragma: no cover - the handler replaces it
                continue
    duration = time.monotonic() - started
    os.close(reader)
    output.close()
    sig = -status if status < 0 else None
    code = 128 + sig if sig is not None else status
    return RunResult(tuple(argv), code, duration, cwd, tuple(output.text_lines()),
                     output.dropped, sig)


def _channel(use_pty: bool) -> tuple[int, int]:
    if use_pty:
        import pty  # noqa: PLC0415

        reader, writer = pty.openpty()
        size = _window_size(1)
        if size is not None:
            import fcntl  # noqa: PLC0415
            import termios  # noqa: PLC0415

            with contextlib.suppress(OSError):
                fcntl.ioctl(writer, termios.TIOCSWINSZ, size)
        return reader, writer
    return os.pipe()


def _input_from_pty(secondary: int) -> dict[str, Any]:
    """Popen arguments that make the pseudo-terminal the command's input and its
    controlling terminal (a new session), so Ctrl-C typed reaches it as SIGINT."""

    def controlling_terminal() -> None:  # in the child, after setsid
        import fcntl  # noqa: PLC0415
        import termios  # noqa: PLC0415

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    return {"stdin": secondary, "start_new_session": True,
            "preexec_fn": controlling_terminal}


@contextlib.contextmanager
def _raw(terminal: int | None) -> Iterator[None]:
    """The user's terminal in raw mode while its keys are relayed (the pseudo-terminal
    echoes and edits lines instead), put back as it was afterwards."""
    if terminal is None:
        yield
        return
    import termios  # noqa: PLC0415
    import tty  # noqa: PLC0415

    saved = termios.tcgetattr(terminal)
    tty.setraw(terminal, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(terminal, termios.TCSADRAIN, saved)


def _relay_input(terminal: int, reader: int) -> bool:
    """Pass what was typed on to the command; False once the terminal has closed."""
    try:
        data = os.read(terminal, 4096)
    except OSError:
        return False
    if not data:
        return False
    with contextlib.suppress(OSError):
        os.write(reader, data)
    return True


def _pump(reader: int, output: Output, on_output: Callable[[bytes], None],
          terminal: int | None = None) -> None:
    """Read until the command closes its output (EIO on a pty, EOF on a pipe), and
    relay what is typed on ``terminal`` meanwhile."""
    while True:
        if terminal is not None:
            ready, _, _ = select.select([reader, terminal], [], [])
            if terminal in ready and not _relay_input(terminal, reader):
                terminal = None
            if reader not in ready:
                continue
        try:
            chunk = os.read(reader, 65536)
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
        except OSError as exc:
            if exc.errno == errno.EIO:
                return
            raise
        if not chunk:
            return
        output.feed(chunk)
        on_output(chunk)


def prompt_dir(cwd: str, home: str | None) -> str:
    """The folder as a shell prompt shows it: ``~`` for the home folder."""
    if home and home != "/" and (cwd == home or cwd.startswith(home.rstrip("/") + "/")):
        return "~" + cwd[len(home.rstrip("/")) :]
    return cwd


def record_lines(result: RunResult, *, user: str, host: str, home: str | None,
                 extra: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The entry's text: the record (C7) with ``extra`` fields last, a blank line, the
    transcript (C6)."""
    from worklog.format.constructs import escape_value, format_record  # noqa: PLC0415

    summary = []
    if result.error:
        summary.append(result.error)
    if result.signal is not None:
        summary.append(f"killed by {_signal_name(result.signal)}")
    if result.left_out:
        summary.append(f"first {result.left_out} lines of output left out")
    fields = [("command", shlex.join(result.argv)), ("exit", str(result.exit_code)),
              ("duration", result.duration_text), ("cwd", result.cwd)]
    if result.signal is not None:
        fields.append(("signal", _signal_name(result.signal)))
    if result.error:
        fields.append(("error", result.error))
    if result.left_out:
        fields.append(("left-out", f"{result.left_out} lines"))
    fields.extend(extra)
    lines = format_record("run", result.name,
                          f"exit {result.exit_code} in {result.duration_text}",
                          "; ".join(summary), fields)
    lines.append("")
    short_host = host.split(".", maxsplit=1)[0] or "localhost"
    # the command on one line, as in the record (a line break in an argument is \n)
    lines.append(f"{user}@{short_host}:{prompt_dir(result.cwd, home)}> "
                 f"{escape_value(shlex.join(result.argv))}")
    if result.left_out:
        lines.append(f"[worklog: {result.left_out} earlier lines left out]")
    lines += result.output
    return lines


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
