"""Bad input (docs/RELIABILITY.md, "Bad input"): hypothesis over the parser and over the
CLI's arguments, files, configuration and clock; a 50 MB single line; a binary file.
Never a traceback, never a changed byte unless worklog meant to write, a clear error
where the input cannot be used."""

from __future__ import annotations

import codecs
import functools
import random
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from tests.cli_runner import Result
from tests.conftest import SAMPLES, sample_names
from tests.reliability.conftest import (
    DOCUMENTED_EXITS,
    assert_one_error_line,
    invoke,
    listing,
)
from worklog.format.document import ParseOptions, parse
from worklog.format.encoding import Codec
from worklog.store.logfile import LogFile
from worklog.store.tail import FIRST_CHUNK

NOW = {"WORKLOG_NOW": "2026-11-26T18:00"}
SAMPLE_BYTES = {name: (SAMPLES / name).read_bytes() for name in sample_names()}
FUZZ = settings(max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture
def one_command_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """typer builds the command tree on every ``main`` call (38 ms): build it once for
    the hundreds of examples here. Everything else runs as in a command."""
    monkeypatch.setattr(typer.main, "get_command",
                        functools.lru_cache(maxsize=None)(typer.main.get_command))


# --- the parser ---------------------------------------------------------------------------

LINES = st.sampled_from([
    "10:20 2014-02-11", "1:27 PM 2/10/2014", "오후 1:27 2014-02-10", "下午 01:27 2014/2/10",
    "13:27 10.02.2014", "10:00 2014-02-30", "GTD", "lab, kvm", "1), 9:00- a", "0, 9:00",
    "see\"10:20 2014-02-11\"", "\"A\"_email_\"B\"", "u@h:~> ls", "", " ", "Grüße", "\x00",
    "\u2028", "\ud800", "\udcff", "\ufeff", ".LOG",
])
BREAKS = st.sampled_from(["\n", "\r\n", "\r", ""])
ENCODE = st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "cp1252"])
BOMS = st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])


@st.composite
def log_bytes(draw: st.DrawFn) -> bytes:
    """Log-like text in any encoding (lone surrogates kept with surrogatepass or written
    as ``?``), maybe behind a BOM, maybe cut anywhere (truncated UTF-16), maybe with
    random bytes spliced in."""
    text = "".join(draw(LINES) + draw(BREAKS) for _ in range(draw(st.integers(0, 30))))
    encoding = draw(ENCODE)
    handler = "surrogatepass" if encoding != "cp1252" else "replace"
    data = draw(BOMS) + text.encode(encoding, handler)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


def _check_document(data: bytes, options: ParseOptions) -> None:
    doc = parse(data, options)
    assert doc.to_bytes() == data
    assert doc.preamble + "".join(e.source for e in doc.entries) == doc.text
    starts = [e.start for e in doc.entries]
    assert starts == sorted(starts)
    for entry in doc.entries:
        assert entry.source.startswith(entry.stamp.text)
        assert entry.kind in ("snapshot", "command", "plan", "email", "note")
        _ = (entry.tags, entry.text_lines, entry.items, entry.links, entry.transcripts)


@settings(max_examples=1500, deadline=None)
@given(st.binary(max_size=400))
@example(b"\xff\xfe.\x00L\x00O\x00G\x00\r")  # UTF-16 cut in the middle of a character
@example(b"\xef\xbb\xbf\xed\xa0\x80")  # a UTF-8 encoded lone surrogate
@example(b".LOG\n\x00\x00\x00\n10:00 2026-11-26\n\x00")
def test_parse_any_bytes_round_trips(data: bytes) -> None:
    _check_document(data, ParseOptions())


@settings(max_examples=800, deadline=None)
@given(log_bytes(), st.sampled_from([None, True, False]),
       st.sampled_from(["cp1252", "cp1251", "cp1250", "cp874", "gbk", "cp949"]))
def test_parse_log_like_bytes_round_trips(data: bytes, day_first: bool | None,
                                          ansi: str) -> None:
    _check_document(data, ParseOptions(day_first=day_first, ansi=ansi))


@pytest.mark.xfail(strict=True, reason="known bug: cp932 and cp950 decode some byte pairs "
                   "to characters that encode back to other bytes (reported; see "
                   "docs/RELIABILITY.md)")
@pytest.mark.parametrize(("ansi", "data"), [("cp932", b"\xfa@"), ("cp950", b"\xf9\xe9")])
def test_parse_round_trips_in_every_ansi_code_page(ansi: str, data: bytes) -> None:
    assert parse(data, ParseOptions(ansi=ansi)).to_bytes() == data


TAIL_TEXTS = ["Γειά σου, στιγμιότυπο", "快照已完成，磁盘两个", "스냅샷 완료", "déjà vu, Grüße",
              "emoji 🧪🧪 test", "plain ascii words"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.sampled_from(TAIL_TEXTS), shift=st.integers(0, 7),
       encoding=st.sampled_from(["utf-8", "cp1252"]), ends_with_break=st.booleans())
def test_the_end_of_a_large_log_is_read_as_the_whole(
        tmp_path: Path, text: str, shift: int, encoding: str, ends_with_break: bool) -> None:
    """A log larger than the first chunk worklog reads from its end, cut at any byte
    (inside a character too): the end reads in the encoding of the whole file, and an
    append keeps the whole file in it."""
    codec = Codec(encoding)
    assume(codec.can_encode(text))
    body = "".join(f"09:{m % 60:02d} 2014-02-{10 + m // 60:02d}\n{text} {m}.\n\n"
                   for m in range(400))
    data = ("." * shift + ".LOG\n" + body + text).encode(encoding)
    data += b"\n" if ends_with_break else b""
    while len(data) < FIRST_CHUNK + 1000:
        data = data.replace(b".LOG\n", b".LOG\n" + text.encode(encoding) * 50 + b"\n", 1)
    log = tmp_path / "big.LOG"
    log.write_bytes(data)
    whole = parse(data)
    assert whole.codec == (codec if not text.isascii() else Codec("utf-8"))
    tail = LogFile(log).load_tail()
    assert not tail.whole
    assert tail.doc.codec == whole.codec
    assert tail.doc.entries[-1].source == whole.entries[-1].source
    LogFile(log).append([], [text], datetime(2026, 11, 26, 18, 0))
    after = parse(log.read_bytes())
    assert after.codec == whole.codec
    assert after.entries[-1].text_lines == [text]


# --- the CLI: arguments, files, configuration, clock -----------------------------------

COMMANDS = ["today", "plan", "start", "stop", "done", "drop", "report", "show", "grep",
            "tags", "export", "check", "add"]
WRITING = {"add", "plan", "start", "stop", "done", "drop"}
WORDS = [
    "--date", "--json", "--at", "--last", "-n", "--tags", "-t", "--since", "--until", "--by",
    "--week", "--day", "--month", "--format", "--kind", "--tag", "--reopen", "--no-carry",
    "--start", "--links", "--no-links", "-i", "-F", "--count", "--on", "--bogus", "-h",
    "1", "0", "-1", "3", "99999999999999999999", "9:40", "25:00", "0:00", "24:00",
    "yesterday", "last friday", "3 days ago", "2014-02-30", "2026-11-26", "2014-02-10",
    "10:20 2014-02-11", "1:27 PM 2/10/2014", "GTD", "lab, kvm", "json", "markdown", "ics",
    "day", "item", "tag", "plan", "note", "", " ", "-", "--", "x" * 300, "\udcff", "é",
    "東京", "(", "[", ".*", "\\", "%s", "{}", "a\nb", "\r", "\t", "$(touch PWNED)",
    "13:27 2014-02-10", "\u200e", "\ufeff",
]


#: Invocations that make sense, so that the commands get past their arguments and
#: meet the file; the random words above test the arguments themselves.
VALID: dict[str, list[list[str]]] = {
    "today": [[], ["--json"], ["--date", "2026-11-25"], ["--date", "yesterday", "--json"]],
    "show": [[], ["--last", "3"], ["10:20 2014-02-11"], ["1:27 PM 2/10/2014"]],
    "check": [[]],
    "tags": [[]],
    "export": [[], ["--format", "markdown"], ["--format", "ics"], ["--kind", "plan"]],
    "grep": [["a"], ["-i", "GTD"], ["-c", "x"], ["--json", "e"]],
    "report": [[], ["--json"], ["--month", "--by", "tag"], ["--since", "2014-01-01"]],
    "add": [["a note."], ["--tags", "lab", "x"], ["-"]],
    "plan": [["one"], ["--no-carry"], ["two", "--start", "8:00"]],
    "start": [["1"], ["2", "--at", "9:00"], ["1", "--reopen"]],
    "stop": [[], ["--at", "17:30"]],
    "done": [["1"], ["3"]],
    "drop": [["2"]],
}


@st.composite
def arguments(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(COMMANDS))
    if draw(st.booleans()):
        return [command, *draw(st.sampled_from(VALID[command]))]
    return [command, *draw(st.lists(st.sampled_from(WORDS), max_size=4))]


@st.composite
def file_bytes(draw: st.DrawFn) -> bytes | None:
    """None (no file), a sample log as it is, cut, or with bytes changed, or random."""
    kind = draw(st.sampled_from(["missing", "sample", "cut", "mutated", "random",
                                 "log-like", "empty"]))
    if kind == "missing":
        return None
    if kind == "empty":
        return b""
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "log-like":
        return draw(log_bytes())
    data = SAMPLE_BYTES[draw(st.sampled_from(sorted(SAMPLE_BYTES)))]
    if kind == "cut":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "mutated":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
        return bytes(out)
    return data


def assert_inserted(old: list[Any], new: list[Any], args: list[str]) -> None:
    """``new`` is ``old`` with one entry inserted, stamped no later than the one after."""
    seen = [(e.stamp.text, e.text) for e in new]
    mine = [(e.stamp.text, e.text) for e in old]
    at = next((i for i, (a, b) in enumerate(zip(seen, mine, strict=False)) if a != b),
              len(mine))
    assert seen[:at] + seen[at + 1 :] == mine, args
    assert at == len(mine) or new[at].stamp.when <= new[at + 1].stamp.when, args


def check_cli_contract(log: Path, before: bytes | None, args: list[str], result: Result
                       ) -> None:
    """No traceback (``invoke`` lets it through), a documented exit code, at most one
    line on stderr on failure, the file unchanged unless a writing command succeeded,
    nothing left beside it."""
    assert result.code in DOCUMENTED_EXITS, (args, result)
    if result.code != 0:
        assert result.err.count("\n") <= 1, (args, result.err)
    after = log.read_bytes() if log.exists() else None
    writing = args[0] in WRITING and result.code == 0 and "-h" not in args
    if not writing:
        assert after == before, (args, result)
    elif before is not None and after is not None and after != before:
        old_doc, new_doc = parse(before), parse(after)
        old, new = old_doc.entries, new_doc.entries
        if len(new) != len(old):  # add, plan: one entry appended
            assert len(new) == len(old) + 1, args
            assert (new_doc.codec, new_doc.trailer) == (old_doc.codec, old_doc.trailer)
            if not new_doc.text.startswith(old_doc.text):
                # after the text, or (FORMAT.md W7) before the first entry stamped later
                # than it: every old entry is kept, in its order
                assert_inserted(old, new, args)
        else:  # start, stop, done, drop, plan again: one plan entry changed in place
            assert args[0] != "add"
            changed = [(a, b) for a, b in zip(old, new, strict=True) if a.source != b.source]
            assert len(changed) == 1, args
            assert changed[0][0].kind == changed[0][1].kind == "plan"
    assert listing(log.parent) == (["work.LOG"] if after is not None else [])


@pytest.mark.usefixtures("one_command_tree")
@FUZZ
@given(data=file_bytes(), args=arguments(), stdin=st.binary(max_size=40),
       now=st.sampled_from(["2026-11-26T18:00", "2026-11-25T16:00", "2014-02-10T13:30"]))
def test_cli_with_any_arguments_and_file(tmp_path: Path, data: bytes | None,
                                         args: list[str], stdin: bytes, now: str) -> None:
    folder = tmp_path / "fuzz"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    log = folder / "work.LOG"
    if data is not None:
        log.write_bytes(data)
    result = invoke(["--file", str(log), *args], tmp_path, {"WORKLOG_NOW": now}, stdin=stdin)
    event(f"{args[0]}: exit {result.code}")
    check_cli_contract(log, data, args, result)


@pytest.mark.parametrize("args", [["show"], ["export"], ["grep", "note"]])
def test_a_utf16_log_with_a_lone_surrogate_is_printed(tmp_path: Path, args: list[str]) -> None:
    """Windows writes UTF-16 with unpaired surrogates (a name cut in half): the entry
    prints, the lone surrogate as U+FFFD, the file untouched (the fuzzing above found
    this one crashing; fixed in worklog/cli/search_cmds.py)."""
    log = tmp_path / "u16.LOG"
    data = codecs.BOM_UTF16_LE + "10:20 2014-02-11\nnote \ud800.\n".encode(
        "utf-16-le", "surrogatepass")
    log.write_bytes(data)
    result = invoke(["--file", str(log), *args], tmp_path, NOW)
    assert (result.code, result.err) == (0, "")
    assert "note \ufffd." in result.out
    assert log.read_bytes() == data


CONFIG_LINES = st.sampled_from([
    'file = "~/x.LOG"', "file = 3", "day_first = true", 'day_first = "yes"',
    'encoding = "cp1252"', 'encoding = "utf-16"', 'encoding = "rot13"', 'encoding = "nope"',
    'encoding = "base64"', 'encoding = "cp932"', 'libvirt_uri = "test:///default"',
    "libvirt_uri = []", "bogus = 1", "[table]", "x = [", '"', "= 3", "\x00", "\ud800",
    "file = '''", "day_first = 2026-11-26", "",
])


@pytest.mark.usefixtures("one_command_tree")
@FUZZ
@given(lines=st.lists(CONFIG_LINES, max_size=4), raw=st.binary(max_size=20),
       command=st.sampled_from(["today", "show", "add", "check"]))
def test_cli_with_any_configuration(tmp_path: Path, lines: list[str], raw: bytes,
                                    command: str) -> None:
    """A configuration that cannot be used: exit 2 and one line naming the config file;
    the log untouched."""
    config = tmp_path / "cfg" / "worklog" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + raw)
    folder = tmp_path / "fuzz"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    log = folder / "work.LOG"
    log.write_bytes(SAMPLE_BYTES["worklog.LOG"])
    args = [command, *(["a note."] if command == "add" else [])]
    result = invoke(["--file", str(log), *args], tmp_path,
                    {**NOW, "XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    if result.code == 2:
        assert_one_error_line(result, 2, str(config))
    check_cli_contract(log, SAMPLE_BYTES["worklog.LOG"], args, result)


@pytest.mark.usefixtures("one_command_tree")
@FUZZ
@given(now=st.text(max_size=30), command=st.sampled_from(["today", "add", "plan"]))
def test_cli_with_any_clock(tmp_path: Path, now: str, command: str) -> None:
    """$WORKLOG_NOW that is not an ISO time: exit 2 naming it."""
    assume("\x00" not in now)
    folder = tmp_path / "fuzz"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    log = folder / "work.LOG"
    log.write_bytes(SAMPLE_BYTES["worklog.LOG"])
    args = [command, *(["a note."] if command != "today" else [])]
    result = invoke(["--file", str(log), *args], tmp_path, {"WORKLOG_NOW": now})
    if result.code == 2:
        assert_one_error_line(result, 2, "$WORKLOG_NOW")
    check_cli_contract(log, SAMPLE_BYTES["worklog.LOG"], args, result)


# --- input the log cannot take ------------------------------------------------------------


@pytest.mark.parametrize("args", [["add", "caf\udce9"], ["plan", "caf\udce9"],
                                  ["add", "-"]], ids=["argument", "plan", "stdin"])
@pytest.mark.parametrize("exists", [True, False], ids=["existing", "new"])
def test_bytes_that_are_not_utf8_do_not_go_into_a_utf8_log(
        tmp_path: Path, args: list[str], exists: bool) -> None:
    """An argument or stdin in Latin-1 (``caf\\xe9``) would make a UTF-8 log read as
    ANSI from then on (its `Grüße` as `GrÃ¼ÃŸe`): refused, nothing written or created."""
    log = tmp_path / "work.LOG"
    before = SAMPLE_BYTES["worklog.LOG"]
    if exists:
        log.write_bytes(before)
    result = invoke(["--file", str(log), *args], tmp_path, NOW, stdin=b"caf\xe9\n")
    line = assert_one_error_line(result, 4, str(log))
    assert line.endswith("the new text holds bytes that are not UTF-8, which would turn "
                         "the file into another encoding; nothing was written")
    assert (log.read_bytes() if exists else log.exists()) == (before if exists else False)


def test_a_truncated_utf16_log_is_not_appended_to(tmp_path: Path) -> None:
    """A UTF-16 log cut after an odd number of bytes: text appended after the stray
    byte would read one byte off (as CJK garbage): refused, named, nothing written;
    reading it still works."""
    log = tmp_path / "utf16.LOG"
    data = SAMPLE_BYTES["utf16le.LOG"][:-1]
    log.write_bytes(data)
    result = invoke(["--file", str(log), "add", "a note."], tmp_path, NOW)
    assert_one_error_line(result, 4, str(log), "odd number of bytes")
    assert log.read_bytes() == data
    shown = invoke(["--file", str(log), "show", "--last", "1"], tmp_path, NOW)
    assert shown.code == 0


def test_a_50_mb_single_line(tmp_path: Path) -> None:
    """One entry whose only line is 50 MB: `show --last 1` prints it whole, `check`
    reports the file, `add` appends after it; no traceback."""
    log = tmp_path / "long.LOG"
    line = b"x" * 50_000_000
    data = b".LOG\n10:00 2026-11-26\n" + line + b"\n"
    log.write_bytes(data)
    shown = invoke(["--file", str(log), "show", "--last", "1"], tmp_path, NOW)
    assert (shown.code, shown.err) == (0, "")
    assert shown.out == (data[len(b".LOG\n"):]).decode()
    del shown
    checked = invoke(["--file", str(log), "check"], tmp_path, NOW)
    assert (checked.code, checked.out) == (0, "")
    assert checked.err == f"{log}: 1 entries, UTF-8, LF line breaks: no problems\n"
    added = invoke(["--file", str(log), "add", "after the long line."], tmp_path, NOW)
    assert added.code == 0
    assert log.read_bytes() == data + b"\n18:00 2026-11-26\nafter the long line.\n"


@pytest.fixture
def binary_file(tmp_path: Path) -> tuple[Path, bytes]:
    data = random.Random(7).randbytes(300_000)
    log = tmp_path / "binary.LOG"
    log.write_bytes(data)
    return log, data


@pytest.mark.parametrize("args", [["show", "--last", "3"], ["today"], ["check"],
                                  ["export"], ["grep", "x"], ["tags"], ["report"],
                                  ["done", "1"]])
def test_a_binary_file_is_read_without_a_traceback(
        tmp_path: Path, binary_file: tuple[Path, bytes], args: list[str]) -> None:
    log, data = binary_file
    result = invoke(["--file", str(log), *args], tmp_path, NOW)
    check_cli_contract_binary(result, args)
    assert log.read_bytes() == data


def check_cli_contract_binary(result: Result, args: list[str]) -> None:
    assert result.code in DOCUMENTED_EXITS, (args, result.err)
    if result.code != 0:
        assert result.err.count("\n") <= 1, result.err


def test_a_binary_file_is_not_written_to(
        tmp_path: Path, binary_file: tuple[Path, bytes]) -> None:
    """Random bytes are no log: nothing is appended to them (exit 4, one line saying
    what the file looks like)."""
    log, data = binary_file
    result = invoke(["--file", str(log), "add", "a note."], tmp_path, NOW)
    assert result.code == 4, result.err
    assert result.err.startswith(f"worklog: {log}: looks like binary data (")
    assert result.err.count("\n") == 1
    assert log.read_bytes() == data
