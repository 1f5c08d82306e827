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
