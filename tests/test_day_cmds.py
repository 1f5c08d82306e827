"""today, plan, start, stop, done, drop, report on real files: bytes compared."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bench.gen_log import write_log
from tests.conftest import Runner
from worklog.day import plan as pl
from worklog.store.logfile import SMALL_FILE, LogFile, Tail

SampleCopy = Callable[[str], Path]
WORKLOG = [sys.executable, "-m", "worklog"]


def at(when: str) -> dict[str, str]:
    return {"WORKLOG_NOW": when}


def only_entry_changed(before: bytes, after: bytes, old: bytes, new: bytes) -> bool:
    """``after`` is ``before`` with the one occurrence of ``old`` replaced by ``new``."""
    assert before.count(old) == 1
    pos = before.index(old)
    return after == before[:pos] + new + before[pos + len(old):]


PLAN_1124 = (b"11:52 2026-11-24\nGTD\n0, 8:50\n\n1, today\n"
             b"1), 9:00-11:30 vmbackup: retention, prune only our own snapshots\n"
             b'2), 11:55-13:10 13:50-15:20 qemu aarch64 build failure. see"11:34 2026-11-24" '
             b"(done)\n"
             b'3), 16:35-16:45 snapshot db-02, then put qemu 8.2.7 on it. see"16:41 2026-11-24" '
             b"(done)\n"
             b"4), release notes for vmbackup 0.4\n"
             b"5), vmbackup prune --dry-run\n\n")


# --- today ------------------------------------------------------------------------------


def test_today_json_contract(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    result = run_cli("--file", str(path), "today", "--json", env=at("2026-11-25T16:00"))
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert {k: data[k] for k in ("date", "start", "worked_minutes", "planned", "running")} == {
        "date": "2026-11-25", "start": "8:40", "worked_minutes": 290, "planned": True,
        "running": {"n": 3, "since": "15:10", "minutes": 50}}
    assert data["items"] == [
        {"n": 1, "text": 'answer Jonas: the kvm package is fine from our side. '
                         'see"08:41 2026-11-25"',
         "state": "done", "ranges": ["09:25-10:05"], "minutes": 40, "carried_from": None},
        {"n": 2, "text": 'vmbackup prune: refuse --keep 0. see"09:05 2026-11-25"',
         "state": "done", "ranges": ["10:10-12:15", "13:00-15:05"], "minutes": 250,
         "carried_from": None},
        {"n": 3, "text": "release notes for vmbackup 0.4", "state": "active",
         "ranges": ["15:10-"], "minutes": 0, "carried_from": None},
        {"n": 4, "text": "revert test on db-02: external revert needs libvirt 9.9",
         "state": "open", "ranges": [], "minutes": 0, "carried_from": None},
    ]
    assert [(e["stamp"], e["kind"], e["summary"]) for e in data["entries"]] == [
        ("2026-11-25T08:41", "email", "Jonas Berg: kvm package submitted"),
        ("2026-11-25T09:05", "note", "1, TODO"),
    ]


def test_today_text_is_plain_when_piped(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    result = run_cli("--file", str(path), "today", "--date", "2026-11-24",
                     env=at("2026-11-25T16:00"))
    assert result.code == 0, result.err
    assert "\x1b" not in result.out
    assert result.out.splitlines()[:3] == [
        "Tue 2026-11-24  start 8:50  worked 5h25",
        "  1) open     9:00-11:30                2h30  "
        "vmbackup: retention, prune only our own snapshots",
        "  2) done     11:55-13:10 13:50-15:20   2h45  "
        'qemu aarch64 build failure. see"11:34 2026-11-24"',
    ]
    assert "16:41  snapshot  snapshot, db-02  snap db-02 db-02-20261124-164058: ok" in result.out
    assert "08:55  plan      GTD  plan with 3 items (replaced by a later plan)" in result.out


def test_today_without_plan_shows_the_carry_over_and_what_was_left_running(
        run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    result = run_cli("--file", str(path), "today", env=at("2026-11-26T09:00"))
    assert result.out.splitlines() == [
        "Thu 2026-11-26",
        "  no plan yet: `worklog plan` writes this one, carried over from the plan of "
        "2026-11-25",
        "  1) open     release notes for vmbackup 0.4  (from 2026-11-25)",
        "  2) open     revert test on db-02: external revert needs libvirt 9.9  "
        "(from 2026-11-25)",
        "  note: item 3 of 2026-11-25 was left running since 15:10 (not counted); "
        "`worklog stop --at H:MM` ends it",
        "",
        "11 open TODOs, the oldest 3 (`worklog todo` lists them all):",
        "  13:12 2026-11-16  1) vmbackup, internal snapshot of every disk of a domain: all "
        "disks must be qcow2.",
        "  13:12 2026-11-16  2) raw disks: refuse early and say which disk is raw, libvirt "
        "only says",
        "  13:12 2026-11-16  3) name clash: two snapshots in the same second get the same "
        "name.",
    ]


# --- plan -------------------------------------------------------------------------------


def test_plan_then_today_carried_items_first(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    before = path.read_bytes()
    now = at("2026-11-26T09:30")
    result = run_cli("--file", str(path), "plan", "write the 0.4 changelog", env=now)
    assert result.code == 0, result.err
    assert result.err == ("planned 2026-11-26 (09:30 2026-11-26): 2 item(s) carried from "
                          "2026-11-25, 1 new\nitem 3 (write the 0.4 changelog): added\n")
    assert path.read_bytes() == before + (
        b"\n09:30 2026-11-26\nGTD\n0, 9:30\n\n1, today\n"
        b"1), release notes for vmbackup 0.4 (from 2026-11-25)\n"
        b"2), revert test on db-02: external revert needs libvirt 9.9 (from 2026-11-25)\n"
        b"3), write the 0.4 changelog\n")
    items = json.loads(run_cli("--file", str(path), "today", "--json", env=now).out)["items"]
    assert [(i["n"], i["text"], i["state"], i["carried_from"]) for i in items] == [
        (1, "release notes for vmbackup 0.4", "open", "2026-11-25"),
        (2, "revert test on db-02: external revert needs libvirt 9.9", "open", "2026-11-25"),
        (3, "write the 0.4 changelog", "open", None),
    ]


def test_plan_again_adds_to_the_days_plan_in_place(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    before = path.read_bytes()
    result = run_cli("--file", str(path), "plan", "tag 0.4", "mail Marta",
                     env=at("2026-11-24T17:00"))
    assert result.code == 0, result.err
    assert result.err == "item 6 (tag 0.4): added\nitem 7 (mail Marta): added\n"
    new = PLAN_1124.replace(b"5), vmbackup prune --dry-run\n",
                            b"5), vmbackup prune --dry-run\n6), tag 0.4\n7), mail Marta\n")
    assert only_entry_changed(before, path.read_bytes(), PLAN_1124, new)
    nothing = run_cli("--file", str(path), "plan", env=at("2026-11-24T17:05"))
    assert nothing.code == 0
    assert "has a plan already (11:52 2026-11-24): nothing written" in nothing.err


def test_plan_after_a_weekend(run_cli: Runner, tmp_path: Path, sample: SampleCopy) -> None:
    data = sample("worklog.LOG").read_bytes()
    path = tmp_path / "friday.LOG"
    path.write_bytes(data[: data.index(b"08:49 2026-11-23")])
    before = path.read_bytes()
    result = run_cli("--file", str(path), "plan", "--start", "8:45", env=at("2026-11-23T08:49"))
    assert result.code == 0, result.err
    assert path.read_bytes() == before + (
        b"08:49 2026-11-23\nGTD\n0, 8:45\n\n1, today\n"
        b'1), vmbackup: tests for the raw disk check. see"16:12 2026-11-20" (from 2026-11-20)\n'
        b"2), snapshot db-02, then put qemu 8.2.6 on it (from 2026-11-20)\n")


def test_plan_after_weeks_keeps_the_first_day(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "gap.LOG"
    path.write_bytes(b".LOG\n09:00 2026-10-02\nGTD\n0, 9:00\n\n1, today\n"
                     b"1), 9:00-10:00 fix migration (from 2026-09-28)\n2), write docs (done)\n"
                     b"3), port tests\n\n08:10 2026-10-20\nvacation notes, no plans.\n\n"
                     b"08:20 2026-11-02\n")
    before = path.read_bytes()
    result = run_cli("--file", str(path), "plan", "read mail", env=at("2026-11-02T09:00"))
    assert result.code == 0, result.err
    assert path.read_bytes() == before + (
        b"\n09:00 2026-11-02\nGTD\n0, 8:20\n\n1, today\n1), fix migration (from 2026-09-28)\n"
        b"2), port tests (from 2026-10-02)\n3), read mail\n")


def test_plan_without_any_earlier_plan_and_on_a_new_file(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "notes.LOG"
    path.write_bytes(b".LOG\n08:30 2026-11-26\nlab\nnotes only.")
    result = run_cli("--file", str(path), "plan", "first", env=at("2026-11-26T09:00"))
    assert result.code == 0, result.err
    assert path.read_bytes() == (b".LOG\n08:30 2026-11-26\nlab\nnotes only.\n\n"
                                 b"09:00 2026-11-26\nGTD\n0, 8:30\n\n1, today\n1), first\n")
    fresh = tmp_path / "new.LOG"
    result = run_cli("--file", str(fresh), "plan", "first", env=at("2026-11-26T09:00"))
    assert result.code == 0, result.err
    assert fresh.read_bytes() == b".LOG\n09:00 2026-11-26\nGTD\n0, 9:00\n\n1, today\n1), first\n"


def test_plan_no_carry(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    before = path.read_bytes()
    result = run_cli("--file", str(path), "plan", "--no-carry", "--start", "9:00", "one",
                     env=at("2026-11-26T09:30"))
    assert result.code == 0, result.err
    assert path.read_bytes() == before + b"\n09:30 2026-11-26\nGTD\n0, 9:00\n\n1, today\n1), one\n"


# --- start, stop, done, drop ------------------------------------------------------------


def test_start_stop_done_drop_change_only_the_plan_entry(
        run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    steps = [
        (("start", "4"), "2026-11-24T17:00", b"4), release notes for vmbackup 0.4\n",
         b"4), 17:00- release notes for vmbackup 0.4\n",
         "item 4 (release notes for vmbackup 0.4): started at 17:00\n"),
        (("start", "5"), "2026-11-24T17:20", b"4), 17:00- release notes for vmbackup 0.4\n"
         b"5), vmbackup prune --dry-run\n",
         b"4), 17:00-17:20 release notes for vmbackup 0.4\n5), 17:20- vmbackup prune --dry-run\n",
         "item 4 (release notes for vmbackup 0.4): stopped, 17:00-17:20 (0h20)\n"
         "item 5 (vmbackup prune --dry-run): started at 17:20\n"),
        (("stop",), "2026-11-24T17:50", b"5), 17:20- vmbackup prune --dry-run\n",
         b"5), 17:20-17:50 vmbackup prune --dry-run\n",
         "item 5 (vmbackup prune --dry-run): stopped, 17:20-17:50 (0h30)\n"),
        (("done", "4"), "2026-11-24T17:55", b"4), 17:00-17:20 release notes for vmbackup 0.4\n",
         b"4), 17:00-17:20 release notes for vmbackup 0.4 (done)\n",
         "item 4 (release notes for vmbackup 0.4): done\n"),
        (("drop", "1"), "2026-11-24T17:56",
         b"1), 9:00-11:30 vmbackup: retention, prune only our own snapshots\n",
         b"1), 9:00-11:30 vmbackup: retention, prune only our own snapshots (dropped)\n",
         "item 1 (vmbackup: retention, prune only our own snapshots): dropped\n"),
    ]
    plan = PLAN_1124
    for args, when, old_line, new_line, said in steps:
        before = path.read_bytes()
        result = run_cli("--file", str(path), *args, env=at(when))
        assert result.code == 0, result.err
        assert result.err == said
        new_plan = plan.replace(old_line, new_line)
        assert new_plan != plan
        assert only_entry_changed(before, path.read_bytes(), plan, new_plan)
        plan = new_plan
    report = json.loads(run_cli("--file", str(path), "report", "--day", "--json",
                                env=at("2026-11-24T18:00")).out)
    assert report["total_minutes"] == 325 + 20 + 30


def test_a_day_left_with_an_open_range(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    now = at("2026-11-26T09:30")
    assert run_cli("--file", str(path), "plan", env=now).code == 0
    before = path.read_bytes()
    refused = run_cli("--file", str(path), "stop", env=now)
    assert refused.code == 1
    assert refused.err == ("worklog: item 3 (release notes for vmbackup 0.4) of 2026-11-25 was "
                           "left running since 15:10: say when it ended with "
                           "`worklog stop --at H:MM`\n")
    assert path.read_bytes() == before
    result = run_cli("--file", str(path), "stop", "--at", "17:30", env=now)
    assert result.code == 0, result.err
    assert result.err == ("item 3 (release notes for vmbackup 0.4): stopped, 15:10-17:30 "
                          "(2h20)\n(in the plan of 2026-11-25)\n")
    assert only_entry_changed(before, path.read_bytes(),
                              b"3), 15:10- release notes for vmbackup 0.4\n",
                              b"3), 15:10-17:30 release notes for vmbackup 0.4\n")


def test_stop_after_midnight_closes_yesterdays_range(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "late.LOG"
    path.write_bytes(b".LOG\n20:00 2026-11-25\nGTD\n0, 20:00\n\n1, today\n1), 23:30- late fix\n")
    result = run_cli("--file", str(path), "stop", env=at("2026-11-26T00:15"))
    assert result.code == 0, result.err
    assert path.read_bytes() == (b".LOG\n20:00 2026-11-25\nGTD\n0, 20:00\n\n1, today\n"
                                 b"1), 23:30-0:15 late fix\n")
    again = run_cli("--file", str(path), "stop", env=at("2026-11-26T00:16"))
    assert again.code == 0
    assert again.err == "nothing is running: 2026-11-26 has no plan yet\n"


def test_start_on_done_item_refused_then_reopened(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    before = path.read_bytes()
    now = at("2026-11-25T16:00")
    refused = run_cli("--file", str(path), "start", "1", env=now)
    assert refused.code == 2
    assert "item 1 (answer Jonas: the kvm package is fine from our side. see\"08…) is done: " \
        "`worklog start 1 --reopen`" in refused.err
    assert path.read_bytes() == before
    result = run_cli("--file", str(path), "start", "1", "--reopen", env=now)
    assert result.code == 0, result.err
    jonas = "item 1 (answer Jonas: the kvm package is fine from our side. see\"08…)"
    assert result.err == ("item 3 (release notes for vmbackup 0.4): stopped, 15:10-16:00 "
                          f"(0h50)\n{jonas}: reopened\n{jonas}: started at 16:00\n")
    after = path.read_bytes()
    assert b"1), 9:25-10:05 16:00- answer Jonas: the kvm package is fine from our side. " \
           b'see"08:41 2026-11-25"\n' in after
    assert b"3), 15:10-16:00 release notes for vmbackup 0.4\n" in after


@pytest.mark.parametrize(("args", "code", "message"), [
    (("start", "9"), 2, "the plan of 2026-11-25 has no item 9 (items: 1, 2, 3, 4)"),
    (("start", "1", "--at", "25:00"), 2, "--at: '25:00' is not a time like 9:40"),
    (("report", "--day", "--week"), 2, "choose one of --day, --week, --month"),
    (("report", "--by", "project"), 2, "--by: 'project' is not one of day, item, tag"),
    (("plan", "  "), 2, "an item needs some text"),
])
def test_usage_errors_write_nothing(run_cli: Runner, sample: SampleCopy, args: tuple[str, ...],
                                   code: int, message: str) -> None:
    path = sample("worklog.LOG")
    before = path.read_bytes()
    result = run_cli("--file", str(path), *args, env=at("2026-11-25T16:00"))
    assert (result.code, path.read_bytes()) == (code, before)
    assert message in result.err


def test_edits_need_the_days_plan(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    result = run_cli("--file", str(path), "done", "1", env=at("2026-11-26T09:00"))
    assert result.code == 1
    assert result.err == ("worklog: 2026-11-26 has no plan yet: `worklog plan` writes it (with "
                          "the items carried over), then `worklog done 1`\n")


# --- other files: CRLF and AM/PM, UTF-16, ANSI ------------------------------------------


def test_crlf_bom_and_am_pm_file(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("en-US-crlf-bom.LOG")
    before = path.read_bytes()
    assert run_cli("--file", str(path), "plan", "check the SSD firmware",
                   env=at("2014-02-14T13:05")).code == 0
    assert run_cli("--file", str(path), "start", "3", env=at("2014-02-14T13:10")).code == 0
    assert run_cli("--file", str(path), "done", "3", env=at("2014-02-14T14:20")).code == 0
    assert path.read_bytes() == before + (
        b"\r\n1:05 PM 2/14/2014\r\nGTD\r\n0, 13:05\r\n\r\n1, today\r\n"
        b'1), order two more 1 TB SSDs for labhost2. see"12:15 PM 2/10/2014" (from 2014-02-10)'
        b"\r\n2), snapshot before every package update on the build VMs (from 2014-02-10)\r\n"
        b"3), 13:10-14:20 check the SSD firmware (done)\r\n")
    today = json.loads(run_cli("--file", str(path), "today", "--json",
                               env=at("2014-02-14T15:00")).out)
    assert (today["start"], today["worked_minutes"]) == ("13:05", 70)


def test_utf16_file(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("utf16le.LOG")
    before = path.read_bytes()
    assert run_cli("--file", str(path), "plan", "東京のテンプレート",
                   env=at("2014-02-14T09:00")).code == 0
    assert run_cli("--file", str(path), "start", "2", env=at("2014-02-14T09:05")).code == 0
    assert run_cli("--file", str(path), "stop", env=at("2014-02-14T10:00")).code == 0
    after = path.read_bytes()
    assert after[: len(before)] == before
    assert after[len(before):].decode("utf-16-le") == (
        "\r\n09:00 14/02/2014\r\nGTD\r\n0, 9:00\r\n\r\n1, today\r\n"
        "1), monthly snapshot job for tokyo01 and tokyo02 (from 2014-02-10)\r\n"
        "2), 9:05-10:00 東京のテンプレート\r\n")


def test_ansi_file_keeps_its_code_page(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("de-DE-cp1252.LOG")
    before = path.read_bytes()
    assert run_cli("--file", str(path), "plan", "Büro aufräumen",
                   env=at("2014-02-14T15:00")).code == 0
    assert path.read_bytes() == before + (
        b"\r\n15:00 14.02.2014\r\nGTD\r\n0, 14:03\r\n\r\n1, heute\r\n"
        b'1), \xdcbergabe an J\xfcrgen vorbereiten. see"14:03 14.02.2014" (from 2014-02-13)\r\n'
        b"2), B\xfcro aufr\xe4umen\r\n")
    refused = run_cli("--file", str(path), "plan", "東京", env=at("2014-02-14T15:05"))
    assert refused.code == 4
    assert "cannot be written in the file's encoding (cp1252)" in refused.err


def test_non_ascii_item_into_an_ascii_end_of_an_ansi_file(
        run_cli: Runner, tmp_path: Path) -> None:
    """The end of the file is pure ASCII, an older part is cp1252: the new text is cp1252."""
    path = tmp_path / "ansi.LOG"
    notes = "".join(f"09:{m:02d} 2014-02-1{d}\nlab\nplain ascii note number {m}.\n\n"
                    for d in range(2) for m in range(60)) * 25
    # The cp1252 bytes stand past the head worklog reads for the BOM (4 KiB).
    path.write_bytes(b".LOG\n07:00 2014-02-09\nlab\n" + b"plain words.\n" * 400
                     + b"\n08:00 2014-02-09\nlab\n\xdcbergabe an J\xfcrgen.\n\n"
                     + notes.encode()
                     + b"08:00 2014-02-12\nGTD\n0, 8:00\n\n1, heute\n1), ordner\n\n")
    tail = LogFile(path).load_tail(pl.enough_for(date(2014, 2, 13), previous=True))
    assert not tail.codec_certain  # the case: the end alone cannot tell the encoding
    before = path.read_bytes()
    result = run_cli("--file", str(path), "plan", "Büro", env=at("2014-02-13T09:00"))
    assert result.code == 0, result.err
    assert path.read_bytes() == before + (
        b"09:00 2014-02-13\nGTD\n0, 9:00\n\n1, heute\n1), ordner (from 2014-02-12)\n"
        b"2), B\xfcro\n")


# --- the file changed between read and write --------------------------------------------


@pytest.mark.parametrize("args", [("start", "4"), ("plan", "one more"), ("done", "3")])
def test_refused_when_the_file_changed_since_read(
        run_cli: Runner, sample: SampleCopy, monkeypatch: pytest.MonkeyPatch,
        args: tuple[str, ...]) -> None:
    """Notepad saves the file between worklog's read and its write, with the plan changed
    by hand: worklog writes nothing and says so; what Notepad saved is all there. (Text
    only added at the end is no change to what worklog read: it stays after the edit.)"""
    path = sample("worklog.LOG")
    saved_by_notepad = path.read_bytes().replace(b"4), revert test on db-02",
                                                 b"4), revert test on db-03")
    real_load_tail = LogFile.load_tail

    def load_then_notepad_saves(self: LogFile, enough: Callable[..., bool] | None = None) -> Tail:
        tail = real_load_tail(self, enough)
        path.write_bytes(saved_by_notepad)
        return tail

    monkeypatch.setattr(LogFile, "load_tail", load_then_notepad_saves)
    result = run_cli("--file", str(path), *args, env=at("2026-11-25T16:00"))
    assert result.code == 3
    assert result.err == (f"worklog: {path}: changed since worklog read it (saved by another "
                          "program?); nothing was written, run the command again\n")
    assert path.read_bytes() == saved_by_notepad
    assert sorted(p.name for p in path.parent.iterdir()) == ["worklog.LOG"]


# --- a large log: read from the end, edited in place ------------------------------------


def test_large_log_is_read_from_its_end_and_edited_in_place(
        run_cli: Runner, tmp_path: Path) -> None:
    path = write_log(tmp_path / "big.LOG", SMALL_FILE + 1_000_000, seed=7)
    day = pl.enough_for(date(2026, 11, 26), previous=True)
    tail = LogFile(path).load_tail(day)
    assert not tail.whole
    assert tail.offset > SMALL_FILE
    before = path.read_bytes()
    now = at("2026-11-26T09:30")
    assert run_cli("--file", str(path), "plan", "bench item", env=now).code == 0
    planned = path.read_bytes()
    assert planned[: len(before)] == before
    entry = planned[len(before):]
    assert entry.startswith(b"09:30 2026-11-26\nGTD\n0, 9:30\n\n1, today\n1), ")
    result = run_cli("--file", str(path), "start", "1", env=at("2026-11-26T09:40"))
    assert result.code == 0, result.err
    started = entry.replace(b"1), ", b"1), 9:40- ", 1)
    assert path.read_bytes() == before + started
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.LOG"]


# --- report -----------------------------------------------------------------------------


def test_report_json_and_text(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    now = at("2026-11-25T16:00")
    result = run_cli("--file", str(path), "report", "--json", env=now)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    old_keys = ("since", "until", "by", "total_minutes", "rows", "not_counted")
    assert {key: data[key] for key in old_keys} == {
        "since": "2026-11-23", "until": "2026-11-25", "by": "day", "total_minutes": 975,
        "rows": [{"key": "2026-11-23", "minutes": 360, "days": ["2026-11-23"]},
                 {"key": "2026-11-24", "minutes": 325, "days": ["2026-11-24"]},
                 {"key": "2026-11-25", "minutes": 290, "days": ["2026-11-25"]}],
        "not_counted": [{"date": "2026-11-25", "n": 3, "since": "15:10"}],
    }
    text = run_cli("--file", str(path), "report", "--since", "2026-11-16", "--until",
                   "2026-11-16", "--by", "tag", env=now)
    assert text.out.splitlines() == [
        "time worked 2026-11-16 .. 2026-11-16, by tag",
        "(no tag)          4h20",
        "kvm               1h35",
        "package           1h35",
        "virtualization    1h35",
        "total             5h55",
        "(an item with several tags counts under each)",
    ]
    by_day = run_cli("--file", str(path), "report", "--since", "2026-11-16", "--until",
                     "2026-11-16", env=now)
    assert by_day.out.splitlines()[-1] == \
        "Mon 2026-11-16: 1 of 4 done, 1 dropped; gap 10:40-10:50 (0h10); gap 12:20-13:15 (0h55)"
    month = json.loads(run_cli("--file", str(path), "report", "--month", "--by", "item",
                               "--json", env=now).out)
    assert month["since"] == "2026-11-01"
    assert month["total_minutes"] == 2715


# --- undecodable bytes, end to end, colour ----------------------------------------------


def test_undecodable_bytes_survive_an_edit_and_show_as_replacement(
        run_cli: Runner, tmp_path: Path) -> None:
    """0x81 is not a cp1252 character: it stays in the file byte for byte."""
    path = tmp_path / "ansi.LOG"
    path.write_bytes(b".LOG\r\n08:00 10.02.2014\r\nGTD\r\n0, 8:00\r\n\r\n1, heute\r\n"
                     b"1), Ger\xe4t \x81 pr\xfcfen\r\n")
    now = at("2014-02-10T09:00")
    assert run_cli("--file", str(path), "start", "1", env=now).code == 0
    assert path.read_bytes().endswith(b"1), 9:00- Ger\xe4t \x81 pr\xfcfen\r\n")
    shown = run_cli("--file", str(path), "today", env=now)
    assert "Gerät \ufffd prüfen" in shown.out
    data = json.loads(run_cli("--file", str(path), "today", "--json", env=now).out)
    assert data["items"][0]["text"] == "Gerät \udc81 prüfen"


def test_end_to_end_in_a_subprocess(sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    env = {**os.environ, "WORKLOG_NOW": "2026-11-26T09:30",
           "XDG_CONFIG_HOME": str(path.parent / "no-config")}
    env.pop("WORKLOG_FILE", None)
    plan = subprocess.run([*WORKLOG, "--file", str(path), "plan", "one more"], env=env,
                          capture_output=True, check=False)
    assert plan.returncode == 0, plan.stderr
    today = subprocess.run([*WORKLOG, "--file", str(path), "today", "--json"], env=env,
                           capture_output=True, check=True)
    assert [i["text"] for i in json.loads(today.stdout)["items"]] == [
        "release notes for vmbackup 0.4",
        "revert test on db-02: external revert needs libvirt 9.9", "one more"]


def test_colour_on_a_terminal(sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    env = {**os.environ, "WORKLOG_NOW": "2026-11-25T16:00", "TERM": "xterm",
           "XDG_CONFIG_HOME": str(path.parent / "no-config")}
    env.pop("NO_COLOR", None)
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([*WORKLOG, "--file", str(path), "today"], env=env,
                            stdout=child_fd, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert proc.wait() == 0
    out = b"".join(chunks).decode()
    assert "\x1b[32m\x1b[1m  3) active   15:10-" in out
    assert "\x1b[2m  1) done     9:25-10:05" in out
