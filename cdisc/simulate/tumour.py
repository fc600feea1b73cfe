"""Tumour lesions from a latent growth model, measured every 6 weeks, read by RECIST 1.1.

Each subject's disease follows f(t) = exp(-d t) + exp(g t) - 1 (t = days since first dose; kill
rate d grows with dose and tumour sensitivity, regrowth rate g is the subject's own); each lesion
follows base * f(t)^b with its own exponent b. Measurements add proportional and absolute error.
The investigator's response at each assessment applies RECIST 1.1 to the measurements as recorded,
so the answer key's responses can be re-derived from the TR/RS forms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc.simulate.design import Design
from cdisc.simulate.formats import edc_date, number

RANK = {"CR": 0, "PR": 1, "SD": 2, "PD": 3, "NE": 4}
MAX_TARGETS = 5


@dataclass(frozen=True)
class TumourResult:
    """Baseline scan day, lesions (TU), measurements (TR), responses (RS) and per-subject outcomes."""

    baseline_day: np.ndarray
    lesions: pd.DataFrame
    measurements: pd.DataFrame
    responses: pd.DataFrame
    pd_day: np.ndarray
    bor: np.ndarray
    bor_unconfirmed: np.ndarray
    out_of_window: pd.DataFrame


def _counts(rng: np.random.Generator, n: int, table: dict[int, float]) -> np.ndarray:
    values = np.array(list(table))
    p = np.array(list(table.values()), dtype=float)
    return values[rng.choice(len(values), size=n, p=p / p.sum())]


def simulate_tumours(design: Design, subj: pd.DataFrame, stop: np.ndarray, cutoff: float,
                     rng: np.random.Generator) -> TumourResult:
    """Assess every subject from baseline until PD, ``stop`` (exclusive) or the cutoff (inclusive)."""
    tm, sched = design.tumour_model, design.schedule
    n = len(subj)
    first = subj["FIRST"].to_numpy(float)
    baseline_day = first - rng.integers(1, np.maximum(first - subj["ICDAY"].to_numpy(float), 2))
    growth = tm.growth_median * np.exp(rng.normal(0, tm.growth_sd, n))
    kill = (tm.kill_median * subj["SENSITIVITY"].to_numpy(float)
            * (subj["MGKG"].to_numpy(float) / 2.0) ** tm.kill_dose_power * np.exp(rng.normal(0, tm.kill_sd, n)))

    # assessment grid: n x K
    last = np.minimum(stop - 1, cutoff)
    k_max = max(1, int(np.nanmax((last - first) // sched.tumour_every_days)) + 1)
    k = np.arange(1, k_max + 1)
    jitter = np.clip(np.round(rng.normal(0, 2.5, (n, k_max))), -sched.tumour_window_days, sched.tumour_window_days)
    late = rng.random((n, k_max)) < design.mess.out_of_window.rate
    shift = np.where(late, rng.integers(sched.tumour_window_days + 3, sched.tumour_window_days + 8, (n, k_max)), 0)
    day = first[:, None] + sched.tumour_every_days * k[None, :] + jitter + shift
    valid = day <= last[:, None]
    t = day - first[:, None]
    f = np.exp(-kill[:, None] * t) + np.expm1(growth[:, None] * t)

    # target lesions: n x 5, padded
    n_t = _counts(rng, n, tm.target_counts)
    n_nt = _counts(rng, n, tm.nontarget_counts)
    has_t = np.arange(MAX_TARGETS)[None, :] < n_t[:, None]
    width = max(len(t_.sites) for t_ in design.tumours)
    site_table = np.array([t_.sites + [""] * (width - len(t_.sites)) for t_ in design.tumours], dtype=object)
    tumour = subj["TUMOUR"].map({t_.name: i for i, t_ in enumerate(design.tumours)}).to_numpy(int)
    n_sites = np.array([len(t_.sites) for t_ in design.tumours])[tumour]
    loc_idx = np.floor(rng.random((n, MAX_TARGETS + 5)) * n_sites[:, None]).astype(int)
    loc_idx[:, 0] = 0  # the primary organ holds the first target lesion
    location = site_table[tumour[:, None], loc_idx]
    node = location[:, :MAX_TARGETS] == "LYMPH NODE"
    base = np.where(node, np.maximum(15, 22 * np.exp(rng.normal(0, 0.3, (n, MAX_TARGETS)))),
                    np.maximum(10, 28 * np.exp(rng.normal(0, 0.4, (n, MAX_TARGETS)))))
    base = np.round(base)
    b = np.exp(rng.normal(0, tm.lesion_sd, (n, MAX_TARGETS)))
    true = base[:, None, :] * np.maximum(f, 1e-6)[:, :, None] ** b[:, None, :]
    noisy = true * np.exp(rng.normal(0, tm.measurement_cv, true.shape)) + rng.normal(0, tm.measurement_sd_mm, true.shape)
    measured = np.where(node[:, None, :], np.maximum(np.round(noisy), 0), np.where(true < 3, 0, np.maximum(np.round(noisy), 0)))
    too_small = ~node[:, None, :] & (measured > 0) & (measured < 5)
    measured = np.where(too_small, 5, measured)
    skipped = (rng.random((n, k_max)) < tm.p_not_assessed)[:, :, None] & (
        np.arange(MAX_TARGETS)[None, None, :] == np.floor(rng.random((n, 1, 1)) * np.maximum(n_t, 1)[:, None, None]))
    measured = np.where(skipped, np.nan, measured)
    measured = np.where(has_t[:, None, :], measured, 0.0)
    sld = measured.sum(axis=2)  # NaN if a target was not assessed
    sld_base = (base * has_t).sum(axis=1)

    # RECIST 1.1 target response
    prior = np.concatenate([sld_base[:, None], np.where(valid, sld, np.nan)[:, :-1]], axis=1)
    nadir = np.fmin.accumulate(np.where(np.isnan(prior), np.inf, prior), axis=1)
    all_gone = np.all(~has_t[:, None, :] | np.where(node[:, None, :], measured < 10, measured == 0), axis=2)
    target = np.select(
        [np.isnan(sld), all_gone, (sld >= 1.2 * nadir) & (sld - nadir >= 5), sld <= 0.7 * sld_base[:, None]],
        ["NE", "CR", "PD", "PR"], "SD")
    # non-target and new lesions
    nt_prog = (rng.random(n) < tm.p_nontarget_progression)[:, None] & (f > 1.25)
    nontarget = np.where(n_nt[:, None] == 0, "NA", np.where(nt_prog, "PD", np.where(f < 0.1, "CR", "NON-CR/NON-PD")))
    new_day = rng.exponential(tm.new_lesion_mean_days, n) * tm.growth_median / growth
    new = t >= new_day[:, None]
    overall = np.select(
        [new | (target == "PD") | (nontarget == "PD"), target == "NE",
         (target == "CR") & np.isin(nontarget, ["CR", "NA"]), np.isin(target, ["CR", "PR"]), target == "SD"],
        ["PD", "NE", "CR", "PR", "SD"], "NE")
    is_pd = valid & (overall == "PD")
    first_pd = np.where(is_pd.any(axis=1), is_pd.argmax(axis=1), k_max)
    valid &= k[None, :] - 1 <= first_pd[:, None]
    new &= valid & (np.cumsum(new, axis=1) == 1)  # the new lesion is recorded where it first appears
    pd_day = np.where(first_pd < k_max, day[np.arange(n), np.minimum(first_pd, k_max - 1)], np.nan)
    bor, bor_unc = best_overall_response(np.where(valid, overall, ""), np.where(valid, t, np.nan), tm.confirm_min_days, tm.sd_min_days)

    # long tables for the forms
    si, ki = np.nonzero(valid)
    responses = pd.DataFrame({
        "_SUBJ": si, "_N": ki + 1, "_DAY": day[si, ki], "TRGRESP": target[si, ki], "NTRGRESP": nontarget[si, ki],
        "NEWLES": np.where(new[si, ki], "Y", "N"), "OVRLRESP": overall[si, ki]})
    lesions, measurements = _lesion_tables(design, n_t, n_nt, location, node, base, measured, too_small, valid,
                                           day, baseline_day, new, nontarget, rng)
    owi, owk = np.nonzero(valid & late)
    out_of_window = pd.DataFrame({"_SUBJ": owi, "_N": owk + 1, "_DAY": day[owi, owk]})
    return TumourResult(baseline_day, lesions, measurements, responses, pd_day, bor, bor_unc, out_of_window)


def _lesion_tables(design, n_t, n_nt, location, node, base, measured, too_small, valid, day, baseline_day, new,
                   nontarget, rng):
    n, k_max = valid.shape
    methods = np.array(design.tumour_model.methods, dtype=object)
    method = methods[(rng.random(n) < 0.2).astype(int)]
    # TU: target and non-target lesions at baseline, new lesions where they appear
    ts, tl = np.nonzero(np.arange(MAX_TARGETS)[None, :] < n_t[:, None])
    ns, nl = np.nonzero(np.arange(4)[None, :] < n_nt[:, None])
    ws, wk = np.nonzero(new)
    lesions = pd.concat([
        pd.DataFrame({"_SUBJ": ts, "_N": 0, "_DAY": baseline_day[ts], "LNKID": [f"T{i + 1:02d}" for i in tl],
                      "CAT": "TARGET", "LOC": location[ts, tl], "METHOD": method[ts]}),
        pd.DataFrame({"_SUBJ": ns, "_N": 0, "_DAY": baseline_day[ns], "LNKID": [f"NT{i + 1:02d}" for i in nl],
                      "CAT": "NON-TARGET", "LOC": location[ns, MAX_TARGETS + nl], "METHOD": method[ns]}),
        pd.DataFrame({"_SUBJ": ws, "_N": wk + 1, "_DAY": day[ws, wk], "LNKID": "NEW01", "CAT": "NEW",
                      "LOC": location[ws, MAX_TARGETS + 4], "METHOD": method[ws]}),
    ], ignore_index=True)
    # TR: targets at baseline and each valid assessment; non-targets' status; new lesions present
    ka = np.concatenate([np.ones((n, 1), bool), valid], axis=1)
    s2, k2, l2 = np.nonzero(ka[:, :, None] & (np.arange(MAX_TARGETS)[None, None, :] < n_t[:, None, None]))
    full = np.concatenate([base[:, None, :], measured], axis=1)
    small = np.concatenate([np.zeros((n, 1, MAX_TARGETS), bool), too_small], axis=1)
    days = np.concatenate([baseline_day[:, None], day], axis=1)
    value = full[s2, k2, l2]
    targets = pd.DataFrame({
        "_SUBJ": s2, "_N": k2, "_DAY": days[s2, k2], "LNKID": [f"T{i + 1:02d}" for i in l2], "CAT": "TARGET",
        "DIAM": value, "STAT": np.where(np.isnan(value), "NOT DONE", np.where(small[s2, k2, l2], "TOO SMALL TO MEASURE", "")),
        "NODE": node[s2, l2], "METHOD": method[s2]})
    s3, k3, l3 = np.nonzero(ka[:, :, None] & (np.arange(4)[None, None, :] < n_nt[:, None, None]))
    nt_state = np.concatenate([np.full((n, 1), "NON-CR/NON-PD", dtype=object), nontarget], axis=1)[s3, k3]
    nontargets = pd.DataFrame({
        "_SUBJ": s3, "_N": k3, "_DAY": days[s3, k3], "LNKID": [f"NT{i + 1:02d}" for i in l3], "CAT": "NON-TARGET",
        "DIAM": np.nan, "STAT": np.select([nt_state == "CR", nt_state == "PD"], ["ABSENT", "UNEQUIVOCAL PROGRESSION"], "PRESENT"),
        "NODE": False, "METHOD": method[s3]})
    news = pd.DataFrame({"_SUBJ": ws, "_N": wk + 1, "_DAY": day[ws, wk], "LNKID": "NEW01", "CAT": "NEW",
                         "DIAM": np.nan, "STAT": "PRESENT", "NODE": False, "METHOD": method[ws]})
    measurements = pd.concat([targets, nontargets, news], ignore_index=True)
    return lesions, measurements


def best_overall_response(overall: np.ndarray, t: np.ndarray, confirm_days: int, sd_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Confirmed and unconfirmed best overall response per subject from a subject x assessment grid.

    ``overall`` holds CR/PR/SD/PD/NE ("" where no assessment), ``t`` days since first dose. A CR (PR) is
    confirmed by a later CR (CR or PR) at least ``confirm_days`` later with only CR (CR/PR) or NE in
    between. Otherwise SD needs a CR, PR or SD at least ``sd_days`` after first dose; then PD; else NE.
    """
    n, k_max = overall.shape
    resp = np.isin(overall, ["CR", "PR"])
    conf_cr = np.zeros(n, bool)
    conf_pr = np.zeros(n, bool)
    for i in range(k_max):
        between_cr = np.ones(n, bool)
        between_pr = np.ones(n, bool)
        for j in range(i + 1, k_max):
            far = t[:, j] - t[:, i] >= confirm_days
            conf_cr |= (overall[:, i] == "CR") & between_cr & far & (overall[:, j] == "CR")
            conf_pr |= resp[:, i] & between_pr & far & resp[:, j]
            between_cr &= np.isin(overall[:, j], ["CR", "NE"])
            between_pr &= np.isin(overall[:, j], ["CR", "PR", "NE"])
    sd = (np.isin(overall, ["CR", "PR", "SD"]) & (t >= sd_days)).any(axis=1)
    pd_ = (overall == "PD").any(axis=1)
    confirmed = np.select([conf_cr, conf_pr, sd, pd_], ["CR", "PR", "SD", "PD"], "NE")
    best = np.select([(overall == c).any(axis=1) for c in ("CR", "PR")] + [sd, pd_], ["CR", "PR", "SD", "PD"], "NE")
    return confirmed.astype(object), best.astype(object)


def tumour_forms(result: TumourResult) -> dict[str, pd.DataFrame]:
    """The TU (lesion identification), TR (lesion assessment) and RS (response) forms."""
    folder = lambda k: np.where(np.asarray(k) == 0, "SCRN", "TA" + pd.Series(np.asarray(k)).astype(str).to_numpy())  # noqa: E731
    les, mea, rsp = result.lesions, result.measurements, result.responses
    tu = pd.DataFrame({"_SUBJ": les["_SUBJ"], "_DAY": les["_DAY"], "_KEY": les["LNKID"], "FOLDER": folder(les["_N"]),
                       "TULNKID": les["LNKID"], "TUCAT": les["CAT"], "TULOC": les["LOC"].str.title(), "TUMETHOD": les["METHOD"],
                       "TUDAT": edc_date(les["_DAY"].to_numpy())})
    diam = mea["DIAM"].to_numpy(float)
    tr = pd.DataFrame({"_SUBJ": mea["_SUBJ"], "_DAY": mea["_DAY"], "_KEY": mea["LNKID"], "FOLDER": folder(mea["_N"]),
                       "TRLNKID": mea["LNKID"], "TRCAT": mea["CAT"], "TRMETHOD": mea["METHOD"], "TRDAT": edc_date(mea["_DAY"].to_numpy()),
                       "TRTEST": np.where(mea["CAT"] == "TARGET", np.where(mea["NODE"], "SHORT AXIS", "LONGEST DIAMETER"), "LESION STATUS"),
                       "TRORRES": np.where(mea["CAT"] == "TARGET", number(diam, 0), mea["STAT"]),
                       "TRORRESU": np.where((mea["CAT"] == "TARGET") & ~np.isnan(diam), "mm", ""),
                       "TRSTAT": np.where(mea["CAT"] == "TARGET", mea["STAT"], ""),
                       "TRREASND": np.where((mea["CAT"] == "TARGET") & (mea["STAT"] == "NOT DONE"), "LESION NOT IMAGED", "")})
    rs = pd.DataFrame({"_SUBJ": rsp["_SUBJ"], "_DAY": rsp["_DAY"], "_KEY": "", "FOLDER": folder(rsp["_N"]),
                       "RSDAT": edc_date(rsp["_DAY"].to_numpy()), "TRGRESP": rsp["TRGRESP"], "NTRGRESP": rsp["NTRGRESP"],
                       "NEWLES": rsp["NEWLES"], "OVRLRESP": rsp["OVRLRESP"]})
    return {"tu": tu, "tr": tr, "rs": rs}
