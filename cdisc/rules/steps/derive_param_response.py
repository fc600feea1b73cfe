"""``derive_param_response``: objective response (RSP), one Y/N record per subject (admiralonco)."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from cdisc.adam.recist import derive_param_response as objective_response
from cdisc.rules import STEPS, rule
from cdisc.rules.steps.response_records import ResponseParams, datasets, references, response_records
from cdisc.rules.steps.values import describe
from cdisc.spec.words import condition_words


class DeriveParamResponse(ResponseParams):
    """Objective response per subject of ``dataset_adsl``: AVALC Y (AVAL 1) when the overall responses meeting
    ``filter`` include a CR or PR (``confirmed``: confirmed as in ``derive_param_confirmed_bor``), ADT the first such
    response (the start of the duration of response); else N (AVAL 0) without a date."""

    confirmed: bool = Field(True, description="Only confirmed responses count")
    ref_confirm: int = Field(28, ge=0, description="Days after a CR/PR from which a later response confirms it")
    max_nr_ne: int = Field(1, ge=0, description="NE assessments allowed between a response and its confirmation")
    accept_sd: bool = Field(False, description="One SD allowed between a PR and its confirmation")


def _method(params: DeriveParamResponse, dataset: str, spec) -> str:
    how = (f"a CR or PR confirmed by a later response at least {params.ref_confirm} days on (as the confirmed best overall "
           f"response, at most {params.max_nr_ne} NE between)") if params.confirmed else "a CR or PR"
    return (f"Objective response per subject of {params.dataset_adsl}: AVALC = Y (AVAL 1) when the overall responses where "
            f"{condition_words(params.filter)} include {how}, with ADT the date of the first such response; else N (AVAL 0), no date; "
            f"{describe(params.set_values_to)}.")


@rule(
    "derive_param_response", engines=STEPS, params=DeriveParamResponse, references=references, method=_method,
    datasets=datasets,
    example="""
- derive_param_response:
    by_vars: [STUDYID, USUBJID]
    filter: 'PARAMCD == "OVR" and ANL01FL == "Y"'
    confirmed: true
    ref_confirm: 28
    set_values_to: {PARAMCD: RSP, PARAM: Objective Response (confirmed CR or PR)}
""",
)
def derive_param_response(params: DeriveParamResponse, records) -> pd.DataFrame:
    """The dataset's records and one objective-response record per subject."""
    return response_records(params, records, lambda ovr, adsl: objective_response(
        ovr, adsl, confirmed=params.confirmed, reference_date=params.reference_date, ref_confirm=params.ref_confirm,
        max_nr_ne=params.max_nr_ne, accept_sd=params.accept_sd, by_vars=params.by_vars), aval={"Y": 1, "N": 0})
