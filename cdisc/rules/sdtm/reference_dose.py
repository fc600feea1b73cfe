"""``reference_dose``: --RFTDTC, the start of the dose a time point refers to."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from cdisc.arrowtext import plain_text
from cdisc.rules import SDTM, rule
from cdisc.sdtm.keys import first_in_group
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class ReferenceDoseRule(SpecModel):
    """--RFTDTC: the start of the dose a time point refers to, from a dataset built earlier (EX).

    The dose is the one nearest to the record's date/time minus its nominal hours (so a pre-dose sample
    refers to the dose that follows it); with no nominal hours, the latest dose on or before the record.
    With ``match``/``match_dose``, only the doses whose ``match_dose`` equals the record's ``match`` count
    (each analyte refers to its own drug). With ``undated_by``, a record without a date/time (not done)
    refers to the latest dose at or before its visit (that visit-number variable in both datasets).
    """

    variable_fields: ClassVar[tuple[str, ...]] = ("of", "nominal_hours", "undated_by")
    expression_fields: ClassVar[tuple[str, ...]] = ("match",)
    other_fields: ClassVar[tuple[str, ...]] = ("undated_by",)
    other_expression_fields: ClassVar[tuple[str, ...]] = ("match_dose",)
    dataset: Name = Field(description="Dataset holding the doses, e.g. EX")
    dtc: Name = Field(description="Its dose start variable, e.g. EXSTDTC")
    where: Expr | None = Field(None, description="Only doses meeting this condition (over the dose dataset)")
    of: Name = Field(description="This dataset's date/time variable, e.g. PCDTC")
    nominal_hours: Name | None = Field(None, description="This dataset's nominal hours after the dose, e.g. PCTPTNUM")
    match: Expr | None = Field(None, description="Over this dataset: the value a dose must have in match_dose, e.g. the analyte's drug")
    match_dose: Expr | None = Field(None, description="Over the dose dataset: the value compared with match, e.g. EXTRT")
    undated_by: Name | None = Field(
        None, description="Visit number in both datasets: records without a date/time take the latest dose at or before their visit"
    )


def _method(params: ReferenceDoseRule, variable: str, spec) -> str:
    doses = f"{params.dataset}.{params.dtc}" + (f" (doses where {condition_words(params.where)})" if params.where else "")
    if params.match:
        doses += f" (doses whose {params.match_dose} equals the record's {params.match})"
    undated = f" A record without {params.of} takes the latest dose at or before its {params.undated_by}." if params.undated_by else ""
    if params.nominal_hours:
        return f"{variable} is the start {doses} of the dose nearest to {params.of} minus its nominal time {params.nominal_hours} (hours).{undated}"
    return f"{variable} is the start {doses} of the latest dose on or before {params.of}.{undated}"


@rule(
    "reference_dose", engines=SDTM, params=ReferenceDoseRule, method=_method, stage=1,
    example="""
- name: PCRFTDTC
  label: Date/Time of Reference Time Point
  type: datetime
  origin: Derived
  reference_dose: {dataset: EX, dtc: EXSTDTC, of: PCDTC, nominal_hours: PCTPTNUM}
""",
)
def reference_dose(params: ReferenceDoseRule, records) -> pd.Series:
    """The start of the dose nearest the record's time minus its nominal hours (or the last dose before it)."""
    doses = records.built.get(params.dataset)
    if doses is None or params.dtc not in doses.columns:
        raise records.fail(f"reference dose needs {params.dataset}.{params.dtc}, which is not built")
    if params.where:
        doses = doses[records.condition(params.where, doses, {"STUDYID": records.study.spec.study.id})]
    if (params.match is None) != (params.match_dose is None):
        raise records.fail("reference dose: match and match_dose go together")
    scope = {"STUDYID": records.study.spec.study.id}
    pairs = [(doses["USUBJID"], records.column("USUBJID"))]
    if params.match:
        pairs.append((records.evaluate(params.match_dose, doses, scope), records.evaluate(params.match)))
    dose_group, record_group = _groups(pairs)
    dose = pd.DataFrame({"group": dose_group, "row": np.arange(len(doses))})
    if params.undated_by:
        dose["visit"] = doses[params.undated_by].astype(float).to_numpy()
    dtc = plain_text(doses[params.dtc]).astype("str")
    dose["when"] = pd.to_datetime(dtc, format="ISO8601", errors="coerce").astype("datetime64[ns]").to_numpy()
    dose = dose[(dose_group >= 0) & dose["when"].notna().to_numpy()].sort_values("when", kind="mergesort")
    moment = pd.to_datetime(records.column(params.of).astype("str"), format="ISO8601", errors="coerce")
    hours = records.out[params.nominal_hours].astype(float) if params.nominal_hours else 0.0
    target = (moment - pd.to_timedelta(hours, unit="h")).astype("datetime64[ns]").to_numpy()
    at = np.arange(len(record_group))
    dated = pd.DataFrame({"group": record_group, "when": target, "at": at})[(record_group >= 0) & ~np.isnat(target)]
    found = pd.merge_asof(dated.sort_values("when", kind="mergesort"), dose.drop(columns="visit", errors="ignore"), on="when",
                          by="group", direction="nearest" if params.nominal_hours else "backward")
    row = np.full(len(at), -1)
    row[found["at"].to_numpy()] = found["row"].fillna(-1).to_numpy(np.int64)
    if params.undated_by:
        visit = records.out[params.undated_by].astype(float).to_numpy()
        undated = pd.DataFrame({"group": record_group, "visit": visit, "at": at})[(record_group >= 0) & np.isnat(target) & ~np.isnan(visit)]
        by_visit = dose.dropna(subset=["visit"]).sort_values("visit", kind="mergesort")
        found = pd.merge_asof(undated.sort_values("visit", kind="mergesort"), by_visit[["group", "visit", "row"]], on="visit",
                              by="group", direction="backward")
        row[found["at"].to_numpy()] = found["row"].fillna(-1).to_numpy(np.int64)
    return pd.Series(dtc.array.take(row, allow_fill=True), index=records.index, copy=False)


def _groups(pairs: list[tuple[pd.Series, pd.Series]]) -> tuple[np.ndarray, np.ndarray]:
    """Each dose's and each record's group: the same integer where the values of every (dose's, record's) pair of
    columns are equal (as text); -1 where a value is missing.

    >>> [g.tolist() for g in _groups([(pd.Series(["A", "B", None]), pd.Series(["B", "C"]))])]
    [[0, 1, -1], [1, 4]]
    """
    both = pd.concat([pd.DataFrame({i: plain_text(pair[side]).astype("str").reset_index(drop=True) for i, pair in enumerate(pairs)})
                      for side in (0, 1)], ignore_index=True)
    group = np.where(both.isna().any(axis=1).to_numpy(), -1, first_in_group(both, list(both.columns)))
    return group[: len(pairs[0][0])], group[len(pairs[0][0]):]
