"""The documented mess of a real extract, added to clean forms; every instance is logged.

Kinds added here: free text with mixed case and stray spaces, partial dates, missing pages and
duplicated records. (Out-of-window tumour assessments come from the tumour schedule; ``<LLOQ``
results, SI/conventional units, DD-MON-YYYY dates and separate time fields are how the forms are
written.) Each kind affects at least its ``min`` count of rows, whatever the study size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.simulate.design import Design, MessRate

MONTHS = np.array(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])


def _choose(rng: np.random.Generator, candidates: np.ndarray, rule: MessRate) -> np.ndarray:
    """Sorted positions from ``candidates``: the rule's share of them, at least its minimum."""
    k = min(len(candidates), max(rule.min, int(round(rule.rate * len(candidates)))))
    return np.sort(rng.choice(candidates, size=k, replace=False)) if k else np.zeros(0, int)


def _log(kind: str, form: str, column: str, frame: pd.DataFrame, rows: np.ndarray, detail) -> pd.DataFrame:
    return pd.DataFrame({"KIND": kind, "FORM": form.upper(), "COLUMN": column, "SUBJID": frame["SUBJID"].to_numpy()[rows],
                         "FOLDER": frame[frame.columns.intersection(["FOLDER", "VISIT"])[0]].to_numpy()[rows], "DETAIL": detail})


def messy_text(text: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each text lower-cased, upper-cased, padded with spaces or given a doubled inner space."""
    style = rng.integers(0, 4, len(text))
    s = pd.Series(text, dtype=object)
    out = np.select([style == 0, style == 1, style == 2],
                    [s.str.lower(), s.str.upper(), "  " + s + " "], s.str.replace(" ", "  ", n=1, regex=False).where(s.str.contains(" "), s + "  "))
    return out.astype(object)


def partial(dates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``DD-MON-YYYY`` made partial: day unknown (``UNK-MAR-2024``) or day and month unknown (``UN-UNK-2024``)."""
    s = pd.Series(dates, dtype=object)
    year = s.str[-4:]
    return np.where(rng.random(len(s)) < 0.6, "UNK-" + s.str[3:6] + "-" + year, "UN-UNK-" + year).astype(object)


def add_mess(design: Design, forms: dict[str, pd.DataFrame], partial_birth_sites: set[str],
             rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The forms with mess added, and the log of every instance (KIND, FORM, COLUMN, SUBJID, FOLDER, DETAIL)."""
    m = design.mess
    log = []
    forms = dict(forms)
    for form, column in (("ae", "AETERM"), ("cm", "CMTRT"), ("tu", "TULOC"), ("ds", "DSTERM")):
        f = forms[form].copy()
        rows = _choose(rng, np.flatnonzero(f[column].to_numpy() != ""), m.free_text)
        f.iloc[rows, f.columns.get_loc(column)] = messy_text(f[column].to_numpy()[rows], rng)
        log.append(_log("free_text", form, column, f, rows, f[column].to_numpy()[rows]))
        forms[form] = f
    dm = forms["dm"].copy()
    rows = np.flatnonzero(dm["SITEID"].isin(partial_birth_sites).to_numpy())
    dm.iloc[rows, dm.columns.get_loc("BRTHDAT")] = "UN-UNK-" + dm["BRTHDAT"].str[-4:].to_numpy()[rows]
    log.append(_log("partial_date", "dm", "BRTHDAT", dm, rows, dm["BRTHDAT"].to_numpy()[rows]))
    forms["dm"] = dm
    cm = forms["cm"].copy()
    for column, where in (("CMSTDAT", cm["CMCAT"].eq("PRIOR ANTICANCER THERAPY")), ("CMENDAT", cm["CMCAT"].eq("PRIOR ANTICANCER THERAPY"))):
        rows = _choose(rng, np.flatnonzero(where.to_numpy() & cm[column].ne("").to_numpy()), MessRate(rate=0.3, min=m.partial_dates.min))
        cm.iloc[rows, cm.columns.get_loc(column)] = partial(cm[column].to_numpy()[rows], rng)
        log.append(_log("partial_date", "cm", column, cm, rows, cm[column].to_numpy()[rows]))
    forms["cm"] = cm
    ae = forms["ae"].copy()
    rows = _choose(rng, np.flatnonzero(ae["AEENDAT"].ne("").to_numpy()), m.partial_dates)
    ae.iloc[rows, ae.columns.get_loc("AEENDAT")] = "UNK-" + ae["AEENDAT"].str[3:].to_numpy()[rows]
    log.append(_log("partial_date", "ae", "AEENDAT", ae, rows, ae["AEENDAT"].to_numpy()[rows]))
    forms["ae"] = ae
    for form in ("vs", "lb"):  # missing pages: whole visits absent (never screening)
        f = forms[form]
        key = f["SUBJID"] + "|" + f[f.columns.intersection(["FOLDER", "VISIT"])[0]]
        pages = key.drop_duplicates()
        pages = pages[~pages.str.endswith("|SCRN")]
        dropped = pages.to_numpy()[_choose(rng, np.arange(len(pages)), m.missing_pages)]
        gone = key.isin(dropped).to_numpy()
        first = np.flatnonzero(gone & ~key.duplicated().to_numpy())
        log.append(_log("missing_page", form, "", f, first, ""))
        forms[form] = f[~gone].reset_index(drop=True)
    for form in ("ae", "vs", "lb"):  # duplicated records: exact copies of a few rows
        f = forms[form]
        rows = _choose(rng, np.flatnonzero(f.get("AEYN", pd.Series("Y", index=f.index)).ne("N").to_numpy()), m.duplicates)
        log.append(_log("duplicate", form, "", f, rows, ""))
        forms[form] = pd.concat([f, f.iloc[rows]], ignore_index=True)
    return forms, pd.concat(log, ignore_index=True)
