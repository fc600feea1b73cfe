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
import pyarrow as pa
import pyarrow.compute as pc

from cdisc.arrowtext import is_text_per_record
from cdisc.datepattern import (
    UNKNOWN,
    DatePattern,
    PatternError,
    date_patterns,
    four_digit_years,
    time_patterns,
)
from cdisc.sdtm.distinct import on_distinct
from cdisc.textparts import extract_arrays, extract_groups

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
    values over many rows, so each distinct date/time pair is converted once (in pyarrow) and mapped back.
    """
    forms = date_patterns(form)
    if year_cutoff is None and any(f.two_digit_year for f in forms):
        raise PatternError(f"{' or '.join(f.text for f in forms)}: two-digit years need a year_cutoff (the century rule)")
    time_forms = time_patterns(time_form)
    date_codes, dates = _distinct(date)
    parts, reasons = _parts(dates, forms, "date", year_cutoff)
    _check_calendar(parts, reasons)
    pair, values = date_codes, [dates]
    if time is not None:
        time_codes, times = _distinct(time)
        time_parts, time_reasons = _parts(times, time_forms, "time", year_cutoff)
        width = max(len(times), 1)
        pair, combined = pd.factorize(date_codes * width + time_codes)
        on_date, on_time = pa.array(combined // width), pa.array(combined % width)
        parts = {key: part.take(on_date) for key, part in parts.items()}
        for key in ("H", "M", "S"):
            parts[key] = pc.coalesce(parts[key], time_parts[key].take(on_time))
        date_reasons = reasons[combined // width]
        reasons = np.where(date_reasons != "", date_reasons, time_reasons[combined % width])
        orphan = _blank(dates)[combined // width] & ~_blank(times)[combined % width]
        reasons[(reasons == "") & orphan] = "a time without a date"
        values = [dates.take(on_date), times.take(on_time)]
    bad = reasons != ""
    if bad.any():
        at = np.flatnonzero(bad)
        rows = np.flatnonzero(np.isin(pair, at))
        described = dict(zip(at.tolist(), zip(_describe_values(values, at), reasons[at].tolist())))
        found = [described[p] for p in pair[rows].tolist()]
        raise InvalidDates(rows, [v for v, _ in found], [r for _, r in found])
    return pd.Series(_format(parts).take(pa.array(pair)), index=date.index, dtype="str")


def _distinct(text: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Each row's position among the distinct values of ``text`` (missing read as blank), and those values."""
    codes, uniques = pd.factorize(text.astype("str").fillna(""))
    return codes, pa.array(uniques, type=pa.string())


def _blank(text: pa.Array) -> np.ndarray:
    return _mask(pc.equal(pc.utf8_trim_whitespace(text), ""))


def _mask(condition: pa.Array) -> np.ndarray:
    """A pyarrow boolean as a numpy mask, null read as false."""
    return pc.fill_null(condition, False).to_numpy(zero_copy_only=False)


def _known(values: pa.Array) -> np.ndarray:
    return _mask(pc.is_valid(values))


def _number(text: pa.Array) -> np.ndarray:
    """Text of ASCII digits as numbers (NaN otherwise, as ``pd.to_numeric`` reads such text)."""
    digits = pc.if_else(_mask(pc.match_substring_regex(text, r"^[0-9]+$")), text, None)
    return pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False)


def _parts(
    values: pa.Array, forms: tuple[DatePattern, ...], what: str, year_cutoff: int | None
) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Split text into ISO parts using the first of ``forms`` that matches each value, and why a value is bad."""
    text = pc.utf8_upper(pc.utf8_trim_whitespace(values))
    blank = _blank(text)
    missing = pa.nulls(len(text), pa.string())
    parts = {k: missing for k in PARTS}
    found = np.zeros(len(text), dtype=bool)
    reasons = np.full(len(text), "", dtype=object)
    unknown = pa.array(UNKNOWN, type=pa.string())
    for form in forms:
        match = extract_arrays(text, f"^{form.regex}$")
        hit = np.logical_or.reduce([_known(group) for group in match.values()]) & ~found
        named = {key: pc.if_else(_mask(pc.is_in(match[key], unknown)), None, match[key]) for key in form.groups}
        if "mon" in named:
            month_name = named.pop("mon")
            named["m"] = pc.take(pa.array(list(MONTHS.values())), pc.index_in(month_name, pa.array(list(MONTHS))))
            reasons[hit & _known(month_name) & ~_known(named["m"])] = "unknown month name"
        if "yy" in named:
            assert year_cutoff is not None  # iso8601 refuses two-digit years without a cutoff
            named["y"] = _four_digit(named.pop("yy"), year_cutoff)
        if "p" in named:
            named["H"] = _clock_hour(named["H"], named.pop("p"), hit, reasons)
        for key, value in named.items():
            parts[key] = pc.if_else(hit, value, parts[key])
        found |= hit
    for key in ("m", "d", "H"):
        parts[key] = pc.utf8_zfill(parts[key], 2)
    expected = " or ".join(form.text for form in forms)
    reasons[~blank & ~found] = f"not a recognised {what} form (expected {expected})"
    _check_clock(parts, reasons)
    if blank.any():
        parts = {key: pc.if_else(blank, None, part) for key, part in parts.items()}
    return parts, reasons


def _four_digit(years: pa.Array, cutoff: int) -> pa.Array:
    number = _number(years)
    known = ~np.isnan(number)
    four = four_digit_years(np.where(known, number, 0).astype(int), cutoff)
    return pc.cast(pa.array(four, mask=~known), pa.string())


def _clock_hour(hour: pa.Array, meridiem: pa.Array, hit: np.ndarray, reasons: np.ndarray) -> pa.Array:
    """A 12-hour clock hour with AM/PM as a 24-hour clock hour (12 AM is 00, 12 PM is 12)."""
    number = _number(hour)
    known = ~np.isnan(number)
    reasons[hit & known & ~((number >= 1) & (number <= 12))] = "hour out of range for AM/PM (1 to 12)"
    afternoon = _mask(pc.starts_with(meridiem, "P"))
    clock = np.where(known, number % 12 + np.where(afternoon, 12, 0), 0).astype(int)
    return pc.cast(pa.array(clock, mask=~known), pa.string())


def _check_calendar(parts: dict[str, pa.Array], reasons: np.ndarray) -> None:
    """Months 1-12, days 1-31 and days that exist in their month (a leap day only in a leap year)."""
    month = _number(parts["m"])
    reasons[~np.isnan(month) & ~((month >= 1) & (month <= 12)) & (reasons == "")] = "month out of range"
    complete = np.flatnonzero(_known(parts["y"]) & _known(parts["m"]) & _known(parts["d"]) & (reasons == ""))
    if len(complete):
        joined = pc.binary_join_element_wise(*(parts[k].take(pa.array(complete)) for k in ("y", "m", "d")), "-")
        stamp = pd.to_datetime(pd.Series(joined, dtype="str"), format="%Y-%m-%d", errors="coerce")
        reasons[complete[stamp.isna().to_numpy()]] = "no such day in that month"
    day = _number(parts["d"])
    reasons[~np.isnan(day) & ~((day >= 1) & (day <= 31))] = "day out of range"


def _check_clock(parts: dict[str, pa.Array], reasons: np.ndarray) -> None:
    for key, limit, what in (("H", 23, "hour"), ("M", 59, "minute"), ("S", 59, "second")):
        value = _number(parts[key])
        reasons[~np.isnan(value) & (value > limit) & (reasons == "")] = f"{what} out of range"


def _format(parts: dict[str, pa.Array]) -> pa.Array:
    """Join parts as ISO 8601: right-truncate trailing unknowns, ``-`` for inner ones."""
    present = np.column_stack([_known(parts[k]) for k in PARTS])
    any_present = present.any(axis=1)
    last = np.where(any_present, present.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1), -1)
    y, m, d, hour, minute, second = (pc.fill_null(parts[k], "-") for k in PARTS)
    day = pc.binary_join_element_wise(y, m, d, "-")
    clock = pc.binary_join_element_wise(day, hour, "T")
    candidates = [
        y, pc.binary_join_element_wise(y, m, "-"), day, clock,
        pc.binary_join_element_wise(clock, minute, ":"), pc.binary_join_element_wise(clock, minute, second, ":"),
    ]
    return pc.choose(pa.array(last, mask=~any_present, type=pa.int8()), *candidates)


def _describe_values(values: list[pa.Array], rows: np.ndarray) -> list[str]:
    """The bad values as collected (date and time joined by a space) for the message."""
    if len(values) == 1:
        return values[0].take(pa.array(rows)).to_pylist()
    dates, times = (column.take(pa.array(rows)).to_pylist() for column in values)
    return [f"{d} {t}".strip() for d, t in zip(dates, times)]


def date_part(dtc: pd.Series) -> pd.Series:
    """The complete calendar date of ISO 8601 text as datetime64, missing when the date is partial.

    Each distinct date is read once (a column of dates repeats them over many records; text held once per distinct
    value: each of its categories).

    >>> from cdisc.arrowtext import text_per_record
    >>> days = date_part(text_per_record(pd.Series(["2024-03-05T10:00", "2024-03"], dtype="str"), np.array([1, 0, -1])))
    >>> days.isna().tolist(), str(days[1].date())
    ([True, False, True], '2024-03-05')
    """
    if is_text_per_record(dtc.dtype):
        return on_distinct(dtc, date_part).rename(dtc.name)
    codes, distinct = pd.factorize(dtc.astype("str").str.slice(0, 10))
    text = pd.concat([pd.Series(distinct, dtype="str"), pd.Series([None], dtype="str")], ignore_index=True)  # the last: missing
    complete = extract_groups(text, r"^(?P<date>\d{4}-\d{2}-\d{2})$")["date"]
    days = pd.to_datetime(complete, format="%Y-%m-%d", errors="coerce")
    return pd.Series(days.to_numpy()[np.where(codes < 0, len(distinct), codes)], index=dtc.index, name=dtc.name)
