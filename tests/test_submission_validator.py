"""The validator rules added for submission-grade review (issue 12): each fails on a small defect and passes on
the clean or corrected submission; define.xml rules on small define.xml files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_checks import STANDARDS, Files, _sdtm_domain, clean_files, write

from cdisc.checks import RULES, validate

pytestmark = pytest.mark.skipif(not STANDARDS.is_dir(), reason="shared standards not available")


def add(name: str, frame: pd.DataFrame, folder: str = "sdtm") -> Callable[[Files], None]:
    def change(files: Files) -> None:
        files[name] = (folder, frame, {})
    return change


def column(name: str, variable: str, values) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        files[name][1][variable] = values
    return change


def both(*changes: Callable[[Files], None]) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        for one in changes:
            one(files)
    return change


# SE: screening until the first dose on 2024-01-03 at 10:00, then treatment (AE dates are 2024-01-05 and 2024-01-06)
SE = pd.DataFrame({"STUDYID": "STUDY1", "DOMAIN": "SE", "USUBJID": ["S-1", "S-1", "S-2", "S-2"], "SESEQ": [1.0, 2.0, 1.0, 2.0],
                   "ETCD": ["SCRN", "TRT"] * 2, "EPOCH": ["SCREENING", "TREATMENT"] * 2,
                   "SESTDTC": ["2024-01-01", "2024-01-03T10:00"] * 2, "SEENDTC": ["2024-01-03T10:00", "2024-02-01"] * 2})
with_se = add("SE", SE)


def vs(**values) -> Callable[[Files], None]:
    """A one-test VS per subject (VSDTC 2024-01-05), with ``values`` overriding columns (built when run: the IG table may be absent)."""
    def change(files: Files) -> None:
        frame, labels = _sdtm_domain("VS", 1)
        frame = frame.assign(**{"VSTESTCD": "SYSBP", "VSTEST": "Systolic Blood Pressure", "VSORRES": "120", "VSORRESU": "mmHg",
                                "VSSTRESC": "120", "VSSTRESN": 120.0, "VSSTRESU": "mmHg", **values})
        files["VS"] = ("sdtm", frame, labels)
    return change


def lb(**values) -> Callable[[Files], None]:
    frame = pd.DataFrame({"STUDYID": "STUDY1", "DOMAIN": "LB", "USUBJID": ["S-1", "S-2"], "LBSEQ": 1.0, "LBTESTCD": "CRP",
                          "LBTEST": "C Reactive Protein", "LBORRES": ["<1.0", "4.0"], "LBORRESU": "mg/L", "LBSTRESC": ["<1.0", "4.0"],
                          "LBSTRESN": [np.nan, 4.0], "LBSTRESU": "mg/L", "LBSTNRLO": [np.nan, 0.0], "LBSTNRHI": [np.nan, 10.0],
                          "LBDTC": "2024-01-05"}).assign(**values)
    return add("LB", frame)


def supp(qnam: str) -> Callable[[Files], None]:
    return add("SUPPAE", pd.DataFrame({"STUDYID": "STUDY1", "RDOMAIN": "AE", "USUBJID": ["S-1"], "IDVAR": "AESEQ", "IDVARVAL": "1",
                                       "QNAM": qnam, "QLABEL": "Dose-Limiting Toxicity", "QVAL": "Y", "QORIG": "Collected", "QEVAL": ""}))


CASES = [
    ("EPOCH-SE", both(with_se, column("AE", "EPOCH", ["TREATMENT", "TREATMENT"] * 2)), False),
    ("EPOCH-SE", both(with_se, column("AE", "EPOCH", ["SCREENING", "TREATMENT"] * 2)), True),  # 2024-01-05 is after the first dose
    ("EPOCH-SE", both(with_se, column("AE", "EPOCH", ["FOLLOW-UP", "TREATMENT"] * 2)), True),  # no FOLLOW-UP element
    ("EPOCH-SE", both(with_se, column("AE", "EPOCH", ["", "TREATMENT"] * 2)), True),  # a date inside an element needs its EPOCH
    ("EPOCH-SE", both(with_se, column("AE", "EPOCH", ["SCREENING", "TREATMENT"] * 2),
                      column("AE", "AESTDTC", ["2024-01-03T09:00", "2024-01-06"] * 2)), False),  # pre-dose
    ("EPOCH-SE", both(with_se, column("AE", "EPOCH", ["SCREENING", "TREATMENT"] * 2),
                      column("AE", "AESTDTC", ["2024-01-03", "2024-01-06"] * 2)), False),  # boundary day, no time
    ("EPOCH-SE", both(add("SE", SE.assign(SEENDTC=["2024-01-03T10:00", ""] * 2)), column("AE", "EPOCH", ["TREATMENT", "TREATMENT"] * 2)), False),  # ongoing
    ("DATE-AFTER-RFPENDTC", column("DM", "RFPENDTC", "2024-01-06"), False),
    ("DATE-AFTER-RFPENDTC", column("DM", "RFPENDTC", "2024-01-05"), True),  # AE of 2024-01-06
    ("DATE-BEFORE-RFICDTC", both(vs(), column("DM", "RFICDTC", "2024-01-01")), False),
    ("DATE-BEFORE-RFICDTC", both(vs(), column("DM", "RFICDTC", "2024-01-10")), True),
    ("AFTER-DEATH", both(column("DM", "DTHDTC", "2024-01-06"), column("DM", "DTHFL", "Y"), column("AE", "AEOUT", "FATAL")), False),
    ("AFTER-DEATH", both(column("DM", "DTHDTC", "2024-01-05"), column("DM", "DTHFL", "Y"), column("AE", "AEOUT", "FATAL")), True),
    ("AFTER-DEATH", both(column("DM", "DTHDTC", ["2024-01-10", ""]), column("AE", "AEENRTPT", ["ONGOING", "", "", ""]),
                         column("AE", "AEENTPT", ["DATA CUTOFF", "", "", ""])), True),
    ("AFTER-DEATH", both(column("DM", "DTHDTC", ["2024-01-10", ""]), column("AE", "AEENRTPT", ["ONGOING", "", "", ""]),
                         column("AE", "AEENTPT", ["2024-01-10", "", "", ""])), False),  # ongoing at death
    ("DATE-BEFORE-RFICDTC", both(vs(VSDTC="2024-01-05T08:00"), column("DM", "RFICDTC", "2024-01-05T10:00")), True),  # same day, earlier
    ("DATE-BEFORE-RFICDTC", both(vs(VSDTC="2024-01-05"), column("DM", "RFICDTC", "2024-01-05T10:00")), False),  # no time: may be after
    ("AFTER-DEATH", both(column("DM", "DTHDTC", ["2024-01-10", ""]), column("AE", "AEENRTPT", ["ONGOING", "", "", ""]),
                         column("AE", "AEENTPT", ["SCREENING", "", "", ""])), False),  # a point before the death
    ("DEATH-NO-CAUSE", both(column("DM", "DTHFL", ["Y", ""]), column("AE", "AEOUT", ["FATAL", "", "", ""])), False),
    ("DEATH-NO-CAUSE", both(column("DM", "DTHFL", ["Y", ""]), column("AE", "AEOUT", ["", "", "FATAL", ""])), True),  # S-2's AE
    ("DEATH-NO-CAUSE", both(column("DM", "DTHFL", ["Y", ""]), add("DD", pd.DataFrame(
        {"STUDYID": "STUDY1", "DOMAIN": "DD", "USUBJID": ["S-1"], "DDSEQ": 1.0, "DDTESTCD": "PRCDTH", "DDTEST": "Primary Cause of Death",
         "DDORRES": "DISEASE PROGRESSION"}))), False),
    ("NOT-DONE-REASON", vs(VSSTAT=["NOT DONE", ""], VSREASND=["", ""], VSORRES=["", "120"]), True),
    ("NOT-DONE-REASON", vs(VSSTAT=["NOT DONE", ""], VSREASND=["PATIENT REFUSED", ""], VSORRES=["", "120"]), False),
    ("RANGE-NONNUMERIC", lb(), False),
    ("RANGE-NONNUMERIC", lb(LBSTNRLO=[0.0, 0.0]), True),
    ("UNIT-MISSING", lb(), False),
    ("UNIT-MISSING", lb(LBORRESU=""), True),
    ("UNIT-MISSING", lb(LBTESTCD="PH", LBTEST="pH", LBORRESU="", LBSTRESU=""), False),  # dimensionless
    ("CT", both(column("AE", "AEACN", ["MULTIPLE", "DOSE NOT CHANGED"] * 2), supp("AEACNB8")), False),  # per-drug SUPPAE
    ("CT", column("AE", "AEACN", ["MULTIPLE", "DOSE NOT CHANGED"] * 2), True),  # MULTIPLE without its values
    ("CT-PAIR", vs(), False),
    ("CT-PAIR", vs(VSTEST="Systolic BP"), True),
    ("CT-SYNONYM", lb(LBORRESU="10^9/L", LBSTRESU="10^9/L"), False),
    ("CT-SYNONYM", lb(LBORRESU="10^3/uL", LBSTRESU="10^9/L"), True),
    ("CT-EXT", lb(), False),
    ("CT-EXT", lb(LBORRESU="furlongs"), True),
    ("LABEL-SAME-NAME", lambda files: None, False),
    ("LABEL-SAME-NAME", lambda files: files["AE"][2].__setitem__("STUDYID", "Study"), True),
    ("SUPP-QNAM-STANDARD", supp("AEDLT"), False),
    ("SUPP-QNAM-STANDARD", supp("AESEV"), True),
]

def columns_report(status: str) -> Callable[[Path], None]:
    def write_report(root: Path) -> None:
        (root / "reports").mkdir(exist_ok=True)
        pd.DataFrame({"table": ["enrol", "enrol"], "column": ["SUBJID", "ECOG"], "status": ["mapped", status],
                      "target": ["DM.SUBJID", ""]}).to_csv(root / "reports" / "columns.csv", index=False)
    return write_report


@pytest.mark.parametrize(("status", "expected"), [("unaccounted", True), ("not_submitted", False)])
def test_raw_columns_rule_reads_the_runs_column_reconciliation(tmp_path, status, expected):
    root = write(tmp_path, clean_files())
    columns_report(status)(root)
    found = validate(root, STANDARDS).findings.query("rule == 'RAW-COLUMNS'")
    assert (not found.empty) == expected
    if expected:
        assert found["value"].tolist() == ["enrol.ECOG"]


DEFINE_RULES = {"DEFINE-LINK", "DEFINE-METHOD", "DEFINE-PREDECESSOR", "DEFINE-CODELIST", "DEFINE-STYLESHEET"}


@pytest.mark.parametrize(("rule_id", "change", "expected"), CASES, ids=[f"{r}-{'fails' if e else 'passes'}-{i}" for i, (r, _, e) in enumerate(CASES)])
def test_rule(tmp_path, rule_id, change, expected):
    files = clean_files()
    change(files)
    result = validate(write(tmp_path, files), STANDARDS)
    mine = result.findings[result.findings["rule"] == rule_id]
    assert (not mine.empty) == expected, result.summary().to_string()
    assert set(mine["severity"]) <= {RULES[rule_id].severity}


def test_epoch_finding_says_which_element_holds_the_date(tmp_path):
    files = clean_files()
    both(with_se, column("AE", "EPOCH", ["SCREENING", "TREATMENT"] * 2))(files)
    found = validate(write(tmp_path, files), STANDARDS).findings.query("rule == 'EPOCH-SE'")
    assert found[["dataset", "row", "value"]].values.tolist() == [["AE", 1, "SCREENING"], ["AE", 3, "SCREENING"]]
    assert found["message"].iloc[0] == "EPOCH is SCREENING; SE puts AESTDTC 2024-01-05 in TREATMENT"


def test_epoch_findings_of_each_kind_and_a_boundary_date(tmp_path):
    """S-1 and S-2 have SCREENING until 2024-01-03T10:00, then TREATMENT; S-2 also FOLLOW-UP from 2024-02-01. A date
    without a time on 2024-01-03 touches both S-1 elements: either epoch is right, a blank one is not reported."""
    files = clean_files()
    follow_up = pd.DataFrame({"STUDYID": "STUDY1", "DOMAIN": "SE", "USUBJID": ["S-2"], "SESEQ": [3.0], "ETCD": ["FU"], "EPOCH": ["FOLLOW-UP"],
                              "SESTDTC": ["2024-02-01"], "SEENDTC": ["2024-03-01"]})
    both(add("SE", pd.concat([SE, follow_up], ignore_index=True)),
         column("AE", "AESTDTC", ["2024-01-03", "2024-01-03", "2024-01-05", "2024-01-03"]),
         column("AE", "EPOCH", ["", "FOLLOW-UP", "", "FOLLOW-UP"]))(files)
    found = validate(write(tmp_path, files), STANDARDS).findings.query("rule == 'EPOCH-SE'")
    assert found[["row", "value", "message"]].values.tolist() == [
        [2, "FOLLOW-UP", "EPOCH is FOLLOW-UP but the subject has no FOLLOW-UP element in SE"],
        [3, "", "EPOCH is blank; SE puts AESTDTC 2024-01-05 in TREATMENT"],
        [4, "FOLLOW-UP", "EPOCH is FOLLOW-UP; SE puts AESTDTC 2024-01-03 in SCREENING or TREATMENT"],
    ]


def test_pair_findings_name_the_ct_name_whether_or_not_the_column_holds_it(tmp_path):
    files = clean_files()
    frame, labels = _sdtm_domain("VS", 3)
    files["VS"] = ("sdtm", frame.assign(
        VSTESTCD=["SYSBP", "SYSBP", "DIABP", "TEMP", "XYZ", "DIABP"],
        VSTEST=["Systolic Blood Pressure", "Diastolic Blood Pressure", "Diastolic BP", "Temp", "Anything", "Diastolic Blood Pressure"]), labels)
    found = validate(write(tmp_path, files), STANDARDS).findings.query("rule == 'CT-PAIR'")
    assert found[["row", "value", "message"]].values.tolist() == [
        [2, "Diastolic Blood Pressure", "VSTEST is 'Diastolic Blood Pressure'; CT names VSTESTCD SYSBP 'Systolic Blood Pressure'"],
        [3, "Diastolic BP", "VSTEST is 'Diastolic BP'; CT names VSTESTCD DIABP 'Diastolic Blood Pressure'"],
        [4, "Temp", "VSTEST is 'Temp'; CT names VSTESTCD TEMP 'Temperature'"],  # (a name no record holds)
    ]


def test_synonym_finding_names_the_submission_value(tmp_path):
    files = clean_files()
    lb(LBORRESU="uIU/mL", LBSTRESU="mIU/L")(files)
    found = validate(write(tmp_path, files), STANDARDS).findings.query("rule == 'CT-SYNONYM'")
    assert set(found["message"]) == {"LBORRESU 'uIU/mL' is a synonym in UNIT (C71620); submit 'mIU/L'"}


# ---- define.xml rules ------------------------------------------------------------------------------------------------

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
{stylesheet}<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1" xmlns:xlink="http://www.w3.org/1999/xlink">
<Study OID="S"><MetaDataVersion OID="M" Name="M">
<ItemGroupDef OID="IG.DM" Name="DM">
  <ItemRef ItemOID="IT.DM.AGE" Mandatory="No"{age_method}/>
  <ItemRef ItemOID="IT.DM.SEX" Mandatory="No"/>
  <def:leaf ID="LF.DM" xlink:href="dm.xpt"><def:title>dm.xpt</def:title></def:leaf>
</ItemGroupDef>
<ItemDef OID="IT.DM.AGE" Name="AGE" DataType="integer"><def:Origin Type="{age_origin}">{age_source}</def:Origin></ItemDef>
<ItemDef OID="IT.DM.SEX" Name="SEX" DataType="text">{sex_codelist}<def:Origin Type="Collected"/></ItemDef>
<def:leaf ID="LF.acrf" xlink:href="{crf}"><def:title>Annotated CRF</def:title></def:leaf>
</MetaDataVersion></Study></ODM>
"""
GOOD = {"stylesheet": '<?xml-stylesheet type="text/xsl" href="define2-1.xsl"?>\n', "age_method": ' MethodOID="MT.AGE"',
        "age_origin": "Derived", "age_source": "", "sex_codelist": '<CodeListRef CodeListOID="CL.SEX"/>', "crf": "acrf.html"}
DEFINE_CASES = [
    ("DEFINE-LINK", {}, False),
    ("DEFINE-LINK", {"crf": "acrf.pdf"}, True),
    ("DEFINE-METHOD", {}, False),
    ("DEFINE-METHOD", {"age_method": ""}, True),
    ("DEFINE-PREDECESSOR", {"age_origin": "Predecessor", "age_source": "<Description><TranslatedText>DM.AGE</TranslatedText></Description>"}, False),
    ("DEFINE-PREDECESSOR", {"age_origin": "Predecessor"}, True),
    ("DEFINE-CODELIST", {}, False),
    ("DEFINE-CODELIST", {"sex_codelist": ""}, True),
    ("DEFINE-STYLESHEET", {}, False),
    ("DEFINE-STYLESHEET", {"stylesheet": ""}, True),
    ("DEFINE-STYLESHEET", {"stylesheet": '<?xml-stylesheet type="text/xsl" href="missing.xsl"?>\n'}, True),
]


@pytest.mark.parametrize(("rule_id", "change", "expected"), DEFINE_CASES,
                         ids=[f"{r}-{'fails' if e else 'passes'}-{i}" for i, (r, _, e) in enumerate(DEFINE_CASES)])
def test_define_rule(tmp_path, rule_id, change, expected):
    root = write(tmp_path, clean_files())
    (root / "sdtm" / "define.xml").write_text(_HEAD.format(**{**GOOD, **change}))
    for name in ("acrf.html", "define2-1.xsl"):
        (root / "sdtm" / name).write_text("<html/>")
    found = validate(root, STANDARDS).findings
    mine = found[found["rule"] == rule_id]
    assert (not mine.empty) == expected, found.to_string()


def test_every_new_rule_has_a_failing_and_a_passing_case():
    cases = CASES + DEFINE_CASES
    for rule_id in {r for r, _, _ in cases}:
        assert {expect for rule, _, expect in cases if rule == rule_id} == {True, False}, rule_id
    assert DEFINE_RULES <= {r for r, _, _ in DEFINE_CASES}


def submission_rule_ids() -> set[str]:
    """The rules whose cases live here (test_checks.py covers the others)."""
    return {r for r, _, _ in CASES + DEFINE_CASES} | {"RAW-COLUMNS"}


def test_new_rules_are_quiet_on_the_clean_submission(tmp_path: Path):
    found = validate(write(tmp_path, clean_files()), STANDARDS).findings
    assert not set(found["rule"]) & submission_rule_ids()
