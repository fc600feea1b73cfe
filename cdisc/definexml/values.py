"""Data values as define.xml sees them: text for codelists and where clauses, and actual lengths.

Frames straight from the engine and frames read back from XPT files give the same
answers: missing values and blanks are skipped, trailing blanks do not count, and
numbers are written in their shortest exact decimal form (``1`` for 1.0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def value_texts(values: pd.Series) -> pd.Series:
    """The non-missing values of a column as text, index kept."""
    present = values.dropna()
    if pd.api.types.is_numeric_dtype(present.dtype):
        codes, uniques = pd.factorize(present)  # format each distinct number once
        texts = np.array([number_text(u) for u in uniques], dtype=object)
        return pd.Series(texts[codes], index=present.index, dtype="str")
    text = present.astype("str").str.rstrip()
    return text[text != ""]


def number_text(value: float) -> str:
    """A number in its shortest exact decimal form: 3, -0.25, 120.5."""
    return np.format_float_positional(float(value), trim="-")


def text_length(values: pd.Series) -> int | None:
    """Length of the longest value in bytes, or None when there is no value (measured on distinct values)."""
    texts = value_texts(pd.Series(values.dropna().unique()))
    return int(texts.str.encode("utf-8").str.len().max()) if len(texts) else None


def number_digits(values: pd.Series) -> tuple[int | None, int | None]:
    """(digits, decimals) of a numeric column: most digits of any value and most digits after the point."""
    texts = pd.Series(value_texts(pd.Series(values.dropna().unique())).unique(), dtype="str").str.lstrip("-")
    if not len(texts):
        return None, None
    parts = texts.str.partition(".")
    decimals = parts[2].str.len()
    return int((parts[0].str.len() + decimals).max()), int(decimals.max())
