"""``iso8601``: an ISO 8601 date/time from EDC date (and time) columns; partial dates kept as collected."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from cdisc.rules import SDTM, rule
from cdisc.sdtm.dates import InvalidDates, iso8601
from cdisc.spec.base import ShorthandModel
from cdisc.spec.models import CollectedDate


class Iso8601Rule(CollectedDate, ShorthandModel):
    """An ISO 8601 date/time from EDC date (and optional time) columns; partial dates kept as collected."""

    shorthand_field: ClassVar[str] = "date"
    raw_fields: ClassVar[tuple[str, ...]] = ("date", "time")


def _method(params: Iso8601Rule, variable: str, spec) -> str:
    time = f" and time {params.time}" if params.time else ""
    return f"ISO 8601 date/time from the collected date {params.date}{time}; unknown parts are left out, as collected."


def convert(params: CollectedDate, records) -> pd.Series:
    """ISO 8601 text from the date/time columns of ``params``; impossible dates are errors naming rows and subjects."""
    time = records.collected(params.time) if params.time else None
    try:
        return iso8601(records.collected(params.date), time, **params.options)
    except InvalidDates as exc:
        mask = np.zeros(len(records.frame), dtype=bool)
        mask[exc.rows] = True
        shown = "; ".join(f"{v!r}: {r}" for v, r in list(dict.fromkeys(zip(exc.values, exc.reasons)))[:5])
        columns = params.date + (f" + {params.time}" if params.time else "")
        error = records.fail(f"{len(exc.rows)} invalid date(s) in raw {columns} at {records.where(mask)}: {shown}")
        raise records.locate(error, mask, records.collected(params.date)) from None


@rule(
    "iso8601", engines=SDTM, params=Iso8601Rule, method=_method,
    example="""
- name: AESTDTC
  label: Start Date/Time of Adverse Event
  type: datetime
  origin: Collected
  iso8601: {date: AESTDAT, time: AESTTIM, format: DD-MON-YYYY}
""",
)
def to_iso8601(params: Iso8601Rule, records) -> pd.Series:
    """ISO 8601 text from EDC date/time columns in their declared form(s); impossible dates are errors."""
    return convert(params, records)
