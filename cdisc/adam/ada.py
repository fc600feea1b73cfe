"""Anti-drug antibody (ADA) and neutralising antibody (NAb) analysis, ADAB-style (admiral's ADAB template).

The input is one record per sample (subject x drug x time point) of the binding ADA test with the
interpreted result (``POSITIVE``/``NEGATIVE``), the titre as a number (the reciprocal dilution, 160 for
1:160), the baseline flag and the time after the first dose in days. The functions return new
Series/DataFrames; the rules they apply are parameters:

- baseline status (BFLAG): the result of the baseline sample;
- per post-baseline sample (TFLAGV): 0 negative with a negative or missing baseline, 1 treatment-induced
  (positive after a negative or missing baseline), 2 treatment-boosted (baseline positive and the titre
  at least ``fold`` times the baseline titre), 3 treatment-unaffected (baseline positive, not boosted);
- per subject and drug (TFLAG) the same over all post-baseline samples; treatment-emergent ADA
  (EMERPOS, ADASTAT = POSITIVE) is induced or boosted;
- persistent vs transient (induced ADA): persistent when positive at the last post-baseline sample or
  when the first and last positive samples are at least ``persistent_weeks`` apart, transient otherwise;
- time to onset (TIMADA) from the first dose to the first emergent positive sample, in weeks, and the
  ADA duration (ADADUR) from the first to the last one, (days + 1) / 7;
- NAb status: POSITIVE when treatment-emergent ADA and any post-baseline NAb result is positive,
  NEGATIVE when treatment-emergent ADA and every post-baseline NAb result is negative, else MISSING.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

POSITIVE_RESULTS = ("POSITIVE", "POSITIVE CONFIRMATION", "POSITIVE IMMUNODEPLETION", "NEGATIVE TITER")
NEGATIVE_RESULTS = ("NEGATIVE", "NEGATIVE SCREEN", "NEGATIVE CONFIRMATION", "NEGATIVE IMMUNODEPLETION")

#: PARAMCD -> PARAM stem of the subject-level parameters (admiral's ADAB template names)
ADA_PARAMETERS = {
    "BFLAG": "Baseline Pos/Neg",
    "INDUCD": "Treatment induced ADA",
    "ENHANC": "Treatment enhanced ADA",
    "EMERPOS": "Treatment Emergent - Positive",
    "TRUNAFF": "Treatment unaffected",
    "EMERNEG": "Treatment Emergent - Negative",
    "NOTRREL": "No treatment related ADA",
    "ADASTAT": "ADA Status of a patient",
    "TIMADA": "Time to onset of ADA (Weeks)",
    "PERSADA": "Persistent ADA",
    "TRANADA": "Transient ADA",
    "ADADUR": "ADA Duration (Weeks)",
    "NABSTAT": "Nab Status",
}


def derive_var_ada_result(stresc: pd.Series, stresn: pd.Series | None = None) -> pd.Series:
    """The interpreted result of a sample: ``POSITIVE``, ``NEGATIVE`` or missing.

    A titre > 0 is positive, and so is a titre below the minimum reportable titre (``<1.40``): the sample
    confirmed positive but too weak to titrate (admiral's ADAB template).

    >>> derive_var_ada_result(pd.Series(["NEGATIVE", "POSITIVE", "1.52", "<1.40", None]), pd.Series([None, None, 1.52, None, None])).tolist()
    ['NEGATIVE', 'POSITIVE', 'POSITIVE', 'POSITIVE', nan]
    """
    text = stresc.astype("str").str.strip().str.upper()
    titre = pd.to_numeric(stresn, errors="coerce") if stresn is not None else pd.Series(np.nan, index=stresc.index)
    positive = text.isin(POSITIVE_RESULTS) | text.str.startswith("<")
    out = np.select([positive.fillna(False).to_numpy(bool) | (titre > 0).to_numpy(bool),
                     text.isin(NEGATIVE_RESULTS).fillna(False).to_numpy(bool)], ["POSITIVE", "NEGATIVE"], "")
    return pd.Series(out, index=stresc.index, dtype="str").replace("", np.nan)


def _baseline(samples: pd.DataFrame, by_vars: Sequence[str], result: str, titre: str, baseline: str) -> pd.DataFrame:
    """Each sample with its group's baseline result (1/0/NaN) and baseline titre."""
    base = samples[samples[baseline].eq("Y").fillna(False).to_numpy(bool)]
    base = base.drop_duplicates(list(by_vars), keep="last")
    keyed = pd.DataFrame({
        **{v: base[v] for v in by_vars},
        "_base_result": base[result].map({"POSITIVE": 1.0, "NEGATIVE": 0.0}).astype(float),
        "_base_titre": pd.to_numeric(base[titre], errors="coerce").astype(float),
    })
    return samples[list(by_vars)].merge(keyed, on=list(by_vars), how="left").set_axis(samples.index)


def derive_var_tflagv(samples: pd.DataFrame, by_vars: Sequence[str], result: str, titre: str, baseline: str,
                      time: str, fold: float = 4.0) -> pd.Series:
    """Per post-baseline sample: 0 negative, 1 treatment-induced, 2 treatment-boosted, 3 unaffected (NaN otherwise).

    A sample is post-baseline when it is not the baseline and taken after the first dose (``time`` > 0).

    >>> s = pd.DataFrame({"ID": "1", "T": [0, 21, 42, 63], "R": ["POSITIVE", "POSITIVE", "POSITIVE", "NEGATIVE"],
    ...                   "TI": [20, 40, 80, None], "BL": ["Y", None, None, None]})
    >>> derive_var_tflagv(s, ["ID"], "R", "TI", "BL", "T").tolist()
    [nan, 3.0, 2.0, 3.0]
    """
    base = _baseline(samples, by_vars, result, titre, baseline)
    post = _post_baseline(samples, result, baseline, time)
    positive = samples[result].eq("POSITIVE").fillna(False).to_numpy(bool)
    ratio = (pd.to_numeric(samples[titre], errors="coerce") / base["_base_titre"]).to_numpy(float)
    base_positive = base["_base_result"].eq(1).to_numpy(bool)
    flag = np.select(
        [~base_positive & ~positive, ~base_positive & positive, positive & (ratio >= fold), ~positive | (ratio < fold)],
        [0.0, 1.0, 2.0, 3.0], np.nan)
    return pd.Series(np.where(post, flag, np.nan), index=samples.index)


def _post_baseline(samples: pd.DataFrame, result: str, baseline: str, time: str) -> np.ndarray:
    has_result = samples[result].isin(["POSITIVE", "NEGATIVE"]).fillna(False).to_numpy(bool)
    after = (pd.to_numeric(samples[time], errors="coerce") > 0).fillna(False).to_numpy(bool)
    return has_result & after & ~samples[baseline].eq("Y").fillna(False).to_numpy(bool)


def derive_param_ada(samples: pd.DataFrame, by_vars: Sequence[str], result: str, titre: str, baseline: str,
                     time: str, fold: float = 4.0, persistent_weeks: float = 16.0) -> pd.DataFrame:
    """One record per ``by_vars`` group with the subject-level ADA parameters (wide; see the module docstring).

    Columns: BFLAG, TFLAG, INDUCD, ENHANC, EMERPOS, TRUNAFF, EMERNEG, NOTRREL (Y/N), ADASTAT
    (POSITIVE/NEGATIVE/MISSING), FPPT/LPPT (days of the first/last emergent positive sample), TIMADA,
    ADADUR (weeks), PERSADA, TRANADA (Y/N). ``time`` is in days after the first dose.

    >>> s = pd.DataFrame({"ID": ["1"] * 4 + ["2"] * 3, "T": [0, 21, 147, 168, 0, 21, 42],
    ...                   "R": ["NEGATIVE", "POSITIVE", "POSITIVE", "NEGATIVE", "NEGATIVE", "POSITIVE", "NEGATIVE"],
    ...                   "TI": [None, 40, 40, None, None, 20, None], "BL": ["Y", None, None, None, "Y", None, None]})
    >>> derive_param_ada(s, ["ID"], "R", "TI", "BL", "T")[["ID", "INDUCD", "ADASTAT", "TIMADA", "PERSADA", "TRANADA"]].values.tolist()
    [['1', 'Y', 'POSITIVE', 3.0, 'Y', 'N'], ['2', 'Y', 'POSITIVE', 3.0, 'N', 'Y']]
    """
    by = list(by_vars)
    frame = samples[by].copy()
    frame["_tflagv"] = derive_var_tflagv(samples, by, result, titre, baseline, time, fold)
    frame["_time"] = pd.to_numeric(samples[time], errors="coerce").astype(float)
    frame["_post"] = _post_baseline(samples, result, baseline, time)
    frame["_result"] = samples[result].map({"POSITIVE": 1.0, "NEGATIVE": 0.0}).astype(float)
    base = _baseline(samples, by, result, titre, baseline)
    frame["_ratio"] = pd.to_numeric(samples[titre], errors="coerce") / base["_base_titre"]
    frame["_base"] = base["_base_result"]
    groups = frame[by].drop_duplicates().reset_index(drop=True)
    out = groups.merge(frame.groupby(by, sort=False)["_base"].first().rename("_bflag").reset_index(), on=by, how="left")

    post = frame[frame["_post"]]
    summary = post.groupby(by, sort=False).agg(_result_p=("_result", "max"), _maxratio=("_ratio", "max"),
                                               _last_time=("_time", "max")).reset_index()
    out = out.merge(summary, on=by, how="left")
    bflag, result_p, maxratio = out["_bflag"], out["_result_p"], out["_maxratio"]
    tflag = np.select(
        [(bflag != 1) & (result_p == 0), (bflag != 1) & (result_p == 1), (bflag == 1) & (maxratio >= fold),
         (bflag == 1) & (maxratio < fold), (bflag == 1) & maxratio.isna() & (result_p == 0)],
        [0.0, 1.0, 2.0, 3.0, 3.0], np.nan)
    out["TFLAG"] = tflag
    pbflag = pd.Series(np.select([np.isin(tflag, (1, 2)), np.isin(tflag, (0, 3))], [1.0, 0.0], np.nan), index=out.index)
    yn = {True: "Y", False: "N"}
    out["BFLAG"] = bflag.map({1.0: "Y", 0.0: "N"}).astype("str")
    out["INDUCD"] = pd.Series(tflag == 1).map(yn).astype("str")
    out["ENHANC"] = pd.Series(tflag == 2).map(yn).astype("str")
    out["EMERPOS"] = (pbflag == 1).map(yn).astype("str")
    out["TRUNAFF"] = pd.Series(tflag == 3).map(yn).astype("str")
    out["EMERNEG"] = (pbflag == 0).map(yn).astype("str")
    out["NOTRREL"] = pbflag.isna().map(yn).astype("str")
    out["ADASTAT"] = pbflag.map({1.0: "POSITIVE", 0.0: "NEGATIVE"}).fillna("MISSING").astype("str")
    return _persistence(out, post, by, persistent_weeks).drop(columns=["_bflag", "_result_p", "_maxratio", "_last_time"])


def _persistence(out: pd.DataFrame, post: pd.DataFrame, by: list[str], persistent_weeks: float) -> pd.DataFrame:
    """Onset, duration and persistent/transient status from the emergent positive samples (TFLAGV 1 or 2)."""
    emergent = post[post["_tflagv"].isin([1.0, 2.0])].sort_values("_time", kind="mergesort")
    stats = emergent.groupby(by, sort=False).agg(FPPT=("_time", "min"), LPPT=("_time", "max"), _n=("_time", "size"),
                                                 _last_flag=("_tflagv", "last")).reset_index()
    out = out.merge(stats, on=by, how="left")
    span_days = out["LPPT"] - out["FPPT"]
    out["TIMADA"] = out["FPPT"] / 7
    out["ADADUR"] = (span_days + 1) / 7
    positive_last = out["LPPT"].eq(out["_last_time"]).fillna(False)
    induced = out["_last_flag"].eq(1).fillna(False)
    long_enough = (out["_n"] >= 2) & (span_days / 7 >= persistent_weeks)
    persistent = induced & (positive_last | long_enough.fillna(False))
    yn = {True: "Y", False: "N"}
    out["PERSADA"] = persistent.map(yn).astype("str")
    out["TRANADA"] = (induced & ~persistent).map(yn).astype("str")
    return out.drop(columns=["_n", "_last_flag"])


def derive_var_nabstat(ada: pd.DataFrame, nab: pd.DataFrame, by_vars: Sequence[str], result: str, baseline: str,
                       time: str) -> pd.Series:
    """NAb status per ``ada`` record (from :func:`derive_param_ada`): POSITIVE, NEGATIVE or MISSING.

    ``nab`` holds the NAb samples (``result`` POSITIVE/NEGATIVE or missing when not reported).

    >>> ada = pd.DataFrame({"ID": ["1", "2", "3"], "ADASTAT": ["POSITIVE", "POSITIVE", "NEGATIVE"]})
    >>> nab = pd.DataFrame({"ID": ["1", "1", "2"], "T": [21, 42, 21], "R": ["NEGATIVE", "POSITIVE", "NEGATIVE"], "BL": None})
    >>> derive_var_nabstat(ada, nab, ["ID"], "R", "BL", "T").tolist()
    ['POSITIVE', 'NEGATIVE', 'MISSING']
    """
    by = list(by_vars)
    after = (pd.to_numeric(nab[time], errors="coerce") > 0).fillna(False) & ~nab[baseline].eq("Y").fillna(False)
    post = nab[after.to_numpy(bool)]
    summary = pd.DataFrame({**{v: post[v] for v in by},
                            "_pos": post[result].eq("POSITIVE").fillna(False),
                            "_missing": ~post[result].isin(["POSITIVE", "NEGATIVE"]).fillna(False)})
    summary = summary.groupby(by, sort=False)[["_pos", "_missing"]].any().reset_index()
    merged = ada[by + ["ADASTAT"]].merge(summary, on=by, how="left")
    emergent = merged["ADASTAT"].eq("POSITIVE").to_numpy(bool)
    pos = merged["_pos"].fillna(False).astype(bool).to_numpy()
    missing = merged["_missing"].fillna(True).astype(bool).to_numpy()
    status = np.select([emergent & pos, emergent & ~missing], ["POSITIVE", "NEGATIVE"], "MISSING")
    return pd.Series(status, index=ada.index, dtype="str")


def derive_params_ada_long(ada: pd.DataFrame, by_vars: Sequence[str], analyte: pd.Series | None = None) -> pd.DataFrame:
    """The subject-level parameters as ADAB records: one per ``by_vars`` group and PARAMCD, with PARAM, AVALC, AVAL, AVALU.

    ``analyte`` (aligned to ``ada``) names the antibody in PARAM, e.g. "Anti-BAT8008 Antibody".

    >>> ada = pd.DataFrame({"ID": ["1"], "BFLAG": ["N"], "ADASTAT": ["POSITIVE"], "TIMADA": [3.0]})
    >>> derive_params_ada_long(ada, ["ID"])[["PARAMCD", "AVALC", "AVAL"]].values.tolist()
    [['BFLAG', 'N', 0.0], ['ADASTAT', 'POSITIVE', 1.0], ['TIMADA', nan, 3.0]]
    """
    by = list(by_vars)
    present = [c for c in ADA_PARAMETERS if c in ada.columns]
    frame = ada[by + present].copy()
    frame["_analyte"] = analyte.to_numpy() if analyte is not None else None
    long = frame.melt(id_vars=by + ["_analyte"], value_vars=present, var_name="PARAMCD", value_name="_value")
    numeric = long["PARAMCD"].isin(["TIMADA", "ADADUR"])
    text = long["_value"].where(~numeric).astype("str")
    long["AVALC"] = text
    long["AVAL"] = np.where(numeric, pd.to_numeric(long["_value"].where(numeric), errors="coerce"),
                            text.map({"Y": 1.0, "N": 0.0, "POSITIVE": 1.0, "NEGATIVE": 0.0}).astype(float))
    long["AVALU"] = pd.Series("WEEKS", index=long.index, dtype="str").where(numeric & long["AVAL"].notna())
    stem = long["PARAMCD"].map(ADA_PARAMETERS)
    long["PARAM"] = (stem + ", " + long["_analyte"].astype("str")).fillna(stem).astype("str")
    order = {c: i for i, c in enumerate(ADA_PARAMETERS)}
    long = long.sort_values([*by, "PARAMCD"], key=lambda s: s.map(order) if s.name == "PARAMCD" else s, kind="mergesort")
    return long[by + ["PARAMCD", "PARAM", "AVALC", "AVAL", "AVALU"]].reset_index(drop=True)
