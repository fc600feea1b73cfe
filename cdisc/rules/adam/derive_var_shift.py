"""``derive_var_shift``: a shift such as "NORMAL to HIGH" (admiral ``derive_var_shift``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import bds
from cdisc.rules import ADAM, rule
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveVarShift(SpecModel):
    """``from_var`` and ``to_var`` joined by ``sep_val`` (``"NORMAL to HIGH"``), a missing one shown as
    ``missing_value``: admiral ``derive_var_shift``. ``where`` restricts it (restrict_derivation)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("from_var", "to_var")
    expression_fields: ClassVar[tuple[str, ...]] = ("where",)
    from_var: Name
    to_var: Name
    missing_value: str = "NULL"
    sep_val: str = " to "
    where: Expr | None = Field(None, alias="filter", description="Only these records get a value (restrict_derivation)")


def _method(p: DeriveVarShift, variable: str, spec) -> str:
    where = f" Derived only where {condition_words(p.where)}." if p.where else ""
    return f'{variable} is {p.from_var} + "{p.sep_val}" + {p.to_var}, a missing value shown as "{p.missing_value}".{where}'


@rule(
    "derive_var_shift", engines=ADAM, params=DeriveVarShift, method=_method, stage=2,
    example="""
- {name: SHIFT1, label: Shift 1, type: text, origin: Derived, derive_var_shift: {from_var: BNRIND, to_var: ANRIND}}
- name: SHIFT2
  label: Shift 2
  type: text
  origin: Derived
  derive_var_shift: {from_var: BTOXGR, to_var: ATOXGR, where: 'not is_missing(ATOXDSCL) or not is_missing(ATOXDSCH)'}
""",
)
def derive_var_shift(params: DeriveVarShift, records) -> pd.Series:
    """The two values joined, e.g. ``NORMAL to HIGH``."""
    shift = bds.derive_var_shift(records.column(params.from_var), records.column(params.to_var), params.missing_value, params.sep_val)
    return shift.where(records.condition(params.where)) if params.where else shift
