"""The tests: pivot of a findings domain, all tests made in one pass: a wide form (one raw column per test) gives one
record per test with a result, each with its own unit and standard; blank columns, rows with no result and duplicate
keys; the first test's error is the one reported when several tests have one."""

import pandas as pd
import pytest
from test_sdtm_engine import build_all, replace_in, study_with

from cdisc.errors import DataError

# One vital signs page per row; WEIGHT is never filled in, subject 002's first page is empty.
VS_RAW = """SITEID,SUBJID,VSDAT,SYSBP,PULSE,TEMP,TEMPU,WEIGHT
01,001,05-MAR-2024,120,,98.6,F,
01,001,12-MAR-2024, 118 ,64,37.0,C,
01,002,07-MAR-2024,,,,,
01,002,14-MAR-2024,<90,70,,,
"""
VS_SPEC = """dataset: VS
label: Vital Signs
class: FINDINGS
structure: One record per vital sign measurement per time point per visit per subject
keys: [STUDYID, USUBJID, VSTESTCD, VSDTC]
source: {table: vs}
tests:
  - {testcd: SYSBP, test: Systolic Blood Pressure, result: SYSBP, unit: mmHg}
  - {testcd: TEMP, test: Temperature, result: TEMP, unit: {from: TEMPU}, standard: {unit: C, convert: {F: "(x - 32) * 5 / 9"}, digits: 1}}
  - {testcd: PULSE, test: Pulse Rate, result: PULSE, unit: beats/min}
  - {testcd: WEIGHT, test: Weight, result: WEIGHT, unit: kg}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}
  - {name: VSTESTCD, label: Vital Signs Test Short Name, type: text, origin: Assigned, test: testcd}
  - {name: VSTEST, label: Vital Signs Test Name, type: text, origin: Assigned, test: test}
  - {name: VSORRES, label: Result or Finding in Original Units, type: text, origin: Collected, test: orres}
  - {name: VSORRESU, label: Original Units, type: text, origin: Collected, test: orresu}
  - {name: VSSTRESC, label: Character Result/Finding in Std Format, type: text, origin: Derived, test: stresc}
  - {name: VSSTRESN, label: Numeric Result/Finding in Standard Units, type: float, origin: Derived, test: stresn}
  - {name: VSSTRESU, label: Standard Units, type: text, origin: Derived, test: stresu}
  - {name: VSDTC, label: Date/Time of Measurements, type: datetime, origin: Collected, iso8601: VSDAT}
"""
COLUMNS = ["USUBJID", "VSTESTCD", "VSDTC", "VSORRES", "VSORRESU", "VSSTRESC", "VSSTRESN", "VSSTRESU"]
NA = float("nan")


@pytest.fixture
def vitals(tmp_path):
    return study_with(tmp_path, {"raw/vs.csv": VS_RAW, "sdtm/vs.yaml": VS_SPEC})


def test_a_wide_form_gives_a_record_per_test_with_a_result_each_with_its_own_unit_and_standard(vitals):
    vs = build_all(vitals)["VS"]
    expected = pd.DataFrame(
        [
            ["MINI-01-01-001", "PULSE", "2024-03-12", "64", "beats/min", "64", 64.0, "beats/min"],
            ["MINI-01-01-001", "SYSBP", "2024-03-05", "120", "mmHg", "120", 120.0, "mmHg"],
            ["MINI-01-01-001", "SYSBP", "2024-03-12", "118", "mmHg", "118", 118.0, "mmHg"],  # blanks around it go
            ["MINI-01-01-001", "TEMP", "2024-03-05", "98.6", "F", "37", 37.0, "C"],  # converted: short text
            ["MINI-01-01-001", "TEMP", "2024-03-12", "37.0", "C", "37.0", 37.0, "C"],  # as collected: its precision
            ["MINI-01-01-002", "PULSE", "2024-03-14", "70", "beats/min", "70", 70.0, "beats/min"],
            ["MINI-01-01-002", "SYSBP", "2024-03-14", "<90", "mmHg", "<90", NA, "mmHg"],  # below a limit: no number
        ],
        columns=COLUMNS,
    )
    pd.testing.assert_frame_equal(vs.frame[COLUMNS], expected, check_dtype=False)
    assert vs.frame["VSTEST"].tolist()[:4] == ["Pulse Rate", "Systolic Blood Pressure", "Systolic Blood Pressure", "Temperature"]


def test_records_carry_their_raw_row_and_a_row_with_no_result_is_excluded(vitals):
    vs = build_all(vitals)["VS"]
    assert vs.lineage["@row"].tolist() == [3, 2, 3, 2, 3, 5, 5]  # a page's row behind each of its tests' records
    assert vs.excluded[["@row", "reason"]].values.tolist() == [[4, "no result for any test on this row"]]


def test_a_test_whose_column_is_blank_on_every_row_gives_no_record(vitals):
    vs = build_all(vitals)["VS"]
    assert "WEIGHT" not in set(vs.frame["VSTESTCD"])


def test_a_subject_with_no_result_at_all_has_no_record(vitals):
    replace_in(vitals, "raw/vs.csv", "01,002,14-MAR-2024,<90,70,,,", "01,002,14-MAR-2024,,,,,")
    vs = build_all(vitals)["VS"]
    assert set(vs.frame["USUBJID"]) == {"MINI-01-01-001"}
    assert vs.excluded["@row"].tolist() == [4, 5]


def test_two_pages_of_one_day_are_duplicate_keys_naming_their_rows(vitals):
    replace_in(vitals, "raw/vs.csv", "01,002,07-MAR-2024,,,,,", "01,002,14-MAR-2024,95,,,,")
    with pytest.raises(DataError, match=r"VS: 2 records share their keys \(STUDYID, USUBJID, VSTESTCD, VSDTC\) with "
                                        r"another record: vs.csv row 4, vs.csv row 5"):
        build_all(vitals)


def test_a_unit_with_no_conversion_names_its_test_and_rows(vitals):
    replace_in(vitals, "raw/vs.csv", "98.6,F", "310.2,K")
    with pytest.raises(DataError, match=r"VS test TEMP: unit 'K' has no conversion to C at vs.csv rows 2 \(subjects MINI-01-01-001\)"):
        build_all(vitals)


def test_the_first_tests_error_is_reported_when_a_later_test_also_has_one(vitals):
    replace_in(vitals, "raw/vs.csv", "98.6,F", "310.2,K")  # TEMP: a unit with no conversion
    spec = "{testcd: PULSE, test: Pulse Rate, result: PULSE, unit: beats/min, not_done: {when: 'number(PULSE) + 1'}}"
    replace_in(vitals, "sdtm/vs.yaml", "{testcd: PULSE, test: Pulse Rate, result: PULSE, unit: beats/min}", spec)
    with pytest.raises(DataError, match="VS test TEMP: unit 'K'"):
        build_all(vitals)
    replace_in(vitals, "raw/vs.csv", "310.2,K", "98.6,F")  # then PULSE's condition, not true or false, is the error
    with pytest.raises(DataError, match="VS test PULSE"):
        build_all(vitals)


def test_rows_excluded_before_the_pivot_leave_each_record_its_own_rows_values(vitals):
    """The pivot reads only the columns its tests name, of the rows kept; each record then takes every other column
    (here VSDAT) from its own raw row, however many rows before it were excluded."""
    exclude = "source: {table: vs, exclude: [{when: 'VSDAT == \"05-MAR-2024\"', reason: Entered in error}]}"
    replace_in(vitals, "sdtm/vs.yaml", "source: {table: vs}", exclude)
    vs = build_all(vitals)["VS"]
    assert vs.lineage["@row"].tolist() == [3, 3, 3, 5, 5]
    assert vs.frame["VSDTC"].tolist() == ["2024-03-12"] * 3 + ["2024-03-14"] * 2
    assert vs.frame["VSORRES"].tolist() == ["64", "118", "37.0", "70", "<90"]
    assert vs.excluded[["@row", "reason"]].values.tolist() == [[2, "Entered in error"], [4, "no result for any test on this row"]]
