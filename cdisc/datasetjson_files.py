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

from cdisc.datasetjson import (
    _DATE_FORMATS,
    _DATETIME_FORMATS,
    _TIME_FORMATS,
    DatasetJsonError,
    _iso_values,
    to_dataset_json,
    validate_dataset_json,
)
from cdisc.xpt import XptDataset, XptVariable

__all__ = ["FORMATS", "dataset_json_lines", "write_dataset_json_files"]

FORMATS = ("xpt", "json", "ndjson")
_SAMPLE = 200
_TEXT = np.dtypes.StringDType()


def _kind(form: str) -> str | None:
    """``date``, ``datetime`` or ``time`` for a SAS date, datetime or time format, else None."""
    patterns = (("datetime", _DATETIME_FORMATS), ("date", _DATE_FORMATS), ("time", _TIME_FORMATS))
    return next((name for name, pattern in patterns if pattern.fullmatch(form.upper())), None)


def _column_texts(series: pd.Series, variable: XptVariable) -> tuple[str, int | None, np.ndarray]:
    """A column's Dataset-JSON ``dataType``, its length (text) and each value as JSON text, as
    :func:`cdisc.datasetjson.to_dataset_json` writes them: text without trailing blanks (missing is
    ``""``), SAS dates/datetimes/times as ISO 8601, whole numbers as integers, missing numbers ``null``.

    >>> kind, length, texts = _column_texts(pd.Series(["a ", None, 'say "hi"']), XptVariable("X", "X", "char"))
    >>> kind, length, texts.tolist()
    ('string', 8, ['"a"', '""', '"say \\\\"hi\\\\""'])
    >>> _column_texts(pd.Series([1.0, None, 3.0]), XptVariable("N", "N", "num"))[2].tolist()
    ['1', 'null', '3']
    >>> _column_texts(pd.Series([0.1, 1e-07]), XptVariable("N", "N", "num"))[2].tolist()
    ['0.1', '1e-07']
    """
    if variable.type == "char":
        codes, uniques = pd.factorize(series.astype("str").fillna("").str.rstrip(" "), use_na_sentinel=True)
        texts = [str(v) for v in uniques]
        encoded = np.array([json.dumps(t, ensure_ascii=False) for t in texts] + ['""'], dtype=_TEXT)
        length = variable.length or max([1, *(len(t.encode("utf-8")) for t in texts)])
        return "string", length, encoded[codes]
    numbers = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(numbers)
    kind = _kind(variable.format)
    if kind:
        codes, uniques = pd.factorize(numbers, use_na_sentinel=True)
        iso = _iso_values(np.asarray(uniques, dtype=np.float64), kind)
        return kind, None, np.array([json.dumps(v) for v in iso] + ["null"], dtype=_TEXT)[codes]
    finite = numbers[~missing]
    integral = bool(np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**53))
    values = np.where(missing, 0, numbers).astype(np.int64 if integral else np.float64).astype(_TEXT)
    return ("integer" if integral else "double"), None, np.where(missing, "null", values).astype(_TEXT)


def dataset_json_lines(frame: pd.DataFrame, dataset: XptDataset, **options) -> tuple[dict, np.ndarray]:
    """The document's metadata (everything but ``rows``) and each row as one JSON array text."""
    metadata = to_dataset_json(frame.iloc[:0], dataset, **options)
    del metadata["rows"]
    columns: list[np.ndarray] = []  # each variable's values as JSON texts
    for entry, variable in zip(metadata["columns"], dataset.variables, strict=True):
        data_type, length, texts = _column_texts(frame[variable.name], variable)
        entry["dataType"] = data_type
        if length is not None:
            entry["length"] = length
        columns.append(texts)
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
