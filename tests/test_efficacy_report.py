"""Efficacy summaries: Kaplan-Meier median and CI checked against a textbook data set and a Greenwood
computation written here independently of the package; exact binomial CIs; listing; deterministic plots.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import CensoredData, beta, binomtest, ecdf, norm

from cdisc.reports.efficacy import (
    efficacy_report,
    format_efficacy_listing,
    km_median,
    km_plot_png,
    km_table,
    summarise_km,
    summarise_rate,
)

# Freireich et al. (1963) 6-MP remission trial as given by Gehan (1965): weeks in remission, 1 = relapse.
# Published Kaplan-Meier medians: 6-MP 23 weeks, placebo 8 weeks (e.g. Kleinbaum & Klein, Survival Analysis).
SIX_MP = pd.DataFrame({
    "AVAL": [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35],
    "EVENT": [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0],
})
PLACEBO = pd.DataFrame({
    "AVAL": [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23],
    "EVENT": [1] * 21,
})
GEHAN = pd.concat([SIX_MP.assign(ARM="6-MP"), PLACEBO.assign(ARM="Placebo")], ignore_index=True).assign(
    CNSR=lambda f: 1 - f["EVENT"], AVAL=lambda f: f["AVAL"].astype(float))


Z = norm.ppf(0.975)


def greenwood_loglog(times, events, z=Z):
    """Kaplan-Meier with Greenwood variance and log-log limits, written out step by step."""
    rows, surv, total = [], 1.0, 0.0
    for t in sorted(set(times)):
        at_risk = sum(1 for x in times if x >= t)
        died = sum(1 for x, e in zip(times, events) if x == t and e)
        if died == 0:
            continue
        surv *= 1 - died / at_risk
        total += died / (at_risk * (at_risk - died)) if at_risk > died else math.inf
        if 0 < surv < 1 and math.isfinite(total):
            sd = math.sqrt(total) / abs(math.log(surv))
            low, high = surv ** math.exp(z * sd), surv ** math.exp(-z * sd)
        else:
            low = high = surv
        rows.append((t, surv, low, high))
    return rows


def hand_median(rows):
    """Median (the midpoint to the next event time where S is exactly 0.5) and Brookmeyer-Crowley limits."""
    def first(test):
        return next((t for t, *v in rows if test(*v)), math.nan)

    median = first(lambda s, lo, hi: s <= 0.5 + 1e-12)
    at = [i for i, (t, s, *_) in enumerate(rows) if t == median]
    if at and abs(rows[at[0]][1] - 0.5) < 1e-12 and at[0] + 1 < len(rows):
        median = (median + rows[at[0] + 1][0]) / 2
    return median, first(lambda s, lo, hi: lo <= 0.5), first(lambda s, lo, hi: hi < 0.5)


@pytest.mark.parametrize("arm, published_median", [("6-MP", 23.0), ("Placebo", 8.0)])
def test_km_median_and_ci_match_the_textbook_and_a_hand_greenwood_computation(arm, published_median):
    data = GEHAN[GEHAN["ARM"].eq(arm)]
    table = km_table(data["AVAL"].to_numpy(), data["EVENT"].to_numpy())
    rows = greenwood_loglog(data["AVAL"].tolist(), data["EVENT"].tolist())
    events = table[table["NEVENT"] > 0]
    np.testing.assert_allclose(events["SURV"], [r[1] for r in rows], rtol=1e-12)
    np.testing.assert_allclose(events["LOWER"], [r[2] for r in rows], rtol=1e-9)
    np.testing.assert_allclose(events["UPPER"], [r[3] for r in rows], rtol=1e-9)
    median, lower, upper = km_median(table)
    assert median == published_median
    np.testing.assert_equal((median, lower, upper), hand_median(rows))


def test_km_summary_per_group_and_overall():
    out = summarise_km(GEHAN, group_var="ARM")
    assert out["GROUP"].tolist() == ["6-MP", "Placebo", "Overall"]
    assert out[["N", "EVENTS", "CENSORED"]].values.tolist() == [[21, 9, 12], [21, 21, 0], [42, 30, 12]]
    assert out.loc[0, ["MEDIAN", "LCL"]].tolist() == [23.0, 13.0] and pd.isna(out.loc[0, "UCL"])  # 6-MP: (13, NE)
    months = summarise_km(GEHAN, time=GEHAN["AVAL"] * 7 / 30.4375)  # weeks as months
    assert months.loc[0, "MEDIAN"] == pytest.approx(12 * 7 / 30.4375)


def test_median_at_exactly_half_is_the_midpoint_to_the_next_event():
    times, events = [1.0, 2, 3, 4, 5, 7], [1, 0, 1, 1, 0, 1]  # S: 5/6, 5/8 at 3, 5/12 at 4: never exactly half
    assert km_median(km_table(np.array(times), np.array(events)))[0] == 4.0
    times, events = [1.0, 2, 3, 4], [1, 1, 1, 1]  # S = 0.5 from 2 to 3
    rows = greenwood_loglog(times, events)
    assert km_median(km_table(np.array(times), np.array(events)))[0] == hand_median(rows)[0] == 2.5


@pytest.mark.parametrize("arm", ["6-MP", "Placebo", None])  # censored, uncensored (scipy's other formula), both
def test_km_estimate_and_limits_are_scipy_ecdfs_to_the_bit(arm):
    data = GEHAN if arm is None else GEHAN[GEHAN["ARM"].eq(arm)]
    time, event = data["AVAL"].to_numpy(), data["EVENT"].to_numpy(bool)
    sf = ecdf(CensoredData.right_censored(time, ~event)).sf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # undefined where S(t) is 1
        ci = sf.confidence_interval(0.95, method="log-log")
    table = km_table(time, event)
    times = table["TIME"].to_numpy()
    np.testing.assert_array_equal(table["SURV"], sf.evaluate(times))
    gone = table["SURV"].to_numpy() == 0  # where scipy's limits are undefined (NaN), the table's are 0
    np.testing.assert_array_equal(table["LOWER"], np.where(gone, 0.0, ci.low.evaluate(times)))
    np.testing.assert_array_equal(table["UPPER"], np.where(gone, 0.0, ci.high.evaluate(times)))


def test_a_missing_time_is_refused():
    with pytest.raises(ValueError, match="missing"):
        km_table(np.array([1.0, np.nan]), np.array([1, 0]))


KM_EDGES = pd.DataFrame(
    [
        # case,                    times,         events,     median
        ("no events", [1.0, 2.0], [0, 0], None),
        ("never below half", [1.0, 2.0, 3.0], [1, 0, 0], None),
        ("everyone has the event", [5.0, 5.0], [1, 1], 5.0),
        ("no subjects", [], [], None),
    ],
    columns=["case", "times", "events", "median"],
)


@pytest.mark.parametrize("row", list(KM_EDGES.itertuples()), ids=KM_EDGES["case"].tolist())
def test_km_edge_cases(row):
    median = km_median(km_table(np.array(row.times, float), np.array(row.events, int)))[0]
    assert (None if math.isnan(median) else median) == (None if pd.isna(row.median) else row.median)


RATES = pd.DataFrame(
    [
        # group, n, responders, rate %, exact CI % (Clopper-Pearson; 3/10 as published: 6.67 to 65.25)
        ("A", 10, 3, 30.0, 6.6739, 65.2453),
        ("B", 5, 0, 0.0, 0.0, 52.1823),  # no responder: lower limit 0, upper 1 - 0.025 ** (1/5)
        ("Overall", 15, 3, 20.0, 100 * beta.ppf(0.025, 3, 13), 100 * beta.ppf(0.975, 4, 12)),  # the beta quantiles
    ],
    columns=["GROUP", "N", "RESPONDERS", "RATE", "LCL", "UCL"],
)


def test_response_rates_with_exact_clopper_pearson_intervals():
    flags = pd.DataFrame({"ARM": ["A"] * 10 + ["B"] * 5, "AVALC": ["Y"] * 3 + ["N"] * 12})
    out = summarise_rate(flags, group_var="ARM")
    assert out[["GROUP", "N", "RESPONDERS"]].values.tolist() == RATES[["GROUP", "N", "RESPONDERS"]].values.tolist()
    np.testing.assert_allclose(out[["RATE", "LCL", "UCL"]].to_numpy(float), RATES[["RATE", "LCL", "UCL"]].to_numpy(float), atol=1e-4)
    assert 100 * (1 - 0.025 ** (1 / 5)) == pytest.approx(RATES.loc[1, "UCL"], abs=1e-4)
    empty = summarise_rate(flags.iloc[:0])
    assert empty["N"].tolist() == [0] and empty[["RATE", "LCL", "UCL"]].isna().all(axis=None)


def test_exact_intervals_are_scipys_binomtest_limits():
    for n in (1, 2, 7, 30, 120):
        for k in range(n + 1):
            low, high = binomtest(k, n).proportion_ci(0.95, method="exact")
            row = summarise_rate(pd.DataFrame({"AVALC": ["Y"] * k + ["N"] * (n - k)})).iloc[0]
            np.testing.assert_allclose([row["LCL"], row["UCL"]], [100 * low, 100 * high], rtol=0, atol=1e-9)


def test_listing_states_medians_cis_and_methods():
    text = format_efficacy_listing({"Remission": summarise_km(GEHAN, group_var="ARM")},
                                   {"ORR": summarise_rate(pd.DataFrame({"AVALC": ["Y", "N", "N", "N"]}))},
                                   group_label="Arm", time_unit="weeks")
    lines = text.splitlines()
    assert "median in weeks" in lines[0]
    assert any(line.split()[:6] == ["6-MP", "21", "9", "12", "23.0", "(13.0,"] and line.endswith("NE)") for line in lines)
    assert any(line.split()[:4] == ["Overall", "4", "1", "25.0"] for line in lines)
    assert "Brookmeyer-Crowley" in text and "Clopper-Pearson" in text


def test_km_plot_is_a_png_with_the_same_bytes_each_time():
    first = km_plot_png(GEHAN, title="Remission", group_var="ARM", xlabel="Weeks")
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == km_plot_png(GEHAN, title="Remission", group_var="ARM", xlabel="Weeks")
    assert b"Software" not in first and b"matplotlib" not in first
    assert first != km_plot_png(GEHAN, title="Remission", xlabel="Weeks")  # overall curve only


def test_efficacy_report_gives_the_listing_and_one_plot_per_time_to_event_parameter():
    days = GEHAN.assign(AVAL=GEHAN["AVAL"] * 7)  # weeks as days
    adtte = pd.concat([days.assign(PARAMCD="PFS", PARAM="Progression-Free Survival"), days.assign(PARAMCD="OS")])
    adrs = pd.DataFrame({"PARAMCD": "RSP", "ARM": ["6-MP", "Placebo"], "AVALC": ["Y", "N"]})
    text, plots = efficacy_report(adtte, adrs, group_var="ARM", group_label="Arm")
    assert sorted(plots) == ["OS", "PFS"] and all(png[:4] == b"\x89PNG" for png in plots.values())
    lines = text.splitlines()
    assert "Progression-Free Survival" in lines and "OS" in lines and "RSP" in lines and "DOR" not in lines
    six_mp = next(line for line in lines if line.split()[:1] == ["6-MP"])
    assert float(six_mp.split()[4]) == round(23 * 7 / 30.4375, 1)  # the published median, in months
