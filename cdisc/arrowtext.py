"""Arrow-backed text as Arrow sees it: its data without a copy, and its codes by Arrow's hash kernel; and text held once
per distinct value.

pandas' ``factorize`` and ``get_indexer`` cost about half a millisecond a call on Arrow-backed strings (their values
go through Python); define.xml and validation factorise every text column of a submission, so they call Arrow.
Subject-level text merged onto each record of a large dataset (ADSL's on a million lab records) is held as a
categorical over its sorted values (:func:`text_per_record`) while the dataset is built; whatever reads it as text
gets the text (:func:`plain_text`, :func:`plain_columns`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

__all__ = ["HELD_FROM", "REPEATED", "TEXT", "arrow_codes", "arrow_text", "coded_text", "held_columns", "held_dictionary",
           "held_if_repeats", "held_or_text", "held_text", "is_large", "is_text_per_record", "plain_columns", "plain_text",
           "repeated_dictionary", "repeats", "text_per_record", "text_ranks"]

TEXT = pd.Series([], dtype="str").dtype  # what text variables hold: pandas' "str", Arrow-backed

#: Records from which a raw table, and a worker's ADaM build, holds its repetitive text (:func:`repeats`) once per
#: distinct value (:func:`is_large`).
HELD_FROM = 100_000

#: Text whose values are on this many records each on average is repetitive (:func:`repeats`).
REPEATED = 4


def arrow_text(text: ArrowStringArray) -> pa.ChunkedArray:
    """The Arrow data of Arrow-backed text (no copy)."""
    data = pa.array(text)
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def arrow_codes(strings: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Each row's code (-1: missing) and the distinct strings in order of first appearance, encoded by Arrow.

    >>> codes, distinct = arrow_codes(pa.chunked_array([["b", None], ["a", "b"]]))
    >>> codes.tolist(), distinct.to_pylist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    encoded = pc.dictionary_encode(strings.combine_chunks() if strings.num_chunks != 1 else strings.chunk(0))
    indices = encoded.indices.fill_null(-1) if encoded.indices.null_count else encoded.indices
    return indices.to_numpy(), encoded.dictionary


def text_per_record(values: pd.Series, at: np.ndarray) -> pd.Series:
    """``values`` at positions ``at`` (-1: missing); text as a categorical over its distinct values in sorted order, each
    held once however many records take it (as ADSL's values merged onto every record of a BDS dataset): it sorts,
    groups and compares as the text does, and :func:`plain_text` gives the text.

    >>> text_per_record(pd.Series(["b", "a", None], dtype="str"), np.array([0, 1, 0, 2, -1])).cat.codes.tolist()
    [1, 0, 1, -1, -1]
    >>> text_per_record(pd.Series([], dtype="str"), np.array([-1, -1])).isna().tolist()
    [True, True]
    """
    if values.dtype != TEXT:
        return values.take(at).reset_index(drop=True)
    distinct = pd.Index(values.dropna().unique(), dtype=TEXT).sort_values()
    codes = np.append(distinct.get_indexer(values), -1)  # (at -1: the last, missing)
    return pd.Series(pd.Categorical.from_codes(codes[at], dtype=pd.CategoricalDtype(distinct)), copy=False)


def held_text(codes: np.ndarray, distinct: pa.Array) -> pd.Series:
    """Text given as each record's code (-1: missing) among ``distinct`` values, held once per distinct value as
    :func:`text_per_record` holds it (categories in sorted order).

    >>> held_text(np.array([0, 1, -1, 0]), pa.array(["b", "a"], pa.large_string())).cat.codes.tolist()
    [1, 0, -1, 1]
    """
    values = pd.Series(ArrowStringArray(pa.chunked_array([distinct.cast(pa.large_string())]), dtype=TEXT), copy=False)
    return text_per_record(values, codes)


def coded_text(codes: np.ndarray, distinct: Sequence[str | None]) -> pd.Series:
    """Text given as each record's code (-1: missing) among ``distinct`` values (a few, e.g. one per test; ``None``:
    missing): held once per distinct value (:func:`held_text`) when it is large (:func:`is_large`) and :func:`repeats`,
    else as text; the text of every record is made only then.

    >>> coded_text(np.array([1, -1, 0, 2]), ["LOW", "HIGH", None]).tolist()
    ['HIGH', nan, 'LOW', nan]
    >>> is_text_per_record(coded_text(np.zeros(HELD_FROM, np.int8), ["NOT DONE"]).dtype)
    True
    """
    if None in distinct:  # (codes of None as missing: no category for them)
        kept = [i for i, text in enumerate(distinct) if text is not None]
        renumbered = np.full(len(distinct) + 1, -1)  # (code -1: the last)
        renumbered[kept] = np.arange(len(kept))
        codes, distinct = renumbered[codes], [distinct[i] for i in kept]
    values = pa.array(distinct, pa.large_string())
    if is_large(len(codes)) and repeats(len(distinct), len(codes)):
        return held_text(codes, values)
    text = values.take(pa.array(codes, mask=codes < 0)) if len(distinct) else pa.nulls(len(codes), pa.large_string())
    return pd.Series(ArrowStringArray(pa.chunked_array([text]), dtype=TEXT), copy=False)


def text_ranks(text: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Each value's rank among the distinct values of Arrow-backed text in order (missing: -1; equal ranks are equal
    values), and those values in that order.

    >>> ranks, ordered = text_ranks(pd.Series(["b", None, "a", "b"], dtype="str"))
    >>> ranks.tolist(), ordered.to_pylist()
    ([1, -1, 0, 1], ['a', 'b'])
    """
    codes, distinct = arrow_codes(arrow_text(text.array))
    order = pc.array_sort_indices(distinct).to_numpy()
    rank = np.empty(len(distinct) + 1, np.int64)
    rank[order], rank[-1] = np.arange(len(distinct)), -1  # (code -1, missing: the last)
    return rank[codes], distinct.take(order)


def is_large(records: int) -> bool:
    """Whether a column of ``records`` records is large enough to hold its text once per distinct value where it
    :func:`repeats` (:data:`HELD_FROM`).

    >>> is_large(99_999), is_large(100_000)
    (False, True)
    """
    return records >= HELD_FROM


def repeats(distinct: int, records: int) -> bool:
    """Whether text of ``records`` records with ``distinct`` values is repetitive: each value on :data:`REPEATED` records
    or more on average, so that holding it once per distinct value (:func:`held_text`) saves memory.

    >>> repeats(2, 9), repeats(3, 9), repeats(0, 9)
    (True, False, False)
    """
    return 0 < distinct * REPEATED < records


def held_dictionary(text: pa.ChunkedArray) -> pd.Series | None:
    """Text read as Arrow dictionaries (a parquet file's ``read_dictionary``), held once per distinct value
    (:func:`held_text`) when it :func:`repeats`; else None. The text of every record is never made.

    >>> read = pa.chunked_array([pa.array(["b", "a", None, "b"] * 2).dictionary_encode(), pa.array(["a", "a"]).dictionary_encode()])
    >>> plain_text(held_dictionary(read)).tolist()[5:], held_dictionary(read[:5])
    (['a', nan, 'b', 'a', 'a'], None)
    """
    text = text.unify_dictionaries()
    distinct = text.chunk(0).dictionary if text.num_chunks else pa.array([], pa.string())
    if not repeats(len(distinct), len(text)):
        return None
    indices = pa.chunked_array([chunk.indices for chunk in text.chunks], type=text.type.index_type)
    codes = pc.fill_null(indices, -1).to_numpy() if indices.null_count else indices.to_numpy()
    return held_text(codes, distinct)


def held_columns(frame: pd.DataFrame, plain: Collection[str] = ()) -> pd.DataFrame:
    """``frame`` with each text column that :func:`repeats` held once per distinct value (:func:`held_text`) when the
    frame :func:`is_large`; the columns named in ``plain`` as they are.

    >>> held = held_columns(pd.DataFrame({"A": pd.Series(["x", "y"] * 50_000, dtype="str"), "B": pd.Series(range(100_000), dtype="str")}))
    >>> is_text_per_record(held["A"].dtype), held["B"].dtype == TEXT, plain_text(held["A"]).head(3).tolist()
    (True, True, ['x', 'y', 'x'])
    """
    if not is_large(len(frame)):
        return frame
    held = {}
    for name in frame.columns:
        column = frame[name]
        if name not in plain and (values := held_if_repeats(column)) is not column:
            held[name] = values
    return frame.assign(**held) if held else frame


def held_if_repeats(values: pd.Series) -> pd.Series:
    """Text of a large column (:func:`is_large`) held once per distinct value where it :func:`repeats`
    (:func:`held_text`); else ``values`` themselves.

    >>> is_text_per_record(held_if_repeats(pd.Series(["x", "y"] * 50_000, dtype="str")).dtype)
    True
    >>> small = pd.Series(["x"] * 9, dtype="str"); held_if_repeats(small) is small
    True
    """
    if values.dtype != TEXT or not is_large(len(values)):
        return values
    codes, distinct = arrow_codes(arrow_text(values.array))
    return held_text(codes, distinct).set_axis(values.index).rename(values.name) if repeats(len(distinct), len(values)) else values


def repeated_dictionary(text: pd.Series) -> pa.DictionaryArray | None:
    """Arrow-backed text as an Arrow dictionary when it :func:`repeats`, else None.

    >>> repeated_dictionary(pd.Series(["a"] * 5, dtype="str")).dictionary.to_pylist(), repeated_dictionary(pd.Series(["a", "b"], dtype="str"))
    (['a'], None)
    """
    encoded = pc.dictionary_encode(arrow_text(text.array).combine_chunks())
    return encoded if repeats(len(encoded.dictionary), len(text)) else None


def held_or_text(encoded: pa.ChunkedArray) -> pd.Series:
    """Text read as Arrow dictionaries: held once per distinct value where it :func:`repeats` (:func:`held_dictionary`),
    else as text.

    >>> [held_or_text(pa.chunked_array([pa.array(v).dictionary_encode()])).dtype.name for v in (["a"] * 5, ["a", "b"])]
    ['category', 'str']
    """
    values = held_dictionary(encoded)
    return values if values is not None else pd.Series(ArrowStringArray(encoded.cast(pa.large_string()), dtype=TEXT), copy=False)


Values = TypeVar("Values")


def is_text_per_record(dtype: object) -> bool:
    """Whether ``dtype`` is that of text held once per distinct value (:func:`text_per_record`)."""
    return isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype == TEXT


def plain_text(values: Values) -> Values:
    """``values``, with a categorical of text (:func:`text_per_record`) as the text itself.

    >>> plain_text(text_per_record(pd.Series(["b", "a"], dtype="str"), np.array([1, -1, 0]))).tolist()
    ['a', nan, 'b']
    """
    if isinstance(values, pd.Series) and is_text_per_record(values.dtype):
        text = values.dtype.categories.array.take(values.cat.codes.to_numpy(), allow_fill=True)
        return pd.Series(text, index=values.index, name=values.name, copy=False)
    return values


def plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every categorical of text as the text itself (:func:`plain_text`), the other columns shared.

    >>> plain_columns(pd.DataFrame({"A": text_per_record(pd.Series(["x"], dtype="str"), np.array([0, -1]))})).dtypes.tolist()
    [<StringDtype(na_value=nan)>]
    """
    if not any(isinstance(dtype, pd.CategoricalDtype) for dtype in frame.dtypes):
        return frame
    return pd.DataFrame({name: plain_text(frame[name]) for name in frame.columns}, copy=False).set_axis(frame.index)

