"""The one in-process CLI runner: ``worklog ARGS`` through the CLI's one exit point.

``run_worklog`` calls ``worklog.cli.app.main`` in this process with an environment of
its own (the whole ``os.environ`` for the call, restored afterwards) and its own stdin,
stdout and stderr, and returns a ``Result``. Every in-process run of the CLI in the tests
goes through it: the ``run_cli`` fixture (tests/conftest.py), ``invoke``
(tests/reliability/conftest.py), the ``wl`` fixtures of the snapshot tests.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


#: The name the snapshot tests used for a result.
Run = Result


class TextCapture(io.TextIOWrapper):
    """A text stream with a byte buffer (``run`` writes to ``sys.stdout.buffer``)."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="surrogateescape", newline="")

    def value(self) -> str:
        self.flush()
        buffer = self.buffer
        assert isinstance(buffer, io.BytesIO)
        return buffer.getvalue().decode("utf-8", "surrogateescape")


@contextlib.contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """``env`` as the whole of ``os.environ`` for the block."""
    saved, wanted = dict(os.environ), dict(env)  # env may be os.environ itself
    os.environ.clear()
    os.environ.update(wanted)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_worklog(
    args: Sequence[str],
    env: Mapping[str, str],
    stdin: bytes | IO[str] = b"",
) -> Result:
    """``worklog ARGS`` in this process with ``env`` as the whole environment. ``stdin``
    is the bytes to read, or a text stream. An exception that escapes ``main`` (a
    traceback a user would see) propagates to the test."""
    from worklog.cli.app import main  # noqa: PLC0415

    out, err = TextCapture(), TextCapture()
    stdin_stream = (io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
                    if isinstance(stdin, bytes) else stdin)
    saved = sys.stdin, sys.stdout, sys.stderr
    with environment(env):
        sys.stdin, sys.stdout, sys.stderr = stdin_stream, out, err
        try:
            code = main(list(args))
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
    return Result(code, out.value(), err.value())


def scrubbed_env(base: Mapping[str, str], config_home: str, **extra: str) -> dict[str, str]:
    """``base`` without worklog's and libvirt's variables, with an empty config folder and
    a cache folder beside it, no colour, then ``extra``: what the fixtures' runs see."""
    env = {k: v for k, v in base.items()
           if not k.startswith(("WORKLOG_", "LIBVIRT_"))}
    env.update({"XDG_CONFIG_HOME": config_home, "NO_COLOR": "1",
                "XDG_CACHE_HOME": config_home.rstrip("/") + "-cache"})
    env.update(extra)
    return env


def terminal_output(argv: list[str], env: dict[str, str], *, columns: int | None = None,
                    cwd: str | None = None) -> bytes:
    """Run ``argv`` with its standard input and output on a pseudo-terminal (``columns``
    wide when given); what it wrote there. Its stderr is left out."""
    import fcntl  # noqa: PLC0415
    import os  # noqa: PLC0415
    import struct  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import termios  # noqa: PLC0415

    reader, writer = os.openpty()
    if columns is not None:
        fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(argv, stdin=writer, stdout=writer, stderr=subprocess.DEVNULL,
                            env=env, cwd=cwd)
    os.close(writer)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(reader, 65536)
        except OSError:  # EIO: the program closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(reader)
    proc.wait(timeout=60)
    return b"".join(chunks)
