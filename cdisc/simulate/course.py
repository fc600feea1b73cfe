"""Each subject's course: latent times of the events that end treatment, follow-up and life.

:func:`latent_events` draws them before the tumour model runs (death, withdrawal and new therapy
stop tumour assessments); :func:`disposition` combines them with the progression date into end of
treatment, death, new anticancer therapy, survival follow-up contacts and end of study.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.simulate.design import Design

PD, AE, WD, DEATH, LOST = "PROGRESSIVE DISEASE", "ADVERSE EVENT", "WITHDRAWAL BY SUBJECT", "DEATH", "LOST TO FOLLOW-UP"


def latent_events(design: Design, subj: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Day numbers of: DLT onset, stopping for toxicity, withdrawal, death before progression and
    new therapy after stopping for toxicity (inf where the event never happens)."""
    c = design.course
    n = len(subj)
    first = subj["FIRST"].to_numpy(float)
    dose = subj["MGKG"].to_numpy(float) / 2.0
    dlt = subj["DLT"].to_numpy(bool)
    dlt_day = np.where(dlt, first + rng.integers(4, 19, n), np.nan)
    ae_stop = first + 1 + np.floor(rng.exponential(1 / (c.ae_discontinuation * dose)))
    ae_stop = np.where(dlt & (rng.random(n) < c.p_dlt_discontinues), dlt_day + rng.integers(1, 4, n), ae_stop)
    withdraw = first + 1 + np.floor(rng.exponential(1 / c.withdrawal, n))
    not_evaluable = subj["STAGE"].eq("ESCALATION").to_numpy() & ~subj["EVALUABLE"].to_numpy(bool)
    withdraw = np.where(not_evaluable, first + rng.integers(3, 18, n), withdraw)
    death0 = first + 1 + np.floor(rng.exponential(1 / c.death_before_progression, n))
    # A DLT-evaluable subject without a DLT completed the DLT window: nothing ends their treatment in it.
    window_end = first + design.escalation.dlt_window_days
    completes = subj["STAGE"].eq("ESCALATION").to_numpy() & subj["EVALUABLE"].to_numpy(bool) & ~dlt
    ae_stop, withdraw, death0 = (np.where(completes, np.maximum(t, window_end), t) for t in (ae_stop, withdraw, death0))
    newtx0 = np.where(rng.random(n) < c.p_new_therapy_after_other, ae_stop + rng.integers(30, 121, n), np.inf)
    return pd.DataFrame({"DLTDAY": dlt_day, "AESTOP": ae_stop, "WITHDRAW": withdraw, "DEATH0": death0, "NEWTX0": newtx0})


def assessment_stop(latent: pd.DataFrame) -> np.ndarray:
    """The day from which no tumour assessment happens (death, withdrawal or new therapy)."""
    return latent[["DEATH0", "WITHDRAW", "NEWTX0"]].min(axis=1).to_numpy(float)


def disposition(design: Design, subj: pd.DataFrame, latent: pd.DataFrame, pd_day: np.ndarray, cutoff: float,
                rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per subject: STOP/EOTREASON (treatment), DEATH/DTHCAUSE, NEWTX/NEWTXNAME, EOS/EOSREASON (all observed
    by the cutoff); and the survival follow-up contacts (_SUBJ, _N, _DAY, STATUS)."""
    c, s = design.course, design.schedule
    n = len(subj)
    lat = {k: latent[k].to_numpy(float) for k in latent}
    progressed = ~np.isnan(pd_day)
    pd_ = np.where(progressed, pd_day, np.inf)
    post = np.floor(rng.exponential(c.survival_after_progression_median / np.log(2), n))
    death = np.minimum(lat["DEATH0"], pd_ + 1 + post)
    events = np.stack([pd_, lat["AESTOP"], lat["WITHDRAW"], death], axis=1)
    which = events.argmin(axis=1)
    stop = events.min(axis=1)
    stopped = stop <= cutoff
    reason = np.where(stopped, np.array([PD, AE, WD, DEATH], dtype=object)[which], "")

    # survival follow-up after treatment, until death, withdrawal, loss or the cutoff
    k_max = max(1, int(np.nanmax(np.where(stopped, cutoff - stop, 0)) // s.survival_every_days) + 1)
    k = np.arange(1, k_max + 1)
    sfu = stop[:, None] + s.survival_every_days * k[None, :] + rng.integers(-5, 6, (n, k_max))
    alive_contact = (stopped & (reason != DEATH))[:, None] & (sfu < np.minimum(death, lat["WITHDRAW"])[:, None]) & (sfu <= cutoff)
    n_contacts = alive_contact.sum(axis=1)
    lost_at = np.where((rng.random(n) < c.p_lost_to_followup) & (n_contacts > 0),
                       np.floor(rng.random(n) * n_contacts).astype(int) + 1, k_max + 1)
    alive_contact &= k[None, :] <= lost_at[:, None]
    lost = lost_at <= k_max
    lost_day = np.where(lost, sfu[np.arange(n), np.minimum(lost_at, k_max) - 1], np.inf)
    seen_dead = (death <= cutoff) & (death < lat["WITHDRAW"]) & (death < lost_day)
    death_obs = np.where(seen_dead, death, np.nan)
    cause = np.where(~seen_dead, "", np.where(death < pd_, np.where(rng.random(n) < 0.5, AE, "OTHER"), PD))

    # new anticancer therapy
    after_pd = pd_ + rng.integers(14, 61, n)
    newtx = np.where((reason == AE) & (lat["NEWTX0"] < pd_), lat["NEWTX0"],
                     np.where(progressed & (rng.random(n) < c.p_new_therapy_after_pd), after_pd, np.inf))
    newtx = np.where((newtx <= cutoff) & (newtx < death) & (newtx < lat["WITHDRAW"]) & (newtx < lost_day), newtx, np.nan)
    therapies = np.array(c.new_therapies, dtype=object)

    eos = np.select([seen_dead, lat["WITHDRAW"] <= np.minimum(cutoff, death), lost], [death, lat["WITHDRAW"], lost_day], np.nan)
    eos_reason = np.select([seen_dead, lat["WITHDRAW"] <= np.minimum(cutoff, death), lost], [DEATH, WD, LOST], "")
    si, ki = np.nonzero(alive_contact)
    status = np.where((ki + 1 == lost_at[si]), "LOST", "ALIVE")
    contacts = pd.DataFrame({"_SUBJ": si, "_N": ki + 1, "_DAY": sfu[si, ki], "STATUS": status})
    in_fu = seen_dead & stopped & (reason != DEATH)
    dead_row = pd.DataFrame({"_SUBJ": np.flatnonzero(in_fu), "_N": n_contacts[in_fu] + 1,
                             "_DAY": np.minimum(death[in_fu] + rng.integers(1, 15, in_fu.sum()), cutoff), "STATUS": "DEAD"})
    course = pd.DataFrame({
        "STOP": np.where(stopped, stop, np.nan), "EOTREASON": reason, "DEATH": death_obs, "DTHCAUSE": cause,
        "NEWTX": newtx, "NEWTXNAME": np.where(np.isnan(newtx), "", therapies[rng.integers(0, len(therapies), n)]),
        "EOS": eos, "EOSREASON": eos_reason, "PD": pd_day,
    })
    return course, pd.concat([contacts, dead_row], ignore_index=True)
