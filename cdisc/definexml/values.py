"""Data values as define.xml sees them: text for codelists and where clauses, and actual lengths.

Frames straight from the engine and frames read back from XPT files give the same
answers: missing values and blanks are skipped, trailing blanks do not count, and
numbers are written in their shortest exact decimal form (``1`` for 1.0).

:class:`ColumnValues` turns each distinct value of a column into its text once and keeps one
code per row; the lengths, digits, terms and record counts of the whole column or of the rows
a where clause selects (:class:`FrameValues`) are then read from those codes with numpy.
:class:`DataValues` shares them between building define.xml and checking it against the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionArray

from cdisc.arrowtext import arrow_codes

#: A where clause as (variable, comparator, values) conditions, all of which must hold.
Checks = tuple[tuple[str, str, tuple[str, ...]], ...]


def value_texts(values: pd.Series | ExtensionArray) -> pa.Array:
    """Each of ``values`` (none missing) as text; null when blank.

    >>> value_texts(pd.Series([1.0, 2.5])).to_pylist()
    ['1', '2.5']
    >>> value_texts(pd.Series(["A  ", " "])).to_pylist()
    ['A', None]
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return number_texts(values.to_numpy(dtype=np.float64))
    if values.dtype != "str":
        values = values.astype("str")
    strings = pa.array(values)
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    return _trimmed_texts(strings)


def _trimmed_texts(strings: pa.Array) -> pa.Array:
    """Text without trailing whitespace (as pandas' str.rstrip()); null when blank."""
    text = pc.utf8_rtrim_whitespace(strings)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)


def number_text(value: float) -> str:
    """A number in its shortest exact decimal form: 3, -0.25, 120.5."""
    return np.format_float_positional(float(value), trim="-")


def number_texts(numbers: np.ndarray) -> pa.Array:
    """:func:`number_text` of every number, vectorised.

    Arrow writes the same shortest round-trip digits, but in exponent form for very large or small
    numbers (from 1e15, below 1e-6); those few, and zeros and any text ending in a point (the form of
    both may differ between Arrow releases), are written positionally one by one.

    >>> number_texts(np.array([3.0, -0.25, 1e20, -0.0])).to_pylist()
    ['3', '-0.25', '100000000000000000000', '-0']
    """
    texts = pa.array(numbers, type=pa.float64()).cast(pa.large_string())
    others = pc.match_substring_regex(texts, r"[eE]|\.0*$").to_numpy(zero_copy_only=False) | (numbers == 0)
    if not others.any():
        return texts
    positional = texts.to_numpy(zero_copy_only=False)
    for at in np.flatnonzero(others):
        positional[at] = number_text(numbers[at])
    return pa.array(positional, type=pa.large_string())


class ColumnValues:
    """One column's values as define.xml sees them: its distinct texts, and per row the code of its text.

    A row's code is -1 when its value is missing or blank. Each distinct value is formatted once.

    >>> column = ColumnValues(pd.Series(["AB", None, "AB ", "C"]))
    >>> column.texts.tolist(), column.codes.tolist()
    (['AB', 'C'], [0, -1, 0, 1])
    """

    def __init__(self, column: pd.Series):
        self.column = column
        if column.dtype == object:  # mixed Python objects: 1 and 1.0 are equal values but different texts
            column = column.astype("str")
        self._dtype = column.dtype
        self._strings: pa.Array | None = None  # the distinct values of Arrow strings, as Arrow encoded them
        self._uniques: ExtensionArray | None = None
        if isinstance(column.array, pd.arrays.ArrowStringArray):  # encoded by Arrow, without pandas' copies
            self.raw_codes, self._strings = arrow_codes(column.array.__arrow_array__())
            texts = _trimmed_texts(self._strings)
        else:
            self.raw_codes, self._uniques = pd.factorize(column.array)
            texts = value_texts(self._uniques)
        encoded = pc.dictionary_encode(texts)  # values with the same text share a code
        self.distinct: pa.Array = encoded.dictionary
        self.codes: np.ndarray = self.raw_codes
        if len(self.distinct) != len(texts):  # some texts blank or shared (numbers' texts never are)
            lookup = np.append(encoded.indices.fill_null(-1).to_numpy(), -1)  # the last entry: a missing value
            self.codes = lookup[self.raw_codes]

    @property
    def uniques(self) -> ExtensionArray:
        """The distinct values, of the column's dtype, in order of first occurrence."""
        if self._uniques is None:
            self._uniques = pd.array(self._strings, dtype=self._dtype)
        return self._uniques

    def select(self, rows: np.ndarray | None = None) -> Values:
        """The values on ``rows`` (positions; None: every row)."""
        codes = self.codes if rows is None else self.codes[rows]
        counts = np.bincount(codes + 1, minlength=len(self.distinct) + 1)[1:]  # (code -1: missing)
        present = np.flatnonzero(counts)
        return Values(self, present, counts[present], rows)

    def matches(self, values: tuple[str, ...]) -> np.ndarray:
        """Per row: its text is one of ``values`` (a missing value matches none)."""
        hit = pc.is_in(self.distinct, value_set=pa.array(values, type=self.distinct.type)).to_numpy(zero_copy_only=False)
        return np.append(hit, False)[self.codes]

    @cached_property
    def texts(self) -> np.ndarray:
        """The distinct texts in order of first occurrence (Python strings)."""
        return self.distinct.to_numpy(zero_copy_only=False)

    @cached_property
    def byte_lengths(self) -> np.ndarray:
        """Length in bytes (UTF-8) of each text."""
        return pc.binary_length(self.distinct).to_numpy()

    @cached_property
    def digits(self) -> tuple[np.ndarray, np.ndarray]:
        """(digits, decimals) of each text read as a number: its characters but a leading '-' and the first '.',
        and those after the first '.'."""
        unsigned = pc.utf8_ltrim(self.distinct, characters="-")
        point = pc.match_substring(unsigned, ".").to_numpy(zero_copy_only=False)
        after = pc.utf8_length(pc.replace_substring_regex(unsigned, r"^[^.]*\.", "", max_replacements=1)).to_numpy()
        decimals = np.where(point, after, 0)
        return pc.utf8_length(unsigned).to_numpy() - point, decimals

    @cached_property
    def non_integer(self) -> np.ndarray:
        """Per distinct value: a number that is not whole (the last entry: a missing value)."""
        dtype = self.uniques.dtype
        if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            flags = np.zeros(len(self.uniques), dtype=bool)
        elif pd.api.types.is_float_dtype(dtype):
            with np.errstate(invalid="ignore"):  # inf % 1 is nan: not whole
                flags = np.mod(self.uniques.to_numpy(dtype=np.float64), 1) != 0
        else:
            numbers = pd.to_numeric(pd.Series(self.uniques), errors="coerce")
            flags = (numbers.notna() & (numbers % 1 != 0)).to_numpy(dtype=bool, na_value=False)
        return np.append(flags, False)


@dataclass(frozen=True)
class Values:
    """The values of one column on some rows: the codes of the texts they hold and how many records hold each."""

    column: ColumnValues
    codes: np.ndarray
    counts: np.ndarray
    rows: np.ndarray | None = None

    @property
    def empty(self) -> bool:
        return not len(self.codes)

    def texts(self) -> list[str]:
        """The distinct texts, in order of first occurrence."""
        return self.column.texts[self.codes].tolist()

    def text_counts(self) -> dict[str, int]:
        """Records per distinct text."""
        return dict(zip(self.texts(), self.counts.tolist(), strict=True))

    def text_length(self) -> int | None:
        """Length of the longest value in bytes, or None when there is no value."""
        return int(self.column.byte_lengths[self.codes].max()) if len(self.codes) else None

    def number_digits(self) -> tuple[int | None, int | None]:
        """(digits, decimals): most digits of any value and most digits after the point."""
        if not len(self.codes):
            return None, None
        digits, decimals = self.column.digits
        return int(digits[self.codes].max()), int(decimals[self.codes].max())

    @property
    def has_non_integers(self) -> bool:
        """Some value is a number but not a whole number."""
        flags = self.column.non_integer
        if not flags.any() or self.rows is None:  # (every distinct value occurs in the whole column)
            return bool(flags.any())
        return bool(flags[self.column.raw_codes[self.rows]].any())

    def non_integers(self) -> pd.Series:
        """The values that are numbers but not whole numbers, in record order."""
        values = self.column.column if self.rows is None else self.column.column.iloc[self.rows]
        numbers = pd.to_numeric(values, errors="coerce").dropna()
        return numbers[numbers % 1 != 0]


class FrameValues:
    """The :class:`ColumnValues` of one frame's columns, the rows of its where clauses and the values on them,
    each made once."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._columns: dict[str, ColumnValues] = {}
        self._rows: dict[Checks, np.ndarray | None] = {}
        self._every: dict[str, Values] = {}
        self._values: dict[tuple[str, Checks], Values | None] = {}

    def column(self, name: str) -> ColumnValues:
        if name not in self._columns:
            self._columns[name] = ColumnValues(self.frame[name])
        return self._columns[name]

    def every(self, column: str) -> Values:
        """The values of ``column`` on every row."""
        if column not in self._every:
            self._every[column] = self.column(column).select()
        return self._every[column]

    def select(self, column: str, checks: Checks) -> Values | None:
        """The values of ``column`` on the rows a where clause selects; None when it cannot be evaluated on this
        frame (see :meth:`rows`)."""
        key = (column, checks)
        if key not in self._values:
            rows = self.rows(checks)
            self._values[key] = self.column(column).select(rows) if rows is not None else None
        return self._values[key]

    def rows(self, checks: Checks) -> np.ndarray | None:
        """Positions of the rows a where clause selects (EQ, IN, NE, NOTIN); None when one of its variables is not
        in the frame or a comparator is another one."""
        if checks not in self._rows:
            self._rows[checks] = self._select(checks)
        return self._rows[checks]

    def _select(self, checks: Checks) -> np.ndarray | None:
        selected = np.ones(len(self.frame), dtype=bool)
        for variable, comparator, values in checks:
            if variable not in self.frame.columns or comparator not in ("EQ", "IN", "NE", "NOTIN"):
                return None
            hit = self.column(variable).matches(values)
            selected &= ~hit if comparator in ("NE", "NOTIN") else hit
        return np.flatnonzero(selected)


class DataValues:
    """:class:`FrameValues` per frame, so that describing and checking the same data summarise it once."""

    def __init__(self) -> None:
        self._frames: dict[int, FrameValues] = {}

    def of(self, frame: pd.DataFrame) -> FrameValues:
        if id(frame) not in self._frames:
            self._frames[id(frame)] = FrameValues(frame)  # which holds the frame: its id is not reused meanwhile
        return self._frames[id(frame)]
