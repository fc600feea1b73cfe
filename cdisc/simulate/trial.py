"""Play the trial forward from one seed and write the raw extract and its answer key."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.simulate import answer_key, course, forms, lab_grades, labs, mess, subject_forms, tumour
from cdisc.simulate.adverse_events import simulate_aes
from cdisc.simulate.design import Design
from cdisc.simulate.dosing import ex_form, simulate_dosing
from cdisc.simulate.pk import simulate_ada, simulate_pk
from cdisc.simulate.population import enrol
from cdisc.simulate.streams import stream

#: Raw forms and the extra sort keys (after subject and date) that make their row order total.
FORMS = {
    "dm": [], "ic": ["ICTYPE"], "enrol": [], "ex": ["_CYCLE", "EXTRT"], "ae": ["AESPID"], "pksamp": ["_CYCLE", "_TPTNUM"],
    "pkconc": ["_TPTNUM", "_ANALYTE"], "ada": ["_ANALYTE"], "tu": ["_KEY"], "tr": ["_KEY"], "rs": [], "vs": ["FOLDER"],
    "lb": ["VISIT", "_TEST"], "ds": ["FOLDER"], "death": [], "surv": [], "cm": ["CMCAT", "CMTRT", "CMSTDAT"],
}


def simulate(design: Design, out: Path, subjects: int, seed: int) -> dict[str, int]:
    """Write ``out/raw/*.csv`` and ``out/answer_key/*``; return the number of rows per raw form."""
    subj, esc = enrol(design, subjects, seed)
    n = len(subj)
    cutoff = float(subj["FIRST"].max() + design.study.cutoff_after_last_enrolment_days) if n else 0.0
    latent = course.latent_events(design, subj, stream(seed, "course"))
    tum = tumour.simulate_tumours(design, subj, course.assessment_stop(latent), cutoff, stream(seed, "tumour"))
    disp, contacts = course.disposition(design, subj, latent, tum.pd_day, cutoff, stream(seed, "disposition"))
    dlt_continues = subj["DLT"].to_numpy(bool) & (disp["EOTREASON"].to_numpy() != "ADVERSE EVENT")
    dosing = simulate_dosing(design, subj, disp["STOP"].to_numpy(float), cutoff, dlt_continues, stream(seed, "dosing"))
    rng = stream(seed, "visits")
    stop = disp["STOP"].to_numpy(float)
    eot = stop + rng.integers(*design.schedule.eot_after_decision_days, n) + 1
    has_eot = (~np.isnan(stop) & ~np.isin(disp["EOTREASON"].to_numpy(), ["DEATH", "WITHDRAWAL BY SUBJECT"])
               & (eot <= cutoff) & (eot < np.nan_to_num(disp["DEATH"].to_numpy(float), nan=np.inf)))
    eot_visit = np.where(has_eot, eot, np.nan)
    visits = labs.visits(design, subj, dosing, stop, eot_visit, cutoff, rng)
    ae, dlts = simulate_aes(design, subj, latent, disp, dosing, cutoff, stream(seed, "adverse_events"))
    ae = ae.sort_values(["_SUBJ", "_DAY", "AETERM"], kind="mergesort")  # line numbers in onset order per subject
    ae.insert(ae.columns.get_loc("AEYN") + 1, "AESPID", np.where(ae["AEYN"] == "Y", (ae.groupby("_SUBJ").cumcount() + 1).astype(str), ""))
    until = np.fmin.reduce([disp["DEATH"].to_numpy(float), latent["WITHDRAW"].to_numpy(float), np.full(n, cutoff + 1)])
    pksamp, pkconc, pk_params = simulate_pk(design, subj, dosing, until, stream(seed, "pk"))
    ada, ada_status = simulate_ada(design, subj, dosing, eot_visit, stream(seed, "ada"))
    raw = {
        "dm": subject_forms.dm_form(subj),
        "ic": subject_forms.ic_form(design, subj, disp, cutoff, stream(seed, "consent")),
        "enrol": subject_forms.enrol_form(design, subj),
        "ex": ex_form(design, subj, dosing, stream(seed, "exposure")),
        "ae": ae, "pksamp": pksamp, "pkconc": pkconc, "ada": ada,
        **tumour.tumour_forms(tum),
        "vs": labs.vs_form(design, subj, visits, stream(seed, "vital_signs")),
        "lb": labs.lb_form(design, subj, visits, stream(seed, "labs")),
        "ds": subject_forms.ds_form(disp),
        "death": subject_forms.death_form(disp),
        "surv": subject_forms.surv_form(contacts, stream(seed, "survival")),
        "cm": subject_forms.cm_form(design, subj, disp, dosing.last_day, until, stream(seed, "conmeds")),
    }
    raw = {name: forms.finish(name, raw[name], design.study.id, subj) for name in FORMS}
    partial_sites = {s.id for s in design.sites if s.partial_birth_date}
    raw, mess_log = mess.add_mess(design, raw, partial_sites, stream(seed, "mess"))
    raw = {name: forms.finish_sort(raw[name], keys) for name, keys in FORMS.items()}
    out_of_window = tum.out_of_window
    mess_log = pd.concat([mess_log, pd.DataFrame({
        "KIND": "out_of_window", "FORM": "RS", "COLUMN": "RSDAT", "SUBJID": subj["SUBJID"].to_numpy()[out_of_window["_SUBJ"]],
        "FOLDER": "TA" + out_of_window["_N"].astype(str),
        "DETAIL": "study day " + (out_of_window["_DAY"] - subj["FIRST"].to_numpy()[out_of_window["_SUBJ"]] + 1).astype(int).astype(str)
                  + ", nominal " + (out_of_window["_N"] * design.schedule.tumour_every_days + 1).astype(str)})], ignore_index=True)
    mess_log = mess_log.sort_values(["KIND", "FORM", "COLUMN", "SUBJID", "FOLDER"], kind="mergesort").reset_index(drop=True)

    for folder in ("raw", "answer_key"):
        if (out / folder).exists():
            shutil.rmtree(out / folder)
    (out / "raw").mkdir(parents=True)
    rows = {name: forms.write(frame, out / "raw" / f"{name}.csv") for name, frame in raw.items()}
    alive = answer_key.last_alive(raw, n)
    subjects_key = answer_key.subjects_table(design, subj, disp, subj["FIRST"].to_numpy(float), dosing.last_day, dosing.cycles,
                                             tum.bor, tum.bor_unconfirmed, dlts, alive, ada_status, tum.responses)
    answer_key.write_answer_key(out / "answer_key", design, seed, subjects_key, esc, answer_key.pk_table(pk_params, subj),
                                mess_log, cutoff, rows)
    lab_grades.write_lab_grades(out / "answer_key", raw["lb"], subj["FIRST"].to_numpy(float))
    return rows
