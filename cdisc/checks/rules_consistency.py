"""Cross-domain consistency rules: EPOCH against SE, dates against DM's reference dates and death,
deaths without a fatal adverse event, NOT DONE without a reason, reference ranges on non-continuous results."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet

import numpy as np
import pandas as pd

from cdisc.checks.iso8601 import full_dates
from cdisc.checks.package import Dataset, Submission
from cdisc.checks.registry import findings, rule
from cdisc.checks.timing import instant_bounds, per_subject, subjects

_SCORED = {"QS", "FT", "RS", "SC", "DD", "SS", "IE"}  # results without units by nature
_DIMENSIONLESS = {"PH", "SPGRAV", "R2", "R2ADJ", "LAMZNPT"}  # pH, specific gravity; NCA fit statistics and point counts
_NOT_SUBJECT_RECORDS = {"DM", "SE", "SV", "TA", "TE", "TV", "TI", "TS", "RELREC"}


def _text(column: pd.Series) -> pd.Series:
    return column.fillna("").astype("str").str.rstrip()


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
    start, _ = instant_bounds(se.frame["SESTDTC"])
    _, end = instant_bounds(se.frame["SEENDTC"])
    end = end.where(_text(se.frame["SEENDTC"]) != "", pd.Timestamp.max)  # an element without an end is ongoing
    elements = pd.DataFrame({"USUBJID": subjects(se.frame), "SE_EPOCH": _text(se.frame["EPOCH"]), "START": start, "END": end})
    for dataset in _domain_datasets(submission, exclude={"SE"}):
        date = _event_date(dataset)
        if "EPOCH" not in dataset.frame.columns or date is None:
            continue
        lo, hi = instant_bounds(dataset.frame[date])
        epoch = _text(dataset.frame["EPOCH"])
        records = pd.DataFrame({"POS": np.arange(len(lo)), "USUBJID": subjects(dataset.frame).to_numpy(), "EPOCH": epoch.to_numpy(),
                                "LO": lo.to_numpy(), "HI": hi.to_numpy()})
        pairs = records.merge(elements, on="USUBJID", how="inner")
        overlap = (pairs["START"] <= pairs["HI"]) & (pairs["LO"] <= pairs["END"])
        pairs = pairs.assign(OVERLAP=overlap, MATCH=overlap & (pairs["EPOCH"] == pairs["SE_EPOCH"]),
                             KNOWN=pairs["EPOCH"] == pairs["SE_EPOCH"])
        per_record = pairs.groupby("POS").agg(overlap=("OVERLAP", "any"), match=("MATCH", "any"), known=("KNOWN", "any"))
        distinct = pairs[pairs["OVERLAP"]].drop_duplicates(["POS", "SE_EPOCH"]).sort_values(["POS", "SE_EPOCH"]).groupby("POS")["SE_EPOCH"]
        first, last, count = distinct.first(), distinct.last(), distinct.size()
        placed = first.where(count == 1, first + " or " + last)  # a boundary date touches two elements at most
        per_record = per_record.join(placed.rename("placed")).reindex(records["POS"])
        filled = (epoch != "").to_numpy()
        wrong = filled & per_record["overlap"].fillna(False).to_numpy(bool) & ~per_record["match"].fillna(False).to_numpy(bool)
        unknown = filled & ~per_record["known"].fillna(False).to_numpy(bool)
        single = ~per_record["placed"].fillna(" or ").str.contains(" or ", regex=False).to_numpy(bool)
        blank = ~filled & single
        message = pd.Series(np.select(
            [unknown, wrong, blank],
            ["EPOCH is " + epoch + " but the subject has no " + epoch + " element in SE",
             "EPOCH is " + epoch + "; SE puts " + date + " " + _text(dataset.frame[date]) + " in " + per_record["placed"].fillna("").to_numpy(),
             "EPOCH is blank; SE puts " + date + " " + _text(dataset.frame[date]) + " in " + per_record["placed"].fillna("").to_numpy()],
            ""), index=dataset.frame.index)
        bad = unknown | wrong | blank
        if bad.any():
            yield findings("EPOCH-SE", dataset.name, message, rows=np.flatnonzero(bad), variable="EPOCH", values=dataset.frame["EPOCH"])


def _against_reference(submission: Submission, rule_id: str, reference: str, after: bool, findings_only: bool) -> Iterator[pd.DataFrame]:
    """Dates surely after (or before) DM's ``reference``: compared with their clock times when both have one, else by day."""
    dm = submission.find("DM")
    if dm is None or reference not in dm.frame.columns:
        return
    earliest, latest = instant_bounds(dm.frame[reference])
    bounds = pd.DataFrame({"lo": earliest.to_numpy(), "hi": latest.to_numpy(), "text": _text(dm.frame[reference]).to_numpy()},
                          index=subjects(dm.frame).to_numpy()).groupby(level=0).first()
    for dataset in _domain_datasets(submission):
        if findings_only and not any(c.endswith("TESTCD") for c in dataset.frame.columns):
            continue
        ids = subjects(dataset.frame)
        limit = bounds.reindex(ids.to_numpy())
        columns = [_event_date(dataset)] if findings_only else _date_columns(dataset)
        for column in [c for c in columns if c]:
            lo, hi = instant_bounds(dataset.frame[column])
            bad = (lo.to_numpy() > limit["hi"].to_numpy()) if after else (hi.to_numpy() < limit["lo"].to_numpy())
            if bad.any():
                word = "after" if after else "before"
                their = pd.Series(limit["text"].fillna("").to_numpy(), index=dataset.frame.index)
                message = column + " " + _text(dataset.frame[column]) + f" is {word} DM.{reference} " + their
                yield findings(rule_id, dataset.name, message, rows=np.flatnonzero(bad), variable=column, values=dataset.frame[column])


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
    death = per_subject(dm.frame.assign(_DTH=full_dates(dm.frame["DTHDTC"])), "_DTH")
    for dataset in _domain_datasets(submission, exclude={"DS", "DD", "SS"}):
        ids = subjects(dataset.frame)
        died = pd.to_datetime(ids.map(death))
        date = _event_date(dataset)
        if date is not None:
            bad = (full_dates(dataset.frame[date]) > died).fillna(False).to_numpy(bool)
            if bad.any():
                yield findings("AFTER-DEATH", dataset.name, date + " " + _text(dataset.frame[date]) + " is after the subject's death",
                               rows=np.flatnonzero(bad), variable=date, values=dataset.frame[date])
        prefix = dataset.domain[:2]
        if {f"{prefix}ENRTPT", f"{prefix}ENTPT"} <= set(dataset.frame.columns):
            point = _text(dataset.frame[f"{prefix}ENTPT"])
            at = full_dates(point)  # a reference point given as a date may be the death itself, or earlier
            later = (at > died) | (at.isna() & point.str.contains("CUTOFF|END OF", regex=True))
            ongoing = _text(dataset.frame[f"{prefix}ENRTPT"]) == "ONGOING"
            bad = (ongoing & died.notna() & later).to_numpy(bool)
            if bad.any():
                yield findings("AFTER-DEATH", dataset.name, f"{prefix}ENRTPT is ONGOING at " + point + " but the subject died before it",
                               rows=np.flatnonzero(bad), variable=f"{prefix}ENRTPT", values=dataset.frame[f"{prefix}ENRTPT"])


@rule("DEATH-NO-CAUSE", "Death without a fatal adverse event or a recorded cause",
      "SDTMIG 3.4 §5.2 DM (DTHFL), AE (AEOUT = FATAL, AESDTH), DD (primary cause of death)", "warning")
def death_without_cause(submission: Submission) -> Iterator[pd.DataFrame]:
    """A subject with DM.DTHFL = Y needs an AE with AEOUT = FATAL or AESDTH = Y, or a DD primary cause of death (PRCDTH)."""
    dm = submission.find("DM")
    if dm is None or "DTHFL" not in dm.frame.columns:
        return
    explained: set[str] = set()
    ae = submission.find("AE")
    if ae is not None:
        fatal = pd.Series(False, index=ae.frame.index)
        for column, value in (("AEOUT", "FATAL"), ("AESDTH", "Y")):
            if column in ae.frame.columns:
                fatal |= _text(ae.frame[column]) == value
        explained |= set(subjects(ae.frame)[fatal])
    dd = submission.find("DD")
    if dd is not None and "DDTESTCD" in dd.frame.columns:
        explained |= set(subjects(dd.frame)[_text(dd.frame["DDTESTCD"]) == "PRCDTH"])
    bad = ((_text(dm.frame["DTHFL"]) == "Y") & ~subjects(dm.frame).isin(explained)).to_numpy(bool)
    if bad.any():
        yield findings("DEATH-NO-CAUSE", "DM", "DTHFL is Y but no AE is fatal (AEOUT FATAL / AESDTH Y) and DD gives no primary cause",
                       rows=np.flatnonzero(bad), variable="DTHFL", values=subjects(dm.frame))


@rule("NOT-DONE-REASON", "--STAT is NOT DONE without --REASND",
      "SDTMIG 3.4 findings assumptions, tests not done (--STAT = NOT DONE with the reason in --REASND)", "warning")
def not_done_reason(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.model("SDTM"):
        for stat in [c for c in dataset.frame.columns if c.endswith("STAT") and len(c) == 6]:
            reason = stat[:2] + "REASND"
            missing = _text(dataset.frame[reason]) == "" if reason in dataset.frame.columns else pd.Series(True, index=dataset.frame.index)
            bad = ((_text(dataset.frame[stat]) == "NOT DONE") & missing).to_numpy(bool)
            if bad.any():
                state = "blank" if reason in dataset.frame.columns else "not in the dataset"
                yield findings("NOT-DONE-REASON", dataset.name, f"{stat} is NOT DONE and {reason} is {state}",
                               rows=np.flatnonzero(bad), variable=reason, values=dataset.frame[stat])


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
        text_result = (_text(dataset.frame[names[0]]) != "") & pd.to_numeric(dataset.frame[names[1]], errors="coerce").isna()
        has_range = pd.concat([pd.to_numeric(dataset.frame[c], errors="coerce").notna() for c in ranges], axis=1).any(axis=1)
        bad = (text_result & has_range).to_numpy(bool)
        if bad.any():
            yield findings("RANGE-NONNUMERIC", dataset.name, f"{names[0]} is not numeric but {' / '.join(ranges)} give a numeric range",
                           rows=np.flatnonzero(bad), variable=ranges[0], values=dataset.frame[names[0]])


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
        test = _text(dataset.frame[f"{prefix}TESTCD"])
        for result, unit in ((f"{prefix}ORRES", f"{prefix}ORRESU"), (f"{prefix}STRESC", f"{prefix}STRESU")):
            if not {result, unit} <= set(dataset.frame.columns):
                continue
            value = pd.to_numeric(dataset.frame[result], errors="coerce")
            bad = (value.notna() & (value != 0) & (_text(dataset.frame[unit]) == "") & ~test.isin(_DIMENSIONLESS)).to_numpy(bool)
            if bad.any():
                yield findings("UNIT-MISSING", dataset.name, f"{result} is given and {unit} is blank",
                               rows=np.flatnonzero(bad), variable=unit, values=dataset.frame[result])
