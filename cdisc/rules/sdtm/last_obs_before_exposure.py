"""``last_obs_before_exposure``: --LOBXFL, the last observation before exposure."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from cdisc.arrowtext import coded_text
from cdisc.rules import SDTM, rule
from cdisc.sdtm.dates import date_part
from cdisc.sdtm.distinct import lookup, on_distinct
from cdisc.sdtm.keys import group_order
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class LastObsRule(SpecModel):
    """--LOBXFL: "Y" on the last record per ``by`` group with a result, dated on or before the reference date.

    Records dated the same day are ordered by ``order_by`` (default: the dataset keys), so exactly one
    record per group is flagged. A date without time on the reference day counts as on or before it.
    """

    variable_fields: ClassVar[tuple[str, ...]] = ("by", "dtc", "result", "order_by")
    by: list[Name] = Field(min_length=1, description="Variables of a group, e.g. [USUBJID, VSTESTCD]")
    dtc: Name = Field(description="The record's date/time variable, e.g. VSDTC")
    result: Name = Field(description="Only records where this variable has a value count, e.g. VSORRES")
    reference: Literal["RFXSTDTC", "RFSTDTC"] = "RFXSTDTC"
    order_by: list[Name] | None = Field(None, description="Tie-break among records of the same date/time")


def _method(params: LastObsRule, variable: str, spec) -> str:
    return (
        f'"Y" on the last record of each {", ".join(params.by)} with a value of {params.result} whose {params.dtc} '
        f"is on or before DM.{params.reference} (a date without a time on that day counts as before)."
    )


def on_or_before(dtc: pd.Series, reference: pd.Series) -> pd.Series:
    """Complete dates on or before the reference; the time decides only when both have one."""
    day, ref_day = date_part(dtc), date_part(reference)
    timed = dtc.str.len().gt(10) & reference.str.len().gt(10)
    moment, ref_moment = (  # each distinct date/time parsed once
        on_distinct(text.where(timed), lambda t: pd.to_datetime(t, format="ISO8601", errors="coerce")) for text in (dtc, reference)
    )
    same_day = day.eq(ref_day) & (~timed | moment.le(ref_moment))
    return (day.lt(ref_day) | same_day).fillna(False).astype(bool)


@rule(
    "last_obs_before_exposure", engines=SDTM, params=LastObsRule, method=_method, stage=3,
    example="""
- name: VSLOBXFL
  label: Last Observation Before Exposure Flag
  type: text
  codelist: NY
  origin: Derived
  last_obs_before_exposure: {by: [USUBJID, VSTESTCD], dtc: VSDTC, result: VSORRES}
""",
)
def last_obs_before_exposure(params: LastObsRule, records) -> pd.Series:
    """"Y" on the last record per group with a result on or before the subject's reference date."""
    dm = records.built.get("DM")
    if dm is None or params.reference not in dm.columns:
        raise records.fail(f"the baseline flag needs DM.{params.reference}, which DM does not build")
    reference = lookup(records.out["USUBJID"], dm["USUBJID"], dm[params.reference])
    dtc = records.column(params.dtc).astype("str")
    result = records.column(params.result)
    has_result = result.notna() & result.astype("str").str.strip().ne("")
    candidates = on_or_before(dtc, reference.astype("str")) & has_result
    order = [v for v in (params.order_by or records.keys) if v in records.out and v not in (*params.by, params.dtc)]
    frame = pd.DataFrame({n: records.out[n] for n in dict.fromkeys([*params.by, *order])})
    frame["_dtc"] = dtc
    frame = frame[candidates.to_numpy()]
    positions, starts = group_order(frame, params.by, ["_dtc", *order])
    last = positions[np.append(starts[1:], True)] if len(positions) else positions  # the last of each group
    flagged = np.full(len(records.index), -1)
    flagged[np.flatnonzero(candidates.to_numpy())[last]] = 0
    return coded_text(flagged, ["Y"]).set_axis(records.index)
