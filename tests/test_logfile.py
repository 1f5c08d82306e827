"""Reading and writing the log file: append, create, tail, rewrite, crash recovery
(FORMAT.md W2-W5)."""

from __future__ import annotations

import codecs
import json
import stat
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from worklog.errors import FileChangedError, LogFileError
from worklog.format.document import parse
from worklog.format.writer import Style, render_append, separator
from worklog.store.logfile import SMALL_FILE, LogFile
from worklog.store.undo_journal import journal_path

WHEN = datetime(2026, 11, 26, 9, 5)


def test_separator_adds_final_break_then_one_blank_line() -> None:
    """[W3] end the last line, then exactly one blank line before the stamp."""
    assert separator(Style("\n", "text", True)) == "\n\n"
    assert separator(Style("\n", "text\n", True)) == "\n"
    assert separator(Style("\n", "xt\n\n", True)) == ""
    assert separator(Style("\r\n", "xt\r\n", True)) == "\r\n"
    assert separator(Style("\r", "text\r", True)) == "\r"
    assert separator(Style("\n", ".LOG\n", False)) == ""
    assert separator(Style("\r\n", ".LOG", False)) == "\r\n"


def test_appended_text_cannot_forge_entries_or_tags() -> None:
    """[W4] stamp-shaped lines get one leading space; an untagged tag-like first line is
    pushed down by an empty line."""
    text = render_append(Style("\n", "x\n\n", True), "09:05 2026-11-26", [],
                         ["GTD", "13:27 2014-02-10", "10:00 2014-02-30", "ok"])
    assert text == "09:05 2026-11-26\n\nGTD\n 13:27 2014-02-10\n 10:00 2014-02-30\nok\n"
    doc = parse((".LOG\n10:00 2026-11-25\nnote me now.\n\n" + text).encode())
    assert len(doc.entries) == 2
    assert doc.entries[1].tags == []
    assert doc.entries[1].kind == "note"


def test_append_creates_missing_file_with_magic_and_0600(tmp_path: Path) -> None:
    """[W5] a new file gets `.LOG`, a line break and mode 0600; [W1] the seed's stamp shape."""
    path = tmp_path / "new.LOG"
    appended = LogFile(path).append(["libvirt", "snapshot"], ["first words here."], WHEN)
    assert appended.created
    assert path.read_bytes() == b".LOG\n09:05 2026-11-26\nlibvirt, snapshot\nfirst words here.\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_append_to_empty_existing_file_writes_magic(tmp_path: Path) -> None:
    path = tmp_path / "empty.LOG"
    path.write_bytes(b"")
    LogFile(path).append([], ["a note of some words."], WHEN)
    assert path.read_bytes() == b".LOG\n09:05 2026-11-26\na note of some words.\n"


@pytest.mark.parametrize(
    ("name", "stamp"),
    [
        ("en-US-crlf-bom.LOG", "9:05 AM 11/26/2026"),
        ("de-DE-cp1252.LOG", "09:05 26.11.2026"),
        ("utf16le.LOG", "09:05 26/11/2026"),
        ("ko-KR.LOG", "오전 9:05 2026-11-26"),
        ("zh-TW.LOG", "上午 09:05 2026/11/26"),
        ("en-GB-dayfirst.LOG", "09:05 26/11/2026"),
        ("worklog.LOG", "09:05 2026-11-26"),
    ],
)
def test_append_keeps_encoding_newlines_and_stamp_shape(
    tmp_path: Path, name: str, stamp: str
) -> None:
    """[W1] [W2] [W3] every byte stays; the new entry is in the file's own style."""
    path = tmp_path / name
    original = (SAMPLES / name).read_bytes()
    path.write_bytes(original)
    before = parse(original)
    LogFile(path).append(["lab"], ["Grüße: the snapshot ran."], WHEN)
    after_bytes = path.read_bytes()
    assert after_bytes.startswith(original)
    nl = before.newline
    sep = separator(Style(nl, before.text[-4:], True))
    expected = sep + nl.join([stamp, "lab", "Grüße: the snapshot ran."]) + nl
    assert after_bytes[len(original):] == before.codec.encode(expected)
    after = parse(after_bytes)
    assert after.codec == before.codec
    assert len(after.entries) == len(before.entries) + 1
    assert after.entries[-1].stamp.when == WHEN
    assert after.entries[-1].stamp.text == stamp


def test_append_refuses_text_the_encoding_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "de.LOG"
    original = (SAMPLES / "de-DE-cp1252.LOG").read_bytes()
    path.write_bytes(original)
    with pytest.raises(LogFileError, match="encoding"):
        LogFile(path).append([], ["스냅샷 완료"], WHEN)
    assert path.read_bytes() == original


def test_non_ascii_into_ascii_tail_of_ansi_file_stays_ansi(tmp_path: Path) -> None:
    """[W2] a cp1252 file whose end is pure ASCII still gets cp1252 bytes."""
    path = tmp_path / "old.LOG"
    head = ".LOG\r\n10:00 10.02.2014\r\nGrüße aus Nürnberg.\r\n\r\n".encode("cp1252")
    path.write_bytes(head + b"11:00 10.02.2014\r\n" + b"plain ascii words here.\r\n" * 5000)
    LogFile(path).append([], ["Café"], WHEN)
    assert path.read_bytes().endswith("\r\nCafé\r\n".encode("cp1252"))


def test_tail_reads_only_the_end(tmp_path: Path) -> None:
    """What append and the everyday commands read: the end, not the history."""
    path = tmp_path / "big.LOG"
    middle = b"x" * (SMALL_FILE // 2)
    path.write_bytes(b".LOG\n10:00 2014-02-10\n" + middle + b"\n\n11:00 2014-02-10\nlast.\n")
    tail = LogFile(path).load_tail()
    assert not tail.whole
    assert tail.offset > len(middle)
    assert [e.stamp.text for e in tail.doc.entries] == ["11:00 2014-02-10"]


def test_load_tail_grows_until_enough(tmp_path: Path) -> None:
    path = tmp_path / "log.LOG"
    entries = "".join(f"10:{m:02d} 2014-02-10\n" + "words words words.\n" * 400 + "\n"
                      for m in range(60))
    path.write_text(".LOG\n" + entries)
    log = LogFile(path)
    tail = log.load_tail(lambda d: len(d.entries) >= 30)
    assert len(tail.doc.entries) >= 30
    assert tail.doc.entries[-1].stamp.text == "10:59 2014-02-10"
    whole = log.load_tail(lambda d: False)
    assert whole.whole
    assert len(whole.doc.entries) == 60


def test_tail_of_utf16_file_aligns_on_code_units(tmp_path: Path) -> None:
    path = tmp_path / "u16.LOG"
    body = "".join(f"10:{m:02d} 10/02/2014\r\nΓειά σου, {m}.\r\n" + "ä" * 3000 + "\r\n\r\n"
                   for m in range(40))
    path.write_bytes(codecs.BOM_UTF16_LE + (".LOG\r\n" + body).encode("utf-16-le"))
    tail = LogFile(path).load_tail()
    assert not tail.whole
    assert tail.doc.entries[-1].text_lines[0] == "Γειά σου, 39."


def test_rewrite_refuses_when_file_changed(tmp_path: Path) -> None:
    path = tmp_path / "log.LOG"
    path.write_bytes(b".LOG\n10:00 2014-02-10\nGTD\n1), a\n")
    log = LogFile(path)
    loaded = log.load()
    path.write_bytes(path.read_bytes() + b"typed in Notepad\n")
    changed = path.read_bytes()
    with pytest.raises(FileChangedError):
        log.rewrite(loaded.fingerprint, b"replaced")
    assert path.read_bytes() == changed


def test_rewrite_keeps_mode_and_writes_through_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.LOG"
    real.write_bytes(b".LOG\n10:00 2014-02-10\nnote.\n")
    real.chmod(0o640)
    link = tmp_path / "link.LOG"
    link.symlink_to(real)
    log = LogFile(link)
    loaded = log.load()
    log.rewrite(loaded.fingerprint, b".LOG\n10:00 2014-02-10\nnote, edited.\n")
    assert link.is_symlink()
    assert real.read_bytes() == b".LOG\n10:00 2014-02-10\nnote, edited.\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert log.leftovers() == []


def _big_log(path: Path) -> bytes:
    entry = "10:00 2014-02-10\n" + "history line of text.\n" * 200 + "\n"
    data = (".LOG\n" + entry * (SMALL_FILE // len(entry) + 10)
            + "09:00 2026-11-26\nGTD\n1), a\n").encode()
    path.write_bytes(data)
    return data


def test_replace_tail_of_large_file_in_place(tmp_path: Path) -> None:
    path = tmp_path / "big.LOG"
    data = _big_log(path)
    ino = path.stat().st_ino
    log = LogFile(path)
    tail = log.load_tail()
    log.replace_tail(tail, tail.doc.text.replace("1), a", "1), a (done)"))
    assert path.read_bytes() == data.replace(b"1), a\n", b"1), a (done)\n")
    assert path.stat().st_ino == ino  # in place: not a copy
    assert not journal_path(path).exists()


def test_replace_tail_refuses_when_the_end_changed(tmp_path: Path) -> None:
    path = tmp_path / "big.LOG"
    _big_log(path)
    log = LogFile(path)
    tail = log.load_tail()
    path.write_bytes(path.read_bytes().replace(b"1), a\n", b"1), b\n"))
    changed = path.read_bytes()
    with pytest.raises(FileChangedError):
        log.replace_tail(tail, tail.doc.text + "x")
    assert path.read_bytes() == changed


def test_replace_tail_keeps_what_was_appended_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "big.LOG"
    data = _big_log(path)
    log = LogFile(path)
    tail = log.load_tail()
    with open(path, "ab") as handle:
        handle.write(b"\n10:00 2026-11-26\nappended by cron.\n")
    log.replace_tail(tail, tail.doc.text.replace("1), a", "1), a (done)"))
    assert path.read_bytes() == data.replace(b"1), a\n", b"1), a (done)\n") + (
        b"\n10:00 2026-11-26\nappended by cron.\n")


def test_interrupted_in_place_edit_is_undone_on_next_open(tmp_path: Path) -> None:
    """A crash between writing the new end and removing the journal: the next command
    puts the old end back and says so."""
    path = tmp_path / "big.LOG"
    data = _big_log(path)
    log = LogFile(path)
    tail = log.load_tail()
    old_end = data[tail.offset:]
    # Simulate the crash: a complete journal, a half-written new end.
    from worklog.store.undo_journal import _MAGIC, _digest  # noqa: PLC0415

    header = json.dumps({"offset": tail.offset, "size": len(data),
                         "digest": _digest(old_end)}).encode() + b"\n"
    journal_path(path).write_bytes(_MAGIC + header + old_end)
    with open(path, "r+b") as handle:
        handle.seek(tail.offset)
        handle.write(b"GARBAGE")
        handle.truncate()
    fresh = LogFile(path)
    assert fresh.load().data == data
    assert any("undid an interrupted edit" in n for n in fresh.notices)
    assert not journal_path(path).exists()


def test_incomplete_journal_is_dropped_and_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "big.LOG"
    data = _big_log(path)
    journal_path(path).write_bytes(b"worklog-journal 1\n{\"offset\": 5")
    fresh = LogFile(path)
    assert fresh.load().data == data
    assert any("incomplete journal" in n for n in fresh.notices)


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(LogFileError, match=r"missing\.LOG: no such file"):
        LogFile(tmp_path / "missing.LOG").load()
    with pytest.raises(LogFileError, match="is a folder"):
        LogFile(tmp_path).load()
    with pytest.raises(LogFileError, match=r"nodir/x\.LOG"):
        LogFile(tmp_path / "nodir" / "x.LOG").append([], ["a b c."], WHEN)
