"""``derive_var_obs_number``: 1, 2, ... within each group (admiral ``derive_var_obs_number``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import derivations
from cdisc.rules import ADAM, rule
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class DeriveVarObsNumber(SpecModel):
    """1, 2, ... within each ``by`` group in ``order``: admiral ``derive_var_obs_number``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by", "order")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"], alias="by_vars")
    order: list[Name] = Field(default_factory=list)


@rule(
    "derive_var_obs_number", engines=ADAM, params=DeriveVarObsNumber, stage=3, bare=True,
    method=lambda p, variable, spec: (
        f"Sequential number 1, 2, ... of the records within each {', '.join(p.by)}"
        + (f", in the order of {', '.join(p.order)}." if p.order else ".")
    ),
    example="- {name: ASEQ, label: Analysis Sequence Number, type: integer, origin: Derived, derive_var_obs_number: {order: [PARAMCD, ADT]}}",
)
def derive_var_obs_number(params: DeriveVarObsNumber, records) -> pd.Series:
    """1, 2, ... within each ``by`` group in ``order``."""
    return derivations.derive_var_obs_number(records.columns([*params.by, *params.order]), params.by, params.order)
