"""``derive_var_relative_flag``: flag the records up to the first one meeting a condition (admiral ``derive_var_relative_flag``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from cdisc.rules import STEPS, Reference, model_references, rule
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveVarRelativeFlag(SpecModel):
    """``new_var`` = Y on the records meeting ``filter`` that come, in ``order`` within their ``by_vars`` group, before
    the first record meeting ``condition`` (and on it, with ``inclusive``); in a group without such a record all are
    flagged (``flag_no_ref_groups``). Other records get no flag. Admiral's ``mode = "first", selection = "before"``:
    e.g. ANL01FL on the overall responses up to the first PD."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by_vars", "order")
    expression_fields: ClassVar[tuple[str, ...]] = ("condition", "filter")
    by_vars: list[Name] = Field(min_length=1)
    order: list[Name] = Field(min_length=1)
    new_var: Name
    condition: Expr = Field(description="The reference record (e.g. the first PD)")
    filter: Expr | None = Field(None, alias="filter_add", description="Only these records are considered and flagged")
    inclusive: bool = Field(True, description="Flag the reference record too")
    flag_no_ref_groups: bool = Field(True, description="Flag every record of a group without a reference record")


def _references(params: DeriveVarRelativeFlag) -> Iterator[Reference]:
    yield from model_references(params)


def _method(params: DeriveVarRelativeFlag, dataset: str, spec) -> str:
    where = f" among the records where {condition_words(params.filter)}" if params.filter else ""
    upto = "up to and including" if params.inclusive else "before"
    none = "all records of" if params.flag_no_ref_groups else "no record of"
    return (f"{params.new_var} = Y{where} {upto} the first record (by {', '.join(params.order)} within "
            f"{', '.join(params.by_vars)}) where {condition_words(params.condition)}; {none} a group without such a record.")


@rule(
    "derive_var_relative_flag", engines=STEPS, params=DeriveVarRelativeFlag, references=_references, method=_method,
    example="""
- derive_var_relative_flag:
    by_vars: [USUBJID, PARAMCD]
    order: [ADT]
    new_var: ANL01FL
    condition: 'AVALC == "PD"'
    filter: 'PARAMCD in ["OVR", "OVRDRV"] and (is_missing(NACTDT) or ADT <= NACTDT)'
""",
)
def derive_var_relative_flag(params: DeriveVarRelativeFlag, records) -> pd.DataFrame:
    """The records with ``new_var`` added."""
    frame = records.frame
    considered = np.ones(len(frame), bool) if params.filter is None else records.condition(params.filter).to_numpy(dtype=bool)
    hit = records.condition(params.condition).to_numpy(dtype=bool) & considered
    subset = frame.loc[considered, [*params.by_vars, *params.order]].assign(_hit=hit[considered].astype(int))
    subset = subset.sort_values([*params.by_vars, *params.order], kind="mergesort")
    groups = [subset[c] for c in params.by_vars]
    seen = subset["_hit"].groupby(groups, dropna=False, sort=False).cumsum()
    before = (seen - subset["_hit"] if params.inclusive else seen).eq(0)
    if not params.flag_no_ref_groups:
        before &= subset["_hit"].groupby(groups, dropna=False, sort=False).transform("max").gt(0)
    flag = pd.Series(None, index=frame.index, dtype="str")
    flag.loc[before.index[before.to_numpy()]] = "Y"
    return frame.assign(**{params.new_var: flag})
