"""``derive_var_anrind``: the reference range indicator ANRIND (admiral ``derive_var_anrind``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import bds
from cdisc.rules import ADAM, rule
from cdisc.rules.adam._numbers import numbers
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class DeriveVarAnrind(SpecModel):
    """ANRIND: NORMAL, LOW or HIGH against ANRLO/ANRHI (and LOW LOW / HIGH HIGH against A1LO/A1HI with
    ``use_a1hia1lo``): admiral ``derive_var_anrind``. A missing limit is no limit (not both)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("source", "anrlo", "anrhi", "a1lo", "a1hi")
    source: Name = Field("AVAL", description="The analysis value compared")
    anrlo: Name = "ANRLO"
    anrhi: Name = "ANRHI"
    use_a1hia1lo: bool = Field(False, description="Also LOW LOW below A1LO and HIGH HIGH above A1HI")
    a1lo: Name | None = None
    a1hi: Name | None = None
    signif_dig: int = Field(15, ge=1, le=17, description="Significant digits the values are compared at (3 * 0.1 equals 0.3)")


def _method(p: DeriveVarAnrind, variable: str, spec) -> str:
    text = (f'{variable} is "LOW" when {p.source} < {p.anrlo}, "HIGH" when {p.source} > {p.anrhi}, "NORMAL" otherwise '
            f"(a missing limit is no limit; missing when {p.source} or both limits are)")
    if p.use_a1hia1lo:
        text += f'; "LOW LOW" below {p.a1lo or "A1LO"} and "HIGH HIGH" above {p.a1hi or "A1HI"}'
    return text + f", compared at {p.signif_dig} significant digits."


@rule(
    "derive_var_anrind", engines=ADAM, params=DeriveVarAnrind, method=_method, stage=1, bare=True,
    example="- {name: ANRIND, label: Analysis Reference Range Indicator, type: text, origin: Derived, derive_var_anrind: {}}",
)
def derive_var_anrind(params: DeriveVarAnrind, records) -> pd.Series:
    """NORMAL, LOW or HIGH against the reference range (LOW LOW / HIGH HIGH against A1LO/A1HI)."""
    optional = {k: numbers(records, getattr(params, k)) if getattr(params, k) else None for k in ("a1lo", "a1hi")}
    return bds.derive_var_anrind(
        numbers(records, params.source), numbers(records, params.anrlo), numbers(records, params.anrhi),
        optional["a1lo"], optional["a1hi"], params.use_a1hia1lo, params.signif_dig,
    )
