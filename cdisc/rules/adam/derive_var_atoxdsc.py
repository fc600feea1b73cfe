"""``derive_var_atoxdsc``: the CTCAE term grading a lab test, ATOXDSCL / ATOXDSCH."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from cdisc.adam import ctcae
from cdisc.rules import ADAM, rule
from cdisc.rules.adam._criteria import criteria_table, describe
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class DeriveVarAtoxdsc(SpecModel):
    """ATOXDSCL (``criteria_direction: L``) or ATOXDSCH (``H``): the term of the grading criteria that grades
    each record's lab test (``source``, LBTESTCD by default) in that direction, by the criteria's ``lbtestcd``
    column; missing for a test the criteria do not grade. (admiral leaves this to a lookup table; the
    criteria table already says which test each term grades.)"""

    variable_fields: ClassVar[tuple[str, ...]] = ("source",)
    source: Name = Field("LBTESTCD", description="The lab test code variable")
    meta_criteria: str = Field("ctcae_v5", description="ctcae_v5, ctcae_v4 or a CSV file of the same columns")
    criteria_direction: Literal["L", "H"]


def _method(p: DeriveVarAtoxdsc, variable: str, spec) -> str:
    way = "low" if p.criteria_direction == "L" else "high"
    return f"{variable} is the term of {describe(p.meta_criteria)} grading {way} values of the test in {p.source}; missing when none does."


@rule(
    "derive_var_atoxdsc", engines=ADAM, params=DeriveVarAtoxdsc, method=_method,
    example="- {name: ATOXDSCL, label: Analysis Toxicity Description Low, type: text, origin: Derived, derive_var_atoxdsc: {criteria_direction: L}}",
)
def derive_var_atoxdsc(params: DeriveVarAtoxdsc, records) -> pd.Series:
    """The criteria's term for each record's test in one direction."""
    criteria = criteria_table(params.meta_criteria, records)
    return ctcae.derive_var_atoxdsc(records.column(params.source), params.criteria_direction, criteria)
