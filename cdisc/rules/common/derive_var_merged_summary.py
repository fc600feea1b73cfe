"""``derive_var_merged_summary``: a summary of another dataset's values per ``by`` group."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd

from cdisc.adam import derivations
from cdisc.rules import BOTH, rule
from cdisc.rules.adam.derive_vars_merged import FromOtherDataset, from_other, or_missing_value
from cdisc.spec.base import Expr, Scalar
from cdisc.spec.words import condition_words


class DeriveVarMergedSummary(FromOtherDataset):
    """A summary (max, min, sum, mean, count) of ``value`` over the records of another dataset per ``by`` group:
    admiral ``derive_var_merged_summary``."""

    other_fields: ClassVar[tuple[str, ...]] = ("by",)
    other_expression_fields: ClassVar[tuple[str, ...]] = ("where", "value")
    value: Expr
    summary: Literal["max", "min", "sum", "mean", "count"]
    missing_value: Scalar | None = None


def _method(params: DeriveVarMergedSummary, variable: str, spec) -> str:
    where = f" where {condition_words(params.where)}" if params.where else ""
    missing = f"; {params.missing_value!r} when there is none" if params.missing_value is not None else ""
    return f"{variable} is the {params.summary} of {params.value} over the records of {params.dataset}{where} with the same {', '.join(params.by)}{missing}."


@rule(
    "derive_var_merged_summary", engines=BOTH, params=DeriveVarMergedSummary, method=_method,
    example="""
- name: CUMDOSE
  label: Cumulative Dose (mg)
  type: float
  origin: Derived
  derive_var_merged_summary: {dataset: EX, value: EXDOSE, summary: sum, missing_value: 0}
""",
)
def derive_var_merged_summary(params: DeriveVarMergedSummary, records) -> pd.Series:
    """A summary of ``value`` over the records of another dataset with the same ``by`` values."""
    other, value, where = from_other(params, records)
    values = derivations.derive_var_merged_summary(records.columns(params.by), other, value, params.summary, params.by, where)
    return or_missing_value(values, params.missing_value)
