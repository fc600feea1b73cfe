"""``reference_date``: a DM reference date (RFSTDTC, RFXSTDTC, ...) defined once in study.yaml."""

from __future__ import annotations

import pandas as pd

from cdisc.rules import SDTM, Reference, rule
from cdisc.rules.records import SdtmRecords
from cdisc.rules.sdtm.iso8601 import convert
from cdisc.sdtm.distinct import lookup
from cdisc.spec.models import RefDateName, RefDateSource
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
    pick = "min" if definition.pick == "earliest" else "max"  # the first or last date in text order (ISO 8601)
    spans = [
        records.once(("reference_date", source.model_dump_json()), (records.study.raw_frame(source.table),),
                     lambda source=source: _span(source, records))
        for source in definition.sources
    ]
    found = pd.concat([span[pick] for span in spans]).groupby(level=0).agg(pick)
    return lookup(records.out["USUBJID"], found.index.to_series(), found).astype("str")


def _span(source: RefDateSource, records) -> pd.DataFrame:
    """The earliest and latest date of each subject in one raw source (made once per source for all reference dates)."""
    table = records.study.raw_frame(source.table)
    source_records = SdtmRecords(records.study, records.dataset, records.variable, table, {}, records.built)
    if source.where:
        source_records.frame = table[source_records.condition(source.where)]
    dates = convert(source, source_records)
    subjects = source_records.evaluate(records.study.spec.subjects.usubjid)
    return pd.DataFrame({"USUBJID": subjects, "DTC": dates}).dropna().groupby("USUBJID")["DTC"].agg(["min", "max"])
