"""Numerical building blocks of NCA over many profiles at once: the BLQ rule, trapezoid areas, row sums.

Profiles sit side by side as rows of 2-D arrays (profiles x samples), each row's samples sorted by time in
its first ``count`` columns and NaN after them. Every result is bit-identical to the same arithmetic on the
profile alone (the tests compare them): elementwise numpy operations are, and :func:`row_reduce` reduces each
row as numpy reduces a 1-D array of that length.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cdisc.adam.nca.settings import BlqSettings


class Curve(NamedTuple):
    """Rows of sorted times and concentrations, ``points`` of them in each row (NaN after them)."""

    time: np.ndarray
    conc: np.ndarray
    points: np.ndarray


def apply_blq(profile: np.ndarray, conc: np.ndarray, blq: np.ndarray, rules: BlqSettings) -> np.ndarray:
    """Concentrations with BLQ samples set to 0 or dropped (NaN) by where they lie in their profile.

    ``profile`` numbers the profile of each sample (samples of a profile together, sorted by time).

    >>> profile = np.array([0, 0, 0, 0, 0, 1, 1])
    >>> conc, blq = np.array([0.0, 2, 0, 1, 0, 0, 0]), np.array([True, False, True, False, True, True, True])
    >>> apply_blq(profile, conc, blq, BlqSettings()).tolist()
    [0.0, 2.0, nan, 1.0, 0.0, 0.0, 0.0]
    """
    index = np.arange(len(conc))
    quantified = ~blq & ~np.isnan(conc)
    size = int(profile[-1]) + 1 if len(profile) else 0
    first = np.full(size, len(conc))  # a profile with no quantified sample: every sample is before the first
    last = np.full(size, -1)
    np.minimum.at(first, profile[quantified], index[quantified])
    np.maximum.at(last, profile[quantified], index[quantified])
    dropped = np.select(
        [index < first[profile], index > last[profile]],
        [rules.before_first == "drop", rules.after_last == "drop"],
        rules.between == "drop",
    )
    return np.where(blq & dropped, np.nan, np.where(blq, 0.0, conc))


def segment_areas(t: np.ndarray, c: np.ndarray, method: str) -> np.ndarray:
    """Area of each interval between consecutive points of each row: linear, or log where the concentration falls.

    >>> segment_areas(np.array([[0.0, 1, 2]]), np.array([[0.0, 4, 2]]), "linear").tolist()
    [[2.0, 3.0]]
    """
    dt = np.diff(t, axis=-1)
    c1, c2 = c[..., :-1], c[..., 1:]
    linear = dt * (c1 + c2) / 2
    if method == "linear":
        return linear
    falling = (c2 < c1) & (c2 > 0) & (c1 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log = dt * (c1 - c2) / np.log(c1 / c2)
    return np.where(falling, log, linear)


def row_reduce(ufunc: np.ufunc, values: np.ndarray, count: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """``ufunc`` (np.add, np.maximum) over the first ``count`` values of each row (``empty`` for none), each row
    reduced as numpy reduces a 1-D array of that length (sums pairwise from 8 values on, -0.0 against 0.0 as there),
    so that the result is bit-identical to that of the profile's values alone.

    >>> row_reduce(np.add, np.array([[1.0, 2, 4], [8, 16, 32]]), np.array([2, 0])).tolist()
    [3.0, 0.0]
    """
    out = np.full(len(values), empty)
    for k in np.unique(count[count > 0]):
        rows = count == k
        out[rows] = ufunc.reduce(values[rows, :k], axis=1)
    return out


def area(curve: Curve, end: np.ndarray, method: str) -> np.ndarray:
    """AUC of each row from its first time to ``end`` (a sampled time or one between its samples).

    Between samples the concentration at ``end`` is interpolated, linear or log on a falling interval.

    >>> curve = Curve(np.array([[0.0, 1, 2]]), np.array([[0.0, 4, 2]]), np.array([3]))
    >>> area(curve, np.array([1.5]), "linear").tolist()
    [3.75]
    """
    t, c = curve.time, curve.conc
    rows = np.arange(len(t))
    last = (t <= end[:, None]).sum(axis=1) - 1  # the last point at or before the end
    before = np.maximum(last, 0)
    after = np.minimum(before + 1, t.shape[1] - 1)
    t1, c1, t2, c2 = t[rows, before], c[rows, before], t[rows, after], c[rows, after]
    between = (last >= 0) & (last + 1 < curve.points) & (t1 < end)
    fraction = (end - t1) / (t2 - t1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logged = np.exp(np.log(c1) + fraction * (np.log(c2) - np.log(c1)))
    at_end = np.where((method != "linear") & (c2 > 0) & (c2 < c1), logged, c1 + fraction * (c2 - c1))
    segments = segment_areas(t, c, method)
    segments[rows[between], before[between]] = segment_areas(
        np.column_stack([t1, end])[between], np.column_stack([c1, at_end])[between], method
    )[:, 0]
    return row_reduce(np.add, segments, np.where(between, last + 1, last))
