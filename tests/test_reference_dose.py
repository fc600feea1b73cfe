"""reference_dose with ``match``/``match_dose`` (each analyte refers to its own drug's dose) and ``undated_by``
(a sample not done, with no date/time, keeps the dose of its visit)."""

from test_sdtm_engine import build_all, study_with

EX_RAW = """SITEID,SUBJID,DRUG,CYCLE,EXSTDAT,EXSTTIM
01,001,A,1,05-MAR-2024,09:00
01,001,B,1,05-MAR-2024,10:00
01,001,A,2,26-MAR-2024,09:30
01,001,B,2,26-MAR-2024,10:30
"""
EX_SPEC = """dataset: EX
label: Exposure
class: INTERVENTIONS
structure: One record per administration per subject
keys: [STUDYID, USUBJID, EXTRT, EXSTDTC]
source: {table: ex}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}
  - {name: EXTRT, label: Name of Treatment, type: text, origin: Assigned, assign: DRUG}
  - {name: VISITNUM, label: Visit Number, type: float, origin: Assigned, expr: number(CYCLE)}
  - {name: EXSTDTC, label: Start Date/Time of Treatment, type: datetime, origin: Collected, iso8601: {date: EXSTDAT, time: EXSTTIM}}
"""
# one sample per row, measured for both analytes; the cycle 2 day 8 sample was not taken
PC_RAW = """SITEID,SUBJID,CYCLE,ANALYTE,HOURS,PCDAT,PCTIM,RESULT,PERF
01,001,1,A,4,05-MAR-2024,14:00,10,Y
01,001,1,B,5,05-MAR-2024,14:00,20,Y
01,001,2,A,-0.5,26-MAR-2024,08:50,1,Y
01,001,2,B,-0.5,26-MAR-2024,08:50,2,Y
01,001,2.08,A,168,,,,N
01,001,2.08,B,169,,,,N
"""
PC_SPEC = """dataset: PC
label: Pharmacokinetics Concentrations
class: FINDINGS
structure: One record per sample per analyte per subject
keys: [STUDYID, USUBJID, PCTESTCD, VISITNUM, PCTPTNUM]
source: {table: pc}
tests:
  - {testcd: A, test: Analyte A, when: 'ANALYTE == "A"', result: RESULT, unit: ug/mL, not_done: {when: 'PERF == "N"'}}
  - {testcd: B, test: Analyte B, when: 'ANALYTE == "B"', result: RESULT, unit: ug/mL, not_done: {when: 'PERF == "N"'}}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}
  - {name: PCTESTCD, label: Pharmacokinetic Test Short Name, type: text, origin: Assigned, test: testcd}
  - {name: PCSTAT, label: Completion Status, type: text, origin: Collected, test: stat}
  - {name: VISITNUM, label: Visit Number, type: float, origin: Assigned, expr: number(CYCLE)}
  - {name: PCDTC, label: Date/Time of Specimen Collection, type: datetime, origin: Collected, iso8601: {date: PCDAT, time: PCTIM}}
  - {name: PCTPTNUM, label: Planned Time Point Number, type: float, origin: Assigned, expr: number(HOURS)}
  - name: PCRFTDTC
    label: Date/Time of Reference Time Point
    type: datetime
    origin: Derived
    reference_dose: {dataset: EX, dtc: EXSTDTC, of: PCDTC, nominal_hours: PCTPTNUM, match: PCTESTCD, match_dose: EXTRT,
                     undated_by: VISITNUM}
"""


def test_each_analyte_refers_to_its_own_drug_and_samples_not_done_to_their_visits_dose(tmp_path):
    folder = study_with(tmp_path, {"raw/ex.csv": EX_RAW, "sdtm/ex.yaml": EX_SPEC, "raw/pc.csv": PC_RAW, "sdtm/pc.yaml": PC_SPEC})
    frame = build_all(folder)["PC"].frame
    assert frame.loc[frame["VISITNUM"] == 2.08, "PCDTC"].isna().all()  # the not-done samples have no date/time
    pc = frame.set_index(["PCTESTCD", "VISITNUM"])["PCRFTDTC"]
    #   analyte  visit  sample            reference: its own drug's dose
    expected = {
        ("A", 1.0): "2024-03-05T09:00",  # 4 h after drug A
        ("B", 1.0): "2024-03-05T10:00",  # 5 h nominal after drug B (not the nearer drug A dose)
        ("A", 2.0): "2024-03-26T09:30",  # pre-dose: the dose that follows
        ("B", 2.0): "2024-03-26T10:30",
        ("A", 2.08): "2024-03-26T09:30",  # not done (no PCDTC): the latest dose at or before its visit
        ("B", 2.08): "2024-03-26T10:30",
    }
    assert pc.to_dict() == expected
