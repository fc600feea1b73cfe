"""``derive_param_bor``: best overall response without confirmation, one record per subject (admiralonco)."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from cdisc.adam.recist import derive_param_bor as best_response
from cdisc.rules import STEPS, rule
from cdisc.rules.steps.response_records import ResponseParams, datasets, references, response_records
from cdisc.rules.steps.values import describe
from cdisc.spec.words import condition_words


class DeriveParamBor(ResponseParams):
    """Best overall response (unconfirmed) per subject of ``dataset_adsl`` from the overall responses meeting
    ``filter``: CR, PR and PD as they are; SD (and NON-CR/NON-PD) only at least ``ref_start_window`` days after
    ``reference_date``, earlier ones NE; best CR > PR > SD > NON-CR/NON-PD > PD > NE, ties to the earliest date; a
    subject without assessments NE (``missing_as_ne``) or MISSING. ADT is the date of the assessment it comes from."""

    ref_start_window: int = Field(ge=0, description="Days after the reference date from which SD counts")
    missing_as_ne: bool = Field(True, description="A subject without assessments is NE (else MISSING)")


def _method(params: DeriveParamBor, dataset: str, spec) -> str:
    return (
        f"Best overall response (without confirmation) per subject of {params.dataset_adsl}, from the overall responses "
        f"where {condition_words(params.filter)}: CR, PR and PD count as they are; SD or NON-CR/NON-PD only when at least "
        f"{params.ref_start_window} days after {params.reference_date}, earlier ones count as NE. The best by CR > PR > SD > "
        "NON-CR/NON-PD > PD > NE, ties to the earliest; ADT the date of that assessment; a subject without assessments is "
        f"{'NE' if params.missing_as_ne else 'MISSING'}. AVAL 1 (CR) to 7 (MISSING); {describe(params.set_values_to)}."
    )


@rule(
    "derive_param_bor", engines=STEPS, params=DeriveParamBor, references=references, method=_method, datasets=datasets,
    example="""
- derive_param_bor:
    by_vars: [STUDYID, USUBJID]
    filter: 'PARAMCD == "OVR" and ANL01FL == "Y"'
    dataset_adsl: ADSL
    reference_date: TRTSDT
    ref_start_window: 35
    set_values_to: {PARAMCD: BOR, PARAM: Best Overall Response (unconfirmed)}
""",
)
def derive_param_bor(params: DeriveParamBor, records) -> pd.DataFrame:
    """The dataset's records and one best-overall-response record per subject."""
    return response_records(params, records, lambda ovr, adsl: best_response(
        ovr, adsl, reference_date=params.reference_date, ref_start_window=params.ref_start_window,
        by_vars=params.by_vars, missing_as_ne=params.missing_as_ne))
