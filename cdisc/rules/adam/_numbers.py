"""A variable a rule computes with, as numbers: text that is not a number is a data error naming the records."""

from __future__ import annotations

import numpy as np
import pandas as pd


def numbers(records, name: str) -> pd.Series:
    """``name`` (a variable built so far or a source column) as float; blank text is missing.

    A value that is not a number (e.g. a text input column not declared numeric) is an error naming the records,
    instead of a crash deep in the arithmetic.
    """
    values = records.column(name)
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    codes, distinct = pd.factorize(values)  # each distinct value read once (-1: missing)
    text = pd.Series(distinct, dtype="str").str.strip()
    parsed = pd.to_numeric(text.where(text.ne("")), errors="coerce")
    result = pd.Series(np.append(parsed.to_numpy(dtype=float), np.nan)[codes], index=values.index)
    bad = pd.Series(np.append((parsed.isna() & text.ne("")).to_numpy(dtype=bool), False)[codes], index=values.index)
    if bad.any():
        examples = ", ".join(repr(v) for v in values[bad].drop_duplicates().head(3))
        raise records.fail(f"{name} holds values that are not numbers ({examples})", bad, values,
                           hint="declare the column numeric in study.yaml inputs, or build a numeric variable with number()")
    return result
