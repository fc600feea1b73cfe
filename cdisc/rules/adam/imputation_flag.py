"""``imputation_flag``: the --DTF or --TMF flag of a date built by ``derive_vars_dt``/``derive_vars_dtm``."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd

from cdisc.rules import ADAM, rule
from cdisc.spec.base import ShorthandModel
from cdisc.spec.names import Name


class ImputationFlag(ShorthandModel):
    """The --DTF (date) or --TMF (time) imputation flag of a date/datetime variable built by the dt/dtm rules."""

    shorthand_field: ClassVar[str] = "of"
    variable_fields: ClassVar[tuple[str, ...]] = ("of",)
    of: Name
    part: Literal["date", "time"] = "date"


def _method(params: ImputationFlag, variable: str, spec) -> str:
    if params.part == "date":
        return f"{variable} is the highest imputed part of {params.of}'s date: D (day), M (month and day) or Y (year); missing if none was imputed."
    return f"{variable} is the highest imputed part of {params.of}'s time: H (hour), M (minute) or S (second); missing if none was imputed."


@rule(
    "imputation_flag", engines=ADAM, params=ImputationFlag, method=_method, stage=1,
    example="- {name: ASTDTF, label: Analysis Start Date Imputation Flag, type: text, origin: Derived, imputation_flag: ASTDT}",
)
def imputation_flag(params: ImputationFlag, records) -> pd.Series:
    """The date or time imputation flag kept when ``of`` was built."""
    if (params.of, params.part) not in records.flags:
        raise records.fail(f"{params.of} has no {params.part} imputation flag: build it with derive_vars_dt or derive_vars_dtm")
    return records.flags[params.of, params.part]
