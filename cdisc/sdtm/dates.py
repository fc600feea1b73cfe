"""ISO 8601 dates and times from EDC text, vectorised.

A date column is read with the patterns the spec declares (:mod:`cdisc.datepattern`:
``DD-MON-YY``, ``MM/DD/YYYY``, ``DDMONYYYY``, ``DD-MON-YYYY HH:MM`` ...), tried in order; ``auto``
accepts ``DD-MON-YYYY`` and ISO ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` (optionally with
``THH:MM[:SS]``), which cannot be misread. A separate time column is read with its own patterns
(``auto``: ``HH:MM`` or ``HH:MM:SS``; ``HH:MM AM/PM`` when declared). Two-digit years need the
century rule: ``year_cutoff`` (as SAS YEARCUTOFF), e.g. 1950 reads ``20`` as 2020 and ``60`` as 1960.

Unknown parts (``UN``/``UNK``/``UNKN``) are kept partial as collected: right-truncated
(``UN-MAR-2024`` -> ``2024-03``) or, inside the value, written as ``-`` per SDTMIG 4.4.4
(``15-UNK-2024`` -> ``2024---15``). A time on a date whose day is unknown is kept
(``2024-03--T10:30``). An impossible value (``31-FEB-2024``, month 13, ``25:00``, ``13:00 PM``) is
reported, never blanked.

Example::

    >>> import pandas as pd
    >>> iso8601(pd.Series(["05-MAR-2024", "UN-MAR-2024", None]), pd.Series(["14:30", "", None])).values.tolist()
    ['2024-03-05T14:30', '2024-03', nan]
    >>> iso8601(pd.Series(["15-Sep-20", "10-UNK-20"]), form="DD-MON-YY", year_cutoff=1950).tolist()
    ['2020-09-15', '2020---10']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc.datepattern import (
    UNKNOWN,
    DatePattern,
    PatternError,
    date_patterns,
    four_digit_years,
    time_patterns,
)
from cdisc.textparts import extract_groups

MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
PARTS = ("y", "m", "d", "H", "M", "S")


class InvalidDates(ValueError):
    """Values that are not dates or times; ``rows`` are positions in the input, ``reasons`` say why."""

    def __init__(self, rows: np.ndarray, values: list[str], reasons: list[str]):
        super().__init__(f"{len(rows)} invalid date/time value(s)")
        self.rows, self.values, self.reasons = rows, values, reasons


def iso8601(
    date: pd.Series,
    time: pd.Series | None = None,
    form: str | Sequence[str] = "auto",
    time_form: str | Sequence[str] = "auto",
    year_cutoff: int | None = None,
) -> pd.Series:
    """ISO 8601 text from EDC date (and optional time) text; raise :class:`InvalidDates` on bad values.

    Raise :class:`~cdisc.datepattern.PatternError` for a pattern that cannot be read.
    ``form`` is a declared pattern (``"DD-MON-YY"``) or several tried in order (``["MM/DD/YYYY", "YYYY"]``);
    day-month orders that could be misread must be declared, and so must ``year_cutoff`` for two-digit
    years. ``time_form`` does the same for the time column. Raw date columns repeat few distinct
    values over many rows, so each distinct date/time pair is converted once and mapped back.
    """
    collected = pd.DataFrame({"date": date.astype("str").fillna("").to_numpy()})
    if time is not None:
        collected["time"] = time.astype("str").fillna("").to_numpy()
    pair = collected.groupby(list(collected.columns), sort=False).ngroup().to_numpy()
    distinct = collected.drop_duplicates().reset_index(drop=True)
    forms = date_patterns(form)
    if year_cutoff is None and any(f.two_digit_year for f in forms):
        raise PatternError(f"{' or '.join(f.text for f in forms)}: two-digit years need a year_cutoff (the century rule)")
    try:
        converted = _convert(
            distinct["date"], distinct["time"] if time is not None else None, forms, time_patterns(time_form), year_cutoff
        )
    except InvalidDates as exc:
        rows = np.flatnonzero(np.isin(pair, exc.rows))
        by_pair = dict(zip(exc.rows.tolist(), zip(exc.values, exc.reasons)))
        found = [by_pair[p] for p in pair[rows]]
        raise InvalidDates(rows, [v for v, _ in found], [r for _, r in found]) from None
    return pd.Series(converted.to_numpy()[pair], index=date.index, dtype="str")


def _convert(
    date: pd.Series, time: pd.Series | None, forms: tuple[DatePattern, ...], time_forms: tuple[DatePattern, ...],
    year_cutoff: int | None,
) -> pd.Series:
    """:func:`iso8601` on one row per distinct value."""
    parts, reasons = _parts(date, forms, "date", year_cutoff)
    _check_calendar(parts, reasons)
    if time is not None:
        tparts, treasons = _parts(time, time_forms, "time", year_cutoff)
        for key in ("H", "M", "S"):
            parts[key] = parts[key].where(parts[key].notna(), tparts[key])
        reasons = reasons.where(reasons.ne(""), treasons)
        orphan = reasons.eq("") & _blank(date.astype("str")) & ~_blank(time.astype("str"))
        reasons[orphan] = "a time without a date"
    bad = reasons.ne("")
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        values = _describe_values(date, time, rows)
        raise InvalidDates(rows, values, reasons.iloc[rows].tolist())
    return _format(parts)


def _blank(text: pd.Series) -> pd.Series:
    return text.isna() | text.str.strip().eq("")


def _parts(
    values: pd.Series, forms: tuple[DatePattern, ...], what: str, year_cutoff: int | None
) -> tuple[dict[str, pd.Series], pd.Series]:
    """Split text into ISO parts using the first of ``forms`` that matches each value, and why a value is bad."""
    text = values.astype("str").str.strip().str.upper()
    blank = _blank(text)
    missing = pd.Series(np.nan, index=text.index, dtype="str")
    parts = {k: missing for k in PARTS}
    found = pd.Series(False, index=text.index)
    reasons = pd.Series("", index=text.index, dtype="str")
    for form in forms:
        match = extract_groups(text, f"^{form.regex}$")
        hit = match.notna().any(axis=1) & ~found
        named = {key: match[key].where(~match[key].isin(UNKNOWN)) for key in form.groups}
        if "mon" in named:
            named["m"] = named.pop("mon").map(MONTHS, na_action="ignore")
            reasons[hit & match["mon"].notna() & ~match["mon"].isin(UNKNOWN) & named["m"].isna()] = "unknown month name"
        if "yy" in named:
            assert year_cutoff is not None  # iso8601 refuses two-digit years without a cutoff
            named["y"] = _four_digit(named.pop("yy"), year_cutoff)
        if "p" in named:
            named["H"] = _clock_hour(named["H"], named.pop("p"), hit, reasons)
        for key, value in named.items():
            parts[key] = parts[key].where(~hit, value)
        found |= hit
    for key in ("m", "d", "H"):
        parts[key] = parts[key].str.zfill(2)
    expected = " or ".join(form.text for form in forms)
    reasons[~blank & ~found] = f"not a recognised {what} form (expected {expected})"
    _check_clock(parts, reasons)
    for key in PARTS:
        parts[key] = parts[key].where(~blank)
    return parts, reasons


def _four_digit(years: pd.Series, cutoff: int) -> pd.Series:
    number = pd.to_numeric(years, errors="coerce")
    known = number.notna().to_numpy()
    out = pd.Series(np.nan, index=years.index, dtype="str")
    out[known] = four_digit_years(number[known].to_numpy(dtype=int), cutoff).astype(str)
    return out


def _clock_hour(hour: pd.Series, meridiem: pd.Series, hit: pd.Series, reasons: pd.Series) -> pd.Series:
    """A 12-hour clock hour with AM/PM as a 24-hour clock hour (12 AM is 00, 12 PM is 12)."""
    number = pd.to_numeric(hour, errors="coerce")
    reasons[hit & number.notna() & ~number.between(1, 12)] = "hour out of range for AM/PM (1 to 12)"
    afternoon = meridiem.str.startswith("P").fillna(False).astype(bool)
    clock = (number % 12 + np.where(afternoon, 12, 0)).astype("Int64").astype("str")
    return clock.where(number.notna())


def _check_calendar(parts: dict[str, pd.Series], reasons: pd.Series) -> None:
    """Months 1-12, days 1-31 and days that exist in their month (a leap day only in a leap year)."""
    month = pd.to_numeric(parts["m"], errors="coerce")
    reasons[month.notna() & ~month.between(1, 12) & reasons.eq("")] = "month out of range"
    complete = parts["y"].notna() & parts["m"].notna() & parts["d"].notna() & reasons.eq("")
    stamp = pd.to_datetime(parts["y"] + "-" + parts["m"] + "-" + parts["d"], format="%Y-%m-%d", errors="coerce")
    reasons[complete & stamp.isna()] = "no such day in that month"
    day = pd.to_numeric(parts["d"], errors="coerce")
    reasons[day.notna() & ~day.between(1, 31)] = "day out of range"


def _check_clock(parts: dict[str, pd.Series], reasons: pd.Series) -> None:
    for key, limit, what in (("H", 23, "hour"), ("M", 59, "minute"), ("S", 59, "second")):
        value = pd.to_numeric(parts[key], errors="coerce")
        reasons[value.notna() & (value > limit) & reasons.eq("")] = f"{what} out of range"


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
    result = np.select([last == i for i in range(6)], choices, default="")  # every row left has a part
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
