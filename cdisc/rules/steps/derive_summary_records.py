"""``derive_summary_records``: one record summarising each group (admiral ``derive_summary_records``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import bds
from cdisc.rules import STEPS, Reference, model_references, rule
from cdisc.rules.steps.values import SummaryOrValue, callables, describe, mask, value_references
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveSummaryRecords(SpecModel):
    """A new record per ``by_vars`` group of the records meeting ``filter``: each ``{summary: ..., of: VAR}``
    value of ``set_values_to`` summarises the group (e.g. DTYPE = AVERAGE of a visit's time points). With
    ``dataset_add`` the groups are records of that dataset (built earlier), as admiral's ``dataset_add``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by_vars",)
    expression_fields: ClassVar[tuple[str, ...]] = ("filter",)
    by_vars: list[Name] = Field(min_length=1)
    set_values_to: dict[Name, SummaryOrValue]
    filter: Expr | None = Field(None, alias="filter_add", description="Only records meeting this condition are summarised")
    dataset_add: Name | None = Field(None, description="Summarise the records of this dataset instead of this one's")


def _references(params: DeriveSummaryRecords) -> Iterator[Reference]:
    if params.dataset_add is None:
        yield from model_references(params)
        yield from value_references(params.set_values_to)
        return
    yield from (Reference("other", ("by_vars", i), name) for i, name in enumerate(params.by_vars))
    if params.filter:
        yield Reference("other_expression", ("filter",), params.filter)
    for ref in value_references(params.set_values_to):
        yield Reference("other", ref.path, ref.text) if ref.kind == "variable" else ref


def _datasets(params: DeriveSummaryRecords) -> Iterator[tuple[tuple, str]]:
    if params.dataset_add is not None:
        yield ("dataset_add",), params.dataset_add


def _method(params: DeriveSummaryRecords, dataset: str, spec) -> str:
    where = f" among the records where {condition_words(params.filter)}" if params.filter else ""
    of = f" of {params.dataset_add}" if params.dataset_add else ""
    return f"A record per {', '.join(params.by_vars)}{of}{where}: {describe(params.set_values_to)}."


@rule(
    "derive_summary_records", engines=STEPS, params=DeriveSummaryRecords, references=_references, method=_method,
    datasets=_datasets,
    example="""
- derive_summary_records:
    by_vars: [STUDYID, USUBJID, PARAMCD, AVISITN, AVISIT, ADT]
    filter: 'not is_missing(ATPTN)'
    set_values_to: {AVAL: {summary: mean, of: AVAL}, DTYPE: AVERAGE}
""",
)
def derive_summary_records(params: DeriveSummaryRecords, records) -> pd.DataFrame:
    """A record per group summarising its records."""
    if params.dataset_add is None:
        return bds.derive_summary_records(records.frame, params.by_vars, callables(params.set_values_to, records), mask(records, params.filter))
    other = records.built[params.dataset_add]
    where = records.condition(params.filter, other, records.constants) if params.filter else None
    return bds.derive_summary_records(records.frame, params.by_vars, callables(params.set_values_to, records), where, other)
