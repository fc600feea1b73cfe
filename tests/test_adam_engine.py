"""The ADaM engine on a tiny study: SDTM inputs from CSV, ADSL and ADAE specs, imputation edge cases."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc.adam.engine import build_adam_dataset
from cdisc.adam.supp import with_supp
from cdisc.arrowtext import plain_columns
from cdisc.checks import validate
from cdisc.errors import DataError, SpecError
from cdisc.sasdates import to_iso
from cdisc.spec.load import load_study
from cdisc.study import run_study

from conftest import SHARED

STUDY = """study: {id: TINY, title: A tiny ADaM study}
inputs:
  folder: sdtm
  datasets:
    DM: {numeric: [AGE]}
    EX: {numeric: [EXSEQ, EXDOSE]}
    AE: {numeric: [AESEQ]}
terminology: {version: "2025-03-28"}
output: {folder: out, created: 2026-01-15T09:00:00}
codelists: null
"""
ADSL = """dataset: ADSL
label: Subject-Level Analysis Dataset
class: SUBJECT LEVEL ANALYSIS DATASET
structure: One record per subject
keys: [STUDYID, USUBJID]
source: DM
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Predecessor, predecessor: STUDYID}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}
  - name: TRTSDT
    label: Date of First Exposure to Treatment
    type: integer
    format: DATE9.
    origin: Derived
    derive_vars_merged: {dataset: EX, where: EXDOSE > 0, order: [EXSTDTC, EXSEQ], value: sas_date(EXSTDTC)}
  - name: TRTEDT
    label: Date of Last Exposure to Treatment
    type: integer
    format: DATE9.
    origin: Derived
    derive_vars_merged: {dataset: EX, where: EXDOSE > 0, order: [EXSTDTC, EXSEQ], mode: last, value: sas_date(EXSTDTC)}
  - name: SAFFL
    label: Safety Population Flag
    type: text
    origin: Derived
    derive_vars_merged: {dataset: EX, where: EXDOSE > 0, value: '"Y"', missing_value: "N"}
"""
ADAE = """dataset: ADAE
label: Adverse Events Analysis Dataset
class: OCCURRENCE DATA STRUCTURE
structure: One record per adverse event per subject
keys: [STUDYID, USUBJID, AESEQ]
source: {dataset: AE, merge: [{dataset: ADSL}]}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Predecessor, predecessor: STUDYID}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}
  - {name: AESEQ, label: Sequence Number, type: integer, origin: Predecessor, predecessor: AESEQ}
  - {name: ASTDT, label: Analysis Start Date, type: integer, format: DATE9., origin: Derived, derive_vars_dt: {dtc: AESTDTC, highest_imputation: M, min_dates: [TRTSDT]}}
  - {name: ASTDTF, label: Analysis Start Date Imputation Flag, type: text, origin: Derived, imputation_flag: ASTDT}
  - {name: AENDT, label: Analysis End Date, type: integer, format: DATE9., origin: Derived, derive_vars_dt: {dtc: AEENDTC, highest_imputation: M, date_imputation: last}}
  - {name: ASTDY, label: Analysis Start Relative Day, type: integer, origin: Derived, derive_vars_dy: {date: ASTDT}}
  - {name: TRTEMFL, label: Treatment Emergent Analysis Flag, type: text, origin: Derived, derive_var_trtemfl: {end_window: 28}}
  - name: AOCCFL
    label: 1st Occurrence within Subject Flag
    type: text
    origin: Derived
    derive_var_extreme_flag: {order: [ASTDT, AESEQ], where: 'TRTEMFL == "Y"'}
"""
DM = "STUDYID,USUBJID,AGE\nTINY,S1,50\nTINY,S2,60\n"
EX = "STUDYID,USUBJID,EXSEQ,EXDOSE,EXSTDTC\nTINY,S1,1,2,2024-03-15\nTINY,S1,2,2,2024-04-05\nTINY,S2,1,0,2024-03-20\n"
AE = (
    "STUDYID,USUBJID,AESEQ,AESTDTC,AEENDTC\n"
    "TINY,S1,1,2024-03,2024-03-20\n"  # partial start in the month of first dose: imputed to the first dose
    "TINY,S1,2,2024,\n"  # year only
    "TINY,S1,3,2024-04-10,2024-04-02\n"  # ends before it starts: a finding, not a crash
    "TINY,S1,4,2024-05-04,\n"  # last dose + 29 days: not emergent
)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    files = {"study.yaml": STUDY, "adam/adsl.yaml": ADSL, "adam/adae.yaml": ADAE, "sdtm/dm.csv": DM, "sdtm/ex.csv": EX, "sdtm/ae.csv": AE}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_adsl_and_adae_with_imputation_edge_cases(tiny):
    result = run_study(tiny)
    built = {b.spec.dataset: b.frame for b in result.built}
    adsl, adae = built["ADSL"], built["ADAE"]
    assert [to_iso(v) for v in adsl["TRTSDT"]] == ["2024-03-15", None]
    assert adsl["SAFFL"].tolist() == ["Y", "N"]
    assert [to_iso(v) for v in adae["ASTDT"]] == ["2024-03-15", "2024-03-15", "2024-04-10", "2024-05-04"]
    assert adae["ASTDTF"].fillna("").tolist() == ["D", "M", "", ""]
    assert adae["ASTDY"].tolist() == [1.0, 1.0, 27.0, 51.0]
    assert adae["TRTEMFL"].fillna("").tolist() == ["Y", "Y", "Y", ""]
    assert adae["AOCCFL"].fillna("").tolist() == ["Y", "", "", ""]  # first by date, then AESEQ


@pytest.mark.skipif(not (SHARED / "standards").is_dir(), reason="shared standards not available")
def test_an_event_ending_before_it_starts_is_a_validation_finding(tiny):
    run_study(tiny)
    findings = validate(tiny / "out", SHARED / "standards").findings
    ended_early = findings[findings["rule"] == "END-BEFORE-START"]
    assert ended_early[["dataset", "row", "variable"]].values.tolist() == [["ADAE", 3, "AENDT"]]


@pytest.mark.parametrize("condition", ['USUBJID', 'if_else(AESEQ > 1, "Y", None)'])
def test_an_adam_condition_that_is_not_true_or_false_is_an_error_as_in_sdtm(tiny, condition):
    flag = "  - {name: BIGFL, label: Big Flag, type: text, origin: Derived, condition: {cases: [{when: '%s', value: Y}]}}\n" % condition
    (tiny / "adam" / "adae.yaml").write_text(ADAE + flag)
    with pytest.raises(DataError, match=r"ADAE.BIGFL: expression .* is not a condition \(true/false\)"):
        run_study(tiny)


def test_an_adam_expression_error_names_the_expression_and_the_records(tiny):
    bad = "  - {name: RATIO, label: Ratio, type: float, origin: Derived, expr: 'AESEQ / (AESEQ - 1)'}\n"
    (tiny / "adam" / "adae.yaml").write_text(ADAE + bad)
    with pytest.raises(DataError, match=r"ADAE.RATIO: expression 'AESEQ / \(AESEQ - 1\)': division by zero on 1 record\(s\) at records 1 \(subjects S1\)"):
        run_study(tiny)


def test_adam_spec_errors_point_at_the_merged_dataset(tiny):
    (tiny / "adam" / "adsl.yaml").write_text(ADSL.replace("value: sas_date(EXSTDTC)}", "value: sas_date(EXSTDT)}", 1))
    with pytest.raises(SpecError) as info:
        load_study(tiny)
    assert "ADSL.TRTSDT: 'EXSTDT' is not a variable of EX (did you mean 'EXSTDTC'?)" in str(info.value)


def test_supp_qualifiers_join_their_parent_records():
    ae = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "AESEQ": [1.0, 2.0, 1.0]})
    supp = pd.DataFrame(
        {"USUBJID": ["S1", "S2", "S1"], "IDVAR": ["AESEQ"] * 3, "IDVARVAL": ["2", "1", "2"], "QNAM": ["AEDLT", "AEDLT", "AERELB"], "QVAL": ["Y", "N", "RELATED"]}
    )
    joined = with_supp(ae, supp)
    assert joined["AEDLT"].fillna("").tolist() == ["", "Y", "N"]
    assert joined["AERELB"].fillna("").tolist() == ["", "RELATED", ""]


def test_supp_qualifiers_take_the_first_value_given_and_match_missing_keys():
    """Per record and QNAM the first QVAL that is not missing (as the pivot's 'first'); a record whose IDVAR is
    missing matches a missing IDVARVAL; QNAM columns in name order after the parent's, whatever the parent's index."""
    ae = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S2"], "AESEQ": [1.0, 2.0, 1.0, np.nan]}, index=[5, 6, 7, 8])
    supp = pd.DataFrame({"USUBJID":  ["S1",   "S1",    "S1",  "S2",  "S2"],
                         "IDVAR":    ["AESEQ"] * 5,
                         "IDVARVAL": ["1",    "1",     "2",   None,  "1"],
                         "QNAM":     ["Z",    "Z",     "A",   "Z",   "A"],
                         "QVAL":     [None,   "SECOND", "A2", "ZNA", None]})
    joined = with_supp(ae, supp)
    assert joined.columns.tolist() == ["USUBJID", "AESEQ", "A", "Z"]
    assert joined.index.tolist() == [0, 1, 2, 3]
    assert joined["A"].fillna("").tolist() == ["", "A2", "", ""]
    assert joined["Z"].fillna("").tolist() == ["SECOND", "", "", "ZNA"]


def test_merge_rules_read_the_qualifiers_of_the_merged_dataset(tiny):
    """``supp: true`` on derive_vars_joined/merged/summary: SUPPAE.AEDLT as a column of AE (admiral combine_supp),
    here a subject's flag for ticked events starting within 30 days of the first dose; unknown QNAMs are spec errors."""
    study = STUDY.replace("    AE: {numeric: [AESEQ]}\n", "    AE: {numeric: [AESEQ]}\n    SUPPAE: {}\n")
    supp = ("STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,QNAM,QLABEL,QVAL\n"
            "TINY,AE,S1,AESEQ,3,AEDLT,DLT,Y\nTINY,AE,S1,AESEQ,4,AEDLT,DLT,Y\nTINY,AE,S1,AESEQ,1,AEDLT,DLT,N\n")
    rules = """  - name: DLTFL
    label: Subject Had a DLT in Cycle 1
    type: text
    origin: Derived
    derive_vars_joined:
      dataset: AE
      supp: true
      where: AEDLT == "Y"
      join_where: TRTSDT <= sas_date(AESTDTC) and sas_date(AESTDTC) <= TRTSDT + 30
      order: [AESEQ]
      value: '"Y"'
  - {name: NDLT, label: DLTs Ticked, type: integer, origin: Derived,
     derive_var_merged_summary: {dataset: AE, supp: true, where: AEDLT == "Y", value: AESEQ, summary: count, missing_value: 0}}
  - {name: FIRSTDLT, label: First DLT Sequence, type: integer, origin: Derived,
     derive_vars_merged: {dataset: AE, supp: true, where: AEDLT == "Y", order: [AESEQ], value: AESEQ}}
"""
    (tiny / "study.yaml").write_text(study)
    (tiny / "sdtm" / "suppae.csv").write_text(supp)
    (tiny / "adam" / "adsl.yaml").write_text(ADSL + rules)
    adsl = {b.spec.dataset: b.frame for b in run_study(tiny).built}["ADSL"]
    assert adsl["DLTFL"].fillna("").tolist() == ["Y", ""]  # AESEQ 3 starts on day 27 (in), AESEQ 4 on day 51 (out)
    assert adsl["NDLT"].tolist() == [2.0, 0.0]
    assert adsl["FIRSTDLT"].fillna(-1).tolist() == [3.0, -1]
    (tiny / "adam" / "adsl.yaml").write_text(ADSL + rules.replace('where: AEDLT == "Y"', 'where: AEDLTX == "Y"', 1))
    with pytest.raises(SpecError) as info:
        load_study(tiny)
    assert "ADSL.DLTFL: 'AEDLTX' is not a variable of AE or SUPPAE (did you mean 'AEDLT'?)" in str(info.value)

ESCALATION = """dataset: ADESC
label: Dose Escalation Summary by Cohort
class: ADAM OTHER
structure: One record per escalation cohort
keys: [STUDYID, COHORTN]
listing: true
source: {dataset: COH}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Predecessor, predecessor: STUDYID}
  - {name: COHORTN, label: Cohort Number, type: integer, origin: Predecessor, predecessor: COHORTN}
  - {name: DOSELVL, label: Dose Level, type: integer, origin: Predecessor, predecessor: DOSELVL}
  - {name: NEVAL, label: DLT-Evaluable Subjects in Cohort, type: integer, origin: Predecessor, predecessor: NEVAL}
  - {name: NDLT, label: Subjects with DLT in Cohort, type: integer, origin: Predecessor, predecessor: NDLT}
  - {name: CUMEVAL, label: DLT-Evaluable Subjects at Dose Level, type: integer, origin: Derived, derive_var_cumulative: {value: NEVAL, by: [DOSELVL], order: [COHORTN]}}
  - {name: CUMDLT, label: Subjects with DLT at Dose Level, type: integer, origin: Derived, derive_var_cumulative: {value: NDLT, by: [DOSELVL], order: [COHORTN]}}
  - {name: DECISION, label: 3+3 Decision after Cohort, type: text, origin: Derived, derive_var_escalation_decision: {evaluable: CUMEVAL, dlt: CUMDLT}}
  - {name: MTDLVL, label: Maximum Tolerated Dose Level, type: integer, origin: Derived, derive_var_mtd: {level: DOSELVL, evaluable: CUMEVAL, dlt: CUMDLT}}
"""
COHORTS = "STUDYID,COHORTN,DOSELVL,NEVAL,NDLT\nT,1,1,3,0\nT,2,2,3,0\nT,3,3,3,1\nT,4,3,3,0\nT,5,4,3,1\nT,6,4,3,0\nT,7,5,3,1\nT,8,5,3,0\nT,9,6,3,2\n"


def test_three_plus_three_decisions_and_mtd_match_the_simulated_trial(tmp_path):
    """The cohorts of the example study's answer key: each decision and the declared MTD (level 5)."""
    study = STUDY.replace("    DM: {numeric: [AGE]}\n    EX: {numeric: [EXSEQ, EXDOSE]}\n    AE: {numeric: [AESEQ]}\n",
                          "    COH: {numeric: [COHORTN, DOSELVL, NEVAL, NDLT]}\n")
    for name, text in {"study.yaml": study, "adam/adesc.yaml": ESCALATION, "sdtm/coh.csv": COHORTS}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    result = run_study(tmp_path)
    frame = result.built[0].frame
    assert frame["DECISION"].tolist() == ["ESCALATE", "ESCALATE", "EXPAND", "ESCALATE", "EXPAND", "ESCALATE", "EXPAND", "ESCALATE", "STOP: MTD EXCEEDED"]
    assert frame["MTDLVL"].unique().tolist() == [5.0]
    listing = (tmp_path / "out" / "reports" / "adesc.txt").read_text()
    assert listing.splitlines()[0] == "ADESC: Dose Escalation Summary by Cohort (9 records)"
    assert "STOP: MTD EXCEEDED" in listing


@pytest.mark.parametrize(
    "expression,message",
    [
        ("USUBJID * 2", "USUBJID is declared text but used as a number; convert it with number(USUBJID)"),
        ('AESEQ > "1"', "AESEQ is declared number but compared with text"),
        ("AESTDTC > 20240101", "AESTDTC is declared text but compared with a number; use number(AESTDTC)"),
    ],
)
def test_type_mismatches_the_declared_types_reveal_are_spec_errors(tiny, expression, message):
    flag = "  - {name: CHECK, label: Check, type: float, origin: Derived, expr: '%s'}\n" % expression.replace("'", "''")
    (tiny / "adam" / "adae.yaml").write_text(ADAE + flag)
    with pytest.raises(SpecError) as info:
        load_study(tiny)
    assert message in str(info.value)


def test_variables_merged_alike_take_their_own_values_from_one_pick(tiny):
    """Variables merged from the same records (dataset, where, order, mode) each get their own value; one merged
    otherwise (another order, no where) picks its own records."""
    more = """  - {name: TRTSSEQ, label: First Dose Sequence, type: integer, origin: Derived,
     derive_vars_merged: {dataset: EX, where: EXDOSE > 0, order: [EXSTDTC, EXSEQ], value: EXSEQ}}
  - {name: LASTSEQ, label: Last Record Sequence, type: integer, origin: Derived,
     derive_vars_merged: {dataset: EX, order: [EXSTDTC, EXSEQ], mode: last, value: EXSEQ}}
"""
    (tiny / "adam" / "adsl.yaml").write_text(ADSL + more)
    adsl = {b.spec.dataset: b.frame for b in run_study(tiny).built}["ADSL"]
    assert [to_iso(v) for v in adsl["TRTSDT"]] == ["2024-03-15", None]
    assert [None if pd.isna(v) else v for v in adsl["TRTSSEQ"]] == [1.0, None]  # S2's only dose is 0
    assert adsl["LASTSEQ"].tolist() == [2.0, 1.0]


def test_supp_qualifiers_whose_idvarval_an_input_dataset_holds_as_numbers():
    """An input SUPP-- read with IDVARVAL numeric matches as its text does: 2.0 is "2"; a VISITNUM of 1.5 is "1.5"."""
    ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1.0, 2.0]})
    supp = pd.DataFrame({"USUBJID": ["S1"], "IDVAR": ["AESEQ"], "IDVARVAL": [2.0], "QNAM": ["AEDLT"], "QVAL": ["Y"]})
    assert with_supp(ae, supp)["AEDLT"].fillna("").tolist() == ["", "Y"]
    vs = pd.DataFrame({"USUBJID": ["S1", "S1"], "VISITNUM": [1.5, 2.0]})
    supp = pd.DataFrame({"USUBJID": ["S1"], "IDVAR": ["VISITNUM"], "IDVARVAL": [1.5], "QNAM": ["VSX"], "QVAL": ["Y"]})
    assert with_supp(vs, supp)["VSX"].fillna("").tolist() == ["Y", ""]


def test_text_merged_onto_every_record_is_held_once_per_value_and_read_as_text(tiny, monkeypatch):
    """ADSL's text merged onto each record is a categorical over its sorted values in a worker's build (``release``) of
    a large dataset, read by rules as the text; written as text, the records are those a build in one process gives. A
    small dataset's records are text (holding it saves nothing there)."""
    import cdisc.arrowtext

    more = """  - {name: SAFFL, label: Safety Population Flag, type: text, origin: Predecessor, predecessor: SAFFL}
  - {name: SAFTXT, label: Safety Text, type: text, origin: Derived, expr: 'if_else(SAFFL == "Y", lower(SAFFL), SAFFL)'}
"""
    (tiny / "adam" / "adae.yaml").write_text(ADAE + more)
    result = run_study(tiny)
    adsl, adae = ({b.spec.dataset: b.frame for b in result.built}[name] for name in ("ADSL", "ADAE"))
    study = load_study(tiny)
    inputs = {name: study.input_frame(name) for name in study.input_files}
    small = build_adam_dataset(study, study.datasets["ADAE"].spec, inputs | {"ADSL": adsl}, release=True).frame
    assert small["SAFFL"].dtype == "str"
    pd.testing.assert_frame_equal(small, adae)
    monkeypatch.setattr(cdisc.arrowtext, "HELD_FROM", 2)
    held = build_adam_dataset(study, study.datasets["ADAE"].spec, inputs | {"ADSL": adsl}, release=True).frame
    assert isinstance(held["SAFFL"].dtype, pd.CategoricalDtype) and held["SAFTXT"].dtype == "str"
    assert held["SAFTXT"].tolist() == ["y"] * 4
    pd.testing.assert_frame_equal(plain_columns(held), adae)
    assert adae["SAFFL"].dtype == "str"
