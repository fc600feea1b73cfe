"""The efficacy record steps through specs (small aligned tables): ANL01FL up to the first PD, unconfirmed and
confirmed BOR, RSP and CB with the edge cases of issue 13, PFS with the FDA censoring rules, the sum of diameters."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc.adam.engine import build_adam_dataset
from cdisc.spec.load import load_study

STUDY = """study: {id: T, title: Efficacy steps}
inputs:
  folder: data
  datasets:
    ADSL: {numeric: [TRTSDT, NACTDT, DTHDT]}
    RS: {numeric: [ADY]}
    TR: {numeric: [VISITNUM, TRSTRESN, ADY]}
terminology: {version: "2025-03-28"}
output: {folder: out, created: 2026-01-15T09:00:00}
codelists: null
"""
# Subject: what it shows. First dose day 0; SD counts from day 35; confirmation 28 days on; PFS gap 2 x 42 + 7 = 91.
ADSL = """STUDYID,USUBJID,TRTSDT,NACTDT,DTHDT
T,S1,0,,
T,S2,0,,
T,S3,0,,
T,S4,0,,
T,S5,0,60,
T,S6,0,,
T,S7,0,,100
"""
RS = """STUDYID,USUBJID,ADY,RSSTRESC
T,S1,42,PR
T,S1,84,NE
T,S1,126,PR
T,S2,28,PR
T,S2,56,PD
T,S3,42,SD
T,S3,84,PD
T,S3,126,PR
T,S3,168,PR
T,S5,42,PR
T,S5,84,PR
T,S6,42,SD
T,S6,200,PD
T,S7,42,SD
"""
ADRS = """dataset: ADRS
label: Tumor Response Analysis Dataset
class: BASIC DATA STRUCTURE
structure: One record per subject, parameter and date
keys: [USUBJID, PARAMCD, ADT]
source: RS
steps:
  - derive: [PARAMCD, AVALC, ADT, ENDDT]
  - derive_var_relative_flag:
      by_vars: [USUBJID, PARAMCD]
      order: [ADT]
      new_var: ANL01FL
      condition: 'AVALC == "PD"'
      filter: 'is_missing(ENDDT) or ADT <= ENDDT'
  - derive_param_bor:
      by_vars: [STUDYID, USUBJID]
      filter: 'PARAMCD == "OVR" and ANL01FL == "Y"'
      ref_start_window: 35
      set_values_to: {PARAMCD: BOR}
  - derive_param_confirmed_bor:
      by_vars: [STUDYID, USUBJID]
      filter: 'PARAMCD == "OVR" and ANL01FL == "Y"'
      ref_start_window: 35
      ref_confirm: 28
      max_nr_ne: 1
      set_values_to: {PARAMCD: CBOR}
  - derive_param_response:
      by_vars: [STUDYID, USUBJID]
      filter: 'PARAMCD == "OVR" and ANL01FL == "Y"'
      set_values_to: {PARAMCD: RSP}
  - derive_param_clinical_benefit:
      by_vars: [STUDYID, USUBJID]
      filter: 'PARAMCD == "OVR" and ANL01FL == "Y"'
      ref_start_window: 35
      set_values_to: {PARAMCD: CB}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Predecessor, predecessor: STUDYID}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}
  - {name: PARAMCD, label: Parameter Code, type: text, origin: Derived, expr: '"OVR"'}
  - {name: AVALC, label: Analysis Value (C), type: text, origin: Derived, expr: RSSTRESC}
  - {name: AVAL, label: Analysis Value, type: float, origin: Derived, set_by_step: true}
  - {name: ADT, label: Analysis Date, type: integer, origin: Derived, expr: ADY}
  - {name: ENDDT, label: New Therapy, type: integer, origin: Derived, temporary: true, derive_vars_merged: {dataset: ADSL, by: [USUBJID], value: NACTDT}}
  - {name: ANL01FL, label: Analysis Flag 01, type: text, origin: Derived, set_by_step: true}
"""
ADEQUATE = "'PARAMCD == \"OVR\" and ANL01FL == \"Y\" and AVALC in [\"CR\", \"PR\", \"SD\", \"NON-CR/NON-PD\"]'"
ADTTE = f"""dataset: ADTTE
label: Time-to-Event Analysis Dataset
class: BASIC DATA STRUCTURE
structure: One record per subject and parameter
keys: [USUBJID, PARAMCD]
source: {{dataset: ADSL, where: 'False'}}
steps:
  - derive_param_tte:
      by_vars: [USUBJID]
      start_date: TRTSDT
      end_dates: [NACTDT]
      event_sources:
        - {{dataset: ADRS, filter: 'PARAMCD == "OVR" and ANL01FL == "Y" and AVALC == "PD"', date: ADT, set_values_to: {{EVNTDESC: PD}}}}
        - {{dataset: ADSL, date: DTHDT, set_values_to: {{EVNTDESC: DEATH}}}}
      censor_sources:
        - {{dataset: ADSL, date: TRTSDT, set_values_to: {{EVNTDESC: NO ADEQUATE ASSESSMENT}}}}
        - {{dataset: ADRS, filter: {ADEQUATE}, date: ADT, set_values_to: {{EVNTDESC: LAST ADEQUATE ASSESSMENT}}}}
      missed_assessments: {{dataset: ADRS, filter: {ADEQUATE}, interval: 42, count: 2, window: 7}}
      set_values_to: {{PARAMCD: PFS}}
variables:
  - {{name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}}
  - {{name: PARAMCD, label: Parameter Code, type: text, origin: Derived, set_by_step: true}}
  - {{name: ADT, label: Analysis Date, type: integer, origin: Derived, set_by_step: true}}
  - {{name: AVAL, label: Analysis Value, type: float, origin: Derived, set_by_step: true}}
  - {{name: CNSR, label: Censor, type: integer, origin: Derived, set_by_step: true}}
  - {{name: EVNTDESC, label: Event or Censoring Description, type: text, origin: Derived, set_by_step: true}}
"""
# Target lesions T01 (non-nodal) and T02 (nodal, short axis): baseline 50, then 30 (nadir), missing, 40.
TR = """STUDYID,USUBJID,VISITNUM,TRGRPID,TRLNKID,TRTESTCD,TRSTRESN,TRLOBXFL,ADY
T,S1,0,TARGET,T01,LDIAM,30,Y,-5
T,S1,0,TARGET,T02,LPERP,20,Y,-5
T,S1,1,TARGET,T01,LDIAM,20,,42
T,S1,1,TARGET,T02,LPERP,10,,42
T,S1,2,TARGET,T01,LDIAM,,,84
T,S1,2,TARGET,T02,LPERP,8,,84
T,S1,3,TARGET,T01,LDIAM,30,,126
T,S1,3,TARGET,T02,LPERP,10,,126
"""
ADTR = """dataset: ADTR
label: Tumor Results Analysis Dataset
class: BASIC DATA STRUCTURE
structure: One record per subject and assessment
keys: [USUBJID, PARAMCD, AVISITN]
source: TR
steps:
  - derive: [ADT]
  - derive_param_sumdiam:
      by_vars: [USUBJID]
      filter: 'TRGRPID == "TARGET"'
      nodal: 'TRTESTCD == "LPERP"'
      baseline: 'TRLOBXFL == "Y"'
      set_values_to: {PARAMCD: SUMDIAM}
variables:
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}
  - {name: PARAMCD, label: Parameter Code, type: text, origin: Derived, set_by_step: true}
  - {name: AVISITN, label: Analysis Visit (N), type: float, origin: Derived, expr: VISITNUM}
  - {name: ADT, label: Analysis Date, type: integer, origin: Derived, expr: ADY}
  - {name: AVAL, label: Analysis Value, type: float, origin: Derived, set_by_step: true}
  - {name: BASE, label: Baseline Value, type: float, origin: Derived, set_by_step: true}
  - {name: PCHG, label: Percent Change from Baseline, type: float, origin: Derived, set_by_step: true}
  - {name: NADIR, label: Nadir, type: float, origin: Derived, set_by_step: true}
  - {name: PCHGNAD, label: Percent Change from Nadir, type: float, origin: Derived, set_by_step: true}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("efficacy-steps")
    (folder / "data").mkdir()
    (folder / "adam").mkdir()
    (folder / "study.yaml").write_text(STUDY)
    for name, text in (("adsl", ADSL), ("rs", RS), ("tr", TR)):
        (folder / "data" / f"{name}.csv").write_text(text)
    for name, text in (("adrs", ADRS), ("adtte", ADTTE), ("adtr", ADTR)):
        (folder / "adam" / f"{name}.yaml").write_text(text)
    loaded = load_study(Path(folder))
    frames = {name: loaded.input_frame(name) for name in loaded.input_files}
    for name in ("ADRS", "ADTTE", "ADTR"):
        frames[name] = build_adam_dataset(loaded, loaded.datasets[name].spec, frames).frame
    return frames


def _rows(frame: pd.DataFrame, code: str, columns: list[str]) -> list[tuple]:
    part = frame[frame["PARAMCD"].eq(code)].sort_values("USUBJID")
    return [tuple(None if pd.isna(v) else v for v in row) for row in part[["USUBJID", *columns]].itertuples(index=False)]


def test_anl01fl_flags_up_to_the_first_pd_and_not_after_new_therapy(built):
    got = _rows(built["ADRS"], "OVR", ["ADT", "ANL01FL"])
    assert [r for r in got if r[0] in ("S2", "S3", "S5")] == [
        ("S2", 28.0, "Y"), ("S2", 56.0, "Y"),                                       # the PD itself is used
        ("S3", 42.0, "Y"), ("S3", 84.0, "Y"), ("S3", 126.0, None), ("S3", 168.0, None),  # after the PD: not used
        ("S5", 42.0, "Y"), ("S5", 84.0, None),                                      # after new therapy (day 60)
    ]


def test_unconfirmed_and_confirmed_bor_with_the_date_they_come_from(built):
    # subject, BOR, ADT | CBOR, ADT
    expected = [
        ("S1", "PR", 42.0, "PR", 42.0),   # NE between two PRs (at most one NE): confirmed
        ("S2", "PR", 28.0, "PD", 56.0),   # PR then PD before the 35-day SD window: PR is NE, so PD
        ("S3", "SD", 42.0, "SD", 42.0),   # the PRs after the PD are not used
        ("S4", "NE", None, "NE", None),   # no post-baseline assessment: NE, still a record
        ("S5", "PR", 42.0, "SD", 42.0),   # its confirmation is after new therapy: SD (day 42 >= 35)
        ("S6", "SD", 42.0, "SD", 42.0),
        ("S7", "SD", 42.0, "SD", 42.0),
    ]
    bor, cbor = _rows(built["ADRS"], "BOR", ["AVALC", "ADT"]), _rows(built["ADRS"], "CBOR", ["AVALC", "ADT"])
    assert [(*b, *c[1:]) for b, c in zip(bor, cbor, strict=True)] == expected


def test_rsp_and_cb_every_subject_in_the_denominator(built):
    assert _rows(built["ADRS"], "RSP", ["AVALC", "AVAL", "ADT"]) == [
        ("S1", "Y", 1.0, 42.0), ("S2", "N", 0.0, None), ("S3", "N", 0.0, None), ("S4", "N", 0.0, None),
        ("S5", "N", 0.0, None), ("S6", "N", 0.0, None), ("S7", "N", 0.0, None)]
    assert [r[:2] for r in _rows(built["ADRS"], "CB", ["AVALC"])] == [
        ("S1", "Y"), ("S2", "N"), ("S3", "Y"), ("S4", "N"), ("S5", "Y"), ("S6", "Y"), ("S7", "Y")]


def test_pfs_events_and_fda_censoring_rules(built):
    assert _rows(built["ADTTE"], "PFS", ["ADT", "AVAL", "CNSR", "EVNTDESC"]) == [
        ("S1", 126.0, 127.0, 1, "LAST ADEQUATE ASSESSMENT"),  # no event
        ("S2", 56.0, 57.0, 0, "PD"),
        ("S3", 84.0, 85.0, 0, "PD"),
        ("S4", 0.0, 1.0, 1, "NO ADEQUATE ASSESSMENT"),        # censored at the first dose
        ("S5", 42.0, 43.0, 1, "LAST ADEQUATE ASSESSMENT"),    # last adequate assessment before new therapy
        ("S6", 42.0, 43.0, 1, "LAST ADEQUATE ASSESSMENT"),    # PD 158 days after it: two or more missed assessments
        ("S7", 100.0, 101.0, 0, "DEATH"),                     # death 58 days after the last assessment: in time
    ]


def test_sum_of_diameters_with_baseline_and_nadir(built):
    got = _rows(built["ADTR"], "SUMDIAM", ["AVISITN", "AVAL", "BASE", "PCHG", "NADIR", "PCHGNAD"])
    expected = [
        ("S1", 0.0, 50.0, 50.0, None, None, None),
        ("S1", 1.0, 30.0, 50.0, -40.0, 50.0, -40.0),
        ("S1", 2.0, None, 50.0, None, 30.0, None),   # a target lesion not measured: no sum
        ("S1", 3.0, 40.0, 50.0, -20.0, 30.0, pytest.approx(100 * 10 / 30)),
    ]
    assert got == expected
    assert np.isnan(built["ADTR"]["AVAL"]).sum() == 1
