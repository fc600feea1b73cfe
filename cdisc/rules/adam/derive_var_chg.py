"""``derive_var_chg``: CHG = AVAL - BASE (admiral ``derive_var_chg``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import derivations
from cdisc.rules import ADAM, rule
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveVarChg(SpecModel):
    """CHG = AVAL - BASE: admiral ``derive_var_chg``; ``where`` restricts it (restrict_derivation)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("value", "base")
    expression_fields: ClassVar[tuple[str, ...]] = ("where",)
    value: Name = "AVAL"
    base: Name = "BASE"
    where: Expr | None = Field(None, alias="filter", description="Only these records get a value (restrict_derivation)")


def _method(p: DeriveVarChg, variable: str, spec) -> str:
    where = f" Derived only where {condition_words(p.where)}." if p.where else ""
    return f"{variable} is {p.value} minus {p.base} (missing when either is).{where}"


@rule(
    "derive_var_chg", engines=ADAM, params=DeriveVarChg, method=_method, stage=2, bare=True,
    example="- {name: CHG, label: Change from Baseline, type: float, origin: Derived, derive_var_chg: {where: 'AVISITN > 0'}}",
)
def derive_var_chg(params: DeriveVarChg, records) -> pd.Series:
    """The value minus its baseline."""
    change = derivations.derive_var_chg(records.column(params.value), records.column(params.base))
    return change.where(records.condition(params.where)) if params.where else change
