"""worklog.vm.actions against the in-memory hypervisor (worklog.vm.fake), and the log
file's decision of what fits its encoding (LogFile.check_fits).

Each use case gets a real log file in tmp_path, a FakeHost as its factory and a fixed
clock; the host keeps every call it receives, so "libvirt was not asked" is a fact the
test reads, not a guess.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from tests.snap_logs import cp1252_with_ascii_ends
from worklog.cli.snap_output import not_logged, refusal
from worklog.errors import FileChangedError, LogFileError
from worklog.format.document import parse
from worklog.history.export import entry_record
from worklog.store.logfile import LogFile, TextDoesNotFit
from worklog.vm import actions
from worklog.vm.actions import (
    Logged,
    NothingDone,
    NotLogged,
    Poll,
    Services,
    SnapRequest,
    Target,
)
from worklog.vm.base import ActionResult, Hypervisor, HypervisorUnavailable
from worklog.vm.fake import DEFAULT_URI, Failure, FakeHost
from worklog.vm.tasks import TaskNotFound

NOW = datetime(2026, 11, 26, 14, 5)
PLAN = ".LOG\n10:19 2026-11-26\nGTD\n1, today\n1), 10:20- qemu 8.2 on web01\n"
TASK = 'see"10:19 2026-11-26" item 1: qemu 8.2 on web01'
LOST = "lab.example.net"
HOST_FIELDS = "host: fakehost\nlibvirt: 9.0.0\nhypervisor: QEMU 7.2.0\n"


CP1252_ASCII_TAIL = cp1252_with_ascii_ends(PLAN)


@pytest.fixture
def host() -> FakeHost:
    host = FakeHost()
    host.add_domain("web01", "qcow2", "qcow2")
    host.add_domain("legacy", "raw")
    host.add_snapshot("web01", "base", "worklog: base install")
    host.add_snapshot("web01", "manual", "by hand")
    host.add_snapshot("web01", "w-old", "worklog:")
    host.unreachable.add(LOST)
    return host


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "work.LOG"
    path.write_text(PLAN, encoding="utf-8")
    return path


@pytest.fixture
def heard() -> list[Logged]:
    return []


@pytest.fixture
def services(host: FakeHost, log: Path, heard: list[Logged]) -> Services:
    return Services(LogFile(log), host, lambda: NOW, on_logged=heard.append)


def records(log: Path) -> list[dict[str, object]]:
    """The `snapshot` object of each entry after the plan, as `export` gives it."""
    return [entry_record(e)["snapshot"] for e in parse(log.read_bytes()).entries[1:]]


def sources(log: Path) -> list[str]:
    entries = parse(log.read_bytes()).entries[1:]
    return [re.sub(r"\d+\.\d\d s\b", "D s", e.source.rstrip("\n")) for e in entries]


def snapshots(host: FakeHost, domain: str = "web01") -> list[str]:
    return list(host.domains[DEFAULT_URI][domain].snapshots)


# --- snap -------------------------------------------------------------------------------


def test_snap_logs_each_target_and_stores_the_task(
    services: Services, host: FakeHost, log: Path, heard: list[Logged]
) -> None:
    request = SnapRequest(
        (Target("web01"), Target("legacy")), name="pre", description="qemu 8.2 next"
    )
    outcome = actions.snap(request, services)
    assert [(i.result.domain, i.result.kind, i.result.ok) for i in outcome.logged] == [
        ("web01", "internal", True),
        ("legacy", "external", True),
    ]
    assert list(outcome.logged) == heard
    assert (outcome.failed, outcome.unreachable) == ((), False)
    assert [i.stamp for i in outcome.logged] == ["14:05 2026-11-26"] * 2
    assert sources(log)[1] == (
        "14:05 2026-11-26\nsnapshot, legacy\n"
        "worklog snap legacy: ok, external snapshot pre of 1 disk in D s\n"
        "result: ok\ndomain: legacy\nname: pre\nkind: external\n"
        "disks: vda /images/legacy-0.pre.qcow2\nduration: D s\n"
        f"uri: {DEFAULT_URI}\nfor: {TASK}\nconsistency: crash\n{HOST_FIELDS}"
        "description: qemu 8.2 next\n"
        # libvirt's XML of the snapshot, one line, without the domain's definition
        "xml: <domainsnapshot><name>pre</name><description>worklog: qemu 8.2 next\\nfor: "
        "see&quot;10:19 2026-11-26&quot; item 1: qemu 8.2 on web01</description>"
        "<state>disk-snapshot</state><creationTime>1795694405"
        '</creationTime><memory snapshot="no" /><disks><disk name="vda" snapshot="external">'
        '<driver type="qcow2" /><source file="/images/legacy-0.pre.qcow2" /></disk></disks>'
        "</domainsnapshot>"
    )
    assert "\nconsistency: memory\n" in sources(log)[0]  # internal, running: with its RAM
    stored = host.domains[DEFAULT_URI]["web01"].snapshots["pre"].description
    assert stored == f"worklog: qemu 8.2 next\nfor: {TASK}"
    assert host.open == 0  # every connection closed


def test_a_failure_and_an_unreachable_host_are_logged_and_the_next_target_taken(
    services: Services, host: FakeHost, log: Path
) -> None:
    targets = (Target("web01", LOST), Target("nope"), Target("web01"))
    outcome = actions.snap(SnapRequest(targets, name="s"), services)
    assert [(i.result.ok, i.unreachable) for i in outcome.logged] == [
        (False, True),
        (False, False),
        (True, False),
    ]
    assert outcome.unreachable
    assert len(outcome.failed) == 2
    assert [(r["domain"], r["result"], r["error"], r["error_code"]) for r in records(log)] == [
        ("web01", "failed", f"cannot connect to {LOST}", "38 VIR_ERR_SYSTEM_ERROR"),
        ("nope", "failed", "domain not found", "42 VIR_ERR_NO_DOMAIN"),
        ("web01", "ok", None, None),
    ]
    assert ("connect", LOST) in host.calls


def test_keep_prunes_worklog_snapshots_only_and_never_the_new_one(
    services: Services, host: FakeHost, log: Path
) -> None:
    outcome = actions.snap(SnapRequest((Target("web01"),), name="new", keep=1), services)
    assert [(i.result.action, i.result.name) for i in outcome.logged] == [
        ("snap", "new"),
        ("snap-prune", "base"),
        ("snap-prune", "w-old"),
    ]
    assert snapshots(host) == ["manual", "new"]
    assert sources(log)[1].endswith(
        f"uri: {DEFAULT_URI}\nfor: {TASK}\nkeep: 1\n{HOST_FIELDS}description: base install"
    )


def test_prune_on_its_own_and_a_listing_that_fails(
    services: Services, host: FakeHost, log: Path
) -> None:
    outcome = actions.prune(Target("web01"), 1, services, task="1")
    assert [i.result.name for i in outcome.logged] == ["base"]
    assert snapshots(host) == ["manual", "w-old"]
    host.fail("list_snapshots", "web01", Failure(1, "VIR_ERR_INTERNAL_ERROR", "boom", "it broke"))
    failed = actions.prune(Target("web01"), 1, services)
    (item,) = failed.logged
    assert (item.result.action, item.result.ok, item.result.plain_error) == (
        "snap-prune",
        False,
        "it broke",
    )
    assert records(log)[-1]["error_code"] == "1 VIR_ERR_INTERNAL_ERROR"
    with pytest.raises(ValueError, match="keep"):
        actions.prune(Target("web01"), 0, services)


def test_a_task_that_is_not_there_stops_before_libvirt(
    services: Services, host: FakeHost, log: Path
) -> None:
    before = log.read_bytes()
    with pytest.raises(TaskNotFound) as caught:
        actions.snap(SnapRequest((Target("web01"),), task="7"), services)
    assert (caught.value.spec, caught.value.problem, caught.value.plan) == (
        "7",
        "no-item",
        "10:19 2026-11-26",
    )
    assert host.calls == []
    assert log.read_bytes() == before


# --- revert, delete ---------------------------------------------------------------------


def test_revert_and_delete(services: Services, host: FakeHost, log: Path) -> None:
    reverted = actions.revert(Target("web01"), "base", services, force=True)
    assert reverted.logged[0].result.ok
    assert host.domains[DEFAULT_URI]["web01"].current == "base"
    assert ("revert", "web01", "base", "True") in host.calls
    deleted = actions.delete(Target("web01"), "manual", services)
    assert deleted.logged[0].result.ok
    assert snapshots(host) == ["base", "w-old"]
    missing = actions.delete(Target("web01"), "gone", services)
    assert missing.logged[0].result.plain_error == "snapshot not found"
    assert [(r["action"], r["name"], r["result"]) for r in records(log)] == [
        ("revert", "base", "ok"),
        ("snap-delete", "manual", "ok"),
        ("snap-delete", "gone", "failed"),
    ]
    assert sources(log)[1].endswith("description: by hand")


def test_revert_on_an_unreachable_host(services: Services, log: Path) -> None:
    outcome = actions.revert(Target("web01", LOST), "base", services)
    assert outcome.unreachable
    assert records(log)[0]["uri"] == LOST


# --- the record is known to fit before libvirt is asked ---------------------------------


@pytest.fixture
def cp1252_log(log: Path) -> Path:
    log.write_bytes(CP1252_ASCII_TAIL)
    return log


def test_the_bug_case_is_one_the_end_of_the_log_cannot_decide(cp1252_log: Path) -> None:
    """The fixture really is a log whose end is ASCII while the file is cp1252."""
    tail = LogFile(cp1252_log).load_tail()
    assert not tail.codec_certain
    assert tail.doc.codec.encoding == "utf-8"
    assert LogFile(cp1252_log).load().doc.codec.encoding == "cp1252"


def _snap_name(s: Services) -> object:
    return actions.snap(SnapRequest((Target("web01"),), name="快照"), s)


def _snap_description(s: Services) -> object:
    return actions.snap(SnapRequest((Target("web01"),), description="快照"), s)


def _revert(s: Services) -> object:
    return actions.revert(Target("web01"), "快照", s)


def _delete(s: Services) -> object:
    return actions.delete(Target("web01"), "快照", s)


def _prune(s: Services) -> object:
    return actions.prune(Target("快照"), 1, s)


@pytest.mark.parametrize(
    "call",
    [_snap_name, _snap_description, _revert, _delete, _prune],
    ids=["snap-name", "snap-description", "revert", "snap-delete", "prune"],
)
def test_a_value_the_log_cannot_hold_stops_every_action_before_libvirt(
    services: Services, host: FakeHost, cp1252_log: Path, call: Callable[[Services], object]
) -> None:
    before = cp1252_log.read_bytes()
    with pytest.raises(NothingDone) as caught:
        call(services)
    cause = caught.value.cause
    assert isinstance(cause, TextDoesNotFit)
    assert (cause.text, cause.encoding, cause.foreign_bytes) == ("快照", "cp1252", False)
    assert caught.value.exit_code == 4
    assert caught.value.done == ()
    assert host.calls == []  # not even a connection
    assert cp1252_log.read_bytes() == before


def test_a_disk_file_the_log_cannot_hold_stops_the_snapshot_before_libvirt(
    services: Services, host: FakeHost, cp1252_log: Path
) -> None:
    """The files a snapshot record names (its `disks`, and its `xml`) are the planned
    ones, checked before the snapshot: not found out after it, with no record."""
    host.domains[DEFAULT_URI]["legacy"].disks[0].source = "/images/диск.img"
    before = cp1252_log.read_bytes()
    with pytest.raises(NothingDone) as caught:
        actions.snap(SnapRequest((Target("legacy"),), name="pre"), services)
    assert isinstance(caught.value.cause, TextDoesNotFit)
    assert caught.value.cause.text == "disks: vda /images/диск.pre.qcow2"
    assert ("snapshot", "legacy", "pre") not in host.calls
    assert snapshots(host, "legacy") == []
    assert cp1252_log.read_bytes() == before


def test_the_xml_goes_in_as_character_references_where_the_log_lacks_a_character(
    log: Path, cp1252_log: Path, host: FakeHost
) -> None:
    """Known only after the snapshot, the XML never stops its record: what the log's
    encoding lacks is written as XML character references, the same XML to libvirt."""
    made = ActionResult("snap", "web01", DEFAULT_URI, "s", ok=True,
                        xml="<domainsnapshot><name>s</name><description>é 快</description>"
                            "</domainsnapshot>")
    services = Services(LogFile(cp1252_log), host, lambda: NOW)
    fitted = actions.xml_that_fits(services, made)
    assert fitted.xml == (
        "<domainsnapshot><name>s</name><description>&#233; &#24555;</description>"
        "</domainsnapshot>"
    )
    cp1252 = replace(made, xml=made.xml.replace(" 快", "") if made.xml else None)
    assert actions.xml_that_fits(services, cp1252) == cp1252  # é fits cp1252: as it is
    log.write_text(PLAN, encoding="utf-8")
    assert actions.xml_that_fits(Services(LogFile(log), host, lambda: NOW), made) == made


def test_what_a_record_takes_from_libvirt_is_checked_before_the_change(
    services: Services, host: FakeHost, cp1252_log: Path
) -> None:
    """Reverting to or deleting a snapshot whose description the log cannot hold: the
    snapshot is looked up (a listing changes nothing), then nothing is changed."""
    host.add_snapshot("web01", "ascii-name", "worklog: 快照 before qemu 8.2")
    before = cp1252_log.read_bytes()
    for call in (actions.revert, actions.delete):
        host.calls.clear()
        with pytest.raises(NothingDone) as caught:
            call(Target("web01"), "ascii-name", services)
        assert isinstance(caught.value.cause, TextDoesNotFit)
        assert caught.value.cause.text == "description: 快照 before qemu 8.2"
        assert host.calls == [("connect", "None"), ("host_info",), ("list_snapshots", "web01")]
    assert host.domains[DEFAULT_URI]["web01"].current == "ascii-name"
    assert "ascii-name" in snapshots(host)
    assert cp1252_log.read_bytes() == before
    assert host.open == 0


def test_keep_does_not_prune_when_a_deletion_could_not_be_logged(
    services: Services, host: FakeHost, cp1252_log: Path
) -> None:
    host.add_snapshot("web01", "older", "worklog: 快照")
    with pytest.raises(NothingDone) as caught:
        actions.snap(SnapRequest((Target("web01"),), name="new", keep=1), services)
    assert caught.value.action == "snap-prune"
    assert [i.result.name for i in caught.value.done] == ["new"]  # the snapshot is logged
    assert not any(call[0] == "delete" for call in host.calls)
    assert snapshots(host) == ["base", "manual", "w-old", "older", "new"]
    assert [r["name"] for r in records(cp1252_log)[-1:]] == ["new"]


def test_a_log_that_cannot_be_written_stops_before_libvirt(
    services: Services, host: FakeHost, log: Path
) -> None:
    log.unlink()
    log.symlink_to(log.parent / "missing" / "work.LOG")
    with pytest.raises(NothingDone) as caught:
        actions.snap(SnapRequest((Target("web01"),)), services)
    assert caught.value.cause.reason == "its folder does not exist"
    assert host.calls == []


def test_a_record_that_fails_to_append_after_the_action_says_what_was_not_logged(
    host: FakeHost, log: Path
) -> None:
    """The one case left: the log goes away while libvirt works (here: a folder takes
    its place). The snapshot exists; the error carries its result and what was logged."""

    def replace_the_log(_label: str, _poll: Poll) -> AbstractContextManager[object]:
        log.unlink()
        log.mkdir()
        return contextlib.nullcontext()

    services = Services(LogFile(log), host, lambda: NOW, watch=replace_the_log)
    with pytest.raises(NotLogged) as caught:
        actions.snap(SnapRequest((Target("web01"),), name="s"), services)
    assert (caught.value.result.name, caught.value.result.ok) == ("s", True)
    assert caught.value.done == ()
    assert caught.value.exit_code == 4
    assert "s" in snapshots(host)


def test_a_missing_backend_propagates(log: Path) -> None:
    def no_libvirt(_uri: str | None) -> Hypervisor:
        raise HypervisorUnavailable("no module named libvirt")

    services = Services(LogFile(log), no_libvirt, lambda: NOW)
    before = log.read_bytes()
    with pytest.raises(HypervisorUnavailable):
        actions.snap(SnapRequest((Target("web01"),)), services)
    assert log.read_bytes() == before


# --- LogFile.check_fits: the same decision as the append's ------------------------------

LOGS = {
    "missing": None,
    "empty": b"",
    "utf8": PLAN.replace("qemu", "Grüße qemu").encode("utf-8"),
    "utf8-ascii-tail": CP1252_ASCII_TAIL.decode("cp1252").encode("utf-8"),
    "cp1252": PLAN.replace("qemu", "Grüße qemu").encode("cp1252"),
    "cp1252-ascii-tail": CP1252_ASCII_TAIL,
    "utf16": b"\xff\xfe" + PLAN.encode("utf-16-le"),
}
TEXTS = ["plain ascii", "Grüße", "快照", "\U0001f600", "bad byte \udce9"]


@pytest.mark.parametrize("name", list(LOGS))
@pytest.mark.parametrize("text", TEXTS)
def test_check_fits_says_what_the_append_then_does(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / "w.LOG"
    data = LOGS[name]
    if data is not None:
        path.write_bytes(data)
    log = LogFile(path)
    refused: list[str] = []
    try:
        log.check_fits(["ascii first", text])
    except TextDoesNotFit as exc:
        refused.append(exc.text)
    assert refused in ([], [text])
    fits = not refused
    before = path.read_bytes() if path.exists() else None
    try:
        log.append(["lab"], [text], NOW)
    except LogFileError:
        appended = False
        assert (path.read_bytes() if path.exists() else None) == before
    else:
        appended = True
    assert fits == appended


def test_check_fits_refusals(tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    path.write_bytes(CP1252_ASCII_TAIL)
    with pytest.raises(TextDoesNotFit) as caught:
        LogFile(path).check_fits(["Grüße", "快照"])
    assert str(caught.value) == f"{path}: '快照' cannot be written in the log's encoding (cp1252)"
    assert caught.value.exit_code == 4
    path.write_text(PLAN, encoding="utf-8")
    with pytest.raises(TextDoesNotFit) as caught:
        LogFile(path).check_fits(["bad byte \udce9"])
    assert caught.value.foreign_bytes
    assert str(caught.value).endswith("holds bytes that are not UTF-8")
    LogFile(path).check_fits([])
    LogFile(tmp_path / "nothing-there.LOG").check_fits(["快照"])  # a new log is UTF-8


# --- the CLI words the library's errors ------------------------------------------------


def test_the_cli_words_a_refusal_with_the_option_and_what_was_not_done(
    services: Services, host: FakeHost, cp1252_log: Path
) -> None:
    with pytest.raises(NothingDone) as caught:
        actions.snap(SnapRequest((Target("web01"),), name="快照"), services)
    assert "--name" not in str(caught.value)
    worded = refusal(caught.value, [("DOMAIN", "web01"), ("--name", "快照")])
    assert (str(worded), worded.exit_code) == (
        f"{cp1252_log}: --name '快照' cannot be written in the log's encoding (cp1252): "
        "nothing was done",
        4,
    )
    host.add_snapshot("web01", "older", "worklog: 快照")
    with pytest.raises(NothingDone) as caught:
        actions.snap(SnapRequest((Target("web01"),), name="new", keep=1), services)
    assert str(refusal(caught.value, [("--name", "new")])) == (
        f"{cp1252_log}: the record line 'description: 快照' cannot be written in the log's "
        "encoding (cp1252): snap-prune was not started"
    )


def test_the_cli_words_a_record_that_could_not_be_appended(log: Path) -> None:
    cause = FileChangedError(log)
    result = ActionResult("snap", "web01", DEFAULT_URI, "s", ok=True, kind="internal")
    worded = not_logged(NotLogged(cause, result, ()))
    assert worded.exit_code == 3  # the cause's
    assert str(worded) == (
        f"{cause}; not logged: snap web01: ok, internal snapshot s of 0 disks in 0.00 s"
    )
