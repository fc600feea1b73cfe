"""``derive_vars_dt`` and ``derive_vars_dtm``: numeric SAS dates/datetimes from ISO 8601 text, with imputation."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from cdisc.rules import ADAM, rule
from cdisc.sasdates import impute_date, impute_datetime
from cdisc.spec.base import ShorthandModel
from cdisc.spec.names import Name


class DeriveVarsDt(ShorthandModel):
    """A numeric SAS date from an ISO 8601 --DTC variable, imputing missing parts: admiral ``derive_vars_dt``.

    ``highest_imputation``: ``n`` none, ``D`` day, ``M`` month and day, ``Y`` also year (needs
    min/max dates). ``date_imputation``: ``first``, ``mid``, ``last`` or ``MM-DD``. An imputed date
    is moved to the latest of ``min_dates`` (or earliest of ``max_dates``) that could be the true date.
    """

    shorthand_field: ClassVar[str] = "dtc"
    variable_fields: ClassVar[tuple[str, ...]] = ("dtc", "min_dates", "max_dates")
    dtc: Name
    highest_imputation: Literal["n", "D", "M", "Y"] = "n"
    date_imputation: str = Field("first", pattern=r"^(first|mid|last|\d{2}-\d{2})$")
    min_dates: list[Name] = Field(default_factory=list)
    max_dates: list[Name] = Field(default_factory=list)


class DeriveVarsDtm(DeriveVarsDt):
    """A numeric SAS datetime from an ISO 8601 --DTC variable: admiral ``derive_vars_dtm``.

    ``highest_imputation`` adds ``h``/``m``/``s`` (time parts); ``time_imputation``: ``first``,
    ``last`` or ``HH:MM:SS``.
    """

    highest_imputation: Literal["n", "s", "m", "h", "D", "M", "Y"] = "h"  # type: ignore[assignment]  # widens the date rule's levels with the time parts (the rules share everything else)
    time_imputation: str = Field("first", pattern=r"^(first|last|\d{2}:\d{2}:\d{2})$")


_LEVEL = {"n": "no part", "s": "seconds", "m": "minutes and seconds", "h": "the time", "D": "the day",
          "M": "the month and day", "Y": "any part"}


def _method(kind: str):
    def describe(params: DeriveVarsDt, variable: str, spec) -> str:
        text = f"{variable} is the {kind} of {params.dtc}"
        if params.highest_imputation == "n":
            return text + "; missing when the date is incomplete."
        text += f"; when incomplete, up to {_LEVEL[params.highest_imputation]} is imputed ({params.date_imputation} day/month"
        if isinstance(params, DeriveVarsDtm):
            text += f", {params.time_imputation} time"
        text += ")"
        if params.min_dates:
            text += f", but not before {', '.join(params.min_dates)} when that could be the true date"
        if params.max_dates:
            text += f", and not after {', '.join(params.max_dates)}"
        return text + "."

    return describe


def _bounds(params: DeriveVarsDt, records) -> list[list[pd.Series]]:
    return [[records.column(n) for n in names] for names in (params.min_dates, params.max_dates)]


@rule(
    "derive_vars_dt", engines=ADAM, params=DeriveVarsDt, method=_method("SAS date"),
    example="""
- name: ASTDT
  label: Analysis Start Date
  type: integer
  format: DATE9.
  origin: Derived
  derive_vars_dt: {dtc: AESTDTC, highest_imputation: M, date_imputation: first, min_dates: [TRTSDT]}
""",
)
def derive_vars_dt(params: DeriveVarsDt, records) -> pd.Series:
    """A SAS date from ISO 8601 text, imputing missing parts as asked; the imputation flag is kept for ``imputation_flag``."""
    value, flag = impute_date(records.column(params.dtc), params.highest_imputation, params.date_imputation, *_bounds(params, records))
    records.flags[records.variable, "date"] = flag
    return value


@rule(
    "derive_vars_dtm", engines=ADAM, params=DeriveVarsDtm, method=_method("SAS datetime"),
    example="""
- name: ASTDTM
  label: Analysis Start Date/Time
  type: integer
  format: DATETIME20.
  origin: Derived
  derive_vars_dtm: {dtc: AESTDTC, highest_imputation: M, time_imputation: first}
""",
)
def derive_vars_dtm(params: DeriveVarsDtm, records) -> pd.Series:
    """A SAS datetime from ISO 8601 text, imputing missing date and time parts as asked (flags kept)."""
    value, dtf, tmf = impute_datetime(
        records.column(params.dtc), params.highest_imputation, params.date_imputation, params.time_imputation,
        *_bounds(params, records),
    )
    records.flags[records.variable, "date"], records.flags[records.variable, "time"] = dtf, tmf
    return value
