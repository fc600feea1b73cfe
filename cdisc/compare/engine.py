"""Compare two datasets like SAS PROC COMPARE: attributes, observations matched by keys, values with tolerances.

Rows are matched on the key variables (or by position when there are none);
every compared variable is then checked in one vectorised pass over the
matched rows. Character values ignore trailing blanks and treat blank and
missing as equal (SAS has no other missing character value). Numeric values
are equal when both are missing or ``|base - compare| <= max(abs, rel * |base|)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cdisc.compare.tables import Table
from cdisc.errors import DataError

ATTRIBUTES = ("label", "type", "length", "format")


class CompareInputError(DataError):
    """The datasets cannot be compared as asked (missing or duplicate keys); exit code 2, not 1 (different)."""

    exit_code = 2


@dataclass(frozen=True)
class Tolerance:
    """Numeric tolerance: values are equal when ``|base - compare| <= max(absolute, relative * |base|)``."""

    absolute: float = 0.0
    relative: float = 0.0


@dataclass(frozen=True)
class AttributeDiff:
    """One attribute of one variable (or of the dataset, variable ``""``) that differs."""

    variable: str
    attribute: str
    base: Any
    compare: Any


@dataclass
class ValueDiff:
    """The differing values of one variable: how many, the largest numeric difference, the first records."""

    variable: str
    count: int
    max_difference: float | None
    records: pd.DataFrame  # keys..., BASE, COMPARE[, DIFF], _BASE_ROW, _COMPARE_ROW (1-based)


@dataclass
class DatasetDiff:
    """Everything that differs between a base and a compare dataset."""

    name: str
    base: str
    compare: str
    keys: list[str]
    base_rows: int
    compare_rows: int
    matched: int = 0
    attributes: list[AttributeDiff] = field(default_factory=list)
    only_base_variables: list[str] = field(default_factory=list)
    only_compare_variables: list[str] = field(default_factory=list)
    only_base: pd.DataFrame = field(default_factory=pd.DataFrame)  # key values (or _ROW) of the first records
    only_base_count: int = 0
    only_compare: pd.DataFrame = field(default_factory=pd.DataFrame)
    only_compare_count: int = 0
    compared: list[str] = field(default_factory=list)
    values: list[ValueDiff] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not (
            self.attributes or self.only_base_variables or self.only_compare_variables
            or self.only_base_count or self.only_compare_count or self.values
        )


def compare_tables(
    base: Table,
    compare: Table,
    keys: list[str] | None = None,
    tolerances: dict[str, Tolerance] | None = None,
    max_records: int = 20,
) -> DatasetDiff:
    """Compare two datasets; ``tolerances`` maps variable names (or ``"*"``, the default) to tolerances."""
    keys = list(keys or [])
    tolerances = tolerances or {}
    for side, table in (("base", base), ("compare", compare)):
        missing = [k for k in keys if k not in table.frame.columns]
        if missing:
            raise CompareInputError(f"{table.path}: key variable(s) {', '.join(missing)} not in the {side} dataset {table.name}")
    result = DatasetDiff(base.name, str(base.path), str(compare.path), keys, len(base.frame), len(compare.frame))
    _compare_attributes(base, compare, result)
    ib, ic, only_b, only_c = _match_rows(base, compare, keys)
    result.matched = len(ib)
    result.only_base, result.only_base_count = _row_ids(base.frame, only_b, keys, max_records), len(only_b)
    result.only_compare, result.only_compare_count = _row_ids(compare.frame, only_c, keys, max_records), len(only_c)
    base_keys = base.frame[keys].take(ib).reset_index(drop=True) if keys else pd.DataFrame(index=range(len(ib)))
    for variable in base.variables:
        name = variable.name
        if name in keys or name not in compare.frame.columns:
            continue
        other = compare.variable(name)
        if variable.type and other.type and variable.type != other.type:
            result.notes.append(f"{name}: values not compared (base is {variable.type}, compare is {other.type})")
            continue
        result.compared.append(name)
        tolerance = tolerances.get(name, tolerances.get("*", Tolerance()))
        diff = _compare_values(name, base.frame[name], compare.frame[name], ib, ic, tolerance, base_keys, max_records)
        if diff is not None:
            result.values.append(diff)
    return result


def _compare_attributes(base: Table, compare: Table, result: DatasetDiff) -> None:
    if base.label is not None and compare.label is not None and base.label != compare.label:
        result.attributes.append(AttributeDiff("", "dataset label", base.label, compare.label))
    base_names = [v.name for v in base.variables]
    compare_names = [v.name for v in compare.variables]
    result.only_base_variables = [n for n in base_names if n not in compare_names]
    result.only_compare_variables = [n for n in compare_names if n not in base_names]
    for variable in base.variables:
        if variable.name not in compare_names:
            continue
        other = compare.variable(variable.name)
        for attribute in ATTRIBUTES:
            mine, theirs = getattr(variable, attribute), getattr(other, attribute)
            if mine is not None and theirs is not None and mine != theirs:
                result.attributes.append(AttributeDiff(variable.name, attribute, mine, theirs))
    shared_base = [n for n in base_names if n in compare_names]
    shared_compare = [n for n in compare_names if n in base_names]
    for position, (mine, theirs) in enumerate(zip(shared_base, shared_compare), start=1):
        if mine != theirs:
            result.attributes.append(AttributeDiff(mine, "order", position, shared_compare.index(mine) + 1))


def _match_rows(base: Table, compare: Table, keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions of matched rows in base and compare, and of rows only in base and only in compare."""
    n_base, n_compare = len(base.frame), len(compare.frame)
    if not keys:
        n = min(n_base, n_compare)
        return np.arange(n), np.arange(n), np.arange(n, n_base), np.arange(n, n_compare)
    left, right = _key_frames(base, compare, keys)
    for table, frame in ((base, left), (compare, right)):
        dupes = frame.duplicated(keep=False)
        if dupes.any():
            first = frame[dupes].iloc[0]
            shown = ", ".join(f"{k}={first[k]!r}" for k in keys)
            raise CompareInputError(
                f"{table.path}: keys {', '.join(keys)} do not identify records uniquely: "
                f"{int(dupes.sum())} records share key values (first: {shown}); add key variables with --keys"
            )
    left["_b"] = np.arange(n_base)
    right["_c"] = np.arange(n_compare)
    merged = left.merge(right, on=keys, how="left", sort=False)
    found = merged["_c"].notna().to_numpy()
    ib = merged["_b"].to_numpy()[found]
    ic = merged["_c"].to_numpy()[found].astype(np.int64)
    unmatched = np.ones(n_compare, dtype=bool)
    unmatched[ic] = False
    return ib, ic, merged["_b"].to_numpy()[~found], np.flatnonzero(unmatched)


def _key_frames(base: Table, compare: Table, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Key columns of both sides in one comparable type each (numbers, or text without trailing blanks)."""
    left, right = {}, {}
    for key in keys:
        b, c = base.frame[key], compare.frame[key]
        if pd.api.types.is_numeric_dtype(b) or pd.api.types.is_numeric_dtype(c):
            left[key], right[key] = _as_number(b), _as_number(c)
        else:
            left[key], right[key] = _as_text(b), _as_text(c)
    return pd.DataFrame(left), pd.DataFrame(right)


def _row_ids(frame: pd.DataFrame, rows: np.ndarray, keys: list[str], limit: int) -> pd.DataFrame:
    shown = rows[:limit]
    ids = frame[keys].take(shown).reset_index(drop=True) if keys else pd.DataFrame(index=range(len(shown)))
    ids["_ROW"] = shown + 1
    return ids


def _compare_values(
    name: str, base: pd.Series, compare: pd.Series, ib: np.ndarray, ic: np.ndarray,
    tolerance: Tolerance, base_keys: pd.DataFrame, limit: int,
) -> ValueDiff | None:
    b = base.take(ib).reset_index(drop=True)
    c = compare.take(ic).reset_index(drop=True)
    delta = None
    if pd.api.types.is_numeric_dtype(b) or pd.api.types.is_numeric_dtype(c):
        bn, cn = _as_number(b).to_numpy(), _as_number(c).to_numpy()
        delta = cn - bn
        allowed = np.maximum(tolerance.absolute, tolerance.relative * np.abs(bn))
        both_missing = np.isnan(bn) & np.isnan(cn)
        with np.errstate(invalid="ignore"):
            differ = ~both_missing & ~(np.abs(delta) <= allowed)
        differ |= _unparsed(b) | _unparsed(c)
    elif pd.api.types.is_datetime64_any_dtype(b) and pd.api.types.is_datetime64_any_dtype(c):
        differ = ~((b == c) | (b.isna() & c.isna())).to_numpy()
    else:
        differ = (_as_text(b) != _as_text(c)).to_numpy()
    count = int(differ.sum())
    if count == 0:
        return None
    rows = np.flatnonzero(differ)
    shown = rows[:limit]
    records = base_keys.take(shown).reset_index(drop=True)
    records["BASE"] = b.take(shown).to_numpy()
    records["COMPARE"] = c.take(shown).to_numpy()
    largest = None
    if delta is not None:
        records["DIFF"] = delta[shown]
        finite = np.abs(delta[rows])
        finite = finite[~np.isnan(finite)]
        largest = float(finite.max()) if len(finite) else None
    records["_BASE_ROW"] = ib[shown] + 1
    records["_COMPARE_ROW"] = ic[shown] + 1
    return ValueDiff(name, count, largest, records)


def _as_number(values: pd.Series) -> pd.Series:
    """Numbers as float64 (NaN for missing); text that is not a number becomes NaN (see :func:`_unparsed`)."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    return pd.to_numeric(_as_text(values), errors="coerce").astype("float64")


def _unparsed(values: pd.Series) -> np.ndarray:
    """Text values that are not blank and not numbers (they always count as differences)."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return np.zeros(len(values), dtype=bool)
    text = _as_text(values)
    return (text.ne("") & _as_number(values).isna()).to_numpy()


def _as_text(values: pd.Series) -> pd.Series:
    if not pd.api.types.is_string_dtype(values):
        values = values.astype("str")
    return values.fillna("").str.rstrip()
