"""``reference_date``: a DM reference date (RFSTDTC, RFXSTDTC, ...) defined once in study.yaml."""

from __future__ import annotations

import pandas as pd

from cdisc.rules import SDTM, Reference, rule
from cdisc.rules.records import SdtmRecords
from cdisc.rules.sdtm.iso8601 import convert
from cdisc.spec.models import RefDateName
from cdisc.spec.words import condition_words


def _no_references(name) -> list[Reference]:
    return []


def _method(name: str, variable: str, spec) -> str:
    definition = spec.reference_dates[name]
    sources = "; ".join(
        f"{s.table}.{s.date}" + (f" with time {s.time}" if s.time else "") + (f" where {condition_words(s.where)}" if s.where else "")
        for s in definition.sources
    )
    return f"{variable} is the {definition.pick} date per subject over: {sources}."


@rule(
    "reference_date", engines=SDTM, params=RefDateName, references=_no_references, method=_method,
    example="- {name: RFXSTDTC, label: Date/Time of First Study Treatment, type: datetime, origin: Derived, reference_date: RFXSTDTC}",
)
def reference_date(name: str, records) -> pd.Series:
    """The earliest/latest date per subject over the raw sources study.yaml lists under ``reference_dates``."""
    definition = records.study.spec.reference_dates[name]
    candidates = []
    for source in definition.sources:
        table = records.study.raw_frame(source.table)
        source_records = SdtmRecords(records.study, records.dataset, records.variable, table, {}, records.built)
        if source.where:
            source_records.frame = table[source_records.condition(source.where)]
        dates = convert(source, source_records)
        subjects = source_records.evaluate(records.study.spec.subjects.usubjid)
        candidates.append(pd.DataFrame({"USUBJID": subjects, "DTC": dates}).dropna())
    found = pd.concat(candidates, ignore_index=True).sort_values(["USUBJID", "DTC"], kind="mergesort")
    grouped = found.groupby("USUBJID")["DTC"]
    pick = grouped.first() if definition.pick == "earliest" else grouped.last()
    return records.out["USUBJID"].map(pick).astype("str")
