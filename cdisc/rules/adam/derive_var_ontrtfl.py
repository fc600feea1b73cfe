"""``derive_var_ontrtfl``: the on-treatment flag ONTRTFL (admiral ``derive_var_ontrtfl``)."""

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


class DeriveVarOntrtfl(SpecModel):
    """ONTRTFL: admiral ``derive_var_ontrtfl``. ``Y`` when the record starts on ``ref_start_date`` (or has no
    start), or after it and no later than ``ref_end_date`` + ``ref_end_window`` days (any time after when
    there is no reference end). ``filter_pre_timepoint`` unflags records of the first day that are
    before the first dose (e.g. the baseline visit); a record ending (``end_date``) before the reference
    start is never flagged; with ``span_period`` a record started before and ending on or after it is."""

    variable_fields: ClassVar[tuple[str, ...]] = ("start_date", "ref_start_date", "ref_end_date", "end_date")
    expression_fields: ClassVar[tuple[str, ...]] = ("filter_pre_timepoint",)
    start_date: Name = "ADT"
    ref_start_date: Name = "TRTSDT"
    ref_end_date: Name | None = "TRTEDT"
    ref_end_window: int = Field(0, ge=0, description="Days after the reference end still on treatment")
    end_date: Name | None = None
    filter_pre_timepoint: Expr | None = Field(None, description="Records on the reference start day that are before treatment")
    span_period: bool = False


def _method(p: DeriveVarOntrtfl, variable: str, spec) -> str:
    text = f'"Y" when {p.start_date} is on {p.ref_start_date} (or missing), or after it'
    if p.ref_end_date:
        window = f" + {p.ref_end_window} days" if p.ref_end_window else ""
        text += f" and no later than {p.ref_end_date}{window} (any time after when {p.ref_end_date} is missing)"
    if p.filter_pre_timepoint:
        text += f"; not for records on {p.ref_start_date} where {condition_words(p.filter_pre_timepoint)}"
    if p.end_date:
        text += f"; never when {p.end_date} is before {p.ref_start_date}"
        if p.span_period:
            text += f"; also records started before {p.ref_start_date} and ending on or after it"
    return text + "."


@rule(
    "derive_var_ontrtfl", engines=ADAM, params=DeriveVarOntrtfl, method=_method, stage=1, bare=True,
    example="""
- name: ONTRTFL
  label: On Treatment Record Flag
  type: text
  origin: Derived
  derive_var_ontrtfl: {start_date: ADT, ref_start_date: TRTSDT, ref_end_date: TRTEDT, filter_pre_timepoint: 'AVISIT == "Baseline"'}
""",
)
def derive_var_ontrtfl(params: DeriveVarOntrtfl, records) -> pd.Series:
    """``Y`` for records from the first dose to the end of treatment (+ window)."""
    optional = {k: numbers(records, getattr(params, k)) if getattr(params, k) else None for k in ("ref_end_date", "end_date")}
    pre = records.condition(params.filter_pre_timepoint) if params.filter_pre_timepoint else None
    return bds.derive_var_ontrtfl(
        numbers(records, params.start_date), numbers(records, params.ref_start_date),
        optional["ref_end_date"], params.ref_end_window, optional["end_date"], pre, params.span_period,
    )
