"""The answer key written beside the extract: what the converter's derivations should find."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.simulate.design import Design
from cdisc.simulate.escalation import Escalation
from cdisc.simulate.formats import iso_date, number

LAST_ALIVE_FORMS = {"ex": "EXSTDAT", "vs": "VSDAT", "lb": "LBDAT", "rs": "RSDAT", "tr": "TRDAT", "pksamp": "PKDAT"}


def last_alive(forms: dict[str, pd.DataFrame], n: int) -> np.ndarray:
    """Last day each subject was known alive: the latest complete date on EX, VS, LB, TR, RS and PKSAMP, or an
    'Alive' survival contact (the forms as written, so missing pages count)."""
    days = [forms[f].loc[forms[f][col].ne(""), ["_SUBJ", "_DAY"]] for f, col in LAST_ALIVE_FORMS.items()]
    surv = forms["surv"]
    days.append(surv.loc[surv["SVSTAT"].eq("Alive"), ["_SUBJ", "_DAY"]])
    both = pd.concat(days, ignore_index=True)
    out = np.full(n, np.nan)
    best = both.groupby("_SUBJ")["_DAY"].max()
    out[best.index.to_numpy()] = best.to_numpy()
    return out


def progression_free_survival(design: Design, responses: pd.DataFrame, course: pd.DataFrame, first: np.ndarray) -> pd.DataFrame:
    """Per subject the PFS truth (FDA guidance 2018, Table A), from the simulated assessments as recorded.

    Event: the first PD or death, whichever is first, unless it comes after new anticancer therapy or more
    than two assessment intervals plus the window (2 x 42 + 7 days) after the last adequate assessment
    (CR/PR/SD) before it, or first dose when there is none; then, and without an event, censored at the last
    adequate assessment on or before new therapy, or at first dose when there is none.
    Returns PFS_CNSR (0 event, 1 censored), PFS_DAY and PFS_EVENT (DISEASE PROGRESSION, DEATH or blank).
    """
    n = len(first)
    gap = 2 * design.schedule.tumour_every_days + design.schedule.tumour_window_days
    newtx = course["NEWTX"].fillna(np.inf).to_numpy(float)
    s, day = responses["_SUBJ"].to_numpy(int), responses["_DAY"].to_numpy(float)
    adequate = responses["OVRLRESP"].isin(["CR", "PR", "SD"]).to_numpy() & (day <= newtx[s])
    pd_day, death = course["PD"].to_numpy(float), course["DEATH"].to_numpy(float)
    candidates = np.stack([np.where(pd_day <= newtx, pd_day, np.nan), np.where(death <= newtx, death, np.nan)], axis=1)
    # last adequate assessment strictly before a PD, on or before a death (first dose if none)
    before = np.full((n, 2), -np.inf)
    for j, strictly in ((0, True), (1, False)):
        hit = adequate & ((day < candidates[s, j]) if strictly else (day <= candidates[s, j]))
        np.maximum.at(before[:, j], s[hit], day[hit])
    counted = ~np.isnan(candidates) & (candidates - np.fmax(before, first[:, None]) <= gap)
    event_day = np.where(counted, candidates, np.inf).min(axis=1)
    kind = np.where(counted, candidates, np.inf).argmin(axis=1)
    last = np.full(n, -np.inf)
    np.maximum.at(last, s[adequate], day[adequate])
    event = np.isfinite(event_day)
    return pd.DataFrame({"PFS_CNSR": np.where(event, "0", "1"), "PFS_DAY": np.where(event, event_day, np.fmax(last, first)),
                         "PFS_EVENT": np.where(event, np.array(["DISEASE PROGRESSION", "DEATH"], dtype=object)[kind], "")})


def subjects_table(design: Design, subj: pd.DataFrame, course: pd.DataFrame, first: np.ndarray, last: np.ndarray,
                   cycles: np.ndarray, bor: np.ndarray, bor_unc: np.ndarray, dlts: pd.DataFrame, alive: np.ndarray,
                   ada: pd.DataFrame, responses: pd.DataFrame) -> pd.DataFrame:
    """One row per subject: assignment, DLTs, exposure, response, progression, death and follow-up truth."""
    escalation = subj["STAGE"].eq("ESCALATION").to_numpy()
    dlt_term = np.full(len(subj), "", dtype=object)
    dlt_term[dlts["_SUBJ"].to_numpy()] = dlts["TERM"].to_numpy()
    yn = lambda x: np.where(escalation, np.where(x, "Y", "N"), "")  # noqa: E731
    pfs = progression_free_survival(design, responses, course, first)
    table = pd.DataFrame({
        "SUBJID": subj["SUBJID"], "SITEID": subj["SITEID"], "STAGE": subj["STAGE"], "COHORT": subj["COHORT"],
        "DOSE_LEVEL": subj["LEVEL"].astype(str), "BAT8008_MGKG": number(subj["MGKG"].to_numpy(float), 1),
        "BAT1308_MG": number(np.full(len(subj), design.drugs["BAT1308"].flat_dose), 0), "TUMOUR": subj["TUMOUR"],
        "DLT_EVALUABLE": yn(subj["EVALUABLE"].to_numpy(bool)), "DLT": yn(subj["DLT"].to_numpy(bool)), "DLT_TERM": dlt_term,
        "FIRST_DOSE_DATE": iso_date(first), "LAST_DOSE_DATE": iso_date(last), "N_CYCLES": cycles.astype(str),
        "EOT_DATE": iso_date(course["STOP"].to_numpy(float)), "EOT_REASON": course["EOTREASON"],
        "BOR": bor, "BOR_UNCONFIRMED": bor_unc, "PD_DATE": iso_date(course["PD"].to_numpy(float)),
        "DEATH_DATE": iso_date(course["DEATH"].to_numpy(float)), "DEATH_CAUSE": course["DTHCAUSE"],
        "LAST_ALIVE_DATE": iso_date(np.where(np.isnan(course["DEATH"].to_numpy(float)), alive, np.nan)),
        "PFS_CNSR": pfs["PFS_CNSR"], "PFS_DATE": iso_date(pfs["PFS_DAY"].to_numpy(float)), "PFS_EVENT": pfs["PFS_EVENT"],
        "OS_CNSR": np.where(np.isnan(course["DEATH"].to_numpy(float)), "1", "0"),
        "OS_DATE": iso_date(np.where(np.isnan(course["DEATH"].to_numpy(float)), alive, course["DEATH"].to_numpy(float))),
        "NEW_THERAPY_DATE": iso_date(course["NEWTX"].to_numpy(float)),
        "EOS_DATE": iso_date(course["EOS"].to_numpy(float)), "EOS_REASON": course["EOSREASON"],
    })
    table = pd.concat([table, ada.reset_index(drop=True)], axis=1)
    return table.sort_values("SUBJID", kind="mergesort").reset_index(drop=True)


def pk_table(params: pd.DataFrame, subj: pd.DataFrame) -> pd.DataFrame:
    """The individual PK parameters the concentrations were simulated from, and the true cycle 1 Cmax/AUC."""
    out = pd.DataFrame({"SUBJID": subj["SUBJID"].to_numpy()[params["_SUBJ"]], "ANALYTE": params["ANALYTE"], "UNIT": params["UNIT"]})
    for col, d in (("CL_L_H", 5), ("V1_L", 4), ("Q_L_H", 5), ("V2_L", 4), ("T_HALF_ALPHA_H", 2), ("T_HALF_BETA_H", 2),
                   ("C1_DOSE", 2), ("INPUT_FRACTION", 4), ("CMAX_C1", 4), ("TMAX_C1_H", 2), ("AUCINF_C1", 2)):
        out[col] = number(params[col].to_numpy(float), d)
    out = out.rename(columns={"C1_DOSE": "C1_DOSE_MG", "AUCINF_C1": "AUCINF_C1_UNIT_H"})
    return out.sort_values(["SUBJID", "ANALYTE"], kind="mergesort").reset_index(drop=True)


def write_answer_key(folder: Path, design: Design, seed: int, subjects: pd.DataFrame, esc: Escalation, pk: pd.DataFrame,
                     mess: pd.DataFrame, cutoff: float, rows: dict[str, int]) -> None:
    """subjects.csv, cohorts.csv, pk_parameters.csv, mess.csv and study.json."""
    folder.mkdir(parents=True, exist_ok=True)
    csv = dict(index=False, lineterminator="\n", encoding="ascii")
    subjects.to_csv(folder / "subjects.csv", **csv)
    cohorts = esc.cohorts.copy()
    cohorts["BAT8008_MGKG"] = number(cohorts["BAT8008_MGKG"].to_numpy(float), 1)
    cohorts["P_DLT_TRUE"] = number(cohorts["P_DLT_TRUE"].to_numpy(float), 2)
    cohorts.to_csv(folder / "cohorts.csv", **csv)
    pk.to_csv(folder / "pk_parameters.csv", **csv)
    mess.to_csv(folder / "mess.csv", **csv)
    true_mtd = design.escalation.true_mtd
    summary = {
        "study": design.study.id, "seed": seed, "subjects": len(subjects), "data_cutoff": str(iso_date(np.array([cutoff]))[0]),
        "true_mtd": {"level": true_mtd, "bat8008_mgkg": design.mgkg.get(true_mtd) if true_mtd is not None else None,
                     "definition": f"highest level with latent DLT probability <= {design.escalation.target_dlt_rate}"},
        "declared_mtd": {"level": esc.mtd, "bat8008_mgkg": design.mgkg.get(esc.mtd) if esc.mtd else None,
                         "definition": "MTD declared by the 3+3 (highest level with at most 1 DLT in 6 evaluable subjects)"},
        "expansion_levels": {c.code: max(1, esc.mtd + c.level_offset) for c in design.expansion.cohorts} if esc.mtd else {},
        "rows": rows,
    }
    (folder / "study.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="ascii")
