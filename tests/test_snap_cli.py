"""snap, snaps, revert, snap-delete through the CLI, on libvirt's test driver.

Each test writes its own node XML (`test:///PATH`): every connection, so every command,
starts from that state again. Entries are compared whole; only durations vary.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import Run, run_worklog
from tests.libvirt_nodes import IMAGE_DIR, NodeDisk, NodeDomain, NodeSnapshot, write_node
from tests.snap_logs import cp1252_with_ascii_ends
from worklog.cli.snap_output import Progress
from worklog.format.document import parse
from worklog.history.export import entry_record
from worklog.store.logfile import LogFile
from worklog.vm.base import ActionResult
from worklog.vm.records import record_lines

REPO = Path(__file__).resolve().parents[1]
NOW = "2026-11-26T14:05"
T0 = 1_700_000_000
PLAN = """.LOG
10:19 2026-11-26
GTD
0, 9:50

1, today
1), 9:55-10:15 mail (done)
2), 10:20- qemu 8.2 on web01
3), write the qemu-ifup note
"""
ACTIVE = 'see"10:19 2026-11-26" item 2: qemu 8.2 on web01'
libvirt = pytest.importorskip("libvirt")
_LIBVIRT = libvirt.getVersion()
HOST_FIELDS = {
    "host": socket.gethostname(),
    "libvirt": f"{_LIBVIRT // 1000000}.{_LIBVIRT // 1000 % 1000}.{_LIBVIRT % 1000}",
    "hypervisor": "TEST 0.0.2",
}
HOST = "\n".join(f"{k}: {v}" for k, v in HOST_FIELDS.items())
WEB_DISKS = f"vda {IMAGE_DIR}/web01-vda.qcow2; vdb {IMAGE_DIR}/web01-vdb.qcow2"
DOMAINS = (
    NodeDomain(
        "web01",
        disks=(NodeDisk("vda"), NodeDisk("vdb"), NodeDisk("hdc", "raw", device="cdrom")),
        snapshots=(
            NodeSnapshot("base", T0, description="worklog: base install"),
            NodeSnapshot("manual", T0 + 100, parent="base", description="by hand"),
            NodeSnapshot("w-old", T0 + 200, parent="manual", current=True, description="worklog:"),
        ),
    ),
    NodeDomain("db01", running=False),
    NodeDomain("legacy", disks=(NodeDisk("sda", "raw"),)),
    NodeDomain("a,b"),
)


Worklog = Callable[..., Run]


@pytest.fixture
def libvirt_python() -> None:
    """Skips without libvirt-python (the tests that do not ask for it run anyway)."""
    pytest.importorskip("libvirt", reason="libvirt-python is not installed")


@pytest.fixture
def uri(libvirt_python: None, tmp_path: Path) -> str:
    """A fresh test-driver node."""
    return write_node(tmp_path, DOMAINS)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "work.LOG"
    path.write_text(PLAN, encoding="utf-8")
    return path


@pytest.fixture
def wl(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, log: Path
) -> Worklog:
    """`worklog --file LOG ARGS` in-process, at 14:05 on 26 November 2026."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("WORKLOG_NOW", NOW)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("LIBVIRT_DEFAULT_URI", raising=False)
    monkeypatch.delenv("WORKLOG_FILE", raising=False)

    def run(*args: str) -> Run:
        return run_worklog(["--file", str(log), *args], os.environ)

    return run


def durations(text: str) -> str:
    return re.sub(r"\b\d+\.\d\d s\b", "D s", text)


def new_entries(log: Path) -> list[str]:
    """The entries after the plan, as written (durations as `D s`, libvirt's creation
    times in the `xml` field as `T`: the test driver takes them from the clock)."""
    doc = parse(log.read_bytes())
    return [
        re.sub(r"<creationTime>\d+<", "<creationTime>T<", durations(e.source.rstrip("\n")))
        for e in doc.entries[1:]
    ]


def exported(log: Path) -> list[dict[str, Any]]:
    """Every entry as `worklog export --format json` gives it."""
    return [entry_record(e) for e in parse(log.read_bytes()).entries]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- snap -------------------------------------------------------------------------------


def test_snap_logs_an_internal_snapshot(wl: Worklog, log: Path, uri: str) -> None:
    run = wl("snap", "web01", "--connect", uri, "--name", "before-8.2", "-d", "qemu 8.2 next")
    assert run.code == 0, run.err
    assert durations(run.out) == "snap web01: ok, internal snapshot before-8.2 of 2 disks in D s\n"
    assert run.err == f"logged 1 entry (14:05 2026-11-26) in {log}\n"
    assert new_entries(log) == [
        f"""14:05 2026-11-26
snapshot, web01
worklog snap web01: ok, internal snapshot before-8.2 of 2 disks in D s
result: ok
domain: web01
name: before-8.2
kind: internal
disks: {WEB_DISKS}
duration: D s
uri: {uri}
for: {ACTIVE}
consistency: memory
{HOST}
description: qemu 8.2 next
xml: <domainsnapshot><name>before-8.2</name><description>worklog: qemu 8.2 next\\nfor: \
see&quot;10:19 2026-11-26&quot; item 2: qemu 8.2 on web01</description><state>running</state>\
<parent><name>w-old</name></parent><creationTime>\
T</creationTime><memory snapshot="internal" /><disks><disk name="vda" snapshot="internal" /><disk \
name="vdb" snapshot="internal" /><disk name="hdc" snapshot="no" /></disks></domainsnapshot>"""
    ]
    last = exported(log)[-1]
    assert (last["kind"], last["tags"], last["links"]) == (
        "snapshot",
        ["snapshot", "web01"],
        ["2026-11-26T10:19"],
    )
    assert last["snapshot"] == {
        "action": "snap",
        "domain": "web01",
        "name": "before-8.2",
        "result": "ok",
        "uri": uri,
        "kind": "internal",
        "error": None,
        "error_code": None,
        "for": ACTIVE,
    }


def test_default_name_of_a_shut_off_domain(wl: Worklog, log: Path, uri: str) -> None:
    run = wl("snap", "db01", "--connect", uri)
    assert run.code == 0, run.err
    (entry,) = new_entries(log)
    name = re.search(r"^name: (.*)$", entry, re.MULTILINE)
    assert name is not None
    assert re.fullmatch(r"db01-\d{8}-\d{6}", name[1])
    assert (
        entry
        == f"""14:05 2026-11-26
snapshot, db01
worklog snap db01: ok, internal snapshot {name[1]} of 1 disk in D s
result: ok
domain: db01
name: {name[1]}
kind: internal
disks: vda {IMAGE_DIR}/db01-vda.qcow2
duration: D s
uri: {uri}
for: {ACTIVE}
consistency: crash
{HOST}
xml: <domainsnapshot><name>{name[1]}</name><description>worklog:\\nfor: see&quot;10:19 \
2026-11-26&quot; item 2: qemu 8.2 on web01</description>\
<state>shutoff</state><creationTime>T</creationTime><memory snapshot="no" /><disks><disk \
name="vda" snapshot="internal" /></disks></domainsnapshot>"""
    )


FAILURES = [
    # (args, name, kind, disks, error, code)
    (["nope", "--name", "x"], "x", None, None, "domain not found", "42 VIR_ERR_NO_DOMAIN"),
    (
        ["web01", "--name", "base"],
        "base",
        "internal",
        WEB_DISKS,
        "a snapshot with that name exists",
        "9 VIR_ERR_OPERATION_FAILED",
    ),
    (  # raw disk: external disk-only is chosen, which the test driver cannot do
        ["legacy", "--name", "e"],
        "e",
        "external",
        f"sda {IMAGE_DIR}/legacy-sda.e.qcow2",
        "this hypervisor driver cannot take external (disk-only) snapshots",
        "8 VIR_ERR_INVALID_ARG",
    ),
]


@pytest.mark.parametrize(("args", "name", "kind", "disks", "error", "code"), FAILURES)
def test_failures_are_logged(
    wl: Worklog,
    log: Path,
    uri: str,
    args: list[str],
    name: str,
    kind: str | None,
    disks: str | None,
    error: str,
    code: str,
) -> None:
    domain = args[0]
    run = wl("snap", *args, "--connect", uri)
    assert run.code == 1
    what = f"{kind} snapshot {name}" if kind else f"snapshot {name}"
    headline = f"snap {domain}: failed, {what}: {error}"
    assert run.out == ""
    assert run.err == f"worklog: {headline} [{code}]; logged 14:05 2026-11-26 in {log}\n"
    (entry,) = new_entries(log)
    lines = entry.split("\n")
    assert lines[:3] == ["14:05 2026-11-26", f"snapshot, {domain}", f"worklog {headline}"]
    fields = dict(line.split(": ", 1) for line in lines[3:])
    assert fields.pop("libvirt-message")
    expected = {"result": "failed", "domain": domain, "name": name}
    expected |= {"kind": kind} if kind else {}
    expected |= {"disks": disks} if disks else {}
    expected |= {"duration": "D s", "uri": uri, "for": ACTIVE, "error": error, "error-code": code}
    expected |= HOST_FIELDS
    assert fields == expected
    snapshot = exported(log)[-1]["snapshot"]
    assert (snapshot["result"], snapshot["error"], snapshot["error_code"]) == (
        "failed",
        error,
        code,
    )


@pytest.mark.usefixtures("libvirt_python")
def test_connection_refused_logs_each_domain(wl: Worklog, log: Path) -> None:
    bad = f"qemu+tcp://127.0.0.1:{free_port()}/system"
    run = wl("snap", "web01", "db01", "--connect", bad, "--for", "3")
    assert run.code == 5
    assert run.out == ""
    err = run.err.split("\n")
    for line, domain in zip(err, ["web01", "db01"], strict=False):
        assert line.startswith(f"worklog: snap {domain}: failed, cannot connect to {bad}: ")
        assert line.split("; logged ")[0].endswith("Connection refused [38 VIR_ERR_SYSTEM_ERROR]")
    entries = new_entries(log)
    assert len(entries) == 2
    for entry, domain in zip(entries, ["web01", "db01"], strict=True):
        head, message = entry.split("\nlibvirt-message: ")
        assert (
            head
            == f"""14:05 2026-11-26
snapshot, {domain}
worklog snap {domain}: failed, cannot connect to {bad}
result: failed
domain: {domain}
duration: D s
uri: {bad}
for: see"10:19 2026-11-26" item 3: write the qemu-ifup note
error: cannot connect to {bad}
error-code: 38 VIR_ERR_SYSTEM_ERROR"""
        )
        assert message.endswith("Connection refused")


def test_several_domains_on_two_uris(wl: Worklog, log: Path, uri: str, tmp_path: Path) -> None:
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = write_node(other_dir, [NodeDomain("web01")])
    run = wl("snap", "web01", f"web01@{other}", "nope", "--connect", uri, "--name", "s")
    assert run.code == 1
    assert durations(run.out) == (
        "snap web01: ok, internal snapshot s of 2 disks in D s\n"
        "snap web01: ok, internal snapshot s of 1 disk in D s\n"
    )
    assert run.err.startswith("worklog: snap nope: failed, snapshot s: domain not found [42 ")
    objects = [r["snapshot"] for r in exported(log)[1:]]
    assert [(o["domain"], o["uri"], o["result"]) for o in objects] == [
        ("web01", uri, "ok"),
        ("web01", other, "ok"),
        ("nope", uri, "failed"),
    ]


def test_keep_prunes_only_worklog_snapshots(wl: Worklog, log: Path, uri: str) -> None:
    run = wl("snap", "web01", "--connect", uri, "--name", "new", "--keep", "1", "--for", "1")
    assert run.code == 0, run.err
    assert durations(run.out) == (
        "snap web01: ok, internal snapshot new of 2 disks in D s\n"
        "snap-prune web01: ok, pruned internal snapshot base in D s\n"
        "snap-prune web01: ok, pruned internal snapshot w-old in D s\n"
    )
    assert run.err == f"logged 3 entries (14:05 2026-11-26) in {log}\n"
    task = 'see"10:19 2026-11-26" item 1: mail'
    assert new_entries(log)[1:] == [
        f"""14:05 2026-11-26
snapshot, web01
worklog snap-prune web01: ok, pruned internal snapshot base in D s
result: ok
domain: web01
name: base
kind: internal
duration: D s
uri: {uri}
for: {task}
keep: 1
{HOST}
description: base install""",
        f"""14:05 2026-11-26
snapshot, web01
worklog snap-prune web01: ok, pruned internal snapshot w-old in D s
result: ok
domain: web01
name: w-old
kind: internal
duration: D s
uri: {uri}
for: {task}
keep: 1
{HOST}""",
    ]


def test_keep_of_many_prunes_nothing(wl: Worklog, log: Path, uri: str) -> None:
    run = wl("snap", "web01", "--connect", uri, "--name", "new", "--keep", "3")
    assert run.code == 0, run.err
    assert len(new_entries(log)) == 1


HOSTILE_NAME = "x\n13:27 2014-02-10"
HOSTILE_TEXT = "</description><disks>\n10:00 2026-11-26\nGTD"


def test_user_text_cannot_forge_entries(wl: Worklog, log: Path, uri: str) -> None:
    run = wl("snap", "web01", "-c", uri, "-n", HOSTILE_NAME, "-d", HOSTILE_TEXT, "--for", "1")
    assert run.code == 0, run.err
    assert durations(run.out) == (
        "snap web01: ok, internal snapshot x\\n13:27 2014-02-10 of 2 disks in D s\n"
    )
    (entry,) = new_entries(log)
    assert entry.split("\n")[2:4] == [
        "worklog snap web01: ok, internal snapshot x\\n13:27 2014-02-10 of 2 disks in D s",
        "result: ok",
    ]
    assert "\ndescription: </description><disks>\\n10:00 2026-11-26\\nGTD\nxml: " in entry
    # in the XML too, the text is text: escaped by XML, then kept on one line
    assert "<description>worklog: &lt;/description&gt;&lt;disks&gt;\\n10:00 2026-11-26" in entry
    last = exported(log)[-1]
    assert last["snapshot"]["name"] == HOSTILE_NAME
    record = parse(log.read_bytes()).entries[-1].record
    assert record is not None
    assert record.fields["description"] == HOSTILE_TEXT


def test_a_domain_that_is_no_tag_goes_in_the_record_only(wl: Worklog, log: Path, uri: str) -> None:
    assert wl("snap", "a,b", "--connect", uri, "--name", "s").code == 0
    last = exported(log)[-1]
    assert last["tags"] == ["snapshot"]
    assert last["snapshot"]["domain"] == "a,b"


def test_for_a_stamp_and_bad_for_values(wl: Worklog, log: Path, uri: str) -> None:
    before = log.read_bytes()
    bad = wl("snap", "web01", "--connect", uri, "--for", "7")
    assert (bad.code, bad.err) == (
        2,
        "worklog: --for 7: today's plan (10:19 2026-11-26) has no item 7\n",
    )
    bad = wl("snap", "web01", "--connect", uri, "--for", "09:00 2026-11-26")
    assert bad.code == 2
    assert bad.err == "worklog: --for 09:00 2026-11-26: no entry with that stamp in the log\n"
    assert log.read_bytes() == before
    run = wl("snap", "web01", "--connect", uri, "--name", "s", "--for", "2026-11-26T10:19")
    assert run.code == 0, run.err
    assert exported(log)[-1]["snapshot"]["for"] == 'see"10:19 2026-11-26"'


def test_without_a_plan_there_is_no_task(wl: Worklog, log: Path, uri: str) -> None:
    log.unlink()
    assert wl("snap", "web01", "--connect", uri, "--for", "1").code == 2
    assert not log.exists()
    run = wl("snap", "web01", "--connect", uri, "--name", "s")
    assert run.code == 0, run.err
    text = log.read_text(encoding="utf-8")
    assert text.startswith(".LOG\n14:05 2026-11-26\nsnapshot, web01\n")
    assert "\nfor: " not in text


def test_usage_errors(wl: Worklog, log: Path, uri: str) -> None:
    run = wl("snap", "web01", "--connect", uri, "--internal", "--disk-only")
    assert (run.code, run.err) == (2, "worklog: --internal excludes --disk-only and --quiesce\n")
    assert wl("snap", "web01", "--connect", uri, "--keep", "0").code == 2
    assert wl("snap", "--connect", uri).code == 2
    assert new_entries(log) == []


def test_uri_from_environment_then_config(
    wl: Worklog, log: Path, uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config" / "worklog"
    config.mkdir(parents=True)
    other_dir = tmp_path / "cfg"
    other_dir.mkdir()
    from_config = write_node(other_dir, [NodeDomain("web01")])
    (config / "config.toml").write_text(f'libvirt_uri = "{from_config}"\n', encoding="utf-8")
    assert wl("snap", "web01", "--name", "s").code == 0
    monkeypatch.setenv("LIBVIRT_DEFAULT_URI", uri)
    assert wl("snap", "web01", "--name", "s").code == 0
    assert wl("snap", "web01", "--name", "s", "--connect", from_config).code == 0
    uris = [r["snapshot"]["uri"] for r in exported(log)[1:]]
    assert uris == [from_config, uri, from_config]


# --- revert and snap-delete -------------------------------------------------------------


def test_revert_and_delete(wl: Worklog, log: Path, uri: str) -> None:
    assert wl("revert", "web01", "base", "--connect", uri).code == 0
    assert wl("revert", "web01", "manual", "--connect", uri, "--force", "--for", "3").code == 0
    assert wl("snap-delete", "web01", "manual", "--connect", uri).code == 0
    missing = wl("snap-delete", "web01", "gone", "--connect", uri)
    assert missing.code == 1
    assert missing.err.startswith(
        "worklog: snap-delete web01: failed, snapshot gone: snapshot not found "
        "[72 VIR_ERR_NO_DOMAIN_SNAPSHOT]; logged "
    )
    entries = new_entries(log)
    assert [e.split("\n")[2] for e in entries] == [
        "worklog revert web01: ok, reverted to internal snapshot base in D s",
        "worklog revert web01: ok, reverted to internal snapshot manual in D s",
        "worklog snap-delete web01: ok, deleted internal snapshot manual in D s",
        "worklog snap-delete web01: failed, snapshot gone: snapshot not found",
    ]
    assert (
        entries[1]
        == f"""14:05 2026-11-26
snapshot, web01
worklog revert web01: ok, reverted to internal snapshot manual in D s
result: ok
domain: web01
name: manual
kind: internal
duration: D s
uri: {uri}
for: see"10:19 2026-11-26" item 3: write the qemu-ifup note
{HOST}
description: by hand"""
    )
    actions = [(r["snapshot"]["action"], r["snapshot"]["result"]) for r in exported(log)[1:]]
    assert actions == [
        ("revert", "ok"),
        ("revert", "ok"),
        ("snap-delete", "ok"),
        ("snap-delete", "failed"),
    ]


@pytest.mark.usefixtures("libvirt_python")
def test_revert_on_an_unreachable_hypervisor(wl: Worklog, log: Path) -> None:
    bad = f"qemu+tcp://127.0.0.1:{free_port()}/system"
    run = wl("revert", "web01", "base", "--connect", bad)
    assert run.code == 5
    (entry,) = new_entries(log)
    assert entry.split("\n")[2:6] == [
        f"worklog revert web01: failed, snapshot base: cannot connect to {bad}",
        "result: failed",
        "domain: web01",
        "name: base",
    ]


# --- snaps ------------------------------------------------------------------------------


def _log_record(log: Path, uri: str, name: str, when: datetime) -> None:
    result = ActionResult("snap", "web01", uri, name, ok=True, kind="internal", duration=0.01)
    LogFile(log).append(["snapshot", "web01"], record_lines(result, task='see"x"'), when)


def local_iso(when: datetime) -> str:
    return when.astimezone().isoformat()


def test_snaps_json_joins_libvirt_and_the_log(wl: Worklog, log: Path, uri: str) -> None:
    _log_record(log, uri, "base", datetime(2026, 11, 26, 13, 0))
    # libvirt forgets this one at once (the test driver starts afresh at each connection)
    assert wl("snap", "web01", "--connect", uri, "--name", "fleeting").code == 0
    run = wl("snaps", "web01", "--connect", uri, "--json")
    assert run.code == 0, run.err
    common = {"domain": "web01", "uri": uri, "kind": "internal", "deleted": None}
    assert json.loads(run.out) == [
        {
            "name": "base",
            "created": local_iso(datetime.fromtimestamp(T0)),
            "in_log": True,
            "in_libvirt": True,
            "parent": None,
            "current": False,
            "entry": "2026-11-26T13:00",
            "for": 'see"x"',
            "description": "base install",
        }
        | common,
        {
            "name": "manual",
            "created": local_iso(datetime.fromtimestamp(T0 + 100)),
            "in_log": False,
            "in_libvirt": True,
            "parent": "base",
            "current": False,
            "entry": None,
            "for": None,
            "description": "by hand",
        }
        | common,
        {
            "name": "w-old",
            "created": local_iso(datetime.fromtimestamp(T0 + 200)),
            "in_log": False,
            "in_libvirt": True,
            "parent": "manual",
            "current": True,
            "entry": None,
            "for": None,
            "description": None,
        }
        | common,
        {
            "name": "fleeting",
            "created": local_iso(datetime(2026, 11, 26, 14, 5)),
            "in_log": True,
            "in_libvirt": False,
            "parent": None,
            "current": False,
            "entry": "2026-11-26T14:05",
            "for": ACTIVE,
            "description": None,
        }
        | common,
    ]


def test_snaps_text(wl: Worklog, log: Path, uri: str) -> None:
    _log_record(log, uri, "base", datetime(2026, 11, 26, 13, 0))
    assert wl("snap", "web01", "--connect", uri, "--name", "fleeting").code == 0
    run = wl("snaps", "--connect", uri)
    assert run.code == 0, run.err
    shown = [datetime.fromtimestamp(T0 + s).strftime("%Y-%m-%d %H:%M:%S") for s in (0, 100, 200)]
    assert run.out == (
        f"web01 ({uri}): 4 snapshots, 2 not in log, 1 gone\n"
        f'  base       {shown[0]}  internal           logged see"13:00 2026-11-26"  for see"x"\n'
        f"    manual   {shown[1]}  internal           not in log\n"
        f"      w-old  {shown[2]}  internal, current  not in log\n"
        f'  fleeting   2026-11-26 14:05     internal           gone (logged see"14:05 2026-11-26")'
        f"  for {ACTIVE}\n"
    )


def test_snaps_of_an_unknown_domain(wl: Worklog, uri: str) -> None:
    run = wl("snaps", "nope", "--connect", uri, "--json")
    assert (run.code, run.out) == (1, "[]\n")
    assert run.err == f"worklog: snaps nope: domain not found on {uri}\n"


@pytest.mark.usefixtures("libvirt_python")
def test_snaps_on_an_unreachable_hypervisor(wl: Worklog) -> None:
    bad = f"qemu+tcp://127.0.0.1:{free_port()}/system"
    run = wl("snaps", "web01", "--connect", bad)
    assert run.code == 5
    assert run.err.startswith(f"worklog: {bad}: cannot connect to {bad}: unable to connect")


# --- progress and a missing libvirt -----------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_only() -> None:
    term = Terminal()
    with Progress("snapshot web01", lambda: 0.42, term, interval=0.01, delay=0):
        deadline = time.monotonic() + 30
        while "42%" not in term.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    drawn = "snapshot web01: 42%"
    assert term.getvalue().startswith("\r" + drawn)
    assert term.getvalue().endswith("\r" + " " * len(drawn) + "\r")
    pipe = io.StringIO()
    with Progress("snapshot web01", lambda: 0.42, pipe, interval=0.01, delay=0):
        time.sleep(0.05)
    assert pipe.getvalue() == ""


NO_LIBVIRT = (
    "import sys\nsys.modules['libvirt'] = None\n"
    "from worklog.cli.app import main\nsys.exit(main(sys.argv[1:]))\n"
)


def test_without_libvirt_snap_explains_and_the_rest_works(tmp_path: Path, log: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "WORKLOG_NOW": NOW,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", NO_LIBVIRT, "--file", str(log), *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    before = log.read_bytes()
    for args in (("snap", "web01", "--connect", "test:///default"), ("snaps",)):
        proc = run(*args)
        assert proc.returncode == 5
        assert proc.stderr.startswith("worklog: libvirt-python is not installed")
        assert "pip install 'notepad-worklog[libvirt]'" in proc.stderr
        assert proc.stderr.count("\n") == 1
    assert log.read_bytes() == before
    added = run("add", "-t", "lab", "a note")
    assert added.returncode == 0, added.stderr
    assert log.read_bytes() == before + b"\n14:05 2026-11-26\nlab\na note\n"
    checked = run("check")
    assert checked.returncode == 0, checked.stderr
    helped = run("--help")
    assert helped.returncode == 0
    assert "snap-delete" in helped.stdout


# --- nothing is done when its record could not be written -------------------------------


def test_a_log_that_cannot_take_the_record_stops_before_libvirt(
    wl: Worklog, log: Path, uri: str
) -> None:
    log.unlink()
    log.symlink_to(log.parent / "missing" / "work.LOG")
    run = wl("snap", "web01", "--connect", uri)
    assert (run.code, run.out) == (4, "")
    assert run.err == f"worklog: {log}: its folder does not exist: nothing was done\n"


def test_text_the_logs_encoding_cannot_hold_stops_before_libvirt(
    wl: Worklog, log: Path, uri: str
) -> None:
    log.write_bytes(PLAN.replace("qemu 8.2", "Grüße").encode("cp1252"))
    before = log.read_bytes()
    run = wl("snap", "web01", "--connect", uri, "--name", "快照")
    assert (run.code, run.out) == (4, "")
    assert run.err == (
        f"worklog: {log}: --name '快照' cannot be written in the log's encoding (cp1252): "
        "nothing was done\n"
    )
    assert log.read_bytes() == before
    assert wl("snap", "web01", "--connect", uri, "--name", "Grüße").code == 0
    assert exported(log)[-1]["snapshot"]["name"] == "Grüße"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["snap", "web01", "--name", "快照"], "--name"),
        (["snap", "web01", "--description", "快照"], "--description"),
        (["revert", "web01", "快照"], "SNAPSHOT"),
        (["snap-delete", "web01", "快照"], "SNAPSHOT"),
    ],
)
def test_a_value_a_cp1252_log_with_ascii_ends_cannot_hold_stops_before_libvirt(
    wl: Worklog, log: Path, uri: str, args: list[str], option: str
) -> None:
    log.write_bytes(cp1252_with_ascii_ends(PLAN))
    before = log.read_bytes()
    run = wl(*args, "--connect", uri)
    assert (run.code, run.out) == (4, "")
    assert run.err == (
        f"worklog: {log}: {option} '快照' cannot be written in the log's encoding (cp1252): "
        "nothing was done\n"
    )
    assert log.read_bytes() == before


def test_a_libvirt_description_the_log_cannot_hold_stops_revert_and_delete(
    wl: Worklog, log: Path, tmp_path: Path, libvirt_python: None
) -> None:
    domain = NodeDomain("web01", snapshots=(NodeSnapshot("s1", T0, description="worklog: 快照"),))
    uri = write_node(tmp_path, [domain])
    log.write_bytes(cp1252_with_ascii_ends(PLAN))
    before = log.read_bytes()
    for command in ("revert", "snap-delete"):
        run = wl(command, "web01", "s1", "--connect", uri)
        assert (run.code, run.out) == (4, "")
        assert run.err == (
            f"worklog: {log}: the record line 'description: 快照' cannot be written in the "
            "log's encoding (cp1252): nothing was done\n"
        )
    assert log.read_bytes() == before


def test_a_default_snapshot_name_takes_the_clock_of_the_stamps(
    wl: Worklog, log: Path, uri: str
) -> None:
    """One clock: with WORKLOG_NOW at 14:05 on 26 November 2026, the name, the stamp and
    the plan agree."""
    run = wl("snap", "web01", "--connect", uri)
    assert run.code == 0, run.err
    last = exported(log)[-1]
    assert last["stamp"] == "2026-11-26T14:05"
    assert last["snapshot"]["name"] == "web01-20261126-140500"
