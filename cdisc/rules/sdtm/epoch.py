"""``epoch``: EPOCH of the subject's element (SE) in which a date falls."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from cdisc.arrowtext import arrow_text, coded_text, is_text_per_record, plain_text
from cdisc.rules import SDTM, rule
from cdisc.sdtm.dates import date_part
from cdisc.spec.base import ShorthandModel
from cdisc.spec.names import Name
from cdisc.textparts import extract_groups


class EpochRule(ShorthandModel):
    """EPOCH of the subject's element (SE) in which the date of ``of`` falls; none for partial dates."""

    shorthand_field: ClassVar[str] = "of"
    variable_fields: ClassVar[tuple[str, ...]] = ("of",)
    of: Name


def _moments(dtc: pd.Series, day_end: bool) -> tuple[np.ndarray, np.ndarray]:
    """The complete date (as :func:`~cdisc.sdtm.dates.date_part`) and the moment of ISO 8601 date/times: with its clock
    time when it has one (``2023-03-27T09:04``, before a first dose at 11:04), else the start of the day, or its end
    with ``day_end`` (a date alone is on or after any time that day). Each distinct value is read once.

    >>> [pd.Series(m).astype(str).tolist() for m in _moments(pd.Series(["2023-03-27T09:04", "2023-03-27", "2023-03"]), day_end=True)]
    [['2023-03-27', '2023-03-27', nan], ['2023-03-27 09:04:00', '2023-03-27 23:59:59', nan]]
    """
    if is_text_per_record(dtc.dtype):  # (text held once per distinct value: its categories, made text no more)
        codes, distinct = dtc.cat.codes.to_numpy(), dtc.cat.categories
    else:
        codes, distinct = pd.factorize(dtc.astype("str"))
    text = pd.concat([pd.Series(distinct, dtype="str"), pd.Series([None], dtype="str")], ignore_index=True)  # the last: missing
    parts = extract_groups(text, r"^(?P<date>\d{4}-\d{2}-\d{2})(?:T(?P<H>\d{2}):(?P<M>\d{2}))?")
    date = pd.to_datetime(parts["date"], format="%Y-%m-%d", errors="coerce")
    seconds = parts["H"].astype("float") * 3600 + parts["M"].astype("float") * 60
    moment = date + pd.to_timedelta(seconds.fillna(86399.0 if day_end else 0.0).to_numpy(), unit="s")
    rows = np.where(codes < 0, len(distinct), codes)
    return date.to_numpy()[rows], moment.to_numpy()[rows]


@rule(
    "epoch", engines=SDTM, params=EpochRule, stage=1,
    method=lambda params, variable, spec: (
        f"EPOCH of the subject's element in SE whose period contains the date of {params.of}; missing for incomplete dates."
    ),
    example="- {name: EPOCH, label: Epoch, type: text, codelist: EPOCH, origin: Derived, epoch: AESTDTC}",
)
def epoch(params: EpochRule, records) -> pd.Series:
    """The EPOCH of the SE element whose start is the latest on or before the record's moment (times compared when
    both have one: a pre-dose sample on the first dose day is in the element before treatment), if within it."""
    se = records.built.get("SE")
    if se is None or not {"SESTDTC", "SEENDTC", "EPOCH"} <= set(se.columns):
        raise records.fail("EPOCH needs an SE dataset with SESTDTC, SEENDTC and EPOCH")
    date, instant = _moments(records.out[params.of], day_end=True)
    start = _moments(se["SESTDTC"], day_end=False)[1]
    element = _latest_start(plain_text(se["USUBJID"]), start, plain_text(records.out["USUBJID"]), instant, ~np.isnat(date))
    found = element >= 0
    end = date_part(se["SEENDTC"]).to_numpy()[np.maximum(element, 0)] if len(se) else np.full(len(element), np.datetime64("NaT"))
    inside = found & (np.isnat(end) | (date <= end))
    codes, epochs = pd.factorize(plain_text(se["EPOCH"]).astype("str"))
    at = np.where(inside, codes.take(np.maximum(element, 0)) if len(codes) else -1, -1)
    return coded_text(at, list(epochs)).set_axis(records.index)


def _latest_start(element_subjects: pd.Series, start: np.ndarray, subjects: pd.Series, moment: np.ndarray,
                  dated: np.ndarray) -> np.ndarray:
    """For each record (``subjects``, ``moment``; only those ``dated``), the position of its subject's element whose
    ``start`` is the latest on or before the moment (of elements starting together, the last listed); -1: none.

    >>> at = lambda *t: np.array(t, dtype="datetime64[D]")
    >>> _latest_start(pd.Series(["A", "A", "B"]), at("2024-01-01", "2024-01-10", "2024-01-05"),
    ...               pd.Series(["A", "A", "B", "C"]), at("2024-01-10", "2024-01-09", "2024-01-04", "2024-01-20"),
    ...               np.array([True, True, True, True])).tolist()
    [1, 0, -1, -1]
    """
    out = np.full(len(subjects), -1, np.int64)
    listed = arrow_text(element_subjects.astype("str").array)
    known = listed.unique()
    own, theirs = (  # each subject's code (missing or unknown: nan)
        pc.index_in(text, value_set=known, skip_nulls=True).to_numpy(zero_copy_only=False)
        for text in (listed, arrow_text(subjects.astype("str").array))
    )
    usable = ~np.isnat(start) & ~np.isnan(own)
    wanted = dated & ~np.isnan(theirs)
    if not usable.any() or not wanted.any():
        return out
    # one integer per moment: the subject, then the rank of the time among every start and moment
    times = np.concatenate([start[usable].astype("datetime64[us]"), moment[wanted].astype("datetime64[us]")]).astype("int64")
    ranks = np.unique(times, return_inverse=True)[1].reshape(-1)
    scale = len(times) + 1
    element_keys = own[usable].astype(np.int64) * scale + ranks[: usable.sum()]
    record_keys = theirs[wanted].astype(np.int64) * scale + ranks[usable.sum():]
    order = np.argsort(element_keys, kind="stable")
    elements, ordered = np.flatnonzero(usable)[order], element_keys[order]
    hit = np.searchsorted(ordered, record_keys, side="right") - 1
    same_subject = (hit >= 0) & (ordered[np.maximum(hit, 0)] // scale == record_keys // scale)
    out[np.flatnonzero(wanted)[same_subject]] = elements[hit[same_subject]]
    return out
