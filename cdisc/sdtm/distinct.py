"""Work on each distinct value once: SDTM columns repeat a few values over many records (visit names, units,
subjects), and pandas' per-value paths on Arrow text (``Series.map``, ``Index.get_indexer``) go through Python.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdisc.arrowtext import TEXT, arrow_text, is_text_per_record

__all__ = ["lookup", "on_distinct"]



def on_distinct(values: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``function`` applied to each distinct value once, spread back to every row (missing stays missing); text held
    once per distinct value (:func:`~cdisc.arrowtext.text_per_record`) as the text.

    >>> on_distinct(pd.Series(["a", None, "a", "b"], dtype="str"), lambda t: t.str.upper()).tolist()
    ['A', nan, 'A', 'B']
    >>> from cdisc.arrowtext import text_per_record
    >>> on_distinct(text_per_record(pd.Series(["b", "a"], dtype="str"), np.array([0, -1, 1])), lambda t: t.str.upper()).tolist()
    ['B', nan, 'A']
    """
    if is_text_per_record(values.dtype):  # text held once per distinct value: its categories
        codes, distinct, dtype = values.cat.codes.to_numpy(), values.cat.categories.array, TEXT
    else:
        (codes, distinct), dtype = pd.factorize(values, use_na_sentinel=True), values.dtype
    done = function(pd.Series(distinct if len(distinct) else [np.nan], dtype=dtype))
    if done.dtype == TEXT:  # text stays Arrow's: taken by Arrow, missing where the value is
        taken = arrow_text(done.array).take(pa.array(codes, mask=codes < 0))
        return pd.Series(pd.array(taken, dtype="str"), index=values.index, copy=False)
    done = done.to_numpy()
    out = pd.Series(done.take(codes), index=values.index, dtype=done.dtype if done.dtype != object else "str")
    return out.where(codes >= 0)


def lookup(keys: pd.Series, index: pd.Series, values: pd.Series) -> pd.Series:
    """The value of ``values`` where ``index`` equals each key (missing where none does): ``keys.map(values.set_axis(
    index))`` for an ``index`` without repeats, text keys matched by Arrow.

    >>> lookup(pd.Series(["S2", "S9", None], dtype="str"), pd.Series(["S1", "S2"], dtype="str"), pd.Series([1.0, 2.0])).tolist()
    [2.0, nan, nan]
    """
    if is_text_per_record(keys.dtype):  # (text held once per distinct value: each distinct key looked up once)
        return on_distinct(keys, lambda distinct: lookup(distinct, index, values))
    positions = None
    if keys.dtype == TEXT and index.dtype == TEXT and not index.hasnans and index.is_unique:
        at = pc.index_in(arrow_text(keys.array), value_set=arrow_text(index.array), skip_nulls=True)
        positions = at.fill_null(-1).to_numpy()
    if positions is None or not (positions >= 0).any():  # (the type of what matches nothing is map's to say)
        return keys.map(pd.Series(values.array, index=pd.Index(index.array)))
    source = values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) else values.to_numpy()
    taken = pd.api.extensions.take(source, positions, allow_fill=True)  # as Series.map: a missing value upcasts
    return pd.Series(taken, index=keys.index, copy=False)
