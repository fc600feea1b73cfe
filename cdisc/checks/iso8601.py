"""ISO 8601 validity of SDTM date/time text and durations, vectorised.

Dates may be partial: right-truncated (``2003-12``) or with unknown inner parts
written as ``-`` (``2003---15``, ``--12-15``, ``2003-12-15T-:15``), per SDTMIG 3.4 §4.4.
Intervals (``start/end``) are accepted when both ends are valid. Complete dates
must exist in the calendar.
"""

from __future__ import annotations

import pandas as pd

_PART = r"(?:\d{{{n}}}|-)"
_DATETIME = (
    rf"(?P<y>{_PART.format(n=4)})(?:-(?P<m>{_PART.format(n=2)})(?:-(?P<d>{_PART.format(n=2)}))?)?"
    rf"(?:T(?P<H>{_PART.format(n=2)})(?::(?P<M>{_PART.format(n=2)})(?::(?P<S>\d{{2}}(?:\.\d+)?|-))?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_DURATION = (r"-?P(?=\d|T\d)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?W)?(?:\d+(?:\.\d+)?D)?"
             r"(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?")


def invalid_datetimes(values: pd.Series) -> pd.Series:
    """True where a non-blank value is not an ISO 8601 date/time, partial date or interval."""
    return _per_distinct(values, _invalid_datetime_text)


def invalid_durations(values: pd.Series) -> pd.Series:
    """True where a non-blank value is not an ISO 8601 duration (``P2Y3M``, ``PT1H30M``, ``P3W``; ``-PT15M`` before
    the reference, as SDTMIG --ELTM allows)."""
    return _per_distinct(values, lambda text: ~text.str.fullmatch(_DURATION).fillna(False).astype(bool))


def _per_distinct(values: pd.Series, invalid) -> pd.Series:
    """Apply a vectorised test to the distinct non-blank values only (dates repeat a lot), then map back."""
    text = values.fillna("").astype("str").str.strip()
    codes, distinct = pd.factorize(text)
    distinct = pd.Series(distinct, dtype="str")
    bad = (invalid(distinct) & (distinct != "")).to_numpy()
    return pd.Series(bad[codes], index=values.index)


def _invalid_datetime_text(text: pd.Series) -> pd.Series:
    interval = text.str.contains("/", regex=False)
    start = text.str.replace(r"/.*$", "", regex=True)
    end = text.str.replace(r"^[^/]*/", "", regex=True)
    return _invalid_point(start) | (interval & _invalid_point(end))


def _invalid_point(text: pd.Series) -> pd.Series:
    parts = text.str.extract(f"^{_DATETIME}$")
    bad = parts["y"].isna()
    number = {k: pd.to_numeric(parts[k].where(parts[k] != "-"), errors="coerce") for k in ("m", "d", "H", "M", "S")}
    bad |= number["m"].notna() & ~number["m"].between(1, 12)
    bad |= number["d"].notna() & ~number["d"].between(1, 31)
    bad |= number["H"].notna() & ~number["H"].between(0, 23)
    bad |= number["M"].notna() & ~number["M"].between(0, 59)
    bad |= number["S"].notna() & ~(number["S"] < 60)
    complete = ~bad & parts["y"].str.isdigit().fillna(False).astype(bool) & number["m"].notna() & number["d"].notna()
    dates = pd.to_datetime(parts["y"] + "-" + parts["m"] + "-" + parts["d"], format="%Y-%m-%d", errors="coerce")
    bad |= complete & dates.isna()
    return bad.fillna(True).astype(bool)


def full_dates(values: pd.Series) -> pd.Series:
    """The calendar date of values that hold a complete date (``YYYY-MM-DD...``), else NaT."""
    text = values.fillna("").astype("str").str.slice(0, 10)
    return pd.to_datetime(text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)), format="%Y-%m-%d", errors="coerce")
