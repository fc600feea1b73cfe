"""SAS dates, datetimes and times in a comparison: which variables hold them, text read as them, values shown as them.

A variable is a date when either side's SAS format says so (``DATE9.``, ``E8601DA.``,
``YYMMDD10.`` ...) or the user names it (``--dates`` / ``--datetimes``). Its text
values (ISO 8601 from R or a CSV export, or SAS's own ``01JUN2023``) are then read
as SAS numbers, so that ``2023-06-01`` and the SAS date 23162 compare equal:

    >>> import pandas as pd
    >>> as_sas(pd.Series(["2023-06-01", "01JUN2023", "", "soon"]), "date").tolist()
    [23162.0, 23162.0, nan, 'soon']
    >>> shown(pd.Series([23162.0, None]), "date").tolist()
    ['2023-06-01', None]
    >>> date_kind("DATETIME20."), date_kind("E8601DA."), date_kind("8.2")
    ('datetime', 'date', None)
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc.sasdates import SAS_EPOCH, sas_date, sas_datetime

_DATETIME = re.compile(r"^(DATETIME|DATEAMPM|[EB]8601D[TZ]|IS8601D[TZ]|MDYAMPM|NLDATM|DTDATE|DTMONYY|DTYEAR|DTWKDATX)")
_TIME = re.compile(r"^(TIME|TOD|HHMM|HOUR|MMSS|[EB]8601T[MZ]|IS8601T[MZ]|NLTIME)")
_DATE = re.compile(
    r"^(DATE|DAY|DDMMYY|MMDDYY|YYMMDD|YYMM|YYQ|MONYY|MONNAME|MONTH|WEEKDATE|WEEKDATX|WORDDATE|WORDDATX|"
    r"[EB]8601DA|IS8601DA|NLDATE|JULDAY|JULIAN|QTR|YEAR|DOWNAME|EURDF|MINGUO|NENGO)"
)
#: Seconds per unit of each kind, to read a time of day and show values.
_UNIT = {"date": 86400, "datetime": 1, "time": 1}


def date_kind(sas_format: str | None) -> str | None:
    """``date``, ``datetime``, ``time`` or ``None`` for a SAS format name (width and decimals ignored)."""
    name = (sas_format or "").strip().upper()
    for kind, pattern in (("datetime", _DATETIME), ("time", _TIME), ("date", _DATE)):
        if pattern.match(name):
            return kind
    return None


def as_sas(values: pd.Series, kind: str) -> pd.Series:
    """Text read as SAS numbers of ``kind``; numbers kept; blank or ``.`` missing; unreadable text kept as it is.

    Text forms: ISO 8601 (``2023-06-01``, ``2023-06-01T10:30:00``, ``10:30``) and SAS's
    ``DATE9.``/``DATETIME.`` output (``01JUN2023``, ``01JUN2023:10:30:00``).
    """
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    text = values.astype("str").str.strip()
    missing = values.isna() | text.isin(["", "."])
    numbers = _read(text, kind)
    numbers = numbers.where(numbers.notna(), pd.to_numeric(text, errors="coerce"))
    if (numbers.notna() | missing).all():
        return numbers.astype("float64")
    return numbers.astype(object).where(numbers.notna() | missing, values).where(~missing, np.nan)


def _read(text: pd.Series, kind: str) -> pd.Series:
    if kind == "date":
        iso = sas_date(text)
        sas = (pd.to_datetime(text, format="%d%b%Y", errors="coerce") - SAS_EPOCH).dt.days
        return iso.where(iso.notna(), sas.astype("float64"))
    if kind == "datetime":
        iso = sas_datetime(text)
        sas = (pd.to_datetime(text, format="%d%b%Y:%H:%M:%S", errors="coerce") - SAS_EPOCH).dt.total_seconds()
        return iso.where(iso.notna(), sas.astype("float64"))
    clock = text.str.extract(r"^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$").astype("float64")
    return clock[0] * 3600 + clock[1] * 60 + clock[2].fillna(0)


def shown(values: pd.Series, kind: str) -> pd.Series:
    """SAS numbers of ``kind`` as ISO 8601 text (other values as they are), for reports."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    stamps = SAS_EPOCH + pd.to_timedelta(numbers * _UNIT[kind], unit="s")
    form = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%S", "time": "%H:%M:%S"}[kind]
    text = stamps.dt.strftime(form)
    return text.astype(object).where(numbers.notna(), values.astype(object).where(values.notna(), None))
