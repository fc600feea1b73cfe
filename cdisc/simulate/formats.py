"""Text as an EDC writes it: dates, clock times and numbers, vectorised.

Dates are carried through the simulation as day numbers (days since 1970-01-01, float with NaN
for missing); they become text only here. Each distinct date is formatted once.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

EPOCH = dt.date(1970, 1, 1)


def day_number(date: dt.date) -> int:
    """Day number of a calendar date."""
    return (date - EPOCH).days


def _by_unique(days: np.ndarray, pattern: str, upper: bool) -> np.ndarray:
    days = np.asarray(days, dtype=float)
    out = np.full(days.shape, "", dtype=object)
    ok = ~np.isnan(days)
    if ok.any():
        uniq, inverse = np.unique(days[ok].astype("int64"), return_inverse=True)
        text = pd.to_datetime(uniq, unit="D").strftime(pattern)
        text = np.asarray(text.str.upper() if upper else text, dtype=object)
        out[ok] = text[inverse]
    return out


def edc_date(days: np.ndarray) -> np.ndarray:
    """``DD-MON-YYYY`` (upper-case month), blank where missing."""
    return _by_unique(days, "%d-%b-%Y", upper=True)


def iso_date(days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD``, blank where missing."""
    return _by_unique(days, "%Y-%m-%d", upper=False)


def clock(minutes: np.ndarray) -> np.ndarray:
    """``HH:MM`` from minutes after midnight (wrapped into one day), blank where missing."""
    minutes = np.asarray(minutes, dtype=float)
    ok = ~np.isnan(minutes)
    labels = np.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)], dtype=object)
    out = np.full(minutes.shape, "", dtype=object)
    out[ok] = labels[np.floor(minutes[ok]).astype("int64") % 1440]
    return out


def number(values: np.ndarray, decimals: int | np.ndarray) -> np.ndarray:
    """Fixed-decimal text (one precision, or one per value), blank where missing."""
    values = np.asarray(values, dtype=float)
    decimals = np.broadcast_to(np.asarray(decimals), values.shape)
    out = np.full(values.shape, "", dtype=object)
    for d in np.unique(decimals):
        sel = (decimals == d) & ~np.isnan(values)
        if sel.any():
            rounded = np.round(values[sel], int(d)) + 0.0
            out[sel] = np.char.mod(f"%.{int(d)}f", rounded).astype(object)
    return out


def sig(values: np.ndarray, digits: int = 3) -> np.ndarray:
    """Text with ``digits`` significant digits in fixed notation (as a lab reports), blank where missing."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, "", dtype=object)
    ok = ~np.isnan(values) & (values > 0)
    exponent = np.floor(np.log10(values[ok]))
    decimals = np.clip(digits - 1 - exponent, 0, 6).astype(int)
    out[ok] = number(values[ok], decimals)
    out[~np.isnan(values) & (values <= 0)] = "0"
    return out
