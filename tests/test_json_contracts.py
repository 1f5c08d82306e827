"""The JSON that scripts rely on (docs/CLI.md): the exact keys and value types of each shape.

Every shape is written out here, key by key, never taken from the code under test; the
real CLI runs in this process on the sample log (and on libvirt's test driver for
`snaps`). A key added to an output fails these tests until it is added here and to
docs/CLI.md: keys are only ever added, never renamed or taken away.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLES, Runner
from tests.libvirt_nodes import NodeDomain, NodeSnapshot, write_node

NONE = type(None)
Shape = dict[str, tuple[type, ...]]

ENTRY: Shape = {  # export --format json, grep --json
    "stamp": (str,), "stamp_text": (str,), "line": (int,), "tags": (list,), "kind": (str,),
    "links": (list,), "text": (str,), "email": (dict, NONE), "snapshot": (dict, NONE),
    "command": (dict, NONE),
}
#: A TODO note's entry has this key too (its kind stays note).
ENTRY_TODOS: Shape = {"todos": (list,)}
TODO_ITEM: Shape = {"n": (int,), "text": (str,), "state": (str,)}
EMAIL: Shape = {"from": (str,), "subject": (str,), "date": (str, NONE)}
SNAPSHOT: Shape = {
    "action": (str,), "domain": (str,), "name": (str, NONE), "result": (str,),
    "uri": (str, NONE), "kind": (str, NONE), "error": (str, NONE),
    "error_code": (str, NONE), "for": (str, NONE),
}
COMMAND: Shape = {"command": (str,), "exit": (int, NONE), "duration": (str, NONE),
                  "cwd": (str, NONE)}

TODAY: Shape = {
    "date": (str,), "planned": (bool,), "plan_stamp": (str, NONE), "start": (str, NONE),
    "worked_minutes": (int,), "running": (dict, NONE), "carried_from_plan": (str, NONE),
    "left_running": (dict, NONE), "items": (list,), "entries": (list,), "todos": (dict,),
}
TODAY_TODOS: Shape = {"open": (int,), "oldest": (list,)}
TODAY_TODO: Shape = {"stamp": (str,), "stamp_text": (str,), "n": (int,), "text": (str,)}
TODAY_RUNNING: Shape = {"n": (int,), "since": (str,), "minutes": (int, NONE)}
TODAY_LEFT_RUNNING: Shape = {"date": (str,), "n": (int,), "since": (str,)}
TODAY_ITEM: Shape = {"n": (int,), "text": (str,), "state": (str,), "ranges": (list,),
                     "minutes": (int,), "carried_from": (str, NONE)}
TODAY_ENTRY: Shape = {"stamp": (str,), "stamp_text": (str,), "kind": (str,),
                      "tags": (list,), "summary": (str,)}

REPORT: Shape = {"since": (str, NONE), "until": (str,), "by": (str,),
                 "total_minutes": (int,), "rows": (list,), "not_counted": (list,),
                 "round_minutes": (int, NONE), "target_minutes": (int, NONE),
                 "balance_minutes": (int, NONE), "days": (list,), "carried": (list,),
                 "evidence": (list, NONE)}
REPORT_DAY: Shape = {"date": (str,), "worked_minutes": (int,), "target_minutes": (int, NONE),
                     "balance_minutes": (int, NONE), "planned": (int,), "done": (int,),
                     "dropped": (int,), "gaps": (list,), "overlaps": (list,)}
REPORT_GAP: Shape = {"start": (str,), "end": (str,), "minutes": (int,)}
REPORT_OVERLAP: Shape = {"items": (list,), "start": (str,), "end": (str,), "minutes": (int,)}
REPORT_CARRIED: Shape = {"item": (str,), "first": (str,), "days": (int,), "state": (str,)}
REPORT_EVIDENCE: Shape = {"date": (str,), "outside": (list,), "idle": (list,)}
REPORT_OUTSIDE: Shape = {"start": (str,), "end": (str,), "kind": (str,), "summary": (str,),
                         "line": (int,)}
REPORT_IDLE: Shape = {"n": (int,), "item": (str,), "start": (str,), "end": (str,)}
REPORT_ROW: Shape = {"key": (str,), "minutes": (int,), "days": (list,)}
REPORT_NOT_COUNTED: Shape = {"date": (str,), "n": (int,), "since": (str,)}

TAG: Shape = {"tag": (str,), "count": (int,), "last": (str,), "line": (int,)}

SNAP: Shape = {
    "name": (str,), "created": (str,), "in_log": (bool,), "in_libvirt": (bool,),
    "domain": (str,), "uri": (str,), "kind": (str, NONE), "parent": (str, NONE),
    "current": (bool,), "entry": (str, NONE), "for": (str, NONE),
    "description": (str, NONE), "deleted": (str, NONE),
}


def assert_shape(value: Any, shape: Shape) -> None:
    """``value`` is an object with exactly ``shape``'s keys, each of one of its types
    (``bool`` is not taken for ``int``)."""
    assert isinstance(value, dict), value
    assert set(value) == set(shape), (sorted(set(value) ^ set(shape)), value)
    for key, types in shape.items():
        kind = type(value[key])
        assert kind in types, (key, value[key], types)


def assert_each(values: Any, shape: Shape) -> None:
    """``values`` is a non-empty list of objects of ``shape``."""
    assert isinstance(values, list)
    assert values
    for value in values:
        assert_shape(value, shape)


def run_json(run_cli: Runner, log: Path, *args: str, now: str = "2026-11-25T16:00") -> Any:
    result = run_cli("--file", str(log), *args, env={"WORKLOG_NOW": now})
    assert (result.code, result.err) == (0, ""), result
    return json.loads(result.out)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    target = tmp_path / "worklog.LOG"
    shutil.copyfile(SAMPLES / "worklog.LOG", target)
    return target


def assert_entry(record: Any) -> None:
    if isinstance(record, dict) and "todos" in record:
        assert record["kind"] == "note"
        assert_shape(record, ENTRY | ENTRY_TODOS)
        assert_each(record["todos"], TODO_ITEM)
    else:
        assert_shape(record, ENTRY)
    for key, shape in (("email", EMAIL), ("snapshot", SNAPSHOT), ("command", COMMAND)):
        if record[key] is not None:
            assert_shape(record[key], shape)
    assert all(isinstance(tag, str) for tag in record["tags"])
    assert all(isinstance(link, str) for link in record["links"])


def test_export(run_cli: Runner, log: Path) -> None:
    records = run_json(run_cli, log, "export", "--format", "json")
    assert isinstance(records, list)
    assert records
    for record in records:
        assert_entry(record)
    kinds = {r["kind"] for r in records}
    assert kinds == {"plan", "email", "snapshot", "command", "note"}
    for key in ("email", "snapshot", "command"):
        assert any(r[key] is not None for r in records), key


def test_grep(run_cli: Runner, log: Path) -> None:
    records = run_json(run_cli, log, "grep", "--json", "-i", "snapshot|make check|kvm")
    assert len(records) > 3
    for record in records:
        assert_entry(record)
    assert {r["kind"] for r in records} >= {"snapshot", "command", "email"}


def test_today_with_a_running_item(run_cli: Runner, log: Path) -> None:
    data = run_json(run_cli, log, "today", "--json")
    assert_shape(data, TODAY)
    assert_shape(data["running"], TODAY_RUNNING)
    assert data["left_running"] is None
    assert_each(data["items"], TODAY_ITEM)
    assert all(isinstance(r, str) for item in data["items"] for r in item["ranges"])
    assert_each(data["entries"], TODAY_ENTRY)
    assert_shape(data["todos"], TODAY_TODOS)


def test_today_todos(run_cli: Runner, seed_twin: Path) -> None:
    data = run_json(run_cli, seed_twin, "today", "--json", now="2014-02-14T09:00")
    assert_shape(data, TODAY)
    assert_shape(data["todos"], TODAY_TODOS)
    assert data["todos"]["open"] == 2
    assert_each(data["todos"]["oldest"], TODAY_TODO)


def test_today_without_a_plan(run_cli: Runner, log: Path) -> None:
    data = run_json(run_cli, log, "today", "--json", now="2026-11-26T09:00")
    assert_shape(data, TODAY)
    assert data["planned"] is False
    assert_shape(data["left_running"], TODAY_LEFT_RUNNING)
    assert_each(data["items"], TODAY_ITEM)
    assert all(item["carried_from"] is not None for item in data["items"])


@pytest.mark.parametrize("by", ["day", "item", "tag"])
def test_report(run_cli: Runner, log: Path, by: str) -> None:
    data = run_json(run_cli, log, "report", "--month", "--by", by, "--json")
    assert_shape(data, REPORT)
    assert data["by"] == by
    assert_each(data["rows"], REPORT_ROW)
    assert all(isinstance(day, str) for row in data["rows"] for day in row["days"])
    assert_each(data["not_counted"], REPORT_NOT_COUNTED)
    assert_each(data["days"], REPORT_DAY)
    assert data["evidence"] is None


def test_report_timesheet(run_cli: Runner, tmp_path: Path) -> None:
    """The days, gaps, overlaps, carried items and evidence of ``report --json``."""
    week = tmp_path / "week.LOG"
    week.write_bytes((ROOT / "tests" / "data" / "week.LOG").read_bytes())
    data = run_json(run_cli, week, "report", "--since", "2026-12-07", "--until",
                    "2026-12-13", "--evidence", "--round", "15m", "--json")
    assert_shape(data, REPORT)
    assert_each(data["days"], REPORT_DAY)
    assert_each([g for d in data["days"] for g in d["gaps"]], REPORT_GAP)
    assert_each([o for d in data["days"] for o in d["overlaps"]], REPORT_OVERLAP)
    assert_each(data["carried"], REPORT_CARRIED)
    assert_each(data["evidence"], REPORT_EVIDENCE)
    assert_each([a for d in data["evidence"] for a in d["outside"]], REPORT_OUTSIDE)
    assert_each([w for d in data["evidence"] for w in d["idle"]], REPORT_IDLE)


def test_tags(run_cli: Runner, log: Path) -> None:
    data = run_json(run_cli, log, "tags", "--json")
    assert len(data) > 3
    assert_each(data, TAG)


def test_snaps(run_cli: Runner, log: Path, tmp_path: Path) -> None:
    """On libvirt's test driver: a snapshot made by others (not in the log) and one the
    log made that libvirt no longer has (every connection starts from the node file)."""
    pytest.importorskip("libvirt", reason="libvirt-python is not installed")
    uri = write_node(tmp_path, [NodeDomain("web01", snapshots=(
        NodeSnapshot("base", 1_700_000_000, current=True, description="by hand"),))])
    made = run_cli("--file", str(log), "snap", "web01", "--connect", uri, "--name", "s1",
                   env={"WORKLOG_NOW": "2026-11-25T16:00"})
    assert made.code == 0, made.err
    data = run_json(run_cli, log, "snaps", "web01", "--connect", uri, "--json")
    assert [(s["name"], s["in_log"], s["in_libvirt"]) for s in data] == [
        ("base", False, True), ("s1", True, False)]
    assert_each(data, SNAP)
