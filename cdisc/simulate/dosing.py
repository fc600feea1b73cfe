"""Treatment cycles: 21-day cycles of BAT1308 then BAT8008, with delays and BAT8008 dose reductions.

Cycles continue while the subject is on treatment (before the stop decision, up to the cutoff).
A cycle is delayed with a fixed probability; BAT8008 is reduced (through the design's reduction
factors, at most twice) at random and always from cycle 2 after a DLT that did not end treatment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc.simulate.design import Design
from cdisc.simulate.formats import clock, edc_date, number


@dataclass(frozen=True)
class Dosing:
    """Subject x cycle grids (day number, dosed, BAT8008 mg/kg, BAT8008 start minute), per-cycle
    delay/reduction flags and per-subject first/last dose day and number of cycles."""

    day: np.ndarray
    dosed: np.ndarray
    mgkg: np.ndarray
    start_min: np.ndarray
    delayed: np.ndarray
    reduced: np.ndarray
    last_day: np.ndarray
    cycles: np.ndarray

    def long(self) -> pd.DataFrame:
        """One row per dosed cycle: _SUBJ, CYCLE, _DAY, PREV (previous dose day), MGKG, START (BAT8008 start minute), DELAYED, REDUCED."""
        s, c = np.nonzero(self.dosed)
        return pd.DataFrame({"_SUBJ": s, "CYCLE": c + 1, "_DAY": self.day[s, c], "PREV": self.day[s, np.maximum(c - 1, 0)], "MGKG": self.mgkg[s, c],
                             "START": self.start_min[s, c], "DELAYED": self.delayed[s, c], "REDUCED": self.reduced[s, c]})


def simulate_dosing(design: Design, subj: pd.DataFrame, stop: np.ndarray, cutoff: float, dlt_continues: np.ndarray,
                    rng: np.random.Generator) -> Dosing:
    """Dose every subject from FIRST until before ``stop`` (NaN: still on treatment) and up to ``cutoff``."""
    c, s = design.course, design.schedule
    n = len(subj)
    first = subj["FIRST"].to_numpy(float)
    end = np.where(np.isnan(stop), cutoff + 1, stop)
    n_cyc = max(1, int(np.max((end - first) // s.cycle_days)) + 2)
    delayed = rng.random((n, n_cyc)) < c.p_delay
    delayed[:, 0] = False
    delay = np.where(delayed, rng.integers(c.delay_days[0], c.delay_days[1] + 1, (n, n_cyc)), 0)
    day = first[:, None] + np.cumsum(np.where(np.arange(n_cyc) == 0, 0, s.cycle_days + delay), axis=1)
    dosed = day < end[:, None]
    reduced = rng.random((n, n_cyc)) < c.p_reduction
    reduced[:, 0] = False
    if n_cyc > 1:
        reduced[:, 1] |= dlt_continues
    steps = np.minimum(np.cumsum(reduced, axis=1), len(c.reduction_factors) - 1)
    reduced &= np.diff(np.concatenate([np.zeros((n, 1), int), steps], axis=1), axis=1) > 0
    factors = np.asarray(c.reduction_factors)[steps]
    mgkg = subj["MGKG"].to_numpy(float)[:, None] * factors
    start = 9 * 60 + rng.integers(0, 150, (n, n_cyc)) + design.drugs["BAT8008"].start_after_min
    last = np.where(dosed.any(axis=1), np.max(np.where(dosed, day, -np.inf), axis=1), np.nan)
    return Dosing(day, dosed, mgkg, start.astype(float), delayed & dosed, reduced & dosed, last, dosed.sum(axis=1))


def ex_form(design: Design, subj: pd.DataFrame, dosing: Dosing, rng: np.random.Generator) -> pd.DataFrame:
    """The EX form: one row per drug per administration (infusion date, start and end clock times)."""
    cyc = dosing.long()
    n = len(cyc)
    weight = subj["WEIGHT"].to_numpy(float)[cyc["_SUBJ"]]
    rows = []
    for drug in ("BAT1308", "BAT8008"):
        spec = design.drugs[drug]
        start = cyc["START"].to_numpy() - design.drugs["BAT8008"].start_after_min + spec.start_after_min
        end = start + spec.infusion_min + rng.integers(-3, 8, n)
        planned = np.full(n, spec.flat_dose) if spec.flat_dose else cyc["MGKG"].to_numpy()
        total = planned if spec.flat_dose else np.round(planned * weight, 1)
        adjusted = cyc["REDUCED"].to_numpy() & (spec.flat_dose is None)
        rows.append(pd.DataFrame({
            "_SUBJ": cyc["_SUBJ"], "_DAY": cyc["_DAY"], "_CYCLE": cyc["CYCLE"], "_TRT": drug, "_START": start,
            "FOLDER": "C" + cyc["CYCLE"].astype(str) + "D1", "EXTRT": drug, "EXSTDAT": edc_date(cyc["_DAY"]), "EXSTTIM": clock(start),
            "EXENTIM": clock(end), "EXDOSE": number(planned, 0 if spec.flat_dose else 1), "EXDOSU": spec.unit,
            "EXWT": number(np.where(spec.flat_dose is None, weight, np.nan), 1), "EXTOTDOS": number(total, 1), "EXROUTE": spec.route.title(),
            "EXDLY": np.where(cyc["DELAYED"], "Y", "N"), "EXADJ": np.where(adjusted, "Y", "N"),
            "EXADJRS": np.where(adjusted, "Adverse event", ""),
        }))
    return pd.concat(rows, ignore_index=True)
