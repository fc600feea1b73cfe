"""A domain built from several raw tables (``parts:``): records bound, each part's own rules, --SEQ over the whole
domain, define.xml metadata per part, reconciliation per table, and the spec errors of a mistaken part."""

from pathlib import Path

import jsonschema
import pytest
from test_sdtm_engine import build_all, replace_in, study_with

from cdisc.errors import SpecError
from cdisc.sdtm.columns import column_usage
from cdisc.sdtm.reconcile import reconcile
from cdisc.spec.load import load_study
from cdisc.spec.schema import spec_schema
from cdisc.spec.sdtm import SdtmDataset

DS_RAW = """\
SITEID,SUBJID,DSTERM,DSDECOD,DSSTDAT
01,001,Completed,COMPLETED,26-MAR-2024
02,003,Adverse event,ADVERSE EVENT,20-MAR-2024
"""
IC_RAW = """\
SITEID,SUBJID,ICDAT,ICVER,ICTYPE
01,001,01-MAR-2024,1.0,Initial
01,002,02-MAR-2024,1.0,Initial
02,003,04-MAR-2024,1.0,Initial
01,001,20-MAR-2024,2.0,Re-consent
02,003,,2.0,Re-consent
"""
DS_SPEC = """\
dataset: DS
label: Disposition
class: EVENTS
structure: One record per disposition status or protocol milestone per subject
keys: [STUDYID, USUBJID, DSSEQ]
source: {table: ds}
parts:
  - part: informed consent
    source:
      table: ic
      exclude: [{when: 'is_missing(ICDAT)', reason: No consent date}]
    where: {DSCAT: [PROTOCOL MILESTONE]}
    variables:
      DSTERM: {origin: Derived, method: The protocol version consented to, expr: 'concat("INFORMED CONSENT, VERSION ", ICVER)'}
      DSDECOD: {hardcode: INFORMED CONSENT OBTAINED}
      DSCAT: {hardcode: PROTOCOL MILESTONE}
      DSSCAT: null
      DSSTDTC: {origin: {type: Collected, page: IC}, iso8601: ICDAT}
variables:
  - {name: STUDYID, origin: Protocol, study: id}
  - {name: DOMAIN, origin: Assigned, hardcode: DS}
  - {name: USUBJID, origin: Derived, study: usubjid}
  - {name: DSSEQ, origin: Derived, seq: {order_by: [DSSTDTC]}}
  - {name: DSTERM, origin: Collected, assign: {from: DSTERM, clean: [upper]}}
  - {name: DSDECOD, origin: Collected, assign: DSDECOD}
  - {name: DSCAT, origin: Assigned, hardcode: DISPOSITION EVENT}
  - {name: DSSCAT, origin: Assigned, hardcode: STUDY PARTICIPATION}
  - {name: DSSTDTC, origin: Collected, iso8601: DSSTDAT}
  - {name: DSSTDY, origin: Derived, study_day: DSSTDTC}
"""


def ds_study(tmp_path: Path) -> Path:
    return study_with(tmp_path, {"raw/ds.csv": DS_RAW, "raw/ic.csv": IC_RAW, "sdtm/ds.yaml": DS_SPEC})


def spec_errors(folder: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_study(folder)
    return [str(issue).removeprefix(f"{folder.parent}/") for issue in info.value.issues]


def test_records_of_every_part_are_bound_and_numbered_over_the_domain(tmp_path):
    ds = build_all(ds_study(tmp_path))["DS"]
    frame = ds.frame.assign(FILE=ds.lineage["@file"], ROW=ds.lineage["@row"])
    columns = ["USUBJID", "DSSEQ", "DSTERM", "DSDECOD", "DSCAT", "DSSCAT", "DSSTDTC", "DSSTDY", "FILE", "ROW"]
    expected = [  # one record per raw row of either table, --SEQ over both, --DY and DOMAIN from the dataset's rules
        ["MINI-01-01-001", 1.0, "INFORMED CONSENT, VERSION 1.0", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", None, "2024-03-01", -4.0, "ic.csv", 2],
        ["MINI-01-01-001", 2.0, "INFORMED CONSENT, VERSION 2.0", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", None, "2024-03-20", 16.0, "ic.csv", 5],
        ["MINI-01-01-001", 3.0, "COMPLETED", "COMPLETED", "DISPOSITION EVENT", "STUDY PARTICIPATION", "2024-03-26", 22.0, "ds.csv", 2],
        ["MINI-01-01-002", 1.0, "INFORMED CONSENT, VERSION 1.0", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", None, "2024-03-02", -5.0, "ic.csv", 3],
        ["MINI-01-02-003", 1.0, "INFORMED CONSENT, VERSION 1.0", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", None, "2024-03-04", -7.0, "ic.csv", 4],
        ["MINI-01-02-003", 2.0, "ADVERSE EVENT", "ADVERSE EVENT", "DISPOSITION EVENT", "STUDY PARTICIPATION", "2024-03-20", 10.0, "ds.csv", 3],
    ]
    assert frame[columns].astype(object).where(frame[columns].notna(), None).values.tolist() == expected
    assert (frame["STUDYID"] == "MINI-01").all() and (frame["DOMAIN"] == "DS").all()  # the dataset's rules that read no source row
    assert ds.excluded[["@file", "@row", "reason"]].values.tolist() == [["ic.csv", 6, "No consent date"]]


def test_reconciliation_counts_each_table_of_a_domain_with_parts(tmp_path):
    folder = ds_study(tmp_path)
    study = load_study(folder)
    counts = reconcile(study, list(build_all(folder).values())).set_index("table")
    assert counts.loc[["ds", "ic"], ["rows", "mapped", "excluded"]].values.tolist() == [[2, 2, 0], [5, 4, 1]]
    usage = column_usage(study).set_index(["table", "column"])
    assert usage.loc[("ic", "ICVER"), ["status", "target"]].tolist() == ["mapped", "DS.DSTERM"]
    assert usage.loc[("ic", "ICDAT"), ["status", "target"]].tolist() == ["mapped", "DS.DSSTDTC"]
    assert usage.loc[("ic", "ICTYPE"), "status"] == "unaccounted"  # read by no rule of the part


def test_a_part_with_where_gives_its_variables_value_level_metadata(tmp_path):
    spec = load_study(ds_study(tmp_path)).datasets["DS"].spec
    levels = {v.name: [(lv.where, lv.origin.type, lv.origin.page, lv.method) for lv in v.value_level] for v in spec.variables}
    milestone = {"DSCAT": ["PROTOCOL MILESTONE"]}
    assert levels["DSTERM"] == [(milestone, "Derived", None, "The protocol version consented to")]
    assert levels["DSSTDTC"] == [(milestone, "Collected", "IC", None)]
    assert levels["DSDECOD"] == []  # origin and codelist as the variable's: its own metadata says it
    assert levels["DSCAT"] == [] and levels["DSSCAT"] == [] and levels["DSSEQ"] == []  # the where variable, a null, a domain rule


def test_without_where_a_derived_variable_names_each_source_in_its_method():
    spec = SdtmDataset.model_validate({
        "dataset": "XX", "label": "X", "class": "EVENTS", "structure": "x", "keys": ["XXSEQ"],
        "source": {"table": "a"},
        "parts": [{"part": "b form", "source": {"table": "b"}, "variables": {"XXTERM": {"expr": 'concat(B, "!")'}}}],
        "variables": [
            {"name": "XXSEQ", "label": "Sequence Number", "type": "integer", "origin": "Derived", "seq": None},
            {"name": "XXTERM", "label": "Term", "type": "text", "origin": "Derived", "method": "A as collected", "assign": "A"},
        ],
    })
    term = next(v for v in spec.variables if v.name == "XXTERM")
    assert term.method.startswith("On the records of raw table a: A as collected On the records of part 'b form' (raw table b): ")
    assert term.value_level == []


@pytest.mark.parametrize("old,new,message", [
    ("source:\n      table: ic\n", "source:\n      table: icc\n",
     "study/sdtm/ds.yaml:10:14: DS part 'informed consent' (raw table icc): unknown raw table 'icc' in folder 'raw' (did you mean 'ic'?)"),
    ("      DSSCAT: null\n", "      DSSCT: null\n",
     "study/sdtm/ds.yaml:17:7: DS.DSSCT in part 'informed consent': DSSCT is not a variable of DS (did you mean 'DSSCAT'?); "
     "a part gives rules for the dataset's variables, whose metadata the dataset's 'variables:' states"),
    ("iso8601: ICDAT}", "iso8601: ICDATE}",
     "study/sdtm/ds.yaml:18:63: DS.DSSTDTC in part 'informed consent': unknown source column 'ICDATE' in raw table 'ic' (did you mean 'ICDAT'?)"),
    ('"INFORMED CONSENT, VERSION ", ICVER)', '"INFORMED CONSENT, VERSION ", ICVERS)',
     "study/sdtm/ds.yaml:14:82: DS.DSTERM in part 'informed consent': expression 'concat(\"INFORMED CONSENT, VERSION \", ICVERS)' "
     "uses 'ICVERS', not a column of 'ic' nor a variable of this dataset (did you mean 'ICVER'?)"),
    ("  - {name: DSSEQ, origin: Derived, seq: {order_by: [DSSTDTC]}}", "  - {name: DSSEQ, origin: Derived, expr: number(DSSTDAT)}",
     "study/sdtm/ds.yaml:14:7: DS.DSSEQ in part 'informed consent': key DSSEQ would be missing on the records of part 'informed "
     "consent' (raw table ic): its rule in 'variables:' reads the main source's rows; give DSSEQ a rule in the part"),
    ("      DSSCAT: null\n", "      DSSCAT: {test: category}\n",
     "study/sdtm/ds.yaml:17:22: DS.DSSCAT in part 'informed consent': 'test:' reads the main source's 'tests:' pivot, which a part "
     "does not have; give the value with another rule (hardcode, assign, assign_ct, ...)"),
])
def test_a_mistaken_part_is_a_located_spec_error(tmp_path, old, new, message):
    folder = ds_study(tmp_path)
    replace_in(folder, "sdtm/ds.yaml", old, new)
    assert message in spec_errors(folder)


def test_a_part_without_the_subject_columns_cannot_take_the_datasets_usubjid(tmp_path):
    folder = ds_study(tmp_path)
    (folder / "raw" / "ic.csv").write_text(IC_RAW.replace("SITEID,SUBJID,", "SITE,SUBJID,"))
    assert spec_errors(folder) == [
        "study/sdtm/ds.yaml:10:7: DS.USUBJID in part 'informed consent': expression 'concat(STUDYID, \"-\", SITEID, \"-\", SUBJID)' "
        "uses 'SITEID', not a column of 'ic' (did you mean 'SITE'?)"
    ]


def test_a_part_named_twice_is_a_spec_error(tmp_path):
    folder = ds_study(tmp_path)
    text = (folder / "sdtm/ds.yaml").read_text()
    start, end = text.index("  - part:"), text.index("variables:\n  - {name: STUDYID")
    (folder / "sdtm/ds.yaml").write_text(text[:start] + text[start:end] * 2 + text[end:])
    assert "study/sdtm/ds.yaml:19:11: DS: part 'informed consent' is defined twice; name each part once" in spec_errors(folder)


def test_the_schema_knows_parts_and_refuses_a_part_rule_with_two_rules():
    validator = jsonschema.Draft202012Validator(spec_schema("sdtm"))
    part = spec_schema("sdtm")["$defs"]["SdtmPart"]
    assert {"part", "source", "variables"} <= set(part["required"])
    good = {"part": "p", "source": {"table": "ic"}, "variables": {"DSTERM": {"hardcode": "X"}, "DSSCAT": None}}
    two = {**good, "variables": {"DSTERM": {"hardcode": "X", "assign": "ICVER"}}}
    base = {"dataset": "DS", "label": "Disposition", "class": "EVENTS", "structure": "s", "keys": ["USUBJID"],
            "source": {"table": "ds"}, "variables": [{"name": "USUBJID", "origin": "Derived", "study": "usubjid"}]}
    assert not list(validator.iter_errors({**base, "parts": [good]}))
    assert list(validator.iter_errors({**base, "parts": [two]}))
