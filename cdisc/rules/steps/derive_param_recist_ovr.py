"""``derive_param_recist_ovr``: RECIST 1.1 overall response per assessment derived from the tumour measurements (TR)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from pydantic import Field

from cdisc.adam.recist import derive_recist_response
from cdisc.rules import STEPS, Reference, rule
from cdisc.rules.steps.group_records import group_records
from cdisc.rules.steps.values import SetValues, callables, describe, value_references
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words

SOURCE_RECORD, SOURCE_DATASET = "@record", "@dataset"  # lineage columns (cdisc.adam.engine; importing it here is circular)


class DeriveParamRecistOvr(SpecModel):
    """A record per subject (``by_vars``) and post-baseline assessment (``visit_var``) of ``dataset_add`` (SDTM TR):
    AVALC the overall response RECIST 1.1 gives from the measurements (target response from the sum of diameters
    against baseline and nadir, non-target response, new lesions, and the overall-response table), with TRGRESP,
    NTRGRESP, NEWLIND, the sum (SUMDIAM) and ADT (``date``, an expression over TR: the visit's earliest date).
    ``baseline`` selects the baseline records of TR; ``keep_source_vars`` are carried from the visit's first TR
    record; the records are added to the dataset's, then ``set_values_to``. TR holds target lesions (TRGRPID TARGET,
    LDIAM or, nodal, LPERP), non-target lesions (NON-TARGET, TUMSTATE) and new lesions (NEW, TUMSTATE PRESENT)."""

    by_vars: list[Name] = Field(min_length=1, description="The subject (e.g. STUDYID, USUBJID)")
    dataset_add: Name = Field("TR", description="The tumour results dataset")
    visit_var: Name = Field("VISITNUM", description="The assessment (visit number of TR)")
    filter: Expr | None = Field(None, alias="filter_add", description="Only these TR records (e.g. one evaluator's)")
    date: Expr = Field("sas_date(TRDTC)", description="The measurement date as a number (an expression over TR)")
    baseline: Expr = Field(description="The baseline records of TR")
    keep_source_vars: list[Name] = Field(default_factory=list, description="TR variables carried from the visit's first record")
    set_values_to: SetValues = Field(default_factory=dict, description="Values of the new records (expressions over them)")

    @property
    def new_columns(self) -> list[str]:
        """Columns the step makes (besides ``set_values_to``)."""
        return ['AVALC', 'ADT', 'TRGRESP', 'NTRGRESP', 'NEWLIND', 'SUMDIAM']


def _references(params: DeriveParamRecistOvr) -> Iterator[Reference]:
    yield from (Reference("other", ("by_vars", i), n) for i, n in enumerate(params.by_vars))
    yield Reference("other_expression", ("baseline",), params.baseline)
    if params.filter:
        yield Reference("other_expression", ("filter",), params.filter)
    yield from value_references(params.set_values_to)


def _datasets(params: DeriveParamRecistOvr) -> Iterator[tuple[tuple, str]]:
    yield ("dataset_add",), params.dataset_add


def _method(params: DeriveParamRecistOvr, dataset: str, spec) -> str:
    values = f"; {describe(params.set_values_to)}" if params.set_values_to else ""
    where = f" (the records where {condition_words(params.filter)})" if params.filter else ""
    return (
        f"RECIST 1.1 overall response derived from {params.dataset_add}{where} per {', '.join(params.by_vars)} and post-baseline "
        f"{params.visit_var} (baseline: the records where {condition_words(params.baseline)}). Target response: NE when a target lesion is "
        "not measured; CR when every non-nodal target lesion is 0 mm and every nodal one < 10 mm (short axis); PD when the "
        "sum of diameters is >= 20% and >= 5 mm above the nadir (the smallest earlier sum, baseline included); PR when it "
        "is >= 30% below the baseline sum; SD otherwise. Non-target response: PD when a lesion shows unequivocal "
        "progression, NE when one is not assessed, CR when all are absent, else NON-CR/NON-PD. New lesion: a NEW lesion "
        "present. Overall response by RECIST 1.1 Table 1 (Table 2 without target lesions): PD when any component is PD or "
        "a new lesion appears; CR when target CR and non-target CR or none; PR when target CR or PR otherwise; SD when "
        f"target SD; NE when target NE. ADT is the assessment's earliest measurement date ({params.date}){values}."
    )


@rule(
    "derive_param_recist_ovr", engines=STEPS, params=DeriveParamRecistOvr, references=_references, method=_method,
    datasets=_datasets,
    example="""
- derive_param_recist_ovr:
    by_vars: [STUDYID, USUBJID]
    dataset_add: TR
    visit_var: VISITNUM
    date: sas_date(TRDTC)
    baseline: 'TRLOBXFL == "Y"'
    keep_source_vars: [VISIT]
    set_values_to: {PARAMCD: OVRDRV, PARAM: Overall Response by RECIST 1.1 (Derived), RSEVAL: DERIVED}
""",
)
def derive_param_recist_ovr(params: DeriveParamRecistOvr, records) -> pd.DataFrame:
    """The dataset's records and one derived overall-response record per subject and post-baseline assessment."""
    tr = records.built[params.dataset_add]
    tr = tr.assign(**{SOURCE_RECORD: np.arange(len(tr))})
    if params.filter:
        tr = tr.loc[records.condition(params.filter, tr, records.constants).to_numpy(dtype=bool)]
    tr = tr.assign(ADT=records.evaluate(params.date, tr, records.constants).astype(float).to_numpy(),
                   **{SOURCE_DATASET: params.dataset_add})
    baseline = records.condition(params.baseline, tr, records.constants)
    derived = derive_recist_response(tr, baseline, by_vars=params.by_vars, visit_var=params.visit_var, date_var="ADT")
    derived = derived[derived["OVRLRESP"].notna().to_numpy()].rename(columns={"AVAL": "SUMDIAM", "OVRLRESP": "AVALC"})
    keys = [*params.by_vars, params.visit_var]
    new = derived[[*keys, "ADT", "AVALC", "TRGRESP", "NTRGRESP", "NEWLIND", "SUMDIAM"]]
    if params.keep_source_vars:
        new = new.merge(tr.groupby(keys, sort=False)[params.keep_source_vars].first().reset_index(), on=keys, how="left")
    added = group_records(tr.loc[:, [*keys, SOURCE_RECORD, SOURCE_DATASET]], keys, new.reset_index(drop=True),
                          callables(params.set_values_to, records))
    return pd.concat([records.frame, added[[c for c in added.columns if c in records.frame.columns or c in new.columns
                                            or c in params.set_values_to or c.startswith("@")]]], ignore_index=True)
