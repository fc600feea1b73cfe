"""The true NCI CTCAE v5.0 grade of every simulated lab result: ``answer_key/lab_grades.csv``.

The simulator knows each result as the lab reported it; the truth is the grade of that result on the
SI scale at the SI precision (a conventional-unit result divided by its conversion factor and rounded
to the SI decimals), against the lab's reported range converted the same way, and, for the criteria
that need it, the subject's baseline: the last result of the test on or before the first dose day
(cycle 1 day 1 samples are drawn before the infusion; screening when that page is missing). The
thresholds of the simulated tests are written out below from CTCAE v5.0, independently of the
package's grading (``cdisc.adam.ctcae``), which this key checks. Where CTCAE v5.0 needs clinical
facts the worst case is taken; hyperglycemia has no laboratory criteria in v5.0 and is not graded.
``GRADE`` combines the two directions as ATOXGR: the low grade negated when 1 or more, else the
high grade, else 0 when every direction with a term is graded 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: The CTCAE v5.0 term graded in each direction for each simulated test.
LOW_TERMS = {"HGB": "Anemia", "WBC": "White blood cell decreased", "NEUT": "Neutrophil count decreased",
             "PLAT": "Platelet count decreased", "ALB": "Hypoalbuminemia", "GLUC": "Hypoglycemia"}
HIGH_TERMS = {"HGB": "Hemoglobin increased", "WBC": "Leukocytosis", "ALT": "Alanine aminotransferase increased",
              "AST": "Aspartate aminotransferase increased", "BILI": "Blood bilirubin increased", "CREAT": "Creatinine increased"}

#: Low grades: grade 4, 3, 2 below these absolute SI values (None: no such grade), grade 1 below the LLN.
LOW_CUTS = {"HGB": (None, 80.0, 100.0), "WBC": (1.0, 2.0, 3.0), "NEUT": (0.5, 1.0, 1.5), "PLAT": (25.0, 50.0, 75.0),
            "ALB": (None, 20.0, 30.0), "GLUC": (1.7, 2.2, 3.0)}
#: Liver tests: multiples of the ULN for grades 4, 3, 2, 1 when the baseline is normal, of the baseline when it is
#: above the ULN, and whether grade 1 starts at (True) or above (False) its multiple of the baseline.
LIVER = {"ALT": ((20, 5, 3, 1), (20, 5, 3, 1.5), True), "AST": ((20, 5, 3, 1), (20, 5, 3, 1.5), True),
         "BILI": ((10, 3, 1.5, 1), (10, 3, 1.5, 1.0), False)}


def _above(value: np.ndarray, threshold: np.ndarray, inclusive: bool = False) -> np.ndarray:
    """``value`` above (or at) ``threshold``, the threshold rounded to 10 decimals so 1.5 x 12.2 equals 18.3."""
    threshold = np.round(threshold, 10)
    return value >= threshold if inclusive else value > threshold


def _low_grade(test: str, value: np.ndarray, lln: np.ndarray) -> np.ndarray:
    cuts = LOW_CUTS[test]
    conditions = [value < c if c is not None else np.zeros(len(value), bool) for c in cuts] + [value < lln]
    return np.select(conditions, [4, 3, 2, 1], 0).astype(float)


def _high_grade(test: str, value: np.ndarray, uln: np.ndarray, base: np.ndarray, base_high: np.ndarray) -> np.ndarray:
    """``base_high``: the baseline result is above its own ULN (the liver tests then grade against the baseline)."""
    if test == "HGB":
        return np.select([_above(value, uln + 40), _above(value, uln + 20), _above(value, uln)], [3, 2, 1], 0).astype(float)
    if test == "WBC":
        return np.where(value > 100, 3.0, 0.0)
    if test == "CREAT":
        conditions = [_above(value, 6 * uln), _above(value, 3 * uln) | _above(value, 3 * base),
                      _above(value, 1.5 * uln) | _above(value, 1.5 * base), _above(value, uln)]
        return np.select(conditions, [4, 3, 2, 1], 0).astype(float)
    normal, abnormal, from_base = LIVER[test]
    conditions = [np.where(base_high, _above(value, b * base, inclusive=(g == 1 and from_base)), _above(value, u * uln))
                  for g, u, b in zip((4, 3, 2, 1), normal, abnormal)]
    return np.select(conditions, [4, 3, 2, 1], 0).astype(float)


def _text(grade: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(grade), "", np.nan_to_num(grade).astype(int).astype(str)).astype(object)


def lab_grades(lb: pd.DataFrame, first_dose_day: np.ndarray) -> pd.DataFrame:
    """One row per subject, visit and graded test of the LB transfer as written (exact duplicates once):
    the SI result, range and baseline, each direction's term and grade, and GRADE. ``lb`` carries the
    working columns ``_SUBJ``, ``_DAY`` and ``_SI``, ``_SILO``, ``_SIHI`` (result and range in SI)."""
    rows = lb.loc[lb["LBTESTCD"].isin([*LOW_TERMS, *HIGH_TERMS])].drop_duplicates(["SUBJID", "VISIT", "LBTESTCD"])
    rows = rows.sort_values(["SUBJID", "LBTESTCD", "_DAY"], kind="mergesort").reset_index(drop=True)
    before = rows.loc[(rows["_DAY"] <= first_dose_day[rows["_SUBJ"].to_numpy()]) & rows["_SI"].notna()]
    baseline = before.drop_duplicates(["SUBJID", "LBTESTCD"], keep="last")[["SUBJID", "LBTESTCD", "_SI", "_SIHI"]]
    rows = rows.merge(baseline.rename(columns={"_SI": "_BASE", "_SIHI": "_BASEHI"}), on=["SUBJID", "LBTESTCD"], how="left")
    value, lln, uln, base = (rows[c].to_numpy(float) for c in ("_SI", "_SILO", "_SIHI", "_BASE"))
    low, high = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    for test in rows["LBTESTCD"].unique():
        at = rows["LBTESTCD"].eq(test).to_numpy()
        if test in LOW_TERMS:
            low[at] = _low_grade(test, value[at], lln[at])
        if test in HIGH_TERMS:
            high[at] = _high_grade(test, value[at], uln[at], base[at], base[at] > rows["_BASEHI"].to_numpy(float)[at])
    missing = np.isnan(value)
    low_term, high_term = rows["LBTESTCD"].map(LOW_TERMS).fillna(""), rows["LBTESTCD"].map(HIGH_TERMS).fillna("")
    low[missing], high[missing] = np.nan, np.nan
    normal = ((low == 0) | low_term.eq("").to_numpy()) & ((high == 0) | high_term.eq("").to_numpy()) & ~missing
    overall = np.select([low >= 1, high >= 1, normal], [-low, high, 0.0], np.nan)
    return pd.DataFrame({
        "SUBJID": rows["SUBJID"], "VISIT": rows["VISIT"], "LBTESTCD": rows["LBTESTCD"], "LBDAT": rows["LBDAT"],
        "SI_RESULT": rows["_SI"], "SI_LOW": rows["_SILO"], "SI_HIGH": rows["_SIHI"], "SI_BASELINE": rows["_BASE"],
        "TERM_LOW": low_term, "GRADE_LOW": _text(low), "TERM_HIGH": high_term, "GRADE_HIGH": _text(high), "GRADE": _text(overall),
    })


def write_lab_grades(folder: Path, lb: pd.DataFrame, first_dose_day: np.ndarray) -> None:
    """``folder/lab_grades.csv``: :func:`lab_grades` of the LB transfer as written."""
    lab_grades(lb, first_dose_day).to_csv(folder / "lab_grades.csv", index=False, lineterminator="\n", encoding="ascii")
