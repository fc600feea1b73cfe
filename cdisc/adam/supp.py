"""SUPP-- qualifiers joined onto their parent dataset as columns (admiral ``combine_supp``)."""

from __future__ import annotations

import pandas as pd


def with_supp(parent: pd.DataFrame, supp: pd.DataFrame | None) -> pd.DataFrame:
    """``parent`` with one column per SUPP-- QNAM (QVAL), matched by USUBJID and IDVAR/IDVARVAL."""
    if supp is None or supp.empty:
        return parent
    idvar = supp["IDVAR"].fillna("").iloc[0]
    wide = supp.pivot_table(index=["USUBJID", "IDVARVAL"], columns="QNAM", values="QVAL", aggfunc="first", dropna=False)
    wide = wide.reset_index().rename_axis(columns=None)
    if not idvar:
        return parent.merge(wide.drop(columns="IDVARVAL"), on="USUBJID", how="left", validate="many_to_one")
    key = parent[idvar]
    key = key.astype("Int64").astype("str") if pd.api.types.is_numeric_dtype(key) else key.astype("str")
    return parent.assign(IDVARVAL=key).merge(wide, on=["USUBJID", "IDVARVAL"], how="left", validate="many_to_one").drop(columns="IDVARVAL")
