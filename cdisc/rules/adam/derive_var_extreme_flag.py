"""``derive_var_extreme_flag``: "Y" on the first or last record of each group (admiral ``derive_var_extreme_flag``)."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from cdisc.adam import derivations
from cdisc.rules import ADAM, rule
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveVarExtremeFlag(SpecModel):
    """``Y`` on the first or last record of each ``by`` group in ``order``: admiral ``derive_var_extreme_flag``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by", "order", "descending")
    expression_fields: ClassVar[tuple[str, ...]] = ("where",)
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"], alias="by_vars")
    order: list[Name] = Field(min_length=1)
    descending: list[Name] = Field(default_factory=list, description="Order variables sorted from high to low")
    mode: Literal["first", "last"] = "first"
    where: Expr | None = Field(None, alias="filter", description="Only records meeting this condition compete")


def _method(params: DeriveVarExtremeFlag, variable: str, spec) -> str:
    order = ", ".join(f"{n} (descending)" if n in params.descending else n for n in params.order)
    where = f" among the records where {condition_words(params.where)}" if params.where else ""
    return f'"Y" on the {params.mode} record of each {", ".join(params.by)} ordered by {order}{where}; otherwise missing.'


@rule(
    "derive_var_extreme_flag", engines=ADAM, params=DeriveVarExtremeFlag, method=_method, stage=3,
    example="""
- name: AOCCPFL
  label: 1st Occurrence of Preferred Term Flag
  type: text
  origin: Derived
  derive_var_extreme_flag: {by: [USUBJID, AEDECOD], order: [ASTDT, AESEQ], mode: first, where: 'TRTEMFL == "Y"'}
""",
)
def derive_var_extreme_flag(params: DeriveVarExtremeFlag, records) -> pd.Series:
    """``Y`` on the first/last record of each group in the given order, among the records meeting ``where``."""
    where = records.condition(params.where) if params.where else None
    frame = records.columns([*params.by, *params.order])
    return derivations.derive_var_extreme_flag(frame, params.by, params.order, params.mode, where, params.descending)
