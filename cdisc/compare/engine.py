"""Compare two datasets like SAS PROC COMPARE: attributes, observations matched by keys, values with tolerances.

Rows are matched on the key variables (or by position when there are none);
every compared variable is then checked in one vectorised pass over the
matched rows. Character values ignore trailing blanks and treat blank and
missing as equal (SAS has no other missing character value). Numeric values
are equal when both are missing or ``|base - compare| <= max(abs, rel * |base|)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cdisc.compare.dates import as_sas, date_kind, shown
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
    duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)  # side, keys..., _ROW of the first records
    duplicate_count: int = 0
    compared: list[str] = field(default_factory=list)
    values: list[ValueDiff] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not (
            self.attributes or self.only_base_variables or self.only_compare_variables
            or self.only_base_count or self.only_compare_count or self.values or self.duplicate_count
        )


@dataclass(frozen=True)
class Selection:
    """Which variables to compare and how: PROC COMPARE's VAR and WITH, an exclude list, SAS date variables.

    ``var`` alone compares only those variables; with ``with_`` (same length) the
    base's ``var[i]`` is compared with the compare side's ``with_[i]``. ``dates``
    and ``datetimes`` name variables whose text values are read as SAS dates
    (datetimes) even when neither side's format says so.
    """

    var: tuple[str, ...] = ()
    with_: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()


def compare_tables(
    base: Table,
    compare: Table,
    keys: list[str] | None = None,
    tolerances: dict[str, Tolerance] | None = None,
    max_records: int = 20,
    selection: Selection | None = None,
) -> DatasetDiff:
    """Compare two datasets; ``tolerances`` maps variable names (or ``"*"``, the default) to tolerances.

    Variable names are matched case-insensitively and reported in upper case.
    Records whose keys repeat on either side are listed as duplicates and left
    out of the record matching; the other records are still compared.
    """
    selection = selection or Selection()
    keys = [k.upper() for k in keys or []]
    tolerances = tolerances or {}
    try:
        base, compare = base.upper(), compare.upper()
    except DataError as exc:
        raise CompareInputError(str(exc)) from None
    excluded = {v.upper() for v in selection.exclude}
    if excluded & set(keys):
        raise CompareInputError(f"{base.path}: key variable(s) {', '.join(sorted(excluded & set(keys)))} cannot be excluded")
    base, compare = base.without(excluded), compare.without(excluded)
    compare, chosen = _select(base, compare, selection, keys)
    for side, table in (("base", base), ("compare", compare)):
        missing = [k for k in keys if k not in table.frame.columns]
        if missing:
            raise CompareInputError(f"{table.path}: key variable(s) {', '.join(missing)} not in the {side} dataset {table.name}")
    result = DatasetDiff(base.name, str(base.path), str(compare.path), keys, len(base.frame), len(compare.frame))
    _compare_attributes(base, compare, result, chosen)
    kinds = _date_kinds(base, compare, selection)
    base, compare = _as_sas_dates(base, kinds), _as_sas_dates(compare, kinds)
    ib, ic, only_b, only_c, duplicates = _match_rows(base, compare, keys)
    result.matched = len(ib)
    result.only_base, result.only_base_count = _row_ids(base.frame, only_b, keys, max_records), len(only_b)
    result.only_compare, result.only_compare_count = _row_ids(compare.frame, only_c, keys, max_records), len(only_c)
    result.duplicates, result.duplicate_count = duplicates.head(max_records), len(duplicates)
    base_keys = base.frame[keys].take(ib).reset_index(drop=True) if keys else pd.DataFrame(index=range(len(ib)))
    for variable in base.variables:
        name = variable.name
        if name in keys or name not in compare.frame.columns or (chosen and name not in chosen):
            continue
        other = compare.variable(name)
        if variable.type and other.type and variable.type != other.type and name not in kinds:
            result.notes.append(f"{name}: values not compared (base is {variable.type}, compare is {other.type})")
            continue
        result.compared.append(name)
        tolerance = tolerances.get(name, tolerances.get("*", Tolerance()))
        diff = _compare_values(name, base.frame[name], compare.frame[name], ib, ic, tolerance, base_keys, max_records)
        if diff is not None:
            result.values.append(_shown_as_dates(diff, kinds.get(name)))
    return result


def _select(base: Table, compare: Table, selection: Selection, keys: list[str]) -> tuple[Table, list[str]]:
    """The compare side with WITH variables renamed to their VAR partners, and the chosen variables (empty: all)."""
    var = [v.upper() for v in selection.var]
    with_ = [v.upper() for v in selection.with_]
    if with_ and len(with_) != len(var):
        raise CompareInputError(f"--with names {len(with_)} variable(s) but --var {len(var)}; pair them one to one")
    absent = [v for v in var if v not in base.frame.columns]
    absent += [w for w in with_ if w not in compare.frame.columns]
    if absent:
        raise CompareInputError(f"{base.path} / {compare.path}: --var/--with variable(s) {', '.join(absent)} not in the dataset")
    if with_:
        renames = dict(zip(with_, var))
        compare = compare.without({v for v in var if v in compare.frame.columns and v not in renames})
        variables = tuple(replace(v, name=renames.get(v.name, v.name)) for v in compare.variables)
        compare = replace(compare, frame=compare.frame.rename(columns=renames), variables=variables)
    return compare, [*var, *(k for k in keys if k not in var)] if var else []


def _date_kinds(base: Table, compare: Table, selection: Selection) -> dict[str, str]:
    """Variables holding SAS dates, datetimes or times: named by the user, or so formatted on either side."""
    kinds = {}
    for variable in base.variables:
        if variable.name not in compare.frame.columns:
            continue
        other = compare.variable(variable.name)
        kind = date_kind(variable.format) or date_kind(other.format)
        if variable.name in {v.upper() for v in selection.dates}:
            kind = "date"
        elif variable.name in {v.upper() for v in selection.datetimes}:
            kind = "datetime"
        if kind:
            kinds[variable.name] = kind
    return kinds


def _as_sas_dates(table: Table, kinds: dict[str, str]) -> Table:
    """Text date variables read as SAS numbers (ISO 8601 or DATE9. text), so that both sides are numbers."""
    converted = {name: as_sas(table.frame[name], kind) for name, kind in kinds.items()}
    return replace(table, frame=table.frame.assign(**converted)) if converted else table


def _shown_as_dates(diff: ValueDiff, kind: str | None) -> ValueDiff:
    """Differing values of a date variable shown as ISO 8601 text; DIFF stays in days (seconds)."""
    if kind is None:
        return diff
    records = diff.records.assign(BASE=shown(diff.records["BASE"], kind), COMPARE=shown(diff.records["COMPARE"], kind))
    return replace(diff, records=records)


def _compare_attributes(base: Table, compare: Table, result: DatasetDiff, chosen: list[str]) -> None:
    if base.label is not None and compare.label is not None and base.label != compare.label:
        result.attributes.append(AttributeDiff("", "dataset label", base.label, compare.label))
    base_names = [v.name for v in base.variables if not chosen or v.name in chosen]
    compare_names = [v.name for v in compare.variables if not chosen or v.name in chosen]
    result.only_base_variables = [n for n in base_names if n not in compare_names]
    result.only_compare_variables = [n for n in compare_names if n not in base_names]
    for variable in base.variables:
        if variable.name not in compare_names or variable.name not in base_names:
            continue
        other = compare.variable(variable.name)
        for attribute in ATTRIBUTES:
            mine, theirs = getattr(variable, attribute), getattr(other, attribute)
            if mine is not None and theirs is not None and mine != theirs:
                result.attributes.append(AttributeDiff(variable.name, attribute, mine, theirs))
    if chosen:
        return  # VAR/WITH: the order of the chosen variables is the user's, not the datasets'
    shared_base = [n for n in base_names if n in compare_names]
    shared_compare = [n for n in compare_names if n in base_names]
    for position, (mine, theirs) in enumerate(zip(shared_base, shared_compare), start=1):
        if mine != theirs:
            result.attributes.append(AttributeDiff(mine, "order", position, shared_compare.index(mine) + 1))


def _match_rows(
    base: Table, compare: Table, keys: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Positions of matched rows in base and compare, of rows only in base and only in compare,
    and the records whose keys repeat on their side (``side``, keys, ``_ROW``), which are not matched."""
    n_base, n_compare = len(base.frame), len(compare.frame)
    if not keys:
        n = min(n_base, n_compare)
        return np.arange(n), np.arange(n), np.arange(n, n_base), np.arange(n, n_compare), pd.DataFrame()
    left, right = _key_frames(base, compare, keys)
    left["_b"] = np.arange(n_base)
    right["_c"] = np.arange(n_compare)
    repeated = [frame.duplicated(keys, keep=False).to_numpy() for frame in (left, right)]
    duplicates = pd.concat(
        [
            _row_ids(table.frame, np.flatnonzero(mask), keys, len(table.frame)).assign(side=side)
            for side, table, mask in (("base", base, repeated[0]), ("compare", compare, repeated[1]))
        ],
        ignore_index=True,
    )
    duplicates = duplicates[["side", *keys, "_ROW"]]
    merged = left[~repeated[0]].merge(right[~repeated[1]], on=keys, how="left", sort=False)
    found = merged["_c"].notna().to_numpy()
    ib = merged["_b"].to_numpy()[found]
    ic = merged["_c"].to_numpy()[found].astype(np.int64)
    unmatched = ~repeated[1]
    unmatched[ic] = False
    return ib, ic, merged["_b"].to_numpy()[~found], np.flatnonzero(unmatched), duplicates


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
    """Text values that are not blank, not SAS's missing ``.`` and not numbers (they always count as differences)."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return np.zeros(len(values), dtype=bool)
    text = _as_text(values)
    return (text.ne("") & text.ne(".") & _as_number(values).isna()).to_numpy()


def _as_text(values: pd.Series) -> pd.Series:
    if not pd.api.types.is_string_dtype(values):
        values = values.astype("str")
    return values.fillna("").str.rstrip()
