"""Specs say only what is study-specific: label, type, role, core and variable order come from SDTMIG 3.4 /
ADaMIG 1.3 when a spec leaves them out; a spec that states them differently gets a warning naming the IG's."""

import subprocess
import sys

import pyreadstat
import pytest

from cdisc.errors import SpecError
from cdisc.spec.load import load_study
from cdisc.standards_meta import ig_order, ig_variable
from cdisc.study import run_study

from test_sdtm_engine import replace_in, study_with

SHORT_AE = """dataset: AE
label: Adverse Events
class: EVENTS
structure: One record per adverse event per subject
keys: [STUDYID, USUBJID, AESEQ]
source:
  table: ae
  exclude:
    - {when: 'AEYN == "N"', reason: No adverse event recorded on this page}
variables:
  - {name: STUDYID, origin: Protocol, study: id}
  - {name: DOMAIN, origin: Assigned, hardcode: AE}
  - {name: USUBJID, origin: Derived, study: usubjid}
  - {name: AETERM, origin: Collected, assign: {from: AETERM, clean: [collapse_spaces, upper]}}
  - {name: AESEV, codelist: AESEV, origin: Collected, assign_ct: AESEV}
  - {name: AESER, codelist: NY, origin: Collected, assign_ct: AESER}
  - {name: AESTDTC, origin: Collected, iso8601: {date: AESTDAT, time: AESTTIM}}
  - {name: AESTDY, origin: Derived, study_day: AESTDTC}
  - {name: AESEQ, origin: Derived, seq: {order_by: [AESTDTC, AETERM]}}
supp:
  - {qnam: AEDLT, qlabel: Dose-Limiting Toxicity, codelist: NY, assign_ct: AEDLT, evaluator: INVESTIGATOR}
"""


def meta(study, dataset):
    return {v.name: (v.label, v.type, v.role, v.core) for v in study.datasets[dataset].spec.variables}


def test_what_a_spec_leaves_out_comes_from_the_ig(tmp_path):
    study = load_study(study_with(tmp_path, {"sdtm/ae.yaml": SHORT_AE}))
    assert meta(study, "AE") == {
        # variable   label                                  type        role                  core
        "STUDYID": ("Study Identifier",                     "text",     "Identifier",         "Req"),
        "DOMAIN":  ("Domain Abbreviation",                  "text",     "Identifier",         "Req"),
        "USUBJID": ("Unique Subject Identifier",            "text",     "Identifier",         "Req"),
        "AESEQ":   ("Sequence Number",                      "integer",  "Identifier",         "Req"),
        "AETERM":  ("Reported Term for the Adverse Event",  "text",     "Topic",              "Req"),
        "AESEV":   ("Severity/Intensity",                   "text",     "Record Qualifier",   "Perm"),
        "AESER":   ("Serious Event",                        "text",     "Record Qualifier",   "Exp"),
        "AESTDTC": ("Start Date/Time of Adverse Event",     "datetime", "Timing",             "Exp"),
        "AESTDY":  ("Study Day of Start of Adverse Event",  "integer",  "Timing",             "Perm"),
    }
    assert study.spec_warnings == []


def test_the_xpt_file_carries_the_ig_labels_in_ig_order(tmp_path):
    run_study(study_with(tmp_path, {"sdtm/ae.yaml": SHORT_AE}), tmp_path / "out")
    _, info = pyreadstat.read_xport(str(tmp_path / "out" / "sdtm" / "ae.xpt"), metadataonly=True)
    assert info.column_names == ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AESEV", "AESER", "AESTDTC", "AESTDY"]
    assert info.column_names_to_labels["AESEV"] == "Severity/Intensity"


def test_a_stated_value_that_differs_is_kept_with_a_warning_naming_the_ig(tmp_path):
    spec = SHORT_AE.replace("{name: AESEV, codelist", "{name: AESEV, label: Severity, core: Exp, codelist")
    spec = spec.replace("{name: AESTDY, origin", "{name: AESTDY, type: text, origin")
    folder = study_with(tmp_path, {"sdtm/ae.yaml": spec})
    study = load_study(folder)
    assert meta(study, "AE")["AESEV"] == ("Severity", "text", "Record Qualifier", "Exp")
    assert [f"{w.line}:{w.column} {w.subject}: {w.message}" for w in study.spec_warnings] == [
        "15:26 AE.AESEV: label 'Severity' differs from SDTMIG 3.4 ('Severity/Intensity'); kept as stated",
        "15:42 AE.AESEV: core 'Exp' differs from SDTMIG 3.4 ('Perm'); kept as stated",
        "18:26 AE.AESTDY: type 'text' differs from SDTMIG 3.4 ('Num'); kept as stated",
    ]
    done = subprocess.run([sys.executable, "-m", "cdisc", "check-spec", str(folder)], capture_output=True, text=True)
    assert done.returncode == 0
    assert "warning: " in done.stdout and "ae.yaml:15:26: AE.AESEV: label 'Severity' differs from SDTMIG 3.4" in done.stdout


def test_a_variable_the_ig_does_not_define_must_state_label_and_type(tmp_path):
    spec = SHORT_AE.replace("  - {name: AESTDY,", "  - {name: AEXTRA, origin: Collected, assign: AETERM}\n  - {name: AESTDY,")
    with pytest.raises(SpecError) as info:
        load_study(study_with(tmp_path, {"sdtm/ae.yaml": spec}))
    assert "ae.yaml:18:5: AE.AEXTRA: give its label and type: SDTMIG 3.4 / ADaMIG 1.3 does not define this variable" in str(info.value)


def test_a_temporary_variable_needs_a_type_but_no_label(tmp_path):
    spec = SHORT_AE.replace("  - {name: AESTDY,", "  - {name: AEXTRA, type: text, temporary: true, origin: Collected, assign: AETERM}\n  - {name: AESTDY,")
    assert "AEXTRA" in [v.name for v in load_study(study_with(tmp_path, {"sdtm/ae.yaml": spec})).datasets["AE"].spec.variables]
    untyped = SHORT_AE.replace("  - {name: AESTDY,", "  - {name: AEXTRA, temporary: true, origin: Collected, assign: AETERM}\n  - {name: AESTDY,")
    with pytest.raises(SpecError, match="AE.AEXTRA: give its type"):
        load_study(study_with(tmp_path / "untyped", {"sdtm/ae.yaml": untyped}))


def test_variables_are_written_in_ig_order_and_sponsor_variables_keep_their_neighbour(tmp_path):
    spec = SHORT_AE.replace("  - {name: AESEQ, origin: Derived, seq: {order_by: [AESTDTC, AETERM]}}\n", "")
    spec = spec.replace("  - {name: AESEV,", "  - {name: AESEQ, origin: Derived, seq: {order_by: [AESTDTC, AETERM]}}\n"
                        "  - {name: AESPID, label: Sponsor-Defined Identifier, type: text, origin: Collected, assign: AETERM}\n"
                        "  - {name: AEXTRA, label: Extra, type: text, origin: Collected, assign: AETERM}\n  - {name: AESEV,")
    study = load_study(study_with(tmp_path, {"sdtm/ae.yaml": spec}))
    dataset = study.datasets["AE"]
    names = [v.name for v in dataset.spec.variables]
    assert names == ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AESPID", "AEXTRA", "AETERM", "AESEV", "AESER", "AESTDTC", "AESTDY"]
    # the spec file positions moved with the variables: AESPID is still at its own line
    assert dataset.doc.position(("variables", names.index("AESPID"), "name")).line == 16


def test_ig_order_puts_an_unknown_variable_after_the_one_listed_before_it():
    assert ig_order("AE", "EVENTS", ["AESEV", "AEXTRA", "AETERM", "STUDYID"]) == [3, 2, 0, 1]
    assert ig_order("ADSL", "SUBJECT LEVEL ANALYSIS DATASET", ["USUBJID", "STUDYID"]) == [0, 1]  # ADaMIG sets no order


@pytest.mark.parametrize(
    "dataset, klass, name, expected",
    [
        ("ADSL", "SUBJECT LEVEL ANALYSIS DATASET", "TRT01P", ("Planned Treatment for Period 01", "text", "Req")),
        ("ADSL", "SUBJECT LEVEL ANALYSIS DATASET", "TRT01PN", ("Planned Treatment for Period 01 (N)", "integer", "Perm")),
        ("ADSL", "SUBJECT LEVEL ANALYSIS DATASET", "TRTSDT", ("Date of First Exposure to Treatment", "integer", "Cond")),
        ("ADSL", "SUBJECT LEVEL ANALYSIS DATASET", "AGEGR2", ("Pooled Age Group 2", "text", "Perm")),
        ("ADLB", "BASIC DATA STRUCTURE", "AVAL", ("Analysis Value", "float", "Cond")),
        ("ADLB", "BASIC DATA STRUCTURE", "USUBJID", ("Unique Subject Identifier", "text", "Req")),
        ("ADAE", "OCCURRENCE DATA STRUCTURE", "TRTSDT", ("Date of First Exposure to Treatment", "integer", "Cond")),
        ("VS", "FINDINGS", "VSELTM", ("Planned Elapsed Time from Time Point Ref", "durationDatetime", "Perm")),
        ("VS", "FINDINGS", "VISITNUM", ("Visit Number", "float", "Exp")),
    ],
)
def test_ig_variables(dataset, klass, name, expected):
    found = ig_variable(dataset, klass, name)
    assert (found.label, found.type, found.core) == expected


def test_unknown_variables_and_domains_have_no_ig_entry():
    assert ig_variable("AE", "EVENTS", "AEXTRA") is None
    assert ig_variable("XA", "EVENTS", "XATERM") is None


def test_the_example_studies_keep_their_outputs_with_shorter_specs(tmp_path):
    """specs/ states no label, role or core the IG already gives (shrunk after the defaults existed)."""
    folder = study_with(tmp_path)
    replace_in(folder, "sdtm/dm.yaml", "{name: SUBJID, label: Subject Identifier for the Study, type: text,", "{name: SUBJID,")
    study = load_study(folder)
    assert meta(study, "DM")["SUBJID"] == ("Subject Identifier for the Study", "text", "Topic", "Req")


# --- cdisc init ----------------------------------------------------------------------------------------

CM_RAW = "STUDYID,SITEID,SUBJID,CMTRT,CM_INDC,CMDOSE,CMDOSU,CMSTDAT,CMSTTIM,CMENDAT,CMONGO\n" \
         "MINI-01,01,001,Aspirin,Headache,100,mg,06-MAR-2024,08:00,07-MAR-2024,N\n"


def cdisc(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cdisc", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_init_writes_a_starter_spec_from_the_ig_and_the_raw_columns(tmp_path):
    folder = study_with(tmp_path, {"raw/cm.csv": CM_RAW})
    done = cdisc("init", "CM", "--raw", "cm", "--study", folder)
    assert done.returncode == 0, done.stderr
    text = (folder / "sdtm" / "cm.yaml").read_text()
    variables = [line.strip() for line in text.splitlines() if line.startswith("  - ")]
    assert variables == [
        "- {name: STUDYID, origin: Protocol, study: id}",
        "- {name: DOMAIN, origin: Assigned, hardcode: CM}",
        "- {name: USUBJID, origin: Derived, study: usubjid}",
        "- {name: CMSEQ, origin: Derived, seq: {}}",
        "- {name: CMTRT, origin: Collected, assign: CMTRT}",            # same name
        "- {name: CMINDC, origin: Collected, assign: CM_INDC}",         # same name but for an underscore (Perm, collected)
        "- {name: CMDOSE, origin: Collected, assign: CMDOSE}",
        "- {name: CMDOSU, origin: Collected, assign: CMDOSU}",
        "- {name: CMSTDTC, origin: Collected, iso8601: {date: CMSTDAT, time: CMSTTIM}}",
        "- {name: CMENDTC, origin: Collected, iso8601: {date: CMENDAT}}",
        "- {name: CMSTDY, origin: Derived, study_day: CMSTDTC}",
        "- {name: CMENDY, origin: Derived, study_day: CMENDTC}",
    ]
    assert "# raw columns no variable reads yet: STUDYID, SITEID, SUBJID, CMONGO" in text
    checked = cdisc("check-spec", folder)  # the starter loads, with IG labels, and runs once reviewed
    assert checked.returncode == 0, checked.stderr
    study = load_study(folder)
    assert meta(study, "CM")["CMTRT"] == ("Reported Name of Drug, Med, or Therapy", "text", "Topic", "Req")
    run_study(folder, tmp_path / "out")
    cm, _ = pyreadstat.read_xport(str(tmp_path / "out" / "sdtm" / "cm.xpt"))
    assert cm[["USUBJID", "CMTRT", "CMSTDTC"]].values.tolist() == [["MINI-01-01-001", "Aspirin", "2024-03-06T08:00"]]


def test_init_leaves_todo_where_no_raw_column_fits_and_check_spec_lists_it(tmp_path):
    folder = study_with(tmp_path, {"raw/cm.csv": "SITEID,SUBJID,MEDICATION\n01,001,Aspirin\n"})
    assert cdisc("init", "CM", "--raw", "cm", "--study", folder).returncode == 0
    text = (folder / "sdtm" / "cm.yaml").read_text()
    assert '- {name: CMTRT, origin: Collected, todo: "Reported Name of Drug, Med, or Therapy: no raw column is named CMTRT"}' in text
    checked = cdisc("check-spec", folder)
    assert "CM.CMTRT: still needs a rule" in checked.stdout


def test_init_reads_a_raw_file_and_never_overwrites(tmp_path):
    raw = tmp_path / "VS_export.csv"
    raw.write_text("SUBJID,VSTESTCD,VSORRES,VSDAT\n001,SYSBP,120,05-MAR-2024\n")
    assert cdisc("init", "VS", "--raw", raw, "--study", tmp_path / "new").returncode == 0
    text = (tmp_path / "new" / "sdtm" / "vs.yaml").read_text()
    assert "source: {table: vs_export}" in text and "class: FINDINGS" in text
    again = cdisc("init", "VS", "--raw", raw, "--study", tmp_path / "new")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_init_refuses_an_unknown_domain_or_table(tmp_path):
    folder = study_with(tmp_path)
    done = cdisc("init", "ZZ", "--raw", "ae", "--study", folder)
    assert done.returncode == 2 and "ZZ is not an SDTMIG 3.4 domain" in done.stderr
    done = cdisc("init", "CM", "--raw", "cm", "--study", folder)
    assert done.returncode == 2 and "--raw cm: neither a raw table of" in done.stderr
