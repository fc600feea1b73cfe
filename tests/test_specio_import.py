"""cdisc spec import of P21-template workbooks: admiral's ADaM spec workbook, metacore's variants,
errors at their cell, where clauses, and the todo: rules that check-spec lists and run refuses."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from cdisc.cli import app
from cdisc.errors import SpecError
from cdisc.specio import import_specs, read_specs
from cdisc.specio import p21_template as t
from cdisc.specio.where import WhereError, format_where, parse_where

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ADAMS = SHARED / "reference" / "pharmaverseadam" / "adams-specs.xlsx"
PILOT3 = SHARED / "reference" / "rconsortium-pilot3" / "adam" / "adam-pilot-3.xlsx"


def _rows(path: Path, sheet: str) -> list[dict]:
    """A sheet's rows as dicts by header, read with openpyxl alone (blank rows dropped)."""
    ws = openpyxl.load_workbook(path, read_only=True, data_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def _workbook(path: Path, sheets: dict[str, list[dict]], names: dict[str, str] | None = None) -> Path:
    """A workbook with the template's columns (or other headers via ``names``) and the given rows."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in t.TEMPLATE:
        if sheet.name not in sheets:
            continue
        ws = wb.create_sheet((names or {}).get(sheet.name, sheet.name))
        columns = [c for c in sheet.columns if any(c in r for r in sheets[sheet.name])]
        ws.append([(names or {}).get(f"{sheet.name}.{c}", c) for c in columns])
        for row in sheets[sheet.name]:
            ws.append([row.get(c) for c in columns])
    for name, rows in sheets.items():
        if name not in {s.name for s in t.TEMPLATE}:
            ws = wb.create_sheet(name)
            ws.append(list(rows[0]))
            for row in rows:
                ws.append(list(row.values()))
    wb.save(path)
    return path


ADSL = {"Dataset": "ADSL", "Label": "Subject-Level Analysis Dataset", "Class": "SUBJECT LEVEL ANALYSIS DATASET",
        "Structure": "One record per subject", "Key Variables": "STUDYID, USUBJID"}
VARIABLES = [
    {"Dataset": "ADSL", "Variable": "STUDYID", "Label": "Study Identifier", "Data Type": "text", "Length": 12,
     "Mandatory": "Yes", "Origin": "Predecessor", "Predecessor": "DM.STUDYID"},
    {"Dataset": "ADSL", "Variable": "USUBJID", "Label": "Unique Subject Identifier", "Data Type": "text",
     "Mandatory": "Yes", "Origin": "Predecessor", "Predecessor": "DM.USUBJID"},
    {"Dataset": "ADSL", "Variable": "AGEGR1", "Label": "Pooled Age Group 1", "Data Type": "text", "Origin": "Derived",
     "Method": "MT.AGEGR1", "Codelist": "AGEGR1"},
    {"Dataset": "ADSL", "Variable": "TRTSDT", "Label": "Date of First Exposure to Treatment", "Data Type": "integer",
     "Format": "date9", "Origin": "Derived", "Method": "First EXSTDTC, as a SAS date"},
]
CODELIST = [{"ID": "AGEGR1", "Name": "Pooled Age Group 1", "Data Type": "text", "Order": 1, "Term": "<65"},
            {"ID": "AGEGR1", "Name": "Pooled Age Group 1", "Data Type": "text", "Order": 2, "Term": ">=65"}]
METHODS = [{"ID": "MT.AGEGR1", "Name": "Algorithm", "Type": "Computation", "Description": "<65 or >=65 years (AGE)"}]


@pytest.fixture
def small(tmp_path) -> Path:
    return _workbook(tmp_path / "small.xlsx", {"Datasets": [ADSL], "Variables": VARIABLES, "Codelists": CODELIST, "Methods": METHODS})


# -- admiral's ADaM spec workbook (pharmaverseadam adams-specs.xlsx)


@pytest.fixture(scope="module")
def adams():
    if not ADAMS.is_file():
        pytest.skip(f"{ADAMS} is absent (the shared reference folder is not beside the repository)")
    return read_specs(ADAMS)


def test_adams_every_dataset_arrives_with_its_attributes(adams):
    rows = _rows(ADAMS, "Datasets")
    assert [d["dataset"] for d in adams.datasets] == [r["Dataset"] for r in rows]
    assert adams.issues == []
    for spec, row in zip(adams.datasets, rows, strict=True):
        assert spec["label"] == row["Label"].strip()
        if row["Class"]:
            assert (spec["class"], spec["structure"]) == (row["Class"], row["Structure"])
            assert spec["keys"] == [k.strip() for k in row["Key Variables"].split(",")]
        else:  # ADCE_V, ADCM, ADMH, ADPPK, ADSL_V: the workbook leaves them empty; guessed and said so
            assert f"{spec['dataset']}: no class in the source; wrote {spec['class']} (from its name and variables): check it" in adams.notes


def test_adams_every_variable_arrives_in_order_with_its_attributes(adams):
    rows = _rows(ADAMS, "Variables")
    imported = [(d["dataset"], v) for d in adams.datasets for v in d["variables"]]
    assert len(imported) == len(rows) == 2378
    by_dataset: dict[str, list[dict]] = {}
    for row in rows:
        by_dataset.setdefault(row["Dataset"], []).append(row)
    for dataset, var in imported:
        row = by_dataset[dataset].pop(0)  # same order within each dataset
        assert var["name"] == row["Variable"]
        assert var["label"] == row["Label"].strip()  # ADIS_V.MRT has trailing blanks, as XPT drops them
        assert var["type"] == row["Data Type"]
        assert var.get("length") == (int(row["Length"]) if row["Length"] is not None else None)
        assert var.get("format") == (f"{row['Format']}." if row["Format"] else None)
        assert (var.get("core") == "Req") == (row["Mandatory"] == "Yes")
        assert "todo" in var  # the workbook holds no method: every rule is still to write


def test_adams_what_the_spec_cannot_hold_is_counted(adams):
    rows = _rows(ADAMS, "Variables")
    digits = sum(r["Significant Digits"] is not None for r in rows)
    roles = sum(r["Role"] is not None for r in rows)  # ADaM variable groups, not SDTM roles
    assert f"significant digits of {digits} variable(s) left out: the spec states them at value level only" in adams.notes
    assert f"role of {roles} variable(s) left out: not an SDTM variable role (ADaM variable groups)" in adams.notes


def test_adams_written_specs_load(adams, tmp_path):
    lines = import_specs(ADAMS, tmp_path / "adams")
    assert lines[0] == "adams-specs.xlsx: 30 dataset(s), 2378 variable(s), 0 value-level entries, 0 codelist(s); wrote 32 file(s)"
    from cdisc.spec.adam import AdamDataset
    from cdisc.spec.yamlsource import load_yaml

    files = sorted((tmp_path / "adams" / "adam").glob("*.yaml"))
    loaded = [AdamDataset.model_validate(load_yaml(f).data) for f in files]
    assert sum(len(d.variables) for d in loaded) == 2378


# -- metacore's variants: other sheet and column names, where clauses on a separate sheet


def test_metacore_variant_names_and_where_clause_sheet(tmp_path):
    names = {"Datasets": "Domains", "Datasets.Dataset": "Name", "Datasets.Label": "Description",
             "Variables.Variable": "Variable Name", "Variables.Codelist": "Controlled Term", "ValueLevel": "Value Level",
             "ValueLevel.Where Clause": "Where", "Methods": "Derivations", "Methods.Description": "Definition"}
    vlm = [{"Dataset": "ADSL", "Variable": "AGEGR1", "Where Clause": "WC.1", "Data Type": "text", "Origin": "Derived",
            "Method": "MT.AGEGR1", "Length": "4"}]
    where = [{"ID": "WC.1", "Dataset": "ADSL", "Variable": "AGEGR1", "Comparator": "IN", "Value": "<65, >=65"}]
    path = _workbook(tmp_path / "variant.xlsx", {"Datasets": [ADSL], "Variables": VARIABLES, "Codelists": CODELIST,
                                                 "Methods": METHODS, "ValueLevel": vlm, "WhereClauses": where}, names)
    bundle = read_specs(path)
    assert bundle.issues == []
    agegr1 = bundle.datasets[0]["variables"][2]
    assert agegr1["method"] == "<65 or >=65 years (AGE)"
    assert agegr1["codelist"] == "AGEGR1"
    assert agegr1["value_level"] == [{"where": {"AGEGR1": ["<65", ">=65"]}, "type": "text", "length": 4, "origin": "Derived",
                                      "method": "<65 or >=65 years (AGE)"}]


def test_pilot3_metacore_workbook_imports():
    if not PILOT3.is_file():
        pytest.skip(f"{PILOT3} is absent (the shared reference folder is not beside the repository)")
    bundle = read_specs(PILOT3)
    rows = _rows(PILOT3, "Variables")
    assert bundle.issues == []
    assert sum(len(d["variables"]) for d in bundle.datasets) == len(rows)
    assert sum(len(v.get("value_level", [])) for d in bundle.datasets for v in d["variables"]) == len(_rows(PILOT3, "ValueLevel"))
    variables = {(d["dataset"], v["name"]): v for d in bundle.datasets for v in d["variables"]}
    table = [
        # variable           its YAML spec: attributes, and the rule (from the predecessor or the method)
        (("ADADAS", "SITEID"), {"name": "SITEID", "label": "Study Site Identifier", "type": "text", "length": 3,
                                "origin": {"type": "Predecessor", "predecessor": "DM.SITEID"}, "predecessor": "SITEID"}),
        (("ADADAS", "STUDYID"), {"name": "STUDYID", "label": "Study Identifier", "type": "text", "length": 12,
                                 "origin": {"type": "Predecessor", "predecessor": "ADSL.STUDYID"},
                                 "derive_vars_merged": {"dataset": "ADSL", "by": ["STUDYID", "USUBJID"], "value": "STUDYID"}}),
        (("ADSL", "SITEID"),   {"name": "SITEID", "label": "Study Site Identifier", "type": "text", "length": 3,
                                "origin": "Derived", "method": "DM.SITEID", "todo": "DM.SITEID"}),
    ]  # fmt: skip
    for key, spec in table:
        assert variables[key] == spec


# -- errors name the sheet, row and column


def test_errors_name_sheet_row_and_column(tmp_path):
    bad = [dict(v) for v in VARIABLES]
    bad[2]["Label"] = "Pooled Age Group 1 with a label far too long for XPT"
    bad[1]["Data Type"] = "txt"
    bad[0]["Length"] = "twelve"
    bad[3]["Variable"] = "trtsdt"
    path = _workbook(tmp_path / "bad.xlsx", {"Datasets": [ADSL], "Variables": bad, "Codelists": CODELIST, "Methods": METHODS})
    with pytest.raises(SpecError) as caught:
        import_specs(path, tmp_path / "out")
    assert [str(i) for i in caught.value.issues] == [
        "bad.xlsx: Variables!E2: ADSL.STUDYID: length 'twelve': expected a whole number",
        ("bad.xlsx: Variables!D3: ADSL.USUBJID: type 'txt' is not one of 'text', 'integer', 'float', 'date', 'datetime', "
         "'time', 'partialDate', 'partialTime', 'partialDatetime', 'incompleteDatetime', 'durationDatetime' or 'intervalDatetime'"),
        ("bad.xlsx: Variables!C4: ADSL.AGEGR1: label is 52 characters long; XPT v5 allows at most 40: "
         "'Pooled Age Group 1 with a label far too long for XPT'"),
        "bad.xlsx: Variables!B5: ADSL.trtsdt: name 'trtsdt' must be upper case ('TRTSDT')",
    ]
    assert not (tmp_path / "out").exists()


def test_cli_error_is_a_spec_error_not_a_traceback(tmp_path):
    path = _workbook(tmp_path / "nodatasets.xlsx", {"Variables": VARIABLES})
    result = CliRunner().invoke(app, ["spec", "import", str(path), "--out", str(tmp_path / "out")])
    assert isinstance(result.exception, SpecError)
    assert str(result.exception).startswith("nodatasets.xlsx:1: no Datasets sheet (sheets: Variables)")


# -- where clauses as the template writes them


@pytest.mark.parametrize(
    ("text", "types", "where"),
    [
        # template text                                     variable types          spec where
        ("PARAMCD EQ SYSBP",                                {},                     {"PARAMCD": ["SYSBP"]}),
        ("VSTESTCD EQ TEMP and VSPOS IN (SITTING, SUPINE)",  {},                     {"VSTESTCD": ["TEMP"], "VSPOS": ["SITTING", "SUPINE"]}),
        ('QNAM EQ "A, B" AND AVISITN IN (1, 2.5)',          {"AVISITN": "float"},   {"QNAM": ["A, B"], "AVISITN": [1, 2.5]}),
        ("paramcd eq ACITM01",                              {},                     {"PARAMCD": ["ACITM01"]}),
        ("LBTESTCD IN (ALB)",                               {},                     {"LBTESTCD": ["ALB"]}),
    ],
)  # fmt: skip
def test_where_clauses_read(text, types, where):
    assert parse_where(text, types) == where


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PARAMCD NE ACTOT",                  "uses NE; the spec holds EQ and IN conditions only"),
        ("VSTESTCD EQ HEIGHT and DM.COUNTRY EQ USA", "tests DM.COUNTRY, a variable of another dataset"),
        ("",                                  "the where clause is empty"),
        ("PARAMCD = X",                       "expected VARIABLE EQ|IN value(s)"),
    ],
)  # fmt: skip
def test_where_clauses_the_spec_cannot_hold(text, message):
    with pytest.raises(WhereError, match=message.replace("(", r"\(").replace(")", r"\)").replace("|", r"\|")):
        parse_where(text, {})


@pytest.mark.parametrize("where", [{"PARAMCD": ["SYSBP"]}, {"A": ["x, y", "(z)"], "B": [1, 2]}, {"Q": ['say "hi"']}])
def test_where_clauses_written_read_back(where):
    assert parse_where(format_where(where), {"B": "integer"}) == where


# -- todo: placeholders: check-spec lists them, run refuses


def test_check_spec_lists_todo_rules_and_run_refuses(small, tmp_path):
    study = tmp_path / "study"
    import_specs(small, study)
    (study / "sdtm").mkdir()
    (study / "sdtm" / "dm.csv").write_text("STUDYID,USUBJID,AGE\nX,X-1,40\n", encoding="utf-8")
    runner = CliRunner()
    checked = runner.invoke(app, ["check-spec", str(study)])
    assert checked.exit_code == 0, checked.output
    lines = checked.output.splitlines()
    assert lines[1] == "2 variable(s) still need a rule (todo:); cdisc run refuses the study until each has one:"
    assert lines[2].endswith("adam/adsl.yaml:10:133: ADSL.AGEGR1: still needs a rule: <65 or >=65 years (AGE)")
    assert lines[3].endswith("ADSL.TRTSDT: still needs a rule: First EXSTDTC, as a SAS date")
    ran = runner.invoke(app, ["run", str(study), "--out", str(tmp_path / "out")])
    assert isinstance(ran.exception, SpecError)
    assert [i.subject for i in ran.exception.issues] == ["ADSL.AGEGR1", "ADSL.TRTSDT"]
    assert not (tmp_path / "out").exists()


def test_imported_rules_from_the_workbook(small, tmp_path):
    """Predecessors of the source dataset become rules; derived values keep their method as text and a todo."""
    bundle = read_specs(small)
    variables = {v["name"]: v for v in bundle.datasets[0]["variables"]}
    assert bundle.datasets[0]["source"] == {"dataset": "DM"}
    assert variables["STUDYID"]["predecessor"] == "STUDYID"
    assert variables["AGEGR1"]["todo"] == variables["AGEGR1"]["method"] == "<65 or >=65 years (AGE)"
    assert variables["TRTSDT"]["format"] == "DATE9."
    assert bundle.codelists == [{"name": "AGEGR1", "label": "Pooled Age Group 1", "type": "text",
                                 "terms": [{"value": "<65"}, {"value": ">=65"}]}]
