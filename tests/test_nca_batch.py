"""NCA computes all profiles at once: every value bit-identical to the profile computed alone and to np.polyfit.

XPT stores the doubles as they are, so a difference in the last bit would change the PP and ADPP files: the
profiles are compared bit for bit (the float64 bit patterns), not approximately.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc.adam.nca import BlqSettings, NcaSettings, derive_param_nca
from cdisc.adam.nca.curve import row_reduce
from cdisc.adam.nca.lambda_z import best_fit, best_windows, fit_log_linear, terminal_fits

COLUMNS = {"blq": "BLQ", "dose": "DOSE", "duration": "DUR", "tau": "TAU", "conc_unit": "CU", "dose_unit": "DU"}


def _profile(name: str, times, conc, blq=None, dose=100.0, duration=1.0, tau=np.nan) -> pd.DataFrame:
    times, conc = np.asarray(times, float), np.asarray(conc, float)
    blq = np.zeros(len(times), bool) if blq is None else np.asarray(blq, bool)
    return pd.DataFrame({"ID": name, "TIME": times, "CONC": conc, "BLQ": blq, "DOSE": dose, "DUR": duration,
                         "TAU": tau, "CU": "ug/mL", "DU": "mg"})


def _profiles() -> list[pd.DataFrame]:
    rng = np.random.default_rng(20261201)
    t = np.array([0, 0.5, 1, 2, 4, 6, 8, 12, 24, 48])
    two_phase = 80 * np.exp(-0.9 * t) + 20 * np.exp(-0.05 * t)
    out = [
        _profile("BOLUS", t[1:], two_phase[1:], duration=0.0),
        _profile("INFUSION", t, np.r_[0, two_phase[1:]] * np.exp(rng.normal(0, 0.1, len(t)))),
        _profile("LOGLINEAR", t, np.r_[0, 10 * np.exp(-0.1 * t[1:])], tau=24.0),  # every fit perfect: a tie
        _profile("TAU-BETWEEN", t, np.r_[0, two_phase[1:]], tau=10.0),
        _profile("TAU-BEYOND", t, np.r_[0, two_phase[1:]], tau=72.0),
        _profile("TWO-AFTER-TMAX", [0, 1, 2, 4], [0, 10, 8, 6]),
        _profile("ALL-BLQ", [0, 1, 2], [np.nan] * 3, blq=[True] * 3),
        _profile("ONE", [1.0], [5.0]),
        _profile("DUPLICATE", [0, 1, 1, 2], [0, 5, 6, 4]),
        _profile("PREDOSE", [-0.5, -0.1, 1, 2, 4, 8], [0, 0.2, 8, 4, 2, 1]),
        _profile("RISING", [0, 1, 2, 4, 8], [0, 1, 2, 4, 8]),
        _profile("FLAT", [0, 1, 2, 4, 8], [0, 3, 3, 3, 3]),
        _profile("BLQ-INSIDE", [0, 1, 2, 3, 4, 6, 8, 12], [np.nan, 10, 6, np.nan, 3.6, 2.2, np.nan, np.nan],
                 blq=[True, False, False, True, False, False, True, True]),
        _profile("NO-DOSE", t, np.r_[0, two_phase[1:]], dose=np.nan, duration=np.nan),
    ]
    for i in range(12):  # noisy profiles of different lengths
        n = int(rng.integers(3, 12))
        times = np.sort(rng.choice(np.arange(1, 100) * 0.5, n, replace=False))
        conc = 50 * np.exp(-rng.uniform(0.02, 0.5) * times) * np.exp(rng.normal(0, 0.2, n))
        out.append(_profile(f"NOISY{i:02d}", np.r_[0, times], np.r_[0, conc]))
    return out


SETTINGS = [
    NcaSettings(),
    NcaSettings(auc_method="linear", min_r2adj=None, max_extrapolation_pct=None),
    NcaSettings(lambda_z_points="all_from_tmax"),
    NcaSettings(blq=BlqSettings(before_first="drop", between="zero", after_last="drop"), min_points=4),
    NcaSettings(adj_r2_tolerance=0.0, predose_at_zero=False, zero_at_dose=False),
]


def _bits(values) -> np.ndarray:
    return np.asarray(values, float).view(np.int64)


@pytest.mark.parametrize("settings", SETTINGS)
def test_many_profiles_in_one_call_equal_each_profile_alone_bit_for_bit(settings):
    profiles = _profiles()
    together = derive_param_nca(pd.concat(profiles, ignore_index=True), ["ID"], "TIME", "CONC", settings, **COLUMNS)
    alone = pd.concat([derive_param_nca(p, ["ID"], "TIME", "CONC", settings, **COLUMNS) for p in profiles], ignore_index=True)
    alone = alone.set_index(["ID", "PPTESTCD"]).loc[together.set_index(["ID", "PPTESTCD"]).index].reset_index()
    pd.testing.assert_frame_equal(together, alone[together.columns], check_exact=True)
    np.testing.assert_array_equal(_bits(together["PPSTRESN"]), _bits(alone["PPSTRESN"]))


def _polyfit(t: np.ndarray, c: np.ndarray) -> list[float]:
    """The fit as the per-profile code computed it: np.polyfit and R-squared from its residuals."""
    y = np.log(c)
    slope, intercept = np.polyfit(t, y, 1)
    residual = ((y - (intercept + slope * t)) ** 2).sum()
    total = ((y - y.mean()) ** 2).sum()
    r2 = 1.0 - residual / total if total > 0 else 1.0
    return [-slope, intercept, r2, 1.0 - (1.0 - r2) * (len(t) - 1) / (len(t) - 2)]


@pytest.mark.parametrize("points", [3, 4, 7, 8, 9, 17])
def test_stacked_fits_are_np_polyfit_bit_for_bit(points):
    rng = np.random.default_rng(points)
    t = np.sort(rng.uniform(0, 500, (200, points)), axis=1)
    t[:5, 0] = -0.0  # polyfit adds 0.0 (-0.0 becomes 0.0)
    c = np.exp(3 - rng.uniform(0.001, 1, (200, 1)) * t + rng.normal(0, 0.3, (200, points)))
    fit = fit_log_linear(t, c)
    stacked = np.column_stack([fit.lambda_z, fit.intercept, fit.r2, fit.r2adj])
    expected = np.array([_polyfit(t[i], c[i]) for i in range(len(t))])
    np.testing.assert_array_equal(_bits(stacked), _bits(expected))


def _rows(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-aligned terminal phases: noisy, perfectly log-linear (ties), rising, constant and two-phase ones."""
    size, width = 400, 9
    count = rng.integers(3, width + 1, size)
    t = np.sort(rng.uniform(0, 200, (size, width)), axis=1)
    c = 40 * np.exp(-rng.uniform(0.005, 0.3, (size, 1)) * t)
    noisy = rng.random(size) < 0.5
    c[noisy] *= np.exp(rng.normal(0, rng.uniform(0, 0.3, (noisy.sum(), 1)), (noisy.sum(), width)))
    c[::10] = np.exp(0.01 * t[::10])  # rising: no positive lambda-z
    c[1::10] = 7.0  # constant
    c[2::10] += 30 * np.exp(-2 * t[2::10])
    t[np.arange(width) < width - count[:, None]] = np.nan
    return t, c, count


@pytest.mark.parametrize("tolerance", [1e-4, 0.0, 0.05])
@pytest.mark.parametrize("min_points", [3, 4])
def test_best_windows_choose_as_the_exact_fits_do_ties_included(tolerance, min_points):
    t, c, count = _rows(np.random.default_rng(min_points))
    chosen = best_windows(t, c, count, min_points, tolerance)
    expected = []
    for row, k in zip(range(len(t)), count, strict=True):
        # the rule on np.polyfit's fits: positive lambda-z, best adjusted R2, then the most points within tolerance
        fits = {n: _polyfit(t[row, -n:], c[row, -n:]) for n in range(min_points, k + 1)}
        scores = {n: f[3] for n, f in fits.items() if f[0] > 0}
        best = max(scores.values(), default=np.nan)
        expected.append(max((n for n, r2adj in scores.items() if r2adj >= best - tolerance), default=0))
        assert best_fit(t[row, -k:], c[row, -k:], min_points, tolerance) == expected[-1]
    np.testing.assert_array_equal(chosen, expected)
    assert ((chosen == count) | (chosen == 0))[3::10].mean() > 0.5  # log-linear rows: the most points (or none)


def test_too_few_terminal_points_give_no_fit():
    #  row  points after Tmax   min_points 3
    #  0    2                   no fit
    #  1    3                   one fit of all three
    t = np.array([[0.0, 1, 2, 4], [0, 1, 2, 4]])
    c = np.array([[5.0, 10, 8, 6], [10, 8, 6, 5]])
    fit = terminal_fits(t, c, t > np.array([[1.0], [0.0]]), 3, 1e-4)
    assert fit.n.tolist() == [0, 3] and np.isnan(fit.lambda_z[0]) and fit.lambda_z[1] > 0
    pp = derive_param_nca(_profile("A", t[0], c[0]), ["ID"], "TIME", "CONC", NcaSettings(min_points=3)).set_index("PPTESTCD")
    assert pp.loc["LAMZ", "PPREASND"] == "2 positive concentration(s) after Tmax, fewer than the 3 lambda-z needs"
    four = derive_param_nca(_profile("A", t[1], c[1]), ["ID"], "TIME", "CONC", NcaSettings(min_points=4)).set_index("PPTESTCD")
    assert four.loc["LAMZ", "PPREASND"] == "3 positive concentration(s) after Tmax, fewer than the 4 lambda-z needs"


def test_all_blq_profile():
    #  BLQ rule            CMAX                  TMAX, LAMZ, AUCLST
    #  zero before first   0                     no quantifiable concentration
    #  dropped             no concentration      no concentration
    frame = _profile("A", [0, 1, 2], [np.nan] * 3, blq=[True] * 3)
    zero = derive_param_nca(frame, ["ID"], "TIME", "CONC", **COLUMNS).set_index("PPTESTCD")
    assert zero.loc["CMAX", "PPSTRESN"] == 0 and zero.loc["CMAX", "NSAMPLES"] == 3
    assert (zero.loc[["TMAX", "LAMZ", "AUCLST", "CLO"], "PPREASND"] == "no quantifiable concentration").all()
    dropped = derive_param_nca(frame, ["ID"], "TIME", "CONC", NcaSettings(blq=BlqSettings(before_first="drop")), **COLUMNS)
    assert (dropped["PPREASND"] == "no concentration in the profile").all() and (dropped["NSAMPLES"] == 0).all()


@pytest.mark.parametrize("ufunc", [np.add, np.maximum])
def test_row_reduce_equals_the_reduction_of_each_row_alone(ufunc):
    rng = np.random.default_rng(7)
    values = rng.normal(size=(300, 40)) * 10.0 ** rng.integers(-3, 4, (300, 40))
    values[::3] = np.where(rng.random((100, 40)) < 0.5, -0.0, 0.0)  # maxima of signed zeros
    count = rng.integers(0, 41, 300)
    expected = [ufunc.reduce(values[i, :k]) if k else np.nan for i, k in enumerate(count)]
    np.testing.assert_array_equal(_bits(row_reduce(ufunc, values, count, np.nan)), _bits(expected))
