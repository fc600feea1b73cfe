"""The SDTM engine on small studies: rules, derivations, SUPP--, trial design rows, EPOCH, and bad input."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from cdisc.errors import DataError, SpecError
from cdisc.sdtm.engine import build_dataset
from cdisc.sdtm.reconcile import reconcile
from cdisc.spec.load import load_study

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
CT = (MINIMAL / "../../../specs/ct/SDTM_Terminology_2025-03-28.txt.gz").resolve()


def study_with(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    """The minimal study copied to tmp_path, with ``files`` (path -> text) added or replaced."""
    folder = tmp_path / "study"
    shutil.copytree(MINIMAL, folder)
    study_yaml = folder / "study.yaml"
    study_yaml.write_text(study_yaml.read_text().replace("../../../specs/ct/SDTM_Terminology_2025-03-28.txt.gz", str(CT)))
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def build_all(folder: Path) -> dict:
    study = load_study(folder)
    frames, results = {}, {}
    for name, dataset in study.datasets.items():
        results[name] = build_dataset(study, dataset.spec, frames)
        frames[name] = results[name].frame
    return results


def replace_in(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_minimal_study_builds_dm_and_ae(tmp_path):
    results = build_all(study_with(tmp_path))
    dm, ae = results["DM"].frame, results["AE"].frame
    assert dm["USUBJID"].tolist() == ["MINI-01-01-001", "MINI-01-01-002", "MINI-01-02-003"]
    assert dm["RFSTDTC"].tolist() == ["2024-03-05T09:30", "2024-03-07", "2024-03-11T08:15"]
    assert dm["RFENDTC"].tolist() == ["2024-03-26", "2024-03-07", "2024-03-11"]
    assert dm["BRTHDTC"].tolist() == ["1960-03-12", "1955", "1970-05-02"]
    assert dm["SEX"].tolist() == ["M", "F", "F"]  # 'Male', 'female' and 'F' through the study codelist
    assert ae["AETERM"].tolist() == ["NAUSEA", "HEADACHE", "NEUTROPENIA"]
    assert ae["AESTDTC"].tolist() == ["2024-03", "2024-03-06", "2024-03-20T14:00"]
    assert ae["AESTDY"].tolist()[1:] == [2.0, 10.0] and pd.isna(ae["AESTDY"].iloc[0])  # none for partial dates
    assert ae["AESEQ"].tolist() == [1.0, 2.0, 1.0]  # 2024-03 sorts before 2024-03-06
    assert ae["AESEV"].tolist() == ["MODERATE", "MILD", "SEVERE"]


def test_excluded_rows_and_lineage(tmp_path):
    ae = build_all(study_with(tmp_path))["AE"]
    assert ae.excluded[["@file", "@row", "reason"]].values.tolist() == [["ae.csv", 4, "No adverse event recorded on this page"]]
    assert ae.lineage["@row"].tolist() == [3, 2, 5]


def test_supp_records_use_seq_as_idvar(tmp_path):
    supp = build_all(study_with(tmp_path))["AE"].supp
    assert supp[["USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL", "QEVAL"]].values.tolist() == [
        ["MINI-01-01-001", "AESEQ", "1", "AEDLT", "N", "INVESTIGATOR"],
        ["MINI-01-01-001", "AESEQ", "2", "AEDLT", "N", "INVESTIGATOR"],
        ["MINI-01-02-003", "AESEQ", "1", "AEDLT", "Y", "INVESTIGATOR"],
    ]


def test_day_one_is_the_reference_day_and_there_is_no_day_zero(tmp_path):
    folder = study_with(tmp_path)
    (folder / "raw" / "ae.csv").write_text(
        "SITEID,SUBJID,AEYN,AETERM,AESTDAT,AESTTIM,AESEV,AESER,AEDLT\n"
        "01,001,Y,A,05-MAR-2024,,Mild,N,N\n01,001,Y,B,04-MAR-2024,,Mild,N,N\n01,001,Y,C,06-MAR-2024,,Mild,N,N\n"
    )
    ae = build_all(folder)["AE"].frame.set_index("AETERM")
    assert ae.loc[["B", "A", "C"], "AESTDY"].tolist() == [-1.0, 1.0, 2.0]


def test_condition_expression_and_visits(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "study.yaml", "reference_dates:", "visits:\n  - {visitnum: 1, visit: SCREENING, collected: [SCR]}\n  - {visitnum: 2, visit: CYCLE 1 DAY 1, collected: [C1D1, Cycle 1 Day 1]}\nreference_dates:")
    (folder / "raw" / "dm.csv").write_text(
        "SITEID,SUBJID,SEX,BRTHDAT,AGE,FOLDER\n01,001,Male,12-MAR-1960,64,scr\n01,002,F,,17, cycle 1 day 1\n02,003,F,,80,C1D1\n"
    )
    replace_in(folder, "sdtm/dm.yaml", "  - {name: SEX,", """  - name: AGEGR1
    label: Age Group
    type: text
    origin: Derived
    condition:
      cases:
        - {when: AGE < 18, value: "<18"}
        - {when: AGE >= 65, value: ">=65"}
      else: 18-64
  - {name: VISITNUM, label: Visit Number, type: float, origin: Derived, visitnum: FOLDER}
  - {name: VISIT, label: Visit Name, type: text, origin: Derived, visit: FOLDER}
  - {name: SEX,""")
    dm = build_all(folder)["DM"].frame
    assert dm["AGEGR1"].tolist() == ["18-64", "<18", ">=65"]  # AGE here is the built numeric DM.AGE
    assert dm["VISITNUM"].tolist() == [1.0, 2.0, 2.0]
    assert dm["VISIT"].tolist() == ["SCREENING", "CYCLE 1 DAY 1", "CYCLE 1 DAY 1"]


def test_unknown_visit_names_the_rows(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "study.yaml", "reference_dates:", "visits:\n  - {visitnum: 1, visit: SCREENING}\nreference_dates:")
    (folder / "raw" / "dm.csv").write_text("SITEID,SUBJID,SEX,BRTHDAT,AGE,FOLDER\n01,001,M,,64,SCREENING\n01,002,F,,17,UNSCHED\n")
    replace_in(folder, "sdtm/dm.yaml", "  - {name: SEX,", "  - {name: VISIT, label: Visit Name, type: text, origin: Derived, visit: FOLDER}\n  - {name: SEX,")
    with pytest.raises(DataError, match=r"DM.VISIT: 1 raw FOLDER value\(s\) are not visits in study.yaml: 'UNSCHED' at dm.csv rows 3 \(subjects MINI-01-01-002\)"):
        build_all(folder)


def test_duplicates_are_excluded_with_the_row_they_repeat(tmp_path):
    folder = study_with(tmp_path)
    with (folder / "raw" / "ae.csv").open("a") as handle:
        handle.write("02,003,Y,Neutropenia,20-MAR-2024,14:00,Severe,Y,Y\n")
    replace_in(folder, "sdtm/ae.yaml", "  exclude:", "  deduplicate: {by: [SITEID, SUBJID, AETERM, AESTDAT, AESTTIM]}\n  exclude:")
    ae = build_all(folder)["AE"]
    assert len(ae.frame) == 3
    assert ae.excluded["reason"].tolist() == ["No adverse event recorded on this page", "duplicate record (same as row 5)"]


TRIAL_DESIGN = {
    "sdtm/ts.yaml": """dataset: TS
label: Trial Summary
class: TRIAL DESIGN
structure: One record per trial summary parameter value
keys: [STUDYID, TSPARMCD, TSSEQ]
source:
  records:
    - {TSPARMCD: SSTDTC, TSPARM: Study Start Date, TSVAL: "2024-03-01"}
    - {TSPARMCD: TPHASE, TSPARM: Trial Phase Classification, TSVAL: PHASE I/II TRIAL}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: DOMAIN, label: Domain Abbreviation, type: text, origin: Assigned, hardcode: TS}
  - {name: TSSEQ, label: Sequence Number, type: integer, origin: Derived, seq: {by: [TSPARMCD]}}
  - {name: TSPARMCD, label: Trial Summary Parameter Short Name, type: text, origin: Protocol, assign: TSPARMCD}
  - {name: TSPARM, label: Trial Summary Parameter, type: text, origin: Protocol, assign: TSPARM}
  - {name: TSVAL, label: Parameter Value, type: text, origin: Protocol, assign: TSVAL}
""",
    "sdtm/se.yaml": """dataset: SE
label: Subject Elements
class: SPECIAL PURPOSE
structure: One record per actual Element per subject
keys: [STUDYID, USUBJID, SESEQ]
source:
  dataset: DM
  expand: {ETCD: [SCRN, TRT]}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: DOMAIN, label: Domain Abbreviation, type: text, origin: Assigned, hardcode: SE}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, assign: USUBJID}
  - {name: ETCD, label: Element Code, type: text, origin: Assigned, assign: ETCD}
  - name: SESTDTC
    label: Start Date/Time of Element
    type: datetime
    origin: Derived
    condition: {cases: [{when: 'ETCD == "SCRN"', from: BRTHDTC}, {when: 'ETCD == "TRT"', from: RFSTDTC}]}
  - name: SEENDTC
    label: End Date/Time of Element
    type: datetime
    origin: Derived
    condition: {cases: [{when: 'ETCD == "SCRN"', from: RFSTDTC}, {when: 'ETCD == "TRT"', from: RFENDTC}]}
  - name: EPOCH
    label: Epoch
    type: text
    origin: Assigned
    condition: {cases: [{when: 'ETCD == "SCRN"', value: SCREENING}], else: TREATMENT}
  - {name: SESEQ, label: Sequence Number, type: integer, origin: Derived, seq: {order_by: [SESTDTC]}}
""",
}


def test_trial_design_rows_from_the_spec(tmp_path):
    ts = build_all(study_with(tmp_path, TRIAL_DESIGN))["TS"]
    assert ts.frame[["TSPARMCD", "TSVAL", "TSSEQ"]].values.tolist() == [
        ["SSTDTC", "2024-03-01", 1.0],
        ["TPHASE", "PHASE I/II TRIAL", 1.0],
    ]
    assert ts.lineage["@file"].unique().tolist() == ["TS spec records"]


def test_epoch_from_subject_elements(tmp_path):
    files = dict(TRIAL_DESIGN)
    folder = study_with(tmp_path, files)
    replace_in(folder, "sdtm/ae.yaml", "  - {name: AESTDY,", "  - {name: EPOCH, label: Epoch, type: text, origin: Derived, epoch: AESTDTC}\n  - {name: AESTDY,")
    results = build_all(folder)
    assert list(load_study(folder).datasets) == ["DM", "TS", "SE", "AE"]  # SE after DM, AE after SE
    se = results["SE"].frame
    assert se.loc[se["USUBJID"] == "MINI-01-01-001", ["ETCD", "SESTDTC", "SEENDTC"]].values.tolist() == [
        ["SCRN", "1960-03-12", "2024-03-05T09:30"],
        ["TRT", "2024-03-05T09:30", "2024-03-26"],
    ]
    ae = results["AE"].frame
    # 2024-03 is partial: no epoch; 03-06 and 03-20 fall in treatment (03-20 after 003's end: none)
    assert ae["EPOCH"].fillna("").tolist() == ["", "TREATMENT", ""]


# --- bad input: each a clear error naming file, row, subject and variable --------------------


def test_impossible_date_is_an_error_naming_file_row_subject_and_variable(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "raw/ae.csv", "06-MAR-2024", "31-FEB-2024")
    with pytest.raises(DataError) as info:
        build_all(folder)
    assert str(info.value) == (
        "AE.AESTDTC: 1 invalid date(s) in raw AESTDAT + AESTTIM at ae.csv rows 2 (subjects MINI-01-01-001): "
        "'31-FEB-2024': no such day in that month"
    )


def test_dates_are_converted_once_per_distinct_value_and_errors_name_every_row(tmp_path):
    folder = study_with(tmp_path)
    (folder / "raw" / "ae.csv").write_text(
        "SITEID,SUBJID,AEYN,AETERM,AESTDAT,AESTTIM,AESEV,AESER,AEDLT\n"
        "01,001,Y,A,05-MAR-2024,10:00,Mild,N,N\n01,001,Y,B,05-MAR-2024,,Mild,N,N\n"
        "01,002,Y,C,05-MAR-2024,10:00,Mild,N,N\n02,003,Y,D,,,Mild,N,N\n02,003,Y,E,UNK-MAR-2024,,Mild,N,N\n"
    )
    ae = build_all(folder)["AE"].frame.set_index("AETERM")
    assert ae.loc[["A", "B", "C", "E"], "AESTDTC"].tolist() == ["2024-03-05T10:00", "2024-03-05", "2024-03-05T10:00", "2024-03"]
    assert pd.isna(ae.loc["D", "AESTDTC"])
    replace_in(folder, "raw/ae.csv", "05-MAR-2024", "30-FEB-2024")
    with pytest.raises(DataError) as info:
        build_all(folder)
    assert str(info.value).startswith(
        "AE.AESTDTC: 3 invalid date(s) in raw AESTDAT + AESTTIM at ae.csv rows 2, 3, 4 (subjects MINI-01-01-001, MINI-01-01-002): "
        "'30-FEB-2024 10:00': no such day in that month"
    )


def test_unmapped_ct_value_is_an_error_with_rows(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "raw/ae.csv", "MODERATE", "Medium")
    with pytest.raises(DataError) as info:
        build_all(folder)
    assert str(info.value).startswith(
        "AE.AESEV: 1 value(s) of raw column AESEV are not in codelist AESEV: 'Medium' at ae.csv rows 3 (subjects MINI-01-01-001)"
    )


def test_unmapped_ct_value_set_missing_is_listed_never_passed_through(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "raw/ae.csv", "MODERATE", "Medium")
    replace_in(folder, "sdtm/ae.yaml", "assign_ct: AESEV}", "assign_ct: {from: AESEV, unmapped: missing}}")
    ae = build_all(folder)["AE"]
    assert ae.frame["AESEV"].isna().tolist() == [True, False, False]
    warning = str(ae.warnings[0])
    assert "not in codelist AESEV: 'Medium' at ae.csv rows 3" in warning and warning.endswith("set to missing")


def test_the_old_unmapped_warning_option_is_a_spec_error_saying_what_to_write(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "sdtm/ae.yaml", "assign_ct: AESEV}", "assign_ct: {from: AESEV, unmapped: warning}}")
    with pytest.raises(SpecError, match="write 'unmapped: missing'"):
        load_study(folder)


def test_duplicate_keys_are_an_error_naming_the_rows(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "sdtm/dm.yaml", "keys: [STUDYID, USUBJID]", "keys: [STUDYID, SITEID]")
    with pytest.raises(DataError, match=r"DM: 2 records share their keys \(STUDYID, SITEID\) with another record: dm.csv row 2, dm.csv row 3"):
        build_all(folder)


def test_raw_file_missing_a_column_is_a_spec_error(tmp_path):
    folder = study_with(tmp_path)
    (folder / "raw" / "ae.csv").write_text("SITEID,SUBJID,AEYN,AETERM,AESTDAT,AESEV,AESER,AEDLT\n")
    with pytest.raises(SpecError) as info:
        load_study(folder)
    assert "AE.AESTDTC: unknown source column 'AESTTIM' in raw table 'ae' (did you mean 'AESTDAT'?)" in str(info.value)


def test_text_in_a_numeric_variable_names_the_rows(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "raw/dm.csv", ",69\n", ",sixty-nine\n")
    with pytest.raises(DataError, match=r"DM.AGE: number\(AGE\): 1 value\(s\) are not numbers, e.g. 'sixty-nine' at dm.csv rows 3 \(subjects MINI-01-01-002\)"):
        build_all(folder)


def test_reconciliation_accounts_for_every_raw_row(tmp_path):
    folder = study_with(tmp_path)
    study = load_study(folder)
    built = [build_dataset(study, d.spec, {}) for d in study.datasets.values() if d.spec.dataset == "DM"]
    frames = {"DM": built[0].frame}
    built.append(build_dataset(study, study.datasets["AE"].spec, frames))
    report = reconcile(study, built).set_index("table")
    assert report.loc["ae", ["rows", "mapped", "excluded", "unaccounted"]].tolist() == [4, 3, 1, 0]
    assert report.loc["ex", ["rows", "reference_date"]].tolist() == [4, 4]


def test_a_raw_table_nobody_maps_is_an_error_until_declared(tmp_path):
    folder = study_with(tmp_path, {"raw/cm.csv": "SITEID,SUBJID,CMTRT\n01,001,ASPIRIN\n"})
    study = load_study(folder)
    with pytest.raises(DataError, match=r"\n  cm.csv: 1 row\(s\) neither mapped nor excluded \(rows 2\)$"):
        reconcile(study, list(build_all(folder).values()))
    replace_in(folder, "study.yaml", "reference_dates:", "not_converted:\n  cm: CM is mapped in a later release\nreference_dates:")
    study = load_study(folder)
    assert reconcile(study, list(build_all(folder).values())).set_index("table").loc["cm", "not_converted"] == 1


def test_a_temporary_variable_feeds_later_rules_and_is_not_written(tmp_path):
    folder = study_with(tmp_path)
    replace_in(
        folder, "sdtm/ae.yaml",
        "  - {name: AESTDTC, label: Start Date/Time of Adverse Event, type: datetime, origin: Collected, iso8601: {date: AESTDAT, time: AESTTIM}}",
        "  - {name: STDAT, label: Start date cleaned, type: text, origin: Derived, temporary: true, expr: 'upper(strip(AESTDAT))'}\n"
        "  - {name: AESTDTC, label: Start Date/Time of Adverse Event, type: datetime, origin: Collected, iso8601: {date: STDAT, time: AESTTIM}}",
    )
    ae = build_all(folder)["AE"]
    assert "STDAT" not in ae.frame.columns
    assert ae.frame["AESTDTC"].tolist() == ["2024-03", "2024-03-06", "2024-03-20T14:00"]


def test_a_temporary_variable_cannot_be_a_key(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "sdtm/ae.yaml", "origin: Derived, seq: {order_by", "origin: Derived, temporary: true, seq: {order_by")
    with pytest.raises(SpecError, match="key 'AESEQ' is a temporary variable"):
        load_study(folder)


def test_a_value_outside_a_non_extensible_codelist_from_any_rule_is_an_error_naming_the_records(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "sdtm/ae.yaml", "origin: Collected, assign_ct: AESER}", "origin: Collected, expr: 'if_else(AESER == \"Y\", \"Y\", \"MAYBE\")'}")
    with pytest.raises(DataError, match=r"AE.AESER: 2 value\(s\) are not in codelist NY \(the codelist is not extensible\): 'MAYBE' \(2 records\) at ae.csv rows 2, 3"):
        build_all(folder)


EXTENSIBLE = """  - name: SEVX
    label: Severity (extensible)
    extensible: true
    terms: [{value: MILD}, {value: MODERATE}, {value: SEVERE}]
"""


def test_values_outside_an_extensible_codelist_are_listed_as_extensions_with_counts(tmp_path):
    folder = study_with(tmp_path)
    (folder / "codelists.yaml").write_text((folder / "codelists.yaml").read_text() + EXTENSIBLE)
    replace_in(folder, "sdtm/ae.yaml", "codelist: AESEV, origin: Collected, assign_ct: AESEV}", "codelist: SEVX, origin: Collected, expr: upper(AESEV)}")
    replace_in(folder, "raw/ae.csv", "MODERATE", "Very bad")
    ae = build_all(folder)["AE"]
    assert ae.frame["AESEV"].tolist() == ["VERY BAD", "MILD", "SEVERE"]  # in AESEQ order: the partial date first
    assert "AE.AESEV: 1 value(s) extend codelist SEVX: 'VERY BAD' (1 record)" in [str(w) for w in ae.warnings]


def test_strict_ct_turns_extensions_into_errors(tmp_path):
    folder = study_with(tmp_path)
    (folder / "codelists.yaml").write_text((folder / "codelists.yaml").read_text() + EXTENSIBLE)
    (folder / "study.yaml").write_text((folder / "study.yaml").read_text() + "strict_ct: true\n")
    replace_in(folder, "sdtm/ae.yaml", "codelist: AESEV, origin: Collected, assign_ct: AESEV}", "codelist: SEVX, origin: Collected, expr: upper(AESEV)}")
    replace_in(folder, "raw/ae.csv", "MODERATE", "Very bad")
    with pytest.raises(DataError, match=r"not in codelist SEVX \(strict_ct is set in study.yaml\): 'VERY BAD'"):
        build_all(folder)


def test_assign_ct_maps_an_expression_such_as_an_other_specify_fallback(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "raw/ae.csv", "Severe,Y,Y", ",Y,Y")
    replace_in(folder, "raw/ae.csv", "SITEID,SUBJID,AEYN,AETERM,AESTDAT,AESTTIM,AESEV,AESER,AEDLT", "SITEID,SUBJID,AEYN,AETERM,AESTDAT,AESTTIM,AESEV,AESER,AEDLT,AESEVO")
    for line_end, extra in (("Mild,N,N", ","), ("MODERATE,N,N", ","), (",,,,,,", ","), (",Y,Y", ",severe")):
        replace_in(folder, "raw/ae.csv", line_end + "\n", line_end + extra + "\n")
    replace_in(folder, "sdtm/ae.yaml", "assign_ct: AESEV}", "assign_ct: {expr: 'coalesce(AESEV, AESEVO)'}}")
    assert build_all(folder)["AE"].frame["AESEV"].tolist() == ["MODERATE", "MILD", "SEVERE"]
