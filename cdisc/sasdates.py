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

from cdisc.textparts import extract_groups

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
    return _per_record(_text_parts(text), codes, dtc.index)


def _distinct(dtc: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The distinct values of ``dtc`` (blanks stripped) followed by one missing value, and each record's position
    among them (a missing record points to the missing value): functions of the text alone run on these only."""
    codes, uniques = pd.factorize(dtc.astype("str").str.strip())
    text = pd.concat([pd.Series(uniques, dtype="str"), pd.Series([None], dtype="str")], ignore_index=True)
    return np.where(codes < 0, len(uniques), codes), text


def _per_record(distinct: pd.DataFrame, codes: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """Rows of ``distinct`` (one per distinct value) repeated for each record, on the records' index."""
    rows = distinct.take(codes)
    rows.index = index
    return rows


def _text_parts(text: pd.Series) -> pd.DataFrame:
    """:func:`iso_parts` of distinct values, as text."""
    parts = extract_groups(text, _ISO)
    return parts.where(parts.ne("-"))


def _number_parts(text: pd.Series) -> pd.DataFrame:
    """:func:`iso_parts` of distinct values, as numbers."""
    return _text_parts(text).astype(float)


def sas_days(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Days since 1960-01-01 of numeric year/month/day (missing where any is missing or invalid)."""
    stamp = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
    return (stamp - SAS_EPOCH).dt.days.astype(float)


def month_end(year: pd.Series, month: pd.Series) -> pd.Series:
    """The last day (28-31) of each year/month."""
    first = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}), errors="coerce")
    return (first + pd.offsets.MonthEnd(0)).dt.day.astype(float)


def sas_date(dtc: pd.Series) -> pd.Series:
    """SAS date of complete ISO 8601 dates; partial or missing dates give missing."""
    codes, text = _distinct(dtc)
    parts = _number_parts(text)
    days = sas_days(parts["y"], parts["m"], parts["d"])
    return pd.Series(days.to_numpy()[codes], index=dtc.index)


def sas_datetime(dtc: pd.Series) -> pd.Series:
    """SAS datetime of ISO 8601 text with a complete date and at least hours and minutes."""
    codes, text = _distinct(dtc)
    parts = _number_parts(text)
    seconds = parts["H"] * 3600 + parts["M"] * 60 + parts["S"].fillna(0)
    moments = sas_days(parts["y"], parts["m"], parts["d"]) * 86400 + seconds
    return pd.Series(moments.to_numpy()[codes], index=dtc.index)


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
    distinct = _date_imputations(_number_parts(text), text, highest_imputation, date_imputation)
    return _bounded_date(_per_record(distinct, codes, dtc.index), highest_imputation, date_imputation, min_dates, max_dates)


def _date_imputations(parts: pd.DataFrame, text: pd.Series, highest_imputation: str, date_imputation: str) -> pd.DataFrame:
    """What :func:`impute_date` makes of each distinct value before any bound: the date (imputed where allowed),
    the earliest and latest dates the value may stand for, whether it may be imputed, its flag and whether its
    year is missing."""
    y, m = parts["y"], parts["m"]
    d = parts["d"].where(m.notna())  # a day without its month is imputed too (admiral's preserve = FALSE)
    level = LEVELS.index(highest_imputation)
    month_missing = y.notna() & m.isna()
    day_missing = y.notna() & m.notna() & d.isna()
    year_missing = y.isna() & text.notna() & text.ne("")
    fix_month, fix_day = _fixed(date_imputation)

    first = {"m": m.fillna(1), "d": d.fillna(1)}
    last_month = m.fillna(12)
    last = {"m": last_month, "d": d.fillna(month_end(y, last_month))}
    if date_imputation == "first":
        chosen = first
    elif date_imputation == "last":
        chosen = last
    elif date_imputation == "mid":
        chosen = {"m": m.fillna(6), "d": d.where(d.notna(), np.where(month_missing, 30, 15))}
    else:
        chosen = {"m": m.fillna(fix_month), "d": d.fillna(fix_day)}
    imputed = sas_days(y, chosen["m"], chosen["d"])
    allowed = (day_missing & (level >= LEVELS.index("D"))) | (month_missing & (level >= LEVELS.index("M")))
    complete = y.notna() & m.notna() & d.notna()
    flag = pd.Series(np.select([allowed & month_missing, allowed & day_missing], ["M", "D"], default=""), index=text.index)
    return pd.DataFrame({
        "result": imputed.where(complete | allowed), "earliest": sas_days(y, first["m"], first["d"]),
        "latest": sas_days(y, last["m"], last["d"]), "allowed": allowed, "flag": flag, "year_missing": year_missing,
    })


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
    distinct = _datetime_imputations(text, highest_imputation, date_imputation, time_imputation)
    rows = _per_record(distinct, codes, dtc.index)
    result, imputed, earliest, latest = rows["result"].rename(None), rows["imputed"], rows["earliest"], rows["latest"]
    for bounds, later in ((min_dates, True), (max_dates, False)):
        for bound in bounds:
            inside = imputed & bound.notna() & (bound >= earliest) & (bound <= latest)
            beyond = result < bound if later else result > bound
            result = result.where(~(inside & beyond), bound)
    dtf, tmf = rows["dtf"].rename(None), rows["tmf"].rename(None)
    return result, dtf.where(result.notna()), tmf.where(imputed & result.notna()).astype("str")


def _datetime_imputations(text: pd.Series, highest_imputation: str, date_imputation: str, time_imputation: str) -> pd.DataFrame:
    """What :func:`impute_datetime` makes of each distinct value before any bound: the datetime (imputed where
    allowed), the earliest and latest it may stand for, its date and time flags and whether it is imputed."""
    level = LEVELS.index(highest_imputation)
    date_level = highest_imputation if level >= LEVELS.index("D") else "n"
    fill = _TIME_FILL.get(time_imputation) or tuple(float(x) for x in time_imputation.split(":"))
    parts = _number_parts(text)
    missing = {k: parts[k].isna() for k in ("H", "M", "S")}
    allowed = pd.Series(True, index=text.index)
    for key, needed in (("H", "h"), ("M", "m"), ("S", "s")):
        allowed &= ~(missing[key] & (level < LEVELS.index(needed)))

    def combine(days: pd.Series, dtf: pd.Series, time_fill) -> pd.Series:
        whole = dtf.notna()  # an imputed date gets an imputed time too
        clock = [parts[k].where(~(missing[k] | whole), value) for k, value in zip(("H", "M", "S"), time_fill)]
        return (days * 86400 + clock[0] * 3600 + clock[1] * 60 + clock[2]).where(allowed & days.notna())

    def dates(imputation: str) -> tuple[pd.Series, pd.Series]:
        return _bounded_date(_date_imputations(parts, text, date_level, imputation), date_level, imputation, (), ())

    days, dtf = dates(date_imputation)
    tmf = pd.Series(np.select([missing["H"], missing["M"], missing["S"]], ["H", "M", "S"], default=""), index=text.index)
    tmf = tmf.where(dtf.isna(), "H")
    return pd.DataFrame({
        "result": combine(days, dtf, fill), "earliest": combine(*dates("first"), _TIME_FILL["first"]),
        "latest": combine(*dates("last"), _TIME_FILL["last"]), "dtf": dtf, "tmf": tmf, "imputed": tmf.ne(""),
    })
