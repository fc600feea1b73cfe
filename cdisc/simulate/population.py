"""Who enrols when and where: escalation and expansion subjects with their sites, ids and demographics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.simulate.design import Design
from cdisc.simulate.escalation import Escalation, run_escalation
from cdisc.simulate.formats import day_number
from cdisc.simulate.streams import pick, stream

FEMALE_ONLY = ("TRIPLE-NEGATIVE BREAST CANCER", "OVARIAN CANCER")


def enrol(design: Design, subjects: int, seed: int) -> tuple[pd.DataFrame, Escalation]:
    """One row per enrolled subject in enrolment order, and the escalation that placed the first ones.

    Day columns are day numbers: ICDAY (consent), ENRDAY (enrolment), FIRST (first dose), BIRTH.
    """
    rng = stream(seed, "population")
    first = day_number(design.study.first_consent) + 21
    esc = run_escalation(design, subjects, first, stream(seed, "escalation"))
    n_esc = len(esc.subjects)
    n_exp = subjects - n_esc if esc.mtd is not None else 0
    tumours = design.tumours
    names = [t.name for t in tumours]
    cohorts = design.expansion.cohorts
    exp_cohort = pick(rng, n_exp, [c.weight for c in cohorts])
    exp_start = esc.next_start + np.sort(np.floor(rng.uniform(0, design.study.expansion_accrual_days, n_exp)))
    levels = np.array([max(1, (esc.mtd or 1) + c.level_offset) for c in cohorts])
    frame = pd.DataFrame({
        "STAGE": ["ESCALATION"] * n_esc + ["EXPANSION"] * n_exp,
        "COHORT": [f"DL{lv}-C{c:02d}" for c, lv in zip(esc.subjects["COHORT"], esc.subjects["LEVEL"])]
        + [cohorts[i].code for i in exp_cohort],
        "ESC_COHORT": np.concatenate([esc.subjects["COHORT"].to_numpy(), np.zeros(n_exp, int)]),
        "LEVEL": np.concatenate([esc.subjects["LEVEL"].to_numpy(), levels[exp_cohort]]).astype(int),
        "TUMOUR": [names[i] for i in pick(rng, n_esc, [t.weight for t in tumours])]
        + [cohorts[i].tumour for i in exp_cohort],
        "FIRST": np.concatenate([esc.subjects["START"].to_numpy(float), exp_start]),
        "EVALUABLE": np.concatenate([esc.subjects["EVALUABLE"].to_numpy(bool), np.zeros(n_exp, bool)]),
        "DLT": np.concatenate([esc.subjects["DLT"].to_numpy(bool), np.zeros(n_exp, bool)]),
    })
    n = len(frame)
    frame["MGKG"] = frame["LEVEL"].map(design.mgkg).to_numpy(float)
    frame["SENSITIVITY"] = frame["TUMOUR"].map({t.name: t.sensitivity for t in tumours}).to_numpy(float)
    sites = design.sites
    lead = np.array([s.lead for s in sites])
    weights = np.array([s.weight for s in sites])
    site = np.where(frame["STAGE"].eq("ESCALATION"), pick(rng, n, weights * lead), pick(rng, n, weights))
    frame["SITEID"] = np.array([s.id for s in sites])[site]
    frame["SITE_INDEX"] = site
    seq = frame.groupby("SITEID").cumcount().to_numpy() + 1
    frame["SUBJID"] = frame["SITEID"] + "-" + pd.Series(seq).map("{:04d}".format)
    frame["ENRDAY"] = frame["FIRST"] - rng.integers(0, 4, n)
    frame["ICDAY"] = frame["ENRDAY"] - rng.integers(5, 24, n)
    female = frame["TUMOUR"].isin(FEMALE_ONLY).to_numpy() | (rng.random(n) < 0.4)
    frame["SEX"] = np.where(female, "F", "M")
    age = np.clip(np.round(rng.normal(58, 10, n)), 22, 82)
    frame["BIRTH"] = frame["ICDAY"] - np.floor(age * 365.25) - rng.integers(1, 365, n)
    frame["AGE"] = np.floor((frame["ICDAY"] - frame["BIRTH"]) / 365.25).astype(int)
    frame["HEIGHT"] = np.round(np.where(female, rng.normal(158, 6, n), rng.normal(170, 6, n)), 0)
    frame["WEIGHT"] = np.round(np.clip(np.where(female, rng.normal(58, 9, n), rng.normal(67, 10, n)), 38, 120), 1)
    frame["ECOG"] = (rng.random(n) < 0.6).astype(int)
    return frame, esc
