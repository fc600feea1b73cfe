"""NCA (cdisc.adam.nca): analytic one-compartment profiles, BLQ handling, lambda-z selection, missing reasons."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc.adam.nca import (
    PARAMETERS,
    BlqSettings,
    NcaSettings,
    derive_param_nca,
    evaluation_order,
    reported_codes,
)
from cdisc.adam.nca.curve import apply_blq, segment_areas
from cdisc.adam.nca.lambda_z import best_fit, fit_log_linear
from cdisc.errors import DataError

DOSE, CL, V = 100.0, 2.0, 20.0  # mg, L/h, L: k = 0.1 /h, t1/2 = 6.93 h, AUCinf = 50 h*ug/mL
K = CL / V
TIMES = np.array([0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 30, 36, 48])


def _nca(frame: pd.DataFrame, settings: NcaSettings | None = None, **columns) -> dict[str, tuple]:
    """{PPTESTCD: (value, reason)} of a single-profile result."""
    out = derive_param_nca(frame, ["ID"], "TIME", "CONC", settings, **columns)
    return {r.PPTESTCD: (r.PPSTRESN, None if pd.isna(r.PPREASND) else r.PPREASND) for r in out.itertuples()}


def _profile(times, conc, **extra) -> pd.DataFrame:
    columns = {"CONCU": "ug/mL", "DOSEU": "mg", "DOSE": DOSE, "DUR": 1.0, **extra}
    return pd.DataFrame({"ID": "S1", "TIME": np.asarray(times, float), "CONC": np.asarray(conc, float), **columns})


def _bolus() -> pd.DataFrame:
    return _profile(TIMES, DOSE / V * np.exp(-K * TIMES), DOSE=DOSE, DUR=0.0)


def _infusion(hours: float = 1.0) -> pd.DataFrame:
    times = np.union1d(np.arange(0.0, hours + 1e-9, hours / 8), TIMES + hours)
    rate = DOSE / hours
    during = rate / CL * -np.expm1(-K * np.minimum(times, hours))
    conc = during * np.exp(-K * np.maximum(times - hours, 0))
    return _profile(times, conc, DOSE=DOSE, DUR=hours)


IV = {"dose": "DOSE", "duration": "DUR", "conc_unit": "CONCU", "dose_unit": "DOSEU"}


@pytest.mark.parametrize("method", ["lin_up_log_down", "linear"])
@pytest.mark.parametrize("make", [_bolus, _infusion], ids=["iv-bolus", "infusion"])
def test_one_compartment_within_one_percent_of_closed_form(make, method):
    got = _nca(make(), NcaSettings(auc_method=method, max_extrapolation_pct=None), **IV)
    expected = {"AUCIFO": DOSE / CL, "AUCIFP": DOSE / CL, "LAMZ": K, "LAMZHL": np.log(2) / K,
                "CLO": CL, "CLP": CL, "VZO": V, "VZP": V}
    for code, value in expected.items():
        assert got[code][0] == pytest.approx(value, rel=0.01), code
    # a one-compartment profile is log-linear after Tmax: every point after it goes in the fit
    after_tmax = int((make()["TIME"] > got["TMAX"][0]).sum())
    assert got["LAMZNPT"][0] == after_tmax
    assert got["R2ADJ"][0] == pytest.approx(1.0)


def test_units_are_pkunit_terms_with_clearance_in_litres():
    out = derive_param_nca(_bolus(), ["ID"], "TIME", "CONC", **IV).set_index("PPTESTCD")["PPSTRESU"]
    assert out[["CMAX", "TMAX", "AUCLST", "LAMZ", "CLO", "VZO", "AUCPEO", "AUCIFOD"]].tolist() == [
        "ug/mL", "h", "h*ug/mL", "/h", "L/h", "L", "%", "h*ug/mL/mg"]


def test_small_profile_by_hand():
    #  time  conc      linear trapezoids          lin-up/log-down
    #  0     0
    #  1     8         0..1: 4                    4
    #  2     4         1..2: 6                    (8-4)/ln 2 = 5.7708
    #  4     2         2..4: 6                    2*(4-2)/ln 2 = 5.7708
    #  8     1         4..8: 6                    4*(2-1)/ln 2 = 5.7708
    frame = _profile([0, 1, 2, 4, 8], [0, 8, 4, 2, 1])
    linear = _nca(frame, NcaSettings(auc_method="linear"))
    log = _nca(frame)
    assert (linear["CMAX"][0], linear["TMAX"][0], linear["CLST"][0], linear["TLST"][0]) == (8, 1, 1, 8)
    assert linear["AUCLST"][0] == pytest.approx(22)
    assert log["AUCLST"][0] == pytest.approx(4 + 3 * 4 / np.log(2))
    # 2, 4, 8 h: halving at doubling times is not log-linear; the fit over the 3 points after Tmax
    t, y = np.array([2.0, 4, 8]), np.log([4.0, 2, 1])
    slope = np.polyfit(t, y, 1)[0]
    assert log["LAMZ"][0] == pytest.approx(-slope)
    assert log["LAMZNPT"][0] == 3 and log["LAMZLL"][0] == 2 and log["LAMZUL"][0] == 8


def test_blq_tail_zero_after_last_quantified_and_dropped_between():
    # time:  0     1    2    3     4    6    8    12
    # BLQ:   y     -    -    y     -    -    y    y
    # used:  0     10   6   (drop) 3.6  2.2  0    0
    frame = _profile([0, 1, 2, 3, 4, 6, 8, 12], [np.nan, 10, 6, np.nan, 3.6, 2.2, np.nan, np.nan],
                     BLQ=[True, False, False, True, False, False, True, True])
    got = _nca(frame, NcaSettings(auc_method="linear", min_r2adj=None), blq="BLQ")
    assert got["CLST"][0] == 2.2 and got["TLST"][0] == 6
    assert got["AUCLST"][0] == pytest.approx(5 + 8 + 2 * 4.8 + 2 * 2.9)
    assert got["AUCALL"][0] == pytest.approx(5 + 8 + 2 * 4.8 + 2 * 2.9 + 2 * 1.1 + 0)
    assert got["LAMZNPT"][0] == 3  # 2, 4, 6 h: the BLQ samples are not in the fit


def test_lloq_column_flags_blq_and_settings_may_drop_them():
    frame = _profile([0, 1, 2, 4, 8, 12], [0.01, 10, 6, 3.6, 1.3, 0.02], LLOQ=0.05)
    kept = _nca(frame, lloq="LLOQ")
    dropped = _nca(frame, NcaSettings(blq=BlqSettings(before_first="drop", after_last="drop")), lloq="LLOQ")
    assert kept["AUCALL"][0] > kept["AUCLST"][0]
    assert dropped["AUCALL"][0] == pytest.approx(dropped["AUCLST"][0])
    assert kept["TLST"][0] == dropped["TLST"][0] == 8


def test_apply_blq_rules():
    #  profile  0     0  0     0  0     0     1     1
    conc = np.array([0.0, 5, 0, 3, 0, 0, 0, 0])
    blq = np.array([True, False, True, False, True, True, True, True])
    profile = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    drop_all = BlqSettings(before_first="drop", between="drop", after_last="drop")
    np.testing.assert_array_equal(apply_blq(profile, conc, blq, BlqSettings()), [0, 5, np.nan, 3, 0, 0, 0, 0])
    np.testing.assert_array_equal(apply_blq(profile, conc, blq, drop_all), [np.nan, 5, np.nan, 3, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(apply_blq(profile, conc, blq, BlqSettings(between="zero")), [0, 5, 0, 3, 0, 0, 0, 0])


def test_too_few_points_for_lambda_z_is_missing_with_the_reason():
    got = _nca(_profile([0, 1, 2, 4], [0, 10, 8, 6]), **IV)
    reason = "2 positive concentration(s) after Tmax, fewer than the 3 lambda-z needs"
    for code in ("LAMZ", "LAMZHL", "R2ADJ", "LAMZNPT", "AUCIFO", "AUCPEO", "CLO", "VZO"):
        assert np.isnan(got[code][0]) and got[code][1] == reason, code
    assert got["CMAX"] == (10, None) and got["AUCLST"][1] is None


def test_r_squared_below_threshold_rejects_lambda_z_but_reports_the_fit():
    frame = _profile([0, 1, 2, 4, 6, 8], [0, 10, 5, 7, 3, 4.5])
    got = _nca(frame, NcaSettings(min_r2adj=0.9), **IV)
    assert got["R2ADJ"][1] is None and got["R2ADJ"][0] < 0.9
    assert np.isnan(got["LAMZ"][0]) and got["LAMZ"][1].startswith("lambda-z fit rejected: adjusted R-squared")
    assert got["CLO"][1] == got["LAMZ"][1] and got["LAMZHL"][1] == got["LAMZ"][1]
    accepted = _nca(frame, NcaSettings(min_r2adj=None), **IV)
    assert accepted["LAMZ"][1] is None and accepted["LAMZ"][0] > 0


def test_extrapolation_above_limit_leaves_aucinf_missing_but_reports_the_percentage():
    early = _bolus()[lambda f: f["TIME"] <= 6]  # exp(-0.6) = 55% of AUCinf is after 6 h
    got = _nca(early, **IV)
    assert got["AUCPEO"][0] == pytest.approx(100 * np.exp(-K * 6), rel=0.01)
    assert np.isnan(got["AUCIFO"][0]) and got["AUCIFO"][1] == f"{got['AUCPEO'][0]:.1f}% of AUCinf extrapolated, more than 20%"
    assert got["CLO"][1] == got["AUCIFO"][1] and got["VZO"][1] == got["AUCIFO"][1]
    assert _nca(early, NcaSettings(max_extrapolation_pct=60), **IV)["AUCIFO"][1] is None


def test_auctau_interpolates_within_and_extrapolates_beyond_the_samples():
    frame = _bolus().assign(TAU=12.0)
    got = _nca(frame, tau="TAU", **IV)
    assert got["AUCTAU"][0] == pytest.approx(DOSE / CL * -np.expm1(-K * 12), rel=1e-3)
    got = _nca(frame.assign(TAU=60.0), tau="TAU", **IV)
    assert got["AUCTAU"][0] == pytest.approx(DOSE / CL * -np.expm1(-K * 60), rel=1e-3)
    assert _nca(_bolus(), **IV)["AUCTAU"][1] == "not a repeat-dose profile (no dosing interval)"
    # without a point at the dose time the curve starts at the first sample (0.25 h): a 0.2 h interval has no AUC
    early = _nca(frame.assign(TAU=0.2), NcaSettings(zero_at_dose=False), tau="TAU", **IV)["AUCTAU"]
    assert np.isnan(early[0]) and early[1] == "the dosing interval (0.2) ends before the first sample"


def test_best_fit_prefers_most_points_within_tolerance_and_skips_the_distribution_phase():
    t = np.array([1.0, 2, 4, 6, 8, 12, 24, 36])
    c = 50 * np.exp(-1.0 * t) + 5 * np.exp(-0.05 * t)  # fast phase gone by about 8 h
    points = best_fit(t, c, 3, 1e-4)
    fit = fit_log_linear(t[None, -points:], c[None, -points:])
    assert fit.lower[0] >= 6 and fit.lambda_z[0] == pytest.approx(0.05, rel=0.02)
    assert best_fit(t, 5 * np.exp(-0.05 * t), 3, 1e-4) == len(t)  # every fit is perfect: the most points win
    assert best_fit(t[:2], c[:2], 3, 1e-4) == 0
    assert best_fit(t, np.exp(0.1 * t), 3, 1e-4) == 0  # rising: no positive lambda-z


def test_all_from_tmax_option_fits_every_point_including_tmax():
    frame = _profile([0, 1, 2, 4, 8], [0, 8, 4, 2, 1])
    got = _nca(frame, NcaSettings(lambda_z_points="all_from_tmax", min_r2adj=None))
    assert got["LAMZNPT"][0] == 4 and got["LAMZLL"][0] == 1


def test_predose_sample_counts_at_time_zero():
    frame = _profile([-0.5, 1, 2, 4, 8], [0, 8, 4, 2, 1])
    assert _nca(frame, NcaSettings(auc_method="linear"))["AUCLST"][0] == pytest.approx(22)
    unshifted = _nca(frame, NcaSettings(auc_method="linear", predose_at_zero=False, zero_at_dose=False))
    assert unshifted["AUCLST"][0] == pytest.approx(22 + 2)  # the first trapezoid starts at -0.5 h: 1.5 * 8 / 2


def test_profiles_that_cannot_be_computed_never_crash():
    frame = pd.concat([
        _profile([0, 1, 2], [np.nan] * 3, BLQ=True).assign(ID="ALLBLQ"),
        _profile([1.0], [5.0], BLQ=False).assign(ID="ONE"),
        _profile([0, 1, 1, 2], [0, 5, 6, 4], BLQ=False).assign(ID="DUP"),
        _profile([0, 1], [np.nan, np.nan], BLQ=False).assign(ID="NOTDONE"),
    ])
    out = derive_param_nca(frame, ["ID"], "TIME", "CONC", blq="BLQ", **IV).set_index(["ID", "PPTESTCD"])
    assert out.loc[("ALLBLQ", "CMAX"), "PPSTRESN"] == 0
    assert out.loc[("ALLBLQ", "TMAX"), "PPREASND"] == "no quantifiable concentration"
    assert out.loc[("ONE", "LAMZ"), "PPREASND"].startswith("0 positive concentration(s) after Tmax")
    assert out.loc[("ONE", "CLO"), "PPREASND"] == out.loc[("ONE", "LAMZ"), "PPREASND"]
    assert (out.loc["DUP", "PPREASND"] == "more than one sample at time 1").all()
    assert "NOTDONE" not in out.index.get_level_values("ID")  # no usable sample: no profile
    assert (out["PPSTAT"].eq("NOT DONE") == out["PPSTRESN"].isna()).all()
    assert (out["PPREASND"].notna() == out["PPSTRESN"].isna()).all()


def test_empty_input_gives_an_empty_result_with_the_output_columns():
    out = derive_param_nca(_bolus().iloc[:0], ["ID"], "TIME", "CONC", **IV)
    assert out.empty and list(out.columns) == ["ID", "PPTESTCD", "PPTEST", "PPSTRESN", "PPSTRESU", "PPSTAT", "PPREASND", "NSAMPLES"]


def test_no_dose_leaves_clearance_missing_with_reason():
    got = _nca(_bolus().drop(columns="DOSE"), duration="DUR")
    assert got["CLO"][1] == "no dose amount for the profile"
    assert got["AUCIFO"][1] is None


def test_several_profiles_and_parameter_selection():
    frame = pd.concat([_bolus(), _bolus().assign(ID="S2", CONC=lambda f: 2 * f["CONC"])])
    out = derive_param_nca(frame, ["ID"], "TIME", "CONC", NcaSettings(parameters=["CMAX", "CLO"]), **IV)
    assert out[["ID", "PPTESTCD"]].values.tolist() == [["S1", "CMAX"], ["S1", "CLO"], ["S2", "CMAX"], ["S2", "CLO"]]
    assert out["PPSTRESN"].iloc[2] == pytest.approx(2 * out["PPSTRESN"].iloc[0])
    assert out["PPSTRESN"].iloc[3] == pytest.approx(out["PPSTRESN"].iloc[1] / 2, rel=1e-6)


def test_bad_input_is_a_data_error():
    with pytest.raises(DataError, match="no column"):
        derive_param_nca(_bolus(), ["ID"], "TIME", "PCSTRESN")
    with pytest.raises(DataError, match="unknown NCA parameter"):
        derive_param_nca(_bolus(), ["ID"], "TIME", "CONC", NcaSettings(parameters=["CMAXX"]))


def test_registry_order_puts_every_parameter_after_what_it_needs():
    order = evaluation_order()
    for code in order:
        for needed in PARAMETERS[code].depends + PARAMETERS[code].optional:
            assert order.index(needed) < order.index(code)
    assert segment_areas(np.array([0.0, 1]), np.array([2.0, 1]), "lin_up_log_down")[0] == pytest.approx(1 / np.log(2))


CT = Path(__file__).resolve().parents[1] / "specs" / "ct" / "SDTM_Terminology_2025-03-28.txt.gz"


@pytest.mark.skipif(not CT.exists(), reason="the example study's SDTM CT file is absent")
def test_codes_and_names_are_cdisc_pkparmcd_and_pkparm_terms():
    with gzip.open(CT, "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    by_list: dict[str, dict[str, str]] = {"C85839": {}, "C85493": {}}
    for row in rows:
        if row[1] in by_list:
            by_list[row[1]][row[0]] = row[4]
    name_of = {code: by_list["C85493"][c] for c, code in by_list["C85839"].items() if c in by_list["C85493"]}
    for code in reported_codes():
        assert PARAMETERS[code].name == name_of[code], code
