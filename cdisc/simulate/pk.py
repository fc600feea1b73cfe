"""PK samples and concentrations from a two-compartment IV infusion model; ADA and NAb samples.

Each analyte has typical CL, V1, Q, V2 (70 kg; allometric weight scaling) with log-normal
between-subject variability; concentrations superpose every infusion given before the sample,
then get proportional residual error. Results below the LLOQ are reported as ``<LLOQ``.
BAT8008's analytes are driven by the BAT8008 dose (the free payload through an apparent model,
a fraction of the dose); BAT1308 by its flat dose.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.simulate.design import Analyte, Design
from cdisc.simulate.dosing import Dosing
from cdisc.simulate.formats import clock, edc_date, iso_date, number, sig


def _parameters(a: Analyte, weight: np.ndarray, design: Design, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(weight)
    w = weight / 70.0
    out = {}
    for name, exponent in (("cl", design.pk.weight_exponent_cl), ("v1", design.pk.weight_exponent_v),
                           ("q", design.pk.weight_exponent_cl), ("v2", design.pk.weight_exponent_v)):
        out[name] = getattr(a, name) * w ** exponent * np.exp(rng.normal(0, getattr(a.bsv, name), n))
    k10, k12, k21 = out["cl"] / out["v1"], out["q"] / out["v1"], out["q"] / out["v2"]
    total = k10 + k12 + k21
    root = np.sqrt(total ** 2 - 4 * k10 * k21)
    out["alpha"], out["beta"] = (total + root) / 2, (total - root) / 2
    return out


def _infusion(p: dict[str, np.ndarray], rate: np.ndarray, duration: float, t: np.ndarray) -> np.ndarray:
    """Concentration at ``t`` hours after the start of a zero-order infusion (0 before it)."""
    alpha, beta, v1, k21 = p["alpha"], p["beta"], p["v1"], p["q"] / p["v2"]
    a = (alpha - k21) / (alpha - beta) / alpha
    b = (k21 - beta) / (alpha - beta) / beta
    during = np.minimum(np.maximum(t, 0), duration)
    after = np.maximum(t - duration, 0)
    c = rate / v1 * (a * -np.expm1(-alpha * during) * np.exp(-alpha * after)
                     + b * -np.expm1(-beta * during) * np.exp(-beta * after))
    return np.where(t > 0, c, 0.0)


def simulate_pk(design: Design, subj: pd.DataFrame, dosing: Dosing, until: np.ndarray, rng: np.random.Generator
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The PKSAMP form (sampling before day number ``until``), the PKCONC lab transfer and the true PK parameters."""
    n = len(subj)
    tpts = design.schedule.pk_timepoints()
    order = {t: i + 1 for i, t in enumerate(dict.fromkeys(p.tpt for p in tpts))}
    rows = []
    for point in tpts:  # loop over the schedule's timepoints, vectorised over subjects
        if point.cycle > dosing.day.shape[1]:
            continue
        s = np.flatnonzero(dosing.dosed[:, point.cycle - 1])
        dose_min = dosing.day[s, point.cycle - 1] * 1440 + dosing.start_min[s, point.cycle - 1]
        bat1308_start = dose_min - design.drugs["BAT8008"].start_after_min
        if point.hours < 0:
            taken = bat1308_start - rng.integers(5, 41, len(s))
        elif point.tpt == "END OF INFUSION":
            taken = dose_min + design.drugs["BAT8008"].infusion_min + rng.integers(0, 11, len(s))
        else:
            spread = 10 if point.hours < 24 else 60
            taken = dose_min + point.hours * 60 + rng.integers(-spread, spread + 1, len(s))
        rows.append(pd.DataFrame({"_SUBJ": s, "_CYCLE": point.cycle, "FOLDER": f"C{point.cycle}D{point.day}", "PKTPT": point.tpt,
                                  "_TPTNUM": order[point.tpt], "_MIN": taken}))
    samples = pd.concat(rows, ignore_index=True)
    samples = samples[samples["_MIN"] < until[samples["_SUBJ"]] * 1440].reset_index(drop=True)
    missed = rng.random(len(samples)) < design.pk.p_sample_missed
    s = samples["_SUBJ"].to_numpy()
    sample_min = samples["_MIN"].to_numpy(float)
    samples["_DAY"] = np.floor(sample_min / 1440)
    subjid = subj["SUBJID"].to_numpy()[s]
    samples["PKPERF"] = np.where(missed, "N", "Y")
    samples["PKREASND"] = np.where(missed, "Sample not collected", "")
    samples["PKDAT"] = np.where(missed, "", edc_date(samples["_DAY"].to_numpy()))
    samples["PKTIM"] = np.where(missed, "", clock(sample_min % 1440))
    samples["PKREFID"] = (pd.Series(subjid).str.replace("-", "") + "-" + samples["FOLDER"] + "-"
                          + samples["_TPTNUM"].astype(str)).to_numpy()
    weight = subj["WEIGHT"].to_numpy(float)
    taken = samples[~missed]
    ts, tmin = taken["_SUBJ"].to_numpy(), taken["_MIN"].to_numpy(float)
    dose_min = dosing.day * 1440 + dosing.start_min
    concs, params = [], []
    for a in design.pk.analytes:
        p = _parameters(a, weight, design, rng)
        drug = design.drugs[a.drug]
        duration = drug.infusion_min / 60
        amount = (np.full(dosing.mgkg.shape, drug.flat_dose) if drug.flat_dose else dosing.mgkg * weight[:, None]) * a.fraction
        start = dose_min - (design.drugs["BAT8008"].start_after_min - drug.start_after_min)
        ps = {k: v[ts] for k, v in p.items()}
        conc = np.zeros(len(ts))
        for c in range(dosing.day.shape[1]):  # superpose the infusions, one cycle at a time
            given = dosing.dosed[ts, c]
            t = np.where(given, (tmin - start[ts, c]) / 60, -1.0)
            conc += _infusion(ps, amount[ts, c] / duration, duration, t)
        observed = conc * a.scale * np.exp(rng.normal(0, a.prop_error, len(ts)))
        blq = observed < a.lloq
        lloq = number(np.full(len(ts), a.lloq), a.decimals)
        concs.append(pd.DataFrame({
            "_SUBJ": ts, "_DAY": taken["_DAY"].to_numpy(), "_TPTNUM": taken["_TPTNUM"].to_numpy(), "_ANALYTE": a.code,
            "VISIT": taken["FOLDER"].to_numpy(), "TIMEPOINT": taken["PKTPT"].to_numpy(), "SAMPLEID": taken["PKREFID"].to_numpy(),
            "COLLDATE": iso_date(taken["_DAY"].to_numpy()), "COLLTIME": clock(tmin % 1440), "MATRIX": "SERUM",
            "ANALYTE": a.name, "RESULT": np.where(blq, np.char.add("<", lloq.astype(str)).astype(object), sig(observed, 3)),
            "UNIT": a.unit, "LLOQ": lloq}))
        first_dose = amount[:, 0] * a.scale
        params.append(pd.DataFrame({
            "_SUBJ": np.arange(n), "ANALYTE": a.code, "UNIT": a.unit, "CL_L_H": p["cl"], "V1_L": p["v1"], "Q_L_H": p["q"],
            "V2_L": p["v2"], "T_HALF_ALPHA_H": np.log(2) / p["alpha"], "T_HALF_BETA_H": np.log(2) / p["beta"],
            "C1_DOSE": amount[:, 0] / a.fraction, "INPUT_FRACTION": a.fraction, "CMAX_C1": _infusion(p, first_dose / duration, duration, np.full(n, duration)),
            "TMAX_C1_H": duration, "AUCINF_C1": first_dose / p["cl"]}))
    return samples, pd.concat(concs, ignore_index=True), pd.concat(params, ignore_index=True)


def simulate_ada(design: Design, subj: pd.DataFrame, dosing: Dosing, eot_visit: np.ndarray,
                 rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ADA lab transfer (pre-dose samples on the ADA cycles and at EOT) and each subject's true ADA status."""
    n = len(subj)
    cycles = [c for c in design.schedule.ada_cycles if c <= dosing.day.shape[1]]
    sample_s = np.concatenate([np.flatnonzero(dosing.dosed[:, c - 1]) for c in cycles] + [np.flatnonzero(~np.isnan(eot_visit))])
    sample_c = np.concatenate([np.full(dosing.dosed[:, c - 1].sum(), c) for c in cycles] + [np.full((~np.isnan(eot_visit)).sum(), 0)])
    day = np.where(sample_c > 0, dosing.day[sample_s, np.maximum(sample_c - 1, 0)], eot_visit[sample_s])
    folder = np.where(sample_c > 0, np.char.add(np.char.add("C", sample_c.astype(str)), "D1"), "EOT")
    frames, status = [], {}
    for a in design.ada:
        baseline = rng.random(n) < a.p_baseline
        onset = np.where(rng.random(n) < a.p_emergent, 1 + rng.integers(1, 120, n), np.inf)  # days after first dose
        nab = rng.random(n) < a.p_nab
        titre = 2 ** rng.integers(1, 7, n) * 10
        since = day - subj["FIRST"].to_numpy(float)[sample_s]
        positive = baseline[sample_s] | (since >= onset[sample_s])
        frames.append(pd.DataFrame({
            "_SUBJ": sample_s, "_DAY": day, "_ANALYTE": a.drug, "VISIT": folder, "COLLDATE": iso_date(day), "ANALYTE": a.analyte,
            "ADARES": np.where(positive, "POSITIVE", "NEGATIVE"), "TITER": np.where(positive, np.char.add("1:", titre[sample_s].astype(str)), ""),
            "NABRES": np.where(positive, np.where(nab[sample_s], "POSITIVE", "NEGATIVE"), "")}))
        seen = np.bincount(sample_s[positive & (sample_c != 1)], minlength=n) > 0
        status[f"ADA_{a.drug}"] = np.select([baseline, seen], ["BASELINE POSITIVE", "TREATMENT EMERGENT"], "NEGATIVE")
    return pd.concat(frames, ignore_index=True), pd.DataFrame(status)
