"""SUPP-- qualifiers joined onto their parent dataset as columns (admiral ``combine_supp``)."""

from __future__ import annotations

import pandas as pd

from cdisc.adam.derivations import matched_positions, taken_array
from cdisc.arrowtext import TEXT


def with_supp(parent: pd.DataFrame, supp: pd.DataFrame | None) -> pd.DataFrame:
    """``parent`` with one column per SUPP-- QNAM (QVAL), matched by USUBJID and IDVAR/IDVARVAL.

    >>> ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1.0, 2.0]})
    >>> supp = pd.DataFrame({"USUBJID": ["S1"], "IDVAR": ["AESEQ"], "IDVARVAL": ["2"], "QNAM": ["AEDLT"], "QVAL": ["Y"]})
    >>> with_supp(ae, supp)["AEDLT"].tolist()
    [nan, 'Y']
    """
    if supp is None or supp.empty:
        return parent
    supp = supp.assign(IDVARVAL=_as_text(supp["IDVARVAL"]))  # (an input dataset may hold it as numbers)
    idvar = supp["IDVAR"].fillna("").iloc[0]
    if not idvar:
        wide = _wide(supp)
        return parent.merge(wide.drop(columns="IDVARVAL"), on="USUBJID", how="left", validate="many_to_one")
    key = _as_text(parent[idvar])
    qnams = supp["QNAM"].dropna().unique()
    if supp["QNAM"].hasnans or supp["QVAL"].dtype != TEXT or any(q in parent.columns or q == "IDVARVAL" for q in qnams):
        return parent.assign(IDVARVAL=key).merge(_wide(supp), on=["USUBJID", "IDVARVAL"], how="left", validate="many_to_one").drop(columns="IDVARVAL")
    # each QNAM's first value per parent record, matched by position: what the pivot and the merge give, without a
    # row for every subject and IDVARVAL combination (the pivot keeps them all)
    records = pd.DataFrame({"USUBJID": parent["USUBJID"], "IDVARVAL": key}, copy=False)
    given = supp.loc[supp["QVAL"].notna().to_numpy(dtype=bool), ["USUBJID", "IDVARVAL", "QNAM", "QVAL"]]
    columns = {}
    for qnam in sorted(qnams):  # (a loop over the qualifiers' names)
        first = given.loc[given["QNAM"].eq(qnam).to_numpy(dtype=bool)].drop_duplicates(["USUBJID", "IDVARVAL"])
        columns[qnam] = pd.Series(taken_array(first["QVAL"], matched_positions(records, first, ["USUBJID", "IDVARVAL"])))
    return pd.concat([parent.reset_index(drop=True), pd.DataFrame(columns, copy=False)], axis=1)


def _as_text(values: pd.Series) -> pd.Series:
    """Key values as IDVARVAL writes them: text, whole numbers without a decimal point.

    >>> _as_text(pd.Series([2.0, None])).tolist(), _as_text(pd.Series([1.5, 2.0])).tolist()
    (['2', nan], ['1.5', '2.0'])
    """
    if not pd.api.types.is_numeric_dtype(values):
        return values.astype("str")
    numbers = values.astype(float)
    whole = bool((numbers.dropna() % 1 == 0).all())
    return numbers.astype("Int64").astype("str") if whole else numbers.astype("str")


def _wide(supp: pd.DataFrame) -> pd.DataFrame:
    """One row per USUBJID and IDVARVAL, one column per QNAM (its first QVAL)."""
    wide = supp.pivot_table(index=["USUBJID", "IDVARVAL"], columns="QNAM", values="QVAL", aggfunc="first", dropna=False)
    return wide.reset_index().rename_axis(columns=None)
