"""Hostile text (docs/RELIABILITY.md, "Hostile text"): text worklog appends (an `add`
note, an e-mail, a command's output and arguments, a snapshot's name and description)
cannot create entries or tags; snapshot names and descriptions reach libvirt as typed;
`worklog run` never passes its arguments through a shell."""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES
from tests.reliability.conftest import assert_one_error_line, invoke, listing
from worklog.format.document import Entry, parse
from worklog.format.stamps import looks_like_stamp_line
from worklog.format.writer import needs_neutralising
from worklog.store.logfile import LogFile

NOW = {"WORKLOG_NOW": "2026-11-26T18:00"}
LRM = "\u200e"
#: Lines that read as stamp lines (FORMAT.md S1-S4), in every locale of the format's
#: table, with direction marks and trailing blanks, and ones naming impossible dates.
STAMP_LINES = [
    "13:27 2014-02-10", "1:27 PM 2/10/2014", "13:27 10/02/2014", "13:27 10.02.2014",
    "9:05 3.2.2014", "9:05 3-2-2014", "13:27 2014/02/10", "下午 01:27 2014/2/10",
    "오후 1:27 2014-02-10", "午後 1:27 2014/02/10", "12:20 AM 2/3/2014", "13:27  2014-02-10",
    f"{LRM}13:27 2014-02-10", f"13:27{LRM} 10.02.2014{LRM}", "13:27 2014-02-10 \t ",
    "10:00 2014-02-30", "25:10 2014-02-10", "13:00 PM 2/10/2014",
]
PROSE = ["started at 11:04 2014-02-12, waiting.", "    13:27 2014-02-10", "GTD",
         "1), 9:00-10:00 not a plan of its own", "13:27 2014-02-10 call Bob"]


#: Prose that starts with a stamp: worklog indents it too (W4), so that `check` can tell
#: it from a line a person typed.
STAMP_LED = ["13:27 2014-02-10 call Bob"]


def neutralised(lines: list[str]) -> list[str]:
    return [" " + line if line in STAMP_LINES or line in STAMP_LED else line for line in lines]


def test_the_hostile_lines_are_what_they_claim() -> None:
    assert all(looks_like_stamp_line(line) for line in STAMP_LINES)
    assert not any(looks_like_stamp_line(line) for line in PROSE)
    doc = parse(("\n".join(["09:00 2026-11-26", *STAMP_LINES[:15]]) + "\n").encode())
    assert len(doc.entries) == 16  # as lines of a file, each would start an entry


def new_entries(before: bytes, after: bytes) -> list[Entry]:
    assert after.startswith(before)
    old, new = parse(before), parse(after)
    assert new.codec == old.codec
    return new.entries[len(old.entries):]


def encodable(path: Path, lines: list[str]) -> list[str]:
    codec = parse(path.read_bytes()).codec
    return [line for line in lines if codec.can_encode(line)]


@pytest.mark.parametrize("name", ["worklog.LOG", "en-US-crlf-bom.LOG", "utf16le.LOG",
                                  "de-DE-cp1252.LOG", "ko-KR.LOG", "zh-TW.LOG"])
@pytest.mark.parametrize("breaks", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_add_cannot_forge_entries(tmp_path: Path, name: str, breaks: str) -> None:
    """`add -` with stamp-shaped lines of every locale, any line breaks: one entry more,
    each such line indented by one space, everything else as typed."""
    log = tmp_path / name
    shutil.copyfile(SAMPLES / name, log)
    body = encodable(log, ["GTD", *STAMP_LINES, *PROSE, "end."])
    before = log.read_bytes()
    result = invoke(["--file", str(log), "add", "-"], tmp_path, NOW,
                    stdin=breaks.join(body).encode())
    assert result.code == 0, result.err
    (entry,) = new_entries(before, log.read_bytes())
    assert entry.stamp.when == datetime(2026, 11, 26, 18, 0)
    assert entry.tags == []  # `GTD` first, untagged: pushed below an empty line
    assert entry.kind == "note"
    assert entry.text_lines == neutralised(body)


def test_add_arguments_and_tags(tmp_path: Path) -> None:
    log = tmp_path / "work.LOG"
    words = ["first", "\n13:27 2014-02-10\n", "GTD\n1:27 PM 2/10/2014"]
    result = invoke(["--file", str(log), "add", "--tags", "lab, kvm", *words], tmp_path, NOW)
    assert result.code == 0, result.err
    (entry,) = parse(log.read_bytes()).entries
    assert entry.tags == ["lab", "kvm"]
    assert entry.text_lines == ["first ", " 13:27 2014-02-10", " GTD", " 1:27 PM 2/10/2014"]


@pytest.mark.parametrize("tags", ["13:27 2014-02-10", "lab, 13:27 2014-02-10",
                                  "lab\n13:27 2014-02-10", "GTD\r\n09:00 2026-11-26"])
@pytest.mark.parametrize("command", ["add", "email", "run"])
def test_a_stamp_in_tags_is_refused(tmp_path: Path, tags: str, command: str) -> None:
    log = tmp_path / "work.LOG"
    log.write_bytes(b".LOG\n09:00 2026-11-26\nlab\nnote.\n")
    args = {"add": ["x."], "email": [str(tmp_path / "none.eml")],
            "run": ["--", sys.executable, "-c", "pass"]}[command]
    result = invoke(["--file", str(log), command, "--tags", tags, *args], tmp_path, NOW)
    assert_one_error_line(result, 2, "--tags: ")
    assert log.read_bytes() == b".LOG\n09:00 2026-11-26\nlab\nnote.\n"


@st.composite
def bodies(draw: st.DrawFn) -> list[str]:
    """Lines of user text: stamp lines, prose, and random text over the characters that
    make stamps (no line breaks: those split lines, F4)."""
    alphabet = st.sampled_from([*"0123456789:-/. \tAPM,", "오후", "下午", "午前", LRM,
                                "\u2028", "\x85", "\x0b"])
    line = st.one_of(st.sampled_from(STAMP_LINES + PROSE),
                     st.lists(alphabet, max_size=24).map("".join))
    return draw(st.lists(line, min_size=1, max_size=12))


def _blank(line: str) -> bool:
    # E3: a blank line holds only spaces and tabs (U+2028, NEL or VT make a line of text).
    return not line.strip(" \t")


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies(), tags=st.sampled_from([[], ["lab"], ["GTD", "kvm"]]),
       name=st.sampled_from(["worklog.LOG", "en-US-crlf-bom.LOG", "utf16le.LOG", "ko-KR.LOG"]))
def test_property_one_append_is_one_entry(tmp_path: Path, body: list[str], tags: list[str],
                                          name: str) -> None:
    """Whatever the lines, an append adds exactly one entry, with exactly the tags
    given, whose text is the lines as given (stamp-shaped ones indented)."""
    log = tmp_path / name
    shutil.copyfile(SAMPLES / name, log)
    before = log.read_bytes()
    LogFile(log).append(tags, body, datetime(2026, 11, 26, 18, 0))
    (entry,) = new_entries(before, log.read_bytes())
    assert entry.tags == tags
    expected = [" " + line if needs_neutralising(line) else line for line in body]
    while expected and _blank(expected[-1]):
        expected.pop()
    while expected and _blank(expected[0]):
        expected.pop(0)
    assert entry.text_lines == expected


MBOX = """From ann@example.org Thu Nov 26 10:00:00 2026
From: "Ann Example" <ann@example.org>
Subject: =?utf-8?q?status=0A13:27_2014-02-10?=
Date: Thu, 26 Nov 2026 10:00:00 +0000
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

GTD
{stamps}
>From the lab
end of the first mail.

From bob@example.org Thu Nov 26 11:00:00 2026
From: Bob <bob@example.org>
Subject: two
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

09:00 2026-11-26
lab, kvm
end of the second mail.
"""


def test_email_cannot_forge_entries(tmp_path: Path) -> None:
    """Two messages whose bodies (and a subject) hold stamp lines: exactly two e-mail
    entries, stamps indented."""
    log = tmp_path / "work.LOG"
    log.write_bytes(b".LOG\n09:00 2026-11-26\nlab\nnote.\n")
    mbox = tmp_path / "mail.mbox"
    mbox.write_text(MBOX.format(stamps="\n".join(STAMP_LINES)), encoding="utf-8")
    before = log.read_bytes()
    result = invoke(["--file", str(log), "email", str(mbox)], tmp_path, NOW)
    assert result.code == 0, result.err
    first, second = new_entries(before, log.read_bytes())
    assert (first.kind, second.kind) == ("email", "email")
    assert first.email is not None
    assert first.email.subject == "status 13:27 2014-02-10"  # a header is one line
    assert first.text_lines[1:] == neutralised(["GTD", *STAMP_LINES, "From the lab",
                                                "end of the first mail."])
    assert second.text_lines[1:] == [" 09:00 2026-11-26", "lab, kvm", "end of the second mail."]


PRINT_ARGS = "import json, sys; print(json.dumps(sys.argv[1:])); print(sys.argv[1])"
SHELL_BAIT = ["$(touch PWNED); echo hi", "`touch PWNED2`", "a b", "*", "~", "$HOME", "'",
              '"', "x > PWNED3", ";", "|", "&&", "line\n13:27 2014-02-10"]


def test_run_passes_arguments_verbatim_without_a_shell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each argument reaches the command as it was given: nothing is expanded,
    substituted or split; no file appears; the output's stamp line is indented, and the
    record is one entry."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    log = tmp_path / "work.LOG"
    log.write_bytes(b".LOG\n09:00 2026-11-26\nlab\nnote.\n")
    before = log.read_bytes()
    printed = "\n".join(STAMP_LINES[:9])
    result = invoke(["--file", str(log), "run", "--", sys.executable, "-c",
                     PRINT_ARGS + f"; print({printed!r})", *SHELL_BAIT], tmp_path, NOW)
    assert result.code == 0, result.err
    assert json.loads(result.out.splitlines()[0]) == SHELL_BAIT
    assert listing(work) == []
    (entry,) = new_entries(before, log.read_bytes())
    assert entry.kind == "command"
    assert entry.record is not None
    assert entry.record.fields["exit"] == "0"
    blank = entry.text_lines.index("")
    output = entry.text_lines[blank + 2:]
    assert output == [json.dumps(SHELL_BAIT), "$(touch PWNED); echo hi",
                      *neutralised(STAMP_LINES[:9])]


def test_run_does_not_split_a_command_string(tmp_path: Path) -> None:
    log = tmp_path / "work.LOG"
    result = invoke(["--file", str(log), "run", "--", "echo hi; touch PWNED"], tmp_path, NOW)
    assert result.code == 127
    assert "worklog: echo hi; touch PWNED: command not found" in result.err
    assert not (tmp_path / "PWNED").exists()
    assert not Path("PWNED").exists()


# --- snapshots: names and descriptions reach libvirt as typed ---------------------------

HOSTILE_NAME = "a&<b>\"c'd ]]> &amp;"
HOSTILE_DESCRIPTION = ("</description><disks><disk name='vda' snapshot='external'/></disks>"
                       " & ]]> <!-- x --> &lt;\n13:27 2014-02-10")


@pytest.fixture
def default_conn() -> Iterator[Any]:
    """A connection to `test:///default` held open for the test: that driver's state
    lives as long as a connection to it does, so what `worklog snap` did (on its own
    connection, in this process) can be read back here."""
    libvirt = pytest.importorskip("libvirt")
    conn = libvirt.open("test:///default")
    try:
        yield conn
    finally:
        dom = conn.lookupByName("test")
        for snap in dom.listAllSnapshots(0):
            snap.delete(0)
        conn.close()


def test_snapshot_name_and_description_reach_libvirt_verbatim(
        tmp_path: Path, default_conn: Any) -> None:
    log = tmp_path / "work.LOG"
    log.write_bytes(b".LOG\n09:00 2026-11-26\nlab\nnote.\n")
    before = log.read_bytes()
    result = invoke(["--file", str(log), "snap", "test", "--connect", "test:///default",
                     "--internal", "--name", HOSTILE_NAME, "--description",
                     HOSTILE_DESCRIPTION], tmp_path, NOW)
    assert result.code == 0, result.err
    snap = default_conn.lookupByName("test").snapshotLookupByName(HOSTILE_NAME, 0)
    root = ET.fromstring(snap.getXMLDesc(0))
    assert root.findtext("name") == HOSTILE_NAME
    assert root.findtext("description") == f"worklog: {HOSTILE_DESCRIPTION}"
    assert [(d.get("name"), d.get("snapshot")) for d in root.findall("./disks/disk")] == [
        ("vda", "internal")]
    (entry,) = new_entries(before, log.read_bytes())
    assert entry.kind == "snapshot"
    assert entry.record is not None
    assert entry.record.fields["name"] == HOSTILE_NAME
    assert entry.record.fields["description"] == HOSTILE_DESCRIPTION
    listed = invoke(["--file", str(log), "snaps", "test", "--connect", "test:///default",
                     "--json"], tmp_path, NOW)
    assert listed.code == 0, listed.err
    (row,) = json.loads(listed.out)
    assert (row["name"], row["description"], row["in_log"]) == (
        HOSTILE_NAME, HOSTILE_DESCRIPTION, True)
