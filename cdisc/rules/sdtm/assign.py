"""``assign``: a raw column as collected, optionally cleaned."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from cdisc.rules import SDTM, rule
from cdisc.spec.base import ShorthandModel

Cleaning = Literal["strip", "collapse_spaces", "upper", "lower"]

CLEANERS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "strip": lambda s: s.str.strip(),
    "collapse_spaces": lambda s: s.str.replace(r"\s+", " ", regex=True).str.strip(),
    "upper": lambda s: s.str.upper(),
    "lower": lambda s: s.str.lower(),
}


class AssignRule(ShorthandModel):
    """Copy a raw column as collected, optionally cleaned. Shorthand: ``assign: AETERM``."""

    shorthand_field: ClassVar[str] = "from"
    raw_fields: ClassVar[tuple[str, ...]] = ("source",)
    source: str = Field(alias="from", description="Raw column (or a temporary variable built earlier)")
    clean: list[Cleaning] = Field(default_factory=list)


def _method(params: AssignRule, variable: str, spec) -> str:
    clean = f", cleaned ({', '.join(params.clean)})" if params.clean else ""
    return f"{variable} is the collected value of {params.source}{clean}."


@rule(
    "assign", engines=SDTM, params=AssignRule, method=_method,
    example="""
- name: AETERM
  label: Reported Term for the Adverse Event
  type: text
  origin: {type: Collected, page: AE}
  assign: {from: AETERM, clean: [collapse_spaces, upper]}
""",
)
def assign(params: AssignRule, records) -> pd.Series:
    """A raw column as collected, with the listed clean-ups applied in order; blank text is missing."""
    values = records.collected(params.source).astype("str")
    for step in params.clean:
        values = CLEANERS[step](values)
    return values.where(values.str.strip().ne(""))
