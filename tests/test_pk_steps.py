"""PK and immunogenicity record steps through specs (small aligned tables): derive_param_nca in ADaM and as an
SDTM source step (PP from concentrations), derive_param_ada, derive_summary_records with dataset_add (RELREC-style
records from another dataset), value_level_by, the text() expression and what the spec loader refuses."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc.adam.engine import build_adam_dataset
from cdisc.errors import SpecError
from cdisc.sdtm.engine import build_dataset
from cdisc.spec.base import parsed
from cdisc.spec.load import load_study

STUDY = """study: {id: T, title: PK steps}
raw: {folder: raw}
inputs:
  folder: in
  datasets:
    CONC: {numeric: [SEQ, TIME, CONC, DOSE, DUR, CYCLE]}
    ADA: {numeric: [DAY, TITRE]}
terminology: {version: "2025-03-28"}
output: {folder: out, created: 2026-01-15T09:00:00}
codelists: null
"""
#    subject cycle seq  time   conc   blq  dose  dur    used
CONC = """USUBJID,CYCLE,SEQ,TIME,CONC,BLQ,DOSE,DUR,USED
S1,1,1,0,0,Y,100,1,Y
S1,1,2,1,8,N,100,1,Y
S1,1,3,2,6,N,100,1,Y
S1,1,4,4,4,N,100,1,Y
S1,1,5,8,1.5,N,100,1,Y
S1,1,6,12,,N,100,1,N
S2,1,1,0,0,Y,50,1,Y
S2,1,2,1,5,N,50,1,Y
S2,1,3,4,3,N,50,1,Y
"""
#   subject drug  day  result    titre baseline test
ADA = """USUBJID,DRUG,DAY,RESULT,TITRE,BL,TEST
S1,A,0,NEGATIVE,,Y,BAB
S1,A,21,POSITIVE,40,,BAB
S1,A,147,POSITIVE,40,,BAB
S1,A,21,POSITIVE,,,NAB
S1,B,0,POSITIVE,10,Y,BAB
S1,B,21,POSITIVE,80,,BAB
S2,A,0,NEGATIVE,,Y,BAB
S2,A,21,NEGATIVE,,,BAB
"""
NCA_STEP = """  - derive_param_nca:
      by_vars: [USUBJID, CYCLE]
      filter: 'USED == "Y"'
      time: TIME
      conc: CONC
      blq: 'BLQ == "Y"'
      dose: DOSE
      duration: DUR
      settings: {parameters: [CMAX, TMAX, LAMZNPT, CLO], min_r2adj: null, max_extrapolation_pct: null}
"""
PP = """dataset: PP
label: Pharmacokinetics Parameters
class: FINDINGS
structure: One record per PK parameter per profile per subject
keys: [STUDYID, USUBJID, PPGRPID, PPTESTCD]
source:
  dataset: CONC
  steps:
""" + NCA_STEP + """value_level_by:
  variable: PPTESTCD
  of: [PPSTRESN]
  values: {CMAX: Max Conc, TMAX: Time of CMAX Observation, LAMZNPT: Number of Points for Lambda z, CLO: Total CL Obs}
variables:
  - {name: STUDYID, type: text, origin: Protocol, study: id}
  - {name: USUBJID, type: text, origin: Derived, assign: USUBJID}
  - {name: PPGRPID, type: text, origin: Derived, expr: 'concat("C", text(CYCLE))'}
  - {name: PPTESTCD, type: text, origin: Derived, assign: PPTESTCD}
  - {name: PPORRES, type: text, origin: Derived, expr: text(PPSTRESN)}
  - {name: PPSTRESN, type: float, origin: Derived, assign: PPSTRESN}
  - {name: PPREASND, type: text, origin: Derived, assign: PPREASND}
"""
ADAB = """dataset: ADAB
label: Anti-Drug Antibody Analysis Dataset
class: BASIC DATA STRUCTURE
structure: One record per subject, drug and parameter
keys: [USUBJID, PARCAT1, PARAMCD]
source: ADA
steps:
  - derive_param_ada:
      by_vars: [USUBJID, DRUG]
      filter: 'TEST == "BAB"'
      nab_filter: 'TEST == "NAB"'
      result: RESULT
      titre: TITRE
      baseline: BL
      time: DAY
      set_values_to: {PARCAT1: {expr: 'concat("Anti-", DRUG)'}}
variables:
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}
  - {name: PARCAT1, label: Parameter Category 1, type: text, origin: Derived, set_by_step: true}
  - {name: PARAMCD, label: Parameter Code, type: text, origin: Derived, set_by_step: true}
  - {name: AVALC, label: Analysis Value (C), type: text, origin: Derived, set_by_step: true}
  - {name: AVAL, label: Analysis Value, type: float, origin: Derived, set_by_step: true}
"""


def _study(tmp_path: Path, **specs: str) -> Path:
    folder = tmp_path / "study"
    for part in ("in", "raw", "sdtm", "adam"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(STUDY)
    (folder / "in" / "conc.csv").write_text(CONC)
    (folder / "in" / "ada.csv").write_text(ADA)
    for name, text in specs.items():
        (folder / ("sdtm" if name == "PP" else "adam") / f"{name.lower()}.yaml").write_text(text)
    return folder


def _inputs(study) -> dict[str, pd.DataFrame]:
    return {name: study.input_frame(name) for name in study.input_files}


def test_pp_from_concentrations_by_an_sdtm_source_step(tmp_path):
    study = load_study(_study(tmp_path, PP=PP))
    built = build_dataset(study, study.datasets["PP"].spec, _inputs(study))
    got = built.frame.set_index(["USUBJID", "PPTESTCD"])
    assert got.loc[("S1", "CMAX"), "PPSTRESN"] == 8.0 and got.loc[("S1", "TMAX"), "PPSTRESN"] == 1.0
    assert got.loc[("S2", "CMAX"), "PPSTRESN"] == 5.0 and got.loc[("S2", "TMAX"), "PPSTRESN"] == 1.0
    assert got.loc[("S1", "LAMZNPT"), "PPSTRESN"] == 3.0  # 2, 4, 8 h: the points after Tmax (12 h is not USED)
    assert np.isnan(got.loc[("S2", "LAMZNPT"), "PPSTRESN"])  # one point after Tmax
    assert got.loc[("S2", "LAMZNPT"), "PPREASND"] == "1 positive concentration(s) after Tmax, fewer than the 3 lambda-z needs"
    assert got.loc[("S2", "CLO"), "PPREASND"] == got.loc[("S2", "LAMZNPT"), "PPREASND"]
    # S1's CL = dose / AUCinf, recomputed: linear-up/log-down AUC to 8 h plus Clast / lambda-z (fit of 2, 4, 8 h)
    t, c = np.array([0.0, 1, 2, 4, 8]), np.array([0.0, 8, 6, 4, 1.5])
    auc = (t[1] - t[0]) * (c[0] + c[1]) / 2 + sum((t[i + 1] - t[i]) * (c[i] - c[i + 1]) / np.log(c[i] / c[i + 1]) for i in range(1, 4))
    lamz = -np.polyfit(t[2:], np.log(c[2:]), 1)[0]
    assert got.loc[("S1", "CLO"), "PPSTRESN"] == pytest.approx(100 / (auc + c[-1] / lamz), rel=1e-12)
    assert got.loc[("S1", "CMAX"), "PPORRES"] == "8" and got.loc[("S1", "CMAX"), "PPGRPID"] == "C1"
    assert len(built.frame) == 2 * 4
    # lineage: each parameter record points at the first concentration record of its profile
    assert set(built.lineage["@file"]) == {"CONC"} and built.lineage["@row"].isin([1, 7]).all()


def test_nca_step_method_and_value_level_metadata_come_from_the_spec(tmp_path):
    spec = load_study(_study(tmp_path, PP=PP)).datasets["PP"].spec
    stresn = next(v for v in spec.variables if v.name == "PPSTRESN")
    assert [(lv.where, lv.label, lv.type) for lv in stresn.value_level][:2] == [
        ({"PPTESTCD": ["CMAX"]}, "Max Conc", "float"), ({"PPTESTCD": ["TMAX"]}, "Time of CMAX Observation", "float")]
    assert stresn.method.startswith("Non-compartmental analysis per USUBJID, CYCLE of the records where USED is Y")
    assert all(lv.method == stresn.method for lv in stresn.value_level)
    testcd = next(v for v in spec.variables if v.name == "PPTESTCD")
    assert "Non-compartmental" in testcd.method  # a column the step makes
    orres = next(v for v in spec.variables if v.name == "PPORRES")
    assert orres.method is None  # not a step column: define.xml describes its own rule


def test_nca_step_in_adam_keeps_source_records_when_asked(tmp_path):
    spec = """dataset: ADNCA
label: NCA
class: BASIC DATA STRUCTURE
structure: One record per profile and parameter
keys: [USUBJID, PARAMCD, SEQ]
source: CONC
steps:
  - derive_param_nca:
      by_vars: [USUBJID, CYCLE]
      filter: 'USED == "Y"'
      time: TIME
      conc: CONC
      settings: {parameters: [CMAX, TMAX]}
      keep_source: true
      set_values_to: {PARAMCD: {expr: PPTESTCD}}
variables:
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}
  - {name: SEQ, label: Sequence, type: integer, origin: Derived, expr: 'coalesce(SEQ, 0)'}
  - {name: PARAMCD, label: Parameter Code, type: text, origin: Derived, expr: 'coalesce(PARAMCD, "CONC")'}
  - {name: AVAL, label: Analysis Value, type: float, origin: Derived, expr: 'coalesce(PPSTRESN, CONC)'}
"""
    study = load_study(_study(tmp_path, ADNCA=spec))
    frame = build_adam_dataset(study, study.datasets["ADNCA"].spec, _inputs(study)).frame
    assert (frame["PARAMCD"] == "CONC").sum() == 9  # every source record kept
    assert frame.loc[(frame["USUBJID"] == "S1") & (frame["PARAMCD"] == "CMAX"), "AVAL"].tolist() == [8.0]


def test_ada_parameters_per_subject_and_drug(tmp_path):
    study = load_study(_study(tmp_path, ADAB=ADAB))
    frame = build_adam_dataset(study, study.datasets["ADAB"].spec, _inputs(study)).frame
    got = frame.set_index(["USUBJID", "PARCAT1", "PARAMCD"])["AVALC"]
    #  subject drug      parameter       expected
    expected = [
        ("S1", "Anti-A", "INDUCD", "Y"),         # negative baseline, positive after
        ("S1", "Anti-A", "PERSADA", "Y"),        # positive at the last sample
        ("S1", "Anti-A", "ADASTAT", "POSITIVE"),
        ("S1", "Anti-A", "NABSTAT", "POSITIVE"),  # emergent ADA and a positive NAb sample
        ("S1", "Anti-B", "BFLAG", "Y"),
        ("S1", "Anti-B", "ENHANC", "Y"),         # titre 80 >= 4 x 10
        ("S1", "Anti-B", "NABSTAT", "MISSING"),  # no NAb sample
        ("S2", "Anti-A", "ADASTAT", "NEGATIVE"),
        ("S2", "Anti-A", "EMERNEG", "Y"),
    ]
    assert [got[(s, d, p)] for s, d, p, _ in expected] == [e for *_, e in expected]
    assert frame.groupby(["USUBJID", "PARCAT1"]).size().eq(13).all()  # 12 ADA parameters and NABSTAT
    # onset in weeks: day 21 for S1's induced (A) and boosted (B) ADA; none for S2
    assert frame.loc[frame["PARAMCD"] == "TIMADA", "AVAL"].tolist() == pytest.approx([3.0, 3.0, np.nan], nan_ok=True)


def test_summary_records_from_another_dataset_make_relationship_records(tmp_path):
    relrec = """dataset: RELREC
label: Related Records
class: RELATIONSHIP
structure: One record per related record
keys: [RDOMAIN, USUBJID, IDVAR, IDVARVAL, RELID]
source:
  records:
    - {RDOMAIN: TU, IDVAR: TULNKID, RELTYPE: ONE, RELID: TUTR}
  steps:
    - derive_summary_records:
        dataset_add: CONC
        filter: 'USED == "Y"'
        by_vars: [USUBJID, SEQ, CYCLE]
        set_values_to: {RDOMAIN: PC, IDVAR: PCSEQ, IDVARVAL: {expr: text(SEQ)}, RELID: {expr: 'concat("C", text(CYCLE))'}}
variables:
  - {name: RDOMAIN, type: text, origin: Assigned, assign: RDOMAIN}
  - {name: USUBJID, type: text, origin: Assigned, assign: USUBJID}
  - {name: IDVAR, type: text, origin: Assigned, assign: IDVAR}
  - {name: IDVARVAL, type: text, origin: Assigned, assign: IDVARVAL}
  - {name: RELTYPE, type: text, origin: Assigned, assign: RELTYPE}
  - {name: RELID, type: text, origin: Assigned, assign: RELID}
"""
    folder = _study(tmp_path)
    (folder / "sdtm" / "relrec.yaml").write_text(relrec)
    study = load_study(folder)
    assert "CONC" in __import__("cdisc.spec.check", fromlist=["dependencies"]).dependencies(study.datasets["RELREC"].spec)
    frame = build_dataset(study, study.datasets["RELREC"].spec, _inputs(study)).frame
    pc = frame[frame["RDOMAIN"] == "PC"]
    assert len(pc) == 8 and set(pc["IDVARVAL"]) == {"1", "2", "3", "4", "5"}  # record 6 (USED = N) is not related
    assert pc["RELID"].eq("C1").all() and pc["RELTYPE"].isna().all()
    assert frame.loc[frame["RDOMAIN"] == "TU", "USUBJID"].isna().all()


@pytest.mark.parametrize(("source", "message"), [
    ("  table: conc\n  steps:\n" + NCA_STEP.replace("  - ", "    - ", 1).replace("\n      ", "\n        "), "steps make records from a built dataset"),
    ("  dataset: CONC\n  steps:\n    - derive: [PPTESTCD]\n", "'derive' has nothing to build"),
])
def test_sdtm_source_steps_the_loader_refuses(tmp_path, source, message):
    text = PP.replace("source:\n  dataset: CONC\n  steps:\n" + NCA_STEP, "source:\n" + source)
    with pytest.raises(SpecError, match=message):
        load_study(_study(tmp_path, PP=text))


def test_value_level_by_names_variables_of_the_dataset(tmp_path):
    with pytest.raises(SpecError, match="value_level_by names NOPE, not variables of the dataset"):
        load_study(_study(tmp_path, PP=PP.replace("of: [PPSTRESN]", "of: [NOPE]")))


def test_text_shows_whole_numbers_without_a_decimal_point():
    frame = pd.DataFrame({"X": [5.0, 12.25, np.nan, 1e-7, -3.0]})
    #                                       5.0   12.25    missing  1e-7         -3.0
    assert parsed("text(X)").evaluate(frame, {}).tolist() == ["5", "12.25", np.nan, "0.0000001", "-3"]
    assert parsed('text("a")').evaluate(frame, {}) == "a"


def test_a_source_step_reading_an_unknown_column_is_a_spec_error(tmp_path):
    spec = """dataset: XX
label: Test
class: FINDINGS
structure: One record per group
keys: [GRP]
source:
  records: [{GRP: A, VAL: 1}, {GRP: A, VAL: 2}]
  steps:
    - derive_summary_records: {by_vars: [GROUP], set_values_to: {TOTAL: {summary: sum, of: VAL}}}
variables:
  - {name: GRP, label: Group, type: text, origin: Assigned, assign: GRP}
"""
    folder = _study(tmp_path)
    (folder / "sdtm" / "xx.yaml").write_text(spec)
    with pytest.raises(SpecError, match=r"XX source step 1: 'GROUP' is not a column of records \(did you mean 'GRP'\?\)"):
        load_study(folder)
