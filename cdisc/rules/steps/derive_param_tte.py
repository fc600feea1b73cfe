"""``derive_param_tte``: a time-to-event parameter from event and censoring sources declared in the spec (admiral)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from pydantic import Field

from cdisc.adam.tte import _last_adequate_before, censor_source, event_source
from cdisc.adam.tte import derive_param_tte as time_to_event
from cdisc.rules import STEPS, Reference, rule
from cdisc.rules.steps.group_records import group_records
from cdisc.rules.steps.values import SetValues, callables, describe, value_references
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words

SOURCE_RECORD, SOURCE_DATASET = "@record", "@dataset"  # lineage columns (cdisc.adam.engine; importing it here is circular)


class TteSource(SpecModel):
    """Records of ``dataset`` (built earlier) meeting ``filter``, dated by its variable ``date``, with the descriptions
    they give the time-to-event record (EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR) and ``srcseq`` the variable giving SRCSEQ."""

    dataset: Name
    filter: Expr | None = None
    date: Name
    censor: int = Field(1, ge=1, description="CNSR of a censoring (ignored for events)")
    srcseq: Name | None = None
    set_values_to: dict[Name, str] = Field(default_factory=dict, description="EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR")


class MissedAssessments(SpecModel):
    """FDA guidance: an event more than ``count`` x ``interval`` + ``window`` days after the last adequate assessment
    before it (the records of ``dataset`` meeting ``filter``, dated ``date``; or the start date) follows missed
    assessments and is not used (the subject is censored at that assessment by the censoring sources)."""

    dataset: Name
    filter: Expr
    date: Name = "ADT"
    interval: int = Field(gt=0, description="Days between planned assessments")
    count: int = Field(2, ge=1, description="Missed assessments")
    window: int = Field(0, ge=0, description="Days of the assessment window")


class DeriveParamTte(SpecModel):
    """One record per subject of ``dataset_adsl`` (those meeting ``subject_filter``) with an event or a censoring: per
    source the first event / last censoring by date; across sources the earliest event wins (ties to the source listed
    first) and an event always beats a censoring; without one the latest censoring (ties to the source listed last).
    Records after any of the subject's ``end_dates`` are not used. STARTDT = ``start_date``; ADT at least STARTDT;
    AVAL = ADT - STARTDT + 1 days; CNSR, EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR, SRCSEQ; then ``set_values_to``."""

    by_vars: list[Name] = Field(min_length=1, description="The subject (e.g. STUDYID, USUBJID)")
    dataset_adsl: Name = Field("ADSL", description="One record per subject: the subjects, start and end dates")
    subject_filter: Expr | None = Field(None, description="Only the subjects of dataset_adsl meeting this (e.g. responders)")
    start_date: Name = Field(description="The start of the time to event (a date of dataset_adsl)")
    end_dates: list[Name] = Field(default_factory=list, description="Dates of dataset_adsl after which records are not used")
    event_sources: list[TteSource] = Field(min_length=1)
    censor_sources: list[TteSource] = Field(default_factory=list)
    missed_assessments: MissedAssessments | None = None
    set_values_to: SetValues = Field(default_factory=dict, description="Values of the new records (expressions over them)")

    @property
    def new_columns(self) -> list[str]:
        """Columns the step makes (besides ``set_values_to``)."""
        return ['STARTDT', 'ADT', 'AVAL', 'CNSR', 'EVNTDESC', 'CNSDTDSC', 'SRCDOM', 'SRCVAR', 'SRCSEQ']


def _references(params: DeriveParamTte) -> Iterator[Reference]:
    yield from value_references(params.set_values_to)


def _datasets(params: DeriveParamTte) -> Iterator[tuple[tuple, str]]:
    yield ("dataset_adsl",), params.dataset_adsl
    for field in ("event_sources", "censor_sources"):
        for i, source in enumerate(getattr(params, field)):
            yield (field, i, "dataset"), source.dataset
    if params.missed_assessments:
        yield ("missed_assessments", "dataset"), params.missed_assessments.dataset


def _source_text(source: TteSource) -> str:
    where = f" where {condition_words(source.filter)}" if source.filter else ""
    text = source.set_values_to.get("EVNTDESC") or source.set_values_to.get("CNSDTDSC") or ""
    return f"{source.dataset}.{source.date}{where}" + (f" ({text})" if text else "")


def _method(params: DeriveParamTte, dataset: str, spec) -> str:
    who = f" where {condition_words(params.subject_filter)}" if params.subject_filter else ""
    ends = f"; records after {', '.join(params.end_dates)} are not used" if params.end_dates else ""
    missed = params.missed_assessments
    fda = (f"; an event more than {missed.count} x {missed.interval} + {missed.window} days after the last adequate "
           f"assessment before it ({missed.dataset} where {condition_words(missed.filter)}) or the start date follows missed assessments "
           "and is not used") if missed else ""
    censored = "; ".join(_source_text(s) for s in params.censor_sources) or "none"
    return (
        f"Per subject of {params.dataset_adsl}{who}, from {params.start_date} (STARTDT): the event is the earliest of "
        f"{'; '.join(_source_text(s) for s in params.event_sources)} (CNSR = 0); without one, censored (CNSR >= 1) at the "
        f"latest of {censored}{ends}{fda}. ADT = the event or censoring date (not before STARTDT), AVAL = ADT - STARTDT + 1 "
        f"days, EVNTDESC/CNSDTDSC and SRCDOM/SRCVAR/SRCSEQ from the source; {describe(params.set_values_to)}."
    )


@rule(
    "derive_param_tte", engines=STEPS, params=DeriveParamTte, references=_references, method=_method, datasets=_datasets,
    example="""
- derive_param_tte:
    by_vars: [STUDYID, USUBJID]
    dataset_adsl: ADSL
    start_date: TRTSDT
    end_dates: [NACTDT]
    event_sources:
      - {dataset: ADRS, filter: 'PARAMCD == "OVR" and ANL01FL == "Y" and AVALC == "PD"', date: ADT, srcseq: ASEQ,
         set_values_to: {EVNTDESC: DISEASE PROGRESSION, SRCDOM: ADRS, SRCVAR: ADT}}
      - {dataset: ADSL, filter: 'DTHFL == "Y"', date: DTHDT, set_values_to: {EVNTDESC: DEATH, SRCDOM: ADSL, SRCVAR: DTHDT}}
    censor_sources:
      - {dataset: ADSL, date: TRTSDT, set_values_to: {EVNTDESC: NO ADEQUATE ASSESSMENT, CNSDTDSC: FIRST DOSE, SRCDOM: ADSL, SRCVAR: TRTSDT}}
      - {dataset: ADRS, filter: 'PARAMCD == "OVR" and ANL01FL == "Y" and AVALC in ["CR", "PR", "SD", "NON-CR/NON-PD"]',
         date: ADT, srcseq: ASEQ, set_values_to: {EVNTDESC: LAST ADEQUATE ASSESSMENT, CNSDTDSC: LAST ADEQUATE ASSESSMENT, SRCDOM: ADRS, SRCVAR: ADT}}
    missed_assessments: {dataset: ADRS, filter: 'PARAMCD == "OVR" and ANL01FL == "Y" and AVALC != "NE"', interval: 42, count: 2, window: 7}
    set_values_to: {PARAMCD: PFS, PARAM: Progression-Free Survival (days)}
""",
)
def derive_param_tte(params: DeriveParamTte, records) -> pd.DataFrame:
    """The dataset's records and one time-to-event record per subject with an event or a censoring."""
    by = params.by_vars
    adsl = records.built[params.dataset_adsl]
    adsl = adsl.assign(**{SOURCE_RECORD: np.arange(len(adsl)), SOURCE_DATASET: params.dataset_adsl})
    if params.subject_filter:
        adsl = adsl.loc[records.condition(params.subject_filter, adsl, records.constants).to_numpy(dtype=bool)]
    adsl = adsl.reset_index(drop=True)

    def rows(source: TteSource) -> pd.DataFrame:
        frame = records.built[source.dataset]
        keep = records.condition(source.filter, frame, records.constants) if source.filter else None
        return frame if keep is None else frame.loc[keep.to_numpy(dtype=bool)]

    missed = params.missed_assessments
    in_time = _in_time(missed, params, adsl, records) if missed else (lambda frame, date: None)
    events = []
    for source in params.event_sources:
        frame = rows(source)
        events.append(event_source(frame, source.date, filter=in_time(frame, source.date), srcseq=source.srcseq,
                                   set_values_to=source.set_values_to))
    censors = [censor_source(rows(s), s.date, censor=s.censor, srcseq=s.srcseq, set_values_to=s.set_values_to)
               for s in params.censor_sources]
    new = time_to_event(adsl, start_date=params.start_date, event_conditions=events, censor_conditions=censors,
                        end_dates=params.end_dates, by_vars=by)
    new = new.merge(adsl[[*by, SOURCE_RECORD, SOURCE_DATASET]], on=by, how="left")
    added = group_records(new, by, new, callables(params.set_values_to, records))
    return pd.concat([records.frame, added], ignore_index=True)


def _in_time(missed: MissedAssessments, params: DeriveParamTte, adsl: pd.DataFrame, records):
    """A function giving, for an event source's records, whether each is within the allowed gap after the subject's
    last adequate assessment on or before it (or the start date)."""
    by = params.by_vars
    frame = records.built[missed.dataset]
    adequate = frame.loc[records.condition(missed.filter, frame, records.constants).to_numpy(dtype=bool)]
    adequate = adequate[by].assign(ADT=adequate[missed.date].astype(float).to_numpy())
    start = adsl[[*by, params.start_date]].rename(columns={params.start_date: "_S"})
    gap = missed.count * missed.interval + missed.window

    def within(events: pd.DataFrame, date: str) -> pd.Series:
        dated = events[by].assign(ADT=events[date].astype(float).to_numpy())
        dated = dated[dated["ADT"].notna().to_numpy()]  # undated records are no events anyway
        last = _last_adequate_before(dated, adequate, by, strictly=False)
        since = np.fmax(last, dated[by].merge(start, on=by, how="left")["_S"].to_numpy(float))
        ok = pd.Series(~(dated["ADT"].to_numpy(float) - since > gap), index=dated.index)
        return ok.reindex(events.index, fill_value=False)

    return within
