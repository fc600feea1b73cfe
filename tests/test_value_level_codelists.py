"""A codelist that depends on another variable: DSDECOD's is NCOMPLT, PROTMLST or OTHEVENT by DSCAT (SDTMIG 3.4).

The variable names no codelist of its own; its value levels do. ``assign_ct`` maps each record through the
codelist of the level that selects it, and values outside a level's codelist, from any rule, are errors or
listed extensions as for a variable's own codelist.
"""

import pytest

from cdisc.errors import DataError, SpecError
from cdisc.spec.load import load_study

from test_sdtm_engine import CT, build_all, replace_in, study_with

pytestmark = pytest.mark.skipif(not CT.exists(), reason="the shared SDTM terminology is absent")

#: A disposition form with an "Other, specify" field, and (right) what each row becomes.
DS_RAW = """\
SITEID,SUBJID,DSTERM,DSDECOD,OTHERSP,DSSTDAT
01,001,Randomized,Randomized,,05-MAR-2024
01,001,Subject moved away,Lost to follow-up,,20-MAR-2024
01,001,,,Final lab visit,21-MAR-2024
02,003,Completed,completed,,30-MAR-2024
"""
EXPECTED = [  # (DSTERM, DSDECOD, DSCAT) in DSSEQ order
    ("RANDOMIZED", "RANDOMIZED", "PROTOCOL MILESTONE"),
    ("SUBJECT MOVED AWAY", "LOST TO FOLLOW-UP", "DISPOSITION EVENT"),
    ("FINAL LAB VISIT", "FINAL LAB VISIT", "OTHER EVENT"),
    ("COMPLETED", "COMPLETED", "DISPOSITION EVENT"),
]

DS_SPEC = """\
dataset: DS
label: Disposition
class: EVENTS
structure: One record per disposition status or protocol milestone per subject
keys: [STUDYID, USUBJID, DSSEQ]
source: {table: ds}
variables:
  - {name: STUDYID, label: Study Identifier, type: text, origin: Protocol, study: id}
  - {name: DOMAIN, label: Domain Abbreviation, type: text, origin: Assigned, hardcode: DS}
  - {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}
  - {name: DSSEQ, label: Sequence Number, type: integer, origin: Derived, seq: {order_by: [DSSTDTC]}}
  - {name: DSTERM, label: Reported Term for the Disposition Event, type: text, origin: Collected, expr: 'upper(coalesce(DSTERM, OTHERSP))'}
  - name: DSDECOD
    label: Standardized Disposition Term
    type: text
    origin: Collected
    assign_ct: {expr: 'upper(coalesce(DSDECOD, OTHERSP))'}
    value_level:
      - {where: {DSCAT: [DISPOSITION EVENT]}, type: text, codelist: NCOMPLT, origin: Collected}
      - {where: {DSCAT: [PROTOCOL MILESTONE]}, type: text, codelist: PROTMLST, origin: Collected}
      - {where: {DSCAT: [OTHER EVENT]}, type: text, codelist: OTHEVENT, origin: Collected}
  - name: DSCAT
    label: Category for Disposition Event
    type: text
    codelist: DSCAT
    origin: Assigned
    condition:
      cases:
        - {when: not is_missing(OTHERSP), value: OTHER EVENT}
        - {when: 'raw("DSDECOD") == "Randomized"', value: PROTOCOL MILESTONE}
      else: DISPOSITION EVENT
  - {name: DSSTDTC, label: Start Date/Time of Disposition Event, type: datetime, origin: Collected, iso8601: DSSTDAT}
"""


def ds_study(tmp_path, spec: str = DS_SPEC, raw: str = DS_RAW):
    return study_with(tmp_path, {"raw/ds.csv": raw, "sdtm/ds.yaml": spec})


def test_each_record_is_mapped_through_the_codelist_of_its_value_level(tmp_path):
    ds = build_all(ds_study(tmp_path))["DS"]
    assert list(zip(ds.frame["DSTERM"], ds.frame["DSDECOD"], ds.frame["DSCAT"])) == EXPECTED
    # DSDECOD is listed before DSCAT, which selects its codelist: it is built after it
    assert ds.warnings == ["DS.DSDECOD where DSCAT = OTHER EVENT: 1 value(s) extend codelist OTHEVENT: 'FINAL LAB VISIT' (1 record)"]


MLSTONE_LIST = """  - name: MLSTONE
    label: Protocol milestones of this study
    terms: [{value: RANDOMIZED}]
"""


def test_a_value_outside_a_non_extensible_level_codelist_is_an_error_naming_the_level_and_rows(tmp_path):
    folder = ds_study(tmp_path, raw=DS_RAW.replace("Randomized,Randomized", "Randomized,Randomised"))
    (folder / "codelists.yaml").write_text((folder / "codelists.yaml").read_text() + MLSTONE_LIST)
    replace_in(folder, "sdtm/ds.yaml", "codelist: PROTMLST", "codelist: MLSTONE")
    replace_in(folder, "sdtm/ds.yaml", 'raw("DSDECOD") == "Randomized"', 'raw("DSTERM") == "Randomized"')
    with pytest.raises(DataError, match=r"DS.DSDECOD: 1 value\(s\) of expression 'upper\(coalesce\(DSDECOD, OTHERSP\)\)' where "
                       r"DSCAT = PROTOCOL MILESTONE are not in codelist MLSTONE: 'RANDOMISED' at ds.csv rows 2 \(subjects MINI-01-01-001\)"):
        build_all(folder)


def test_a_value_from_any_rule_outside_its_level_codelist_is_an_error(tmp_path):
    folder = ds_study(tmp_path)
    (folder / "codelists.yaml").write_text((folder / "codelists.yaml").read_text() + MLSTONE_LIST)
    replace_in(folder, "sdtm/ds.yaml", "codelist: PROTMLST", "codelist: MLSTONE")
    replace_in(folder, "sdtm/ds.yaml", "assign_ct: {expr: 'upper(coalesce(DSDECOD, OTHERSP))'}", "expr: 'upper(coalesce(DSTERM, OTHERSP))'")
    replace_in(folder, "raw/ds.csv", "01,001,Randomized,", "01,001,Randomised,")
    with pytest.raises(DataError, match=r"DS.DSDECOD: 1 value\(s\) where DSCAT = PROTOCOL MILESTONE are not in codelist MLSTONE "
                       r"\(the codelist is not extensible\): 'RANDOMISED' \(1 record\) at ds.csv rows 2"):
        build_all(folder)


def test_a_record_no_level_selects_has_no_codelist_and_is_an_error(tmp_path):
    folder = ds_study(tmp_path)
    replace_in(folder, "sdtm/ds.yaml", "      - {where: {DSCAT: [OTHER EVENT]}, type: text, codelist: OTHEVENT, origin: Collected}\n", "")
    with pytest.raises(DataError, match=r"DS.DSDECOD: 1 value\(s\) are on records that no value level with a codelist selects "
                       r"\(DSCAT = DISPOSITION EVENT; DSCAT = PROTOCOL MILESTONE\) at ds.csv rows 4"):
        build_all(folder)


def test_assign_ct_without_any_codelist_or_with_an_unknown_level_codelist_is_a_spec_error(tmp_path):
    folder = ds_study(tmp_path)
    replace_in(folder, "sdtm/ds.yaml", "codelist: OTHEVENT", "codelist: OTHEVNT")
    with pytest.raises(SpecError, match=r"DS.DSDECOD: unknown codelist 'OTHEVNT'"):
        load_study(folder)
    no_levels = "\n".join(line for line in DS_SPEC.splitlines() if "where: {DSCAT" not in line and "value_level:" not in line)
    folder = ds_study(tmp_path / "no_levels", spec=no_levels)
    with pytest.raises(SpecError, match=r"DS.DSDECOD: assign_ct needs a codelist"):
        load_study(folder)
