"""``epoch``: EPOCH of the subject's element (SE) in which a date falls."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from cdisc.rules import SDTM, rule
from cdisc.sdtm.dates import date_part
from cdisc.spec.base import ShorthandModel
from cdisc.spec.names import Name


class EpochRule(ShorthandModel):
    """EPOCH of the subject's element (SE) in which the date of ``of`` falls; none for partial dates."""

    shorthand_field: ClassVar[str] = "of"
    variable_fields: ClassVar[tuple[str, ...]] = ("of",)
    of: Name


@rule(
    "epoch", engines=SDTM, params=EpochRule, stage=1,
    method=lambda params, variable, spec: (
        f"EPOCH of the subject's element in SE whose period contains the date of {params.of}; missing for incomplete dates."
    ),
    example="- {name: EPOCH, label: Epoch, type: text, codelist: EPOCH, origin: Derived, epoch: AESTDTC}",
)
def epoch(params: EpochRule, records) -> pd.Series:
    """The EPOCH of the SE element whose start is the latest on or before the date, if the date is within it."""
    se = records.built.get("SE")
    if se is None or not {"SESTDTC", "SEENDTC", "EPOCH"} <= set(se.columns):
        raise records.fail("EPOCH needs an SE dataset with SESTDTC, SEENDTC and EPOCH")
    dated = pd.DataFrame({"USUBJID": records.out["USUBJID"], "date": date_part(records.out[params.of]), "at": records.index})
    dated = dated.dropna(subset=["date", "USUBJID"]).sort_values("date", kind="mergesort")
    elements = pd.DataFrame(
        {"USUBJID": se["USUBJID"], "start": date_part(se["SESTDTC"]), "end": date_part(se["SEENDTC"]), "EPOCH": se["EPOCH"]}
    ).dropna(subset=["start"]).sort_values("start", kind="mergesort")
    found = pd.merge_asof(dated, elements, left_on="date", right_on="start", by="USUBJID", direction="backward")
    inside = found["end"].isna() | (found["date"] <= found["end"])
    result = pd.Series(np.nan, index=records.index, dtype="str")
    result[found.loc[inside, "at"].to_numpy()] = found.loc[inside, "EPOCH"].to_numpy()
    return result
