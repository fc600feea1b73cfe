"""Numerical building blocks of NCA on one profile: BLQ handling, trapezoid areas, the lambda-z fit.

Every function takes numpy arrays of one profile, sorted by time, and returns numbers or arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cdisc.adam.nca.settings import BlqSettings


def apply_blq(conc: np.ndarray, blq: np.ndarray, rules: BlqSettings) -> np.ndarray:
    """Concentrations with BLQ samples set to 0 or dropped (NaN) by where they lie in the profile.

    >>> apply_blq(np.array([0.0, 2, 0, 1, 0]), np.array([True, False, True, False, True]), BlqSettings()).tolist()
    [0.0, 2.0, nan, 1.0, 0.0]
    """
    quantified = np.flatnonzero(~blq & ~np.isnan(conc))
    out = np.where(blq, 0.0, conc)
    if len(quantified) == 0:
        return np.where(blq & (rules.before_first == "drop"), np.nan, out)
    index = np.arange(len(conc))
    dropped = np.select(
        [index < quantified[0], index > quantified[-1]],
        [rules.before_first == "drop", rules.after_last == "drop"],
        rules.between == "drop",
    )
    return np.where(blq & dropped, np.nan, out)


def segment_areas(t: np.ndarray, c: np.ndarray, method: str) -> np.ndarray:
    """Area of each interval between consecutive points: linear, or log where the concentration falls.

    >>> segment_areas(np.array([0.0, 1, 2]), np.array([0.0, 4, 2]), "linear").tolist()
    [2.0, 3.0]
    """
    dt = np.diff(t)
    c1, c2 = c[:-1], c[1:]
    linear = dt * (c1 + c2) / 2
    if method == "linear":
        return linear
    falling = (c2 < c1) & (c2 > 0) & (c1 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log = dt * (c1 - c2) / np.log(c1 / c2)
    return np.where(falling, log, linear)


def interpolate(t: np.ndarray, c: np.ndarray, at: float, method: str) -> float:
    """The concentration at ``at`` (within the sampled times), linear or log on falling intervals."""
    i = int(np.searchsorted(t, at, side="right")) - 1
    if t[i] == at or i == len(t) - 1:
        return float(c[i])
    fraction = (at - t[i]) / (t[i + 1] - t[i])
    c1, c2 = c[i], c[i + 1]
    if method != "linear" and 0 < c2 < c1:
        return float(np.exp(np.log(c1) + fraction * (np.log(c2) - np.log(c1))))
    return float(c1 + fraction * (c2 - c1))


def area(t: np.ndarray, c: np.ndarray, end: float, method: str) -> float:
    """AUC from the first time to ``end`` (a sampled time or one between samples)."""
    inside = t <= end
    tt, cc = t[inside], c[inside]
    if tt[-1] < end:
        tt, cc = np.append(tt, end), np.append(cc, interpolate(t, c, end, method))
    return float(segment_areas(tt, cc, method).sum())


@dataclass(frozen=True)
class LambdaZFit:
    """A log-linear fit of the terminal phase: ln C = intercept - lambda_z * t."""

    lambda_z: float
    intercept: float
    r2: float
    r2adj: float
    n: int
    lower: float
    upper: float


def fit_log_linear(t: np.ndarray, c: np.ndarray) -> LambdaZFit:
    """Least-squares fit of ln(c) on t (c > 0, at least 2 points)."""
    y = np.log(c)
    n = len(t)
    slope, intercept = np.polyfit(t, y, 1)
    residual = float(((y - (intercept + slope * t)) ** 2).sum())
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - residual / total if total > 0 else 1.0
    r2adj = 1.0 - (1.0 - r2) * (n - 1) / (n - 2) if n > 2 else np.nan
    return LambdaZFit(-float(slope), float(intercept), r2, r2adj, n, float(t[0]), float(t[-1]))


def best_fit(t: np.ndarray, c: np.ndarray, min_points: int, tolerance: float) -> LambdaZFit | None:
    """PKNCA's choice among fits of the last ``min_points``..n points with a positive lambda-z: the best
    adjusted R-squared, and within ``tolerance`` of it the fit with the most points (None if there is none).

    >>> t = np.array([1.0, 2, 4, 8, 12]); fit = best_fit(t, 10 * np.exp(-0.2 * t), 3, 1e-4)
    >>> fit.n, round(fit.lambda_z, 6)
    (5, 0.2)
    """
    fits = [fit_log_linear(t[-k:], c[-k:]) for k in range(min_points, len(t) + 1)]
    fits = [f for f in fits if f.lambda_z > 0]
    if not fits:
        return None
    best = max(f.r2adj for f in fits)
    return max((f for f in fits if f.r2adj >= best - tolerance), key=lambda f: f.n)
