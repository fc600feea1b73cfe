"""ADaM record steps through a spec: appended sources, computed parameters, summary and extreme records,
basetypes, variables built before and after the steps, ASEQ over the final records (small aligned tables)."""

from pathlib import Path

import pandas as pd
import pytest

from cdisc.adam.engine import build_adam_dataset
from cdisc.errors import DataError, SpecError
from cdisc.spec.load import load_study

STUDY = """study: {id: T, title: Record steps}
inputs:
  folder: sdtm
  datasets:
    VS: {numeric: [VSSEQ, VSSTRESN, VISITNUM, VSTPTNUM]}
terminology: {version: "2025-03-28"}
output: {folder: out, created: 2026-01-15T09:00:00}
codelists: null
"""
VS = """STUDYID,USUBJID,VSSEQ,VSTESTCD,VSSTRESN,VISIT,VISITNUM,VSTPTNUM,VSDTC
T,S1,1,SYSBP,120,BASELINE,1,1,2024-01-01
T,S1,2,SYSBP,130,BASELINE,1,2,2024-01-01
T,S1,3,DIABP,90,BASELINE,1,1,2024-01-01
T,S1,4,DIABP,80,BASELINE,1,2,2024-01-01
T,S1,5,SYSBP,140,WEEK 2,2,1,2024-01-15
T,S1,6,DIABP,95,WEEK 2,2,1,2024-01-15
T,S1,7,HEIGHT,180,BASELINE,1,,2024-01-01
T,S1,8,WEIGHT,81,WEEK 2,2,,2024-01-15
T,S2,1,SYSBP,110,BASELINE,1,1,2024-02-01
"""
HEADER = """dataset: ADVS
label: Vital Signs Analysis Dataset
class: BASIC DATA STRUCTURE
structure: One record per subject, parameter, visit and time point
keys: [USUBJID, PARAMCD, AVISITN, ATPTN, DTYPE]
"""
VARIABLES = """variables:
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}
  - {name: PARAMCD, label: Parameter Code, type: text, origin: Derived, expr: VSTESTCD}
  - {name: AVAL, label: Analysis Value, type: float, origin: Derived, expr: VSSTRESN}
  - {name: AVISITN, label: Analysis Visit (N), type: integer, origin: Derived, expr: VISITNUM}
  - {name: ATPTN, label: Analysis Timepoint (N), type: integer, origin: Derived, expr: VSTPTNUM}
  - {name: DTYPE, label: Derivation Type, type: text, origin: Derived, set_by_step: true}
  - {name: ABLFL, label: Baseline Record Flag, type: text, origin: Derived, condition: {cases: [{when: 'AVISITN == 1 and DTYPE == "AVERAGE"', value: Y}]}}
  - {name: BASE, label: Baseline Value, type: float, origin: Derived, derive_var_base: {where: 'DTYPE == "AVERAGE" or PARAMCD in ["MAP", "BMI"]'}}
  - {name: ASEQ, label: Analysis Sequence Number, type: integer, origin: Derived, derive_var_obs_number: {order: [PARAMCD, AVISITN, ATPTN, DTYPE]}}
"""
STEPS = """steps:
  - derive: [PARAMCD, AVAL, AVISITN, ATPTN]
  - derive_summary_records:
      by_vars: [USUBJID, PARAMCD, AVISITN]
      filter: 'not is_missing(ATPTN)'
      set_values_to: {AVAL: {summary: mean, of: AVAL}, DTYPE: AVERAGE}
  - derive_param_computed:
      by_vars: [USUBJID, AVISITN]
      parameters: [SYSBP, DIABP]
      filter: 'DTYPE == "AVERAGE"'
      set_values_to: {PARAMCD: MAP, AVAL: {expr: "(2 * AVAL.DIABP + AVAL.SYSBP) / 3"}, DTYPE: AVERAGE}
  - derive_param_computed:
      by_vars: [USUBJID, AVISITN]
      parameters: [WEIGHT]
      constant_parameters: [HEIGHT]
      constant_by_vars: [USUBJID]
      set_values_to: {PARAMCD: BMI, AVAL: {expr: "AVAL.WEIGHT / (AVAL.HEIGHT / 100) ** 2"}}
  - derive_extreme_records:
      by_vars: [USUBJID, PARAMCD]
      order: [AVISITN, ATPTN]
      mode: last
      filter: 'PARAMCD == "SYSBP" and is_missing(DTYPE)'
      set_values_to: {AVISITN: 99, DTYPE: LOV}
"""


def study(tmp_path: Path, steps: str = STEPS, vs: str = VS) -> Path:
    folder = tmp_path / "study"
    (folder / "sdtm").mkdir(parents=True)
    (folder / "adam").mkdir()
    (folder / "study.yaml").write_text(STUDY)
    (folder / "sdtm" / "vs.csv").write_text(vs)
    (folder / "adam" / "advs.yaml").write_text(HEADER + "source: VS\n" + steps + VARIABLES)
    return folder


def build_all(folder: Path) -> dict:
    loaded = load_study(folder)
    inputs = {name: loaded.input_frame(name) for name in loaded.input_files}
    return {"ADVS": build_adam_dataset(loaded, loaded.datasets["ADVS"].spec, inputs)}


def advs(folder: Path) -> pd.DataFrame:
    frame = build_all(folder)["ADVS"].frame
    return frame[["USUBJID", "PARAMCD", "AVISITN", "ATPTN", "DTYPE", "AVAL", "ABLFL", "BASE", "ASEQ"]]


def test_steps_add_average_computed_and_last_value_records(tmp_path):
    got = advs(study(tmp_path))
    rows = [tuple(None if pd.isna(v) else v for v in r) for r in got.itertuples(index=False)]
    # USUBJID PARAMCD AVISITN ATPTN DTYPE AVAL ABLFL BASE ASEQ, sorted by the keys (missing first); ASEQ numbers
    # the records in PARAMCD, AVISITN, ATPTN, DTYPE order with missing values last, as admiral's order does
    expected = [
        ("S1", "BMI", 2.0, None, None, 25.0, None, None, 1.0),  # no baseline BMI: height and weight on other visits
        ("S1", "DIABP", 1.0, None, "AVERAGE", 85.0, "Y", 85.0, 4.0),
        ("S1", "DIABP", 1.0, 1.0, None, 90.0, None, None, 2.0),
        ("S1", "DIABP", 1.0, 2.0, None, 80.0, None, None, 3.0),
        ("S1", "DIABP", 2.0, None, "AVERAGE", 95.0, None, 85.0, 6.0),
        ("S1", "DIABP", 2.0, 1.0, None, 95.0, None, None, 5.0),
        ("S1", "HEIGHT", 1.0, None, None, 180.0, None, None, 7.0),
        ("S1", "MAP", 1.0, None, "AVERAGE", pytest.approx((2 * 85 + 125) / 3), "Y", pytest.approx((2 * 85 + 125) / 3), 8.0),
        ("S1", "MAP", 2.0, None, "AVERAGE", pytest.approx((2 * 95 + 140) / 3), None, pytest.approx((2 * 85 + 125) / 3), 9.0),
        ("S1", "SYSBP", 1.0, None, "AVERAGE", 125.0, "Y", 125.0, 12.0),
        ("S1", "SYSBP", 1.0, 1.0, None, 120.0, None, None, 10.0),
        ("S1", "SYSBP", 1.0, 2.0, None, 130.0, None, None, 11.0),
        ("S1", "SYSBP", 2.0, None, "AVERAGE", 140.0, None, 125.0, 14.0),
        ("S1", "SYSBP", 2.0, 1.0, None, 140.0, None, None, 13.0),
        ("S1", "SYSBP", 99.0, 1.0, "LOV", 140.0, None, None, 15.0),
        ("S1", "WEIGHT", 2.0, None, None, 81.0, None, None, 16.0),
        ("S2", "SYSBP", 1.0, None, "AVERAGE", 110.0, "Y", 110.0, 2.0),
        ("S2", "SYSBP", 1.0, 1.0, None, 110.0, None, None, 1.0),
        ("S2", "SYSBP", 99.0, 1.0, "LOV", 110.0, None, None, 3.0),
    ]
    assert rows == expected


def test_lineage_names_the_source_record_and_leaves_derived_records_empty(tmp_path):
    built = build_all(study(tmp_path))["ADVS"]
    lineage = built.lineage.assign(PARAMCD=built.frame["PARAMCD"], DTYPE=built.frame["DTYPE"])
    copied = lineage[lineage["DTYPE"].eq("LOV")]
    assert copied["record"].tolist() == [5, 9]  # the last SYSBP record of each subject, copied
    assert lineage.loc[lineage["PARAMCD"].eq("MAP"), "record"].isna().all()


def test_basetype_records_duplicate_and_base_is_per_basetype(tmp_path):
    steps = STEPS + """  - derive_basetype_records:
      FIRST: 'AVISITN <= 2'
      ALL: 'AVISITN > 0'
"""
    folder = study(tmp_path, steps)
    text = (folder / "adam" / "advs.yaml").read_text()
    text = text.replace("keys: [USUBJID, PARAMCD, AVISITN, ATPTN, DTYPE]", "keys: [USUBJID, PARAMCD, BASETYPE, AVISITN, ATPTN, DTYPE]")
    text = text.replace("  - {name: DTYPE,", "  - {name: BASETYPE, label: Baseline Type, type: text, origin: Derived, set_by_step: true}\n  - {name: DTYPE,")
    text = text.replace("derive_var_base: {where:", "derive_var_base: {by: [USUBJID, PARAMCD, BASETYPE], where:")
    (folder / "adam" / "advs.yaml").write_text(text)
    frame = build_all(folder)["ADVS"].frame
    lov = frame[frame["DTYPE"].eq("LOV")]
    assert sorted(lov["BASETYPE"]) == ["ALL", "ALL"]  # visit 99 is only in ALL
    assert len(frame) == 19 + 17  # every record in ALL, all but the two LOV in FIRST


def test_a_step_reading_a_variable_not_built_yet_says_which_and_what_to_do(tmp_path):
    steps = STEPS.replace("  - derive: [PARAMCD, AVAL, AVISITN, ATPTN]\n", "  - derive: [AVAL, AVISITN, ATPTN]\n")
    with pytest.raises(DataError, match=r"ADVS: step 2 \(derive_summary_records\) reads PARAMCD, which is not built yet: list it in a 'derive' step"):
        build_all(study(tmp_path, steps))


def test_a_computed_parameter_that_exists_already_is_an_error(tmp_path):
    steps = STEPS.replace("PARAMCD: BMI", "PARAMCD: WEIGHT")
    with pytest.raises(DataError, match="PARAMCD WEIGHT already exists"):
        build_all(study(tmp_path, steps))


def test_extreme_records_tied_on_the_order_are_an_error_unless_resolved_by_input_order(tmp_path):
    tied = VS + "T,S2,2,SYSBP,115,BASELINE,1,1,2024-02-01\n"
    with pytest.raises(DataError, match="tied on USUBJID, PARAMCD, AVISITN, ATPTN"):
        build_all(study(tmp_path, vs=tied))


def test_a_group_without_every_parameter_gets_no_computed_record(tmp_path):
    frame = advs(study(tmp_path))
    assert not ((frame["USUBJID"] == "S2") & (frame["PARAMCD"] == "MAP")).any()


def test_an_unknown_step_is_a_spec_error_listing_the_steps(tmp_path):
    folder = study(tmp_path, STEPS.replace("derive_extreme_records:", "derive_extreme_record:"))
    with pytest.raises(SpecError, match=r"advs.yaml:\d+:\d+: ADVS: unknown key 'derive_extreme_record' \(did you mean 'derive_extreme_records'\?\)"):
        load_study(folder)


def test_raw_reads_the_source_column_a_variable_of_the_same_name_redefines_without_a_cycle(tmp_path):
    folder = study(tmp_path, steps="")
    text = (folder / "adam" / "advs.yaml").read_text()
    text = text.replace(  # AVAL reads the source's VSSTRESN; the variable VSSTRESN reads AVAL: no cycle
        "{name: AVAL, label: Analysis Value, type: float, origin: Derived, expr: VSSTRESN}",
        "{name: AVAL, label: Analysis Value, type: float, origin: Derived, expr: 'raw(\"VSSTRESN\")'}\n"
        "  - {name: VSSTRESN, label: Result in mmHg x 2, type: float, origin: Derived, expr: AVAL * 2}",
    )
    (folder / "adam" / "advs.yaml").write_text(text.replace("derive_var_base: {where:", "derive_var_base: {by: [USUBJID, PARAMCD, AVISITN, ATPTN], where:"))
    frame = build_all(folder)["ADVS"].frame
    assert (frame["VSSTRESN"] == 2 * frame["AVAL"]).all() and frame["AVAL"].max() == 180.0


ADSL = """dataset: ADSL
label: Subject-Level Analysis Dataset
class: SUBJECT LEVEL ANALYSIS DATASET
structure: One record per subject
keys: [STUDYID, USUBJID]
source: DM
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Predecessor, predecessor: STUDYID}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Predecessor, predecessor: USUBJID}
  - {name: AGE, label: Age, type: integer, origin: Predecessor, predecessor: AGE}
  - {name: TRT01A, label: Actual Treatment for Period 01, type: text, origin: Assigned, hardcode: DRUG A}
  - {name: HELPER, label: Helper, type: text, origin: Derived, temporary: true, hardcode: X}
"""


def test_copy_from_carries_another_datasets_variables_onto_every_record_in_one_line(tmp_path):
    folder = study(tmp_path)
    (folder / "study.yaml").write_text(STUDY.replace("    VS: {numeric", "    DM: {numeric: [AGE]}\n    VS: {numeric"))
    (folder / "sdtm" / "dm.csv").write_text("STUDYID,USUBJID,AGE\nT,S1,50\nT,S2,61\n")
    (folder / "adam" / "adsl.yaml").write_text(ADSL)
    text = (folder / "adam" / "advs.yaml").read_text()
    (folder / "adam" / "advs.yaml").write_text(text.replace("variables:\n", "variables:\n  - {copy_from: ADSL, except: [STUDYID], by: [USUBJID]}\n"))
    loaded = load_study(folder)
    advs_spec = loaded.datasets["ADVS"].spec
    copied = [v for v in advs_spec.variables if v.origin.type == "Predecessor" and v.name in ("AGE", "TRT01A")]
    assert [(v.name, v.label, v.type, v.origin.predecessor) for v in copied] == [
        ("AGE", "Age", "integer", "ADSL.AGE"), ("TRT01A", "Actual Treatment for Period 01", "text", "ADSL.TRT01A")]
    assert "HELPER" not in [v.name for v in advs_spec.variables]  # temporary variables are not copied
    adsl = build_adam_dataset(loaded, loaded.datasets["ADSL"].spec, {"DM": loaded.input_frame("DM")}).frame
    frame = build_adam_dataset(loaded, advs_spec, {"VS": loaded.input_frame("VS"), "ADSL": adsl}).frame
    computed = frame[frame["PARAMCD"].eq("MAP")]  # a record the steps added gets the subject's values too
    assert computed["AGE"].tolist() == [50.0, 50.0] and set(frame["TRT01A"]) == {"DRUG A"}
    assert frame.groupby("USUBJID")["AGE"].first().to_dict() == {"S1": 50.0, "S2": 61.0}


def test_a_derive_step_builds_the_variables_the_listed_ones_read(tmp_path):
    steps = STEPS.replace("  - derive: [PARAMCD, AVAL, AVISITN, ATPTN]\n", "  - derive: [PARAMCD, AVAL, AVISITN, TPT]\n")
    folder = study(tmp_path, steps)
    text = (folder / "adam" / "advs.yaml").read_text()
    tpt = "  - {name: TPT, label: Time point copy, type: integer, origin: Derived, temporary: true, expr: ATPTN}\n"
    (folder / "adam" / "advs.yaml").write_text(text + tpt)
    assert len(build_all(folder)["ADVS"].frame) == 19  # ATPTN, which TPT reads, was built before the summary step
