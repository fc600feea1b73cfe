"""Subject-level EDC forms: DM, IC, ENROL, DS, DEATH, SURV and CM (incl. prior and subsequent anticancer therapy)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.simulate.coding import whodrug_coding
from cdisc.simulate.design import Design
from cdisc.simulate.formats import clock, day_number, edc_date, number

STAGE = {"ESCALATION": "Dose Escalation", "EXPANSION": "Dose Expansion"}
DS_TERM = {"PROGRESSIVE DISEASE": "Disease progression", "ADVERSE EVENT": "Adverse event",
           "WITHDRAWAL BY SUBJECT": "Subject withdrew consent", "DEATH": "Death", "LOST TO FOLLOW-UP": "Lost to follow-up"}


def _all(subj: pd.DataFrame, day: np.ndarray, folder: str) -> dict:
    return {"_SUBJ": np.arange(len(subj)), "_DAY": day, "FOLDER": folder}


def dm_form(subj: pd.DataFrame) -> pd.DataFrame:
    """Demographics, collected at screening."""
    return pd.DataFrame({**_all(subj, subj["ICDAY"].to_numpy(float), "SCRN"),
                         "BRTHDAT": edc_date(subj["BIRTH"].to_numpy(float)), "AGE": subj["AGE"].astype(str), "AGEU": "Years",
                         "SEX": np.where(subj["SEX"] == "F", "Female", "Male"), "ETHNIC": "Not Hispanic or Latino", "RACE": "Asian"})


def ic_form(design: Design, subj: pd.DataFrame, course: pd.DataFrame, cutoff: float, rng: np.random.Generator) -> pd.DataFrame:
    """Informed consent: the first consent at screening, and re-consent to each later protocol version
    by subjects still on study when it takes effect."""
    n = len(subj)
    ic = subj["ICDAY"].to_numpy(float)
    end = np.fmin(course["EOS"].fillna(np.inf).to_numpy(float), cutoff)
    versions = design.study.protocol_versions
    effective = np.array([day_number(v.effective) for v in versions])
    current = np.array([versions[i].version for i in np.searchsorted(effective, ic, side="right") - 1])
    # the first consent is signed before any screening procedure of that day (visits start at 08:00, samples 07:50)
    parts = [pd.DataFrame({**_all(subj, ic, "SCRN"), "ICDAT": edc_date(ic), "ICTIM": clock(7 * 60 + rng.integers(0, 480, n) // 10),
                           "ICVER": current, "ICTYPE": "Initial consent"})]
    for v, eff in zip(versions[1:], effective[1:]):
        s = np.flatnonzero((ic < eff) & (end > eff + 30))
        day = eff + rng.integers(1, 30, len(s))
        parts.append(pd.DataFrame({"_SUBJ": s, "_DAY": day, "FOLDER": "LOG", "ICDAT": edc_date(day),
                                   "ICTIM": clock(9 * 60 + rng.integers(0, 480, len(s))), "ICVER": v.version, "ICTYPE": "Re-consent"}))
    return pd.concat(parts, ignore_index=True)


def enrol_form(design: Design, subj: pd.DataFrame) -> pd.DataFrame:
    """Enrolment: stage, cohort, dose level and assigned doses."""
    return pd.DataFrame({**_all(subj, subj["ENRDAY"].to_numpy(float), "SCRN"),
                         "ENRDAT": edc_date(subj["ENRDAY"].to_numpy(float)), "ELIGYN": "Y",
                         "STAGE": subj["STAGE"].map(STAGE), "COHORT": subj["COHORT"], "DOSELVL": subj["LEVEL"].astype(str),
                         "B8008DOS": number(subj["MGKG"].to_numpy(float), 1), "B8008DOSU": design.drugs["BAT8008"].unit,
                         "B1308DOS": number(np.full(len(subj), design.drugs["BAT1308"].flat_dose), 0),
                         "B1308DOSU": design.drugs["BAT1308"].unit, "TUMTYPE": subj["TUMOUR"], "ECOG": subj["ECOG"].astype(str)})


def ds_form(course: pd.DataFrame) -> pd.DataFrame:
    """Disposition: end of treatment and end of study pages."""
    parts = []
    for folder, cat, day, reason in (("EOT", "END OF TREATMENT", "STOP", "EOTREASON"), ("EOS", "END OF STUDY", "EOS", "EOSREASON")):
        s = np.flatnonzero(course[reason].to_numpy() != "")
        r = course[reason].to_numpy()[s]
        parts.append(pd.DataFrame({"_SUBJ": s, "_DAY": course[day].to_numpy()[s], "FOLDER": folder, "DSCAT": cat,
                                   "DSTERM": pd.Series(r).map(DS_TERM).to_numpy(), "DSDECOD": r,
                                   "DSSTDAT": edc_date(course[day].to_numpy()[s])}))
    return pd.concat(parts, ignore_index=True)


def death_form(course: pd.DataFrame) -> pd.DataFrame:
    """Death details, one row per subject who died."""
    s = np.flatnonzero(~np.isnan(course["DEATH"].to_numpy(float)))
    day = course["DEATH"].to_numpy(float)[s]
    cause = course["DTHCAUSE"].to_numpy()[s]
    return pd.DataFrame({"_SUBJ": s, "_DAY": day, "FOLDER": "LOG", "DTHDAT": edc_date(day),
                         "DTHCAUS": pd.Series(cause).map({"PROGRESSIVE DISEASE": "Disease progression",
                                                          "ADVERSE EVENT": "Adverse event", "OTHER": "Other"}).to_numpy(),
                         "DTHCAUSP": np.where(cause == "OTHER", "Sudden death, cause unknown", ""), "AUTOPSY": "N"})


def surv_form(contacts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Survival follow-up contacts after treatment."""
    return pd.DataFrame({"_SUBJ": contacts["_SUBJ"], "_DAY": contacts["_DAY"], "FOLDER": "SFU" + contacts["_N"].astype(str),
                         "SVDAT": edc_date(contacts["_DAY"].to_numpy()),
                         "SVSTAT": contacts["STATUS"].map({"ALIVE": "Alive", "DEAD": "Dead", "LOST": "Lost to follow-up"}),
                         "SVMETH": np.where(rng.random(len(contacts)) < 0.7, "Telephone", "Clinic visit")})


def cm_form(design: Design, subj: pd.DataFrame, course: pd.DataFrame, last_dose: np.ndarray, until: np.ndarray,
            rng: np.random.Generator) -> pd.DataFrame:
    """Concomitant medications (started before day number ``until``, ongoing past it), prior anticancer
    regimens and subsequent anticancer therapy, with the coding team's WHODrug coding."""
    m = design.medications
    n = len(subj)
    first = subj["FIRST"].to_numpy(float)
    horizon = np.fmin(np.where(np.isnan(last_dose), first, last_dose) + 28, until - 1)
    count = rng.poisson(m.mean_per_subject, n)
    s = np.repeat(np.arange(n), count)
    k = len(s)
    med = rng.integers(0, len(m.list), k)
    start = first[s] - 60 + np.floor(rng.random(k) * (horizon[s] - first[s] + 60))
    end = start + np.ceil(np.exp(rng.normal(2.5, 1.0, k)))
    ongoing = end >= until[s]
    con = pd.DataFrame({"_SUBJ": s, "_DAY": start, "CMCAT": "CONCOMITANT MEDICATION",
                        "CMTRT": np.array([x.name for x in m.list], dtype=object)[med],
                        "CMINDC": np.array([x.indication for x in m.list], dtype=object)[med],
                        "CMSTDAT": edc_date(start), "CMENDAT": edc_date(np.where(ongoing, np.nan, end)),
                        "CMONGO": np.where(ongoing, "Y", "N")})
    lines = rng.integers(1, 4, n)
    s = np.repeat(np.arange(n), lines)
    k = len(s)
    line = np.concatenate([np.arange(c) for c in lines]) if n else np.zeros(0, int)
    end = first[s] - 35 - line * 240 - rng.integers(0, 120, k)
    start = end - rng.integers(60, 200, k)
    prior = pd.DataFrame({"_SUBJ": s, "_DAY": start, "CMCAT": "PRIOR ANTICANCER THERAPY",
                          "CMTRT": np.array(m.prior_anticancer, dtype=object)[rng.integers(0, len(m.prior_anticancer), k)],
                          "CMINDC": subj["TUMOUR"].to_numpy()[s], "CMSTDAT": edc_date(start), "CMENDAT": edc_date(end), "CMONGO": "N"})
    s = np.flatnonzero(~np.isnan(course["NEWTX"].to_numpy(float)))
    day = course["NEWTX"].to_numpy(float)[s]
    after = pd.DataFrame({"_SUBJ": s, "_DAY": day, "CMCAT": "SUBSEQUENT ANTICANCER THERAPY",
                          "CMTRT": pd.Series(course["NEWTXNAME"].to_numpy()[s]).str.title().to_numpy(),
                          "CMINDC": subj["TUMOUR"].to_numpy()[s], "CMSTDAT": edc_date(day), "CMENDAT": "", "CMONGO": "Y"})
    out = pd.concat([prior, con, after], ignore_index=True)
    out.insert(2, "FOLDER", "LOG")
    coded = whodrug_coding(out["CMTRT"], design.coding.whodrug)
    return pd.concat([out.loc[:, :"CMTRT"], coded, out.loc[:, "CMINDC":]], axis=1)
