"""``derive_param_computed``: a new parameter computed from other parameters (admiral ``derive_param_computed``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import bds
from cdisc.rules import STEPS, Reference, model_references, rule
from cdisc.rules.steps.values import SetValues, callables, describe, mask, value_references
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveParamComputed(SpecModel):
    """A record per ``by_vars`` group holding every one of ``parameters``, for a new parameter.

    The group's values are laid out wide as ``AVAL.<PARAMCD>`` (e.g. ``AVAL.SYSBP``), which the
    ``set_values_to`` expressions read. ``constant_parameters`` (e.g. HEIGHT) are taken once per
    ``constant_by_vars`` group (e.g. the subject) and joined on. A group missing a value gets no
    record (admiral ``keep_nas = FALSE``).
    """

    variable_fields: ClassVar[tuple[str, ...]] = ("by_vars", "constant_by_vars")
    expression_fields: ClassVar[tuple[str, ...]] = ("filter",)
    by_vars: list[Name] = Field(min_length=1)
    parameters: list[str] = Field(min_length=1, description="PARAMCD values the new parameter is computed from")
    set_values_to: SetValues = Field(description="PARAMCD and the other values of the new records; AVAL usually an expression")
    constant_parameters: list[str] = Field(default_factory=list)
    constant_by_vars: list[Name] = Field(default_factory=list)
    filter: Expr | None = Field(None, description="Only records meeting this condition are used (admiral filter)")
    keep_nas: bool = Field(False, description="Also make a record when a value is missing")


def _references(params: DeriveParamComputed) -> Iterator[Reference]:
    yield from model_references(params)
    yield from value_references(params.set_values_to)


def _method(params: DeriveParamComputed, dataset: str, spec) -> str:
    constant = f", with {', '.join(params.constant_parameters)} taken once per {', '.join(params.constant_by_vars)}" if params.constant_parameters else ""
    where = f" (records where {condition_words(params.filter)})" if params.filter else ""
    return (
        f"A record per {', '.join(params.by_vars)} with values of {', '.join(params.parameters)}{where}{constant}: "
        f"{describe(params.set_values_to)}."
    )


@rule(
    "derive_param_computed", engines=STEPS, params=DeriveParamComputed, references=_references, method=_method,
    example="""
- derive_param_computed:
    by_vars: [STUDYID, USUBJID, AVISIT, AVISITN, ADT]
    parameters: [WEIGHT]
    constant_parameters: [HEIGHT]
    constant_by_vars: [USUBJID]
    set_values_to:
      PARAMCD: BMI
      PARAM: Body Mass Index (kg/m^2)
      AVAL: {expr: "AVAL.WEIGHT / (AVAL.HEIGHT / 100) ** 2"}
""",
)
def derive_param_computed(params: DeriveParamComputed, records) -> pd.DataFrame:
    """Records of a new parameter computed from other parameters of the same by-group."""
    return bds.derive_param_computed(
        records.frame, params.by_vars, params.parameters, callables(params.set_values_to, records),
        constant_by_vars=params.constant_by_vars or None, constant_parameters=params.constant_parameters or None,
        keep_nas=params.keep_nas, filter=mask(records, params.filter),
    )
