"""What the in-process CLI runners share: the result of a run and a capturing stream."""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


class TextCapture(io.TextIOWrapper):
    """A text stream with a byte buffer (``run`` writes to ``sys.stdout.buffer``)."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="surrogateescape", newline="")

    def value(self) -> str:
        self.flush()
        buffer = self.buffer
        assert isinstance(buffer, io.BytesIO)
        return buffer.getvalue().decode("utf-8", "surrogateescape")


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
