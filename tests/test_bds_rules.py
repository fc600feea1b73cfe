"""BDS variable rules through a spec, each on a small aligned table (input columns and the expected
result side by side): anrind, ontrtfl, pchg, shift, analysis_ratio, atoxdsc, atoxgr_dir, atoxgr and lookup
(codes, reference ranges, visit windows), with missing values, empty groups and ties."""

from pathlib import Path

import pandas as pd
import pytest

from cdisc.adam.engine import build_adam_dataset
from cdisc.errors import DataError, SpecError
from cdisc.spec.load import load_study

STUDY = """study: {id: T, title: BDS rules}
inputs:
  folder: sdtm
  datasets:
    LB: {numeric: [NUMERIC]}
terminology: {version: "2025-03-28"}
output: {folder: out, created: 2026-01-15T09:00:00}
codelists: null
"""
HEADER = """dataset: ADLB
label: Lab Analysis Dataset
class: BASIC DATA STRUCTURE
structure: One record per subject, parameter and analysis visit
keys: [USUBJID, SEQ]
source: LB
"""
KEYS = """variables:
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}
  - {name: SEQ, label: Sequence Number, type: integer, origin: Predecessor, predecessor: SEQ}
"""


def cells(table: str) -> pd.DataFrame:
    """An aligned table (cells separated by |, blank = missing) as text cells."""
    lines = [[cell.strip() for cell in line.split("|")] for line in table.strip().splitlines()]
    return pd.DataFrame(lines[1:], columns=lines[0]).replace({"": None})


def build(tmp_path: Path, table: str, variables: str, lookups: str = "", source: str = "LB") -> pd.DataFrame:
    """The ADLB built from the aligned ``table`` (USUBJID and SEQ first; every column a source variable)."""
    folder = tmp_path / "study"
    (folder / "sdtm").mkdir(parents=True, exist_ok=True)
    (folder / "adam").mkdir(exist_ok=True)
    rows = cells(table)
    rows.to_csv(folder / "sdtm" / "lb.csv", index=False)
    numeric = [c for c in rows.columns if c != "USUBJID" and pd.to_numeric(rows[c].dropna(), errors="coerce").notna().all()]
    (folder / "study.yaml").write_text(STUDY.replace("NUMERIC", ", ".join(numeric)))
    (folder / "adam" / "adlb.yaml").write_text(HEADER.replace("source: LB", f"source: {source}") + lookups + KEYS + variables)
    study = load_study(folder)
    inputs = {name: study.input_frame(name) for name in study.input_files}
    return build_adam_dataset(study, study.datasets["ADLB"].spec, inputs).frame


def values(frame: pd.DataFrame, name: str) -> list:
    """A column as a list, missing as None and whole numbers as text the way the aligned tables write them."""
    column = frame[name]
    if pd.api.types.is_numeric_dtype(column):
        column = column.map("{:.15g}".format).where(column.notna())
    return [None if pd.isna(v) else v for v in column]


def expected(table: str, name: str) -> list:
    return [None if v is None else v for v in cells(table)[name]]


def test_anrind_against_the_range_and_the_a1_limits(tmp_path):
    table = """
USUBJID | SEQ | AVAL | LO  | HI  | A1   | PLAIN
S1      | 1   | 5    | 2   | 9   | NORMAL    | NORMAL
S1      | 2   | 2    | 2   | 9   | NORMAL    | NORMAL
S1      | 3   | 1.5  | 2   | 9   | LOW       | LOW
S1      | 4   | 0.5  | 2   | 9   | LOW LOW   | LOW
S1      | 5   | 9.5  | 2   | 9   | HIGH      | HIGH
S1      | 6   | 12   | 2   | 9   | HIGH HIGH | HIGH
S1      | 7   | 12   |     | 9   | HIGH HIGH | HIGH
S1      | 8   | 1    | 2   |     | LOW       | LOW
S1      | 9   | 5    |     |     |           |
S1      | 10  |      | 2   | 9   |           |
S1      | 11  | 0.30000000000000004 | 0.3 | 9 | NORMAL | NORMAL
"""  # the last: 3 * 0.1 is 0.3 at 15 significant digits, as admiral's signif_dig
    variables = """  - {name: A1LO, label: Analysis Range 1 Lower Limit, type: float, origin: Assigned, expr: "1"}
  - {name: A1HI, label: Analysis Range 1 Upper Limit, type: float, origin: Assigned, expr: "10"}
  - {name: ANRIND, label: Analysis Reference Range Indicator, type: text, origin: Derived, derive_var_anrind: {anrlo: LO, anrhi: HI, use_a1hia1lo: true, a1lo: A1LO, a1hi: A1HI}}
  - {name: ANRIND2, label: Without A1, type: text, origin: Derived, derive_var_anrind: {anrlo: LO, anrhi: HI}}
"""
    frame = build(tmp_path, table, variables)
    assert values(frame, "ANRIND") == expected(table, "A1")
    assert values(frame, "ANRIND2") == expected(table, "PLAIN")


def test_ontrtfl_from_first_dose_to_last_dose_plus_window(tmp_path):
    table = """
USUBJID | SEQ | ADT | TRTSDT | TRTEDT | VISIT    | ONTRT | NOWINDOW
S1      | 1   | 9   | 10     | 20     | SCREEN   |       |
S1      | 2   | 10  | 10     | 20     | BASELINE |       |
S1      | 3   | 10  | 10     | 20     | DAY 1    | Y     | Y
S1      | 4   | 20  | 10     | 20     | WEEK 2   | Y     | Y
S1      | 5   | 25  | 10     | 20     | FOLLOW   | Y     |
S1      | 6   | 26  | 10     | 20     | FOLLOW   |       |
S1      | 7   |     | 10     | 20     | UNSCHED  | Y     | Y
S2      | 1   | 15  |        |        | WEEK 2   |       |
S3      | 1   | 99  | 10     |        | WEEK 9   | Y     | Y
"""  # S2 never dosed: never on treatment; S3 still on treatment (no last dose): any time after the first
    variables = """  - name: ONTRTFL
    label: On Treatment Record Flag
    type: text
    origin: Derived
    derive_var_ontrtfl: {ref_end_window: 5, filter_pre_timepoint: 'VISIT == "BASELINE"'}
  - {name: ONTRTFL2, label: No window, type: text, origin: Derived, derive_var_ontrtfl: {filter_pre_timepoint: 'VISIT == "BASELINE"'}}
"""
    frame = build(tmp_path, table, variables)
    assert values(frame, "ONTRTFL") == expected(table, "ONTRT")
    assert values(frame, "ONTRTFL2") == expected(table, "NOWINDOW")


def test_pchg_ratio_and_shift_with_zero_and_missing_baselines(tmp_path):
    table = """
USUBJID | SEQ | AVAL | BASE | VISITN | PCHG | R2BASE | BN     | AN     | SHIFT1
S1      | 1   | 100  | 100  | 0      |      |        | NORMAL | NORMAL |
S1      | 2   | 150  | 100  | 1      | 50   | 1.5    | NORMAL | HIGH   | NORMAL to HIGH
S1      | 3   | 50   | -100 | 1      | 150  | -0.5   | LOW    |        | LOW to NULL
S1      | 4   | 3    | 0    | 1      |      |        |        | LOW    | NULL to LOW
S1      | 5   | 3    |      | 1      |      |        |        |        | NULL to NULL
"""  # PCHG divides by |BASE| (admiral): 50 against -100 is +150 %; a BASE of 0 gives no PCHG or ratio
    variables = """  - {name: PCHG2, label: Percent Change from Baseline, type: float, origin: Derived, derive_var_pchg: {where: 'VISITN > 0'}}
  - {name: R2BASE2, label: Ratio to Baseline, type: float, origin: Derived, derive_var_analysis_ratio: {denom_var: BASE, where: 'VISITN > 0'}}
  - {name: SHIFT, label: Shift 1, type: text, origin: Derived, derive_var_shift: {from_var: BN, to_var: AN, where: 'VISITN > 0'}}
"""
    frame = build(tmp_path, table, variables)
    assert values(frame, "PCHG2") == expected(table, "PCHG")
    assert values(frame, "R2BASE2") == expected(table, "R2BASE")
    assert values(frame, "SHIFT") == expected(table, "SHIFT1")


def test_ctcae_v5_grades_low_high_overall_and_from_an_abnormal_baseline(tmp_path):
    # ALT: ULN 40; a normal baseline grades against ULN, an abnormal (HIGH) one against the baseline (v5.0).
    # NEUT: LLN 1.8, absolute thresholds 1.5, 1.0, 0.5. TSH has no CTCAE term: not graded.
    table = """
USUBJID | SEQ | LBTESTCD | AVAL | ANRLO | ANRHI | BASE | BNRIND | DSCL                       | DSCH                               | GRL | GRH | GR
S1      | 1   | ALT      | 30   | 0     | 40    | 30   | NORMAL |                            | Alanine aminotransferase increased |     | 0   | 0
S1      | 2   | ALT      | 130  | 0     | 40    | 30   | NORMAL |                            | Alanine aminotransferase increased |     | 2   | 2
S1      | 3   | ALT      | 201  | 0     | 40    | 30   | NORMAL |                            | Alanine aminotransferase increased |     | 3   | 3
S2      | 1   | ALT      | 130  | 0     | 40    | 60   | HIGH   |                            | Alanine aminotransferase increased |     | 1   | 1
S2      | 2   | ALT      | 181  | 0     | 40    | 60   | HIGH   |                            | Alanine aminotransferase increased |     | 2   | 2
S2      | 3   | ALT      | 50   | 0     |       | 60   | HIGH   |                            | Alanine aminotransferase increased |     |     |
S3      | 1   | NEUT     | 2.0  | 1.8   | 7.5   |      |        | Neutrophil count decreased |                                    | 0   |     | 0
S3      | 2   | NEUT     | 1.6  | 1.8   | 7.5   |      |        | Neutrophil count decreased |                                    | 1   |     | -1
S3      | 3   | NEUT     | 0.99 | 1.8   | 7.5   |      |        | Neutrophil count decreased |                                    | 3   |     | -3
S3      | 4   | NEUT     | 0.4  | 1.8   | 7.5   |      |        | Neutrophil count decreased |                                    | 4   |     | -4
S3      | 5   | NEUT     |      | 1.8   | 7.5   |      |        | Neutrophil count decreased |                                    |     |     |
S3      | 6   | TSH      | 9    | 0.4   | 4     |      |        |                            |                                    |     |     |
"""
    variables = """  - {name: ATOXDSCL, label: Analysis Toxicity Description Low, type: text, origin: Derived, derive_var_atoxdsc: {criteria_direction: L}}
  - {name: ATOXDSCH, label: Analysis Toxicity Description High, type: text, origin: Derived, derive_var_atoxdsc: {criteria_direction: H}}
  - {name: ATOXGRL, label: Analysis Toxicity Grade Low, type: text, origin: Derived, derive_var_atoxgr_dir: {tox_description_var: ATOXDSCL, criteria_direction: L}}
  - {name: ATOXGRH, label: Analysis Toxicity Grade High, type: text, origin: Derived, derive_var_atoxgr_dir: {tox_description_var: ATOXDSCH, criteria_direction: H}}
  - {name: ATOXGR, label: Analysis Toxicity Grade, type: text, origin: Derived, derive_var_atoxgr: {}}
"""
    frame = build(tmp_path, table, variables)
    assert values(frame, "ATOXDSCL") == expected(table, "DSCL")
    assert values(frame, "ATOXDSCH") == expected(table, "DSCH")
    assert values(frame, "ATOXGRL") == expected(table, "GRL")
    assert values(frame, "ATOXGRH") == expected(table, "GRH")
    assert values(frame, "ATOXGR") == expected(table, "GR")


def test_ctcae_v4_grades_alt_against_the_uln_only(tmp_path):
    table = """
USUBJID | SEQ | AVAL | ANRHI | BNRIND | DSCH                               | V4 | V5
S1      | 1   | 130  | 40    | HIGH   | Alanine aminotransferase increased | 2  | 1
"""  # v4.03 has no baseline-relative clause: 130 > 3 x ULN is grade 2; v5.0 against a HIGH baseline of 60: 1
    variables = """  - {name: BASE, label: Baseline Value, type: float, origin: Assigned, expr: "60"}
  - {name: GR4, label: Grade v4, type: text, origin: Derived, derive_var_atoxgr_dir: {meta_criteria: ctcae_v4, tox_description_var: DSCH, criteria_direction: H, anrlo: ANRHI}}
  - {name: GR5, label: Grade v5, type: text, origin: Derived, derive_var_atoxgr_dir: {tox_description_var: DSCH, criteria_direction: H, anrlo: ANRHI}}
"""
    frame = build(tmp_path, table, variables)
    assert values(frame, "GR4") == expected(table, "V4")
    assert values(frame, "GR5") == expected(table, "V5")


def test_a_grade_needing_a_variable_the_rule_does_not_name_is_an_error(tmp_path):
    table = """
USUBJID | SEQ | AVAL | ANRLO | ANRHI | DSCH
S1      | 1   | 130  | 0     | 40    | Alanine aminotransferase increased
"""
    variables = """  - {name: GR, label: Grade, type: text, origin: Derived, derive_var_atoxgr_dir: {tox_description_var: DSCH, criteria_direction: H, base: null, bnrind: null}}
"""
    with pytest.raises(DataError, match=r"ADLB.GR: grading Alanine aminotransferase increased needs variable BASE, which the dataset does not have; name the variable that holds it in the rule"):
        build(tmp_path, table, variables)


LOOKUPS = """lookups:
  PARAMS:
    - {PARAMCD: ALT, PARAM: Alanine Aminotransferase (U/L), PARAMN: 3}
    - {PARAMCD: K, PARAM: Potassium (mmol/L), PARAMN: 23}
  RANGES:
    - {PARAMCD: K, SEX: F, ANRLO: 3.5, ANRHI: 5.0}
    - {PARAMCD: K, SEX: M, ANRLO: 3.6, ANRHI: 5.1}
  WINDOWS:
    - {AVISIT: Baseline, AVISITN: 0, AWLO: null, AWHI: 1}
    - {AVISIT: Week 2, AVISITN: 2, AWLO: 2, AWHI: 21}
    - {AVISIT: Week 4, AVISITN: 4, AWLO: 22, AWHI: 35}
"""


def test_lookup_by_code_by_two_columns_and_by_a_window(tmp_path):
    table = """
USUBJID | SEQ | TESTCD | SEX | ADY | PARAM                          | PARAMN | LO  | AVISIT   | AVISITN
S1      | 1   | K      | F   | -3  | Potassium (mmol/L)             | 23     | 3.5 | Baseline | 0
S1      | 2   | K      | F   | 1   | Potassium (mmol/L)             | 23     | 3.5 | Baseline | 0
S1      | 3   | K      | F   | 2   | Potassium (mmol/L)             | 23     | 3.5 | Week 2   | 2
S2      | 1   | K      | M   | 35  | Potassium (mmol/L)             | 23     | 3.6 | Week 4   | 4
S2      | 2   | ALT    | M   | 36  | Alanine Aminotransferase (U/L) | 3      |     |          |
S2      | 3   | ALT    | M   |     | Alanine Aminotransferase (U/L) | 3      |     |          |
"""  # window limits are both included, a missing limit is no limit; ALT has no range, day 36 and no day no window
    variables = """  - {name: PARAMCD, label: Parameter Code, type: text, origin: Derived, lookup: {table: PARAMS, by: {PARAMCD: TESTCD}, value: PARAMCD}}
  - {name: PARAM2, label: Parameter, type: text, origin: Derived, lookup: {table: PARAMS, by: [PARAMCD], value: PARAM}}
  - {name: PARAMN2, label: Parameter (N), type: integer, origin: Derived, lookup: {table: PARAMS, by: [PARAMCD], value: PARAMN}}
  - {name: ANRLO, label: Analysis Range Lower Limit, type: float, origin: Derived, lookup: {table: RANGES, by: [PARAMCD, SEX], value: ANRLO, missing_value: null}}
  - {name: AVISIT2, label: Analysis Visit, type: text, origin: Derived, lookup: {table: WINDOWS, between: {value: ADY, low: AWLO, high: AWHI}, value: AVISIT, missing_value: null}}
  - {name: AVISITN2, label: Analysis Visit (N), type: integer, origin: Derived, lookup: {table: WINDOWS, by: {AVISIT: AVISIT2}, value: AVISITN, missing_value: null}}
"""
    frame = build(tmp_path, table, variables, LOOKUPS)
    assert values(frame, "PARAM2") == expected(table, "PARAM")
    assert values(frame, "PARAMN2") == expected(table, "PARAMN")
    assert values(frame, "ANRLO") == expected(table, "LO")
    assert values(frame, "AVISIT2") == expected(table, "AVISIT")
    assert values(frame, "AVISITN2") == expected(table, "AVISITN")


def test_an_unmatched_code_is_an_error_naming_the_records(tmp_path):
    table = """
USUBJID | SEQ | TESTCD
S1      | 1   | K
S2      | 1   | GLUC
S2      | 2   |
"""  # a missing code matches no row either
    variables = "  - {name: PARAMCD, label: Parameter Code, type: text, origin: Derived, lookup: {table: PARAMS, by: {PARAMCD: TESTCD}, value: PARAMCD}}\n"
    with pytest.raises(DataError, match=r"ADLB.PARAMCD: no row of lookup table PARAMS matches at records 2, 3 \(subjects S2\); add a row"):
        build(tmp_path, table, variables, LOOKUPS)


def test_overlapping_windows_and_unknown_tables_are_errors(tmp_path):
    table = """
USUBJID | SEQ | ADY
S1      | 1   | 1
S1      | 2   | 5
"""
    overlapping = LOOKUPS + "    - {AVISIT: Day 1, AVISITN: 1, AWLO: 1, AWHI: 1}\n"
    variables = "  - {name: AVISIT, label: Analysis Visit, type: text, origin: Derived, lookup: {table: WINDOWS, between: {value: ADY, low: AWLO, high: AWHI}, value: AVISIT}}\n"
    with pytest.raises(DataError, match=r"several rows of lookup table WINDOWS match at records 1 \(subjects S1\)"):
        build(tmp_path, table, variables, overlapping)
    with pytest.raises(SpecError, match=r"ADLB.AVISIT: lookup table 'VISITS' is not in this spec's lookups \(defined: PARAMS, RANGES, WINDOWS\)"):
        build(tmp_path, table, variables.replace("WINDOWS", "VISITS"), LOOKUPS)
    with pytest.raises(SpecError, match=r"ADLB.AVISIT: 'AWHIGH' is not a column of lookup table WINDOWS"):
        build(tmp_path, table, variables.replace("high: AWHI", "high: AWHIGH"), LOOKUPS)


def test_every_rule_on_no_records_gives_an_empty_dataset(tmp_path):
    table = """
USUBJID | SEQ | TESTCD | AVAL | ANRLO | ANRHI | BASE | BNRIND | ADT | TRTSDT | TRTEDT | ADY
S1      | 1   | K      | 4    | 3.5   | 5     | 4    | NORMAL | 1   | 1      | 9      | 1
"""
    variables = """  - {name: PARAMCD, label: Parameter Code, type: text, origin: Derived, lookup: {table: PARAMS, by: {PARAMCD: TESTCD}, value: PARAMCD}}
  - {name: AVISIT, label: Analysis Visit, type: text, origin: Derived, lookup: {table: WINDOWS, between: {value: ADY, low: AWLO, high: AWHI}, value: AVISIT}}
  - {name: ANRIND, label: Analysis Reference Range Indicator, type: text, origin: Derived, derive_var_anrind: {}}
  - {name: ONTRTFL, label: On Treatment Record Flag, type: text, origin: Derived, derive_var_ontrtfl: {}}
  - {name: PCHG, label: Percent Change from Baseline, type: float, origin: Derived, derive_var_pchg: {}}
  - {name: R2BASE, label: Ratio to Baseline, type: float, origin: Derived, derive_var_analysis_ratio: {denom_var: BASE}}
  - {name: SHIFT1, label: Shift 1, type: text, origin: Derived, derive_var_shift: {from_var: BNRIND, to_var: ANRIND}}
  - {name: ATOXDSCH, label: Analysis Toxicity Description High, type: text, origin: Derived, derive_var_atoxdsc: {source: TESTCD, criteria_direction: H}}
  - {name: ATOXGRH, label: Analysis Toxicity Grade High, type: text, origin: Derived, derive_var_atoxgr_dir: {tox_description_var: ATOXDSCH, criteria_direction: H}}
"""
    frame = build(tmp_path, table, variables, LOOKUPS, source="{dataset: LB, where: 'SEQ > 99'}")
    assert len(frame) == 0 and {"PARAMCD", "AVISIT", "ANRIND", "ATOXGRH", "SHIFT1"} <= set(frame.columns)


def test_a_text_value_where_a_number_is_needed_names_the_records(tmp_path):
    table = """
USUBJID | SEQ | AVAL | LO
S1      | 1   | 5    | 2
S2      | 1   | 5    | <2
"""  # LO is text in the input (not every value a number): the range indicator cannot compare with '<2'
    variables = "  - {name: ANRIND, label: Analysis Reference Range Indicator, type: text, origin: Derived, derive_var_anrind: {anrlo: LO, anrhi: AVAL}}\n"
    with pytest.raises(DataError, match=r"ADLB.ANRIND: LO holds values that are not numbers \('<2'\) at records 2 \(subjects S2\); declare"):
        build(tmp_path, table, variables)


def test_a_grade_that_is_not_a_number_names_the_records(tmp_path):
    table = """
USUBJID | SEQ | ATOXGRL | ATOXGRH | ATOXDSCL | ATOXDSCH
S1      | 1   | 0       | 2       | Anemia   | Hypercalcemia
S2      | 1   | Grade 1 | 0       | Anemia   | Hypercalcemia
"""  # (a lab extract with the grade written as text)
    variables = "  - {name: ATOXGR, label: Analysis Toxicity Grade, type: text, origin: Derived, derive_var_atoxgr: {}}\n"
    with pytest.raises(DataError, match=r"ADLB.ATOXGR: ATOXGRL holds values that are not numbers \('Grade 1'\) at records 2 \(subjects S2\)"):
        build(tmp_path, table, variables)
