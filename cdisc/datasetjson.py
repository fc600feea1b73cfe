"""CDISC Dataset-JSON v1.1 export of a frame plus its :class:`~cdisc.xpt.XptDataset` metadata.

The document is checked against the structure of the published v1.1 JSON Schema (required and
allowed properties, types, enumerations, date-time and version patterns) plus the rules the
schema cannot express (``records`` equals the row count, each row has one value per column,
each value fits its column's ``dataType``, names and OIDs are unique). The schema itself ships
only in an AGPL-licensed PyPI package, so the rules are written out here instead.

Mapping from XPT metadata:

- char variables: ``dataType`` "string" with ``length``; missing and blank values are ``""``
  (as in XPT), trailing blanks are dropped.
- num variables with a SAS date, datetime or time format (DATE9., DATETIME20., TIME8., E8601DA. ...)
  become ISO 8601 strings with ``dataType`` "date"/"datetime"/"time" and ``targetDataType``
  "integer", so a reader can restore the SAS number. Other num variables are "integer" when every
  value is a whole number, else "double". Missing numbers (including special missings) are null.
- ``datasetJSONCreationDateTime`` follows the XPT rule: ``created``, else ``SOURCE_DATE_EPOCH``,
  else 1960-01-01T00:00:00, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc import __version__
from cdisc.errors import DataError
from cdisc.io.xpt_writer import creation_time
from cdisc.xpt import XptDataset, XptVariable

__all__ = ["DatasetJsonError", "to_dataset_json", "validate_dataset_json", "write_dataset_json"]

VERSION = "1.1.0"
_DATETIME = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?\Z"
)
_VERSION = re.compile(r"1\.1(\.(0|[1-9][0-9]*))?\Z")
_DATA_TYPES = {"string", "integer", "decimal", "float", "double", "boolean", "datetime", "date", "time", "URI"}
_TOP = {
    "datasetJSONCreationDateTime": str, "datasetJSONVersion": str, "fileOID": str, "dbLastModifiedDateTime": str,
    "originator": str, "sourceSystem": dict, "studyOID": str, "metaDataVersionOID": str, "metaDataRef": str,
    "itemGroupOID": str, "records": int, "name": str, "label": str, "columns": list, "rows": list,
}  # fmt: skip
_TOP_REQUIRED = (
    "datasetJSONCreationDateTime",
    "datasetJSONVersion",
    "itemGroupOID",
    "records",
    "name",
    "label",
    "columns",
)
_COLUMN = {
    "itemOID": str, "name": str, "label": str, "dataType": str, "targetDataType": str, "length": int,
    "displayFormat": str, "keySequence": int,
}  # fmt: skip
_COLUMN_REQUIRED = ("itemOID", "name", "label", "dataType")
_VALUE_TYPES: dict[object, type | tuple[type, ...]] = {  # keyed by a document's dataType, whatever JSON value it is
    "string": str, "date": str, "datetime": str, "time": str, "URI": str, "decimal": str,
    "integer": int, "float": (int, float), "double": (int, float), "boolean": bool,
}  # fmt: skip
_SAS_EPOCH = np.datetime64("1960-01-01T00:00:00", "s")
_DATE_FORMATS = re.compile(r"(DATE|DDMMYY|MMDDYY|YYMMDD|E8601DA|B8601DA|IS8601DA|YYMON|MONYY|WORDDATE|WEEKDATE)\d*\.")
_DATETIME_FORMATS = re.compile(r"(DATETIME|E8601DT|B8601DT|IS8601DT|DATEAMPM)\d*\.\d*")
_TIME_FORMATS = re.compile(r"(TIME|TOD|E8601TM|B8601TM|IS8601TM|HHMM)\d*\.\d*")


class DatasetJsonError(DataError):
    """A Dataset-JSON document that breaks the v1.1 structure; lists every problem found."""


def _iso_values(values: np.ndarray, kind: str) -> list[str | None]:
    """ISO 8601 text for SAS dates (days), datetimes or times (seconds since 1960 / midnight)."""
    missing = np.isnan(values)
    whole = np.where(missing, 0, np.floor(values)).astype(np.int64)
    if kind == "date":
        text = np.datetime_as_string(_SAS_EPOCH.astype("M8[D]") + whole.astype("m8[D]"))
    else:
        text = np.datetime_as_string(_SAS_EPOCH + whole.astype("m8[s]"))
        if kind == "time":
            text = np.strings.slice(text, 11, 19)
    result = text.astype(object)
    result[missing] = None
    return result.tolist()


def data_kind(variable: XptVariable) -> str | None:
    """``date``, ``datetime`` or ``time`` for a num variable with a SAS date, datetime or time format, else None.

    >>> data_kind(XptVariable("ADT", "Analysis Date", "num", format="DATE9.")), data_kind(XptVariable("N", "N", "num"))
    ('date', None)
    """
    if variable.type != "num":
        return None
    patterns = (("datetime", _DATETIME_FORMATS), ("date", _DATE_FORMATS), ("time", _TIME_FORMATS))
    return next((name for name, pattern in patterns if pattern.fullmatch(variable.format.upper())), None)


def column_entry(
    variable: XptVariable, dataset: XptDataset, keys: Sequence[str], data_type: str, length: int | None = None
) -> dict[str, object]:
    """One ``columns`` entry: the variable's metadata with the ``dataType`` (and ``length``) its values take."""
    entry: dict[str, object] = {
        "itemOID": f"IT.{dataset.name}.{variable.name}",
        "name": variable.name,
        "label": variable.label,
        "dataType": data_type,
    }
    if data_kind(variable):
        entry["targetDataType"] = "integer"
    if length is not None:
        entry["length"] = length
    if variable.format:
        entry["displayFormat"] = variable.format
    if variable.name in keys:
        entry["keySequence"] = list(keys).index(variable.name) + 1
    return entry


def _column(frame: pd.DataFrame, variable: XptVariable, dataset: XptDataset, keys: Sequence[str]) -> tuple[dict, list]:
    """One ``columns`` entry and that column's JSON values."""
    series = frame[variable.name]
    if variable.type == "char":
        text = series.astype("str").fillna("").str.rstrip(" ")
        length = variable.length or max(1, int(text.str.encode("utf-8").str.len().max()) if len(text) else 1)
        return column_entry(variable, dataset, keys, "string", length), text.tolist()
    numbers = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
    kind = data_kind(variable)
    if kind:
        return column_entry(variable, dataset, keys, kind), _iso_values(numbers, kind)
    finite = numbers[~np.isnan(numbers)]
    integral = bool(np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**53))
    result = np.where(np.isnan(numbers), 0, numbers).astype(np.int64 if integral else np.float64).astype(object)
    result[np.isnan(numbers)] = None
    return column_entry(variable, dataset, keys, "integer" if integral else "double"), result.tolist()


def check_frame(frame: pd.DataFrame, dataset: XptDataset) -> None:
    """Refuse a frame lacking some of the dataset's variables."""
    missing = [v.name for v in dataset.variables if v.name not in frame.columns]
    if missing:
        raise DatasetJsonError(f"{dataset.name}: variables with no frame column: {', '.join(missing)}")


def document_head(
    dataset: XptDataset,
    records: int,
    columns: list[dict[str, object]],
    *,
    created: datetime | None = None,
    study_oid: str | None = None,
    metadata_version_oid: str | None = None,
    originator: str | None = None,
) -> dict[str, object]:
    """The document's properties but ``rows``, in the order they are written."""
    document: dict[str, object] = {
        "datasetJSONCreationDateTime": creation_time(created).strftime("%Y-%m-%dT%H:%M:%S"),
        "datasetJSONVersion": VERSION,
        "fileOID": f"cdisc.{dataset.name}",
        "sourceSystem": {"name": "cdisc", "version": __version__},
    }
    optional = {"originator": originator, "studyOID": study_oid, "metaDataVersionOID": metadata_version_oid}
    document.update({key: value for key, value in optional.items() if value is not None})
    document.update(
        {"itemGroupOID": f"IG.{dataset.name}", "records": records, "name": dataset.name, "label": dataset.label, "columns": columns}
    )
    return document


def to_dataset_json(
    frame: pd.DataFrame,
    dataset: XptDataset,
    *,
    created: datetime | None = None,
    study_oid: str | None = None,
    metadata_version_oid: str | None = None,
    originator: str | None = None,
    keys: Sequence[str] = (),
) -> dict:
    """The Dataset-JSON v1.1 document (a dict) for ``frame``; validated before it is returned."""
    check_frame(frame, dataset)
    columns, values = (
        zip(*(_column(frame, v, dataset, keys) for v in dataset.variables), strict=True)
        if dataset.variables
        else ((), ())
    )
    document = document_head(
        dataset, len(frame), list(columns), created=created, study_oid=study_oid,
        metadata_version_oid=metadata_version_oid, originator=originator,
    )  # fmt: skip
    document["rows"] = [list(row) for row in zip(*values, strict=True)] if values else []
    problems = validate_dataset_json(document)
    if problems:
        raise DatasetJsonError(f"{dataset.name}: Dataset-JSON is not valid:\n" + "\n".join(problems))
    return document


def write_dataset_json(frame: pd.DataFrame, dataset: XptDataset, directory: Path, **options) -> Path:
    """Write ``directory/<name lower>.json`` atomically (temporary file, then rename); return the path."""
    text = json.dumps(
        to_dataset_json(frame, dataset, **options), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    target = Path(directory) / f"{dataset.name.lower()}.json"
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _check_object(where: str, value: object, allowed: Mapping[str, type], required: Sequence[str]) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: must be an object"]
    problems = [f"{where}: required property {key!r} is missing" for key in required if key not in value]
    for key, item in value.items():
        if key not in allowed:
            problems.append(f"{where}: property {key!r} is not allowed")
        elif not isinstance(item, allowed[key]) or (allowed[key] is int and isinstance(item, bool)):
            problems.append(f"{where}.{key}: must be {allowed[key].__name__}, not {type(item).__name__}")
    return problems


def _check_columns(columns: list) -> list[str]:
    problems: list[str] = []
    for number, column in enumerate(columns):
        where = f"columns[{number}]"
        problems += _check_object(where, column, _COLUMN, _COLUMN_REQUIRED)
        if not isinstance(column, dict):
            continue
        if column.get("dataType") not in _DATA_TYPES:
            problems.append(f"{where}.dataType: {column.get('dataType')!r} is not one of {sorted(_DATA_TYPES)}")
        if "targetDataType" in column and column["targetDataType"] not in ("integer", "decimal"):
            problems.append(f"{where}.targetDataType: {column['targetDataType']!r} must be 'integer' or 'decimal'")
        for key in ("length", "keySequence"):
            if isinstance(column.get(key), int) and column[key] < 1:
                problems.append(f"{where}.{key}: must be at least 1")
    for key in ("name", "itemOID"):
        seen = [c.get(key) for c in columns if isinstance(c, dict)]
        problems += [
            f"columns: {key} {value!r} is used twice" for value in sorted({v for v in seen if seen.count(v) > 1}, key=str)
        ]
    return problems


def _check_rows(rows: list, columns: list) -> list[str]:
    types = [_VALUE_TYPES.get(c.get("dataType"), object) if isinstance(c, dict) else object for c in columns]
    problems: list[str] = []
    for number, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            problems.append(f"rows[{number}]: must be an array of {len(columns)} values")
            continue
        for column, (value, expected) in enumerate(zip(row, types, strict=True)):
            wrong_bool = isinstance(value, bool) and expected is not bool
            if value is not None and (wrong_bool or not isinstance(value, expected)):
                problems.append(
                    f"rows[{number}][{column}]: {value!r} does not fit dataType {columns[column]['dataType']!r}"
                )
        if len(problems) >= 20:
            problems.append("... (stopped after 20 problems)")
            break
    return problems


def validate_dataset_json(document: Mapping) -> list[str]:
    """Every way ``document`` breaks the Dataset-JSON v1.1 structure; an empty list when valid."""
    problems = _check_object("dataset", document, _TOP, _TOP_REQUIRED)
    if not isinstance(document, dict):
        return problems
    for key, pattern in (
        ("datasetJSONCreationDateTime", _DATETIME),
        ("dbLastModifiedDateTime", _DATETIME),
        ("datasetJSONVersion", _VERSION),
    ):
        if isinstance(document.get(key), str) and not pattern.match(document[key]):
            problems.append(f"dataset.{key}: {document[key]!r} does not match the required pattern")
    if "sourceSystem" in document:
        problems += _check_object(
            "sourceSystem", document["sourceSystem"], {"name": str, "version": str}, ("name", "version")
        )
    found_columns, found_rows = document.get("columns"), document.get("rows")
    columns = found_columns if isinstance(found_columns, list) else []
    problems += _check_columns(columns)
    rows = found_rows if isinstance(found_rows, list) else []
    if isinstance(document.get("records"), int) and "rows" in document and document["records"] != len(rows):
        problems.append(f"dataset.records: {document['records']} but there are {len(rows)} rows")
    if isinstance(document.get("records"), int) and document["records"] < 0:
        problems.append("dataset.records: must not be negative")
    return problems + _check_rows(rows, columns)
