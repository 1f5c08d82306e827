"""worklog merge on files: three-way and two-way, exactly-once, encodings, refusals."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Runner
from worklog.errors import FileChangedError, LogFileError
from worklog.format.check import check
from worklog.format.document import Entry, parse, parse_text
from worklog.format.encoding import Codec
from worklog.format.markers import OURS_MARK, SPLIT_MARK, THEIRS_MARK
from worklog.store.logfile import SMALL_FILE, LogFile
from worklog.sync import files
from worklog.sync.common import common_prefix, shared_boundary
from worklog.sync.files import merge_files
from worklog.sync.merge import merge

START = datetime(2026, 11, 26, 9, 0)


def stamp(minutes: int) -> str:
    return f"{START + timedelta(minutes=minutes):%H:%M %Y-%m-%d}"


def render(entries: list[tuple[int, str]]) -> bytes:
    return (".LOG\n" + "\n".join(f"{stamp(m)}\n{body}\n" for m, body in entries)).encode()


def write(folder: Path, **texts: bytes) -> dict[str, Path]:
    paths = {}
    for name, data in texts.items():
        paths[name] = folder / f"{name}.LOG"
        paths[name].write_bytes(data)
    return paths


def versions(entry: Entry) -> list[str]:
    """The versions an entry of the result holds: itself, or both sides of a conflict."""
    lines = entry.source.rstrip("\n").split("\n")
    if OURS_MARK not in lines:
        return [entry.source.rstrip("\n")]
    head = lines[0]
    mine = lines[lines.index(OURS_MARK) + 1 : lines.index(SPLIT_MARK)]
    other = lines[lines.index(SPLIT_MARK) + 1 : lines.index(THEIRS_MARK)]
    return ["\n".join([head, *mine]), "\n".join([head, *other])]


# --- the property: every entry of either side exactly once ------------------------------


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[tuple[int, str]], ...]:
    """A base, and two sides made from it by editing entries and appending ones."""
    size = draw(st.integers(0, 7))
    minutes = sorted(draw(st.lists(st.integers(0, 20), min_size=size, max_size=size)))
    base = [(m, f"base entry {i}") for i, m in enumerate(minutes)]
    sides = []
    for name in ("ours", "theirs"):
        side = list(base)
        for index in draw(st.sets(st.integers(0, max(size - 1, 0)), max_size=size)):
            if size:
                change = draw(st.sampled_from(["(done)", f"fixed by {name}"]))
                side[index] = (side[index][0], f"{side[index][1]} {change}")
        last = minutes[-1] if minutes else 0
        added = sorted(draw(st.lists(st.integers(0, 30), max_size=4)))
        side.extend((last + m, f"{name} added {j}") for j, m in enumerate(added))
        sides.append(side)
    return base, sides[0], sides[1]


def as_text(entries: list[tuple[int, str]]) -> list[str]:
    return [f"{stamp(m)}\n{body}" for m, body in entries]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_three_way_holds_every_entry_exactly_once(case: tuple[list[tuple[int, str]], ...]
                                                  ) -> None:
    base, ours, theirs = case
    expected: list[str] = []
    for b, o, t in zip(as_text(base), as_text(ours), as_text(theirs), strict=False):
        if o == t or t == b:
            expected.append(o)
        elif o == b:
            expected.append(t)
        else:
            expected.extend([o, t])  # a conflict holds both
    expected += as_text(ours[len(base):]) + as_text(theirs[len(base):])
    with tempfile.TemporaryDirectory() as folder:
        paths = write(Path(folder), base=render(base), ours=render(ours),
                      theirs=render(theirs))
        outcome = merge_files(paths["ours"], paths["theirs"], paths["base"])
        doc = parse(paths["ours"].read_bytes())
    held = [v for entry in doc.entries for v in versions(entry)]
    assert Counter(held) == Counter(expected)
    whens = [e.stamp.when for e in doc.entries]
    assert whens == sorted(whens)
    assert len(outcome.conflicts) == sum(OURS_MARK in e.source for e in doc.entries)
    # the histories may stamp two entries alike: check reports that, apart from conflicts
    assert [p.code for p in check(doc) if p.code != "duplicate-stamp"] == \
        ["conflict"] * 3 * len(outcome.conflicts)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_two_way_holds_every_entry_of_both_copies_once(case: tuple[list[tuple[int, str]], ...]
                                                       ) -> None:
    _, ours, theirs = case
    with tempfile.TemporaryDirectory() as folder:
        paths = write(Path(folder), ours=render(ours), theirs=render(theirs))
        merge_files(paths["ours"], paths["theirs"])
        doc = parse(paths["ours"].read_bytes())
    held = [v for entry in doc.entries for v in versions(entry)]
    assert Counter(held) == Counter(set(as_text(ours)) | set(as_text(theirs)))


# --- three-way on files -------------------------------------------------------------------


BASE = render([(0, "GTD\n1, today\n1), vmbackup retention\n2), release notes"),
               (30, "lab\nUPS check")])


def test_merge_with_nothing_new_writes_nothing(tmp_path: Path) -> None:
    ours = BASE + b"\n11:00 2026-11-26\nours\n"
    paths = write(tmp_path, base=BASE, ours=ours, theirs=BASE)
    before = paths["ours"].stat()
    outcome = merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert not outcome.written
    assert paths["ours"].read_bytes() == ours
    assert paths["ours"].stat().st_ino == before.st_ino


def test_theirs_alone_changed_gives_theirs(tmp_path: Path) -> None:
    theirs = BASE.replace(b"1), vmbackup", b"1), 9:10- vmbackup") + b"\n11:00 2026-11-26\nx\n"
    paths = write(tmp_path, base=BASE, ours=BASE, theirs=theirs)
    outcome = merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert paths["ours"].read_bytes() == theirs
    assert (outcome.added, outcome.changed, outcome.conflicts) == (1, 1, [])


def test_an_entry_deleted_on_one_side_comes_back(tmp_path: Path) -> None:
    ours = render([(0, "GTD\n1, today\n1), vmbackup retention\n2), release notes")])
    paths = write(tmp_path, base=BASE, ours=ours, theirs=BASE)
    merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert paths["ours"].read_bytes() == BASE


def test_same_entry_added_on_both_sides_is_kept_once(tmp_path: Path) -> None:
    both = BASE + b"\n11:00 2026-11-26\nsynced from a third copy\n"
    ours = both + b"\n12:00 2026-11-26\nours\n"
    paths = write(tmp_path, base=BASE, ours=ours, theirs=both)
    outcome = merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert paths["ours"].read_bytes() == ours
    assert not outcome.written


def test_entries_added_in_the_same_minute_are_both_kept_ours_first(tmp_path: Path) -> None:
    ours = BASE + b"\n11:00 2026-11-26\nfrom the laptop\n"
    theirs = BASE + b"\n11:00 2026-11-26\nfrom the desktop\n"
    paths = write(tmp_path, base=BASE, ours=ours, theirs=theirs)
    outcome = merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert paths["ours"].read_bytes() == ours + b"\n11:00 2026-11-26\nfrom the desktop\n"
    assert outcome.conflicts == []


def test_conflict_names_the_line_and_shows_theirs_different_stamp_as_text(tmp_path: Path
                                                                           ) -> None:
    """[M1] both versions in one entry between the markers; a stamp line THEIRS writes
    differently goes in as text, with one leading space."""
    ours = BASE.replace(b"UPS check", b"UPS check: ok")
    theirs = BASE.replace(b"09:30 2026-11-26\nlab\nUPS check", b"9:30 2026-11-26\nlab\nUPS bad")
    paths = write(tmp_path, base=BASE, ours=ours, theirs=theirs)
    outcome = merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert [(c.line, c.what) for c in outcome.conflicts] == [(8, "the entry 09:30 2026-11-26")]
    merged = paths["ours"].read_text()
    assert merged.endswith(f"09:30 2026-11-26\n{OURS_MARK}\nlab\nUPS check: ok\n{SPLIT_MARK}\n"
                           f" 9:30 2026-11-26\nlab\nUPS bad\n{THEIRS_MARK}\n")
    assert len(parse(merged.encode()).entries) == 2


def test_line_breaks_of_theirs_become_ours(tmp_path: Path) -> None:
    ours = BASE.replace(b"\n", b"\r\n") + b"\r\n11:00 2026-11-26\r\nours\r\n"
    theirs = BASE + b"\n12:00 2026-11-26\ntheirs\nline two\n"
    paths = write(tmp_path, base=BASE, ours=ours, theirs=theirs)
    merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert paths["ours"].read_bytes() == ours + b"\r\n12:00 2026-11-26\r\ntheirs\r\nline two\r\n"


def test_text_ours_encoding_cannot_hold_is_refused(tmp_path: Path) -> None:
    ours = BASE + b"\n11:00 2026-11-26\nGr\xfc\xdfe\n"  # cp1252
    theirs = BASE + "\n12:00 2026-11-26\n회의 notes\n".encode()
    paths = write(tmp_path, base=BASE, ours=ours, theirs=theirs)
    with pytest.raises(LogFileError) as caught:
        merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert caught.value.exit_code == 4
    assert f"{paths['theirs']}:12:" in str(caught.value)
    assert paths["ours"].read_bytes() == ours


def test_ours_changed_meanwhile_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    ours = BASE + b"\n11:00 2026-11-26\nours\n"
    paths = write(tmp_path, base=BASE, ours=ours, theirs=BASE + b"\n12:00 2026-11-26\nt\n")
    real = merge

    def saved_in_notepad_meanwhile(*args: object, **kwargs: object) -> object:
        paths["ours"].write_bytes(ours.replace(b"ours", b"OURS"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "merge", saved_in_notepad_meanwhile)
    with pytest.raises(FileChangedError):
        merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert paths["ours"].read_bytes() == ours.replace(b"ours", b"OURS")


# --- the common start: compared in bytes, parsed only after it ---------------------------


def test_common_prefix_finds_the_first_difference_in_any_block() -> None:
    data = bytes(range(256)) * 20000
    for at in (0, 1, 63, 64, 65, 1 << 20, (1 << 20) + 77, len(data) - 1):
        other = data[:at] + b"\x00X" + data[at + 2 :]
        expected = at + (1 if data[at] == 0 else 0)
        assert common_prefix(data, other) == expected
    assert common_prefix(data, data[:1000]) == 1000
    assert common_prefix(data, data, data[:5]) == 5


def test_only_the_part_after_the_common_start_is_parsed(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    history = render([(i, f"entry {i}\nsome text " * 3) for i in range(3000)])
    ours = history + b"\n20:00 2026-11-28\nours\n"
    theirs = history + b"\n21:00 2026-11-28\ntheirs\n"
    paths = write(tmp_path, ours=ours, theirs=theirs)
    parsed: list[int] = []
    real = parse_text

    def counting(text: str, *args: object, **kwargs: object) -> object:
        parsed.append(len(text))
        return real(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "parse_text", counting)
    merge_files(paths["ours"], paths["theirs"])
    assert paths["ours"].read_bytes() == ours + b"\n21:00 2026-11-28\ntheirs\n"
    assert max(parsed) < 200
    with LogFile(paths["ours"]).mapped() as view:
        codecs = [Codec("utf-8")] * 2
        merged = paths["ours"].read_bytes()
        assert shared_boundary([view, view[:-5]], codecs) == merged.rindex(b"21:00 2026-11-28")


# --- two-way: conflict copies -------------------------------------------------------------


def test_two_way_merge_of_a_syncthing_copy(run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "work.LOG"
    copy = tmp_path / "work.sync-conflict-20261126-143005-ABCD123.LOG"
    log.write_bytes(BASE + b"\n11:00 2026-11-26\nlaptop\n")
    copy.write_bytes(BASE + b"\n10:45 2026-11-26\ndesktop\n")
    result = run_cli("merge", str(log), str(copy))
    assert result.code == 0, result.err
    assert log.read_bytes() == BASE + b"\n10:45 2026-11-26\ndesktop\n\n11:00 2026-11-26\nlaptop\n"
    assert copy.exists()  # an explicit merge leaves the copy alone


def test_two_way_entry_changed_in_either_copy_is_a_conflict(run_cli: Runner,
                                                            tmp_path: Path) -> None:
    log, copy = tmp_path / "work.LOG", tmp_path / "other.LOG"
    log.write_bytes(BASE.replace(b"2), release notes", b"2), release notes (done)"))
    copy.write_bytes(BASE)
    result = run_cli("merge", str(log), str(copy))
    assert result.code == 1
    assert f"{log}:2: both copies changed the entry 09:00 2026-11-26" in result.out
    assert run_cli("--file", str(log), "check").code == 1


def test_conflicts_merges_and_removes_each_copy(run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "work.LOG"
    log.write_bytes(BASE + b"\n12:00 2026-11-26\nhere\n")
    syncthing = tmp_path / "work.sync-conflict-20261126-120501-7QXRZ2A.LOG"
    dropbox = tmp_path / "work (Ann's conflicted copy 2026-11-26).LOG"
    other = tmp_path / "notes.sync-conflict-20261126-120501-7QXRZ2A.LOG"
    syncthing.write_bytes(BASE + b"\n12:01 2026-11-26\nfrom syncthing\n")
    dropbox.write_bytes(BASE.replace(b"\n", b"\r\n") + b"\r\n12:02 2026-11-26\r\ndropbox\r\n")
    other.write_bytes(b"not ours")
    result = run_cli("--file", str(log), "merge", "--conflicts")
    assert result.code == 0, result.err
    assert log.read_bytes() == (BASE + b"\n12:00 2026-11-26\nhere\n"
                                b"\n12:01 2026-11-26\nfrom syncthing\n"
                                b"\n12:02 2026-11-26\ndropbox\n")
    assert not syncthing.exists()
    assert not dropbox.exists()
    assert other.read_bytes() == b"not ours"
    assert f"removed {syncthing}" in result.err
    again = run_cli("--file", str(log), "merge", "--conflicts")
    assert again.code == 0
    assert "no conflict copies" in again.err


def test_conflicts_keeps_a_copy_whose_merge_was_refused(run_cli: Runner, tmp_path: Path) -> None:
    log = tmp_path / "work.LOG"
    log.write_bytes(BASE + b"\n12:00 2026-11-26\nGr\xfc\xdfe\n")
    copy = tmp_path / "work.sync-conflict-20261126-120501-7QXRZ2A.LOG"
    copy.write_bytes(BASE + "\n12:01 2026-11-26\n회의\n".encode())
    result = run_cli("--file", str(log), "merge", "--conflicts")
    assert result.code == 4
    assert "cannot be written in the encoding" in result.err
    assert copy.exists()


def test_merge_arguments_are_checked(run_cli: Runner, tmp_path: Path) -> None:
    one = tmp_path / "one.LOG"
    one.write_bytes(BASE)
    assert run_cli("merge", str(one)).code == 2
    assert run_cli("merge", "--conflicts", str(one)).code == 2
    missing = run_cli("merge", str(one), str(tmp_path / "gone.LOG"))
    assert missing.code == 4
    assert "gone.LOG: no such file" in missing.err


def test_a_large_log_is_rewritten_only_at_its_end(tmp_path: Path) -> None:
    history = render([(i, "lab\n" + "a line of an old note\n" * 12) for i in range(16000)])
    assert len(history) > SMALL_FILE
    ours = history + b"\n23:00 2026-12-30\nours\n"
    theirs = history + b"\n22:00 2026-12-30\ntheirs\n"
    paths = write(tmp_path, base=history, ours=ours, theirs=theirs)
    inode = paths["ours"].stat().st_ino
    outcome = merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert outcome.added == 1
    assert paths["ours"].read_bytes() == history + (b"\n22:00 2026-12-30\ntheirs\n"
                                                    b"\n23:00 2026-12-30\nours\n")
    assert paths["ours"].stat().st_ino == inode  # in place, under the undo journal


def test_a_stamp_line_cut_by_the_common_start_is_merged_whole(tmp_path: Path) -> None:
    ours = BASE + b"\n12:00 2026-11-2\n"  # 2 November: an entry of its own
    theirs = BASE + b"\n12:00 2026-11-26\nthat day\n"
    paths = write(tmp_path, base=BASE, ours=ours, theirs=theirs)
    merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert paths["ours"].read_bytes() == ours + b"\n12:00 2026-11-26\nthat day\n"


def test_preamble_first_line_and_bom_are_ours(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    ours = bom + BASE
    theirs = BASE.replace(b".LOG\n", b".LOG  \nLab notes, building D.\n")
    paths = write(tmp_path, base=BASE, ours=ours, theirs=theirs)
    merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert paths["ours"].read_bytes() == bom + BASE.replace(b".LOG\n",
                                                            b".LOG\nLab notes, building D.\n")


def test_check_reports_the_markers_of_git_line_merges_too() -> None:
    """[M1] seven <, = or > alone, or < and > followed by a label, are markers; nothing else."""
    text = (b"10:00 2026-11-26\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> origin/main\n"
            b"<<<<<<<< eight\n======= x\n>>>>>>>\t\n<<<<<<<\n")
    lines = [p.line for p in check(parse(text)) if p.code == "conflict"]
    assert lines == [2, 4, 6, 9, 10]


def test_notes_under_the_magic_changed_in_both_copies_are_a_conflict(run_cli: Runner,
                                                                     tmp_path: Path) -> None:
    ours = BASE.replace(b".LOG\n", b".LOG\nLab notes.\n")
    theirs = BASE.replace(b".LOG\n", b".LOG\nNotes of the lab.\n")
    paths = write(tmp_path, ours=ours, theirs=theirs, empty=b"")
    result = run_cli("merge", str(paths["ours"]), str(paths["empty"]))
    assert result.code == 0
    assert paths["ours"].read_bytes() == ours
    result = run_cli("merge", str(paths["ours"]), str(paths["theirs"]))
    assert result.code == 1
    assert "ours.LOG:1: both copies changed the notes under .LOG" in result.out
    assert paths["ours"].read_bytes().startswith(
        f".LOG\n{OURS_MARK}\nLab notes.\n{SPLIT_MARK}\nNotes of the lab.\n{THEIRS_MARK}\n"
        "09:00 2026-11-26\n".encode())


def test_an_empty_base_is_a_two_way_merge(tmp_path: Path) -> None:
    ours = BASE.replace(b"2), release notes", b"2), release notes (done)")
    paths = write(tmp_path, base=b"", ours=ours, theirs=BASE)
    outcome = merge_files(paths["ours"], paths["theirs"], paths["base"])
    assert [c.what for c in outcome.conflicts] == ["the entry 09:00 2026-11-26"]
    assert len(parse(paths["ours"].read_bytes()).entries) == 2
