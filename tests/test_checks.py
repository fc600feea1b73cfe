"""``cdisc validate``: every rule has a failing and a passing case on a small, otherwise clean submission."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED
from typer.testing import CliRunner

from cdisc.checks import RULES, validate
from cdisc.checks.report import to_html, to_json
from cdisc.checks.standards import load_standards
from cdisc.cli import app
from cdisc.xpt import XptDataset, XptVariable, write_xpt

STANDARDS = SHARED / "standards"
PILOT_SDTM = SHARED / "reference" / "cdisc-pilot" / "sdtm"
pytestmark = pytest.mark.skipif(not STANDARDS.is_dir(), reason="shared standards not available")

SUBJECTS = ["S-1", "S-2"]
Files = dict[str, tuple[str, pd.DataFrame, dict[str, str]]]  # name -> (folder, frame, labels)


def _ig() -> pd.DataFrame:
    return pd.read_csv(STANDARDS / "sdtmig-3.4" / "Variables.csv", dtype="str", keep_default_na=False)


def _sdtm_domain(domain: str, per_subject: int) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every Req/Exp SDTMIG 3.4 variable of ``domain`` with valid values (CT terms, dates, study days)."""
    ig = _ig()
    ig = ig[(ig["Dataset Name"] == domain) & ig["Core"].isin(["Req", "Exp"])]
    closed = load_standards(STANDARDS).closed_codelists
    n = len(SUBJECTS) * per_subject
    frame = {}
    for name, kind, codes in zip(ig["Variable Name"], ig["Type"], ig["CDISC CT Codelist Code(s)"]):
        terms = sorted(closed.get(codes.split(";")[0].strip(), [])) if codes else []
        frame[name] = [1.0] * n if kind == "Num" else [terms[0] if terms else "X"] * n
    frame = pd.DataFrame(frame)
    frame["STUDYID"], frame["DOMAIN"] = "STUDY1", domain
    if "USUBJID" in frame:
        frame["USUBJID"] = [s for s in SUBJECTS for _ in range(per_subject)]
    if f"{domain}SEQ" in frame:
        frame[f"{domain}SEQ"] = [float(i + 1) for _ in SUBJECTS for i in range(per_subject)]
    for name in [c for c in frame if c.endswith("DTC")]:
        frame[name] = [f"2024-01-{i + 5:02d}" for _ in SUBJECTS for i in range(per_subject)]
        if name[:-3] + "DY" in frame:
            frame[name[:-3] + "DY"] = [float(i + 5) for _ in SUBJECTS for i in range(per_subject)]
    if domain == "DM":
        frame["RFSTDTC"] = "2024-01-01"
    return frame, dict(zip(ig["Variable Name"], ig["Variable Label"]))


def clean_files() -> Files:
    """A submission with no findings: SDTM DM, AE, TS and ADaM ADSL, ADLB, each folder with define.xml."""
    dm, dm_labels = _sdtm_domain("DM", 1)
    ae, ae_labels = _sdtm_domain("AE", 2)
    ts, ts_labels = _sdtm_domain("TS", 1)
    ts = ts.head(1).assign(TSSEQ=1.0, TSPARMCD="SSTDTC", TSPARM="Study Start Date", TSVAL="2024-01-01", TSVCDREF="")
    dm = dm.assign(RFPENDTC="2024-02-01", DTHDTC="", ARMNRS="")  # end of participation after the last AE; alive; arm assigned
    adsl = pd.DataFrame(
        {"STUDYID": "STUDY1", "USUBJID": SUBJECTS, "SUBJID": ["1", "2"], "SITEID": "01", "AGE": 50.0, "AGEU": "YEARS",
         "SEX": "F", "RACE": "ASIAN", "ARM": "Placebo", "TRT01P": "Placebo"}
    )
    adsl_labels = {"SUBJID": "Subject Identifier for the Study", "SITEID": "Study Site Identifier", "AGE": "Age",
                   "AGEU": "Age Units", "SEX": "Sex", "RACE": "Race", "ARM": "Description of Planned Arm",
                   "STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier"}
    adlb = pd.DataFrame({"STUDYID": "STUDY1", "USUBJID": SUBJECTS, "ASEQ": 1.0, "PARAM": "Glucose (mmol/L)",
                         "PARAMCD": "GLUC", "AVAL": [5.1, 6.2]})
    adlb_labels = {"STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier", "PARAM": "Parameter",
                   "PARAMCD": "Parameter Code", "AVAL": "Analysis Value", "ASEQ": "Analysis Sequence Number"}
    return {"DM": ("sdtm", dm, dm_labels), "AE": ("sdtm", ae, ae_labels), "TS": ("sdtm", ts, ts_labels),
            "ADSL": ("adam", adsl, adsl_labels), "ADLB": ("adam", adlb, adlb_labels)}


def write(root: Path, files: Files, lengths: dict[tuple[str, str], int] | None = None, define: tuple[str, ...] = ("sdtm", "adam")) -> Path:
    """Write the files as XPT (char lengths = longest value unless overridden; cp1252 allowed) plus define.xml stubs."""
    for name, (folder, frame, labels) in files.items():
        variables = []
        for column in frame.columns:
            numeric = pd.api.types.is_numeric_dtype(frame[column])
            longest = max(1, int(frame[column].astype("str").str.len().max() or 0))
            length = 8 if numeric else (lengths or {}).get((name, column), longest)
            variables.append(XptVariable(column, labels.get(column, column.title()), "num" if numeric else "char", length))
        (root / folder).mkdir(parents=True, exist_ok=True)
        write_xpt(frame, XptDataset(name, name.title(), tuple(variables)), root / folder, encoding="cp1252")
    for folder in define:
        (root / folder / "define.xml").write_text('<?xml-stylesheet type="text/xsl" href="define2-1.xsl"?>\n<ODM/>\n')
        (root / folder / "define2-1.xsl").write_text("<xsl:stylesheet/>\n")
    return root


def set_value(name: str, column: str, row: int, value) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        files[name][1].loc[row, column] = value
    return change


def drop(name: str, column: str) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        folder, frame, labels = files[name]
        files[name] = (folder, frame.drop(columns=column), labels)
    return change


def first_expected_ae() -> str:
    ig = _ig()
    return ig[(ig["Dataset Name"] == "AE") & (ig["Core"] == "Exp")]["Variable Name"].iloc[0]


def relabel(files: Files) -> None:
    files["AE"][2]["AETERM"] = "Reported Term"


def reorder(files: Files) -> None:
    folder, frame, labels = files["AE"]
    files["AE"] = (folder, frame[[c for c in frame if c != "USUBJID"] + ["USUBJID"]], labels)


def duplicate_dm(files: Files) -> None:
    folder, frame, labels = files["DM"]
    files["DM"] = (folder, pd.concat([frame, frame.tail(1)], ignore_index=True), labels)


def drop_file(name: str) -> Callable[[Files], None]:
    return lambda files: files.pop(name)


def before_reference(files: Files) -> None:
    set_value("AE", "AESTDTC", 0, "2023-12-31")(files)
    set_value("AE", "AESTDY", 0, -1.0)(files)


def partial_dates(files: Files) -> None:
    set_value("AE", "AESTDTC", 0, "2024---15")(files)
    set_value("AE", "AESTDTC", 1, "2024-01-05T-:30")(files)


def blank_flag(files: Files) -> None:
    files["DM"][1]["DTHFL"] = ""


def nothing(files: Files) -> None:
    pass


# (rule, change to the clean submission, whether that rule must report it)
CASES = [
    ("VAR-REQ", drop("AE", "AETERM"), True),
    ("VAR-REQ", drop("AE", "AEENDTC"), False),  # Perm variables may be left out
    ("VAR-EXP", lambda files: drop("AE", first_expected_ae())(files), True),  # read when run: the IG table may be absent
    ("VAR-EXP", nothing, False),
    ("REQ-NULL", set_value("AE", "AETERM", 1, ""), True),
    ("REQ-NULL", blank_flag, False),  # DTHFL is Exp, may be null
    ("LABEL", relabel, True),
    ("LABEL", nothing, False),
    ("VAR-ORDER", reorder, True),
    ("VAR-ORDER", drop("AE", "AETERM"), False),  # a gap in the order is not a wrong order
    ("KEY-UNIQUE", duplicate_dm, True),
    ("KEY-UNIQUE", set_value("AE", "AETERM", 1, "HEADACHE"), False),
    ("SEQ-UNIQUE", set_value("AE", "AESEQ", 1, 1.0), True),
    ("SEQ-UNIQUE", nothing, False),  # AESEQ 1, 2 repeats across subjects, which is allowed
    ("ISO8601", set_value("AE", "AESTDTC", 0, "2024-02-30"), True),
    ("ISO8601", partial_dates, False),
    ("DY-DTC", set_value("AE", "AESTDY", 0, 6.0), True),
    ("DY-DTC", before_reference, False),  # no day 0: the day before RFSTDTC is -1
    ("CT", set_value("DM", "SEX", 0, "FEMALE"), True),
    ("CT", blank_flag, False),
    ("END-BEFORE-START", set_value("AE", "AEENDTC", 0, "2024-01-04"), True),  # AESTDTC is 2024-01-05
    ("END-BEFORE-START", set_value("AE", "AEENDTC", 0, "2024-01-05"), False),  # same day is fine
    ("ASCII", set_value("AE", "AETERM", 0, "CAF\u00c9 HEADACHE"), True),
    ("ASCII", set_value("AE", "AETERM", 0, "PATIENT'S HEADACHE"), False),
    ("FDA-1734", set_value("TS", "TSVAL", 0, "2024-01"), True),
    ("FDA-1734", drop_file("TS"), True),
    ("FDA-1734", set_value("TS", "TSVAL", 0, "2024-01-31"), False),
    ("FDA-1735", drop_file("DM"), True),
    ("FDA-1735", drop_file("AE"), False),
    ("FDA-1736", drop_file("ADSL"), True),
    ("FDA-1736", drop_file("ADLB"), False),
    ("TRACE-DM", set_value("AE", "USUBJID", 0, "S-9"), True),
    ("TRACE-DM", nothing, False),
    ("TRACE-ADSL", set_value("ADLB", "USUBJID", 0, "S-9"), True),
    ("TRACE-ADSL", set_value("AE", "USUBJID", 0, "S-9"), False),  # SDTM subjects are DM's business, not ADSL's
]


def test_every_rule_has_a_failing_and_a_passing_case():
    from test_submission_validator import submission_rule_ids  # the submission-review rules' cases live there

    for rule_id in set(RULES) - {"LENGTH"} - submission_rule_ids():  # LENGTH has its own test (it needs the written length changed)
        assert {expect for rule, _, expect in CASES if rule == rule_id} == {True, False}, rule_id
    assert {rule for rule, _, _ in CASES} <= set(RULES)


def test_clean_submission_has_no_findings(tmp_path):
    result = validate(write(tmp_path, clean_files()), STANDARDS)
    assert result.findings.empty, result.summary().to_string()
    assert not result.skipped


@pytest.mark.parametrize(("rule_id", "change", "expected"), CASES, ids=[f"{r}-{'fails' if e else 'passes'}-{i}" for i, (r, _, e) in enumerate(CASES)])
def test_rule(tmp_path, rule_id, change, expected):
    files = clean_files()
    change(files)
    result = validate(write(tmp_path, files), STANDARDS)
    mine = result.findings[result.findings["rule"] == rule_id]
    assert (not mine.empty) == expected, result.summary().to_string()
    assert set(mine["severity"]) <= {RULES[rule_id].severity}


def test_record_level_findings_name_dataset_row_variable_and_value(tmp_path):
    files = clean_files()
    set_value("AE", "AESTDTC", 1, "2024-13-01")(files)
    finding = validate(write(tmp_path, files), STANDARDS).findings.query("rule == 'ISO8601'").iloc[0]
    assert (finding["dataset"], finding["row"], finding["variable"], finding["value"]) == ("AE", 2, "AESTDTC", "2024-13-01")


def test_length_fails_when_longer_than_the_longest_value_and_passes_when_equal(tmp_path):
    files = clean_files()
    loose = validate(write(tmp_path / "a", files, {("AE", "AETERM"): 200}), STANDARDS).findings
    assert loose.query("rule == 'LENGTH'")[["dataset", "variable"]].values.tolist() == [["AE", "AETERM"]]
    assert validate(write(tmp_path / "b", files), STANDARDS).findings.query("rule == 'LENGTH'").empty


def test_define_xml_missing_fails_fda_1735_and_1736(tmp_path):
    found = validate(write(tmp_path, clean_files(), define=()), STANDARDS).findings
    assert {"FDA-1735", "FDA-1736"} <= set(found["rule"])


def test_every_rule_runs_without_a_standards_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("CDISC_STANDARDS", raising=False)
    files = clean_files()
    set_value("DM", "SEX", 0, "FEMALE")(files)
    result = validate(write(tmp_path, files))
    assert not result.skipped and "CT" in set(result.findings["rule"])


def test_cli_reports_and_exit_codes(tmp_path):
    runner = CliRunner()
    clean = write(tmp_path / "clean", clean_files())
    ok = runner.invoke(app, ["validate", str(clean), "--standards", str(STANDARDS)])
    assert ok.exit_code == 0 and "0 error(s)" in ok.output
    files = clean_files()
    set_value("DM", "SEX", 0, "FEMALE")(files)
    bad = write(tmp_path / "bad", files)
    report, page = tmp_path / "v.json", tmp_path / "v.html"
    failed = runner.invoke(app, ["validate", str(bad), "--standards", str(STANDARDS), "--json", str(report), "--html", str(page)])
    assert failed.exit_code == 1 and "CT" in failed.output
    data = json.loads(report.read_text())
    assert data["counts"]["error"] == 1 and data["findings"][0]["rule"] == "CT" and len(data["rules"]) == len(RULES)
    html = page.read_text()
    assert "<style>" in html and "<script" not in html and "FEMALE" in html


@pytest.mark.skipif(not PILOT_SDTM.is_dir(), reason="cdisc-pilot reference data not available")
def test_cdisc_pilot_sdtm_runs_and_finds_its_known_problems():
    result = validate(PILOT_SDTM, STANDARDS)
    found = set(zip(result.findings["rule"], result.findings["dataset"]))
    assert {("FDA-1734", "TS"), ("ASCII", "TS"), ("DY-DTC", "AE"), ("KEY-UNIQUE", "CM")} <= found
    assert not {"VAR-REQ", "REQ-NULL", "ISO8601", "SEQ-UNIQUE", "TRACE-DM"} & set(result.findings["rule"])
    assert json.loads(to_json(result))["counts"]["error"] == result.count("error")
    assert "AESTDY is 366" in to_html(result)
