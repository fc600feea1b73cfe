"""``derive_var_analysis_ratio``: a ratio such as R2BASE = AVAL / BASE (admiral ``derive_var_analysis_ratio``)."""

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


class DeriveVarAnalysisRatio(SpecModel):
    """``numer_var`` / ``denom_var`` (R2BASE, R2ANRLO, R2ANRHI): admiral ``derive_var_analysis_ratio``;
    missing when the denominator is 0 or either value is missing. ``where`` restricts it."""

    variable_fields: ClassVar[tuple[str, ...]] = ("numer_var", "denom_var")
    expression_fields: ClassVar[tuple[str, ...]] = ("where",)
    numer_var: Name = "AVAL"
    denom_var: Name
    where: Expr | None = Field(None, alias="filter", description="Only these records get a value (restrict_derivation)")


def _method(p: DeriveVarAnalysisRatio, variable: str, spec) -> str:
    where = f" Derived only where {condition_words(p.where)}." if p.where else ""
    return f"{variable} is {p.numer_var} / {p.denom_var} (missing when {p.denom_var} is 0 or either is missing).{where}"


@rule(
    "derive_var_analysis_ratio", engines=ADAM, params=DeriveVarAnalysisRatio, method=_method, stage=2,
    example="- {name: R2BASE, label: Ratio to Baseline, type: float, origin: Derived, derive_var_analysis_ratio: {denom_var: BASE}}",
)
def derive_var_analysis_ratio(params: DeriveVarAnalysisRatio, records) -> pd.Series:
    """The ratio of two variables."""
    ratio = bds.derive_var_analysis_ratio(numbers(records, params.numer_var), numbers(records, params.denom_var))
    return ratio.where(records.condition(params.where)) if params.where else ratio
