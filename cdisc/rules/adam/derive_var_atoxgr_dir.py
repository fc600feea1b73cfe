"""``derive_var_atoxgr_dir``: the lab toxicity grade in one direction, ATOXGRL / ATOXGRH (admiral ``derive_var_atoxgr_dir``)."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from cdisc.adam import ctcae
from cdisc.errors import DataError
from cdisc.rules import ADAM, rule
from cdisc.rules.adam._criteria import criteria_table, describe
from cdisc.rules.adam._numbers import numbers
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name


class DeriveVarAtoxgrDir(SpecModel):
    """ATOXGRL (``criteria_direction: L``) or ATOXGRH (``H``): admiral ``derive_var_atoxgr_dir``. Each record
    is graded "0" to "4" by the clauses of the term in ``tox_description_var`` (ATOXDSCL / ATOXDSCH) in
    ``meta_criteria``: NCI CTCAE v5.0 (``ctcae_v5``, the default), v4.03 (``ctcae_v4``) or a CSV file of the
    same columns. The clauses compare the analysis value with numbers, the ULN (``anrhi``), LLN (``anrlo``)
    and baseline (``base``; ``bnrind`` says whether the baseline was abnormal). ``get_unit_expr`` gives each
    record's unit: a criterion with a unit grades only records in it. Missing when a record cannot be
    graded (no value, a limit the criterion needs missing, another unit, no term)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("tox_description_var", "aval", "anrlo", "anrhi", "base", "bnrind")
    expression_fields: ClassVar[tuple[str, ...]] = ("get_unit_expr",)
    meta_criteria: str = Field("ctcae_v5", description="ctcae_v5, ctcae_v4 or a CSV file of the same columns")
    tox_description_var: Name
    criteria_direction: Literal["L", "H"]
    get_unit_expr: Expr | None = Field(None, description="Each record's unit (none: units are not checked)")
    aval: Name = "AVAL"
    anrlo: Name = "ANRLO"
    anrhi: Name = "ANRHI"
    base: Name | None = "BASE"
    bnrind: Name | None = "BNRIND"
    high_indicator: list[str] = Field(default_factory=lambda: ["HIGH"], description="BNRIND values of an abnormal baseline (H criteria)")
    low_indicator: list[str] = Field(default_factory=lambda: ["LOW"], description="BNRIND values of an abnormal baseline (L criteria)")
    signif_dig: int = Field(15, ge=1, le=17)


def _method(p: DeriveVarAtoxgrDir, variable: str, spec) -> str:
    way = "low" if p.criteria_direction == "L" else "high"
    unit = f", for records whose unit ({p.get_unit_expr}) is the criterion's" if p.get_unit_expr else ""
    return (
        f"{variable} is the grade (0-4) of {way} values of {p.aval} by {describe(p.meta_criteria)} for the term in "
        f"{p.tox_description_var}, from {p.aval}, {p.anrlo} (LLN), {p.anrhi} (ULN)"
        + (f", {p.base} (baseline)" if p.base else "") + (f" and {p.bnrind} (baseline abnormal)" if p.bnrind else "")
        + f"{unit}; the first grade whose criterion holds, 0 when none does; missing when the record cannot be graded."
    )


@rule(
    "derive_var_atoxgr_dir", engines=ADAM, params=DeriveVarAtoxgrDir, method=_method, stage=2,
    example="""
- name: ATOXGRL
  label: Analysis Toxicity Grade Low
  type: text
  origin: Derived
  derive_var_atoxgr_dir: {tox_description_var: ATOXDSCL, criteria_direction: L, get_unit_expr: AVALU}
""",
)
def derive_var_atoxgr_dir(params: DeriveVarAtoxgrDir, records) -> pd.Series:
    """Each record's toxicity grade in one direction by the named criteria."""
    criteria = criteria_table(params.meta_criteria, records)
    names = {"AVAL": params.aval, "ANRLO": params.anrlo, "ANRHI": params.anrhi, "BASE": params.base, "BNRIND": params.bnrind}
    frame = pd.DataFrame({
        params.tox_description_var: records.column(params.tox_description_var),
        **{standard: numbers(records, n) if standard != "BNRIND" else records.column(n) for standard, n in names.items() if n},
    }, index=records.index)
    unit = records.evaluate(params.get_unit_expr) if params.get_unit_expr else None
    try:
        return ctcae.derive_var_atoxgr_dir(
            frame, criteria, params.tox_description_var, params.criteria_direction, unit,
            tuple(params.high_indicator), tuple(params.low_indicator), params.signif_dig,
        )
    except DataError as exc:
        raise records.fail(str(exc), hint="name the variable that holds it in the rule (aval, anrlo, anrhi, base, bnrind)") from None
