"""``derive_var_trtemfl``: the treatment-emergent flag (admiral ``derive_var_trtemfl``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import derivations
from cdisc.rules import ADAM, rule
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class DeriveVarTrtemfl(SpecModel):
    """Treatment-emergent flag: admiral ``derive_var_trtemfl``.

    ``Y`` when the event starts on or after ``trt_start`` and no later than ``trt_end`` +
    ``end_window`` days and, if ``end_before`` is given, before that date (e.g. new anticancer
    therapy: the window ends the day before it). Events with a missing start but an end on or
    after ``trt_start`` count as emergent, as in admiral.
    """

    variable_fields: ClassVar[tuple[str, ...]] = ("start_date", "end_date", "trt_start", "trt_end", "end_before")
    start_date: Name = "ASTDT"
    end_date: Name | None = "AENDT"
    trt_start: Name = Field("TRTSDT", alias="trt_start_date")
    trt_end: Name | None = Field("TRTEDT", alias="trt_end_date")
    end_window: int = Field(0, ge=0, description="Days after the last dose still counted")
    end_before: Name | None = Field(None, description="A date from which events no longer count")


def _method(p: DeriveVarTrtemfl, variable: str, spec) -> str:
    text = f'"Y" when {p.start_date} is on or after {p.trt_start}'
    if p.trt_end:
        text += f" and no later than {p.trt_end}" + (f" + {p.end_window} days" if p.end_window else "")
    if p.end_before:
        text += f" and before {p.end_before}"
    if p.end_date:
        text += f"; also when {p.start_date} is missing and {p.end_date} is on or after {p.trt_start}"
    return text + "."


@rule(
    "derive_var_trtemfl", engines=ADAM, params=DeriveVarTrtemfl, method=_method, stage=1, bare=True,
    example="""
- name: TRTEMFL
  label: Treatment Emergent Analysis Flag
  type: text
  origin: Derived
  derive_var_trtemfl: {end_window: 28, end_before: NACTDT}
""",
)
def derive_var_trtemfl(params: DeriveVarTrtemfl, records) -> pd.Series:
    """``Y`` for events starting within the treatment window (from first dose to last dose + window)."""
    optional = {k: records.column(getattr(params, k)) if getattr(params, k) else None for k in ("end_date", "trt_end", "end_before")}
    return derivations.derive_var_trtemfl(
        records.column(params.start_date), optional["end_date"], records.column(params.trt_start), optional["trt_end"],
        params.end_window, optional["end_before"],
    )
