"""``derive_param_clinical_benefit``: disease control (CB), one Y/N record per subject (admiralonco)."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from cdisc.adam.recist import derive_param_clinical_benefit as clinical_benefit
from cdisc.rules import STEPS, rule
from cdisc.rules.steps.response_records import ResponseParams, datasets, references, response_records
from cdisc.rules.steps.values import describe
from cdisc.spec.words import condition_words


class DeriveParamClinicalBenefit(ResponseParams):
    """Disease control per subject of ``dataset_adsl``: AVALC Y (AVAL 1) when the (``confirmed``) best overall
    response from the overall responses meeting ``filter`` is one of ``values`` (an SD only at least
    ``ref_start_window`` days after ``reference_date``), ADT the first qualifying assessment; else N (AVAL 0)."""

    ref_start_window: int = Field(ge=0, description="Days after the reference date from which SD counts")
    values: list[str] = Field(default_factory=lambda: ["CR", "PR", "SD"], description="Best responses that are disease control")
    confirmed: bool = Field(True, description="Only confirmed CR/PR count as CR/PR")
    ref_confirm: int = Field(28, ge=0, description="Days after a CR/PR from which a later response confirms it")
    max_nr_ne: int = Field(1, ge=0, description="NE assessments allowed between a response and its confirmation")
    accept_sd: bool = Field(False, description="One SD allowed between a PR and its confirmation")


def _method(params: DeriveParamClinicalBenefit, dataset: str, spec) -> str:
    return (f"Disease control per subject of {params.dataset_adsl}: AVALC = Y (AVAL 1) when the "
            f"{'confirmed ' if params.confirmed else ''}best overall response from the overall responses where {condition_words(params.filter)} "
            f"is one of {', '.join(params.values)} (SD at least {params.ref_start_window} days after {params.reference_date}), "
            f"with ADT the first qualifying assessment; else N (AVAL 0), no date; {describe(params.set_values_to)}.")


@rule(
    "derive_param_clinical_benefit", engines=STEPS, params=DeriveParamClinicalBenefit, references=references,
    method=_method, datasets=datasets,
    example="""
- derive_param_clinical_benefit:
    by_vars: [STUDYID, USUBJID]
    filter: 'PARAMCD == "OVR" and ANL01FL == "Y"'
    ref_start_window: 35
    values: [CR, PR, SD]
    set_values_to: {PARAMCD: CB, PARAM: Clinical Benefit (disease control)}
""",
)
def derive_param_clinical_benefit(params: DeriveParamClinicalBenefit, records) -> pd.DataFrame:
    """The dataset's records and one disease-control record per subject."""
    return response_records(params, records, lambda ovr, adsl: clinical_benefit(
        ovr, adsl, reference_date=params.reference_date, ref_start_window=params.ref_start_window,
        confirmed=params.confirmed, ref_confirm=params.ref_confirm, max_nr_ne=params.max_nr_ne,
        accept_sd=params.accept_sd, values=params.values, by_vars=params.by_vars), aval={"Y": 1, "N": 0})
