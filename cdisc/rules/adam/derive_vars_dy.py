"""``derive_vars_dy``: analysis relative day (admiral ``derive_vars_dy``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from cdisc.adam import derivations
from cdisc.rules import ADAM, rule
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class DeriveVarsDy(SpecModel):
    """Analysis relative day: ``date`` - ``reference`` (+1 on or after it; no day 0): admiral ``derive_vars_dy``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("date", "reference")
    date: Name
    reference: Name = "TRTSDT"


@rule(
    "derive_vars_dy", engines=ADAM, params=DeriveVarsDy, stage=1,
    method=lambda p, variable, spec: (
        f"{variable} is {p.date} minus {p.reference}, plus 1 when {p.date} is on or after {p.reference} (there is no day 0)."
    ),
    example="- {name: ASTDY, label: Analysis Start Relative Day, type: integer, origin: Derived, derive_vars_dy: {date: ASTDT}}",
)
def derive_vars_dy(params: DeriveVarsDy, records) -> pd.Series:
    """Days from the reference date (day 1) to the date; no day 0."""
    return derivations.derive_vars_dy(records.column(params.date), records.column(params.reference))
