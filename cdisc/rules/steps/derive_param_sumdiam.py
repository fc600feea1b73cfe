"""``derive_param_sumdiam``: the sum of target-lesion diameters per assessment, with its changes (ADTR)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from cdisc.adam.recist import derive_param_sumdiam as sum_diameters
from cdisc.adam.recist import derive_vars_sumdiam_change
from cdisc.rules import STEPS, Reference, model_references, rule
from cdisc.rules.steps.group_records import group_records
from cdisc.rules.steps.values import SetValues, callables, describe, value_references
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveParamSumdiam(SpecModel):
    """One record per ``by_vars`` group (subject) and ``visit_var`` from the target-lesion measurements (the records
    meeting ``filter``): AVAL the sum of the diameters ``value_var`` of the subject's target lesions (``lesion_var``),
    missing when one of them is not measured at the visit; ADT the visit's earliest date ``date``; ABLFL on the visit
    meeting ``baseline``; BASE, CHG, PCHG from it; NADIR the smallest earlier sum (baseline included) with CHGNAD and
    PCHGNAD (missing from a nadir of 0 mm); LSEXP / LSASS the lesions expected and assessed; TRCRFL Y when every target lesion is gone (``nodal``
    lesions below 10 mm). ``keep_source_vars`` are carried from the group's first record; then ``set_values_to``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by_vars", "visit_var", "date", "lesion_var", "value_var", "keep_source_vars")
    expression_fields: ClassVar[tuple[str, ...]] = ("filter", "nodal", "baseline")
    by_vars: list[Name] = Field(min_length=1, description="The subject (e.g. STUDYID, USUBJID)")
    visit_var: Name = Field("VISITNUM", description="The assessment (visit number)")
    date: Name = Field("ADT", description="The measurement date (numeric)")
    lesion_var: Name = Field("TRLNKID", description="The lesion identifier")
    value_var: Name = Field("TRSTRESN", description="The diameter in mm")
    filter: Expr = Field(alias="filter_add", description="The target-lesion diameter records")
    nodal: Expr = Field(description="Nodal lesions (short axis; gone below 10 mm)")
    baseline: Expr = Field(description="The baseline records")
    keep_source_vars: list[Name] = Field(default_factory=list, description="Variables carried from the visit's first record")
    set_values_to: SetValues = Field(default_factory=dict, description="Values of the new records (expressions over them)")

    @property
    def new_columns(self) -> list[str]:
        """Columns the step makes (besides ``set_values_to``)."""
        return ['AVAL', 'ADT', 'ABLFL', 'BASE', 'CHG', 'PCHG', 'NADIR', 'CHGNAD', 'PCHGNAD', 'LSEXP', 'LSASS', 'TRCRFL']


def _references(params: DeriveParamSumdiam) -> Iterator[Reference]:
    yield from model_references(params)
    yield from value_references(params.set_values_to)


def _method(params: DeriveParamSumdiam, dataset: str, spec) -> str:
    values = f"; {describe(params.set_values_to)}" if params.set_values_to else ""
    return (
        f"Per {', '.join(params.by_vars)} and {params.visit_var}, from the target-lesion measurements where {condition_words(params.filter)}: "
        f"AVAL the sum of {params.value_var} over the subject's target lesions ({params.lesion_var}; for nodal lesions, "
        f"where {condition_words(params.nodal)}, the short axis), missing when any of them was not measured at the visit; ADT the visit's "
        f"earliest {params.date}. The baseline visit (where {condition_words(params.baseline)}) gets ABLFL = Y; BASE is its sum; CHG = AVAL - BASE "
        "and PCHG = 100 x CHG / BASE after it; NADIR is the smallest earlier sum, the baseline included, with CHGNAD = "
        "AVAL - NADIR and PCHGNAD = 100 x CHGNAD / NADIR; TRCRFL = Y when every target lesion is gone (non-nodal 0 mm, "
        f"nodal < 10 mm){values}."
    )


@rule(
    "derive_param_sumdiam", engines=STEPS, params=DeriveParamSumdiam, references=_references, method=_method,
    example="""
- derive_param_sumdiam:
    by_vars: [STUDYID, USUBJID]
    visit_var: VISITNUM
    date: ADT
    filter: 'TRGRPID == "TARGET" and TRTESTCD in ["LDIAM", "LPERP"]'
    nodal: 'TRTESTCD == "LPERP"'
    baseline: 'TRLOBXFL == "Y"'
    keep_source_vars: [VISIT]
    set_values_to: {PARAMCD: SUMDIAM, PARAM: Sum of Diameter of Target Lesions (mm)}
""",
)
def derive_param_sumdiam(params: DeriveParamSumdiam, records) -> pd.DataFrame:
    """One record per subject and assessment: the sum of diameters and its changes from baseline and nadir."""
    frame = records.frame
    lesions = frame.loc[records.condition(params.filter).to_numpy(dtype=bool)]
    nodal = records.condition(params.nodal, lesions)
    sums = sum_diameters(lesions, by_vars=params.by_vars, visit_var=params.visit_var, date_var=params.date,
                         lesion_var=params.lesion_var, value_var=params.value_var, nodal=nodal)
    keys = [*params.by_vars, params.visit_var]
    base_visits = lesions.loc[records.condition(params.baseline, lesions).to_numpy(dtype=bool), keys].drop_duplicates()
    is_base = sums[keys].merge(base_visits.assign(_b=True), on=keys, how="left")["_b"].eq(True).fillna(False)
    new = derive_vars_sumdiam_change(sums, pd.Series(is_base.to_numpy(bool), index=sums.index), by_vars=params.by_vars,
                                     date_var=params.date)
    undefined = ["PCHG", "PCHGNAD"]  # a percent change from a sum of 0 mm is undefined (recist.py divides to inf)
    new[undefined] = new[undefined].where(np.isfinite(new[undefined].to_numpy(float)))
    if params.keep_source_vars:
        carried = lesions.groupby(keys, sort=False, dropna=False)[params.keep_source_vars].first().reset_index()
        new = new.merge(carried, on=keys, how="left")
    return group_records(lesions, keys, new, callables(params.set_values_to, records))
