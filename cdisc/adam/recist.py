"""RECIST 1.1 response from tumour measurements, and best overall response (admiralonco semantics).

Per assessment (one row per subject and visit):

- :func:`derive_param_sumdiam`: the sum of the target lesions' diameters (ADTR ``SDIAM``), missing when a
  target lesion of the subject was not measured, with the expected and assessed lesion counts.
- :func:`derive_vars_sumdiam_change`: baseline, change and percent change from baseline and from the nadir
  (the smallest earlier sum, baseline included).
- :func:`derive_var_target_response`, :func:`derive_var_nontarget_response`,
  :func:`derive_var_new_lesion` and :func:`derive_var_overall_response` (RECIST 1.1 Tables 1 and 2);
  :func:`derive_recist_response` chains them from TR records.
- :func:`derive_concordance`: where a derived overall response and the investigator's differ, and why.

Per subject, from overall responses (``ADT``, ``AVALC``), as admiralonco's ``derive_param_bor`` and
``derive_param_confirmed_bor``: :func:`filter_pd` (records after the first PD or after an end date such as new
anticancer therapy are not used), :func:`derive_param_bor`, :func:`derive_param_confirmed_bor`,
:func:`derive_param_response` (ORR) and :func:`derive_param_clinical_benefit` (DCR). Each result carries the
date (``ADT``) of the assessment it comes from.

Dates are numbers of days (SAS dates in ADaM); diameters are in mm.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc.errors import DataError

__all__ = [
    "RESPONSE_ORDER",
    "derive_concordance",
    "derive_param_bor",
    "derive_param_clinical_benefit",
    "derive_param_confirmed_bor",
    "derive_param_response",
    "derive_param_sumdiam",
    "derive_recist_response",
    "derive_var_new_lesion",
    "derive_var_nontarget_response",
    "derive_var_overall_response",
    "derive_var_target_response",
    "derive_vars_sumdiam_change",
    "filter_pd",
]

#: Best first; a subject without any assessment is ``MISSING`` (or ``NE`` with ``missing_as_ne``).
RESPONSE_ORDER = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "ND", "MISSING")
_RANK = {value: rank for rank, value in enumerate(RESPONSE_ORDER)}
_ALLOWED = RESPONSE_ORDER[:-1]
#: AVAL of a best response, as admiralonco's ``aval_resp`` (ND has none).
_AVAL = {"CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6, "MISSING": 7}
_EPS = 1e-9


def _ge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a >= b`` tolerant of binary rounding (1.2 * 35 is not exactly 42)."""
    return a >= b - _EPS * np.maximum(1.0, np.abs(b))


def _le(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a <= b + _EPS * np.maximum(1.0, np.abs(b))


def _text(values: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype="str")


# --- per assessment -------------------------------------------------------------------------------------------------


def derive_param_sumdiam(
    lesions: pd.DataFrame,
    *,
    by_vars: Sequence[str] = ("USUBJID",),
    visit_var: str = "VISITNUM",
    date_var: str = "ADT",
    lesion_var: str = "TRLNKID",
    value_var: str = "TRSTRESN",
    nodal: pd.Series | None = None,
) -> pd.DataFrame:
    """Per subject and visit: ``AVAL`` (sum of target lesion diameters), ``LSEXP``, ``LSASS``, ``TRCRFL``.

    ``lesions`` holds one record per target lesion and visit (longest diameter of non-nodal, short axis of
    nodal lesions; a missing value where the lesion was not measured). A subject's expected lesions are all
    its target lesions; the sum is missing when one of them has no value at the visit (RECIST: not
    evaluable). ``TRCRFL`` is ``"Y"`` when every expected lesion is measured, non-nodal ones at 0 mm and
    ``nodal`` ones (a mask aligned to ``lesions``) below 10 mm: the target CR criterion. ``date_var`` is the
    visit's earliest measurement date.

        >>> tr = pd.DataFrame({"USUBJID": ["1"] * 4, "VISITNUM": [0, 0, 1, 1], "ADT": [0, 0, 42, 42],
        ...                    "TRLNKID": ["T01", "T02"] * 2, "TRSTRESN": [20.0, 15, 0, 8]})
        >>> derive_param_sumdiam(tr, nodal=pd.Series([False, True] * 2))[["VISITNUM", "AVAL", "TRCRFL"]].values.tolist()
        [[0, 35.0, nan], [1, 8.0, 'Y']]
    """
    by, keys = list(by_vars), [*by_vars, visit_var]
    value = lesions[value_var].astype(float)
    is_nodal = np.zeros(len(lesions), bool) if nodal is None else nodal.to_numpy(dtype=bool)
    gone = value.notna().to_numpy() & np.where(is_nodal, value.fillna(np.inf).to_numpy() < 10, value.to_numpy() == 0)
    work = lesions[[*keys, date_var, lesion_var]].assign(_v=value.to_numpy(), _m=value.notna().to_numpy(), _g=gone)
    # one value per lesion and visit (a duplicate is bad data)
    dup = work.duplicated([*keys, lesion_var], keep=False)
    if dup.any():
        raise DataError(f"TR: more than one target measurement per lesion and visit for {value_var} "
                        f"(subjects {sorted(work.loc[dup, by[0]].astype(str).unique())[:10]})")
    expected = work.groupby(by, sort=False)[lesion_var].nunique().rename("LSEXP")
    per_visit = work.groupby(keys, sort=False).agg(
        **{date_var: (date_var, "min"), "_sum": ("_v", "sum"), "LSASS": ("_m", "sum"), "_gone": ("_g", "sum")}
    ).reset_index()
    per_visit = per_visit.merge(expected.reset_index(), on=by, how="left")
    complete = per_visit["LSASS"].to_numpy() == per_visit["LSEXP"].to_numpy()
    per_visit["AVAL"] = np.where(complete, per_visit["_sum"].to_numpy(float), np.nan)
    per_visit["TRCRFL"] = _text(np.where(complete & (per_visit["_gone"].to_numpy() == per_visit["LSEXP"].to_numpy()),  # type: ignore[call-overload]
                                         "Y", None), per_visit.index)  # (numpy takes None, an object scalar, as a choice; its stubs do not)
    out = per_visit[[*keys, date_var, "AVAL", "LSEXP", "LSASS", "TRCRFL"]]
    return out.sort_values([*by, date_var, visit_var], kind="mergesort").reset_index(drop=True)


def derive_vars_sumdiam_change(
    sums: pd.DataFrame,
    baseline: pd.Series,
    *,
    by_vars: Sequence[str] = ("USUBJID",),
    date_var: str = "ADT",
) -> pd.DataFrame:
    """``sums`` with ``ABLFL``, ``BASE``, ``CHG``, ``PCHG``, ``NADIR``, ``CHGNAD``, ``PCHGNAD`` (ADTR).

    ``baseline`` marks each subject's baseline record (aligned to ``sums``). ``NADIR`` of a post-baseline
    record is the smallest non-missing earlier sum, the baseline included; records before the baseline get
    no baseline or nadir. A percent change from 0 mm (a nadir after every lesion disappeared) is missing.

        >>> s = pd.DataFrame({"USUBJID": ["1"] * 4, "ADT": [0, 42, 84, 126], "AVAL": [50.0, 30, np.nan, 40]})
        >>> out = derive_vars_sumdiam_change(s, s["ADT"] == 0)
        >>> out[["BASE", "PCHG", "NADIR", "CHGNAD"]].values.tolist()
        [[50.0, nan, nan, nan], [50.0, -40.0, 50.0, -20.0], [50.0, nan, 30.0, nan], [50.0, -20.0, 30.0, 10.0]]
    """
    by = list(by_vars)
    order = np.lexsort([sums[date_var].to_numpy(float), *[sums[c].astype(str).to_numpy() for c in reversed(by)]])
    work = sums.iloc[order].copy()
    is_base = baseline.reindex(work.index).to_numpy(dtype=bool)
    if pd.Series(is_base).groupby(work[by[0]].to_numpy()).sum().gt(1).any():
        raise DataError("ADTR: more than one baseline sum of diameters for a subject")
    base = work.assign(_b=np.where(is_base, work["AVAL"].to_numpy(float), np.nan), _d=np.where(is_base, work[date_var], np.nan))
    base_by = base.groupby(by, sort=False)[["_b", "_d"]].transform("max")
    post = work[date_var].to_numpy(float) > base_by["_d"].to_numpy(float)
    work["ABLFL"] = _text(np.where(is_base, "Y", None), work.index)  # type: ignore[call-overload]  # numpy takes None (an object scalar) as a choice; its stubs do not
    work["BASE"] = base_by["_b"].to_numpy(float)
    aval = work["AVAL"].to_numpy(float)
    # nadir: running minimum of the baseline and later sums, shifted one record (earlier sums only)
    from_base = np.where(post | is_base, aval, np.nan)
    running = pd.Series(from_base, index=work.index).groupby([work[c] for c in by], sort=False).cummin()
    running = running.groupby([work[c] for c in by], sort=False).ffill()
    work["NADIR"] = np.where(post, running.groupby([work[c] for c in by], sort=False).shift(1).to_numpy(float), np.nan)
    work.loc[~post, "BASE"] = np.where(is_base[~post], work.loc[~post, "BASE"], np.nan)
    work["CHG"] = np.where(post, aval - work["BASE"].to_numpy(float), np.nan)
    work["PCHG"] = _percent(work["CHG"].to_numpy(float), work["BASE"].to_numpy(float))
    work["CHGNAD"] = aval - work["NADIR"].to_numpy(float)
    work["PCHGNAD"] = _percent(work["CHGNAD"].to_numpy(float), work["NADIR"].to_numpy(float))
    return work.loc[sums.index]


def _percent(change: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``100 * change / |reference|``, missing where the reference is 0 or missing (as admiral's PCHG)."""
    usable = ~np.isnan(reference) & (reference != 0)
    return np.where(usable, 100 * change / np.where(usable, np.abs(reference), 1.0), np.nan)


def derive_var_target_response(sums: pd.DataFrame) -> pd.Series:
    """RECIST 1.1 target response per post-baseline assessment from ``AVAL``, ``BASE``, ``NADIR``, ``TRCRFL``.

    NE when the sum is missing (a target lesion not measured); CR when ``TRCRFL`` (all non-nodal target
    lesions gone, every nodal one < 10 mm); PD when the sum is >= 20% and >= 5 mm above the nadir; PR when it
    is >= 30% below baseline; SD otherwise.

        >>> s = pd.DataFrame({"AVAL": [np.nan, 8, 40, 36, 35], "BASE": 50.0, "NADIR": [50, 50, 33, 50, 50],
        ...                   "TRCRFL": [None, "Y", None, None, None]})
        >>> derive_var_target_response(s).tolist()
        ['NE', 'CR', 'PD', 'SD', 'PR']
    """
    aval, base, nadir = (sums[c].to_numpy(float) for c in ("AVAL", "BASE", "NADIR"))
    with np.errstate(invalid="ignore"):
        pd_ = _ge(aval, 1.2 * nadir) & _ge(aval - nadir, np.full_like(aval, 5.0))
        pr = _le(aval, 0.7 * base)
    cr = sums["TRCRFL"].eq("Y").fillna(False).to_numpy(dtype=bool)
    value = np.select([np.isnan(aval), cr, pd_, pr], ["NE", "CR", "PD", "PR"], "SD")
    return _text(value, sums.index)


def derive_var_nontarget_response(
    assessments: pd.DataFrame,
    nontarget: pd.DataFrame,
    *,
    by_vars: Sequence[str] = ("USUBJID",),
    visit_var: str = "VISITNUM",
    lesion_var: str = "TRLNKID",
    status_var: str = "TRSTRESC",
    status_map: dict[str, str] | None = None,
) -> pd.Series:
    """RECIST 1.1 non-target response for each row of ``assessments`` (subject and visit).

    ``nontarget`` holds the non-target lesion statuses (one record per lesion and visit); ``status_map``
    maps a status to CR/NON-CR/NON-PD/PD (default: ABSENT, PRESENT, UNEQUIVOCAL PROGRESSION). Any lesion in
    PD gives PD; otherwise a lesion of the subject without a mapped status at the visit gives NE; all absent
    CR; else NON-CR/NON-PD. A subject without non-target lesions gets NA.

        >>> a = pd.DataFrame({"USUBJID": ["1", "1", "2"], "VISITNUM": [1, 2, 1]})
        >>> nt = pd.DataFrame({"USUBJID": ["1"] * 4, "VISITNUM": [1, 1, 2, 2], "TRLNKID": ["NT01", "NT02"] * 2,
        ...                    "TRSTRESC": ["ABSENT", "PRESENT", "ABSENT", "ABSENT"]})
        >>> derive_var_nontarget_response(a, nt).tolist()
        ['NON-CR/NON-PD', 'CR', 'NA']
    """
    by, keys = list(by_vars), [*by_vars, visit_var]
    status_map = status_map or {"ABSENT": "CR", "PRESENT": "NON-CR/NON-PD", "UNEQUIVOCAL PROGRESSION": "PD"}
    mapped = nontarget[status_var].map(status_map)
    work = nontarget[[*keys, lesion_var]].assign(_pd=mapped.eq("PD").fillna(False).to_numpy(bool),
                                                 _cr=mapped.eq("CR").fillna(False).to_numpy(bool),
                                                 _ok=mapped.notna().to_numpy())
    expected = work.groupby(by, sort=False)[lesion_var].nunique().rename("_exp").reset_index()
    per_visit = work[work["_ok"]].groupby(keys, sort=False).agg(
        _pd=("_pd", "any"), _cr=("_cr", "sum"), _n=(lesion_var, "nunique")).reset_index()
    merged = assessments[keys].merge(expected, on=by, how="left").merge(per_visit, on=keys, how="left")
    n_exp = merged["_exp"].fillna(0).to_numpy(float)
    n_ok = merged["_n"].fillna(0).to_numpy(float)
    value = np.select(
        [n_exp == 0, merged["_pd"].fillna(False).to_numpy(bool), n_ok < n_exp, merged["_cr"].fillna(0).to_numpy(float) == n_exp],
        ["NA", "PD", "NE", "CR"], "NON-CR/NON-PD")
    return _text(value, assessments.index)


def derive_var_new_lesion(
    assessments: pd.DataFrame,
    new: pd.DataFrame,
    *,
    by_vars: Sequence[str] = ("USUBJID",),
    visit_var: str = "VISITNUM",
) -> pd.Series:
    """``"Y"`` where ``new`` (records of new lesions found, e.g. TR NEW lesions present) has a record for the
    subject and visit of an ``assessments`` row, else ``"N"``.

        >>> a = pd.DataFrame({"USUBJID": ["1", "1"], "VISITNUM": [1, 2]})
        >>> derive_var_new_lesion(a, pd.DataFrame({"USUBJID": ["1"], "VISITNUM": [2]})).tolist()
        ['N', 'Y']
    """
    keys = [*by_vars, visit_var]
    found = new[keys].drop_duplicates().assign(_new=True)
    merged = assessments[keys].merge(found, on=keys, how="left")
    return _text(np.where(merged["_new"].eq(True).fillna(False).to_numpy(bool), "Y", "N"), assessments.index)


def derive_var_overall_response(target: pd.Series, nontarget: pd.Series, new: pd.Series) -> pd.Series:
    """RECIST 1.1 overall response (Table 1; Table 2 when the subject has no target lesions, target ``NA``).

    Any PD or a new lesion (``"Y"``) is PD. Target CR with non-target CR or NA is CR, with NON-CR/NON-PD or
    NE it is PR; target PR with non-target not PD is PR; target SD gives SD; target NE (not PD elsewhere) NE.
    Without target lesions: non-target CR is CR, NON-CR/NON-PD stays NON-CR/NON-PD, NE is NE.

        >>> derive_var_overall_response(pd.Series(["CR", "CR", "PR", "NE", "SD", "NA"]),
        ...                             pd.Series(["NA", "NON-CR/NON-PD", "NE", "PD", "NA", "NON-CR/NON-PD"]),
        ...                             pd.Series(["N"] * 6)).tolist()
        ['CR', 'PR', 'PR', 'PD', 'SD', 'NON-CR/NON-PD']
    """
    t, n = target.to_numpy(dtype=object), nontarget.to_numpy(dtype=object)
    newl = new.eq("Y").fillna(False).to_numpy(bool)
    value = np.select(
        [newl | (t == "PD") | (n == "PD"),
         (t == "CR") & np.isin(n, ["CR", "NA"]),
         (t == "CR") | (t == "PR"),
         t == "SD",
         t == "NE",
         (t == "NA") & (n == "CR"),
         (t == "NA") & (n == "NON-CR/NON-PD")],
        ["PD", "CR", "PR", "SD", "NE", "CR", "NON-CR/NON-PD"], "NE")
    return _text(value, target.index)


def derive_recist_response(
    tr: pd.DataFrame,
    baseline: pd.Series,
    *,
    by_vars: Sequence[str] = ("USUBJID",),
    visit_var: str = "VISITNUM",
    date_var: str = "ADT",
    group_var: str = "TRGRPID",
    testcd_var: str = "TRTESTCD",
) -> pd.DataFrame:
    """Per subject and assessment: the sum of diameters with its changes and the derived RECIST 1.1 responses.

    ``tr`` is SDTM TR with a numeric date ``date_var``: target lesions (``TRGRPID`` TARGET, tests LDIAM for
    non-nodal, LPERP short axis for nodal lesions), non-target (NON-TARGET, TUMSTATE) and new lesions (NEW,
    TUMSTATE PRESENT). ``baseline`` marks the baseline records. Returns the post-baseline visits and the
    baseline with ``AVAL`` (SUMDIAM), ``BASE``, ``CHG``, ``PCHG``, ``NADIR``, ``CHGNAD``, ``PCHGNAD`` and, for
    post-baseline visits, ``TRGRESP``, ``NTRGRESP``, ``NEWLIND``, ``OVRLRESP``.
    """
    group = tr[group_var].astype(str)
    target = group.eq("TARGET") & tr[testcd_var].isin(["LDIAM", "LPERP"])
    lesions = tr[target.to_numpy()]
    sums = derive_param_sumdiam(lesions, by_vars=by_vars, visit_var=visit_var, date_var=date_var,
                                nodal=lesions[testcd_var].eq("LPERP"))
    base_visits = tr.loc[baseline.to_numpy(dtype=bool), [*by_vars, visit_var]].drop_duplicates().assign(_b=True)
    is_base = sums[[*by_vars, visit_var]].merge(base_visits, on=[*by_vars, visit_var], how="left")["_b"].eq(True).fillna(False)
    out = derive_vars_sumdiam_change(sums, pd.Series(is_base.to_numpy(bool), index=sums.index), by_vars=by_vars, date_var=date_var)
    base_date = out[date_var].where(out["ABLFL"].eq("Y").fillna(False)).groupby([out[c] for c in by_vars]).transform("max")
    assessed = out[out[date_var].to_numpy(float) > base_date.to_numpy(float)]
    nt = tr[group.eq("NON-TARGET").to_numpy()]  # baseline records too: every lesion found is expected later
    new = tr[group.eq("NEW").to_numpy() & tr["TRSTRESC"].eq("PRESENT").fillna(False).to_numpy(bool)]
    responses = pd.DataFrame(index=assessed.index)
    responses["TRGRESP"] = derive_var_target_response(assessed)
    responses["NTRGRESP"] = derive_var_nontarget_response(assessed, nt, by_vars=by_vars, visit_var=visit_var)
    responses["NEWLIND"] = derive_var_new_lesion(assessed, new, by_vars=by_vars, visit_var=visit_var)
    responses["OVRLRESP"] = derive_var_overall_response(responses["TRGRESP"], responses["NTRGRESP"], responses["NEWLIND"])
    return out.join(responses)


def derive_concordance(
    derived: pd.DataFrame,
    investigator: pd.DataFrame,
    *,
    keys: Sequence[str] = ("USUBJID", "VISITNUM"),
    components: Sequence[str] = ("TRGRESP", "NTRGRESP", "NEWLIND"),
    overall: str = "OVRLRESP",
) -> pd.DataFrame:
    """Subject and visit where the derived overall response and the investigator's differ, and why.

    Both frames hold one row per ``keys`` with the ``components`` and ``overall`` response. Returns
    ``keys``, ``DERIVED``, ``INVESTIGATOR`` and ``REASON`` (which components differ, with both values, or
    that one side has no assessment), sorted by ``keys``.

        >>> d = pd.DataFrame({"USUBJID": ["1"], "VISITNUM": [1], "TRGRESP": ["SD"], "NTRGRESP": ["NA"], "NEWLIND": ["N"], "OVRLRESP": ["SD"]})
        >>> i = d.assign(TRGRESP="PR", OVRLRESP="PR")
        >>> derive_concordance(d, i)["REASON"].tolist()
        ['target response: derived SD, investigator PR']
    """
    keys = list(keys)
    cols = [*components, overall]
    both = derived[[*keys, *cols]].merge(investigator[[*keys, *cols]], on=keys, how="outer", suffixes=("_D", "_I"),
                                         indicator=True)
    names = {"TRGRESP": "target response", "NTRGRESP": "non-target response", "NEWLIND": "new lesions"}
    d_all, i_all = both[f"{overall}_D"].astype(str), both[f"{overall}_I"].astype(str)
    differs = both["_merge"].ne("both").to_numpy() | (d_all.to_numpy() != i_all.to_numpy())
    reason = pd.Series("", index=both.index, dtype=object)
    for c in components:
        d, i = both[f"{c}_D"].fillna("").astype(str), both[f"{c}_I"].fillna("").astype(str)
        text = names.get(c, c) + ": derived " + d + ", investigator " + i
        reason = reason.where(d == i, reason.where(reason == "", reason + "; ") + text)
    reason = reason.mask(both["_merge"].eq("left_only"), "no investigator assessment")
    reason = reason.mask(both["_merge"].eq("right_only"), "no derived assessment (no measurements)")
    reason = reason.mask(reason.eq(""), "overall response table applied differently")
    out = both.loc[differs, keys].assign(DERIVED=both.loc[differs, f"{overall}_D"], INVESTIGATOR=both.loc[differs, f"{overall}_I"],
                                         REASON=reason[differs].astype("str"))
    return out.sort_values(keys, kind="mergesort").reset_index(drop=True)


# --- per subject ----------------------------------------------------------------------------------------------------


def _check_responses(ovr: pd.DataFrame, by: list[str]) -> None:
    bad = ~ovr["AVALC"].isin(_ALLOWED).to_numpy()
    if bad.any():
        values = sorted(ovr.loc[bad, "AVALC"].fillna("<missing>").astype(str).unique())
        subjects = sorted(ovr.loc[bad, by[-1]].astype(str).unique())
        raise DataError(f"ADRS: AVALC value(s) {values} not in the allowed responses {list(_ALLOWED)} "
                        f"(subjects {subjects[:10]}{' ...' if len(subjects) > 10 else ''})")
    dup = ovr.duplicated([*by, "ADT"], keep=False).to_numpy()
    if dup.any():
        subjects = sorted(ovr.loc[dup, by[-1]].astype(str).unique())
        raise DataError(f"ADRS: more than one overall response on the same date (ADT) for subjects {subjects[:10]}")


def filter_pd(
    ovr: pd.DataFrame,
    dataset_adsl: pd.DataFrame | None = None,
    *,
    end_dates: Sequence[str] = (),
    by_vars: Sequence[str] = ("USUBJID",),
) -> pd.DataFrame:
    """The records of ``ovr`` up to and including each subject's first PD, and not after any of the
    ``end_dates`` (ADSL date columns, e.g. the start of new anticancer therapy ``NACTDT``).

        >>> ovr = pd.DataFrame({"USUBJID": ["1"] * 4, "ADT": [42, 84, 126, 168], "AVALC": ["PR", "PD", "SD", "PR"]})
        >>> filter_pd(ovr)["AVALC"].tolist()
        ['PR', 'PD']
        >>> filter_pd(ovr, pd.DataFrame({"USUBJID": ["1"], "NACTDT": [60]}), end_dates=["NACTDT"])["AVALC"].tolist()
        ['PR']
    """
    by = list(by_vars)
    keep = np.ones(len(ovr), bool)
    if end_dates:
        if dataset_adsl is None:
            raise ValueError("end_dates need dataset_adsl")
        ends = dataset_adsl[[*by, *end_dates]].set_index(by).astype(float).min(axis=1).rename("_end").reset_index()
        end = ovr[by].merge(ends, on=by, how="left")["_end"].to_numpy(float)
        keep &= ~(ovr["ADT"].to_numpy(float) > end)
    first_pd = ovr.loc[keep & ovr["AVALC"].eq("PD").fillna(False).to_numpy(bool)].groupby(by)["ADT"].min().rename("_pd").reset_index()
    pd_date = ovr[by].merge(first_pd, on=by, how="left")["_pd"].to_numpy(float)
    keep &= ~(ovr["ADT"].to_numpy(float) > pd_date)
    return ovr[keep]


def _best(candidates: pd.DataFrame, dataset_adsl: pd.DataFrame, by: list[str], missing_as_ne: bool) -> pd.DataFrame:
    """The best candidate per ADSL subject (``RESPONSE_ORDER``, ties to the earliest ``ADT``)."""
    ranked = candidates.assign(_r=candidates["AVALC"].map(_RANK).to_numpy(float))
    best = ranked.sort_values(["_r", "ADT"], kind="mergesort").drop_duplicates(by, keep="first")
    out = dataset_adsl[by].merge(best[[*by, "AVALC", "ADT"]], on=by, how="left")
    out["AVALC"] = out["AVALC"].fillna("NE" if missing_as_ne else "MISSING").astype("str")
    out["AVAL"] = out["AVALC"].map(_AVAL).astype(float)
    return out


def _prepare(ovr: pd.DataFrame, dataset_adsl: pd.DataFrame, by: list[str], reference_date: str) -> pd.DataFrame:
    _check_responses(ovr, by)
    work = ovr[[*by, "ADT", "AVALC"]].merge(dataset_adsl[[*by, reference_date]], on=by, how="inner")
    work["ADT"] = work["ADT"].astype(float)
    return work.rename(columns={reference_date: "_ref"}).reset_index(drop=True)


def _sd_candidates(work: pd.DataFrame, ref_start_window: int) -> np.ndarray:
    """CR/PR/SD at least ``ref_start_window`` days after the reference date count as SD, NON-CR/NON-PD as
    itself; earlier ones are NE; PD, NE and ND stay as they are."""
    avalc = work["AVALC"].to_numpy(dtype=object)
    late = work["ADT"].to_numpy(float) >= work["_ref"].to_numpy(float) + ref_start_window
    return np.select([np.isin(avalc, ["CR", "PR", "SD"]) & late, (avalc == "NON-CR/NON-PD") & late,
                      np.isin(avalc, ["CR", "PR", "SD", "NON-CR/NON-PD"])], ["SD", "NON-CR/NON-PD", "NE"], avalc)


def derive_param_bor(
    ovr: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    *,
    reference_date: str = "TRTSDT",
    ref_start_window: int,
    by_vars: Sequence[str] = ("USUBJID",),
    missing_as_ne: bool = True,
) -> pd.DataFrame:
    """Best overall response without confirmation, one row per ADSL subject (``AVALC``, ``AVAL``, ``ADT``).

    ``ovr`` holds the overall responses to use (``ADT``, ``AVALC``; apply :func:`filter_pd` first). CR, PR
    and PD count as they are; SD (and NON-CR/NON-PD) only at least ``ref_start_window`` days after the
    ``reference_date`` (an ADSL column), else NE. Best by ``RESPONSE_ORDER``, ties to the earliest date; a
    subject without assessments is NE (``missing_as_ne``) or MISSING.

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "TRTSDT": [0, 0, 0]})
        >>> ovr = pd.DataFrame({"USUBJID": ["1", "1", "2"], "ADT": [30, 40, 20], "AVALC": ["SD", "PR", "SD"]})
        >>> derive_param_bor(ovr, adsl, ref_start_window=35)[["AVALC", "ADT"]].values.tolist()
        [['PR', 40.0], ['NE', 20.0], ['NE', nan]]
    """
    by = list(by_vars)
    work = _prepare(ovr, dataset_adsl, by, reference_date)
    avalc = work["AVALC"].to_numpy(dtype=object)
    value = np.where(np.isin(avalc, ["CR", "PR"]), avalc, _sd_candidates(work, ref_start_window))
    return _best(work.assign(AVALC=value), dataset_adsl, by, missing_as_ne)


def _confirmed_candidates(work: pd.DataFrame, by: list[str], ref_confirm: int, max_nr_ne: int, accept_sd: bool) -> np.ndarray:
    """Per record: True when it is a CR (PR) confirmed as admiralonco's derive_param_confirmed_bor says.

    Self-join of each CR/PR with the subject's later assessments; the confirmation window runs to the first
    later CR (CR or PR for a PR) at least ``ref_confirm`` days on, and every assessment in it is checked.
    """
    rec = work[[*by, "ADT", "AVALC"]].assign(_i=np.arange(len(work)))
    first = rec[rec["AVALC"].isin(["CR", "PR"]).to_numpy()]
    pairs = first.merge(rec[[*by, "ADT", "AVALC"]], on=by, suffixes=("", "_J"))
    pairs = pairs[pairs["ADT_J"].to_numpy(float) > pairs["ADT"].to_numpy(float)]
    is_cr = pairs["AVALC"].eq("CR").to_numpy()
    later = pairs["AVALC_J"].to_numpy(dtype=object)
    confirms = np.where(is_cr, later == "CR", np.isin(later, ["CR", "PR"])) & (
        pairs["ADT_J"].to_numpy(float) >= pairs["ADT"].to_numpy(float) + ref_confirm)
    end = pairs.loc[confirms].groupby("_i")["ADT_J"].min()
    window = pairs[pairs["ADT_J"].to_numpy(float) <= pairs["_i"].map(end).to_numpy(float)]
    later = window["AVALC_J"].to_numpy(dtype=object)
    allowed = np.where(window["AVALC"].eq("CR").to_numpy(), np.isin(later, ["CR", "NE"]), np.isin(later, ["CR", "PR", "SD", "NE"]))
    adt = window["ADT_J"].to_numpy(float)
    stats = pd.DataFrame({"_i": window["_i"].to_numpy(), "bad": ~allowed, "ne": later == "NE", "sd": later == "SD",
                          "cr": np.where(later == "CR", adt, np.nan), "pr": np.where(later == "PR", adt, np.nan)}
                         ).groupby("_i").agg(bad=("bad", "sum"), ne=("ne", "sum"), sd=("sd", "sum"), cr=("cr", "min"), pr=("pr", "max"))
    pr_after_cr = (stats["cr"] < stats["pr"]).to_numpy()  # NaN compares False: no CR or no PR in the window
    ok = (stats["bad"].to_numpy() == 0) & (stats["ne"].to_numpy() <= max_nr_ne) & (
        stats["sd"].to_numpy() <= (1 if accept_sd else 0)) & ~pr_after_cr
    confirmed = np.zeros(len(work), bool)
    confirmed[stats.index.to_numpy()[ok]] = True
    return confirmed


def derive_param_confirmed_bor(
    ovr: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    *,
    reference_date: str = "TRTSDT",
    ref_start_window: int,
    ref_confirm: int = 28,
    max_nr_ne: int = 1,
    accept_sd: bool = False,
    by_vars: Sequence[str] = ("USUBJID",),
    missing_as_ne: bool = True,
) -> pd.DataFrame:
    """Confirmed best overall response, one row per ADSL subject (``AVALC``, ``AVAL``, ``ADT``).

    As admiralonco's ``derive_param_confirmed_bor`` on ``ovr`` (``ADT``, ``AVALC``; apply :func:`filter_pd`
    first): a CR counts when a later CR at least ``ref_confirm`` days on confirms it with only CR or NE
    between (at most ``max_nr_ne`` NE); a PR when a later CR or PR at least ``ref_confirm`` days on confirms
    it with only CR, PR, NE (at most ``max_nr_ne``) and, with ``accept_sd``, one SD between, and no PR after a
    CR. Other CR/PR/SD at least ``ref_start_window`` days after ``reference_date`` count as SD,
    NON-CR/NON-PD likewise; earlier ones as NE. Best by ``RESPONSE_ORDER``, ties to the earliest date; a
    subject without assessments is NE (``missing_as_ne``) or MISSING. A response outside
    ``RESPONSE_ORDER`` is a :class:`DataError`.

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRTSDT": [0, 0]})
        >>> ovr = pd.DataFrame({"USUBJID": ["1", "1", "1", "2", "2"], "ADT": [42, 84, 126, 42, 60],
        ...                     "AVALC": ["PR", "NE", "PR", "PR", "PR"]})
        >>> derive_param_confirmed_bor(ovr, adsl, ref_start_window=35)[["AVALC", "ADT"]].values.tolist()
        [['PR', 42.0], ['SD', 42.0]]
    """
    by = list(by_vars)
    work = _prepare(ovr, dataset_adsl, by, reference_date)
    confirmed = _confirmed_candidates(work, by, ref_confirm, max_nr_ne, accept_sd)
    value = np.where(confirmed, work["AVALC"].to_numpy(dtype=object), _sd_candidates(work, ref_start_window))
    return _best(work.assign(AVALC=value), dataset_adsl, by, missing_as_ne)


def _first_of(ovr: pd.DataFrame, dataset_adsl: pd.DataFrame, by: list[str], mask: np.ndarray) -> pd.DataFrame:
    hits = ovr.loc[mask, [*by, "ADT"]].sort_values("ADT", kind="mergesort").drop_duplicates(by)
    out = dataset_adsl[by].merge(hits, on=by, how="left")
    out["AVALC"] = pd.Series(np.where(out["ADT"].notna(), "Y", "N"), index=out.index, dtype="str")
    return out


def derive_param_response(
    ovr: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    *,
    confirmed: bool = True,
    reference_date: str = "TRTSDT",
    ref_confirm: int = 28,
    max_nr_ne: int = 1,
    accept_sd: bool = False,
    by_vars: Sequence[str] = ("USUBJID",),
) -> pd.DataFrame:
    """Objective response (RSP): ``AVALC`` Y for a subject with a (confirmed) CR or PR, with ``ADT`` the date
    of the first such response (the start of the duration of response), else N without a date.

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRTSDT": [0, 0]})
        >>> ovr = pd.DataFrame({"USUBJID": ["1", "1", "2"], "ADT": [42, 84, 42], "AVALC": ["PR", "CR", "PR"]})
        >>> derive_param_response(ovr, adsl)[["AVALC", "ADT"]].values.tolist()
        [['Y', 42.0], ['N', nan]]
    """
    by = list(by_vars)
    work = _prepare(ovr, dataset_adsl, by, reference_date)
    responded = work["AVALC"].isin(["CR", "PR"]).to_numpy()
    if confirmed:
        responded = responded & _confirmed_candidates(work, by, ref_confirm, max_nr_ne, accept_sd)
    return _first_of(work, dataset_adsl, by, responded)


def derive_param_clinical_benefit(
    ovr: pd.DataFrame,
    dataset_adsl: pd.DataFrame,
    *,
    reference_date: str = "TRTSDT",
    ref_start_window: int,
    confirmed: bool = True,
    ref_confirm: int = 28,
    max_nr_ne: int = 1,
    accept_sd: bool = False,
    values: Sequence[str] = ("CR", "PR", "SD"),
    by_vars: Sequence[str] = ("USUBJID",),
) -> pd.DataFrame:
    """Disease control (CB): ``AVALC`` Y when the subject's (confirmed) best overall response is one of
    ``values`` (default CR, PR, SD; admiralonco also counts NON-CR/NON-PD), with ``ADT`` the first assessment
    that qualifies (a confirmed CR/PR, or a CR/PR/SD at least ``ref_start_window`` days after the reference
    date), else N without a date.

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRTSDT": [0, 0]})
        >>> ovr = pd.DataFrame({"USUBJID": ["1", "1", "2"], "ADT": [20, 42, 20], "AVALC": ["SD", "SD", "SD"]})
        >>> derive_param_clinical_benefit(ovr, adsl, ref_start_window=35)[["AVALC", "ADT"]].values.tolist()
        [['Y', 42.0], ['N', nan]]
    """
    by = list(by_vars)
    work = _prepare(ovr, dataset_adsl, by, reference_date)
    avalc = work["AVALC"].to_numpy(dtype=object)
    resp = np.isin(avalc, ["CR", "PR"])
    if confirmed:
        resp = resp & _confirmed_candidates(work, by, ref_confirm, max_nr_ne, accept_sd)
    category = np.where(resp, avalc, _sd_candidates(work, ref_start_window))
    return _first_of(work, dataset_adsl, by, np.isin(category, list(values)))
