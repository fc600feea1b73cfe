"""`cdisc diff` in the validators' workflow: run output folders, empty folders, SAS and R exports, VAR/WITH."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_sdtm_engine import CT, replace_in, study_with
from typer.testing import CliRunner

from cdisc.cli import app
from cdisc.compare import Selection, compare_paths, compare_tables, parse_selections
from cdisc.compare.report import summary_frame, text_report
from cdisc.compare.tables import read_table
from cdisc.errors import CdiscError, UsageError
from cdisc.study import run_study
from cdisc.xpt import XptDataset, XptVariable, write_xpt

needs_ct = pytest.mark.skipif(not CT.is_file(), reason="shared CDISC CT (../shared/standards/ct) not available")


class Done:
    """What a user sees of ``cdisc diff``: the exit code (as the ``cdisc`` entry point sets it) and the output."""

    def __init__(self, *args: str):
        result = CliRunner().invoke(app, ["diff", *args])
        error = result.exception if isinstance(result.exception, CdiscError) else None
        self.exit_code = error.exit_code if error else result.exit_code
        self.output = result.output + (str(error) if error else "")


diff = Done


def write(folder: Path, frame: pd.DataFrame, name: str, formats: dict[str, str] | None = None) -> Path:
    """``frame`` as ``folder/<name>.xpt``; ``formats`` gives SAS formats (``DATE9.``) by variable."""
    variables = tuple(
        XptVariable(c, c.title(), "num" if pd.api.types.is_numeric_dtype(frame[c]) else "char", format=(formats or {}).get(c, ""))
        for c in frame.columns
    )
    folder.mkdir(parents=True, exist_ok=True)
    return write_xpt(frame, XptDataset(name, "Test", variables), folder)


@needs_ct
def test_two_run_output_folders_are_searched_recursively_and_the_changed_dataset_found(tmp_path):
    study = study_with(tmp_path)
    run_study(study, tmp_path / "week1")
    replace_in(study, "raw/ae.csv", "Nausea,UN-MAR-2024,,MODERATE", "Nausea,UN-MAR-2024,,SEVERE")
    run_study(study, tmp_path / "week2")

    done = diff(str(tmp_path / "week1"), str(tmp_path / "week2"))  # keys from each folder's define.xml
    assert done.exit_code == 1, done.output
    summary = done.output[done.output.index("Summary"):done.output.index("==")]
    assert [line.split()[0] for line in summary.splitlines()[2:] if line.strip()] == ["AE", "DM", "SUPPAE"]
    assert "AESEV: 1 differing value(s)" in done.output and "'MODERATE'" in done.output and "'SEVERE'" in done.output
    assert "Compared 3 dataset(s), 9 record(s); 1 dataset(s) differ" in done.output  # lineage/ and reports/ are not datasets
    assert done.output.rstrip().endswith("Result: DIFFERENT")
    assert "STUDYID, USUBJID, AESEQ" in summary and "Note: keys from" in done.output

    same = diff(str(tmp_path / "week1"), str(tmp_path / "week1"))
    assert same.exit_code == 0 and "Compared 3 dataset(s)" in same.output and "Result: EQUAL" in same.output


def test_nothing_to_compare_is_exit_2_never_equal(tmp_path):
    (tmp_path / "empty1").mkdir()
    (tmp_path / "empty2").mkdir()
    (tmp_path / "notes" / "sub").mkdir(parents=True)
    (tmp_path / "notes" / "sub" / "readme.txt").write_text("no datasets here")
    write(tmp_path / "one" / "adam", pd.DataFrame({"USUBJID": ["A"]}), "ADSL")
    write(tmp_path / "other", pd.DataFrame({"USUBJID": ["A"]}), "ADAE")

    for left, right, message in (
        ("empty1", "empty2", "nothing compared: no dataset files in"),
        ("notes", "empty1", "nothing compared: no dataset files in"),
        ("one", "emtpy1", "no such file or folder; nothing compared"),
        ("one", "other", "nothing compared: no dataset is in both folders (base: adam/adsl.xpt; compare: adae.xpt)"),
    ):
        done = diff(str(tmp_path / left), str(tmp_path / right))
        assert done.exit_code == 2, (left, right, done.output)
        assert message in done.output and "EQUAL" not in done.output


def test_a_lowercase_r_csv_with_na_compares_equal_to_the_sas_xpt(tmp_path):
    sas = pd.DataFrame({"USUBJID": ["01-001", "01-002"], "AGE": [64.0, np.nan], "RACE": ["ASIAN", ""]})
    write(tmp_path / "sas" / "adam", sas, "ADSL")
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "adsl.csv").write_text("usubjid,age,race\n01-001,64,ASIAN\n01-002,NA,NA\n")

    done = diff(str(tmp_path / "sas"), str(tmp_path / "r"), "-k", "usubjid")
    assert done.exit_code == 0, done.output
    assert "Compared 1 dataset(s), 2 record(s)" in done.output  # adam/adsl.xpt paired with adsl.csv by dataset name


def test_iso_text_dates_equal_sas_dates_and_differences_show_as_dates(tmp_path):
    #   SAS (DATE9. / DATETIME20.)            R export (ISO 8601 text)
    #   ID  TRTSDT      TRTSDTM                id  TRTSDT       TRTSDTM
    #   1   2023-06-01  2023-06-01T10:30:00    1   2023-06-01   2023-06-01T10:30:00
    #   2   2024-02-29  .                      2   2024-03-01   (blank)
    sas = pd.DataFrame({"ID": [1.0, 2.0], "TRTSDT": [23162.0, 23435.0], "TRTSDTM": [23162 * 86400 + 37800.0, np.nan]})
    write(tmp_path / "sas", sas, "ADSL", {"TRTSDT": "DATE9.", "TRTSDTM": "DATETIME20."})
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "adsl.csv").write_text("id,TRTSDT,TRTSDTM\n1,2023-06-01,2023-06-01T10:30:00\n2,2024-03-01,\n")

    result = compare_paths(tmp_path / "sas", tmp_path / "r", {"*": ["ID"]})
    (found,) = result.datasets
    assert [v.variable for v in found.values] == ["TRTSDT"]  # the datetime agrees
    assert found.values[0].records[["BASE", "COMPARE", "DIFF"]].values.tolist() == [["2024-02-29", "2024-03-01", 1.0]]


def test_an_option_reads_text_as_dates_when_no_format_says_so():
    base = read_like({"ID": [1.0], "ADT": [23162.0]})
    other = read_like({"ID": [1.0], "ADT": ["01JUN2023"]})
    assert not compare_tables(base, other, ["ID"]).equal  # a number and text: nothing says it is a date
    assert compare_tables(base, other, ["ID"], selection=Selection(dates=("adt",))).equal


def read_like(columns: dict[str, list]) -> object:
    from cdisc.compare.tables import Table, Variable

    frame = pd.DataFrame(columns)
    variables = tuple(
        Variable(c, None, "num" if pd.api.types.is_numeric_dtype(frame[c]) else None, None, None) for c in frame.columns
    )
    return Table("ADSL", None, Path("adsl"), frame, variables)


def test_a_duplicate_key_is_a_finding_and_the_other_datasets_are_still_compared(tmp_path):
    adsl = pd.DataFrame({"USUBJID": ["A", "B"], "AGE": [60.0, 70.0]})
    adae = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 1.0, 1.0], "AETERM": ["X", "Y", "Z"]})
    for side in ("base", "compare"):
        write(tmp_path / side, adsl.assign(AGE=[60.0, 71.0]) if side == "compare" else adsl, "ADSL")
        write(tmp_path / side, adae if side == "base" else adae.drop(index=1), "ADAE")

    done = diff(str(tmp_path / "base"), str(tmp_path / "compare"), "-k", "USUBJID", "-k", "adae:USUBJID,AESEQ")
    assert done.exit_code == 1, done.output
    assert "Records with duplicate keys (not matched): 2" in done.output
    assert "AGE: 1 differing value(s)" in done.output  # ADSL compared although ADAE has duplicates
    assert "Compared 2 dataset(s), 3 record(s); 2 dataset(s) differ" in done.output


def test_var_with_and_exclude_choose_and_pair_variables():
    base = read_like({"ID": [1.0, 2.0], "AVAL": [1.0, 2.0], "NOTE": ["a", "b"]})
    other = read_like({"ID": [1.0, 2.0], "AVAL": [9.0, 9.0], "AVAL2": [1.0, 2.0], "NOTE": ["a", "c"]})
    assert [v.variable for v in compare_tables(base, other, ["ID"]).values] == ["AVAL", "NOTE"]
    paired = compare_tables(base, other, ["ID"], selection=Selection(var=("AVAL",), with_=("AVAL2",)))
    assert paired.equal and paired.compared == ["AVAL"]
    excluded = compare_tables(base, other, ["ID"], selection=Selection(exclude=("aval", "aval2")))
    assert [v.variable for v in excluded.values] == ["NOTE"] and not excluded.only_compare_variables
    selections = parse_selections(["AVAL"], [], ["NOTE"], [], [])
    assert selections["*"] == Selection(var=("AVAL",), exclude=("NOTE",))
    with pytest.raises(UsageError, match="--with"):
        parse_selections([], ["AVAL2"], [], [], [])


def test_the_attribute_count_counts_attributes_only(tmp_path):
    write(tmp_path / "a", pd.DataFrame({"ID": [1.0], "X": ["x"]}), "DS")
    write(tmp_path / "b", pd.DataFrame({"ID": [1.0], "X": ["x"], "EXTRA": ["e"], "MORE": ["m"]}), "DS")
    result = compare_paths(tmp_path / "a", tmp_path / "b", {"*": ["ID"]})
    row = summary_frame(result).iloc[0]
    assert (row["attribute diffs"], row["vars one side"]) == (0, 2)
    assert "Variables only in compare: EXTRA, MORE" in text_report(result)
    assert read_table(tmp_path / "b" / "ds.xpt").name == "DS"
