"""`today`'s open TODOs (FORMAT.md C9): their count and the oldest three, the same as
`worklog todo` lists, through the cache of worklog.history.todo_cache on each path (kept,
the end read again after an everyday edit, the whole read after an edit of old text,
corrupt)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner
from worklog.format.document import ParseOptions
from worklog.history import todo_cache as tc
from worklog.history.todo_cache import CACHE_NAME

NOTE = "10:20 2014-02-11"
TODO_1 = "vm-snapshot-disk? for what?"
TODO_2 = "finish disk snapshot code: could snapshot all the disk for the specific domain."
NOW = "2014-02-14T09:00"


def _env(tmp_path: Path, now: str = NOW) -> dict[str, str]:
    return {"WORKLOG_NOW": now, "XDG_CACHE_HOME": str(tmp_path / "cache")}


def _cache_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "worklog" / CACHE_NAME


def _today(run_cli: Runner, log: Path, tmp_path: Path) -> dict[str, Any]:
    result = run_cli("--file", str(log), "today", "--json", env=_env(tmp_path))
    assert result.code == 0, result.err
    todos: dict[str, Any] = json.loads(result.out)["todos"]
    return todos


def _listed(run_cli: Runner, log: Path, tmp_path: Path) -> dict[str, Any]:
    """What `worklog todo --json` (the whole history, no cache) says, in today's shape."""
    result = run_cli("--file", str(log), "todo", "--json", env=_env(tmp_path))
    assert result.code == 0, result.err
    found = json.loads(result.out)
    return {"open": len(found), "oldest": [
        {k: t[k] for k in ("stamp", "stamp_text", "n", "text")} for t in found[:3]]}


def _add(run_cli: Runner, log: Path, tmp_path: Path, now: str, text: str) -> None:
    result = run_cli("--file", str(log), "add", "-", env=_env(tmp_path, now),
                     stdin=text.encode())
    assert result.code == 0, result.err


def test_today_on_the_seed_twin(run_cli: Runner, seed_twin: Path, tmp_path: Path) -> None:
    assert _today(run_cli, seed_twin, tmp_path) == {"open": 2, "oldest": [
        {"stamp": "2014-02-11T10:20", "stamp_text": NOTE, "n": 1, "text": TODO_1},
        {"stamp": "2014-02-11T10:20", "stamp_text": NOTE, "n": 2, "text": TODO_2}]}
    result = run_cli("--file", str(seed_twin), "today", env=_env(tmp_path))
    assert result.out.splitlines()[-3:] == [
        "2 open TODOs (`worklog todo` lists them all):",
        f"  {NOTE}  1) {TODO_1}", f"  {NOTE}  2) {TODO_2}"]


def test_today_on_a_sample_shows_the_oldest_three(
        run_cli: Runner, sample: Any, tmp_path: Path) -> None:
    log = sample("worklog.LOG")
    todos = _today(run_cli, log, tmp_path)
    assert todos == _listed(run_cli, log, tmp_path)
    assert todos["open"] == 11
    assert len(todos["oldest"]) == 3
    result = run_cli("--file", str(log), "today", env=_env(tmp_path))
    assert "11 open TODOs, the oldest 3 (`worklog todo` lists them all):" in result.out


def test_the_kept_answer_is_used_while_the_file_is_as_kept(
        run_cli: Runner, seed_twin: Path, tmp_path: Path) -> None:
    """Same size, mtime and inode: the log is not read again (the kept text shows)."""
    _today(run_cli, seed_twin, tmp_path)
    cache = json.loads(_cache_file(tmp_path).read_text(encoding="utf-8"))
    (record,) = cache["logs"].values()
    assert record["size"] == seed_twin.stat().st_size
    record["tail"][0][3] = "kept, not read"
    _cache_file(tmp_path).write_text(json.dumps(cache), encoding="utf-8")
    assert _today(run_cli, seed_twin, tmp_path)["oldest"][0]["text"] == "kept, not read"


def _big_log(path: Path) -> None:
    """A log of about 200 KB: TODO notes early, in the middle and in its last 64 KB."""
    entries = [".LOG\n"]
    for k in range(1500):
        day = f"2014-{1 + k // 150:02d}-{1 + k % 28:02d}"
        if k in (3, 700, 1490):
            entries.append(f"9:{k % 60:02d} {day}\n1, TODO\nfix thing {k}\n2, ship {k}\n")
        else:
            entries.append(f"9:{k % 60:02d} {day}\nkvm, note\nroutine line {k} " + "x" * 90)
    path.write_text("\n\n".join(entries) + "\n", encoding="utf-8")


def _read(log: Path, tmp_path: Path) -> tuple[str, int, list[tuple[str, int, str]]]:
    found = tc.open_todos(log, ParseOptions(), _env(tmp_path))
    return found.read, found.count, [(t.stamp, t.n, t.text) for t in found.oldest]


def _as_listed(run_cli: Runner, log: Path,
               tmp_path: Path) -> tuple[int, list[tuple[str, int, str]]]:
    """What `worklog todo --json` (the whole history, no cache) says: how many, the
    oldest three."""
    result = run_cli("--file", str(log), "todo", "--json", env=_env(tmp_path))
    assert result.code == 0, result.err
    found = json.loads(result.out)
    return len(found), [(t["stamp"], t["n"], t["text"]) for t in found[:3]]


def test_everyday_edits_read_only_the_end_and_give_the_whole_answer(
        run_cli: Runner, tmp_path: Path) -> None:
    """``add``, ``plan``, ``start``, ``stop`` change the end: the bytes before the
    anchor hash as kept, only the end is read, and the answer is `worklog todo`'s."""
    log = tmp_path / "big.LOG"
    _big_log(log)
    assert _read(log, tmp_path) == ("full", *_as_listed(run_cli, log, tmp_path))
    assert _read(log, tmp_path)[0] == "kept"
    kept = json.loads(_cache_file(tmp_path).read_text(encoding="utf-8"))
    (record,) = kept["logs"].values()
    assert record["anchor"] > 0
    assert log.stat().st_size - record["anchor"] <= tc.TAIL_BYTES
    assert record["settled"] == 4
    assert [r[3] for r in record["settled_oldest"]] == ["fix thing 3", "ship 3",
                                                        "fix thing 700"]
    now = "2014-11-05T09:00"
    for command in (("add", "-"), ("plan", "review the kvm package"), ("start", "1"),
                    ("stop",), ("add", "-")):
        result = run_cli("--file", str(log), *command, env=_env(tmp_path, now),
                         stdin=b"1, todo\n1) answer Bruce\n")
        assert result.code == 0, result.err
        assert _read(log, tmp_path) == ("tail", *_as_listed(run_cli, log, tmp_path))
    assert _read(log, tmp_path)[1] == 6 + 2


@pytest.mark.parametrize("edit", ["todo done", "same length", "shorter"])
def test_an_edit_of_old_text_reads_the_whole_log_again(
        run_cli: Runner, tmp_path: Path, edit: str) -> None:
    """Old text changed (by worklog or by hand, even to the same length): the bytes
    before the anchor no longer hash as kept, and the whole log is read."""
    log = tmp_path / "big.LOG"
    _big_log(log)
    _read(log, tmp_path)
    if edit == "todo done":
        result = run_cli("--file", str(log), "todo", "done", "9:40 2014-05-01", "1",
                         env=_env(tmp_path))
        assert result.code == 0, result.err
    else:
        data = log.read_bytes()
        new = b"fix thing 799" if edit == "same length" else b"fix 700"
        log.write_bytes(data.replace(b"fix thing 700", new))
    read, count, oldest = _read(log, tmp_path)
    assert (read, count, oldest) == ("full", *_as_listed(run_cli, log, tmp_path))
    assert "fix thing 700" not in [t[2] for t in oldest]
    assert count == (5 if edit == "todo done" else 6)


def test_an_end_grown_past_the_bound_is_anchored_again(
        run_cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "big.LOG"
    _big_log(log)
    _read(log, tmp_path)
    monkeypatch.setattr(tc, "REANCHOR_BYTES", 100)
    _add(run_cli, log, tmp_path, "2014-11-05T09:00", "1, TODO\n1) grown\n" + "y" * 200)
    assert _read(log, tmp_path) == ("full", *_as_listed(run_cli, log, tmp_path))


def test_after_todo_done_the_edited_file_is_read_again(
        run_cli: Runner, seed_twin: Path, tmp_path: Path) -> None:
    assert _today(run_cli, seed_twin, tmp_path)["open"] == 2
    result = run_cli("--file", str(seed_twin), "todo", "done", NOTE, "1", env=_env(tmp_path))
    assert result.code == 0, result.err
    todos = _today(run_cli, seed_twin, tmp_path)
    assert todos == _listed(run_cli, seed_twin, tmp_path)
    assert [(t["n"], t["text"]) for t in todos["oldest"]] == [(2, TODO_2)]
    result = run_cli("--file", str(seed_twin), "todo", "open", NOTE, "1", env=_env(tmp_path))
    assert result.code == 0, result.err
    assert _today(run_cli, seed_twin, tmp_path)["open"] == 2


def test_a_corrupt_or_unwritable_cache_is_ignored(
        run_cli: Runner, seed_twin: Path, tmp_path: Path) -> None:
    expected = _listed(run_cli, seed_twin, tmp_path)
    cache_file = _cache_file(tmp_path)
    cache_file.parent.mkdir(parents=True)
    for garbage in ("{not json", '{"version": 1, "logs": []}',
                    json.dumps({"version": 1, "logs": {str(seed_twin.resolve()): {
                        "options": "ParseOptions(day_first=None, ansi='cp1252')",
                        "size": seed_twin.stat().st_size, "ino": seed_twin.stat().st_ino,
                        "mtime_ns": seed_twin.stat().st_mtime_ns, "digest": "x",
                        "anchor": "?", "settled": [[1, 2]], "tail": None}}}),
                    json.dumps({"version": 4, "logs": {str(seed_twin.resolve()): {
                        "options": repr(ParseOptions()), "size": 1, "ino": 2,
                        "mtime_ns": 3, "digest": 0, "day_first": None, "anchor": 0,
                        "settled": "x", "settled_oldest": [["x", "y", 1, 2]],
                        "tail": []}}})):
        cache_file.write_text(garbage, encoding="utf-8")
        assert _today(run_cli, seed_twin, tmp_path) == expected
    cache_file.write_bytes(b"\xff\xfe\x00garbage")
    assert _today(run_cli, seed_twin, tmp_path) == expected
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    result = run_cli("--file", str(seed_twin), "today", "--json",
                     env={"WORKLOG_NOW": NOW, "XDG_CACHE_HOME": str(blocked)})
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out)["todos"] == expected


def test_growth_of_a_crlf_file_with_a_bom_and_month_first_stamps(
        run_cli: Runner, sample: Any, tmp_path: Path) -> None:
    """The grown end of a CRLF file with a BOM, its stamps alone either day order
    (2/1/2027, 2/3/2027): read from its last entry, as the whole month-first history."""
    log = sample("en-US-crlf-bom.LOG")
    _today(run_cli, log, tmp_path)
    _add(run_cli, log, tmp_path, "2027-02-01T09:00", "1, TODO\nmove the NAS – café\n")
    _today(run_cli, log, tmp_path)
    _add(run_cli, log, tmp_path, "2027-02-03T09:00", "not a TODO note\n")
    todos = _today(run_cli, log, tmp_path)
    assert todos == _listed(run_cli, log, tmp_path)
    assert todos["oldest"] == [{"stamp": "2027-02-01T09:00", "stamp_text": "9:00 AM 2/1/2027",
                                "n": 1, "text": "move the NAS – café"}]
