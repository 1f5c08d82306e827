"""worklog's cache files (JSON, in ``worklog.config.cache_dir``).

A cache only holds facts derived from the log, so it is never trusted blindly and never
an error: a file that cannot be read, is not JSON or cannot be written is as good as no
file (one slower run). Writes are atomic (worklog.store.fs), so a reader never sees half
a file. Imports nothing of the parser: ``worklog status`` reads its cache before anything
else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from worklog.store.fs import write_file_atomic


def read_json(path: Path) -> Any:
    """The JSON value in ``path``; None when there is none or it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, value: Any) -> None:
    """Keep ``value`` in ``path``; a cache that cannot be written only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file_atomic(path, json.dumps(value, ensure_ascii=False).encode("utf-8"))
    except (OSError, ValueError, TypeError):
        pass
