"""``epoch``: EPOCH of the subject's element (SE) in which a date falls."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from cdisc.rules import SDTM, rule
from cdisc.sdtm.dates import date_part
from cdisc.spec.base import ShorthandModel
from cdisc.spec.names import Name
from cdisc.textparts import extract_groups


class EpochRule(ShorthandModel):
    """EPOCH of the subject's element (SE) in which the date of ``of`` falls; none for partial dates."""

    shorthand_field: ClassVar[str] = "of"
    variable_fields: ClassVar[tuple[str, ...]] = ("of",)
    of: Name


def _moments(dtc: pd.Series, day_end: bool) -> tuple[np.ndarray, np.ndarray]:
    """The complete date (as :func:`~cdisc.sdtm.dates.date_part`) and the moment of ISO 8601 date/times: with its clock
    time when it has one (``2023-03-27T09:04``, before a first dose at 11:04), else the start of the day, or its end
    with ``day_end`` (a date alone is on or after any time that day). Each distinct value is read once.

    >>> [pd.Series(m).astype(str).tolist() for m in _moments(pd.Series(["2023-03-27T09:04", "2023-03-27", "2023-03"]), day_end=True)]
    [['2023-03-27', '2023-03-27', nan], ['2023-03-27 09:04:00', '2023-03-27 23:59:59', nan]]
    """
    codes, distinct = pd.factorize(dtc.astype("str"))
    text = pd.concat([pd.Series(distinct, dtype="str"), pd.Series([None], dtype="str")], ignore_index=True)  # the last: missing
    parts = extract_groups(text, r"^(?P<date>\d{4}-\d{2}-\d{2})(?:T(?P<H>\d{2}):(?P<M>\d{2}))?")
    date = pd.to_datetime(parts["date"], format="%Y-%m-%d", errors="coerce")
    seconds = parts["H"].astype("float") * 3600 + parts["M"].astype("float") * 60
    moment = date + pd.to_timedelta(seconds.fillna(86399.0 if day_end else 0.0).to_numpy(), unit="s")
    rows = np.where(codes < 0, len(distinct), codes)
    return date.to_numpy()[rows], moment.to_numpy()[rows]


@rule(
    "epoch", engines=SDTM, params=EpochRule, stage=1,
    method=lambda params, variable, spec: (
        f"EPOCH of the subject's element in SE whose period contains the date of {params.of}; missing for incomplete dates."
    ),
    example="- {name: EPOCH, label: Epoch, type: text, codelist: EPOCH, origin: Derived, epoch: AESTDTC}",
)
def epoch(params: EpochRule, records) -> pd.Series:
    """The EPOCH of the SE element whose start is the latest on or before the record's moment (times compared when
    both have one: a pre-dose sample on the first dose day is in the element before treatment), if within it."""
    se = records.built.get("SE")
    if se is None or not {"SESTDTC", "SEENDTC", "EPOCH"} <= set(se.columns):
        raise records.fail("EPOCH needs an SE dataset with SESTDTC, SEENDTC and EPOCH")
    date, instant = _moments(records.out[params.of], day_end=True)
    dated = pd.DataFrame({"USUBJID": records.out["USUBJID"], "date": date, "instant": instant, "at": records.index}, index=records.out["USUBJID"].index)
    dated = dated.dropna(subset=["date", "USUBJID"]).sort_values("instant", kind="mergesort")
    elements = pd.DataFrame(
        {"USUBJID": se["USUBJID"], "start": pd.Series(_moments(se["SESTDTC"], day_end=False)[1], index=se.index),
         "end": date_part(se["SEENDTC"]), "EPOCH": se["EPOCH"]}
    ).dropna(subset=["start"]).sort_values("start", kind="mergesort")
    found = pd.merge_asof(dated, elements, left_on="instant", right_on="start", by="USUBJID", direction="backward")
    inside = found["end"].isna() | (found["date"] <= found["end"])
    result = pd.Series(np.nan, index=records.index, dtype="str")
    result[found.loc[inside, "at"].to_numpy()] = found.loc[inside, "EPOCH"].to_numpy()
    return result
