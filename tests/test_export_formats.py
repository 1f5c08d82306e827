"""worklog.history.formats and worklog export: JSON unchanged, Markdown, iCalendar."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.conftest import DATA, SAMPLES, Runner, sample_names
from worklog.format.document import parse
from worklog.history.formats import escape_markdown, ics, markdown

NOW = {"WORKLOG_NOW": "2026-11-26T09:05"}


EXPORTED = DATA / "export"
#: How each sample is stored (samples/README.md), to read its lines without worklog.
SAMPLE_CODECS = {"de-DE-cp1252.LOG": "cp1252", "utf16le.LOG": "utf-16",
                 "en-US-crlf-bom.LOG": "utf-8-sig", "zh-TW.LOG": "utf-8-sig"}


@pytest.mark.parametrize("name", sample_names())
def test_json_export_is_the_contract_byte_for_byte(run_cli: Runner, name: str) -> None:
    """The export of each sample is, byte for byte, what it was when the contract was
    set down (tests/data/export/NAME.json). When a sample changes on purpose, write its
    file again with ``worklog --file samples/NAME.LOG export > tests/data/export/NAME.json``
    and read the diff: fields are only ever added."""
    expected = (EXPORTED / f"{Path(name).stem}.json").read_text(encoding="utf-8")
    result = run_cli("--file", str(SAMPLES / name), "export", "--format", "json")
    assert (result.code, result.err) == (0, "")
    assert result.out == expected
    assert run_cli("--file", str(SAMPLES / name), "export").out == expected


@pytest.mark.parametrize("name", sample_names())
def test_json_export_lines_are_the_stamp_lines(name: str) -> None:
    """Read without worklog: each exported ``line`` is the line holding ``stamp_text``."""
    text = (SAMPLES / name).read_bytes().decode(SAMPLE_CODECS.get(name, "utf-8"))
    lines = re.split(r"\r\n|\r|\n", text)
    records = json.loads((EXPORTED / f"{Path(name).stem}.json").read_text(encoding="utf-8"))
    assert records
    for record in records:
        assert lines[record["line"] - 1].strip() == record["stamp_text"], record


def test_markdown_shapes() -> None:
    doc = parse((SAMPLES / "worklog.LOG").read_bytes())
    text = "".join(markdown(doc.entries, "worklog.LOG"))
    assert text.startswith("# worklog.LOG\n\n## 2026-11-16 (Monday)\n\n"
                           '<a id="e-2026-11-16T08-52"></a>\n### 08:52 · plan · GTD\n\n'
                           "0, 8:50\n\n1, today\n\n"
                           "- [x] 1), 9:05-10:40 review the qemu-kvm subpackage proposal, "
                           "answer Marta. [see 09:31 2026-11-16](#e-2026-11-16T09-31) (done)\n")
    assert "- [x] ~~4), rebuild the sles15-build VM with the new qemu (dropped)~~\n" in text
    assert ("**From:** Marta Keller\\\n**Subject:** Re: qemu-kvm as a subpackage of qemu\\\n"
            "**Date:** 2026-11-16 09:17\n") in text
    assert ("```console\nann@laptop:~/src/vmbackup> virsh domblklist web01\n Target   Source\n"
            in text)
    assert ("**worklog run make: exit 2 in 4.31 s**\n\n- command: make check\n- exit: 2\n"
            "- duration: 4.31 s\n"
            "- cwd: /home/ann/src/vmbackup\n\n```console\nann@laptop:~/src/vmbackup> make check\n"
            in text)
    assert text.count('<a id="') == len({e.stamp.when for e in doc.entries})


def test_markdown_escapes() -> None:
    assert escape_markdown("# not a heading *a* _b_ <c> [d](e) 1. x") == (
        r"\# not a heading \*a\* \_b\_ \<c\> \[d\](e) 1. x")
    assert escape_markdown("1. first") == r"1\. first"
    assert escape_markdown("- item") == r"\- item"
    assert escape_markdown("> quote") == r"\> quote"
    assert escape_markdown("2), not a list") == "2), not a list"


def test_ics_journal_and_todos() -> None:
    doc = parse((SAMPLES / "worklog.LOG").read_bytes())
    data = ics(doc.entries, "worklog.LOG", datetime(2026, 11, 26, 9, 5).astimezone())
    cal = Calendar.from_ical(data)
    journals: list[Any] = list(cal.walk("VJOURNAL"))
    todos: list[Any] = list(cal.walk("VTODO"))
    assert len(journals) == len(doc.entries)
    # one VTODO per task: "write the qemu-ifup note for Marta" stands in three plans
    assert len(todos) == 28
    first = journals[0]
    assert str(first["UID"]) == "20261116T0852-1@worklog"
    assert first.decoded("DTSTART") == datetime(2026, 11, 16, 8, 52)
    assert str(first["X-WORKLOG-KIND"]) == "plan"
    assert [str(r) for r in first["RELATED-TO"]] == ["20261116T0931-1@worklog",
                                                     "20261116T1312-1@worklog"]
    email = journals[1]
    assert str(email["SUMMARY"]) == "Re: qemu-kvm as a subpackage of qemu"
    assert [str(c) for c in email["CATEGORIES"].cats] == ["virtualization", "kvm", "package"]
    first_day = [t for t in todos if t.decoded("DTSTART") == date(2026, 11, 16)]
    statuses = {str(t["SUMMARY"]): str(t["STATUS"]) for t in first_day}
    assert statuses == {
        'review the qemu-kvm subpackage proposal, answer Marta. see"09:31 2026-11-16"':
            "COMPLETED",
        'vmbackup: snapshot all disks of one domain. see"13:12 2026-11-16"': "NEEDS-ACTION",
        # carried to 11-17 and done there: one task, with the text of its last plan
        'ask Jonas where kvm_stat goes after the split. see"11:48 2026-11-17"': "COMPLETED",
        "rebuild the sles15-build VM with the new qemu": "CANCELLED",
    }
    related = {str(t["SUMMARY"])[:8]: str(t["RELATED-TO"]) for t in first_day}
    assert related == {"review t": "20261116T0852-1@worklog", "vmbackup": "20261116T0852-1@worklog",
                       "ask Jona": "20261117T0902-1@worklog", "rebuild ": "20261116T0852-1@worklog"}
    assert data.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//worklog//")


@pytest.mark.parametrize("name", ["utf16le.LOG", "de-DE-cp1252.LOG", "en-US-crlf-bom.LOG",
                                  "ko-KR.LOG"])
def test_export_every_format_from_every_encoding(run_cli: Runner,
                                                 sample: Callable[[str], Path],
                                                 name: str) -> None:
    path = sample(name)
    doc = parse(path.read_bytes())
    md = run_cli("--file", str(path), "export", "--format", "markdown", env=NOW)
    assert md.code == 0, md.err
    assert md.out.count("\n### ") == len(doc.entries)
    assert "\r" not in md.out
    cal = run_cli("--file", str(path), "export", "--format", "ics", env=NOW)
    assert cal.code == 0, cal.err
    parsed = Calendar.from_ical(cal.out)
    assert len(list(parsed.walk("VJOURNAL"))) == len(doc.entries)


def test_export_filters_apply_to_every_format(run_cli: Runner, seed_twin: Path) -> None:
    emails = json.loads(run_cli("--file", str(seed_twin), "export", "--kind", "email").out)
    md = run_cli("--file", str(seed_twin), "export", "--format", "markdown", "--kind", "email").out
    assert md.count("\n### ") == len(emails)
    cal = Calendar.from_ical(run_cli("--file", str(seed_twin), "export", "--format", "ics",
                                     "--since", "2014-02-11", env=NOW).out)
    days = {j.decoded("DTSTART").date().isoformat() for j in cal.walk("VJOURNAL")}
    assert days
    assert min(days) >= "2014-02-11"
