"""Habits of real logs: day headings, dotted times, prose first lines, newest-first
files, stamps written twice, and what ``worklog check`` says about each (FORMAT.md S2,
S6, E2, E4, E5, W1, W4)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, Runner
from worklog.day import plan as pl
from worklog.format import constructs as c
from worklog.format.check import check
from worklog.format.document import Document, parse
from worklog.format.stamps import Shape, parse_stamp_line
from worklog.store.logfile import LogFile

RU = "ru-RU-day-headings.LOG"
JA = "ja-JP-newest-first.LOG"


def _doc(name: str) -> Document:
    return parse((SAMPLES / name).read_bytes())


# --- day headings (S6, E1) -----------------------------------------------------------------


def test_day_headings_start_entries_without_a_time() -> None:
    """[S6] a line holding only a date in the file's date shape starts an entry of that day;
    trailing spaces are allowed; another shape or an impossible day is text."""
    doc = _doc(RU)
    headings = [e for e in doc.entries if not e.stamp.has_time]
    assert [(e.line, e.stamp.text, e.stamp.iso) for e in headings] == [
        (24, "17.02.2014", "2014-02-17"), (28, "18.02.2014", "2014-02-18"),
        (41, "20.02.2014", "2014-02-20")]
    assert [e.day for e in headings] == [date(2014, 2, 17), date(2014, 2, 18), date(2014, 2, 20)]
    eighteenth = headings[1]
    assert eighteenth.text_lines[:2] == ["Замена кварца на 16 МГц.", "2014-02-18"]
    assert "31.02.2014" in doc.entries[-2].text_lines  # no such day: text
    assert [text for _, text in doc.stray_dates] == ["2014-02-18", "31.02.2014"]
    assert headings[2].tags == ["питание", "дисплей"]


def test_a_date_line_without_stamps_is_text() -> None:
    """[S6] with no stamp line the file has no date shape: a date-only line is text."""
    doc = parse(b".LOG\n17.02.2014\nnotes\n")
    assert doc.entries == []


def test_day_heading_in_export_today_and_show(run_cli: Runner) -> None:
    """[S6] export gives the heading's stamp as the ISO date; today lists it with --:--;
    show does not take it for a midnight stamp; plan takes its start from a timed entry."""
    path = str(SAMPLES / RU)
    exported = json.loads(run_cli("--file", path, "export").out)
    assert [e["stamp"] for e in exported if e["line"] in (24, 28, 41)] == [
        "2014-02-17", "2014-02-18", "2014-02-20"]
    assert exported[5]["stamp_text"] == "17.02.2014"
    today = run_cli("--file", path, "today", env={"WORKLOG_NOW": "2014-02-17T11:00"})
    assert "--:--  note      Откалибровано" in today.out
    as_json = json.loads(run_cli("--file", path, "today", "--json",
                                 env={"WORKLOG_NOW": "2014-02-17T11:00"}).out)
    assert [e["stamp"] for e in as_json["entries"]] == ["2014-02-17"]
    shown = run_cli("--file", path, "show", "00:00 17.02.2014")
    assert shown.code != 0
    assert "no entry stamped" in shown.err


def test_day_heading_in_markdown_and_ics(run_cli: Runner) -> None:
    """[S6] Markdown shows a heading's entry with `--:--`, iCalendar as an all-day start."""
    path = str(SAMPLES / RU)
    markdown = run_cli("--file", path, "export", "--format", "markdown").out
    assert "### --:-- · note · питание, дисплей" in markdown
    ics = run_cli("--file", path, "export", "--format", "ics").out
    assert "DTSTART;VALUE=DATE:20140217" in ics
    assert "DTSTART:20140219T092400" in ics


def test_plan_on_a_heading_day_starts_at_the_first_timed_entry(
        run_cli: Runner, tmp_path: Path) -> None:
    """[S6] a day heading gives no time: `plan` does not start the day at 0:00."""
    log = tmp_path / "h.LOG"
    log.write_bytes(b".LOG\n9:05 16.02.2014\nx\n\n17.02.2014\nnotes\n\n10:20 17.02.2014\ny\n")
    result = run_cli("--file", str(log), "plan", "fix", env={"WORKLOG_NOW": "2014-02-17T11:00"})
    assert result.code == 0, result.err
    assert log.read_bytes().endswith(b"GTD\n0, 10:20\n\n1, today\n1), fix\n")


def test_an_appended_date_line_is_neutralised(tmp_path: Path) -> None:
    """[W4] appended text holding a date-only line cannot forge a day heading."""
    log = tmp_path / "w.LOG"
    log.write_bytes(b".LOG\n9:05 16.02.2014\nx\n")
    LogFile(log).append([], ["notes", "17.02.2014", "more"], datetime(2014, 2, 16, 10, 0))
    doc = parse(log.read_bytes())
    assert len(doc.entries) == 2
    assert doc.entries[1].text_lines == ["notes", " 17.02.2014", "more"]
    assert check(doc) == []


# --- a dot between hour and minute (S2, W1) -------------------------------------------------


def test_a_dotted_time_with_a_dotted_date_is_a_stamp() -> None:
    """[S2] `9.24 19.02.2014` is 9:24; with an ISO or slashed date a dotted time is text,
    and check says why."""
    doc = _doc(RU)
    dotted = next(e for e in doc.entries if e.stamp.text == "9.24 19.02.2014")
    assert dotted.stamp.when == datetime(2014, 2, 19, 9, 24)
    assert parse_stamp_line("9.30 2014-02-19") is None
    assert parse_stamp_line("9.30 2/19/2014") is None
    lines = {p.line: p.message for p in check(doc) if p.code == "bad-stamp"}
    assert lines == {36: "'9.30 2014-02-19' looks like a stamp but has a dot between hour "
                         "and minute, a stamp only with a date written with dots: read as text"}


def test_a_dotted_latest_stamp_is_written_with_a_dot() -> None:
    """[W1] the time separator is part of the stamp shape."""
    doc = parse(b".LOG\n9.24 19.02.2014\nx\n")
    shape = doc.writing_shape()
    assert shape.time_sep == "."
    assert shape.format(datetime(2014, 2, 20, 8, 5)) == "8.05 20.02.2014"
    assert Shape().format(datetime(2014, 2, 20, 8, 5)) == "08:05 2014-02-20"
    headed = parse(b".LOG\n9:05 19.02.2014\nx\n20.02.2014\ny\n")
    assert headed.writing_shape().format(datetime(2014, 2, 21, 8, 5)) == "8:05 21.02.2014"


# --- prose first lines (E2) -----------------------------------------------------------------


@pytest.mark.parametrize("line", [
    "- Created", "- created", "1. check the backlight", "12. Notes",
    "Experiments with the queue", "BOOT disabled", "Эксперимент с очередью",
    "Added file board_config.h", "board/button.h, .cpp removed", "main.cpp",
    "UPID, Loading the profile",
])
def test_prose_first_lines_are_not_tags(line: str) -> None:
    """[E2] a list, a sentence of several words starting with a capital, a file name."""
    assert c.parse_tags_line(line) is None


@pytest.mark.parametrize(("line", "tags"), [
    ("GTD", ["GTD"]), ("company, colleague", ["company", "colleague"]),
    ("libvirt, 快照", ["libvirt", "快照"]), ("Kollegen", ["Kollegen"]),
    ("web01.lab.example", ["web01.lab.example"]), ("open source, c++", ["open source", "c++"]),
    ("vmbackup 0.4", ["vmbackup 0.4"]), ("питание, дисплей", ["питание", "дисплей"]),
])
def test_tags_that_stay_tags(line: str, tags: list[str]) -> None:
    """[E2] short lower-case words, acronyms, nouns, host names stay tags."""
    assert c.parse_tags_line(line) == tags


def test_prose_first_lines_stay_in_the_entry_text() -> None:
    """[E2] in the sample, no prose first line drops out of an entry's text."""
    doc = _doc(RU)
    firsts = [e.text_lines[0] for e in doc.entries[:4]]
    assert firsts == ["Добавлен файл board_config.h", "- Создано",
                      "Эксперимент с очередью команд", "BOOT отключен"]
    assert doc.entries[5].text_lines[:2] == [
        "Откалибровано", "смещение датчика тока 12 мВ, результат записан в таблицу."]
    assert all(e.tags == [] for e in doc.entries[:-1])


@pytest.mark.parametrize(("second", "third"), [
    ("Добавлено", "documents (Frames, Pid)"), ("Added", "three checks to the board test"),
    ("Добавлено  ", "documents"), ("Kollegen", "haben angerufen"),
])
def test_a_sentence_broken_after_its_first_word_is_prose(second: str, third: str) -> None:
    """[E2] one capitalised word with the sentence going on in lower case is text."""
    entry = parse(f"14:57 09.12.2021\n{second}\n{third}\n".encode()).entries[0]
    assert entry.tags == []
    assert entry.text_lines == [second, third]
    assert c.parse_tags_line(second, third) is None


@pytest.mark.parametrize(("second", "third"), [
    ("Kollegen", "Besprechung um 10"), ("Kollegen", ""), ("Kollegen", None),
    ("GTD", "1, today"), ("kvm", "snapshot before the upgrade"), ("KVM", "upgrade"),
    ("Added", "3 checks"), ("Web01", "rebooted"), ("Ábc", "Ok"),
])
def test_a_capitalised_tag_before_a_new_sentence_stays_a_tag(second: str,
                                                             third: str | None) -> None:
    """[E2] only a lower-case next line makes the capitalised word prose."""
    assert c.parse_tags_line(second, third) == [second]
    source = f"14:57 09.12.2021\n{second}\n" + ("" if third is None else f"{third}\n")
    assert parse(source.encode()).entries[0].tags == [second]


def test_a_capitalised_tag_is_written_apart_from_lower_case_text(run_cli: Runner,
                                                                 tmp_path: Path) -> None:
    """[W4] worklog writes a blank line between one capitalised tag and text in lower
    case, so that the tag reads back as a tag and the text as text."""
    path = tmp_path / "work.LOG"
    path.write_bytes(b".LOG\n")
    added = run_cli("--file", str(path), "add", "--tags", "Kollegen",
                    "fixed the board\nand tested it")
    assert added.code == 0, added.err
    entry = parse(path.read_bytes()).entries[-1]
    assert entry.tags == ["Kollegen"]
    assert entry.text_lines == ["fixed the board", "and tested it"]
    assert entry.lines[2][0] == ""


def test_tags_fast_path_reads_a_broken_sentence_as_the_parse_does(run_cli: Runner,
                                                                  tmp_path: Path) -> None:
    """[E2] ``tags`` (stamp lines read from the bytes) and the parse agree on the
    capitalised word: prose above lower case, a tag above a new sentence."""
    path = tmp_path / "work.LOG"
    path.write_bytes(".LOG\n\n9:00 01.12.2021\nДобавлено\ndocuments\n\n"
                     "10:00 01.12.2021\nKollegen\nBesprechung\n\n"
                     "11:00 01.12.2021\nДобавлено\r\nfiles\n".encode())
    listed = json.loads(run_cli("--file", str(path), "tags", "--json").out)
    assert [t["tag"] for t in listed] == ["Kollegen"]
    assert [e.tags for e in parse(path.read_bytes()).entries] == [[], ["Kollegen"], []]


# --- order of the file, stamps written twice (E4, E5) ---------------------------------------


def _time_ordered(data: bytes) -> bytes:
    """The same entries in time order: the preamble, then each entry, oldest first."""
    doc = parse(data)
    blocks = [e.source.rstrip("\n") + "\n\n" for e in doc.entries]
    ordered = [b for _, b in sorted(zip([e.stamp.when for e in doc.entries], blocks,
                                        strict=True), key=lambda pair: pair[0])]
    return (doc.preamble + "".join(ordered)).encode()


@pytest.mark.parametrize("command", [
    ("today", "--json"), ("report", "--since", "2026-11-24", "--json"),
    ("report", "--since", "2026-11-24", "--by", "item", "--json"),
    ("today", "--date", "2026-11-25", "--json"),
])
def test_newest_first_answers_as_in_time_order(
        run_cli: Runner, tmp_path: Path, command: tuple[str, ...]) -> None:
    """[E4] today and report on a newest-first file answer as on its entries in time order."""
    data = (SAMPLES / JA).read_bytes()
    ordered = tmp_path / "ordered.LOG"
    ordered.write_bytes(_time_ordered(data))
    assert parse(ordered.read_bytes()).entries[0].stamp.text == "8:40 2026/11/24"
    env = {"WORKLOG_NOW": "2026-11-26T11:00"}
    first = run_cli("--file", str(SAMPLES / JA), *command, env=env)
    second = run_cli("--file", str(ordered), *command, env=env)
    assert (first.code, first.err) == (0, "")
    assert first.out == second.out
    if command[0] == "today" and len(command) == 2:
        assert json.loads(first.out)["plan_stamp"] == "2026-11-26T09:02"


def test_a_newest_first_tail_is_never_enough(tmp_path: Path) -> None:
    """[E4] the tail of a long newest-first file holds its oldest days: worklog reads on
    until the whole file, and finds today's plan at the top."""
    log = tmp_path / "big.LOG"
    older = "".join(f"{h}:{m:02d} 2026/11/{d}\nnote {d} {h} {m}\n\n"
                    for d in range(25, 0, -1) for h in range(18, 8, -1) for m in (40, 10))
    log.write_bytes((".LOG\n\n9:02 2026/11/26\nGTD\n0, 9:00\n\n1, today\n1), top\n\n"
                     + older * 40 + "8:40 2026/10/30\nGTD\n1), oldest plan\n").encode())
    for previous in (False, True):
        tail = LogFile(log).load_tail(pl.enough_for(date(2026, 11, 26), previous=previous))
        assert tail.whole
    plan = pl.latest_plan(tail.doc.entries, date(2026, 11, 26))
    assert plan is not None
    assert plan.line == 3


def test_latest_plan_is_by_time_not_by_place() -> None:
    """[E4] of two plans of one day, the later stamp is the day's plan wherever it stands."""
    doc = parse(b".LOG\n9:30 2026/11/26\nGTD\n1), later\n\n8:00 2026/11/26\nGTD\n1), early\n")
    plan = pl.latest_plan(doc.entries, date(2026, 11, 26))
    assert plan is not None
    assert plan.stamp.text == "9:30 2026/11/26"


def test_show_gives_both_entries_of_a_stamp_written_twice(run_cli: Runner) -> None:
    """[E5] show STAMP with a stamp written twice gives both entries, in file order."""
    result = run_cli("--file", str(SAMPLES / RU), "show", "21:00 15.02.2014", "--no-links")
    assert result.code == 0, result.err
    assert result.out == ("21:00 15.02.2014\nBOOT отключен\nЗагрузчик больше не стартует "
                          "после сброса.\n\n21:00 15.02.2014\nВторой раз за вечер: включил "
                          "обратно, мигает светодиод.\n\n")


# --- what check says (S2, S6, E4, E5) -------------------------------------------------------


def _said(name: str) -> list[tuple[int, str]]:
    return [(p.line, p.code) for p in check(_doc(name))]


def test_check_says_each_habit_in_one_line() -> None:
    """[E5] duplicate stamps, padding, headings, stray dates and dotted times, one line each."""
    assert _said(RU) == [(13, "padding"), (21, "duplicate-stamp"), (24, "date-heading"),
                         (30, "stray-date"), (36, "bad-stamp"), (38, "stray-date")]
    problems = {p.code: p.message for p in check(_doc(RU))}
    assert problems["duplicate-stamp"] == ("stamp '21:00 15.02.2014' is written 2 times "
                                           "(lines 17, 21): show gives every entry it starts")
    assert problems["date-heading"] == ("3 line(s) holding only a date (first '17.02.2014') "
                                        "start entries of that day without a time")


def test_check_says_newest_first_once() -> None:
    """[E4] a newest-first file: one line, not one per stamp; a single step back in an
    ordered file is still reported where it is."""
    assert _said(JA) == [(3, "newest-first")]
    doc = parse(b".LOG\n9:00 2026/11/24\n\n9:00 2026/11/26\n\n9:00 2026/11/25\n")
    assert [(p.line, p.code) for p in check(doc)] == [(6, "order")]


def test_day_heading_after_a_stamp_of_its_day_is_in_order() -> None:
    """[S6] a heading compares by its day: after `18:11 05.09.2023`, `05.09.2023` is no
    step back in time."""
    doc = parse(b".LOG\n18:11 05.09.2023\nx\n05.09.2023\ny\n19:00 13.09.2023\n")
    assert [p.code for p in check(doc)] == ["date-heading"]


def test_todo_and_thread_take_the_day_plan_by_time_in_a_newest_first_file(
        run_cli: Runner, tmp_path: Path) -> None:
    """[E4] the day's plan is its latest by stamp, wherever it stands: `todo` and
    `thread` count the 10:00 plan's 30 minutes, not the 8:00 plan's 10 below it."""
    path = tmp_path / "newest-first.LOG"
    path.write_bytes(
        b".LOG\n\n10:00 2026-11-25\nGTD\n0, 9:00\n\n1, today\n"
        b'1), 9:00-9:30 fix prune see"9:00 2026-11-24"\n\n'
        b"8:00 2026-11-25\nGTD\n0, 8:00\n\n1, today\n"
        b'1), 8:00-8:10 fix prune see"9:00 2026-11-24"\n\n'
        b"9:00 2026-11-24\n1, TODO\nfix prune\n")
    env = {"WORKLOG_NOW": "2026-11-26T09:00"}
    (todo,) = json.loads(run_cli("--file", str(path), "todo", "--json", env=env).out)
    assert (todo["planned"], todo["worked_minutes"]) == (["2026-11-25"], 30)
    story = json.loads(run_cli("--file", str(path), "thread", "9:00 2026-11-24", "--json",
                               env=env).out)
    assert story["worked_minutes"] == 30
    assert [e["line"] for e in story["events"] if e["kind"] == "plan-item"] == [8]
