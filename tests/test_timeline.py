"""worklog.history.timeline: bounded and streamed reads give what a parse of the whole file
gives, on logs in time order and on logs with stamps out of order."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES, Runner, sample_names
from worklog.format.document import Entry, ParseOptions, parse
from worklog.history import tags as tags_module
from worklog.history import timeline
from worklog.history.tags import log_tags, tag_uses
from worklog.history.timeline import Timeline

SHAPES = {  # how a locale writes stamps (strftime), with a day over 12 to tell the order
    "iso": "%H:%M %Y-%m-%d",
    "de": "%H:%M %d.%m.%Y",
    "us": "%I:%M %p %m/%d/%Y",
}
BODIES = [
    "plain text", "GTD\n1, today\n1), 10:20-11:00 coding. see\"{link}\"",
    "Olaf Kirch über snapshots",
    "25:99 2014-02-30", "  indented 10:00 2014-02-11", "", "rpm -ql virt-utils\n/usr/bin/x",
]
FIRST = date(2014, 2, 1)
FIXTURES = [HealthCheck.function_scoped_fixture]  # small_pieces holds for every example


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces, chunks and the stretch left to walk far smaller than the logs, and a short
    guard, so that every seek halves, walks and guards on a few hundred bytes."""
    monkeypatch.setattr(timeline, "WINDOW", 64)
    monkeypatch.setattr(timeline, "BACK_CHUNK", 64)
    monkeypatch.setattr(timeline, "SEEK_BELOW", 16)
    monkeypatch.setattr(timeline, "GUARD", 4)


def render(days: list[int], shape: str, newline: str, seed: int) -> str:
    rng = random.Random(seed)
    parts = [".LOG"]
    for n, offset in enumerate(days):
        when = datetime.combine(FIRST + timedelta(days=offset), datetime.min.time()) + timedelta(
            minutes=rng.randrange(24 * 60))
        link = (when - timedelta(days=rng.randrange(3))).strftime(SHAPES[shape])
        body = rng.choice(BODIES).format(link=link)
        tags = rng.choice(["", "GTD", "kvm, Snapshot", "email"])
        parts += [when.strftime(SHAPES[shape]), *([tags] if tags or n % 2 else []), body, ""]
    return newline.join(parts) + newline


def entry_row(entry: Entry) -> tuple[Any, ...]:
    return (entry.line, entry.stamp.when, entry.source, entry.tags, entry.links, entry.kind)


def full(data: bytes, since: date | None, until: date | None) -> list[tuple[Any, ...]]:
    return [entry_row(e) for e in parse(data).entries
            if (since is None or e.day >= since) and (until is None or e.day <= until)]


def bounded(data: bytes, since: date | None, until: date | None) -> list[tuple[Any, ...]]:
    return [entry_row(e) for e in Timeline(data, ParseOptions()).entries(since, until)
            if (since is None or e.day >= since) and (until is None or e.day <= until)]


def shuffled_within(days: list[int], block: int, rng: random.Random) -> list[int]:
    """``days`` with each run of ``block`` entries shuffled: no stamp has ``block`` or more
    entries after it of an earlier day, nor before it of a later one."""
    out: list[int] = []
    for low in range(0, len(days), block):
        run = days[low : low + block]
        rng.shuffle(run)
        out += run
    return out


LOGS = st.fixed_dictionaries({
    "gaps": st.lists(st.integers(0, 2), min_size=1, max_size=80),
    "shape": st.sampled_from(sorted(SHAPES)),
    "newline": st.sampled_from(["\n", "\r\n", "\r"]),
    "encoding": st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    "magic": st.booleans(),
    "seed": st.integers(0, 1000),
    "since": st.none() | st.integers(-2, 170) | st.floats(0, 1),
    "until": st.none() | st.integers(-2, 170) | st.floats(0, 1),
})


def _make(log: dict[str, Any], order: str) -> tuple[bytes, date | None, date | None]:
    days: list[int] = []
    for gap in log["gaps"]:
        days.append((days[-1] if days else 0) + gap)
    rng = random.Random(log["seed"])
    if order == "near":
        days = shuffled_within(days, 4, rng)  # the guard's length (small_pieces)
    elif order == "far" and len(days) > 1:
        days.insert(rng.randrange(len(days)), days.pop(rng.randrange(len(days))) + 60)
    text = render(days, log["shape"], log["newline"], log["seed"])
    if not log["magic"]:  # the first line a stamp line
        text = text.removeprefix(".LOG" + log["newline"])
    data = text.encode(log["encoding"])  # utf-16 and utf-8-sig: with a BOM
    since, until = (_day(log[k], days) for k in ("since", "until"))
    return data, since, until


def _day(chosen: int | float | None, days: list[int]) -> date | None:
    """A day given as an offset, or as a place in the file (the day of an entry there)."""
    if chosen is None:
        return None
    if isinstance(chosen, float):
        chosen = days[int(chosen * (len(days) - 1))]
    return FIRST + timedelta(days=chosen)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(log=LOGS)
def test_bounded_reads_match_a_full_parse_in_order(small_pieces: None, log: dict[str, Any]) -> None:
    data, since, until = _make(log, "sorted")
    assert bounded(data, since, until) == full(data, since, until)


@pytest.mark.parametrize("probes", ["checked", "trusted"])
@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(log=LOGS)
def test_bounded_reads_match_a_full_parse_out_of_order(
        small_pieces: None, monkeypatch: pytest.MonkeyPatch, probes: str,
        log: dict[str, Any]) -> None:
    """Stamps out of order by fewer entries than the guard are found past the bound: with
    the order of the probes checked (on these small logs they often see the disorder and
    everything is read), and with it trusted, where the guard alone must find them."""
    if probes == "trusted":
        monkeypatch.setattr(Timeline, "_in_order", lambda self, probes: True)
    data, since, until = _make(log, "near")
    assert bounded(data, since, until) == full(data, since, until)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURES)
@given(log=LOGS)
def test_far_out_of_order_stamps_never_add_entries(small_pieces: None,
                                                    log: dict[str, Any]) -> None:
    """A stamp far from its place in time (``check`` reports it) may be missed by a
    bounded read unless the probes see the disorder; what is read is still right."""
    data, since, until = _make(log, "far")
    got, want = bounded(data, since, until), full(data, since, until)
    assert all(row in want for row in got)
    if since is None and until is None:
        assert got == want


def _days(n: int) -> Iterator[int]:
    return iter(range(n))


def test_a_seek_reads_only_its_period(small_pieces: None) -> None:
    """On a log in order the stretch read starts at the day and ends after it."""
    text = render(list(_days(200)), "iso", "\n", 1)
    data = text.encode()
    tl = Timeline(data)
    bounds = tl.bounds(FIRST + timedelta(days=100), FIRST + timedelta(days=109))
    got = [e.day for e in tl.read(bounds)]
    assert got[0] == FIRST + timedelta(days=100)
    assert got[-1] <= FIRST + timedelta(days=109 + 4)  # at most the guard past the bound
    assert bounds.first_line == text[: bounds.start].count("\n") + 1
    assert bounded(data, FIRST + timedelta(days=100), None) == full(
        data, FIRST + timedelta(days=100), None)


def test_probes_out_of_order_read_everything(small_pieces: None) -> None:
    """Two histories one after the other: the probes see days going back, so the whole
    file is read, and the answer is still every entry of the period."""
    first = render(list(_days(100)), "iso", "\n", 2)
    again = render(list(_days(100)), "iso", "\n", 3).removeprefix(".LOG\n")
    data = (first + again).encode()
    since = FIRST + timedelta(days=50)
    assert Timeline(data).bounds(since, None).start == 0
    assert bounded(data, since, since) == full(data, since, since)


@pytest.mark.parametrize("name", sample_names())
def test_samples_stream_as_parsed(small_pieces: None, name: str) -> None:
    data = (SAMPLES / name).read_bytes()
    assert bounded(data, None, None) == full(data, None, None)


def test_export_since_matches_full_parse(run_cli: Runner, tmp_path: Path) -> None:
    """The CLI's bounded export is the full export filtered (same lines, same text)."""
    import json  # noqa: PLC0415

    path = tmp_path / "w.LOG"
    path.write_bytes(render(shuffled_within(list(_days(120)), 3, random.Random(5)), "de",
                            "\r\n", 4).encode("cp1252"))
    every = json.loads(run_cli("--file", str(path), "export").out)
    part = json.loads(run_cli("--file", str(path), "export", "--since", "2014-04-01",
                              "--until", "2014-04-30").out)
    assert part == [r for r in every if "2014-04-01" <= r["stamp"][:10] <= "2014-04-30"]
    assert part


def _parsed_tags(data: bytes) -> list[Any]:
    return tag_uses((e.tags, e.stamp.when, e.line) for e in parse(data).entries)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(log=LOGS)
def test_tags_from_stamp_lines_match_the_parsed_entries(small_pieces: None,
                                                         log: dict[str, Any]) -> None:
    """``tags`` reads only the line after each stamp line: the same uses, lines and
    times as the tags of the parsed entries."""
    data, _, _ = _make(log, "near")
    assert log_tags(Timeline(data)) == _parsed_tags(data)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(log=LOGS, known=st.integers(1, 3))
def test_tags_remembered_per_line_match_the_parsed_entries(
        small_pieces: None, monkeypatch: pytest.MonkeyPatch, log: dict[str, Any],
        known: int) -> None:
    """``tags`` reads each distinct second line once and forgets them when it holds
    ``KNOWN_LINES``: the same uses as the parsed entries, however often it forgets."""
    monkeypatch.setattr(tags_module, "KNOWN_LINES", known)
    data, _, _ = _make(log, "near")
    assert log_tags(Timeline(data)) == _parsed_tags(data)


@pytest.mark.parametrize("name", sample_names())
def test_sample_tags_match_the_parsed_entries(name: str) -> None:
    data = (SAMPLES / name).read_bytes()
    assert log_tags(Timeline(data)) == _parsed_tags(data)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURES)
@given(log=LOGS)
def test_stamps_from_stamp_lines_match_the_parsed_entries(small_pieces: None,
                                                           log: dict[str, Any]) -> None:
    """The link targets of Markdown and iCalendar come from the stamp lines alone: the
    same times as the parsed entries' stamps, within the same bounds."""
    data, since, until = _make(log, "near")
    tl = Timeline(data)
    bounds = tl.bounds(since, until)
    stamps = tl.stamps(bounds)
    if stamps is None:  # UTF-16: read from the entries instead
        assert log["encoding"] == "utf-16"
        return
    assert list(stamps) == [e.stamp.when for e in tl.read(bounds)]
