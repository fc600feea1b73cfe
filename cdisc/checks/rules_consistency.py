"""Cross-domain consistency rules: EPOCH against SE, dates against DM's reference dates and death,
deaths without a fatal adverse event, NOT DONE without a reason, reference ranges on non-continuous results."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc.checks.iso8601 import column_dates, dates_of
from cdisc.checks.package import Dataset, Distinct, Submission
from cdisc.checks.registry import findings, rule
from cdisc.checks.timing import by_subject, column_bounds, per_subject

_SCORED = {"QS", "FT", "RS", "SC", "DD", "SS", "IE"}  # results without units by nature
_DIMENSIONLESS = {"PH", "SPGRAV", "R2", "R2ADJ", "LAMZNPT"}  # pH, specific gravity; NCA fit statistics and point counts
_NOT_SUBJECT_RECORDS = {"DM", "SE", "SV", "TA", "TE", "TV", "TI", "TS", "RELREC"}


def _is(dataset: Dataset, name: str, value: str) -> np.ndarray:
    """True on records whose ``name`` (without trailing blanks) is ``value``."""
    text = dataset.text(name)
    return text.per_record(text.values == value)


def _domain_datasets(submission: Submission, exclude: AbstractSet[str] = frozenset()) -> Iterator[Dataset]:
    """SDTM datasets holding subject records (not DM, SE, trial design, RELREC or SUPP--), minus ``exclude``."""
    for dataset in submission.model("SDTM"):
        if dataset.name in _NOT_SUBJECT_RECORDS | exclude or dataset.name.startswith("SUPP") or "USUBJID" not in dataset.frame.columns:
            continue
        yield dataset


def _event_date(dataset: Dataset) -> str | None:
    """The variable dating a record: --STDTC (events, interventions), else --DTC (findings: collection)."""
    prefix = dataset.domain[:2]
    return next((c for c in (f"{prefix}STDTC", f"{prefix}DTC") if c in dataset.frame.columns), None)


def _date_columns(dataset: Dataset) -> list[str]:
    """Every --DTC/--STDTC/--ENDTC of a domain (not DM's reference dates)."""
    prefix = dataset.domain[:2]
    return [c for c in (f"{prefix}DTC", f"{prefix}STDTC", f"{prefix}ENDTC") if c in dataset.frame.columns]


@rule("EPOCH-SE", "EPOCH disagrees with the subject's elements in SE",
      "SDTMIG 3.4 general assumptions, EPOCH (the epoch of the SE element during which the record's date falls), and §5.3 SE", "error")
def epoch_against_se(submission: Submission) -> Iterator[pd.DataFrame]:
    """EPOCH is the epoch of the SE element holding the record's date (--DTC, else --STDTC); an EPOCH the subject
    has no element for; a blank EPOCH where SE places the date in exactly one epoch. A date on an element boundary
    (a date without a time on the day one element ends and the next starts) may belong to either."""
    se = submission.find("SE")
    if se is None or not {"USUBJID", "EPOCH", "SESTDTC", "SEENDTC"} <= set(se.frame.columns):
        return
    names, element_epoch, elements = se.summaries.of("elements", lambda: _se_elements(submission, se))
    for dataset in _domain_datasets(submission, exclude={"SE"}):
        date = _event_date(dataset)
        if "EPOCH" not in dataset.frame.columns or date is None:
            continue
        lo, hi = (bound.to_numpy() for bound in column_bounds(submission, dataset, date))
        record, element = elements.pairs(dataset.text("USUBJID"))
        text = dataset.text("EPOCH")
        epoch = names.get_indexer(text.values)[text.codes]  # -1: no SE element has this epoch
        overlap = (elements.start[element] <= hi[record]) & (lo[record] <= elements.end[element])
        same = epoch[record] == element_epoch[element]
        filled = text.per_record(text.values != "")
        wrong = filled & _any_per_record(record, overlap, len(lo)) & ~_any_per_record(record, overlap & same, len(lo))
        unknown = filled & ~_any_per_record(record, same, len(lo))
        placed = _placed(record[overlap], element_epoch[element[overlap]], names, len(lo))  # a boundary date touches two elements at most
        one_epoch = ~placed.values.str.contains(" or ", regex=False).to_numpy(bool)
        one_epoch[-1] = False  # (the last value: no element overlaps)
        blank = ~filled & placed.per_record(one_epoch)
        bad = unknown | wrong | blank
        if bad.any():
            rows = np.flatnonzero(bad)  # (messages written for these only)
            given, dated = text.values.to_numpy()[text.codes[rows]], dataset.text(date).values.to_numpy()[dataset.text(date).codes[rows]]
            where = placed.values.to_numpy()[placed.codes[rows]]
            message = np.full(len(bad), "", dtype=object)
            message[rows] = np.select(
                [unknown[rows], wrong[rows], blank[rows]],
                ["EPOCH is " + given + " but the subject has no " + given + " element in SE",
                 "EPOCH is " + given + "; SE puts " + date + " " + dated + " in " + where,
                 "EPOCH is blank; SE puts " + date + " " + dated + " in " + where],
                "")
            yield findings("EPOCH-SE", dataset.name, pd.Series(message, index=dataset.frame.index, dtype="str"), rows=rows, variable="EPOCH",
                           values=dataset.column("EPOCH"))


def _se_elements(submission: Submission, se: Dataset) -> tuple[pd.Index, np.ndarray, _Elements]:
    """SE's epochs (distinct, sorted), each element's position among them, and the elements."""
    start, _ = column_bounds(submission, se, "SESTDTC")
    _, end = column_bounds(submission, se, "SEENDTC")
    end = end.where(~_is(se, "SEENDTC", ""), pd.Timestamp.max)  # an element without an end is ongoing
    subjects, epochs = se.text("USUBJID"), se.text("EPOCH")
    names = pd.Index(sorted(set(epochs.values)), dtype="str")  # the SE epochs, in sorted order
    element_epoch = names.get_indexer(epochs.values)[epochs.codes]
    return names, element_epoch, _Elements(pd.Index(subjects.values), subjects.codes, start.to_numpy(), end.to_numpy())


@dataclass(frozen=True)
class _Elements:
    """SE's elements: their subjects (distinct text, and each element's position among them) and instants."""

    subjects: pd.Index
    subject: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def pairs(self, ids: Distinct) -> tuple[np.ndarray, np.ndarray]:
        """Every (record, element) of the same subject, as two position arrays; records whose subject has no element have none."""
        subject = self.subjects.get_indexer(ids.values)[ids.codes]
        order = np.argsort(self.subject, kind="stable")  # elements grouped by subject
        per_subject = np.bincount(self.subject, minlength=len(self.subjects))
        first = np.cumsum(per_subject) - per_subject
        count = np.where(subject >= 0, per_subject[subject], 0)
        record = np.repeat(np.arange(len(subject)), count)
        within = np.arange(len(record)) - np.repeat(np.cumsum(count) - count, count)
        return record, order[first[subject[record]] + within]


def _placed(record: np.ndarray, epoch: np.ndarray, names: pd.Index, records: int) -> Distinct:
    """Per record, the epoch of the elements its date overlaps (``record``, ascending, and ``epoch``, a position in the
    sorted ``names``: one per overlapping pair): the epoch, or the first and last joined by " or "; ``""`` (the last
    value, code ``len(values) - 1``) where none. Each distinct (first, last) is written once.

    >>> placed = _placed(np.array([0, 0, 2, 3]), np.array([0, 1, 1, 1]), pd.Index(["A", "B"]), 5)
    >>> placed.column(pd.RangeIndex(5)).tolist()
    ['A or B', '', 'B', 'B', '']
    """
    starts = np.flatnonzero(np.diff(record, prepend=-1))  # each record's first pair
    lowest, highest = (np.minimum.reduceat(epoch, starts), np.maximum.reduceat(epoch, starts)) if len(starts) else (epoch[:0], epoch[:0])
    pair = lowest.astype(np.int64) * len(names) + highest
    present = np.zeros(len(names) ** 2, dtype=bool)
    present[pair] = True
    pairs = np.flatnonzero(present)  # the distinct (first, last), as first * len(names) + last
    first, last = pd.Series(names[pairs // len(names)]), pd.Series(names[pairs % len(names)])
    text = first.where(pairs // len(names) == pairs % len(names), first + " or " + last)
    codes = np.full(records, len(pairs), dtype=np.intp)
    codes[record[starts]] = np.searchsorted(pairs, pair)
    return Distinct(codes, pd.Series([*text, ""], dtype="str"))


def _any_per_record(position: np.ndarray, mask: np.ndarray, records: int) -> np.ndarray:
    """True for each of ``records`` records with a pair (``position`` names its record) where ``mask`` holds."""
    return np.bincount(position[mask], minlength=records) > 0


def _against_reference(submission: Submission, rule_id: str, reference: str, after: bool, findings_only: bool) -> Iterator[pd.DataFrame]:
    """Dates surely after (or before) DM's ``reference``: compared with their clock times when both have one, else by day."""
    dm = submission.find("DM")
    if dm is None or reference not in dm.frame.columns:
        return
    bounds = dm.summaries.of(("bounds per subject", reference), lambda: _bounds_per_subject(submission, dm, reference))
    for dataset in _domain_datasets(submission):
        if findings_only and not any(c.endswith("TESTCD") for c in dataset.frame.columns):
            continue
        columns = [_event_date(dataset)] if findings_only else _date_columns(dataset)
        for column in [c for c in columns if c]:
            lo, hi = column_bounds(submission, dataset, column)
            limit = by_subject(dataset, bounds["hi" if after else "lo"]).to_numpy()
            bad = (lo.to_numpy() > limit) if after else (hi.to_numpy() < limit)
            if bad.any():
                word = "after" if after else "before"
                their = by_subject(dataset, bounds["text"]).fillna("")
                message = column + " " + dataset.text_column(column) + f" is {word} DM.{reference} " + their
                yield findings(rule_id, dataset.name, message, rows=np.flatnonzero(bad), variable=column, values=dataset.column(column))


def _bounds_per_subject(submission: Submission, dm: Dataset, reference: str) -> pd.DataFrame:
    """Per USUBJID (the first record's), the earliest and latest instant DM's ``reference`` may mean, and its text."""
    earliest, latest = column_bounds(submission, dm, reference)
    return pd.DataFrame({"lo": earliest.to_numpy(), "hi": latest.to_numpy(), "text": dm.text_column(reference).to_numpy()},
                        index=dm.text_column("USUBJID").to_numpy()).groupby(level=0).first()


@rule("DATE-AFTER-RFPENDTC", "Date after the subject's end of participation (DM.RFPENDTC)",
      "SDTMIG 3.4 §5.2 DM (RFPENDTC: date/time of end of participation, the last known contact; no record after it)", "warning")
def after_participation(submission: Submission) -> Iterator[pd.DataFrame]:
    yield from _against_reference(submission, "DATE-AFTER-RFPENDTC", "RFPENDTC", after=True, findings_only=False)


@rule("DATE-BEFORE-RFICDTC", "Findings collected before informed consent (DM.RFICDTC)",
      "SDTMIG 3.4 §5.2 DM (RFICDTC: date of informed consent; study procedures follow it); ICH E6(R2) 4.8.8", "warning")
def before_consent(submission: Submission) -> Iterator[pd.DataFrame]:
    yield from _against_reference(submission, "DATE-BEFORE-RFICDTC", "RFICDTC", after=False, findings_only=True)


@rule("AFTER-DEATH", "Record dated after the subject's death, or ongoing at a later reference point",
      "SDTMIG 3.4 §5.2 DM (DTHDTC); timing assumptions, relative timing (--ENRTPT ONGOING as of --ENTPT)", "warning")
def after_death(submission: Submission) -> Iterator[pd.DataFrame]:
    """Start or collection dates after DM.DTHDTC (DS, DD and SS record what happened at and after death and
    are not checked); an event ongoing (--ENRTPT) at a reference point (--ENTPT) after the death of the subject:
    a date after DTHDTC, or a text point at the end of the study (DATA CUTOFF, END OF STUDY); a point such as
    ENROLMENT is before the death."""
    dm = submission.find("DM")
    if dm is None or "DTHDTC" not in dm.frame.columns:
        return
    death = dm.summaries.of(("per subject", "DTHDTC"), lambda: per_subject(dm, column_dates(submission, dm, "DTHDTC")))
    for dataset in _domain_datasets(submission, exclude={"DS", "DD", "SS"}):
        died = pd.to_datetime(by_subject(dataset, death))
        date = _event_date(dataset)
        if date is not None:
            bad = (column_dates(submission, dataset, date) > died).fillna(False).to_numpy(bool)
            if bad.any():
                yield findings("AFTER-DEATH", dataset.name, date + " " + dataset.text_column(date) + " is after the subject's death",
                               rows=np.flatnonzero(bad), variable=date, values=dataset.column(date))
        prefix = dataset.domain[:2]
        if {f"{prefix}ENRTPT", f"{prefix}ENTPT"} <= set(dataset.frame.columns):
            point = dataset.text(f"{prefix}ENTPT")
            at = dates_of(point, dataset.frame.index)  # a reference point given as a date may be the death itself, or earlier
            later = (at > died) | (at.isna() & point.per_record(point.values.str.contains("CUTOFF|END OF", regex=True)))
            ongoing = _is(dataset, f"{prefix}ENRTPT", "ONGOING")
            bad = (ongoing & died.notna() & later).to_numpy(bool)
            if bad.any():
                message = f"{prefix}ENRTPT is ONGOING at " + dataset.text_column(f"{prefix}ENTPT") + " but the subject died before it"
                yield findings("AFTER-DEATH", dataset.name, message,
                               rows=np.flatnonzero(bad), variable=f"{prefix}ENRTPT", values=dataset.column(f"{prefix}ENRTPT"))


@rule("DEATH-NO-CAUSE", "Death without a fatal adverse event or a recorded cause",
      "SDTMIG 3.4 §5.2 DM (DTHFL), AE (AEOUT = FATAL, AESDTH), DD (primary cause of death)", "warning", across=True)
def death_without_cause(submission: Submission) -> Iterator[pd.DataFrame]:
    """A subject with DM.DTHFL = Y needs an AE with AEOUT = FATAL or AESDTH = Y, or a DD primary cause of death (PRCDTH)."""
    dm = submission.find("DM")
    if dm is None or "DTHFL" not in dm.frame.columns:
        return
    explained: set[str] = set()
    ae = submission.find("AE")
    if ae is not None:
        fatal = np.zeros(len(ae.frame), dtype=bool)
        for column, value in (("AEOUT", "FATAL"), ("AESDTH", "Y")):
            if column in ae.frame.columns:
                fatal |= _is(ae, column, value)
        explained |= set(ae.text_column("USUBJID")[fatal])
    dd = submission.find("DD")
    if dd is not None and "DDTESTCD" in dd.frame.columns:
        explained |= set(dd.text_column("USUBJID")[_is(dd, "DDTESTCD", "PRCDTH")])
    bad = _is(dm, "DTHFL", "Y") & ~dm.text_column("USUBJID").isin(explained).to_numpy(bool)
    if bad.any():
        yield findings("DEATH-NO-CAUSE", "DM", "DTHFL is Y but no AE is fatal (AEOUT FATAL / AESDTH Y) and DD gives no primary cause",
                       rows=np.flatnonzero(bad), variable="DTHFL", values=dm.text_column("USUBJID"))


@rule("NOT-DONE-REASON", "--STAT is NOT DONE without --REASND",
      "SDTMIG 3.4 findings assumptions, tests not done (--STAT = NOT DONE with the reason in --REASND)", "warning")
def not_done_reason(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.model("SDTM"):
        for stat in [c for c in dataset.frame.columns if c.endswith("STAT") and len(c) == 6]:
            reason = stat[:2] + "REASND"
            missing = _is(dataset, reason, "") if reason in dataset.frame.columns else np.ones(len(dataset.frame), dtype=bool)
            bad = _is(dataset, stat, "NOT DONE") & missing
            if bad.any():
                state = "blank" if reason in dataset.frame.columns else "not in the dataset"
                yield findings("NOT-DONE-REASON", dataset.name, f"{stat} is NOT DONE and {reason} is {state}",
                               rows=np.flatnonzero(bad), variable=reason, values=dataset.column(stat))


@rule("RANGE-NONNUMERIC", "Numeric reference range on a result that is not numeric",
      "SDTMIG 3.4 LB (--STNRLO/--STNRHI: reference range for continuous results in standard units, --STRESN)", "warning")
def range_on_text_result(submission: Submission) -> Iterator[pd.DataFrame]:
    """--STNRLO or --STNRHI given where --STRESC holds a result that is not a number (--STRESN blank, e.g. "<1.0")."""
    for dataset in submission.model("SDTM"):
        prefix = dataset.domain[:2]
        names = [f"{prefix}STRESC", f"{prefix}STRESN"]
        ranges = [c for c in (f"{prefix}STNRLO", f"{prefix}STNRHI") if c in dataset.frame.columns]
        if not set(names) <= set(dataset.frame.columns) or not ranges:
            continue
        text_result = ~_is(dataset, names[0], "") & _numbers(dataset, names[1]).isna().to_numpy(bool)
        has_range = np.logical_or.reduce([_numbers(dataset, c).notna().to_numpy(bool) for c in ranges])
        bad = text_result & has_range
        if bad.any():
            yield findings("RANGE-NONNUMERIC", dataset.name, f"{names[0]} is not numeric but {' / '.join(ranges)} give a numeric range",
                           rows=np.flatnonzero(bad), variable=ranges[0], values=dataset.column(names[0]))


@rule("UNIT-MISSING", "Numeric result without a unit",
      "SDTMIG 3.4 findings (--ORRESU: unit of --ORRES; --STRESU: unit of --STRESC/--STRESN); P21 SD0026, SD0029", "warning")
def result_units(submission: Submission) -> Iterator[pd.DataFrame]:
    """A numeric, non-zero --ORRES (--STRESC) with --ORRESU (--STRESU) blank. Questionnaire-like domains (scores) and
    dimensionless tests (pH, specific gravity, NCA R2/R2ADJ and LAMZNPT) are not checked; a zero is read as an absent
    finding."""
    for dataset in submission.model("SDTM"):
        prefix = dataset.domain[:2]
        if dataset.domain in _SCORED or f"{prefix}TESTCD" not in dataset.frame.columns:
            continue
        test = dataset.text(f"{prefix}TESTCD")
        dimensionless = test.per_record(test.values.isin(_DIMENSIONLESS))
        for result, unit in ((f"{prefix}ORRES", f"{prefix}ORRESU"), (f"{prefix}STRESC", f"{prefix}STRESU")):
            if not {result, unit} <= set(dataset.frame.columns):
                continue
            value = _numbers(dataset, result)
            bad = (value.notna() & (value != 0)).to_numpy(bool) & _is(dataset, unit, "") & ~dimensionless
            if bad.any():
                yield findings("UNIT-MISSING", dataset.name, f"{result} is given and {unit} is blank",
                               rows=np.flatnonzero(bad), variable=unit, values=dataset.column(result))


def _numbers(dataset: Dataset, name: str) -> pd.Series:
    """``pd.to_numeric(column, errors="coerce")``; text columns converted once per distinct value."""
    column = dataset.column(name)
    if not isinstance(column.dtype, pd.StringDtype):
        return pd.to_numeric(column, errors="coerce")
    text = dataset.raw_text(name)
    numbers = pd.to_numeric(text.values, errors="coerce")
    return pd.Series(numbers.to_numpy(dtype=float, na_value=np.nan)[text.codes], index=dataset.frame.index)
