"""Date/time helpers shared by the cross-domain rules: ISO 8601 text as the interval of instants it may mean."""

from __future__ import annotations

import pandas as pd

from cdisc.checks.iso8601 import full_dates

_CLOCK = r"^\d{4}-\d{2}-\d{2}T(\d{2}):(\d{2})(?::(\d{2}))?"


def instant_bounds(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The earliest and latest instant an ISO 8601 value may mean: a date with hours and minutes is one
    instant, a complete date without a time is the whole day; partial dates give NaT.

    >>> lo, hi = instant_bounds(pd.Series(["2024-01-05T09:30", "2024-01-05", "2024-01"]))
    >>> [str(v) for v in lo], str(hi[1])
    (['2024-01-05 09:30:00', '2024-01-05 00:00:00', 'NaT'], '2024-01-05 23:59:59')
    """
    text = values.fillna("").astype("str").str.strip()
    day = full_dates(text)
    clock = text.str.extract(_CLOCK).apply(pd.to_numeric, errors="coerce")
    has_time = clock[0].notna() & clock[1].notna()
    offset = pd.to_timedelta(clock[0].fillna(0) * 3600 + clock[1].fillna(0) * 60 + clock[2].fillna(0), unit="s")
    lo = day + offset.where(has_time, pd.Timedelta(0))
    hi = lo.where(has_time, day + pd.Timedelta(days=1) - pd.Timedelta(seconds=1))
    return lo, hi


def per_subject(frame: pd.DataFrame, column: str) -> pd.Series:
    """One value per USUBJID (the first), indexed by the trimmed USUBJID."""
    subjects = frame["USUBJID"].fillna("").astype("str").str.rstrip()
    return pd.Series(frame[column].to_numpy(), index=subjects.to_numpy()).groupby(level=0).first()


def subjects(frame: pd.DataFrame) -> pd.Series:
    """The trimmed USUBJID column."""
    return frame["USUBJID"].fillna("").astype("str").str.rstrip()
