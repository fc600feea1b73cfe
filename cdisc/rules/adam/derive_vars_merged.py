"""``derive_vars_merged``: a value from another dataset, merged by ``by`` (admiral ``derive_vars_merged``)."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from cdisc.adam import derivations
from cdisc.arrowtext import TEXT
from cdisc.rules import ADAM, rule
from cdisc.spec.base import Expr, Scalar, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class FromOtherDataset(SpecModel):
    """What every rule reading another dataset per ``by`` group names: the dataset (with its SUPP-- qualifiers as
    columns or not), the ``by`` variables and a filter on its records."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by",)
    dataset: Name
    supp: bool = Field(False, description="Join the dataset's SUPP-- qualifiers on as columns first (admiral combine_supp)")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"], alias="by_vars")
    where: Expr | None = Field(None, alias="filter_add")


class DeriveVarsMerged(FromOtherDataset):
    """A value from another dataset, merged by ``by``: admiral ``derive_vars_merged``.

    Records of ``dataset`` meeting ``where`` are ordered by ``order`` and the first or last per
    ``by`` group gives ``value`` (a variable or an expression over that dataset's variables).
    With ``supp: true`` the dataset's SUPP-- qualifiers are columns too (e.g. SUPPAE.AEDLT on AE).
    """

    other_fields: ClassVar[tuple[str, ...]] = ("by", "order")
    other_expression_fields: ClassVar[tuple[str, ...]] = ("where", "value")
    order: list[Name] = Field(default_factory=list)
    mode: Literal["first", "last"] = "first"
    value: Expr = Field(description="Variable or expression over the merged dataset")
    missing_value: Scalar | None = Field(None, description="Value for base records with no matching record (e.g. N)")


def _method(params: DeriveVarsMerged, variable: str, spec) -> str:
    where = f" among the records where {condition_words(params.where)}" if params.where else ""
    pick = f"the {params.mode} record by {', '.join(params.order)}" if params.order else "the matching record"
    missing = f"; {params.missing_value!r} when there is none" if params.missing_value is not None else ""
    return f"{variable} is {params.value} of {pick} in {params.dataset} with the same {', '.join(params.by)}{where}{missing}."




def or_missing_value(values: pd.Series, missing_value) -> pd.Series:
    return values if missing_value is None else values.where(values.notna(), missing_value)


def from_other(params, records) -> tuple[pd.DataFrame, pd.Series, pd.Series | None]:
    """The other dataset a merge rule reads, the rule's value over it, and its ``where`` mask."""
    other = records.other(params)
    value = records.on_other(params.value, other)
    where = records.on_other(params.where, other, condition=True) if params.where else None
    return other, value, where


@rule(
    "derive_vars_merged", engines=ADAM, params=DeriveVarsMerged, method=_method,
    example="""
- name: TRTSDT
  label: Date of First Exposure to Treatment
  type: integer
  format: DATE9.
  origin: Derived
  derive_vars_merged: {dataset: EX, where: 'EXDOSE > 0', order: [EXSTDTC], mode: first, value: sas_date(EXSTDTC)}
""",
)
def derive_vars_merged(params: DeriveVarsMerged, records) -> pd.Series:
    """The value of the first/last record of another dataset per ``by`` group, for each record."""
    other = records.other(params)
    value = records.on_other(params.value, other)

    def picked():
        where = records.on_other(params.where, other, condition=True) if params.where else None
        return derivations.merged_records(records.columns(params.by), other, params.by, where, params.order, params.mode)

    # the records picked are found once for all the variables merged alike
    alike = ("derive_vars_merged", params.dataset, params.supp, tuple(params.by), params.where, tuple(params.order), params.mode)
    try:
        at = records.once(alike, (other, *(records.identity(name) for name in params.by)), picked)
    except pd.errors.MergeError:
        raise records.fail(f"{params.dataset} has several records per {', '.join(params.by)} on the base side") from None
    as_text = value.dtype == TEXT and (params.missing_value is None or isinstance(params.missing_value, str))  # text stays Arrow text
    merged = derivations.taken_array(value, at) if as_text else derivations.taken(value, at)
    return or_missing_value(pd.Series(merged, index=records.index), params.missing_value)
