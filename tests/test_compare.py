"""``cdisc diff``: attributes, unmatched records, values with tolerances, reports, exit codes, reference ADaMs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED
from typer.testing import CliRunner

from cdisc.cli import app
from cdisc.compare import (
    CompareInputError,
    Tolerance,
    compare_paths,
    compare_tables,
    parse_keys,
    parse_tolerances,
)
from cdisc.compare.report import text_report, to_html, to_json
from cdisc.compare.tables import Table, Variable, read_table
from cdisc.errors import UsageError
from cdisc.xpt import XptDataset, XptVariable, write_xpt

PILOT3 = SHARED / "reference" / "rconsortium-pilot3" / "adam"
TDF = SHARED / "reference" / "phuse-tdf" / "adam"


def table(frame: pd.DataFrame, **attributes: dict[str, object]) -> Table:
    """An in-memory dataset; ``attributes`` maps a variable to overrides (label, type, length, format)."""
    variables = tuple(
        Variable(
            **{
                "name": c, "label": c.title(), "type": "num" if pd.api.types.is_numeric_dtype(frame[c]) else "char",
                "length": 8, "format": "", **attributes.get(c, {}),
            }
        )
        for c in frame.columns
    )
    return Table("DS", "Dataset", Path("ds"), frame, variables)


BASE = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AVAL": [1.0, 2.0, np.nan], "AVALC": ["x", "y ", ""]})


def test_equal_datasets_are_equal_and_trailing_blanks_and_missing_text_do_not_count():
    other = BASE.assign(AVALC=["x ", "y", None])
    diff = compare_tables(table(BASE), table(other), ["USUBJID"])
    assert diff.equal and diff.matched == 3 and diff.compared == ["AVAL", "AVALC"]


def test_value_differences_are_counted_per_variable_with_the_first_records():
    other = BASE.assign(AVAL=[1.0, 2.5, 3.0], AVALC=["x", "z", ""])
    diff = compare_tables(table(BASE), table(other), ["USUBJID"], max_records=1)
    found = {v.variable: v for v in diff.values}
    assert found["AVAL"].count == 2 and found["AVAL"].max_difference == 0.5
    assert len(found["AVAL"].records) == 1 and found["AVAL"].records.loc[0, "USUBJID"] == "B"
    assert found["AVALC"].records.loc[0, ["BASE", "COMPARE", "_BASE_ROW"]].tolist() == ["y ", "z", 2]


def test_absolute_and_relative_tolerances_apply_per_variable():
    base = pd.DataFrame({"ID": [1, 2], "A": [100.0, 200.0], "B": [100.0, 200.0]})
    other = base.assign(A=[100.05, 200.0], B=[100.0, 200.2])
    assert {v.variable for v in compare_tables(table(base), table(other), ["ID"]).values} == {"A", "B"}
    tolerances = {"A": Tolerance(absolute=0.1), "B": Tolerance(relative=1e-3)}
    assert compare_tables(table(base), table(other), ["ID"], tolerances).equal
    tight = {"A": Tolerance(absolute=0.01), "*": Tolerance(relative=1e-3)}
    assert [v.variable for v in compare_tables(table(base), table(other), ["ID"], tight).values] == ["A"]


def test_observations_only_in_one_side_are_listed_by_key():
    other = pd.DataFrame({"USUBJID": ["C", "A", "D"], "AVAL": [np.nan, 1.0, 4.0], "AVALC": ["", "x", "w"]})
    diff = compare_tables(table(BASE), table(other), ["USUBJID"])
    assert (diff.matched, diff.only_base_count, diff.only_compare_count) == (2, 1, 1)
    assert diff.only_base["USUBJID"].tolist() == ["B"] and diff.only_compare["USUBJID"].tolist() == ["D"]
    assert not diff.values


def test_without_keys_records_are_matched_by_position():
    other = pd.concat([BASE, BASE.head(1)], ignore_index=True)
    diff = compare_tables(table(BASE), table(other))
    assert diff.matched == 3 and diff.only_compare_count == 1 and diff.only_compare["_ROW"].tolist() == [4]


def test_attribute_differences_label_type_length_format_order_and_variables_on_one_side():
    other = BASE[["AVAL", "USUBJID"]].assign(AVALC=BASE["AVALC"], EXTRA=1)
    attributes = {"AVAL": {"label": "Value", "format": "8.2"}, "AVALC": {"length": 20}, "USUBJID": {"type": "num"}}
    diff = compare_tables(table(BASE), table(other, **attributes), [])
    kinds = {(a.variable, a.attribute) for a in diff.attributes}
    assert {("AVAL", "label"), ("AVAL", "format"), ("AVALC", "length"), ("USUBJID", "type"), ("USUBJID", "order")} <= kinds
    assert diff.only_compare_variables == ["EXTRA"]
    assert any("USUBJID: values not compared" in note for note in diff.notes)


def test_duplicate_keys_are_a_finding_and_missing_keys_cannot_be_compared():
    doubled = pd.concat([BASE, BASE.head(1)], ignore_index=True)
    diff = compare_tables(table(doubled), table(BASE), ["USUBJID"])
    assert not diff.equal and diff.duplicate_count == 2
    assert diff.duplicates[["side", "USUBJID", "_ROW"]].values.tolist() == [["base", "A", 1], ["base", "A", 4]]
    assert (diff.matched, diff.only_compare["USUBJID"].tolist()) == (2, ["A"])  # the others are still compared
    with pytest.raises(CompareInputError, match="key variable"):
        compare_tables(table(BASE), table(BASE), ["AESEQ"])


def test_options_parse_keys_and_tolerances_and_refuse_nonsense():
    assert parse_keys(["USUBJID", "adae:USUBJID,AESEQ"]) == {"*": ["USUBJID"], "adae": ["USUBJID", "AESEQ"]}
    tolerances = parse_tolerances(["1e-9", "AVAL=0.01"], ["AVAL=1e-6"])
    assert tolerances["AVAL"] == Tolerance(0.01, 1e-6) and tolerances["*"] == Tolerance(1e-9, 0.0)
    for bad in (lambda: parse_keys(["adae:"]), lambda: parse_tolerances(["-1"], []), lambda: parse_tolerances([], ["AVAL=x"])):
        with pytest.raises(UsageError):
            bad()


def _write(folder: Path, frame: pd.DataFrame, name: str, labels: dict[str, str] | None = None) -> Path:
    variables = tuple(
        XptVariable(c, (labels or {}).get(c, c.title()), "num" if pd.api.types.is_numeric_dtype(frame[c]) else "char")
        for c in frame.columns
    )
    folder.mkdir(parents=True, exist_ok=True)
    return write_xpt(frame, XptDataset(name, "Test", variables), folder)


def test_xpt_csv_and_parquet_are_read_and_folders_paired_by_name(tmp_path):
    frame = BASE.assign(AVALC=BASE["AVALC"].fillna(""))
    _write(tmp_path / "a", frame, "ADX")
    (tmp_path / "b").mkdir()
    frame.to_csv(tmp_path / "b" / "adx.csv", index=False)
    frame.to_parquet(tmp_path / "a" / "only.parquet")
    result = compare_paths(tmp_path / "a", tmp_path / "b", {"*": ["USUBJID"]})
    assert result.only_base == ["only.parquet"] and not result.only_compare
    (diff,) = result.datasets
    assert diff.matched == 3 and not diff.values and not diff.attributes  # CSV carries no attributes to differ
    assert read_table(tmp_path / "a" / "only.parquet").variable("AVAL").type == "num"


def test_reports_text_json_html(tmp_path):
    other = BASE.assign(AVAL=[1.0, 9.0, np.nan])
    _write(tmp_path / "a", BASE.fillna({"AVALC": ""}), "ADX")
    _write(tmp_path / "b", other.fillna({"AVALC": ""}), "ADX", {"AVAL": "Analysis Value"})
    result = compare_paths(tmp_path / "a", tmp_path / "b", {"adx": ["USUBJID"]})
    text = text_report(result)
    assert text.index("Summary") < text.index("Attribute differences") < text.index("AVAL: 1 differing value(s)")
    assert text.rstrip().endswith("Result: DIFFERENT")
    data = json.loads(to_json(result))
    assert data["equal"] is False and data["datasets"][0]["value_differences"][0]["first"][0]["USUBJID"] == "B"
    page = to_html(result)
    assert "<style>" in page and "<script" not in page and "http" not in page.split("<body>")[1].replace(str(tmp_path), "")
    assert "Analysis Value" in page


def test_cli_exit_codes_equal_different_and_cannot_compare(tmp_path):
    _write(tmp_path / "a", BASE.fillna({"AVALC": ""}), "ADX")
    _write(tmp_path / "b", BASE.fillna({"AVALC": ""}), "ADX")
    _write(tmp_path / "c", BASE.fillna({"AVALC": ""}).assign(AVAL=2.0), "ADX")
    runner = CliRunner()
    same = runner.invoke(app, ["diff", str(tmp_path / "a"), str(tmp_path / "b"), "--keys", "USUBJID"])
    assert same.exit_code == 0 and "Result: EQUAL" in same.output
    html = tmp_path / "r.html"
    different = runner.invoke(app, ["diff", str(tmp_path / "a"), str(tmp_path / "c"), "-k", "USUBJID", "--html", str(html)])
    assert different.exit_code == 1 and html.is_file()
    broken = runner.invoke(app, ["diff", str(tmp_path / "a"), str(tmp_path / "nowhere")])
    assert isinstance(broken.exception, CompareInputError) and broken.exception.exit_code == 2


@pytest.mark.skipif(not PILOT3.is_dir() or not TDF.is_dir(), reason="shared reference data not available")
def test_pilot3_against_tdf_reproduces_the_known_differences():
    keys = {"adsl": ["USUBJID"], "adae": ["USUBJID", "AESEQ"], "adtte": ["USUBJID", "PARAMCD"]}
    result = compare_paths(PILOT3, TDF, keys)
    found = {d.name.lower(): d for d in result.datasets}
    assert result.only_compare == ["adcibc.xpt"] and set(found) == {"adsl", "adae", "adtte"}
    counts = {name: {v.variable: v.count for v in d.values} for name, d in found.items()}
    assert counts == {"adsl": {"BMIBLGR1": 1}, "adae": {"ADURN": 4, "ADURU": 718}, "adtte": {}}
    for diff in found.values():
        assert diff.matched == 254 or diff.matched == 1191
        assert diff.only_base_count == diff.only_compare_count == 0
    bmi = found["adsl"].values[0].records
    assert bmi[["USUBJID", "BASE", "COMPARE"]].values.tolist() == [["01-702-1082", "", "<25"]]
