"""The lambda-z fit: log-linear least squares over the terminal phase of many profiles at once.

Rows hold the terminal-phase points of one profile each, right-aligned (a row's last point in the last column,
NaN before its first). A fit is bit-identical to ``np.polyfit(t, np.log(c), 1)`` on that profile alone, with
R-squared from its residuals (the tests compare them): XPT keeps every bit of a double.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.linalg import _umath_linalg

# How close (per point in the fit, relative to the data's conditioning) an adjusted R-squared computed from sums
# may come to a decision before the row is decided by the exact fits: some 4,500 times the rounding error.
_SURE = 1e-12


@dataclass(frozen=True)
class LambdaZFit:
    """One log-linear fit per row, ln C = intercept - lambda_z * t, over its last ``n`` points (NaN and 0: none)."""

    lambda_z: np.ndarray
    intercept: np.ndarray
    r2: np.ndarray
    r2adj: np.ndarray
    n: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def fit_log_linear(t: np.ndarray, c: np.ndarray) -> LambdaZFit:
    """Least-squares fit of ln(c) on t for each row (every row k points, c > 0, k >= 3), with ``np.polyfit``'s
    arithmetic: columns scaled to unit norm and solved by LAPACK gelsd, as ``np.linalg.lstsq`` does for one row.

    >>> t = np.array([[1.0, 2, 4, 8]]); fit = fit_log_linear(t, 10 * np.exp(-0.2 * t))
    >>> round(float(fit.lambda_z[0]), 6), float(fit.r2adj[0]), int(fit.n[0])
    (0.2, 1.0, 4)
    """
    rows, k = t.shape
    y = np.log(c)
    lhs = np.stack([t + 0.0, np.ones_like(t)], axis=-1)  # np.vander(t + 0.0, 2) of each row (-0.0 becomes 0.0)
    scale = np.sqrt((lhs * lhs).sum(axis=1))
    lhs /= scale[:, None, :]
    # np.linalg.lstsq takes one system; its gufunc solves a stack of them, each exactly as lstsq would
    solved = _umath_linalg.lstsq(lhs, y[..., None], k * np.finfo(float).eps, signature="ddd->ddid")[0][..., 0]
    slope, intercept = (solved / scale).T
    residual = ((y - (intercept[:, None] + slope[:, None] * t)) ** 2).sum(axis=1)
    total = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(total > 0, 1.0 - residual / total, 1.0)
    r2adj = 1.0 - (1.0 - r2) * (k - 1) / (k - 2) if k > 2 else np.full(rows, np.nan)
    return LambdaZFit(-slope, intercept, r2, r2adj, np.full(rows, k), t[:, 0], t[:, -1])


def best_fit(t: np.ndarray, c: np.ndarray, min_points: int, tolerance: float) -> int:
    """PKNCA's choice among fits of the last ``min_points``..n points of one profile with a positive lambda-z:
    the best adjusted R-squared, and within ``tolerance`` of it the fit with the most points. Returns how many
    last points that fit has (0 if no fit has a positive lambda-z).

    >>> t = np.array([1.0, 2, 4, 8, 12]); best_fit(t, 10 * np.exp(-0.2 * t), 3, 1e-4)
    5
    """
    fits = [(fit_log_linear(t[None, -k:], c[None, -k:]), k) for k in range(min_points, len(t) + 1)]
    scores = [(float(fit.r2adj[0]), k) for fit, k in fits if fit.lambda_z[0] > 0]
    if not scores:
        return 0
    best = max(r2adj for r2adj, _ in scores)
    return max(k for r2adj, k in scores if r2adj >= best - tolerance)


def best_windows(t: np.ndarray, c: np.ndarray, count: np.ndarray, min_points: int, tolerance: float) -> np.ndarray:
    """:func:`best_fit` of every row (``count`` right-aligned points each): how many last points, 0 for none.

    All candidate fits of all rows are scored at once from suffix sums (centred on each row's last point). A row
    where a score lies too close to a decision (the tolerance boundary, the sign of the slope) for sums to settle
    it as the exact fits would is decided by :func:`best_fit` on its own, so the choice is always that of the exact
    fits, ties included.

    >>> t = np.array([[np.nan, 1, 2, 4, 8], [0, 1, 2, 3, 4]]); c = np.exp(-0.1 * t) * [[1], [2]]
    >>> c[1, 2] = 3; best_windows(t, c, np.array([4, 5]), 3, 1e-4).tolist()
    [4, 3]
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # windows of 1 and 2 points, constant data
        width = t.shape[1]
        n = np.arange(1, width + 1)  # column j of a suffix sum: the last j + 1 points
        y = np.log(c)
        dx, dy = t - t[:, -1:], y - y[:, -1:]

        def suffix(values: np.ndarray) -> np.ndarray:
            return np.cumsum(values[:, ::-1], axis=1)

        sx, sy = suffix(dx), suffix(dy)
        sxx = suffix(dx * dx) - sx * sx / n
        syy = suffix(dy * dy) - sy * sy / n
        sxy = suffix(dx * dy) - sx * sy / n
        r = sxy / np.sqrt(sxx * syy)
        r2adj = 1.0 - (1.0 - r * r) * (n - 1) / (n - 2)
        # what rounding can move a score by, in these sums and in np.polyfit's (uncentred) ones
        doubt = _SURE * n * (1 + (suffix(t * t) + suffix(dx * dx)) / sxx + (suffix(y * y) + suffix(dy * dy)) / syy)
        candidate = (n >= min_points) & (n <= count[:, None])
        positive = candidate & (r < 0)  # lambda-z > 0
        scores = np.where(positive, r2adj, -np.inf)
        top = np.argmax(scores, axis=1)[:, None] == np.arange(width)  # the best fit is within any tolerance
        best = scores.max(axis=1, keepdims=True)
        threshold = best - tolerance
        margin = 2 * np.where(candidate, doubt, 0).max(axis=1, keepdims=True)
        unsure = (candidate & ~(np.abs(r) > doubt)).any(axis=1)  # NaN scores (constant data) are unsure too
        exact_best = ~(positive & ~top & (r2adj >= best - margin)).any(axis=1, keepdims=True)  # no near tie for it
        unsure |= (positive & (np.abs(r2adj - threshold) <= margin) & ~(top & exact_best)).any(axis=1)
        chosen = np.where(positive & (r2adj >= threshold), n, 0).max(axis=1)
    for row in np.flatnonzero(unsure):
        points = slice(width - count[row], width)
        chosen[row] = best_fit(t[row, points], c[row, points], min_points, tolerance)
    return chosen


def fit_windows(t: np.ndarray, c: np.ndarray, points: np.ndarray) -> LambdaZFit:
    """The fit of the last ``points`` points of each row (right-aligned), NaN where ``points`` is 0."""
    size, width = t.shape
    out = {name: np.full(size, np.nan) for name in ("lambda_z", "intercept", "r2", "r2adj", "lower", "upper")}
    for k in np.unique(points[points > 0]):
        rows = points == k
        fit = fit_log_linear(t[rows, width - k:], c[rows, width - k:])
        for name, values in out.items():
            values[rows] = getattr(fit, name)
    return LambdaZFit(**out, n=points)


def terminal_fits(t: np.ndarray, c: np.ndarray, selected: np.ndarray, min_points: int, tolerance: float | None) -> LambdaZFit:
    """Lambda-z fits of the ``selected`` points of each row (at least ``min_points`` of them, else no fit): the best
    fit (:func:`best_fit`, adjusted R-squared ``tolerance``) or, with ``tolerance`` None, the fit of them all."""
    count = selected.sum(axis=1)
    width = max(int(count.max(initial=0)), 1)
    rows, columns = np.nonzero(selected)
    position = width - count[rows] + np.cumsum(selected, axis=1)[rows, columns] - 1
    time, conc = np.full((len(t), width), np.nan), np.full((len(t), width), np.nan)
    time[rows, position], conc[rows, position] = t[rows, columns], c[rows, columns]
    fitted = count >= min_points
    points = np.where(fitted, count, 0)
    if tolerance is not None and fitted.any():
        points[fitted] = best_windows(time[fitted], conc[fitted], count[fitted], min_points, tolerance)
    return fit_windows(time, conc, points)
