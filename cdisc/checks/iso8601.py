"""ISO 8601 validity of SDTM date/time text and durations, vectorised.

Dates may be partial: right-truncated (``2003-12``) or with unknown inner parts
written as ``-`` (``2003---15``, ``--12-15``, ``2003-12-15T-:15``), per SDTMIG 3.4 §4.4.
Intervals (``start/end``) are accepted when both ends are valid. Complete dates
must exist in the calendar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdisc.checks.package import Dataset, Distinct, Pool, Submission, distinct_text
from cdisc.textparts import extract_arrays, part_numbers

_PART = r"(?:\d{{{n}}}|-)"
_DATETIME = (
    rf"(?P<y>{_PART.format(n=4)})(?:-(?P<m>{_PART.format(n=2)})(?:-(?P<d>{_PART.format(n=2)}))?)?"
    rf"(?:T(?P<H>{_PART.format(n=2)})(?::(?P<M>{_PART.format(n=2)})(?::(?P<S>\d{{2}}(?:\.\d+)?|-))?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_DURATION = (r"-?P(?=\d|T\d)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?W)?(?:\d+(?:\.\d+)?D)?"
             r"(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?")


def date_columns(submission: Submission) -> list[tuple[Dataset, str]]:
    """Every character --DTC variable of the submission (dataset, variable name), in dataset and variable order."""
    return [(d, v.name) for d in submission.datasets for v in d.table.variables if v.type == "char" and v.name.endswith("DTC")]


def date_pool(submission: Submission) -> Pool:
    """The distinct values (without surrounding blanks) of every character --DTC variable of the submission's datasets (in
    validation, of the dataset whose turn it is), pooled once."""
    return submission.summaries.of("dates", lambda: Pool.of([d.stripped(n) for d, n in date_columns(submission)]))


def invalid_datetimes(text: pd.Series) -> np.ndarray:
    """True where a non-blank value (text without surrounding blanks) is not an ISO 8601 date/time, partial date or
    interval; meant for the distinct values of columns (see :func:`date_pool`).

    >>> invalid_datetimes(pd.Series(["2003-12-15T10:30", "2003---15", "2003-02-30", "2003-12/2004", ""], dtype="str")).tolist()
    [False, False, True, False, False]
    """
    if text.empty:
        return np.zeros(0, dtype=bool)
    return _invalid_datetime_text(text) & (text != "").to_numpy(bool)


def invalid_durations(text: pd.Series) -> np.ndarray:
    """True where a non-blank value is not an ISO 8601 duration (``P2Y3M``, ``PT1H30M``, ``P3W``; ``-PT15M`` before
    the reference, as SDTMIG --ELTM allows).

    >>> invalid_durations(pd.Series(["P2Y3M", "-PT15M", "P", "1D", ""], dtype="str")).tolist()
    [False, False, True, True, False]
    """
    if text.empty:
        return np.zeros(0, dtype=bool)
    return (~text.str.fullmatch(_DURATION).fillna(False).astype(bool)).to_numpy(bool) & (text != "").to_numpy(bool)


def _invalid_datetime_text(text: pd.Series) -> np.ndarray:
    """An invalid start, or an interval (``start/end``) with an invalid end; ends are read from the intervals only."""
    bad = _invalid_point(text.str.replace(r"/.*$", "", regex=True))
    interval = text.str.contains("/", regex=False).to_numpy(bool)
    if interval.any():
        bad[interval] |= _invalid_point(text[interval].str.replace(r"^[^/]*/", "", regex=True))
    return bad


def _invalid_point(text: pd.Series) -> np.ndarray:
    """True where a value is not one ISO 8601 date/time (or partial date), missing included; in pyarrow and numpy (a
    few calls whatever the number of values: validation tests the distinct dates of each dataset in turn)."""
    parts = extract_arrays(pa.array(text.astype("str"), type=pa.large_string()), f"^{_DATETIME}$")
    bad = parts["y"].is_null().to_numpy(zero_copy_only=False)
    number = {k: part_numbers(parts[k]) for k in ("m", "d", "H", "M", "S")}
    for k, lowest, highest in (("m", 1, 12), ("d", 1, 31), ("H", 0, 23), ("M", 0, 59)):
        bad |= ~np.isnan(number[k]) & ~((number[k] >= lowest) & (number[k] <= highest))
    bad |= ~np.isnan(number["S"]) & ~(number["S"] < 60)
    complete = ~bad & pc.fill_null(pc.utf8_is_digit(parts["y"]), False).to_numpy(zero_copy_only=False)
    complete &= ~np.isnan(number["m"]) & ~np.isnan(number["d"])
    if complete.any():
        rows = pa.array(np.flatnonzero(complete))
        ymd = pc.binary_join_element_wise(*(parts[k].take(rows) for k in ("y", "m", "d")), pa.scalar("-", pa.large_string()))
        bad[complete] = pd.to_datetime(pd.Series(ymd, dtype="str"), format="%Y-%m-%d", errors="coerce").isna().to_numpy(bool)
    return bad


def full_dates(values: pd.Series) -> pd.Series:
    """The calendar date of values that hold a complete date (``YYYY-MM-DD...``), else NaT.

    >>> [str(d.date()) if pd.notna(d) else None for d in full_dates(pd.Series(["2024-01-05T09:30", "2024-01", ""], dtype="str"))]
    ['2024-01-05', None, None]
    """
    return dates_of(distinct_text(values), values.index)


def dates_of(column: Distinct, index: pd.Index) -> pd.Series:
    """:func:`full_dates` of a column given as its distinct text, each distinct value parsed once."""
    text = column.values.str.slice(0, 10)
    dates = pd.to_datetime(text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)), format="%Y-%m-%d", errors="coerce")
    return pd.Series(dates.array.take(column.codes), index=index)


def column_dates(submission: Submission, dataset: Dataset, name: str) -> pd.Series:
    """:func:`full_dates` of a dataset's column, computed once per dataset; each distinct text of the datasets'
    --DTC variables is parsed once."""
    return dataset.summaries.of(("dates", name), lambda: _column_dates(submission, dataset, name))


def _column_dates(submission: Submission, dataset: Dataset, name: str) -> pd.Series:
    pool = submission.summaries.of("raw dates", lambda: Pool.of([d.raw_text(n) for d, n in date_columns(submission)]))
    column = dataset.raw_text(name)
    positions = pool.positions(column)
    if positions is None:
        return dates_of(column, dataset.frame.index)
    dates = submission.summaries.of("full dates", lambda: full_dates(pd.Series(pool.values, dtype="str")))
    return pd.Series(dates.to_numpy()[positions], index=dataset.frame.index)
