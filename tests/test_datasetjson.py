"""Dataset-JSON v1.1 export: mapping from XPT metadata, structural validation, atomic deterministic files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

from cdisc.datasetjson import (
    DatasetJsonError,
    to_dataset_json,
    validate_dataset_json,
    write_dataset_json,
)
from cdisc.xpt import XptDataset, XptVariable, read_xpt, special_missing

ADSL = XptDataset(
    "ADSL",
    "Subject-Level Analysis Dataset",
    (
        XptVariable("USUBJID", "Unique Subject Identifier", "char"),
        XptVariable("AGE", "Age", "num"),
        XptVariable("BMIBL", "Baseline BMI", "num"),
        XptVariable("TRTSDT", "Date of First Exposure to Treatment", "num", format="DATE9."),
        XptVariable("TRTSDTM", "Datetime of First Exposure", "num", format="DATETIME20."),
        XptVariable("TRTSTM", "Time of First Exposure", "num", format="TIME8."),
    ),
)
FRAME = pd.DataFrame(
    {
        "USUBJID": ["01-701-1015", None],
        "AGE": [63.0, special_missing("A")],
        "BMIBL": [25.1, np.nan],
        "TRTSDT": [19725.0, np.nan],
        "TRTSDTM": [19725 * 86400 + 3661.0, np.nan],
        "TRTSTM": [3661.0, 0.0],
    }
)


def test_document_maps_xpt_metadata() -> None:
    document = to_dataset_json(FRAME, ADSL, study_oid="S.CDISCPILOT01", keys=("USUBJID",))
    assert document["datasetJSONVersion"] == "1.1.0" and document["records"] == 2
    assert document["itemGroupOID"] == "IG.ADSL" and document["studyOID"] == "S.CDISCPILOT01"
    columns = {c["name"]: c for c in document["columns"]}
    assert columns["USUBJID"] == {
        "itemOID": "IT.ADSL.USUBJID", "name": "USUBJID", "label": "Unique Subject Identifier",
        "dataType": "string", "length": 11, "keySequence": 1,
    }  # fmt: skip
    assert (columns["AGE"]["dataType"], columns["BMIBL"]["dataType"]) == ("integer", "double")
    assert (columns["TRTSDT"]["dataType"], columns["TRTSDT"]["targetDataType"]) == ("date", "integer")
    assert columns["TRTSDTM"]["dataType"] == "datetime" and columns["TRTSTM"]["dataType"] == "time"
    assert document["rows"] == [
        ["01-701-1015", 63, 25.1, "2014-01-02", "2014-01-02T01:01:01", "01:01:01"],
        ["", None, None, None, None, "00:00:00"],
    ]
    assert validate_dataset_json(document) == []


def test_written_file_is_deterministic_and_atomic(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    path = write_dataset_json(FRAME, ADSL, tmp_path)
    first = path.read_bytes()
    assert write_dataset_json(FRAME, ADSL, tmp_path).read_bytes() == first
    assert json.loads(first)["datasetJSONCreationDateTime"] == "1960-01-01T00:00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert (
        json.loads(write_dataset_json(FRAME, ADSL, tmp_path).read_bytes())["datasetJSONCreationDateTime"]
        == "2023-11-14T22:13:20"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["adsl.json"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.pop("itemGroupOID"), "dataset: required property 'itemGroupOID' is missing"),
        (lambda d: d.update(extra=1), "dataset: property 'extra' is not allowed"),
        (lambda d: d.update(records=3), "dataset.records: 3 but there are 2 rows"),
        (
            lambda d: d.update(datasetJSONVersion="1.0"),
            "dataset.datasetJSONVersion: '1.0' does not match the required pattern",
        ),
        (lambda d: d.update(datasetJSONCreationDateTime="2024-13-01"), "does not match the required pattern"),
        (lambda d: d["columns"][1].update(dataType="number"), "columns[1].dataType: 'number' is not one of"),
        (lambda d: d["columns"][1].pop("label"), "columns[1]: required property 'label' is missing"),
        (lambda d: d["columns"][2].update(name="AGE"), "columns: name 'AGE' is used twice"),
        (lambda d: d["rows"][0].pop(), "rows[0]: must be an array of 6 values"),
        (lambda d: d["rows"][0].__setitem__(1, "63"), "rows[0][1]: '63' does not fit dataType 'integer'"),
        (lambda d: d["rows"][0].__setitem__(0, True), "rows[0][0]: True does not fit dataType 'string'"),
        (lambda d: d["sourceSystem"].pop("version"), "sourceSystem: required property 'version' is missing"),
    ],
)
def test_validation_reports_each_problem(change, problem: str) -> None:
    document = copy.deepcopy(to_dataset_json(FRAME, ADSL))
    change(document)
    assert any(problem in found for found in validate_dataset_json(document)), validate_dataset_json(document)


def test_missing_frame_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetJsonError, match="ADSL: variables with no frame column: BMIBL"):
        write_dataset_json(FRAME.drop(columns="BMIBL"), ADSL, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not (SHARED / "reference/cdisc-pilot/adam/adsl.xpt").exists(), reason="shared/ not present")
@pytest.mark.parametrize("name", ["adam/adsl.xpt", "adam/adtte.xpt", "sdtm/ts.xpt", "sdtm/dm.xpt"])
def test_pilot_datasets_export_valid_documents(name: str) -> None:
    frame, dataset = read_xpt(SHARED / "reference/cdisc-pilot" / name, encoding="cp1252")
    document = json.loads(json.dumps(to_dataset_json(frame, dataset), allow_nan=False))
    assert validate_dataset_json(document) == [] and document["records"] == len(frame)
