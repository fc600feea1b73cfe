"""Time-to-event parameters (ADTTE) from event and censoring sources, as admiral's ``derive_param_tte``.

:func:`derive_param_tte` is the general rule: a list of :func:`event_source` and one of
:func:`censor_source`, each naming its records (a frame and a filter), its date and its descriptions.
:func:`derive_param_pfs`, :func:`derive_param_dor` and :func:`derive_param_os` declare the sources of
progression-free survival (with the censoring rules of the FDA guidance "Clinical Trial Endpoints for the
Approval of Cancer Drugs and Biologics", 2018, Table A), duration of response and overall survival.

Dates are numbers of days (SAS dates in ADaM). ``AVAL`` is in days (``ADT - STARTDT + 1``);
:func:`derive_var_aval_months` converts it to months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisc.adam.recist import filter_pd

__all__ = [
    "TTESource",
    "censor_source",
    "derive_param_dor",
    "derive_param_os",
    "derive_param_pfs",
    "derive_param_tte",
    "derive_var_aval_months",
    "event_source",
]

#: Days per month (365.25 / 12), as admiral's ``compute_duration(out_unit = "months")``.
DAYS_PER_MONTH = 30.4375
_TEXT = ("EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR")


@dataclass(frozen=True)
class TTESource:
    """Records that give an event (``censor`` 0) or a censoring (``censor`` > 0): ``dataset`` rows where
    ``filter`` (a boolean Series aligned to it, or None for all) holds, dated by column ``date``.
    ``set_values_to`` holds EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR; ``srcseq`` names the column giving SRCSEQ."""

    dataset: pd.DataFrame
    date: str
    censor: int = 0
    filter: pd.Series | None = None
    set_values_to: Mapping[str, str] = field(default_factory=dict)
    srcseq: str | None = None


def event_source(dataset: pd.DataFrame, date: str, *, filter: pd.Series | None = None,
                 set_values_to: Mapping[str, str] | None = None, srcseq: str | None = None) -> TTESource:
    """An event source (CNSR 0), as admiral's ``event_source()``."""
    return TTESource(dataset, date, 0, filter, dict(set_values_to or {}), srcseq)


def censor_source(dataset: pd.DataFrame, date: str, *, censor: int = 1, filter: pd.Series | None = None,
                  set_values_to: Mapping[str, str] | None = None, srcseq: str | None = None) -> TTESource:
    """A censoring source (CNSR ``censor``, 1 by default), as admiral's ``censor_source()``."""
    if censor < 1:
        raise ValueError("a censoring source needs censor >= 1")
    return TTESource(dataset, date, censor, filter, dict(set_values_to or {}), srcseq)


def _source_records(k: int, source: TTESource, adsl: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The source's first event / last censoring per subject of ``adsl`` (ties to the first / last record),
    with dates after the subject's end date ``_END`` dropped."""
    frame = source.dataset
    keep = np.ones(len(frame), bool) if source.filter is None else source.filter.reindex(frame.index).fillna(False).to_numpy(bool)
    rows = frame.loc[keep, by].assign(ADT=frame.loc[keep, source.date].astype(float).to_numpy(),
                                      SRCSEQ=frame.loc[keep, source.srcseq].astype(float).to_numpy() if source.srcseq else np.nan)
    rows = rows.merge(adsl[[*by, "_END"]], on=by, how="inner")
    rows = rows[rows["ADT"].notna().to_numpy() & ~(rows["ADT"].to_numpy(float) > rows["_END"].to_numpy(float))]
    rows = rows.assign(_pos=np.arange(len(rows)))
    first = source.censor == 0
    rows = rows.sort_values(["ADT", "_pos"], ascending=[first, first], kind="mergesort").drop_duplicates(by)
    return rows.drop(columns=["_END", "_pos"]).assign(CNSR=source.censor, _k=k, **{c: source.set_values_to.get(c) for c in _TEXT})


def derive_param_tte(
    dataset_adsl: pd.DataFrame,
    *,
    start_date: str,
    event_conditions: Sequence[TTESource],
    censor_conditions: Sequence[TTESource],
    end_dates: Sequence[str] = (),
    by_vars: Sequence[str] = ("USUBJID",),
    set_values_to: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """One time-to-event record per ADSL subject that has an event or a censoring.

    Per source the first event (last censoring) by date; across sources the earliest event wins (ties to
    the source listed first) and an event always beats a censoring; without events the latest censoring
    (ties to the source listed last, as admiral's ``mode = "last"``). Records dated after any of the subject's ``end_dates`` (ADSL columns, e.g.
    data cutoff or start of new anticancer therapy) are not used; only subjects of ``dataset_adsl`` are
    kept. ``ADT`` is at least ``STARTDT`` (the ADSL column ``start_date``); ``AVAL = ADT - STARTDT + 1`` days.
    Returns ``by_vars``, ``set_values_to``, STARTDT, ADT, AVAL, CNSR, EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR, SRCSEQ.

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRTSDT": [0, 0, 0], "DTHDT": [50, np.nan, np.nan],
        ...                      "LSTALVDT": [np.nan, 80, np.nan]})
        >>> tte = derive_param_tte(adsl, start_date="TRTSDT",
        ...     event_conditions=[event_source(adsl, "DTHDT", set_values_to={"EVNTDESC": "DEATH"})],
        ...     censor_conditions=[censor_source(adsl, "LSTALVDT", set_values_to={"CNSDTDSC": "LAST KNOWN ALIVE"})])
        >>> tte[["USUBJID", "ADT", "AVAL", "CNSR"]].values.tolist()
        [['1', 50.0, 51.0, 0], ['2', 80.0, 81.0, 1]]
    """
    by = list(by_vars)
    adsl = dataset_adsl[by].assign(
        STARTDT=dataset_adsl[start_date].astype(float).to_numpy(),
        _END=dataset_adsl[list(end_dates)].astype(float).min(axis=1).to_numpy() if end_dates else np.nan)
    sources = [*event_conditions, *censor_conditions]
    parts = [_source_records(k, s, adsl, by) for k, s in enumerate(sources)]
    columns = [*by, "ADT", "SRCSEQ", "CNSR", "_k", *_TEXT]
    records = pd.concat([p[columns] for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else pd.DataFrame(columns=columns)
    is_event = records["CNSR"].to_numpy(float) == 0
    adt, k = records["ADT"].to_numpy(float), records["_k"].to_numpy(float)
    records = records.assign(_e=~is_event, _t=np.where(is_event, adt, -adt), _o=np.where(is_event, k, -k))
    chosen = records.sort_values(["_e", "_t", "_o"], kind="mergesort").drop_duplicates(by)
    out = adsl[[*by, "STARTDT"]].merge(chosen[[*by, "ADT", "SRCSEQ", "CNSR", *_TEXT]], on=by, how="inner")
    out["ADT"] = np.fmax(out["ADT"].to_numpy(float), out["STARTDT"].to_numpy(float))
    out["AVAL"] = out["ADT"] - out["STARTDT"] + 1
    out["CNSR"] = out["CNSR"].astype(int)
    for name, value in (set_values_to or {}).items():
        out.insert(len(by), name, value)
    for c in _TEXT:
        out[c] = out[c].astype("str")
    return out[[*by, *(set_values_to or {}), "STARTDT", "ADT", "AVAL", "CNSR", *_TEXT, "SRCSEQ"]].reset_index(drop=True)


def derive_var_aval_months(aval_days: pd.Series) -> pd.Series:
    """Days to months (``days / 30.4375``), for ``AVAL`` of a time-to-event parameter in months.

        >>> derive_var_aval_months(pd.Series([30.4375, 365.25])).tolist()
        [1.0, 12.0]
    """
    return aval_days.astype(float) / DAYS_PER_MONTH


def _last_adequate_before(events: pd.DataFrame, adequate: pd.DataFrame, by: list[str], strictly: bool) -> np.ndarray:
    """For each event row (``by``, ``ADT``) the date of the subject's last adequate assessment before it
    (on or before it unless ``strictly``), NaN when there is none."""
    left = events[[*by, "ADT"]].assign(_row=np.arange(len(events))).sort_values("ADT", kind="mergesort")
    right = adequate[[*by, "ADT"]].rename(columns={"ADT": "_L"}).sort_values("_L", kind="mergesort")
    if len(left) == 0:
        return np.zeros(0)
    left["ADT"] = left["ADT"].astype(float)
    right["_L"] = right["_L"].astype(float)
    joined = pd.merge_asof(left, right, left_on="ADT", right_on="_L", by=by, allow_exact_matches=not strictly)
    return joined.sort_values("_row")["_L"].to_numpy(float)


def derive_param_pfs(
    dataset_adsl: pd.DataFrame,
    ovr: pd.DataFrame,
    *,
    start_date: str = "TRTSDT",
    death_date: str = "DTHDT",
    end_dates: Sequence[str] = ("NACTDT",),
    assessment_interval: int,
    missed_assessments: int = 2,
    assessment_window: int = 0,
    adequate: Sequence[str] = ("CR", "PR", "SD", "NON-CR/NON-PD"),
    by_vars: Sequence[str] = ("USUBJID",),
    srcdom: str = "ADRS",
    srcseq: str | None = None,
    set_values_to: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Progression-free survival: PD (the first PD in ``ovr``) or death, with the FDA guidance's censoring.

    ``ovr`` holds the post-baseline overall responses (``ADT``, ``AVALC``). Events: the first PD; death
    (``death_date`` in ADSL). Censored: at the last adequate assessment (an overall response in
    ``adequate``, i.e. not NE/ND); at ``start_date`` when there is none; assessments and events after
    ``end_dates`` (new anticancer therapy) are not used, so such subjects are censored at the last adequate
    assessment before it; a PD or death more than ``missed_assessments`` x ``assessment_interval`` +
    ``assessment_window`` days after the last adequate assessment before it (or the start date) follows two
    or more missed assessments and is censored at that assessment.

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRTSDT": [0, 0, 0], "DTHDT": [np.nan, 300, np.nan],
        ...                      "NACTDT": [np.nan, np.nan, 100]})
        >>> ovr = pd.DataFrame({"USUBJID": ["1", "1", "2", "3", "3"], "ADT": [42, 84, 42, 42, 126],
        ...                     "AVALC": ["SD", "PD", "SD", "SD", "PD"]})
        >>> derive_param_pfs(adsl, ovr, assessment_interval=42)[["USUBJID", "ADT", "CNSR"]].values.tolist()
        [['1', 84.0, 0], ['2', 42.0, 1], ['3', 42.0, 1]]
    """
    by = list(by_vars)
    used = filter_pd(ovr, dataset_adsl, end_dates=end_dates, by_vars=by)
    is_adequate = used["AVALC"].isin(list(adequate)).to_numpy()
    start = dataset_adsl[[*by, start_date]].rename(columns={start_date: "_S"})
    gap = missed_assessments * assessment_interval + assessment_window

    def in_time(events: pd.DataFrame, strictly: bool) -> pd.Series:
        last = _last_adequate_before(events, used[is_adequate], by, strictly)
        since = np.fmax(last, events[by].merge(start, on=by, how="left")["_S"].to_numpy(float))
        return pd.Series(~(events["ADT"].to_numpy(float) - since > gap), index=events.index)

    progression = used[used["AVALC"].eq("PD").to_numpy()]
    deaths = dataset_adsl[[*by, death_date]].rename(columns={death_date: "ADT"})
    deaths = deaths[deaths["ADT"].notna().to_numpy()]
    return derive_param_tte(
        dataset_adsl, start_date=start_date, end_dates=end_dates, by_vars=by, set_values_to=set_values_to,
        event_conditions=[
            event_source(progression, "ADT", filter=in_time(progression, strictly=True), srcseq=srcseq,
                         set_values_to={"EVNTDESC": "DISEASE PROGRESSION", "SRCDOM": srcdom, "SRCVAR": "ADT"}),
            event_source(deaths, "ADT", filter=in_time(deaths, strictly=False),
                         set_values_to={"EVNTDESC": "DEATH", "SRCDOM": "ADSL", "SRCVAR": death_date}),
        ],
        censor_conditions=[  # the latest wins; on the same date the one listed last
            censor_source(dataset_adsl, start_date,
                          set_values_to={"EVNTDESC": "NO ADEQUATE POST-BASELINE ASSESSMENT", "CNSDTDSC": "START OF TREATMENT",
                                         "SRCDOM": "ADSL", "SRCVAR": start_date}),
            censor_source(used, "ADT", filter=pd.Series(is_adequate, index=used.index), srcseq=srcseq,
                          set_values_to={"EVNTDESC": "LAST ADEQUATE TUMOR ASSESSMENT", "CNSDTDSC": "LAST ADEQUATE TUMOR ASSESSMENT",
                                         "SRCDOM": srcdom, "SRCVAR": "ADT"}),
        ],
    )


def derive_param_dor(
    dataset_adsl: pd.DataFrame,
    ovr: pd.DataFrame,
    response: pd.DataFrame,
    **pfs_args,
) -> pd.DataFrame:
    """Duration of response: for responders only (``response`` ``AVALC`` Y, its ``ADT`` the first
    response), from the first response to PD or death, with the censoring rules of :func:`derive_param_pfs`
    (``pfs_args`` as there; ``start_date`` is the response date).

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRTSDT": [0, 0], "DTHDT": [np.nan, np.nan], "NACTDT": [np.nan, np.nan]})
        >>> ovr = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "ADT": [42, 84, 126, 42], "AVALC": ["PR", "PR", "PD", "SD"]})
        >>> rsp = pd.DataFrame({"USUBJID": ["1", "2"], "AVALC": ["Y", "N"], "ADT": [42, np.nan]})
        >>> derive_param_dor(adsl, ovr, rsp, assessment_interval=42)[["USUBJID", "STARTDT", "ADT", "AVAL", "CNSR"]].values.tolist()
        [['1', 42.0, 126.0, 85.0, 0]]
    """
    by = list(pfs_args.get("by_vars", ("USUBJID",)))
    responders = response.loc[response["AVALC"].eq("Y").to_numpy(), [*by, "ADT"]].rename(columns={"ADT": "_RSPDT"})
    adsl = dataset_adsl.merge(responders, on=by, how="inner")
    return derive_param_pfs(adsl, ovr, **{**pfs_args, "start_date": "_RSPDT"})


def derive_param_os(
    dataset_adsl: pd.DataFrame,
    *,
    start_date: str = "TRTSDT",
    death_date: str = "DTHDT",
    last_alive_date: str = "LSTALVDT",
    by_vars: Sequence[str] = ("USUBJID",),
    set_values_to: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Overall survival: death (event) or censored at the date last known alive.

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRTSDT": [0, 0], "DTHDT": [99, np.nan], "LSTALVDT": [90, 200]})
        >>> derive_param_os(adsl)[["ADT", "CNSR", "EVNTDESC"]].values.tolist()
        [[99.0, 0, 'DEATH'], [200.0, 1, 'LAST KNOWN ALIVE']]
    """
    return derive_param_tte(
        dataset_adsl, start_date=start_date, by_vars=by_vars, set_values_to=set_values_to,
        event_conditions=[event_source(dataset_adsl, death_date,
                                       set_values_to={"EVNTDESC": "DEATH", "SRCDOM": "ADSL", "SRCVAR": death_date})],
        censor_conditions=[censor_source(dataset_adsl, last_alive_date,
                                         set_values_to={"EVNTDESC": "LAST KNOWN ALIVE", "CNSDTDSC": "LAST KNOWN ALIVE DATE",
                                                        "SRCDOM": "ADSL", "SRCVAR": last_alive_date})],
    )
