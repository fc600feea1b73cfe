"""Dataset-JSON v1.1 files (``.json``) and their NDJSON form (``.ndjson``), written column by column.

:func:`cdisc.datasetjson.to_dataset_json` builds the whole document as Python lists; for a dataset of
millions of rows that is a Python object per value. Here each column becomes an Arrow array of JSON texts
(text and dates encoded once per distinct value, numbers cast as a whole) and Arrow joins them into rows
and the rows into the file's text, so writing is vectorised like the XPT writer. The metadata comes from
the same code as the in-memory document, and is checked against the v1.1 rules on a sample of the encoded
rows (the tests check whole files against the official schema). NDJSON (the standard's streaming form):
the metadata object on the first line, then one JSON array per row.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdisc.datasetjson import (
    DatasetJsonError,
    _iso_values,
    check_frame,
    column_entry,
    data_kind,
    document_head,
    validate_dataset_json,
)
from cdisc.xpt import XptDataset, XptVariable

__all__ = ["FORMATS", "dataset_json_lines", "write_dataset_json_files"]

FORMATS = ("xpt", "json", "ndjson")
_SAMPLE = 200
_BLOCK_VALUES = 1 << 19  # values encoded and joined at a time (a few MB of text)
_TEXT = pa.large_string()
#: What json.dumps(..., ensure_ascii=False) writes for each character it escapes; the backslash first.
_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\b", "\\b"), ("\f", "\\f"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")) + tuple(
    (chr(c), f"\\u{c:04x}") for c in range(0x20) if chr(c) not in "\b\f\n\r\t"
)


def json_strings(texts: pa.Array) -> pa.Array:
    """Each text (none null) as the JSON string ``json.dumps(text, ensure_ascii=False)`` writes.

    >>> json_strings(pa.array(['a', 'say "hi"', "tab\\there", "é"])).to_pylist()
    ['"a"', '"say \\\\"hi\\\\""', '"tab\\\\there"', '"é"']
    """
    texts = texts.cast(_TEXT)
    special = pc.match_substring_regex(texts, r'[\x00-\x1f"\\]')
    if pc.any(special).as_py():
        escaped = texts.filter(special)
        for character, escape in _ESCAPES:
            escaped = pc.replace_substring(escaped, character, escape)
        texts = pc.replace_with_mask(texts, special, escaped)
    quote = pa.scalar('"', _TEXT)
    return pc.binary_join_element_wise(quote, texts, quote, pa.scalar("", _TEXT))


@dataclass(frozen=True)
class _Texts:
    """A column's values as JSON texts: ``texts[codes[i]]`` for row ``i`` (``codes`` None: one text per row)."""

    texts: pa.Array
    codes: np.ndarray | None = None

    @classmethod
    def coded(cls, texts: pa.Array, codes: np.ndarray, missing: str) -> _Texts:
        """Texts of distinct values and each row's code, -1 standing for ``missing``."""
        dictionary = pa.concat_arrays([texts.cast(_TEXT), pa.array([missing], _TEXT)])
        return cls(dictionary, np.where(codes < 0, len(texts), codes))

    def rows(self, start: int, stop: int) -> pa.Array:
        if self.codes is None:
            return self.texts.slice(start, stop - start)
        return self.texts.take(self.codes[start:stop])


def _column_texts(series: pd.Series, variable: XptVariable) -> tuple[str, int | None, _Texts]:
    """A column's Dataset-JSON ``dataType``, its length (text) and each value as JSON text, as
    :func:`cdisc.datasetjson.to_dataset_json` writes them: text without trailing blanks (missing is
    ``""``), SAS dates/datetimes/times as ISO 8601, whole numbers as integers, missing numbers ``null``.

    >>> kind, length, texts = _column_texts(pd.Series(["a ", None, 'say "hi"']), XptVariable("X", "X", "char"))
    >>> kind, length, texts.rows(0, 3).to_pylist()
    ('string', 8, ['"a"', '""', '"say \\\\"hi\\\\""'])
    >>> _column_texts(pd.Series([1.0, None, 3.0]), XptVariable("N", "N", "num"))[2].rows(0, 3).to_pylist()
    ['1', 'null', '3']
    >>> _column_texts(pd.Series([0.1, 1e-07, None, -0.0]), XptVariable("N", "N", "num"))[2].rows(0, 4).to_pylist()
    ['0.1', '1e-07', 'null', '-0.0']
    """
    if variable.type == "char":
        strings = pa.array(series if series.dtype == "str" else series.astype("str"))
        if isinstance(strings, pa.ChunkedArray):
            strings = strings.combine_chunks()
        encoded = pc.dictionary_encode(strings)  # each distinct value trimmed and encoded once
        texts = pc.utf8_rtrim(encoded.dictionary, characters=" ")
        length = variable.length or max(1, pc.max(pc.binary_length(texts)).as_py() or 0)
        return "string", length, _Texts.coded(json_strings(texts), encoded.indices.fill_null(-1).to_numpy(), '""')
    numbers = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(numbers)
    kind = data_kind(variable)
    if kind:
        codes, uniques = pd.factorize(numbers, use_na_sentinel=True)
        iso = _iso_values(np.asarray(uniques, dtype=np.float64), kind)
        return kind, None, _Texts.coded(json_strings(pa.array(iso, _TEXT)), codes, "null")
    finite = numbers[~missing]
    integral = bool(np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**53))
    if integral:
        whole = pa.array(np.where(missing, 0, numbers).astype(np.int64), mask=missing)
        return "integer", None, _Texts(whole.cast(_TEXT).fill_null("null"))
    # shortest round-trip digits as numpy writes them (0.1, 1e-07), each distinct number (by its bits) once
    codes, uniques = pd.factorize(numbers.view(np.int64))
    codes[missing] = -1
    texts = uniques.view(np.float64).astype(np.dtypes.StringDType()).astype(object)
    return "double", None, _Texts.coded(pa.array(texts, _TEXT), codes, "null")


def dataset_json_lines(
    frame: pd.DataFrame, dataset: XptDataset, keys: Sequence[str] = (), **options
) -> tuple[dict, Iterator[pa.Array]]:
    """The document's metadata (everything but ``rows``) and the rows in blocks: each row's values as JSON
    texts joined by commas (the row's JSON array without its brackets)."""
    check_frame(frame, dataset)
    entries, columns = [], []
    for variable in dataset.variables:
        data_type, length, texts = _column_texts(frame[variable.name], variable)
        entries.append(column_entry(variable, dataset, keys, data_type, length))
        columns.append(texts)
    metadata = document_head(dataset, len(frame), entries, **options)
    step = max(1, _BLOCK_VALUES // max(1, len(columns)))
    blocks = (_joined_values(columns, start, min(start + step, len(frame))) for start in range(0, len(frame), step))
    first = next(blocks, pa.array([], _TEXT))
    sample = {**metadata, "records": min(len(first), _SAMPLE), "rows": [json.loads(f"[{r}]") for r in first[:_SAMPLE].to_pylist()]}
    problems = validate_dataset_json(sample)
    if problems:
        raise DatasetJsonError(f"{dataset.name}: Dataset-JSON is not valid:\n" + "\n".join(problems))
    return metadata, itertools.chain([first] if len(first) else [], blocks)


def _joined_values(columns: list[_Texts], start: int, stop: int) -> pa.Array:
    """Rows ``start`` to ``stop``: each row's values joined by commas."""
    if not columns:
        return pa.array([""] * (stop - start), _TEXT)
    return pc.binary_join_element_wise(*(c.rows(start, stop) for c in columns), pa.scalar(",", _TEXT))


def _arrays(rows: pa.Array, separator: str) -> pa.Buffer:
    """The UTF-8 bytes of ``rows`` as JSON arrays (in brackets), with ``separator`` after each."""
    whole = pa.LargeListArray.from_arrays(pa.array([0, len(rows)], pa.int64()), rows)
    return pc.binary_join(whole, pa.scalar(f"]{separator}[", _TEXT))[0].as_buffer()


def write_dataset_json_files(
    frame: pd.DataFrame, dataset: XptDataset, directory: Path, formats: tuple[str, ...], *, created: datetime | None = None,
    study_oid: str | None = None, keys: tuple[str, ...] = (),
) -> list[Path]:
    """``<name>.json`` and/or ``<name>.ndjson`` in ``directory`` (as ``formats`` lists them), written block by block."""
    separators = {"json": ",", "ndjson": "\n"}
    wanted = [f for f in formats if f in separators]
    if not wanted:
        return []
    metadata, blocks = dataset_json_lines(frame, dataset, created=created, study_oid=study_oid, keys=keys)
    head = json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    paths = [Path(directory) / f"{dataset.name.lower()}.{form}" for form in wanted]
    with contextlib.ExitStack() as stack:
        handles = [stack.enter_context(open(path, "wb")) for path in paths]
        starts = {"json": head[:-1] + b',"rows":[', "ndjson": head + b"\n"}
        for form, handle in zip(wanted, handles, strict=True):
            handle.write(starts[form])
        for number, block in enumerate(blocks):
            for form, handle in zip(wanted, handles, strict=True):
                handle.write(f"]{separators[form]}[".encode() if number else b"[")
                handle.write(_arrays(block, separators[form]))
        ends = {"json": b"]]}" if len(frame) else b"]}", "ndjson": b"]\n" if len(frame) else b""}
        for form, handle in zip(wanted, handles, strict=True):
            handle.write(ends[form])
    return paths
