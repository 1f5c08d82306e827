"""Every failure a user can cause ends in one line on stderr naming the file (and line)
or the argument, with a documented exit code, and changes nothing (docs/RELIABILITY.md,
"Error paths"). Each case states the exact line."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.reliability.conftest import DOCUMENTED_EXITS, assert_one_error_line, invoke

NOW = "2026-11-25T16:00"
TRY_DATES = "(try 2014-02-11, yesterday, fri, last monday, 2 weeks ago)"


@dataclass(frozen=True)
class Case:
    args: list[str]
    code: int
    line: str  # {log}, {home} filled in
    env: dict[str, str] = field(default_factory=dict)
    config: str | None = None


CASES: dict[str, Case] = {
    # arguments and options
    "unknown option": Case(["add", "--bogus"], 2, "No such option: --bogus (Possible options: "
                           "--tags) (see worklog add --help)"),
    "unknown command": Case(["frobnicate"], 2, "No such command 'frobnicate'. (see worklog "
                            "--help)"),
    "bad date": Case(["today", "--date", "notadate"], 2,
                     f"--date: cannot read 'notadate' as a date {TRY_DATES}"),
    "bad since": Case(["report", "--since", "the day after"], 2,
                      f"--since: cannot read 'the day after' as a date {TRY_DATES}"),
    "bad stamp": Case(["show", "99:99 2014-02-10"], 2,
                      "STAMP: '99:99 2014-02-10' is not a stamp (write it as in the log, e.g. "
                      '"10:20 2014-02-11", or as 2014-02-11T10:20)'),
    "no such entry": Case(["show", "10:00 2014-02-10"], 1,
                          "{log}: no entry stamped '10:00 2014-02-10'"),
    "bad tag": Case(["add", "--tags", "1, 2", "x"], 2,
                    "--tags: '1' is not a tag (1-32 letters, digits or _-+./#&@, at most 3 "
                    "words, at least one letter, no final '.', "
                           "no file name, no capital first when of several words)"),
    "a stamp as tag": Case(["add", "--tags", "10:00 2026-11-26", "x"], 2,
                           "--tags: '10:00 2026-11-26' is not a tag (1-32 letters, digits or "
                           "_-+./#&@, at most 3 words, at least one letter, no final '.', "
                           "no file name, no capital first when of several words)"),
    "too many tags": Case(["add", "--tags", ",".join(f"t{i}" for i in range(11)), "x"], 2,
                          "--tags: at most 10 tags"),
    "unknown item": Case(["start", "9"], 2,
                         "the plan of 2026-11-25 has no item 9 (items: 1, 2, 3, 4)"),
    "item not a number": Case(["start", "x"], 2, "Invalid value for 'N': 'x' is not a valid "
                              "int. (see worklog start --help)"),
    "bad time": Case(["start", "1", "--at", "25:00"], 2, "--at: '25:00' is not a time like 9:40"),
    "finished item": Case(["start", "1"], 2, "item 1 (answer Jonas: the kvm package is fine "
                          "from our side. see\"08…) is done: `worklog start 1 --reopen` "
                          "takes the (done) marker out and starts it again"),
    "bad count": Case(["show", "--last", "0"], 2, "Invalid value for '--last' / '-n': 0 is not "
                      "in the range x>=1. (see worklog show --help)"),
    "bad format": Case(["export", "--format", "xml"], 2,
                       "--format: 'xml' is not a known format "
                       "(json, markdown, ics, timeclock, csv)"),
    "bad kind": Case(["export", "--kind", "todo"], 2,
                     "--kind: 'todo' is not a kind (plan, email, snapshot, command, note)"),
    "bad pattern": Case(["grep", "("], 2, "PATTERN: missing ), unterminated subpattern at "
                        "position 0 (a Python regular expression; -F for a plain string)"),
    "bad report key": Case(["report", "--by", "project"], 2,
                           "--by: 'project' is not one of day, item, tag"),
    "run without command": Case(["run"], 2, "Missing argument '-- COMMAND [ARGS]...'. (see "
                                "worklog run --help)"),
    "snap options": Case(["snap", "web01", "--internal", "--disk-only"], 2,
                         "--internal excludes --disk-only and --quiesce"),
    "snap for": Case(["snap", "web01", "--for", "9", "--connect", "test:///default"], 2,
                     "--for 9: today's plan (09:20 2026-11-25) has no item 9"),
    "mail file missing": Case(["email", "{home}/none.eml"], 2,
                              "{home}/none.eml: no such file or directory"),
    "mail file a folder": Case(["email", "{home}/folder"], 2, "{home}/folder: is a directory"),
    # the log file
    "missing log": Case(["--file", "{home}/missing.LOG", "show"], 4,
                        "{home}/missing.LOG: no such file (worklog add creates it)"),
    "missing folder": Case(["--file", "{home}/nodir/x.LOG", "add", "x"], 4,
                           "{home}/nodir/x.LOG: its folder does not exist"),
    "folder as --file": Case(["--file", "{home}/folder", "show"], 2,
                             "Invalid value for '--file' / '-f': File '{home}/folder' is a "
                             "directory. (see worklog --help)"),
    "folder as WORKLOG_FILE": Case(["show"], 4, "{home}/folder: is a folder, not a log file",
                                   env={"WORKLOG_FILE": "{home}/folder"}),
    "FIFO as log (read)": Case(["--file", "{home}/fifo", "show"], 4,
                               "{home}/fifo: is not a regular file (a FIFO or a device?), not "
                               "a log file"),
    "FIFO as log (write)": Case(["--file", "{home}/fifo", "add", "x"], 4,
                                "{home}/fifo: is not a regular file (a FIFO or a device?), not "
                                "a log file"),
    "device as log": Case(["--file", "/dev/zero", "check"], 4, "/dev/zero: is not a regular "
                          "file (a FIFO or a device?), not a log file"),
    "text the encoding cannot hold": Case(
        ["--file", "{home}/de.LOG", "add", "東京"], 4,
        "{home}/de.LOG: '東京' cannot be written in the file's encoding (cp1252); nothing was "
        "written"),
    "a line that cannot be edited safely": Case(
        ["--file", "{home}/odd.LOG", "start", "1"], 1,
        "item 1 of the plan of 2026-11-25: its line cannot be changed safely; nothing was "
        "written. Edit it in the file."),
    "no plan today": Case(["done", "1"], 1, "2026-11-26 has no plan yet: `worklog plan` writes "
                          "it (with the items carried over), then `worklog done 1`",
                          env={"WORKLOG_NOW": "2026-11-26T09:00"}),
    # environment and configuration
    "bad clock": Case(["show"], 2, "$WORKLOG_NOW: 'soon' is not an ISO time like "
                      "2026-11-26T09:40", env={"WORKLOG_NOW": "soon"}),
    "config unknown key": Case(["show"], 2, "{home}/cfg/worklog/config.toml: unknown key "
                               "'bogus' (known: day_first, encoding, file, libvirt_uri, target)",
                               config="bogus = 1"),
    "config syntax, with its line": Case(["show"], 2, "{home}/cfg/worklog/config.toml: Invalid "
                                         "value (at line 3, column 5)",
                                         config="a = 1\nb = 2\nc = ]"),
    "config wrong type": Case(["show"], 2, "{home}/cfg/worklog/config.toml: 'day_first' must "
                              "be true or false", config='day_first = "yes"'),
    "config encoding": Case(["show"], 2, "{home}/cfg/worklog/config.toml: 'encoding' 'utf-16' "
                            "cannot be an ANSI code page (one that writes ASCII as ASCII, such "
                            "as cp1252, cp1251 or cp932)", config='encoding = "utf-16"'),
    "config not UTF-8": Case(["show"], 2, "{home}/cfg/worklog/config.toml: 'utf-8' codec can't "
                             "decode byte 0xe9 in position 11: invalid continuation byte",
                             config="file = 'caf\udce9.LOG'"),
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    shutil.copyfile(SAMPLES / "worklog.LOG", tmp_path / "work.LOG")
    shutil.copyfile(SAMPLES / "de-DE-cp1252.LOG", tmp_path / "de.LOG")
    (tmp_path / "odd.LOG").write_bytes(b".LOG\n09:00 2026-11-25\nGTD\n0, 9:00\n\n1, today\n"
                                       b"1), , odd text\n")
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


def _fill(text: str, home: Path) -> str:
    return text.replace("{home}", str(home)).replace("{log}", str(home / "work.LOG"))


def _snapshot(home: Path) -> dict[str, bytes | None]:
    return {p.name: p.read_bytes() if p.is_file() else None for p in sorted(home.rglob("*"))
            if not p.is_fifo()}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_user_error_is_one_line_and_changes_nothing(home: Path, case: Case) -> None:
    args = [_fill(a, home) for a in case.args]
    if "--file" not in args:
        args = ["--file", str(home / "work.LOG"), *args]
    env = {"WORKLOG_NOW": NOW, **{k: _fill(v, home) for k, v in case.env.items()}}
    if "WORKLOG_FILE" in env:
        args = args[2:]
    if case.config is not None:
        config = home / "cfg" / "worklog" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_bytes(case.config.encode("utf-8", "surrogateescape"))
        env["XDG_CONFIG_HOME"] = str(home / "cfg")
    before = _snapshot(home)
    result = invoke(args, home, env)
    assert case.code in DOCUMENTED_EXITS
    line = assert_one_error_line(result, case.code)
    assert line == "worklog: " + _fill(case.line, home)
    assert _snapshot(home) == before


def test_check_names_file_and_line(tmp_path: Path) -> None:
    """`check`: each problem on stdout as FILE:LINE, one summary line on stderr, exit 1."""
    log = tmp_path / "bad.LOG"
    log.write_bytes(b".LOG\n10:00 2014-02-10\nx\n10:00 2014-02-30\n")
    result = invoke(["--file", str(log), "check"], tmp_path)
    assert result.code == 1
    assert result.out == (f"{log}:4: '10:00 2014-02-30' looks like a stamp but names an "
                          "impossible date or time: read as text [bad-stamp]\n")
    assert result.err == f"{log}: 1 entries, UTF-8, LF line breaks: 1 problem(s)\n"


@pytest.fixture
def node(tmp_path: Path) -> str:
    pytest.importorskip("libvirt")
    from tests.libvirt_nodes import NodeDomain, write_node  # noqa: PLC0415

    return write_node(tmp_path, [NodeDomain("web01")])


def test_hypervisor_failures_name_the_domain(home: Path, node: str) -> None:
    """A failed snapshot action is one error line naming the domain and libvirt's error
    (exit 1; 5 when the hypervisor cannot be reached) and where its record went
    (failures are logged too)."""
    log = home / "work.LOG"
    logged = f"; logged 16:00 2026-11-25 in {log}"
    cases = [
        (["snap", "nope", "--connect", node, "--name", "s"], 1,
         "worklog: snap nope: failed, snapshot s: domain not found [42 VIR_ERR_NO_DOMAIN]"),
        (["revert", "web01", "nosuch", "--connect", node], 1,
         "worklog: revert web01: failed, snapshot nosuch: snapshot not found "
         "[72 VIR_ERR_NO_DOMAIN_SNAPSHOT]"),
        (["snap", "web01", "--connect", "bogus:///x"], 5,
         "worklog: snap web01: failed, cannot connect to bogus:///x: no connection driver "
         "available for bogus:///x [5 VIR_ERR_NO_CONNECT]"),
    ]
    for args, code, line in cases:
        result = invoke(["--file", str(log), *args], home, {"WORKLOG_NOW": NOW})
        assert (result.code, result.err.splitlines()) == (code, [line + logged])
    listed = invoke(["--file", str(log), "snaps", "nope", "--connect", node], home,
                    {"WORKLOG_NOW": NOW})
    assert_one_error_line(listed, 1, "snaps nope: domain not found on " + node)
    unreachable = invoke(["--file", str(log), "snaps", "web01", "--connect", "bogus:///x"], home,
                         {"WORKLOG_NOW": NOW})
    assert_one_error_line(unreachable, 5, "bogus:///x: cannot connect to bogus:///x")
