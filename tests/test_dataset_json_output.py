"""Dataset-JSON v1.1 and NDJSON files written by cdisc run (--format / output.formats) beside the XPT files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, SHARED

from cdisc.datasetjson import to_dataset_json
from cdisc.datasetjson_files import write_dataset_json_files
from cdisc.study import RunOptions, run_study
from cdisc.xpt import XptDataset, XptVariable

SCHEMAS = SHARED / "standards" / "dataset-json-1.1"
CREATED = dt.datetime(2026, 1, 20, 9, 0)

FRAME = pd.DataFrame({
    "USUBJID": ["S-1",         "S-1",        "S-2",  None],
    "AETERM":  ['Say "hi"\\',  "Ünïcode ✓",  "",     "  padded  "],
    "AESEQ":   [1.0,           2.0,          1.0,    np.nan],
    "ASTDT":   [23000.0,       np.nan,       23010,  23011],
    "AVAL":    [0.1,           1e-7,         np.nan, 12345678.5],
})  # fmt: skip
META = XptDataset("AE", "Adverse Events", (
    XptVariable("USUBJID", "Unique Subject Identifier", "char", 8),
    XptVariable("AETERM", "Reported Term", "char", 20),
    XptVariable("AESEQ", "Sequence Number", "num"),
    XptVariable("ASTDT", "Analysis Start Date", "num", format="DATE9."),
    XptVariable("AVAL", "Analysis Value", "num"),
))  # fmt: skip


def test_json_and_ndjson_hold_the_same_document_as_the_in_memory_one(tmp_path):
    paths = write_dataset_json_files(FRAME, META, tmp_path, ("xpt", "json", "ndjson"), created=CREATED, study_oid="S", keys=("USUBJID", "AESEQ"))
    assert [p.name for p in paths] == ["ae.json", "ae.ndjson"]
    expected = to_dataset_json(FRAME, META, created=CREATED, study_oid="S", keys=("USUBJID", "AESEQ"))
    document = json.loads((tmp_path / "ae.json").read_text(encoding="utf-8"))
    assert document == expected
    assert document["rows"][0] == ["S-1", 'Say "hi"\\', 1, "2022-12-21", 0.1]
    assert document["rows"][3] == ["", "  padded", None, "2023-01-01", 12345678.5]  # trailing blanks dropped, as in XPT
    lines = (tmp_path / "ae.ndjson").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {k: v for k, v in expected.items() if k != "rows"}
    assert [json.loads(line) for line in lines[1:]] == expected["rows"]


def test_an_empty_dataset_has_no_rows(tmp_path):
    write_dataset_json_files(FRAME.iloc[:0], META, tmp_path, ("json", "ndjson"), created=CREATED)
    assert json.loads((tmp_path / "ae.json").read_text())["rows"] == []
    assert len((tmp_path / "ae.ndjson").read_text().splitlines()) == 1


def test_only_the_formats_asked_for_are_written(tmp_path):
    assert write_dataset_json_files(FRAME, META, tmp_path, ("xpt",)) == []
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def example_json(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("formats") / "out"
    run_study(REPO / "specs", out, options=RunOptions(formats=("json", "ndjson")))
    return out


def test_the_example_run_writes_every_format_side_by_side_and_lists_it_in_the_manifest(example_json):
    manifest = json.loads((example_json / "reports" / "run.json").read_text())
    xpts = sorted(example_json.glob("*/*.xpt"))
    assert xpts
    for xpt in xpts:
        for suffix in (".json", ".ndjson"):
            path = xpt.with_suffix(suffix)
            name = path.relative_to(example_json).as_posix()
            assert manifest["outputs"][name] == hashlib.sha256(path.read_bytes()).hexdigest()
    dm = json.loads((example_json / "sdtm" / "dm.json").read_text())
    assert dm["records"] == manifest["datasets"]["DM"]["records"] == len(dm["rows"])


@pytest.mark.skipif(not (SCHEMAS / "dataset.schema.json").is_file(), reason="the official Dataset-JSON schema (../shared/standards) is absent")
def test_the_written_files_validate_against_the_official_schema(example_json, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMAS / "dataset.schema.json").read_text())
    write_dataset_json_files(FRAME, META, tmp_path, ("json", "ndjson"), created=CREATED)
    for path in [*sorted(example_json.glob("sdtm/*.json")), *sorted(example_json.glob("adam/*.json")), tmp_path / "ae.json"]:
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)
    # the metadata line of NDJSON against the same schema (rows are not required there): the published
    # dataset-ndjson-schema.json cannot be used, its $refs (#/$defs/Column, SourceSystem) point nowhere
    for path in [example_json / "adam" / "adsl.ndjson", tmp_path / "ae.ndjson"]:
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8").splitlines()[0]), schema)
