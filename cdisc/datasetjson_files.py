"""Dataset-JSON v1.1 files (``.json``) and their NDJSON form (``.ndjson``), written column by column.

:func:`cdisc.datasetjson.to_dataset_json` builds the whole document as Python lists; for a dataset of
millions of rows that is a Python object per value. Here each column is encoded to JSON text once per
distinct value (``pd.factorize``) and the rows are joined with numpy string operations, so writing is
vectorised like the XPT writer. The metadata comes from the same code as the in-memory document, and is
checked against the v1.1 rules on a sample of the encoded rows (the tests check whole files against the
official schema). NDJSON (the standard's streaming form): the metadata object on the first line, then one
JSON array per row.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.datasetjson import DatasetJsonError, _column, to_dataset_json, validate_dataset_json
from cdisc.xpt import XptDataset

__all__ = ["FORMATS", "dataset_json_lines", "write_dataset_json_files"]

FORMATS = ("xpt", "json", "ndjson")
_SAMPLE = 200
_TEXT = np.dtypes.StringDType()


def _encoded(values: list, kind: str) -> np.ndarray:
    """Each value's JSON text (``null`` for None): numbers with numpy's shortest round-trip repr (as
    Python's ``json`` writes them), text encoded once per distinct value.

    >>> _encoded(["a", "a", 'say "hi"', None], "string").tolist()
    ['"a"', '"a"', '"say \\\\"hi\\\\""', 'null']
    >>> _encoded([1, None, 1], "integer").tolist()
    ['1', 'null', '1']
    >>> _encoded([0.1, 1e-07, None], "double").tolist()
    ['0.1', '1e-07', 'null']
    """
    if kind in ("integer", "double"):
        missing = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
        numbers = np.array([0 if v is None else v for v in values], dtype=np.int64 if kind == "integer" else np.float64)
        return np.where(missing, "null", numbers.astype(_TEXT)).astype(_TEXT)
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    texts = np.array([json.dumps(v, ensure_ascii=False, allow_nan=False) for v in uniques] + ["null"], dtype=_TEXT)
    return texts[codes]  # code -1 (missing) takes the last entry, "null"


def dataset_json_lines(frame: pd.DataFrame, dataset: XptDataset, **options) -> tuple[dict, np.ndarray]:
    """The document's metadata (everything but ``rows``) and each row as one JSON array text."""
    metadata = to_dataset_json(frame.iloc[:0], dataset, **options)
    del metadata["rows"]
    keys = options.get("keys", ())
    columns: list[np.ndarray] = []  # each variable's values as JSON texts
    for variable in dataset.variables:
        entry, values = _column(frame, variable, dataset, keys)
        if entry["dataType"] == "string":  # the length of the whole column, not of the empty frame's
            metadata["columns"][len(columns)]["length"] = entry["length"]
        if entry["dataType"] != metadata["columns"][len(columns)]["dataType"]:  # integer/double known from the values
            metadata["columns"][len(columns)]["dataType"] = entry["dataType"]
        columns.append(_encoded(values, entry["dataType"]))
    metadata["records"] = len(frame)
    if not columns:
        return metadata, np.full(len(frame), "[]", dtype=_TEXT)
    rows = np.strings.add("[", columns[0])
    for column in columns[1:]:
        rows = np.strings.add(np.strings.add(rows, ","), column)
    rows = np.strings.add(rows, "]")
    sample = {**metadata, "records": min(len(rows), _SAMPLE), "rows": [json.loads(r) for r in rows[:_SAMPLE]]}
    problems = validate_dataset_json(sample)
    if problems:
        raise DatasetJsonError(f"{dataset.name}: Dataset-JSON is not valid:\n" + "\n".join(problems))
    return metadata, rows


def write_dataset_json_files(
    frame: pd.DataFrame, dataset: XptDataset, directory: Path, formats: tuple[str, ...], *, created: datetime | None = None,
    study_oid: str | None = None, keys: tuple[str, ...] = (),
) -> list[Path]:
    """``<name>.json`` and/or ``<name>.ndjson`` in ``directory`` (as ``formats`` lists them)."""
    wanted = [f for f in formats if f in ("json", "ndjson")]
    if not wanted:
        return []
    metadata, rows = dataset_json_lines(frame, dataset, created=created, study_oid=study_oid, keys=keys)
    head = json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    written = []
    if "json" in wanted:
        path = Path(directory) / f"{dataset.name.lower()}.json"
        path.write_text(head[:-1] + ',"rows":[' + ",".join(rows.tolist()) + "]}", encoding="utf-8")
        written.append(path)
    if "ndjson" in wanted:
        path = Path(directory) / f"{dataset.name.lower()}.ndjson"
        path.write_text(head + "\n" + "\n".join(rows.tolist()) + ("\n" if len(rows) else ""), encoding="utf-8")
        written.append(path)
    return written
