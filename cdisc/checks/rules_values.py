"""Record-level rules: unique keys and --SEQ, ISO 8601, --DY against --DTC, controlled terminology, ASCII."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cdisc.checks.iso8601 import full_dates, invalid_datetimes, invalid_durations
from cdisc.checks.package import Submission
from cdisc.checks.registry import findings, rule
from cdisc.checks.rules_metadata import ig_variables

_DURATION_SUFFIXES = ("DUR", "ELTM", "EVLINT")


def _text(column: pd.Series) -> pd.Series:
    return column.astype("str").fillna("").str.rstrip()


@rule("KEY-UNIQUE", "Key variables do not identify records uniquely", "SDTMIG 3.4 §3.2.1.1 / define.xml KeySequence; P21 SD1201", "error")
def unique_keys(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        if not dataset.keys:
            continue
        dupes = dataset.frame[dataset.keys].duplicated(keep="first")
        if dupes.any():
            keys = ", ".join(dataset.keys)
            parts = [dataset.frame[k].astype("str").fillna("") for k in dataset.keys]
            values = parts[0].str.cat(parts[1:], sep=" | ")
            yield findings("KEY-UNIQUE", dataset.name, f"Another record has the same key ({keys})",
                           rows=np.flatnonzero(dupes.to_numpy()), variable=dataset.keys[-1], values=values)


@rule("SEQ-UNIQUE", "--SEQ not unique within a subject", "SDTM --SEQ definition (unique per subject within a domain); ADaMIG 1.3 ASEQ; P21 SD0005", "error")
def unique_seq(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        seq = "ASEQ" if dataset.model == "ADaM" else f"{dataset.domain}SEQ"
        if seq not in dataset.frame.columns or "USUBJID" not in dataset.frame.columns:
            continue
        dupes = dataset.frame[["USUBJID", seq]].duplicated(keep="first")
        if dupes.any():
            yield findings("SEQ-UNIQUE", dataset.name, f"{seq} repeats a value already used for this subject",
                           rows=np.flatnonzero(dupes.to_numpy()), variable=seq, values=dataset.frame[seq])


@rule("ISO8601", "Date/time or duration is not ISO 8601", "SDTMIG 3.4 §4.4.1-4.4.4 (ISO 8601 dates, durations); P21 SD0003", "error")
def iso8601(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        for variable in dataset.table.variables:
            name = variable.name
            if variable.type != "char" or not (name.endswith("DTC") or name.endswith(_DURATION_SUFFIXES)):
                continue
            column = dataset.frame[name]
            bad = invalid_datetimes(column) if name.endswith("DTC") else invalid_durations(column)
            if bad.any():
                kind = "an ISO 8601 date/time" if name.endswith("DTC") else "an ISO 8601 duration"
                yield findings("ISO8601", dataset.name, f"{name} is not {kind}",
                               rows=np.flatnonzero(bad.to_numpy()), variable=name, values=column)


@rule("DY-DTC", "--DY inconsistent with --DTC and DM.RFSTDTC",
      "SDTMIG 3.4 §4.4.4 (study day: DTC - RFSTDTC, +1 on or after); P21 SD1086, SD1090, SD1094", "error")
def study_days(submission: Submission) -> Iterator[pd.DataFrame]:
    dm = submission.find("DM")
    if dm is None or not {"USUBJID", "RFSTDTC"} <= set(dm.frame.columns):
        return
    reference = pd.Series(full_dates(dm.frame["RFSTDTC"]).to_numpy(), index=_text(dm.frame["USUBJID"])).groupby(level=0).first()
    for dataset in submission.model("SDTM"):
        frame = dataset.frame
        if "USUBJID" not in frame.columns:
            continue
        start = _text(frame["USUBJID"]).map(reference)
        for day in [c for c in frame.columns if c.endswith("DY") and c[:-2] + "DTC" in frame.columns]:
            when = full_dates(frame[day[:-2] + "DTC"])
            delta = (when - pd.to_datetime(start)).dt.days
            expected = delta + (delta >= 0)
            actual = pd.to_numeric(frame[day], errors="coerce")
            wrong = (actual.notna() & expected.notna() & (actual != expected)).to_numpy()
            if wrong.any():
                message = (f"{day} is " + actual.astype("Int64").astype("str") + "; " + day[:-2] + "DTC and DM.RFSTDTC give "
                           + expected.astype("Int64").astype("str"))
                yield findings("DY-DTC", dataset.name, message, rows=np.flatnonzero(wrong), variable=day, values=frame[day])


def _multiple_values(submission: Submission, dataset) -> set[str]:
    """Variables whose value may be MULTIPLE: SDTMIG 3.4's convention for a non-result qualifier with several values
    (AEACN with two study drugs), the values then in SUPP-- qualifiers named after the variable (AEACN1, AEACNB8)."""
    supp = submission.find(f"SUPP{dataset.name}")
    if supp is None or "QNAM" not in supp.frame.columns:
        return set()
    qnams = set(_text(supp.frame["QNAM"]))
    return {c for c in dataset.frame.columns if any(q.startswith(c) and q != c for q in qnams)}


@rule("CT", "Value not in a non-extensible CDISC codelist",
      "SDTMIG 3.4 §4.3 / FDA TCG (CDISC CT); CT 2025-03-28; P21 CT2001 (MULTIPLE accepted with per-value SUPP-- qualifiers, "
      "SDTMIG 3.4 multiple values for a qualifier)", "error")
def terminology(submission: Submission) -> Iterator[pd.DataFrame]:
    standards = submission.standards
    for dataset in submission.datasets:
        multiple = _multiple_values(submission, dataset)
        ig = ig_variables(submission, dataset)
        for variable, codes in zip(ig["variable"], ig["codelists"]):
            if variable not in dataset.frame.columns or not codes or not all(c in standards.closed_codelists for c in codes):
                continue
            allowed = frozenset().union(*(standards.closed_codelists[c] for c in codes))
            text = _text(dataset.frame[variable])
            bad = (text != "") & ~text.isin(allowed) & ~((text == "MULTIPLE") & (variable in multiple))
            if bad.any():
                names = " / ".join(f"{standards.codelist_names.get(c, c)} ({c})" for c in codes)
                yield findings("CT", dataset.name, f"{variable} value is not in the non-extensible codelist {names}",
                               rows=np.flatnonzero(bad.to_numpy()), variable=variable, values=dataset.frame[variable])


@rule("ASCII", "Non-ASCII or non-printable characters", "FDA Study Data Technical Conformance Guide (ASCII text in XPT); P21 SD1029", "error")
def ascii_text(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        for variable in dataset.table.variables:
            if variable.type != "char":
                continue
            text = dataset.frame[variable.name].fillna("").astype("str")
            bad = text.str.contains(r"[^\x20-\x7E]", regex=True).fillna(False).to_numpy()
            if bad.any():
                yield findings("ASCII", dataset.name, f"{variable.name} holds characters outside printable ASCII",
                               rows=np.flatnonzero(bad), variable=variable.name, values=text)


@rule("END-BEFORE-START", "End date before start date",
      "SDTMIG 3.4 §4.4 (--ENDTC on or after --STDTC); ADaMIG 1.3 (AENDT on or after ASTDT); P21 SD0013", "warning")
def end_before_start(submission: Submission) -> Iterator[pd.DataFrame]:
    """A record that ends before it starts: --ENDTC < --STDTC (complete dates) in SDTM, AENDT < ASTDT in ADaM."""
    for dataset in submission.datasets:
        frame = dataset.frame
        pairs = [(c, c[:-5] + "ENDTC") for c in frame.columns if c.endswith("STDTC") and c[:-5] + "ENDTC" in frame.columns]
        pairs += [("ASTDT", "AENDT")] if {"ASTDT", "AENDT"} <= set(frame.columns) else []
        for start, end in pairs:
            if start.endswith("DTC"):
                first, last = full_dates(frame[start]), full_dates(frame[end])
            else:
                first, last = pd.to_numeric(frame[start], errors="coerce"), pd.to_numeric(frame[end], errors="coerce")
            wrong = (first.notna() & last.notna() & (last < first)).to_numpy()
            if wrong.any():
                message = f"{end} is before {start} (" + _text(frame[end]) + " < " + _text(frame[start]) + ")"
                yield findings("END-BEFORE-START", dataset.name, message, rows=np.flatnonzero(wrong), variable=end, values=frame[end])
