"""worklog.capture.mail and worklog email: messages and mboxes become e-mail entries."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import DATA, Runner
from worklog.capture.mail import NotMailError, html_to_text, parse_mail, sender_display, split_mbox
from worklog.format.constructs import parse_email_header
from worklog.format.document import parse

MAIL = DATA / "mail"
BEIJING = timezone(timedelta(hours=8))
NOW = {"WORKLOG_NOW": "2026-11-26T09:05"}


@pytest.fixture
def beijing_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time zone is UTC+8 (the seed's user)."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_seeds_header_line() -> None:
    (mail,) = parse_mail((MAIL / "bruce.eml").read_bytes(), BEIJING)
    assert mail.header_line == ('""Bruce Rogers" <brogers@suse.com>"_email_"[opensuse-virtual] '
                                'Proposed KVM related packaging changes"_20140212_0147')
    header = parse_email_header(mail.header_line)
    assert header is not None
    assert header.sender == '"Bruce Rogers" <brogers@suse.com>'
    assert header.subject == "[opensuse-virtual] Proposed KVM related packaging changes"
    assert header.date == datetime(2014, 2, 12, 1, 47)
    assert mail.body[:3] == ["All,", "", "I proposed making some KVM related packaging changes."]
    assert mail.body[-1] == "Bruce Rogers"


def test_non_ascii_headers_and_a_legacy_charset() -> None:
    (mail,) = parse_mail((MAIL / "korean.eml").read_bytes(), BEIJING)
    assert mail.sender == "김민수 <minsu.kim@example.kr>"
    assert mail.subject == "Re: 스냅샷 스크립트 review"
    assert mail.date == datetime(2014, 2, 12, 8, 5)
    assert mail.body == ["안녕하세요,", "", "스냅샷 스크립트는 내일 검토하겠습니다.", "감사합니다.",
                         "김민수"]


def test_html_only_mail_becomes_text() -> None:
    (mail,) = parse_mail((MAIL / "html-only.eml").read_bytes(), BEIJING)
    assert mail.subject == "kvm_stat über kernel-tools"
    assert mail.body == [
        "Hi Ann,",
        "",
        "kvm_stat lives in the kernel tree now, so it should come from kernel-tools:",
        "not from qemu-kvm & not from qemu-tools.",
        "",
        "- drop it from the kvm package",
        "- keep the wrapper",
        "",
        "See the notes <https://example.org/kvm_stat>.",
        "",
        "Jonas",
    ]


def test_html_to_text_details() -> None:
    assert html_to_text("<pre>a  b\n  c</pre><p>x&nbsp;y &lt;z&gt;</p>") == "a  b\n  c\n\nx y <z>"
    assert html_to_text("<table><tr><td>a</td><td>b</td></tr></table>") == "a  b"
    assert html_to_text('<a href="https://x.org">https://x.org</a>') == "https://x.org"


def test_an_mbox_with_several_messages() -> None:
    data = (MAIL / "several.mbox").read_bytes()
    assert len(split_mbox(data)) == 3
    mails = parse_mail(data, BEIJING)
    assert [m.subject for m in mails] == ["Re: qemu-kvm as a subpackage of qemu",
                                          "[virt-devel] Dropping virt-utils", "test log"]
    assert "From now on the udev rule lives in qemu." in mails[0].body
    assert mails[1].body == ["All,", "", "virt-utils has one tool left, vm-snapshot-disk.", "",
                             "Priya"]
    assert mails[2].body == ["The failing run is attached.", "", "attachments: make-check.log"]


def test_missing_headers_and_date() -> None:
    (mail,) = parse_mail(b"Subject: no sender\n\nbody\n")
    assert mail.header_line == '""_email_"no sender"'
    assert mail.body == ["body"]
    assert parse_mail(b"") == []


def test_email_command_appends_one_entry(run_cli: Runner, seed_twin: Path,
                                         beijing_time: None) -> None:
    before = seed_twin.read_bytes()
    result = run_cli("--file", str(seed_twin), "email", str(MAIL / "bruce.eml"),
                     "--tags", "virtualization, kvm, package", env=NOW)
    assert result.code == 0, result.err
    assert result.err == f"added 1 e-mail as 09:05 2026-11-26 to {seed_twin}\n"
    data = seed_twin.read_bytes()
    assert data.startswith(before)
    added = data[len(before):].decode()
    assert added.startswith('09:05 2026-11-26\nvirtualization, kvm, package\n'
                            '""Bruce Rogers" <brogers@suse.com>"_email_"[opensuse-virtual] '
                            'Proposed KVM related packaging changes"_20140212_0147\nAll,\n')
    assert "\n 10:20 2014-02-11\n" in added  # a stamp-shaped body line cannot forge an entry
    entry = parse(data).entries[-1]
    assert entry.kind == "email"
    assert entry.email is not None
    assert entry.email.date == datetime(2014, 2, 12, 1, 47)


def test_email_command_mbox_from_stdin(run_cli: Runner, seed_twin: Path,
                                       beijing_time: None) -> None:
    before = parse(seed_twin.read_bytes()).entries
    stdin = (MAIL / "several.mbox").read_bytes()
    result = run_cli("--file", str(seed_twin), "email", env=NOW, stdin=stdin)
    assert result.code == 0, result.err
    assert result.err == f"added 3 e-mails as 09:05 2026-11-26 to {seed_twin}\n"
    entries = parse(seed_twin.read_bytes()).entries
    assert len(entries) == len(before) + 3
    new = entries[len(before):]
    assert [e.kind for e in new] == ["email"] * 3
    assert [e.email.subject for e in new if e.email] == [
        "Re: qemu-kvm as a subpackage of qemu", "[virt-devel] Dropping virt-utils", "test log"]
    exported = json.loads(run_cli("--file", str(seed_twin), "export", "--kind", "email").out)
    assert exported[-3]["email"] == {"from": "Marta Keller <marta@example.org>",
                                     "subject": "Re: qemu-kvm as a subpackage of qemu",
                                     "date": "2026-11-16T16:17"}


@pytest.mark.parametrize("name", ["utf16le.LOG", "en-US-crlf-bom.LOG"])
def test_email_into_utf16_and_crlf_logs(run_cli: Runner, sample: Callable[[str], Path],
                                        name: str, beijing_time: None) -> None:
    path = sample(name)
    before = path.read_bytes()
    doc = parse(before)
    result = run_cli("--file", str(path), "email", str(MAIL / "korean.eml"), env=NOW)
    assert result.code == 0, result.err
    after = parse(path.read_bytes())
    assert after.codec == doc.codec
    assert after.newline == "\r\n"
    assert path.read_bytes().startswith(before)
    entry = after.entries[-1]
    assert entry.kind == "email"
    assert entry.email is not None
    assert entry.email.sender == "김민수 <minsu.kim@example.kr>"


def test_email_the_file_cannot_hold_writes_nothing(run_cli: Runner,
                                                  sample: Callable[[str], Path]) -> None:
    path = sample("de-DE-cp1252.LOG")
    before = path.read_bytes()
    result = run_cli("--file", str(path), "email", str(MAIL / "korean.eml"), env=NOW)
    assert result.code == 4
    assert result.err.startswith(f"worklog: {path}: ")
    assert "cp1252" in result.err
    assert result.err.endswith("nothing was written\n")
    assert path.read_bytes() == before


def test_email_errors(run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    missing = run_cli("--file", str(log), "email", str(tmp_path / "none.eml"))
    assert (missing.code, missing.err) == (
        2, f"worklog: {tmp_path / 'none.eml'}: no such file or directory\n")
    empty = run_cli("--file", str(log), "email", "-", stdin=b"\n")
    assert (empty.code, empty.err) == (2, "worklog: stdin: no e-mail message in it\n")
    assert not log.exists()


@pytest.mark.parametrize("data", [b"not a mail\n", b"just a line\n\nand a paragraph\n",
                                  b"Note: this is prose, not a header\n\ntext\n"])
def test_text_that_is_no_email_is_refused(run_cli: Runner, tmp_path: Path,
                                          data: bytes) -> None:
    log = tmp_path / "w.LOG"
    log.write_bytes(b".LOG\n10:00 2026-11-26\nfirst\n")
    before = log.read_bytes()
    result = run_cli("--file", str(log), "email", "-", stdin=data, env=NOW)
    assert result.code == 2
    assert result.err == ("worklog: stdin: message 1 has no e-mail header (From, Subject, "
                          "Date...): not an e-mail; nothing was written\n")
    assert log.read_bytes() == before
    assert b'""_email_""' not in log.read_bytes()


def test_an_mbox_with_one_message_that_is_no_email_writes_nothing() -> None:
    with pytest.raises(NotMailError, match="message 2 has no e-mail header"):
        parse_mail(b"From a@b Thu Nov 26 09:00:00 2026\nSubject: one\n\nbody\n"
                   b"From c@d Thu Nov 26 09:01:00 2026\nno header here\n")


@pytest.mark.parametrize(("sender", "shown"), [
    ('"O\'Brien, Pat \\"PJ\\"" <pj@example.org>', 'O\'Brien, Pat "PJ"'),
    ('"Bruce Rogers" <brogers@suse.com>', "Bruce Rogers"),
    ("Bruce Rogers <brogers@suse.com>", "Bruce Rogers"),
    ('"Olaf Kirch"', "Olaf Kirch"),
    ("<pj@example.org>", "pj@example.org"),
    ("brogers@suse.com", "brogers@suse.com"),
    ("Jonas Berg", "Jonas Berg"),
    ("Jörg Müller <j@example.de>", "Jörg Müller"),
])
def test_sender_display(sender: str, shown: str) -> None:
    assert sender_display(sender) == shown


def test_today_shows_a_quoted_sender_as_a_person_reads_it(run_cli: Runner,
                                                          tmp_path: Path) -> None:
    log = tmp_path / "w.LOG"
    mail = (b'From: "O\'Brien, Pat \\"PJ\\"" <pj@example.org>\nSubject: the budget\n'
            b"Date: Thu, 26 Nov 2026 08:00:00 +0000\n\nhello\n")
    assert run_cli("--file", str(log), "email", "-", stdin=mail, env=NOW).code == 0
    today = run_cli("--file", str(log), "today", env=NOW)
    assert today.out.splitlines()[-1] == '09:05  email     O\'Brien, Pat "PJ": the budget'
