"""``study_day``: --DY of a --DTC variable against a DM reference date."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd

from cdisc.rules import SDTM, rule
from cdisc.sdtm.dates import date_part
from cdisc.sdtm.distinct import lookup
from cdisc.spec.base import ShorthandModel
from cdisc.spec.names import Name


class StudyDayRule(ShorthandModel):
    """--DY of a --DTC variable against a DM reference date (no day 0; none for partial dates)."""

    shorthand_field: ClassVar[str] = "of"
    variable_fields: ClassVar[tuple[str, ...]] = ("of",)
    of: Name
    reference: Literal["RFSTDTC", "RFXSTDTC"] = "RFSTDTC"


def _method(params: StudyDayRule, variable: str, spec) -> str:
    ref = f"DM.{params.reference}"
    return (
        f"{variable} is the date of {params.of} minus {ref}, plus 1 if {params.of} is on or after {ref} "
        "(there is no day 0). Missing when either date is incomplete."
    )


@rule(
    "study_day", engines=SDTM, params=StudyDayRule, method=_method, stage=1,
    example="- {name: AESTDY, label: Study Day of Start of Adverse Event, type: integer, origin: Derived, study_day: AESTDTC}",
)
def study_day(params: StudyDayRule, records) -> pd.Series:
    """Days from the subject's reference date (day 1) to the date of ``of``; no day 0; none if partial."""
    if params.reference in records.out:  # DM itself
        reference = date_part(records.out[params.reference])
    else:
        dm = records.built.get("DM")
        if dm is None or params.reference not in dm.columns:
            raise records.fail(f"study day needs DM.{params.reference}, which DM does not build")
        reference = date_part(lookup(records.out["USUBJID"], dm["USUBJID"], dm[params.reference]))
    event = date_part(records.out[params.of])
    days = (event - reference).dt.days
    return days.where(days < 0, days + 1).astype(float)
