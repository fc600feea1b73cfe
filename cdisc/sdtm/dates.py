"""ISO 8601 dates and times from EDC text, vectorised.

Accepted date forms (case-insensitive): ``DD-MON-YYYY`` with ``UN``/``UNK``
for unknown parts (``UN-MAR-2024``, ``UNK-UNK-2024``), and ISO ``YYYY``,
``YYYY-MM``, ``YYYY-MM-DD`` (optionally with ``THH:MM[:SS]``). Times:
``HH:MM`` or ``HH:MM:SS``, ``UN``/``UNK`` for unknown parts.

Unknown parts are kept partial as collected: right-truncated
(``UN-MAR-2024`` -> ``2024-03``) or, inside the value, written as ``-``
per SDTMIG 4.4.4 (``15-UNK-2024`` -> ``2024---15``). A time on a date whose
day is unknown is kept (``2024-03--T10:30``). An impossible value
(``31-FEB-2024``, month 13, ``25:00``) is reported, never blanked.

Example::

    >>> import pandas as pd
    >>> iso8601(pd.Series(["05-MAR-2024", "UN-MAR-2024", None]), pd.Series(["14:30", "", None])).values.tolist()
    ['2024-03-05T14:30', '2024-03', nan]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_UNKNOWN = r"UNKN|UNK|UN"
_EDC = rf"(?P<d>\d{{1,2}}|{_UNKNOWN})[-/ ](?P<m>[A-Z]{{3}}|{_UNKNOWN})[-/ ](?P<y>\d{{4}}|{_UNKNOWN})"
_TOKENS = {
    "DD": rf"(?P<d>\d{{1,2}}|{_UNKNOWN})",
    "MM": rf"(?P<m>\d{{1,2}}|{_UNKNOWN})",
    "MON": rf"(?P<m>[A-Z]{{3}}|{_UNKNOWN})",
    "YYYY": rf"(?P<y>\d{{4}}|{_UNKNOWN})",
}
#: Date forms a spec may declare; ``auto`` accepts DD-MON-YYYY and ISO, which cannot be misread.
DATE_FORMATS = (
    "auto", "DD-MON-YYYY", "YYYY-MM-DD", "MM/DD/YYYY", "DD/MM/YYYY", "MM-DD-YYYY", "DD-MM-YYYY", "DD.MM.YYYY",
    "MON-YYYY", "MM/YYYY", "MM-YYYY", "YYYY",
)
_ISO = r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
_TIME = rf"(?P<H>\d{{1,2}}|{_UNKNOWN}):(?P<M>\d{{2}}|{_UNKNOWN})(?::(?P<S>\d{{2}}|{_UNKNOWN}))?"
PARTS = ("y", "m", "d", "H", "M", "S")


class InvalidDates(ValueError):
    """Values that are not dates or times; ``rows`` are positions in the input, ``reasons`` say why."""

    def __init__(self, rows: np.ndarray, values: list[str], reasons: list[str]):
        super().__init__(f"{len(rows)} invalid date/time value(s)")
        self.rows, self.values, self.reasons = rows, values, reasons


def iso8601(date: pd.Series, time: pd.Series | None = None, form: str | Sequence[str] = "auto") -> pd.Series:
    """ISO 8601 text from EDC date (and optional time) text; raise :class:`InvalidDates` on bad values.

    ``form`` is one of :data:`DATE_FORMATS`, or several tried in order (``["MM/DD/YYYY", "YYYY"]``);
    day-month orders that could be misread must be declared. Raw date columns repeat few distinct
    values over many rows, so each distinct date/time pair is converted once and mapped back.
    """
    collected = pd.DataFrame({"date": date.astype("str").fillna("").to_numpy()})
    if time is not None:
        collected["time"] = time.astype("str").fillna("").to_numpy()
    pair = collected.groupby(list(collected.columns), sort=False).ngroup().to_numpy()
    distinct = collected.drop_duplicates().reset_index(drop=True)
    try:
        converted = _convert(distinct["date"], distinct["time"] if time is not None else None, form)
    except InvalidDates as exc:
        rows = np.flatnonzero(np.isin(pair, exc.rows))
        by_pair = dict(zip(exc.rows.tolist(), zip(exc.values, exc.reasons)))
        found = [by_pair[p] for p in pair[rows]]
        raise InvalidDates(rows, [v for v, _ in found], [r for _, r in found]) from None
    return pd.Series(converted.to_numpy()[pair], index=date.index, dtype="str")


def _convert(date: pd.Series, time: pd.Series | None, form: str | Sequence[str]) -> pd.Series:
    """:func:`iso8601` on one row per distinct value."""
    parts, bad, reasons = _date_parts(date, (form,) if isinstance(form, str) else tuple(form))
    if time is not None:
        tparts, tbad, treasons = _time_parts(time)
        for key in ("H", "M", "S"):
            parts[key] = parts[key].where(parts[key].notna(), tparts[key])
        reasons = reasons.where(bad, treasons)
        bad |= tbad
        orphan = ~bad & _blank(date.astype("str")) & ~_blank(time.astype("str"))
        reasons[orphan] = "a time without a date"
        bad |= orphan
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        values = _describe_values(date, time, rows)
        raise InvalidDates(rows, values, reasons.iloc[rows].tolist())
    return _format(parts)


def _blank(text: pd.Series) -> pd.Series:
    return text.isna() | text.str.strip().eq("")


def _form_regex(form: str) -> str:
    if form == "YYYY-MM-DD":
        return _ISO
    separator = next((c for c in form if not c.isalpha()), None)
    tokens = form.split(separator) if separator else [form]
    return re.escape(separator or "").join(_TOKENS[token] for token in tokens)


def _date_parts(date: pd.Series, forms: tuple[str, ...]) -> tuple[dict[str, pd.Series], pd.Series, pd.Series]:
    """Split date text into parts using the first of ``forms`` that matches each value."""
    text = date.astype("str").str.strip().str.upper()
    blank = _blank(text)
    expanded = [f for form in forms for f in (("DD-MON-YYYY", "YYYY-MM-DD") if form == "auto" else (form,))]
    missing = pd.Series(np.nan, index=text.index, dtype="str")
    parts = {k: missing for k in PARTS}
    found = pd.Series(False, index=text.index)
    bad_month = pd.Series(False, index=text.index)
    for form in expanded:
        regex = _EDC if form == "DD-MON-YYYY" else _form_regex(form)
        match = text.str.extract(f"^{regex}$")
        hit = match["y"].notna() & ~found
        for key in PARTS:
            if key in match:
                value = match[key].where(~match[key].isin(["UN", "UNK", "UNKN"]))
                if key == "m" and "MON" in form:
                    named = value.map(MONTHS, na_action="ignore")
                    bad_month |= hit & value.notna() & named.isna()
                    value = named
                parts[key] = parts[key].where(~hit, value)
        found |= hit
    parts["m"] = parts["m"].str.zfill(2)
    parts["d"] = parts["d"].str.zfill(2)
    reasons = pd.Series("", index=date.index, dtype="str")
    reasons[~blank & ~found] = f"not a recognised date form (expected {' or '.join(expanded)})"
    reasons[bad_month] = "unknown month name"
    month = pd.to_numeric(parts["m"], errors="coerce")
    reasons[month.notna() & ~month.between(1, 12)] = "month out of range"
    complete = parts["y"].notna() & parts["m"].notna() & parts["d"].notna() & reasons.eq("")
    stamp = pd.to_datetime(parts["y"] + "-" + parts["m"] + "-" + parts["d"], format="%Y-%m-%d", errors="coerce")
    reasons[complete & stamp.isna()] = "no such day in that month"
    day = pd.to_numeric(parts["d"], errors="coerce")
    reasons[day.notna() & ~day.between(1, 31)] = "day out of range"
    _check_clock(parts, reasons)
    for key in PARTS:
        parts[key] = parts[key].where(~blank)
    return parts, reasons.ne(""), reasons


def _time_parts(time: pd.Series) -> tuple[dict[str, pd.Series], pd.Series, pd.Series]:
    text = time.astype("str").str.strip().str.upper()
    blank = _blank(text)
    found = text.str.extract(f"^{_TIME}$")
    parts = {k: found[k].where(~found[k].isin(["UN", "UNK", "UNKN"])) for k in ("H", "M", "S")}
    parts["H"] = parts["H"].str.zfill(2)
    reasons = pd.Series("", index=time.index, dtype="str")
    reasons[~blank & found["H"].isna()] = "not a recognised time form (HH:MM or HH:MM:SS)"
    _check_clock(parts, reasons)
    return parts, reasons.ne(""), reasons


def _check_clock(parts: dict[str, pd.Series], reasons: pd.Series) -> None:
    for key, limit, what in (("H", 23, "hour"), ("M", 59, "minute"), ("S", 59, "second")):
        value = pd.to_numeric(parts[key], errors="coerce")
        reasons[value.notna() & (value > limit)] = f"{what} out of range"


def _format(parts: dict[str, pd.Series]) -> pd.Series:
    """Join parts as ISO 8601: right-truncate trailing unknowns, ``-`` for inner ones."""
    present = np.column_stack([parts[k].notna().to_numpy() for k in PARTS])
    any_present = present.any(axis=1)
    last = np.where(any_present, present.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1), -1)
    filled = {k: parts[k].fillna("-") for k in PARTS}
    candidates = [
        filled["y"],
        filled["y"] + "-" + filled["m"],
        filled["y"] + "-" + filled["m"] + "-" + filled["d"],
        filled["y"] + "-" + filled["m"] + "-" + filled["d"] + "T" + filled["H"],
        filled["y"] + "-" + filled["m"] + "-" + filled["d"] + "T" + filled["H"] + ":" + filled["M"],
        filled["y"] + "-" + filled["m"] + "-" + filled["d"] + "T" + filled["H"] + ":" + filled["M"] + ":" + filled["S"],
    ]
    choices = [c.to_numpy(dtype=object) for c in candidates]
    result = np.select([last == i for i in range(6)], choices, default=None)
    return pd.Series(result, index=parts["y"].index, dtype="str").where(any_present)


def _describe_values(date: pd.Series, time: pd.Series | None, rows: np.ndarray) -> list[str]:
    dates = date.iloc[rows].astype("str").fillna("")
    if time is None:
        return dates.tolist()
    times = time.iloc[rows].astype("str").fillna("")
    return [f"{d} {t}".strip() for d, t in zip(dates, times)]


def date_part(dtc: pd.Series) -> pd.Series:
    """The complete calendar date of ISO 8601 text as datetime64, missing when the date is partial."""
    text = dtc.astype("str").str.slice(0, 10)
    return pd.to_datetime(text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")), format="%Y-%m-%d", errors="coerce")
