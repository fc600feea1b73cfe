"""ISO 8601 validity of SDTM date/time text and durations, vectorised.

Dates may be partial: right-truncated (``2003-12``) or with unknown inner parts
written as ``-`` (``2003---15``, ``--12-15``, ``2003-12-15T-:15``), per SDTMIG 3.4 §4.4.
Intervals (``start/end``) are accepted when both ends are valid. Complete dates
must exist in the calendar.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cdisc.checks.package import Dataset, Distinct, Pool, Submission, distinct_text
from cdisc.textparts import extract_groups

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
    """The distinct values (without surrounding blanks) of every character --DTC variable, pooled once per submission."""
    return submission.summaries.of("dates", lambda: Pool.of([d.stripped(n) for d, n in date_columns(submission)]))


def invalid_datetimes(text: pd.Series) -> np.ndarray:
    """True where a non-blank value (text without surrounding blanks) is not an ISO 8601 date/time, partial date or
    interval; meant for the distinct values of columns (see :func:`date_pool`).

    >>> invalid_datetimes(pd.Series(["2003-12-15T10:30", "2003---15", "2003-02-30", "2003-12/2004", ""], dtype="str")).tolist()
    [False, False, True, False, False]
    """
    return _invalid_datetime_text(text).to_numpy(bool) & (text != "").to_numpy(bool)


def invalid_durations(text: pd.Series) -> np.ndarray:
    """True where a non-blank value is not an ISO 8601 duration (``P2Y3M``, ``PT1H30M``, ``P3W``; ``-PT15M`` before
    the reference, as SDTMIG --ELTM allows).

    >>> invalid_durations(pd.Series(["P2Y3M", "-PT15M", "P", "1D", ""], dtype="str")).tolist()
    [False, False, True, True, False]
    """
    return (~text.str.fullmatch(_DURATION).fillna(False).astype(bool)).to_numpy(bool) & (text != "").to_numpy(bool)


def _invalid_datetime_text(text: pd.Series) -> pd.Series:
    """An invalid start, or an interval (``start/end``) with an invalid end; ends are read from the intervals only."""
    bad = _invalid_point(text.str.replace(r"/.*$", "", regex=True)).to_numpy(bool, copy=True)
    interval = text.str.contains("/", regex=False).to_numpy(bool)
    if interval.any():
        bad[interval] |= _invalid_point(text[interval].str.replace(r"^[^/]*/", "", regex=True)).to_numpy(bool)
    return pd.Series(bad, index=text.index)


def _invalid_point(text: pd.Series) -> pd.Series:
    parts = extract_groups(text, f"^{_DATETIME}$")
    bad = parts["y"].isna()
    number = {k: per_distinct(parts[k].where(parts[k] != "-"), lambda v: pd.to_numeric(v, errors="coerce"))
              for k in ("m", "d", "H", "M", "S")}
    bad |= number["m"].notna() & ~number["m"].between(1, 12)
    bad |= number["d"].notna() & ~number["d"].between(1, 31)
    bad |= number["H"].notna() & ~number["H"].between(0, 23)
    bad |= number["M"].notna() & ~number["M"].between(0, 59)
    bad |= number["S"].notna() & ~(number["S"] < 60)
    complete = ~bad & parts["y"].str.isdigit().fillna(False).astype(bool) & number["m"].notna() & number["d"].notna()
    dates = per_distinct(parts["y"] + "-" + parts["m"] + "-" + parts["d"], lambda v: pd.to_datetime(v, format="%Y-%m-%d", errors="coerce"))
    bad |= complete & dates.isna()
    return bad.fillna(True).astype(bool)


def per_distinct(text: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``convert(text)`` (an element-wise conversion of text, missing kept missing) run on the distinct values only."""
    codes, values = pd.factorize(text)
    converted = convert(pd.Series(values, dtype="str"))
    return pd.Series(converted.array.take(codes, allow_fill=True), index=text.index)


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
    """:func:`full_dates` of a dataset's column, computed once per dataset; each distinct text of the submission's
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
