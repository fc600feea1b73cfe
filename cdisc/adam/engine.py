"""Apply an ADaM dataset spec to datasets built earlier: base rows, then each variable's rule."""

from __future__ import annotations

import pandas as pd

from cdisc.adam.supp import with_supp
from cdisc.built import BuiltDataset
from cdisc.collect import located, reads_failed
from cdisc.errors import DataError, DataErrors
from cdisc.rules import rules
from cdisc.rules.records import AdamRecords
from cdisc.spec.adam import AdamDataset
from cdisc.spec.expr import ExpressionDataError
from cdisc.spec.base import parsed
from cdisc.spec.load import Study
from cdisc.spec.order import build_order
from cdisc.spec.models import NUMERIC_TYPES

SOURCE_RECORD = "@record"
RULES = rules("adam")


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
            keep = parsed(spec.source.where).mask(source, {"STUDYID": study.spec.study.id})
        except ExpressionDataError as exc:
            raise DataError(f"{spec.dataset}: source where {spec.source.where!r}: {exc}") from None
        source = source[keep]
    if spec.source.distinct:
        source = source.drop_duplicates(spec.source.distinct)[spec.source.distinct]
    base_rows = source.reset_index(names=SOURCE_RECORD)
    out: dict[str, pd.Series] = {}
    flags: dict[tuple[str, str], pd.Series] = {}
    with_qualifiers: dict[str, pd.DataFrame] = {}
    errors: list[DataError] = []
    failed: set[str] = set()
    for var in build_order(spec.variables, spec.keys):
        name, params = var.rule
        if reads_failed(var, spec.keys, failed):
            failed.add(var.name)
            continue
        rows = AdamRecords(study, spec.dataset, var.name, base_rows, out, built, [], flags, with_qualifiers)
        try:
            out[var.name] = _typed(RULES[name].build(params, rows), var.type in NUMERIC_TYPES, rows)
        except DataError as exc:
            errors.append(located(exc, spec.dataset, var.name))
            failed.add(var.name)
    if errors:
        raise errors[0] if len(errors) == 1 else DataErrors(errors)
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


def _typed(values: pd.Series, numeric: bool, rows: AdamRecords) -> pd.Series:
    if not numeric:
        return values.astype("str").where(values.notna())
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna() & values.astype("str").str.strip().ne("")
    if bad.any():
        raise rows.fail(f"{int(bad.sum())} value(s) are not numbers, e.g. {values[bad].iloc[0]!r}", bad)
    return numbers.astype(float)
