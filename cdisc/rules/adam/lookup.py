"""``lookup``: a value from one of the dataset's lookup tables (parameters, reference ranges, visit windows)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from cdisc.adam.derivations import by_groups
from cdisc.arrowtext import TEXT
from cdisc.rules import ADAM, Reference, model_references, rule
from cdisc.rules.adam._numbers import numbers
from cdisc.spec.base import Scalar, SpecModel
from cdisc.spec.names import Name


class Between(SpecModel):
    """A range match: the record's ``value`` lies within the table row's ``low`` to ``high`` (both included;
    a missing limit is no limit), e.g. a study day within a visit window's AWLO to AWHI."""

    value: Name = Field(description="The dataset's variable")
    low: str = Field(description="The table's column of lower limits")
    high: str = Field(description="The table's column of upper limits")


class Lookup(SpecModel):
    """``value`` of the row of lookup table ``table`` (the dataset spec's ``lookups:``) that matches each record:
    on ``by`` (table column -> the dataset's variable, or a list of names both share) and, with
    ``between``, a range. A record matching no row is a data error naming the records unless
    ``missing_value`` is given (it may be null); a record matching several rows is always an error.
    admiral writes the same with ``derive_vars_merged`` over a tribble (param_lookup, range_lookup)
    and ``derive_vars_joined`` for visit windows."""

    variable_fields: ClassVar[tuple[str, ...]] = ()
    table: Name
    by: dict[str, Name] | list[Name] = Field(default_factory=dict, alias="by_vars")
    between: Between | None = None
    value: str = Field(description="The table's column giving the variable's value")
    missing_value: Scalar | None = Field(None, description="Value for records no row matches (otherwise an error)")

    @property
    def pairs(self) -> dict[str, str]:
        """Table column -> the dataset's variable, for every ``by``."""
        return dict(self.by) if isinstance(self.by, dict) else {name: name for name in self.by}


def _references(params: Lookup) -> Iterator[Reference]:
    yield from model_references(params)
    yield from (Reference("variable", ("by", column), name) for column, name in params.pairs.items())
    if params.between:
        yield Reference("variable", ("between", "value"), params.between.value)


def _check(params: Lookup, dataset_spec) -> Iterator[tuple[tuple, str]]:
    """The table is one of the spec's lookups and has the columns the rule names."""
    tables = getattr(dataset_spec, "lookups", {}) or {}
    if params.table not in tables:
        known = ", ".join(tables) or "none"
        yield ("table",), f"lookup table '{params.table}' is not in this spec's lookups (defined: {known})"
        return
    columns = {c for row in tables[params.table] for c in row}
    named = [("by", c) for c in params.pairs] + [("value", params.value)]
    if params.between:
        named += [("between", params.between.low), ("between", params.between.high)]
    for field, column in named:
        if column not in columns:
            yield (field,), f"'{column}' is not a column of lookup table {params.table} (columns: {', '.join(sorted(columns))})"


def _method(p: Lookup, variable: str, spec) -> str:
    match = [f"{column} equal to {name}" for column, name in p.pairs.items()]
    if p.between:
        match.append(f"{p.between.low} <= {p.between.value} <= {p.between.high}")
    missing = f"; {p.missing_value!r} when no row matches" if "missing_value" in p.model_fields_set else ""
    return f"{variable} is {p.value} of the row of the dataset's lookup table {p.table} with {' and '.join(match)}{missing}."


@rule(
    "lookup", check=_check, engines=ADAM, params=Lookup, references=_references, method=_method,
    example="""
# the dataset spec holds the tables, beside its variables:
# lookups:
#   PARAMS:
#     - {PARAMCD: SYSBP, PARAM: Systolic Blood Pressure (mmHg), PARAMN: 1}
#     - {PARAMCD: DIABP, PARAM: Diastolic Blood Pressure (mmHg), PARAMN: 2}
#   WINDOWS:
#     - {AVISIT: Baseline, AVISITN: 0, AWLO: null, AWHI: 1}
#     - {AVISIT: Week 2, AVISITN: 2, AWLO: 2, AWHI: 21}
- {name: PARAMCD, label: Parameter Code, type: text, origin: Derived, lookup: {table: PARAMS, by: {PARAMCD: VSTESTCD}, value: PARAMCD}}
- {name: PARAM, label: Parameter, type: text, origin: Derived, lookup: {table: PARAMS, by: [PARAMCD], value: PARAM}}
- name: AVISIT
  label: Analysis Visit
  type: text
  origin: Derived
  lookup: {table: WINDOWS, between: {value: ADY, low: AWLO, high: AWHI}, value: AVISIT, missing_value: null}
""",
)
def lookup(params: Lookup, records) -> pd.Series:
    """The matching row's value of a lookup table of the dataset spec."""
    table = _table(params, records)
    pairs = params.pairs
    names = list(dict.fromkeys([*pairs.values(), *([params.between.value] if params.between else [])]))
    left = records.columns(names)
    codes = None
    if params.between:
        left[params.between.value] = numbers(records, params.between.value)
    elif pairs:  # matched once per distinct key (a few), then taken for each record
        codes, first = by_groups(left, names)
        left = left.iloc[first]
    left = left.reset_index(drop=True)
    left["@position"] = np.arange(len(left))
    right = table.copy()
    for column, name in pairs.items():
        right[column] = _like(right[column], left[name], params.table, column, records)
    keyed = left.dropna(subset=list(pairs.values()))
    if pairs:
        matched = keyed.merge(right, left_on=list(pairs.values()), right_on=list(pairs), how="inner", suffixes=("", "@table"))
    else:
        matched = keyed.merge(right, how="cross", suffixes=("", "@table"))
    if params.between:
        value = matched[params.between.value]
        low = _like(matched[params.between.low], value, params.table, params.between.low, records)
        high = _like(matched[params.between.high], value, params.table, params.between.high, records)
        matched = matched.loc[(value.notna() & (low.isna() | (value >= low)) & (high.isna() | (value <= high))).to_numpy()]
    counts = np.bincount(matched["@position"].to_numpy(dtype=int), minlength=len(left))
    counts = counts if codes is None else counts[codes]  # each record's
    if (counts > 1).any():
        raise records.fail(f"several rows of lookup table {params.table} match", counts > 1, hint="make its rows distinct")
    if (counts == 0).any() and "missing_value" not in params.model_fields_set:
        raise records.fail(
            f"no row of lookup table {params.table} matches", counts == 0, _shown(records.columns(names)),
            hint="add a row, or give the rule a missing_value (e.g. missing_value: null)",
        )
    values = pd.Series(params.missing_value, index=range(len(left)), dtype=object)
    found = matched[params.value if params.value in matched else f"{params.value}@table"]
    values.iloc[matched["@position"].to_numpy(dtype=int)] = found.to_numpy(dtype=object)
    if codes is None:
        return values.set_axis(records.index)
    text = values.infer_objects()  # text taken as text, numbers of a numeric variable as numbers: no object per record
    if text.dtype == TEXT:
        return pd.Series(text.array.take(codes), index=records.index)
    given = values.dropna()
    if _numeric(records) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in given):  # (the table's few values)
        return pd.Series(values.to_numpy(dtype=float, na_value=np.nan)[codes], index=records.index)
    return pd.Series(values.to_numpy(dtype=object)[codes], index=records.index)


def _numeric(records) -> bool:
    """Whether the variable built is an integer or float one (its values become numbers whatever the rule gives)."""
    variables = records.study.datasets[records.dataset].spec.variables
    return any(var.name == records.variable and var.type in ("integer", "float") for var in variables)


def _shown(frame: pd.DataFrame) -> pd.Series:
    """Each record's values of the matched variables as one text, for the query list."""
    text = frame.astype("str").fillna("")
    shown = text.iloc[:, 0]
    for name in text.columns[1:]:
        shown = shown + " " + text[name]
    return shown


def _table(params: Lookup, records) -> pd.DataFrame:
    """The lookup table as a frame; an unknown table or column is an error naming what the spec has."""
    tables = records.study.datasets[records.dataset].spec.lookups
    if params.table not in tables:
        raise records.fail(f"no lookup table {params.table} in the dataset spec (has: {', '.join(tables) or 'none'})",
                           hint="add it under 'lookups:'")
    table = pd.DataFrame(tables[params.table])
    wanted = [*params.pairs, params.value, *([params.between.low, params.between.high] if params.between else [])]
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise records.fail(f"lookup table {params.table} has no column {', '.join(missing)} (has: {', '.join(table.columns)})")
    return table


def _like(column: pd.Series, like: pd.Series, table: str, name: str, records) -> pd.Series:
    """A table column as numbers when the dataset's variable is numeric, else as text (1 -> "1")."""
    if pd.api.types.is_numeric_dtype(like):
        numbers = pd.to_numeric(column, errors="coerce")
        bad = numbers.isna() & column.notna()
        if bad.any():
            raise records.fail(f"lookup table {table} column {name} holds {column[bad].iloc[0]!r} where a number is needed")
        return numbers.astype(float)
    if pd.api.types.is_numeric_dtype(column):  # whole numbers without a decimal point, as YAML wrote them
        numbers = column.astype(float)
        return numbers.map("{:.15g}".format).where(numbers.notna()).astype("str")
    return column.astype("str")
