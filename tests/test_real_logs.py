"""Logs people wrote, where a folder of them is at hand: ``WORKLOG_REAL_LOGS``, else
``<repo>/../shared/real-logs``; skipped when neither exists. The files are read only (an
append goes to a copy): every one parses, round-trips byte for byte and takes an append,
and its export gives one entry per stamp or day heading a person sees, with that day
and time, and no prose line of an entry's text lost."""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT
from worklog.format.document import Document, Entry, parse
from worklog.history.export import entry_record
from worklog.store.logfile import LogFile


def _folder() -> Path | None:
    given = os.environ.get("WORKLOG_REAL_LOGS")
    folder = Path(given) if given else ROOT.parent / "shared" / "real-logs"
    return folder if folder.is_dir() else None


FOLDER = _folder()
FILES = sorted(FOLDER.glob("*.LOG")) if FOLDER else []
pytestmark = pytest.mark.skipif(not FILES, reason="no folder of real logs "
                                "(set WORKLOG_REAL_LOGS)")

#: What a person reads as the start of an entry: a line of a time (with `:` or `.`,
#: an AM/PM word before or after) and a date, or of a date alone. Written apart from
#: worklog's patterns on purpose.
_SEEN = re.compile(r"(?:(?:[AP]M|午前|午後|上午|下午|오전|오후) )?(?P<h>\d{1,2})[:.](?P<mi>\d\d)"
                   r"(?: (?P<ap>[AP]M))? +(?P<date>\d{1,4}([./-])\d{1,2}\5\d{1,4})[ \t]*"
                   r"|(?P<alone>\d{1,4}([./-])\d{1,2}\7\d{1,4})[ \t]*")
#: The one first line of the real files that still reads as a tag: a single word, which
#: nothing in the line tells from a tag (FORMAT.md E2).
ONE_WORD_PROSE = {"Добавлено"}


def _lines(doc: Document) -> list[str]:
    return re.split(r"\r\n|\r|\n", doc.text)


def _seen(doc: Document) -> dict[int, re.Match[str]]:
    """Line number -> match of every line a person reads as a stamp or a day heading."""
    found = {}
    for number, line in enumerate(_lines(doc), start=1):
        match = _SEEN.fullmatch(line)
        if match:
            found[number] = match
    return found


def _names(match: re.Match[str], stamp: str) -> bool:
    """Whether the ISO ``stamp`` names the day and time the line shows."""
    date_text = match.group("date") or match.group("alone")
    fields = sorted(int(f) for f in re.split(r"[./-]", date_text))
    if match.group("alone"):
        when = datetime.fromisoformat(stamp)
        return len(stamp) == 10 and sorted([when.year, when.month, when.day]) == fields
    when = datetime.fromisoformat(stamp)
    hour = int(match.group("h"))
    if match.group("ap") == "PM" or re.match(r"(PM|午後|下午|오후) ", match.group(0)):
        hour = hour % 12 + 12
    elif match.group("ap") == "AM" or re.match(r"(AM|午前|上午|오전) ", match.group(0)):
        hour %= 12
    return (sorted([when.year, when.month, when.day]) == fields
            and (when.hour, when.minute) == (hour, int(match.group("mi"))))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_parses_and_round_trips(path: Path) -> None:
    data = path.read_bytes()
    assert parse(data).to_bytes() == data


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_takes_an_append_on_a_copy(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    before = copy.read_bytes()
    count = len(parse(before).entries)
    LogFile(copy).append(["lab"], ["appended by a test"], datetime(2030, 1, 2, 9, 5))
    after = copy.read_bytes()
    assert after.startswith(before)
    doc = parse(after)
    assert len(doc.entries) == count + 1
    assert doc.entries[-1].tags == ["lab"]
    assert doc.entries[-1].text_lines == ["appended by a test"]
    assert doc.entries[-1].stamp.when == datetime(2030, 1, 2, 9, 5)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_one_entry_per_stamp_a_person_sees(path: Path) -> None:
    """Every stamp or day heading a person sees starts an entry, and no other line does;
    each entry has the day and time its line shows."""
    doc = parse(path.read_bytes())
    seen = _seen(doc)
    records = [entry_record(e) for e in doc.entries]
    assert [r["line"] for r in records] == sorted(seen)
    for record in records:
        assert _names(seen[record["line"]], record["stamp"]), record


def _prose_lost(entry: Entry) -> list[str]:
    """Non-blank lines after the stamp line that are not in the entry's text."""
    kept = set(entry.text_lines)
    return [line for line, _ in entry.lines[1:] if line.strip() and line not in kept]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_prose_line_lost_from_the_text(path: Path) -> None:
    doc = parse(path.read_bytes())
    for entry in doc.entries:
        lost = _prose_lost(entry)
        assert set(lost) <= ONE_WORD_PROSE, (entry.line, lost)
