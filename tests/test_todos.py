"""TODO notes (FORMAT.md C9): the rule on the seed's shape, `todo`, `todo done/drop`,
`plan --todo`, `done` of a planned TODO and the export's `todos`: bytes compared."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Runner
from worklog.format import parse
from worklog.format.todos import todo_items

NOTE = "10:20 2014-02-11"
TODO_1 = "vm-snapshot-disk? for what?"
TODO_2 = "finish disk snapshot code: could snapshot all the disk for the specific domain."


def at(when: str) -> dict[str, str]:
    return {"WORKLOG_NOW": when}


def _items(text: str) -> list[tuple[int, str, str]]:
    doc = parse(text.encode())
    return [(t.n, t.text, t.state) for e in doc.entries for t in todo_items(e)]


def test_the_seed_twin_gives_the_todos_a_person_reads(seed_twin: Path) -> None:
    """[C9] the seed's shape: the TODO heading's first line, then the later sections."""
    doc = parse(seed_twin.read_bytes())
    found = [(e.stamp.text, t.n, t.text, t.state) for e in doc.entries for t in todo_items(e)]
    assert found == [(NOTE, 1, TODO_1, "open"), (NOTE, 2, TODO_2, "open")]


def test_the_rule_items_markers_case_and_not_plans() -> None:
    """[C9] items under the heading, markers, any case, never a plan."""
    text = ("9:00 2026-11-02\n1, todo:\n1), ask Jonas (done)\n2) fix prune\n"
            "3), rebuild VM (DROPPED)\n2, notes\nnot a TODO\n\n"
            "9:10 2026-11-02\nGTD\n1, TODO\n1), a plan item\n\n"
            "9:20 2026-11-02\n1, today\nno TODO section\n\n"
            "9:30 2026-11-02\n1, TODO\nfirst one (done)\n\n2, second\n3, third (dropped)\n")
    assert _items(text) == [
        (1, "ask Jonas", "done"), (2, "fix prune", "open"), (3, "rebuild VM", "dropped"),
        (1, "first one", "done"), (2, "second", "open"), (3, "third", "dropped")]


def test_todo_lists_the_open_ones_with_their_plans(run_cli: Runner, seed_twin: Path) -> None:
    result = run_cli("--file", str(seed_twin), "todo", env=at("2014-02-14T09:00"))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "2 open TODO items, oldest first:",
        f"{NOTE}  1) {TODO_1}",
        "    3 days old; planned 2014-02-11; worked 2014-02-11 (1h51)",
        f"{NOTE}  2) {TODO_2}",
        "    3 days old; planned 2014-02-11; worked 2014-02-11 (1h51)"]


def test_todo_json_contract(run_cli: Runner, seed_twin: Path) -> None:
    result = run_cli("--file", str(seed_twin), "todo", "--json", env=at("2014-02-14T09:00"))
    assert result.code == 0, result.err
    assert json.loads(result.out)[1] == {
        "stamp": "2014-02-11T10:20", "stamp_text": NOTE, "n": 2, "text": TODO_2,
        "state": "open", "planned": ["2014-02-11"], "worked": ["2014-02-11"],
        "worked_minutes": 111}


def test_todo_done_closes_one_in_place(run_cli: Runner, seed_twin: Path) -> None:
    before = seed_twin.read_bytes()
    result = run_cli("--file", str(seed_twin), "todo", "done", NOTE, "2")
    assert result.code == 0, result.err
    line = TODO_2.encode()
    assert seed_twin.read_bytes() == before.replace(b"2, " + line, b"2, " + line + b" (done)")
    assert before.count(b"2, " + line) == 1
    result = run_cli("--file", str(seed_twin), "todo", "drop", NOTE)  # the only open one
    assert result.code == 0, result.err
    after = seed_twin.read_bytes()
    assert after == before.replace(b"2, " + line, b"2, " + line + b" (done)").replace(
        TODO_1.encode() + b"\n", TODO_1.encode() + b" (dropped)\n")
    listed = run_cli("--file", str(seed_twin), "todo", "--json")
    assert json.loads(listed.out) == []
    refused = run_cli("--file", str(seed_twin), "todo", "done", NOTE)
    assert refused.code == 2
    assert "no open TODOs" in refused.err
    assert seed_twin.read_bytes() == after


def test_todo_done_refuses_what_is_not_a_todo(run_cli: Runner, seed_twin: Path) -> None:
    before = seed_twin.read_bytes()
    for args, said in ((["9:00 2014-02-11", "1"], "no entry has this stamp"),
                       ([NOTE, "7"], "has no TODO 7 (TODOs: 1, 2)"),
                       ([NOTE], "has 2 open TODOs")):
        result = run_cli("--file", str(seed_twin), "todo", "done", *args)
        assert result.code == 2
        assert said in result.err, result.err
    assert seed_twin.read_bytes() == before


def test_plan_todo_writes_the_seeds_reference(run_cli: Runner, seed_twin: Path) -> None:
    before = seed_twin.read_bytes()
    result = run_cli("--file", str(seed_twin), "plan", "--todo", f"{NOTE}:2",
                     env=at("2014-02-14T09:00"))
    assert result.code == 0, result.err
    after = seed_twin.read_bytes()
    assert after.startswith(before)
    assert after[len(before):].decode().splitlines()[-1] == f'2), {TODO_2} see"{NOTE}"'
    listed = json.loads(run_cli("--file", str(seed_twin), "todo", "--json").out)
    assert [t["planned"] for t in listed] == [["2014-02-11", "2014-02-14"]] * 2
    # done on the item says the TODO is still open; --todo closes both
    said = run_cli("--file", str(seed_twin), "done", "2", env=at("2014-02-14T10:00"))
    assert said.code == 0, said.err
    assert f'`worklog todo done "{NOTE}" 2` closes it' in said.err
    assert json.loads(run_cli("--file", str(seed_twin), "todo", "--json").out)[1]["n"] == 2
    run_cli("--file", str(seed_twin), "plan", "--todo", f"{NOTE}:1", env=at("2014-02-14T10:01"))
    closed = run_cli("--file", str(seed_twin), "done", "3", "--todo", env=at("2014-02-14T10:02"))
    assert closed.code == 0, closed.err
    text = seed_twin.read_text()
    assert f"{TODO_1} (done)\n" in text
    assert f'3), {TODO_1} see"{NOTE}" (done)' in text


def test_export_json_has_todos_for_a_todo_note(run_cli: Runner, seed_twin: Path) -> None:
    result = run_cli("--file", str(seed_twin), "export", "--format", "json")
    assert result.code == 0, result.err
    records = json.loads(result.out)
    note = next(r for r in records if r["stamp_text"] == NOTE)
    assert note["kind"] == "note"
    assert note["todos"] == [{"n": 1, "text": TODO_1, "state": "open"},
                             {"n": 2, "text": TODO_2, "state": "open"}]
    assert all("todos" not in r for r in records if r["stamp_text"] != NOTE)


THREAD_LOG = """.LOG

10:20 2014-02-11
1, TODO
vm-snapshot-disk? for what?

2, finish disk snapshot code.

09:00 2014-02-12
GTD
0, 9:00

1, today
1), 9:10-10:00 finish disk snapshot code. see"10:20 2014-02-11"
2), 10:00-10:30 mail

11:00 2014-02-12
"Carl Ode"_email_"disk snapshots"
about see"10:20 2014-02-11": all disks.

11:30 2014-02-12
snapshot, web01
worklog snap web01: ok, internal snapshot s1 of 1 disk in 0.1 s
result: ok
domain: web01
name: s1
for: see"09:00 2014-02-12" item 1

11:40 2014-02-12
worklog run make: exit 1, failed in 2 s
command: make
exit: 1
for: see"09:00 2014-02-12" item 2

12:00 2014-02-12
unrelated note
"""


def test_thread_lists_every_linked_piece(run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "t.LOG"
    log.write_text(THREAD_LOG)
    result = run_cli("--file", str(log), "thread", NOTE, "--json", env=at("2014-02-12T13:00"))
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert set(data) == {"stamp", "text", "worked_minutes", "events", "stamp_text"}
    assert (data["stamp"], data["worked_minutes"]) == ("2014-02-11T10:20", 50)
    assert set(data["events"][0]) == {"stamp", "stamp_text", "line", "kind", "summary", "n",
                                      "minutes", "result"}
    assert [(e["stamp"], e["kind"], e["n"], e["result"]) for e in data["events"]] == [
        ("2014-02-11T10:20", "todo", None, None),
        ("2014-02-12T09:00", "plan-item", 1, None),
        ("2014-02-12T11:00", "email", None, None),
        ("2014-02-12T11:30", "snapshot", None, "ok")]
    by_item = run_cli("--file", str(log), "thread", "1", "--format", "markdown",
                      env=at("2014-02-12T13:00"))
    assert by_item.code == 0, by_item.err
    assert by_item.out.splitlines()[:3] == [f"## 1, TODO ({NOTE})", "", "Time worked: 0h50"]
    assert len(by_item.out.splitlines()) == 4 + 4


def test_thread_on_the_sample_log(run_cli: Runner, sample: Callable[[str], Path]) -> None:
    path = sample("worklog.LOG")
    result = run_cli("--file", str(path), "thread", "10:26 2026-11-18", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["worked_minutes"] == 35
    assert [(e["stamp"], e["kind"], e["n"]) for e in data["events"]] == [
        ("2026-11-18T09:14", "plan-item", 3), ("2026-11-18T10:26", "email", None),
        ("2026-11-23T08:49", "plan-item", 4)]
