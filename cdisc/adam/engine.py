"""Apply an ADaM dataset spec to datasets built earlier: base rows, then each variable's rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cdisc.adam import derivations
from cdisc.built import BuiltDataset
from cdisc.errors import DataError
from cdisc.sasdates import impute_date, impute_datetime
from cdisc.spec.adam import AdamDataset
from cdisc.spec.expr import ExpressionDataError, parse_expression
from cdisc.spec.load import Study
from cdisc.spec.order import build_order
from cdisc.spec.models import NUMERIC_TYPES

SOURCE_RECORD = "@record"


@dataclass
class AdamInput:
    """What an ADaM rule may read: the base rows, variables built so far, datasets built before."""

    study: Study
    dataset: str
    variable: str
    base: pd.DataFrame
    out: dict[str, pd.Series]
    built: dict[str, pd.DataFrame]
    flags: dict[tuple[str, str], pd.Series] = field(default_factory=dict)
    with_qualifiers: dict[str, pd.DataFrame] = field(default_factory=dict)

    def other(self, rule) -> pd.DataFrame:
        """The dataset a merge rule reads, with its SUPP-- qualifiers as columns when ``rule.supp`` (joined once)."""
        if not getattr(rule, "supp", False):
            return self.built[rule.dataset]
        if rule.dataset not in self.with_qualifiers:
            self.with_qualifiers[rule.dataset] = with_supp(self.built[rule.dataset], self.built.get(f"SUPP{rule.dataset}"))
        return self.with_qualifiers[rule.dataset]

    def column(self, name: str) -> pd.Series:
        """A variable of this dataset (built so far) or, failing that, of the base record."""
        return self.out[name] if name in self.out else self.base[name]

    def frame(self, names) -> pd.DataFrame:
        return pd.DataFrame({n: self.column(n) for n in dict.fromkeys(names)}, index=self.base.index)

    def evaluate(self, text: str, frame: pd.DataFrame | None = None, constants: dict | None = None) -> Any:
        scope = {"STUDYID": self.study.spec.study.id, **self.out} if constants is None else constants
        try:
            return parse_expression(text).evaluate(self.base if frame is None else frame, scope)
        except ExpressionDataError as exc:
            raise self.fail(str(exc)) from None

    def fail(self, message: str) -> DataError:
        return DataError(f"{self.dataset}.{self.variable}: {message}")


def _series(value: Any, rows: AdamInput) -> pd.Series:
    return value if isinstance(value, pd.Series) else pd.Series(value, index=rows.base.index)


def predecessor(name: str, rows: AdamInput) -> pd.Series:
    return rows.base[name]


def hardcode(value: Any, rows: AdamInput) -> pd.Series:
    return pd.Series(value, index=rows.base.index)


def condition(rule, rows: AdamInput) -> pd.Series:
    result = pd.Series(rule.otherwise, index=rows.base.index, dtype=object)
    decided = pd.Series(False, index=rows.base.index)
    for case in rule.cases:
        hit = _series(rows.evaluate(case.when), rows).astype(bool) & ~decided
        value = rows.column(case.source) if case.source else case.value
        result = result.mask(hit, value)
        decided |= hit
    return result.infer_objects()


def expr(text: str, rows: AdamInput) -> pd.Series:
    return _series(rows.evaluate(text), rows)


def _from_other(rule, rows: AdamInput) -> tuple[pd.DataFrame, pd.Series, pd.Series | None]:
    """The other dataset a merge rule reads, the rule's value over it, and its ``where`` mask."""
    other = rows.other(rule)
    scope = {"STUDYID": rows.study.spec.study.id}
    value = rows.evaluate(rule.value, other, scope)
    value = value if isinstance(value, pd.Series) else pd.Series(value, index=other.index)
    where = parse_expression(rule.where).mask(other, scope) if rule.where else None
    return other, value, where


def _or_missing_value(values: pd.Series, missing_value: Any) -> pd.Series:
    return values if missing_value is None else values.where(values.notna(), missing_value)


def merged(rule, rows: AdamInput) -> pd.Series:
    other, value, where = _from_other(rule, rows)
    try:
        values = derivations.derive_vars_merged(rows.frame(rule.by), other, value, rule.by, where, rule.order, rule.mode)
    except pd.errors.MergeError:
        raise rows.fail(f"{rule.dataset} has several records per {', '.join(rule.by)} on the base side") from None
    return _or_missing_value(values, rule.missing_value)


def merged_summary(rule, rows: AdamInput) -> pd.Series:
    other, value, where = _from_other(rule, rows)
    values = derivations.derive_var_merged_summary(rows.frame(rule.by), other, value, rule.summary, rule.by, where)
    return _or_missing_value(values, rule.missing_value)


def joined(rule, rows: AdamInput) -> pd.Series:
    other = rows.other(rule)
    scope = {"STUDYID": rows.study.spec.study.id}
    if rule.where:
        other = other[parse_expression(rule.where).mask(other, scope)]
    condition, value = parse_expression(rule.join_where), parse_expression(rule.value)
    reads = (condition.names | value.names) - set(other.columns)
    here = rows.frame([*rule.by, *(n for n in reads if n in rows.out or n in rows.base.columns)])

    def evaluate(expression, frame):
        try:
            return expression.evaluate(frame, scope)
        except ExpressionDataError as exc:
            raise rows.fail(str(exc)) from None

    return derivations.derive_vars_joined(
        here, other, lambda frame: evaluate(value, frame), lambda frame: evaluate(condition, frame).astype(bool),
        rule.by, rule.order, rule.mode,
    )


def vars_dt(rule, rows: AdamInput) -> pd.Series:
    bounds = [[rows.column(n) for n in names] for names in (rule.min_dates, rule.max_dates)]
    value, flag = impute_date(rows.column(rule.dtc), rule.highest_imputation, rule.date_imputation, *bounds)
    rows.flags[rows.variable, "date"] = flag
    return value


def vars_dtm(rule, rows: AdamInput) -> pd.Series:
    bounds = [[rows.column(n) for n in names] for names in (rule.min_dates, rule.max_dates)]
    value, dtf, tmf = impute_datetime(
        rows.column(rule.dtc), rule.highest_imputation, rule.date_imputation, rule.time_imputation, *bounds
    )
    rows.flags[rows.variable, "date"], rows.flags[rows.variable, "time"] = dtf, tmf
    return value


def imputation_flag(rule, rows: AdamInput) -> pd.Series:
    if (rule.of, rule.part) not in rows.flags:
        raise rows.fail(f"{rule.of} has no {rule.part} imputation flag: build it with derive_vars_dt or derive_vars_dtm")
    return rows.flags[rule.of, rule.part]


def vars_dy(rule, rows: AdamInput) -> pd.Series:
    return derivations.derive_vars_dy(rows.column(rule.date), rows.column(rule.reference))


def extreme_flag(rule, rows: AdamInput) -> pd.Series:
    where = _series(rows.evaluate(rule.where), rows).astype(bool) if rule.where else None
    frame = rows.frame([*rule.by, *rule.order])
    return derivations.derive_var_extreme_flag(frame, rule.by, rule.order, rule.mode, where, rule.descending)


def obs_number(rule, rows: AdamInput) -> pd.Series:
    return derivations.derive_var_obs_number(rows.frame([*rule.by, *rule.order]), rule.by, rule.order)


def trtemfl(rule, rows: AdamInput) -> pd.Series:
    optional = {k: rows.column(getattr(rule, k)) if getattr(rule, k) else None for k in ("end_date", "trt_end", "end_before")}
    return derivations.derive_var_trtemfl(
        rows.column(rule.start_date), optional["end_date"], rows.column(rule.trt_start), optional["trt_end"],
        rule.end_window, optional["end_before"],
    )


def base(rule, rows: AdamInput) -> pd.Series:
    try:
        return derivations.derive_var_base(rows.frame([*rule.by, rule.source, rule.flag]), rule.by, rule.source, rule.flag)
    except ValueError as exc:
        raise rows.fail(str(exc)) from None


def chg(rule, rows: AdamInput) -> pd.Series:
    return derivations.derive_var_chg(rows.column(rule.value), rows.column(rule.base))


def cumulative(rule, rows: AdamInput) -> pd.Series:
    return derivations.derive_var_cumulative(rows.frame([rule.value, *rule.by, *rule.order]), rule.value, rule.by, rule.order)


def escalation_decision(rule, rows: AdamInput) -> pd.Series:
    return derivations.derive_var_escalation_decision(rows.column(rule.evaluable), rows.column(rule.dlt))


def mtd(rule, rows: AdamInput) -> pd.Series:
    return derivations.derive_var_mtd(rows.column(rule.level), rows.column(rule.evaluable), rows.column(rule.dlt))


RULES: dict[str, Callable[[Any, AdamInput], pd.Series]] = {
    "predecessor": predecessor,
    "hardcode": hardcode,
    "condition": condition,
    "expr": expr,
    "derive_vars_merged": merged,
    "derive_var_merged_summary": merged_summary,
    "derive_vars_joined": joined,
    "derive_vars_dt": vars_dt,
    "derive_vars_dtm": vars_dtm,
    "imputation_flag": imputation_flag,
    "derive_vars_dy": vars_dy,
    "derive_var_extreme_flag": extreme_flag,
    "derive_var_obs_number": obs_number,
    "derive_var_trtemfl": trtemfl,
    "derive_var_base": base,
    "derive_var_chg": chg,
    "derive_var_cumulative": cumulative,
    "derive_var_escalation_decision": escalation_decision,
    "derive_var_mtd": mtd,
}


def with_supp(parent: pd.DataFrame, supp: pd.DataFrame | None) -> pd.DataFrame:
    """``parent`` with one column per SUPP-- QNAM (QVAL), matched by USUBJID and IDVAR/IDVARVAL."""
    if supp is None or supp.empty:
        return parent
    idvar = supp["IDVAR"].fillna("").iloc[0]
    wide = supp.pivot_table(index=["USUBJID", "IDVARVAL"], columns="QNAM", values="QVAL", aggfunc="first", dropna=False)
    wide = wide.reset_index().rename_axis(columns=None)
    if not idvar:
        return parent.merge(wide.drop(columns="IDVARVAL"), on="USUBJID", how="left", validate="many_to_one")
    key = parent[idvar]
    key = key.astype("Int64").astype("str") if pd.api.types.is_numeric_dtype(key) else key.astype("str")
    return parent.assign(IDVARVAL=key).merge(wide, on=["USUBJID", "IDVARVAL"], how="left", validate="many_to_one").drop(columns="IDVARVAL")


def build_adam_dataset(study: Study, spec: AdamDataset, built: dict[str, pd.DataFrame]) -> BuiltDataset:
    """Build one ADaM dataset from its spec; ``built`` holds the datasets built before it."""
    source = built[spec.source.dataset]
    if spec.source.supp:
        source = with_supp(source, built.get(f"SUPP{spec.source.dataset}"))
    for merge in spec.source.merge:
        other = built[merge.dataset]
        extra = [c for c in other.columns if c not in source.columns]
        try:
            source = source.merge(other[[*merge.by, *extra]], on=merge.by, how="left", validate="many_to_one")
        except pd.errors.MergeError:
            raise DataError(f"{spec.dataset}: {merge.dataset} has more than one record per {', '.join(merge.by)}") from None
    if spec.source.where:
        try:
            keep = parse_expression(spec.source.where).mask(source, {"STUDYID": study.spec.study.id})
        except ExpressionDataError as exc:
            raise DataError(f"{spec.dataset}: source where {spec.source.where!r}: {exc}") from None
        source = source[keep]
    if spec.source.distinct:
        source = source.drop_duplicates(spec.source.distinct)[spec.source.distinct]
    base_rows = source.reset_index(names=SOURCE_RECORD)
    out: dict[str, pd.Series] = {}
    flags: dict[tuple[str, str], pd.Series] = {}
    with_qualifiers: dict[str, pd.DataFrame] = {}
    for var in build_order(spec.variables, spec.keys):
        name, params = var.rule
        rows = AdamInput(study, spec.dataset, var.name, base_rows, out, built, flags, with_qualifiers)
        out[var.name] = _typed(RULES[name](params, rows), var.type in NUMERIC_TYPES, rows)
    frame = pd.DataFrame({var.name: out[var.name] for var in output_variables(spec)}, index=base_rows.index)
    duplicated = frame.duplicated(spec.keys, keep=False)
    if duplicated.any():
        first = frame.loc[duplicated, spec.keys].head(3).to_dict("records")
        raise DataError(f"{spec.dataset}: {int(duplicated.sum())} records share their keys ({', '.join(spec.keys)}), e.g. {first}")
    order = frame.sort_values(spec.keys, kind="mergesort", na_position="first").index
    lineage = pd.DataFrame({"dataset": spec.source.dataset, "record": base_rows.loc[order, SOURCE_RECORD].to_numpy() + 1})
    if "USUBJID" in frame:
        lineage.insert(0, "USUBJID", frame.loc[order, "USUBJID"].to_numpy())
    excluded = pd.DataFrame(columns=["@file", "@row", "dataset", "reason"])
    return BuiltDataset(spec, frame.loc[order].reset_index(drop=True), lineage, excluded)


def output_variables(spec: AdamDataset) -> list:
    """The variables written to the dataset: all but the temporary ones."""
    return [var for var in spec.variables if not var.temporary]


def _typed(values: pd.Series, numeric: bool, rows: AdamInput) -> pd.Series:
    if not numeric:
        return values.astype("str").where(values.notna())
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna() & values.astype("str").str.strip().ne("")
    if bad.any():
        raise rows.fail(f"{int(bad.sum())} value(s) are not numbers, e.g. {values[bad].iloc[0]!r}")
    return numbers.astype(float)
