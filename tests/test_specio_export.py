"""cdisc spec export of the example study, opened with openpyxl, and the round trip back to YAML.

The export is read here with openpyxl alone; the CT terms it lists are compared with the values
the example run writes (read with pyreadstat). The round trip: export then import gives specs
equal to the originals in everything the template holds, and ``--merge-into`` changes only what
a reviewer changed in the workbook, keeping every rule.
"""

from __future__ import annotations

import difflib
import filecmp
import shutil
from pathlib import Path

import openpyxl
import pyreadstat
import pytest
from typer.testing import CliRunner

from cdisc.cli import app
from cdisc.definexml.methods import describe_rule
from cdisc.spec.load import load_study
from cdisc.specio import export_specs, import_specs, read_specs
from cdisc.specio import p21_template as t
from cdisc.specio.merge import imported_view, template_view

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_output(tmp_path_factory) -> Path:
    from cdisc.study import run_study

    out = tmp_path_factory.mktemp("run") / "out"
    run_study(REPO / "specs", out)
    return out


@pytest.fixture(scope="module")
def workbook(run_output, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export") / "specs.xlsx"
    result = CliRunner().invoke(app, ["spec", "export", str(REPO / "specs"), "--out", str(path), "--data", str(run_output)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def study():
    return load_study(REPO / "specs")


def _rows(path: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_one_sheet_per_template_sheet_frozen_filterable_and_sized(workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == [s.name for s in t.TEMPLATE]
    for sheet in t.TEMPLATE:
        ws = wb[sheet.name]
        assert [c.value for c in ws[1]] == list(sheet.columns)
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref.startswith("A1:")
        assert all(c.font.bold for c in ws[1])
        for index, column in enumerate(sheet.columns, 1):
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(index)].width
            assert width >= len(column) + 4


def test_every_dataset_and_variable_is_on_its_sheet(workbook, study):
    datasets = _rows(workbook, "Datasets")
    supp = [f"SUPP{n}" for n, d in study.datasets.items() if getattr(d.spec, "supp", None)]
    assert sorted(r["Dataset"] for r in datasets) == sorted([*study.datasets, *supp])
    variables = _rows(workbook, "Variables")
    for name, dataset in study.datasets.items():
        written = [v for v in dataset.spec.variables if not getattr(v, "temporary", False)]
        rows = [r for r in variables if r["Dataset"] == name]
        assert [(r["Variable"], r["Label"], r["Data Type"], r["Length"]) for r in rows] == [
            (v.name, v.label, v.type, v.length) for v in written]


def test_methods_are_in_words(workbook, study):
    methods = {r["ID"]: r["Description"] for r in _rows(workbook, "Methods")}
    variables = _rows(workbook, "Variables")
    derived = [r for r in variables if r["Origin"] == "Derived" and not r["Dataset"].startswith("SUPP")]
    assert derived and all(r["Method"] in methods for r in derived)
    for row in derived:
        var = next(v for v in study.datasets[row["Dataset"]].spec.variables if v.name == row["Variable"])
        assert methods[row["Method"]] == (var.method or describe_rule(var, var.name, study.spec))
    agegr1 = next(r for r in variables if (r["Dataset"], r["Variable"]) == ("ADSL", "AGEGR1"))
    assert methods[agegr1["Method"]] == "<65 or >=65 years (AGE)"


def test_value_level_metadata_and_supp_qualifiers(workbook, study):
    rows = _rows(workbook, "ValueLevel")
    levels = [(n, v.name, lv) for n, d in study.datasets.items() for v in d.spec.variables for lv in v.value_level]
    qualifiers = [(f"SUPP{n}", q) for n, d in study.datasets.items() for q in getattr(d.spec, "supp", [])]
    assert len(rows) == len(levels) + len(qualifiers)
    supp_rows = [r for r in rows if r["Dataset"].startswith("SUPP")]
    assert [(r["Dataset"], r["Where Clause"], r["Label"]) for r in supp_rows] == [
        (n, f"QNAM EQ {q.qnam}", q.qlabel) for n, q in qualifiers]


def test_codelists_study_ones_complete_ct_ones_restricted_to_used_terms(workbook, study, run_output):
    rows = _rows(workbook, "Codelists")
    terms: dict[str, list] = {}
    for r in rows:
        terms.setdefault(r["ID"], []).append(r["Term"])
    own = {c.name: c for c in study.codelist_file.codelists}
    for name in terms.keys() & own.keys():
        assert terms[name] == [term.value for term in own[name].terms]
    # CT codelists of variables (SUPP-- ones too; not value level): exactly the CT terms the data holds, read with pyreadstat
    by_codelist: dict[str, set] = {}
    levels = {r["Codelist"] for r in _rows(workbook, "ValueLevel")}
    for row in _rows(workbook, "Variables"):
        name = row["Codelist"]
        if name is None or name in own or name in levels:
            continue
        folder = "adam" if row["Dataset"].startswith("AD") else "sdtm"
        frame, _ = pyreadstat.read_xport(str(run_output / folder / f"{row['Dataset'].lower()}.xpt"), usecols=[row["Variable"]])
        by_codelist.setdefault(name, set()).update(str(x) for x in frame[row["Variable"]] if x not in ("", None))
    checked = 0
    for name, used in by_codelist.items():
        ct = set(study.ct[name].terms["value"])
        expected = used if study.ct[name].extensible else used & ct  # extensible: sponsor values listed too
        assert {term for term in terms[name] if term is not None} == expected, name
        assert len(terms[name]) < len(ct) or used >= ct
        checked += 1
    assert checked >= 10


def test_round_trip_gives_the_original_specs(workbook, study):
    bundle = read_specs(workbook)
    assert bundle.issues == []
    assert [d["dataset"] for d in bundle.datasets] == list(study.datasets)
    for spec in bundle.datasets:
        assert imported_view(spec) == template_view(study, study.datasets[spec["dataset"]].spec), spec["dataset"]
        original = getattr(study.datasets[spec["dataset"]].spec, "supp", [])
        assert [(q["qnam"], q["qlabel"], q.get("codelist")) for q in spec.get("supp", [])] == [
            (q.qnam, q.qlabel, q.codelist) for q in original]
    imported = {c["name"]: c for c in bundle.codelists}
    for codelist in study.codelist_file.codelists:
        got = imported[codelist.name]
        assert (got["label"], got["type"], got.get("nci"), got.get("dictionary"), got.get("version")) == (
            codelist.label, codelist.type, codelist.nci, codelist.dictionary, codelist.version)
        assert [(t["value"], t.get("decode"), t.get("nci")) for t in got.get("terms", [])] == [
            (t.value, t.decode, t.nci) for t in codelist.terms]
    assert bundle.study["study"] == study.spec.study.model_dump(exclude_none=True, exclude={"sponsor"})  # no sponsor in the template
    assert bundle.study["terminology"] == {"version": study.spec.terminology.version}
    assert bundle.study["standards"] == study.spec.standards.model_dump(exclude={"define"})


@pytest.fixture
def copy(tmp_path) -> Path:
    """The example study copied, with its raw extract reachable at the same relative path."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    shutil.copytree(tmp_path / "specs", tmp_path / "pristine")  # what the copy held before the merge
    (tmp_path / "examples").symlink_to(REPO / "examples")
    return tmp_path / "specs"


def test_merge_of_an_unchanged_workbook_changes_no_file(workbook, copy):
    lines = import_specs(workbook, copy, merge_into=copy)
    assert lines[0] == f"specs.xlsx merged into {copy}: 0 file(s) changed"
    compared = filecmp.dircmp(copy.parent / "pristine", copy)
    assert compared.diff_files == [] and all(not d.diff_files for d in compared.subdirs.values())


def _variables(workbook: Path):
    """The workbook opened for editing, its Variables sheet's header and rows by (dataset, variable)."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb["Variables"]
    header = [c.value for c in ws[1]]
    rows = {(r[header.index("Dataset")].value, r[header.index("Variable")].value): r for r in ws.iter_rows(min_row=2)}
    return wb, header, rows


def _edited(workbook: Path, target: Path, edits: dict[tuple[str, str], dict[str, object]]) -> Path:
    """A copy of ``workbook`` with the Variables cells in ``edits`` changed, like a reviewer in Excel."""
    wb, header, rows = _variables(workbook)
    for key, cells in edits.items():
        for column, value in cells.items():
            rows[key][header.index(column)].value = value
    wb.save(target)
    return target


def _moved(workbook: Path, target: Path, first: tuple[str, str], second: tuple[str, str]) -> Path:
    """A copy of ``workbook`` with two Variables rows swapped (the Order column left as numbered)."""
    wb, header, rows = _variables(workbook)
    order = header.index("Order")
    for index, (a, b) in enumerate(zip(rows[first], rows[second], strict=True)):
        if index != order:
            a.value, b.value = b.value, a.value
    wb.save(target)
    return target


def _changed_lines(before: Path, after: Path) -> list[str]:
    """The lines ``after`` removes (``- ``) and adds (``+ ``) against ``before``."""
    old, new = before.read_text().splitlines(), after.read_text().splitlines()
    return [line for line in difflib.ndiff(old, new) if line[:2] in ("- ", "+ ")]


def test_reviewer_edits_flow_back_and_rules_are_kept(workbook, copy, tmp_path):
    edited = _edited(workbook, tmp_path / "edited.xlsx", {("AE", "AETERM"): {"Label": "Reported Adverse Event Term", "Length": 150},
                                                          ("ADSL", "AGEGR1"): {"Label": "Age Group"}})
    before = load_study(copy)
    lines = import_specs(edited, copy, merge_into=copy)
    assert lines[1:3] == [f"{copy / 'sdtm' / 'ae.yaml'}: AETERM: label, length", f"{copy / 'adam' / 'adsl.yaml'}: AGEGR1: label"]
    after = load_study(copy)
    changed = {(n, v.name): v for n, d in after.datasets.items() for v in d.spec.variables}
    assert (changed["AE", "AETERM"].label, changed["AE", "AETERM"].length) == ("Reported Adverse Event Term", 150)
    assert changed["ADSL", "AGEGR1"].label == "Age Group"
    for name, dataset in before.datasets.items():
        for var in dataset.spec.variables:
            assert changed[name, var.name].rule == var.rule
    compared = filecmp.dircmp(copy.parent / "pristine", copy)
    assert compared.diff_files == [] and compared.subdirs["sdtm"].diff_files == ["ae.yaml"]
    assert compared.subdirs["adam"].diff_files == ["adsl.yaml"]
    # only the edited entries are written again; the label goes after the name, as specs write it
    assert _changed_lines(copy.parent / "pristine" / "adam" / "adsl.yaml", copy / "adam" / "adsl.yaml") == [
        "-     label: Pooled Age Group 1", "+     label: Age Group"]
    ae = _changed_lines(copy.parent / "pristine" / "sdtm" / "ae.yaml", copy / "sdtm" / "ae.yaml")
    assert sorted(line[:2] for line in ae) == ["+ ", "- ", "- "]  # AETERM's two lines, now one
    assert next(line for line in ae if line.startswith("+ ")).startswith(
        "+   - {name: AETERM, label: Reported Adverse Event Term, type: text, length: 150, origin:")


def test_lookups_steps_and_temporary_variables_are_untouched_by_an_edit(workbook, copy, tmp_path):
    edited = _edited(workbook, tmp_path / "edited.xlsx", {("ADLB", "ANRIND"): {"Label": "Analysis Range Indicator"}})
    assert import_specs(edited, copy, merge_into=copy)[:2] == [
        f"edited.xlsx merged into {copy}: 1 file(s) changed", f"{copy / 'adam' / 'adlb.yaml'}: ANRIND: label"]
    pristine = copy.parent / "pristine" / "adam" / "adlb.yaml"
    original = next(line for line in pristine.read_text().splitlines() if line.startswith("  - {name: ANRIND,"))
    assert _changed_lines(pristine, copy / "adam" / "adlb.yaml") == [
        f"- {original}", f"+ {original.replace('Analysis Reference Range Indicator', 'Analysis Range Indicator')}"]
    spec = load_study(copy).datasets["ADLB"].spec
    assert spec.model_dump(exclude={"variables"}) == load_study(copy.parent / "pristine").datasets["ADLB"].spec.model_dump(exclude={"variables"})


def test_a_value_equal_to_the_ig_is_left_out_so_undoing_an_edit_restores_the_spec(workbook, copy, tmp_path):
    edited = _edited(workbook, tmp_path / "edited.xlsx", {("AE", "AESER"): {"Label": "Serious AE", "Mandatory": "Yes"}})
    pristine = copy.parent / "pristine" / "sdtm" / "ae.yaml"
    original = next(line for line in pristine.read_text().splitlines() if line.startswith("  - {name: AESER,"))
    assert "label" not in original and "core" not in original  # SDTMIG 3.4 gives them
    assert import_specs(edited, copy, merge_into=copy)[1] == f"{copy / 'sdtm' / 'ae.yaml'}: AESER: label, mandatory"
    assert _changed_lines(pristine, copy / "sdtm" / "ae.yaml") == [
        f"- {original}",
        f"+ {original.replace('{name: AESER, ', '{name: AESER, label: Serious AE, ').replace(', assign_ct', ', core: Req, assign_ct')}"]
    assert import_specs(workbook, copy, merge_into=copy)[1] == f"{copy / 'sdtm' / 'ae.yaml'}: AESER: label, mandatory"
    assert filecmp.cmp(pristine, copy / "sdtm" / "ae.yaml", shallow=False)


def test_the_workbooks_variable_order_is_written_where_the_spec_decides_it(workbook, copy, tmp_path):
    moved = _moved(workbook, tmp_path / "moved.xlsx", ("ADSL", "DOSE01P"), ("ADSL", "DOSE01A"))
    lines = import_specs(moved, copy, merge_into=copy)
    assert lines[:2] == [f"moved.xlsx merged into {copy}: 1 file(s) changed", f"{copy / 'adam' / 'adsl.yaml'}: variable order"]
    adsl = load_study(copy).datasets["ADSL"].spec
    written = [v.name for v in adsl.variables if not v.temporary]
    assert written == [r["Variable"] for r in _rows(moved, "Variables") if r["Dataset"] == "ADSL"]
    entries = [line.split("name: ")[1].split(",")[0] for line in (copy / "adam" / "adsl.yaml").read_text().splitlines()
               if line.lstrip().startswith(("- name: ", "- {name: "))]
    assert entries[entries.index("DOSE01A"):entries.index("DOSE01A") + 3] == ["DOSE01A", "DOSE01P", "DOSE01C"]  # the temporary follows


def test_sdtm_variables_stay_in_ig_order_whatever_the_workbook_says(workbook, copy, tmp_path):
    moved = _moved(workbook, tmp_path / "moved.xlsx", ("AE", "AESPID"), ("AE", "AETERM"))
    lines = import_specs(moved, copy, merge_into=copy)
    assert lines[0] == f"moved.xlsx merged into {copy}: 0 file(s) changed"
    assert "note: AE: the workbook's order of AETERM, AESPID is not kept: SDTM variables are written in SDTMIG order, " \
           "and variables copied by copy_from in their dataset's order" in lines


@pytest.fixture
def copied(tmp_path) -> Path:
    """The example study with ADAE carrying ADSL's AGEGR1 and AGEGR1N by a copy_from entry, and its workbook."""
    folder = tmp_path / "study" / "specs"
    shutil.copytree(REPO / "specs", folder)
    (tmp_path / "study" / "examples").symlink_to(REPO / "examples")
    adae = folder / "adam" / "adae.yaml"
    line = "  - {name: AGEGR1, label: Pooled Age Group 1, type: text, origin: Predecessor, predecessor: AGEGR1}\n"
    assert line in adae.read_text()
    adae.write_text(adae.read_text().replace(line, "  - {copy_from: ADSL, names: [AGEGR1, AGEGR1N]}   # as ADSL states them\n"))
    shutil.copytree(folder, tmp_path / "pristine")
    export_specs(folder, tmp_path / "copied.xlsx")
    return folder


def test_copy_from_entries_survive_a_merge(copied):
    workbook = copied.parent.parent / "copied.xlsx"
    adae = [r for r in _rows(workbook, "Variables") if r["Dataset"] == "ADAE" and r["Variable"].startswith("AGEGR1")]
    assert [(r["Variable"], r["Label"], r["Predecessor"]) for r in adae] == [
        ("AGEGR1", "Pooled Age Group 1", "ADSL.AGEGR1"), ("AGEGR1N", "Pooled Age Group 1 (N)", "ADSL.AGEGR1N")]
    assert import_specs(workbook, copied, merge_into=copied)[0] == f"copied.xlsx merged into {copied}: 0 file(s) changed"
    wb, header, rows = _variables(workbook)
    rows["ADAE", "AGEGR1"][header.index("Label")].value = "Age Group"  # copied: ADSL's spec states it
    wb["Variables"].delete_rows(rows["ADAE", "AGEGR1N"][0].row)
    wb.save(workbook)
    lines = import_specs(workbook, copied, merge_into=copied)
    assert lines[1] == f"{copied / 'adam' / 'adae.yaml'}: removed AGEGR1N"
    assert "note: ADAE.AGEGR1: not merged (label): copied from ADSL by copy_from; change ADSL's spec" in lines
    assert _changed_lines(copied.parent.parent / "pristine" / "adam" / "adae.yaml", copied / "adam" / "adae.yaml") == [
        "-   - {copy_from: ADSL, names: [AGEGR1, AGEGR1N]}   # as ADSL states them",
        "+   - {copy_from: ADSL, names: [AGEGR1]}   # as ADSL states them"]
    assert [v.name for v in load_study(copied).datasets["ADAE"].spec.variables if v.name.startswith("AGEGR1")] == ["AGEGR1"]
