"""worklog.history.line_marks: line numbers from kept marks are the ones counting gives,
in files with LF, CRLF and lone CR breaks, after the file is edited, appended to or
replaced; marks are kept in the cache folder only, and only for a settled file."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Runner
from tests.test_timeline import render, shuffled_within
from worklog.history import line_marks
from worklog.history.line_marks import LineMarks, cache_file

FIXTURES = [HealthCheck.function_scoped_fixture]
_BREAKS = re.compile(rb"\r\n|\r|\n")
LATER = time.time() + 3600.0  # a clock at which every file written here has settled


def counted(data: bytes, begin: int, pos: int) -> int:
    """The reference: 1 + the line breaks before ``pos`` (CRLF once, a lone CR once)."""
    return 1 + len(_BREAKS.findall(data, begin, pos))


def line_starts(data: bytes, begin: int) -> list[int]:
    return [begin, *(m.end() for m in _BREAKS.finditer(data, begin))]


@pytest.fixture
def small_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Marks a few bytes apart, so that short files hold many, and a hash of a few bytes
    of each end, so that an edit in the middle of a short file is not in it."""
    monkeypatch.setattr(line_marks, "MARK_EVERY", 7)
    monkeypatch.setattr(line_marks, "ENDS", 16)


def marks_of(tmp_path: Path, log: Path, *,
             now: float = LATER) -> LineMarks:
    return LineMarks(tmp_path / "cache", log, os.stat(log), now=lambda: now)


LINES = st.lists(st.tuples(st.text("ab \t.-:0123456789", max_size=12),
                           st.sampled_from([b"\n", b"\r\n", b"\r"])), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(lines=LINES, bom=st.booleans(), order=st.randoms(use_true_random=False))
def test_marked_line_numbers_are_counted_ones(small_marks: None, tmp_path: Path,
                                              lines: list[tuple[str, bytes]], bom: bool,
                                              order: Any) -> None:
    """Asked in any order, by the run that keeps the marks and by a later run that reads
    them back: the numbers counting gives."""
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(t.encode() + nl for t, nl in lines)
    log = tmp_path / "w.LOG"
    log.write_bytes(data)
    begin = 3 if bom else 0
    starts = line_starts(data, begin)
    for run in range(2):
        marks = marks_of(tmp_path, log)
        asked = starts[:]
        order.shuffle(asked)
        for pos in asked:
            assert marks.line_at(data, begin, pos) == counted(data, begin, pos), (run, pos)
    cache_file(tmp_path / "cache", log).unlink(missing_ok=True)


def _edited(log: Path, data: bytes) -> None:
    """Write ``data`` in place of the file's bytes, its size and modification time kept
    as they were when the size matches (what a careful tool may do): the change time
    still moves on."""
    before = os.stat(log)
    time.sleep(0.02)  # a tick of the file system's clock
    with log.open("r+b") as handle:
        handle.truncate(len(data))
        handle.write(data)
    if len(data) == before.st_size:
        os.utime(log, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(log).st_ctime_ns != before.st_ctime_ns


@pytest.mark.parametrize("edit", ["same size", "line inserted", "appended", "replaced"])
def test_an_edited_file_is_counted_again(small_marks: None, tmp_path: Path,
                                         edit: str) -> None:
    log = tmp_path / "w.LOG"
    data = render(list(range(60)), "iso", "\n", 7).encode()
    log.write_bytes(data)
    deep = line_starts(data, 0)[-3]
    assert marks_of(tmp_path, log).line_at(data, 0, deep) == counted(data, 0, deep)
    assert cache_file(tmp_path / "cache", log).is_file()
    middle = len(data) // 2
    if edit == "same size":  # one character of a line made a line break: one line more
        cut = data.index(b"\n", middle) - 2
        new = data[:cut] + b"\n" + data[cut + 1 :]
    elif edit == "line inserted":
        cut = data.index(b"\n", middle) + 1
        new = data[:cut] + b"one more line\r\nand another\r" + data[cut:]
    elif edit == "appended":
        new = data[:middle].replace(b"\n", b"\r\n") + data[middle:] + b"10:00 2014-05-01\nx\n"
    else:
        new = b"\n\n" + data
    if edit == "replaced":
        other = tmp_path / "new.LOG"
        other.write_bytes(new)
        os.replace(other, log)
    else:
        _edited(log, new)
    for pos in line_starts(new, 0):
        assert marks_of(tmp_path, log).line_at(new, 0, pos) == counted(new, 0, pos)


def test_marks_are_kept_in_the_cache_folder_only(small_marks: None, tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    log = folder / "w.LOG"
    data = render(list(range(40)), "de", "\r", 3).encode("cp1252")  # lone CRs
    log.write_bytes(data)
    pos = line_starts(data, 0)[-2]
    assert marks_of(tmp_path, log).line_at(data, 0, pos) == counted(data, 0, pos)
    assert sorted(p.name for p in folder.iterdir()) == ["w.LOG"]
    kept = json.loads(cache_file(tmp_path / "cache", log).read_text())
    assert kept["key"][1] == str(log)
    assert len(kept["marks"]) > 10
    assert log.read_bytes() == data


def test_marks_of_a_file_just_written_are_not_kept(small_marks: None,
                                                   tmp_path: Path) -> None:
    """Within ``SETTLE`` seconds of its last change, a write in the same tick would not
    show in the file's times: its marks are counted, not kept."""
    log = tmp_path / "w.LOG"
    data = render(list(range(40)), "iso", "\r\n", 3).encode()
    log.write_bytes(data)
    pos = line_starts(data, 0)[-2]
    marks = marks_of(tmp_path, log, now=os.stat(log).st_ctime_ns / 1e9 + 0.5)
    assert marks.line_at(data, 0, pos) == counted(data, 0, pos)
    assert not cache_file(tmp_path / "cache", log).exists()


def test_marks_of_a_file_that_changed_while_counted_are_not_kept(small_marks: None,
                                                                 tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    data = render(list(range(40)), "iso", "\n", 3).encode()
    log.write_bytes(data)
    marks = marks_of(tmp_path, log)  # the state the file was mapped in
    with log.open("ab") as handle:
        handle.write(b"10:00 2014-05-01\nlater\n")
    pos = line_starts(data, 0)[-2]
    assert marks.line_at(data, 0, pos) == counted(data, 0, pos)
    assert not cache_file(tmp_path / "cache", log).exists()


@pytest.mark.parametrize("kept", ["not json", '{"key": 1}', "[]", "marks", "order"])
def test_a_damaged_cache_file_is_ignored(small_marks: None, tmp_path: Path,
                                         kept: str) -> None:
    log = tmp_path / "w.LOG"
    data = render(list(range(40)), "iso", "\n", 3).encode()
    log.write_bytes(data)
    path = cache_file(tmp_path / "cache", log)
    path.parent.mkdir(parents=True)
    if kept in ("marks", "order"):  # the right key, marks that are no marks
        marks_of(tmp_path, log).line_at(data, 0, len(data))
        record = json.loads(path.read_text())
        record["marks"] = [[0, 1], [5, "x"]] if kept == "marks" else [[0, 1], [9, 3], [9, 5]]
        kept = json.dumps(record)
    path.write_text(kept)
    for pos in line_starts(data, 0):
        assert marks_of(tmp_path, log).line_at(data, 0, pos) == counted(data, 0, pos)


def test_export_since_with_kept_marks_matches_the_full_export(
        small_marks: None, monkeypatch: pytest.MonkeyPatch, run_cli: Runner,
        tmp_path: Path) -> None:
    """The CLI's bounded export, with marks kept by a first run and read by a second, is
    the full export filtered (same line numbers); only the cache folder is written."""
    import random  # noqa: PLC0415

    monkeypatch.setattr(line_marks, "SETTLE", float("-inf"))
    path = tmp_path / "logs" / "w.LOG"
    path.parent.mkdir()
    path.write_bytes(render(shuffled_within(list(range(120)), 3, random.Random(5)), "de",
                            "\r", 4).encode("cp1252"))
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    every = json.loads(run_cli("--file", str(path), "export", env=env).out)
    args = ("--file", str(path), "export", "--since", "2014-04-01", "--until", "2014-04-30")
    first = json.loads(run_cli(*args, env=env).out)
    assert list((cache / "worklog" / "lines").glob("*.json"))
    again = json.loads(run_cli(*args, env=env).out)
    assert first == again == [r for r in every if "2014-04-01" <= r["stamp"][:10] <= "2014-04-30"]
    assert first
    assert sorted(p.name for p in path.parent.iterdir()) == ["w.LOG"]
