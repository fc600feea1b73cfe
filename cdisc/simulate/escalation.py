"""Stage 1: the 3+3 dose escalation, played cohort by cohort from latent DLT probabilities.

Rules: a cohort enrols until it has 3 DLT-evaluable subjects (a non-evaluable subject is replaced).
At a level, 0/3 DLTs escalates, 1/3 expands the level to 6, and 1/6 escalates; 2 or more DLTs
exceed the MTD. The MTD is then the level below if 6 were treated there; if only 3 were, 3 more
are enrolled there first (de-escalation). Clearing the top level with at most 1/6 declares it the
MTD (a top level with 0/3 is expanded to 6 to confirm). Enrolment ending stops the escalation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc.simulate.design import Design

ESCALATE, EXPAND, DE_ESCALATE = "ESCALATE", "EXPAND", "DE-ESCALATE"
MTD_EXCEEDED, MTD_CONFIRMED, NO_MTD, ENROLMENT_ENDED = (
    "STOP: MTD EXCEEDED", "STOP: MTD CONFIRMED", "STOP: NO TOLERATED DOSE", "STOP: ENROLMENT ENDED")


@dataclass(frozen=True)
class Escalation:
    """Subjects in enrolment order (COHORT, LEVEL, START = first-dose day number, EVALUABLE, DLT),
    the cohort trace, the MTD the 3+3 declared (None if none) and the day expansion may start."""

    subjects: pd.DataFrame
    cohorts: pd.DataFrame
    mtd: int | None
    next_start: float


def run_escalation(design: Design, budget: int, start: float, rng: np.random.Generator) -> Escalation:
    """Play the 3+3 with at most ``budget`` subjects, the first dosed on day number ``start``."""
    esc = design.escalation
    top = len(esc.dose_levels)
    treated = {lvl: [0, 0] for lvl in range(1, top + 1)}  # level -> [evaluable, DLTs]
    subjects: list[tuple[int, int, float, bool, bool]] = []  # COHORT, LEVEL, START, EVALUABLE, DLT
    cohorts: list[dict[str, object]] = []
    level, day, mtd = 1, float(start), None
    while True:
        enrolled = evaluable = dlts = 0
        while evaluable < 3 and len(subjects) < budget:
            dlt = rng.random() < esc.dose_levels[level - 1].p_dlt
            ok = dlt or rng.random() < esc.p_dlt_evaluable
            subjects.append((len(cohorts) + 1, level, day + enrolled * esc.stagger_days, ok, dlt))
            enrolled, evaluable, dlts = enrolled + 1, evaluable + ok, dlts + dlt
        treated[level][0] += evaluable
        treated[level][1] += dlts
        n, d = treated[level]
        if evaluable < 3:
            decision, following = ENROLMENT_ENDED, None
        elif d >= 2:
            below = level - 1
            if below == 0:
                decision, following = NO_MTD, None
            elif treated[below][0] >= 6:
                decision, following, mtd = MTD_EXCEEDED, None, below
            else:
                decision, following = DE_ESCALATE, below
        elif n == 3 and (d == 1 or level == top or treated.get(level + 1, [0])[0] > 0):
            decision, following = EXPAND, level
        elif n >= 6 and (level == top or treated[level + 1][0] > 0):
            decision, following, mtd = MTD_CONFIRMED, None, level
        else:
            decision, following = ESCALATE, level + 1
        cohorts.append({
            "COHORT": len(cohorts) + 1, "LEVEL": level, "BAT8008_MGKG": design.mgkg[level],
            "P_DLT_TRUE": esc.dose_levels[level - 1].p_dlt, "N_ENROLLED": enrolled, "N_EVALUABLE": evaluable,
            "N_DLT": dlts, "LEVEL_N_EVALUABLE": n, "LEVEL_N_DLT": d, "DECISION": decision,
            "NEXT_LEVEL": following if following is not None else np.nan,
        })
        day = subjects[-1][2] + esc.dlt_window_days + esc.review_days if subjects else day
        if following is None:
            break
        level = following
    frame = pd.DataFrame(subjects, columns=["COHORT", "LEVEL", "START", "EVALUABLE", "DLT"])
    trace = pd.DataFrame(cohorts)
    trace["NEXT_LEVEL"] = trace["NEXT_LEVEL"].astype("Int64")
    return Escalation(frame, trace, mtd, day)
