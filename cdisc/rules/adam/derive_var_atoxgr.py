"""``derive_var_atoxgr``: the overall lab toxicity grade ATOXGR from the low and high grades (admiral ``derive_var_atoxgr``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from cdisc.adam import ctcae
from cdisc.rules import ADAM, rule
from cdisc.rules.adam._numbers import numbers
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class DeriveVarAtoxgr(SpecModel):
    """ATOXGR from ATOXGRL and ATOXGRH: admiral ``derive_var_atoxgr``. A low grade of 1 or more as its
    negative ("-2"), else a high grade of 1 or more, else "0" when the record is graded 0 in every direction
    that has a term (ATOXDSCL / ATOXDSCH); missing otherwise."""

    variable_fields: ClassVar[tuple[str, ...]] = ("lotox_description_var", "hitox_description_var", "lotox_grade", "hitox_grade")
    lotox_description_var: Name = "ATOXDSCL"
    hitox_description_var: Name = "ATOXDSCH"
    lotox_grade: Name = "ATOXGRL"
    hitox_grade: Name = "ATOXGRH"


def _method(p: DeriveVarAtoxgr, variable: str, spec) -> str:
    return (
        f'{variable} is minus {p.lotox_grade} when {p.lotox_grade} is 1 or more, else {p.hitox_grade} when it is 1 or more, '
        f'else "0" when the record is graded 0 in each direction that has a term ({p.lotox_description_var}, '
        f"{p.hitox_description_var}); missing otherwise."
    )


@rule(
    "derive_var_atoxgr", engines=ADAM, params=DeriveVarAtoxgr, method=_method, stage=2, bare=True,
    example="- {name: ATOXGR, label: Analysis Toxicity Grade, type: text, origin: Derived, derive_var_atoxgr: {}}",
)
def derive_var_atoxgr(params: DeriveVarAtoxgr, records) -> pd.Series:
    """The low grade as a negative number, else the high grade (grades that are not numbers: an error naming the records)."""
    for grade in (params.lotox_grade, params.hitox_grade):
        numbers(records, grade)  # (grades that are not numbers refused, naming the records)
    return ctcae.derive_var_atoxgr(
        records.column(params.lotox_grade), records.column(params.hitox_grade),
        records.column(params.lotox_description_var), records.column(params.hitox_description_var),
    )
