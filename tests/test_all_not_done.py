"""Findings: a whole panel not done is one --ALL record (VSALL, NOT DONE); a test with no result anywhere is no crash."""

import subprocess
import sys

import pytest

from cdisc.errors import DataError, SpecError
from cdisc.spec.load import load_study

from test_sdtm_engine import build_all, replace_in, study_with

VS_RAW = """STUDYID,SITEID,SUBJID,VSPERF,VSREASND,VSDAT,SYSBP,DIABP,TEMP
MINI-01,01,001,Y,,05-MAR-2024,120,80,
MINI-01,01,001,N,Patient refused,12-MAR-2024,,,
MINI-01,01,002,Y,,07-MAR-2024,,75,
MINI-01,02,003,N,,11-MAR-2024,,,
"""
ALL_TEST = "  - {testcd: VSALL, test: Vital Signs, not_done: {when: 'VSPERF == \"N\"', reason: VSREASND}}\n"
VS_SPEC = """dataset: VS
label: Vital Signs
class: FINDINGS
structure: One record per vital sign measurement per time point per visit per subject
keys: [STUDYID, USUBJID, VSTESTCD, VSDTC]
source: {table: vs}
tests:
%s  - {testcd: SYSBP, test: Systolic Blood Pressure, result: SYSBP, unit: mmHg}
  - {testcd: DIABP, test: Diastolic Blood Pressure, result: DIABP, unit: mmHg}
  - {testcd: TEMP, test: Temperature, result: TEMP, unit: C}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}
  - {name: VSTESTCD, label: Vital Signs Test Short Name, type: text, origin: Assigned, test: testcd}
  - {name: VSTEST, label: Vital Signs Test Name, type: text, origin: Assigned, test: test}
  - {name: VSORRES, label: Result or Finding in Original Units, type: text, origin: Collected, test: orres}
  - {name: VSORRESU, label: Original Units, type: text, origin: Collected, test: orresu}
  - {name: VSSTRESN, label: Numeric Result/Finding in Standard Units, type: float, origin: Derived, test: stresn}
  - {name: VSSTAT, label: Completion Status, type: text, origin: Derived, test: stat}
  - {name: VSREASND, label: Reason Not Performed, type: text, origin: Collected, test: reasnd}
  - {name: VSDTC, label: Date/Time of Measurements, type: datetime, origin: Collected, iso8601: VSDAT}
"""


def vs_study(tmp_path, raw=VS_RAW, all_test=ALL_TEST):
    return study_with(tmp_path, {"raw/vs.csv": raw, "sdtm/vs.yaml": VS_SPEC % all_test})


def records(built) -> list[list]:
    frame = built["VS"].frame
    columns = ["USUBJID", "VSTESTCD", "VSTEST", "VSORRES", "VSSTRESN", "VSSTAT", "VSREASND", "VSDTC"]
    return frame[columns].astype(object).where(frame[columns].notna(), None).values.tolist()


def test_a_panel_not_done_is_one_all_record_and_its_tests_give_none(tmp_path):
    built = build_all(vs_study(tmp_path))
    assert records(built) == [
        # USUBJID          VSTESTCD VSTEST                      VSORRES VSSTRESN VSSTAT      VSREASND          VSDTC
        ["MINI-01-01-001", "DIABP", "Diastolic Blood Pressure", "80",   80.0,    None,       None,             "2024-03-05"],
        ["MINI-01-01-001", "SYSBP", "Systolic Blood Pressure",  "120",  120.0,   None,       None,             "2024-03-05"],
        ["MINI-01-01-001", "VSALL", "Vital Signs",              None,   None,    "NOT DONE", "Patient refused", "2024-03-12"],
        ["MINI-01-01-002", "DIABP", "Diastolic Blood Pressure", "75",   75.0,    None,       None,             "2024-03-07"],
        ["MINI-01-02-003", "VSALL", "Vital Signs",              None,   None,    "NOT DONE", None,             "2024-03-11"],
    ]
    assert built["VS"].excluded.empty  # every raw row is a record: no row "with no result for any test"


def test_a_test_with_no_result_on_any_row_builds_the_others(tmp_path):
    """TEMP is empty on every row (today: exit 3, AttributeError in the pivot)."""
    built = build_all(vs_study(tmp_path, all_test=""))
    assert [r[1] for r in records(built)] == ["DIABP", "SYSBP", "DIABP"]
    assert built["VS"].excluded[["@row", "reason"]].values.tolist() == [
        [3, "no result for any test on this row"], [5, "no result for any test on this row"],
    ]


def test_cli_run_with_an_all_empty_test_exits_0(tmp_path):
    folder = vs_study(tmp_path, all_test="")
    done = subprocess.run([sys.executable, "-m", "cdisc", "run", str(folder), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_no_test_with_results_at_all(tmp_path):
    raw = "STUDYID,SITEID,SUBJID,VSPERF,VSREASND,VSDAT,SYSBP,DIABP,TEMP\nMINI-01,01,001,N,Ill,05-MAR-2024,,,\n"
    built = build_all(vs_study(tmp_path, raw=raw))
    assert [r[1:7] for r in records(built)] == [["VSALL", "Vital Signs", None, None, "NOT DONE", "Ill"]]


def test_results_on_a_row_whose_panel_was_not_done_are_an_error(tmp_path):
    raw = VS_RAW.replace("N,Patient refused,12-MAR-2024,,,", "N,Patient refused,12-MAR-2024,118,,")
    with pytest.raises(DataError, match=r"VS test VSALL: the form says the whole panel was not done, but SYSBP has a "
                                        r"result at vs.csv rows 3 \(subjects MINI-01-01-001\)"):
        build_all(vs_study(tmp_path, raw=raw))


def test_a_panel_covers_only_the_tests_of_its_category(tmp_path):
    spec = (VS_SPEC % ALL_TEST.replace("test: Vital Signs,", "test: Vital Signs, category: BP,"))
    spec = spec.replace("unit: mmHg}", "unit: mmHg, category: BP}").replace("unit: C}", "unit: C, category: EXTRA}")
    raw = VS_RAW.replace("N,Patient refused,12-MAR-2024,,,", "N,Patient refused,12-MAR-2024,,,37.0")
    folder = study_with(tmp_path, {"raw/vs.csv": raw, "sdtm/vs.yaml": spec})
    assert [r[1] for r in records(build_all(folder)) if r[7] == "2024-03-12"] == ["TEMP", "VSALL"]


@pytest.mark.parametrize(
    "test, message",
    [
        ("  - {testcd: VSALL, test: Vital Signs}\n", "give exactly one of 'result' (a raw column) or 'summary'"),
        ("  - {testcd: VSNONE, test: Vital Signs, not_done: {when: 'VSPERF == \"N\"'}}\n",
         "a test with only 'not_done' is the record of a whole panel not done; SDTMIG names its code --ALL (e.g. VSALL)"),
        ("  - {testcd: VSALL, test: Vital Signs, not_done: {when: 'VSPERF == \"N\"', reason: VSREASON}}\n",
         "unknown source column 'VSREASON' in raw table 'vs' (did you mean 'VSREASND'?)"),
    ],
)
def test_the_all_record_is_checked_with_the_spec(tmp_path, test, message):
    with pytest.raises(SpecError) as info:
        load_study(vs_study(tmp_path, all_test=test))
    assert message in str(info.value) and "vs.yaml:8:" in str(info.value)


def test_define_xml_has_no_value_level_result_for_the_all_record(tmp_path):
    study = load_study(vs_study(tmp_path))
    orres = next(v for v in study.datasets["VS"].spec.variables if v.name == "VSORRES")
    assert [level.where["VSTESTCD"] for level in orres.value_level] == [["SYSBP"], ["DIABP"], ["TEMP"]]


def test_the_minimal_study_is_unchanged(tmp_path):
    folder = vs_study(tmp_path)
    replace_in(folder, "sdtm/vs.yaml", ALL_TEST, "")
    assert "VSALL" not in [r[1] for r in records(build_all(folder))]
