"""The vm layer's pure parts: records and tags (records), URIs (factory), tasks (tasks),
retention (actions.prune_candidates), the `snaps` join (listing) and its rendering (cli)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worklog.cli.snap_output import render_rows, row_json, task_error
from worklog.config import Config
from worklog.errors import UsageError
from worklog.format.constructs import iter_links, parse_record
from worklog.format.document import Document, Entry, parse
from worklog.history.export import entry_record
from worklog.history.timeline import Timeline
from worklog.store.logfile import LogFile
from worklog.vm.actions import prune_candidates
from worklog.vm.base import (
    ActionResult,
    ConnectError,
    DiskSnapshot,
    HypervisorCallError,
    SnapshotInfo,
)
from worklog.vm.factory import resolve_uri, split_target
from worklog.vm.libvirt_xml import ascii_xml, record_xml
from worklog.vm.listing import (
    SnapRow,
    join,
    logged_domains,
    snapshot_entries,
    tree_order,
)
from worklog.vm.records import (
    MAX_XML,
    connect_failure,
    listing_failure,
    record_lines,
    snapshot_tags,
)
from worklog.vm.tasks import (
    TaskNotFound,
    active_task,
    resolve_task,
    split_description,
    stored_description,
)

ROOT = Path(__file__).resolve().parents[1]
URI = "qemu:///system"
DISKS = (
    DiskSnapshot("vda", "/var/lib/libvirt/images/web01.qcow2", "internal"),
    DiskSnapshot("vdb", "/var/lib/libvirt/images/web01-data.qcow2", "internal"),
)
OK = ActionResult(
    "snap",
    "web01",
    URI,
    "web01-20261126-140512",
    ok=True,
    kind="internal",
    disks=DISKS,
    duration=0.0512,
    description='worklog: before the upgrade\nfor: see"10:19 2026-11-26" item 1: qemu 8.2',
    xml='<domainsnapshot><name>web01-20261126-140512</name><creationTime>1795701912'
    '</creationTime></domainsnapshot>',
)


def doc_of(text: str) -> Document:
    return parse(text.encode("utf-8"))


def timeline_of(text: str) -> Timeline:
    return Timeline(text.encode("utf-8"))


# --- records ----------------------------------------------------------------------------


def test_record_of_an_internal_snapshot() -> None:
    assert record_lines(OK, task='see"10:19 2026-11-26" item 1: qemu 8.2') == [
        "worklog snap web01: ok, internal snapshot web01-20261126-140512 of 2 disks in 0.05 s",
        "result: ok",
        "domain: web01",
        "name: web01-20261126-140512",
        "kind: internal",
        "disks: vda /var/lib/libvirt/images/web01.qcow2; "
        "vdb /var/lib/libvirt/images/web01-data.qcow2",
        "duration: 0.05 s",
        "uri: qemu:///system",
        'for: see"10:19 2026-11-26" item 1: qemu 8.2',
        "description: before the upgrade",
        "xml: <domainsnapshot><name>web01-20261126-140512</name><creationTime>1795701912"
        "</creationTime></domainsnapshot>",
    ]


LIBVIRT_XML = """<domainsnapshot>
  <name>s1</name>
  <description>worklog: a \\ b\r\nline "two" &lt;é快&gt;
for: see"10:19 2026-11-26" item 1: qemu</description>
  <state>disk-snapshot</state>
  <creationTime>1795701912</creationTime>
  <memory snapshot='no'/>
  <disks>
    <disk name='vda' snapshot='external' type='file'>
      <driver type='qcow2'/>
      <source file='/images/a b\\c.s1.qcow2'/>
    </disk>
  </disks>
  <domain type='qemu'>
    <name>web01</name>
    <devices><disk type='file' device='disk'><source file='/images/a.qcow2'/></disk></devices>
  </domain>
  <inactiveDomain type='qemu'><name>web01</name></inactiveDomain>
  <cookie>
    <cpu mode='custom'><model>qemu64</model></cpu>
  </cookie>
</domainsnapshot>
"""


def test_the_xml_field_is_one_line_and_reads_back_exactly() -> None:
    kept = record_xml(LIBVIRT_XML)
    assert kept == (
        '<domainsnapshot><name>s1</name><description>worklog: a \\ b&#13;\nline &quot;two&quot; '
        '&lt;é快&gt;\nfor: see&quot;10:19 2026-11-26&quot; item 1: qemu</description>'
        "<state>disk-snapshot</state><creationTime>1795701912</creationTime>"
        '<memory snapshot="no" /><disks><disk name="vda" snapshot="external" type="file">'
        '<driver type="qcow2" /><source file="/images/a b\\c.s1.qcow2" /></disk></disks>'
        '<cookie><cpu mode="custom"><model>qemu64</model></cpu></cookie></domainsnapshot>'
    )
    lines = record_lines(replace(OK, xml=kept), task='see"10:19 2026-11-26" item 1: qemu')
    (line,) = [line for line in lines if line.startswith("xml: ")]
    assert line == lines[-1]  # the last field, being the longest
    assert "\n" not in line
    assert "\r" not in line
    record = parse_record(lines)
    assert record is not None
    assert record.fields["xml"] == kept  # escaped onto one line, read back exactly
    doc = doc_of(".LOG\n14:05 2026-11-26\nsnapshot, web01\n" + "\n".join(lines) + "\n")
    assert doc.entries[0].record == record
    assert [link.text for link in iter_links("\n".join(lines))] == [
        'see"10:19 2026-11-26"'  # the `for` field's; the XML's is no second one
    ]
    # the same snapshot to an XML reader: libvirt's description, CR and all; its disks
    original, back = ET.fromstring(LIBVIRT_XML.replace("\r", "&#13;")), ET.fromstring(kept)
    assert back.findtext("description") == original.findtext("description")
    assert "\r\n" in str(back.findtext("description"))
    for tag in ("disks", "cookie", "memory", "creationTime"):
        assert canonical(back, tag) == canonical(original, tag)
    assert [el.tag for el in back] == ["name", "description", "state", "creationTime",
                                       "memory", "disks", "cookie"]


XML_TEXT = st.text(
    st.characters(
        blacklist_categories=["Cs"],
        blacklist_characters="".join(
            [chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"]
        ),
    ),
    max_size=40,
)


@given(description=XML_TEXT, path=XML_TEXT)
def test_any_description_and_path_read_back_from_the_record_as_libvirt_had_them(
    description: str, path: str
) -> None:
    root = ET.Element("domainsnapshot")
    ET.SubElement(root, "name").text = "s"
    ET.SubElement(root, "description").text = description
    disk = ET.SubElement(ET.SubElement(root, "disks"), "disk", name="vda")
    ET.SubElement(disk, "source", file=path)
    ET.SubElement(root, "domain").text = "the definition"
    ET.indent(root)
    libvirts = ET.tostring(root, encoding="unicode")  # a carriage return left raw, as libvirt
    lines = record_lines(replace(OK, xml=record_xml(libvirts)))
    doc = doc_of(".LOG\n14:05 2026-11-26\nsnapshot, web01\n" + "\n".join(lines) + "\n")
    (entry,) = doc.entries
    assert entry.record is not None
    back = ET.fromstring(entry.record.fields["xml"])
    assert back.findtext("description") == description
    assert back.find("disks/disk/source").get("file") == path  # type: ignore[union-attr]
    assert back.find("domain") is None


def canonical(root: ET.Element, tag: str) -> str:
    el = root.find(tag)
    assert el is not None
    return ET.canonicalize(ET.tostring(el, encoding="unicode"), strip_text=True)


def test_ascii_xml_is_the_same_xml() -> None:
    kept = record_xml(LIBVIRT_XML)
    plain = ascii_xml(kept)
    assert plain.isascii()
    assert "&lt;&#233;&#24555;&gt;" in plain
    assert ET.tostring(ET.fromstring(plain)) == ET.tostring(ET.fromstring(kept))


def test_xml_over_the_bound_is_left_out_and_the_record_says_so() -> None:
    at_bound = "<a>" + "x" * (MAX_XML - 7) + "</a>"
    assert record_lines(replace(OK, xml=at_bound))[-1] == f"xml: {at_bound}"
    over = "<a>" + "\\" * (MAX_XML // 2) + "</a>"  # each backslash written as two
    assert record_lines(replace(OK, xml=over))[-1] == (
        f"xml-left-out: {MAX_XML + 7} characters, over the bound of {MAX_XML}"
    )
    assert record_lines(replace(OK, xml=None))[-1] == (
        "xml-left-out: libvirt did not give the snapshot's XML"
    )
    failed = replace(OK, ok=False, error_name="VIR_ERR_NO_DOMAIN")
    assert not [line for line in record_lines(failed) if line.startswith("xml")]


def test_record_of_an_unknown_domain() -> None:
    result = ActionResult(
        "snap",
        "nope",
        URI,
        None,
        ok=False,
        duration=0.004,
        error_code=42,
        error_name="VIR_ERR_NO_DOMAIN",
        error_message="Domain not found: no domain with matching name 'nope'",
        plain_error="domain not found",
        description="worklog:",
    )
    assert record_lines(result) == [
        "worklog snap nope: failed, domain not found",
        "result: failed",
        "domain: nope",
        "duration: 0.00 s",
        "uri: qemu:///system",
        "error: domain not found",
        "error-code: 42 VIR_ERR_NO_DOMAIN",
        "libvirt-message: Domain not found: no domain with matching name 'nope'",
    ]


def test_record_of_a_failed_external_snapshot_names_the_switched_disks() -> None:
    result = ActionResult(
        "snap",
        "db",
        URI,
        "s1",
        ok=False,
        kind="external",
        disks=(
            DiskSnapshot("vda", "/vm/db.s1.qcow2", "external"),
            DiskSnapshot("vdb", None, "external"),
            DiskSnapshot("vdc", "/vm/c.img", "no"),
        ),
        duration=1.5,
        error_code=9,
        error_name="VIR_ERR_OPERATION_FAILED",
        error_message="operation failed: disk vdb",
        plain_error="the hypervisor failed to do it",
        switched_disks=("vda",),
    )
    assert record_lines(result)[0] == (
        "worklog snap db: failed, external snapshot s1: the hypervisor failed to do it"
    )
    assert record_lines(result)[5:] == [
        "disks: vda /vm/db.s1.qcow2; vdb; vdc (not snapshotted)",
        "duration: 1.50 s",
        "uri: qemu:///system",
        "error: the hypervisor failed to do it",
        "error-code: 9 VIR_ERR_OPERATION_FAILED",
        "libvirt-message: operation failed: disk vdb",
        "switched-disks: vda",
    ]
    clean = replace(result, switched_disks=())
    assert record_lines(clean)[-1] == "switched-disks: none"
    # only a snapshot switches disks: a failed revert or delete says nothing of it
    assert record_lines(replace(clean, action="revert"))[-1].startswith("libvirt-message: ")


@pytest.mark.parametrize(
    ("action", "headline"),
    [
        ("revert", "worklog revert web01: ok, reverted to internal snapshot s in 1.70 s"),
        ("snap-delete", "worklog snap-delete web01: ok, deleted internal snapshot s in 1.70 s"),
        ("snap-prune", "worklog snap-prune web01: ok, pruned internal snapshot s in 1.70 s"),
    ],
)
def test_headlines_of_revert_delete_prune(action: str, headline: str) -> None:
    result = ActionResult(action, "web01", URI, "s", ok=True, kind="internal", duration=1.7)  # type: ignore[arg-type]
    lines = record_lines(result, extra=[("keep", "2")])
    assert lines[0] == headline
    assert lines[1:] == [
        "result: ok",
        "domain: web01",
        "name: s",
        "kind: internal",
        "duration: 1.70 s",
        "uri: qemu:///system",
        "keep: 2",
    ]


def test_record_of_a_refused_connection() -> None:
    exc = ConnectError(
        "qemu+ssh://lab/system",
        38,
        "unable to connect to server at 'lab:22': Connection refused",
        error_name="VIR_ERR_SYSTEM_ERROR",
        plain_error="cannot connect to qemu+ssh://lab/system",
    )
    result = connect_failure("snap", "web01", "", exc, "worklog: x")
    assert record_lines(result) == [
        "worklog snap web01: failed, cannot connect to qemu+ssh://lab/system",
        "result: failed",
        "domain: web01",
        "duration: 0.00 s",
        "uri: qemu+ssh://lab/system",
        "description: x",
        "error: cannot connect to qemu+ssh://lab/system",
        "error-code: 38 VIR_ERR_SYSTEM_ERROR",
        "libvirt-message: unable to connect to server at 'lab:22': Connection refused",
    ]


def test_record_of_a_failed_listing_before_pruning() -> None:
    exc = HypervisorCallError(URI, 1, "internal error", error_name="VIR_ERR_INTERNAL_ERROR")
    assert record_lines(listing_failure("web01", URI, exc)) == [
        "worklog snap-prune web01: failed, cannot list the snapshots",
        "result: failed",
        "domain: web01",
        "duration: 0.00 s",
        "uri: qemu:///system",
        "error: cannot list the snapshots",
        "error-code: 1 VIR_ERR_INTERNAL_ERROR",
        "libvirt-message: internal error",
    ]


HOSTILE_NAME = "x\n13:27 2014-02-10\nGTD"
HOSTILE_TEXT = "</description><disks>\r\n09:05 03/02/2014\n\nnext: \\n literal"


@pytest.mark.parametrize(
    ("domain", "tags"),
    [
        ("web01", ["snapshot", "web01"]),
        ("web01.lab.example", ["snapshot", "web01.lab.example"]),
        ("快照", ["snapshot", "快照"]),
        ("a,b", ["snapshot"]),  # would read back as two tags
        ("c:d", ["snapshot"]),
        ("12", ["snapshot"]),  # no letter
        (" web", ["snapshot"]),
        ("four word domain name", ["snapshot"]),
        ("Snapshot", ["snapshot"]),
        ("x" * 33, ["snapshot"]),
    ],
)
def test_tags(domain: str, tags: list[str]) -> None:
    assert snapshot_tags(domain) == tags


def _append_and_read(tmp_path: Path, result: ActionResult, task: str | None) -> Document:
    log = LogFile(tmp_path / "w.LOG")
    log.append(["GTD"], ["1, today", "1), 9:55- qemu 8.2"], datetime(2026, 11, 26, 10, 19))
    log.append(
        snapshot_tags(result.domain),
        record_lines(result, task=task),
        datetime(2026, 11, 26, 14, 5),
    )
    return log.load().doc


def test_hostile_values_cannot_forge_entries_and_read_back_exactly(tmp_path: Path) -> None:
    result = ActionResult(
        "snap",
        "a: b, c",
        URI,
        HOSTILE_NAME,
        ok=True,
        kind="internal",
        disks=DISKS[:1],
        duration=0.05,
        description=stored_description(HOSTILE_TEXT, None),
    )
    doc = _append_and_read(tmp_path, result, 'see"10:19 2026-11-26" item 1: qemu 8.2')
    assert len(doc.entries) == 2
    entry = doc.entries[1]
    assert entry.tags == ["snapshot"]
    assert entry.text_lines[0] == (
        "worklog snap a_ b, c: ok, internal snapshot x\\n13:27 2014-02-10\\nGTD of 1 disk in 0.05 s"
    )
    record = entry.record
    assert record is not None
    assert record.fields["name"] == HOSTILE_NAME
    assert record.fields["description"] == HOSTILE_TEXT.replace("\r\n", "\n")
    exported = entry_record(entry)
    assert exported["kind"] == "snapshot"
    assert exported["links"] == ["2026-11-26T10:19"]
    assert exported["snapshot"] == {
        "action": "snap",
        "domain": "a: b, c",
        "name": HOSTILE_NAME,
        "result": "ok",
        "uri": URI,
        "kind": "internal",
        "error": None,
        "error_code": None,
        "for": 'see"10:19 2026-11-26" item 1: qemu 8.2',
    }


VALUE = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(domain=VALUE.filter(bool), name=VALUE, text=VALUE, message=VALUE)
def test_any_values_make_exactly_one_record(
    tmp_path_factory: pytest.TempPathFactory, domain: str, name: str, text: str, message: str
) -> None:
    result = ActionResult(
        "snap",
        domain,
        URI,
        name,
        ok=False,
        kind="external",
        disks=DISKS,
        error_code=9,
        error_name="VIR_ERR_OPERATION_FAILED",
        error_message=message,
        plain_error="the hypervisor failed to do it",
        description=stored_description(text, None),
    )
    doc = _append_and_read(tmp_path_factory.mktemp("log"), result, None)
    assert len(doc.entries) == 2

    def crlf(value: str) -> str:
        return value.replace("\r\n", "\n").replace("\r", "\n")

    record = doc.entries[1].record
    assert record is not None
    assert (record.action, record.result) == ("snap", "failed")
    assert record.fields["domain"] == crlf(domain)
    assert record.fields["name"] == crlf(name)
    assert record.fields.get("description") == (crlf(text) if text else None)
    assert record.fields.get("libvirt-message") == (crlf(message) or None)
    assert record.fields["switched-disks"] == "none"
    assert doc.entries[1].kind == "snapshot"


# --- descriptions -----------------------------------------------------------------------


def test_stored_description() -> None:
    task = 'see"10:19 2026-11-26" item 1: qemu 8.2'
    assert stored_description("before", task) == f"worklog: before\nfor: {task}"
    assert stored_description(None, None) == "worklog:"
    assert stored_description("", task) == f"worklog:\nfor: {task}"
    assert split_description(f"worklog: before\nfor: {task}") == ("before", task)
    assert split_description(f"worklog:\nfor: {task}") == (None, task)
    assert split_description("by hand\nfor: x") == ("by hand\nfor: x", None)
    assert split_description(None) == (None, None)


@given(
    text=st.one_of(st.none(), st.text()),
    task=st.one_of(st.none(), st.text().map(lambda t: t.replace("\n", " ").replace("\r", " "))),
)
def test_description_round_trip(text: str | None, task: str | None) -> None:
    got_text, got_task = split_description(stored_description(text, task))
    if task is not None:
        assert (got_text, got_task) == (text or None, task)
    elif text is None or not text.rpartition("\n")[2].startswith("for: "):
        assert (got_text, got_task) == (text or None, None)


# --- URIs -------------------------------------------------------------------------------


def test_uri_precedence() -> None:
    config = Config(libvirt_uri="qemu+ssh://cfg/system", path=Path("/c/config.toml"))
    env = {"LIBVIRT_DEFAULT_URI": "qemu:///session"}
    assert resolve_uri("test:///default", env, config) == ("test:///default", "asked for")
    assert resolve_uri(None, env, config) == ("qemu:///session", "$LIBVIRT_DEFAULT_URI")
    assert resolve_uri(None, {}, config) == ("qemu+ssh://cfg/system", "/c/config.toml")
    assert resolve_uri(None, {"LIBVIRT_DEFAULT_URI": ""}, Config()) == (None, "libvirt's default")


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("web01", ("web01", "dflt")),
        ("web01@qemu+ssh://root@lab/system", ("web01", "qemu+ssh://root@lab/system")),
        ("web01@test:///tmp/n.xml", ("web01", "test:///tmp/n.xml")),
        ("me@home", ("me@home", "dflt")),
        ("me@home:8080", ("me@home:8080", "dflt")),
        ("a@b@qemu:///system", ("a@b", "qemu:///system")),
    ],
)
def test_split_target(arg: str, expected: tuple[str, str]) -> None:
    assert split_target(arg, "dflt") == expected


# --- tasks ------------------------------------------------------------------------------

PLANS = """.LOG
09:02 2026-11-25
GTD
1, today
1), 9:00- yesterday's running item

09:14 2026-11-26
GTD
0, 9:10

1, today
1), 9:15-10:20 vmbackup: raw disk check (done)
2), 10:25-11:00 read Priya's mail
3), write the qemu-ifup note

10:30 2026-11-26
notes, lab
a note

11:02 2026-11-26
GTD
1, today
1), 9:15-10:20 vmbackup: raw disk check (done)
2), 10:25-11:00 read Priya's mail
3), 11:01- snapshot web01 before qemu 8.2
4), 10:40- an earlier start
"""
TODAY = date(2026, 11, 26)


def test_active_task_is_the_latest_started_open_item_of_todays_latest_plan() -> None:
    doc = doc_of(PLANS)
    running = 'see"11:02 2026-11-26" item 3: snapshot web01 before qemu 8.2'
    assert active_task(doc, TODAY) == running
    # past midnight, before the new day's plan: yesterday's running item
    assert active_task(doc, date(2026, 11, 27)) == running
    assert active_task(doc, date(2026, 11, 28)) is None
    # a plan of today without a running item: nothing runs (yesterday's is not looked at)
    assert active_task(doc_of(PLANS.split("\n11:02 2026-11-26", maxsplit=1)[0]), TODAY) is None
    assert active_task(doc_of(PLANS.split("\n09:14 2026-11-26", maxsplit=1)[0]), TODAY) == (
        'see"09:02 2026-11-25" item 1: yesterday\'s running item'
    )


def test_for_item_and_for_stamp() -> None:
    doc = doc_of(PLANS)
    assert resolve_task(doc, "2", TODAY) == 'see"11:02 2026-11-26" item 2: read Priya\'s mail'
    assert resolve_task(doc, "10:30 2026-11-26", TODAY) == 'see"10:30 2026-11-26"'
    assert resolve_task(doc, "2026-11-25T09:02", TODAY) == 'see"09:02 2026-11-25"'


@pytest.mark.parametrize(
    ("spec", "today", "problem", "message"),
    [
        ("9", TODAY, "no-item", "--for 9: today's plan (11:02 2026-11-26) has no item 9"),
        (
            "1",
            date(2026, 11, 30),
            "no-plan",
            "--for 1: no plan for today (an entry tagged GTD) in the log",
        ),
        (
            "10:31 2026-11-26",
            TODAY,
            "no-entry",
            "--for 10:31 2026-11-26: no entry with that stamp in the log",
        ),
        ("soon", TODAY, "not-a-stamp", "--for: 'soon' is not a stamp"),
    ],
)
def test_task_errors(spec: str, today: date, problem: str, message: str) -> None:
    """The library says what is missing (data); the CLI words it with the option."""
    with pytest.raises(TaskNotFound) as caught:
        resolve_task(doc_of(PLANS), spec, today)
    assert (caught.value.spec, caught.value.problem) == (spec, problem)
    assert "--for" not in str(caught.value)
    worded = task_error(caught.value, Path("w.LOG"))
    assert isinstance(worded, UsageError)
    assert str(worded).startswith(message)


def test_cross_reference_takes_the_files_stamp_shape() -> None:
    text = ".LOG\n9:05 AM 11/26/2026\nGTD\n1), 9:05- fix it\n\n2:40 PM 11/26/2026\nnote\n"
    doc = doc_of(text)
    assert active_task(doc, TODAY) == 'see"9:05 AM 11/26/2026" item 1: fix it'
    assert resolve_task(doc, "2:40 PM 11/26/2026", TODAY) == 'see"2:40 PM 11/26/2026"'
    # the reference reads back, in this month-first file, as the plan's stamp
    (link,) = doc_of(text + f"\n3:00 PM 11/26/2026\n{active_task(doc, TODAY)}\n").entries[-1].links
    assert link == doc.entries[0].stamp.when


# --- retention --------------------------------------------------------------------------


def info(
    name: str,
    second: int,
    description: str | None,
    parent: str | None = None,
    current: bool = False,
) -> SnapshotInfo:
    created = datetime(2026, 11, 26, 14, 0, second, tzinfo=UTC)
    return SnapshotInfo(name, "web01", created, description, parent, current, "internal")


def test_prune_keeps_the_newest_worklog_snapshots_and_every_other() -> None:
    infos = [
        info("w1", 1, "worklog:"),
        info("manual", 2, "by hand"),
        info("w2", 3, "worklog: two"),
        info("none", 4, None),
        info("w3", 5, "worklog:\nfor: x"),
        info("new", 6, "worklog:"),
    ]
    assert [i.name for i in prune_candidates(infos, 2, "new")] == ["w1", "w2"]
    assert [i.name for i in prune_candidates(infos, 4, "new")] == []
    assert [i.name for i in prune_candidates(infos, 1, "new")] == ["w1", "w2", "w3"]
    # the one just made survives even when its clock put it among the oldest
    assert [i.name for i in prune_candidates(infos, 1, "w1")] == ["w2", "w3"]
    with pytest.raises(ValueError, match="keep"):
        prune_candidates(infos, 0, "new")


# --- snaps ------------------------------------------------------------------------------

LOG_OF_SNAPS = """.LOG
10:19 2026-11-26
GTD
1), 10:20- qemu 8.2

14:05 2026-11-26
snapshot, web01
worklog snap web01: ok, internal snapshot s1 of 1 disk in 0.05 s
result: ok
domain: web01
name: s1
kind: internal
uri: qemu:///system
for: see"10:19 2026-11-26" item 1: qemu 8.2

14:06 2026-11-26
snapshot, web01
worklog snap web01: ok, internal snapshot old of 1 disk in 0.05 s
result: ok
domain: web01
name: old
kind: internal
uri: qemu:///system

14:07 2026-11-26
snapshot, web01
worklog snap-delete web01: ok, deleted internal snapshot old in 0.05 s
result: ok
domain: web01
name: old
uri: qemu:///system

14:08 2026-11-26
snapshot, web01
worklog snap web01: ok, internal snapshot elsewhere of 1 disk in 0.05 s
result: ok
domain: web01
name: elsewhere
uri: qemu+ssh://other/system

14:09 2026-11-26
snapshot, web01
worklog snap web01: failed, internal snapshot s2: a snapshot with that name exists
result: failed
domain: web01
name: s2
uri: qemu:///system

14:10 2026-11-26
snapshot, db
worklog snap db: ok, internal snapshot d1 of 1 disk in 0.05 s
result: ok
domain: db
name: d1
uri: qemu:///system

14:11 2026-11-26
notes
ran worklog snap web01: ok, prose, not a record
"""


def _rows() -> list[SnapRow]:
    infos = [
        info("s1", 1, "worklog:\nfor: ignored: the record's for wins"),
        info("s2", 30, "by hand", parent="s1"),
        info("side", 40, 'worklog:\nfor: see"09:00 2026-11-20"', parent="s1"),
        info("deep", 50, None, parent="s2", current=True),
    ]
    return join("web01", URI, infos, snapshot_entries(timeline_of(LOG_OF_SNAPS)))


def local(second: int) -> str:
    return datetime(2026, 11, 26, 14, 0, second, tzinfo=UTC).astimezone().isoformat()


def test_join_marks_unknown_and_gone_snapshots() -> None:
    stamp_of_old = datetime(2026, 11, 26, 14, 6).astimezone().isoformat()
    assert [row_json(r) for r in _rows()] == [
        {
            "name": "s1",
            "created": local(1),
            "in_log": True,
            "in_libvirt": True,
            "domain": "web01",
            "uri": URI,
            "kind": "internal",
            "parent": None,
            "current": False,
            "entry": "2026-11-26T14:05",
            "for": 'see"10:19 2026-11-26" item 1: qemu 8.2',
            "description": None,
            "deleted": None,
        },
        {
            "name": "s2",
            "created": local(30),
            "in_log": False,
            "in_libvirt": True,
            "domain": "web01",
            "uri": URI,
            "kind": "internal",
            "parent": "s1",
            "current": False,
            "entry": None,
            "for": None,
            "description": "by hand",
            "deleted": None,
        },
        {
            "name": "side",
            "created": local(40),
            "in_log": False,
            "in_libvirt": True,
            "domain": "web01",
            "uri": URI,
            "kind": "internal",
            "parent": "s1",
            "current": False,
            "entry": None,
            "for": 'see"09:00 2026-11-20"',
            "description": None,
            "deleted": None,
        },
        {
            "name": "deep",
            "created": local(50),
            "in_log": False,
            "in_libvirt": True,
            "domain": "web01",
            "uri": URI,
            "kind": "internal",
            "parent": "s2",
            "current": True,
            "entry": None,
            "for": None,
            "description": None,
            "deleted": None,
        },
        {
            "name": "old",
            "created": stamp_of_old,
            "in_log": True,
            "in_libvirt": False,
            "domain": "web01",
            "uri": URI,
            "kind": "internal",
            "parent": None,
            "current": False,
            "entry": "2026-11-26T14:06",
            "for": None,
            "description": None,
            "deleted": "2026-11-26T14:07",
        },
    ]


def test_tree_order_and_text() -> None:
    rows = tree_order(_rows())
    assert [(r.name, r.depth) for r in rows] == [
        ("s1", 0),
        ("s2", 1),
        ("deep", 2),
        ("side", 1),
        ("old", 0),
    ]
    when = [datetime(2026, 11, 26, 14, 0, s, tzinfo=UTC).astimezone() for s in (1, 30, 50, 40)]
    shown = [w.strftime("%Y-%m-%d %H:%M:%S") for w in when]
    assert render_rows(rows) == [
        f's1        {shown[0]}  internal           logged see"14:05 2026-11-26"  '
        f'for see"10:19 2026-11-26" item 1: qemu 8.2',
        f"  s2      {shown[1]}  internal           not in log",
        f"    deep  {shown[2]}  internal, current  not in log",
        f'  side    {shown[3]}  internal           not in log  for see"09:00 2026-11-20"',
        'old       2026-11-26 14:06     internal           gone (logged see"14:06 2026-11-26", '
        'deleted see"14:07 2026-11-26")',
    ]


def test_a_name_made_twice_links_the_latest_record() -> None:
    text = LOG_OF_SNAPS.replace("name: old\nkind", "name: s1\nkind")
    rows = join("web01", URI, [info("s1", 1, None)], snapshot_entries(timeline_of(text)))
    assert [(r.name, r.in_libvirt, r.entry.text if r.entry else None) for r in rows] == [
        ("s1", True, "14:06 2026-11-26"),
        ("s1", False, "14:05 2026-11-26"),
    ]


def _stamps(entries: list[Entry]) -> list[tuple[str, int]]:
    return [(e.stamp.text, e.line) for e in entries]


def test_logged_domains_and_prefilter() -> None:
    timeline = timeline_of(LOG_OF_SNAPS)
    entries = snapshot_entries(timeline)
    assert [e.stamp.text for e in entries] == [
        "14:05 2026-11-26",
        "14:06 2026-11-26",
        "14:07 2026-11-26",
        "14:08 2026-11-26",
        "14:09 2026-11-26",
        "14:10 2026-11-26",
    ]
    assert logged_domains(entries, URI) == ["web01", "db"]
    assert _stamps(snapshot_entries(timeline, "web01")) == _stamps(entries[:5])
    assert [e.stamp.text for e in snapshot_entries(timeline, "db")] == ["14:10 2026-11-26"]
    assert snapshot_entries(timeline, "web") == []
    assert snapshot_entries(None) == []
    assert logged_domains(entries, "qemu+ssh://other/system") == ["web01"]


def test_prefilter_finds_what_a_full_scan_finds() -> None:
    data = (ROOT / "samples" / "worklog.LOG").read_bytes()
    doc = parse(data)
    full = [
        e
        for e in doc.entries
        if e.kind == "snapshot" and e.record is not None and e.record.action != "revert"
    ]
    assert full
    assert _stamps(snapshot_entries(Timeline(data))) == _stamps(full)
    assert [e.text for e in snapshot_entries(Timeline(data))] == [e.text for e in full]
    web01 = [e for e in full if e.record is not None and e.record.fields["domain"] == "web01"]
    assert _stamps(snapshot_entries(Timeline(data), "web01")) == _stamps(web01)
