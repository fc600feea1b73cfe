"""``derive_var_cumulative``: a running total within groups."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import derivations
from cdisc.rules import ADAM, rule
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class DeriveVarCumulative(SpecModel):
    """Running total of ``value`` within each ``by`` group in ``order`` (e.g. DLTs so far at a dose level)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("value", "by", "order")
    value: Name
    by: list[Name] = Field(min_length=1, alias="by_vars")
    order: list[Name] = Field(min_length=1)


@rule(
    "derive_var_cumulative", engines=ADAM, params=DeriveVarCumulative,
    method=lambda p, variable, spec: (
        f"{variable} is the running total of {p.value} within each {', '.join(p.by)}, in the order of {', '.join(p.order)} "
        "(a missing value counts as 0)."
    ),
    example="- {name: CUMDLT, label: Cumulative DLTs at Dose Level, type: integer, origin: Derived, "
    "derive_var_cumulative: {value: NDLT, by: [DOSELVL], order: [COHORTN]}}",
)
def derive_var_cumulative(params: DeriveVarCumulative, records) -> pd.Series:
    """Running total of ``value`` within each group, in order."""
    frame = records.columns([params.value, *params.by, *params.order])
    return derivations.derive_var_cumulative(frame, params.value, params.by, params.order)
