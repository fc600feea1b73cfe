"""SAS numeric dates (days since 1960-01-01) and datetimes (seconds since then) from ISO 8601 text.

Partial dates are imputed only up to ``highest_imputation`` and the imputed part is flagged
(--DTF: ``D`` day, ``M`` month, ``Y`` year; --TMF: ``H``, ``M``, ``S``), as admiral does.

Example::

    >>> import pandas as pd
    >>> sas_date(pd.Series(["1960-01-02", "2024-03-15", "2024-03", None])).tolist()
    [1.0, 23450.0, nan, nan]
    >>> dt, dtf = impute_date(pd.Series(["2024-03-20", "2024-03", "2024", None]), "M", "first")
    >>> [to_iso(v) for v in dt], dtf.tolist()
    (['2024-03-20', '2024-03-01', '2024-01-01', None], [nan, 'D', 'M', nan])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from cdisc.textparts import extract_arrays, extract_groups, part_numbers

SAS_EPOCH = pd.Timestamp("1960-01-01")
_ISO = r"^(?P<y>\d{4}|-)?(?:-(?P<m>\d{2}|-)?(?:-(?P<d>\d{2})?)?)?(?:T(?P<H>\d{2}|-)?(?::(?P<M>\d{2}|-)?(?::(?P<S>\d{2}(?:\.\d+)?))?)?)?$"


def to_iso(value: float) -> str | None:
    """A SAS date as ISO 8601 text (for messages and tests)."""
    return None if pd.isna(value) else (dt.date(1960, 1, 1) + dt.timedelta(days=int(value))).isoformat()


def iso_parts(dtc: pd.Series) -> pd.DataFrame:
    """Year, month, day, hour, minute, second of ISO 8601 text as columns y m d H M S (missing when unknown).

    Dates repeat over many records, so each distinct value is parsed once.
    """
    codes, text = _distinct(dtc)
    rows = _text_parts(text).take(codes)
    rows.index = dtc.index
    return rows


def _distinct(dtc: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The distinct values of ``dtc`` (blanks stripped) followed by one missing value, and each record's position
    among them (a missing record points to the missing value): functions of the text alone run on these only."""
    codes, uniques = pd.factorize(dtc.astype("str").str.strip())
    text = pd.concat([pd.Series(uniques, dtype="str"), pd.Series([None], dtype="str")], ignore_index=True)
    return np.where(codes < 0, len(uniques), codes), text


def _text_parts(text: pd.Series) -> pd.DataFrame:
    """:func:`iso_parts` of distinct values, as text."""
    parts = extract_groups(text, _ISO)
    return parts.where(parts.ne("-"))


def _number_parts(text: pd.Series) -> dict[str, np.ndarray]:
    """:func:`iso_parts` of distinct values, as numbers (NaN when unknown), one array per part."""
    values = pa.array(text, type=pa.large_string())
    return {key: part_numbers(part) for key, part in extract_arrays(values, _ISO).items()}


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1960-01-01 of numeric year/month/day arrays (NaN where any is missing or the date does not exist)."""
    valid = ~(np.isnan(year) | np.isnan(month) | np.isnan(day)) & (month >= 1) & (month <= 12) & (day >= 1)
    start = _month_start(np.where(valid, year, 1970), np.where(valid, month, 1))
    whole_day = np.where(valid, day, 1).astype(np.int64)
    valid &= whole_day <= _month_length(start)
    return np.where(valid, (start - _EPOCH_DAY).astype(np.int64) + whole_day - 1, np.nan)


_EPOCH_DAY = np.datetime64("1960-01-01", "D")


def _month_start(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    return ((year.astype(np.int64) - 1970) * 12 + month.astype(np.int64) - 1).astype("datetime64[M]").astype("datetime64[D]")


def _month_length(start: np.ndarray) -> np.ndarray:
    return ((start.astype("datetime64[M]") + 1).astype("datetime64[D]") - start).astype(np.int64)


def _last_day(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """The last day (28-31) of numeric year/month arrays, NaN where either is missing or the month is not 1-12."""
    valid = ~(np.isnan(year) | np.isnan(month)) & (month >= 1) & (month <= 12)
    return np.where(valid, _month_length(_month_start(np.where(valid, year, 1970), np.where(valid, month, 1))), np.nan)


def sas_days(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Days since 1960-01-01 of numeric year/month/day (missing where any is missing or invalid)."""
    return pd.Series(_days(*(np.asarray(v, dtype=float) for v in (year, month, day))), index=year.index)


def month_end(year: pd.Series, month: pd.Series) -> pd.Series:
    """The last day (28-31) of each year/month."""
    return pd.Series(_last_day(np.asarray(year, dtype=float), np.asarray(month, dtype=float)), index=year.index)


def sas_date(dtc: pd.Series) -> pd.Series:
    """SAS date of complete ISO 8601 dates; partial or missing dates give missing."""
    codes, text = _distinct(dtc)
    parts = _number_parts(text)
    return pd.Series(_days(parts["y"], parts["m"], parts["d"])[codes], index=dtc.index)


def sas_datetime(dtc: pd.Series) -> pd.Series:
    """SAS datetime of ISO 8601 text with a complete date and at least hours and minutes."""
    codes, text = _distinct(dtc)
    parts = _number_parts(text)
    seconds = parts["H"] * 3600 + parts["M"] * 60 + np.where(np.isnan(parts["S"]), 0, parts["S"])
    moments = _days(parts["y"], parts["m"], parts["d"]) * 86400 + seconds
    return pd.Series(moments[codes], index=dtc.index)


#: Imputation levels, lowest first: a level imputes itself and everything below it.
LEVELS = ("n", "s", "m", "h", "D", "M", "Y")


def impute_date(
    dtc: pd.Series,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    min_dates: Sequence[pd.Series] = (),
    max_dates: Sequence[pd.Series] = (),
) -> tuple[pd.Series, pd.Series]:
    """SAS date and its imputation flag (--DT, --DTF) from ISO 8601 text, as admiral ``derive_vars_dt``.

    An imputed date is moved to the latest ``min_dates`` value (or earliest ``max_dates`` value)
    that lies within the range the partial date allows, e.g. an AE start ``2024-03`` with first
    dose on 2024-03-15 becomes 2024-03-15, not 2024-03-01.
    """
    codes, text = _distinct(dtc)
    distinct = _date_imputations(_number_parts(text), _given(text), highest_imputation, date_imputation)
    return _bounded_date(_per_record(distinct, codes, dtc.index), highest_imputation, date_imputation, min_dates, max_dates)


def _given(text: pd.Series) -> np.ndarray:
    """Which distinct values hold any text."""
    return (text.notna() & text.ne("")).to_numpy()


def _per_record(distinct: dict[str, np.ndarray], codes: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """The arrays of ``distinct`` (one value per distinct text) repeated for each record, as columns on the records' index."""
    return pd.DataFrame({
        key: pd.Series(values[codes], index=index, dtype="str" if values.dtype.kind in "OU" else None) for key, values in distinct.items()
    }, index=index)


def _filled(values: np.ndarray, fill) -> np.ndarray:
    return np.where(np.isnan(values), fill, values)


def _date_imputations(parts: dict[str, np.ndarray], given: np.ndarray, highest_imputation: str, date_imputation: str) -> dict[str, np.ndarray]:
    """What :func:`impute_date` makes of each distinct value before any bound: the date (imputed where allowed),
    the earliest and latest dates the value may stand for, whether it may be imputed, its flag and whether its
    year is missing (``given``: whether the value holds any text)."""
    y, m = parts["y"], parts["m"]
    d = np.where(np.isnan(m), np.nan, parts["d"])  # a day without its month is imputed too (admiral's preserve = FALSE)
    has_y, has_m, has_d = ~np.isnan(y), ~np.isnan(m), ~np.isnan(d)
    level = LEVELS.index(highest_imputation)
    month_missing = has_y & ~has_m
    day_missing = has_y & has_m & ~has_d
    fix_month, fix_day = _fixed(date_imputation)

    first = (_filled(m, 1), _filled(d, 1))
    last_month = _filled(m, 12)
    last = (last_month, np.where(has_d, d, _last_day(y, last_month)))
    if date_imputation == "first":
        chosen = first
    elif date_imputation == "last":
        chosen = last
    elif date_imputation == "mid":
        chosen = (_filled(m, 6), np.where(has_d, d, np.where(month_missing, 30, 15)))
    else:
        chosen = (_filled(m, fix_month), _filled(d, fix_day))
    allowed = (day_missing & (level >= LEVELS.index("D"))) | (month_missing & (level >= LEVELS.index("M")))
    return {
        "result": np.where((has_y & has_m & has_d) | allowed, _days(y, *chosen), np.nan), "earliest": _days(y, *first),
        "latest": _days(y, *last), "allowed": allowed,
        "flag": np.select([allowed & month_missing, allowed & day_missing], ["M", "D"], default=""), "year_missing": ~has_y & given,
    }


def _bounded_date(
    rows: pd.DataFrame, highest_imputation: str, date_imputation: str, min_dates: Sequence[pd.Series], max_dates: Sequence[pd.Series]
) -> tuple[pd.Series, pd.Series]:
    """:func:`impute_date` from each record's :func:`_date_imputations`: imputed dates moved within the bounds."""
    result, allowed, earliest, latest = rows["result"].rename(None), rows["allowed"], rows["earliest"], rows["latest"]
    for bound in min_dates:
        inside = allowed & bound.notna() & (bound >= earliest) & (bound <= latest)
        result = result.where(~(inside & (result < bound)), bound)
    for bound in max_dates:
        inside = allowed & bound.notna() & (bound >= earliest) & (bound <= latest)
        result = result.where(~(inside & (result > bound)), bound)
    flag = rows["flag"].rename(None)
    if LEVELS.index(highest_imputation) >= LEVELS.index("Y"):
        result, flag = _impute_year(result, flag, rows["year_missing"], date_imputation, min_dates, max_dates)
    flag = flag.where(flag.ne("") & result.notna())
    return result, flag.astype("str")


def _impute_year(result, flag, year_missing, date_imputation, min_dates, max_dates):
    """A missing year takes the earliest min date ('first') or the latest max date ('last'), as admiral."""
    bounds = min_dates if date_imputation == "first" else max_dates
    if not bounds:
        return result, flag
    stacked = pd.concat(list(bounds), axis=1)
    pick = stacked.min(axis=1) if date_imputation == "first" else stacked.max(axis=1)
    take = year_missing & pick.notna()
    return result.where(~take, pick), flag.where(~take, "Y")


def _fixed(date_imputation: str) -> tuple[int, int]:
    if date_imputation[:2].isdigit():
        return int(date_imputation[:2]), int(date_imputation[3:5])
    return 1, 1


_TIME_FILL = {"first": (0.0, 0.0, 0.0), "last": (23.0, 59.0, 59.0)}


def impute_datetime(
    dtc: pd.Series,
    highest_imputation: str = "h",
    date_imputation: str = "first",
    time_imputation: str = "first",
    min_dates: Sequence[pd.Series] = (),
    max_dates: Sequence[pd.Series] = (),
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """SAS datetime and its date and time imputation flags (--DTM, --DTF, --TMF), as admiral ``derive_vars_dtm``.

    Time parts are imputed up to ``highest_imputation`` (``s``, ``m``, ``h``; a date level imputes
    the whole time); ``min_dates``/``max_dates`` are SAS datetimes and bound the imputed value as
    in :func:`impute_date`.
    """
    codes, text = _distinct(dtc)
    distinct = _datetime_imputations(_number_parts(text), _given(text), highest_imputation, date_imputation, time_imputation)
    rows = _per_record(distinct, codes, dtc.index)
    result, imputed, earliest, latest = rows["result"].rename(None), rows["imputed"], rows["earliest"], rows["latest"]
    for bounds, later in ((min_dates, True), (max_dates, False)):
        for bound in bounds:
            inside = imputed & bound.notna() & (bound >= earliest) & (bound <= latest)
            beyond = result < bound if later else result > bound
            result = result.where(~(inside & beyond), bound)
    dtf, tmf = rows["dtf"].rename(None), rows["tmf"].rename(None)
    return result, dtf.where(result.notna()), tmf.where(imputed & result.notna()).astype("str")


def _datetime_imputations(
    parts: dict[str, np.ndarray], given: np.ndarray, highest_imputation: str, date_imputation: str, time_imputation: str
) -> dict[str, np.ndarray]:
    """What :func:`impute_datetime` makes of each distinct value before any bound: the datetime (imputed where
    allowed), the earliest and latest it may stand for, its date and time flags and whether it is imputed."""
    level = LEVELS.index(highest_imputation)
    date_level = highest_imputation if level >= LEVELS.index("D") else "n"
    fill = _TIME_FILL.get(time_imputation) or tuple(float(x) for x in time_imputation.split(":"))
    missing = {k: np.isnan(parts[k]) for k in ("H", "M", "S")}
    allowed = np.ones(len(given), dtype=bool)
    for key, needed in (("H", "h"), ("M", "m"), ("S", "s")):
        allowed &= ~(missing[key] & (level < LEVELS.index(needed)))

    def combine(days: np.ndarray, dtf: np.ndarray, time_fill) -> np.ndarray:
        """Seconds of ``days`` and the clock; an imputed date (flagged in ``dtf``) gets an imputed time too."""
        whole = pd.notna(dtf)
        clock = [np.where(missing[k] | whole, value, parts[k]) for k, value in zip(("H", "M", "S"), time_fill)]
        return np.where(allowed & ~np.isnan(days), days * 86400 + clock[0] * 3600 + clock[1] * 60 + clock[2], np.nan)

    def dates(imputation: str) -> tuple[np.ndarray, np.ndarray]:
        """The imputed dates with no bound, and their flags (None where not imputed)."""
        imputed = _date_imputations(parts, given, date_level, imputation)
        flagged = (imputed["flag"] != "") & ~np.isnan(imputed["result"])
        return imputed["result"], np.where(flagged, imputed["flag"].astype(object), np.array(None))

    days, dtf = dates(date_imputation)
    tmf = np.where(pd.notna(dtf), "H", np.select([missing["H"], missing["M"], missing["S"]], ["H", "M", "S"], default=""))
    return {
        "result": combine(days, dtf, fill), "earliest": combine(*dates("first"), _TIME_FILL["first"]),
        "latest": combine(*dates("last"), _TIME_FILL["last"]), "dtf": dtf, "tmf": tmf, "imputed": tmf != "",
    }
