"""worklog grep, show, tags, export end to end, and grep's output in real pipes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, Runner
from worklog.cli.session import Session
from worklog.format.document import parse

NOW = {"WORKLOG_NOW": "2026-11-26T09:05"}


def lines_of(out: str) -> list[str]:
    return out.splitlines()


# --- grep ------------------------------------------------------------------------------


def test_grep_piped_format(run_cli: Runner, sample: Callable[[str], Path]) -> None:
    path = sample("worklog.LOG")
    result = run_cli("--file", str(path), "grep", "vm-snapshot-disk")
    assert result.code == 0, result.err
    out = result.out
    assert out.startswith(f"{path}:90:10:26 2026-11-18\nvirtualization, package\n"
                          '""Priya Raman" <praman@example.org>"_email_')
    assert f"\n{path}:190:08:49 2026-11-23\nGTD\n0, 8:45\n" in out
    assert out.endswith("answer Priya: we do not use vm-snapshot-disk. "
                        'see"10:26 2026-11-18" (done)\n\n')
    assert "\x1b[" not in out
    headers = [line for line in lines_of(out) if line.startswith(f"{path}:")]
    assert headers == [f"{path}:90:10:26 2026-11-18", f"{path}:190:08:49 2026-11-23"]


@pytest.mark.parametrize(
    ("name", "args", "headers"),
    [
        ("en-US-crlf-bom.LOG", ["-i", "QEMU"], ["11:48 AM 2/3/2014"]),
        ("utf16le.LOG", ["スナップショット"], ["10:42 03/02/2014", "14:15 04/02/2014"]),
        ("de-DE-cp1252.LOG", ["Jürgen Weiß"], ["11:02 10.02.2014"]),
    ],
)
def test_grep_encodings(run_cli: Runner, sample: Callable[[str], Path], name: str,
                        args: list[str], headers: list[str]) -> None:
    """CRLF with BOM, UTF-16 LE and cp1252: found, written as UTF-8 with LF."""
    path = sample(name)
    doc = parse(path.read_bytes())
    result = run_cli("--file", str(path), "grep", *args)
    assert result.code == 0, result.err
    got = [line.split(":", 2)[2] for line in lines_of(result.out)
           if line.startswith(f"{path}:")]
    assert got == headers
    assert "\r" not in result.out
    lines = {e.stamp.text: e.line for e in doc.entries}
    for line in lines_of(result.out):
        if line.startswith(f"{path}:"):
            _, number, stamp = line.split(":", 2)
            assert lines[stamp] == int(number)


def test_grep_count_json_and_exit_codes(run_cli: Runner, sample: Callable[[str], Path]) -> None:
    path = sample("worklog.LOG")
    count = run_cli("--file", str(path), "grep", "--count", "snapshot")
    assert (count.code, count.out) == (0, "17\n")
    none = run_cli("--file", str(path), "grep", "no such words")
    assert (none.code, none.out, none.err) == (1, "", "")
    zero = run_cli("--file", str(path), "grep", "-c", "no such words")
    assert (zero.code, zero.out) == (1, "0\n")
    data = json.loads(run_cli("--file", str(path), "grep", "--json", "Dropping").out)
    exported = json.loads(run_cli("--file", str(path), "export").out)
    assert data == [record for record in exported if "Dropping" in record["text"]]
    assert data[0]["line"] == 90
    assert data[0]["email"]["subject"] == "[virt-devel] Dropping virt-utils"


def test_grep_filters(run_cli: Runner, sample: Callable[[str], Path]) -> None:
    path = sample("worklog.LOG")

    def stamps(*args: str) -> list[str]:
        out = run_cli("--file", str(path), "grep", *args, env=NOW).out
        return [line.split(":", 2)[2] for line in lines_of(out) if line.startswith(f"{path}:")]

    assert stamps("qemu", "--kind", "email") == [
        "09:31 2026-11-16", "11:48 2026-11-17", "10:21 2026-11-23", "11:34 2026-11-24",
        "08:41 2026-11-25"]
    assert stamps("snapshot", "--on", "2026-11-18", "--tag", "GTD") == ["09:14 2026-11-18"]
    assert stamps("vm-snapshot-disk", "--since", "last monday") == ["08:49 2026-11-23"]
    assert stamps("vm-snapshot-disk", "--until", "2026-11-18") == ["10:26 2026-11-18"]
    assert stamps("vm-snapshot-disk", "--since", "2 weeks ago", "--until", "yesterday") == [
        "10:26 2026-11-18", "08:49 2026-11-23"]
    both = run_cli("--file", str(path), "grep", "x", "--on", "today", "--since", "yesterday")
    assert (both.code, both.err) == (2, "worklog: --on: not with --since or --until\n")
    bad = run_cli("--file", str(path), "grep", "(")
    assert bad.code == 2
    assert bad.err.startswith("worklog: PATTERN: missing )")


def test_grep_on_a_terminal_highlights(run_cli: Runner, sample: Callable[[str], Path],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = sample("worklog.LOG")
    monkeypatch.setattr(Session, "color", lambda self, stream=None: True)
    out = run_cli("--file", str(path), "grep", "Dropping").out
    first, second, *_ = lines_of(out)
    assert first == ("\x1b[36m\x1b[1m10:26 2026-11-18\x1b[0m  "
                     f"\x1b[35m{path}:90\x1b[0m  \x1b[33memail\x1b[0m  virtualization, package")
    assert second == ('""Priya Raman" <praman@example.org>"_email_"[virt-devel] '
                      '\x1b[31m\x1b[1mDropping\x1b[0m virt-utils"_20261118_1019')
    assert out.endswith("Priya\n\n")


def _worklog(*args: str, log: Path, env: dict[str, str] | None = None) -> list[str]:
    return [sys.executable, "-m", "worklog", "--file", str(log), *args]


def _pipe(left: list[str], right: list[str], env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("WORKLOG_NOW", None)
    first = subprocess.Popen(left, stdout=subprocess.PIPE, env=full_env)
    second = subprocess.run(right, stdin=first.stdout, capture_output=True, env=full_env,
                            check=False)
    assert first.stdout is not None
    first.stdout.close()
    first.wait(timeout=60)
    return second.stdout.decode()


@pytest.mark.skipif(shutil.which("grep") is None or shutil.which("wc") is None,
                    reason="needs grep and wc")
def test_grep_output_in_real_pipes(sample: Callable[[str], Path]) -> None:
    """grep finds lines of the entries and can count the headers; wc counts the lines
    of the matching entries as they stand in the file; less shows them unchanged."""
    path = sample("worklog.LOG")
    doc = parse(path.read_bytes())
    matching = [e for e in doc.entries if "vm-snapshot-disk" in e.source]
    cmd = _worklog("grep", "vm-snapshot-disk", log=path)
    assert _pipe(cmd, ["grep", "-c", f"^{path}:[0-9]*:"]).strip() == str(len(matching))
    assert _pipe(cmd, ["wc", "-l"]).strip() == str(sum(len(e.lines) for e in matching))
    assert _pipe(cmd, ["grep", "Priya:"]) == (
        "4), 16:00-16:20 answer Priya: we do not use vm-snapshot-disk. "
        'see"10:26 2026-11-18" (done)\n')
    whole = _pipe(cmd, ["cat"])
    assert "\x1b" not in whole
    assert whole == "".join(f"{path}:{e.line}:{e.source}" for e in matching)
    if shutil.which("less"):
        paged = _pipe(cmd, ["less", "-FX"], env={"LESS": "-FX", "TERM": "dumb"})
        assert paged == whole
    coloured = _pipe(_worklog("grep", "vm-snapshot-disk", log=path), ["cat"],
                     env={"NO_COLOR": "1"})
    assert coloured == whole


def test_grep_head_closing_the_pipe_is_not_an_error(sample: Callable[[str], Path]) -> None:
    path = sample("worklog.LOG")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(_worklog("grep", ".", log=path), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
    assert first.stdout is not None
    assert first.stderr is not None
    first.stdout.readline()
    first.stdout.close()
    code = first.wait(timeout=60)
    assert (code, first.stderr.read()) == (0, b"")


# --- show ------------------------------------------------------------------------------


def test_show_with_links_and_backlinks(run_cli: Runner, sample: Callable[[str], Path]) -> None:
    path = sample("worklog.LOG")
    result = run_cli("--file", str(path), "show", "09:14 2026-11-18")
    assert result.code == 0, result.err
    markers = [line for line in lines_of(result.out) if line.startswith(("-->", "<--"))]
    assert markers == [
        "--> links to 13:20 2026-11-18 (line 106)",
        "--> links to 10:26 2026-11-18 (line 90)",
    ]
    assert result.out.startswith("09:14 2026-11-18\nGTD\n")
    back = run_cli("--file", str(path), "show", "2026-11-18T10:26").out
    assert [line for line in lines_of(back) if line.startswith(("-->", "<--"))] == [
        "<-- linked from 09:14 2026-11-18 (line 80)",
        "<-- linked from 08:49 2026-11-23 (line 190)",
    ]
    only = run_cli("--file", str(path), "show", "--no-links", "09:14 2026-11-18").out
    assert "-->" not in only
    assert only.startswith("09:14 2026-11-18\n")


def test_show_missing_link_target_and_last(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes(b'.LOG\r\n10:00 2014-02-11\r\nsee"09:00 2014-02-01"\r\n\r\n'
                     b'11:00 2014-02-11\r\nlast one\r\n')
    out = run_cli("--file", str(path), "show", "10:00 2014-02-11").out
    assert out == ('10:00 2014-02-11\nsee"09:00 2014-02-01"\n\n'
                   "--> links to 2014-02-01 09:00: no entry has this stamp\n")
    assert run_cli("--file", str(path), "show", "-n", "1").out == "11:00 2014-02-11\nlast one\n"


# --- tags ------------------------------------------------------------------------------


def test_tags(run_cli: Runner, sample: Callable[[str], Path]) -> None:
    path = sample("worklog.LOG")
    result = run_cli("--file", str(path), "tags")
    assert result.code == 0, result.err
    first = lines_of(result.out)[0]
    assert first.split() == ["GTD", "9", "2026-11-25", "09:20"]
    records = json.loads(run_cli("--file", str(path), "tags", "--json").out)
    assert records[0] == {"tag": "GTD", "count": 9, "last": "2026-11-25T09:20", "line": 294}
    doc = parse(path.read_bytes())
    for record in records:
        carrying = [e for e in doc.entries
                    if record["tag"].casefold() in (t.casefold() for t in e.tags)]
        assert record["count"] == len(carrying)


# --- export ----------------------------------------------------------------------------


def test_export_formats_cli(run_cli: Runner, sample: Callable[[str], Path]) -> None:
    path = sample("de-DE-cp1252.LOG")
    md = run_cli("--file", str(path), "export", "--format", "markdown", env=NOW)
    assert md.code == 0, md.err
    assert md.out.startswith("# de-DE-cp1252.LOG\n\n## 2014-02-10 (Monday)\n")
    assert "**From:** Jürgen Weiß" in md.out
    ics = run_cli("--file", str(path), "export", "--format", "ics", "--kind", "plan", env=NOW)
    assert ics.code == 0, ics.err
    assert ics.out.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert ics.out.count("BEGIN:VJOURNAL") == 2
    # one task across its two plans, with the text of the last
    assert 'SUMMARY:Übergabe an Jürgen vorbereiten. see"14:03 14.02.2014"\r\n' in ics.out
    assert ics.out.count("SUMMARY:Übergabe an Jürgen") == 1
    bad = run_cli("--file", str(path), "export", "--format", "xml")
    assert (bad.code, bad.err) == (2, "worklog: --format: 'xml' is not a known format "
                                      "(json, markdown, ics, timeclock, csv)\n")


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "samples").glob("*.LOG")))
def test_grep_json_of_every_entry_is_the_export(run_cli: Runner, name: str) -> None:
    """`grep --json .` reads every entry (each has a stamp line) from the bytes alone:
    the records, line numbers, links and kinds included, are the export's."""
    path = ROOT / "samples" / name
    grepped = run_cli("--file", str(path), "grep", "--json", ".")
    exported = run_cli("--file", str(path), "export")
    assert grepped.code == 0, grepped.err
    assert json.loads(grepped.out) == json.loads(exported.out)


def test_undecodable_text_is_printed_not_a_crash(run_cli: Runner, tmp_path: Path) -> None:
    """A UTF-16 log with a lone surrogate (a name cut in half by Windows) and a cp1252 log
    with a byte no character stands for: the text goes out as written, U+FFFD for what
    cannot be (always in JSON, which must stay UTF-8)."""
    u16 = tmp_path / "u16.LOG"
    u16.write_bytes(b"\xff\xfe" + "10:20 2014-02-11\nnote \ud800.\n".encode("utf-16-le",
                                                                           "surrogatepass"))
    for args in (["show"], ["grep", "note"], ["export", "--format", "markdown"]):
        result = run_cli("--file", str(u16), *args)
        assert result.code == 0, (args, result.err)
        assert "note \ufffd." in result.out
    exported = run_cli("--file", str(u16), "export")
    assert json.loads(exported.out)[0]["text"] == "note \ufffd."
    ansi = tmp_path / "ansi.LOG"
    ansi.write_bytes(b".LOG\r\n10:20 11.02.2014\r\nK\xf6ln \x81 note\r\n")
    grepped = run_cli("--file", str(ansi), "grep", "note")
    assert grepped.code == 0
    assert grepped.out == f"{ansi}:2:10:20 11.02.2014\nKöln \udc81 note\n"
    as_json = json.loads(run_cli("--file", str(ansi), "grep", "--json", "note").out)
    assert as_json[0]["text"] == "Köln \ufffd note"


@pytest.mark.parametrize(
    ("name", "stamp", "target", "first_tag"),
    [
        ("utf16le.LOG", "09:05 03/02/2014", "--> links to 10:42 03/02/2014 (line 11)",
         ["colleague", "2", "2014-02-13", "16:05"]),
        ("en-US-crlf-bom.LOG", "9:05 AM 2/3/2014", "--> links to 11:48 AM 2/3/2014 (line 11)",
         ["lab", "6", "2014-02-13", "08:58"]),
        ("de-DE-cp1252.LOG", "09:12 13.02.2014", "--> links to 14:03 14.02.2014 (line 39)",
         ["GTD", "2", "2014-02-13", "09:12"]),
    ],
)
def test_show_and_tags_on_each_encoding(run_cli: Runner, name: str, stamp: str, target: str,
                                        first_tag: list[str]) -> None:
    """UTF-16 LE, CRLF with BOM and cp1252 logs: links are followed in the file's own
    stamp shape and day order; tags are counted; output is UTF-8 with LF."""
    path = ROOT / "samples" / name
    shown = run_cli("--file", str(path), "show", stamp)
    assert shown.code == 0, shown.err
    assert shown.out.startswith(stamp + "\n")
    assert target in lines_of(shown.out)
    assert "\r" not in shown.out
    tags = run_cli("--file", str(path), "tags")
    assert lines_of(tags.out)[0].split() == first_tag


def _on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run worklog with its standard output on a pseudo-terminal; what it wrote."""
    import pty  # noqa: PLC0415

    reader, writer = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update({"PYTHONPATH": str(ROOT), **env})
    proc = subprocess.Popen([sys.executable, "-m", "worklog", *args], stdout=writer,
                            stderr=subprocess.PIPE, env=full_env)
    os.close(writer)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(reader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(reader)
    proc.wait(timeout=60)
    return b"".join(chunks)


def test_colour_only_on_a_terminal_and_never_with_no_color(sample: Callable[[str], Path]) -> None:
    path = sample("worklog.LOG")
    args = ["--file", str(path), "grep", "Dropping"]
    coloured = _on_a_terminal(args, {})
    assert b"\x1b[31m\x1b[1mDropping\x1b[0m" in coloured
    plain = _on_a_terminal(args, {"NO_COLOR": "1"})
    assert b"\x1b" not in plain
    assert plain.replace(b"\r\n", b"\n").startswith(f"{path}:90:10:26 2026-11-18\n".encode())


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_grep_finds_in_utf16_without_byte_order_mark(run_cli: Runner, tmp_path: Path,
                                                     encoding: str) -> None:
    """A UTF-16 file Notepad can keep without a mark (its .LOG first line tells):
    grep finds what show and export read."""
    path = tmp_path / "w.LOG"
    text = ".LOG\r\n10:00 2026-12-10\r\nhello Anne\r\n\r\n11:00 2026-12-11\r\nsomething else\r\n"
    path.write_bytes(text.encode(encoding))
    shown = run_cli("--file", str(path), "show", "10:00 2026-12-10")
    assert "hello Anne" in shown.out
    exported = json.loads(run_cli("--file", str(path), "export", "--format", "json").out)
    assert [entry["tags"] for entry in exported] == [["hello Anne"], ["something else"]]
    result = run_cli("--file", str(path), "grep", "Anne")
    assert result.code == 0, result.err
    assert result.out == f"{path}:2:10:00 2026-12-10\nhello Anne\n\n"
    assert run_cli("--file", str(path), "grep", "--count", "hello").out.strip() == "1"
