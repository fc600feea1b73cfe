"""What validation looks at: the datasets of an output folder, its packages (folders, with define.xml) and the
submission; :mod:`cdisc.checks.loading` reads them.

Rules share column summaries: :meth:`Dataset.text` gives a column as its distinct
values plus one code per record (:class:`Distinct`), so a test runs once per
distinct value and maps back to the records, and each summary is computed once
per dataset whichever rules ask for it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree
from pandas.arrays import ArrowStringArray

from cdisc.arrowtext import TEXT, arrow_codes, arrow_text, is_text_per_record, plain_text
from cdisc.checks.standards import Standards
from cdisc.compare.tables import Table

T = TypeVar("T")


@dataclass(frozen=True)
class Distinct:
    """A text column as its distinct values and, per record, the position of the record's value among them.

    ``values`` taken at ``codes`` is the column, so a test of the (few) distinct values reaches the
    records as ``tested[codes]``.

    >>> column = distinct_text(pd.Series(["B ", "A", "B ", None], dtype="str"))
    >>> column.values.tolist(), column.codes.tolist()
    (['B ', 'A', ''], [0, 1, 0, 2])
    >>> trimmed = column.transformed(lambda v: v.str.rstrip())
    >>> trimmed.values.tolist(), trimmed.per_record(trimmed.values == "B").tolist()
    (['B', 'A', ''], [True, False, True, False])
    """

    codes: np.ndarray  # one per record
    values: pd.Series  # distinct text ("" for missing), positional index

    def per_record(self, tested: pd.Series | np.ndarray) -> np.ndarray:
        """A result per distinct value (one entry per ``values`` row) spread to the records."""
        return np.asarray(tested)[self.codes]

    def column(self, index: pd.Index) -> pd.Series:
        """The whole column as text, with ``index``."""
        return pd.Series(self.values.array.take(self.codes), index=index)

    def transformed(self, function: Callable[[pd.Series], pd.Series]) -> Distinct:
        """The column with ``function`` applied to each distinct value (the results distinct again)."""
        changed = function(self.values)
        if changed.equals(self.values):
            return self
        codes, values = pd.factorize(changed, use_na_sentinel=False)
        return Distinct(codes.astype(np.int32)[self.codes], pd.Series(values, dtype="str"))

    def trimmed(self, kernel: Callable[[pa.ChunkedArray], pa.ChunkedArray]) -> Distinct:
        """:meth:`transformed` by an arrow string kernel (``pc.utf8_rtrim_whitespace``: what ``Series.str.rstrip()``
        runs on arrow-backed text), without the pandas calls around it."""
        if not isinstance(self.values.array, ArrowStringArray):
            return self.transformed(lambda v: pd.Series(kernel(arrow_text(v.array)), dtype="str"))
        values = arrow_text(self.values.array)
        changed = kernel(values)
        if changed.equals(values):
            return self
        codes, distinct = _encoded(changed)
        return Distinct(codes[self.codes], distinct)

    def first(self) -> np.ndarray:
        """True on the first record holding each value."""
        first = np.zeros(len(self.codes), dtype=bool)
        first[np.unique(self.codes, return_index=True)[1]] = True
        return first


def distinct_text(column: pd.Series) -> Distinct:
    """``column`` as text (``""`` for missing), factorised (distinct values in order of first appearance); text held once
    per distinct value (:func:`~cdisc.arrowtext.text_per_record`) from its codes, without making its text.

    >>> from cdisc.arrowtext import text_per_record
    >>> held = distinct_text(text_per_record(pd.Series(["b", "a", ""], dtype="str"), np.array([0, -1, 1, 2, 0])))
    >>> held.values.tolist(), held.codes.tolist()
    (['b', '', 'a'], [0, 1, 2, 1, 0])
    """
    if is_text_per_record(column.dtype):
        categories = column.cat.categories
        empty = int(categories.get_indexer([""])[0])  # (missing is "", as a blank value is)
        if empty < 0:
            empty, categories = len(categories), categories.append(pd.Index([""], dtype=TEXT))
        codes = column.cat.codes.to_numpy()
        first, seen = pd.factorize(np.where(codes < 0, empty, codes))
        return Distinct(first.astype(np.int32), pd.Series(categories.take(seen).array, dtype="str"))
    if isinstance(column.array, ArrowStringArray):  # arrow's hash kernel directly: pandas' factorize costs ~0.5 ms a call
        return Distinct(*_encoded(pc.fill_null(arrow_text(column.array), "")))
    codes, values = pd.factorize(column.astype("str").fillna(""))
    return Distinct(codes.astype(np.int32), pd.Series(values, dtype="str"))  # (half the memory of int64)


def _encoded(text: pa.ChunkedArray) -> tuple[np.ndarray, pd.Series]:
    """Codes (int32) and distinct values (``str`` Series) of arrow text without nulls, in order of first appearance."""
    codes, distinct = arrow_codes(text)
    return codes.astype(np.int32, copy=False), pd.Series(ArrowStringArray(distinct, dtype=TEXT))


def member(values: pd.Series, of: pd.Index) -> np.ndarray:
    """True where a value is in ``of`` (unique values)."""
    return position_in(values, of) >= 0


def position_in(values: pd.Series, of: pd.Index) -> np.ndarray:
    """Each value's position in ``of`` (unique values), -1 where absent: ``of.get_indexer(values)``, by arrow's hash
    lookup when both are arrow-backed text (pandas' costs ~0.2 ms a call and hashes Python strings).

    >>> position_in(pd.Series(["b", "x", ""], dtype="str"), pd.Index(["", "a", "b"], dtype="str")).tolist()
    [2, -1, 0]
    """
    if isinstance(values.array, ArrowStringArray) and isinstance(of.array, ArrowStringArray):
        found = pc.index_in(arrow_text(values.array), value_set=arrow_text(of.array))
        return np.asarray(pc.fill_null(found, -1).to_numpy(), dtype=np.intp)
    return of.get_indexer(values)


def mapped(values: pd.Series, mapper: pd.Series) -> pd.Series:
    """``values.map(mapper)`` for a ``mapper`` with unique index: missing where a value is not in it."""
    return pd.Series(mapper.array.take(position_in(values, mapper.index), allow_fill=True), index=values.index)


@dataclass(frozen=True)
class Pool:
    """The distinct values of several text columns together: a test runs once per value, however many columns hold it.

    >>> a, b = (distinct_text(pd.Series(v, dtype="str")) for v in (["x", "y", "x"], ["y", "z"]))
    >>> pool = Pool.of([a, b])
    >>> tested = pool.values == "y"
    >>> tested[pool.positions(a)].tolist(), tested[pool.positions(b)].tolist()
    ([False, True, False], [True, False])
    """

    values: pd.Index  # distinct text
    members: tuple[pd.Series, ...] = field(default=(), repr=False, compare=False)  # the pooled columns' distinct values
    found: tuple[np.ndarray, ...] = field(default=(), repr=False, compare=False)  # their positions among ``values``

    @classmethod
    def of(cls, columns: list[Distinct]) -> Pool:
        """The pool of ``columns``, values in order of first appearance; arrow-backed columns are hashed once, together,
        which also places each of them in the pool."""
        if not columns:
            return cls(pd.Index([], dtype="str"))
        arrays = [arrow_text(c.values.array) for c in columns if isinstance(c.values.array, ArrowStringArray)]
        if len(arrays) < len(columns) or len({a.type for a in arrays}) > 1:
            return cls(pd.Index(pd.concat([c.values for c in columns], ignore_index=True).unique(), dtype="str"))
        codes, values = _encoded(pa.chunked_array([chunk for a in arrays for chunk in a.chunks], arrays[0].type))
        found = np.split(codes.astype(np.intp), np.cumsum([len(c.values) for c in columns])[:-1])
        return cls(pd.Index(values), tuple(c.values for c in columns), tuple(found))

    def positions(self, column: Distinct) -> np.ndarray | None:
        """Each record's position among the pool's ``values`` (so a result per pool value, taken at these positions,
        is the result per record); None when the pool lacks a value of the column."""
        found = next((f for member, f in zip(self.members, self.found, strict=True) if member is column.values), None)
        if found is None:
            found = position_in(column.values, self.values)
        return None if (found < 0).any() else found[column.codes]


class Summaries(dict):
    """Values computed once and then shared by the rules, by key."""

    def of(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of ``key``, from ``compute()`` the first time."""
        if key not in self:
            self[key] = compute()
        return self[key]


def value_bytes(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (one more than the values) and the bytes of an arrow string chunk, as numpy views of its buffers
    (no copy): value ``i`` is ``data[offsets[i]:offsets[i + 1]]``.

    >>> offsets, data = value_bytes(pa.array(["ab", "", "c"]).slice(1))
    >>> offsets.tolist(), data[offsets[0]:offsets[-1]].tobytes()
    ([2, 2, 3], b'c')
    """
    _, offsets, data = chunk.buffers()
    kind = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    ends = np.frombuffer(offsets, kind, count=len(chunk) + 1, offset=chunk.offset * np.dtype(kind).itemsize)
    return ends, np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)


def printable_ascii(column: pd.Series) -> bool:
    """True when ``column`` is arrow-backed text holding only printable ASCII (bytes 0x20-0x7E), read off the arrow
    value bytes at memory speed: then each character is one byte and the only blank is ``" "``. (Any other
    character, encoded as UTF-8, has a byte outside that range.) False for other columns.

    >>> printable_ascii(pd.Series(["a b", "", None], dtype="str")), printable_ascii(pd.Series(["a", "é"], dtype="str"))
    (True, False)
    """
    if not isinstance(column.array, ArrowStringArray):
        return False
    for chunk in arrow_text(column.array).chunks:
        offsets, data = value_bytes(chunk)
        used = data[offsets[0] : offsets[-1]]
        if len(used) and (used.min() < 0x20 or used.max() > 0x7E):
            return False
    return True


def model_of(name: str) -> str:
    """The model of a dataset by its name: ADaM's names begin with AD, the rest are SDTM's.

    >>> [model_of(n) for n in ("ADSL", "AE", "SUPPAE")]
    ['ADaM', 'SDTM', 'SDTM']
    """
    return "ADaM" if name.startswith("AD") else "SDTM"


@dataclass
class Dataset:
    """One dataset file of the output, with the column summaries the rules have asked for so far.

    Its records are let go (:meth:`release`) after its turn in validation; its attributes (``table.variables``,
    ``columns``, ``records``, ``domain``) and ``kept`` stay."""

    name: str  # upper case, e.g. "AE", "SUPPAE", "ADSL"
    model: str  # "SDTM" | "ADaM"
    table: Table
    keys: list[str]
    summaries: Summaries = field(default_factory=Summaries, repr=False, compare=False)  # of the records: let go with them
    kept: Summaries = field(default_factory=Summaries, repr=False, compare=False)  # small values kept after them
    columns: pd.Index = field(init=False, repr=False, compare=False)
    records: int = field(init=False, repr=False, compare=False)
    domain: str = field(init=False, repr=False, compare=False)  # SDTM: DOMAIN of a split dataset (LBCH -> LB), else the name
    released: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.columns, self.records = self.table.frame.columns, len(self.table.frame)
        self.domain = _domain(self)

    @property
    def frame(self) -> pd.DataFrame:
        if self.released:
            raise RuntimeError(f"{self.name}: its records were let go after its turn in validation")
        return self.table.frame

    def release(self) -> None:
        """Let the records and their summaries go; the attributes and ``kept`` stay."""
        self.table = replace(self.table, frame=pd.DataFrame(columns=self.columns))
        self.summaries.clear()
        self.released = True

    def column(self, name: str) -> pd.Series:
        """Column ``name`` as the file holds it: text held once per distinct value (a large dataset's, as its check task
        reads it) as the text itself."""
        return plain_text(self.frame[name])

    def present(self, name: str) -> pd.Series:
        """Column ``name`` where only which values it holds matters, not on which records (its longest value, whether it
        is printable ASCII): text held once per distinct value (a large dataset's, as its check task reads it) as the
        values its records take, once each (:meth:`raw_text`: missing as ``""``), without making each record's text;
        other columns as the file holds them."""
        column = self.frame[name]
        return self.raw_text(name).values if is_text_per_record(column.dtype) else column

    def raw_text(self, name: str) -> Distinct:
        """Column ``name`` as text, ``""`` for missing."""
        return self.summaries.of(("raw", name), lambda: distinct_text(self.frame[name]))

    def text(self, name: str) -> Distinct:
        """Column ``name`` as text without trailing blanks, ``""`` for missing."""
        return self.summaries.of(("text", name), lambda: self.raw_text(name).trimmed(pc.utf8_rtrim_whitespace))

    def stripped(self, name: str) -> Distinct:
        """Column ``name`` as text without leading or trailing blanks, ``""`` for missing."""
        return self.summaries.of(("stripped", name), lambda: self.text(name).trimmed(pc.utf8_trim_whitespace))

    def printable(self, name: str) -> bool:
        """Whether column ``name`` is arrow-backed text of printable ASCII only (:func:`printable_ascii`)."""
        return self.summaries.of(("printable", name), lambda: printable_ascii(self.present(name)))

    def text_column(self, name: str) -> pd.Series:
        """Column ``name`` as text without trailing blanks, one value per record (for messages)."""
        return self.text(name).column(self.frame.index)


def _domain(dataset: Dataset) -> str:
    """The SDTM domain: DOMAIN of a split dataset (``LBCH`` -> ``LB``, ``QSCO`` -> ``QS``), else the name."""
    if dataset.model == "SDTM" and "DOMAIN" in dataset.columns and dataset.records:
        value = str(dataset.column("DOMAIN").iloc[0]).strip()
        if value and value != dataset.name and dataset.name.startswith(value):
            return value
    return dataset.name


@dataclass
class Package:
    """A folder of datasets of one model, with its define.xml when present."""

    folder: Path
    model: str
    files: list[str]  # lower-case file names, e.g. "dm.xpt"
    define: Path | None
    summaries: Summaries = field(default_factory=Summaries, repr=False, compare=False)

    @cached_property
    def tree(self) -> etree._ElementTree | None:
        """The parsed define.xml; None when there is none or it cannot be parsed."""
        if self.define is None:
            return None
        try:
            return etree.parse(str(self.define))
        except (OSError, etree.XMLSyntaxError):
            return None


@dataclass
class Submission:
    """Everything validation looks at: the datasets, their packages and the IG/CT metadata.

    During validation a rule sees a :meth:`view` of one dataset at a time; ``find()`` reaches every dataset."""

    root: Path
    standards: Standards
    packages: list[Package] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    summaries: Summaries = field(default_factory=Summaries, repr=False, compare=False)  # of ``datasets``
    shared: Summaries = field(default_factory=Summaries, repr=False, compare=False)  # of the standards alone: shared by views
    named: Mapping[str, Dataset | None] | None = field(default=None, repr=False, compare=False)  # a view's find()

    def find(self, name: str) -> Dataset | None:
        """The first dataset called ``name``; in a view, of the datasets the view reaches by name (others: an error)."""
        if self.named is None:
            return next((d for d in self.datasets if d.name == name), None)
        if name not in self.named:
            raise RuntimeError(f"validation does not hold {name} beside {self.datasets[0].name}; reachable: {', '.join(sorted(self.named))}")
        return self.named[name]

    def model(self, model: str) -> list[Dataset]:
        return [d for d in self.datasets if d.model == model]

    def view(self, dataset: Dataset, named: Mapping[str, Dataset | None]) -> Submission:
        """The submission as a rule sees it during ``dataset``'s turn: ``datasets`` is ``[dataset]``, ``find()`` gives
        the datasets of ``named`` (loaded beside it), ``shared`` is this submission's."""
        return Submission(self.root, self.standards, self.packages, [dataset], self.unreadable, shared=self.shared, named=named)
