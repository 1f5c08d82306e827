"""`worklog prune`: the retention policy's exact choice, prune's use case on the fake
backend (dry run, open tasks, preflight), the preflight of `snap` (mixed chains, space,
the guest agent) and `prune`'s CLI contract against libvirt's test driver."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli_runner import run_worklog
from tests.libvirt_nodes import NodeDomain, NodeSnapshot, write_node
from worklog.store.logfile import LogFile
from worklog.vm import actions
from worklog.vm.actions import Services, SnapRequest, Target
from worklog.vm.base import DiskSnapshot, HostInfo, SnapshotInfo
from worklog.vm.fake import DEFAULT_URI, FakeHost, FakeSnapshot
from worklog.vm.prune import PruneRequest, prune
from worklog.vm.retention import Policy, decide

NOW = datetime(2026, 11, 26, 14, 5)
PLAN = (
    ".LOG\n10:19 2026-11-26\nGTD\n1, today\n1), 10:20- qemu 8.2 on web01\n"
    "2), 10:25-10:40 mail (done)\n"
)
OPEN = 'see"10:19 2026-11-26" item 1: qemu 8.2 on web01'
DONE = 'see"10:19 2026-11-26" item 2: mail'


def info(name: str, when: datetime, description: str | None = "worklog:") -> SnapshotInfo:
    return SnapshotInfo(name, "web01", when, description, None, False, "internal")


def kept(decisions: list) -> dict[str, tuple[str, ...]]:  # type: ignore[type-arg]
    return {d.info.name: d.reasons for d in decisions}


# --- the policy -------------------------------------------------------------------------


def test_policy_choice_is_exact() -> None:
    """Newest first; each rule keeps the newest of each of its latest N periods that
    have a snapshot; a snapshot kept by several rules counts for each."""
    t = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
    infos = [
        info("mon-09", t),
        info("mon-10", t + timedelta(hours=1)),
        info("mon-10b", t + timedelta(hours=1, minutes=30)),
        info("tue-08", t + timedelta(days=1, hours=-1)),
        info("next-mon", t + timedelta(days=7)),
        info("dec-01", datetime(2026, 12, 1, 12, 0, tzinfo=UTC)),
        info("others", t + timedelta(days=40), description="by hand"),
    ]
    decisions = decide(infos, Policy(last=1, daily=3, weekly=2, monthly=2))
    assert [d.info.name for d in decisions] == [
        "dec-01", "next-mon", "tue-08", "mon-10b", "mon-10", "mon-09"
    ]
    assert kept(decisions) == {
        "dec-01": ("last", "daily", "weekly", "monthly"),
        "next-mon": ("daily", "weekly", "monthly"),
        "tue-08": ("daily",),
        "mon-10b": (),  # the third day was counted by tue-08; its week by next-mon
        "mon-10": (),
        "mon-09": (),
    }
    hourly = decide(infos, Policy(hourly=3))
    assert [d.info.name for d in hourly if d.keep] == ["dec-01", "next-mon", "tue-08"]
    assert [d.info.name for d in decide(infos, Policy(hourly=5)) if d.keep] == [
        "dec-01", "next-mon", "tue-08", "mon-10b", "mon-09"  # mon-10 shares mon-10b's hour
    ]


def test_open_task_and_just_made_are_kept_and_counted() -> None:
    t = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    infos = [info("a", t, f"worklog:\nfor: {OPEN}"), info("b", t + timedelta(1)), info("c", t)]
    decisions = decide(infos, Policy(last=1), protected=lambda i: i.name == "a")
    assert kept(decisions) == {"b": ("last",), "a": ("open task",), "c": ()}
    with pytest.raises(ValueError, match="no retention rule"):
        decide(infos, Policy())


# --- prune on the fake backend ----------------------------------------------------------


@pytest.fixture
def host() -> FakeHost:
    host = FakeHost()
    host.add_domain("web01", "qcow2")
    host.add_snapshot("web01", "s1", f"worklog: open one\nfor: {OPEN}")
    host.add_snapshot("web01", "s2", f"worklog: done one\nfor: {DONE}")
    host.add_snapshot("web01", "manual", "by hand")
    host.add_snapshot("web01", "s3", "worklog:")
    host.add_snapshot("web01", "s4", "worklog:")
    return host


@pytest.fixture
def services(host: FakeHost, tmp_path: Path) -> Services:
    log = tmp_path / "work.LOG"
    log.write_text(PLAN, encoding="utf-8")
    return Services(LogFile(log), host, lambda: NOW)


def test_dry_run_decides_and_changes_nothing(host: FakeHost, services: Services) -> None:
    before = services.log.path.read_bytes()
    done = prune(PruneRequest((Target("web01"),), Policy(last=2), dry_run=True), services)
    assert done.outcome.logged == ()
    (plan,) = done.plans
    assert kept(list(plan.decisions)) == {
        "s4": ("last",), "s3": ("last",), "s2": (), "s1": ("open task",)
    }
    assert not any(call[0] == "delete" for call in host.calls)
    assert services.log.path.read_bytes() == before


def test_prune_deletes_what_the_policy_drops_and_logs_the_policy(
    host: FakeHost, services: Services
) -> None:
    done = prune(PruneRequest((Target("web01"),), Policy(last=2, daily=1)), services)
    assert [(i.result.action, i.result.name, i.result.ok) for i in done.outcome.logged] == [
        ("snap-prune", "s2", True)
    ]
    assert list(host.domains[DEFAULT_URI]["web01"].snapshots) == ["s1", "manual", "s3", "s4"]
    text = services.log.path.read_text(encoding="utf-8")
    assert "\nkeep-last: 2\nkeep-daily: 1\nhost: fakehost\nlibvirt: 9.0.0\n" in text


def test_external_delete_needs_libvirt_9_and_is_refused_before(
    host: FakeHost, services: Services
) -> None:
    host.add_domain("legacy", "raw")
    host.add_snapshot("legacy", "e1", "worklog:")
    host.add_snapshot("legacy", "e2", "worklog:")
    host.host = HostInfo("old", (8, 10, 0), "QEMU", (7, 2, 0))
    done = prune(PruneRequest((Target("legacy"),), Policy(last=1)), services)
    (logged,) = done.outcome.logged
    assert logged.result.plain_error == (
        "deleting an external snapshot needs libvirt 9.0.0 or newer; old runs 8.10.0"
    )
    assert ("delete", "legacy", "e1") not in host.calls
    text = services.log.path.read_text(encoding="utf-8")
    assert "\nerror: deleting an external snapshot needs libvirt 9.0.0" in text
    assert "\npreflight: refused\n" in text


def _external(host: FakeHost) -> tuple[str, str]:
    """web02 (raw) with two worklog snapshots, e1 and e2: e1's overlay and the image
    under it."""
    host.add_domain("web02", "raw")
    base = host.domains[DEFAULT_URI]["web02"].disks[0].source
    host.add_snapshot("web02", "e1", "worklog:")
    overlay = host.domains[DEFAULT_URI]["web02"].disks[0].source
    host.add_snapshot("web02", "e2", "worklog:", disk_only=True)
    assert base is not None
    assert overlay is not None
    return overlay, base


def test_merge_back_needs_room_for_the_overlay_under_it(
    host: FakeHost, services: Services
) -> None:
    """Deleting e1 commits its overlay into the image under it: that folder must have
    the overlay's bytes free, else prune refuses and logs it, libvirt never asked."""
    overlay, base = _external(host)
    host.sizes[overlay] = 300 * 1024 * 1024
    host.free[os.path.dirname(base)] = 200 * 1024 * 1024
    done = prune(PruneRequest((Target("web02"),), Policy(last=1)), services)
    (logged,) = done.outcome.logged
    assert logged.result.plain_error == (
        f"too little free space in {os.path.dirname(base)} to merge {overlay} back into "
        f"{os.path.basename(base)}: 200 MiB free, 300 MiB needed"
    )
    assert ("delete", "web02", "e1") not in host.calls
    assert list(host.domains[DEFAULT_URI]["web02"].snapshots) == ["e1", "e2"]
    text = services.log.path.read_text(encoding="utf-8")
    assert "\npreflight: refused\n" in text
    host.free[os.path.dirname(base)] = 300 * 1024 * 1024
    done = prune(PruneRequest((Target("web02"),), Policy(last=1)), services)
    assert [(i.result.name, i.result.ok) for i in done.outcome.logged] == [("e1", True)]


def test_snap_delete_checks_the_merge_too(host: FakeHost, services: Services) -> None:
    overlay, base = _external(host)
    host.sizes[overlay] = 2 * 1024 * 1024 * 1024
    host.free[os.path.dirname(base)] = 1024
    done = actions.delete(Target("web02"), "e1", services)
    (logged,) = done.logged
    assert (logged.result.ok, logged.result.plain_error) == (False, (
        f"too little free space in {os.path.dirname(base)} to merge {overlay} back into "
        f"{os.path.basename(base)}: 0 MiB free, 2048 MiB needed"))
    assert "e1" in host.domains[DEFAULT_URI]["web02"].snapshots
    host.sizes.clear()  # what the host cannot tell is not refused
    assert actions.delete(Target("web02"), "e1", services).logged[0].result.ok


# --- preflight of snap ------------------------------------------------------------------


def test_a_mixed_chain_is_refused_before_libvirt_is_asked(
    host: FakeHost, services: Services
) -> None:
    outcome = actions.snap(SnapRequest((Target("web01"),), name="x", disk_only=True), services)
    (logged,) = outcome.logged
    assert logged.result.plain_error == (
        "disk vda has internal snapshots: a external one would mix internal and external "
        "snapshots on one disk"
    )
    assert not any(call[0] == "snapshot" for call in host.calls)


def test_too_little_space_for_an_overlay_is_refused(host: FakeHost, services: Services) -> None:
    host.add_domain("legacy", "raw")
    host.free["/images"] = 10 * 1024 * 1024
    outcome = actions.snap(SnapRequest((Target("legacy"),), name="x"), services)
    assert outcome.logged[0].result.plain_error == (
        "too little free space in /images for an overlay: 10 MiB free, 64 MiB needed"
    )
    assert not any(call[0] == "snapshot" for call in host.calls)


def test_quiesce_with_an_agent_that_does_not_answer(host: FakeHost, services: Services) -> None:
    dom = host.add_domain("db", "qcow2")
    dom.agent = False
    required = actions.snap(SnapRequest((Target("db"),), name="q", quiesce=True), services)
    assert required.logged[0].result.plain_error == (
        "--quiesce: the guest agent did not answer a ping within 5 s"
    )
    assert not any(call[0] == "snapshot" for call in host.calls)
    preferred = actions.snap(
        SnapRequest((Target("db"),), name="q", quiesce=True, quiesce_preferred=True), services
    )
    result = preferred.logged[0].result
    assert (result.ok, result.kind, result.consistency, result.frozen) == (
        True, "external", "crash", None
    )
    text = services.log.path.read_text(encoding="utf-8")
    assert (
        "\nconsistency: crash\nnote: quiesce preferred: the guest agent did not answer a "
        "ping within 5 s; crash-consistent instead\n"
    ) in text
    dom.agent = True
    host.domains[DEFAULT_URI]["db"].snapshots.clear()  # not a mixed chain for the next one
    quiesced = actions.snap(SnapRequest((Target("db"),), name="q2", quiesce=True), services)
    assert (quiesced.logged[0].result.consistency, quiesced.logged[0].result.frozen) == (
        "filesystem", 0.0
    )


# --- the CLI ----------------------------------------------------------------------------

T0 = 1764150000  # 2025-11-26T09:40:00Z


@pytest.fixture
def uri(tmp_path: Path) -> str:
    pytest.importorskip("libvirt")
    snaps = (
        NodeSnapshot("a", T0, description="worklog:"),
        NodeSnapshot("b", T0 + 3600, parent="a", description="worklog:"),
        NodeSnapshot("c", T0 + 7200, parent="b", current=True, description="other's"),
    )
    return write_node(tmp_path, (NodeDomain("web01", snapshots=snaps),))


def test_prune_cli_dry_run_json_and_refusal_without_a_rule(
    tmp_path: Path, uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "work.LOG"
    log.write_text(PLAN, encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("WORKLOG_NOW", "2026-11-26T14:05")
    base = ["--file", str(log), "prune", "web01", "--connect", uri]
    run = run_worklog([*base, "--keep-last", "1", "--dry-run", "--json"], os.environ)
    assert run.code == 0, run.err
    assert json.loads(run.out) == [
        {
            "domain": "web01", "uri": uri, "snapshot": "b", "created": "2025-11-26T10:40:00+00:00",
            "keep": True, "reasons": ["last"], "result": None, "error": None, "freed": None,
        },
        {
            "domain": "web01", "uri": uri, "snapshot": "a", "created": "2025-11-26T09:40:00+00:00",
            "keep": False, "reasons": [], "result": None, "error": None, "freed": None,
        },
    ]
    text = run_worklog([*base, "--keep-last", "1", "--dry-run"], os.environ)
    assert text.out == (
        f"web01 ({uri}): keep 1, delete 1\n"
        "  keep   b  2025-11-26T10:40:00Z (last)\n"
        "  delete a  2025-11-26T09:40:00Z\n"
    )
    assert log.read_text(encoding="utf-8") == PLAN
    none = run_worklog(base, os.environ)
    assert none.code == 2
    assert "give at least one of --keep-last" in none.err
    done = run_worklog([*base, "--keep-daily", "1"], os.environ)
    assert done.code == 0, done.err
    assert done.out.startswith("snap-prune web01: ok, pruned internal snapshot a in ")
    assert "\nkeep-daily: 1\n" in log.read_text(encoding="utf-8")


def test_a_change_to_a_mixed_chain_is_refused(host: FakeHost, services: Services) -> None:
    """A disk whose snapshots mix both kinds (made outside worklog): revert, delete and
    prune refuse before libvirt is asked, each refusal logged."""
    dom = host.domains[DEFAULT_URI]["web01"]
    overlay = DiskSnapshot("vda", "/images/web01-0.ext.qcow2", "external")
    dom.snapshots["ext"] = FakeSnapshot(
        "ext", datetime(2026, 11, 26, 13, 0, tzinfo=UTC), "worklog:", "s4", "external", (overlay,)
    )
    host.calls.clear()
    refusal = "disk vda has both internal and external snapshots: worklog changes no such chain"
    for outcome in (
        actions.revert(Target("web01"), "s3", services),
        actions.delete(Target("web01"), "s3", services),
        prune(PruneRequest((Target("web01"),), Policy(last=1)), services).outcome,
    ):
        assert outcome.failed
        assert all(str(i.result.plain_error).startswith(refusal) for i in outcome.logged)
    assert not any(call[0] in ("revert", "delete") for call in host.calls)
    assert services.log.path.read_text(encoding="utf-8").count("\npreflight: refused\n") == 5
