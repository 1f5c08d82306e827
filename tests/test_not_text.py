"""Files that are not text: refused for writing (exit 4), and read commands say what
they look like (worklog.format.encoding.not_text, used by the log file)."""

from __future__ import annotations

import random
import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import Runner
from worklog.errors import LogFileError
from worklog.store.logfile import LogFile

RANDOM_4K = random.Random(4).randbytes(4096)
UTF16_NO_MARK = "10:00 2026-12-10\r\nhello\r\n".encode("utf-16-le")


@pytest.mark.parametrize(("data", "looks"), [
    (RANDOM_4K, "binary data ("),
    (b".LOG\n10:00 2026-12-10\nhello\x00\x00 there\n", "binary data (2 NUL bytes)"),
    (bytes(b % 31 + 1 for b in RANDOM_4K), "binary data ("),  # controls, no NUL
    (UTF16_NO_MARK, "UTF-16 text without a byte-order mark"),
])
def test_a_file_that_is_not_text_is_refused_for_writing(tmp_path: Path, data: bytes,
                                                        looks: str) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes(data)
    log = LogFile(path)
    with pytest.raises(LogFileError, match=re.escape(f"looks like {looks}")) as caught:
        log.append([], ["hi"], datetime(2026, 12, 11, 13, 0))
    assert caught.value.exit_code == 4
    assert str(caught.value).endswith("not a text log; nothing was written")
    tail = LogFile(path).load_tail()
    with pytest.raises(LogFileError, match="not a text log"):
        log.replace_tail(tail, tail.doc.text + "more")
    assert path.read_bytes() == data


@pytest.mark.parametrize("data", [
    b".LOG\r\n10:00 2026-12-10\r\nan ESC \x1b[1m, a tab\t and a form feed \x0c\r\n",
    "10:00 2026-12-10\r\nhello\r\n".encode("utf-16"),
    ".LOG\r\n10:00 2026-12-10\r\nhello\r\n".encode("utf-16-be"),
    "10:00 10.12.2026\r\nGrüße, Ærø\r\n".encode("cp1252"),
])
def test_text_logs_are_text(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes(data)
    LogFile(path).append([], ["hi"], datetime(2026, 12, 11, 13, 0))
    assert path.read_bytes().startswith(data)


def test_read_commands_say_what_a_file_that_is_not_text_looks_like(
        run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes(RANDOM_4K)
    added = run_cli("--file", str(path), "add", "hi")
    assert added.code == 4
    assert added.err.startswith(f"worklog: {path}: looks like binary data (")
    assert path.read_bytes() == RANDOM_4K
    for args in (["show", "--last", "1"], ["today"], ["export"], ["report"], ["tags"]):
        result = run_cli("--file", str(path), *args)
        assert result.code == 0, args
        assert result.err.startswith(f"worklog: {path}: looks like binary data ("), args
        assert result.err.count("looks like") == 1
    check = run_cli("--file", str(path), "check")
    assert check.code == 1
    assert check.out.startswith(f"{path}:1: looks like binary data (")
    assert check.out.splitlines()[0].endswith(
        "not a text log: worklog writes nothing into it [not-text]")
    assert len(check.err.splitlines()) == 1
