"""Dates in the forms EDC systems export, declared as patterns: values, impossible dates, spec errors, a run."""

import pandas as pd
import pytest

import cdisc.sdtm.dates as dates
from cdisc.datepattern import PatternError, compile_pattern
from cdisc.errors import DataError, SpecError
from cdisc.sdtm.dates import InvalidDates, iso8601
from cdisc.spec.load import load_study

from test_sdtm_engine import build_all, replace_in, study_with


def convert(values, form, times=None, time_form="auto", year_cutoff=None):
    time = None if times is None else pd.Series(times, dtype="str")
    out = iso8601(pd.Series(values, dtype="str"), time, form, time_form, year_cutoff)
    return out.fillna("<missing>").tolist()


@pytest.mark.parametrize(
    "form, collected, expected",
    [
        # pattern        collected               ISO 8601
        ("DD-MON-YY",    "15-Sep-20",            "2020-09-15"),
        ("DD-MON-YY",    "15-SEP-49",            "2049-09-15"),
        ("DD-MON-YY",    "01-jan-50",            "1950-01-01"),
        ("DD-MON-YY",    "10-UNK-20",            "2020---10"),
        ("DD-MON-YY",    "UN-UNK-20",            "2020"),
        ("DD-MON-YYYY",  "15-Sep-2020",          "2020-09-15"),
        ("DD-MON-YYYY",  "UN-UNK-2019",          "2019"),
        ("DD-MMM-YYYY",  "15-sEp-2020",          "2020-09-15"),
        ("MM/DD/YYYY",   "09/15/2020",           "2020-09-15"),
        ("MM/DD/YYYY",   "9/5/2020",             "2020-09-05"),
        ("MM/DD/YYYY",   "UN/UN/2020",           "2020"),
        ("DD/MM/YYYY",   "15/09/2020",           "2020-09-15"),
        ("YYYY-MM-DD",   "2020-09-15",           "2020-09-15"),
        ("YYYY-MM-DD",   "2020-09",              "2020-09"),
        ("DDMONYYYY",    "15SEP2020",            "2020-09-15"),
        ("DDMONYYYY",    "5sep2020",             "2020-09-05"),
        ("DDMONYYYY",    "UNUNK2019",            "2019"),
        ("DD-MON-YYYY HH:MM",      "15-Sep-2020 14:05",      "2020-09-15T14:05"),
        ("DD-MON-YYYY HH:MM",      "15-Sep-2020  9:05",      "2020-09-15T09:05"),
        ("YYYY-MM-DD HH:MM:SS",    "2020-09-15 08:05:09",    "2020-09-15T08:05:09"),
        ("YYYY-MM-DDTHH:MI",       "2020-09-15T08:05",       "2020-09-15T08:05"),
        ("MM/DD/YYYY H:MM AM/PM",  "9/15/2020 2:05 PM",      "2020-09-15T14:05"),
        ("MM/DD/YYYY H:MM AM/PM",  "9/15/2020 12:05 am",     "2020-09-15T00:05"),
        ("DDMONYYYY:HH:MM:SS",     "15SEP2020:23:59:59",     "2020-09-15T23:59:59"),
        ("DD-MON-YYYY",  "",                     "<missing>"),
    ],
)
def test_declared_date_patterns(form, collected, expected):
    assert convert([collected], form, year_cutoff=1950) == [expected]


@pytest.mark.parametrize(
    "time_form, collected, expected",
    [
        # time pattern   collected    time part
        ("H:MM",         "9:05",      "T09:05"),
        ("HH:MM",        "09:05",     "T09:05"),
        ("HH:MM:SS",     "09:05:07",  "T09:05:07"),
        ("HH:MM AM/PM",  "09:05 AM",  "T09:05"),
        ("HH:MM AM/PM",  "9:05 pm",   "T21:05"),
        ("HH:MM AM/PM",  "12:30 AM",  "T00:30"),
        ("HH:MM AM/PM",  "12:30 PM",  "T12:30"),
        ("HH:MM AM",     "11:59 P.M.", "T23:59"),
        ("auto",         "14:30",     "T14:30"),
        ("HH:MM",        "UN:UN",     ""),
    ],
)
def test_a_date_column_plus_a_time_column(time_form, collected, expected):
    assert convert(["15-Sep-2020"], "DD-MON-YYYY", [collected], time_form) == ["2020-09-15" + expected]


@pytest.mark.parametrize(
    "form, collected, time_form, time, reason",
    [
        ("DD-MON-YY",      "31-Feb-20",       "auto", None, "no such day in that month"),
        ("DD-MON-YY",      "29-Feb-21",       "auto", None, "no such day in that month"),
        ("DD-MON-YYYY",    "31-Feb-2020",     "auto", None, "no such day in that month"),
        ("DDMONYYYY",      "31FEB2020",       "auto", None, "no such day in that month"),
        ("MM/DD/YYYY",     "02/30/2020",      "auto", None, "no such day in that month"),
        ("DD/MM/YYYY",     "30/02/2020",      "auto", None, "no such day in that month"),
        ("DD/MM/YYYY",     "15/13/2020",      "auto", None, "month out of range"),
        ("YYYY-MM-DD",     "2020-02-30",      "auto", None, "no such day in that month"),
        ("DD-MON-YY",      "15-Sept-20",      "auto", None, "not a recognised date form (expected DD-MON-YY)"),
        ("DD-MON-YY",      "15-SEP-2020",     "auto", None, "not a recognised date form"),
        ("MM/DD/YYYY",     "2020-09-15",      "auto", None, "not a recognised date form (expected MM/DD/YYYY)"),
        ("DD-MON-YY",      "15-XYZ-20",       "auto", None, "unknown month name"),
        ("DD-MON-YYYY HH:MM", "15-Sep-2020 24:00", "auto", None, "hour out of range"),
        ("DD-MON-YYYY",    "15-Sep-2020",     "HH:MM AM/PM", "13:00 PM", "hour out of range for AM/PM"),
        ("DD-MON-YYYY",    "15-Sep-2020",     "HH:MM AM/PM", "00:30 AM", "hour out of range for AM/PM"),
        ("DD-MON-YYYY",    "15-Sep-2020",     "HH:MM AM/PM", "14:30", "not a recognised time form (expected HH:MM AM/PM)"),
        ("DD-MON-YYYY",    "15-Sep-2020",     "H:MM", "9:65", "minute out of range"),
    ],
)
def test_every_form_refuses_impossible_values(form, collected, time_form, time, reason):
    times = None if time is None else ["", time]
    with pytest.raises(InvalidDates) as info:
        convert(["", collected], form, times, time_form, 1950)
    assert info.value.rows.tolist() == [1]
    assert reason in info.value.reasons[0]


def test_several_patterns_are_tried_in_order():
    assert convert(["15-Sep-2020", "09/15/2020", "2020"], ["DD-MON-YYYY", "MM/DD/YYYY", "YYYY"]) == [
        "2020-09-15", "2020-09-15", "2020",
    ]


def test_each_distinct_value_is_parsed_once(monkeypatch):
    seen = []
    real = dates._parts

    def spy(values, *args):
        seen.append(len(values))
        return real(values, *args)

    monkeypatch.setattr(dates, "_parts", spy)
    out = iso8601(pd.Series(["15-Sep-20", "16-Sep-20", None] * 1000, dtype="str"), form="DD-MON-YY", year_cutoff=1950)
    assert seen == [3]
    assert out.iloc[:3].fillna("").tolist() == ["2020-09-15", "2020-09-16", ""]


def test_dates_and_times_are_each_parsed_once_per_distinct_value(monkeypatch):
    seen = []
    real = dates._parts

    def spy(values, *args):
        seen.append(sorted(values.to_pylist()))
        return real(values, *args)

    monkeypatch.setattr(dates, "_parts", spy)
    date = pd.Series(["15-Sep-2020", "16-Sep-2020", "15-Sep-2020", None] * 500, dtype="str")
    time = pd.Series(["10:00", "11:00", "11:00", None] * 500, dtype="str")
    out = iso8601(date, time)
    assert seen == [["", "15-Sep-2020", "16-Sep-2020"], ["", "10:00", "11:00"]]
    assert out.iloc[:4].fillna("").tolist() == ["2020-09-15T10:00", "2020-09-16T11:00", "2020-09-15T11:00", ""]


@pytest.mark.parametrize(
    "text, kind, message",
    [
        ("DD-MMMM-YYYY", "date", "unknown part at 'M-YYYY'"),
        ("DD-MON", "date", "needs a year"),
        ("DD-MON-YYYY-YY", "date", "given twice"),
        ("DD/YYYY", "date", "a day needs a month"),
        ("HH:MM", "date", "needs a year"),
        ("DD:MM", "time", "a time pattern holds only"),
        ("MI:SS", "time", "needs an hour"),
        ("HH:SS", "time", "seconds need minutes"),
    ],
)
def test_unreadable_patterns_say_why(text, kind, message):
    with pytest.raises(PatternError, match=message):
        compile_pattern(text, kind)


def test_two_digit_years_need_the_century_rule():
    with pytest.raises(PatternError, match="two-digit years need a year_cutoff"):
        iso8601(pd.Series(["15-Sep-20"]), form="DD-MON-YY")


AE_SPEC_LINE = "iso8601: {date: AESTDAT, time: AESTTIM}"


def test_a_spec_states_patterns_and_the_century_rule(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "sdtm/ae.yaml", AE_SPEC_LINE,
               "iso8601: {date: AESTDAT, format: DD-MON-YY, year_cutoff: 1950, time: AESTTIM, time_format: H:MM AM/PM}")
    (folder / "raw" / "ae.csv").write_text(
        "SITEID,SUBJID,AEYN,AETERM,AESTDAT,AESTTIM,AESEV,AESER,AEDLT\n"
        "01,001,Y,Headache,15-Sep-20,2:05 PM,Mild,N,N\n"
        "01,001,Y,Nausea,UN-Mar-24,,Mild,N,N\n"
    )
    ae = build_all(folder)["AE"].frame
    assert ae["AESTDTC"].tolist() == ["2020-09-15T14:05", "2024-03"]


def test_an_impossible_date_names_file_rows_and_subjects(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "sdtm/ae.yaml", AE_SPEC_LINE, "iso8601: {date: AESTDAT, format: DD-MON-YY, year_cutoff: 1950}")
    (folder / "raw" / "ae.csv").write_text(
        "SITEID,SUBJID,AEYN,AETERM,AESTDAT,AESTTIM,AESEV,AESER,AEDLT\n"
        "01,001,Y,Headache,15-Sep-20,,Mild,N,N\n"
        "02,003,Y,Nausea,31-Feb-20,,Mild,N,N\n"
    )
    with pytest.raises(DataError) as info:
        build_all(folder)
    message = str(info.value)
    assert "AE.AESTDTC: 1 invalid date(s) in raw AESTDAT at ae.csv rows 3 (subjects MINI-01-02-003)" in message
    assert "'31-Feb-20': no such day in that month" in message


@pytest.mark.parametrize(
    "rule, message",
    [
        ("iso8601: {date: AESTDAT, format: DD-MON-YY}", "pattern DD-MON-YY has a two-digit year: state the century rule"),
        ("iso8601: {date: AESTDAT, format: DD-MNO-YYYY}", "'DD-MNO-YYYY': unknown part at 'MNO-YYYY'"),
        ("iso8601: {date: AESTDAT, time: AESTTIM, format: DD-MON-YYYY HH:MM}", "holds a time, and the time column AESTTIM"),
        ("iso8601: {date: AESTDAT, time: AESTTIM, time_format: DD-MM}", "a time pattern holds only"),
    ],
)
def test_bad_declarations_are_spec_errors_at_the_line(tmp_path, rule, message):
    folder = study_with(tmp_path)
    replace_in(folder, "sdtm/ae.yaml", AE_SPEC_LINE, rule)
    with pytest.raises(SpecError) as info:
        load_study(folder)
    text = str(info.value)
    assert message in text
    assert "ae.yaml:" in text and "AE.AESTDTC" in text


def test_reference_dates_read_declared_patterns(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "study.yaml", "sources: [{table: ex, date: EXSTDAT}]",
               "sources: [{table: ex, date: EXSTDAT, format: [DDMONYYYY, DD-MON-YYYY]}]")
    replace_in(folder, "study.yaml", "sources: [{table: ex, date: EXSTDAT, time: EXSTTIM}]",
               "sources: [{table: ex, date: EXSTDAT, time: EXSTTIM, format: [DDMONYYYY, DD-MON-YYYY]}]")
    replace_in(folder, "raw/ex.csv", "26-MAR-2024", "26MAR2024")
    dm = build_all(folder)["DM"].frame
    assert dm["RFENDTC"].tolist() == ["2024-03-26", "2024-03-07", "2024-03-11"]
