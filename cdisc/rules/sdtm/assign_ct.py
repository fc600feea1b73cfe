"""``assign_ct``: a collected value (or a synonym) mapped to its controlled-terminology submission value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from cdisc.rules import SDTM, Reference, rule
from cdisc.spec.base import Expr, ShorthandModel
from cdisc.spec.names import Name


class AssignCtRule(ShorthandModel):
    """Map a collected value, or the value of an expression, to its CT submission value.

    ``from`` names a raw column (or a temporary variable); ``expr`` maps any expression instead, e.g.
    ``coalesce(CMDOSU, CMDOSUO)`` for an "other, specify" fallback. A value that is neither a term nor
    a synonym is an error (``unmapped: error``, the default) or, with ``unmapped: missing``, set to
    missing and listed in the run's warnings; it is never passed through.
    """

    shorthand_field: ClassVar[str] = "from"
    source: str | None = Field(None, alias="from", description="Raw column")
    expr: Expr | None = Field(None, description="An expression whose value is mapped, instead of a column")
    codelist: Name | None = Field(None, description="Defaults to the variable's codelist")
    unmapped: Literal["error", "missing"] = Field("error", description="What a value not in the codelist becomes")

    @model_validator(mode="before")
    @classmethod
    def _old_warning_option(cls, data):
        if isinstance(data, dict) and data.get("unmapped") == "warning":
            raise PydanticCustomError(
                "cdisc_unmapped",
                "'unmapped: warning' used to pass unmapped values through; write 'unmapped: missing' "
                "(set to missing and listed) or 'unmapped: error'", {},
            )
        return data

    @model_validator(mode="after")
    def _one_input(self) -> AssignCtRule:
        if (self.source is None) == (self.expr is None):
            raise PydanticCustomError("cdisc_assign_ct", "give exactly one of 'from' (a column) or 'expr'", {})
        return self


def _references(params: AssignCtRule) -> Iterator[Reference]:
    if params.source:
        yield Reference("raw", ("from",), params.source)
    if params.expr:
        yield Reference("expression", ("expr",), params.expr)


def _method(params: AssignCtRule, variable: str, spec) -> str:
    codelist = f"codelist {params.codelist}" if params.codelist else "the variable's codelist (or its value level's)"
    collected = params.source or params.expr
    return f"The collected value of {collected} mapped to its submission value in {codelist} (synonyms included)."


@rule(
    "assign_ct", engines=SDTM, params=AssignCtRule, references=_references, method=_method,
    example="""
- {name: AESEV, label: Severity/Intensity, type: text, codelist: AESEV, origin: Collected, assign_ct: AESEV}
- name: CMDOSU
  label: Dose Units
  type: text
  codelist: UNIT
  origin: Collected
  assign_ct: {expr: 'coalesce(CMDOSU, CMDOSUO)', unmapped: missing}
- name: DSDECOD
  label: Standardized Disposition Term
  type: text
  origin: Collected
  assign_ct: {expr: 'coalesce(DSDECOD, DSOTHSP)'}
  value_level:
    - {where: {DSCAT: [DISPOSITION EVENT]}, type: text, codelist: NCOMPLT, origin: Collected}
    - {where: {DSCAT: [PROTOCOL MILESTONE]}, type: text, codelist: PROTMLST, origin: Collected}
    - {where: {DSCAT: [OTHER EVENT]}, type: text, codelist: OTHEVENT, origin: Collected}
""",
)
def assign_ct(params: AssignCtRule, records) -> pd.Series:
    """Collected value or synonym -> CT submission value; a value not in the codelist is reported, never passed on.

    In an extensible codelist an unknown value is kept as an extension (listed in the run summary). A variable
    whose codelist depends on another variable (DSDECOD on DSCAT) gives no codelist of its own but one per
    value level; each record is mapped through the codelist of the level whose ``where`` selects it.
    """
    collected = (records.collected(params.source) if params.source else records.evaluate(params.expr)).astype("str")
    name = params.codelist or records.codelist
    if name is not None:
        return _mapped(params, records, collected, name)
    levels = records.level_codelists()
    result = pd.Series(pd.NA, index=records.index, dtype="str")
    covered = pd.Series(False, index=records.index)
    for codelist, where, selected in levels:
        take = selected & ~covered  # the first level that selects a record gives its codelist
        result = result.mask(take, _mapped(params, records, collected.where(take), codelist, where))
        covered |= take
    uncovered = (~covered & collected.str.strip().ne("")).fillna(False).astype(bool)
    if uncovered.any():
        levels_text = "; ".join(where for _, where, _ in levels) or "none"
        raise records.fail(
            f"{int(uncovered.sum())} value(s) are on records that no value level with a codelist selects ({levels_text})",
            uncovered, collected, hint="give the variable or assign_ct a codelist, or add a value level for these records",
        )
    return result


def _mapped(params: AssignCtRule, records, collected: pd.Series, name: str, where: str = "") -> pd.Series:
    """``collected`` mapped through codelist ``name`` (missing values stay missing)."""
    codelist = records.codelists(name)
    key = collected.str.strip().str.upper()
    mapped = key.map(codelist.lookup())
    unmapped = (mapped.isna() & key.notna() & key.ne("")).fillna(False).astype(bool)
    if not unmapped.any():
        return mapped.astype("str")
    values = ", ".join(repr(v) for v in collected[unmapped].drop_duplicates().head(5))
    what = f"raw column {params.source}" if params.source else f"expression {params.expr!r}"
    at = f" where {where}" if where else ""
    message = f"{int(unmapped.sum())} value(s) of {what}{at} are not in codelist {name}: {values}"
    if codelist.extensible:
        return mapped.where(~unmapped, collected.str.strip()).astype("str")
    if params.unmapped == "error":
        raise records.fail(message, unmapped, collected, hint="add them as terms or synonyms in the study codelists, or set 'unmapped: missing'")
    records.warnings.append(records.fail(message, unmapped, collected, hint="set to missing"))  # a query for each record
    return mapped.astype("str")
