"""``derive_param_confirmed_bor``: confirmed best overall response, one record per subject (admiralonco)."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from cdisc.adam.recist import derive_param_confirmed_bor as confirmed_best_response
from cdisc.rules import STEPS, rule
from cdisc.rules.steps.response_records import ResponseParams, datasets, references, response_records
from cdisc.rules.steps.values import describe
from cdisc.spec.words import condition_words


class DeriveParamConfirmedBor(ResponseParams):
    """Confirmed best overall response per subject of ``dataset_adsl`` from the overall responses meeting ``filter``
    (admiralonco's ``derive_param_confirmed_bor``): a CR counts when a later CR at least ``ref_confirm`` days on
    confirms it with only CR or NE between (at most ``max_nr_ne`` NE); a PR when a later CR or PR at least
    ``ref_confirm`` days on confirms it with only CR, PR, NE (at most ``max_nr_ne``) and, with ``accept_sd``, one SD
    between, and no PR after a CR. Other CR/PR/SD at least ``ref_start_window`` days after ``reference_date`` are SD,
    earlier ones NE. Best CR > PR > SD > NON-CR/NON-PD > PD > NE, ties to the earliest; no assessment: NE."""

    ref_start_window: int = Field(ge=0, description="Days after the reference date from which SD counts")
    ref_confirm: int = Field(28, ge=0, description="Days after a CR/PR from which a later response confirms it")
    max_nr_ne: int = Field(1, ge=0, description="NE assessments allowed between a response and its confirmation")
    accept_sd: bool = Field(False, description="One SD allowed between a PR and its confirmation")
    missing_as_ne: bool = Field(True, description="A subject without assessments is NE (else MISSING)")


def _method(params: DeriveParamConfirmedBor, dataset: str, spec) -> str:
    sd = "one SD allowed between" if params.accept_sd else "no SD between"
    return (
        f"Confirmed best overall response per subject of {params.dataset_adsl}, from the overall responses where "
        f"{condition_words(params.filter)}: a CR counts when a later CR at least {params.ref_confirm} days on confirms it with only CR or "
        f"NE between (at most {params.max_nr_ne} NE); a PR counts when a later CR or PR at least {params.ref_confirm} days "
        f"on confirms it with only CR, PR or NE between (at most {params.max_nr_ne} NE, {sd}, no PR after a CR). Other CR, "
        f"PR or SD assessments at least {params.ref_start_window} days after {params.reference_date} count as SD, earlier "
        "ones as NE. The best by CR > PR > SD > NON-CR/NON-PD > PD > NE, ties to the earliest; ADT the date of that "
        f"assessment; a subject without assessments is {'NE' if params.missing_as_ne else 'MISSING'}. AVAL 1 (CR) to 7; "
        f"{describe(params.set_values_to)}."
    )


@rule(
    "derive_param_confirmed_bor", engines=STEPS, params=DeriveParamConfirmedBor, references=references, method=_method,
    datasets=datasets,
    example="""
- derive_param_confirmed_bor:
    by_vars: [STUDYID, USUBJID]
    filter: 'PARAMCD == "OVR" and ANL01FL == "Y"'
    dataset_adsl: ADSL
    reference_date: TRTSDT
    ref_start_window: 35
    ref_confirm: 28
    max_nr_ne: 1
    accept_sd: false
    set_values_to: {PARAMCD: CBOR, PARAM: Best Confirmed Overall Response}
""",
)
def derive_param_confirmed_bor(params: DeriveParamConfirmedBor, records) -> pd.DataFrame:
    """The dataset's records and one confirmed best-overall-response record per subject."""
    return response_records(params, records, lambda ovr, adsl: confirmed_best_response(
        ovr, adsl, reference_date=params.reference_date, ref_start_window=params.ref_start_window,
        ref_confirm=params.ref_confirm, max_nr_ne=params.max_nr_ne, accept_sd=params.accept_sd,
        by_vars=params.by_vars, missing_as_ne=params.missing_as_ne))
