"""`today`'s open TODOs (FORMAT.md C9): their count and the oldest three, the same as
`worklog todo` lists, through the cache of worklog.store.todo_cache on each path (kept,
grown, edited, corrupt)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Runner
from worklog.store.todo_cache import CACHE_NAME

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
    record["last"][0][3] = "kept, not read"
    _cache_file(tmp_path).write_text(json.dumps(cache), encoding="utf-8")
    assert _today(run_cli, seed_twin, tmp_path)["oldest"][0]["text"] == "kept, not read"


def test_after_add_the_grown_file_is_read_from_its_last_entry(
        run_cli: Runner, seed_twin: Path, tmp_path: Path) -> None:
    """The log grows (twice): only its end is read, from the kept last entry on (the
    seed's TODO note is that entry the first time), and the answer is the whole one."""
    assert _today(run_cli, seed_twin, tmp_path)["open"] == 2
    _add(run_cli, seed_twin, tmp_path, "2014-02-12T09:00", "1, TODO\nbuy milk\n2, call Carl\n")
    _add(run_cli, seed_twin, tmp_path, "2014-02-13T09:00", "1, todo\n1) fix prune\n")
    kept = json.loads(_cache_file(tmp_path).read_text(encoding="utf-8"))
    todos = _today(run_cli, seed_twin, tmp_path)
    assert todos == _listed(run_cli, seed_twin, tmp_path)
    assert todos["open"] == 5
    cache = json.loads(_cache_file(tmp_path).read_text(encoding="utf-8"))
    (record,) = cache["logs"].values()
    assert kept["logs"][str(seed_twin.resolve())]["ino"] == record["ino"]
    assert record["size"] == seed_twin.stat().st_size
    assert [r[3] for r in record["settled"]] == [TODO_1, TODO_2, "buy milk", "call Carl"]
    assert [r[3] for r in record["last"]] == ["fix prune"]
    _add(run_cli, seed_twin, tmp_path, "2014-02-13T10:00", "not a TODO note\n")
    assert _today(run_cli, seed_twin, tmp_path) == _listed(run_cli, seed_twin, tmp_path)


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
                        "last_start": "?", "settled": [[1, 2]], "last": None}}})):
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
