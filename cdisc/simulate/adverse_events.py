"""Adverse events: the ones the course implies (DLTs, delays, reductions, discontinuation, fatal
events) and background events at a dose-dependent rate, with CTCAE grade, seriousness, relationship
and action taken per drug, outcome, the investigator's DLT checkbox and the coding team's MedDRA coding."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.simulate.coding import meddra_coding
from cdisc.simulate.design import Design
from cdisc.simulate.dosing import Dosing
from cdisc.simulate.formats import clock, edc_date

RELATED = np.array(["Definitely Related", "Probably Related", "Possibly Related"], dtype=object)
UNRELATED = np.array(["Unlikely Related", "Not Related"], dtype=object)
NOT_CHANGED, REDUCED, INTERRUPTED, WITHDRAWN, NA = (
    "Dose Not Changed", "Dose Reduced", "Drug Interrupted", "Drug Withdrawn", "Not Applicable")


def simulate_aes(design: Design, subj: pd.DataFrame, latent: pd.DataFrame, course: pd.DataFrame, dosing: Dosing,
                 cutoff: float, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The AE form (one row per event; AEYN = N row for subjects without events) and the DLT events."""
    ae = design.adverse_events
    terms = ae.terms
    names = np.array([t.term for t in terms], dtype=object)
    weights = np.array([t.weight for t in terms], dtype=float)
    n = len(subj)
    first = subj["FIRST"].to_numpy(float)
    last = np.where(np.isnan(dosing.last_day), first, dosing.last_day)
    death = course["DEATH"].to_numpy(float)
    end_obs = np.fmin.reduce([last + design.schedule.safety_followup_days + 7, course["NEWTX"].to_numpy(float) - 1,
                              death, latent["WITHDRAW"].to_numpy(float), np.full(n, cutoff)])
    events = []

    def add(s, day, term, grade, acn8008, acn1308, related=None, dlt=None):
        k = len(s)
        events.append(pd.DataFrame({"_SUBJ": s, "_DAY": day, "TERM": term, "GRADE": grade,
                                    "ACN8008": acn8008, "ACN1308": acn1308,
                                    "REL": related if related is not None else np.zeros(k, bool),
                                    "DLT": dlt if dlt is not None else np.zeros(k, bool)}))

    # DLTs, and what they did to treatment
    dlt_terms = np.array(design.escalation.dlt_terms, dtype=object)
    s = np.flatnonzero(subj["DLT"].to_numpy(bool))
    stopped = course["EOTREASON"].to_numpy()[s] == "ADVERSE EVENT"
    add(s, latent["DLTDAY"].to_numpy()[s], dlt_terms[rng.integers(0, len(dlt_terms), len(s))],
        3 + (rng.random(len(s)) < 0.3), np.where(stopped, WITHDRAWN, REDUCED), np.where(stopped, WITHDRAWN, NOT_CHANGED),
        np.ones(len(s), bool), np.ones(len(s), bool))
    # delays and reductions
    cyc = dosing.long()
    heavy = weights * (np.array([t.grades[1] + t.grades[2] for t in terms]) > 0.3)
    dlt_c2 = cyc["REDUCED"] & (cyc["CYCLE"] == 2) & subj["DLT"].to_numpy(bool)[cyc["_SUBJ"]]
    for rows, grade, acn8008, acn1308 in ((cyc[cyc["DELAYED"]], 2, INTERRUPTED, INTERRUPTED),
                                          (cyc[cyc["REDUCED"] & ~dlt_c2], 3, REDUCED, NOT_CHANGED)):
        k = len(rows)
        add(rows["_SUBJ"].to_numpy(), rows["PREV"].to_numpy() + rng.integers(7, 20, k),
            names[rng.choice(len(terms), k, p=heavy / heavy.sum())], np.full(k, grade),
            np.full(k, acn8008, dtype=object), np.full(k, acn1308, dtype=object), np.ones(k, bool))
    # discontinuation for toxicity (other than a DLT) and fatal events
    s = np.flatnonzero((course["EOTREASON"].to_numpy() == "ADVERSE EVENT") & ~subj["DLT"].to_numpy(bool))
    add(s, np.maximum(course["STOP"].to_numpy()[s] - rng.integers(0, 6, len(s)), first[s]),
        names[rng.choice(len(terms), len(s), p=heavy / heavy.sum())], 3 + (rng.random(len(s)) < 0.3),
        np.full(len(s), WITHDRAWN, dtype=object), np.full(len(s), WITHDRAWN, dtype=object), np.ones(len(s), bool))
    s = np.flatnonzero(course["DTHCAUSE"].to_numpy() == "ADVERSE EVENT")
    fatal_day = np.maximum(death[s] - rng.integers(0, 8, len(s)), first[s])
    on_drug = fatal_day <= last[s]
    add(s, fatal_day, names[rng.choice(len(terms), len(s), p=heavy / heavy.sum())], np.full(len(s), 5),
        np.where(on_drug, WITHDRAWN, NA), np.where(on_drug, WITHDRAWN, NA), rng.random(len(s)) < 0.3)
    # background events
    window = np.maximum(end_obs - first, 0)
    count = rng.poisson(ae.rate * (subj["MGKG"].to_numpy(float) / 2.0) ** ae.dose_power * window)
    s = np.repeat(np.arange(n), count)
    k = len(s)
    day = first[s] + np.floor(rng.random(k) * window[s])
    term = rng.choice(len(terms), k, p=weights / weights.sum())
    cum = np.cumsum(np.array([t.grades for t in terms]), axis=1)[term]
    grade = 1 + (rng.random(k)[:, None] > cum / cum[:, -1:]).sum(axis=1)
    acn = np.where(day <= last[s], NOT_CHANGED, NA).astype(object)
    add(s, day, names[term], grade, acn, acn.copy(), None)
    frame = pd.concat(events, ignore_index=True)
    return _form(design, frame, subj, death, cutoff, rng), frame[frame["DLT"]]


def _form(design: Design, ev: pd.DataFrame, subj: pd.DataFrame, death: np.ndarray, cutoff: float,
          rng: np.random.Generator) -> pd.DataFrame:
    terms = {t.term: t for t in design.adverse_events.terms}
    k = len(ev)
    s = ev["_SUBJ"].to_numpy()
    grade = ev["GRADE"].to_numpy(int)
    start = ev["_DAY"].to_numpy(float)
    p8008 = ev["TERM"].map({t: v.rel8008 for t, v in terms.items()}).to_numpy(float)
    p1308 = ev["TERM"].map({t: v.rel1308 for t, v in terms.items()}).to_numpy(float)
    forced = ev["REL"].to_numpy(bool)
    rel8008 = forced | (rng.random(k) < p8008)
    rel1308 = (rng.random(k) < p1308) & ~(forced & (ev["ACN1308"].to_numpy() == NOT_CHANGED) & (rng.random(k) < 0.5))
    duration = np.ceil(design.adverse_events.duration_median_days * np.exp(rng.normal(0, 0.8, k)))
    end = start + duration
    fatal = grade == 5
    end = np.where(fatal, death[s], end)
    ongoing = ~fatal & ((end > cutoff) | (end >= np.nan_to_num(death[s], nan=np.inf)))
    serious = fatal | (rng.random(k) < np.where(grade >= 3, 0.4, 0.03))
    outcome = np.select([fatal, ongoing, rng.random(k) < 0.04],
                        ["Fatal", "Not Recovered/Not Resolved", "Recovered/Resolved with Sequelae"], "Recovered/Resolved")
    escalation = subj["STAGE"].to_numpy()[s] == "ESCALATION"
    yn = lambda x: np.where(x, "Y", "N")  # noqa: E731
    form = pd.DataFrame({
        "_SUBJ": s, "_DAY": start, "FOLDER": "LOG", "AEYN": "Y", "AETERM": ev["TERM"].to_numpy(),
        **{column: values.to_numpy() for column, values in meddra_coding(ev["TERM"], design.coding.meddra).items()},
        "AESTDAT": edc_date(start), "AESTTIM": clock(np.where(rng.random(k) < 0.2, 8 * 60 + rng.integers(0, 600, k), np.nan)),
        "AEENDAT": edc_date(np.where(ongoing, np.nan, end)), "AEONGO": yn(ongoing), "AEGRADE": grade.astype(str),
        "AESER": yn(serious), "AESHOSP": yn(serious & ~fatal), "AESLIFE": yn(serious & (grade == 4) & (rng.random(k) < 0.3)),
        "AESDTH": yn(fatal),
        "AEREL_BAT8008": np.where(rel8008, RELATED[rng.integers(0, 3, k)], UNRELATED[rng.integers(0, 2, k)]),
        "AEREL_BAT1308": np.where(rel1308, RELATED[rng.integers(0, 3, k)], UNRELATED[rng.integers(0, 2, k)]),
        "AEACN_BAT8008": ev["ACN8008"].to_numpy(), "AEACN_BAT1308": ev["ACN1308"].to_numpy(), "AEOUT": outcome,
        "AEDLT": np.where(escalation, np.where(ev["DLT"].to_numpy(bool), "Yes", "No"), ""),
    })
    none = np.setdiff1d(np.arange(len(subj)), s)
    empty = pd.DataFrame({"_SUBJ": none, "_DAY": subj["FIRST"].to_numpy(float)[none], "FOLDER": "LOG", "AEYN": "N"})
    return pd.concat([form, empty], ignore_index=True).fillna("")
