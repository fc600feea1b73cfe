"""``derive_var_pchg``: PCHG, the percent change from baseline (admiral ``derive_var_pchg``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import bds
from cdisc.rules import ADAM, rule
from cdisc.rules.adam._numbers import numbers
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveVarPchg(SpecModel):
    """PCHG = (AVAL - BASE) / |BASE| * 100: admiral ``derive_var_pchg``; missing when BASE is 0 or missing.
    ``where`` restricts it (admiral ``restrict_derivation``), e.g. to post-baseline records."""

    variable_fields: ClassVar[tuple[str, ...]] = ("value", "base")
    expression_fields: ClassVar[tuple[str, ...]] = ("where",)
    value: Name = "AVAL"
    base: Name = "BASE"
    where: Expr | None = Field(None, alias="filter", description="Only these records get a value (restrict_derivation)")


def _method(p: DeriveVarPchg, variable: str, spec) -> str:
    where = f" Derived only where {condition_words(p.where)}." if p.where else ""
    return f"{variable} is ({p.value} - {p.base}) / |{p.base}| * 100 (missing when {p.base} is 0 or either is missing).{where}"


@rule(
    "derive_var_pchg", engines=ADAM, params=DeriveVarPchg, method=_method, stage=2, bare=True,
    example="- {name: PCHG, label: Percent Change from Baseline, type: float, origin: Derived, derive_var_pchg: {where: 'AVISITN > 0'}}",
)
def derive_var_pchg(params: DeriveVarPchg, records) -> pd.Series:
    """The percent change of the value from its baseline."""
    change = bds.derive_var_pchg(numbers(records, params.value), numbers(records, params.base))
    return change.where(records.condition(params.where)) if params.where else change
