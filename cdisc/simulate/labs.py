"""Scheduled visits with vital signs (VS form) and local laboratory results (LB transfer).

Visits: screening, day 1 of every dosed cycle (before dosing), cycle 1 days 8 and 15 while on
treatment, and the end-of-treatment visit. Lab values live on the SI scale with a per-subject
baseline; BAT8008 depresses blood counts (nadir about a week after each dose, deeper with dose),
lowers haemoglobin slowly, and occasionally raises transaminases; BAT1308 can raise TSH.
Sites report in SI or conventional units with their own normal ranges.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.simulate.design import Design
from cdisc.simulate.dosing import Dosing
from cdisc.simulate.formats import clock, edc_date, iso_date, number


def visits(design: Design, subj: pd.DataFrame, dosing: Dosing, stop: np.ndarray, eot_visit: np.ndarray, cutoff: float,
           rng: np.random.Generator) -> pd.DataFrame:
    """One row per scheduled visit: _SUBJ, FOLDER, _DAY, _SINCE (days since the last dose, NaN before any)."""
    n = len(subj)
    first = subj["FIRST"].to_numpy(float)
    end = np.fmin(np.where(np.isnan(stop), np.inf, stop), cutoff + 1)
    screening = np.maximum(subj["ICDAY"].to_numpy(float), first + design.schedule.screening_days[0]) + rng.integers(0, 3, n)
    parts = [pd.DataFrame({"_SUBJ": np.arange(n), "FOLDER": "SCRN", "_DAY": np.minimum(screening, first - 1), "_SINCE": np.nan})]
    cyc = dosing.long()
    parts.append(pd.DataFrame({"_SUBJ": cyc["_SUBJ"], "FOLDER": "C" + cyc["CYCLE"].astype(str) + "D1", "_DAY": cyc["_DAY"],
                               "_SINCE": np.where(cyc["CYCLE"] == 1, np.nan, cyc["_DAY"] - cyc["PREV"])}))
    for d in design.schedule.cycle1_visits:
        day = first + d - 1 + rng.integers(-1, 2, n)
        s = np.flatnonzero(day < end)
        parts.append(pd.DataFrame({"_SUBJ": s, "FOLDER": f"C1D{d}", "_DAY": day[s], "_SINCE": day[s] - first[s]}))
    s = np.flatnonzero(~np.isnan(eot_visit))
    parts.append(pd.DataFrame({"_SUBJ": s, "FOLDER": "EOT", "_DAY": eot_visit[s], "_SINCE": eot_visit[s] - dosing.last_day[s]}))
    out = pd.concat(parts, ignore_index=True)
    out["_MIN"] = 8 * 60 + rng.integers(0, 90, len(out))
    return out


def vs_form(design: Design, subj: pd.DataFrame, vis: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The VS form: one row per visit, one column per vital sign (height at screening only)."""
    n, k = len(subj), len(vis)
    s = vis["_SUBJ"].to_numpy()
    out = {"_SUBJ": s, "_DAY": vis["_DAY"].to_numpy(), "FOLDER": vis["FOLDER"].to_numpy(),
           "VSDAT": edc_date(vis["_DAY"].to_numpy()), "VSTIM": clock(vis["_MIN"].to_numpy())}
    for v in design.vital_signs:
        level = v.mean + rng.normal(0, v.between_sd, n)
        out[v.column] = number(level[s] + rng.normal(0, v.within_sd, k), v.decimals)
        if v.column == "TEMP":
            out["TEMPU"] = v.unit
    drift = (vis["_DAY"].to_numpy() - subj["FIRST"].to_numpy(float)[s]).clip(0) * rng.normal(-0.01, 0.01, n)[s]
    out["WEIGHT"] = number(subj["WEIGHT"].to_numpy(float)[s] + drift + rng.normal(0, 0.4, k), 1)
    out["WEIGHTU"] = "kg"
    screening = vis["FOLDER"].to_numpy() == "SCRN"
    out["HEIGHT"] = np.where(screening, number(subj["HEIGHT"].to_numpy(float)[s], 0), "")
    out["HEIGHTU"] = np.where(screening, "cm", "")
    return pd.DataFrame(out)


def lb_form(design: Design, subj: pd.DataFrame, vis: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The LB transfer: one row per test per visit, in the site's units with its normal range."""
    n, k = len(subj), len(vis)
    s = vis["_SUBJ"].to_numpy()
    since = vis["_SINCE"].to_numpy(float)
    on_study = vis["_DAY"].to_numpy() - subj["FIRST"].to_numpy(float)[s]
    dose = subj["MGKG"].to_numpy(float)[s] / 3.0
    conventional = np.array([site.units == "conventional" for site in design.sites])[subj["SITE_INDEX"].to_numpy()][s]
    hypothyroid = (rng.random(n) < 0.08)[s]
    frames = []
    for t in design.labs:
        base = t.median * np.exp(rng.normal(0, t.cv, n))[s]
        if t.effect == "myelo":
            depth = np.clip(0.55 * dose * np.exp(rng.normal(0, 0.3, n))[s], 0, 0.9)
            effect = 1 - depth * np.exp(-((np.nan_to_num(since, nan=99) - 8) ** 2) / 50)
        elif t.effect == "anaemia":
            effect = 1 - 0.15 * dose * np.clip(on_study / 120, 0, 1)
        elif t.effect == "liver":
            effect = 1 + (on_study > 0) * (rng.random(k) < 0.06) * rng.uniform(1, 4, k)
        elif t.effect == "thyroid":
            effect = 1 + hypothyroid * 5 * np.clip(on_study / 100, 0, 1)
        else:
            effect = np.ones(k)
        value = base * effect * np.exp(rng.normal(0, 0.05, k))
        factor = np.where(conventional, t.to_conv, 1.0)
        decimals = np.where(conventional, t.decimals_conv, t.decimals_si)
        shown, low, high = value * factor, t.low * factor, t.high * factor
        result = number(shown, decimals)
        if t.detection_limit is not None:
            below = value < t.detection_limit
            result[below] = np.char.add("<", number(t.detection_limit * factor, decimals)[below].astype(str))
        low_text, high_text = number(low, decimals), number(high, decimals)
        in_si = {k: np.round(pd.to_numeric(pd.Series(v), errors="coerce").to_numpy(float) / factor, t.decimals_si)
                 for k, v in (("_SI", result), ("_SILO", low_text), ("_SIHI", high_text))}  # as reported, in SI: the key's truth
        frames.append(pd.DataFrame({
            "_SUBJ": s, "_DAY": vis["_DAY"].to_numpy(), "_TEST": t.code, "VISIT": vis["FOLDER"].to_numpy(),
            "LBDAT": iso_date(vis["_DAY"].to_numpy()), "LBTIM": clock(vis["_MIN"].to_numpy() - 10), "LBCAT": t.category,
            "LBTESTCD": t.code, "LBTEST": t.name, "LBORRES": result, "LBORRESU": np.where(conventional, t.conv, t.si),
            "LBORNRLO": low_text, "LBORNRHI": high_text,
            "LBNRIND": np.select([value < t.low, value > t.high], ["L", "H"], ""), **in_si}))
    return pd.concat(frames, ignore_index=True)
