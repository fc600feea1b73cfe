"""ISO 8601 from EDC date text: forms, partial dates, impossible dates, and properties over all dates."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdisc.sdtm.dates import InvalidDates, date_part, iso8601

MON = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def convert(dates, times=None):
    date = pd.Series(dates, dtype="str")
    time = None if times is None else pd.Series(times, dtype="str")
    return iso8601(date, time).fillna("<missing>").tolist()


@pytest.mark.parametrize(
    "date, time, expected",
    [
        ("05-MAR-2024", None, "2024-03-05"),
        ("5-mar-2024", None, "2024-03-05"),
        (" 05-Mar-2024 ", None, "2024-03-05"),
        ("05/MAR/2024", None, "2024-03-05"),
        ("05-MAR-2024", "14:30", "2024-03-05T14:30"),
        ("05-MAR-2024", "9:05:07", "2024-03-05T09:05:07"),
        ("05-MAR-2024", "UN:UN", "2024-03-05"),
        ("05-MAR-2024", "14:UN", "2024-03-05T14"),
        ("UN-MAR-2024", None, "2024-03"),
        ("UNK-MAR-2024", None, "2024-03"),
        ("UN-UNK-2024", None, "2024"),
        ("15-UNK-2024", None, "2024---15"),
        ("UN-MAR-2024", "10:00", "2024-03--T10:00"),
        ("UN-UNK-UNKN", None, "<missing>"),
        ("2024-03-05", None, "2024-03-05"),
        ("2024-03", None, "2024-03"),
        ("2024", None, "2024"),
        ("2024-03-05T10:11:12", None, "2024-03-05T10:11:12"),
        ("29-FEB-2024", None, "2024-02-29"),
        (None, None, "<missing>"),
    ],
)
def test_forms(date, time, expected):
    assert convert([date], None if time is None else [time]) == [expected]


@pytest.mark.parametrize(
    "date, time, reason",
    [
        ("31-FEB-2024", None, "no such day in that month"),
        ("29-FEB-2023", None, "no such day in that month"),
        ("2024-13-01", None, "month out of range"),
        ("2024-13", None, "month out of range"),
        ("01-FOO-2024", None, "unknown month name"),
        ("32-JAN-2024", None, "day out of range"),
        ("", "10:00", "a time without a date"),
        ("2024/03/05", None, "not a recognised date form"),
        ("yesterday", None, "not a recognised date form"),
        ("05-MAR-2024", "25:00", "hour out of range"),
        ("05-MAR-2024", "10:61", "minute out of range"),
        ("05-MAR-2024", "noon", "not a recognised time form"),
    ],
)
def test_impossible_values_are_reported(date, time, reason):
    with pytest.raises(InvalidDates) as info:
        convert(["01-JAN-2024", date], None if time is None else ["", time])
    assert info.value.rows.tolist() == [1]
    assert reason in info.value.reasons[0]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)), st.booleans())
def test_every_real_date_round_trips(day, iso_form):
    text = day.isoformat() if iso_form else f"{day.day:02d}-{MON[day.month - 1]}-{day.year}"
    assert convert([text]) == [day.isoformat()]


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.sampled_from(["day", "month", "both", "none"]),
    st.times().map(lambda t: t.replace(microsecond=0)) | st.none(),
)
def test_partial_dates_are_kept_as_collected(day, unknown, time):
    d = "UN" if unknown in ("day", "both") else f"{day.day:02d}"
    m = "UNK" if unknown in ("month", "both") else MON[day.month - 1]
    clock = None if time is None else [time.strftime("%H:%M:%S")]
    result = convert([f"{d}-{m}-{day.year}"], clock)[0]
    expected_date = {
        "none": day.isoformat(),
        "day": f"{day.year}-{day.month:02d}",
        "month": f"{day.year}---{day.day:02d}",
        "both": f"{day.year}",
    }[unknown]
    y, mo, da = f"{day.year}", f"{day.month:02d}", f"{day.day:02d}"
    with_time = {"none": f"{y}-{mo}-{da}", "day": f"{y}-{mo}--", "month": f"{y}---{da}", "both": f"{y}----"}[unknown]
    if time is None:
        assert result == expected_date
    else:
        assert result == f"{with_time}T{time.strftime('%H:%M:%S')}"


def test_date_part_ignores_partial_dates():
    parts = date_part(pd.Series(["2024-03-05T10:00", "2024-03", None, "2024---15"], dtype="str"))
    assert parts.iloc[0] == pd.Timestamp("2024-03-05")
    assert parts.iloc[1:].isna().all()
