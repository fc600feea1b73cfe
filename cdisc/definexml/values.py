"""Data values as define.xml sees them: text for codelists and where clauses, and actual lengths.

Frames straight from the engine and frames read back from XPT files give the same
answers: missing values and blanks are skipped, trailing blanks do not count, and
numbers are written in their shortest exact decimal form (``1`` for 1.0).

:class:`ColumnValues` summarises a column only as far as it is asked: the longest text of the whole
column from Arrow's string lengths, the digits of whole numbers from the largest, the terms and record
counts from Arrow's value counts; only where digits of fractions or the rows a where clause selects
(:class:`FrameValues`) are needed is each distinct value turned into its text once and a code kept per
row, from which numpy reads the rest.

A table's records are needed only while it is summarised: :func:`summarise` answers what define.xml and its check
ask of each column on some rows (:data:`Asked`, from the specs alone) as a :class:`Summary` each, and keeps only those
(:class:`SettledFrame`), letting go of the records and of every array made from them. define.xml is then built, and
checked against the data, from the summaries, never the records; so the summaries can be made wherever the records
are (a worker process, :mod:`.summaries`). Records from a :class:`ColumnLoader` are read a column at a time, and what was
made of a column is let go once its variable is summarised (:meth:`FrameValues.done`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Final, Literal, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import ExtensionArray

from cdisc.arrowtext import arrow_codes

#: A where clause as (variable, comparator, values) conditions, all of which must hold; () selects every row.
Checks = tuple[tuple[str, str, tuple[str, ...]], ...]

#: A dataset's records: the frame, a loader returning it (called when the dataset is described, at most once),
#: a :class:`ColumnLoader` (read a column at a time), their summaries made elsewhere (:class:`SettledFrame`), or None
#: (no records: described from the spec alone; also when a loader returns None).
Loader = Callable[[], pd.DataFrame | None]
Frame: TypeAlias = "pd.DataFrame | Loader | ColumnLoader | SettledFrame | None"

#: What define.xml asks of an item's values: its texts and records per text (an item with a codelist), its longest
#: text (text), the most digits and decimals (integer, float), and the values that are not whole numbers (integer).
Question = Literal["texts", "length", "digits", "fractions"]
TEXTS: Final = "texts"
LENGTH: Final = "length"
DIGITS: Final = "digits"
FRACTIONS: Final = "fractions"

#: What is asked of a table's records, per column in order: the questions about its values on the rows of each where
#: clause (``()``: every row; :func:`summarise`).
Asked = tuple[tuple[str, tuple[tuple[Checks, frozenset[Question]], ...]], ...]


def questions(data_type: str, coded: bool) -> frozenset[Question]:
    """What define.xml and its check ask of the values of an item of ``data_type``, with a codelist when ``coded``.

    >>> sorted(questions("integer", coded=False)), sorted(questions("text", coded=True))
    (['digits', 'fractions'], ['length', 'texts'])
    """
    asked: set[Question] = {TEXTS} if coded else set()
    if data_type == "text":
        asked.add(LENGTH)
    elif data_type in ("integer", "float"):
        asked.add(DIGITS)
        if data_type == "integer":
            asked.add(FRACTIONS)
    return frozenset(asked)


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
    positional = pa.array([number_text(number) for number in numbers[others]], type=pa.large_string())
    return pc.replace_with_mask(texts, pa.array(others), positional)


def number_text_digits(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(digits, decimals) of each of :func:`number_texts` (ASCII, at most one leading '-'): its characters but the
    '-' and the '.', and those after the '.'.

    >>> [a.tolist() for a in number_text_digits(number_texts(np.array([-12.5, 3.0, -np.inf, 0.001])))]
    [[3, 1, 3, 4], [1, 0, 0, 3]]
    """
    lengths = pc.binary_length(texts).to_numpy()
    point = pc.find_substring(texts, ".").to_numpy()  # (-1: none)
    signed = pc.starts_with(texts, "-").to_numpy(zero_copy_only=False)
    return lengths - signed - (point >= 0), np.where(point >= 0, lengths - point - 1, 0)


class ColumnValues:
    """One column's values as define.xml sees them: its distinct texts, and per row the code of its text.

    A row's code is -1 when its value is missing or blank. Each distinct value is formatted once, and only when
    something asks for texts, codes or digits: the length of text held by Arrow is read from its rows
    (:attr:`longest`, :attr:`row_lengths`) unless the column is encoded already.

    >>> column = ColumnValues(pd.Series(["AB", None, "AB ", "C"]))
    >>> column.longest, column.longest_on(np.array([1, 2])), column.row_lengths.tolist()
    (2, 2, [2, 0, 3, 1])
    >>> column.texts.tolist(), column.codes.tolist()
    (['AB', 'C'], [0, -1, 0, 1])
    """

    def __init__(self, column: pd.Series):
        self.column = column
        if column.dtype == object:  # mixed Python objects: 1 and 1.0 are equal values but different texts
            column = column.astype("str")
        self._dtype = column.dtype
        self._array = column.array
        self._arrow = isinstance(column.array, pd.arrays.ArrowStringArray)

    @cached_property
    def _encoded(self) -> tuple[np.ndarray, np.ndarray, pa.Array, pa.Array | ExtensionArray]:
        """(raw codes, codes, distinct texts, distinct values): each row's code of its value and of its text, the
        texts, and the values (of Arrow strings: as Arrow encoded them)."""
        uniques: pa.Array | ExtensionArray
        if self._arrow:  # encoded by Arrow, without pandas' copies
            raw_codes, uniques = arrow_codes(self._array.__arrow_array__())
            texts = _trimmed_texts(uniques)
        else:
            raw_codes, uniques = pd.factorize(self._array)
            texts = value_texts(uniques)
        encoded = pc.dictionary_encode(texts)  # values with the same text share a code
        codes = raw_codes
        if len(encoded.dictionary) != len(texts):  # some texts blank or shared (numbers' texts never are)
            lookup = np.append(encoded.indices.fill_null(-1).to_numpy(), -1)  # the last entry: a missing value
            codes = lookup[raw_codes]
        return raw_codes, codes, encoded.dictionary, uniques

    @property
    def encoded(self) -> bool:
        """The column's texts and codes are made already."""
        return "_encoded" in self.__dict__

    @property
    def raw_codes(self) -> np.ndarray:
        """Per row: the code of its value among :attr:`uniques` (-1: missing)."""
        return self._encoded[0]

    @property
    def codes(self) -> np.ndarray:
        """Per row: the code of its text among :attr:`distinct` (-1: missing or blank)."""
        return self._encoded[1]

    @property
    def distinct(self) -> pa.Array:
        """The distinct texts, in order of first occurrence."""
        return self._encoded[2]

    @cached_property
    def uniques(self) -> ExtensionArray:
        """The distinct values, of the column's dtype, in order of first occurrence."""
        uniques = self._encoded[3]
        return pd.array(uniques, dtype=self._dtype) if isinstance(uniques, pa.Array) else uniques

    @property
    def measured(self) -> bool:
        """The column's lengths are read from its rows, not from its distinct texts: text held by Arrow not encoded."""
        return self._arrow and not self.encoded

    @cached_property
    def longest(self) -> int:
        """Length in bytes (UTF-8) of the longest text held by Arrow (0: none): of the texts :attr:`counted` when they
        are made already, else read from the rows."""
        if "counted" in self.__dict__:
            return pc.max(pc.binary_length(self.counted[0])).as_py() or 0
        return longest_text(self._array.__arrow_array__())

    @cached_property
    def counted(self) -> tuple[pa.Array, np.ndarray]:
        """(distinct texts, records per text) of the whole column: from the codes, or for text held by Arrow not
        encoded, from Arrow's value counts (no code per row)."""
        if self.encoded or not self._arrow:
            return self.distinct, np.bincount(self.codes + 1, minlength=len(self.distinct) + 1)[1:]  # each occurs
        counted = pc.value_counts(self._array.__arrow_array__())
        encoded = pc.dictionary_encode(_trimmed_texts(counted.field("values")))  # values with the same text share a code
        codes = encoded.indices.fill_null(-1).to_numpy()  # -1: missing or blank
        counts = np.bincount(codes + 1, weights=counted.field("counts").to_numpy(), minlength=len(encoded.dictionary) + 1)
        return encoded.dictionary, counts[1:].astype(np.int64)

    @cached_property
    def float_values(self) -> np.ndarray | None:
        """Of a column of numbers (float or integer): its values as float64, NaN when missing; None for other columns."""
        dtype = self._dtype
        if not (pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)):
            return None
        if dtype == np.float64:  # (missing values are NaN already: no copy)
            return self._array.to_numpy()
        return self._array.to_numpy(dtype=np.float64, na_value=np.nan)

    @cached_property
    def numbers(self) -> Numbers | None:
        """Of a column of numbers: what its distinct values tell, without encoding it; None for other columns."""
        values = self.float_values
        return Numbers.of(values) if values is not None else None

    @cached_property
    def row_lengths(self) -> np.ndarray:
        """Per row of text held by Arrow: length in bytes (UTF-8) of its text as held (trailing whitespace too), 0 when
        missing."""
        return pc.binary_length(self._array.__arrow_array__()).fill_null(0).to_numpy()

    @cached_property
    def trimmed_row_lengths(self) -> np.ndarray:
        """Per row of text held by Arrow: length in bytes (UTF-8) of its text, 0 when missing or blank."""
        return trimmed_lengths(self._array.__arrow_array__())

    def longest_on(self, rows: np.ndarray) -> int:
        """Length in bytes (UTF-8) of the longest text held by Arrow on ``rows`` without trailing whitespace (0: none).

        As :func:`longest_text`: only when the first of the longest texts ends in whitespace is every row trimmed.
        """
        lengths = self.row_lengths[rows]
        at = int(np.argmax(lengths)) if len(lengths) else 0
        top = int(lengths[at]) if len(lengths) else 0
        if not top:
            return 0
        first = self._array.__arrow_array__().slice(int(rows[at]), 1)
        if pc.binary_length(pc.utf8_rtrim_whitespace(first))[0].as_py() == top:  # no text is longer once trimmed
            return top
        return int(self.trimmed_row_lengths[rows].max())

    def select(self, rows: np.ndarray | None = None) -> Values:
        """The values on ``rows`` (positions; None: every row)."""
        return Values(self, rows)

    def matches(self, values: tuple[str, ...]) -> np.ndarray:
        """Per row: its text is one of ``values`` (a missing value matches none)."""
        hit = pc.is_in(self.distinct, value_set=pa.array(values, type=self.distinct.type)).to_numpy(zero_copy_only=False)
        return np.append(hit, False)[self.codes]

    def rows_of(self, values: tuple[str, ...]) -> np.ndarray:
        """Positions of the rows whose text is one of ``values``, in order: the rows of each text are found once
        (:attr:`groups`), for every where clause that selects on this column.

        >>> ColumnValues(pd.Series(["A", "B", None, "A ", "C"])).rows_of(("A", "C")).tolist()
        [0, 3, 4]
        """
        hit = np.flatnonzero(pc.is_in(self.distinct, value_set=pa.array(values, type=self.distinct.type)).to_numpy(zero_copy_only=False))
        order, bounds = self.groups
        rows = np.concatenate([order[bounds[code + 1] : bounds[code + 2]] for code in hit]) if len(hit) else order[:0]
        if len(hit) > 1:
            rows.sort()
        return rows

    @cached_property
    def groups(self) -> tuple[np.ndarray, np.ndarray]:
        """(order, bounds): the positions of the rows ordered by the code of their text (missing first), each code's in
        record order, and where the rows of each code begin: those of code ``c`` are ``order[bounds[c + 1]:bounds[c + 2]]``.

        >>> [a.tolist() for a in ColumnValues(pd.Series(["B", "A", None, "B"])).groups]
        [[2, 0, 3, 1], [0, 1, 3, 4]]
        """
        codes = self.codes + 1
        counts = np.bincount(codes, minlength=len(self.distinct) + 1)
        keys = codes.astype(np.uint16) if len(self.distinct) < np.iinfo(np.uint16).max else codes  # (radix-sorted)
        return np.argsort(keys, kind="stable"), np.concatenate(([0], np.cumsum(counts)))

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


def longest_text(strings: pa.ChunkedArray) -> int:
    """Length in bytes (UTF-8) of the longest string without trailing whitespace; 0 when there is none.

    Read from the strings' lengths: only when the first of the longest strings ends in whitespace is every one trimmed.

    >>> longest_text(pa.chunked_array([["AB", None], ["C"]])), longest_text(pa.chunked_array([["AB ", None], ["Cé", "  "]]))
    (2, 3)
    """
    lengths = pc.binary_length(strings)
    top = pc.max(lengths).as_py() or 0
    if not top:
        return 0
    first = strings.slice(pc.index(lengths, top).as_py(), 1)
    if pc.binary_length(pc.utf8_rtrim_whitespace(first))[0].as_py() == top:  # no string is longer once trimmed
        return top
    return pc.max(pc.binary_length(pc.utf8_rtrim_whitespace(strings))).as_py() or 0


def trimmed_lengths(strings: pa.ChunkedArray) -> np.ndarray:
    """Per string: its length in bytes (UTF-8) without trailing whitespace; 0 when missing.

    >>> trimmed_lengths(pa.chunked_array([["AB ", None], ["Cé", "  "]])).tolist()
    [2, 0, 3, 0]
    """
    return pc.binary_length(pc.utf8_rtrim_whitespace(strings)).fill_null(0).to_numpy()


@dataclass(frozen=True)
class Numbers:
    """Some numbers (NaN: missing): whether one is present, whether one is not whole (a fraction or infinite), and
    the most digits and decimals of any in its shortest exact decimal form (:func:`number_text`).

    Each distinct number is looked at once (found by Arrow; -0 and 0 have one digit alike); of whole numbers only the
    largest in size is written (it has the most digits), of the others every one.

    >>> Numbers.of(np.array([3.0, np.nan, -120.0]))
    Numbers(present=True, non_integer=False, digits=3, decimals=0)
    >>> Numbers.of(np.array([3.0, 0.5, -1234.0, 0.5, np.inf]))
    Numbers(present=True, non_integer=True, digits=4, decimals=1)
    """

    present: bool
    non_integer: bool
    digits: int | None
    decimals: int | None

    @classmethod
    def of(cls, numbers: np.ndarray) -> Numbers:
        distinct = pc.unique(pa.array(numbers, type=pa.float64())).to_numpy()  # (hashed: few distinct in most columns)
        distinct = distinct[~np.isnan(distinct)]
        if not len(distinct):
            return cls(False, False, None, None)
        whole = (np.trunc(distinct) == distinct) & np.isfinite(distinct)
        digits = len(number_text(np.abs(distinct[whole]).max())) if whole.any() else 0
        others = distinct[~whole]
        if not len(others):
            return cls(True, False, digits, 0)
        other_digits, decimals = number_text_digits(number_texts(others))
        return cls(True, True, max(digits, int(other_digits.max())), int(decimals.max()))


class Values:
    """The values of one column on some rows (None: every row): the codes of the texts they hold and how many records
    hold each, made when first asked for."""

    def __init__(self, column: ColumnValues, rows: np.ndarray | None = None):
        self.column = column
        self.rows = rows

    @cached_property
    def _present(self) -> tuple[np.ndarray, np.ndarray]:
        codes = self.column.codes if self.rows is None else self.column.codes[self.rows]
        counts = np.bincount(codes + 1, minlength=len(self.column.distinct) + 1)[1:]  # (code -1: missing)
        present = np.flatnonzero(counts)
        return present, counts[present]

    @property
    def codes(self) -> np.ndarray:
        """The codes of the distinct texts on these rows, in order of first occurrence."""
        if self.rows is None:  # every distinct text occurs in the whole column
            return np.arange(len(self.column.distinct))
        return self._present[0]

    @property
    def counts(self) -> np.ndarray:
        """Records per distinct text (of :attr:`codes`)."""
        return self._present[1]

    @cached_property
    def _numbers(self) -> Numbers | None:
        """Of a column of numbers: what the values on these rows tell; None for other columns."""
        if self.rows is None:
            return self.column.numbers
        values = self.column.float_values
        return Numbers.of(values[self.rows]) if values is not None else None

    @property
    def empty(self) -> bool:
        if self.column.measured:
            return self.text_length() is None
        if self._numbers is not None:
            return not self._numbers.present
        return not len(self.codes)

    def texts(self) -> list[str]:
        """The distinct texts, in order of first occurrence."""
        if self.rows is None:
            return self.column.counted[0].to_pylist()
        return self.column.texts[self.codes].tolist()

    def text_counts(self) -> dict[str, int]:
        """Records per distinct text."""
        if self.rows is None:
            texts, counts = self.column.counted
            return dict(zip(texts.to_pylist(), counts.tolist(), strict=True))
        return dict(zip(self.texts(), self.counts.tolist(), strict=True))

    def text_length(self) -> int | None:
        """Length of the longest value in bytes, or None when there is no value."""
        if not self.column.measured:
            codes = self.codes
            return int(self.column.byte_lengths[codes].max()) if len(codes) else None
        if self.rows is None:
            longest = self.column.longest
        else:
            longest = self.column.longest_on(self.rows)
        return longest or None  # (blank and missing values have length 0)

    def number_digits(self) -> tuple[int | None, int | None]:
        """(digits, decimals): most digits of any value and most digits after the point."""
        numbers = self._numbers
        if numbers is not None:
            return numbers.digits, numbers.decimals
        codes = self.codes
        if not len(codes):
            return None, None
        digits, decimals = self.column.digits
        return int(digits[codes].max()), int(decimals[codes].max())

    @property
    def has_non_integers(self) -> bool:
        """Some value is a number but not a whole number."""
        if self._numbers is not None:
            return self._numbers.non_integer
        flags = self.column.non_integer
        if not flags.any() or self.rows is None:  # (every distinct value occurs in the whole column)
            return bool(flags.any())
        return bool(flags[self.column.raw_codes[self.rows]].any())

    def non_integers(self) -> pd.Series:
        """The values that are numbers but not whole numbers, in record order."""
        values = self.column.column if self.rows is None else self.column.column.iloc[self.rows]
        numbers = pd.to_numeric(values, errors="coerce").dropna()
        return numbers[numbers % 1 != 0]

    def summary(self, asked: frozenset[Question]) -> Summary:
        """The answers to ``asked`` (see :func:`questions`), worked out now (the texts first: their lengths then give
        the longest text too)."""
        counts = self.text_counts() if TEXTS in asked else None
        length = self.text_length() if LENGTH in asked else None
        digits = self.number_digits() if DIGITS in asked else None
        fractions = examples = None
        if FRACTIONS in asked:
            fractions = self.has_non_integers
            examples = tuple(str(v) for v in self.non_integers().head(EXAMPLES)) if fractions else ()
        return Summary(asked, self.empty, counts, length, digits, fractions, examples)


#: How many values that are not whole numbers a :class:`Summary` keeps, in record order.
EXAMPLES = 3


@dataclass(frozen=True)
class Summary:
    """The answers to some :func:`questions` about the values of a column on some rows, kept without the records.

    Asking what was not asked when it was made is an error (the records are gone).

    >>> summary = ColumnValues(pd.Series(["B", "A ", "B", None])).select().summary(questions("text", coded=True))
    >>> summary.text_counts(), summary.text_length(), summary.empty
    ({'B': 2, 'A': 1}, 1, False)
    """

    asked: frozenset[Question]
    empty: bool
    counts: dict[str, int] | None = None
    length: int | None = None
    digits: tuple[int | None, int | None] | None = None
    fractions: bool | None = None
    examples: tuple[str, ...] | None = None

    @classmethod
    def nothing(cls, asked: frozenset[Question]) -> Summary:
        """The answers about no value at all."""
        fractions = FRACTIONS in asked
        return cls(asked, True, {} if TEXTS in asked else None, None, (None, None) if DIGITS in asked else None,
                   False if fractions else None, () if fractions else None)  # fmt: skip

    def _answer(self, question: Question):
        if question not in self.asked:
            raise LookupError(f"{question} of these values was not asked while their records were at hand")
        return getattr(self, {TEXTS: "counts", LENGTH: "length", DIGITS: "digits", FRACTIONS: "examples"}[question])

    def texts(self) -> list[str]:
        """The distinct texts, in order of first occurrence."""
        return list(self._answer(TEXTS))

    def text_counts(self) -> dict[str, int]:
        """Records per distinct text."""
        return dict(self._answer(TEXTS))

    def text_length(self) -> int | None:
        """Length of the longest value in bytes, or None when there is no value."""
        return self._answer(LENGTH)

    def number_digits(self) -> tuple[int | None, int | None]:
        """(digits, decimals): most digits of any value and most digits after the point."""
        return self._answer(DIGITS)

    @property
    def has_non_integers(self) -> bool:
        """Some value is a number but not a whole number."""
        self._answer(FRACTIONS)
        return bool(self.fractions)

    def non_integer_examples(self) -> tuple[str, ...]:
        """The first values (at most :data:`EXAMPLES`, in record order) that are numbers but not whole numbers."""
        return self._answer(FRACTIONS)


@dataclass(frozen=True)
class ColumnLoader:
    """A dataset's records read a few columns at a time: ``read(names)`` returns those columns of every record (as
    ``pd.read_parquet(path, columns=names)``); ``columns`` names them all, in order. Describing the dataset then holds
    one column at a time, besides those its where clauses select on, instead of every record.

    >>> frame = pd.DataFrame({"PARAMCD": ["A", "B"], "AVAL": [1.0, 2.5]})
    >>> loader = ColumnLoader(("PARAMCD", "AVAL"), lambda names: frame[names])
    >>> FrameValues(loader).summary("AVAL", (("PARAMCD", "EQ", ("B",)),), questions("float", coded=False)).number_digits()
    (2, 1)
    """

    columns: tuple[str, ...]
    read: Callable[[list[str]], pd.DataFrame]


class FrameValues:
    """The :class:`ColumnValues` of one frame's columns, the rows of its where clauses and the values on them,
    each made once, and the :class:`Summary` of what was asked of them.

    :meth:`done` lets go of what was made of a column, but of those in ``keep`` (the columns where clauses select on).
    """

    def __init__(self, frame: pd.DataFrame | ColumnLoader, name: str = "", keep: frozenset[str] = frozenset()):
        self._records = frame
        self.name = name
        self.columns = tuple(frame.columns)
        self.keep = keep
        self._columns: dict[str, ColumnValues] = {}
        self._rows: dict[Checks, np.ndarray | None] = {}
        self._every: dict[str, Values] = {}
        self._values: dict[tuple[str, Checks], Values | None] = {}
        self._summaries: dict[tuple[str, Checks], Summary | None] = {}

    def column(self, name: str) -> ColumnValues:
        """The values of column ``name``; of a column where clauses select on, encoded at once (its codes give its
        texts and counts too, instead of Arrow's value counts)."""
        if name not in self._columns:
            records = self._records
            column = ColumnValues(records.read([name])[name] if isinstance(records, ColumnLoader) else records[name])
            if name in self.keep:
                column.codes  # noqa: B018  (made now, before anything else is asked)
            self._columns[name] = column
        return self._columns[name]

    def done(self, column: str) -> None:
        """Nothing more will be asked of ``column`` but its summaries: let go of its values (unless kept)."""
        if column in self.keep:
            return
        self._columns.pop(column, None)
        self._every.pop(column, None)
        for key in [key for key in self._values if key[0] == column]:
            del self._values[key]

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

    def summary(self, column: str, checks: Checks, asked: frozenset[Question]) -> Summary | None:
        """The answers to ``asked`` about ``column`` on the rows a where clause selects (``()``: every row); None when
        the clause cannot be evaluated on this frame. Each is worked out once and kept for :meth:`settle`."""
        key = (column, checks)
        known = self._summaries.get(key)
        if key in self._summaries and (known is None or asked <= known.asked):
            return known
        values = self.every(column) if not checks else self.select(column, checks)
        summary = values.summary(asked | known.asked if known is not None else asked) if values is not None else None
        self._summaries[key] = summary
        return summary

    def settle(self) -> SettledFrame:
        """The summaries made so far and the column names, without the records."""
        return SettledFrame(self.name, self.columns, dict(self._summaries))

    def rows(self, checks: Checks) -> np.ndarray | None:
        """Positions of the rows a where clause selects (EQ, IN, NE, NOTIN); None when one of its variables is not
        in the frame or a comparator is another one."""
        if checks not in self._rows:
            self._rows[checks] = self._select(checks)
        return self._rows[checks]

    def _select(self, checks: Checks) -> np.ndarray | None:
        if not checks:  # every row
            return np.arange(len(self.column(self.columns[0]).column)) if self.columns else np.empty(0, dtype=np.intp)
        if len(checks) == 1 and checks[0][1] in ("EQ", "IN") and checks[0][0] in self.columns:
            variable, _, values = checks[0]
            return self.column(variable).rows_of(values)
        hits = []
        for variable, comparator, values in checks:
            if variable not in self.columns or comparator not in ("EQ", "IN", "NE", "NOTIN"):
                return None
            hit = self.column(variable).matches(values)
            hits.append(~hit if comparator in ("NE", "NOTIN") else hit)
        return np.flatnonzero(np.logical_and.reduce(hits))


@dataclass(frozen=True)
class SettledFrame:
    """What was asked of a dataset's records while they were at hand (:meth:`FrameValues.settle`): its column names
    in order and a :class:`Summary` per column and where clause; asking anything else is an error."""

    name: str
    columns: tuple[str, ...]
    summaries: dict[tuple[str, Checks], Summary | None]

    def summary(self, column: str, checks: Checks, asked: frozenset[Question]) -> Summary | None:
        key = (column, checks)
        known = self.summaries.get(key)
        if key not in self.summaries or (known is not None and not asked <= known.asked):
            where = " where " + " and ".join(f"{v} {c} {', '.join(vals)}" for v, c, vals in checks) if checks else ""
            missing = ", ".join(sorted(asked - (known.asked if known is not None else frozenset())))
            raise LookupError(f"{self.name}.{column}{where}: {missing} not worked out while the records were at hand")
        return known


class DataValues:
    """The summaries of each dataset's records by name, so that describing and checking the same data summarise it
    once and the records are held only while their dataset is summarised."""

    def __init__(self) -> None:
        self._frames: dict[str, tuple[object, SettledFrame | None]] = {}

    def summarise(self, name: str, source: pd.DataFrame | Loader | ColumnLoader | SettledFrame, asked: Asked) -> SettledFrame | None:
        """The answers to ``asked`` about dataset ``name`` (:func:`summarise`; a loader is called now, summaries made
        elsewhere are taken as they are), kept for :meth:`of`; None: it has no records."""
        settled = source if isinstance(source, SettledFrame) else summarise(name, source, asked)
        self._frames[name] = (source, settled)  # holding the source: its id is not reused meanwhile
        return settled

    def of(self, name: str, source: pd.DataFrame | Loader | ColumnLoader | SettledFrame) -> FrameValues | SettledFrame | None:
        """The summaries of dataset ``name`` made from this very ``source``; else its values, loaded now (None: a
        loader found no records)."""
        known = self._frames.get(name)
        if known is not None and known[0] is source:
            return known[1]
        return source if isinstance(source, SettledFrame) else _frame_values(name, source)


def summarise(name: str, source: pd.DataFrame | Loader | ColumnLoader, asked: Asked) -> SettledFrame | None:
    """The answers to ``asked`` about the records of dataset ``name`` (a loader is called now; None: no records), each
    column's values let go once its questions are answered, but those where clauses select on.

    >>> frame = pd.DataFrame({"PARAMCD": ["A", "B"], "AVAL": [1.0, 2.5]})
    >>> asked = (("AVAL", (((), questions("float", False)), ((("PARAMCD", "EQ", ("A",)),), questions("float", False)))),)
    >>> [s.number_digits() for s in summarise("ADVS", frame, asked).summaries.values()]
    [(2, 1), (1, 0)]
    """
    keep = frozenset(variable for _, items in asked for checks, _ in items for variable, _, _ in checks)
    values = _frame_values(name, source, keep)
    if values is None:
        return None
    for column, items in asked:
        if column in values.columns:
            for checks, questions_asked in items:
                values.summary(column, checks, questions_asked)
        values.done(column)
    return values.settle()


def _frame_values(name: str, source: pd.DataFrame | Loader | ColumnLoader, keep: frozenset[str] = frozenset()) -> FrameValues | None:
    frame = source() if callable(source) else source
    return FrameValues(frame, name, keep) if frame is not None else None
