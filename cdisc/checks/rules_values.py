"""Record-level rules: unique keys and --SEQ, ISO 8601, --DY against --DTC, controlled terminology, ASCII."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from cdisc.checks.iso8601 import column_dates, date_pool, invalid_datetimes, invalid_durations
from cdisc.checks.package import Dataset, Pool, Submission, member
from cdisc.checks.registry import findings, rule
from cdisc.checks.rules_metadata import ig_variables
from cdisc.checks.rules_terms import codelist_parts

_DURATION_SUFFIXES = ("DUR", "ELTM", "EVLINT")


@rule("KEY-UNIQUE", "Key variables do not identify records uniquely", "SDTMIG 3.4 §3.2.1.1 / define.xml KeySequence; P21 SD1201", "error")
def unique_keys(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        if not dataset.keys:
            continue
        dupes = _repeated([_codes(dataset, k) for k in dataset.keys])
        if dupes.any():
            keys = ", ".join(dataset.keys)
            parts = [dataset.column(k).astype("str").fillna("") for k in dataset.keys]
            values = parts[0].str.cat(parts[1:], sep=" | ")
            yield findings("KEY-UNIQUE", dataset.name, f"Another record has the same key ({keys})",
                           rows=np.flatnonzero(dupes), variable=dataset.keys[-1], values=values)


def _repeated(codes: list[np.ndarray]) -> np.ndarray:
    """True on records whose combination of codes (one array per key variable) an earlier record has too:
    ``DataFrame(codes).duplicated(keep="first")``, the codes combined into one integer first.

    >>> _repeated([np.array([0, 1, 0, 0]), np.array([5, 5, 5, -1])]).tolist()
    [False, False, True, False]
    """
    key = np.zeros(len(codes[0]), np.int64)
    for column in codes:
        shifted = column.astype(np.int64) + 1  # (a missing value's -1 becomes 0)
        span = int(shifted.max(initial=0)) + 1
        if int(key.max(initial=0)) >= np.iinfo(np.int64).max // span // 2:
            key = pd.factorize(key)[0].astype(np.int64)  # renumbered densely before the product could overflow
        key = key * span + shifted
    return pd.Series(key).duplicated(keep="first").to_numpy(bool)


def _codes(dataset: Dataset, name: str) -> np.ndarray:
    """One integer per distinct value of a column (missing values one more), for finding repeated keys."""
    column = dataset.column(name)
    if isinstance(column.dtype, pd.StringDtype) and not column.hasnans:
        return dataset.raw_text(name).codes
    return pd.factorize(column)[0]


@rule("SEQ-UNIQUE", "--SEQ not unique within a subject", "SDTM --SEQ definition (unique per subject within a domain); ADaMIG 1.3 ASEQ; P21 SD0005", "error")
def unique_seq(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        seq = "ASEQ" if dataset.model == "ADaM" else f"{dataset.domain}SEQ"
        if seq not in dataset.frame.columns or "USUBJID" not in dataset.frame.columns:
            continue
        dupes = _repeated([_codes(dataset, k) for k in ("USUBJID", seq)])
        if dupes.any():
            yield findings("SEQ-UNIQUE", dataset.name, f"{seq} repeats a value already used for this subject",
                           rows=np.flatnonzero(dupes), variable=seq, values=dataset.column(seq))


@rule("ISO8601", "Date/time or duration is not ISO 8601", "SDTMIG 3.4 §4.4.1-4.4.4 (ISO 8601 dates, durations); P21 SD0003", "error")
def iso8601(submission: Submission) -> Iterator[pd.DataFrame]:
    """Every distinct date/time (duration) text of the datasets is tested once."""
    dates = date_pool(submission)
    bad_date = invalid_datetimes(pd.Series(dates.values, dtype="str"))
    durations = [(d, v.name) for d in submission.datasets for v in d.table.variables if v.type == "char" and v.name.endswith(_DURATION_SUFFIXES)]
    lengths = Pool.of([d.stripped(n) for d, n in durations])
    bad_duration = invalid_durations(pd.Series(lengths.values, dtype="str"))
    for dataset in submission.datasets:
        for variable in dataset.table.variables:
            name = variable.name
            if variable.type != "char" or not (name.endswith("DTC") or name.endswith(_DURATION_SUFFIXES)):
                continue
            column = dataset.stripped(name)
            bad = bad_date[dates.positions(column)] if name.endswith("DTC") else bad_duration[lengths.positions(column)]
            if bad.any():
                kind = "an ISO 8601 date/time" if name.endswith("DTC") else "an ISO 8601 duration"
                yield findings("ISO8601", dataset.name, f"{name} is not {kind}",
                               rows=np.flatnonzero(bad), variable=name, values=dataset.column(name))


@rule("DY-DTC", "--DY inconsistent with --DTC and DM.RFSTDTC",
      "SDTMIG 3.4 §4.4.4 (study day: DTC - RFSTDTC, +1 on or after); P21 SD1086, SD1090, SD1094", "error")
def study_days(submission: Submission) -> Iterator[pd.DataFrame]:
    dm = submission.find("DM")
    if dm is None or not {"USUBJID", "RFSTDTC"} <= set(dm.frame.columns):
        return
    reference = dm.summaries.of("RFSTDTC per subject", lambda: pd.Series(column_dates(submission, dm, "RFSTDTC").to_numpy(),
                                                                          index=dm.text_column("USUBJID")).groupby(level=0).first())
    for dataset in submission.model("SDTM"):
        frame = dataset.frame
        if "USUBJID" not in frame.columns:
            continue
        subjects = dataset.text("USUBJID")
        start = pd.Series(subjects.values.map(reference).array.take(subjects.codes), index=frame.index)
        for day in [c for c in frame.columns if c.endswith("DY") and c[:-2] + "DTC" in frame.columns]:
            when = column_dates(submission, dataset, day[:-2] + "DTC")
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
    qnams = set(supp.text("QNAM").values)
    return {c for c in dataset.frame.columns if any(q.startswith(c) and q != c for q in qnams)}


@rule("CT", "Value not in a non-extensible CDISC codelist",
      "SDTMIG 3.4 §4.3 / FDA TCG (CDISC CT); CT 2025-03-28; P21 CT2001 (MULTIPLE accepted with per-value SUPP-- qualifiers, "
      "SDTMIG 3.4 multiple values for a qualifier)", "error")
def terminology(submission: Submission) -> Iterator[pd.DataFrame]:
    standards = submission.standards
    for dataset in submission.datasets:
        multiple = _multiple_values(submission, dataset)
        ig = ig_variables(submission, dataset)
        for variable, codes in zip(ig["variable"].tolist(), ig["codelists"].tolist()):
            for part, records in codelist_parts(submission, dataset, variable, tuple(codes)) if variable in dataset.frame.columns else ():
                if not all(c in standards.closed_codelists for c in part):
                    continue
                text = dataset.text(variable)
                accepted = member(text.values, _allowed(submission, part)) | (text.values == "").to_numpy(bool)
                if variable in multiple:
                    accepted |= (text.values == "MULTIPLE").to_numpy(bool)
                bad = text.per_record(~accepted) & (True if records is None else records)
                if not bad.any():
                    continue
                names = " / ".join(f"{standards.codelist_names.get(c, c)} ({c})" for c in part)
                yield findings("CT", dataset.name, f"{variable} value is not in the non-extensible codelist {names}",
                               rows=np.flatnonzero(bad), variable=variable, values=dataset.column(variable))


def _allowed(submission: Submission, codes: tuple[str, ...]) -> pd.Index:
    """The submission values of the closed codelists ``codes`` together, built once per submission."""
    closed = submission.standards.closed_codelists
    return submission.shared.of(("closed", codes), lambda: pd.Index(sorted(frozenset().union(*(closed[c] for c in codes))), dtype="str"))


@rule("ASCII", "Non-ASCII or non-printable characters", "FDA Study Data Technical Conformance Guide (ASCII text in XPT); P21 SD1029", "error")
def ascii_text(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        for variable in dataset.table.variables:
            if variable.type != "char" or dataset.printable(variable.name):
                continue
            bad = _outside_ascii(dataset.column(variable.name))
            if bad.any():
                text = dataset.raw_text(variable.name)
                yield findings("ASCII", dataset.name, f"{variable.name} holds characters outside printable ASCII",
                               rows=np.flatnonzero(bad), variable=variable.name, values=text.column(dataset.frame.index))


def _outside_ascii(column: pd.Series) -> np.ndarray:
    """True on values holding a character outside printable ASCII (0x20-0x7E)."""
    if not isinstance(column.array, ArrowStringArray):
        return column.fillna("").astype("str").str.contains(r"[^\x20-\x7E]", regex=True).fillna(False).to_numpy(bool)
    printable = pc.fill_null(pc.ascii_is_printable(pa.array(column.array)), True)  # pyarrow's test is the same: every byte 0x20-0x7E
    return np.zeros(len(column), dtype=bool) if pc.all(printable).as_py() else ~printable.to_numpy(zero_copy_only=False)


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
                first, last = column_dates(submission, dataset, start), column_dates(submission, dataset, end)
            else:
                first, last = pd.to_numeric(frame[start], errors="coerce"), pd.to_numeric(frame[end], errors="coerce")
            wrong = (first.notna() & last.notna() & (last < first)).to_numpy()
            if wrong.any():
                message = f"{end} is before {start} (" + dataset.text_column(end) + " < " + dataset.text_column(start) + ")"
                yield findings("END-BEFORE-START", dataset.name, message, rows=np.flatnonzero(wrong), variable=end, values=frame[end])
