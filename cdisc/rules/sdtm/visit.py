"""``visit``, ``visitnum``, ``visitdy``: the planned visit of a raw visit/folder name (study.yaml ``visits``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.rules import SDTM, rule
from cdisc.sdtm.distinct import on_distinct
from cdisc.spec.base import ShorthandModel


class VisitRule(ShorthandModel):
    """VISIT, VISITNUM or VISITDY from the raw visit/folder name, through the visits in study.yaml."""

    shorthand_field: ClassVar[str] = "from"
    raw_fields: ClassVar[tuple[str, ...]] = ("source",)
    source: str = Field(alias="from", description="Raw column holding the visit or folder name")


def _position(params: VisitRule, records) -> pd.Series:
    """Position of each raw visit name in study.yaml ``visits`` (matching is case- and space-insensitive)."""
    visits = records.study.spec.visits
    spellings = {spelling.strip().upper(): i for i, v in enumerate(visits) for spelling in (*v.collected, v.visit)}
    collected = records.collected(params.source).astype("str")
    position = on_distinct(collected, lambda names: names.str.strip().str.upper().map(spellings))
    unknown = (position.isna() & collected.notna() & collected.str.strip().ne("")).fillna(False).astype(bool)
    if unknown.any():
        names = ", ".join(repr(v) for v in collected[unknown].drop_duplicates().head(5))
        raise records.fail(
            f"{int(unknown.sum())} raw {params.source} value(s) are not visits in study.yaml: {names}", unknown,
            hint="add them to a visit's 'collected' list",
        )
    return position


def _method(kind: str):
    def describe(params: VisitRule, variable: str, spec) -> str:
        return f"{kind} of the planned visit whose name or collected spelling matches {params.source} (study visits table)."

    return describe


@rule("visit", engines=SDTM, params=VisitRule, method=_method("Name"), example="- {name: VISIT, label: Visit Name, type: text, origin: Derived, visit: FOLDER}")
def visit(params: VisitRule, records) -> pd.Series:
    """VISIT: the planned visit name for the raw visit/folder name."""
    names = pd.Series([v.visit for v in records.study.spec.visits], dtype="str")
    return _position(params, records).map(names).astype("str")


@rule("visitnum", engines=SDTM, params=VisitRule, method=_method("Number"),
      example="- {name: VISITNUM, label: Visit Number, type: float, origin: Derived, visitnum: FOLDER}")
def visitnum(params: VisitRule, records) -> pd.Series:
    """VISITNUM: the planned visit number for the raw visit/folder name."""
    numbers = pd.Series([v.visitnum for v in records.study.spec.visits], dtype=float)
    return _position(params, records).map(numbers).astype(float)


@rule("visitdy", engines=SDTM, params=VisitRule, method=_method("Planned study day"),
      example="- {name: VISITDY, label: Planned Study Day of Visit, type: integer, origin: Derived, visitdy: FOLDER}")
def visitdy(params: VisitRule, records) -> pd.Series:
    """VISITDY: the planned study day of the raw visit/folder name."""
    days = pd.Series([v.visitdy for v in records.study.spec.visits], dtype=float)
    return _position(params, records).map(days).astype(float)
