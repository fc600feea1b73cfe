"""``derive_extreme_records``: the first/last record of each group, copied as a new record (admiral ``derive_extreme_records``)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from cdisc.adam import bds
from cdisc.rules import STEPS, Reference, model_references, rule
from cdisc.rules.steps.values import SetValues, callables, describe, mask, value_references
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveExtremeRecords(SpecModel):
    """The first or last (``mode``) record of each ``by_vars`` group meeting ``filter``, in ``order``
    (``descending`` variables high to low; missing values last), copied with ``set_values_to``:
    last value on treatment (DTYPE = LOV), end of treatment, worst grade. Records tied on the by
    variables and the order are an error unless ``ties: first_in_input``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by_vars", "order", "descending")
    expression_fields: ClassVar[tuple[str, ...]] = ("filter",)
    by_vars: list[Name] = Field(min_length=1)
    order: list[Name] = Field(min_length=1)
    descending: list[Name] = Field(default_factory=list)
    mode: Literal["first", "last"]
    filter: Expr | None = Field(None, alias="filter_add")
    set_values_to: SetValues
    ties: Literal["error", "first_in_input"] = Field(
        "error", description="What records tied on by_vars and order are: an error, or resolved by input order"
    )


def _references(params: DeriveExtremeRecords) -> Iterator[Reference]:
    yield from model_references(params)
    yield from value_references(params.set_values_to)


def _method(params: DeriveExtremeRecords, dataset: str, spec) -> str:
    order = ", ".join(f"{n} (descending)" if n in params.descending else n for n in params.order)
    where = f" among the records where {condition_words(params.filter)}" if params.filter else ""
    return f"The {params.mode} record of each {', '.join(params.by_vars)} ordered by {order}{where}, copied with {describe(params.set_values_to)}."


@rule(
    "derive_extreme_records", engines=STEPS, params=DeriveExtremeRecords, references=_references, method=_method,
    example="""
- derive_extreme_records:
    by_vars: [STUDYID, USUBJID, PARAMCD]
    order: [ADT, AVISITN, ATPTN]
    mode: last
    filter: 'ONTRTFL == "Y" and is_missing(DTYPE)'
    set_values_to: {AVISIT: End of Treatment, AVISITN: 99, DTYPE: LOV}
""",
)
def derive_extreme_records(params: DeriveExtremeRecords, records) -> pd.DataFrame:
    """The first/last record of each group, copied as a new record with the given values."""
    check = "error" if params.ties == "error" else "none"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return bds.derive_extreme_records(
            records.frame, params.by_vars, params.order, params.mode, callables(params.set_values_to, records),
            filter=mask(records, params.filter), descending=params.descending, check_type=check,
        )
