"""Stamp lines in every locale shape (FORMAT.md S1-S5) and writing them back (W1)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worklog.format.document import parse
from worklog.format.stamps import (
    MARKERS,
    Candidate,
    Shape,
    find_stamp_lines,
    infer_day_first,
    parse_stamp_line,
)

T1 = datetime(2014, 2, 10, 13, 27)
T2 = datetime(2014, 2, 3, 9, 5)

# The locale table of Notepad stamps: (locale, 13:27 on 10 Feb 2014, 09:05 on 3 Feb 2014, day_first)
LOCALES = [
    ("en-US", "1:27 PM 2/10/2014", "9:05 AM 2/3/2014", False),
    ("en-GB", "13:27 10/02/2014", "09:05 03/02/2014", True),
    ("en-AU", "1:27 PM 10/02/2014", "9:05 AM 3/02/2014", True),
    ("de-DE", "13:27 10.02.2014", "09:05 03.02.2014", True),
    ("ru-RU", "13:27 10.02.2014", "9:05 03.02.2014", True),
    ("es-ES", "13:27 10/02/2014", "9:05 03/02/2014", True),
    ("sv-SE", "13:27 2014-02-10", "09:05 2014-02-03", True),
    ("fi-FI", "13:27 10.2.2014", "9:05 3.2.2014", True),
    ("nl-NL", "13:27 10-2-2014", "9:05 3-2-2014", True),
    ("ja-JP", "13:27 2014/02/10", "9:05 2014/02/03", True),
    ("zh-CN", "13:27 2014/2/10", "9:05 2014/2/3", True),
    ("zh-CN-old", "13:27 2014-2-10", "9:05 2014-2-3", True),
    ("zh-TW", "下午 01:27 2014/2/10", "上午 09:05 2014/2/3", True),
    ("ko-KR", "오후 1:27 2014-02-10", "오전 9:05 2014-02-03", True),
]


@pytest.mark.parametrize(("locale", "afternoon", "morning", "day_first"), LOCALES)
def test_every_locale_shape_is_a_stamp_line(
    locale: str, afternoon: str, morning: str, day_first: bool
) -> None:
    """[S1] [S2] [S3] each shape of the locale table reads as the right time."""
    for text, when in ((afternoon, T1), (morning, T2)):
        stamp = parse_stamp_line(text, day_first)
        assert stamp is not None, (locale, text)
        assert stamp.when == when, (locale, text)
        assert stamp.text == text


@pytest.mark.parametrize(("locale", "afternoon", "morning", "day_first"), LOCALES)
def test_writing_in_a_shape_gives_the_locale_stamp_back(
    locale: str, afternoon: str, morning: str, day_first: bool
) -> None:
    """[W1] a stamp written in a file's shape is what Notepad itself writes in that locale."""
    data = f".LOG\n{morning}\nfirst\n\n{afternoon}\nsecond\n".encode()
    doc = parse(data)
    assert [e.stamp.when for e in doc.entries] == [T2, T1], locale
    shape = doc.writing_shape()
    assert shape.format(T1) == afternoon, locale
    assert shape.format(T2) == morning, locale


def test_trailing_whitespace_and_direction_marks() -> None:
    """[S1] trailing spaces/tabs are allowed; direction marks are ignored for matching."""
    assert parse_stamp_line("13:27 2014-02-10  \t") is not None
    marked = "\u200f13:27\u200e 2014-02-10\u200e"
    stamp = parse_stamp_line(marked)
    assert stamp is not None
    assert stamp.when == T1


@pytest.mark.parametrize(
    "line",
    [
        " 13:27 2014-02-10",  # indented
        "\t13:27 2014-02-10",
        "13:27 2014-02-10 meeting",  # text after the stamp
        "see 13:27 2014-02-10",
        "13:27",
        "2014-02-10",
        "13:27 14-02-10",  # two-digit year
        "13:27 2014-02/10",  # mixed separators
        "1:27 PM 2/10/14",  # CLDR short year: never written by Notepad
        "1:27 pm 2/10/2014",  # lower case marker
    ],
)
def test_what_is_not_a_stamp_line(line: str) -> None:
    """[S1] only a whole, unindented stamp is a stamp line."""
    assert parse_stamp_line(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "10:00 2014-02-30",
        "25:10 2014-02-10",
        "13:60 2014-02-10",
        "13:00 PM 2/10/2014",
        "0:30 AM 2/10/2014",
        "10:00 2014-13-01",
        "10:00 31/02/2014",
    ],
)
def test_impossible_dates_and_times_are_text(line: str) -> None:
    """[S5] a stamp-shaped line naming an impossible time or date is text."""
    assert parse_stamp_line(line, True) is None
    doc = parse(f".LOG\n09:00 2014-02-01\nnote\n{line}\nmore\n".encode())
    assert len(doc.entries) == 1
    assert line in doc.entries[0].text
    assert doc.rejected == [(4, line)]


def test_twelve_hour_clock_edges() -> None:
    """[S2] 12 AM is midnight, 12 PM is noon; markers before the time work the same."""
    assert parse_stamp_line("12:20 AM 2/3/2014", False).when == datetime(2014, 2, 3, 0, 20)  # type: ignore[union-attr]
    assert parse_stamp_line("12:20 PM 2/3/2014", False).when == datetime(2014, 2, 3, 12, 20)  # type: ignore[union-attr]
    assert parse_stamp_line("오후 12:10 2014-02-03").when == datetime(2014, 2, 3, 12, 10)  # type: ignore[union-attr]
    assert parse_stamp_line("午後 1:27 2014/02/10").when == T1  # type: ignore[union-attr]


def _candidates(*lines: str) -> list[Candidate]:
    return [Candidate(m) for m in find_stamp_lines("\n" + "\n".join(lines) + "\n")]


def test_day_order_from_a_field_over_twelve() -> None:
    """[S4] a first field over 12 means day-first, a second one month-first."""
    assert infer_day_first(_candidates("09:05 03/02/2014", "10:00 17/02/2014")) == (True, True)
    assert infer_day_first(_candidates("9:05 AM 2/3/2014", "1:27 PM 2/17/2014")) == (False, True)


def test_day_order_from_time_order() -> None:
    """[S4] without a field over 12, the order that keeps the stamps in time order wins."""
    # Day-first: 3 Feb, 4 Feb, 5 Feb... in order; month-first: 2 Mar, 2 Apr, 2 May also in order.
    # Make only day-first consistent: 01/02 (1 Feb) then 02/02 then 01/03 (1 Mar).
    day_first_lines = ("10:00 01/02/2014", "10:00 02/02/2014", "10:00 01/03/2014")
    assert infer_day_first(_candidates(*day_first_lines)) == (True, True)
    month_first_lines = ("10:00 02/01/2014", "10:00 02/02/2014", "10:00 03/01/2014")
    assert infer_day_first(_candidates(*month_first_lines)) == (False, True)


def test_day_order_undecidable_falls_back_by_locale_habit() -> None:
    """[S4] no evidence: en-US style (AM/PM after the time, '/') is month-first, else
    day-first; check reports it as undecided."""
    assert infer_day_first(_candidates("9:05 AM 2/3/2014")) == (False, False)
    assert infer_day_first(_candidates("09:05 03.02.2014")) == (True, False)
    # Both fields equal: nothing is ambiguous.
    assert infer_day_first(_candidates("09:05 03.03.2014")) == (True, True)


def test_day_order_configuration_overrides() -> None:
    """[S4] the configuration decides over the file."""
    cands = _candidates("09:05 03/02/2014", "10:00 17/02/2014")
    assert infer_day_first(cands, configured=False) == (False, True)
    doc = parse(b".LOG\n09:05 03/02/2014\nx\n")
    assert doc.entries[0].stamp.when == datetime(2014, 2, 3, 9, 5)


def test_padding_unknown_in_latest_stamp_comes_from_earlier_ones() -> None:
    """[W1] '10:27 AM' cannot show whether the hour is padded: an earlier '9:05 AM' can."""
    doc = parse(b".LOG\n9:05 AM 2/3/2014\na\n\n10:27 AM 12/11/2014\nb\n")
    assert doc.writing_shape().format(datetime(2014, 2, 3, 8, 1)) == "8:01 AM 2/3/2014"
    iso = parse(b".LOG\n13:27 2014-12-10\nb\n")
    assert iso.writing_shape().format(datetime(2015, 1, 2, 8, 1)) == "08:01 2015-01-02"


SHAPES = st.builds(
    Shape,
    order=st.sampled_from(["ymd", "dmy", "mdy"]),
    sep=st.sampled_from(["-", "/", "."]),
    marker_pos=st.sampled_from(["none", "before", "after"]),
    markers=st.sampled_from(MARKERS),
    hour_pad=st.booleans(), month_pad=st.booleans(), day_pad=st.booleans(),
    time_sep=st.sampled_from([":", "."]),
)


@given(shape=SHAPES, when=st.datetimes(min_value=datetime(1980, 1, 1),
                                       max_value=datetime(2099, 12, 31)))
def test_a_stamp_reads_back_in_the_shape_it_was_written_in(shape: Shape, when: datetime) -> None:
    """Every shape a stamp can be written in parses back to its time and a shape that
    writes the same text (shapes are shared between stamps: never one of another's)."""
    when = when.replace(second=0, microsecond=0)
    text = shape.format(when)
    stamp = parse_stamp_line(text, day_first=shape.order == "dmy")
    if shape.time_sep == "." and shape.sep != ".":
        assert stamp is None  # S2: such a line is text
        return
    assert stamp is not None
    assert (stamp.when, stamp.text, stamp.has_time) == (when, text, True)
    assert stamp.shape.format(when) == text
    assert (stamp.shape.order, stamp.shape.sep, stamp.shape.time_sep) == (
        shape.order, shape.sep, shape.time_sep)
    assert stamp.shape.marker_pos == shape.marker_pos
    if shape.marker_pos != "none":
        assert stamp.shape.markers == shape.markers
    for pad, value in (("hour_pad", when.hour if shape.marker_pos == "none"
                        else when.hour % 12 or 12), ("month_pad", when.month),
                       ("day_pad", when.day)):
        assert getattr(stamp.shape, pad) == (None if value >= 10 else getattr(shape, pad))
