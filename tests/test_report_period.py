"""``report`` of a period over a bounded read (``worklog.history.report_period``) gives
what the report over a parse of the whole file gives: on logs in time order and on logs
with stamps out of order, at the period's edges (plans written twice a day, ranges past
midnight, items carried from earlier days, links to entries before the period, e-mails
whose Date: lies in the period)."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Runner
from tests.test_timeline import SHAPES, shuffled_within
from worklog.day import report as rp
from worklog.day.evidence import evidence
from worklog.format.document import ParseOptions, parse
from worklog.history import timeline
from worklog.history.report_period import period_report
from worklog.history.timeline import Timeline

FIRST = date(2014, 2, 1)
FIXTURES = [HealthCheck.function_scoped_fixture]
TASKS = ["review the qemu patch", "vmbackup: prune", "mail", "write the note."]


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeks that halve, walk and guard on a few hundred bytes (as in test_timeline)."""
    monkeypatch.setattr(timeline, "WINDOW", 64)
    monkeypatch.setattr(timeline, "BACK_CHUNK", 64)
    monkeypatch.setattr(timeline, "SEEK_BELOW", 16)
    monkeypatch.setattr(timeline, "GUARD", 4)


def _plan(rng: random.Random, when: datetime, stamps: list[datetime], shape: str) -> str:
    lines = ["GTD" + rng.choice(["", ", kvm", ", Lab"]), "0, 8:50", "", "1, today"]
    for n in range(1, rng.randrange(1, 5) + 1):
        start = rng.choice([(9, 5), (13, 0), (23, 30), (17, 45)])
        end = rng.choice([(10, 40), (0, 30), (16, 5), None, (8, 0)])
        rng_text = f"{start[0]}:{start[1]:02d}-" + ("" if end is None else
                                                     f"{end[0]}:{end[1]:02d}")
        text = rng.choice(TASKS)
        if stamps and rng.random() < 0.6:  # a link to an entry, often of an earlier day
            text += f' see"{rng.choice(stamps).strftime(SHAPES[shape])}"'
        if rng.random() < 0.3:
            text += f" (from {when.date() - timedelta(days=rng.randrange(1, 9))})"
        state = rng.choice(["", " (done)", " (dropped)"]) if end is not None else ""
        lines.append(f"{n}), {rng_text if rng.random() < 0.8 else ''} {text}{state}")
    return "\n".join(lines)


def _email(rng: random.Random, when: datetime) -> str:
    sent = when - timedelta(days=rng.randrange(0, 4), minutes=rng.randrange(600))
    return f'"Olaf Kirch"_email_"Re: snapshots"_{sent:%Y%m%d_%H%M}\nthe text'


def render(days: list[int], shape: str, newline: str, seed: int) -> str:
    rng = random.Random(seed)
    parts = [".LOG"]
    stamps: list[datetime] = []
    for offset in days:
        when = datetime.combine(FIRST + timedelta(days=offset), datetime.min.time()) + timedelta(
            minutes=rng.randrange(24 * 60))
        kind = rng.random()
        if kind < 0.5:
            body = _plan(rng, when, stamps, shape)
        elif kind < 0.65:
            body = _email(rng, when)
        else:
            body = rng.choice(["kvm, Snapshot\nsnapshot of web01", "a note", "Lab\nracks"])
        parts += [when.strftime(SHAPES[shape]), body, ""]
        stamps.append(when)
    return newline.join(parts) + newline


LOGS = st.fixed_dictionaries({
    "gaps": st.lists(st.integers(0, 2), min_size=1, max_size=60),
    "shape": st.sampled_from(sorted(SHAPES)),
    "newline": st.sampled_from(["\n", "\r\n", "\r"]),
    "encoding": st.sampled_from(["utf-8", "cp1252", "utf-16"]),
    "seed": st.integers(0, 1000),
    "since": st.none() | st.floats(0, 1) | st.integers(-2, 130),
    "length": st.integers(0, 40),
    "by": st.sampled_from(rp.BY_CHOICES),
})


def _make(log: dict[str, Any], order: str) -> tuple[bytes, date, date]:
    days: list[int] = []
    for gap in log["gaps"]:
        days.append((days[-1] if days else 0) + gap)
    if order == "near":
        days = shuffled_within(days, 4, random.Random(log["seed"]))  # the guard's length
    data = render(days, log["shape"], log["newline"], log["seed"]).encode(log["encoding"])
    chosen = log["since"]
    if chosen is None:
        return data, date.min, FIRST + timedelta(days=log["length"])
    if isinstance(chosen, float):
        chosen = days[int(chosen * (len(days) - 1))]
    since = FIRST + timedelta(days=chosen)
    return data, since, since + timedelta(days=log["length"])


def _plain(found: list[Any] | None) -> Any:
    """Evidence without the plan entries themselves (entries compare by identity)."""
    return [dataclasses.replace(day, idle=tuple(dataclasses.replace(w, plan=w.plan.line)
                                                for w in day.idle)) for day in found or []]


def _same_as_full(data: bytes, since: date, until: date, by: rp.By) -> None:
    entries = parse(data).entries
    read = period_report(Timeline(data, ParseOptions()), since, until, by, round_to=15,
                         target=[480] * 5 + [0, 0], with_evidence=True)
    assert read.report == rp.build(entries, since, until, by, round_to=15,
                                   target=[480] * 5 + [0, 0])
    assert _plain(read.evidence) == _plain(evidence(entries, since, until))
    alone = period_report(Timeline(data, ParseOptions()), since, until, by).report
    assert alone == rp.build(entries, since, until, by)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(log=LOGS)
def test_a_period_report_matches_a_full_parse_in_order(small_pieces: None,
                                                        log: dict[str, Any]) -> None:
    data, since, until = _make(log, "sorted")
    _same_as_full(data, since, until, log["by"])


@pytest.mark.parametrize("probes", ["checked", "trusted"])
@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(log=LOGS)
def test_a_period_report_matches_a_full_parse_out_of_order(
        small_pieces: None, monkeypatch: pytest.MonkeyPatch, probes: str,
        log: dict[str, Any]) -> None:
    """Stamps out of order by fewer entries than the guard: with the probes' order
    checked (often everything is read) and trusted (the guard alone finds them)."""
    if probes == "trusted":
        monkeypatch.setattr(Timeline, "_in_order", lambda self, probes: True)
    data, since, until = _make(log, "near")
    _same_as_full(data, since, until, log["by"])


def test_the_first_day_counts_its_own_plans_only(small_pieces: None, run_cli: Runner,
                                                 tmp_path: Path) -> None:
    """A plan stamped the evening before the period does not count for its first day;
    the latest plan of the first day does; a range of the day before past midnight
    covers the first morning's note (it is not activity outside every range)."""
    path = tmp_path / "w.LOG"
    earlier = "".join(f"10:00 2026-10-{day:02d}\nGTD\n1, today\n1), 9:00-9:30 filler\n\n"
                      for day in range(1, 31))
    path.write_text(".LOG\n\n" + earlier +
                    "23:50 2026-11-09\nGTD\n1, today\n1), 9:00-10:00 old plan\n"
                    "2), 23:00-1:00 late fix\n\n"
                    "00:20 2026-11-10\nafter midnight\n\n"
                    "08:00 2026-11-10\nGTD\n1, today\n1), 9:00-12:00 first plan\n\n"
                    "12:00 2026-11-10\nGTD\n1, today\n1), 9:00-11:00 second plan\n\n"
                    "11:30 2026-11-11\nGTD\n1, today\n1), 9:00-9:30 next day\n")
    got = json.loads(run_cli("--file", str(path), "report", "--since", "2026-11-10",
                             "--until", "2026-11-10", "--by", "item", "--evidence",
                             "--json").out)
    assert [(row["key"], row["minutes"]) for row in got["rows"]] == [("second plan", 120)]
    assert got["evidence"] == [{"date": "2026-11-10", "outside": [], "idle": [
        {"n": 1, "item": "second plan", "start": "09:00", "end": "11:00"}]}]
