"""What the best-overall-response steps share: their parameters and the records they add (one per ADSL subject)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from cdisc.rules import Reference, model_references
from cdisc.rules.steps.group_records import group_records
from cdisc.rules.steps.values import SetValues, callables, value_references
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name

SOURCE_RECORD, SOURCE_DATASET = "@record", "@dataset"  # lineage columns (cdisc.adam.engine; importing it here is circular)


class ResponseParams(SpecModel):
    """Common parameters: the overall responses to use (the records meeting ``filter``, dated ``date``, response
    ``value``), the subjects (``dataset_adsl``) and the reference date there, and the new records' values."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by_vars", "date", "value")
    expression_fields: ClassVar[tuple[str, ...]] = ("filter",)
    by_vars: list[Name] = Field(min_length=1, description="The subject (e.g. STUDYID, USUBJID)")
    filter: Expr = Field(alias="source_filter", description="The overall responses to use (e.g. up to the first PD)")
    date: Name = Field("ADT", description="The assessment date (numeric)")
    value: Name = Field("AVALC", description="The overall response")
    dataset_adsl: Name = Field("ADSL", description="One record per subject: every subject gets a record")
    reference_date: Name = Field("TRTSDT", description="The date the SD window counts from (ADSL)")
    set_values_to: SetValues = Field(default_factory=dict, description="Values of the new records (expressions over them)")

    @property
    def new_columns(self) -> list[str]:
        """Columns the step makes (besides ``set_values_to``)."""
        return ['AVALC', 'AVAL', 'ADT']


def references(params: ResponseParams) -> Iterator[Reference]:
    yield from model_references(params)
    yield from value_references(params.set_values_to)


def datasets(params: ResponseParams) -> Iterator[tuple[tuple, str]]:
    yield ("dataset_adsl",), params.dataset_adsl


def response_records(params: ResponseParams, records, derive: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame],
                     aval: dict[str, float] | None = None) -> pd.DataFrame:
    """The dataset's records and ``derive(ovr, adsl)``'s records (one per subject: AVALC, ADT[, AVAL]) added with
    ``set_values_to``; each new record's lineage is the subject's first overall response used, else its ADSL record.
    ``aval`` maps AVALC to AVAL (Y/N flags)."""
    by = params.by_vars
    frame = records.frame
    used = frame.loc[records.condition(params.filter).to_numpy(dtype=bool)]
    ovr = used[[*by, SOURCE_RECORD, SOURCE_DATASET]].assign(ADT=used[params.date].astype(float).to_numpy(),
                                                              AVALC=used[params.value].to_numpy())
    adsl = records.built[params.dataset_adsl]
    adsl = adsl[[*by, params.reference_date]].assign(**{SOURCE_RECORD: np.arange(len(adsl)), SOURCE_DATASET: params.dataset_adsl})
    new = derive(ovr.drop(columns=[SOURCE_RECORD, SOURCE_DATASET]), adsl).rename(columns={"ADT": params.date, "AVALC": params.value})
    if aval is not None:
        new["AVAL"] = new[params.value].map(aval).astype(float)
    first = ovr.sort_values("ADT", kind="mergesort").drop_duplicates(by)[[*by, SOURCE_RECORD, SOURCE_DATASET]]
    lineage = adsl[by].merge(first, on=by, how="left")
    own = adsl[[SOURCE_RECORD, SOURCE_DATASET]].reset_index(drop=True)
    lineage[SOURCE_RECORD] = lineage[SOURCE_RECORD].fillna(own[SOURCE_RECORD]).astype(int)
    lineage[SOURCE_DATASET] = lineage[SOURCE_DATASET].astype(object).where(lineage[SOURCE_DATASET].notna(), own[SOURCE_DATASET])
    new = new.merge(lineage, on=by, how="left")
    added = group_records(new, by, new, callables(params.set_values_to, records))
    return pd.concat([frame, added], ignore_index=True)
