"""Findings engine on tricky records: the tests: pivot, unit conversion, baseline flag, summed lesions, reference dose.

A small study (the minimal fixture plus LB, TR, EX and PC forms written here) holds the awkward cases:
two results on the baseline day, a unit with no conversion, a lesion measured at one assessment and missing
at the next, and a PK sample taken far outside its window.
"""

import pandas as pd
import pytest

from cdisc.errors import DataError

from test_sdtm_engine import build_all, study_with

HEAD = "STUDYID,SITEID,SUBJID"
LB_RAW = f"""{HEAD},LBDAT,LBTIM,LBTESTCD,LBORRES,LBORRESU,LBORNRLO,LBORNRHI
MINI-01,01,001,01-MAR-2024,,HGB,130,g/L,115,150
MINI-01,01,001,05-MAR-2024,08:00,HGB,12.1,g/dL,11.5,15.0
MINI-01,01,001,05-MAR-2024,09:00,HGB,12.5,g/dL,11.5,15.0
MINI-01,01,001,05-MAR-2024,11:00,HGB,12.9,g/dL,11.5,15.0
MINI-01,01,001,12-MAR-2024,,HGB,100,g/L,115,150
MINI-01,01,001,12-MAR-2024,,CRP,<0.10,mg/dL,0,1.0
MINI-01,01,002,07-MAR-2024,10:00,HGB,120,g/L,115,150
MINI-01,01,002,07-MAR-2024,10:00,CRP,,mg/L,0,10
"""
LB_SPEC = """dataset: LB
label: Laboratory Test Results
class: FINDINGS
structure: One record per lab test per time point per subject
keys: [STUDYID, USUBJID, LBTESTCD, LBDTC]
source: {table: lb}
tests:
  - {testcd: HGB, when: 'LBTESTCD == "HGB"', result: LBORRES, unit: {from: LBORRESU}, range: {low: LBORNRLO, high: LBORNRHI},
     standard: {unit: g/L, convert: {g/dL: 10}}}
  - {testcd: CRP, when: 'LBTESTCD == "CRP"', result: LBORRES, unit: {from: LBORRESU}, range: {low: LBORNRLO, high: LBORNRHI},
     standard: {unit: mg/L, convert: {mg/dL: "x * 10"}}}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}
  - {name: LBTESTCD, label: Lab Test or Examination Short Name, type: text, codelist: LBTESTCD, origin: Assigned, test: testcd}
  - {name: LBTEST, label: Lab Test or Examination Name, type: text, codelist: LBTEST, origin: Assigned, test: test}
  - {name: LBORRES, label: Result or Finding in Original Units, type: text, origin: Collected, test: orres}
  - {name: LBORRESU, label: Original Units, type: text, origin: Collected, test: orresu}
  - {name: LBSTRESC, label: Character Result/Finding in Std Format, type: text, origin: Derived, test: stresc}
  - {name: LBSTRESN, label: Numeric Result/Finding in Standard Units, type: float, origin: Derived, test: stresn}
  - {name: LBSTRESU, label: Standard Units, type: text, origin: Derived, test: stresu}
  - {name: LBSTNRLO, label: Reference Range Lower Limit-Std Units, type: float, origin: Derived, test: stnrlo}
  - {name: LBNRIND, label: Reference Range Indicator, type: text, origin: Derived, test: nrind}
  - {name: LBDTC, label: Date/Time of Specimen Collection, type: datetime, origin: Collected, iso8601: {date: LBDAT, time: LBTIM}}
  - name: LBLOBXFL
    label: Last Observation Before Exposure Flag
    type: text
    origin: Derived
    last_obs_before_exposure: {by: [USUBJID, LBTESTCD], dtc: LBDTC, result: LBORRES, reference: RFSTDTC}
"""
TR_RAW = f"""{HEAD},FOLDER,TRLNKID,TRCAT,TRDAT,TRTEST,TRORRES,TRORRESU,TRSTAT
MINI-01,01,001,SCRN,T01,TARGET,01-MAR-2024,LONGEST DIAMETER,30,mm,
MINI-01,01,001,SCRN,T02,TARGET,01-MAR-2024,SHORT AXIS,20,mm,
MINI-01,01,001,SCRN,NT01,NON-TARGET,01-MAR-2024,LESION STATUS,PRESENT,,
MINI-01,01,001,TA1,T01,TARGET,12-APR-2024,LONGEST DIAMETER,2.5,cm,
MINI-01,01,001,TA1,T02,TARGET,12-APR-2024,SHORT AXIS,15,mm,
MINI-01,01,001,TA2,T01,TARGET,24-MAY-2024,LONGEST DIAMETER,22,mm,
MINI-01,01,001,TA3,T01,TARGET,05-JUL-2024,LONGEST DIAMETER,,,NOT DONE
MINI-01,01,001,TA3,T02,TARGET,05-JUL-2024,SHORT AXIS,12,mm,
"""
TR_SPEC = """dataset: TR
label: Tumor/Lesion Results
class: FINDINGS
structure: One record per tumor measurement per visit per subject
keys: [STUDYID, USUBJID, TRTESTCD, TRDTC, TRLNKID]
source: {table: tr}
tests:
  - {testcd: LDIAM, test: Longest Diameter, when: 'TRTEST == "LONGEST DIAMETER"', result: TRORRES, unit: {from: TRORRESU},
     not_done: {when: 'TRSTAT == "NOT DONE"'}, standard: {unit: mm, convert: {cm: 10}}}
  - {testcd: LPERP, test: Longest Perpendicular, when: 'TRTEST == "SHORT AXIS"', result: TRORRES, unit: {from: TRORRESU},
     standard: {unit: mm}}
  - {testcd: TUMSTATE, test: Tumor State, when: 'TRTEST == "LESION STATUS"', result: TRORRES, type: text}
  - {testcd: SUMDIAM, test: Sum of Diameters, summary: {sum: [LDIAM, LPERP], by: [SUBJID, FOLDER], each: TRLNKID}}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}
  - {name: TRLNKID, label: Link ID, type: text, origin: Collected, condition: {cases: [{when: 'TRTESTCD != "SUMDIAM"', from: TRLNKID}]}}
  - {name: TRTESTCD, label: Tumor/Lesion Assessment Short Name, type: text, origin: Assigned, test: testcd}
  - {name: TRORRES, label: Result or Finding in Original Units, type: text, origin: Collected, test: orres}
  - {name: TRSTRESN, label: Numeric Result/Finding in Standard Units, type: float, origin: Derived, test: stresn}
  - {name: TRSTAT, label: Completion Status, type: text, origin: Collected, test: stat}
  - {name: TRDTC, label: Date/Time of Tumor/Lesion Measurement, type: datetime, origin: Collected, iso8601: TRDAT}
"""
EX_SPEC = """dataset: EX
label: Exposure
class: INTERVENTIONS
structure: One record per administration per subject
keys: [STUDYID, USUBJID, EXSTDTC]
source: {table: ex}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}
  - {name: EXTRT, label: Name of Treatment, type: text, origin: Assigned, hardcode: DRUG}
  - {name: EXSTDTC, label: Start Date/Time of Treatment, type: datetime, origin: Collected, iso8601: {date: EXSTDAT, time: EXSTTIM}}
"""
PC_RAW = f"""{HEAD},PCTPT,PCDAT,PCTIM,RESULT,PERF
MINI-01,01,001,PRE-DOSE,05-MAR-2024,09:00,<0.050,Y
MINI-01,01,001,4 HOURS POST-DOSE,05-MAR-2024,13:40,12.5,Y
MINI-01,01,001,168 HOURS POST-DOSE,15-MAR-2024,10:00,3.1,Y
MINI-01,01,001,PRE-DOSE,26-MAR-2024,09:45,,N
"""
PC_SPEC = """dataset: PC
label: Pharmacokinetics Concentrations
class: FINDINGS
structure: One record per sample per analyte per subject
keys: [STUDYID, USUBJID, PCTESTCD, PCDTC]
source: {table: pc}
tests:
  - {testcd: DRUG, test: Drug, result: RESULT, unit: ug/mL, lloq: 0.05, not_done: {when: 'PERF == "N"'}}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}
  - {name: PCTESTCD, label: Pharmacokinetic Test Short Name, type: text, origin: Assigned, test: testcd}
  - {name: PCORRES, label: Result or Finding in Original Units, type: text, origin: Collected, test: orres}
  - {name: PCSTRESC, label: Character Result/Finding in Std Format, type: text, origin: Derived, test: stresc}
  - {name: PCSTRESN, label: Numeric Result/Finding in Standard Units, type: float, origin: Derived, test: stresn}
  - {name: PCSTAT, label: Completion Status, type: text, origin: Collected, test: stat}
  - {name: PCLLOQ, label: Lower Limit of Quantitation, type: float, origin: Assigned, test: lloq}
  - {name: PCDTC, label: Date/Time of Specimen Collection, type: datetime, origin: Collected, iso8601: {date: PCDAT, time: PCTIM}}
  - name: PCTPTNUM
    label: Planned Time Point Number
    type: float
    origin: Assigned
    condition: {cases: [{when: 'PCTPT == "PRE-DOSE"', value: -0.5}, {when: 'PCTPT == "4 HOURS POST-DOSE"', value: 4},
                        {when: 'PCTPT == "168 HOURS POST-DOSE"', value: 168}]}
  - name: PCRFTDTC
    label: Date/Time of Reference Time Point
    type: datetime
    origin: Derived
    reference_dose: {dataset: EX, dtc: EXSTDTC, where: 'EXTRT == "DRUG"', of: PCDTC, nominal_hours: PCTPTNUM}
"""


@pytest.fixture
def lab(tmp_path):
    return study_with(tmp_path, {"raw/lb.csv": LB_RAW, "sdtm/lb.yaml": LB_SPEC})


def test_conversion_ranges_and_below_limit_results(lab):
    lb = build_all(lab)["LB"].frame.set_index(["USUBJID", "LBTESTCD", "LBDTC"])
    first = lb.loc[("MINI-01-01-001", "HGB", "2024-03-05T08:00")]
    assert (first["LBORRES"], first["LBORRESU"], first["LBSTRESC"], first["LBSTRESN"], first["LBSTRESU"]) == ("12.1", "g/dL", "121", 121.0, "g/L")
    assert first["LBSTNRLO"] == 115.0 and first["LBTEST"] == "Hemoglobin"  # name decoded through LBTESTCD -> LBTEST
    assert lb.loc[("MINI-01-01-001", "HGB", "2024-03-12"), "LBNRIND"] == "LOW"
    crp = lb.loc[("MINI-01-01-001", "CRP", "2024-03-12")]
    assert (crp["LBORRES"], crp["LBSTRESC"], crp["LBSTRESU"]) == ("<0.10", "<1", "mg/L") and pd.isna(crp["LBSTRESN"])
    assert ("MINI-01-01-002", "CRP", "2024-03-07T10:00") not in lb.index  # no result: no record


def test_raw_row_with_no_result_is_reported_as_excluded(lab):
    excluded = build_all(lab)["LB"].excluded
    assert excluded["reason"].tolist() == ["no result for any test on this row"]


def test_baseline_flag_is_the_last_result_before_the_first_dose_once_per_test(lab):
    lb = build_all(lab)["LB"].frame
    flagged = lb[lb["LBLOBXFL"] == "Y"].set_index(["USUBJID", "LBTESTCD"])["LBDTC"]
    # subject 001 (first dose 2024-03-05T09:30): two results that morning before the dose, one after it
    assert flagged[("MINI-01-01-001", "HGB")] == "2024-03-05T09:00"
    # subject 002 (first dose date without a time): a result on that day counts
    assert flagged[("MINI-01-01-002", "HGB")] == "2024-03-07T10:00"
    assert len(flagged) == 2 and "CRP" not in flagged.index.get_level_values(1)  # CRP only after the dose


def test_unit_with_no_conversion_names_test_and_unit(tmp_path):
    folder = study_with(tmp_path, {"raw/lb.csv": LB_RAW.replace("100,g/L", "100,mmol/L"), "sdtm/lb.yaml": LB_SPEC})
    with pytest.raises(DataError) as caught:
        build_all(folder)
    message = str(caught.value)
    assert "LB test HGB: unit 'mmol/L' has no conversion to g/L" in message
    assert "lb.csv rows 6" in message and "MINI-01-01-001" in message


def test_lesion_missing_at_the_next_assessment_makes_the_sum_not_done(tmp_path):
    folder = study_with(tmp_path, {"raw/tr.csv": TR_RAW, "sdtm/tr.yaml": TR_SPEC})
    tr = build_all(folder)["TR"].frame
    sums = tr[tr["TRTESTCD"] == "SUMDIAM"].set_index("TRDTC")
    assert sums.loc["2024-03-01", "TRSTRESN"] == 50.0
    assert sums.loc["2024-04-12", "TRSTRESN"] == 40.0  # 2.5 cm + 15 mm
    assert sums.loc["2024-04-12", "TRORRES"] == "40" and pd.isna(sums.loc["2024-04-12", "TRLNKID"])
    for date in ("2024-05-24", "2024-07-05"):  # T02 absent; then T01 not done
        assert sums.loc[date, "TRSTAT"] == "NOT DONE" and pd.isna(sums.loc[date, "TRSTRESN"])
    not_done = tr[(tr["TRTESTCD"] == "LDIAM") & (tr["TRDTC"] == "2024-07-05")].iloc[0]
    assert not_done["TRSTAT"] == "NOT DONE" and pd.isna(not_done["TRORRES"])


def test_sample_outside_its_window_keeps_nominal_time_and_its_dose(tmp_path):
    folder = study_with(tmp_path, {"raw/pc.csv": PC_RAW, "sdtm/pc.yaml": PC_SPEC, "sdtm/ex.yaml": EX_SPEC})
    pc = build_all(folder)["PC"].frame.set_index("PCDTC")
    assert pc.loc["2024-03-05T09:00", "PCRFTDTC"] == "2024-03-05T09:30"  # pre-dose: the dose that follows
    assert pc.loc["2024-03-15T10:00", "PCRFTDTC"] == "2024-03-05T09:30"  # 168 h sample taken 3 days late
    assert pc.loc["2024-03-15T10:00", "PCTPTNUM"] == 168.0
    assert pc.loc["2024-03-26T09:45", "PCRFTDTC"] == "2024-03-26T10:00"
    blq = pc.loc["2024-03-05T09:00"]
    assert (blq["PCORRES"], blq["PCSTRESC"], blq["PCLLOQ"]) == ("<0.050", "<0.050", 0.05) and pd.isna(blq["PCSTRESN"])
    missed = pc.loc["2024-03-26T09:45"]
    assert missed["PCSTAT"] == "NOT DONE" and pd.isna(missed["PCORRES"])


def test_test_rule_without_tests_block_is_a_spec_error(tmp_path):
    from cdisc.errors import SpecError
    from cdisc.spec.load import load_study

    spec = LB_SPEC.split("tests:")[0] + "variables:" + LB_SPEC.split("variables:")[1]
    folder = study_with(tmp_path, {"raw/lb.csv": LB_RAW, "sdtm/lb.yaml": spec})
    with pytest.raises(SpecError, match="needs a 'tests:' block"):
        load_study(folder)
